/* gc.c: `tailpod gc` — safe cleanup of what no workload uses any more. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

/* The command line, parsed into gc_main's frame: a second run starts clean. */
struct gc_args {
	bool dry_run;
	const char *config;
};

static const char gc_summary[] =
	"Remove state, images and backups that no deployed workload uses any more.\n"
	"Never touches live data.";

static int gc_parse_args(struct gc_args *args, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_BOOL('n', "dry-run", &args->dry_run,
			 "list what would be removed, remove nothing"),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "settings file (default /etc/tailpod/config.env)"),
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

int gc_main(int argc, char **argv)
{
	struct gc_args args = {0};
	int r = gc_parse_args(&args, argc, argv);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("gc is not implemented in this build yet");
	return EXIT_USAGE;
}
