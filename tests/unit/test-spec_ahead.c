/* test-spec_ahead.c: unit tests of core/spec_ahead — each parse taken is ini_parse()'s own (the
 * document's text, an error's line and message), in order, with files skipped, on the parser
 * thread and on the caller's, scope after scope on one thread; a scope ended early frees what
 * was not taken, and spec_ahead_free() leaves no thread (LeakSanitizer and /proc/self/task say
 * so); misuse is refused. */

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

static size_t cpus(void)
{
	cpu_set_t all;

	return sched_getaffinity(0, sizeof(all), &all) == 0 ? (size_t)CPU_COUNT(&all) : 1;
}

static void test_in_order(void **state)
{
	struct files *fs = files_new();
	struct spec_ahead *a = NULL;

	(void)state;
	assert_int_equal(spec_ahead_new(&a), 0);
	spec_ahead_begin(a, fs->order, N_FILES);
	for (size_t i = 0; i < N_FILES; i++)
		assert_same_parse(a, fs, i);
	spec_ahead_end(a);
	spec_ahead_free(a);
	assert_int_equal(threads_now(), 1);
	free(fs);
}

/* Skips of one, of more than the window, and a scope ended with parses left: each freed. */
static void test_skips_and_early_end(void **state)
{
	static const size_t takes[] = {0, 2, 3, 200, 201, 202, 700, 701};
	struct files *fs = files_new();
	struct spec_ahead *a = NULL;
	struct ini *doc = NULL;

	(void)state;
	assert_int_equal(spec_ahead_new(&a), 0);
	spec_ahead_begin(a, fs->order, N_FILES);
	for (size_t k = 0; k < ARRAY_SIZE(takes); k++)
		assert_same_parse(a, fs, takes[k]);
	/* Back, or again, or past the end: refused. */
	assert_int_equal(spec_ahead_take(a, 701, &doc, NULL), -EINVAL);
	assert_int_equal(spec_ahead_take(a, 5, &doc, NULL), -EINVAL);
	assert_int_equal(spec_ahead_take(a, N_FILES, &doc, NULL), -EINVAL);
	assert_null(doc);
	spec_ahead_end(a);
	/* Ended before any take; freed with a scope going. */
	spec_ahead_begin(a, fs->order, N_FILES);
	spec_ahead_end(a);
	spec_ahead_begin(a, fs->order + 11, N_FILES - 11);
	assert_int_equal(spec_ahead_take(a, 0, &doc, NULL), 0);
	ini_free(doc);
	spec_ahead_free(a);
	spec_ahead_free(NULL);
	assert_int_equal(threads_now(), 1);
	free(fs);
}

/* Scopes large and small in turn share one thread, started by the first large one; below
 * SPEC_AHEAD_MIN files the caller parses. */
static void test_scopes(void **state)
{
	static const size_t sizes[] = {5, SPEC_AHEAD_MIN, 1, 300, SPEC_AHEAD_MIN - 1, 64};
	struct files *fs = files_new();
	struct spec_ahead *a = NULL;
	size_t at = 0;

	(void)state;
	assert_int_equal(spec_ahead_new(&a), 0);
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		spec_ahead_begin(a, fs->order + at, sizes[k]);
		assert_int_equal(threads_now(), k == 0 || cpus() < 2 ? 1 : 2);
		for (size_t i = 0; i < sizes[k]; i++) {
			struct ini_error err = {0};
			struct ini *doc = NULL;
			int r = spec_ahead_take(a, i, &doc, &err);

			assert_int_equal(r, (at + i) % 7 == 3 ? -EBADMSG : 0);
			assert_true(r < 0 || strstr(doc->sections[0].lines[0].value, "a") != NULL);
			if (r < 0)
				assert_string_equal(err.where, fs->path[at + i]);
			ini_free(doc);
		}
		spec_ahead_end(a);
		at += sizes[k];
	}
	spec_ahead_free(a);
	assert_int_equal(threads_now(), 1);
	free(fs);
}

/* On one CPU the caller parses every scope: no thread, the same results. */
static void test_one_cpu(void **state)
{
	struct files *fs = files_new();
	struct spec_ahead *a = NULL;
	cpu_set_t all, one;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(spec_ahead_new(&a), 0);
	spec_ahead_begin(a, fs->order, N_FILES);
	assert_int_equal(threads_now(), 1);
	for (size_t i = 0; i < N_FILES; i += 3)
		assert_same_parse(a, fs, i);
	spec_ahead_end(a);
	spec_ahead_free(a);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_skips_and_early_end),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_one_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
