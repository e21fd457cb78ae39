/* test-ini_arena.c: unit tests of core/ini_arena — a freed document's memory is taken again by the
 * next parse (issue 16), and what is built in it is the same, byte for byte, as in fresh memory:
 * parses, edits that fill the first chunk and go on into more, the bounds. Run under ASan, whose
 * quarantine never hands a freed block out again soon: an address seen twice is the cache's. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "ini.h"

#define SPEC                                                                                       \
	"# web\n[Unit]\nDescription=web\n\n[Container]\nImage=quay.io/x/web:1\n"                   \
	"Environment=A=1 \\\n  B=2\nPublishPort=8080:80\n\n[Install]\nWantedBy=default.target\n"

static struct ini *parse(const char *buf)
{
	struct ini_error err = {0};
	struct ini *ini = NULL;
	int r = ini_parse("test", buf, strlen(buf), &ini, &err);

	if (r < 0)
		fail_msg("parse failed: %d at line %u: %s", r, err.line, err.msg);
	return ini;
}

static char *serialize(const struct ini *ini)
{
	char *out = NULL;
	size_t n = 0;

	assert_int_equal(ini_serialize(ini, &out, &n), 0);
	assert_int_equal(n, strlen(out));
	return out;
}

/* The transform merge's kind of edits, n_extra of them with long values: enough to need chunks
 * beyond the parse's. */
static void merge_like(struct ini *ini, size_t n_extra)
{
	char key[32], value[200];
	struct ini_section *s;

	assert_int_equal(ini_entry_append(ini, "Container", "Label", "tier=web"), 0);
	s = ini_section_find(ini, "Container");
	assert_non_null(s);
	assert_int_equal(ini_entry_insert(ini, s, 0, "Pull", "newer"), 0);
	assert_int_equal(ini_set(ini, "Unit", "Description", "web, merged"), 0);
	assert_int_equal(ini_blank_insert(ini, s, s->n_lines), 0);
	assert_int_equal(ini_remove(ini, "Container", "PublishPort"), 1);
	for (size_t i = 0; i < n_extra; i++) {
		snprintf(key, sizeof(key), "X-Key%zu", i);
		memset(value, 'a' + (int)(i % 26), sizeof(value) - 1);
		value[sizeof(value) - 1] = '\0';
		assert_int_equal(ini_entry_append(ini, "Service", key, value), 0);
	}
}

/* The text of SPEC merged with n_extra entries, built in memory no document has used. */
static char *merged_text(size_t n_extra)
{
	struct ini *ini = parse(SPEC);
	char *out;

	merge_like(ini, n_extra);
	out = serialize(ini);
	ini_free(ini);
	return out;
}

static void test_reuse_same_result(void **state)
{
	struct ini *first, *again;
	char *expected = merged_text(0), *out;

	(void)state;
	first = parse(SPEC);
	ini_free(first);
	again = parse(SPEC);
	/* The freed chunk came back: the struct ini is at its start. */
	assert_ptr_equal(again, first);
	merge_like(again, 0);
	out = serialize(again);
	assert_string_equal(out, expected);
	assert_string_equal(ini_get(again, "Container", "Pull"), "newer");
	assert_string_equal(ini_get(again, "Container", "Environment"), "A=1    B=2");
	assert_null(ini_get(again, "Container", "PublishPort"));
	free(out);
	free(expected);
	ini_free(again);
}

/* A smaller document in the memory of a larger one sees nothing of it. */
static void test_reuse_no_stale_content(void **state)
{
	struct ini *big = parse(SPEC "[Extra]\nOld=1\n"), *small;
	char *out;

	(void)state;
	merge_like(big, 3);
	ini_free(big);
	small = parse("[Extra]\nNew=2\n");
	assert_int_equal(small->n_sections, 1);
	assert_int_equal(small->n_entries, 1);
	assert_null(ini_get(small, "Extra", "Old"));
	assert_null(ini_section_find(small, "Container"));
	out = serialize(small);
	assert_string_equal(out, "[Extra]\nNew=2\n");
	free(out);
	ini_free(small);
}

/* Edits past the first chunk, past the largest chunk the cache keeps, freed and done again. */
static void test_reuse_edits_past_chunks(void **state)
{
	char *expected = merged_text(1000);

	(void)state;
	for (int round = 0; round < 3; round++) {
		struct ini *ini = parse(SPEC);
		char *out;

		merge_like(ini, 1000); /* 200 KiB of entries */
		out = serialize(ini);
		assert_string_equal(out, expected);
		assert_int_equal(ini->n_entries, 5 + 2 - 1 + 1000); /* PublishPort removed */
		free(out);
		ini_free(ini);
	}
	free(expected);
}

/* More documents alive than the cache keeps: each is whole, and freeing them all keeps at most
 * INI_CACHE_CHUNKS (8) for the next parses. */
static void test_reuse_bounded(void **state)
{
	struct ini *docs[20], *next[20];
	size_t reused = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++)
		docs[i] = parse(SPEC);
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++)
		ini_free(docs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(next); i++) {
		next[i] = parse(SPEC);
		for (size_t j = 0; j < ARRAY_SIZE(docs); j++)
			reused += next[i] == docs[j];
	}
	assert_true(reused >= 1);
	assert_true(reused <= 8);
	for (size_t i = 0; i < ARRAY_SIZE(next); i++) {
		assert_string_equal(ini_get(next[i], "Install", "WantedBy"), "default.target");
		ini_free(next[i]);
	}
}

/* The bounds hold in reused memory as in fresh. */
static void test_reuse_bounds(void **state)
{
	struct ini *ini;
	char key[32];
	int r = 0;

	(void)state;
	ini_free(parse(SPEC));
	ini = parse("[S]\n");
	for (size_t i = 0; i <= INI_ENTRIES_MAX && r == 0; i++) {
		snprintf(key, sizeof(key), "K%zu", i);
		r = ini_entry_append(ini, "S", key, "v");
	}
	assert_int_equal(r, -E2BIG);
	assert_int_equal(ini->n_entries, INI_ENTRIES_MAX);
	ini_free(ini);

	ini_free(parse(SPEC));
	{
		size_t n = INI_FILE_MAX + 1;
		char *buf = malloc(n);
		struct ini_error err = {0};

		assert_non_null(buf);
		memset(buf, '#', n);
		assert_int_equal(ini_parse("big", buf, n, &ini, &err), -EFBIG);
		free(buf);
	}
}

/* A line one byte over INI_LINE_MAX is refused, an edit's and a parse's. */
static void test_reuse_line_bound(void **state)
{
	size_t n = INI_LINE_MAX + 16;
	char *value = malloc(n + 1), *text = malloc(n + 8);
	struct ini_error err = {0};
	struct ini *ini;

	(void)state;
	assert_non_null(value);
	assert_non_null(text);
	ini_free(parse(SPEC));
	ini = parse(SPEC);
	memset(value, 'v', INI_LINE_MAX - 2); /* "K=" and the value: exactly the bound */
	value[INI_LINE_MAX - 2] = '\0';
	assert_int_equal(ini_entry_append(ini, "S", "K", value), 0);
	value[INI_LINE_MAX - 2] = 'v';
	value[INI_LINE_MAX - 1] = '\0';
	assert_int_equal(ini_entry_append(ini, "S", "K", value), -E2BIG);
	ini_free(ini);
	/* "[S]\n", then "K=" and the value one byte over, then "\n" */
	memcpy(text, "[S]\nK=", 6);
	memcpy(text + 6, value, INI_LINE_MAX - 1);
	memcpy(text + 6 + INI_LINE_MAX - 1, "\n", 2);
	assert_int_equal(ini_parse("long", text, strlen(text), &ini, &err), -E2BIG);
	free(value);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse_same_result),
		cmocka_unit_test(test_reuse_no_stale_content),
		cmocka_unit_test(test_reuse_edits_past_chunks),
		cmocka_unit_test(test_reuse_bounded),
		cmocka_unit_test(test_reuse_bounds),
		cmocka_unit_test(test_reuse_line_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
