/*
 * backup.c: `tailpod backup` — workload data and tailpod's host files to standard tar archives,
 * never a secret (issue 20, ../shared/seeds/003). This file is the front end: the command line
 * and the settings each subcommand needs; the work is in applets/backup/ (backup.h).
 *   create   one NAME-YYYYmmddTHHMMSSZ.tar.gz[.age] per workload and for --host
 *   list     the archives of a directory, with what each holds
 *   verify   structure, manifest and every member's hash
 *   restore  a workload's volumes and bind-mounted data onto its user here (other ids mapped)
 */
#include "applets.h"

#include "backup/backup.h"
#include "core.h"
#include "log.h"
#include "opt.h"
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The command line, parsed into backup_main's frame: a second run starts clean. */
struct backup_args {
	const char *workload, *output, *identity, *config;
	bool all, host, live, force;
	const char *verb, *arg;
};

static const char backup_summary[] =
	"  create [--workload NAME[,NAME...]|--all] [--host] [--live] [--output DIR]\n"
	"  list [DIR]\n"
	"  verify FILE [--identity FILE]\n"
	"  restore FILE [--workload NAME] [--force] [--identity FILE]\n"
	"create writes NAME-YYYYmmddTHHMMSSZ.tar.gz (.tar.gz.age when TAILPOD_AGE_RECIPIENTS is\n"
	"set), 0600, atomically, in TAILPOD_BACKUP_DIR (default " BACKUP_DIR_DEFAULT "): per\n"
	"workload its named volumes, the data under its home its units bind-mount, its unit\n"
	"files and state record, its service stopped for the copy (--live: not); --host:\n"
	"config.env, transforms, mint-key.conf, known_hosts, status.json. Never a secret: the\n"
	"secrets directory, deploy key, git token, age key, OAuth client, Podman's secret\n"
	"store, minted keys are left out and listed in the archive's MANIFEST. Owners are\n"
	"stored container-relative and mapped onto the destination user's ids on restore.";

static int backup_parse_args(struct backup_args *args, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_STRING(0, "workload", &args->workload, "NAME",
			   "create: these workloads (comma-separated);\nrestore: the archive's "
			   "workload, checked"),
		OPT_BOOL(0, "all", &args->all, "create: every deployed workload"),
		OPT_BOOL(0, "host", &args->host, "create: tailpod's host files"),
		OPT_BOOL(0, "live", &args->live, "create: copy without stopping the service"),
		OPT_STRING(0, "output", &args->output, "DIR", "create: write into DIR"),
		OPT_BOOL(0, "force", &args->force, "restore: replace existing volumes and data"),
		OPT_STRING(0, "identity", &args->identity, "FILE",
			   "age identity that opens an encrypted archive"),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "settings file (default " CONFIG_PATH ")"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "backup",
		.synopsis = "create|list|verify|restore [OPTIONS] [FILE|DIR]",
		.summary = backup_summary,
		.opts = opts,
		.min_args = 1,
		.max_args = 2,
	};
	int nargs, r = opt_parse(&cli, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return r;
	args->verb = argv[0];
	args->arg = nargs > 1 ? argv[1] : NULL;
	return 0;
}

/* Which options each verb takes: one that does not fit is a usage error, never ignored. */
static int check_verb(const struct backup_args *a)
{
	bool create = strcmp(a->verb, "create") == 0, restore = strcmp(a->verb, "restore") == 0;
	bool list = strcmp(a->verb, "list") == 0, verify = strcmp(a->verb, "verify") == 0;

	if (!create && !restore && !list && !verify)
		return log_error_status(EXIT_USAGE,
					"unknown subcommand '%s' (create, list, verify, "
					"restore)",
					a->verb);
	if ((create && a->arg) || ((restore || verify) && !a->arg))
		return log_error_status(EXIT_USAGE, "%s: %s", a->verb,
					create ? "takes no FILE" : "needs FILE");
	if (create && !a->workload && !a->all && !a->host)
		return log_error_status(EXIT_USAGE, "create: --workload, --all or --host");
	if (create && a->workload && a->all)
		return log_error_status(EXIT_USAGE, "create: --workload or --all, not both");
	if (!create && (a->all || a->host || a->live || a->output))
		return log_error_status(EXIT_USAGE,
					"%s: --all, --host, --live and --output are "
					"create's",
					a->verb);
	if (!restore && a->force)
		return log_error_status(EXIT_USAGE, "%s: --force is restore's", a->verb);
	if ((list || verify) && a->workload)
		return log_error_status(EXIT_USAGE, "%s: --workload is create's and restore's",
					a->verb);
	return EXIT_OK;
}

static const char *backup_dir(const struct config *c)
{
	return c->backup_dir ? c->backup_dir : BACKUP_DIR_DEFAULT;
}

/* Each named workload (or every record with --all), then the host: one archive each. */
static int run_create(const struct backup_args *a, struct backup_create *bc)
{
	_cleanup_free_ char *list = a->workload ? strdup(a->workload) : NULL;
	_cleanup_free_ char **names = NULL;
	size_t n = 0;
	int failed = 0, r;

	if (a->all && (r = state_list(bc->state_fd, &names, &n)) < 0)
		return log_error_errno(r, "%s/workloads: cannot list", bc->config->state_dir),
		       EXIT_FAIL;
	for (size_t i = 0; i < n; i++)
		failed |= backup_create_workload(bc, names[i]) < 0;
	for (char *s = list ? strtok(list, ",") : NULL; s; s = strtok(NULL, ","))
		failed |= backup_create_workload(bc, s) < 0;
	if (a->host)
		failed |= backup_create_host(bc) < 0;
	return failed ? EXIT_FAIL : EXIT_OK;
}

static int create_main(const struct backup_args *a, const struct config *c)
{
	struct backup_create bc = {.config = c, .live = a->live, .state_fd = -1};
	struct backup_keys keys;
	int status = EXIT_FAIL, r;

	bc.dir = a->output ? a->output : backup_dir(c);
	r = backup_keys_load(c, NULL, &keys);
	if (r < 0)
		return EXIT_USAGE;
	bc.recipients = keys.n_recipients ? keys.recipients : NULL;
	bc.n_recipients = keys.n_recipients;
	r = backup_exclude_init(&bc.excl, c);
	if (r == 0)
		r = backup_exclude_mint_policy(&bc.excl, "/etc/tailpod/mint-key.conf");
	if (r == 0 && (r = users_db_load(NULL, USERS_SOURCE_ETC, &bc.db)) < 0)
		log_error_errno(r, "cannot read /etc/passwd and /etc/group");
	if (r == 0 && (r = state_dir_open(c->state_dir, &bc.state_fd)) < 0)
		log_error_errno(r, "%s/workloads: cannot open", c->state_dir);
	if (r == 0)
		status = run_create(a, &bc);
	if (bc.state_fd >= 0)
		close(bc.state_fd);
	users_db_free(bc.db);
	backup_exclude_release(&bc.excl);
	backup_keys_release(&keys);
	return status;
}

int backup_main(int argc, char **argv)
{
	struct backup_args args = {0};
	struct applet_env env;
	struct backup_keys keys = {0};
	int status, r = backup_parse_args(&args, argc, argv);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	status = check_verb(&args);
	if (status != EXIT_OK)
		return status;
	status = applet_setup(args.config, &env);
	if (status != EXIT_OK)
		return status;
	if (strcmp(args.verb, "create") == 0) {
		status = create_main(&args, env.config);
	} else if (backup_keys_load(env.config, args.identity, &keys) < 0) {
		status = EXIT_USAGE;
	} else if (strcmp(args.verb, "list") == 0) {
		status = backup_list(args.arg ? args.arg : backup_dir(env.config), &keys);
	} else if (strcmp(args.verb, "verify") == 0) {
		status = backup_verify_main(args.arg, &keys);
	} else {
		status = backup_restore(args.arg, args.workload, args.force, &keys, env.config);
	}
	backup_keys_release(&keys);
	applet_env_release(&env);
	return status;
}
