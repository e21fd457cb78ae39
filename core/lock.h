/* lock.h: one sync at a time. An exclusive, non-blocking flock(2) on a dedicated lock file that
 * also records the holder's pid, so a second caller can fail fast and say who is busy. Core module:
 * no printing; 1 locked, 0 busy, negative errno on error. */
#ifndef TAILPOD_LOCK_H
#define TAILPOD_LOCK_H

#include <sys/types.h>

enum {
	LOCK_HOLDER_MAX = 64, /* bytes of the lock file read to find the holder's pid and name */
	LOCK_NAME_MAX = 32,   /* bytes of the holder's name (an applet), NUL included */
};

/* Who holds a lock, as its record says: pid 0 and name "" where it does not say. */
struct lock_holder {
	pid_t pid;
	char name[LOCK_NAME_MAX];
};

/* fd is the open lock file while held, -1 otherwise. */
struct lock {
	int fd;
};

#define LOCK_INIT ((struct lock){.fd = -1})

/* Open (creating it with mode 0644) the lock file at path and try to take it. The directory must
 * exist (it is not created: -ENOENT), and path must not be a symlink (-ELOOP) nor anything but a
 * regular file (-EINVAL) with one link (-EMLINK). Returns 1 when locked: *ret_lock holds it, the
 * file says "PID\n" and *ret_holder is 0; 0 when another open file holds it: *ret_lock is LOCK_INIT
 * and *ret_holder is the pid written there, or 0 when none can be read yet; ret_holder may be NULL.
 *
 * The lock lives as long as the open file: it is dropped when the process exits for any reason,
 * a fatal signal or SIGKILL included, so a crashed holder never leaves a stale lock (its pid may
 * stay in the file; a live holder always rewrites it). The fd is close-on-exec, so children run by
 * exec_run() do not keep it. */
int lock_acquire(const char *path, struct lock *ret_lock, pid_t *ret_holder);

/* Empty the pid record, unlock and close; *lock becomes LOCK_INIT. Accepts NULL and an unheld
 * lock. The file is deliberately not unlinked: a waiter that opened it before the unlink would
 * then lock an orphaned inode while a newcomer creates and locks a fresh file, and two syncs would
 * run at once. */
void lock_release(struct lock *lock);

/* lock_acquire, recording "PID\nNAME\n" (name: lowercase letters, digits and dashes, else
 * left out; NULL: none), so that a caller finding it busy can say which applet holds it. */
int lock_acquire_as(const char *path, const char *name, struct lock *ret_lock,
		    struct lock_holder *ret_holder);

#endif
