/* restore.c: `backup restore FILE` — a workload archive read once (verify.c's pass with a hook):
 * its volumes and bind-mounted data extracted as root into a temp directory in the user's home
 * while each member is hashed (extract.c: beneath an fd, no link followed, owners mapped onto
 * this host's uid and subuid ranges). Only when the whole archive has checked out against its
 * MANIFEST (the last member) is the temp directory flushed to disk (one syncfs) and swapped into
 * place with the service stopped; a hostile or damaged archive removes the temp directory and
 * changes nothing. An existing volume or data directory is replaced only with --force. Unit
 * files and the state record stay sync's: not restored. The temp dir is flock'ed while it lives
 * (gc reaps only one nobody holds); the replaced trees it holds after the swap are removed once
 * the service is started, by a child the exit waits for only briefly. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* syncfs */
#endif
#include "backup.h"

#include "core.h"
#include "fs.h"
#include "log.h"
#include "state.h"
#include "userfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	const char *file, *name, *want; /* want: --workload */
	const struct config *config;
	struct users_db *db;
	struct state_record *rec;
	struct backup_extract x;
	bool ready;	 /* the destination found and the temp dir made */
	bool hook_error; /* a failure restore_member logged: not the archive's check */
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
	return backup_tmp_make(rs->home_fd, rs->tmp, sizeof(rs->tmp), &rs->tmp_fd);
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

/* What the archive holds decides where it goes: a workload's archive (the one asked for) onto
 * its user here, extracted into a fresh temp dir in the home. */
static int restore_prepare(struct restore *rs, const struct backup_check *c)
{
	int r;

	rs->name = c->workload;
	if (strcmp(c->scope, "workload") != 0)
		return log_error("%s: a %s archive: extract its files by hand (tar -xzf), nothing "
				 "changed",
				 rs->file, c->scope),
		       -EINVAL;
	if (rs->want && strcmp(rs->want, c->workload) != 0)
		return log_error("%s: holds workload %s, not %s", rs->file, c->workload, rs->want),
		       -EINVAL;
	r = users_db_load(NULL, USERS_SOURCE_ETC, &rs->db);
	if (r < 0)
		return log_error_errno(r, "cannot read /etc/passwd and /etc/group"), r;
	r = find_destination(rs, rs->config, rs->db, rs->rec);
	if (r == 0 && (r = make_tmp(rs)) < 0)
		log_error_errno(r, "%s: cannot make a temp directory", rs->user->home);
	rs->x = (struct backup_extract){
		.tmp_fd = rs->tmp_fd, .map = &rs->map, .file = rs->file, .parent_fd = -1};
	rs->ready = r == 0;
	return r;
}

/* verify.c's hook: each member after TAILPOD-BACKUP, its data into the temp dir (data) or only
 * hashed (unit files, the state record), or refused (anything else). */
static int restore_member(void *ctx, const struct backup_check *c, struct backup_in *in,
			  const struct tar_entry *e, char sha[HASH_SHA256_HEX_SIZE])
{
	struct restore *rs = ctx;
	const char *rel = NULL;
	int r = rs->ready ? 0 : restore_prepare(rs, c), place;

	if (r < 0)
		return rs->hook_error = true, r;
	place = member_place(rs, e->path, &rel);
	if (place < 0) {
		log_error("%s: %s: outside a workload's volumes and data, refused", rs->file,
			  e->path);
		return rs->hook_error = true, place;
	}
	if (place == 0)
		return e->type == TAR_FILE ? backup_in_hash(in, sha, NULL, 0, NULL) : 0;
	r = backup_extract_member(&rs->x, in, e, rel, sha);
	if (r < 0 && !*tar_reader_error(in->tr)) /* the reader's refusal: verify.c says it */
		log_error_errno(r, "%s: %s: cannot extract", rs->file, e->path),
			rs->hook_error = true;
	return r;
}

/* The checked archive's units swapped in, durable first: syncfs flushes every file, directory
 * and owner written beneath the temp dir (one filesystem: renameat2 needs it) before the first
 * rename, so no crash can leave a swapped-in unit whose contents are not on disk; the second
 * makes the renames themselves durable before "restored" is said. */
static int restore_swap(struct restore *rs)
{
	bool was_running = false;
	int r = backup_extract_finish(&rs->x), r2;

	if (r == 0 && syncfs(rs->tmp_fd) < 0)
		r = -errno;
	if (r < 0)
		return log_error_errno(r, "%s: cannot flush the extracted files", rs->user->home),
		       r;
	r = for_each_unit(rs, refuse_existing);
	if (r == 0 && rs->conflicts)
		r = -EEXIST;
	if (r == 0)
		r = backup_service_stop(rs->name, rs->user->uid, rs->rec->service, &was_running);
	if (r == 0)
		r = for_each_unit(rs, swap_in);
	if (r == 0 && syncfs(rs->home_fd) < 0)
		r = log_error_errno(-errno, "%s: cannot flush the swap", rs->user->home);
	if (was_running && (r2 = backup_service_start(rs->name, rs->rec->service)) < 0 && r == 0)
		r = r2;
	return r;
}

int backup_restore(const char *file, const char *workload, bool force, const struct backup_keys *k,
		   const struct config *c)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct state_record rec = {0};
	struct restore rs = {.file = file,
			     .want = workload,
			     .config = c,
			     .rec = &rec,
			     .home_fd = -1,
			     .tmp_fd = -1,
			     .x = {.parent_fd = -1},
			     .force = force};
	struct backup_check chk = {.member = restore_member, .ctx = &rs};
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "%s: cannot open", file), EXIT_FAIL;
	r = backup_check_run(fd, file, k, &chk);
	if (r == 0 && !rs.ready) /* no member but the two bookkeeping ones */
		r = restore_prepare(&rs, &chk);
	else if (r < 0 && !rs.hook_error)
		log_error("%s: refused, nothing changed", file);
	if (r == 0)
		r = restore_swap(&rs);
	else
		backup_extract_finish(&rs.x);
	if (r == 0)
		printf("%s: restored %s onto %s (uid %u)\n", file, rs.name, rs.user->home,
		       (unsigned)rs.user->uid);
	if (rs.tmp_fd >= 0)
		backup_tmp_remove(rs.home_fd, rs.tmp, rs.tmp_fd, r == 0);
	for (size_t i = 0; i < rs.n_roots; i++)
		free(rs.roots[i]);
	if (rs.home_fd >= 0)
		close(rs.home_fd);
	state_record_release(&rec);
	users_db_free(rs.db);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}
