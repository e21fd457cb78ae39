/* backup.c: `tailpod backup` — archive workload data and tailpod state, never secrets. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

/* The command line, parsed into backup_main's frame: a second run starts clean. */
struct backup_args {
	bool dry_run;
	const char *config;
};

static const char backup_summary[] =
	"Archive each workload's data and tailpod's state under the state directory.\n"
	"Secrets (deploy key, OAuth client, age key) are never archived.";

static int backup_parse_args(struct backup_args *args, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_BOOL('n', "dry-run", &args->dry_run,
			 "list what would be archived, write nothing"),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "settings file (default /etc/tailpod/config.env)"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "backup",
		.synopsis = "[OPTIONS]",
		.summary = backup_summary,
		.opts = opts,
		.min_args = 0,
		.max_args = 0,
	};
	int nargs;

	return opt_parse(&cli, argc, argv, &nargs);
}

int backup_main(int argc, char **argv)
{
	struct backup_args args = {0};
	int r = backup_parse_args(&args, argc, argv);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("backup is not implemented in this build yet");
	return EXIT_USAGE;
}
