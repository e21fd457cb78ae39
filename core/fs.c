/* fs.c: atomic file replacement and symlink-proof path handling beneath a directory fd. Paths are
 * first split and checked here (no absolute path, no "..", bounded length and depth), so openat2
 * and the fallback walk see the same rules and give the same answers; openat2 is preferred because
 * the kernel then checks every step, including mount and rename races the walk cannot see. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "fs.h"
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The kernel's struct open_how and RESOLVE_* bits (linux/openat2.h, Linux 5.6), spelled out here
 * because musl and older glibc headers lack them. */
struct fs_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

enum {
	FS_RESOLVE_NO_XDEV = 0x01,
	FS_RESOLVE_NO_MAGICLINKS = 0x02,
	FS_RESOLVE_NO_SYMLINKS = 0x04,
	FS_RESOLVE_BENEATH = 0x08,
	FS_OPENAT2_TRIES = 4, /* EAGAIN means a concurrent rename raced the lookup: try again */
	FS_SYS_OPENAT2 = 437  /* the same number on every architecture */
};

/* A relative path split in place into its components, "" and "." removed. */
struct fs_path {
	char buf[PATH_MAX];
	char *comp[FS_DEPTH_MAX];
	size_t n;
};

/* Where a lookup may go: beneath rootfd and, with FS_BENEATH_NO_XDEV, on rootfd's device only
 * (the walk's check; openat2 is told RESOLVE_NO_XDEV, which sees every mount). */
struct fs_scope {
	int rootfd;
	unsigned how;
	dev_t dev;
};

/* Set by the test hook, or once openat2 answered ENOSYS: then only walk. Atomic: directory
 * loads open files on several threads (core/fileset_read.c). */
static bool fs_openat2_off;

void fs_beneath_force_walk(bool force)
{
	__atomic_store_n(&fs_openat2_off, force, __ATOMIC_RELAXED);
}

static bool fs_name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static int fs_path_split(const char *relpath, struct fs_path *p)
{
	size_t len;
	char *s;

	if (!relpath || !*relpath)
		return -EINVAL;
	if (relpath[0] == '/')
		return -EXDEV;
	len = strlen(relpath);
	if (len >= sizeof(p->buf))
		return -ENAMETOOLONG;
	memcpy(p->buf, relpath, len + 1);
	p->n = 0;
	for (s = p->buf; *s;) {
		char *c = s;

		s += strcspn(s, "/");
		if (*s)
			*s++ = '\0';
		if (!*c || strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return -EXDEV;
		if (p->n == FS_DEPTH_MAX)
			return -ENAMETOOLONG;
		p->comp[p->n++] = c;
	}
	return p->n ? 0 : -EINVAL;
}

/* The first n components joined with '/'; fits, since it is no longer than the original. */
static void fs_path_join(const struct fs_path *p, size_t n, char *out)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(p->comp[i]);

		if (i)
			out[off++] = '/';
		memcpy(out + off, p->comp[i], l);
		off += l;
	}
	out[off] = '\0';
}

static int fs_scope_init(int rootfd, unsigned how, struct fs_scope *s)
{
	if (how & ~(unsigned)FS_BENEATH_NO_XDEV)
		return -EINVAL;
	*s = (struct fs_scope){.rootfd = rootfd, .how = how};
	return 0;
}

/* The root's device, which only the walk compares with: openat2's RESOLVE_NO_XDEV needs none, so
 * the common path spends no fstat on it (issue 16). */
static int fs_scope_root_dev(struct fs_scope *s)
{
	struct stat st;

	if (!(s->how & FS_BENEATH_NO_XDEV))
		return 0;
	/* AT_EMPTY_PATH: rootfd itself, an O_PATH fd or AT_FDCWD alike. */
	if (fstatat(s->rootfd, "", &st, AT_EMPTY_PATH) < 0)
		return -errno;
	s->dev = st.st_dev;
	return 0;
}

/* A step onto another device has crossed a mount point. s NULL: nothing to check. */
static bool fs_scope_crossed(const struct fs_scope *s, const struct stat *st)
{
	return s && (s->how & FS_BENEATH_NO_XDEV) && st->st_dev != s->dev;
}

/* Refuse an O_PATH fd that names a symlink (O_PATH|O_NOFOLLOW opens the link itself) or, for the
 * walk (s not NULL), one on another device than the scope's root. */
static int fs_fd_check(int fd, bool want_dir, const struct fs_scope *s)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (fs_scope_crossed(s, &st))
		return -EXDEV;
	if (want_dir && !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

static int fs_open_dir_nofollow(int dfd, const char *name, const struct fs_scope *s, int *ret_fd)
{
	_cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = fs_fd_check(fd, true, s);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR; say ELOOP as openat2 does. The lookup only
 * picks the error code, so its race with a rename does not matter. */
static int fs_walk_error(int dfd, const char *name, int r)
{
	struct stat st;

	if (r == -ENOTDIR && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return -ELOOP;
	return r;
}

/* The final fd of a walk, on the root's device when the scope says so. */
static int fs_walk_final_check(int fd, const struct fs_scope *s)
{
	struct stat st;

	if (!(s->how & FS_BENEATH_NO_XDEV))
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	return fs_scope_crossed(s, &st) ? -EXDEV : 0;
}

static int fs_walk(const struct fs_scope *s, const struct fs_path *p, size_t n, int flags,
		   mode_t mode, int *ret_fd)
{
	_cleanup_close_ int dir = -1;
	_cleanup_close_ int fd = -1;
	int r;

	for (size_t i = 0; i + 1 < n; i++) {
		int next = -1;

		r = fs_open_dir_nofollow(dir >= 0 ? dir : s->rootfd, p->comp[i], s, &next);
		if (r < 0)
			return r;
		closep(&dir);
		dir = next;
	}
	fd = openat(dir >= 0 ? dir : s->rootfd, p->comp[n - 1], flags | O_NOFOLLOW | O_CLOEXEC,
		    mode);
	if (fd < 0)
		return fs_walk_error(dir >= 0 ? dir : s->rootfd, p->comp[n - 1], -errno);
	r = fs_walk_final_check(fd, s);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int fs_openat2(const struct fs_scope *s, const struct fs_path *p, size_t n, int flags,
		      mode_t mode, int *ret_fd)
{
	char joined[PATH_MAX];
	bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	struct fs_open_how how = {
		.flags = (uint64_t)(unsigned int)(flags | O_CLOEXEC),
		.mode = creates ? mode : 0, /* openat2 rejects a mode it would not use */
		.resolve = FS_RESOLVE_BENEATH | FS_RESOLVE_NO_SYMLINKS | FS_RESOLVE_NO_MAGICLINKS |
			   ((s->how & FS_BENEATH_NO_XDEV) ? FS_RESOLVE_NO_XDEV : 0),
	};
	long fd = -1;

	fs_path_join(p, n, joined);
	for (int i = 0; i < FS_OPENAT2_TRIES; i++) {
		fd = syscall(FS_SYS_OPENAT2, s->rootfd, joined, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	if (fd < 0)
		return -errno;
	*ret_fd = (int)fd;
	return 0;
}

/* Open the first n components of p beneath the scope's root. */
static int fs_open_path(const struct fs_scope *s, const struct fs_path *p, size_t n, int flags,
			mode_t mode, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	int r = -ENOSYS;

	if (!__atomic_load_n(&fs_openat2_off, __ATOMIC_RELAXED)) {
		r = fs_openat2(s, p, n, flags, mode, &fd);
		if (r == -ENOSYS)
			__atomic_store_n(&fs_openat2_off, true, __ATOMIC_RELAXED);
	}
	if (r == -ENOSYS || r == -EPERM || r == -EINVAL || r == -E2BIG) {
		struct fs_scope walk = *s;

		r = fs_scope_root_dev(&walk);
		if (r >= 0)
			r = fs_walk(&walk, p, n, flags, mode, &fd);
	}
	if (r < 0)
		return r;
	if (flags & O_PATH) {
		/* The mount check is done: openat2's is exact, the walk's came with each step. */
		r = fs_fd_check(fd, (flags & O_DIRECTORY) != 0, NULL);
		if (r < 0)
			return r;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* What every *_beneath_how call starts with: relpath cut into components, the scope set up. */
static int fs_beneath_start(int rootfd, const char *relpath, unsigned how, struct fs_path *p,
			    struct fs_scope *s)
{
	int r = fs_path_split(relpath, p);

	if (r < 0)
		return r;
	return fs_scope_init(rootfd, how, s);
}

int fs_open_beneath_how(int rootfd, const char *relpath, int flags, mode_t mode, unsigned how,
			int *ret_fd)
{
	struct fs_scope s;
	struct fs_path p;
	int r;

	if (!ret_fd)
		return -EINVAL;
	r = fs_beneath_start(rootfd, relpath, how, &p, &s);
	if (r < 0)
		return r;
	return fs_open_path(&s, &p, p.n, flags, mode, ret_fd);
}

int fs_open_beneath(int rootfd, const char *relpath, int flags, mode_t mode, int *ret_fd)
{
	return fs_open_beneath_how(rootfd, relpath, flags, mode, 0, ret_fd);
}

int fs_mkdir_beneath_how(int rootfd, const char *relpath, mode_t mode, unsigned how)
{
	_cleanup_close_ int dir = -1;
	struct fs_scope s;
	struct fs_path p;
	bool created = false;
	int r;

	r = fs_beneath_start(rootfd, relpath, how, &p, &s);
	if (r >= 0)
		r = fs_scope_root_dev(&s); /* every step is a walk's */
	if (r < 0)
		return r;
	for (size_t i = 0; i < p.n; i++) {
		int parent = dir >= 0 ? dir : rootfd;
		int next = -1;

		/* mkdirat never follows a symlink in its last component: that is EEXIST. */
		if (mkdirat(parent, p.comp[i], mode) == 0)
			created = true;
		else if (errno != EEXIST)
			return -errno;
		r = fs_open_dir_nofollow(parent, p.comp[i], &s, &next);
		if (r < 0)
			return r;
		closep(&dir);
		dir = next;
	}
	return created ? 1 : 0;
}

int fs_mkdir_beneath(int rootfd, const char *relpath, mode_t mode)
{
	return fs_mkdir_beneath_how(rootfd, relpath, mode, 0);
}

int fs_unlink_beneath_how(int rootfd, const char *relpath, int flags, unsigned how)
{
	_cleanup_close_ int dir = -1;
	struct fs_scope s;
	struct fs_path p;
	int r;

	if (flags != 0 && flags != AT_REMOVEDIR)
		return -EINVAL;
	r = fs_beneath_start(rootfd, relpath, how, &p, &s);
	if (r < 0)
		return r;
	if (p.n > 1) {
		r = fs_open_path(&s, &p, p.n - 1, O_PATH | O_DIRECTORY, 0, &dir);
		if (r < 0)
			return r;
	}
	if (unlinkat(dir >= 0 ? dir : rootfd, p.comp[p.n - 1], flags) < 0)
		return -errno;
	return 0;
}

int fs_unlink_beneath(int rootfd, const char *relpath, int flags)
{
	return fs_unlink_beneath_how(rootfd, relpath, flags, 0);
}

static uint64_t fs_temp_random(void)
{
	static uint64_t counter;
	struct timespec ts;
	uint64_t v = 0;

	/* Unpredictable when getrandom works; unique within this process in any case. */
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = 0;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	v ^= (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^
	     (++counter * 0x9e3779b97f4a7c15ULL);
	return v;
}

int fs_temp_create(int dirfd, const char *name, char *tmp, int *ret_fd)
{
	for (int i = 0; i < FS_TEMP_TRIES; i++) {
		int fd;

		snprintf(tmp, NAME_MAX + 1, ".%s.%016" PRIx64, name, fs_temp_random());
		fd = openat(dirfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* One write of what is left: send(MSG_NOSIGNAL) on a socket, write(2) on anything else. */
static ssize_t fs_write_some(int fd, const char *p, size_t len, bool *not_socket)
{
	ssize_t n;

	if (!*not_socket) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n >= 0 || errno != ENOTSOCK)
			return n;
		*not_socket = true;
	}
	return write(fd, p, len);
}

static int write_loop(int fd, const char *p, size_t len, bool not_socket)
{
	while (len > 0) {
		ssize_t n = fs_write_some(fd, p, len, &not_socket);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_all(int fd, const void *data, size_t len)
{
	return write_loop(fd, data, len, false);
}

int fs_write_all_file(int fd, const void *data, size_t len)
{
	return write_loop(fd, data, len, true);
}

/* Owner and mode before the data, so the content is never readable with the wrong ones. */
static int fs_temp_fill(int fd, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid)
{
	int r;

	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		return -errno;
	r = fs_write_all(fd, data, len);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

/* dirfd may be O_PATH (no fsync on it), so open the directory itself. */
int fs_fsync_dir(int dirfd)
{
	_cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

int fs_write_atomic_owned(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			  uid_t uid, gid_t gid)
{
	char tmp[NAME_MAX + 1];
	int fd = -1;
	int r;

	if (!fs_name_ok(name) || (!data && len > 0) || (mode & ~(mode_t)0777))
		return -EINVAL;
	if (strlen(name) > NAME_MAX - FS_TEMP_SUFFIX_LEN)
		return -ENAMETOOLONG;
	r = fs_temp_create(dirfd, name, tmp, &fd);
	if (r < 0)
		return r;
	r = fs_temp_fill(fd, data, len, mode, uid, gid);
	/* After fsync a close error has nothing left to report, but count it anyway. */
	if (close(fd) < 0 && r >= 0)
		r = -errno;
	if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fs_fsync_dir(dirfd);
}

int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	return fs_write_atomic_owned(dirfd, name, data, len, mode, (uid_t)-1, (gid_t)-1);
}

int fs_open_parent(const char *path, int *ret_dirfd, const char **ret_base)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	char dir[PATH_MAX];
	size_t len;
	int fd;

	if (!path || !*path || (slash && !slash[1]))
		return -EINVAL;
	len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, slash ? path : ".", len);
	dir[len] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_dirfd = fd;
	*ret_base = slash ? slash + 1 : path;
	return 0;
}

int fs_write_atomic_path(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int dirfd = -1;
	const char *base;
	int r = fs_open_parent(path, &dirfd, &base);

	if (r < 0)
		return r;
	return fs_write_atomic(dirfd, base, data, len, mode);
}
