/*
 * sync.c: `tailpod sync` — bring this host in line with the git repository. This file is the
 * front end: options (configuration and the lock are applets.def's setup), the fetch and
 * validation (nothing is applied or deleted unless both succeed) and the read-only
 * `--fetch-only` preview. The run over the workloads is applets/sync/reconcile.c: each desired
 * one in name order (apply.c, steps.c), then each deployed one that is no longer desired
 * (remove.c), after the guards of plan.c; report.c writes the outcome.
 */
#include "applets.h"

#include "config.h"
#include "core.h"
#include "desired.h"
#include "json.h"
#include "log.h"
#include "opt.h"
#include "sync/sync.h"

#include <stdio.h>
#include <string.h>

static const char sync_summary[] =
	"Fetch the desired state from git (libgit2: https, ssh deploy key, file), "
	"validate\n"
	"it, and bring this host's workload users, quadlets and services in line with\n"
	"it: users, linger, quadlets written as each user, daemon-reload, restarts,\n"
	"drift repair; removals only of workloads tailpod recorded, in its group.\n"
	"A workload whose name is reserved (root, core, tailpod*, systemd-*, a user,\n"
	"group or unit User= of this host tailpod does not manage) is refused.\n"
	"Exit 1 when any workload failed (the others are still done), 3 when a guard\n"
	"refused the run (empty desired state, too many removals, more workloads than\n"
	"TAILPOD_MAX_WORKLOADS).\n"
	"SSH host keys are checked against TAILPOD_SSH_KNOWN_HOSTS (OpenSSH format,\n"
	"as ssh-keyscan prints it); ed25519 host keys cannot be verified by the linked\n"
	"libssh2, so the host must also offer an ecdsa or rsa key (GitHub and GitLab do).";

/* The options fill args, which lives in sync_main's frame: a second run starts clean. */
static int sync_parse_args(struct sync_args *args, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_BOOL('n', "dry-run", &args->dry_run, "print the plan, change nothing"),
		OPT_BOOL(0, "fetch-only", &args->fetch_only,
			 "fetch and validate, print the commit and the\ndesired workloads, change "
			 "nothing"),
		OPT_STRING(0, "only", &args->only, "NAME",
			   "reconcile this workload only (no other\nremovals)"),
		OPT_STRINGS(0, "redeploy", &args->redeploy, "NAME",
			    "rewrite and restart this workload even if\nunchanged or held "
			    "(repeatable)"),
		OPT_BOOL(0, "json", &args->json, "print the result (status.json) as JSON"),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "settings file (default " CONFIG_PATH ")"),
		OPT_BOOL(0, "allow-empty", &args->allow_empty,
			 "allow an empty desired state to remove all workloads"),
		OPT_BOOL(0, "allow-mass-delete", &args->allow_mass_delete,
			 "allow removing more than the configured share"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "sync",
		.synopsis = "[OPTIONS]",
		.summary = sync_summary,
		.opts = opts,
		.min_args = 0,
		.max_args = 0,
	};
	int nargs;

	return opt_parse(&cli, argc, argv, &nargs);
}

/* Exit status for a failed fetch: temporary ones are retried by the unit (75). */
static int fetch_failure_status(enum gitrepo_failure failure)
{
	switch (failure) {
	case GITREPO_FAIL_NETWORK:
	case GITREPO_FAIL_TIMEOUT:
		return EXIT_TEMPFAIL;
	case GITREPO_FAIL_CONFIG:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

static void print_diags(const struct diag_list *diags)
{
	for (size_t i = 0; i < diags->n; i++)
		log_error("%s:%u: %s", diags->items[i].path, diags->items[i].line,
			  diags->items[i].msg);
	if (diags->n_dropped)
		log_error("%zu more errors not shown", diags->n_dropped);
}

static void print_workloads_text(const struct config *c, const struct desired *d)
{
	char hash[HASH_SHA256_HEX_SIZE];

	printf("commit %s (branch %s)\n", d->commit, c->git_branch);
	for (size_t i = 0; i < d->set->n_workloads; i++) {
		const struct spec_workload *w = &d->set->workloads[i];

		desired_workload_hash(w, hash);
		printf("%s %s sha256:%s\n", w->name, w->service, hash);
		for (size_t j = 0; j < w->n_units; j++)
			printf("  %s\n", w->units[j].name);
	}
}

static void json_workload(struct json_writer *jw, const struct spec_workload *w)
{
	char hash[HASH_SHA256_HEX_SIZE];

	desired_workload_hash(w, hash);
	json_begin_object(jw);
	json_write_key(jw, "name");
	json_write_string(jw, w->name);
	json_write_key(jw, "service");
	json_write_string(jw, w->service);
	json_write_key(jw, "hash");
	json_write_string(jw, hash);
	json_write_key(jw, "files");
	json_begin_array(jw);
	for (size_t j = 0; j < w->n_units; j++)
		json_write_string(jw, w->units[j].name);
	json_end_array(jw);
	json_end_object(jw);
}

static int print_workloads_json(const struct config *c, const struct desired *d)
{
	_cleanup_free_ char *out = NULL;
	struct json_writer jw;
	int r;

	json_writer_init(&jw, 0, JSON_LOSSY);
	json_begin_object(&jw);
	json_write_key(&jw, "commit");
	json_write_string(&jw, d->commit);
	json_write_key(&jw, "branch");
	json_write_string(&jw, c->git_branch);
	json_write_key(&jw, "workloads");
	json_begin_array(&jw);
	for (size_t i = 0; i < d->set->n_workloads; i++)
		json_workload(&jw, &d->set->workloads[i]);
	json_end_array(&jw);
	json_end_object(&jw);
	r = json_writer_finish(&jw, &out, NULL);
	json_writer_release(&jw);
	if (r < 0)
		return log_error_errno(r, "cannot write the JSON result");
	puts(out);
	return 0;
}

/* Lines of the known_hosts file the host-key check skipped or counted as another key: logged
 * whether or not the fetch succeeded, since an unusable line may be why it did not. */
static void log_host_key_notes(const struct config *c, const struct desired *d)
{
	const struct known_hosts_notes *notes = &d->host_key_notes;

	for (unsigned i = 0; i < notes->n; i++)
		log_warning("%s:%u: %s", c->ssh_known_hosts, notes->items[i].line,
			    notes->items[i].what);
	if (notes->dropped)
		log_warning("%s: %u more lines like these, not listed", c->ssh_known_hosts,
			    notes->dropped);
}

static void log_fetch_facts(const struct config *c, const struct desired *d)
{
	if (d->host_key_recorded[0])
		log_notice("recorded the host key of '%s' in %s (TAILPOD_SSH_ACCEPT_NEW=yes)",
			   d->host_key_recorded, c->ssh_known_hosts);
	if (d->fetch_unfiltered)
		log_warning(
			"no seccomp filter on this kernel (or under qemu-user): the fetch ran as "
			"%s without it",
			c->fetch_user);
	if (d->repo_recreated)
		log_warning("the local repository in %s was unreadable and has been rebuilt",
			    c->state_dir);
	if (d->previous[0] && strcmp(d->previous, d->commit) != 0)
		log_info("fetched %.12s (was %.12s)", d->commit, d->previous);
	else
		log_info("fetched %.12s", d->commit);
}

static int fetch_only(const struct config *c, bool json)
{
	struct diag_list diags = {0};
	struct gitrepo_error err;
	struct desired d = {0};
	int r, status;

	r = desired_fetch(c, &d, &diags, &err);
	log_host_key_notes(c, &d);
	if (r < 0) {
		log_error("%s", err.msg);
		status = fetch_failure_status(err.failure);
		goto out;
	}
	log_fetch_facts(c, &d);
	if (!d.set) {
		print_diags(&diags);
		log_error("commit %.12s is not valid: nothing would be applied", d.commit);
		status = EXIT_FAIL;
		goto out;
	}
	r = json ? print_workloads_json(c, &d) : (print_workloads_text(c, &d), 0);
	return r < 0 ? EXIT_FAIL : EXIT_OK; /* d is left to the exit, as sync_run leaves it */
out:
	desired_release(&d);
	diag_list_release(&diags);
	return status;
}

/* Fetch and validate; only a valid desired state reaches the reconcile (review P1.9). */
static int sync_run(const struct sync_args *args, const struct config *c)
{
	struct sync_ctx ctx = {
		.args = args,
		.config = c,
		.state_fd = -1,
		.dry_run = args->dry_run,
		.redeploy = &args->redeploy,
		.started_ms = sync_now_ms(),
	};
	struct diag_list diags = {0};
	struct gitrepo_error err;
	struct desired d = {0};
	int r, status;

	systemd_cmds_init(&ctx.cmds);
	ctx.cmds.timeout_ms = c->command_timeout_s * 1000u;
	/* The users are the reconcile's to load, after the build: desired_fetch finds the fetch
	 * user with a scan, so no db is held while the desired state is built (issue 16). */
	r = (args->dry_run ? desired_fetch_dry : desired_fetch)(c, &d, &diags, &err);
	log_host_key_notes(c, &d);
	if (r < 0) {
		log_error("%s", err.msg);
		sync_report(&ctx, "fetch-failed", err.msg, args->json);
		status = fetch_failure_status(err.failure);
	} else {
		ctx.desired = &d;
		log_fetch_facts(c, &d);
		if (!d.set) {
			print_diags(&diags);
			log_error("commit %.12s is not valid: nothing applied, nothing removed",
				  d.commit);
			sync_report(&ctx, "invalid", "the desired state is not valid", args->json);
			status = EXIT_FAIL;
		} else {
			/* The desired state too is left to the exit (reconcile.c's ctx_close). */
			return sync_reconcile(&ctx);
		}
	}
	desired_release(&d);
	diag_list_release(&diags);
	return status;
}

int sync_main(int argc, char **argv)
{
	struct applet_env env;
	struct sync_args args = {0};
	int status, r = sync_parse_args(&args, argc, argv);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	if (args.fetch_only && (args.dry_run || args.only || args.redeploy.n))
		return log_error_status(
			EXIT_USAGE,
			"--fetch-only cannot be combined with --dry-run, --only or --redeploy");
	status = applet_setup(args.config, &env);
	if (status != EXIT_OK)
		return status;
	sync_podman_target(env.config, args.dry_run);
	if (args.fetch_only)
		status = fetch_only(env.config, args.json);
	else
		status = sync_run(&args, env.config);
	gitrepo_runtime_release();
	applet_env_release(&env);
	return status;
}
