/* apply.h: what apply.c (the plan for one workload) hands steps.c (the changes that carry it
 * out); private to those two. */
#ifndef TAILPOD_SYNC_APPLY_H
#define TAILPOD_SYNC_APPLY_H

#include "sync/sync.h"

#include "hash.h"
#include "userfs.h"

#include <stdint.h>

/* A workload's [Secrets] (secrets.c): the decrypted values, which Podman has, which go away. */
struct sync_secrets {
	uint8_t **values; /* [w->n_secrets], wiped on release */
	size_t *lens;
	bool *present; /* `podman secret ls` lists it (meaningful when listed) */
	bool listed;   /* the list answered */
	size_t n_missing;
	const char **stale; /* recorded, no longer wanted, not known to be gone: to rm */
	size_t n_stale;
};

/* What one workload needs, found before anything changes. */
struct apply_plan {
	const struct users_user *user;	/* NULL when it does not exist yet (dry run) */
	const struct sync_current *cur; /* what was deployed, or NULL */
	char hash[HASH_SHA256_HEX_SIZE];
	char files_hash[HASH_SHA256_HEX_SIZE]; /* with secrets: hash before the MAC went in */
	bool create_user, linger_off, manager_down, service_down;
	bool mint_join, mint_leave; /* membership of the mint group to change */
	bool content_changed;	    /* hash differs from the record, or no record */
	bool adopt;		    /* quadsync's, running: record without a restart */
	bool quadsync_same;	    /* quadsync's recorded hash is that of tailpod's bytes */
	bool record_stale;
	bool home_public; /* the home has a permission bit for group or others */
	int home_fd;	  /* opened for the steps only; a no-op checks the home by its name: */
	int files_fd;	  /* the files are looked at beneath it: home_fd, or the homes' parent */
	const char *home_base;	 /* the home's name in files_fd; NULL when files_fd is home_fd */
	struct fs_stamp *stamps; /* [w->n_units]: the files found equal, settled (issue 16) */
	bool stamps_new;	 /* some differ from the record's: worth recording */
	struct userfs_write *writes;
	size_t n_writes;
	struct userfs_remove *removes;
	size_t n_removes;
	const char **restarts; /* the units to restart, borrowed from the workload */
	size_t n_restarts;
	const char **down; /* an app's services found not running (its units that run) */
	size_t n_down;
	struct sync_secrets secrets;
};

/* observe.c: p's arrays for w (stamps, writes, down: one slot a unit; removes: one a recorded
 * file); -ENOMEM. */
int apply_plan_alloc(const struct spec_workload *w, const struct sync_current *cur,
		     struct apply_plan *p);
/* observe.c: w's files on disk against the desired bytes (p->writes, p->removes, p->stamps, in
 * the arrays apply_plan_alloc() made, or that many of the caller's); -errno, with err saying why
 * when a file was at fault (empty: out of memory). Logs nothing: sync_ahead_ask runs it ahead. */
int apply_observe_files(const struct spec_workload *w, const struct sync_current *cur,
			struct apply_plan *p, struct userfs_error *err);
/* observe.c: linger, the user manager and the services (p->linger_off, manager_down,
 * service_down, down); reads ctx only. */
void apply_observe_liveness(const struct sync_ctx *ctx, const struct spec_workload *w,
			    struct apply_plan *p);
/* observe.c: the home checked to be the user's (p->home_public, files_fd, home_base; home_fd
 * when it had to be opened); -errno with out failed. */
int apply_observe_home(struct sync_ctx *ctx, struct apply_plan *p, struct sync_outcome *out);
/* observe.c: the same by the home's name in its parent, open in homes already: 1 when that
 * qualifies (p->home_public, files_fd = homes->fd, home_base), else 0 and p unchanged. */
int apply_observe_home_in(const struct userfs_homes *homes, struct apply_plan *p);
/* observe.c: the home's fd for the steps, opened now when apply_observe_home() spared it; 0
 * for a no-op, which changes nothing there. */
int apply_home_for_steps(struct apply_plan *p, struct sync_outcome *out);

/* ahead.c: slot's answers (NULL: none) copied into p, its arrays made: 1; 0 when the slot is
 * not w's as p found it (the turn asks itself); -ENOMEM. */
int sync_ahead_take(const struct sync_ahead_slot *slot, const struct spec_workload *w,
		    const struct sync_current *cur, struct apply_plan *p);

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

/* gate.c: p's workload waits for the health gate (out failed: it failed it already); a rollback
 * that a killed run left pending (the record's Pending=yes) is redone. */
void sync_gate_add(struct sync_ctx *ctx, const struct spec_workload *w, const struct apply_plan *p,
		   struct sync_outcome *out);
void sync_gate_resume(struct sync_ctx *ctx, const struct spec_workload *w,
		      const struct sync_current *cur, const struct users_user *u,
		      struct sync_outcome *out);

/* held.c: true (out filled) when w is held, nothing to run for it, or its pending rollback was
 * handed to the gate; STATE/good opened (created 0700 where missing). */
bool sync_held(struct sync_ctx *ctx, const struct spec_workload *w, const struct apply_plan *p,
	       struct sync_outcome *out);
int sync_good_dir_open(const struct sync_ctx *ctx, int *ret_fd);

/* secrets.c: the values decrypted and their MAC mixed into p->hash, before anything changes
 * (a value that fails fails the workload, out filled); which Podman secrets are missing or
 * stale, once the user exists; whether that is drift; the plan's lines for --dry-run; the
 * pushes and removals (before the daemon-reload); the release (values wiped). */
int sync_secrets_prepare(const struct sync_ctx *ctx, const struct spec_workload *w,
			 struct apply_plan *p, struct sync_outcome *out);
int sync_secrets_plan(const struct sync_ctx *ctx, const struct spec_workload *w,
		      const struct sync_current *cur, struct apply_plan *p);
bool sync_secrets_drift(const struct apply_plan *p);
void sync_secrets_print(const struct spec_workload *w, const struct apply_plan *p, const char *act);
int sync_secrets_apply(const struct sync_ctx *ctx, const struct spec_workload *w,
		       const struct apply_plan *p, struct sync_outcome *out);
void sync_secrets_release(const struct spec_workload *w, struct apply_plan *p);
/* secrets.c: every value of w's [Secrets] (each of its lines of 4 bytes or more) overwritten with
 * '*' in text; -errno when the values cannot be read (then text must not be shown). */
int sync_secrets_mask(const struct sync_ctx *ctx, const struct spec_workload *w, char *text);

/* held.c: a rollback's good files written back as the user into home, w's files that the good
 * version lacks removed. */
int sync_good_write(const struct spec_workload *w, uid_t uid, gid_t gid, const char *home,
		    const struct state_good *good, struct userfs_error *err);
/* held.c: the timers of w that the good files lack (added by the failed deploy, which started
 * them) stopped and disabled; failures only logged. */
void sync_good_stop_added_timers(struct sync_ctx *ctx, const struct spec_workload *w,
				 const struct state_good *good);

/* gate_health.c: a HealthURL probed at most once a second (p->next, on the sync_now_ms() clock),
 * each probe bounded by a second and deadline: p->ok when it answered 2xx or 3xx, else why not in
 * p->msg. */
struct sync_probe {
	long long next;
	bool ok;
	char msg[160];
};
void sync_gate_probe(const char *url, struct sync_probe *p, long long now, long long deadline);

/* gate_health.c: append to a failed gate's reason the unit's state and result and its last
 * journal lines since since_s (epoch seconds), secrets masked; nothing when neither is known. */
void sync_gate_explain(const struct sync_ctx *ctx, const struct spec_workload *w, uid_t uid,
		       const char *unit, long long since_s, char reason[STATE_REASON_MAX + 1]);

#endif
