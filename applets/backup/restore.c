/* restore.c: `backup restore FILE` — a workload archive verified whole first (nothing changes
 * when it is hostile or damaged), then its volumes and bind-mounted data extracted as root into a
 * temp directory in the user's home (extract.c: beneath an fd, no link followed, owners mapped
 * onto this host's uid and subuid ranges), each member's row compared again with the verified
 * one, and swapped into place with the service stopped: an existing volume or data directory is
 * replaced only with --force. Unit files and the state record stay sync's: not restored. */
#include "backup.h"

#include "core.h"
#include "fs.h"
#include "log.h"
#include "state.h"
#include "userfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

struct restore {
	const char *file, *name;
	const struct users_user *user;
	struct backup_idmap map;
	int home_fd, tmp_fd;
	char tmp[64];
	char *roots[BACKUP_ROOTS_MAX]; /* where data may go: VOLUMES_DIR/X and the binds */
	size_t n_roots;
	bool whole_home; /* a spec bind-mounts the home: each top-level entry is a root */
	bool force;
	size_t conflicts;
};

static const char *const tool_dirs[] = {".local", ".config", ".cache"};

/* rel's first component is Podman's, systemd's or a cache's: never restored as data. */
static bool in_tool_dir(const char *rel)
{
	for (size_t t = 0; t < ARRAY_SIZE(tool_dirs); t++) {
		size_t n = strlen(tool_dirs[t]);

		if (strncmp(rel, tool_dirs[t], n) == 0 && (rel[n] == '/' || rel[n] == '\0'))
			return true;
	}
	return false;
}

/* The root rel lies at or beneath: its index, or -1. VOLUMES_DIR itself is a root's parent. */
static int root_of(const struct restore *rs, const char *rel)
{
	for (size_t i = 0; i < rs->n_roots; i++) {
		size_t n = strlen(rs->roots[i]);

		if (strncmp(rel, rs->roots[i], n) == 0 && (rel[n] == '/' || rel[n] == '\0'))
			return (int)i;
	}
	return -1;
}

/* Members go into the temp dir when they are data (a volume, a bind root); unit files, the
 * state record and the two bookkeeping members are read (hashed) and left; anything else is
 * refused: it is outside what a workload's backup holds. 1 extract, 0 leave, -EPERM refuse. */
static int member_place(const struct restore *rs, const char *path, const char **rel)
{
	static const char *const left[] = {BACKUP_INFO, BACKUP_MANIFEST, "state/workloads/Record"};

	for (size_t i = 0; i < ARRAY_SIZE(left); i++)
		if (strcmp(path, left[i]) == 0)
			return 0;
	if (strcmp(path, "home") == 0)
		return 0; /* the home itself, a spec bind-mounting it whole: it is there */
	if (strncmp(path, "home/", 5) != 0)
		return -EPERM;
	*rel = path + 5;
	if (strcmp(*rel, VOLUMES_DIR) == 0 || strncmp(*rel, QUADLET_DIR "/", 27) == 0 ||
	    strncmp(*rel, SYSTEMD_DIR "/", 21) == 0 || strcmp(*rel, ".config") == 0)
		return 0;
	if (strncmp(*rel, VOLUMES_DIR "/", sizeof(VOLUMES_DIR)) == 0)
		return 1;
	if (rs->whole_home && in_tool_dir(*rel))
		return 0;
	return rs->whole_home || root_of(rs, *rel) >= 0 ? 1 : -EPERM;
}

static int next_row(FILE *rows, char *buf, size_t size)
{
	return fgets(buf, (int)size, rows) ? 0 : -EBADMSG;
}

/* Pass two: every member again, its row equal to the verified one, data into the temp dir. */
static int extract_all(struct restore *rs, int fd, const struct backup_keys *k, FILE *rows)
{
	static char row[BACKUP_MANIFEST_LINE_MAX], want[BACKUP_MANIFEST_LINE_MAX];
	struct backup_extract x = {.tmp_fd = rs->tmp_fd, .map = &rs->map, .file = rs->file};
	const struct tar_entry *e;
	struct backup_in in;
	int r = backup_in_open(&in, fd, k, rs->file);

	while (r == 0 && (r = tar_read_header(in.tr, &e)) == 0) {
		char sha[HASH_SHA256_HEX_SIZE] = "-";
		const char *rel = NULL;
		int place = member_place(rs, e->path, &rel);

		if (strcmp(e->path, BACKUP_MANIFEST) == 0)
			continue;
		if (place < 0) {
			log_error("%s: %s: outside a workload's volumes and data, refused",
				  rs->file, e->path);
			r = place;
		} else if (place == 1) {
			r = backup_extract_member(&x, &in, e, rel, sha);
			if (r < 0)
				log_error_errno(r, "%s: %s: cannot extract", rs->file, e->path);
		} else if (e->type == TAR_FILE) {
			r = backup_in_hash(&in, sha, NULL, 0, NULL);
		}
		if (r == 0)
			r = backup_manifest_row(e, sha, row, sizeof(row));
		if (r == 0 && (next_row(rows, want, sizeof(want)) < 0 || strcmp(row, want) != 0)) {
			log_error("%s: %s: changed since it was verified", rs->file, e->path);
			r = -EBADMSG;
		}
	}
	backup_in_close(&in);
	if (r == 1)
		r = backup_extract_finish(&x);
	else
		backup_extract_finish(&x);
	return r;
}

/* With the whole home bind-mounted: each top-level entry the archive brought but the tools'. */
static int for_each_top(struct restore *rs, int (*fn)(struct restore *, const char *))
{
	DIR *d = fdopendir(fcntl(rs->tmp_fd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;
	int r = d ? 0 : -errno;

	if (d) /* the dup shares its offset with tmp_fd: an earlier pass left it at the end */
		rewinddir(d);
	while (d && r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !in_tool_dir(de->d_name))
			r = fn(rs, de->d_name);
	if (d)
		closedir(d);
	return r;
}

/* The restore's units: each volume and each bind root that the archive brought. */
static int for_each_unit(struct restore *rs, int (*fn)(struct restore *, const char *))
{
	_cleanup_close_ int vfd = -1;
	int r = 0;

	if (rs->whole_home)
		r = for_each_top(rs, fn);
	for (size_t i = 0; !rs->whole_home && r == 0 && i < rs->n_roots; i++)
		if (faccessat(rs->tmp_fd, rs->roots[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			r = fn(rs, rs->roots[i]);
	if (r == 0 &&
	    fs_open_beneath(rs->tmp_fd, VOLUMES_DIR, O_RDONLY | O_DIRECTORY, 0, &vfd) == 0) {
		DIR *d = fdopendir(dup(vfd));
		struct dirent *de;
		char rel[PATH_MAX];

		while (d && r == 0 && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
				snprintf(rel, sizeof(rel), VOLUMES_DIR "/%s", de->d_name);
				r = fn(rs, rel);
			}
		if (d)
			closedir(d);
	}
	return r;
}

/* Each unit whose target exists is named (all of them), and with one the restore stops. */
static int refuse_existing(struct restore *rs, const char *rel)
{
	if (faccessat(rs->home_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) != 0 || rs->force)
		return 0;
	log_error("%s: %s/%s exists (restore --force replaces it), nothing changed", rs->file,
		  rs->user->home, rel);
	rs->conflicts++;
	return 0;
}

/* The target's parent beneath the home, each missing directory made 0700 and given to the
 * user (a fresh user has no volumes directory yet), no link followed. */
static int target_parent(struct restore *rs, const char *rel, int *ret_fd)
{
	int fd = fcntl(rs->home_fd, F_DUPFD_CLOEXEC, 3);
	const char *slash = strrchr(rel, '/');

	for (const char *c = rel; fd >= 0 && c < slash;) {
		size_t n = strcspn(c, "/");
		char comp[NAME_MAX + 1];
		int next;

		snprintf(comp, sizeof(comp), "%.*s", (int)n, c);
		if (mkdirat(fd, comp, 0700) == 0 &&
		    fchownat(fd, comp, rs->user->uid, rs->user->gid, AT_SYMLINK_NOFOLLOW) < 0)
			break;
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		c += n + 1;
	}
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* Exchange the extracted unit with the target (the old one lands in the temp dir and goes with
 * it), or move it in where there is none. */
static int swap_in(struct restore *rs, const char *rel)
{
	_cleanup_close_ int dst = -1, spfd = -1;
	const char *slash = strrchr(rel, '/'), *base = slash ? slash + 1 : rel;
	char sdir[PATH_MAX];
	int r = target_parent(rs, rel, &dst);

	snprintf(sdir, sizeof(sdir), "%.*s", slash ? (int)(slash - rel) : 1, slash ? rel : ".");
	if (r == 0)
		r = slash ? fs_open_beneath(rs->tmp_fd, sdir, O_RDONLY | O_DIRECTORY, 0, &spfd)
			  : ((spfd = fcntl(rs->tmp_fd, F_DUPFD_CLOEXEC, 3)) < 0 ? -errno : 0);
	if (r == 0 && syscall(SYS_renameat2, spfd, base, dst, base, RENAME_EXCHANGE) < 0 &&
	    (errno != ENOENT ||
	     syscall(SYS_renameat2, spfd, base, dst, base, RENAME_NOREPLACE) < 0))
		r = -errno;
	if (r < 0)
		return log_error_errno(r, "%s/%s: cannot swap in", rs->user->home, rel), r;
	log_info("%s: restored %s/%s", rs->name, rs->user->home, rel);
	return 0;
}

static int make_tmp(struct restore *rs)
{
	uint64_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint64_t)getpid();
	snprintf(rs->tmp, sizeof(rs->tmp), ".tailpod-restore.%016" PRIx64, rnd);
	if (mkdirat(rs->home_fd, rs->tmp, 0700) < 0)
		return -errno;
	rs->tmp_fd = openat(rs->home_fd, rs->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return rs->tmp_fd < 0 ? -errno : 0;
}

/* A bind root that holds (or lies in) Podman's storage, the units or caches is no data root;
 * the home itself (a spec bind-mounts it whole) makes each top-level entry one. */
static void drop_tool_roots(struct restore *rs)
{
	size_t kept = 0;

	for (size_t i = 0; i < rs->n_roots; i++) {
		if (!*rs->roots[i])
			rs->whole_home = true;
		if (!*rs->roots[i] || in_tool_dir(rs->roots[i]))
			free(rs->roots[i]);
		else
			rs->roots[kept++] = rs->roots[i];
	}
	rs->n_roots = kept;
}

/* The destination: the user (sync made it), its ids, home, the roots its units name. */
static int find_destination(struct restore *rs, const struct config *c, struct users_db *db,
			    struct state_record *rec)
{
	struct userfs_error uerr = {0};
	_cleanup_close_ int state_fd = -1;
	int r = users_db_find_user(db, rs->name, &rs->user);

	if (r < 0)
		return log_error("%s: no user %s here: run sync first (it creates the user and "
				 "deploys the units), nothing changed",
				 rs->file, rs->name),
		       r;
	r = state_dir_open(c->state_dir, &state_fd);
	if (r == 0)
		r = state_record_load(state_fd, rs->name, rec);
	if (r < 0)
		return log_error_errno(r, "%s: %s is not deployed here: run sync first", rs->file,
				       rs->name),
		       r;
	r = backup_idmap_load(rs->user, &rs->map);
	if (r == 0 &&
	    (r = userfs_home_open(rs->user->home, rs->user->uid, &rs->home_fd, &uerr)) < 0)
		log_error_errno(r, "%s: %s", rs->name, uerr.msg);
	if (r == 0)
		backup_bind_roots(rs->home_fd, rs->user->home, rec, rs->roots, &rs->n_roots);
	drop_tool_roots(rs);
	return r;
}

static int restore_run(struct restore *rs, int fd, const struct backup_keys *k,
		       const struct backup_check *chk, const struct state_record *rec)
{
	FILE *rows = fdopen(dup(chk->rows_fd), "r");
	bool was_running = false;
	int r = rows ? make_tmp(rs) : -ENOMEM, r2;

	if (r < 0) {
		if (rows)
			fclose(rows);
		return log_error_errno(r, "%s: cannot make a temp directory", rs->user->home), r;
	}
	r = extract_all(rs, fd, k, rows);
	fclose(rows);
	if (r == 0)
		r = for_each_unit(rs, refuse_existing);
	if (r == 0 && rs->conflicts)
		r = -EEXIST;
	if (r == 0)
		r = backup_service_stop(rs->name, rs->user->uid, rec->service, &was_running);
	if (r == 0)
		r = for_each_unit(rs, swap_in);
	if (was_running && (r2 = backup_service_start(rs->name, rec->service)) < 0 && r == 0)
		r = r2;
	close(rs->tmp_fd);
	fs_remove_tree(rs->home_fd, rs->tmp);
	return r;
}

int backup_restore(const char *file, const char *workload, bool force, const struct backup_keys *k,
		   const struct config *c)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct restore rs = {.file = file, .home_fd = -1, .tmp_fd = -1, .force = force};
	struct backup_check chk = {.rows_fd = -1};
	struct state_record rec = {0};
	struct users_db *db = NULL;
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "%s: cannot open", file), EXIT_FAIL;
	r = backup_verify(fd, file, k, &chk);
	if (r < 0) {
		log_error("%s: refused, nothing changed", file);
	} else if (strcmp(chk.scope, "workload") != 0) {
		log_error("%s: a %s archive: extract its files by hand (tar -xzf), nothing changed",
			  file, chk.scope);
		r = -EINVAL;
	} else if (workload && strcmp(workload, chk.workload) != 0) {
		log_error("%s: holds workload %s, not %s", file, chk.workload, workload);
		r = -EINVAL;
	}
	rs.name = chk.workload;
	if (r == 0 && (r = users_db_load(NULL, USERS_SOURCE_ETC, &db)) < 0)
		log_error_errno(r, "cannot read /etc/passwd and /etc/group");
	if (r == 0)
		r = find_destination(&rs, c, db, &rec);
	if (r == 0)
		r = restore_run(&rs, fd, k, &chk, &rec);
	if (r == 0)
		printf("%s: restored %s onto %s (uid %u)\n", file, rs.name, rs.user->home,
		       (unsigned)rs.user->uid);
	for (size_t i = 0; i < rs.n_roots; i++)
		free(rs.roots[i]);
	if (rs.home_fd >= 0)
		close(rs.home_fd);
	state_record_release(&rec);
	users_db_free(db);
	backup_check_release(&chk);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}
