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

/* Remove every entry of the open directory fd, then nothing else. */
static int remove_entries(int fd, unsigned depth)
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
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = remove_tree_at(dirfd(dir), de->d_name, depth + 1);
	}
	closedir(dir);
	return r;
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
	r = remove_entries(fd, depth); /* takes fd */
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

/* Add the sizes of the regular files beneath name (below dirfd) to *sum; directories on
 * another file system than dev are not entered. */
static int tree_bytes_at(int dirfd, const char *name, dev_t dev, unsigned depth,
			 unsigned long long *sum)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;
	struct dirent *de;
	struct stat st;
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
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
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = errno == ENOENT ? 0 : -errno; /* removed while we looked: no bytes */
		else if (S_ISREG(st.st_mode))
			*sum += (unsigned long long)st.st_size;
		else if (S_ISDIR(st.st_mode) && st.st_dev == dev)
			r = depth + 1 > FS_DEPTH_MAX
				    ? -ELOOP
				    : tree_bytes_at(fd, de->d_name, dev, depth + 1, sum);
	}
	closedir(dir);
	return r;
}

int fs_tree_bytes(int dirfd, const char *name, unsigned long long *ret_bytes)
{
	unsigned long long sum = 0;
	struct stat st;
	int r;

	if (!name || !*name || strchr(name, '/') || strcmp(name, "..") == 0)
		return -EINVAL;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	r = tree_bytes_at(dirfd, name, st.st_dev, 0, &sum);
	if (r == 0)
		*ret_bytes = sum;
	return r;
}
