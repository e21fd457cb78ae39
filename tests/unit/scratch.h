/* scratch.h: the unit tests' scratch directories — removed whole, links unlinked, never followed.
 */
#ifndef TAILPOD_TEST_SCRATCH_H
#define TAILPOD_TEST_SCRATCH_H

#include <errno.h>
#include <ftw.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>

static inline int scratch_remove_one(const char *path, const struct stat *st, int flag,
				     struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Remove dir and everything below it (FTW_PHYS: a symlink is removed, not entered). */
static inline int scratch_remove(const char *dir)
{
	return nftw(dir, scratch_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Move the whole test process, once, into a mount namespace of its own whose mounts propagate
 * nowhere, so a test may mount (a tmpfs over a scratch directory) without the host ever seeing
 * it; everything goes away with the process. 0, or -errno (not root: the caller skips). */
static inline int scratch_private_mounts(void)
{
	static bool done;

	if (done)
		return 0;
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	/* Without this, a mount below a shared mount (systemd makes / shared) would propagate back.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	done = true;
	return 0;
}

#endif
