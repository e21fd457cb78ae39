/* fs.h: safe filesystem primitives for a root process working in directories other users control:
 * atomic replacement of a file (temp + fsync + rename + fsync of the directory), opening, creating
 * and unlinking beneath a directory fd without ever following a symlink or leaving it (and, on
 * request, without crossing a mount point), and bounded reads of trusted regular files. Core
 * module: no printing; 0 (or a count) on success, negative errno on failure. Symlinks are refused,
 * not followed; hard links are not detected, so writes into a user's tree should still happen as
 * that user (DESIGN.md §5). */
#ifndef TAILPOD_FS_H
#define TAILPOD_FS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

enum {
	FS_DEPTH_MAX = 128,	 /* components in a path handled beneath a root */
	FS_TEMP_TRIES = 16,	 /* temp names tried before giving up with EEXIST */
	FS_TEMP_SUFFIX_LEN = 18, /* ".<16 hex digits>" plus the leading "." of the temp name */
	FS_READ_MAX = 256 * 1024 * 1024, /* largest max accepted by fs_read_bounded() */
	FS_READ_SMALL = 4096,		 /* fs_read_small()'s first read, on the stack */
};

/* What fstat says of a file that proves it unwritten since (issue 16): a write, truncate, chmod,
 * link or rename sets ctime to the kernel's clock, which no user can set, so a file with all five
 * fields equal to an earlier stamp is the inode seen then, not written since. set: the fields
 * hold a stamp. */
struct fs_stamp {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	bool set;
};

void fs_stamp_of(const struct stat *st, struct fs_stamp *ret);
bool fs_stamp_equal(const struct fs_stamp *a, const struct fs_stamp *b);

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

/* Create ".NAME.<random>" in dirfd with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, open for writing:
 * a new file of ours whatever the directory's owner planted; its name goes to tmp (NAME_MAX + 1
 * bytes). -EEXIST after FS_TEMP_TRIES names taken. */
int fs_temp_create(int dirfd, const char *name, char *tmp, int *ret_fd);

/* Write all len bytes of data to fd, retrying short writes and EINTR: 0, or -errno (-EIO when
 * nothing more can be written). On a socket with send(MSG_NOSIGNAL), so a peer that hung up is
 * -EPIPE rather than SIGPIPE; a pipe keeps write(2)'s SIGPIPE. */
int fs_write_all(int fd, const void *data, size_t len);
/* fs_write_all for an fd known to be no socket (a file the caller created): write(2) only, not
 * the send() fs_write_all tries first — one failed syscall a call saved where there are many. */
int fs_write_all_file(int fd, const void *data, size_t len);

/* Open the directory that holds path (a path of the caller's, trusted up to its last component)
 * and point *ret_base at that last component inside path: "." for a path without '/', "/" for
 * "/x". -EINVAL when path is empty or ends in '/', -ENAMETOOLONG when the directory passes
 * PATH_MAX. The place beside which fs_write_atomic() and the *_beneath functions work. */
int fs_open_parent(const char *path, int *ret_dirfd, const char **ret_base);

/* fs_write_atomic() of path's last component in the directory fs_open_parent() opens. */
int fs_write_atomic_path(const char *path, const void *data, size_t len, mode_t mode);

/* fsync the directory dirfd (O_PATH is fine: the directory is opened again for it). */
int fs_fsync_dir(int dirfd);

/* core/fs_atomic.c: fs_write_atomic_path() with the data written in pieces. begin creates the temp
 * file beside path (fs_temp_create) with mode; write appends; commit fsyncs it, renames it over
 * path and fsyncs the directory (whose failure is returned although the new content is in
 * place); abort, or a failed begin or commit, removes the temp and leaves the old file untouched.
 * Each ends with f released. */
struct fs_atomic_file {
	int dirfd, fd;
	char tmp[NAME_MAX + 1];	 /* the temp's name; "" once renamed */
	char name[NAME_MAX + 1]; /* path's last component */
};
int fs_atomic_begin(const char *path, mode_t mode, struct fs_atomic_file *f);
int fs_atomic_write(struct fs_atomic_file *f, const void *data, size_t len);
int fs_atomic_commit(struct fs_atomic_file *f);
void fs_atomic_abort(struct fs_atomic_file *f);

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

/*
 * Reading files (fs_read.c), shaped like systemd's read_full_file_full(READ_FULL_FILE_SECURE):
 * the final component is opened with O_NOFOLLOW and O_NONBLOCK (a FIFO planted there never blocks
 * us), checked on the open fd with fstat, and read bounded. Earlier components are trusted, so for
 * a tree someone else controls, open with fs_open_beneath() and call fs_read_fd_full().
 *
 * One errno per condition, for every function below and for the parsers that start here (ini,
 * envfile, config, desired, sshkey, mint-key's policy and OAuth file):
 *   -ELOOP    the final component is a symbolic link (it is never followed)
 *   -EISDIR   a directory
 *   -EBADFD   any other file that is not regular (FIFO, socket, device)
 *   -EFBIG    more than max bytes (exactly max is read)
 *   -EPERM    owned by a user the trust rules do not accept
 *   -EACCES   a permission bit the trust rules forbid is set (group/other-writable, or readable)
 *   -EINVAL   a bad argument (NULL, empty path, max above FS_READ_MAX)
 *   and open(2)'s or read(2)'s own errno otherwise (-ENOENT, -EACCES from open, -ENOMEM ...).
 */

/* Who may own a trusted file and which permission bits it must not have. */
struct fs_trust {
	uid_t owner;	  /* the owner required */
	bool or_root;	  /* root may own it as well (a service reading root's file or its own) */
	mode_t deny_mode; /* FS_DENY_* bits that must be clear */
};

enum {
	FS_DENY_SHARED_WRITE = 022, /* steers what root does: writable by its owner only */
	FS_DENY_SHARED = 077,	    /* a secret: no access at all for group and others */
};

/* Flags of the reads. */
enum {
	/* The content is a secret: growing the buffer copies and wipes instead of realloc, every
	 * error path wipes what was read, and the caller frees with fs_free_wiped(). */
	FS_READ_SECURE = 1 << 0,
};

/* Open path (relative to dirfd, or AT_FDCWD) for reading as a regular file, as above. trust NULL
 * checks the type only. ret_st, when not NULL, receives the fstat of the file as soon as there is
 * one, also when the file is then refused (-EPERM, -EACCES), for the caller's message. */
int fs_open_trusted(int dirfd, const char *path, const struct fs_trust *trust, int *ret_fd,
		    struct stat *ret_st);

/* Read from fd's current offset into a NUL-terminated buffer of at most max bytes (plus the NUL);
 * fd must be a regular file. flags: FS_READ_*. On failure *ret is untouched. */
int fs_read_fd_full(int fd, size_t max, unsigned flags, char **ret, size_t *ret_len);

/* fs_open_trusted() then fs_read_fd_full(): the whole trusted-file read in one call. */
int fs_read_trusted(int dirfd, const char *path, const struct fs_trust *trust, size_t max,
		    unsigned flags, char **ret, size_t *ret_len);

/* Wipe len bytes of buf (and its NUL) and free it; NULL is fine. For FS_READ_SECURE buffers. */
void fs_free_wiped(char *buf, size_t len);

/* Shorthands without trust rules or flags, for files tailpod itself keeps. */
int fs_read_bounded(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len);
int fs_open_regular_at(int dirfd, const char *path, int *ret_fd);
int fs_read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len);

/* fs_read_bounded() for a small file in a tree only root can change (tailpod's records, the
 * kernel's cgroupfs), in open, read, close: a first read of up to FS_READ_SMALL bytes that
 * returns fewer is the whole file and needs no fstat (issue 16: the no-op's two files a workload).
 * An empty read, a full one or one past max is decided as fs_read_bounded() does (type, size), so
 * a directory, a symlink, a device or an empty FIFO is refused with the same errno; a FIFO or a
 * device that gives a short read is not, and in those trees only root could put one. */
int fs_read_small(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
/* The same into the caller's buf of size bytes when the file is shorter: *ret_data points into buf
 * (not NUL-terminated) and *ret_heap is NULL; otherwise *ret_data is *ret_heap, malloc'd and
 * NUL-terminated, the caller's to free. No malloc and free a file (issue 16: the no-op reads a
 * record a workload; its buffer, alone in its size's group of musl's heap, was unmapped and
 * mapped again for each). */
int fs_read_small_in(int dirfd, const char *path, char *buf, size_t size, size_t max,
		     char **ret_heap, const char **ret_data, size_t *ret_len);

/* The file open on fd (at offset 0, opened O_NONBLOCK) read whole in one read into buf when it is
 * shorter than size bytes and at most max: 0, *ret NULL and the length in *ret_len, no fstat
 * (issue 16). Otherwise (empty, a FIFO, as large as buf, past max) it is decided and read from the
 * start as fs_read_fd_bounded() does: 0 with a malloc'd NUL-terminated *ret, or its errno. A FIFO
 * or a device that gives a short read passes unchecked: the caller argues why none can be there. */
int fs_read_fd_once(int fd, char *buf, size_t size, size_t max, char **ret, size_t *ret_len);

/* Test hook: true makes the *_beneath functions skip openat2 and always walk, false restores
 * normal behaviour (and forgets an earlier ENOSYS). */
void fs_beneath_force_walk(bool force);

/*
 * Remove name (a single component below dirfd) and everything beneath it, never following a
 * symlink: links are unlinked, not entered. A missing name is success. Depth bounded by
 * FS_DEPTH_MAX (-ELOOP beyond). Implemented in fs_tree.c.
 */
int fs_remove_tree(int dirfd, const char *name);

/*
 * The bytes of the regular files beneath the directory name (a single component below dirfd,
 * or "." for dirfd itself) into *ret_bytes: what removing the tree frees, a file with several
 * links counted once per link. No symlink followed, no other file system entered, depth bounded
 * by FS_DEPTH_MAX (-ELOOP beyond); -ENOTDIR when name is not a directory. In fs_tree.c.
 */
int fs_tree_bytes(int dirfd, const char *name, unsigned long long *ret_bytes);

#endif
