/*
 * gc.c: `tailpod gc` — safe cleanup of what no workload uses any more. This file is the front
 * end: options, then the questions every category depends on, each asked once — the state
 * records, /etc/passwd and /etc/group, the desired state (a fetch, as sync does) — and the sweep
 * of applets/gc/. A question that fails skips each category that needs its answer; a failed
 * answer is never read as "nothing there" (gc/gc.h). Never users, homes or volumes.
 */
#include "applets.h"

#include "core.h"
#include "gc/gc.h"
#include "log.h"
#include "opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The command line, parsed into gc_main's frame: a second run starts clean. */
struct gc_args {
	bool dry_run, json;
	const char *only;
	const char *config;
};

static const char gc_summary[] =
	"Remove what no deployed workload uses any more, by category:\n"
	"  temp     temp files of interrupted atomic writes (.NAME.<16 hex>, older than\n"
	"           an hour) in the state directory and managed users' unit directories\n"
	"  records  state records of workloads neither desired nor present (no user)\n"
	"  files    files a desired workload's record lists that it no longer wants\n"
	"  images   podman images no container uses, per managed user, as that user\n"
	"  repos    the fetched repository, rebuilt holding the tip only once it\n"
	"           outgrows TAILPOD_GC_REPO_MAX_MB\n"
	"  keys     minted key files (/run/user/UID/ts-authkeys/HOSTNAME.env) older\n"
	"           than the longest a key lives (90 days), as the user\n"
	"  backups  archives in TAILPOD_BACKUP_DIR beyond the TAILPOD_BACKUP_KEEP newest\n"
	"           per NAME and older than TAILPOD_BACKUP_MAX_AGE_DAYS, proven tailpod's\n"
	"           by their first member, never a NAME's newest that verifies; temp\n"
	"           files of an interrupted backup older than an hour\n"
	"A question that fails or times out (passwd, state, fetch, systemctl, cgroups,\n"
	"podman) skips its category; only a successful answer makes garbage. Never users,\n"
	"homes or volumes. Exit 0 when every category ran clean, 1 when one was skipped\n"
	"or an entry could not be removed (the rest is still done), 75 when sync runs.";

static int gc_parse_args(struct gc_args *args, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_BOOL('n', "dry-run", &args->dry_run,
			 "list what would be removed, remove nothing"),
		OPT_STRING(0, "only", &args->only, "CATEGORY",
			   "sweep this category only (temp, records,\nfiles, images, repos, keys, "
			   "backups)"),
		OPT_BOOL(0, "json", &args->json, "print the report as JSON"),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "settings file (default " CONFIG_PATH ")"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "gc",
		.synopsis = "[OPTIONS]",
		.summary = gc_summary,
		.opts = opts,
		.min_args = 0,
		.max_args = 0,
	};
	int nargs;

	return opt_parse(&cli, argc, argv, &nargs);
}

static int select_categories(struct gc_ctx *g, const char *only)
{
	for (int c = 0; c < GC_CATEGORIES; c++)
		g->only[c] = !only || strcmp(only, gc_category_names[c]) == 0;
	for (int c = 0; c < GC_CATEGORIES; c++)
		if (g->only[c])
			return 0;
	return log_error_status(-EINVAL,
				"--only: unknown category '%s' (temp, records, files, images, "
				"repos, keys, backups)",
				only);
}

const struct spec_workload *gc_desired_find(const struct gc_ctx *g, const char *name)
{
	const struct spec_set *set = g->desired ? g->desired->set : NULL;

	for (size_t i = 0; set && i < set->n_workloads; i++)
		if (strcmp(set->workloads[i].name, name) == 0)
			return &set->workloads[i];
	return NULL;
}

/* Every record; one that does not load fails the whole question: gc would not know whose
 * files and images the workload holds. */
static void ask_state(struct gc_ctx *g)
{
	_cleanup_free_ char **names = NULL;
	size_t n = 0;
	int r = state_dir_open(g->config->state_dir, &g->state_fd);

	if (r >= 0)
		r = state_list(g->state_fd, &names, &n);
	if (r < 0) {
		snprintf(g->state_why, sizeof(g->state_why), "cannot read %s/workloads: %s",
			 g->config->state_dir, strerror(-r));
		return;
	}
	g->recs = calloc(n ? n : 1, sizeof(*g->recs));
	if (!g->recs) {
		snprintf(g->state_why, sizeof(g->state_why), "out of memory");
		return;
	}
	for (; g->n_recs < n; g->n_recs++) {
		r = state_record_load(g->state_fd, names[g->n_recs], &g->recs[g->n_recs]);
		if (r < 0) {
			snprintf(g->state_why, sizeof(g->state_why), "%s/workloads/%s: %s",
				 g->config->state_dir, names[g->n_recs], strerror(-r));
			return;
		}
	}
}

static void ask_users(struct gc_ctx *g)
{
	int r = users_db_load(NULL, USERS_SOURCE_ETC, &g->db);

	if (r < 0) {
		g->db = NULL;
		snprintf(g->db_why, sizeof(g->db_why), "cannot read /etc/passwd and /etc/group: %s",
			 strerror(-r));
	}
}

static void ask_desired(struct gc_ctx *g, struct desired *d, struct diag_list *diags)
{
	struct gitrepo_error err;

	if (!g->config->git_url) {
		snprintf(g->desired_why, sizeof(g->desired_why), "TAILPOD_GIT_URL is not set");
		return;
	}
	/* --dry-run changes nothing, repo.git included: it judges by the last fetched commit. */
	if ((g->dry_run ? desired_read_last : desired_fetch)(g->config, d, diags, &err) < 0) {
		snprintf(g->desired_why, sizeof(g->desired_why), "%s: %.400s",
			 g->dry_run ? "the last fetched commit cannot be read" : "the fetch failed",
			 err.msg);
		return;
	}
	if (!d->set) {
		snprintf(g->desired_why, sizeof(g->desired_why), "commit %.12s is not valid",
			 d->commit);
		return;
	}
	g->desired = d;
}

/* The workloads whose user is still the recorded uid and in the managed group. */
static void find_managed(struct gc_ctx *g)
{
	if (g->state_why[0] || g->db_why[0])
		return;
	g->managed = calloc(g->n_recs ? g->n_recs : 1, sizeof(*g->managed));
	if (!g->managed) {
		snprintf(g->db_why, sizeof(g->db_why), "out of memory");
		return;
	}
	for (size_t i = 0; i < g->n_recs; i++) {
		const struct users_user *u;

		if (users_db_find_user(g->db, g->recs[i].name, &u) < 0 ||
		    u->uid != g->recs[i].uid || u->uid == 0 ||
		    users_db_user_in_group(g->db, u->name, g->config->user_group) != 1)
			continue;
		g->managed[g->n_managed++] = (struct gc_managed){&g->recs[i], u};
	}
}

static void gc_release(struct gc_ctx *g)
{
	for (size_t i = 0; i < g->n_recs; i++)
		state_record_release(&g->recs[i]);
	free(g->recs);
	free(g->managed);
	free(g->entries);
	users_db_free(g->db);
	if (g->state_fd >= 0)
		close(g->state_fd);
}

static int gc_run(struct gc_ctx *g, bool json)
{
	struct diag_list diags = {0};
	struct desired d = {0};
	int status;

	ask_state(g);
	ask_users(g);
	if (g->only[GC_RECORDS] || g->only[GC_FILES] || g->only[GC_IMAGES])
		ask_desired(g, &d, &diags);
	find_managed(g);
	if (g->only[GC_TEMP])
		gc_sweep_temp(g);
	if (g->only[GC_RECORDS])
		gc_sweep_records(g);
	if (g->only[GC_FILES])
		gc_sweep_files(g);
	if (g->only[GC_IMAGES])
		gc_sweep_images(g);
	if (g->only[GC_REPOS])
		gc_sweep_repos(g);
	if (g->only[GC_KEYS])
		gc_sweep_keys(g);
	if (g->only[GC_BACKUPS])
		gc_sweep_backups(g);
	status = gc_report(g, json);
	desired_release(&d);
	diag_list_release(&diags);
	return status;
}

int gc_main(int argc, char **argv)
{
	struct gc_args args = {0};
	struct applet_env env;
	struct gc_ctx g = {.state_fd = -1};
	int status, r = gc_parse_args(&args, argc, argv);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	g.dry_run = args.dry_run;
	if (select_categories(&g, args.only) < 0)
		return EXIT_USAGE;
	status = applet_setup(args.config, &env);
	if (status != EXIT_OK)
		return status;
	g.config = env.config;
	g.command_timeout_ms = env.config->command_timeout_s * 1000u;
	status = gc_run(&g, args.json);
	gc_release(&g);
	gitrepo_runtime_release();
	applet_env_release(&env);
	return status;
}
