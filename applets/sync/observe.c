/* observe.c: what one workload is on the host now, found before anything changes and without a
 * child process — its home (checked by its name in a parent opened once a run, or opened), its
 * files against the desired bytes (the record's stamps spare the reads), and whether its linger
 * flag, user manager and services are up, from the linger directory, /run/user and the cgroup
 * tree. apply.c decides from it; steps.c changes the host. */
#include "sync/apply.h"

#include "userfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int apply_plan_alloc(const struct spec_workload *w, const struct sync_current *cur,
		     struct apply_plan *p)
{
	size_t n_units = w->n_units ? w->n_units : 1;

	p->stamps = calloc(n_units, sizeof(*p->stamps));
	p->writes = calloc(n_units, sizeof(*p->writes));
	p->down = calloc(n_units, sizeof(*p->down));
	p->removes =
		calloc(cur && cur->has_record ? cur->rec->n_files + 1 : 1, sizeof(*p->removes));
	return p->writes && p->removes && p->down && p->stamps ? 0 : -ENOMEM;
}

/* Which desired files differ on disk, and which recorded ones are no longer desired. */
int apply_observe_files(const struct spec_workload *w, const struct sync_current *cur,
			struct apply_plan *p, struct userfs_error *err)
{
	for (size_t i = 0; i < w->n_units; i++) {
		const struct spec_unit *su = &w->units[i];
		const struct fs_stamp *known =
			cur && cur->has_record
				? state_record_stamp(cur->rec, i, su->dir, su->name, p->hash)
				: NULL;
		struct userfs_stamp_seen seen = {.settle_ms = USERFS_STAMP_SETTLE_MS};
		int r = p->files_fd < 0 ? 0
					: userfs_file_matches_stamp_at(
						  p->files_fd, p->home_base, sync_unit_dir(su->dir),
						  su->name, su->data, su->size, known, &seen, err);

		p->stamps[i] = seen.stamp;
		p->stamps_new |= seen.stamp.set && !(known && fs_stamp_equal(known, &seen.stamp));
		if (r < 0)
			return r;
		if (r == 0)
			p->writes[p->n_writes++] = (struct userfs_write){
				sync_unit_dir(su->dir), su->name, su->data, su->size};
	}
	for (size_t i = 0; cur && cur->has_record && i < cur->rec->n_files; i++) {
		const struct state_file *f = &cur->rec->files[i];
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

/* Liveness without a child process: logind's linger flag, the manager's cgroup and bus, the
 * service's cgroup. */
void apply_observe_liveness(const struct sync_ctx *ctx, const struct spec_workload *w,
			    struct apply_plan *p)
{
	int service;

	if (!p->user || p->create_user) {
		p->linger_off = p->manager_down = p->service_down = true;
		return;
	}
	service = systemd_unit_running(&ctx->cmds, p->user->uid, w->service);
	p->linger_off = systemd_linger_enabled(&ctx->cmds, w->name) != 1;
	/* A running service's cgroup lies below the manager's, which is then populated too: only
	 * the bus is left to ask (issue 16: one cgroup.events a healthy workload). */
	p->manager_down = (service == 1 ? systemd_manager_bus_up(&ctx->cmds, p->user->uid)
					: systemd_manager_running(&ctx->cmds, p->user->uid)) != 1;
	p->service_down = p->manager_down || service != 1;
	/* An app is up when every unit of it that runs is (issue 22). */
	for (size_t i = 0; !p->manager_down && p->down && i < w->n_units; i++)
		if (w->units[i].runs &&
		    systemd_unit_running(&ctx->cmds, p->user->uid, w->units[i].service) != 1)
			p->down[p->n_down++] = w->units[i].service;
	p->service_down = p->service_down || p->n_down > 0;
}

/* The home opened, checked to be the user's, and whether it is private; no child process. */
static int open_home(struct apply_plan *p, struct sync_outcome *out)
{
	struct userfs_error err = {0};
	bool private = false;
	int r = userfs_home_open_private(p->user->home, p->user->uid, &p->home_fd, &private, &err);

	if (r < 0) {
		sync_outcome_fail(out, NULL, "home: %s", err.msg);
		return r;
	}
	p->home_public = !private;
	p->files_fd = p->home_fd;
	p->home_base = NULL;
	return 0;
}

/* The same checks by the home's name in its parent, open for the run, when it qualifies
 * (userfs_home_check_at): one statx, and the files looked at beneath the parent; the home is
 * opened only for a workload that has something to change (issue 16). */
int apply_observe_home_in(const struct userfs_homes *homes, struct apply_plan *p)
{
	bool private = false;

	if (userfs_home_check_in(homes, p->user->home, p->user->uid, &private, &p->home_base) != 1)
		return 0;
	p->home_public = !private;
	p->files_fd = homes->fd;
	return 1;
}

/* The home checked by its name where it qualifies, else opened. */
int apply_observe_home(struct sync_ctx *ctx, struct apply_plan *p, struct sync_outcome *out)
{
	userfs_homes_open_for(&ctx->homes, p->user->home);
	return apply_observe_home_in(&ctx->homes, p) == 1 ? 0 : open_home(p, out);
}

/* The changes go through the home's fd (its files written, its mode set): opened now when
 * apply_observe_home() spared it. A no-op changes nothing there. */
int apply_home_for_steps(struct apply_plan *p, struct sync_outcome *out)
{
	if (out->action == SYNC_NONE || p->home_fd >= 0)
		return 0;
	return open_home(p, out);
}
