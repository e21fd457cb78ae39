/* fs.h: safe filesystem primitives for a root process working in directories other users control:
 * atomic replacement of a file (temp + fsync + rename + fsync of the directory), opening, creating
 * and unlinking beneath a directory fd without ever following a symlink or leaving it (and, on
 * request, without crossing a mount point), and bounded reads of regular files. Core module: no
 * printing; 0 (or a count) on success, negative errno on failure. Symlinks are refused, not
 * followed; hard links are not detected, so writes into a user's tree should still happen as that
 * user (DESIGN.md §5). */
#ifndef TAILPOD_FS_H
#define TAILPOD_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum {
	FS_DEPTH_MAX = 128,	 /* components in a path handled beneath a root */
	FS_TEMP_TRIES = 16,	 /* temp names tried before giving up with EEXIST */
	FS_TEMP_SUFFIX_LEN = 18, /* ".<16 hex digits>" plus the leading "." of the temp name */
	FS_READ_MAX = 256 * 1024 * 1024 /* largest max accepted by fs_read_bounded() */
};

/* Replace name in dirfd (a directory fd, O_PATH is fine, or AT_FDCWD) with data, atomically: a
 * temp file ".NAME.<random>" is created with O_EXCL|O_NOFOLLOW, given mode (permission bits only,
 * 0777 at most) with fchmod before any data, written, fsynced and renamed over name; then the
 * directory is fsynced. name is one component (no '/', not "." or ".."), -EINVAL otherwise, and at
 * most NAME_MAX - FS_TEMP_SUFFIX_LEN bytes (-ENAMETOOLONG). On failure before the rename the temp
 * is removed and the old file is untouched; a failure of the final directory fsync is returned
 * although the new content is already in place. */
int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

/* The same, and the file is fchown'ed to uid:gid before the data is written; (uid_t)-1 or
 * (gid_t)-1 keeps that id as created. */
int fs_write_atomic_owned(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			  uid_t uid, gid_t gid);

/* Open relpath beneath rootfd (or AT_FDCWD) with open(2) flags (O_CLOEXEC is always added, mode is
 * used with O_CREAT) never following a symlink in any component, the last included: -ELOOP. An
 * absolute path or a ".." component is refused with -EXDEV; empty and "." components are skipped,
 * and a path with nothing else is -EINVAL. Uses openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
 * RESOLVE_NO_MAGICLINKS) and falls back to an O_NOFOLLOW walk, one component at a time, where
 * openat2 is missing (ENOSYS) or refused (EPERM from seccomp, EINVAL, E2BIG). */
int fs_open_beneath(int rootfd, const char *relpath, int flags, mode_t mode, int *ret_fd);

/* What a lookup beneath a root may not cross, besides symlinks and "..", for the *_how functions;
 * bits of their how argument, 0 for none. */
enum {
	/* A mount point (any mount: a FUSE one a user made, a bind mount, a tmpfs): -EXDEV. openat2
	 * refuses it with RESOLVE_NO_XDEV; the fallback walk compares each step's st_dev with the
	 * root's, so it sees only a mount of another device (not a bind mount of the same file
	 * system). The walk checks a final component after opening it, so O_TRUNC and O_CREAT are
	 * not for a path the caller does not control. */
	FS_BENEATH_NO_XDEV = 1 << 0,
};

/* fs_open_beneath(), and how (FS_BENEATH_*) says what else the lookup may not cross. */
int fs_open_beneath_how(int rootfd, const char *relpath, int flags, mode_t mode, unsigned how,
			int *ret_fd);

/* Create every missing directory of relpath beneath rootfd with mode (subject to the umask, as
 * mkdir(2)), refusing symlinks and non-directories on the way (-ELOOP, -ENOTDIR). Same path rules
 * as fs_open_beneath(). Returns 1 when it created at least one directory, 0 when all existed. */
int fs_mkdir_beneath(int rootfd, const char *relpath, mode_t mode);

/* fs_mkdir_beneath(), with how as for fs_open_beneath_how(). Creation is a walk in any case, so a
 * mount point it refuses is one of another device. */
int fs_mkdir_beneath_how(int rootfd, const char *relpath, mode_t mode, unsigned how);

/* unlinkat(2) the last component of relpath beneath rootfd; flags is 0 or AT_REMOVEDIR. The
 * parent is reached as by fs_open_beneath(); the last component itself is never followed (a
 * symlink there is removed, not its target). */
int fs_unlink_beneath(int rootfd, const char *relpath, int flags);

/* fs_unlink_beneath(), with how as for fs_open_beneath_how() for the parent. */
int fs_unlink_beneath_how(int rootfd, const char *relpath, int flags, unsigned how);

/* Read a whole regular file into a NUL-terminated buffer of at most max bytes (plus the NUL):
 * -EFBIG when it is larger, -EISDIR or -EINVAL when it is not a regular file. The last component of
 * name is opened with O_NOFOLLOW (-ELOOP on a symlink); earlier components are trusted, so for a
 * tree someone else controls open it with fs_open_beneath() and call fs_read_fd_bounded(). */
int fs_read_bounded(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len);

/*
 * Open path for reading as a regular file: never following a final symlink (-ELOOP), never
 * blocking on a FIFO planted there, -EISDIR for a directory, -EBADFD for any other non-regular
 * file. The parsers of tailpod's own files (ini, envfile) start here.
 */
int fs_open_regular(const char *path, int *ret_fd);

/* The same for path relative to dirfd (or AT_FDCWD); earlier components are trusted. */
int fs_open_regular_at(int dirfd, const char *path, int *ret_fd);

/* The same from an fd open for reading; reads from the current offset. */
int fs_read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len);

/* Test hook: true makes the *_beneath functions skip openat2 and always walk, false restores
 * normal behaviour (and forgets an earlier ENOSYS). */
void fs_beneath_force_walk(bool force);

/*
 * Remove name (a single component below dirfd) and everything beneath it, never following a
 * symlink: links are unlinked, not entered. A missing name is success. Depth bounded by
 * FS_DEPTH_MAX (-ELOOP beyond). Implemented in fs_tree.c.
 */
int fs_remove_tree(int dirfd, const char *name);

#endif
