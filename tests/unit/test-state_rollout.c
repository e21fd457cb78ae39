/* test-state_rollout.c: unit tests of core/state_rollout — a record's [Rollout] written and read
 * back, bad values refused on both sides, a reason made one printable line, and a workload's good
 * copy stored and loaded byte for byte (binary content, an app's paths), malformed copies refused.
 */

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
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "fs.h"
#include "scratch.h"
#include "state.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define C40 "89abcdef0123456789abcdef0123456789abcdef"

struct fixture {
	char dir[64];
	int dirfd;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test-state_rollout.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->dirfd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = fx;
	return fx->dirfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	close(fx->dirfd);
	scratch_remove(fx->dir);
	free(fx);
	return 0;
}

static void record_init(struct state_record *rec)
{
	*rec = (struct state_record){.name = "web", .service = "web.service", .uid = 1001};
	memcpy(rec->hash, H64, 64);
}

static void test_rollout_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct state_record rec, back = {0};
	_cleanup_free_ char *text = NULL;
	size_t len;

	record_init(&rec);
	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	assert_int_equal(fs_read_bounded(fx->dirfd, "web", 4096, &text, &len), 0);
	assert_null(strstr(text, "[Rollout]")); /* none: the record reads as before */
	free(text);
	text = NULL;
	memcpy(rec.failed_hash, H64, 64);
	memcpy(rec.failed_commit, C40, 40);
	state_reason_set(rec.failed_reason, "restart failed:\n exited 1\t ");
	assert_string_equal(rec.failed_reason, "restart failed:  exited 1");
	rec.rollback_pending = true;
	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	assert_int_equal(fs_read_bounded(fx->dirfd, "web", 4096, &text, &len), 0);
	assert_non_null(strstr(text, "\n\n[Rollout]\nFailedHash=" H64 "\nFailedCommit=" C40
				     "\nReason=restart failed:  exited 1\nPending=yes\n"));
	assert_int_equal(state_record_load(fx->dirfd, "web", &back), 0);
	assert_string_equal(back.failed_hash, H64);
	assert_string_equal(back.failed_commit, C40);
	assert_string_equal(back.failed_reason, "restart failed:  exited 1");
	assert_true(back.rollback_pending);
	state_record_release(&back);
	rec.failed_hash[3] = 'X';
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	memcpy(rec.failed_hash, H64, 64);
	strcpy(rec.failed_reason, "two\nlines");
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
}

static void test_rollout_malformed(void **state)
{
	struct fixture *fx = *state;
	const char *const bad[] = {
		"[Rollout]\nFailedHash=abc\n",
		"[Rollout]\nFailedHash=" H64 "\nFailedCommit=xyz\n",
		"[Rollout]\nFailedHash=" H64 "\nPending=no\n",
	};
	struct state_record back;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[1024];

		snprintf(text, sizeof(text),
			 "[Workload]\nName=web\nHash=" H64 "\nCommit=" C40
			 "\nService=web.service\nUID=1001\n\n%s",
			 bad[i]);
		assert_int_equal(fs_write_atomic(fx->dirfd, "web", text, strlen(text), 0600), 0);
		assert_int_equal(state_record_load(fx->dirfd, "web", &back), -EBADMSG);
	}
}

static void test_good_round_trip(void **state)
{
	struct fixture *fx = *state;
	static const char bin[] = {'a', '\n', '\0', 'Q', ' ', '9', '\n', '\n'};
	struct spec_unit units[] = {
		{.name = (char *)"web.container",
		 .dir = SPEC_UNIT_QUADLET,
		 .data = (char *)"[Container]\n",
		 .size = 12},
		{.name = (char *)"web/conf/blob",
		 .dir = SPEC_UNIT_QUADLET,
		 .data = (char *)bin,
		 .size = sizeof(bin)},
		{.name = (char *)"web-job.timer",
		 .dir = SPEC_UNIT_SYSTEMD,
		 .data = (char *)"",
		 .size = 0},
	};
	struct spec_workload w = {
		.name = (char *)"web", .units = units, .n_units = ARRAY_SIZE(units)};
	struct state_good g = {0};
	struct stat st;

	assert_int_equal(state_good_store(fx->dirfd, &w), 0);
	assert_int_equal(fstatat(fx->dirfd, "web", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(state_good_load(fx->dirfd, "web", &g), 0);
	assert_int_equal(g.n_files, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(g.files[i].name, units[i].name);
		assert_int_equal(g.files[i].dir, units[i].dir);
		assert_int_equal(g.files[i].size, units[i].size);
		assert_memory_equal(g.files[i].data, units[i].data, units[i].size);
	}
	state_good_release(&g);
	assert_int_equal(state_good_remove(fx->dirfd, "web"), 0);
	assert_int_equal(state_good_load(fx->dirfd, "web", &g), -ENOENT);
	assert_int_equal(state_good_remove(fx->dirfd, "web"), 0);
	units[0].name = (char *)"../escape";
	assert_int_equal(state_good_store(fx->dirfd, &w), -EINVAL);
}

static void test_good_malformed(void **state)
{
	struct fixture *fx = *state;
	const char *const head =
		"# tailpod sync: the last good files of this workload; do not edit\n";
	const char *const bad[] = {
		"Q 5 web.container\nabc\n",	 /* the size runs past the end */
		"Q 3 web.container\nabcd\n",	 /* no newline after the bytes */
		"X 3 web.container\nabc\n",	 /* an unknown kind */
		"Q 3 ../web.container\nabc\n",	 /* a path that climbs */
		"S 3 a/web.timer\nabc\n",	 /* a systemd file below a directory */
		"Q 99999999999 web.container\n", /* too many digits */
		"Q 3 web.container\nabc\ntrailing",
	};
	struct state_good g;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[512];

		snprintf(text, sizeof(text), "%s%s", head, bad[i]);
		assert_int_equal(fs_write_atomic(fx->dirfd, "web", text, strlen(text), 0600), 0);
		assert_int_equal(state_good_load(fx->dirfd, "web", &g), -EBADMSG);
	}
	assert_int_equal(fs_write_atomic(fx->dirfd, "web", "no header\n", 10, 0600), 0);
	assert_int_equal(state_good_load(fx->dirfd, "web", &g), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rollout_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollout_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_malformed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
