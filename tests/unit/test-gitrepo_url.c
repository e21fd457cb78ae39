/* test-gitrepo_url.c: unit tests for core/gitrepo_url: which URLs are ssh, which local (fetched in
 * full), and the ssh port, including IPv6 literals and ports out of range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "gitrepo.h"

static void test_is_ssh(void **state)
{
	(void)state;
	assert_true(gitrepo_url_is_ssh("ssh://git@example.com/r.git"));
	assert_true(gitrepo_url_is_ssh("git+ssh://example.com/r.git"));
	assert_true(gitrepo_url_is_ssh("ssh+git://example.com/r.git"));
	assert_true(gitrepo_url_is_ssh("git@example.com:org/r.git"));
	assert_false(gitrepo_url_is_ssh("https://example.com/r.git"));
	assert_false(gitrepo_url_is_ssh("file:///srv/r.git"));
	assert_false(gitrepo_url_is_ssh("/srv/r.git"));
	assert_false(gitrepo_url_is_ssh("./dir:with/colon")); /* the slash comes first */
}

static void test_is_local(void **state)
{
	(void)state;
	assert_true(gitrepo_url_is_local("file:///srv/r.git"));
	assert_true(gitrepo_url_is_local("/srv/r.git"));
	assert_false(gitrepo_url_is_local("https://example.com/r.git"));
	assert_false(gitrepo_url_is_local("git@example.com:r.git"));
}

static void test_ssh_port(void **state)
{
	(void)state;
	assert_int_equal(gitrepo_url_ssh_port("ssh://git@example.com:2222/r.git"), 2222);
	assert_int_equal(gitrepo_url_ssh_port("ssh://git@example.com/r.git"), SSH_PORT);
	assert_int_equal(gitrepo_url_ssh_port("ssh://[2001:db8::1]:2200/r"), 2200);
	assert_int_equal(gitrepo_url_ssh_port("ssh://[2001:db8::1]/r"), SSH_PORT);
	assert_int_equal(gitrepo_url_ssh_port("ssh://host:0/r"), SSH_PORT);
	assert_int_equal(gitrepo_url_ssh_port("ssh://host:65536/r"), SSH_PORT);
	assert_int_equal(gitrepo_url_ssh_port("ssh://host:22x/r"), SSH_PORT);
	assert_int_equal(gitrepo_url_ssh_port("ssh://host:65535"), 65535);
	assert_int_equal(gitrepo_url_ssh_port("git@example.com:r.git"), SSH_PORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_ssh),
		cmocka_unit_test(test_is_local),
		cmocka_unit_test(test_ssh_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
