/* sync.c: `tailpod sync` — reconcile users, quadlets and services with the git repo. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

static bool arg_dry_run, arg_allow_empty, arg_allow_mass_delete;
static const char *arg_config;

static const struct opt sync_opts[] = {
	OPT_BOOL('n', "dry-run", &arg_dry_run, "print the plan, change nothing"),
	OPT_STRING(0, "config", &arg_config, "FILE",
		   "settings file (default /etc/tailpod/config.env)"),
	OPT_BOOL(0, "allow-empty", &arg_allow_empty,
		 "allow an empty desired state to remove all workloads"),
	OPT_BOOL(0, "allow-mass-delete", &arg_allow_mass_delete,
		 "allow removing more than the configured share"),
	OPT_END,
};

static const struct applet_cli sync_cli = {
	.name = "sync",
	.synopsis = "[OPTIONS]",
	.summary = "Fetch the desired state from git, validate it, and bring this host's workload\n"
		   "users, quadlets and services in line with it.",
	.opts = sync_opts,
	.min_args = 0,
	.max_args = 0,
};

int sync_main(int argc, char **argv)
{
	int nargs, r = opt_parse(&sync_cli, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("sync is not implemented in this build yet");
	return EXIT_USAGE;
}
