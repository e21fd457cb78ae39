/* secret.c: `tailpod secret encrypt|rekey|edit|keygen|recipient` — age-encrypted values for the
 * [Secrets] section of specs (README "Secrets: keys and the secret applet"), and `tailpod edit`,
 * quadsync's spelling of `secret edit`. Values are encrypted to recipients (TAILPOD_AGE_RECIPIENTS
 * and/or the repository's .tailpod/recipients, or else the host identity's own), so people encrypt
 * on their laptops without the host's private key; decrypting needs the identity TAILPOD_AGE_KEY,
 * read through the trusted-file layer (owned by the caller or root, no group/other access).
 * The environment's TAILPOD_AGE_KEY / TAILPOD_AGE_RECIPIENTS win over config.env's. */
#include "applets.h"
#include "secret.h"

#include "core.h"
#include "fs.h"
#include "log.h"
#include "opt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium/utils.h>

#define DEFAULT_AGE_KEY	     "/etc/tailpod/secrets/age.key"
#define REPO_RECIPIENTS	     ".tailpod/recipients"
#define RECIPIENTS_MAX_BYTES (AGE_RECIPIENTS_MAX * 256)

struct secret_args {
	const char *repo, *file, *name, *output, *config;
	int nargs;
};

static const char secret_summary[] =
	"Age-encrypted values for a spec's [Secrets] section. Commands:\n"
	"  encrypt [--name NAME | --file TARGET]  value on stdin, prints the [Secrets] line\n"
	"  rekey FILE...                          re-encrypt every value to the current "
	"recipients\n"
	"  edit FILE                              decrypt into $VISUAL/$EDITOR, re-encrypt "
	"changes\n"
	"  keygen [--output FILE]                 a new identity (0600); prints its recipient\n"
	"  recipient                              the host identity's recipient (age1...)\n"
	"Recipients: TAILPOD_AGE_RECIPIENTS (a file of age1 lines) and --repo DIR's "
	".tailpod/recipients;\nthe identity: TAILPOD_AGE_KEY (default " DEFAULT_AGE_KEY ").";

static const char edit_summary[] =
	"quadsync's spelling of `tailpod secret edit FILE`: decrypt FILE's [Secrets] values into\n"
	"$VISUAL/$EDITOR and encrypt again only the values that changed.";

/* `secret COMMAND …`, or as_edit `edit FILE` (the same options). */
static int secret_parse_args(struct secret_args *args, int argc, char **argv, bool as_edit)
{
	const struct opt opts[] = {
		OPT_STRING(0, "repo", &args->repo, "DIR", "also encrypt to DIR/" REPO_RECIPIENTS),
		OPT_STRING(0, "file", &args->file, "TARGET", "encrypt: print File=TARGET:VALUE"),
		OPT_STRING(0, "name", &args->name, "NAME", "encrypt: print Environment=NAME=VALUE"),
		OPT_STRING('o', "output", &args->output, "FILE", "keygen: write the identity here"),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "settings file (default /etc/tailpod/config.env)"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "secret",
		.synopsis = "COMMAND [OPTIONS] [FILE...]",
		.summary = secret_summary,
		.opts = opts,
		.min_args = 1,
		.max_args = -1,
	};
	const struct applet_cli edit_cli = {
		.name = "edit",
		.synopsis = "[OPTIONS] FILE",
		.summary = edit_summary,
		.opts = opts,
		.min_args = 1,
		.max_args = 1,
	};

	return opt_parse(as_edit ? &edit_cli : &cli, argc, argv, &args->nargs);
}

/* One "age1…" line after another ('#' comments and blank lines skipped) into k. */
static int add_recipients(struct secret_keys *k, const char *path, const char *text, size_t len)
{
	size_t line_no = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
		struct age_recipient r;

		line_no++;
		if (n > 0 && text[pos] != '#') {
			if (age_recipient_parse(text + pos, n, &r) < 0)
				return log_error("%s:%zu: not an age1... X25519 recipient", path,
						 line_no),
				       -EINVAL;
			if (k->n_recipients == AGE_RECIPIENTS_MAX)
				return log_error("%s:%zu: more than %d recipients", path, line_no,
						 AGE_RECIPIENTS_MAX),
				       -E2BIG;
			k->recipients[k->n_recipients++] = r;
		}
		pos = end + 1;
	}
	return 0;
}

static int load_recipients_file(struct secret_keys *k, const char *path, bool must_exist)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = fs_read_bounded(AT_FDCWD, path, RECIPIENTS_MAX_BYTES, &text, &len);

	if (r == -ENOENT && !must_exist)
		return 0;
	if (r < 0)
		return log_error_errno(r, "%s: cannot read the recipients", path), r;
	return add_recipients(k, path, text, len);
}

/* The identity, when its file exists; a file that exists but is not private is an error. */
static int load_identity(const struct config *c, struct secret_keys *k)
{
	const struct fs_trust trust = {
		.owner = geteuid(), .or_root = true, .deny_mode = FS_DENY_SHARED};
	const char *env = getenv("TAILPOD_AGE_KEY");
	int r;

	k->key_path = env && *env ? env : c && c->age_key ? c->age_key : DEFAULT_AGE_KEY;
	r = age_identity_load(k->key_path, &trust, &k->id);
	if (r == -ENOENT)
		return 0;
	if (r == -EBADMSG)
		return log_error("%s: not an age identity (one AGE-SECRET-KEY-1... line)",
				 k->key_path),
		       r;
	if (r < 0)
		return log_error_errno(r,
				       "%s: refusing the age identity (it must be a regular file "
				       "owned by you or root, mode 0600)",
				       k->key_path),
		       r;
	k->have_id = true;
	return 0;
}

/* Recipients from the environment or config, the repository, else the identity's own. */
static int load_keys(const struct config *c, const char *repo, struct secret_keys *k)
{
	const char *env = getenv("TAILPOD_AGE_RECIPIENTS");
	const char *file = env && *env ? env : c ? c->age_recipients : NULL;
	int r = load_identity(c, k);

	if (r == 0 && file)
		r = load_recipients_file(k, file, true);
	if (r == 0 && repo) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/%s", repo, REPO_RECIPIENTS) < 0)
			return -ENOMEM;
		r = load_recipients_file(k, path, false);
	}
	if (r == 0 && k->n_recipients == 0 && k->have_id)
		k->recipients[k->n_recipients++] = k->id.recipient;
	return r;
}

static int need_recipients(const struct secret_keys *k)
{
	if (k->n_recipients > 0)
		return 0;
	log_error("no recipients to encrypt to: set TAILPOD_AGE_RECIPIENTS (a file of age1... "
		  "lines), use --repo DIR with DIR/" REPO_RECIPIENTS ", or install the identity %s",
		  k->key_path);
	return -ENOKEY;
}

static bool valid_env_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
	       strlen(s);
}

static bool valid_target(const char *s)
{
	if (*s == '\0' || strlen(s) > 4096)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ':')
			return false;
	return true;
}

/* All of stdin, at most AGE_PAYLOAD_MAX bytes, in a buffer wiped on free. */
static int read_stdin(uint8_t **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *bigger = cap >= AGE_PAYLOAD_MAX ? NULL : malloc(cap * 2);

			if (bigger == NULL)
				return age_free_secret(buf, cap),
				       cap >= AGE_PAYLOAD_MAX ? -EFBIG : -ENOMEM;
			memcpy(bigger, buf, len);
			age_free_secret(buf, cap);
			buf = bigger;
			cap *= 2;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return age_free_secret(buf, cap), -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int cmd_encrypt(const struct secret_keys *k, const struct secret_args *a)
{
	uint8_t *plain = NULL;
	size_t len = 0;
	char *value = NULL;
	int r;

	if (a->name && a->file)
		return log_error("encrypt: --name and --file exclude each other"), EXIT_USAGE;
	if (a->name && !valid_env_name(a->name))
		return log_error("encrypt: --name '%s' is not [A-Za-z_][A-Za-z0-9_]*", a->name),
		       EXIT_USAGE;
	if (a->file && !valid_target(a->file))
		return log_error("encrypt: --file: not a target path"), EXIT_USAGE;
	if (need_recipients(k) < 0)
		return EXIT_USAGE;
	r = read_stdin(&plain, &len);
	if (r < 0)
		return log_error_errno(r, "encrypt: reading the value from stdin"), EXIT_FAIL;
	/* An environment value is one line: `echo v |` must not add a newline to it. */
	if (!a->file && len > 0 && plain[len - 1] == '\n')
		len--;
	r = secret_value_encrypt(k, plain, len, &value);
	age_free_secret(plain, len);
	if (r < 0)
		return log_error_errno(r, "encrypt"), EXIT_FAIL;
	if (a->file)
		printf("File=%s:%s\n", a->file, value);
	else if (a->name)
		printf("Environment=%s=%s\n", a->name, value);
	else
		printf("%s\n", value);
	free(value);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static int cmd_keygen(const struct secret_args *a)
{
	struct age_identity id;
	char secret[AGE_IDENTITY_TEXT_MAX], recipient[AGE_RECIPIENT_TEXT_MAX], text[512];
	time_t now = time(NULL);
	char stamp[32];
	int n, r = 0;

	if (age_identity_generate(&id) < 0)
		return log_error("keygen: cannot make an identity"), EXIT_FAIL;
	age_identity_format(&id, secret);
	age_recipient_format(&id.recipient, recipient);
	age_identity_wipe(&id);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	n = snprintf(text, sizeof(text), "# created: %s\n# public key: %s\n%s\n", stamp, recipient,
		     secret);
	sodium_memzero(secret, sizeof(secret));
	if (a->output) {
		if (faccessat(AT_FDCWD, a->output, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			r = -EEXIST;
		else
			r = fs_write_atomic_path(a->output, text, (size_t)n, 0600);
		if (r < 0)
			log_error_errno(r, "keygen: %s: not written", a->output);
		else
			printf("%s\n", recipient);
	} else {
		fputs(text, stdout);
	}
	sodium_memzero(text, sizeof(text));
	if (r < 0)
		return r == -EEXIST ? EXIT_USAGE : EXIT_FAIL;
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static int run_command(const char *cmd, const struct secret_args *a, char **files, int n_files,
		       const struct secret_keys *k)
{
	int status = EXIT_OK;
	char recipient[AGE_RECIPIENT_TEXT_MAX];

	if (strcmp(cmd, "encrypt") == 0 && n_files == 0)
		return cmd_encrypt(k, a);
	if (strcmp(cmd, "recipient") == 0 && n_files == 0) {
		if (!k->have_id)
			return log_error(
				       "%s: no age identity (make one with `tailpod secret keygen "
				       "--output %s`)",
				       k->key_path, k->key_path),
			       EXIT_FAIL;
		age_recipient_format(&k->id.recipient, recipient);
		printf("%s\n", recipient);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	if (strcmp(cmd, "edit") == 0 && n_files == 1)
		return secret_edit_file(k, files[0]);
	if (strcmp(cmd, "rekey") == 0 && n_files >= 1) {
		if (need_recipients(k) < 0)
			return EXIT_USAGE;
		for (int i = 0; i < n_files; i++) {
			int r = secret_rekey_file(k, files[i]);

			if (r != EXIT_OK)
				status = r;
		}
		return status;
	}
	log_error("secret: '%s' with %d file(s) is not a command; try 'tailpod secret --help'", cmd,
		  n_files);
	return EXIT_USAGE;
}

/* The config (when there is one), the keys, then the command. */
static int secret_run(const struct secret_args *args, const char *cmd, char **files, int n_files)
{
	struct applet_env env = APPLET_ENV_INIT;
	struct secret_keys *k;
	int r = applet_setup(args->config, &env);

	if (r != EXIT_OK)
		return r;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return applet_env_release(&env), EXIT_FAIL;
	r = load_keys(env.config, args->repo, k) < 0 ? EXIT_USAGE
						     : run_command(cmd, args, files, n_files, k);
	age_identity_wipe(&k->id);
	free(k);
	applet_env_release(&env);
	return r;
}

int secret_main(int argc, char **argv)
{
	struct secret_args args = {0};
	int r = secret_parse_args(&args, argc, argv, false);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	if (strcmp(argv[0], "keygen") == 0 && args.nargs == 1)
		return cmd_keygen(&args);
	return secret_run(&args, argv[0], argv + 1, args.nargs - 1);
}

/* `tailpod edit FILE`: quadsync's spelling of `tailpod secret edit FILE`. */
int edit_main(int argc, char **argv)
{
	struct secret_args args = {0};
	int r = secret_parse_args(&args, argc, argv, true);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	return secret_run(&args, "edit", argv, args.nargs);
}
