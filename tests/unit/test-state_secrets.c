/* test-state_secrets.c: unit tests of core/state_secrets — a record's [Secrets] names written,
 * read back in order, and bad names refused on both sides. */

#define _GNU_SOURCE 1

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "fs.h"
#include "scratch.h"
#include "state.h"

static void test_round_trip(void **state)
{
	char *names[] = {"web-db-pass", "web-run-app-tls-key"};
	struct state_record rec = {.name = "web",
				   .service = "web.service",
				   .uid = 1001,
				   .secrets = names,
				   .n_secrets = 2};
	struct state_record back = {0};
	_cleanup_free_ char *text = NULL;
	size_t len;
	char dir[] = "/tmp/test-state_secrets.XXXXXX";
	int dirfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	memset(rec.hash, 'a', 64);
	assert_int_equal(state_record_store(dirfd, &rec), 0);
	assert_int_equal(fs_read_bounded(dirfd, "web", 4096, &text, &len), 0);
	assert_non_null(
		strstr(text, "\n\n[Secrets]\nPodman=web-db-pass\nPodman=web-run-app-tls-key\n"));
	assert_int_equal(state_record_load(dirfd, "web", &back), 0);
	assert_int_equal(back.n_secrets, 2);
	assert_string_equal(back.secrets[0], "web-db-pass");
	assert_string_equal(back.secrets[1], "web-run-app-tls-key");
	state_record_release(&back);
	assert_null(back.secrets);
	names[1] = "bad name";
	assert_int_equal(state_record_store(dirfd, &rec), -EINVAL);
	names[1] = "-x";
	assert_int_equal(state_record_store(dirfd, &rec), -EINVAL);
	rec.n_secrets = 0;
	assert_int_equal(state_record_store(dirfd, &rec), 0);
	assert_int_equal(state_record_load(dirfd, "web", &back), 0);
	assert_int_equal(back.n_secrets, 0);
	state_record_release(&back);
	close(dirfd);
	assert_int_equal(scratch_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
