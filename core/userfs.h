/* userfs.h: a workload's files in its home directory — compared as root without following any
 * symlink or crossing any mount point, and written or removed only as the workload's user: a
 * forked child drops to the user's uid and gid (no supplementary groups), then creates directories
 * and replaces files beneath the home fd with core/fs (atomic, no symlink followed and no mount
 * point crossed in any component), so a link, a hard link or a (FUSE) mount the user planted can
 * never turn a root read or write into one elsewhere (DESIGN.md §5, review 3.2, issue 13). The
 * home and everything written are private to the user: 0700 directories, 0600 files.
 * Core module: no printing; 0 or a negative errno, and on failure a message naming the file. */
#ifndef TAILPOD_USERFS_H
#define TAILPOD_USERFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "fs.h"

enum {
	USERFS_TIMEOUT_MS = 30000,	   /* the writing child, all files together */
	USERFS_FILE_MAX = 4 * 1024 * 1024, /* bytes of one file compared or written */
	USERFS_OPS_MAX = 4096,		   /* writes plus removes in one job */
	USERFS_HOME_MODE = 0700,	   /* the home, set by userfs_home_make_private() */
	USERFS_DIR_MODE = 0700,		   /* directories the writer creates */
	USERFS_FILE_MODE = 0600,	   /* files the writer replaces */
	/* a stamp is recorded once the file's ctime is this old: past a coarse or 1 s timestamp
	 * granularity, and past the kernel's writeback of dirty pages (30 s by default) */
	USERFS_STAMP_SETTLE_MS = 120000,
};

/* One file to replace: dir is relative to the home (".config/containers/systemd"; no "..", at least
 * one component: the home itself is no target), created with USERFS_DIR_MODE where missing (a
 * directory that exists keeps its mode); name is one path component, or a relative path below dir
 * (an app's "web/conf/app.env": no "." or ".." component; its directories are created like dir's
 * and, on removal, removed again once empty); the file gets
 * USERFS_FILE_MODE, which the user's own quadlet generator can read; size is at most
 * USERFS_FILE_MAX. */
struct userfs_write {
	const char *dir;
	const char *name;
	const char *data;
	size_t size;
};

/* One file to remove from dir (relative to the home), and the sub-directories of its name that it
 * leaves empty; a missing file or directory is fine. */
struct userfs_remove {
	const char *dir;
	const char *name;
};

struct userfs_job {
	int home_fd; /* from userfs_home_open() */
	uid_t uid;
	gid_t gid;
	const struct userfs_write *writes;
	size_t n_writes;
	const struct userfs_remove *removes;
	size_t n_removes;
	unsigned timeout_ms; /* 0 means USERFS_TIMEOUT_MS */
};

/* msg reads ".config/containers/systemd/web.container: a symlink is in the way" (or "a mount
 * point is in the way", for -EXDEV) or "writer timed out after 30 s": the path relative to the
 * home first when one is at fault,
 * lowercase, no final period. err may be NULL in every call below; it is filled on failure only. */
struct userfs_error {
	ERROR_DETAIL_MEMBERS;
	int err; /* the negative errno returned */
};

/* Open home (an absolute path from the passwd entry; its parent components are trusted, the last
 * one is not followed if it is a symlink) as a directory fd and check that it is owned by uid:
 * -ENOTDIR, -ELOOP, -EPERM (owned by someone else, message says by whom), -EINVAL (not absolute),
 * or the open's errno. */
int userfs_home_open(const char *home, uid_t uid, int *ret_fd, struct userfs_error *err);

/* The same, and *ret_private (NULL: not wanted) says whether the home is private (no permission
 * bit for group or others), from the one fstat the owner check made. */
int userfs_home_open_private(const char *home, uid_t uid, int *ret_fd, bool *ret_private,
			     struct userfs_error *err);

/* 1 when the home open as home_fd is private (no permission bit for group or others), 0 when it
 * is not (useradd's HOME_MODE, or a chmod since), or fstat's negative errno. */
int userfs_home_is_private(int home_fd);

/* Give the home open as home_fd (from userfs_home_open(): a directory owned by the user, never
 * reached through a link) USERFS_HOME_MODE with fchmod, so no path is looked up again; home is for
 * the message only. */
int userfs_home_make_private(int home_fd, const char *home, struct userfs_error *err);

/* Compare HOME/dir/name with data, reading as the caller (root) beneath home_fd without following
 * a symlink or crossing a mount point in any component and without blocking on a FIFO: 1
 * identical, 0 different (a file of another size is not read) or missing (no such file or
 * directory), -ELOOP (a symlink is in the way), -EXDEV (a mount point is in the way), -EBADFD
 * (not a regular file: FIFO, directory, socket, device), -EINVAL (dir or name as
 * struct userfs_write forbids), -EFBIG (size larger than USERFS_FILE_MAX), other read errors. */
int userfs_file_matches(int home_fd, const char *dir, const char *name, const char *data,
			size_t size, struct userfs_error *err);

/* The stamp userfs_file_matches_stamp() saw: set when the file matched and had settled — its
 * ctime settle_ms or more before the clock, so any later write gives it another ctime, whatever
 * the file system's timestamp granularity and however long a page dirtied through a shared
 * mapping (a write that sets no time until written back) may stay dirty. */
struct userfs_stamp_seen {
	unsigned settle_ms; /* in: USERFS_STAMP_SETTLE_MS, tests less */
	struct fs_stamp stamp;
};

/* userfs_file_matches() with a proof of no change (issue 16): when known (NULL: none; the stamp
 * recorded when this file was last found equal to the same data) equals the file's fstat, 1 with
 * no read; otherwise the file is read and compared. seen (NULL: not wanted) gets the stamp worth
 * recording for the next run, or none. */
int userfs_file_matches_stamp(int home_fd, const char *dir, const char *name, const char *data,
			      size_t size, const struct fs_stamp *known,
			      struct userfs_stamp_seen *seen, struct userfs_error *err);

/* userfs_file_matches_stamp() for the files of a home reached by its name base in dirfd, the
 * parent userfs_home_check_at() vouched for (base NULL: dirfd is the home itself). */
int userfs_file_matches_stamp_at(int dirfd, const char *base, const char *dir, const char *name,
				 const char *data, size_t size, const struct fs_stamp *known,
				 struct userfs_stamp_seen *seen, struct userfs_error *err);

/* userfs_home.c: the parent directory of the homes checked last, open for a run (issue 16). */
struct userfs_homes {
	int fd;		    /* < 0: none usable */
	char dir[PATH_MAX]; /* its path, "" for none */
};

void userfs_homes_init(struct userfs_homes *h);
void userfs_homes_close(struct userfs_homes *h);

/* 1 when home is a directory owned by uid that is no mount root, in a parent (opened into h,
 * kept for the next home in it) that only root can change: *ret_private says whether it is
 * private, *ret_base is home's last component, for userfs_file_matches_stamp_at(h->fd, base, ...).
 * 0 in every other case, or on any error: open the home with userfs_home_open(), which says what
 * is wrong. One statx for a home in the parent already open. */
int userfs_home_check_at(struct userfs_homes *h, const char *home, uid_t uid, bool *ret_private,
			 const char **ret_base);
/* The parent of home opened into h, as userfs_home_check_at() opens it. */
void userfs_homes_open_for(struct userfs_homes *h, const char *home);
/* userfs_home_check_at()'s check when h is open on home's parent already, else 0; h unchanged,
 * so threads may share it. */
int userfs_home_check_in(const struct userfs_homes *h, const char *home, uid_t uid,
			 bool *ret_private, const char **ret_base);

/* Run job's writes, then its removes, in a child that has become uid:gid. Stops at the first
 * failure (the files already replaced stay replaced: each write is atomic on its own). 0 when all
 * succeeded; -ETIMEDOUT (the child is killed), -EINVAL (a bad name, too many operations, uid or
 * gid 0 or -1: checked before the fork), -EFBIG (a write larger than USERFS_FILE_MAX), -EPROTO
 * (the child died without reporting, e.g. killed by its user), or the errno of the failed step.
 * Never runs anything as root in the home. */
int userfs_apply(const struct userfs_job *job, struct userfs_error *err);

#endif
