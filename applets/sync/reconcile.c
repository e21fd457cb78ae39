/* reconcile.c: the run over the workloads, once the desired state is fetched and valid: the
 * users, login.defs and records it reads, the guards of plan.c, each desired workload in name
 * order (apply.c), then each deployed one no longer desired (remove.c), and the report. */
#include "sync/sync.h"

#include "core.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The users (ctx->db when sync_run loaded them), login.defs and state a reconcile reads; the
 * records in ctx->state_fd. */
static int ctx_open(struct sync_ctx *ctx)
{
	int r = ctx->db ? 0 : users_db_load(NULL, USERS_SOURCE_ETC, &ctx->db);

	userfs_homes_init(&ctx->homes);
	if (r < 0)
		return log_error_errno(r, "cannot read %s and %s", USERS_PASSWD, USERS_GROUP);
	for (size_t i = 0; i < ctx->db->diags.n; i++)
		log_warning("%s:%u: %s", ctx->db->diags.items[i].path, ctx->db->diags.items[i].line,
			    ctx->db->diags.items[i].msg);
	r = users_db_load(NULL, USERS_SOURCE_ALTFILES, &ctx->alt_db);
	if (r < 0 && r != -ENOENT)
		log_warning_errno(r, "cannot read %s, ignoring", USERS_ALT_PASSWD);
	r = users_defs_load(NULL, &ctx->defs, NULL);
	if (r < 0)
		return log_error_errno(r, "cannot read %s", USERS_LOGIN_DEFS);
	r = sync_names_load(ctx);
	if (r < 0)
		return r;
	sync_subids_load(ctx);
	r = state_dir_open(ctx->config->state_dir, &ctx->state_fd);
	if (r < 0)
		return log_error_errno(r, "cannot open %s/workloads", ctx->config->state_dir);
	systemd_cmds_open_dirs(&ctx->cmds);
	return 0;
}

/* The run's descriptors closed. Its memory (the users, the names, the records, the slots, the
 * outcomes) is left to the process's exit, which sync_main() comes to right after: freed piece
 * by piece, with the desired state, it had musl unmap ~45 groups at 1 000 workloads, each a TLB
 * flush (issue 16). */
static void ctx_close(struct sync_ctx *ctx)
{
	if (ctx->state_fd >= 0)
		close(ctx->state_fd);
	ctx->state_fd = -1;
	systemd_cmds_close_dirs(&ctx->cmds);
	userfs_homes_close(&ctx->homes);
}

/* --only NAME narrows the run to one workload. */
static bool selected_by_only(const struct sync_ctx *ctx, const char *name)
{
	return !ctx->args->only || strcmp(ctx->args->only, name) == 0;
}

static struct sync_outcome *outcome_new(struct sync_ctx *ctx, const char *name)
{
	struct sync_outcome *o = &ctx->outcomes[ctx->n_outcomes++];

	*o = (struct sync_outcome){.name = name}; /* name outlives the report: see sync.h */
	return o;
}

/* The deployed entry of name, its record read; NULL when there is none. */
static struct sync_current *current_opened(struct sync_ctx *ctx, struct sync_current *cur,
					   size_t n_cur, const char *name, struct sync_outcome *o)
{
	const struct sync_current *found = sync_current_find(cur, n_cur, name);
	struct sync_current *c = found ? &cur[found - cur] : NULL;

	if (c && sync_current_open(ctx, c) < 0)
		sync_outcome_fail(o, NULL, "out of memory reading its record");
	return c;
}

/* Only the gate reads a record after its workload's turn, and only a created or updated one's
 * (steps.c, held.c): the others go now, so a no-op holds a window's records at a time. One the
 * gate keeps leaves ahead.c's slot, which the next window reuses; when there is no memory to
 * move it to, it stays, and no later window is asked ahead. */
static void current_done(struct sync_ctx *ctx, struct sync_current *c, const struct sync_outcome *o)
{
	if (!c)
		return;
	if (o->action != SYNC_CREATE && o->action != SYNC_UPDATE)
		sync_current_close(c);
	else if (sync_current_detach(c) < 0)
		sync_ahead_pin(&ctx->ahead);
}

/* Each desired workload, then each deployed one no longer desired; a failure in one never stops
 * the others (review P1.1). */
static void reconcile_all(struct sync_ctx *ctx, struct sync_current *cur, size_t n_cur)
{
	const struct spec_set *set = ctx->desired->set;
	struct sync_jobs jobs;

	sync_jobs_deploy_new(ctx, cur, n_cur, &jobs); /* a first boot's, concurrently */
	sync_ahead_init(&ctx->ahead, ctx);
	for (size_t i = 0; i < set->n_workloads; i++) {
		const struct spec_workload *w = &set->workloads[i];
		struct sync_current *c;
		struct sync_outcome *o;
		long long t0 = sync_now_ms();

		if (i % SYNC_AHEAD_WINDOW == 0)
			sync_ahead_window(&ctx->ahead, cur, n_cur, i);
		if (!selected_by_only(ctx, w->name))
			continue;
		o = outcome_new(ctx, w->name);
		if (sync_jobs_take(&jobs, w->name, o))
			continue;
		c = current_opened(ctx, cur, n_cur, w->name, o);
		if (o->result == SYNC_OK && !sync_name_refused(ctx, w, c != NULL, o))
			sync_apply_workload(ctx, w, c, sync_ahead_slot(&ctx->ahead, i), o);
		current_done(ctx, c, o);
		o->duration_ms = sync_now_ms() - t0;
	}
	sync_jobs_release(&jobs);
	sync_gate_run(ctx); /* every created or updated workload at once */
	sync_gate_free(ctx);
	for (size_t i = 0; i < n_cur; i++) {
		struct sync_outcome *o;
		long long t0 = sync_now_ms();

		if (!selected_by_only(ctx, cur[i].name) || spec_set_find(set, cur[i].name))
			continue;
		o = outcome_new(ctx, cur[i].name);
		if (sync_current_open(ctx, &cur[i]) < 0)
			sync_outcome_fail(o, NULL, "out of memory reading its record");
		else
			sync_remove_workload(ctx, &cur[i], o);
		sync_current_close(&cur[i]);
		o->duration_ms = sync_now_ms() - t0;
	}
}

static size_t count_removals(const struct sync_ctx *ctx, const struct sync_current *cur,
			     size_t n_cur)
{
	size_t n = 0;

	for (size_t i = 0; i < n_cur; i++)
		n += selected_by_only(ctx, cur[i].name) &&
		     !spec_set_find(ctx->desired->set, cur[i].name);
	return n;
}

static int run_reconcile(struct sync_ctx *ctx)
{
	struct sync_current *cur = NULL;
	size_t n_cur = 0, n_remove;
	const struct sync_args *args = ctx->args;
	bool failed = false;
	int status;

	if (ctx_open(ctx) < 0 || sync_current_load(ctx, &cur, &n_cur) < 0) {
		sync_report(ctx, "failed", "cannot read the users or the state", args->json);
		return EXIT_FAIL;
	}
	if (args->only && !spec_set_find(ctx->desired->set, args->only) &&
	    !sync_current_find(cur, n_cur, args->only)) {
		log_error("--only %s: no such workload, desired or deployed", args->only);
		sync_current_free(cur, n_cur);
		return EXIT_USAGE;
	}
	n_remove = count_removals(ctx, cur, n_cur);
	status = sync_check_guards(ctx, n_cur, n_remove,
				   args->allow_empty || ctx->config->allow_empty,
				   args->allow_mass_delete);
	if (status != EXIT_OK) {
		if (ctx->dry_run)
			printf("refuse: see the error above; nothing would change\n");
		sync_report(ctx, "refused", "a safety guard refused the run", args->json);
		sync_current_free(cur, n_cur);
		return status;
	}
	ctx->outcomes =
		calloc(ctx->desired->set->n_workloads + n_remove + 1, sizeof(*ctx->outcomes));
	if (!ctx->outcomes) {
		sync_current_free(cur, n_cur);
		return log_error_errno_status(EXIT_FAIL, -ENOMEM, "cannot plan the run");
	}
	reconcile_all(ctx, cur, n_cur);
	for (size_t i = 0; i < ctx->n_outcomes; i++)
		failed |= ctx->outcomes[i].result != SYNC_OK;
	sync_report(ctx, failed ? "failed" : "ok",
		    failed ? "some workloads failed or were refused" : NULL, args->json);
	if (!args->json)
		sync_print_summary(ctx);
	return failed ? EXIT_FAIL : EXIT_OK; /* cur too is left to the exit (ctx_close) */
}

int sync_reconcile(struct sync_ctx *ctx)
{
	int status = run_reconcile(ctx);

	ctx_close(ctx);
	return status;
}
