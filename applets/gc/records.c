/* records.c: two categories over sync's state records. records: a record whose workload is
 * neither desired (after a successful fetch) nor present (no user of its name) is dropped; users
 * of the managed group that no record knows are reported and left to sync's guarded removal or
 * the operator. files: the files a desired workload's record lists that the desired state no
 * longer has — the set sync would remove, left behind where a removal was cut short — removed
 * as the user, only where the user is still the recorded uid and in the managed group. */
#include "gc/gc.h"

#include "core.h"
#include "fs.h"
#include "sync/sync.h"
#include "userfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why cat cannot run: the first question it needs that failed, or NULL. */
static const char *missing_answer(const struct gc_ctx *g)
{
	if (g->state_why[0])
		return g->state_why;
	if (g->db_why[0])
		return g->db_why;
	if (g->desired_why[0])
		return g->desired_why;
	return NULL;
}

static void report_unknown_users(struct gc_ctx *g)
{
	for (size_t i = 0; i < g->db->n_users; i++) {
		const struct users_user *u = &g->db->users[i];
		bool known = false;

		if (users_db_user_in_group(g->db, u->name, g->config->user_group) != 1)
			continue;
		for (size_t j = 0; j < g->n_recs && !known; j++)
			known = strcmp(g->recs[j].name, u->name) == 0;
		if (!known)
			gc_note(g, GC_RECORDS, GC_KEPT, -1, u->name,
				"user in group '%s' without a record: left to sync or the operator",
				g->config->user_group);
	}
}

void gc_sweep_records(struct gc_ctx *g)
{
	const char *why = missing_answer(g);

	if (why) {
		gc_skip(g, GC_RECORDS, "%s", why);
		return;
	}
	for (size_t i = 0; i < g->n_recs; i++) {
		const struct state_record *rec = &g->recs[i];
		const struct users_user *u;
		char what[GC_WHAT_MAX];
		struct stat st;
		long long bytes;
		int r;

		if (gc_desired_find(g, rec->name) || users_db_find_user(g->db, rec->name, &u) >= 0)
			continue;
		snprintf(what, sizeof(what), "%s/workloads/%s", g->config->state_dir, rec->name);
		bytes = fstatat(g->state_fd, rec->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_size
										       : -1;
		r = g->dry_run ? 0 : state_record_remove(g->state_fd, rec->name);
		if (r < 0)
			gc_note(g, GC_RECORDS, GC_FAILED, bytes, what, "%s", strerror(-r));
		else
			gc_note(g, GC_RECORDS, gc_removal(g), bytes, what,
				"not desired, no user '%s'", rec->name);
	}
	report_unknown_users(g);
}

static bool unit_desired(const struct spec_workload *w, const struct state_file *f)
{
	for (size_t j = 0; j < w->n_units; j++)
		if (w->units[j].dir == f->dir && strcmp(w->units[j].name, f->name) == 0)
			return true;
	return false;
}

/* The recorded files of m that w no longer has and that are still there. */
static void sweep_stale(struct gc_ctx *g, const struct gc_managed *m, const struct spec_workload *w,
			int home_fd)
{
	for (size_t i = 0; i < m->rec->n_files; i++) {
		const struct state_file *f = &m->rec->files[i];
		const char *dir = sync_unit_dir(f->dir);
		char path[GC_WHAT_MAX];
		struct stat st;
		int fd, r;

		if (unit_desired(w, f))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		r = fs_open_beneath_how(home_fd, path, O_PATH, 0, FS_BENEATH_NO_XDEV, &fd);
		if (r == -ENOENT)
			continue;
		if (r < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			snprintf(path, sizeof(path), "%s/%s/%s", m->user->home, dir, f->name);
			gc_note(g, GC_FILES, GC_KEPT, -1, path, "%s",
				r < 0 ? (r == -ELOOP ? "a symlink is in the way, not followed"
						     : strerror(-r))
				      : "not a regular file, left alone");
			if (r >= 0)
				close(fd);
			continue;
		}
		close(fd);
		gc_remove_as_user(g, GC_FILES, m, home_fd, dir, f->name, st.st_size);
	}
}

void gc_sweep_files(struct gc_ctx *g)
{
	const char *why = missing_answer(g);

	if (why) {
		gc_skip(g, GC_FILES, "%s", why);
		return;
	}
	for (size_t i = 0; i < g->n_managed; i++) {
		const struct gc_managed *m = &g->managed[i];
		const struct spec_workload *w = gc_desired_find(g, m->rec->name);
		struct userfs_error err = {0};
		int home_fd;

		if (!w)
			continue; /* sync removes the whole workload */
		if (userfs_home_open(m->user->home, m->user->uid, &home_fd, &err) < 0) {
			gc_note(g, GC_FILES, GC_FAILED, -1, m->user->home, "%s", err.msg);
			continue;
		}
		sweep_stale(g, m, w, home_fd);
		close(home_fd);
	}
}
