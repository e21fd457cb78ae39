/* doctor.c: `tailpod doctor` — read-only health and security-posture report. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

static bool arg_json;
static const char *arg_config;

static const struct opt doctor_opts[] = {
	OPT_BOOL(0, "json", &arg_json, "print the report as JSON"),
	OPT_STRING(0, "config", &arg_config, "FILE",
		   "settings file (default /etc/tailpod/config.env)"),
	OPT_END,
};

static const struct applet_cli doctor_cli = {
	.name = "doctor",
	.synopsis = "[OPTIONS]",
	.summary =
		"Report the health of this host and of every workload, and the security posture\n"
		"of tailpod's files (secret modes, groups, units). Changes nothing.",
	.opts = doctor_opts,
	.min_args = 0,
	.max_args = 0,
};

int doctor_main(int argc, char **argv)
{
	int nargs, r = opt_parse(&doctor_cli, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("doctor is not implemented in this build yet");
	return EXIT_USAGE;
}
