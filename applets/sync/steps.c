/* steps.c: the changes that bring one workload in line, in the order the issue fixes — the home
 * made private, linger and the user manager (restarted when its mint group changed), the files
 * written as the user, daemon-reload, restart, timers — and its record, stored only after all of
 * that worked. apply.c decides which of them a workload needs. */
#include "sync/apply.h"

#include "core.h"
#include "log.h"
#include "shadow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool apply_plan_needs_restart(const struct apply_plan *p)
{
	if (p->adopt)
		return p->service_down;
	return p->content_changed || p->n_writes > 0 || p->service_down;
}

static bool unit_written(const struct apply_plan *p, const struct spec_unit *u)
{
	for (size_t i = 0; i < p->n_writes; i++)
		if (p->writes[i].name == u->name)
			return true;
	return false;
}

static void add_restart(struct apply_plan *p, const char *unit)
{
	for (size_t i = 0; i < p->n_restarts; i++)
		if (strcmp(p->restarts[i], unit) == 0)
			return;
	p->restarts[p->n_restarts++] = unit;
}

int apply_plan_restarts(const struct spec_workload *w, struct apply_plan *p)
{
	bool all = p->create_user || p->n_removes > 0 || (p->content_changed && !p->n_writes) ||
		   p->mint_join || p->mint_leave; /* a restarted manager stopped them all */

	free(p->restarts);
	p->n_restarts = 0;
	p->restarts = calloc(w->n_units + 1, sizeof(*p->restarts));
	if (!p->restarts)
		return -ENOMEM;
	if (!apply_plan_needs_restart(p))
		return 0;
	if (w->kind != SPEC_KIND_APP || w->target) {
		p->restarts[p->n_restarts++] = w->target ? w->target : w->service;
		return 0;
	}
	for (size_t i = 0; i < w->n_units; i++)
		all = all || (w->units[i].dir == SPEC_UNIT_QUADLET && !w->units[i].service &&
			      unit_written(p, &w->units[i]));
	for (size_t i = 0; i < w->n_units; i++)
		if (w->units[i].service && (all || unit_written(p, &w->units[i])))
			add_restart(p, w->units[i].service);
	for (size_t i = 0; i < p->n_down; i++)
		add_restart(p, p->down[i]);
	if (p->n_restarts == 0)
		add_restart(p, w->service);
	return 0;
}

static int systemctl_user_verb(struct sync_ctx *ctx, const char *name, const char *verb,
			       const char *unit, struct sync_outcome *out)
{
	struct systemd_error err = {0};
	int r = systemd_user_unit(&ctx->cmds, name, verb, unit, &err);

	if (r < 0)
		sync_outcome_fail(out, verb, "%s", err.msg);
	return r;
}

/* A manager keeps the groups it started with: one whose user joined or left the mint group is
 * restarted, so the mint-key socket sees the new membership. */
static int change_mint_group(struct sync_ctx *ctx, const struct spec_workload *w,
			     struct apply_plan *p, struct sync_outcome *out)
{
	struct systemd_error err = {0};
	int r;

	if (!p->mint_join && !p->mint_leave)
		return 0;
	r = shadow_user_group(&ctx->cmds, w->name, ctx->config->mint_group, p->mint_join, &err);
	if (r < 0) {
		sync_outcome_fail(out, "usermod", "%s", err.msg);
		return r;
	}
	if (!p->create_user)
		sync_outcome_add_repair(out, p->mint_join ? "joined the mint group"
							  : "left the mint group");
	if (p->manager_down)
		return 0;
	r = systemd_manager_restart(&ctx->cmds, p->user->uid, &err);
	if (r < 0)
		sync_outcome_fail(out, "user manager restart", "%s", err.msg);
	p->service_down = true; /* its services stopped with it */
	return r;
}

static int start_manager(struct sync_ctx *ctx, const struct spec_workload *w, struct apply_plan *p,
			 struct sync_outcome *out)
{
	struct systemd_error err = {0};
	int r = change_mint_group(ctx, w, p, out);

	if (r < 0)
		return r;

	if (p->linger_off) {
		r = systemd_linger_enable(&ctx->cmds, w->name, &err);
		if (r < 0) {
			sync_outcome_fail(out, "enable-linger", "%s", err.msg);
			return r;
		}
		if (!p->create_user)
			sync_outcome_add_repair(out, "linger");
	}
	if (p->manager_down) {
		r = systemd_manager_start(&ctx->cmds, p->user->uid, &err);
		if (r < 0) {
			sync_outcome_fail(out, "user manager start", "%s", err.msg);
			return r;
		}
		if (!p->create_user)
			sync_outcome_add_repair(out, "user manager");
	}
	return 0;
}

/* Timers that go away are disabled while their files still exist. */
static void disable_removed_timers(struct sync_ctx *ctx, const char *name,
				   const struct apply_plan *p)
{
	struct systemd_error err = {0};

	for (size_t i = 0; i < p->n_removes; i++)
		if (sync_is_timer(p->removes[i].name) &&
		    systemd_user_unit(&ctx->cmds, name, "disable", p->removes[i].name, &err) < 0)
			log_warning("%s: disable %s failed: %s, ignoring", name, p->removes[i].name,
				    err.msg);
}

static int write_files(const struct apply_plan *p, struct sync_outcome *out)
{
	struct userfs_error err = {0};
	struct userfs_job job = {
		.home_fd = p->home_fd,
		.uid = p->user->uid,
		.gid = p->user->gid,
		.writes = p->writes,
		.n_writes = p->n_writes,
		.removes = p->removes,
		.n_removes = p->n_removes,
	};
	int r = userfs_apply(&job, &err);

	if (r < 0) {
		sync_outcome_fail(out, "write", "%s", err.msg);
		return r;
	}
	out->n_written = (unsigned)p->n_writes;
	out->n_removed = (unsigned)p->n_removes;
	return 0;
}

static int start_timers(struct sync_ctx *ctx, const struct spec_workload *w,
			struct sync_outcome *out)
{
	for (size_t i = 0; i < w->n_units; i++) {
		const char *unit = w->units[i].name;

		if (w->units[i].dir != SPEC_UNIT_SYSTEMD || !sync_is_timer(unit))
			continue;
		if (systemctl_user_verb(ctx, w->name, "enable", unit, out) < 0 ||
		    systemctl_user_verb(ctx, w->name, "start", unit, out) < 0)
			return -EPROTO;
	}
	return 0;
}

int sync_record_store(struct sync_ctx *ctx, const struct spec_workload *w, uid_t uid,
		      const char *hash, const char *files_hash, const struct fs_stamp *stamps,
		      struct sync_outcome *out)
{
	struct state_record rec = {.uid = uid, .deployed_at = (long long)time(NULL)};
	int r;

	rec.files = calloc(w->n_units ? w->n_units : 1, sizeof(*rec.files));
	if (!rec.files)
		return -ENOMEM;
	snprintf(rec.name, sizeof(rec.name), "%s", w->name);
	snprintf(rec.hash, sizeof(rec.hash), "%s", hash);
	snprintf(rec.files_hash, sizeof(rec.files_hash), "%s", files_hash);
	snprintf(rec.commit, sizeof(rec.commit), "%s", ctx->desired->commit);
	snprintf(rec.service, sizeof(rec.service), "%s", w->service);
	for (size_t i = 0; i < w->n_units; i++) {
		snprintf(rec.files[i].name, sizeof(rec.files[i].name), "%s", w->units[i].name);
		rec.files[i].dir = w->units[i].dir;
		rec.files[i].stamp = stamps ? stamps[i] : (struct fs_stamp){0};
	}
	rec.n_files = w->n_units;
	rec.secrets = calloc(w->n_secrets + 1, sizeof(*rec.secrets));
	for (size_t i = 0; rec.secrets && i < w->n_secrets; i++)
		rec.secrets[rec.n_secrets++] = w->secrets[i].name;
	r = rec.secrets ? state_record_store(ctx->state_fd, &rec) : -ENOMEM;
	free(rec.secrets);
	free(rec.files);
	if (r < 0)
		sync_outcome_fail(out, "record", "%s/workloads/%s: %s", ctx->config->state_dir,
				  w->name, strerror(-r));
	return r;
}

/* useradd leaves the home at the host's HOME_MODE (0755 on Debian 12), and its user may chmod it:
 * root sets it back on the fd it checked, before anything is written beneath it. */
static int make_home_private(const struct apply_plan *p, struct sync_outcome *out)
{
	struct userfs_error err = {0};
	int r;

	if (!p->home_public)
		return 0;
	r = userfs_home_make_private(p->home_fd, p->user->home, &err);
	if (r < 0) {
		sync_outcome_fail(out, NULL, "%s", err.msg);
		return r;
	}
	if (!p->create_user)
		sync_outcome_add_repair(out, "home mode");
	return 0;
}

/* The changes, in order; the first failure stops this workload and leaves its record as it was,
 * so the next run tries again. */
int apply_plan_steps(struct sync_ctx *ctx, const struct spec_workload *w, struct apply_plan *p,
		     struct sync_outcome *out)
{
	bool reload = p->create_user || p->n_writes || p->n_removes;
	bool restart, gated;
	int r = make_home_private(p, out);

	if (r >= 0)
		r = start_manager(ctx, w, p, out);
	if (r < 0)
		return r;
	restart = apply_plan_needs_restart(p); /* a restarted manager stopped the service */
	/* a created or updated workload's record waits for the health gate (gate.c) */
	gated = restart && (out->action == SYNC_CREATE || out->action == SYNC_UPDATE);
	if (restart && !p->n_restarts && apply_plan_restarts(w, p) < 0) {
		sync_outcome_fail(out, NULL, "out of memory");
		return -ENOMEM;
	}
	disable_removed_timers(ctx, w->name, p);
	if ((p->n_writes || p->n_removes) && (r = write_files(p, out)) < 0)
		return r;
	if (out->action == SYNC_REPAIR && p->n_writes)
		sync_outcome_add_repair(out, "files");
	if ((r = sync_secrets_apply(ctx, w, p, out)) < 0)
		return r;
	if (out->action == SYNC_REPAIR && sync_secrets_drift(p))
		sync_outcome_add_repair(out, "secrets");
	if (reload && (r = systemctl_user_verb(ctx, w->name, "daemon-reload", NULL, out)) < 0)
		return r;
	for (size_t i = 0; restart && i < p->n_restarts; i++)
		if ((r = systemctl_user_verb(ctx, w->name, "restart", p->restarts[i], out)) < 0) {
			if (gated)
				sync_gate_add(ctx, w, p, out);
			return r;
		}
	if (out->action == SYNC_REPAIR && p->service_down && !p->manager_down)
		sync_outcome_add_repair(out, "service");
	if (restart && (r = start_timers(ctx, w, out)) < 0)
		return r;
	if (gated) {
		sync_gate_add(ctx, w, p, out);
		return 0;
	}
	out->up = true;
	return p->record_stale ? sync_record_store(ctx, w, p->user->uid, p->hash, p->files_hash,
						   p->stamps, out)
			       : 0;
}
