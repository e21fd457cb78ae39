/* backup.c: `tailpod backup` — archive workload data and tailpod state, never secrets. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

static bool arg_dry_run;
static const char *arg_config;

static const struct opt backup_opts[] = {
	OPT_BOOL('n', "dry-run", &arg_dry_run, "list what would be archived, write nothing"),
	OPT_STRING(0, "config", &arg_config, "FILE",
		   "settings file (default /etc/tailpod/config.env)"),
	OPT_END,
};

static const struct applet_cli backup_cli = {
	.name = "backup",
	.synopsis = "[OPTIONS]",
	.summary = "Archive each workload's data and tailpod's state under the state directory.\n"
		   "Secrets (deploy key, OAuth client, age key) are never archived.",
	.opts = backup_opts,
	.min_args = 0,
	.max_args = 0,
};

int backup_main(int argc, char **argv)
{
	int nargs, r = opt_parse(&backup_cli, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("backup is not implemented in this build yet");
	return EXIT_USAGE;
}
