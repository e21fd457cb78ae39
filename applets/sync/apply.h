/* apply.h: what apply.c (the plan for one workload) hands steps.c (the changes that carry it
 * out); private to those two. */
#ifndef TAILPOD_SYNC_APPLY_H
#define TAILPOD_SYNC_APPLY_H

#include "sync/sync.h"

#include "hash.h"
#include "userfs.h"

/* What one workload needs, found before anything changes. */
struct apply_plan {
	const struct users_user *user; /* NULL when it does not exist yet (dry run) */
	char hash[HASH_SHA256_HEX_SIZE];
	bool create_user, linger_off, manager_down, service_down;
	bool mint_join, mint_leave; /* membership of the mint group to change */
	bool content_changed;	    /* hash differs from the record, or no record */
	bool adopt;		    /* quadsync's, running: record without a restart */
	bool quadsync_same;	    /* quadsync's recorded hash is that of tailpod's bytes */
	bool record_stale;
	bool home_public; /* the home has a permission bit for group or others */
	int home_fd;
	struct userfs_write *writes;
	size_t n_writes;
	struct userfs_remove *removes;
	size_t n_removes;
	const char **restarts; /* the units to restart, borrowed from the workload */
	size_t n_restarts;
	const char **down; /* an app's services found not running (its units that run) */
	size_t n_down;
};

/* A restart of the service is due: new or changed content, or a service found down. */
bool apply_plan_needs_restart(const struct apply_plan *p);

/* What restarts (p->restarts, allocated here): the workload's service; for an app (issue 22) its
 * .target when it has one, else the services made from the units that changed — every one when a
 * data file changed or a file went away, since a unit may read it — and those found down. */
int apply_plan_restarts(const struct spec_workload *w, struct apply_plan *p);

/* steps.c: the changes, in order; the first failure stops this workload and leaves its record
 * as it was, so the next run tries again. */
int apply_plan_steps(struct sync_ctx *ctx, const struct spec_workload *w, struct apply_plan *p,
		     struct sync_outcome *out);

#endif
