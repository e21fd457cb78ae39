/* scratch.h: the unit tests' scratch directories — removed whole, links unlinked, never followed.
 */
#ifndef TAILPOD_TEST_SCRATCH_H
#define TAILPOD_TEST_SCRATCH_H

#include <ftw.h>
#include <stdio.h>
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

#endif
