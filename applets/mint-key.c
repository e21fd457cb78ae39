/* mint-key.c: `tailpod mint-key` — mint a Tailscale auth key for the calling workload. */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "opt.h"

static const char *arg_via, *arg_policy;

static const struct opt mint_key_opts[] = {
	OPT_STRING(0, "via", &arg_via, "SOCKET", "ask the mint-key service listening on SOCKET"),
	OPT_STRING(0, "policy", &arg_policy, "FILE",
		   "policy file (default /etc/tailpod/mint-key.conf)"),
	OPT_END,
};

static const struct applet_cli mint_key_cli = {
	.name = "mint-key",
	.synopsis = "[OPTIONS]",
	.summary =
		"Mint a Tailscale auth key for the calling workload, within the tags and hostname\n"
		"that the root-owned policy allows.",
	.opts = mint_key_opts,
	.min_args = 0,
	.max_args = 0,
};

int mint_key_main(int argc, char **argv)
{
	int nargs, r = opt_parse(&mint_key_cli, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	log_error("mint-key is not implemented in this build yet");
	return EXIT_USAGE;
}
