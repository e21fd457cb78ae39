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

enum {
	MINT_TIMEOUT_S_MAX = 600, /* --timeout bound: ten minutes, far beyond any API round trip */
};

/* The command line, parsed into mint_key_main's frame: a second run starts clean. */
struct mint_key_args {
	bool serve;
	long timeout; /* seconds, 0 for MINT_TIMEOUT_S_DEFAULT */
	const char *via, *policy, *output;
	const char *config, *tag, *hostname; /* mode 2 (sudo) */
};

static const char mint_key_summary[] =
	"Mint a Tailscale auth key for the calling workload, within the tags and hostname\n"
	"that the root-owned policy allows. Mode 1: `--serve` runs per connection under\n"
	"tailpod-mint-key.socket and knows callers by SO_PEERCRED; container users run\n"
	"`--via /run/tailpod/mint-key.sock --output %t/ts-authkeys/%N.env`. Mode 2: the\n"
	"predecessor's flags through sudo (-config, -tag, -hostname, -output; one dash\n"
	"works); the output path is derived, never chosen. OAuth settings come from\n"
	"oauth.env (TS_API_CLIENT_ID, TS_API_CLIENT_SECRET, TS_TAILNET, TS_KEY_*,\n"
	"TS_API_URL, TS_CA_BUNDLE). Exit 1: the API refused; 75: network or temporary.";

static int mint_key_parse_args(struct mint_key_args *args, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_BOOL(0, "serve", &args->serve,
			 "answer one caller on the socket systemd passed (fd 3 or stdin)"),
		OPT_STRING(0, "via", &args->via, "SOCKET",
			   "ask the mint-key service listening on SOCKET"),
		OPT_STRING(0, "output", &args->output, "FILE",
			   "write TS_AUTHKEY=/TS_HOSTNAME= here (mode 2: must be "
			   "/run/user/UID/ts-authkeys/HOSTNAME.env)"),
		OPT_STRING(0, "policy", &args->policy, "FILE",
			   "--serve: policy file (default " MINT_POLICY_DEFAULT "; mode 2 always "
			   "reads that one)"),
		OPT_INT(0, "timeout", &args->timeout, "SECONDS",
			"give up after this long (default 60)", 1, MINT_TIMEOUT_S_MAX),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "mode 2: oauth.env file (an OAuthFile=)"),
		OPT_STRING(0, "tag", &args->tag, "TAG",
			   "mode 2: tag for the key (one the policy allows)"),
		OPT_STRING(0, "hostname", &args->hostname, "NAME",
			   "mode 2: hostname of the container"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "mint-key",
		.synopsis = "[OPTIONS]",
		.summary = mint_key_summary,
		.opts = opts,
		.min_args = 0,
		.max_args = 0,
	};
	int nargs;

	return opt_parse(&cli, argc, argv, &nargs);
}

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

/* The mode the flags ask for, after the hardening every mode starts with. */
static int mint_key_run(const struct mint_key_args *args)
{
	const char *policy = args->policy ? args->policy : MINT_POLICY_DEFAULT;
	unsigned timeout = args->timeout ? (unsigned)args->timeout : MINT_TIMEOUT_S_DEFAULT;
	bool mode2 = args->config || args->tag || args->hostname;

	/* First, before any mode reads its OAuth client or receives a key. */
	if (mint_harden() < 0)
		return EXIT_USAGE;
	if (args->serve) {
		if (args->via || args->output || mode2)
			return log_error_status(EXIT_USAGE,
						"--serve takes no --via, --output or mode 2 flags");
		return mint_serve(policy, timeout);
	}
	if (args->via) {
		if (!args->output || mode2 || args->policy)
			return log_error_status(EXIT_USAGE,
						"--via needs --output and takes no mode 2 flags or "
						"--policy");
		return mint_via(args->via, args->output, timeout);
	}
	/* sudo's `*` in the sudoers line lets any extra flag through: a caller's own policy would
	 * grant it any tag, hostname and OAuth file. */
	if (args->policy)
		return log_error_status(EXIT_USAGE,
					"--policy is refused in mode 2 (sudo): the policy is "
					"always " MINT_POLICY_DEFAULT);
	return mint_sudo(args->config, args->tag, args->hostname, args->output, timeout);
}

int mint_key_main(int argc, char **argv)
{
	_cleanup_free_ char **owned = calloc((size_t)argc + 1, sizeof(*owned));
	char **argv_long = owned ? legacy_rewrite(argc, argv, owned) : NULL;
	struct mint_key_args args = {0};
	int r;

	if (!argv_long)
		return log_error_status(EXIT_TEMPFAIL, "out of memory");
	r = mint_key_parse_args(&args, argc, argv_long);
	r = r == OPT_RESULT_RUN ? mint_key_run(&args) : opt_exit_status(r);
	for (int i = 0; i < argc; i++)
		free(owned[i]);
	free(argv_long);
	return r;
}
