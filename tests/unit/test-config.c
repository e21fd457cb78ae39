/* test-config.c: unit tests of core/config — the rules C1..C9 of config.c, defaults, every key,
 * each value check with its line number, the bounds just inside and just outside, the did-you-mean
 * hints, the migration from quadsync's file, the file checks (owner, mode, type) and the CA probe.
 * Each test works in its own scratch directory; the files are owned by the test's uid, which the
 * paths name as the required owner, and the owner refusal (a chown) runs only as root. */

#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "scratch.h"

struct fixture {
	char dir[64];
	char cfg[128];	 /* tailpod's file */
	char qs[128];	 /* quadsync's file */
	char ca[2][128]; /* probe candidates, not created unless a test does */
	const char *probe[3];
	struct config_paths paths;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-config.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->cfg, sizeof(fx->cfg), "%s/config.env", fx->dir);
	snprintf(fx->qs, sizeof(fx->qs), "%s/quadsync.env", fx->dir);
	snprintf(fx->ca[0], sizeof(fx->ca[0]), "%s/ca-bundle.crt", fx->dir);
	snprintf(fx->ca[1], sizeof(fx->ca[1]), "%s/ca-certificates.crt", fx->dir);
	fx->probe[0] = fx->ca[0];
	fx->probe[1] = fx->ca[1];
	fx->probe[2] = NULL;
	fx->paths = (struct config_paths){
		.config = fx->cfg,
		.quadsync = fx->qs,
		.ca_probe = fx->probe,
		.owner = geteuid(),
	};
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int r = scratch_remove(fx->dir);

	free(fx);
	return r;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static struct config *load_ok(struct fixture *fx)
{
	struct config_error err = {0};
	struct config *c = NULL;
	int r = config_load(&fx->paths, &c, &err);

	if (r < 0)
		fail_msg("load failed: %d: %s:%u: %s", r, err.where ? err.where : "-", err.line,
			 err.msg);
	return c;
}

static struct config *load_text(struct fixture *fx, const char *text)
{
	write_file(fx->cfg, text, 0644);
	return load_ok(fx);
}

/* The load fails with r; err names path, line and key, and its message contains msg. */
static void assert_load_fails(struct fixture *fx, int r, const char *path, unsigned line,
			      const char *key, const char *msg)
{
	struct config *c = (struct config *)&assert_load_fails; /* must stay untouched */
	struct config_error err = {0};

	assert_int_equal(config_load(&fx->paths, &c, &err), r);
	assert_ptr_equal(c, (struct config *)&assert_load_fails);
	if (path)
		assert_string_equal(err.where, path);
	assert_int_equal(err.line, line);
	assert_string_equal(err.key, key);
	if (!strstr(err.msg, msg))
		fail_msg("message '%s' lacks '%s'", err.msg, msg);
	/* err is optional */
	assert_int_equal(config_load(&fx->paths, &c, NULL), r);
}

static void assert_text_fails(struct fixture *fx, const char *text, unsigned line, const char *key,
			      const char *msg)
{
	write_file(fx->cfg, text, 0644);
	assert_load_fails(fx, -EINVAL, fx->cfg, line, key, msg);
}

static void assert_diag(const struct config *c, size_t i, const char *path, unsigned line,
			const char *msg)
{
	assert_true(i < c->diags.n);
	assert_string_equal(c->diags.items[i].path, path);
	assert_int_equal(c->diags.items[i].line, line);
	if (!strstr(c->diags.items[i].msg, msg))
		fail_msg("diagnostic '%s' lacks '%s'", c->diags.items[i].msg, msg);
}

static void assert_protected(const struct config *c, const char *const *names, size_t n)
{
	assert_int_equal(c->n_protected_users, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(c->protected_users[i], names[i]);
}

static void assert_defaults_except_source(const struct config *c)
{
	static const char *const base[] = {"root", "core"};

	assert_null(c->git_url);
	assert_string_equal(c->git_branch, "main");
	assert_string_equal(c->state_dir, "/var/lib/tailpod");
	assert_string_equal(c->transform_dir, "/etc/tailpod/transforms");
	assert_string_equal(c->ssh_key, "/etc/tailpod/secrets/deploy-key");
	assert_string_equal(c->ssh_known_hosts, "/etc/tailpod/known_hosts");
	assert_false(c->ssh_accept_new); /* Ignition ships known_hosts: no trust on first use */
	assert_null(c->git_token_file);
	assert_null(c->ca_bundle); /* no probe candidate exists */
	assert_int_equal(c->git_timeout_s, 120);
	assert_int_equal(c->git_max_bytes, 256 * 1024 * 1024);
	assert_int_equal(c->command_timeout_s, 90);
	assert_string_equal(c->mint_group, "tailpod-mint");
	assert_string_equal(c->user_group, "tailpod");
	assert_protected(c, base, 2);
	assert_false(c->allow_empty);
	assert_int_equal(c->max_delete_percent, 50);
	assert_int_equal(c->max_workloads, 500);
	assert_null(c->metrics_file);
	assert_string_equal(c->age_key, "/etc/tailpod/secrets/age.key");
	assert_null(c->age_recipients);
	assert_false(c->allow_plaintext_secrets);
	assert_false(podman_version_is_set(&c->podman_version));
	assert_null(c->quadsync_state_dir);
}

/* No file at all: every default, and fetch is told what is missing. */
static void test_defaults(void **state)
{
	struct fixture *fx = *state;
	struct config_error err = {0};
	struct config *c = load_ok(fx);

	assert_defaults_except_source(c);
	assert_int_equal(c->source, CONFIG_SOURCE_DEFAULTS);
	assert_string_equal(c->source_path, fx->cfg);
	assert_int_equal(c->diags.n, 0);
	assert_int_equal(config_require_git(c, &err), -EINVAL);
	assert_string_equal(err.where, fx->cfg);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.key, "TAILPOD_GIT_URL");
	assert_non_null(strstr(err.msg, "does not exist"));
	config_free(c);

	/* An empty file is the defaults too, read from a file. */
	c = load_text(fx, "# nothing here\n");
	assert_defaults_except_source(c);
	assert_int_equal(c->source, CONFIG_SOURCE_FILE);
	assert_int_equal(config_require_git(c, &err), -EINVAL);
	assert_string_equal(err.msg, "TAILPOD_GIT_URL (the repository to deploy) is not set");
	assert_null(config_free(c));
	assert_null(config_free(NULL));
}

static void test_paths_init(void **state)
{
	struct config_paths p;

	(void)state;
	config_paths_init(&p, NULL);
	assert_string_equal(p.config, "/etc/tailpod/config.env");
	assert_false(p.explicit_config);
	assert_string_equal(p.quadsync, "/etc/quadsync/config.env");
	assert_string_equal(p.ca_probe[0], "/etc/pki/tls/certs/ca-bundle.crt");
	assert_string_equal(p.ca_probe[1], "/etc/ssl/certs/ca-certificates.crt");
	assert_null(p.ca_probe[2]);
	assert_int_equal(p.owner, 0);
	config_paths_init(&p, "/srv/other.env");
	assert_string_equal(p.config, "/srv/other.env");
	assert_true(p.explicit_config);
}

static void test_every_key(void **state)
{
	static const char *const names[] = {"root", "core", "alice", "bob"};
	struct fixture *fx = *state;
	struct config *c =
		load_text(fx, "TAILPOD_GIT_URL=ssh://git@example.com/ops/hosts.git\n"
			      "TAILPOD_GIT_BRANCH=prod/eu-1\n"
			      "TAILPOD_STATE_DIR=/srv/state\n"
			      "TAILPOD_TRANSFORM_DIR=/srv/transforms\n"
			      "TAILPOD_SSH_KEY=/srv/secrets/key\n"
			      "TAILPOD_SSH_KNOWN_HOSTS=/srv/known_hosts\n"
			      "TAILPOD_SSH_ACCEPT_NEW=yes\n"
			      "TAILPOD_GIT_TOKEN_FILE=/srv/secrets/token\n"
			      "TAILPOD_CA_BUNDLE=/srv/ca.pem\n"
			      "TAILPOD_GIT_TIMEOUT=30\n"
			      "TAILPOD_COMMAND_TIMEOUT=15\n"
			      "TAILPOD_USER_GROUP=workloads\n"
			      "TAILPOD_PROTECTED_USERS=\"alice, bob\"\n"
			      "TAILPOD_ALLOW_EMPTY=yes\n"
			      "TAILPOD_MAX_DELETE_PERCENT=10\n"
			      "TAILPOD_METRICS_FILE=/var/lib/node_exporter/tailpod.prom\n"
			      "TAILPOD_AGE_KEY=/srv/secrets/age.key\n"
			      "TAILPOD_AGE_RECIPIENTS=/srv/recipients\n"
			      "TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes\n");

	assert_string_equal(c->git_url, "ssh://git@example.com/ops/hosts.git");
	assert_string_equal(c->git_branch, "prod/eu-1");
	assert_string_equal(c->state_dir, "/srv/state");
	assert_string_equal(c->transform_dir, "/srv/transforms");
	assert_string_equal(c->ssh_key, "/srv/secrets/key");
	assert_string_equal(c->ssh_known_hosts, "/srv/known_hosts");
	assert_true(c->ssh_accept_new);
	assert_string_equal(c->git_token_file, "/srv/secrets/token");
	assert_string_equal(c->ca_bundle, "/srv/ca.pem"); /* not checked for existence */
	assert_int_equal(c->git_timeout_s, 30);
	assert_int_equal(c->command_timeout_s, 15);
	assert_string_equal(c->user_group, "workloads");
	assert_protected(c, names, ARRAY_SIZE(names));
	assert_true(c->allow_empty);
	assert_int_equal(c->max_delete_percent, 10);
	assert_string_equal(c->metrics_file, "/var/lib/node_exporter/tailpod.prom");
	assert_string_equal(c->age_key, "/srv/secrets/age.key");
	assert_string_equal(c->age_recipients, "/srv/recipients");
	assert_true(c->allow_plaintext_secrets);
	assert_int_equal(c->source, CONFIG_SOURCE_FILE);
	assert_string_equal(c->source_path, fx->cfg);
	assert_null(c->quadsync_state_dir);
	assert_int_equal(c->diags.n, 0);
	assert_int_equal(config_require_git(c, NULL), 0);
	config_free(c);
}

/* C1: "KEY=" is the default again, also after an earlier assignment (the last one counts). */
static void test_empty_is_default(void **state)
{
	struct fixture *fx = *state;
	struct config *c = load_text(fx, "TAILPOD_GIT_BRANCH=dev\nTAILPOD_GIT_BRANCH=\n"
					 "TAILPOD_GIT_TOKEN_FILE=\nTAILPOD_ALLOW_EMPTY=\n"
					 "TAILPOD_GIT_TIMEOUT=\nTAILPOD_PROTECTED_USERS=\n"
					 "TAILPOD_GIT_URL=\nTAILPOD_USER_GROUP=''\n");

	assert_defaults_except_source(c);
	config_free(c);
}

static void test_booleans(void **state)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on", "YES", "True", "On"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off", "NO", "False", "OFF"};
	static const char *const bad[] = {"maybe", "2", "yess", "enable", "-1"};
	struct fixture *fx = *state;
	char text[128];

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		/* Both default to no: here "no" has to undo an earlier "yes". */
		snprintf(text, sizeof(text),
			 "TAILPOD_ALLOW_EMPTY=%s\nTAILPOD_SSH_ACCEPT_NEW=yes\n"
			 "TAILPOD_SSH_ACCEPT_NEW=%s\n",
			 yes[i], no[i]);
		struct config *c = load_text(fx, text);

		assert_true(c->allow_empty);
		assert_false(c->ssh_accept_new);
		config_free(c);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "# a comment\n\nTAILPOD_SSH_ACCEPT_NEW=%s\n", bad[i]);
		assert_text_fails(fx, text, 3, "TAILPOD_SSH_ACCEPT_NEW", "not a boolean");
	}
}

/* Each value check, with the line of the key (blank and comment lines before it count). */
static void test_bad_values(void **state)
{
	static const struct {
		const char *line, *key, *msg;
	} cases[] = {
		{"TAILPOD_STATE_DIR=var/lib/tailpod", "TAILPOD_STATE_DIR",
		 "invalid TAILPOD_STATE_DIR 'var/lib/tailpod': not an absolute path"},
		{"TAILPOD_SSH_KEY=\"/etc/a\nb\"", "TAILPOD_SSH_KEY", "control character"},
		{"TAILPOD_METRICS_FILE=\"/tmp/\tx\"", "TAILPOD_METRICS_FILE", "control character"},
		{"TAILPOD_AGE_KEY=~/age.key", "TAILPOD_AGE_KEY", "not an absolute path"},
		{"TAILPOD_GIT_TIMEOUT=0", "TAILPOD_GIT_TIMEOUT",
		 "invalid TAILPOD_GIT_TIMEOUT '0': must be 1..3600 seconds"},
		{"TAILPOD_GIT_TIMEOUT=10m", "TAILPOD_GIT_TIMEOUT", "must be 1..3600 seconds"},
		{"TAILPOD_GIT_TIMEOUT=-5", "TAILPOD_GIT_TIMEOUT", "must be 1..3600 seconds"},
		{"TAILPOD_GIT_TIMEOUT=\" 5\"", "TAILPOD_GIT_TIMEOUT", "must be 1..3600 seconds"},
		{"TAILPOD_MAX_DELETE_PERCENT=50%", "TAILPOD_MAX_DELETE_PERCENT",
		 "must be 0..100 percent"},
		{"TAILPOD_USER_GROUP=my group", "TAILPOD_USER_GROUP", "may only contain"},
		{"TAILPOD_USER_GROUP=1st", "TAILPOD_USER_GROUP", "must start with a letter"},
		{"TAILPOD_GIT_BRANCH=a..b", "TAILPOD_GIT_BRANCH", "not a valid branch name"},
		{"TAILPOD_GIT_BRANCH=-main", "TAILPOD_GIT_BRANCH", "not a valid branch name"},
		{"TAILPOD_GIT_BRANCH=main.lock", "TAILPOD_GIT_BRANCH", "not a valid branch name"},
		{"TAILPOD_GIT_BRANCH=a/.b", "TAILPOD_GIT_BRANCH", "not a valid branch name"},
		{"TAILPOD_GIT_BRANCH=a//b", "TAILPOD_GIT_BRANCH", "not a valid branch name"},
		{"TAILPOD_GIT_BRANCH=main/", "TAILPOD_GIT_BRANCH", "not a valid branch name"},
		{"TAILPOD_GIT_BRANCH=@", "TAILPOD_GIT_BRANCH", "not a valid branch name"},
		{"TAILPOD_GIT_BRANCH=a@{1}", "TAILPOD_GIT_BRANCH", "not a valid branch name"},
		{"TAILPOD_GIT_BRANCH=feat:x", "TAILPOD_GIT_BRANCH", "one of ~^:?*[\\"},
		{"TAILPOD_GIT_BRANCH=\"my branch\"", "TAILPOD_GIT_BRANCH", "contains a blank"},
		{"TAILPOD_GIT_URL=ftp://example.com/r.git", "TAILPOD_GIT_URL",
		 "unsupported scheme"},
		{"TAILPOD_GIT_URL=ext::sh -c evil", "TAILPOD_GIT_URL", "contains a blank"},
		{"TAILPOD_GIT_URL=ext::evil", "TAILPOD_GIT_URL", "not a URL git can fetch"},
		{"TAILPOD_GIT_URL=relative/repo", "TAILPOD_GIT_URL", "not a URL git can fetch"},
		{"TAILPOD_GIT_URL=-uhttps://x", "TAILPOD_GIT_URL", "starts with '-'"},
		{"TAILPOD_GIT_URL=host:", "TAILPOD_GIT_URL", "not a URL git can fetch"},
	};
	struct fixture *fx = *state;
	char text[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "# settings\nTAILPOD_GIT_BRANCH=main\n\n%s\n",
			 cases[i].line);
		assert_text_fails(fx, text, 4, cases[i].key, cases[i].msg);
	}
}

/* A password in a URL is never quoted back in an error. */
static void test_url_not_quoted(void **state)
{
	struct fixture *fx = *state;
	struct config_error err = {0};
	struct config *c = NULL;

	write_file(fx->cfg, "TAILPOD_GIT_URL=ftp://u:s3cret@example.com/r.git\n", 0644);
	assert_int_equal(config_load(&fx->paths, &c, &err), -EINVAL);
	assert_null(strstr(err.msg, "s3cret"));
}

static void test_urls(void **state)
{
	static const char *const good[] = {"https://github.com/o/r.git",
					   "HTTPS://example.com/r",
					   "ssh://git@h:2222/r.git",
					   "git+ssh://h/r",
					   "ssh+git://h/r",
					   "git@github.com:o/r.git",
					   "h:r",
					   "file:///srv/r.git",
					   "/srv/r.git",
					   "git://127.0.0.1:9418/r",
					   "http://h/r"};
	struct fixture *fx = *state;
	char text[256];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text), "TAILPOD_GIT_URL=%s\n", good[i]);
		struct config *c = load_text(fx, text);

		assert_string_equal(c->git_url, good[i]);
		/* only the plain transports warn */
		assert_int_equal(c->diags.n, i >= ARRAY_SIZE(good) - 2);
		if (c->diags.n)
			assert_diag(c, 0, fx->cfg, 1, "unauthenticated transport");
		config_free(c);
	}
	struct config *c = load_text(fx, "\nTAILPOD_GIT_URL=https://me:tok@h/r.git\n");
	assert_int_equal(c->diags.n, 1);
	assert_diag(c, 0, fx->cfg, 2, "carries a password");
	assert_null(strstr(c->diags.items[0].msg, "tok"));
	config_free(c);

	/* a user name alone is not a password; neither is an '@' in the path */
	c = load_text(fx, "TAILPOD_GIT_URL=https://me@h/r:1@x\n");
	assert_int_equal(c->diags.n, 0);
	config_free(c);
}

/* C2: unknown TAILPOD_* keys, near misses and quadsync's names fail with a hint. */
static void test_unknown_keys(void **state)
{
	struct fixture *fx = *state;

	assert_text_fails(fx, "TAILPOD_GIT_URL=/r\nTAILPOD_GIT_BRANC=main\n", 2,
			  "TAILPOD_GIT_BRANC",
			  "unknown key 'TAILPOD_GIT_BRANC' (did you mean 'TAILPOD_GIT_BRANCH'?)");
	assert_text_fails(fx, "TAILPOD_SSH_ACEPT_NEW=no\n", 1, "TAILPOD_SSH_ACEPT_NEW",
			  "did you mean 'TAILPOD_SSH_ACCEPT_NEW'?");
	assert_text_fails(fx, "TAILPOD_TIMEOUT=5\n", 1, "TAILPOD_TIMEOUT",
			  "did you mean 'TAILPOD_GIT_TIMEOUT'?");
	assert_text_fails(fx, "TAILPOD_FROBNICATE=1\n", 1, "TAILPOD_FROBNICATE",
			  "unknown key 'TAILPOD_FROBNICATE'");
	/* outside the prefix, a near miss is still a typo */
	assert_text_fails(fx, "tailpod_git_url=/r\n", 1, "tailpod_git_url",
			  "did you mean 'TAILPOD_GIT_URL'?");
	assert_text_fails(fx, "TAILPD_STATE_DIR=/srv\n", 1, "TAILPD_STATE_DIR",
			  "did you mean 'TAILPOD_STATE_DIR'?");
	/* quadsync's names in tailpod's file: a half-done migration */
	assert_text_fails(fx, "QUADSYNC_TRANSFORM_DIR=/etc/quadsync/transforms\n", 1,
			  "QUADSYNC_TRANSFORM_DIR",
			  "'QUADSYNC_TRANSFORM_DIR' is quadsync's name; tailpod reads "
			  "'TAILPOD_TRANSFORM_DIR'");
	assert_text_fails(fx, "QUADSYNC_OTHER=1\n", 1, "QUADSYNC_OTHER",
			  "unknown key 'QUADSYNC_OTHER'");
}

/* C3: other programs' variables are ignored, with a diagnostic; envfile's own ones are kept. */
static void test_foreign_keys(void **state)
{
	struct fixture *fx = *state;
	struct config *c = load_text(fx, "https_proxy=http://proxy:3128\n"
					 "TAILPOD_GIT_BRANCH=main\n"
					 "a line without an equals sign\n"
					 "GIT_URL=https://x/r\n");

	assert_int_equal(c->diags.n, 3);
	assert_diag(c, 0, fx->cfg, 3, "missing '=', ignoring");
	assert_diag(c, 1, fx->cfg, 1, "'https_proxy' is not a tailpod setting, ignoring");
	assert_diag(c, 2, fx->cfg, 4, "'GIT_URL' is not a tailpod setting, ignoring");
	assert_null(c->git_url);
	config_free(c);
}

/* C8 */
static void test_protected_users(void **state)
{
	static const char *const dedup[] = {"root", "core", "alice", "bob", "carol", "svc$"};
	static const char *const base[] = {"root", "core"};
	struct fixture *fx = *state;
	struct config *c;

	c = load_text(fx,
		      "TAILPOD_PROTECTED_USERS=\"alice bob,carol,, alice\troot core bob svc$\"\n");
	assert_protected(c, dedup, ARRAY_SIZE(dedup));
	config_free(c);
	c = load_text(fx, "TAILPOD_PROTECTED_USERS=\" , ,\"\n");
	assert_protected(c, base, 2);
	config_free(c);
	c = load_text(fx, "TAILPOD_PROTECTED_USERS=\"root\ncore\"\n");
	assert_protected(c, base, 2);
	config_free(c);
	assert_text_fails(fx, "\nTAILPOD_PROTECTED_USERS=\"alice 9lives\"\n", 2,
			  "TAILPOD_PROTECTED_USERS",
			  "invalid TAILPOD_PROTECTED_USERS name '9lives': a name must start");
	assert_text_fails(fx, "TAILPOD_PROTECTED_USERS=alice;bob\n", 1, "TAILPOD_PROTECTED_USERS",
			  "may only contain");
	assert_text_fails(fx, "TAILPOD_PROTECTED_USERS=a$b\n", 1, "TAILPOD_PROTECTED_USERS",
			  "may only contain");
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* Each bound just inside and just outside. */
static void test_bounds(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *text = malloc(3 * 4096 + CONFIG_PROTECTED_MAX * 8);
	_cleanup_free_ char *name32 = repeat('a', 32), *name33 = repeat('a', 33);
	_cleanup_free_ char *branch = repeat('b', 199), *url = repeat('u', 2047 - 8);
	_cleanup_free_ char *path = repeat('p', 4095 - 1);
	struct config *c;

	c = load_text(fx, "TAILPOD_GIT_TIMEOUT=1\nTAILPOD_MAX_DELETE_PERCENT=0\n");
	assert_int_equal(c->git_timeout_s, 1);
	assert_int_equal(c->max_delete_percent, 0);
	config_free(c);
	c = load_text(fx, "TAILPOD_GIT_TIMEOUT=3600\nTAILPOD_MAX_DELETE_PERCENT=100\n");
	assert_int_equal(c->git_timeout_s, 3600);
	assert_int_equal(c->max_delete_percent, 100);
	config_free(c);
	assert_text_fails(fx, "TAILPOD_GIT_TIMEOUT=3601\n", 1, "TAILPOD_GIT_TIMEOUT", "1..3600");
	assert_text_fails(fx, "TAILPOD_GIT_TIMEOUT=99999999999999999999999\n", 1,
			  "TAILPOD_GIT_TIMEOUT", "1..3600");
	assert_text_fails(fx, "TAILPOD_MAX_DELETE_PERCENT=101\n", 1, "TAILPOD_MAX_DELETE_PERCENT",
			  "0..100");
	c = load_text(fx, "TAILPOD_GIT_MAX_BYTES=1048576\n");
	assert_int_equal(c->git_max_bytes, 1048576);
	config_free(c);
	c = load_text(fx, "TAILPOD_GIT_MAX_BYTES=1073741824\n");
	assert_int_equal(c->git_max_bytes, 1073741824);
	config_free(c);
	assert_text_fails(fx, "TAILPOD_GIT_MAX_BYTES=1048575\n", 1, "TAILPOD_GIT_MAX_BYTES",
			  "must be 1048576..1073741824 bytes");
	assert_text_fails(fx, "TAILPOD_GIT_MAX_BYTES=1073741825\n", 1, "TAILPOD_GIT_MAX_BYTES",
			  "must be 1048576..1073741824 bytes");
	c = load_text(fx, "TAILPOD_MAX_WORKLOADS=1\n");
	assert_int_equal(c->max_workloads, 1);
	config_free(c);
	c = load_text(fx, "TAILPOD_MAX_WORKLOADS=65536\n");
	assert_int_equal(c->max_workloads, CONFIG_WORKLOADS_MAX);
	config_free(c);
	assert_text_fails(fx, "TAILPOD_MAX_WORKLOADS=0\n", 1, "TAILPOD_MAX_WORKLOADS", "1..65536");
	assert_text_fails(fx, "TAILPOD_MAX_WORKLOADS=65537\n", 1, "TAILPOD_MAX_WORKLOADS",
			  "1..65536");
	c = load_text(fx, "TAILPOD_PODMAN_VERSION=5.5\n");
	assert_int_equal(c->podman_version.major * 100 + c->podman_version.minor, 505);
	config_free(c);
	c = load_text(fx, "TAILPOD_PODMAN_VERSION=\n"); /* C1: as if not set */
	assert_false(podman_version_is_set(&c->podman_version));
	config_free(c);
	assert_text_fails(
		fx, "\nTAILPOD_PODMAN_VERSION=5\n", 2, "TAILPOD_PODMAN_VERSION",
		"invalid TAILPOD_PODMAN_VERSION '5': not a Podman version (X.Y or X.Y.Z)");
	assert_text_fails(fx, "TAILPOD_PODMAN_VERSION=99999999999.1\n", 1, "TAILPOD_PODMAN_VERSION",
			  "not a Podman version");

	sprintf(text,
		"TAILPOD_USER_GROUP=%s\nTAILPOD_GIT_BRANCH=%s\nTAILPOD_GIT_URL=https://%s\n"
		"TAILPOD_STATE_DIR=/%s\n",
		name32, branch, url, path);
	c = load_text(fx, text);
	assert_string_equal(c->user_group, name32);
	assert_int_equal(strlen(c->git_branch), 199);
	assert_int_equal(strlen(c->git_url), 2047);
	assert_int_equal(strlen(c->state_dir), 4095);
	config_free(c);
	sprintf(text, "TAILPOD_USER_GROUP=%s\n", name33);
	assert_text_fails(fx, text, 1, "TAILPOD_USER_GROUP", "longer than 32 bytes");
	sprintf(text, "TAILPOD_GIT_BRANCH=%sb\n", branch);
	assert_text_fails(fx, text, 1, "TAILPOD_GIT_BRANCH", "CONFIG_BRANCH_MAX");
	sprintf(text, "TAILPOD_GIT_URL=https://%su\n", url);
	assert_text_fails(fx, text, 1, "TAILPOD_GIT_URL", "CONFIG_URL_MAX");
	sprintf(text, "TAILPOD_STATE_DIR=/%sp\n", path);
	assert_text_fails(fx, text, 1, "TAILPOD_STATE_DIR", "PATH_MAX");

	/* CONFIG_PROTECTED_MAX names, then one more (a duplicate still counts) */
	strcpy(text, "TAILPOD_PROTECTED_USERS=\"");
	for (int i = 0; i < CONFIG_PROTECTED_MAX; i++)
		sprintf(text + strlen(text), "u%d ", i);
	c = load_text(fx, strcat(text, "\"\n"));
	assert_int_equal(c->n_protected_users, 2 + CONFIG_PROTECTED_MAX);
	config_free(c);
	strcpy(text + strlen(text) - 2, "u0\"\n");
	assert_text_fails(fx, text, 1, "TAILPOD_PROTECTED_USERS", "CONFIG_PROTECTED_MAX");
}

/* envfile's failures come through with the line. */
static void test_parse_errors(void **state)
{
	struct fixture *fx = *state;

	write_file(fx->cfg, "TAILPOD_GIT_BRANCH=main\nTAILPOD_STATE_DIR=/x\xff\n", 0644);
	assert_load_fails(fx, -EBADMSG, fx->cfg, 2, "", "UTF-8");
}

/* C4 */
static void test_file_checks(void **state)
{
	struct fixture *fx = *state;
	char target[160];

	write_file(fx->cfg, "TAILPOD_GIT_BRANCH=main\n", 0664);
	assert_load_fails(fx, -EACCES, fx->cfg, 0, "", "writable by group or others (mode 0664)");
	write_file(fx->cfg, "TAILPOD_GIT_BRANCH=main\n", 0646);
	assert_load_fails(fx, -EACCES, fx->cfg, 0, "", "(mode 0646)");
	write_file(fx->cfg, "TAILPOD_GIT_BRANCH=main\n", 0600);
	config_free(load_ok(fx));

	/* quadsync's file is held to the same rules */
	unlink(fx->cfg);
	write_file(fx->qs, "QUADSYNC_GIT_URL=/r\n", 0666);
	assert_load_fails(fx, -EACCES, fx->qs, 0, "", "writable by group or others");
	unlink(fx->qs);

	snprintf(target, sizeof(target), "%s/real.env", fx->dir);
	write_file(target, "TAILPOD_GIT_BRANCH=main\n", 0644);
	assert_int_equal(symlink(target, fx->cfg), 0);
	assert_load_fails(fx, -ELOOP, fx->cfg, 0, "", "symbolic link");
	unlink(fx->cfg);
	assert_int_equal(mkdir(fx->cfg, 0755), 0);
	assert_load_fails(fx, -EISDIR, fx->cfg, 0, "", "is a directory");
	rmdir(fx->cfg);
	assert_int_equal(mkfifo(fx->cfg, 0644), 0);
	assert_load_fails(fx, -EBADFD, fx->cfg, 0, "", "not a regular file");
	unlink(fx->cfg);

	/* another owner: the files' owner must be paths.owner (root in the product) */
	write_file(fx->cfg, "TAILPOD_GIT_BRANCH=main\n", 0644);
	fx->paths.owner = geteuid() + 1;
	assert_load_fails(fx, -EPERM, fx->cfg, 0, "", "owned by uid");
	fx->paths.owner = geteuid();
	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(fx->cfg, 65534, 65534), 0);
	fx->paths.owner = 0;
	assert_load_fails(fx, -EPERM, fx->cfg, 0, "", "owned by uid 65534, not 0");
}

/* C5 */
static void test_explicit_config(void **state)
{
	struct fixture *fx = *state;
	struct config *c;

	write_file(fx->qs, "QUADSYNC_GIT_URL=/srv/r.git\n", 0644);
	fx->paths.explicit_config = true;
	assert_load_fails(fx, -ENOENT, fx->cfg, 0, "", "no such file");
	/* an explicit file that exists is read, and quadsync's is not */
	write_file(fx->cfg, "TAILPOD_GIT_BRANCH=dev\n", 0644);
	c = load_ok(fx);
	assert_int_equal(c->source, CONFIG_SOURCE_FILE);
	assert_null(c->git_url);
	assert_string_equal(c->git_branch, "dev");
	config_free(c);
	/* migration can be switched off */
	unlink(fx->cfg);
	fx->paths.explicit_config = false;
	fx->paths.quadsync = NULL;
	c = load_ok(fx);
	assert_int_equal(c->source, CONFIG_SOURCE_DEFAULTS);
	config_free(c);
}

/* C6: only quadsync's file, keys unset — quadsync's own defaults where the host depends on them. */
static void test_migration_defaults(void **state)
{
	struct fixture *fx = *state;
	struct config_error err = {0};
	struct config *c;

	write_file(fx->qs,
		   "# quadsync\nQUADSYNC_GIT_URL=git@github.com:o/r.git\n"
		   "QUADSYNC_GIT_BRANCH=\nQUADSYNC_WEBUI=1\nTAILPOD_GIT_BRANCH=x\n",
		   0644);
	c = load_ok(fx);
	assert_int_equal(c->source, CONFIG_SOURCE_QUADSYNC);
	assert_string_equal(c->source_path, fx->qs);
	assert_string_equal(c->git_url, "git@github.com:o/r.git");
	assert_string_equal(c->git_branch, "main");
	assert_string_equal(c->transform_dir, "/etc/quadsync/transforms");
	assert_string_equal(c->user_group, "cusers");
	assert_string_equal(c->state_dir, "/var/lib/tailpod");
	assert_string_equal(c->quadsync_state_dir, "/var/lib/quadsync");
	assert_string_equal(c->ssh_key, "/etc/tailpod/secrets/deploy-key");
	assert_string_equal(c->age_key, "/etc/tailpod/secrets/age.key");
	assert_int_equal(c->max_delete_percent, 50);
	assert_int_equal(c->diags.n, 3);
	assert_diag(c, 0, fx->qs, 4, "'QUADSYNC_WEBUI' is not a quadsync setting tailpod migrates");
	assert_diag(c, 1, fx->qs, 5, "'TAILPOD_GIT_BRANCH' is not a quadsync setting");
	assert_diag(c, 2, fx->qs, 2, "QUADSYNC_SSH_KEY is not set");
	assert_int_equal(config_require_git(c, NULL), 0);
	config_free(c);

	write_file(fx->qs, "QUADSYNC_GIT_BRANCH=main\n", 0644);
	c = load_ok(fx);
	assert_int_equal(config_require_git(c, &err), -EINVAL);
	assert_string_equal(err.where, fx->qs);
	assert_string_equal(err.msg, "QUADSYNC_GIT_URL is not set");
	config_free(c);
}

/* C6: every mapped key set explicitly wins, with tailpod's rules. */
static void test_migration_values(void **state)
{
	struct fixture *fx = *state;
	struct config *c;

	write_file(fx->qs,
		   "QUADSYNC_GIT_URL=https://github.com/o/r.git\n"
		   "QUADSYNC_GIT_BRANCH=prod\n"
		   "QUADSYNC_TRANSFORM_DIR=/etc/quadsync/t\n"
		   "QUADSYNC_STATE_DIR=/srv/quadsync\n"
		   "QUADSYNC_USER_GROUP=\"managed\"\n"
		   "QUADSYNC_SSH_KEY=/etc/quadsync/keys/deploy\n"
		   "QUADSYNC_AGE_KEY=/etc/quadsync/keys/age.txt\n",
		   0600);
	c = load_ok(fx);
	assert_int_equal(c->source, CONFIG_SOURCE_QUADSYNC);
	assert_string_equal(c->git_url, "https://github.com/o/r.git");
	assert_string_equal(c->git_branch, "prod");
	assert_string_equal(c->transform_dir, "/etc/quadsync/t");
	assert_string_equal(c->state_dir, "/srv/quadsync");
	assert_string_equal(c->quadsync_state_dir, "/srv/quadsync");
	assert_string_equal(c->user_group, "managed");
	assert_string_equal(c->ssh_key, "/etc/quadsync/keys/deploy");
	assert_string_equal(c->age_key, "/etc/quadsync/keys/age.txt");
	assert_int_equal(c->diags.n, 0);
	config_free(c);

	/* quadsync's values pass tailpod's checks, and errors name quadsync's file and key */
	write_file(fx->qs, "QUADSYNC_GIT_URL=/r\n\nQUADSYNC_STATE_DIR=state\n", 0644);
	assert_load_fails(fx, -EINVAL, fx->qs, 3, "QUADSYNC_STATE_DIR",
			  "invalid QUADSYNC_STATE_DIR 'state': not an absolute path");
}

/* C6: both files: tailpod's wins and quadsync's is not even read. */
static void test_migration_both(void **state)
{
	struct fixture *fx = *state;
	struct config *c;

	write_file(fx->qs, "QUADSYNC_STATE_DIR=not absolute\n\xff\n", 0666);
	c = load_text(fx, "TAILPOD_GIT_URL=/srv/r.git\n");
	assert_int_equal(c->source, CONFIG_SOURCE_FILE);
	assert_string_equal(c->source_path, fx->cfg);
	assert_string_equal(c->transform_dir, "/etc/tailpod/transforms");
	assert_string_equal(c->user_group, "tailpod");
	assert_null(c->quadsync_state_dir);
	assert_int_equal(c->diags.n, 0);
	config_free(c);
}

/* C7 */
static void test_ca_probe(void **state)
{
	struct fixture *fx = *state;
	char link[160];
	struct config *c;

	write_file(fx->ca[1], "pem", 0644);
	c = load_ok(fx);
	assert_string_equal(c->ca_bundle, fx->ca[1]);
	config_free(c);

	/* the first candidate wins, when it is a regular file or a link to one */
	assert_int_equal(mkdir(fx->ca[0], 0755), 0);
	c = load_ok(fx);
	assert_string_equal(c->ca_bundle, fx->ca[1]);
	config_free(c);
	rmdir(fx->ca[0]);
	snprintf(link, sizeof(link), "%s/real.pem", fx->dir);
	write_file(link, "pem", 0644);
	assert_int_equal(symlink(link, fx->ca[0]), 0);
	c = load_ok(fx);
	assert_string_equal(c->ca_bundle, fx->ca[0]);
	config_free(c);

	/* set explicitly: no probe */
	c = load_text(fx, "TAILPOD_CA_BUNDLE=/srv/ca.pem\n");
	assert_string_equal(c->ca_bundle, "/srv/ca.pem");
	config_free(c);
	/* empty is "not set" again */
	c = load_text(fx, "TAILPOD_CA_BUNDLE=\n");
	assert_string_equal(c->ca_bundle, fx->ca[0]);
	config_free(c);
	fx->paths.ca_probe = NULL;
	c = load_ok(fx);
	assert_null(c->ca_bundle);
	config_free(c);
}

/* C9: a token file with an http:// URL is an error naming both, whatever the order of the keys;
 * https and the other schemes are not affected. */
static void test_token_transport(void **state)
{
	static const char *const refused[] = {
		"TAILPOD_GIT_URL=http://h/r.git\nTAILPOD_GIT_TOKEN_FILE=/etc/tailpod/secrets/tok\n",
		"TAILPOD_GIT_TOKEN_FILE=/etc/tailpod/secrets/tok\nTAILPOD_GIT_URL=HTTP://h/r.git\n",
	};
	static const char *const accepted[] = {
		"TAILPOD_GIT_URL=https://h/r.git\nTAILPOD_GIT_TOKEN_FILE=/etc/tailpod/secrets/"
		"tok\n",
		"TAILPOD_GIT_URL=http://h/r.git\n",
		"TAILPOD_GIT_URL=git@h:r.git\nTAILPOD_GIT_TOKEN_FILE=/etc/tailpod/secrets/tok\n",
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		write_file(fx->cfg, refused[i], 0644);
		assert_load_fails(fx, -EINVAL, fx->cfg, 0, "TAILPOD_GIT_TOKEN_FILE",
				  "TAILPOD_GIT_TOKEN_FILE (/etc/tailpod/secrets/tok) is set and "
				  "TAILPOD_GIT_URL is http://");
	}
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++)
		config_free(load_text(fx, accepted[i]));
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),	  cmocka_unit_test(test_paths_init),
		T(test_every_key),	  T(test_empty_is_default),
		T(test_booleans),	  T(test_bad_values),
		T(test_url_not_quoted),	  T(test_urls),
		T(test_unknown_keys),	  T(test_foreign_keys),
		T(test_protected_users),  T(test_bounds),
		T(test_parse_errors),	  T(test_file_checks),
		T(test_explicit_config),  T(test_migration_defaults),
		T(test_migration_values), T(test_migration_both),
		T(test_ca_probe),	  T(test_token_transport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
