/* walk.c: a tree read as root for an archive — reached beneath a trusted directory fd without
 * following any symlink (core/fs), each entry lstat'ed before it is opened (a device node or FIFO
 * is never opened, only noted) and opened O_NOFOLLOW and checked to be the inode it was, no mount
 * point crossed, every path asked of core/backup_exclude first: a secret is noted in the MANIFEST
 * and never opened. Two fixed path buffers serve the whole walk; depth is bounded. */
#include "backup.h"

#include "core.h"
#include "fs.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct walk {
	struct backup_out *o;
	char host[PATH_MAX], arc[PATH_MAX]; /* the entry's host path and member path */
	size_t host_len, arc_len;
	dev_t dev; /* the root's file system: a mount point below is not crossed */
};

static const char *kind_of(mode_t m)
{
	return S_ISFIFO(m)   ? "a fifo"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
			     : "a special file";
}

/* Append "/name" to both paths; false (and a warning) when one would pass PATH_MAX. */
static bool push(struct walk *w, const char *name)
{
	size_t n = strlen(name);

	if (w->host_len + n + 2 > sizeof(w->host) || w->arc_len + n + 2 > sizeof(w->arc))
		return false;
	w->host[w->host_len] = '/';
	memcpy(w->host + w->host_len + 1, name, n + 1);
	w->host_len += n + 1;
	w->arc[w->arc_len] = '/';
	memcpy(w->arc + w->arc_len + 1, name, n + 1);
	w->arc_len += n + 1;
	return true;
}

static void pop(struct walk *w, size_t host_len, size_t arc_len)
{
	w->host[w->host_len = host_len] = '\0';
	w->arc[w->arc_len = arc_len] = '\0';
}

/* Open name in dirfd as the inode st describes, never through a link. */
static int open_same(int dirfd, const char *name, const struct stat *st, int flags, int *ret)
{
	struct stat now;
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
		close(fd);
		return -ESTALE;
	}
	*ret = fd;
	return 0;
}

static int walk_entry(struct walk *w, int dirfd, const char *name, int depth);

/* Below a workload's home: what a backup leaves out because it is no data — Podman's image
 * storage (re-pullable; its volumes are data) and caches. NULL for data. */
static const char *skip_reason(const struct walk *w)
{
	static const char storage[] = "/.local/share/containers/storage";
	size_t n = w->o->home ? strlen(w->o->home) : 0;
	const char *rel = w->host + n;

	if (!n || strncmp(w->host, w->o->home, n) != 0 || rel[0] != '/')
		return NULL;
	if (strncmp(rel, "/.cache", 7) == 0 && (rel[7] == '/' || rel[7] == '\0'))
		return "a cache";
	if (strncmp(rel, storage, sizeof(storage) - 1) == 0 && rel[sizeof(storage) - 1] == '/' &&
	    strncmp(rel + sizeof(storage), "volumes", 7) != 0)
		return "Podman's image storage (re-pullable)";
	return NULL;
}

static int walk_dir(struct walk *w, int fd, int depth)
{
	int dfd = dup(fd), r = 0;
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		r = -errno;
		if (dfd >= 0)
			close(dfd);
		return log_error_errno(r, "%s: cannot list", w->host), r;
	}
	while (r == 0 && (errno = 0, de = readdir(d))) {
		size_t hl = w->host_len, al = w->arc_len;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!push(w, de->d_name)) {
			r = backup_out_note(w->o, "warning", w->arc, "path too long, not archived");
			continue;
		}
		r = walk_entry(w, fd, de->d_name, depth + 1);
		pop(w, hl, al);
	}
	if (r == 0 && errno)
		r = -errno, log_error_errno(r, "%s: cannot list", w->host);
	closedir(d);
	return r;
}

static int walk_entry(struct walk *w, int dirfd, const char *name, int depth)
{
	char target[PATH_MAX];
	const char *why;
	struct stat st;
	int fd = -1, r;
	ssize_t n;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : (r = -errno, log_error_errno(r, "%s", w->host), r);
	if (backup_exclude_match(w->o->excl, w->host, &st, &why))
		return log_info("%s: excluded: %s", w->host, why),
		       backup_out_note(w->o, "excluded", w->host, why);
	why = skip_reason(w);
	if (why)
		return backup_out_note(w->o, "skipped", w->host, why);
	if (st.st_dev != w->dev)
		return backup_out_note(w->o, "warning", w->arc, "a mount point, not crossed");
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return r = -errno, log_error_errno(r, "%s", w->host), r;
		target[n] = '\0';
		return backup_out_entry(w->o, w->arc, w->host, &st, -1, target);
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return backup_out_note(w->o, "warning", w->arc, kind_of(st.st_mode));
	if (S_ISDIR(st.st_mode) && depth >= BACKUP_DEPTH_MAX)
		return backup_out_note(w->o, "warning", w->arc, "nested too deep, not archived");
	r = open_same(dirfd, name, &st, S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY,
		      &fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "%s: cannot open", w->host), r;
	r = backup_out_entry(w->o, w->arc, w->host, &st, fd, NULL);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = walk_dir(w, fd, depth);
	close(fd);
	return r;
}

int backup_walk_beneath(struct backup_out *o, int base_fd, const char *base_path, const char *rel,
			const char *prefix)
{
	static struct walk w;
	const char *slash = strrchr(rel, '/'), *last = slash ? slash + 1 : rel;
	char dir[PATH_MAX];
	struct stat st;
	int dirfd = -1, r;

	w = (struct walk){.o = o};
	if (snprintf(w.host, sizeof(w.host), "%s/%s", strcmp(base_path, "/") ? base_path : "",
		     rel) >= (int)sizeof(w.host) ||
	    snprintf(w.arc, sizeof(w.arc), "%s", prefix) >= (int)sizeof(w.arc) ||
	    (slash && (size_t)(slash - rel) >= sizeof(dir)))
		return -ENAMETOOLONG;
	w.host_len = strlen(w.host), w.arc_len = strlen(w.arc);
	if (slash) {
		memcpy(dir, rel, (size_t)(slash - rel));
		dir[slash - rel] = '\0';
		r = fs_open_beneath_how(base_fd, dir, O_RDONLY | O_DIRECTORY, 0, FS_BENEATH_NO_XDEV,
					&dirfd);
	} else {
		dirfd = fcntl(base_fd, F_DUPFD_CLOEXEC, 3);
		r = dirfd < 0 ? -errno : 0;
	}
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return log_error_errno(r, "%s: cannot open beneath %s", rel, base_path), r;
	if (fstat(dirfd, &st) < 0)
		r = -errno;
	w.dev = st.st_dev;
	if (r == 0 && fstatat(dirfd, last, &st, AT_SYMLINK_NOFOLLOW) < 0)
		r = errno == ENOENT ? 1 : -errno;
	if (r == 0)
		r = walk_entry(&w, dirfd, last, 0);
	close(dirfd);
	return r;
}
