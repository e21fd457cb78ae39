/* test-backup_exclude.c: unit tests of core/backup_exclude — the one decision whether a host path
 * is a secret no backup may hold: the secrets directory and everything beneath it, each path the
 * config names, Podman's secret store and minted keys anywhere, a hard link to a secret (same
 * inode under another name), paths that are not normalized, and what is no secret. */

#define _GNU_SOURCE /* nftw, unshare in scratch.h */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup_exclude.h"
#include "scratch.h"

static bool secret(const struct backup_exclude *x, const char *path, const char **why)
{
	return backup_exclude_match(x, path, NULL, why);
}

static void test_builtin_rules(void **state)
{
	struct backup_exclude x;
	const char *why = NULL;

	(void)state;
	assert_int_equal(backup_exclude_init(&x, NULL), 0);
	assert_true(secret(&x, "/etc/tailpod/secrets", &why));
	assert_string_equal(why, "tailpod's secrets directory");
	assert_true(secret(&x, "/etc/tailpod/secrets/deploy-key", NULL));
	assert_true(secret(&x, "/etc/tailpod/secrets/oauth.env", NULL));
	assert_true(secret(&x, "/run/user/1001/ts-authkeys/web.env", &why));
	assert_true(secret(&x,
			   "/home/web/.local/share/containers/storage/secrets/filedriver/"
			   "secretsdata.json",
			   &why));
	assert_string_equal(why, "Podman's secret store");
	assert_true(secret(&x, "/home/web/data/ts-authkeys", &why));
	assert_string_equal(why, "minted keys (tailpod mint-key output)");
	/* Names that only look alike are no secret. */
	assert_false(secret(&x, "/etc/tailpod/secrets2/x", NULL));
	assert_false(secret(&x, "/etc/tailpod/config.env", NULL));
	assert_false(secret(&x, "/etc/tailpod/known_hosts", NULL));
	assert_false(secret(&x, "/home/web/mycontainers/storage/secretsx", NULL));
	assert_false(
		secret(&x, "/home/web/.local/share/containers/storage/volumes/v/_data/f", NULL));
	assert_false(secret(&x, "/var/lib/tailpod/status.json", NULL));
	backup_exclude_release(&x);
}

static void test_not_normalized_is_secret(void **state)
{
	struct backup_exclude x;
	const char *why = NULL;
	const char *bad[] = {"etc/tailpod/secrets",	"/etc/tailpod/../tailpod/secrets/k",
			     "/etc//tailpod/secrets/k", "/etc/tailpod/./secrets",
			     "/etc/tailpod/",		""};

	(void)state;
	assert_int_equal(backup_exclude_init(&x, NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(secret(&x, bad[i], &why));
		assert_string_equal(why, "not a normalized absolute path");
	}
	assert_false(secret(&x, "/", NULL));
	assert_int_equal(backup_exclude_add(&x, "relative/key", "x"), -EINVAL);
	assert_int_equal(backup_exclude_add(&x, "/a/../b", "x"), -EINVAL);
	backup_exclude_release(&x);
}

static void test_config_rules_and_inode(void **state)
{
	char root[] = "/tmp/tailpod-test-backup_exclude.XXXXXX";
	char key[128], token[128], age[128], hard[128], other[128];
	struct config c = {0};
	struct backup_exclude x;
	struct stat st;
	const char *why = NULL;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(key, sizeof(key), "%s/deploy", root);
	snprintf(token, sizeof(token), "%s/token", root);
	snprintf(age, sizeof(age), "%s/age.key", root);
	snprintf(hard, sizeof(hard), "%s/innocent", root);
	snprintf(other, sizeof(other), "%s/other", root);
	close(open(age, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	close(open(other, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	assert_int_equal(link(age, hard), 0);
	c.ssh_key = key, c.git_token_file = token, c.age_key = age;
	assert_int_equal(backup_exclude_init(&x, &c), 0);
	assert_true(secret(&x, key, &why));
	assert_string_equal(why, "the deploy key (TAILPOD_SSH_KEY)");
	assert_true(secret(&x, token, &why));
	assert_string_equal(why, "the git token (TAILPOD_GIT_TOKEN_FILE)");
	assert_true(secret(&x, age, &why));
	assert_string_equal(why, "the host's age identity (TAILPOD_AGE_KEY)");
	/* A hard link to the identity is the identity. */
	assert_int_equal(lstat(hard, &st), 0);
	assert_false(secret(&x, hard, NULL));
	assert_true(backup_exclude_match(&x, hard, &st, &why));
	assert_string_equal(why, "the host's age identity (TAILPOD_AGE_KEY)");
	assert_int_equal(lstat(other, &st), 0);
	assert_false(backup_exclude_match(&x, other, &st, NULL));
	/* What the caller adds (mint-key.conf's OAuthFile=), once. */
	assert_int_equal(backup_exclude_add(&x, other, "the OAuth client (mint-key)"), 0);
	assert_int_equal(backup_exclude_add(&x, other, "the OAuth client (mint-key)"), 0);
	assert_true(backup_exclude_match(&x, other, &st, &why));
	assert_string_equal(why, "the OAuth client (mint-key)");
	backup_exclude_release(&x);
	assert_int_equal(scratch_remove(root), 0);
}

static void test_rules_bounded(void **state)
{
	struct backup_exclude x;
	char p[64];
	int r = 0;

	(void)state;
	assert_int_equal(backup_exclude_init(&x, NULL), 0);
	for (int i = 0; i < BACKUP_EXCLUDE_RULES_MAX + 1 && r == 0; i++) {
		snprintf(p, sizeof(p), "/secret/%d", i);
		r = backup_exclude_add(&x, p, "x");
	}
	assert_int_equal(r, -E2BIG);
	assert_int_equal(x.n, BACKUP_EXCLUDE_RULES_MAX);
	backup_exclude_release(&x);
	backup_exclude_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_rules),
		cmocka_unit_test(test_not_normalized_is_secret),
		cmocka_unit_test(test_config_rules_and_inode),
		cmocka_unit_test(test_rules_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
