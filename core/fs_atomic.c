/* fs_atomic.c: a file replaced atomically whose content is written in pieces — fs_write_atomic's
 * steps (a new temp file beside it, its mode before any data, fsync, rename, the directory's
 * fsync) with the data given a piece at a time, so that a long document (sync's status.json of
 * 10 000 workloads) is never whole in memory. */
#include "fs.h"
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_atomic_begin(const char *path, mode_t mode, struct fs_atomic_file *f)
{
	const char *base;
	int r;

	*f = (struct fs_atomic_file){.dirfd = -1, .fd = -1};
	if (mode & ~(mode_t)0777)
		return -EINVAL;
	r = fs_open_parent(path, &f->dirfd, &base);
	if (r < 0)
		return r;
	if (strlen(base) > NAME_MAX - FS_TEMP_SUFFIX_LEN)
		r = -ENAMETOOLONG;
	else if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		r = -EINVAL;
	if (r >= 0)
		r = fs_temp_create(f->dirfd, base, f->tmp, &f->fd);
	if (r >= 0 && fchmod(f->fd, mode) < 0)
		r = -errno;
	if (r < 0) {
		fs_atomic_abort(f);
		return r;
	}
	snprintf(f->name, sizeof(f->name), "%s", base);
	return 0;
}

int fs_atomic_write(struct fs_atomic_file *f, const void *data, size_t len)
{
	return f->fd < 0 ? -EBADF : fs_write_all(f->fd, data, len);
}

int fs_atomic_commit(struct fs_atomic_file *f)
{
	int r = f->fd < 0 ? -EBADF : 0;

	if (r >= 0 && fsync(f->fd) < 0)
		r = -errno;
	/* After fsync a close error has nothing left to report, but count it anyway. */
	if (f->fd >= 0 && close(f->fd) < 0 && r >= 0)
		r = -errno;
	f->fd = -1;
	if (r >= 0 && renameat(f->dirfd, f->tmp, f->dirfd, f->name) < 0)
		r = -errno;
	if (r >= 0) {
		f->tmp[0] = '\0'; /* renamed: nothing to remove */
		r = fs_fsync_dir(f->dirfd);
	}
	fs_atomic_abort(f);
	return r;
}

void fs_atomic_abort(struct fs_atomic_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp[0] && f->dirfd >= 0)
		(void)unlinkat(f->dirfd, f->tmp, 0);
	if (f->dirfd >= 0)
		close(f->dirfd);
	*f = (struct fs_atomic_file){.dirfd = -1, .fd = -1};
}
