/* remove.c: take down a workload that is no longer desired — but only one that is recorded as
 * deployed (tailpod's record or quadsync's), whose user is in the managed group, at or above
 * UID_MIN, not protected and still the uid that was recorded (review P0.2: a user that merely
 * shares the group is never deleted). The steps: disable its timers, stop its service, remove its
 * files, disable linger, terminate the user's processes, userdel -r with bounded retries while it
 * is busy; the record goes last, so a run cut short is finished by the next one. */
#include "sync/sync.h"

#include "core.h"
#include "log.h"
#include "shadow.h"
#include "userfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_protected(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_protected_users; i++)
		if (strcmp(c->protected_users[i], name) == 0)
			return true;
	return false;
}

/* Every removal guard; a refusal keeps the record, so the operator sees it on every run. */
static int check_removable(struct sync_ctx *ctx, const struct sync_current *cur,
			   const struct users_user *u, struct sync_outcome *out)
{
	const char *why = NULL;
	char buf[sizeof("it is not in the managed group ''") + USER_NAME_MAX];

	if (is_protected(ctx->config, u->name))
		why = "it is protected (root, core or TAILPOD_PROTECTED_USERS)";
	else if (users_db_user_in_group(ctx->db, u->name, ctx->config->user_group) != 1) {
		snprintf(buf, sizeof(buf), "it is not in the managed group '%s'",
			 ctx->config->user_group);
		why = buf;
	} else if (u->uid < ctx->defs.uid_min) {
		snprintf(buf, sizeof(buf), "its uid %u is below UID_MIN %u", (unsigned)u->uid,
			 (unsigned)ctx->defs.uid_min);
		why = buf;
	} else if (cur->has_record && cur->rec->uid != u->uid) {
		snprintf(buf, sizeof(buf), "its uid %u is not the recorded %u: another user",
			 (unsigned)u->uid, (unsigned)cur->rec->uid);
		why = buf;
	}
	if (!why)
		return 0;
	out->result = SYNC_REFUSED;
	sync_outcome_set_error(out, "not removed: %s", why);
	log_error("%s: user '%s' %s", out->name, u->name, out->error);
	return -EPERM;
}

static void print_plan(const struct sync_current *cur, const struct users_user *u)
{
	const char *service = cur->has_record ? cur->rec->service : NULL;

	if (service)
		printf("remove %s: stop %s\n", cur->name, service);
	for (size_t i = 0; cur->has_record && i < cur->rec->n_files; i++)
		printf("remove %s: remove ~/%s/%s\n", cur->name,
		       sync_unit_dir(cur->rec->files[i].dir), cur->rec->files[i].name);
	printf("remove %s: disable linger, delete user %s (uid %u) and its home %s\n", cur->name,
	       u->name, (unsigned)u->uid, u->home);
}

/* Stop what runs, best effort: the user manager and userdel -r take the rest with them. */
static void stop_units(struct sync_ctx *ctx, const struct sync_current *cur,
		       const struct users_user *u)
{
	struct systemd_error err = {0};
	char service[STATE_UNIT_MAX + sizeof(".service")]; /* the recorded one, or NAME.service */

	if (systemd_manager_running(&ctx->cmds, u->uid) != 1)
		return;
	for (size_t i = 0; cur->has_record && i < cur->rec->n_files; i++) {
		const char *name = cur->rec->files[i].name;

		if (sync_is_timer(name) &&
		    systemd_user_unit(&ctx->cmds, u->name, "disable", name, &err) < 0)
			log_warning("%s: disable %s failed: %s, ignoring", u->name, name, err.msg);
	}
	/* An app's target takes the units that are part of it down with it (issue 22). */
	for (size_t i = 0; cur->has_record && i < cur->rec->n_files; i++) {
		const char *name = cur->rec->files[i].name;
		size_t n = strlen(name);

		if (cur->rec->files[i].dir == SPEC_UNIT_SYSTEMD && n > 7 &&
		    strcmp(name + n - 7, ".target") == 0 &&
		    systemd_user_unit(&ctx->cmds, u->name, "stop", name, &err) < 0)
			log_warning("%s: stop %s failed: %s, ignoring", u->name, name, err.msg);
	}
	if (cur->has_record)
		snprintf(service, sizeof(service), "%s", cur->rec->service);
	else
		snprintf(service, sizeof(service), "%s.service", u->name);
	if (systemd_user_unit(&ctx->cmds, u->name, "stop", service, &err) < 0)
		log_warning("%s: stop %s failed: %s, ignoring", u->name, service, err.msg);
}

static void remove_files(const struct sync_current *cur, const struct users_user *u)
{
	struct userfs_remove removes[STATE_FILES_MAX];
	struct userfs_error err = {0};
	struct userfs_job job = {.uid = u->uid, .gid = u->gid, .removes = removes};
	int r;

	if (!cur->has_record || cur->rec->n_files == 0)
		return;
	if (userfs_home_open(u->home, u->uid, &job.home_fd, &err) < 0) {
		log_warning("%s: home: %s, ignoring", u->name, err.msg);
		return;
	}
	for (size_t i = 0; i < cur->rec->n_files && i < STATE_FILES_MAX; i++)
		removes[job.n_removes++] = (struct userfs_remove){
			sync_unit_dir(cur->rec->files[i].dir), cur->rec->files[i].name};
	r = userfs_apply(&job, &err);
	if (r < 0)
		log_warning("%s: removing its files failed: %s, ignoring", u->name, err.msg);
	close(job.home_fd);
}

static int delete_user(struct sync_ctx *ctx, const struct users_user *u, struct sync_outcome *out)
{
	struct systemd_error err = {0};
	char name[USER_NAME_MAX + 1];

	/* u points into ctx->db, which a reload would free. */
	snprintf(name, sizeof(name), "%s", u->name);
	if (systemd_linger_disable(&ctx->cmds, name, &err) < 0)
		log_warning("%s: disable-linger failed: %s, ignoring", name, err.msg);
	if (systemd_user_terminate(&ctx->cmds, name, &err) < 0)
		log_warning("%s: terminate-user failed: %s, ignoring", name, err.msg);
	if (shadow_user_delete(&ctx->cmds, name, &err) < 0) {
		sync_outcome_fail(out, "userdel", "%s", err.msg);
		return -EPROTO;
	}
	if (sync_users_reload(ctx) < 0)
		log_warning("%s: cannot reread /etc/passwd after userdel, ignoring", name);
	return 0;
}

static void drop_record(struct sync_ctx *ctx, const char *name, struct sync_outcome *out)
{
	/* the good copy first: while the record stays, the next run removes what is left */
	int r = sync_good_drop(ctx, name);

	if (r < 0) {
		sync_outcome_fail(out, "record", "cannot remove %s/" STATE_GOOD_DIR "/%s: %s",
				  ctx->config->state_dir, name, strerror(-r));
		return;
	}
	r = state_record_remove(ctx->state_fd, name);
	if (r < 0)
		sync_outcome_fail(out, "record", "cannot remove %s/workloads/%s: %s",
				  ctx->config->state_dir, name, strerror(-r));
}

void sync_remove_workload(struct sync_ctx *ctx, const struct sync_current *cur,
			  struct sync_outcome *out)
{
	const struct users_user *u;
	int r = users_db_find_user(ctx->db, cur->name, &u);

	out->action = SYNC_REMOVE;
	if (r == -ENOENT) {
		/* Already gone (a run cut short after userdel): only the record is left. */
		if (ctx->dry_run)
			printf("remove %s: forget the record (the user no longer exists)\n",
			       cur->name);
		else
			drop_record(ctx, cur->name, out);
		return;
	}
	if (r < 0) {
		sync_outcome_fail(out, NULL, "cannot look up user '%s': %s", cur->name,
				  strerror(-r));
		return;
	}
	if (check_removable(ctx, cur, u, out) < 0)
		return;
	if (ctx->dry_run) {
		print_plan(cur, u);
		return;
	}
	stop_units(ctx, cur, u);
	remove_files(cur, u);
	if (delete_user(ctx, u, out) < 0)
		return;
	drop_record(ctx, cur->name, out);
	if (out->result == SYNC_OK)
		log_notice("%s: removed (service stopped, user and home deleted)", cur->name);
}
