/* temp.c: the temp files of atomic writes that were cut short (core/fs names them
 * ".NAME.<16 lowercase hex>"), older than GC_TEMP_AGE_S so a write still running keeps its file:
 * in the state directory and its workloads/ as root, and in each managed user's quadlet and unit
 * directories — listed as root beneath the home without following a symlink or crossing a mount
 * point, removed as the user through core/userfs. Only regular files: a symlink or anything else
 * with a temp name is left alone (noted), never followed. Needs the state records and passwd
 * (whose directories to look in). */
#include "gc/gc.h"

#include "core.h"
#include "fs.h"
#include "sync/sync.h"
#include "userfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ".NAME.<16 lowercase hex>" with a non-empty NAME, as fs_write_atomic() makes them. */
static bool is_temp_name(const char *name)
{
	size_t n = strlen(name);
	const char *hex = name + n - 16;

	if (n < 1 + 1 + 1 + 16 || name[0] != '.' || hex[-1] != '.')
		return false;
	for (int i = 0; i < 16; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	return true;
}

int gc_scan_dir(struct gc_ctx *g, const struct gc_scan *scan, int dirfd, const char *what,
		struct gc_found *out, size_t *ret_n)
{
	time_t bound = time(NULL) - scan->age_s;
	DIR *dir = fdopendir(dirfd);
	struct dirent *de;
	size_t n = 0;

	if (!dir) {
		int r = -errno;

		close(dirfd);
		return r;
	}
	while ((de = readdir(dir)) && n < GC_SCAN_MAX) {
		struct stat st;
		char path[GC_WHAT_MAX];
		bool mine;

		if (!scan->is_name(de->d_name) ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		snprintf(path, sizeof(path), "%.3800s/%.255s", what, de->d_name);
		mine = scan->owner == (uid_t)-1 || st.st_uid == scan->owner;
		if (!S_ISREG(st.st_mode) || !mine)
			gc_note(g, scan->cat, GC_KEPT, -1, path, "%s",
				!S_ISREG(st.st_mode) ? "not a regular file, left alone"
						     : "not the user's, left alone");
		else if (st.st_mtime < bound) {
			snprintf(out[n].name, sizeof(out[n].name), "%s", de->d_name);
			out[n++].bytes = st.st_size;
		}
	}
	closedir(dir);
	*ret_n = n;
	return 0;
}

static const struct gc_scan temp_scan = {GC_TEMP, is_temp_name, GC_TEMP_AGE_S, (uid_t)-1};

/* A directory tailpod owns as root: the state directory, and its workloads/. */
static void sweep_root_dir(struct gc_ctx *g, const char *path)
{
	static struct gc_found found[GC_SCAN_MAX];
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	r = fd < 0 ? -errno
		   : gc_scan_dir(g, &temp_scan, fcntl(fd, F_DUPFD_CLOEXEC, 0), path, found, &n);
	if (r < 0 || fd < 0) {
		gc_note(g, GC_TEMP, GC_FAILED, -1, path, "cannot list it: %s", strerror(-r));
		if (fd >= 0)
			close(fd);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char what[GC_WHAT_MAX];

		snprintf(what, sizeof(what), "%.3800s/%.255s", path, found[i].name);
		if (!g->dry_run && unlinkat(fd, found[i].name, 0) < 0 && errno != ENOENT)
			gc_note(g, GC_TEMP, GC_FAILED, found[i].bytes, what, "%s", strerror(errno));
		else
			gc_note(g, GC_TEMP, gc_removal(g), found[i].bytes, what, "%s", "");
	}
	close(fd);
}

void gc_remove_as_user(struct gc_ctx *g, enum gc_category cat, const struct gc_managed *m,
		       int home_fd, const char *dir, const char *name, long long bytes)
{
	gc_remove_below(g, cat, m, home_fd, m->user->home, dir, name, bytes);
}

void gc_remove_below(struct gc_ctx *g, enum gc_category cat, const struct gc_managed *m,
		     int root_fd, const char *root, const char *dir, const char *name,
		     long long bytes)
{
	struct userfs_remove rm = {dir, name};
	struct userfs_job job = {.home_fd = root_fd,
				 .uid = m->user->uid,
				 .gid = m->user->gid,
				 .removes = &rm,
				 .n_removes = 1,
				 .timeout_ms = g->command_timeout_ms};
	struct userfs_error err = {0};
	char what[GC_WHAT_MAX];

	snprintf(what, sizeof(what), "%s/%s/%s", root, dir, name);
	if (!g->dry_run && userfs_apply(&job, &err) < 0)
		gc_note(g, cat, GC_FAILED, bytes, what, "%s", err.msg);
	else
		gc_note(g, cat, gc_removal(g), bytes, what, "%s", "");
}

static void sweep_user_dir(struct gc_ctx *g, const struct gc_managed *m, int home_fd,
			   const char *dir)
{
	static struct gc_found found[GC_SCAN_MAX];
	char what[GC_WHAT_MAX];
	size_t n = 0;
	int fd, r;

	snprintf(what, sizeof(what), "%s/%s", m->user->home, dir);
	r = fs_open_beneath_how(home_fd, dir, O_RDONLY | O_DIRECTORY, 0, FS_BENEATH_NO_XDEV, &fd);
	if (r == -ENOENT)
		return;
	if (r >= 0)
		r = gc_scan_dir(g, &temp_scan, fd, what, found, &n);
	if (r < 0) {
		gc_note(g, GC_TEMP, GC_FAILED, -1, what, "cannot list it: %s%s", strerror(-r),
			r == -ELOOP ? " (a symlink is in the way, not followed)" : "");
		return;
	}
	for (size_t i = 0; i < n; i++)
		gc_remove_as_user(g, GC_TEMP, m, home_fd, dir, found[i].name, found[i].bytes);
}

void gc_sweep_temp(struct gc_ctx *g)
{
	char workloads[GC_WHAT_MAX];

	if (g->state_why[0] || g->db_why[0]) {
		gc_skip(g, GC_TEMP, "%s", g->state_why[0] ? g->state_why : g->db_why);
		return;
	}
	snprintf(workloads, sizeof(workloads), "%s/workloads", g->config->state_dir);
	sweep_root_dir(g, g->config->state_dir);
	sweep_root_dir(g, workloads);
	for (size_t i = 0; i < g->n_managed; i++) {
		const struct gc_managed *m = &g->managed[i];
		struct userfs_error err = {0};
		int home_fd;

		if (userfs_home_open(m->user->home, m->user->uid, &home_fd, &err) < 0) {
			gc_note(g, GC_TEMP, GC_FAILED, -1, m->user->home, "%s", err.msg);
			continue;
		}
		sweep_user_dir(g, m, home_fd, sync_unit_dir(SPEC_UNIT_QUADLET));
		sweep_user_dir(g, m, home_fd, sync_unit_dir(SPEC_UNIT_SYSTEMD));
		gc_sweep_restores(g, m, home_fd);
		close(home_fd);
	}
}
