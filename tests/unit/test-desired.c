/* test-desired.c: unit tests of core/desired — the desired state sync applies, fetched from a
 * local origin (made with the system git in a scratch directory, over file://, no network) in
 * the fetch process of core/fetchjail, read without a checkout, merged with the host's transforms
 * and validated: the commit and previous commit, the workloads, an invalid repository that gives
 * diagnostics and no set, a token file that is not root's alone refused before any fetch, and the
 * workload hash that decides whether a workload changed. As root the whole test first becomes
 * nobody (65534): the fetch then runs as that uid, without the host's tailpod-fetch user. */

#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <grp.h>
#include <unistd.h>

#include "config.h"
#include "desired.h"
#include "origin.h"

enum { NOBODY = 65534 };

struct fixture {
	struct origin *o;
	char state[ORIGIN_PATH_MAX];
	char transforms[ORIGIN_PATH_MAX];
	struct config c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || !(f->o = origin_new("desired")))
		return -1;
	snprintf(f->state, sizeof(f->state), "%s/state", f->o->dir);
	snprintf(f->transforms, sizeof(f->transforms), "%s/transforms", f->o->dir);
	f->c = (struct config){.git_url = f->o->url,
			       .git_branch = "main",
			       .state_dir = f->state,
			       .transform_dir = f->transforms,
			       .fetch_user = "tailpod-fetch",
			       .git_timeout_s = 60,
			       .git_max_bytes = 16 * 1024 * 1024};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	origin_free(f->o);
	free(f);
	return 0;
}

/* ASan reserves terabytes of shadow memory at start, so the fetch process's address-space limit
 * (core/fetchjail) would fail its every later mmap under the sanitizers: here RLIMIT_AS is left as
 * it is, and every other limit goes to the kernel. The fetch's own tests (tests/peers/git.test)
 * check the limit on the static binary. */
int setrlimit(__rlimit_resource_t resource, const struct rlimit *rlim)
{
	if (resource == RLIMIT_AS)
		return 0;
	return prlimit(0, resource, rlim, NULL);
}

static const struct spec_unit *unit_of(const struct desired *d, const char *workload,
				       const char *unit)
{
	const struct spec_workload *w = spec_set_find(d->set, workload);

	assert_non_null(w);
	for (size_t i = 0; i < w->n_units; i++)
		if (strcmp(w->units[i].name, unit) == 0)
			return &w->units[i];
	fail_msg("%s has no unit %s", workload, unit);
	return NULL;
}

static void test_fetch_validate_and_merge(void **state)
{
	struct fixture *f = *state;
	struct desired d = {0};
	struct diag_list diags = {0};
	struct gitrepo_error err;
	char first[GITREPO_OID_HEX_SIZE];

	origin_sh(
		f->o,
		"printf '[Container]\\nImage=docker.io/library/nginx:1\\n' >web.container && "
		"mkdir -p '%s' && printf '[Container]\\nLabel=host=test\\n' >'%s/_base.container'",
		f->transforms, f->transforms);
	origin_commit(f->o, "one");
	memcpy(first, f->o->tip, sizeof(first));
	assert_int_equal(desired_fetch(&f->c, &d, &diags, &err), 0);
	assert_int_equal(diag_list_count(&diags), 0);
	assert_string_equal(d.commit, first);
	assert_string_equal(d.previous, "");
	assert_non_null(d.set);
	assert_int_equal(d.set->n_workloads, 1);
	/* The host's transform is merged into what sync will deploy. */
	assert_non_null(strstr(unit_of(&d, "web", "web.container")->data, "Label=host=test"));
	/* The set owns its files' contents: the commit's files and the transforms are not kept
	 * beside it through the run (issue 16). */
	assert_null(d.repo);
	assert_null(d.transforms);
	desired_release(&d);

	origin_sh(f->o, "printf '[Container]\\nImage=docker.io/library/nginx:2\\n' >web.container");
	origin_commit(f->o, "two");
	assert_int_equal(desired_fetch(&f->c, &d, &diags, &err), 0);
	assert_string_equal(d.commit, f->o->tip);
	assert_string_equal(d.previous, first);
	assert_non_null(strstr(unit_of(&d, "web", "web.container")->data, "nginx:2"));
	desired_release(&d);
	diag_list_release(&diags);
}

/* An invalid repository is fetched and diagnosed, and gives no set: nothing of it is applied. */
static void test_invalid_repo_has_no_set(void **state)
{
	struct fixture *f = *state;
	struct desired d = {0};
	struct diag_list diags = {0};
	struct gitrepo_error err;

	origin_sh(f->o, "printf '[Container]\\nImagee=x\\n' >web.container && "
			"printf '[Container]\\nImage=y\\n' >ok.container");
	origin_commit(f->o, "typo");
	assert_int_equal(desired_fetch(&f->c, &d, &diags, &err), 0);
	assert_string_equal(d.commit, f->o->tip);
	assert_null(d.set);
	assert_non_null(d.repo);
	assert_true(diag_list_count(&diags) > 0);
	assert_string_equal(diags.items[0].path, "web.container");
	desired_release(&d);
	diag_list_release(&diags);
}

/* A branch the origin lacks keeps gitrepo's class, so sync can tell it from a network failure. */
static void test_missing_branch(void **state)
{
	struct fixture *f = *state;
	struct desired d = {0};
	struct diag_list diags = {0};
	struct gitrepo_error err;

	origin_sh(f->o, "printf '[Container]\\nImage=y\\n' >ok.container");
	origin_commit(f->o, "one");
	f->c.git_branch = "nope";
	assert_true(desired_fetch(&f->c, &d, &diags, &err) < 0);
	assert_int_equal(err.failure, GITREPO_FAIL_BRANCH);
	assert_null(d.repo);
	diag_list_release(&diags);
}

/* The token is a secret: a file others may read, or one that is not root's, is refused before
 * any fetch, naming the file and the rule. */
static void test_token_file_refused(void **state)
{
	struct fixture *f = *state;
	struct desired d = {0};
	struct diag_list diags = {0};
	struct gitrepo_error err;
	char token[ORIGIN_PATH_MAX];
	FILE *fp;

	origin_sh(f->o, "printf '[Container]\\nImage=y\\n' >ok.container");
	origin_commit(f->o, "one");
	snprintf(token, sizeof(token), "%s/token", f->o->dir);
	fp = fopen(token, "w");
	assert_non_null(fp);
	fputs("s3cr3t\n", fp);
	fclose(fp);
	assert_int_equal(chmod(token, 0644), 0);
	f->c.git_token_file = token;
	assert_true(desired_fetch(&f->c, &d, &diags, &err) < 0);
	assert_int_equal(err.failure, GITREPO_FAIL_CONFIG);
	assert_non_null(strstr(err.msg, "must be owned by root with mode 0600"));
	assert_null(strstr(err.msg, "s3cr3t"));
	f->c.git_token_file = "/nonexistent/token";
	assert_true(desired_fetch(&f->c, &d, &diags, &err) < 0);
	assert_int_equal(err.failure, GITREPO_FAIL_CONFIG);
	assert_non_null(strstr(err.msg, "cannot read the token"));
	diag_list_release(&diags);
}

static void hash_of(struct spec_unit *units, size_t n, char out[HASH_SHA256_HEX_SIZE])
{
	struct spec_workload w = {.name = "web", .units = units, .n_units = n};

	desired_workload_hash(&w, out);
	assert_int_equal(strlen(out), HASH_SHA256_HEX_SIZE - 1);
}

/* Any change of a file's name or bytes, or of the file list, changes the hash; the same files
 * give the same hash; moving bytes from one file to the next is a change too. */
static void test_workload_hash(void **state)
{
	char a[HASH_SHA256_HEX_SIZE], b[HASH_SHA256_HEX_SIZE];
	struct spec_unit two[] = {{.name = "web.container", .data = "ab", .size = 2},
				  {.name = "web.volume", .data = "c", .size = 1}};
	struct spec_unit moved[] = {{.name = "web.container", .data = "a", .size = 1},
				    {.name = "web.volume", .data = "bc", .size = 2}};
	static const char spelled_data[] = "abweb.volume\0c";
	struct spec_unit spelled[] = {{.name = "web.container",
				       .data = (char *)spelled_data,
				       .size = sizeof(spelled_data) - 1}};
	struct spec_unit renamed[] = {{.name = "web.container", .data = "ab", .size = 2},
				      {.name = "web.network", .data = "c", .size = 1}};

	(void)state;
	hash_of(two, 2, a);
	hash_of(two, 2, b);
	assert_string_equal(a, b);
	hash_of(moved, 2, b);
	assert_string_not_equal(a, b);
	hash_of(renamed, 2, b);
	assert_string_not_equal(a, b);
	hash_of(two, 1, b);
	assert_string_not_equal(a, b);
	/* One file whose bytes spell the next file's name and bytes is not those two files: the
	 * sizes are hashed too. */
	hash_of(spelled, 1, b);
	assert_string_not_equal(a, b);
	hash_of(NULL, 0, b);
	assert_string_equal(b, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static int group_setup(void **state)
{
	(void)state;
	origin_isolate();
	setenv("HOME", "/nonexistent", 1);
	/* As root, desired_fetch would drop to the host's tailpod-fetch user: become an uid that
	 * owns nothing instead, so the test neither needs nor touches that user. */
	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
		return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetch_validate_and_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_repo_has_no_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_file_refused, setup, teardown),
		cmocka_unit_test(test_workload_hash),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
