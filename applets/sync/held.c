/* held.c: what a run decides from a workload's record before it deploys it (issue 21) — held
 * while its desired files are the ones that failed the health gate (nothing runs for it, exit 1),
 * a rollback a killed or failed run left pending handed to the gate again, --redeploy NAME
 * overriding both — the good copy of a workload that goes, and the good files written back for a
 * rollback. The gate itself is gate.c. */
#include "sync/apply.h"

#include "core.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Issue 21: while the desired files are those that failed the health gate, nothing runs for the
 * workload (held); a rollback a killed run left pending is redone. --redeploy NAME retries. */
bool sync_held(struct sync_ctx *ctx, const struct spec_workload *w, const struct apply_plan *p,
	       struct sync_outcome *out)
{
	const struct state_record *rec = p->cur && p->cur->has_record ? p->cur->rec : NULL;

	if (!rec || !rec->failed_hash[0] || strcmp(rec->failed_hash, p->hash) != 0 ||
	    sync_redeploy_named(ctx, w->name))
		return false;
	if (rec->rollback_pending && !ctx->dry_run) {
		sync_gate_resume(ctx, w, p->cur, p->user, out);
		return true;
	}
	sync_outcome_set_held(out, rec->failed_commit);
	out->up = !ctx->dry_run && systemd_unit_running(&ctx->cmds, rec->uid, rec->service) == 1;
	if (ctx->dry_run)
		printf("held %s: at %.12s (%.12s failed: %s)%s\n", w->name, rec->commit,
		       rec->failed_commit, rec->failed_reason,
		       rec->rollback_pending ? "; redo the rollback" : "");
	sync_outcome_fail(out, NULL, "held at %.12s (%.12s failed: %s)", rec->commit,
			  rec->failed_commit, rec->failed_reason);
	return true;
}

int sync_good_dir_open(const struct sync_ctx *ctx, int *ret_fd)
{
	return state_subdir_open(ctx->config->state_dir, STATE_GOOD_DIR, ret_fd);
}

int sync_good_drop(const struct sync_ctx *ctx, const char *name)
{
	_cleanup_close_ int fd = -1;
	int r = sync_good_dir_open(ctx, &fd);

	return r < 0 ? r : state_good_remove(fd, name);
}

bool sync_redeploy_named(const struct sync_ctx *ctx, const char *name)
{
	for (unsigned i = 0; ctx->redeploy && i < ctx->redeploy->n; i++)
		if (strcmp(ctx->redeploy->items[i], name) == 0)
			return true;
	return false;
}

/* Whether the good files hold u. */
static bool good_has(const struct state_good *good, const struct spec_unit *u)
{
	for (size_t j = 0; j < good->n_files; j++)
		if (good->files[j].dir == u->dir && strcmp(good->files[j].name, u->name) == 0)
			return true;
	return false;
}

/* A timer the failed deploy added was enabled and started by it: stopped and disabled before its
 * file goes, or it would go on firing its service from the manager's memory. */
void sync_good_stop_added_timers(struct sync_ctx *ctx, const struct spec_workload *w,
				 const struct state_good *good)
{
	static const char *const verbs[] = {"stop", "disable"};
	struct systemd_error err = {0};

	for (size_t i = 0; i < w->n_units; i++) {
		const struct spec_unit *u = &w->units[i];

		if (u->dir != SPEC_UNIT_SYSTEMD || !sync_is_timer(u->name) || good_has(good, u))
			continue;
		for (size_t v = 0; v < ARRAY_SIZE(verbs); v++)
			if (systemd_user_unit(&ctx->cmds, w->name, verbs[v], u->name, &err) < 0)
				log_warning("%s: %s %s failed: %s, ignoring", w->name, verbs[v],
					    u->name, err.msg);
	}
}

/* The good files written back as the user, the desired ones it lacks removed. */
int sync_good_write(const struct spec_workload *w, uid_t uid, gid_t gid, const char *home,
		    const struct state_good *good, struct userfs_error *err)
{
	_cleanup_close_ int home_fd = -1;
	_cleanup_free_ struct userfs_write *writes = calloc(good->n_files + 1, sizeof(*writes));
	_cleanup_free_ struct userfs_remove *removes = calloc(w->n_units + 1, sizeof(*removes));
	struct userfs_job job = {.uid = uid, .gid = gid, .writes = writes};
	int r;

	if (!writes || !removes)
		return -ENOMEM;
	for (size_t i = 0; i < good->n_files; i++, job.n_writes++)
		writes[i] = (struct userfs_write){sync_unit_dir(good->files[i].dir),
						  good->files[i].name, good->files[i].data,
						  good->files[i].size};
	for (size_t i = 0; i < w->n_units; i++)
		if (!good_has(good, &w->units[i]))
			removes[job.n_removes++] = (struct userfs_remove){
				sync_unit_dir(w->units[i].dir), w->units[i].name};
	job.removes = removes;
	r = userfs_home_open(home, uid, &home_fd, err);
	job.home_fd = home_fd;
	return r < 0 ? r : userfs_apply(&job, err);
}
