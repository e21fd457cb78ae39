/* userfs_home.c: a home checked by its name in its parent directory, the parent opened once for
 * every home in it (issue 16). A no-op sync looks at each workload's home and the files beneath
 * it, never writes: one statx of the name replaces the open, fstat and close of the home, and the
 * files are opened beneath the parent, through the home's name, with the same rules (no symlink,
 * no mount point crossed). That is as safe as the home's fd only because no one but root can
 * change the parent's entries — it is root's and no one else may write to it — so the name
 * checked is the directory reached; and because the home is no mount root, so what the files'
 * walk refuses to cross is the same. Any other home is left to userfs_home_open(). */
#define _GNU_SOURCE 1

#include "userfs.h"
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000 /* Linux 5.8; musl 1.2.5 does not name it */
#endif

void userfs_homes_init(struct userfs_homes *h)
{
	h->fd = -1;
	h->dir[0] = '\0';
}

void userfs_homes_close(struct userfs_homes *h)
{
	if (h->fd >= 0)
		close(h->fd);
	userfs_homes_init(h);
}

/* The parent of home, of length len, as h's directory: kept when it is the one open already,
 * else opened and checked to be root's alone; h->fd < 0 when it is not. */
static void homes_open(struct userfs_homes *h, const char *home, size_t len)
{
	struct stat st;

	if (h->dir[0] && strlen(h->dir) == len && memcmp(h->dir, home, len) == 0)
		return;
	userfs_homes_close(h);
	if (len == 0 || len >= sizeof(h->dir))
		return;
	memcpy(h->dir, home, len);
	h->dir[len] = '\0';
	/* The parent's own path is trusted, as userfs_home_open() trusts it. */
	h->fd = openat(AT_FDCWD, h->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->fd >= 0 && (fstat(h->fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022) != 0)) {
		close(h->fd);
		h->fd = -1;
	}
}

/* The parent of home (its length in *ret_len), its last component in *ret_base; false when home
 * is no absolute path of a name in a directory. */
static bool home_split(const char *home, size_t *ret_len, const char **ret_base)
{
	const char *slash = home ? strrchr(home, '/') : NULL;

	if (!slash || home[0] != '/' || !slash[1] || strcmp(slash + 1, "..") == 0 ||
	    strcmp(slash + 1, ".") == 0)
		return false;
	*ret_len = slash == home ? 1 : (size_t)(slash - home);
	*ret_base = slash + 1;
	return true;
}

void userfs_homes_open_for(struct userfs_homes *h, const char *home)
{
	const char *base;
	size_t len;

	if (home_split(home, &len, &base))
		homes_open(h, home, len);
}

int userfs_home_check_in(const struct userfs_homes *h, const char *home, uid_t uid,
			 bool *ret_private, const char **ret_base)
{
	const unsigned needs = STATX_TYPE | STATX_MODE | STATX_UID;
	const char *base;
	struct statx stx;
	size_t len;

	if (!home_split(home, &len, &base) || h->fd < 0 || strlen(h->dir) != len ||
	    memcmp(h->dir, home, len) != 0)
		return 0;
	if (statx(h->fd, base, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, needs, &stx) < 0)
		return 0; /* missing, say: userfs_home_open() names why */
	if ((stx.stx_mask & needs) != needs || !S_ISDIR(stx.stx_mode) || stx.stx_uid != uid ||
	    !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
	    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return 0;
	*ret_private = (stx.stx_mode & 077) == 0;
	*ret_base = base;
	return 1;
}

int userfs_home_check_at(struct userfs_homes *h, const char *home, uid_t uid, bool *ret_private,
			 const char **ret_base)
{
	userfs_homes_open_for(h, home);
	return userfs_home_check_in(h, home, uid, ret_private, ret_base);
}
