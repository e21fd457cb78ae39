/* test-spec_ahead.c: unit tests of core/spec_ahead — each parse taken is ini_parse()'s own (the
 * document's text, an error's line and message), in order, with files skipped, on the parser
 * thread and on the caller's; stopping early frees what was not taken and leaves no thread
 * (LeakSanitizer and /proc/self/task say so); misuse is refused. */

#define _GNU_SOURCE /* sched_setaffinity */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "fileset.h"
#include "ini.h"
#include "spec_ahead.h"

enum { N_FILES = 1000 };

struct files {
	struct fileset_file f[N_FILES];
	const struct fileset_file *order[N_FILES];
	char text[N_FILES][96];
	char path[N_FILES][32];
};

/* File i parses, but every 7th has a line without '=' at a line that depends on i. */
static struct files *files_new(void)
{
	struct files *fs = calloc(1, sizeof(*fs));

	assert_non_null(fs);
	for (size_t i = 0; i < N_FILES; i++) {
		int n = i % 7 == 3 ? snprintf(fs->text[i], sizeof(fs->text[i]),
					      "[Container]\n%.*sImage=a%zu\nbroken\n", (int)(i % 4),
					      "\n\n\n", i)
				   : snprintf(fs->text[i], sizeof(fs->text[i]),
					      "[Container]\nImage=a%zu\n[Unit]\nX=%zu\n", i, i);

		snprintf(fs->path[i], sizeof(fs->path[i]), "d/s%04zu.container", i);
		fs->f[i] = (struct fileset_file){
			.path = fs->path[i], .data = fs->text[i], .size = (size_t)n};
		fs->order[i] = &fs->f[i];
	}
	return fs;
}

/* The take of file i against ini_parse() of the same bytes. */
static void assert_same_parse(struct spec_ahead *a, const struct files *fs, size_t i)
{
	struct ini_error want_err = {0}, got_err = {0};
	struct ini *want = NULL, *got = NULL;
	int want_r = ini_parse(fs->f[i].path, fs->f[i].data, fs->f[i].size, &want, &want_err);
	int got_r = spec_ahead_take(a, i, &got, &got_err);

	assert_int_equal(got_r, want_r);
	if (want_r < 0) {
		assert_null(got);
		assert_int_equal(got_err.line, want_err.line);
		assert_string_equal(got_err.msg, want_err.msg);
		assert_ptr_equal(got_err.where, want_err.where);
	} else {
		_cleanup_free_ char *a_text = NULL, *b_text = NULL;
		size_t na, nb;

		assert_int_equal(ini_serialize(want, &a_text, &na), 0);
		assert_int_equal(ini_serialize(got, &b_text, &nb), 0);
		assert_string_equal(b_text, a_text);
	}
	ini_free(want);
	ini_free(got);
}

static size_t threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	size_t n = 0;

	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_in_order(void **state)
{
	struct files *fs = files_new();
	struct spec_ahead *a = NULL;

	(void)state;
	assert_int_equal(spec_ahead_start(fs->order, N_FILES, &a), 0);
	for (size_t i = 0; i < N_FILES; i++)
		assert_same_parse(a, fs, i);
	spec_ahead_stop(a);
	assert_int_equal(threads_now(), 1);
	free(fs);
}

/* Skips of one, of more than the window, and a stop with parses left: each freed. */
static void test_skips_and_early_stop(void **state)
{
	static const size_t takes[] = {0, 2, 3, 200, 201, 202, 700, 701};
	struct files *fs = files_new();
	struct spec_ahead *a = NULL;
	struct ini *doc = NULL;

	(void)state;
	assert_int_equal(spec_ahead_start(fs->order, N_FILES, &a), 0);
	for (size_t k = 0; k < ARRAY_SIZE(takes); k++)
		assert_same_parse(a, fs, takes[k]);
	/* Back, or again, or past the end: refused. */
	assert_int_equal(spec_ahead_take(a, 701, &doc, NULL), -EINVAL);
	assert_int_equal(spec_ahead_take(a, 5, &doc, NULL), -EINVAL);
	assert_int_equal(spec_ahead_take(a, N_FILES, &doc, NULL), -EINVAL);
	assert_null(doc);
	spec_ahead_stop(a);
	assert_int_equal(threads_now(), 1);
	/* Stopped before any take, and at once. */
	assert_int_equal(spec_ahead_start(fs->order, N_FILES, &a), 0);
	spec_ahead_stop(a);
	spec_ahead_stop(NULL);
	assert_int_equal(threads_now(), 1);
	free(fs);
}

/* While it runs there is one more thread, except below SPEC_AHEAD_MIN files or on one CPU,
 * where the caller parses: with the same results. */
static void test_when_threaded(void **state)
{
	struct files *fs = files_new();
	struct spec_ahead *a = NULL;
	cpu_set_t all, one;

	(void)state;
	assert_int_equal(spec_ahead_start(fs->order, N_FILES, &a), 0);
	assert_int_equal(threads_now(),
			 sched_getaffinity(0, sizeof(all), &all) == 0 && CPU_COUNT(&all) > 1 ? 2
											     : 1);
	spec_ahead_stop(a);
	assert_int_equal(spec_ahead_start(fs->order, SPEC_AHEAD_MIN - 1, &a), 0);
	assert_int_equal(threads_now(), 1);
	for (size_t i = 0; i < SPEC_AHEAD_MIN - 1; i++)
		assert_same_parse(a, fs, i);
	spec_ahead_stop(a);
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(spec_ahead_start(fs->order, N_FILES, &a), 0);
	assert_int_equal(threads_now(), 1);
	for (size_t i = 0; i < N_FILES; i += 3)
		assert_same_parse(a, fs, i);
	spec_ahead_stop(a);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_skips_and_early_stop),
		cmocka_unit_test(test_when_threaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
