/* extract.c: one archive member written beneath restore's temp directory (backup.h). Root writes
 * here, so every path is reached through core/fs beneath the temp directory's fd with no symlink
 * followed in any component — a symlink member planted earlier cannot redirect a later one — and
 * files are created O_EXCL: nothing existing is ever written through. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* sync_file_range */
#endif
#include "backup.h"

#include "core.h"
#include "fs.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct backup_dir_time {
	char *rel;
	struct timespec mtime;
};

/* Owners on this host: the archive's container-relative ids through the user's ranges; an id
 * beyond them becomes the user's own, with a warning. */
static void map_ids(struct backup_extract *x, const struct tar_entry *e, uid_t *uid, gid_t *gid)
{
	uint64_t u, g;

	if (!backup_idmap_to_host(x->map, false, e->uid, &u) ||
	    !backup_idmap_to_host(x->map, true, e->gid, &g)) {
		log_warning("%s: %s: owner %llu:%llu is beyond the user's ids here, given to the "
			    "user",
			    x->file, e->path, (unsigned long long)e->uid,
			    (unsigned long long)e->gid);
		x->warnings++;
		u = x->map->uid, g = x->map->gid;
	}
	*uid = (uid_t)u, *gid = (gid_t)g;
}

static mode_t safe_mode(struct backup_extract *x, const struct tar_entry *e)
{
	if (e->mode & (S_ISUID | S_ISGID)) {
		log_warning("%s: %s: setuid/setgid bit stripped", x->file, e->path);
		x->warnings++;
	}
	return e->mode & 01777;
}

/* rel's directory part into dir ("" for a member at the top), *base its last component. */
static int split_parent(const char *rel, char dir[PATH_MAX], const char **base)
{
	const char *slash = strrchr(rel, '/');

	*base = slash ? slash + 1 : rel;
	dir[0] = '\0';
	if (!slash)
		return 0;
	if ((size_t)(slash - rel) >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(dir, rel, (size_t)(slash - rel));
	dir[slash - rel] = '\0';
	return 0;
}

/* dir beneath the temp dir, created (0700, root) where missing, no link followed; an fd of the
 * caller's. */
static int open_dir(struct backup_extract *x, const char *dir, int *ret_fd)
{
	int r;

	if (!*dir)
		return (*ret_fd = fcntl(x->tmp_fd, F_DUPFD_CLOEXEC, 3)) < 0 ? -errno : 0;
	r = fs_mkdir_beneath(x->tmp_fd, dir, 0700);
	return r < 0 ? r : fs_open_beneath(x->tmp_fd, dir, O_RDONLY | O_DIRECTORY, 0, ret_fd);
}

/* The parent of rel, borrowed from x (the caller never closes it); *base its name. Members come
 * directory by directory, so the last parent stays open and the next member in it costs no walk
 * of the path from the temp dir (restore of 58 000 files: 8 mkdirat, openat, fstat and close a
 * member saved). The fd still names that path: an extraction only creates — nothing under the
 * temp dir is renamed or removed while it runs, and only root can write there. */
static int open_parent(struct backup_extract *x, const char *rel, int *pfd, const char **base)
{
	char dir[PATH_MAX];
	int fd, r = split_parent(rel, dir, base);

	if (r < 0)
		return r;
	if (x->parent_fd >= 0 && strcmp(dir, x->parent_dir) == 0) {
		*pfd = x->parent_fd;
		return 0;
	}
	r = open_dir(x, dir, &fd);
	if (r < 0)
		return r;
	if (x->parent_fd >= 0)
		close(x->parent_fd);
	x->parent_fd = fd;
	memcpy(x->parent_dir, dir, strlen(dir) + 1);
	*pfd = fd;
	return 0;
}

static int remember_dir(struct backup_extract *x, const char *rel, const struct tar_entry *e)
{
	if (x->n_dirs == x->cap_dirs) {
		size_t cap = x->cap_dirs ? x->cap_dirs * 2 : 64;
		struct backup_dir_time *d = realloc(x->dirs, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		x->dirs = d, x->cap_dirs = cap;
	}
	x->dirs[x->n_dirs].rel = strdup(rel);
	if (!x->dirs[x->n_dirs].rel)
		return -ENOMEM;
	x->dirs[x->n_dirs++].mtime =
		(struct timespec){.tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec};
	return 0;
}

/* Owner, mode, xattrs and (but for a directory, whose turn comes last) mtime of fd. */
static int finish_fd(struct backup_extract *x, int fd, const struct tar_entry *e, bool times)
{
	const struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT},
				       {.tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec}};
	uid_t uid;
	gid_t gid;

	map_ids(x, e, &uid, &gid);
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, safe_mode(x, e)) < 0)
		return -errno;
	if (backup_xattrs_write(fd, e->xattrs, e->n_xattrs) < 0)
		return -errno;
	return times && futimens(fd, ts) < 0 ? -errno : 0;
}

/* Start writing fd's bytes from *from to end out to disk, without waiting for it: restore's
 * syncfs before the swap (restore.c) is the durability point, and what was started here while
 * the rest was being extracted is what it no longer has to wait for. Only a hint: the kernel
 * may refuse it (a filesystem without it), and syncfs then writes the data all the same. */
static void start_writeback(int fd, off_t *from, off_t end)
{
	if (end > *from)
		(void)sync_file_range(fd, *from, end - *from, SYNC_FILE_RANGE_WRITE);
	*from = end;
}

static int write_file(struct backup_extract *x, struct backup_in *in, int pfd, const char *base,
		      const struct tar_entry *e, char *sha)
{
	static unsigned char buf[BACKUP_BUF];
	_cleanup_close_ int fd =
		openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct hash_sha256 h;
	off_t written = 0, started = 0;
	size_t got;
	int r;

	if (fd < 0)
		return -errno;
	hash_sha256_init(&h);
	while ((r = tar_read_data(in->tr, buf, sizeof(buf), &got)) == 0 && got > 0) {
		hash_sha256_update(&h, buf, got);
		r = fs_write_all_file(fd, buf, got);
		if (r < 0)
			return r;
		written += (off_t)got;
		if (written - started >= BACKUP_WRITEBACK_CHUNK)
			start_writeback(fd, &started, written);
	}
	hash_sha256_final_hex(&h, sha);
	if (r < 0)
		return r;
	if (started > 0) /* a large file's tail; a small file's one call costs more than it saves */
		start_writeback(fd, &started, written);
	return finish_fd(x, fd, e, true);
}

static int write_dir(struct backup_extract *x, int pfd, const char *base, const char *rel,
		     const struct tar_entry *e)
{
	_cleanup_close_ int fd = -1;

	if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = finish_fd(x, fd, e, false);

	return r < 0 ? r : remember_dir(x, rel, e);
}

static int write_symlink(struct backup_extract *x, int pfd, const char *base,
			 const struct tar_entry *e)
{
	const struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT},
				       {.tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec}};
	uid_t uid;
	gid_t gid;

	map_ids(x, e, &uid, &gid);
	if (symlinkat(e->link, pfd, base) < 0 ||
	    fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* A hard link to an earlier member below home/: never to anything outside the temp dir. Its
 * source's directory is opened apart: pfd, the member's own, is the cache's. */
static int write_hardlink(struct backup_extract *x, int pfd, const char *base,
			  const struct tar_entry *e)
{
	_cleanup_close_ int spfd = -1;
	char sdir[PATH_MAX];
	const char *sbase;
	int r;

	if (strncmp(e->link, "home/", 5) != 0)
		return -EPERM;
	r = split_parent(e->link + 5, sdir, &sbase);
	if (r == 0)
		r = open_dir(x, sdir, &spfd);
	if (r < 0)
		return r;
	return linkat(spfd, sbase, pfd, base, 0) < 0 ? -errno : 0;
}

int backup_extract_member(struct backup_extract *x, struct backup_in *in, const struct tar_entry *e,
			  const char *rel, char sha[HASH_SHA256_HEX_SIZE])
{
	const char *base;
	int pfd = -1, r = open_parent(x, rel, &pfd, &base);

	strcpy(sha, "-");
	if (r < 0)
		return r;
	switch (e->type) {
	case TAR_FILE:
		return write_file(x, in, pfd, base, e, sha);
	case TAR_DIR:
		return write_dir(x, pfd, base, rel, e);
	case TAR_SYMLINK:
		return write_symlink(x, pfd, base, e);
	case TAR_HARDLINK:
		return write_hardlink(x, pfd, base, e);
	}
	return -EINVAL;
}

int backup_extract_finish(struct backup_extract *x)
{
	int r = 0;

	for (size_t i = x->n_dirs; i-- > 0;) {
		const struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, x->dirs[i].mtime};
		_cleanup_close_ int fd = -1;

		if (r == 0 &&
		    fs_open_beneath(x->tmp_fd, x->dirs[i].rel, O_RDONLY | O_DIRECTORY, 0, &fd) ==
			    0 &&
		    futimens(fd, ts) < 0)
			r = -errno;
		free(x->dirs[i].rel);
	}
	free(x->dirs);
	x->dirs = NULL, x->n_dirs = x->cap_dirs = 0;
	if (x->parent_fd >= 0)
		close(x->parent_fd);
	x->parent_fd = -1;
	return r;
}
