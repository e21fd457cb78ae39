/* state.c: sync's deployment records under STATE/workloads (read with core/ini, written with
 * core/ini and replaced atomically with core/fs) and the read side of quadsync's STATE/hashes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "state.h"
#include "core.h"
#include "fs.h"
#include "hash.h"
#include "ini.h"
#include "users.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	STATE_DIR_MODE = 0700,	  /* root only: the records say which users sync may delete */
	STATE_RECORD_MODE = 0600, /* the same */
	/* bytes of a quadsync hashes/NAME file: 64 hex digits and some white space */
	QUADSYNC_HASH_FILE_MAX = 4096,
	NAMES_CHUNK = 4096, /* growth step of the string buffer while listing */
};

#define WORKLOADS_DIR "workloads"
#define HASHES_DIR    "hashes"
#define SEC_WORKLOAD  "Workload"
#define SEC_FILES     "Files"
#define KEY_QUADLET   "Quadlet"
#define KEY_SYSTEMD   "Systemd"
#define RECORD_HEADER "# tailpod sync: what was deployed for this workload; do not edit\n\n"
#define SERVICE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.@-"

/* A workload name is a Linux user name; a leading '.' would also read as a temp file. */
static bool name_valid(const char *name)
{
	return users_name_valid(name) && name[0] != '.' && !strchr(name, '/');
}

/* Exactly want lowercase hex digits: what hash_to_hex and git write. */
static bool hex_valid(const char *s, size_t n, size_t want)
{
	if (n != want)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool state_hash_valid(const char *s)
{
	return hex_valid(s, strlen(s), STATE_HASH_HEX_SIZE - 1);
}

/* Empty for a record migrated from quadsync, which knew no commit. */
static bool commit_valid(const char *s)
{
	return s[0] == '\0' || hex_valid(s, strlen(s), STATE_COMMIT_HEX_SIZE - 1);
}

static bool service_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= STATE_UNIT_MAX && strchr(s, '.') && strspn(s, SERVICE_CHARS) == n;
}

/* A path that sync may create and remove below a unit directory: one component for systemd's
 * (which reads no sub-directories), a relative path for an app's quadlet files; no component is
 * empty or starts with '.' (no "..", no hidden file), none is longer than STATE_UNIT_MAX. */
static bool file_name_valid(const char *s, enum spec_unit_dir dir)
{
	size_t n = strlen(s);

	if (n == 0 || n > STATE_PATH_MAX || (dir == SPEC_UNIT_SYSTEMD && strchr(s, '/')))
		return false;
	for (const char *c = s;; c++) {
		size_t k = strcspn(c, "/");

		if (k == 0 || k > STATE_UNIT_MAX || c[0] == '.')
			return false;
		if (!c[k])
			break;
		c += k;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

bool state_file_name_valid(const char *s, enum spec_unit_dir dir)
{
	return file_name_valid(s, dir);
}

/* A fixed-size field of a caller's struct: NUL-terminated within its size. */
static bool field_terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

/* Digits only (no sign, blank or prefix), at most max. */
static int parse_decimal(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -EBADMSG;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9' || v > (max - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* Open the directory name below dirfd, refusing a symlink with -ELOOP (O_DIRECTORY|O_NOFOLLOW
 * alone says ENOTDIR for one). */
static int open_dir_at(int dirfd, const char *name, int *ret_fd)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int r = -errno;

		if (r == -ENOTDIR && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			return -ELOOP;
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int state_dir_open(const char *state_dir, int *ret_fd)
{
	return state_subdir_open(state_dir, WORKLOADS_DIR, ret_fd);
}

int state_subdir_open(const char *state_dir, const char *sub, int *ret_fd)
{
	_cleanup_close_ int top = -1;

	if (!state_dir || !*state_dir || !ret_fd)
		return -EINVAL;
	if (mkdir(state_dir, STATE_DIR_MODE) < 0 && errno != EEXIST)
		return -errno;
	/* The configured directory may be reached through a symlink the admin made; what is inside
	 * it is ours, and never a link. */
	top = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return -errno;
	if (mkdirat(top, sub, STATE_DIR_MODE) < 0 && errno != EEXIST)
		return -errno;
	return open_dir_at(top, sub, ret_fd);
}

static int record_workload(const struct ini *ini, const char *name, struct state_record *rec)
{
	const char *v;
	unsigned long long n;

	v = ini_get(ini, SEC_WORKLOAD, "Name");
	if (!v || strcmp(v, name) != 0)
		return -EBADMSG;
	snprintf(rec->name, sizeof(rec->name), "%s", v);
	v = ini_get(ini, SEC_WORKLOAD, "Hash");
	if (!v || !state_hash_valid(v))
		return -EBADMSG;
	snprintf(rec->hash, sizeof(rec->hash), "%s", v);
	v = ini_get(ini, SEC_WORKLOAD, "Commit");
	if (!v || !commit_valid(v))
		return -EBADMSG;
	snprintf(rec->commit, sizeof(rec->commit), "%s", v);
	v = ini_get(ini, SEC_WORKLOAD, "Service");
	if (!v || !service_valid(v))
		return -EBADMSG;
	snprintf(rec->service, sizeof(rec->service), "%s", v);
	/* (uid_t)-1 means "no change" to chown and setresuid: never a workload's uid. */
	v = ini_get(ini, SEC_WORKLOAD, "UID");
	if (!v || parse_decimal(v, UINT32_MAX - 1, &n) < 0)
		return -EBADMSG;
	rec->uid = (uid_t)n;
	v = ini_get(ini, SEC_WORKLOAD, "DeployedAt");
	if (v && parse_decimal(v, LLONG_MAX, &n) < 0)
		return -EBADMSG;
	rec->deployed_at = v ? (long long)n : 0;
	return 0;
}

static int file_kind(const char *key, enum spec_unit_dir *ret)
{
	if (strcmp(key, KEY_QUADLET) == 0)
		*ret = SPEC_UNIT_QUADLET;
	else if (strcmp(key, KEY_SYSTEMD) == 0)
		*ret = SPEC_UNIT_SYSTEMD;
	else
		return -EBADMSG;
	return 0;
}

static size_t files_count(const struct ini *ini)
{
	size_t n = 0;

	for (size_t i = 0; i < ini->n_sections; i++)
		if (strcmp(ini->sections[i].name, SEC_FILES) == 0)
			for (size_t j = 0; j < ini->sections[i].n_lines; j++)
				n += ini->sections[i].lines[j].type == INI_LINE_ENTRY;
	return n;
}

/* The caller's room for a record's files, or none (a block of their own). */
struct files_room {
	struct state_file *files;
	size_t n;
};

/* Every entry of every [Files] section, in order. Unlike [Workload], where a newer tailpod may
 * add keys, every key here is a kind of file: one we do not know could not be removed safely. */
static int record_files(const struct ini *ini, struct state_record *rec,
			const struct files_room *room)
{
	size_t n = files_count(ini), k = 0;

	if (n == 0)
		return 0;
	if (n > STATE_FILES_MAX)
		return -EBADMSG;
	if (room && n > room->n)
		return -E2BIG;
	if (room)
		rec->files = memset(room->files, 0, n * sizeof(*rec->files));
	else if (!(rec->files = calloc(n, sizeof(*rec->files))))
		return -ENOMEM;
	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct ini_section *s = &ini->sections[i];

		if (strcmp(s->name, SEC_FILES) != 0)
			continue;
		for (size_t j = 0; j < s->n_lines; j++) {
			const struct ini_line *l = &s->lines[j];
			struct state_file *f = &rec->files[k];

			if (l->type != INI_LINE_ENTRY)
				continue;
			if (file_kind(l->key, &f->dir) < 0 || !file_name_valid(l->value, f->dir))
				return -EBADMSG;
			snprintf(f->name, sizeof(f->name), "%s", l->value);
			rec->n_files = ++k;
		}
	}
	return 0;
}

static int record_parse(const char *name, const char *buf, size_t len, struct state_record *ret,
			const struct files_room *room)
{
	struct state_record rec = {0};
	struct ini *ini = NULL;
	int r;

	r = ini_parse(name, buf, len, &ini, NULL);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	r = record_workload(ini, name, &rec);
	if (r >= 0)
		r = record_files(ini, &rec, room);
	if (r >= 0)
		r = state_record_secrets_parse(ini, &rec);
	if (r >= 0)
		state_record_stamps_parse(ini, &rec);
	if (r >= 0)
		r = state_record_rollout_parse(ini, &rec);
	ini_free(ini);
	if (r < 0) {
		if (room)
			rec.files = NULL; /* the caller's */
		state_record_release(&rec);
		return r;
	}
	*ret = rec;
	return 0;
}

static int record_load(int dirfd, const char *name, struct state_record *ret,
		       const struct files_room *room)
{
	char first[FS_READ_SMALL];
	_cleanup_free_ char *heap = NULL;
	const char *data;
	size_t len;
	int r;

	if (!name || !ret || !name_valid(name))
		return -EINVAL;
	/* The records' directory is root's alone: open, read, close (issue 16), parsed from the
	 * stack when it fits there, as nearly every record does. */
	r = fs_read_small_in(dirfd, name, first, sizeof(first), STATE_RECORD_MAX, &heap, &data,
			     &len);
	if (r < 0)
		return r;
	return record_parse(name, data, len, ret, room);
}

int state_record_load(int dirfd, const char *name, struct state_record *ret)
{
	return record_load(dirfd, name, ret, NULL);
}

int state_record_load_in(int dirfd, const char *name, struct state_record *ret,
			 struct state_file *files, size_t n_files_max)
{
	const struct files_room room = {.files = files, .n = n_files_max};

	return record_load(dirfd, name, ret, &room);
}

/* What load would refuse is never written: a stored record always reads back. */
static int record_check(const struct state_record *rec)
{
	if (!field_terminated(rec->name, sizeof(rec->name)) || !name_valid(rec->name) ||
	    !field_terminated(rec->hash, sizeof(rec->hash)) || !state_hash_valid(rec->hash) ||
	    !field_terminated(rec->commit, sizeof(rec->commit)) || !commit_valid(rec->commit) ||
	    !field_terminated(rec->service, sizeof(rec->service)) || !service_valid(rec->service) ||
	    rec->uid == (uid_t)-1 || rec->deployed_at < 0)
		return -EINVAL;
	if (rec->n_files > STATE_FILES_MAX)
		return -E2BIG;
	if (rec->n_files > 0 && !rec->files)
		return -EINVAL;
	if (state_record_secrets_check(rec) < 0 || state_record_rollout_check(rec) < 0)
		return -EINVAL;
	for (size_t i = 0; i < rec->n_files; i++) {
		const struct state_file *f = &rec->files[i];

		if (!field_terminated(f->name, sizeof(f->name)) ||
		    !file_name_valid(f->name, f->dir) ||
		    (f->dir != SPEC_UNIT_QUADLET && f->dir != SPEC_UNIT_SYSTEMD))
			return -EINVAL;
	}
	return 0;
}

static int record_build(const struct state_record *rec, struct ini *ini)
{
	char uid[16], at[24];
	const char *const workload[][2] = {
		{"Name", rec->name},	   {"Hash", rec->hash}, {"Commit", rec->commit},
		{"Service", rec->service}, {"UID", uid},	{"DeployedAt", at},
	};
	struct ini_section *s;
	int r;

	snprintf(uid, sizeof(uid), "%lu", (unsigned long)rec->uid);
	snprintf(at, sizeof(at), "%lld", rec->deployed_at);
	for (size_t i = 0; i < ARRAY_SIZE(workload); i++) {
		r = ini_entry_append(ini, SEC_WORKLOAD, workload[i][0], workload[i][1]);
		if (r < 0)
			return r;
	}
	if (rec->n_files == 0)
		return 0;
	s = ini_section_find_last(ini, SEC_WORKLOAD);
	r = ini_blank_insert(ini, s, s->n_lines);
	for (size_t i = 0; r >= 0 && i < rec->n_files; i++)
		r = ini_entry_append(ini, SEC_FILES,
				     rec->files[i].dir == SPEC_UNIT_QUADLET ? KEY_QUADLET
									    : KEY_SYSTEMD,
				     rec->files[i].name);
	return r;
}

int state_record_store(int dirfd, const struct state_record *rec)
{
	_cleanup_free_ char *text = NULL;
	struct ini *ini = NULL;
	size_t len;
	int r;

	if (!rec)
		return -EINVAL;
	r = record_check(rec);
	if (r < 0)
		return r;
	r = ini_parse(rec->name, RECORD_HEADER, strlen(RECORD_HEADER), &ini, NULL);
	if (r < 0)
		return r;
	r = record_build(rec, ini);
	if (r >= 0)
		r = state_record_secrets_build(rec, ini);
	if (r >= 0)
		r = state_record_stamps_build(rec, ini);
	if (r >= 0)
		r = state_record_rollout_build(rec, ini);
	if (r >= 0)
		r = ini_serialize(ini, &text, &len);
	ini_free(ini);
	if (r < 0)
		return r;
	return fs_write_atomic(dirfd, rec->name, text, len, STATE_RECORD_MODE);
}

int state_record_remove(int dirfd, const char *name)
{
	if (!name || !name_valid(name))
		return -EINVAL;
	if (unlinkat(dirfd, name, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A record that comes back after a crash would make sync act on a removed workload. */
	if (fsync(dirfd) < 0)
		return -errno;
	return 0;
}

void state_record_release(struct state_record *rec)
{
	if (!rec)
		return;
	free(rec->files);
	rec->files = NULL;
	rec->n_files = 0;
	state_record_secrets_release(rec);
}

/* Names gathered while reading a directory: NUL-terminated strings back to back. */
struct names {
	char *strings;
	size_t len, cap, n;
};

static int names_add(struct names *b, const char *name)
{
	size_t n = strlen(name) + 1;

	if (b->n >= STATE_WORKLOADS_MAX)
		return -E2BIG;
	if (b->len + n > b->cap) {
		char *p = realloc(b->strings, b->cap + NAMES_CHUNK);

		if (!p)
			return -ENOMEM;
		b->strings = p;
		b->cap += NAMES_CHUNK;
	}
	memcpy(b->strings + b->len, name, n);
	b->len += n;
	b->n++;
	return 0;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One allocation, the pointers then the strings they point to, sorted; NULL for no names. */
static int names_finish(const struct names *b, char ***ret_names, size_t *ret_n)
{
	char **names = NULL, *s;

	if (b->n > 0) {
		names = malloc(b->n * sizeof(*names) + b->len);
		if (!names)
			return -ENOMEM;
		s = (char *)(names + b->n);
		memcpy(s, b->strings, b->len);
		for (size_t i = 0; i < b->n; i++, s += strlen(s) + 1)
			names[i] = s;
		qsort(names, b->n, sizeof(*names), names_cmp);
	}
	*ret_names = names;
	*ret_n = b->n;
	return 0;
}

static int names_read(DIR *d, struct names *b)
{
	for (;;) {
		struct dirent *de;
		int r;

		errno = 0;
		de = readdir(d);
		if (!de)
			return -errno;
		/* Dot names are temp files of fs_write_atomic (and "." and ".."). */
		if (de->d_name[0] == '.' || !name_valid(de->d_name))
			continue;
		r = names_add(b, de->d_name);
		if (r < 0)
			return r;
	}
}

/* A new open of the directory, not a dup: a dup would share (and move) the caller's offset. */
static int list_dir(int dirfd, char ***ret_names, size_t *ret_n)
{
	struct names b = {0};
	DIR *d;
	int fd, r;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	r = names_read(d, &b);
	closedir(d);
	if (r >= 0)
		r = names_finish(&b, ret_names, ret_n);
	free(b.strings);
	return r;
}

int state_list(int dirfd, char ***ret_names, size_t *ret_n)
{
	if (!ret_names || !ret_n)
		return -EINVAL;
	return list_dir(dirfd, ret_names, ret_n);
}

static int quadsync_path(const char *dir, const char *name, char path[PATH_MAX])
{
	int n = name ? snprintf(path, PATH_MAX, "%s/" HASHES_DIR "/%s", dir, name)
		     : snprintf(path, PATH_MAX, "%s/" HASHES_DIR, dir);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int state_quadsync_list(const char *quadsync_state_dir, char ***ret_names, size_t *ret_n)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if (!quadsync_state_dir || !ret_names || !ret_n)
		return -EINVAL;
	r = quadsync_path(quadsync_state_dir, NULL, path);
	if (r < 0)
		return r;
	r = open_dir_at(AT_FDCWD, path, &fd);
	if (r == -ENOENT) {
		/* Not a quadsync host, or one that never deployed anything. */
		*ret_names = NULL;
		*ret_n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	return list_dir(fd, ret_names, ret_n);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int state_quadsync_hash(const char *quadsync_state_dir, const char *name,
			char ret_hex[STATE_HASH_HEX_SIZE])
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t start = 0, len;
	int r;

	if (!quadsync_state_dir || !name || !ret_hex || !name_valid(name))
		return -EINVAL;
	r = quadsync_path(quadsync_state_dir, name, path);
	if (r >= 0)
		r = fs_read_bounded(AT_FDCWD, path, QUADSYNC_HASH_FILE_MAX, &buf, &len);
	if (r < 0)
		return r == -EFBIG ? -EBADMSG : r;
	/* quadsync writes the bare hex (os.WriteFile); an admin's editor may add a newline. */
	while (start < len && is_space(buf[start]))
		start++;
	while (len > start && is_space(buf[len - 1]))
		len--;
	if (!hex_valid(buf + start, len - start, STATE_HASH_HEX_SIZE - 1))
		return -EBADMSG;
	memcpy(ret_hex, buf + start, STATE_HASH_HEX_SIZE - 1);
	ret_hex[STATE_HASH_HEX_SIZE - 1] = '\0';
	return 0;
}

void state_quadsync_hash_of(const struct spec_workload *w, char ret_hex[STATE_HASH_HEX_SIZE])
{
	struct hash_sha256 h;

	/* quadsync's compositeHash: h.Write(name); h.Write(content) per file, no separators. */
	hash_sha256_init(&h);
	for (size_t i = 0; i < w->n_units; i++) {
		hash_sha256_update(&h, w->units[i].name, strlen(w->units[i].name));
		hash_sha256_update(&h, w->units[i].data, w->units[i].size);
	}
	hash_sha256_final_hex(&h, ret_hex);
}
