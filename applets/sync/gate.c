/* gate.c: the health gate of issue 21. A created or updated workload's record is stored only
 * once its services have stayed up for TAILPOD_HEALTH_SETTLE after the restart; every gated
 * workload of the run is watched in one polling loop (cgroup liveness, no child process), all
 * within TAILPOD_HEALTH_TIMEOUT. One that fails is rolled back to its last good files
 * (core/state_rollout), which are gated again; its record keeps the good commit and notes the
 * failed one, held until the desired files change. A new workload that fails is stopped. The
 * record says Pending=yes while a rollback runs, so a rollback killed half way is redone by the
 * next run; a rollback that fails keeps it so. */
#include "sync/apply.h"

#include "core.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	GATE_POLL_MS = 200,	  /* between two looks at the cgroups */
	GATE_PROBE_MS = 1000,	  /* between two probes of a HealthURL, and each one's bound */
	GATE_PROBE_MSG_MAX = 160, /* bytes of why the last probe failed */
};

enum gate_state { GATE_WAIT, GATE_PASSED, GATE_FAILED, GATE_DONE };

struct gate_item {
	const struct spec_workload *w;
	/* Whose record (item_good) is the one before this run; NULL, or none: a new workload.
	 * Read when the gate runs: a record read ahead (ahead.c) has left its slot by then. */
	const struct sync_current *cur;
	struct sync_outcome *out;
	uid_t uid;
	gid_t gid;
	char home[PATH_MAX];
	char hash[HASH_SHA256_HEX_SIZE], files_hash[HASH_SHA256_HEX_SIZE];
	enum gate_state state;
	bool rollback;	/* this gate is the rollback's */
	bool explained; /* the reason has its unit's result and journal lines (or never gets them)
			 */
	long long active_since;
	long long since_s;	 /* wall clock when the deploy was gated: its journal lines begin */
	const char *bad_unit;	 /* the unit that failed the gate */
	struct sync_probe probe; /* of its HealthURL */
	char reason[STATE_REASON_MAX + 1];	  /* why it failed (then why its rollback did) */
	char failed_reason[STATE_REASON_MAX + 1]; /* why the deploy failed */
	char failed_commit[STATE_COMMIT_HEX_SIZE];
};

struct sync_gate {
	struct gate_item *items;
	size_t n, cap;
};

static const struct state_record *item_good(const struct gate_item *it)
{
	return it->cur && it->cur->has_record ? it->cur->rec : NULL;
}

static struct gate_item *gate_item_new(struct sync_ctx *ctx, const struct spec_workload *w,
				       struct sync_outcome *out)
{
	struct sync_gate *g = ctx->gate;

	if (!g) {
		g = ctx->gate = calloc(1, sizeof(*g));
		if (g)
			g->cap = ctx->desired->set->n_workloads + 1;
		if (g && !(g->items = calloc(g->cap, sizeof(*g->items)))) {
			free(g);
			g = ctx->gate = NULL;
		}
	}
	if (!g || g->n >= g->cap) {
		sync_outcome_fail(out, NULL, "out of memory for the health gate");
		return NULL;
	}
	g->items[g->n] = (struct gate_item){
		.w = w, .out = out, .since_s = (long long)time(NULL) - 1, .bad_unit = w->service};
	return &g->items[g->n++];
}

void sync_gate_add(struct sync_ctx *ctx, const struct spec_workload *w, const struct apply_plan *p,
		   struct sync_outcome *out)
{
	struct gate_item *it = gate_item_new(ctx, w, out);

	if (!it)
		return;
	it->cur = p->cur;
	it->uid = p->user->uid;
	it->gid = p->user->gid;
	snprintf(it->home, sizeof(it->home), "%s", p->user->home);
	snprintf(it->hash, sizeof(it->hash), "%s", p->hash);
	snprintf(it->files_hash, sizeof(it->files_hash), "%s", p->files_hash);
	it->state = out->result == SYNC_OK ? GATE_WAIT : GATE_FAILED;
	state_reason_set(it->reason, sync_outcome_text(out->error));
}

void sync_gate_resume(struct sync_ctx *ctx, const struct spec_workload *w,
		      const struct sync_current *cur, const struct users_user *u,
		      struct sync_outcome *out)
{
	struct gate_item *it = gate_item_new(ctx, w, out);

	if (!it)
		return;
	it->cur = cur;
	it->uid = u->uid;
	it->gid = u->gid;
	snprintf(it->home, sizeof(it->home), "%s", u->home);
	snprintf(it->hash, sizeof(it->hash), "%s", cur->rec->failed_hash);
	it->state = GATE_FAILED;
	snprintf(it->reason, sizeof(it->reason), "%s", cur->rec->failed_reason);
	snprintf(it->failed_commit, sizeof(it->failed_commit), "%s", cur->rec->failed_commit);
	it->explained = true; /* the reason is the record's, from the run that failed */
	out->action = SYNC_UPDATE;
	log_notice("%s: a rollback did not finish, redoing it", w->name);
}

/* Every unit of it that runs is up (the service, and an app's units that run), from the cgroups. */
static bool item_up(const struct sync_ctx *ctx, const struct gate_item *it)
{
	const char *service = it->rollback ? item_good(it)->service : it->w->service;

	if (systemd_unit_running(&ctx->cmds, it->uid, service) != 1)
		return false;
	for (size_t i = 0; !it->rollback && i < it->w->n_units; i++)
		if (it->w->units[i].runs &&
		    systemd_unit_running(&ctx->cmds, it->uid, it->w->units[i].service) != 1)
			return false;
	return true;
}

/* The HealthURL of a deploy's gate (a rollback's has none: the good version's is not kept). */
static const char *item_url(const struct gate_item *it)
{
	return it->rollback ? NULL : it->w->health_url;
}

static void item_fail(struct gate_item *it, const char *unit, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void item_fail(struct gate_item *it, const char *unit, const char *fmt, ...)
{
	char reason[STATE_REASON_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	state_reason_set(it->reason, reason);
	it->state = GATE_FAILED;
	it->bad_unit = unit;
}

/* One look at each waiting item; true while some still wait. */
static bool gate_poll(const struct sync_ctx *ctx, struct sync_gate *g, long long now,
		      long long deadline)
{
	unsigned settle = ctx->config->health_settle_s, timeout = ctx->config->health_timeout_s;
	bool waiting = false, up;

	for (size_t i = 0; i < g->n; i++) {
		struct gate_item *it = &g->items[i];
		const char *unit = it->rollback ? item_good(it)->service : it->w->service;

		if (it->state != GATE_WAIT)
			continue;
		up = item_up(ctx, it);
		/* Not up yet is not a failure: an app's units start through their dependencies
		 * after the restart returned (the VM showed one still activating), and a first
		 * start may import its image. Only the deadline, or a stop once it was up, fails
		 * the gate. */
		if (!up && it->active_since)
			item_fail(it, unit, "%s stopped within the settle time of %u s", unit,
				  settle);
		else if (!up && now >= deadline)
			item_fail(it, unit, "%s is not running within TAILPOD_HEALTH_TIMEOUT=%u s",
				  unit, timeout);
		else if (up && !it->active_since)
			it->active_since = now;
		if (it->state == GATE_WAIT && up && item_url(it) && now < deadline)
			sync_gate_probe(item_url(it), &it->probe, now, deadline);
		/* Healthy: up for the settle time, and the HealthURL's last answer was good. */
		if (it->state == GATE_WAIT && up && now - it->active_since >= settle * 1000LL &&
		    (!item_url(it) || it->probe.ok))
			it->state = GATE_PASSED;
		else if (it->state == GATE_WAIT && up && now >= deadline && item_url(it) &&
			 !it->probe.ok)
			item_fail(it, unit,
				  "%s runs but HealthURL=%.120s %.120s within "
				  "TAILPOD_HEALTH_TIMEOUT=%u s",
				  unit, item_url(it), it->probe.msg, timeout);
		else if (it->state == GATE_WAIT && up && now >= deadline)
			item_fail(it, unit, "%s not healthy within TAILPOD_HEALTH_TIMEOUT=%u s",
				  unit, timeout);
		waiting |= it->state == GATE_WAIT;
	}
	return waiting;
}

/* Watch every waiting item together until each passed or failed. */
static void gate_wait(const struct sync_ctx *ctx, struct sync_gate *g)
{
	long long deadline = sync_now_ms() + ctx->config->health_timeout_s * 1000LL;

	for (size_t i = 0; i < g->n; i++) {
		g->items[i].active_since = 0;
		g->items[i].probe = (struct sync_probe){0};
	}
	while (gate_poll(ctx, g, sync_now_ms(), deadline)) {
		struct timespec ts = {0, GATE_POLL_MS * 1000000L};

		nanosleep(&ts, NULL);
	}
}

/* Passed: the record, then the good copy of what now runs. */
static void item_passed(struct sync_ctx *ctx, struct gate_item *it)
{
	_cleanup_close_ int fd = -1;
	int r;

	it->state = GATE_DONE;
	it->out->up = true;
	if (it->rollback)
		return;
	if (sync_record_store(ctx, it->w, it->uid, it->hash, it->files_hash, NULL, it->out) < 0)
		return;
	r = sync_good_dir_open(ctx, &fd);
	if (r >= 0)
		r = state_good_store(fd, it->w);
	if (r < 0)
		log_warning("%s: cannot keep its good files in %s/%s: %s, ignoring", it->w->name,
			    ctx->config->state_dir, STATE_GOOD_DIR, strerror(-r));
}

/* The record before this run, noting the failed deploy; pending while the rollback runs. */
static int store_held(struct sync_ctx *ctx, struct gate_item *it, bool pending)
{
	struct state_record rec = *item_good(it);
	int r;

	snprintf(rec.failed_hash, sizeof(rec.failed_hash), "%s", it->hash);
	snprintf(rec.failed_commit, sizeof(rec.failed_commit), "%s", it->failed_commit);
	snprintf(rec.failed_reason, sizeof(rec.failed_reason), "%s", it->failed_reason);
	rec.rollback_pending = pending;
	r = state_record_store(ctx->state_fd, &rec);
	if (r < 0)
		sync_outcome_fail(it->out, "record", "%s/workloads/%s: %s", ctx->config->state_dir,
				  it->w->name, strerror(-r));
	return r;
}

/* A new workload that fails is stopped: no good version to go back to. */
static void stop_new(struct sync_ctx *ctx, struct gate_item *it)
{
	struct systemd_error err = {0};

	it->state = GATE_DONE;
	it->out->up = false;
	if (it->out->result == SYNC_OK)
		sync_outcome_fail(it->out, NULL, "%s", it->reason);
	if (systemd_user_unit(&ctx->cmds, it->w->name, "stop", it->w->service, &err) < 0)
		log_warning("%s: stop %s failed: %s, ignoring", it->w->name, it->w->service,
			    err.msg);
}

/* Write the good files back, daemon-reload, restart: the rollback before its own gate. */
static int roll_back(struct sync_ctx *ctx, struct gate_item *it, char *msg, size_t size)
{
	struct state_good good = {0};
	struct userfs_error uerr = {0};
	struct systemd_error err = {0};
	_cleanup_close_ int fd = -1;
	const char *name = it->w->name;
	int r = sync_good_dir_open(ctx, &fd);

	if (r >= 0)
		r = state_good_load(fd, name, &good);
	if (r < 0) {
		snprintf(msg, size, "no good files to roll back to (%s)", strerror(-r));
		return r;
	}
	r = store_held(ctx, it, true);
	if (r >= 0)
		sync_good_stop_added_timers(ctx, it->w, &good);
	if (r >= 0 && (r = sync_good_write(it->w, it->uid, it->gid, it->home, &good, &uerr)) < 0)
		snprintf(msg, size, "write failed: %.400s", uerr.msg);
	state_good_release(&good);
	if (r >= 0 && (r = systemd_user_unit(&ctx->cmds, name, "daemon-reload", NULL, &err)) < 0)
		snprintf(msg, size, "daemon-reload failed: %.400s", err.msg);
	if (r >= 0 &&
	    (r = systemd_user_unit(&ctx->cmds, name, "restart", item_good(it)->service, &err)) < 0)
		snprintf(msg, size, "restart failed: %.400s", err.msg);
	return r;
}

static void item_failed(struct sync_ctx *ctx, struct gate_item *it)
{
	char msg[SYNC_ERROR_MAX] = "";

	if (!item_good(it)) {
		stop_new(ctx, it);
		return;
	}
	if (it->rollback) {
		it->state = GATE_DONE;
		it->out->up = false;
		sync_outcome_fail(it->out, NULL, "rollback to %.12s failed: %s (%.12s failed: %s)",
				  item_good(it)->commit, it->reason, it->failed_commit,
				  it->failed_reason);
		return;
	}
	if (!it->failed_commit[0])
		snprintf(it->failed_commit, sizeof(it->failed_commit), "%s", ctx->desired->commit);
	snprintf(it->failed_reason, sizeof(it->failed_reason), "%s", it->reason);
	log_notice("%s: rolling back to %.12s: %s", it->w->name, item_good(it)->commit, it->reason);
	if (roll_back(ctx, it, msg, sizeof(msg)) < 0) {
		it->state = GATE_DONE;
		it->out->up = false;
		sync_outcome_fail(it->out, NULL, "rollback to %.12s failed: %s",
				  item_good(it)->commit, msg);
		return;
	}
	it->rollback = true;
	it->explained = false;
	it->since_s = (long long)time(NULL) - 1;
	it->state = GATE_WAIT;
}

/* A rollback that passed its gate: held at the good commit. */
static void rollback_passed(struct sync_ctx *ctx, struct gate_item *it)
{
	item_passed(ctx, it);
	if (store_held(ctx, it, false) < 0)
		return;
	it->out->rolled_back = true;
	sync_outcome_set_held(it->out, it->failed_commit);
	sync_outcome_fail(it->out, NULL, "rolled back to %.12s (%.12s failed: %s)",
			  item_good(it)->commit, it->failed_commit, it->failed_reason);
}

/* A failed gate's reason gets its unit's result and journal lines, once per gate. */
static struct gate_item *explain(const struct sync_ctx *ctx, struct gate_item *it)
{
	if (!it->explained)
		sync_gate_explain(ctx, it->w, it->uid, it->bad_unit, it->since_s, it->reason);
	it->explained = true;
	return it;
}

void sync_gate_run(struct sync_ctx *ctx)
{
	struct sync_gate *g = ctx->gate;

	if (!g)
		return;
	for (int round = 0; round < 2; round++) {
		gate_wait(ctx, g);
		for (size_t i = 0; i < g->n; i++) {
			struct gate_item *it = &g->items[i];

			if (it->state == GATE_PASSED && it->rollback)
				rollback_passed(ctx, it);
			else if (it->state == GATE_PASSED)
				item_passed(ctx, it);
			else if (it->state == GATE_FAILED)
				item_failed(ctx, explain(ctx, it));
		}
	}
}

void sync_gate_free(struct sync_ctx *ctx)
{
	if (!ctx->gate)
		return;
	free(ctx->gate->items);
	free(ctx->gate);
	ctx->gate = NULL;
}
