/* apply.c: bring one desired workload in line: find what it needs before anything changes — its
 * user (regular, in the managed group, with subuid/subgid ranges), its mint group membership
 * (mintgroup.c), the files that differ, linger, manager, service (observe.c) — and decide the
 * action; then print the plan (--dry-run) or carry it out (steps.c) and record it only after all
 * of that worked. A workload whose content is unchanged is still checked (files on disk, linger,
 * manager, service from the cgroup tree, the home's mode, all without a child process; one with
 * secrets, in its record or its spec, also asks its manager for `podman secret ls`) and repaired
 * where it drifted (review P1.7); the home is kept private, 0700 (issue 13). */
#include "sync/apply.h"

#include "core.h"
#include "hash.h"
#include "log.h"
#include "shadow.h"
#include "userfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A user sync may manage: in the managed group and not a system account. A name taken by some
 * other user is a collision, never taken over (reviews P0.2, P1.11). */
static int check_managed(struct sync_ctx *ctx, const struct users_user *u, struct sync_outcome *out)
{
	const char *group = ctx->config->user_group;

	if (users_db_user_in_group(ctx->db, u->name, group) != 1) {
		sync_outcome_fail(out, NULL,
				  "user '%s' exists and is not in group '%s': tailpod did not "
				  "create it and will not take it over",
				  u->name, group);
		return -EPERM;
	}
	if (u->uid < ctx->defs.uid_min) {
		sync_outcome_fail(out, NULL,
				  "user '%s' has uid %u, below UID_MIN %u: a system account, "
				  "refusing to manage it",
				  u->name, (unsigned)u->uid, (unsigned)ctx->defs.uid_min);
		return -EPERM;
	}
	return 0;
}

static int create_user(struct sync_ctx *ctx, const char *name, struct sync_outcome *out)
{
	struct systemd_error err = {0};
	int r = shadow_user_add(&ctx->cmds, name, ctx->config->user_group, &err);

	if (r < 0) {
		sync_outcome_fail(out, "useradd", "%s", err.msg);
		return r;
	}
	r = sync_users_reload(ctx);
	if (r < 0)
		sync_outcome_fail(out, NULL, "cannot reread /etc/passwd after useradd: %s",
				  strerror(-r));
	return r;
}

static int ensure_user(struct sync_ctx *ctx, const char *name, struct apply_plan *p,
		       struct sync_outcome *out)
{
	const struct users_user *u;
	int r = users_db_find_user(ctx->db, name, &u);

	if (r == -ENOENT && ctx->alt_db && users_db_find_user(ctx->alt_db, name, &u) == 0) {
		sync_outcome_fail(out, NULL,
				  "'%s' is a system account of %s: a workload needs a user of "
				  "its own",
				  name, USERS_ALT_PASSWD);
		return -EEXIST;
	}
	if (r == -ENOENT) {
		p->create_user = true;
		if (ctx->dry_run)
			return 0;
		r = create_user(ctx, name, out);
		if (r < 0)
			return r;
		r = users_db_find_user(ctx->db, name, &u);
		if (r < 0) {
			sync_outcome_fail(out, "useradd", "'%s' is not in /etc/passwd afterwards",
					  name);
			return r;
		}
	} else if (r < 0) {
		sync_outcome_fail(out, NULL, "cannot look up user '%s': %s", name, strerror(-r));
		return r;
	}
	if (ctx->created_user && strcmp(ctx->created_user, name) == 0)
		p->create_user = true; /* by the parent of this deploy process (jobs.c) */
	p->user = u;
	return check_managed(ctx, u, out);
}

static void plan_mint_group(struct sync_ctx *ctx, const struct spec_workload *w,
			    struct apply_plan *p)
{
	bool member = p->user && !p->create_user &&
		      users_db_user_in_group(ctx->db, p->user->name, ctx->config->mint_group) == 1;
	bool wanted = sync_uses_mint_key(w);

	p->mint_join = wanted && !member;
	p->mint_leave = !wanted && member;
}

/* Rootless Podman maps the container's ids through these ranges: without them nothing starts. */
static int check_subids(struct sync_ctx *ctx, const struct users_user *u, struct sync_outcome *out)
{
	const char *const *files = sync_subid_files;
	struct users_subid_range range;

	for (size_t i = 0; i < ARRAY_SIZE(ctx->subids); i++) {
		int r = ctx->subids[i] ? users_subids_find(ctx->subids[i], u->name, u->uid, &range)
				       : ctx->subids_error[i];

		if (r == -ENOENT) {
			sync_outcome_fail(out, NULL,
					  "no range for '%s' in %s: rootless Podman cannot run "
					  "it (check SUB_UID_* and SUB_GID_* in %s)",
					  u->name, files[i], USERS_LOGIN_DEFS);
			return r;
		}
		if (r < 0) {
			sync_outcome_fail(out, NULL, "cannot read %s: %s", files[i], strerror(-r));
			return r;
		}
	}
	return 0;
}

static bool files_equal(const struct spec_workload *w, const struct state_record *rec)
{
	if (rec->n_files != w->n_units)
		return false;
	for (size_t i = 0; i < w->n_units; i++)
		if (rec->files[i].dir != w->units[i].dir ||
		    strcmp(rec->files[i].name, w->units[i].name) != 0)
			return false;
	return true;
}

/* Whether quadsync recorded exactly the bytes tailpod deploys (its composite hash over them). */
static bool quadsync_same(const struct sync_ctx *ctx, const struct spec_workload *w)
{
	char recorded[STATE_HASH_HEX_SIZE], ours[STATE_HASH_HEX_SIZE];

	if (state_quadsync_hash(ctx->config->quadsync_state_dir, w->name, recorded) < 0)
		return false;
	state_quadsync_hash_of(w, ours);
	return strcmp(recorded, ours) == 0;
}

static void plan_action(struct sync_ctx *ctx, const struct spec_workload *w,
			const struct sync_current *cur, struct apply_plan *p,
			struct sync_outcome *out)
{
	bool recorded = cur && cur->has_record;
	bool redeploy = sync_redeploy_named(ctx, w->name);

	p->content_changed = !recorded || strcmp(cur->rec->hash, p->hash) != 0 || redeploy;
	/* quadsync merged the same specs into different bytes: rewriting them must not restart a
	 * running service, or moving a host to tailpod would restart every workload. */
	p->adopt = !recorded && cur && cur->from_quadsync && !p->service_down && !redeploy;
	if (p->adopt)
		p->quadsync_same = quadsync_same(ctx, w);
	p->record_stale = !recorded || p->content_changed || cur->rec->uid != p->user->uid ||
			  !files_equal(w, cur->rec) || cur->rec->failed_hash[0];
	if (p->create_user || (!recorded && !p->adopt && !cur))
		out->action = SYNC_CREATE;
	else if (p->adopt)
		out->action = SYNC_ADOPT;
	else if (p->content_changed)
		out->action = recorded ? SYNC_UPDATE : SYNC_CREATE;
	else if (p->n_writes || p->n_removes || p->linger_off || p->manager_down ||
		 p->service_down || p->home_public || sync_secrets_drift(p))
		out->action = SYNC_REPAIR;
	else
		out->action = SYNC_NONE;
}

static void print_plan(const struct spec_workload *w, const struct apply_plan *p,
		       const struct sync_ctx *ctx, const struct sync_outcome *out)
{
	const char *act = sync_action_name(out->action);

	if (p->create_user)
		printf("%s %s: create user %s in group %s\n", act, w->name, w->name,
		       ctx->config->user_group);
	if (p->home_public)
		printf("%s %s: make the home %s private (mode %04o)\n", act, w->name, p->user->home,
		       (unsigned)USERFS_HOME_MODE);
	if (p->mint_join || p->mint_leave)
		printf("%s %s: %s group %s%s\n", act, w->name, p->mint_join ? "join" : "leave",
		       ctx->config->mint_group,
		       p->manager_down ? "" : " and restart the user manager");
	if (p->linger_off)
		printf("%s %s: enable linger\n", act, w->name);
	if (p->manager_down)
		printf("%s %s: start the user manager\n", act, w->name);
	for (size_t i = 0; i < p->n_writes; i++)
		printf("%s %s: write ~/%s/%s\n", act, w->name, p->writes[i].dir, p->writes[i].name);
	for (size_t i = 0; i < p->n_removes; i++)
		printf("%s %s: remove ~/%s/%s\n", act, w->name, p->removes[i].dir,
		       p->removes[i].name);
	for (size_t i = 0; apply_plan_needs_restart(p) && i < p->n_restarts; i++)
		printf("%s %s: restart %s%s\n", act, w->name, p->restarts[i],
		       p->service_down && !p->create_user && strcmp(p->restarts[i], w->service) == 0
			       ? " (not running)"
			       : "");
	sync_secrets_print(w, p, act);
	if (out->action == SYNC_CREATE || out->action == SYNC_UPDATE)
		printf("%s %s: gate %s (healthy for %u s, within %u s), else %s\n", act, w->name,
		       w->kind == SPEC_KIND_APP ? "every service that runs" : w->service,
		       ctx->config->health_settle_s, ctx->config->health_timeout_s,
		       out->action == SYNC_CREATE ? "stop it" : "roll back");
	if (p->record_stale && out->action == SYNC_NONE)
		printf("%s %s: update the record\n", act, w->name);
}

static void log_outcome(const struct spec_workload *w, const struct apply_plan *p,
			const struct sync_outcome *out)
{
	switch (out->action) {
	case SYNC_NONE:
		return;
	case SYNC_REPAIR:
		log_notice("%s: repaired (%s)", w->name, sync_outcome_text(out->repairs));
		return;
	case SYNC_ADOPT:
		log_notice("%s: adopted from quadsync, %s (%u files rewritten, not restarted)",
			   w->name,
			   p->quadsync_same ? "the same bytes as tailpod's"
					    : "tailpod merges to other bytes",
			   out->n_written);
		return;
	default:
		log_notice("%s: %s (%u file%s written, %u removed, %s%s restarted)", w->name,
			   out->action == SYNC_CREATE ? "created" : "updated", out->n_written,
			   out->n_written == 1 ? "" : "s", out->n_removed,
			   p->n_restarts ? p->restarts[0] : "nothing",
			   p->n_restarts > 1 ? " and more" : "");
	}
}

/* A no-op keeps the stamps it found settled, so the next one compares by fstat alone. Only a
 * spared read is lost when this fails. */
static void restamp(struct sync_ctx *ctx, const struct spec_workload *w,
		    const struct sync_current *cur, const struct apply_plan *p)
{
	int r;

	if (!p->stamps_new || p->record_stale || !cur || !cur->has_record ||
	    cur->rec->n_files != w->n_units)
		return;
	r = state_record_restamp(ctx->state_fd, cur->rec, p->stamps);
	if (r < 0)
		log_warning_errno(r, "%s: cannot record the files' stamps in %s/workloads", w->name,
				  ctx->config->state_dir);
}

static void plan_release(const struct spec_workload *w, struct apply_plan *p)
{
	sync_secrets_release(w, p);
	if (p->home_fd >= 0)
		close(p->home_fd);
	free(p->stamps);
	free(p->writes);
	free(p->removes);
	free(p->restarts);
	free(p->down);
}

/* What w is on the host now (observe.c): its slot's answers when they were asked ahead (ahead.c),
 * else asked now; -errno with out failed (-ENOMEM: not yet). */
static int observe(struct sync_ctx *ctx, const struct spec_workload *w,
		   const struct sync_current *cur, const struct sync_ahead_slot *ahead,
		   struct apply_plan *p, struct sync_outcome *out)
{
	struct userfs_error err = {0};
	int r = sync_ahead_take(ahead, w, cur, p);

	if (r != 0)
		return r < 0 ? r : 0;
	if (p->user) {
		r = apply_observe_home(ctx, p, out);
		if (r < 0)
			return r;
	}
	r = apply_plan_alloc(w, cur, p);
	if (r >= 0)
		r = apply_observe_files(w, cur, p, &err);
	if (r < 0) {
		if (err.msg[0])
			sync_outcome_fail(out, NULL, "%s", err.msg);
		return r;
	}
	apply_observe_liveness(ctx, w, p);
	return 0;
}

void sync_apply_workload(struct sync_ctx *ctx, const struct spec_workload *w,
			 const struct sync_current *cur, const struct sync_ahead_slot *ahead,
			 struct sync_outcome *out)
{
	struct apply_plan p = {.home_fd = -1, .files_fd = -1, .cur = cur};
	int r;

	desired_workload_hash(w, p.hash);
	r = sync_secrets_prepare(ctx, w, &p, out);
	if (r >= 0)
		r = ensure_user(ctx, w->name, &p, out);
	if (r >= 0 && p.user && sync_held(ctx, w, &p, out)) {
		plan_release(w, &p);
		return;
	}
	if (r >= 0 && p.user)
		r = check_subids(ctx, p.user, out);
	if (r >= 0)
		r = observe(ctx, w, cur, ahead, &p, out);
	if (r >= 0)
		r = sync_secrets_plan(ctx, w, cur, &p);
	if (r >= 0) {
		plan_mint_group(ctx, w, &p);
		if (!p.user)
			p.content_changed = p.record_stale = true, out->action = SYNC_CREATE;
		else
			plan_action(ctx, w, cur, &p, out);
		r = apply_plan_restarts(w, &p);
	}
	if (r == -ENOMEM)
		sync_outcome_fail(out, NULL, "out of memory");
	if (r >= 0) {
		if (ctx->dry_run)
			print_plan(w, &p, ctx, out);
		else if (apply_home_for_steps(&p, out) >= 0 &&
			 apply_plan_steps(ctx, w, &p, out) >= 0)
			log_outcome(w, &p, out);
	}
	if (!ctx->dry_run && out->result == SYNC_OK && out->action == SYNC_NONE) {
		out->up = true;
		restamp(ctx, w, cur, &p);
	}
	plan_release(w, &p);
}
