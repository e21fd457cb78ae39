/* lock.c: flock-based single-instance lock with a holder pid record. flock locks belong to the
 * open file description, so two opens in one process also exclude each other, and the kernel drops
 * the lock with the last fd, however the process ends. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "lock.h"
#include "core.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* An applet name as the holder wrote it: lowercase letters, digits and dashes. */
static bool holder_name_valid(const char *s, size_t len)
{
	if (len == 0 || len >= LOCK_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* Parse "PID\n", then "NAME\n" when the holder named itself (see lock_write_holder); what does
 * not parse stays unknown (pid 0, name ""). */
static void lock_read_holder(int fd, struct lock_holder *h)
{
	char buf[LOCK_HOLDER_MAX + 1], *name;
	ssize_t n = pread(fd, buf, LOCK_HOLDER_MAX, 0);
	long pid = 0;
	char *end;

	*h = (struct lock_holder){0};
	if (n <= 0)
		return;
	buf[n] = '\0';
	name = buf + strcspn(buf, "\n");
	if (*name)
		*name++ = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || *end != '\0' || pid <= 0 || (pid_t)pid != pid)
		return;
	h->pid = (pid_t)pid;
	n = (ssize_t)strcspn(name, "\n");
	if (name[n] == '\n' && holder_name_valid(name, (size_t)n))
		memcpy(h->name, name, (size_t)n);
}

/* Write first, then cut: a reader never sees an empty file, only an old tail after our newline. */
static int lock_write_holder(int fd, const char *name)
{
	char buf[LOCK_HOLDER_MAX];
	int len = name && holder_name_valid(name, strlen(name))
			  ? snprintf(buf, sizeof(buf), "%ld\n%s\n", (long)getpid(), name)
			  : snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	ssize_t n;

	do
		n = pwrite(fd, buf, (size_t)len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != len)
		return -EIO;
	if (ftruncate(fd, len) < 0)
		return -errno;
	return 0;
}

static int lock_open(const char *path, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	/* We write into this file as root: never through a hard link to some other file. */
	if (st.st_nlink != 1)
		return -EMLINK;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int lock_acquire(const char *path, struct lock *ret_lock, pid_t *ret_holder)
{
	struct lock_holder h;
	int r = lock_acquire_as(path, NULL, ret_lock, &h);

	if (r >= 0 && ret_holder)
		*ret_holder = h.pid;
	return r;
}

int lock_acquire_as(const char *path, const char *name, struct lock *ret_lock,
		    struct lock_holder *ret_holder)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (!path || !*path || !ret_lock)
		return -EINVAL;
	r = lock_open(path, &fd);
	if (r < 0)
		return r;
	while ((r = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
		;
	if (r < 0 && errno != EWOULDBLOCK)
		return -errno;
	if (r < 0) {
		if (ret_holder)
			lock_read_holder(fd, ret_holder);
		*ret_lock = LOCK_INIT;
		return 0;
	}
	r = lock_write_holder(fd, name);
	if (r < 0)
		return r; /* closing fd drops the lock */
	if (ret_holder)
		*ret_holder = (struct lock_holder){0};
	ret_lock->fd = TAKE_FD(fd);
	return 1;
}

void lock_release(struct lock *lock)
{
	if (!lock || lock->fd < 0)
		return;
	/* Only while still holding it, so we never erase a newer holder's pid. */
	if (ftruncate(lock->fd, 0) < 0) {
		/* A stale pid stays behind; the next holder overwrites it. Nothing to report. */
	}
	(void)flock(lock->fd, LOCK_UN);
	close(lock->fd);
	lock->fd = -1;
}
