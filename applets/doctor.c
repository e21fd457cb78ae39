/* doctor.c: `tailpod doctor` — read-only health and security-posture report. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

/* The command line, parsed into doctor_main's frame: a second run starts clean. */
struct doctor_args {
	bool json;
	const char *config;
};

static const char doctor_summary[] =
	"Report the health of this host and of every workload, and the security posture\n"
	"of tailpod's files (secret modes, groups, units). Changes nothing.";

static int doctor_parse_args(struct doctor_args *args, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_BOOL(0, "json", &args->json, "print the report as JSON"),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "settings file (default /etc/tailpod/config.env)"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "doctor",
		.synopsis = "[OPTIONS]",
		.summary = doctor_summary,
		.opts = opts,
		.min_args = 0,
		.max_args = 0,
	};
	int nargs;

	return opt_parse(&cli, argc, argv, &nargs);
}

int doctor_main(int argc, char **argv)
{
	struct doctor_args args = {0};
	int r = doctor_parse_args(&args, argc, argv);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("doctor is not implemented in this build yet");
	return EXIT_USAGE;
}
