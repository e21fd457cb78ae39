/* systemd_live.c: whether a workload user's units, manager and linger flag are up, read from the
 * cgroup tree, /run/user and logind's linger directory without a child process (see systemd.h).
 * A no-op sync asks this for every workload, so systemd_cmds_open_dirs() prepares the run once:
 * the linger directory listed into a sorted name set, the cgroup tree's user.slice and /run/user
 * opened, so each check is a name looked up, not a whole path walked (issue 16). The quick answer
 * is only ever trusted when it says "up": a "down" is asked again by path, so a flag logind
 * created or a cgroup systemd made since the run began (tailpod's own enable-linger and start) is
 * still seen. */
#define _GNU_SOURCE 1

#include "systemd.h"
#include "core.h"
#include "fs.h"
#include "state.h"
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

enum {
	EVENTS_MAX = 4096, /* bytes of a cgroup.events file */
};

static int open_dir(int dirfd, const char *path)
{
	return openat(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* The lingering names, sorted; none kept (every name asked by path) when the directory is
 * missing or cannot be listed. state_list() keeps the valid workload names, all a check asks. */
static void linger_list(struct systemd_cmds *c)
{
	char **names = NULL;
	size_t n = 0;

	if (c->linger_fd >= 0 && state_list(c->linger_fd, &names, &n) == 0) {
		c->linger_names = names;
		c->n_linger = n;
	}
}

void systemd_cmds_open_dirs(struct systemd_cmds *c)
{
	int root = open_dir(AT_FDCWD, c->cgroup_root);

	c->linger_fd = open_dir(AT_FDCWD, c->linger_dir);
	c->run_user_fd = open_dir(AT_FDCWD, c->run_user);
	c->cgroup_user_fd = root >= 0 ? open_dir(root, "user.slice") : -1;
	if (root >= 0)
		close(root);
	c->linger_names = NULL;
	c->n_linger = 0;
	linger_list(c);
	c->dirs_open = true;
}

void systemd_cmds_close_dirs(struct systemd_cmds *c)
{
	if (!c->dirs_open)
		return;
	if (c->linger_fd >= 0)
		close(c->linger_fd);
	if (c->run_user_fd >= 0)
		close(c->run_user_fd);
	if (c->cgroup_user_fd >= 0)
		close(c->cgroup_user_fd);
	free(c->linger_names);
	c->linger_names = NULL;
	c->n_linger = 0;
	c->dirs_open = false;
}

/* lstat of name in dir, through dirfd when it is open, else by the path dir/name. */
static int lstat_in(const char *dir, int dirfd, const char *name, struct stat *st)
{
	char path[PATH_MAX];
	int n;

	if (dirfd >= 0)
		return fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return lstat(path, st) < 0 ? -errno : 0;
}

/* "populated 1" as a line of a cgroup.events file. */
static bool events_populated(const char *s)
{
	for (const char *p = s; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "populated ", 10) == 0)
			return p[10] == '1';
	}
	return false;
}

/* 1 when the cgroup.events file at path (below dirfd) says populated, 0 when it is missing or
 * not. */
static int cgroup_populated(int dirfd, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = fs_read_small(dirfd, path, EVENTS_MAX, &buf, &len); /* the kernel's tree */

	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	return events_populated(buf) ? 1 : 0;
}

/* CGROUP_ROOT/user.slice/REL populated: through the user.slice opened for the run, and by the
 * whole path when that says no (a user.slice systemd made again since is not the one open). */
static int user_slice_populated(const struct systemd_cmds *c, const char *rel)
{
	char path[PATH_MAX];
	int n, r = 0;

	if (c->dirs_open && c->cgroup_user_fd >= 0) {
		r = cgroup_populated(c->cgroup_user_fd, rel);
		if (r != 0)
			return r;
	}
	n = snprintf(path, sizeof(path), "%s/user.slice/%s", c->cgroup_root, rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return cgroup_populated(AT_FDCWD, path);
}

int systemd_unit_running(const struct systemd_cmds *c, uid_t uid, const char *unit)
{
	char rel[PATH_MAX];
	uint32_t u = (uint32_t)uid;
	int n;

	if (!systemd_unit_name_valid(unit))
		return -EINVAL;
	n = snprintf(rel, sizeof(rel),
		     "user-%" PRIu32 ".slice/user@%" PRIu32 ".service/app.slice/%s/cgroup.events",
		     u, u, unit);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	return user_slice_populated(c, rel);
}

int systemd_manager_running(const struct systemd_cmds *c, uid_t uid)
{
	char rel[64];
	uint32_t u = (uint32_t)uid;
	int r;

	snprintf(rel, sizeof(rel), "user-%" PRIu32 ".slice/user@%" PRIu32 ".service/cgroup.events",
		 u, u);
	r = user_slice_populated(c, rel);
	if (r <= 0)
		return r;
	return systemd_manager_bus_up(c, uid);
}

int systemd_manager_bus_up(const struct systemd_cmds *c, uid_t uid)
{
	char name[32];
	struct stat st;
	int r;

	snprintf(name, sizeof(name), "%" PRIu32 "/bus", (uint32_t)uid);
	r = lstat_in(c->run_user, c->dirs_open ? c->run_user_fd : -1, name, &st);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? 0 : r;
	return S_ISSOCK(st.st_mode) ? 1 : 0;
}

static int by_name(const void *key, const void *item)
{
	return strcmp(key, *(char *const *)item);
}

int systemd_linger_enabled(const struct systemd_cmds *c, const char *name)
{
	struct stat st;
	int r;

	if (!users_name_valid(name))
		return -EINVAL;
	if (c->dirs_open && c->linger_names &&
	    bsearch(name, c->linger_names, c->n_linger, sizeof(*c->linger_names), by_name))
		return 1;
	r = lstat_in(c->linger_dir, c->dirs_open ? c->linger_fd : -1, name, &st);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? 0 : r;
	return 1;
}
