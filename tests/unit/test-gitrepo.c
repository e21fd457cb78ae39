/* test-gitrepo.c: unit tests of core/gitrepo against local repositories only — an origin made
 * with the system git in a scratch directory and fetched over file:// (no network): the first
 * fetch and an update (tip and previous tip), a force push, a missing branch that changes
 * nothing, a corrupt local repository rebuilt, the options refused before any fetch, which URLs
 * are ssh, and the tree read without a checkout (wanted files at the root and one directory
 * below; symlinks, hidden and deeper entries left out), also in the repository a fetch left
 * open. */

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
#include <unistd.h>

#include "diag.h"
#include "gitrepo.h"
#include "fileset.h"
#include "origin.h"

struct fixture {
	struct origin *o;
	char local[ORIGIN_PATH_MAX]; /* the fetched bare repository */
	char home[ORIGIN_PATH_MAX];  /* an empty $HOME for libgit2 */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || !(f->o = origin_new("gitrepo")))
		return -1;
	snprintf(f->local, sizeof(f->local), "%s/local.git", f->o->dir);
	snprintf(f->home, sizeof(f->home), "%s/home", f->o->dir);
	*state = f;
	return mkdir(f->home, 0700);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	origin_free(f->o);
	free(f);
	return 0;
}

static struct gitrepo_fetch_opts opts_for(const struct fixture *f, const char *branch)
{
	return (struct gitrepo_fetch_opts){.url = f->o->url,
					   .branch = branch,
					   .repo_dir = f->local,
					   .home_dir = f->home,
					   .timeout_s = 30,
					   .max_bytes = 16 * 1024 * 1024};
}

static int fetch(const struct fixture *f, const char *branch, struct gitrepo_fetch_result *res,
		 struct gitrepo_error *err)
{
	struct gitrepo_fetch_opts o = opts_for(f, branch);

	return gitrepo_fetch(&o, res, err);
}

static void test_fetch_first_then_update(void **state)
{
	struct fixture *f = *state;
	struct gitrepo_fetch_result res;
	struct gitrepo_error err;
	char first[GITREPO_OID_HEX_SIZE];

	origin_sh(f->o, "printf '[Container]\\nImage=a\\n' >web.container");
	origin_commit(f->o, "one");
	memcpy(first, f->o->tip, sizeof(first));
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	assert_string_equal(res.commit, first);
	assert_string_equal(res.previous, ""); /* first fetch */
	assert_false(res.recreated);

	origin_sh(f->o, "printf '[Container]\\nImage=b\\n' >web.container");
	origin_commit(f->o, "two");
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	assert_string_equal(res.commit, f->o->tip);
	assert_string_equal(res.previous, first);

	/* Nothing new: the tip is its own previous. */
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	assert_string_equal(res.commit, f->o->tip);
	assert_string_equal(res.previous, f->o->tip);
}

/* The remote is the truth: a rewritten branch replaces the old tip. */
static void test_force_push_replaces_tip(void **state)
{
	struct fixture *f = *state;
	struct gitrepo_fetch_result res;
	struct gitrepo_error err;
	char old[GITREPO_OID_HEX_SIZE];

	origin_sh(f->o, "printf '[Container]\\nImage=a\\n' >web.container");
	origin_commit(f->o, "one");
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	memcpy(old, f->o->tip, sizeof(old));
	origin_sh(f->o, "git checkout -q --orphan other && git rm -q -r --cached . && rm -f "
			"web.container && "
			"printf '[Pod]\\n' >grp.pod");
	origin_commit(f->o, "rewritten");
	assert_string_not_equal(f->o->tip, old);
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	assert_string_equal(res.commit, f->o->tip);
	assert_string_equal(res.previous, old);
}

/* A branch the remote does not have is an error of its own class, and the fetched tip stays. */
static void test_missing_branch_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct gitrepo_fetch_result res = {0}, again;
	struct gitrepo_error err;

	origin_sh(f->o, "printf '[Container]\\nImage=a\\n' >web.container");
	origin_commit(f->o, "one");
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	memset(&again, 'x', sizeof(again));
	assert_true(fetch(f, "nope", &again, &err) < 0);
	assert_int_equal(err.failure, GITREPO_FAIL_BRANCH);
	assert_non_null(strstr(err.msg, "'nope'"));
	assert_int_equal(again.commit[0], 'x'); /* no result on failure */
	assert_int_equal(fetch(f, "main", &again, &err), 0);
	assert_string_equal(again.previous, res.commit);
}

/* A local repository that is not one (a crash mid-write, a disk error) is rebuilt from the remote
 * rather than failing every later fetch. */
static void test_corrupt_local_repository_rebuilt(void **state)
{
	struct fixture *f = *state;
	struct gitrepo_fetch_result res;
	struct gitrepo_error err;
	char cmd[ORIGIN_CMD_MAX];

	origin_sh(f->o, "printf '[Container]\\nImage=a\\n' >web.container");
	origin_commit(f->o, "one");
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/objects' && echo garbage >'%s/HEAD'", f->local,
		 f->local);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	assert_true(res.recreated);
	assert_string_equal(res.commit, f->o->tip);
}

static void assert_config_error(struct gitrepo_fetch_opts *o, const char *want)
{
	struct gitrepo_fetch_result res;
	struct gitrepo_error err;

	assert_int_equal(gitrepo_fetch(o, &res, &err), -EINVAL);
	assert_int_equal(err.failure, GITREPO_FAIL_CONFIG);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not say '%s'", err.msg, want);
}

/* Refused before anything is fetched or created. */
static void test_options_refused(void **state)
{
	struct fixture *f = *state;
	struct gitrepo_fetch_opts o;

	o = opts_for(f, "main");
	o.url = "";
	assert_config_error(&o, "git URL is empty");
	o = opts_for(f, "main");
	o.timeout_s = 0;
	assert_config_error(&o, "timeout");
	o = opts_for(f, "main");
	o.max_bytes = 0;
	assert_config_error(&o, "size limit");
	o = opts_for(f, "a..b");
	assert_config_error(&o, "invalid branch name 'a..b'");
	o = opts_for(f, "main");
	o.url = "http://example.invalid/r.git";
	o.token = "t0ken";
	assert_config_error(&o, "never sent over http://");
	o = opts_for(f, "main");
	o.url = "git@example.invalid:r.git";
	assert_config_error(&o, "no deploy key");
	assert_int_equal(access(f->local, F_OK), -1); /* nothing was created */
}

static void test_url_is_ssh(void **state)
{
	(void)state;
	assert_true(gitrepo_url_is_ssh("ssh://git@example.org/r.git"));
	assert_true(gitrepo_url_is_ssh("ssh+git://example.org/r.git"));
	assert_true(gitrepo_url_is_ssh("git+ssh://example.org:2222/r.git"));
	assert_true(gitrepo_url_is_ssh("git@github.com:org/r.git"));
	assert_true(gitrepo_url_is_ssh("host:r.git"));
	assert_false(gitrepo_url_is_ssh("https://example.org/r.git"));
	assert_false(gitrepo_url_is_ssh("file:///srv/r.git"));
	assert_false(gitrepo_url_is_ssh("git://example.org/r.git"));
	assert_false(gitrepo_url_is_ssh("/srv/r.git"));
	assert_false(gitrepo_url_is_ssh("./dir:with/colon"));
}

/* The fetched commit's tree, as sync reads it: no checkout, every non-hidden file down to
 * FILESET_DEPTH_MAX (data files and app trees too); a symlink is a diagnostic; hidden entries are
 * not looked at. */
static void test_read_tree(void **state)
{
	struct fixture *f = *state;
	struct gitrepo_fetch_result res;
	struct gitrepo_error err;
	struct diag_list diags = {0};
	struct fileset *repo = NULL;
	/* Data files and deeper trees are kept; hidden ones and symlinks to data files are not. */
	static const char *const want[] = {"README.md", "web.container", "apps/blog.container",
					   "apps/blog-rotate.timer", "apps/deep/x.container"};

	origin_sh(
		f->o,
		"mkdir -p apps/deep .github && printf '[Container]\\nImage=a\\n' >web.container && "
		"echo readme >README.md && printf '[Container]\\nImage=b\\n' >apps/blog.container "
		"&& "
		"printf '[Timer]\\n' >apps/blog-rotate.timer && echo x >apps/deep/x.container && "
		"echo x >.github/ci.container && ln -s web.container link.container && "
		"ln -s /etc/passwd apps/data.env");
	origin_commit(f->o, "tree");
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	assert_int_equal(gitrepo_read_tree(f->local, res.commit, "repo", &repo, &diags), 0);
	assert_non_null(repo);
	assert_int_equal(repo->n_files, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_non_null(fileset_find(repo, want[i]));
	assert_string_equal(fileset_find(repo, "web.container")->data, "[Container]\nImage=a\n");
	assert_int_equal(diags.n, 1);
	assert_string_equal(diags.items[0].path, "repo/link.container");
	assert_non_null(strstr(diags.items[0].msg, "symlink"));
	fileset_free(repo);
	diag_list_release(&diags);
}

static void test_read_tree_unknown_commit(void **state)
{
	struct fixture *f = *state;
	struct gitrepo_fetch_result res;
	struct gitrepo_error err;
	struct diag_list diags = {0};
	struct fileset *repo = NULL;

	origin_sh(f->o, "printf '[Container]\\nImage=a\\n' >web.container");
	origin_commit(f->o, "one");
	assert_int_equal(fetch(f, "main", &res, &err), 0);
	assert_true(gitrepo_read_tree(f->local, "0123456789012345678901234567890123456789", "repo",
				      &repo, &diags) < 0);
	assert_null(repo);
	assert_true(gitrepo_read_tree(f->local, "not hex", "repo", &repo, &diags) < 0);
	assert_null(repo);
	diag_list_release(&diags);
}

/* The repository a fetch left open reads the tree of what that fetch brought in: the first fetch
 * (a fresh repository: rebuilt, so none is left open), then an update whose new pack came in
 * through the open one, then nothing new. Each tree is the tip's, as a fresh open reads it. */
static void test_read_open_tree(void **state)
{
	struct fixture *f = *state;
	struct gitrepo_fetch_opts o = opts_for(f, "main");
	struct gitrepo_fetch_result res;
	struct gitrepo_error err;
	struct diag_list diags = {0};
	struct gitrepo_open *open = NULL;
	struct fileset *repo = NULL;

	origin_sh(f->o, "printf '[Container]\\nImage=a\\n' >web.container");
	origin_commit(f->o, "one");
	assert_int_equal(gitrepo_fetch_open(&o, &res, &err, &open), 0);
	assert_null(open); /* created by the fetch, not reopened */

	for (int round = 0; round < 2; round++) {
		if (round == 0) {
			origin_sh(f->o, "printf '[Container]\\nImage=b\\n' >web.container && "
					"printf '[Pod]\\n' >grp.pod");
			origin_commit(f->o, "two");
		}
		assert_int_equal(gitrepo_fetch_open(&o, &res, &err, &open), 0);
		assert_non_null(open);
		assert_string_equal(res.commit, f->o->tip);
		assert_int_equal(gitrepo_read_open_tree(open, res.commit, "repo", &repo, &diags),
				 0);
		assert_int_equal(repo->n_files, 2);
		assert_string_equal(fileset_find(repo, "web.container")->data,
				    "[Container]\nImage=b\n");
		assert_non_null(fileset_find(repo, "grp.pod"));
		assert_int_equal(diags.n, 0);
		/* It stays open, and reads as often as asked; an unknown commit reads nothing. */
		fileset_free(repo);
		repo = NULL;
		assert_true(gitrepo_read_open_tree(open, "0123456789012345678901234567890123456789",
						   "repo", &repo, &diags) < 0);
		assert_null(repo);
		gitrepo_open_free(open);
		open = NULL;
	}
	gitrepo_open_free(NULL);
	diag_list_release(&diags);
}

static int group_setup(void **state)
{
	(void)state;
	origin_isolate();
	return gitrepo_runtime_init() < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	gitrepo_runtime_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetch_first_then_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_force_push_replaces_tip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_branch_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_local_repository_rebuilt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_options_refused, setup, teardown),
		cmocka_unit_test(test_url_is_ssh),
		cmocka_unit_test_setup_teardown(test_read_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_tree_unknown_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_open_tree, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
