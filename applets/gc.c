/* gc.c: `tailpod gc` — safe cleanup of what no workload uses any more. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

static bool arg_dry_run;
static const char *arg_config;

static const struct opt gc_opts[] = {
	OPT_BOOL('n', "dry-run", &arg_dry_run, "list what would be removed, remove nothing"),
	OPT_STRING(0, "config", &arg_config, "FILE",
		   "settings file (default /etc/tailpod/config.env)"),
	OPT_END,
};

static const struct applet_cli gc_cli = {
	.name = "gc",
	.synopsis = "[OPTIONS]",
	.summary = "Remove state, images and backups that no deployed workload uses any more.\n"
		   "Never touches live data.",
	.opts = gc_opts,
	.min_args = 0,
	.max_args = 0,
};

int gc_main(int argc, char **argv)
{
	int nargs, r = opt_parse(&gc_cli, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("gc is not implemented in this build yet");
	return EXIT_USAGE;
}
