/* ahead.c: the checks of the next workloads' turns asked on the CPUs the process may use, ahead of
 * the turns (issue 16). A healthy workload's turn is mostly calls into the kernel — its record
 * read, its home's statx, its files' open and fstat, its services' cgroup.events, its manager's
 * bus — and the answers for one workload do not depend on another's. So before each window of
 * SYNC_AHEAD_WINDOW desired workloads, reconcile.c has those checks asked on up to TAILPOD_JOBS
 * threads, the caller's one of them, each workload's answers into its own slot; then the turns
 * run in name order on the caller's thread as before, each taking its slot's answers instead of
 * asking again.
 *
 * What keeps this the same run as one without it:
 * - Nothing is changed ahead and nothing logged. The threads only read, and are joined before
 *   the window's first turn, so no thread runs while the host changes, and none outlives the
 *   window (sync forks its jobs and the users' commands).
 * - Only what a turn would ask of a workload that exists is asked: one with a record, whose user
 *   is in the managed group and no system account, whose name is not reserved, with no
 *   [Secrets] (its hash needs the host identity) and few enough files for its slot.
 * - Whatever goes wrong ahead (the record unreadable, the home not checkable by its name, a file
 *   at fault) leaves the slot unasked, and the turn asks again itself: a failure is reported in
 *   its turn, in order, worded as before.
 * - A slot is taken only while the users db it was asked with is the current one: a turn that
 *   created a user reloads it, and the rest of the window asks again.
 * - The answers are as old as the window (a few milliseconds): a turn trusted its own answers up
 *   to its steps just the same, and a check never vouches for more than the moment it ran.
 * Memory is bounded by the window: its slots and their records' files are made once a run, and
 * left to the process's exit with the rest of the run (reconcile.c's ctx_close). */
#include "sync/apply.h"

#include "core.h"
#include "parallel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sync_ahead_slot {
	bool asked; /* every check answered: the turn may take it */
	const struct spec_workload *w;
	struct sync_current *cur;
	const struct users_user *user;
	struct apply_plan plan;	    /* its arrays are the slot's below */
	struct state_record record; /* its files in the window's pool (sync_ahead.files) */
	struct fs_stamp stamps[SYNC_AHEAD_UNITS];
	struct userfs_write writes[SYNC_AHEAD_UNITS];
	struct userfs_remove removes[SYNC_AHEAD_UNITS + 1];
	const char *down[SYNC_AHEAD_UNITS];
};

/* Whether w's turn would ask what the slot asks, of a user that exists and is tailpod's. */
static const struct users_user *eligible_user(const struct sync_ctx *ctx,
					      const struct spec_workload *w,
					      const struct sync_current *c)
{
	const struct users_user *u;

	if (!c || !c->unread || w->n_secrets || w->n_units > SYNC_AHEAD_UNITS ||
	    (ctx->args->only && strcmp(ctx->args->only, w->name) != 0) ||
	    sync_name_reserved(ctx, w->name) ||
	    (ctx->created_user && strcmp(ctx->created_user, w->name) == 0))
		return NULL;
	if (users_db_find_user(ctx->db, w->name, &u) < 0 || u->uid < ctx->defs.uid_min ||
	    users_db_user_in_group(ctx->db, u->name, ctx->config->user_group) != 1)
		return NULL;
	return u;
}

/* The record, as sync_current_open() reads it, into the slot, its file list into the window's
 * pool: the turn finds it read. Nothing a thread allocates outlives its ask (blocks a thread took
 * and the turns freed had musl's allocator unmap and map its groups again: 19 munmap for 300
 * workloads), and the files are read into the thread's stack, not a block of their own (made and
 * freed for each record, its group was mapped and unmapped for each: 300 munmap for 300). */
static bool load_record(struct sync_ahead *a, struct sync_ahead_slot *s)
{
	struct state_record *rec = &s->record;
	struct state_file read[SYNC_AHEAD_UNITS], *files;

	/* More files than a slot asks about: -E2BIG, and the turn reads it again. */
	if (state_record_load_in(a->ctx->state_fd, s->cur->name, rec, read, ARRAY_SIZE(read)) < 0)
		return false; /* the turn reads it again, and says why */
	if (rec->n_secrets) {
		rec->files = NULL; /* read's */
		state_record_release(rec);
		return false;
	}
	/* At most SYNC_AHEAD_UNITS a slot, so the pool never runs out. */
	files = a->files + __atomic_fetch_add(&a->files_used, rec->n_files, __ATOMIC_RELAXED);
	memcpy(files, read, rec->n_files * sizeof(*files));
	rec->files = files;
	s->cur->rec = &s->record;
	s->cur->rec_borrowed = true;
	s->cur->has_record = true;
	s->cur->unread = false;
	return true;
}

/* Slot k's checks: what the turn's observe would find. Any thread; none needs state of its own. */
static void ask_one(void *arg, unsigned thread, size_t k)
{
	struct sync_ahead *a = arg;
	struct sync_ahead_slot *s = &a->slots[k];
	struct apply_plan *p = &s->plan;
	struct userfs_error err = {0};

	(void)thread;
	if (!s->w || !load_record(a, s))
		return;
	*p = (struct apply_plan){.user = s->user,
				 .cur = s->cur,
				 .home_fd = -1,
				 .files_fd = -1,
				 .stamps = s->stamps,
				 .writes = s->writes,
				 .removes = s->removes,
				 .down = s->down};
	desired_workload_hash(s->w, p->hash);
	/* Through the run's homes' parent, open already: a home elsewhere is its turn's to check.
	 */
	if (apply_observe_home_in(&a->ctx->homes, p) != 1 ||
	    apply_observe_files(s->w, s->cur, p, &err) < 0)
		return;
	apply_observe_liveness(a->ctx, s->w, p);
	s->asked = true;
}

static int ahead_alloc(struct sync_ahead *a)
{
	if (!a->slots)
		a->slots = calloc(SYNC_AHEAD_WINDOW, sizeof(*a->slots));
	if (!a->files)
		a->files = calloc((size_t)SYNC_AHEAD_WINDOW * SYNC_AHEAD_UNITS, sizeof(*a->files));
	return a->slots && a->files ? 0 : -ENOMEM;
}

void sync_ahead_init(struct sync_ahead *a, struct sync_ctx *ctx)
{
	*a = (struct sync_ahead){.ctx = ctx, .threads = parallel_threads(ctx->config->jobs)};
}

void sync_ahead_window(struct sync_ahead *a, struct sync_current *cur, size_t n_cur, size_t first)
{
	const struct spec_set *set = a->ctx->desired->set;
	const char *first_home = NULL;
	size_t n = 0, eligible = 0;

	a->first = first;
	a->n = 0;
	if (a->threads < 2 || a->pinned || ahead_alloc(a) < 0)
		return;
	n = set->n_workloads - first < SYNC_AHEAD_WINDOW ? set->n_workloads - first
							 : SYNC_AHEAD_WINDOW;
	for (size_t k = 0; k < n; k++) {
		const struct spec_workload *w = &set->workloads[first + k];
		const struct sync_current *found = sync_current_find(cur, n_cur, w->name);
		struct sync_ahead_slot *s = &a->slots[k];

		s->asked = false; /* the rest is written before it is read */
		s->cur = found ? &cur[found - cur] : NULL;
		s->user = eligible_user(a->ctx, w, s->cur);
		s->w = s->user ? w : NULL;
		eligible += s->user != NULL;
		if (s->user && !first_home)
			first_home = s->user->home;
	}
	if (eligible < SYNC_AHEAD_MIN)
		return; /* not worth the threads: every turn asks itself */
	a->n = n;
	a->generation = a->ctx->users_generation;
	a->files_used = 0; /* the last window's records have left their slots (current_done) */
	userfs_homes_open_for(&a->ctx->homes, first_home); /* the threads only read it */
	parallel_run(n, a->threads, ask_one, a);
}

const struct sync_ahead_slot *sync_ahead_slot(const struct sync_ahead *a, size_t i)
{
	if (i < a->first || i - a->first >= a->n || !a->slots[i - a->first].asked ||
	    a->generation != a->ctx->users_generation)
		return NULL;
	return &a->slots[i - a->first];
}

int sync_ahead_take(const struct sync_ahead_slot *s, const struct spec_workload *w,
		    const struct sync_current *cur, struct apply_plan *p)
{
	const struct apply_plan *seen;
	int r;

	if (!s || s->w != w || s->cur != cur || s->plan.user != p->user || p->create_user)
		return 0;
	seen = &s->plan;
	r = apply_plan_alloc(w, cur, p);
	if (r < 0)
		return r;
	memcpy(p->stamps, seen->stamps, w->n_units * sizeof(*p->stamps));
	memcpy(p->writes, seen->writes, seen->n_writes * sizeof(*p->writes));
	memcpy(p->removes, seen->removes, seen->n_removes * sizeof(*p->removes));
	memcpy(p->down, seen->down, seen->n_down * sizeof(*p->down));
	p->n_writes = seen->n_writes;
	p->n_removes = seen->n_removes;
	p->n_down = seen->n_down;
	p->stamps_new = seen->stamps_new;
	p->home_public = seen->home_public;
	p->linger_off = seen->linger_off;
	p->manager_down = seen->manager_down;
	p->service_down = seen->service_down;
	/* No file is looked at again: a turn with steps opens the home (apply_home_for_steps). */
	p->files_fd = -1;
	p->home_base = NULL;
	return 1;
}

void sync_ahead_pin(struct sync_ahead *a)
{
	a->pinned = true;
}
