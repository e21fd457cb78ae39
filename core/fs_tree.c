/*
 * fs_tree.c: a whole directory tree, walked without ever following a symlink: removed (a corrupt
 * local git repository, what gc reaps), or its bytes counted (what gc's report says a removal
 * frees). Symlinks inside the tree are unlinked as links, never entered; the walk is bounded in
 * depth so a hostile tree cannot exhaust the stack.
 */
#include "fs.h"

#include "core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int remove_tree_at(int dirfd, const char *name, unsigned depth);

/* fn(dirfd, name, arg) for each entry of the open directory fd but "." and "..", until one
 * fails; takes fd. */
static int each_entry(int fd, int (*fn)(int dirfd, const char *name, void *arg), void *arg)
{
	DIR *dir = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			r = errno ? -errno : 0;
			break;
		}
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = fn(dirfd(dir), de->d_name, arg);
	}
	closedir(dir);
	return r;
}

/* An entry of a directory at depth *arg, removed with all beneath it. */
static int remove_entry(int dirfd, const char *name, void *arg)
{
	return remove_tree_at(dirfd, name, *(const unsigned *)arg + 1);
}

static int remove_tree_at(int dirfd, const char *name, unsigned depth)
{
	struct stat st;
	int fd, r;

	if (depth > FS_DEPTH_MAX)
		return -ELOOP;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = each_entry(fd, remove_entry, &depth); /* takes fd */
	if (r < 0)
		return r;
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int fs_remove_tree(int dirfd, const char *name)
{
	if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL;
	return remove_tree_at(dirfd, name, 0);
}

struct tree_bytes {
	dev_t dev;	/* the file system counted: directories on another are not entered */
	unsigned depth; /* of the directory whose entries are being counted */
	unsigned long long sum;
};

static int count_entry(int dirfd, const char *name, void *arg);

/* Add the sizes of the regular files beneath name (below dirfd, at depth t->depth) to t->sum. */
static int tree_bytes_at(int dirfd, const char *name, struct tree_bytes *t)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : each_entry(fd, count_entry, t);
}

static int count_entry(int dirfd, const char *name, void *arg)
{
	struct tree_bytes *t = arg;
	struct stat st;
	int r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno; /* removed while we looked: no bytes */
	if (S_ISREG(st.st_mode))
		t->sum += (unsigned long long)st.st_size;
	if (!S_ISDIR(st.st_mode) || st.st_dev != t->dev)
		return 0;
	if (t->depth + 1 > FS_DEPTH_MAX)
		return -ELOOP;
	t->depth++;
	r = tree_bytes_at(dirfd, name, t);
	t->depth--;
	return r;
}

int fs_tree_bytes(int dirfd, const char *name, unsigned long long *ret_bytes)
{
	struct tree_bytes t = {0};
	struct stat st;
	int r;

	if (!name || !*name || strchr(name, '/') || strcmp(name, "..") == 0)
		return -EINVAL;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	t.dev = st.st_dev;
	r = tree_bytes_at(dirfd, name, &t);
	if (r == 0)
		*ret_bytes = t.sum;
	return r;
}
