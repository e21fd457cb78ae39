/* fs_read.c: the one way tailpod reads a file: open without following a final symlink or blocking
 * on a FIFO, decide on the open fd (type, owner, mode), read with a bound. Every reader of a file
 * that steers what root does (config, desired's token, ssh keys, mint-key's policy and OAuth file)
 * and the bounded parsers (ini, envfile) start here, so they refuse the same things with the
 * same errno (fs.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "fs.h"
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fs_check_type(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EBADFD;
	return 0;
}

static int fs_check_trust(const struct stat *st, const struct fs_trust *trust)
{
	if (st->st_uid != trust->owner && !(trust->or_root && st->st_uid == 0))
		return -EPERM;
	if (st->st_mode & trust->deny_mode & 0777)
		return -EACCES;
	return 0;
}

int fs_open_trusted(int dirfd, const char *path, const struct fs_trust *trust, int *ret_fd,
		    struct stat *ret_st)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (!path || !*path || !ret_fd)
		return -EINVAL;
	/* O_NONBLOCK: a FIFO planted at the path must not hang us before the type check. */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (ret_st)
		*ret_st = st;
	r = fs_check_type(&st);
	if (r == 0 && trust)
		r = fs_check_trust(&st, trust);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

void fs_free_wiped(char *buf, size_t len)
{
	if (!buf)
		return;
	explicit_bzero(buf, len + 1);
	free(buf);
}

/* A buffer being filled; secure ones never leave a copy behind in freed memory. */
struct fs_buf {
	char *data;
	size_t len, cap;
	bool secure;
};

static void fs_buf_drop(struct fs_buf *b)
{
	if (b->secure && b->data)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	b->data = NULL;
}

static int fs_buf_grow(struct fs_buf *b, size_t cap)
{
	char *p;

	if (!b->secure) {
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
	} else {
		/* realloc may move the data and free the old block unwiped: copy, then wipe. */
		p = malloc(cap);
		if (!p)
			return -ENOMEM;
		if (b->len)
			memcpy(p, b->data, b->len);
		fs_buf_drop(b);
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

/* One byte more than max is never kept: probe for it instead. */
static int fs_read_probe_more(int fd)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n > 0 ? -EFBIG : 0;
}

/* Fill b (capacity from the size fstat saw, expect) until EOF, growing up to max + 1 bytes when
 * the file grew since (procfs files say size 0). A read asked for more than is left that ends at
 * exactly the size fstat saw is the end of the file: no second read to hear it (issue 16: one read
 * a file). */
static int fs_buf_fill(struct fs_buf *b, int fd, size_t max, size_t expect)
{
	for (;;) {
		size_t want;
		ssize_t n;
		int r;

		if (b->len + 1 == b->cap && b->len == max)
			return fs_read_probe_more(fd);
		if (b->len + 1 == b->cap) {
			r = fs_buf_grow(b, b->cap > max / 2 ? max + 1 : b->cap * 2);
			if (r < 0)
				return r;
		}
		want = b->cap - 1 - b->len;
		n = read(fd, b->data + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		if (b->len == expect && (size_t)n < want)
			return 0;
	}
}

/* Read the file open on fd, whose fstat is st, into a NUL-terminated buffer. */
static int fs_read_stat(int fd, const struct stat *st, size_t max, unsigned flags, char **ret,
			size_t *ret_len)
{
	struct fs_buf b = {.secure = flags & FS_READ_SECURE};
	size_t size;
	int r = fs_check_type(st);

	if (r < 0)
		return r;
	if ((uint64_t)st->st_size > max)
		return -EFBIG;
	size = (size_t)st->st_size;
	/* One byte of room past the size, to hear the end in the same read. */
	r = fs_buf_grow(&b, size < max ? size + 2 : size + 1);
	if (r >= 0)
		r = fs_buf_fill(&b, fd, max, size);
	if (r < 0) {
		fs_buf_drop(&b);
		return r;
	}
	b.data[b.len] = '\0';
	*ret = b.data;
	if (ret_len)
		*ret_len = b.len;
	return 0;
}

int fs_read_fd_full(int fd, size_t max, unsigned flags, char **ret, size_t *ret_len)
{
	struct stat st;

	if (fd < 0 || !ret || max > FS_READ_MAX || (flags & ~(unsigned)FS_READ_SECURE))
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return -errno;
	return fs_read_stat(fd, &st, max, flags, ret, ret_len);
}

int fs_read_trusted(int dirfd, const char *path, const struct fs_trust *trust, size_t max,
		    unsigned flags, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (!ret || max > FS_READ_MAX || (flags & ~(unsigned)FS_READ_SECURE))
		return -EINVAL;
	r = fs_open_trusted(dirfd, path, trust, &fd, &st);
	if (r < 0)
		return r;
	/* The open's fstat is the one the read goes by: no second one. */
	return fs_read_stat(fd, &st, max, flags, ret, ret_len);
}

/* len bytes of data into a malloc'd NUL-terminated copy. */
static int fs_copy_out(const char *data, size_t len, char **ret, size_t *ret_len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	copy[len] = '\0';
	*ret = copy;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int fs_read_fd_once(int fd, char *buf, size_t size, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	ssize_t n;
	int r;

	if (fd < 0 || !buf || size == 0 || !ret || !ret_len || max > FS_READ_MAX)
		return -EINVAL;
	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN)
		return -errno; /* -EISDIR for a directory, as the type check says it */
	/* Some bytes, fewer than asked: a regular file (or a kernel file) read whole. */
	if (n > 0 && (size_t)n < size && (size_t)n <= max) {
		*ret = NULL;
		*ret_len = (size_t)n;
		return 0;
	}
	/* Empty (or a FIFO), as large as the buffer, or over max: the type check and the bounded
	 * read decide, from the start. */
	if (fstat(fd, &st) < 0)
		return -errno;
	r = fs_check_type(&st);
	if (r < 0)
		return r;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return fs_read_stat(fd, &st, max, 0, ret, ret_len);
}

int fs_read_small_in(int dirfd, const char *path, char *buf, size_t size, size_t max,
		     char **ret_heap, const char **ret_data, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (!path || !*path || !ret_heap || !ret_data || !ret_len || max > FS_READ_MAX)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = fs_read_fd_once(fd, buf, size, max, ret_heap, ret_len);
	if (r >= 0)
		*ret_data = *ret_heap ? *ret_heap : buf;
	return r;
}

int fs_read_small(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
	char first[FS_READ_SMALL];
	const char *data;
	size_t len;
	int r;

	if (!ret)
		return -EINVAL;
	r = fs_read_small_in(dirfd, path, first, sizeof(first), max, ret, &data, &len);
	if (r < 0)
		return r;
	if (!*ret)
		return fs_copy_out(data, len, ret, ret_len);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int fs_read_bounded(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	return fs_read_trusted(dirfd, name, NULL, max, 0, ret, ret_len);
}

int fs_open_regular_at(int dirfd, const char *path, int *ret_fd)
{
	return fs_open_trusted(dirfd, path, NULL, ret_fd, NULL);
}

int fs_read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len)
{
	return fs_read_fd_full(fd, max, 0, ret, ret_len);
}

void fs_stamp_of(const struct stat *st, struct fs_stamp *ret)
{
	*ret = (struct fs_stamp){
		.dev = (uint64_t)st->st_dev,
		.ino = (uint64_t)st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
		.ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec,
		.set = true,
	};
}

bool fs_stamp_equal(const struct fs_stamp *a, const struct fs_stamp *b)
{
	return a->set && b->set && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}
