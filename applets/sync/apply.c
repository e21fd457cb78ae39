/* apply.c: bring one desired workload in line, in the order the issue fixes — its user (regular,
 * in the managed group, with subuid/subgid ranges), linger and a running user manager, its files
 * written as the user beneath its home, daemon-reload, restart, timers — and record it only after
 * all of that worked. A workload whose content is unchanged is still checked (files on disk,
 * linger, manager, service from the cgroup tree, the home's mode, all without a child process)
 * and repaired where it drifted (review P1.7); the home is kept private, 0700 (issue 13). */
#include "sync/sync.h"

#include "core.h"
#include "hash.h"
#include "ini.h"
#include "log.h"
#include "userfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

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
};

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
	int r = systemd_user_add(&ctx->cmds, name, ctx->config->user_group, &err);

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
	p->user = u;
	return check_managed(ctx, u, out);
}

enum {
	EXEC_WORD_MAX = 256, /* bytes of a word of an Exec line compared with tailpod's paths */
	EXEC_WORDS = 3,	     /* the binary, and argv[0] and argv[1] of the command */
};

/* What counts as the tailpod binary in a unit (README "Who may mint"): the paths Ignition and the
 * initramfs install it and its tailpod-mint-key link at, and the bare names, which systemd looks
 * up in its own fixed search path (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin). */
static const char *const tailpod_binaries[] = {
	"tailpod",	    "/usr/local/bin/tailpod",	       "/usr/bin/tailpod",
	"tailpod-mint-key", "/usr/local/bin/tailpod-mint-key", "/usr/bin/tailpod-mint-key",
};

/* The first EXEC_WORDS words of a command line, blank-separated, a word in "..." or '...' taken
 * without its quotes; a word longer than EXEC_WORD_MAX is kept empty (it matches nothing). */
static size_t exec_words(const char *p, char words[EXEC_WORDS][EXEC_WORD_MAX])
{
	size_t n = 0;

	while (n < EXEC_WORDS) {
		char quote = 0;
		size_t len;

		p += strspn(p, " \t");
		if (!*p)
			break;
		if (*p == '"' || *p == '\'')
			quote = *p++;
		len = quote ? strcspn(p, (char[]){quote, 0}) : strcspn(p, " \t");
		snprintf(words[n++], EXEC_WORD_MAX, "%.*s", len < EXEC_WORD_MAX ? (int)len : 0, p);
		p += len + (quote && p[len] == quote);
	}
	return n;
}

static bool is_tailpod_binary(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(tailpod_binaries); i++)
		if (strcmp(path, tailpod_binaries[i]) == 0)
			return true;
	return false;
}

/* Whether tailpod started with argv0 and argv1 runs mint-key, by the dispatch of main.c:
 * "tailpod mint-key", a "tailpod-mint-key" link, or a "mint-key" link. */
static bool dispatches_mint_key(const char *argv0, const char *argv1)
{
	const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;

	if (strcmp(base, "tailpod") == 0)
		return strcmp(argv1, "mint-key") == 0;
	return strcmp(base, "tailpod-mint-key") == 0 || strcmp(base, "mint-key") == 0;
}

/* One ExecStartPre= command. systemd's prefixes come first (systemd.service(5): '-' ignore
 * failure, ':' no substitution, '+' '!' '!!' privileges, '@' the second word is argv[0]). */
static bool exec_runs_mint_key(const char *cmd)
{
	char words[EXEC_WORDS][EXEC_WORD_MAX] = {{0}};
	size_t skip = strspn(cmd, "@-:+!");
	bool at = memchr(cmd, '@', skip) != NULL;
	size_t n = exec_words(cmd + skip, words);

	if (n == 0 || !is_tailpod_binary(words[0]))
		return false;
	if (at)
		return n >= 2 && dispatches_mint_key(words[1], words[2]);
	return dispatches_mint_key(words[0], words[1]);
}

/* Whether the unit's [Service] runs mint-key before its start, read with core/ini as systemd
 * reads it (an empty ExecStartPre= clears the ones before it). A file that does not parse was
 * refused by check already and runs nothing here. */
static bool unit_runs_mint_key(const struct spec_unit *u)
{
	_cleanup_free_ const char **cmds = NULL;
	struct ini *doc = NULL;
	bool found = false;
	size_t n = 0;

	if (ini_parse(u->name, u->data, u->size, &doc, NULL) < 0)
		return false;
	if (ini_get_all(doc, "Service", "ExecStartPre", INI_GET_ALL_RESET, &cmds, &n) >= 0)
		for (size_t i = 0; i < n && !found; i++)
			found = exec_runs_mint_key(cmds[i]);
	ini_free(doc);
	return found;
}

/* Whether a unit of w runs `tailpod mint-key` before its start: such a workload must be in the
 * mint group, whose members alone may connect to the mint-key socket. Only the exact invocation
 * counts: a command that merely mentions mint-key grants nothing. */
static bool uses_mint_key(const struct spec_workload *w)
{
	for (size_t i = 0; i < w->n_units; i++)
		if (unit_runs_mint_key(&w->units[i]))
			return true;
	return false;
}

static void plan_mint_group(struct sync_ctx *ctx, const struct spec_workload *w,
			    struct apply_plan *p)
{
	bool member = p->user && !p->create_user &&
		      users_db_user_in_group(ctx->db, p->user->name, ctx->config->mint_group) == 1;
	bool wanted = uses_mint_key(w);

	p->mint_join = wanted && !member;
	p->mint_leave = !wanted && member;
}

/* Rootless Podman maps the container's ids through these ranges: without them nothing starts. */
static int check_subids(struct sync_ctx *ctx, const struct users_user *u, struct sync_outcome *out)
{
	static const char *const files[] = {USERS_SUBUID, USERS_SUBGID};
	struct users_subid_range range;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int r = users_subid_find(ctx->root, files[i], u->name, u->uid, &range, NULL);

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

/* Which desired files differ on disk, and which recorded ones are no longer desired. */
static int diff_files(const struct spec_workload *w, const struct sync_current *cur,
		      struct apply_plan *p, struct sync_outcome *out)
{
	struct userfs_error err = {0};

	p->writes = calloc(w->n_units ? w->n_units : 1, sizeof(*p->writes));
	p->removes = calloc(cur && cur->has_record ? cur->rec.n_files + 1 : 1, sizeof(*p->removes));
	if (!p->writes || !p->removes)
		return -ENOMEM;
	for (size_t i = 0; i < w->n_units; i++) {
		const struct spec_unit *su = &w->units[i];
		int r = p->home_fd < 0 ? 0
				       : userfs_file_matches(p->home_fd, sync_unit_dir(su->dir),
							     su->name, su->data, su->size, &err);

		if (r < 0) {
			sync_outcome_fail(out, NULL, "%s", err.msg);
			return r;
		}
		if (r == 0)
			p->writes[p->n_writes++] = (struct userfs_write){
				sync_unit_dir(su->dir), su->name, su->data, su->size};
	}
	for (size_t i = 0; cur && cur->has_record && i < cur->rec.n_files; i++) {
		const struct state_file *f = &cur->rec.files[i];
		bool desired = false;

		for (size_t j = 0; j < w->n_units && !desired; j++)
			desired =
				w->units[j].dir == f->dir && strcmp(w->units[j].name, f->name) == 0;
		if (!desired)
			p->removes[p->n_removes++] =
				(struct userfs_remove){sync_unit_dir(f->dir), f->name};
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

/* Liveness without a child process: logind's linger flag, the manager's cgroup and bus, the
 * service's cgroup. */
static void probe_liveness(struct sync_ctx *ctx, const struct spec_workload *w,
			   struct apply_plan *p)
{
	if (!p->user || p->create_user) {
		p->linger_off = p->manager_down = p->service_down = true;
		return;
	}
	p->linger_off = systemd_linger_enabled(&ctx->cmds, w->name) != 1;
	p->manager_down = systemd_manager_running(&ctx->cmds, p->user->uid) != 1;
	p->service_down =
		p->manager_down || systemd_unit_running(&ctx->cmds, p->user->uid, w->service) != 1;
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
	bool redeploy = ctx->redeploy && strcmp(ctx->redeploy, w->name) == 0;

	p->content_changed = !recorded || strcmp(cur->rec.hash, p->hash) != 0 || redeploy;
	/* quadsync merged the same specs into different bytes: rewriting them must not restart a
	 * running service, or moving a host to tailpod would restart every workload. */
	p->adopt = !recorded && cur && cur->from_quadsync && !p->service_down && !redeploy;
	if (p->adopt)
		p->quadsync_same = quadsync_same(ctx, w);
	p->record_stale = !recorded || p->content_changed || cur->rec.uid != p->user->uid ||
			  !files_equal(w, &cur->rec);
	if (p->create_user || (!recorded && !p->adopt && !cur))
		out->action = SYNC_CREATE;
	else if (p->adopt)
		out->action = SYNC_ADOPT;
	else if (p->content_changed)
		out->action = recorded ? SYNC_UPDATE : SYNC_CREATE;
	else if (p->n_writes || p->n_removes || p->linger_off || p->manager_down ||
		 p->service_down || p->home_public)
		out->action = SYNC_REPAIR;
	else
		out->action = SYNC_NONE;
}

static bool needs_restart(const struct apply_plan *p)
{
	if (p->adopt)
		return p->service_down;
	return p->content_changed || p->n_writes > 0 || p->service_down;
}

static void note_repair(struct sync_outcome *out, const char *what)
{
	size_t len = strlen(out->repairs);

	snprintf(out->repairs + len, sizeof(out->repairs) - len, "%s%s", len ? ", " : "", what);
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
	if (needs_restart(p))
		printf("%s %s: restart %s%s\n", act, w->name, w->service,
		       p->service_down && !p->create_user ? " (not running)" : "");
	if (p->record_stale && out->action == SYNC_NONE)
		printf("%s %s: update the record\n", act, w->name);
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
	r = systemd_user_group(&ctx->cmds, w->name, ctx->config->mint_group, p->mint_join, &err);
	if (r < 0) {
		sync_outcome_fail(out, "usermod", "%s", err.msg);
		return r;
	}
	if (!p->create_user)
		note_repair(out, p->mint_join ? "joined the mint group" : "left the mint group");
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
			note_repair(out, "linger");
	}
	if (p->manager_down) {
		r = systemd_manager_start(&ctx->cmds, p->user->uid, &err);
		if (r < 0) {
			sync_outcome_fail(out, "user manager start", "%s", err.msg);
			return r;
		}
		if (!p->create_user)
			note_repair(out, "user manager");
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

static int store_record(struct sync_ctx *ctx, const struct spec_workload *w,
			const struct apply_plan *p, struct sync_outcome *out)
{
	struct state_record rec = {.uid = p->user->uid, .deployed_at = (long long)time(NULL)};
	int r;

	rec.files = calloc(w->n_units ? w->n_units : 1, sizeof(*rec.files));
	if (!rec.files)
		return -ENOMEM;
	snprintf(rec.name, sizeof(rec.name), "%s", w->name);
	snprintf(rec.hash, sizeof(rec.hash), "%s", p->hash);
	snprintf(rec.commit, sizeof(rec.commit), "%s", ctx->desired->commit);
	snprintf(rec.service, sizeof(rec.service), "%s", w->service);
	for (size_t i = 0; i < w->n_units; i++) {
		snprintf(rec.files[i].name, sizeof(rec.files[i].name), "%s", w->units[i].name);
		rec.files[i].dir = w->units[i].dir;
	}
	rec.n_files = w->n_units;
	r = state_record_store(ctx->state_fd, &rec);
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
		note_repair(out, "home mode");
	return 0;
}

/* The changes, in order; the first failure stops this workload and leaves its record as it was,
 * so the next run tries again. */
static int apply_plan_steps(struct sync_ctx *ctx, const struct spec_workload *w,
			    struct apply_plan *p, struct sync_outcome *out)
{
	bool reload = p->create_user || p->n_writes || p->n_removes;
	bool restart;
	int r = make_home_private(p, out);

	if (r >= 0)
		r = start_manager(ctx, w, p, out);
	if (r < 0)
		return r;
	restart = needs_restart(p); /* a restarted manager stopped the service */
	disable_removed_timers(ctx, w->name, p);
	if ((p->n_writes || p->n_removes) && (r = write_files(p, out)) < 0)
		return r;
	if (out->action == SYNC_REPAIR && p->n_writes)
		note_repair(out, "files");
	if (reload && (r = systemctl_user_verb(ctx, w->name, "daemon-reload", NULL, out)) < 0)
		return r;
	if (restart && (r = systemctl_user_verb(ctx, w->name, "restart", w->service, out)) < 0)
		return r;
	if (out->action == SYNC_REPAIR && p->service_down && !p->manager_down)
		note_repair(out, "service");
	if (restart && (r = start_timers(ctx, w, out)) < 0)
		return r;
	out->up = true;
	return p->record_stale ? store_record(ctx, w, p, out) : 0;
}

static void log_outcome(const struct spec_workload *w, const struct apply_plan *p,
			const struct sync_outcome *out)
{
	switch (out->action) {
	case SYNC_NONE:
		return;
	case SYNC_REPAIR:
		log_notice("%s: repaired (%s)", w->name, out->repairs);
		return;
	case SYNC_ADOPT:
		log_notice("%s: adopted from quadsync, %s (%u files rewritten, not restarted)",
			   w->name,
			   p->quadsync_same ? "the same bytes as tailpod's"
					    : "tailpod merges to other bytes",
			   out->n_written);
		return;
	default:
		log_notice("%s: %s (%u file%s written, %u removed, %s restarted)", w->name,
			   out->action == SYNC_CREATE ? "created" : "updated", out->n_written,
			   out->n_written == 1 ? "" : "s", out->n_removed,
			   needs_restart(p) ? w->service : "nothing");
	}
}

/* The home, checked to be the user's, and whether it is private; no child process. */
static int open_home(struct apply_plan *p, struct sync_outcome *out)
{
	struct userfs_error err = {0};
	int r = userfs_home_open(p->user->home, p->user->uid, &p->home_fd, &err);

	if (r < 0) {
		sync_outcome_fail(out, NULL, "home: %s", err.msg);
		return r;
	}
	r = userfs_home_is_private(p->home_fd);
	if (r < 0) {
		sync_outcome_fail(out, NULL, "home %s: %s", p->user->home, strerror(-r));
		return r;
	}
	p->home_public = r == 0;
	return 0;
}

static void plan_release(struct apply_plan *p)
{
	if (p->home_fd >= 0)
		close(p->home_fd);
	free(p->writes);
	free(p->removes);
}

void sync_apply_workload(struct sync_ctx *ctx, const struct spec_workload *w,
			 const struct sync_current *cur, struct sync_outcome *out)
{
	struct apply_plan p = {.home_fd = -1};
	int r;

	desired_workload_hash(w, p.hash);
	r = ensure_user(ctx, w->name, &p, out);
	if (r >= 0 && p.user)
		r = check_subids(ctx, p.user, out);
	if (r >= 0 && p.user)
		r = open_home(&p, out);
	if (r >= 0)
		r = diff_files(w, cur, &p, out);
	if (r == -ENOMEM)
		sync_outcome_fail(out, NULL, "out of memory");
	if (r >= 0) {
		probe_liveness(ctx, w, &p);
		plan_mint_group(ctx, w, &p);
		if (!p.user)
			p.content_changed = p.record_stale = true, out->action = SYNC_CREATE;
		else
			plan_action(ctx, w, cur, &p, out);
		if (ctx->dry_run)
			print_plan(w, &p, ctx, out);
		else if (apply_plan_steps(ctx, w, &p, out) >= 0)
			log_outcome(w, &p, out);
	}
	if (!ctx->dry_run && out->result == SYNC_OK && out->action == SYNC_NONE)
		out->up = true;
	plan_release(&p);
}
