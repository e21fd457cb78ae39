/* mint-key.c: `tailpod mint-key` — mint a Tailscale auth key for the calling workload, within the
 * root-owned policy: as a socket-activated service (--serve) and its client (--via), or as the
 * predecessor's sudo command (mode 2). The modes live in applets/mint-key/; this file holds the
 * options, the predecessor's Go-style flags, the process hardening every mode starts with and the
 * choice of mode. */
#define _GNU_SOURCE /* asprintf */
#include "applets.h"

#include "core.h"
#include "log.h"
#include "mint-key/mint-key.h"
#include "opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static const char *arg_via, *arg_policy, *arg_output, *arg_config, *arg_tag, *arg_hostname;
static bool arg_serve;
static long arg_timeout;

static const struct opt mint_key_opts[] = {
	OPT_BOOL(0, "serve", &arg_serve,
		 "answer one caller on the socket systemd passed (fd 3 or stdin)"),
	OPT_STRING(0, "via", &arg_via, "SOCKET", "ask the mint-key service listening on SOCKET"),
	OPT_STRING(0, "output", &arg_output, "FILE",
		   "write TS_AUTHKEY=/TS_HOSTNAME= here (mode 2: must be "
		   "/run/user/UID/ts-authkeys/HOSTNAME.env)"),
	OPT_STRING(0, "policy", &arg_policy, "FILE",
		   "--serve: policy file (default " MINT_POLICY_DEFAULT "; mode 2 always reads "
		   "that one)"),
	OPT_INT(0, "timeout", &arg_timeout, "SECONDS", "give up after this long (default 60)", 1,
		600),
	OPT_STRING(0, "config", &arg_config, "FILE", "mode 2: oauth.env file (an OAuthFile=)"),
	OPT_STRING(0, "tag", &arg_tag, "TAG", "mode 2: tag for the key (one the policy allows)"),
	OPT_STRING(0, "hostname", &arg_hostname, "NAME", "mode 2: hostname of the container"),
	OPT_END,
};

static const struct applet_cli mint_key_cli = {
	.name = "mint-key",
	.synopsis = "[OPTIONS]",
	.summary =
		"Mint a Tailscale auth key for the calling workload, within the tags and hostname\n"
		"that the root-owned policy allows. Mode 1: `--serve` runs per connection under\n"
		"tailpod-mint-key.socket and knows callers by SO_PEERCRED; container users run\n"
		"`--via /run/tailpod/mint-key.sock --output %t/ts-authkeys/%N.env`. Mode 2: the\n"
		"predecessor's flags through sudo (-config, -tag, -hostname, -output; one dash\n"
		"works); the output path is derived, never chosen. OAuth settings come from\n"
		"oauth.env (TS_API_CLIENT_ID, TS_API_CLIENT_SECRET, TS_TAILNET, TS_KEY_*,\n"
		"TS_API_URL, TS_CA_BUNDLE). Exit 1: the API refused; 75: network or temporary.",
	.opts = mint_key_opts,
	.min_args = 0,
	.max_args = 0,
};

/* The predecessor took Go flags: "-config X", "-config=X". Only its four names are rewritten to
 * the long form, so -h/-q/-v keep their meaning. */
static char *legacy_flag(const char *a)
{
	static const char *const names[] = {"config", "tag", "hostname", "output"};
	char *out;

	if (a[0] != '-' || a[1] == '-')
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		size_t n = strlen(names[i]);
		if (strncmp(a + 1, names[i], n) == 0 && (a[1 + n] == '\0' || a[1 + n] == '=')) {
			if (asprintf(&out, "-%s", a) < 0)
				return NULL;
			return out;
		}
	}
	return NULL;
}

/* A copy of argv with legacy flags rewritten; the rewritten strings are also kept in owned[],
 * because opt_parse() reorders the copy. */
static char **legacy_rewrite(int argc, char **argv, char **owned)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	bool done = false;

	if (!v)
		return NULL;
	for (int i = 0; i < argc; i++) {
		owned[i] = i > 0 && !done ? legacy_flag(argv[i]) : NULL;
		v[i] = owned[i] ? owned[i] : argv[i];
		done |= strcmp(argv[i], "--") == 0;
	}
	return v;
}

int mint_harden(void)
{
	const struct rlimit none = {0, 0};
	struct rlimit now;

	/* The service's seccomp filter (~@resources) may deny the call; LimitCORE=0 has then
	 * already done it, which getrlimit shows. */
	if (setrlimit(RLIMIT_CORE, &none) < 0 &&
	    (getrlimit(RLIMIT_CORE, &now) < 0 || now.rlim_cur != 0 || now.rlim_max != 0))
		return log_error_errno(-errno, "cannot set RLIMIT_CORE to 0, refusing");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return log_error_errno(-errno, "cannot make the process non-dumpable, refusing");
	return 0;
}

static int mint_key_run(void)
{
	const char *policy = arg_policy ? arg_policy : MINT_POLICY_DEFAULT;
	unsigned timeout = arg_timeout ? (unsigned)arg_timeout : MINT_TIMEOUT_S_DEFAULT;
	bool mode2 = arg_config || arg_tag || arg_hostname;

	/* First, before any mode reads its OAuth client or receives a key. */
	if (mint_harden() < 0)
		return EXIT_USAGE;
	if (arg_serve) {
		if (arg_via || arg_output || mode2)
			return log_error_status(EXIT_USAGE,
						"--serve takes no --via, --output or mode 2 flags");
		return mint_serve(policy, timeout);
	}
	if (arg_via) {
		if (!arg_output || mode2 || arg_policy)
			return log_error_status(EXIT_USAGE,
						"--via needs --output and takes no mode 2 flags or "
						"--policy");
		return mint_via(arg_via, arg_output, timeout);
	}
	/* sudo's `*` in the sudoers line lets any extra flag through: a caller's own policy would
	 * grant it any tag, hostname and OAuth file. */
	if (arg_policy)
		return log_error_status(EXIT_USAGE,
					"--policy is refused in mode 2 (sudo): the policy is "
					"always " MINT_POLICY_DEFAULT);
	return mint_sudo(arg_config, arg_tag, arg_hostname, arg_output, timeout);
}

int mint_key_main(int argc, char **argv)
{
	_cleanup_free_ char **owned = calloc((size_t)argc + 1, sizeof(*owned));
	char **args = owned ? legacy_rewrite(argc, argv, owned) : NULL;
	int nargs, r;

	if (!args)
		return log_error_status(EXIT_TEMPFAIL, "out of memory");
	arg_via = arg_policy = arg_output = arg_config = arg_tag = arg_hostname = NULL;
	arg_serve = false;
	arg_timeout = 0;
	r = opt_parse(&mint_key_cli, argc, args, &nargs);
	r = r == OPT_RESULT_RUN ? mint_key_run() : opt_exit_status(r);
	for (int i = 0; i < argc; i++)
		free(owned[i]);
	free(args);
	return r;
}
