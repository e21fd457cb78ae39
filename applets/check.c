/* check.c: `tailpod check` — validate and render a quadlet repo exactly as sync will deploy it. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

static bool arg_json;
static const char *arg_transforms, *arg_render;

static const struct opt check_opts[] = {
	OPT_STRING(0, "transforms", &arg_transforms, "DIR",
		   "transform directory (default /etc/tailpod/transforms)"),
	OPT_STRING(0, "render", &arg_render, "NAME", "print the merged units NAME would deploy"),
	OPT_BOOL(0, "json", &arg_json, "print diagnostics as JSON"),
	OPT_END,
};

static const struct applet_cli check_cli = {
	.name = "check",
	.synopsis = "[OPTIONS] [REPO_DIR]",
	.summary = "Validate every spec of REPO_DIR (default: the current directory) and the\n"
		   "transforms merged into it; print all diagnostics as path:line: error: message.",
	.opts = check_opts,
	.min_args = 0,
	.max_args = 1,
};

int check_main(int argc, char **argv)
{
	int nargs, r = opt_parse(&check_cli, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("check is not implemented in this build yet");
	return EXIT_USAGE;
}
