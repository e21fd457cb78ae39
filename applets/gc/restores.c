/* restores.c: what `backup restore` left in a managed user's home — its temp directory
 * (applets/backup/tmpdir.c: ".tailpod-restore.<16 hex>", made by root 0700) after a restore or
 * the background removal of the replaced trees was killed. Taken only when it is root's
 * directory (not a link: never followed), older than GC_TEMP_AGE_S, and its flock is free: a
 * running restore or removal holds it, so gc never takes a live one. Removed as root, as restore
 * removes it (fs_remove_tree: no link followed): its files belong to subuids, not to the user.
 * The entries are removed through the directory that was locked, and the directory itself only
 * while its name still points at it; the bytes they free are counted through it first. */
#include "gc/gc.h"

#include "backup/backup.h"
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool is_restore_name(const char *name)
{
	size_t n = strlen(BACKUP_TMP_PREFIX);

	if (strncmp(name, BACKUP_TMP_PREFIX, n) != 0 || strlen(name) != n + 16)
		return false;
	return strspn(name + n, "0123456789abcdef") == 16;
}

/* Everything beneath the locked directory fd, then the directory if name is still it. */
static int remove_locked(int home_fd, const char *name, int fd)
{
	DIR *d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;
	struct stat held, named;
	int r = d ? 0 : -errno;

	while (d && r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = fs_remove_tree(fd, de->d_name);
	if (d)
		closedir(d);
	if (r == 0 &&
	    (fstat(fd, &held) < 0 || fstatat(home_fd, name, &named, AT_SYMLINK_NOFOLLOW) < 0))
		r = -errno;
	if (r == 0 && (held.st_dev != named.st_dev || held.st_ino != named.st_ino))
		r = -ESTALE; /* renamed while we worked: its contents are gone, the name is not ours
			      */
	if (r == 0 && unlinkat(home_fd, name, AT_REMOVEDIR) < 0)
		r = -errno;
	return r;
}

static void reap_one(struct gc_ctx *g, const struct gc_managed *m, int home_fd, const char *name)
{
	char what[GC_WHAT_MAX];
	unsigned long long size;
	long long bytes;
	struct stat st;
	int fd, r;

	snprintf(what, sizeof(what), "%.3800s/%.255s", m->user->home, name);
	if (fstatat(home_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0) {
		gc_note(g, GC_TEMP, GC_KEPT, -1, what, "%s",
			!S_ISDIR(st.st_mode) ? "not a directory (not followed), left alone"
					     : "not made by restore (not root's), left alone");
		return;
	}
	if (st.st_mtime >= time(NULL) - GC_TEMP_AGE_S)
		return;
	fd = openat(home_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno;
		if (r == EWOULDBLOCK)
			gc_note(g, GC_TEMP, GC_KEPT, -1, what, "%s",
				"a restore holds it, left alone");
		else
			gc_note(g, GC_TEMP, GC_FAILED, -1, what, "%s", strerror(r));
		if (fd >= 0)
			close(fd);
		return;
	}
	bytes = fs_tree_bytes(fd, ".", &size) == 0 ? (long long)size : -1;
	r = g->dry_run ? 0 : remove_locked(home_fd, name, fd);
	if (r < 0)
		gc_note(g, GC_TEMP, GC_FAILED, bytes, what, "%s", strerror(-r));
	else
		gc_note(g, GC_TEMP, gc_removal(g), bytes, what, "%s", "an interrupted restore's");
	close(fd);
}

void gc_sweep_restores(struct gc_ctx *g, const struct gc_managed *m, int home_fd)
{
	DIR *d = fdopendir(fcntl(home_fd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;
	size_t n = 0;

	if (!d) {
		gc_note(g, GC_TEMP, GC_FAILED, -1, m->user->home, "cannot list it: %s",
			strerror(errno));
		return;
	}
	while ((de = readdir(d)) && n < GC_SCAN_MAX)
		if (is_restore_name(de->d_name))
			reap_one(g, m, home_fd, de->d_name), n++;
	closedir(d);
}
