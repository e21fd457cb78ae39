/* fileset_load.c: fileset_load_dir(), a directory read into a file set (module boundary: core,
 * libc, fs, diag). The walk goes down to FILESET_DEPTH_MAX, each entry's type from getdents
 * (fstatat(AT_SYMLINK_NOFOLLOW) where the file system gives none), and opens files through
 * fs_open_beneath(), so a symlink planted anywhere in the tree, or swapped in between the look and
 * the open, is never read through (and reported where a unit could be). Directories are listed
 * with getdents64 in 32 KiB, files read with one read where it sees the end (issue 16). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* syscall() */
#endif

#include "fileset.h"
#include "core.h"
#include "fileset_read.h"
#include "fs.h"
#include "utf8.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	FILESET_DIRENT_BUF = 32 * 1024, /* getdents64's buffer, on the stack of each depth */
};

/* A record getdents64 writes: the kernel's struct linux_dirent64 (libcs name it differently). */
struct dirent64_kernel {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct loader {
	int rootfd;
	const char *label;
	unsigned flags;
	struct fileset *set;
	struct diag_list *diags;
	size_t n_entries;
	struct fileset_readq *queue; /* the files found, read a batch at a time (fileset_read.h) */
};

static bool name_printable(const char *name)
{
	size_t n = strlen(name);

	if (!utf8_is_valid(name, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return false;
	return true;
}

/* A bound of the whole tree: reported on the root. */
static int bound_hit(struct loader *l, const char *what)
{
	diag_add(l->diags, l->label, NULL, 1, "more than %s; nothing is read", what);
	return -E2BIG;
}

/* Read the regular file at relpath (getdents said DT_REG, or fstatat did) into *ret / *ret_len:
 * in buf with one read and no fstat when it is shorter than buf (issue 16), else malloc'd in
 * *heap through the fstat, the type check and the bounded read (FILESET_FILE_MAX exact).
 * Skipping the fstat is safe: the open refuses a symlink anywhere on the path (openat2, no
 * symlinks) and a socket (ENXIO), cannot block on a FIFO nor take a terminal (O_NONBLOCK,
 * O_NOCTTY), and a read of a directory fails (EISDIR); an empty read (an empty file, a FIFO with
 * no writer or no data), a full one, or EAGAIN (a terminal) goes the fstat way and refuses what is
 * not a regular file. What passes unchecked is a FIFO swapped in whose writer has written a few
 * bytes, or a device that gives a short read: bytes whoever can write the tree could have put in
 * a file there (git, the fetch's source, holds no FIFO nor device; a device needs CAP_MKNOD), and
 * never more than buf holds. */
static int read_file(struct loader *l, const char *relpath, char *buf, size_t size, char **heap,
		     const char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = fs_open_beneath(l->rootfd, relpath, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &fd);
	if (r >= 0)
		r = fs_read_fd_once(fd, buf, size, FILESET_FILE_MAX, heap, ret_len);
	if (r < 0)
		return r;
	*ret = *heap ? *heap : buf;
	return 0;
}

/* What a read of relpath gave (r, and data/size when r is 0) made part of the set. strict: a unit
 * file (or a FILESET_LOAD_ALL tree), whose problems are diagnostics; any other file that cannot be
 * kept is left out. */
static int keep_file(struct loader *l, const char *relpath, bool strict, int r, const char *data,
		     size_t size)
{
	if (r < 0 && r != -ENOMEM && !strict)
		return 0;
	if (r == -ELOOP)
		return diag_add(l->diags, l->label, relpath, 1, "symlink not followed");
	if (r == -EFBIG)
		return diag_add(l->diags, l->label, relpath, 1,
				"file larger than %d bytes (FILESET_FILE_MAX)", FILESET_FILE_MAX);
	if (r == -EINVAL || r == -EISDIR)
		return diag_add(l->diags, l->label, relpath, 1, "not a regular file");
	if (r < 0)
		return diag_add(l->diags, l->label, relpath, 1, "cannot read: %s", strerror(-r));
	r = fileset_add(l->set, relpath, data, size);
	if (r == -E2BIG)
		return bound_hit(l, l->set->n_files >= FILESET_FILES_MAX
					    ? "65536 files (FILESET_FILES_MAX)"
					    : "268435456 bytes in all (FILESET_TOTAL_MAX)");
	return r < 0 ? r : 0;
}

/* The file read on this thread and kept. */
static int load_file_here(struct loader *l, const char *relpath, bool strict)
{
	char buf[FILESET_READ_ONCE];
	_cleanup_free_ char *heap = NULL;
	const char *data = NULL;
	size_t size = 0;
	int r;

	r = read_file(l, relpath, buf, sizeof(buf), &heap, &data, &size);
	return keep_file(l, relpath, strict, r, data, size);
}

/* The queued files read (on threads) and kept in the walk's order, the ones the readers left
 * read here; stops at the first failure, as the walk does. */
static int load_queued(struct loader *l)
{
	struct fileset_readq *q = l->queue;
	int r = 0;

	fileset_readq_read(q, l->rootfd);
	for (size_t i = 0; r >= 0 && i < q->n; i++) {
		const struct fileset_readq_item *it = &q->items[i];
		const char *relpath = fileset_readq_path(q, i);

		r = it->deferred ? load_file_here(l, relpath, it->strict)
				 : keep_file(l, relpath, it->strict, it->err, it->data, it->size);
	}
	fileset_readq_clear(q);
	return r;
}

static int load_file(struct loader *l, const char *relpath, bool strict)
{
	int r = fileset_readq_add(l->queue, relpath, strict);

	if (r < 0)
		return r;
	return fileset_readq_full(l->queue) ? load_queued(l) : 0;
}

static int load_tree(struct loader *l, int dirfd, const char *dir, unsigned depth);

/* The entry's type from getdents (issue 16: no fstatat a file), or from fstatat where the file
 * system does not say; the open and read that follow check the file again either way. */
static int entry_mode(int dirfd, const struct dirent64_kernel *de, mode_t *ret)
{
	static const struct {
		unsigned char d_type;
		mode_t mode;
	} types[] = {{DT_REG, S_IFREG},	  {DT_DIR, S_IFDIR}, {DT_LNK, S_IFLNK}, {DT_FIFO, S_IFIFO},
		     {DT_SOCK, S_IFSOCK}, {DT_CHR, S_IFCHR}, {DT_BLK, S_IFBLK}};
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (de->d_type == types[i].d_type) {
			*ret = types[i].mode;
			return 0;
		}
	if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*ret = st.st_mode;
	return 0;
}

/* "dir/name" (or name at the root) into buf; false when it does not fit. Not snprintf: this
 * runs for every entry of the tree, and snprintf was a third of the walk's instructions. */
static bool path_join(char *buf, size_t size, const char *dir, const char *name)
{
	size_t n_dir = strlen(dir), n_name = strlen(name), sep = n_dir > 0;

	if (n_dir + sep + n_name >= size)
		return false;
	memcpy(buf, dir, n_dir);
	buf[n_dir] = '/';
	memcpy(buf + n_dir + sep, name, n_name + 1);
	return true;
}

static int load_entry(struct loader *l, int dirfd, const char *dir, unsigned depth,
		      const struct dirent64_kernel *de)
{
	const char *name = de->d_name;
	char relpath[FILESET_PATH_MAX + 1];
	mode_t mode;
	bool strict;
	int r;

	if (name[0] == '.')
		return 0; /* ".", "..", and hidden entries such as .git */
	if (!path_join(relpath, sizeof(relpath), dir, name))
		return 0; /* deeper than any unit is read: not part of the desired state */
	r = entry_mode(dirfd, de, &mode);
	if (r < 0)
		return r == -ENOENT ? 0
				    : diag_add(l->diags, l->label, relpath, 1, "cannot stat: %s",
					       strerror(-r));
	if (S_ISDIR(mode)) {
		if ((l->flags & FILESET_LOAD_FLAT) || depth + 1 >= FILESET_DEPTH_MAX)
			return 0; /* a transform directory is its root; deeper is not ours */
		return load_tree(l, dirfd, relpath, depth + 1);
	}
	strict = (l->flags & FILESET_LOAD_ALL) || fileset_is_unit_name(name);
	/* A symlink at the root without an extension may stand for a directory of specs. */
	if (S_ISLNK(mode) && (strict || (!*dir && !strchr(name, '.'))))
		return diag_add(l->diags, l->label, relpath, 1, "symlink not followed");
	if (S_ISLNK(mode))
		return 0;
	if (!name_printable(name))
		return strict ? diag_add(l->diags, l->label, relpath, 1,
					 "file name is not UTF-8 or has control characters")
			      : 0;
	if (!S_ISREG(mode))
		return strict ? diag_add(l->diags, l->label, relpath, 1, "not a regular file") : 0;
	return load_file(l, relpath, strict);
}

enum { NAME_AT = offsetof(struct dirent64_kernel, d_name) };

/* Each entry of the directory listed in buf (n bytes from getdents64), until an error. */
static int load_entries(struct loader *l, int fd, const char *dir, unsigned depth, const char *buf,
			size_t n)
{
	size_t off = 0;
	int r = 0;

	while (r >= 0 && off < n) {
		const struct dirent64_kernel *de = (const void *)(buf + off);
		size_t reclen = n - off > NAME_AT ? de->d_reclen : 0;

		/* The kernel's records: 8-aligned, each name NUL-terminated within its record. */
		if (reclen <= NAME_AT || reclen > n - off || reclen % 8 != 0 ||
		    !memchr(de->d_name, '\0', reclen - NAME_AT))
			return diag_add(l->diags, l->label, dir, 1, "cannot read directory: %s",
					strerror(EIO));
		off += reclen;
		if (++l->n_entries > FILESET_ENTRIES_MAX)
			return bound_hit(l, "1048576 directory entries (FILESET_ENTRIES_MAX)");
		r = load_entry(l, fd, dir, depth, de);
	}
	return r;
}

/* The directory listed with getdents64 into a buffer on this frame's stack (FILESET_DIRENT_BUF:
 * a few calls a directory, not one per 2 KiB as readdir's; issue 16), one per depth of the walk:
 * the entries of a directory are read while its subdirectories are walked. */
static int load_tree(struct loader *l, int parentfd, const char *dir, unsigned depth)
{
	_Alignas(8) char buf[FILESET_DIRENT_BUF];
	_cleanup_close_ int fd = -1;
	int r = 0;

	if (!*dir)
		fd = fcntl(parentfd, F_DUPFD_CLOEXEC, 3);
	else {
		r = fs_open_beneath(l->rootfd, dir, O_RDONLY | O_DIRECTORY, 0, &fd);
		if (r < 0)
			return diag_add(l->diags, l->label, dir, 1, "cannot open directory: %s",
					strerror(-r));
	}
	if (fd < 0)
		return -errno;
	while (r >= 0) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return diag_add(l->diags, l->label, dir, 1, "cannot read directory: %s",
					strerror(errno));
		if (n == 0)
			break;
		r = load_entries(l, fd, dir, depth, buf, (size_t)n);
	}
	return r;
}

int fileset_load_dir(const char *path, const char *label, unsigned flags, struct fileset **ret,
		     struct diag_list *diags)
{
	_cleanup_close_ int rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct loader l = {.rootfd = rootfd, .label = label, .flags = flags, .diags = diags};
	int r;

	if (rootfd < 0)
		return -errno;
	r = fileset_new(&l.set);
	if (r < 0)
		return r;
	l.queue = malloc(sizeof(*l.queue));
	if (!l.queue) {
		fileset_free(l.set);
		return -ENOMEM;
	}
	fileset_readq_init(l.queue);
	r = load_tree(&l, rootfd, "", 0);
	if (r >= 0)
		r = load_queued(&l);
	fileset_readq_release(l.queue);
	free(l.queue);
	if (r >= 0 && diags->error)
		r = diags->error;
	if (r < 0) {
		fileset_free(l.set);
		return r;
	}
	(void)fileset_sort(l.set); /* names in one directory are unique */
	*ret = l.set;
	return 0;
}
