/* test-diag.c: unit tests of core/diag — how a diagnostic names its file (label and relative path
 * joined once, "." and "" meaning none), the order and deduplication of diag_list_sort, the
 * message and path bounds, the DIAG_MAX bound with its dropped count, and a release that leaves a
 * reusable empty list. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "diag.h"

static void assert_join(const char *label, const char *relpath, const char *want)
{
	_cleanup_free_ char *got = diag_path_join(label, relpath);
	char buf[PATH_MAX];

	assert_non_null(got);
	assert_string_equal(got, want);
	/* The form into a caller's buffer joins the same way. */
	assert_ptr_equal(diag_path_join_buf(buf, label, relpath), buf);
	assert_string_equal(buf, want);
}

static void test_path_join(void **state)
{
	(void)state;
	assert_join("repo", "web.container", "repo/web.container");
	assert_join("repo/", "web.container", "repo/web.container"); /* no doubled slash */
	assert_join("", "web.container", "web.container");
	assert_join(".", "apps/web.container", "apps/web.container");
	assert_join(NULL, "web.container", "web.container");
	assert_join("repo", NULL, "repo");
	assert_join("repo", "", "repo");
	assert_join(NULL, NULL, "");
}

static void test_add_formats_and_counts(void **state)
{
	struct diag_list list = {0};

	(void)state;
	assert_int_equal(diag_add(&list, "repo", "web.container", 3, "unknown key '%s' in [%s]",
				  "Imagee", "Container"),
			 0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.items[0].path, "repo/web.container");
	assert_int_equal(list.items[0].line, 3);
	assert_string_equal(list.items[0].msg, "unknown key 'Imagee' in [Container]");
	assert_int_equal(diag_list_count(&list), 1);
	assert_int_equal(list.error, 0);
	diag_list_release(&list);
}

/* By path, then line (numerically, not as text), then message; exact duplicates go, near ones
 * (another line, another message) stay. */
static void test_sort_and_dedup(void **state)
{
	struct diag_list list = {0};
	static const struct {
		const char *path;
		unsigned line;
		const char *msg;
	} want[] = {
		{"a.container", 2, "x"}, {"a.container", 10, "a"},  {"a.container", 10, "b"},
		{"b.container", 1, "x"}, {"b/c.container", 1, "x"},
	};

	(void)state;
	assert_int_equal(diag_add(&list, "", "b/c.container", 1, "x"), 0);
	assert_int_equal(diag_add(&list, "", "a.container", 10, "b"), 0);
	assert_int_equal(diag_add(&list, "", "b.container", 1, "x"), 0);
	assert_int_equal(diag_add(&list, "", "a.container", 10, "a"), 0);
	assert_int_equal(diag_add(&list, "", "a.container", 2, "x"), 0);
	assert_int_equal(diag_add(&list, "", "a.container", 10, "b"), 0); /* duplicate */
	assert_int_equal(diag_add(&list, ".", "b.container", 1, "x"), 0); /* same path */
	assert_int_equal(list.n, 7);
	diag_list_sort(&list);
	assert_int_equal(list.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < list.n; i++) {
		assert_string_equal(list.items[i].path, want[i].path);
		assert_int_equal(list.items[i].line, want[i].line);
		assert_string_equal(list.items[i].msg, want[i].msg);
	}
	diag_list_sort(&list); /* sorting a sorted list changes nothing */
	assert_int_equal(list.n, sizeof(want) / sizeof(want[0]));
	diag_list_release(&list);
}

static void test_sort_empty(void **state)
{
	struct diag_list list = {0};

	(void)state;
	diag_list_sort(&list);
	assert_int_equal(list.n, 0);
	assert_null(list.items);
	diag_list_release(&list);
	diag_list_release(NULL); /* a NULL list is fine to release */
}

/* A message longer than DIAG_MSG_MAX and a path longer than PATH_MAX are cut, never
 * overrun; DIAG_QUOTE quotes at most DIAG_QUOTE_MAX bytes of a user's value. */
static void test_bounds_of_one(void **state)
{
	struct diag_list list = {0};
	_cleanup_free_ char *big = malloc(3 * PATH_MAX);
	char buf[PATH_MAX + 1];

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 3 * PATH_MAX - 1);
	big[3 * PATH_MAX - 1] = '\0';
	assert_int_equal(diag_add(&list, "repo", big, 1, "%s", big), 0);
	assert_int_equal(strlen(list.items[0].path), PATH_MAX - 1);
	assert_int_equal(strncmp(list.items[0].path, "repo/xxx", 8), 0);
	/* Into a buffer: cut the same, its last byte the NUL (the byte past it untouched). */
	buf[PATH_MAX] = '#';
	diag_path_join_buf(buf, "repo", big);
	assert_string_equal(buf, list.items[0].path);
	assert_int_equal(buf[PATH_MAX], '#');
	buf[PATH_MAX - 1] = '#';
	diag_path_join_buf(buf, big, "x"); /* the label alone past the bound */
	assert_int_equal(strlen(buf), PATH_MAX - 1);
	assert_int_equal(buf[PATH_MAX - 2], 'x');
	assert_int_equal(strlen(list.items[0].msg), DIAG_MSG_MAX - 1);
	assert_int_equal(diag_add(&list, "repo", "a", 1, "value '%.*s'", DIAG_QUOTE(big)), 0);
	assert_int_equal(strlen(list.items[1].msg), strlen("value ''") + DIAG_QUOTE_MAX);
	diag_list_release(&list);
}

/* Past DIAG_MAX, diagnostics are counted, not kept, and adding still succeeds: the state stays
 * invalid (the count is not 0) without the list growing without bound. */
static void test_list_bound(void **state)
{
	struct diag_list list = {0};

	(void)state;
	for (unsigned i = 0; i < DIAG_MAX + 5; i++)
		assert_int_equal(diag_add(&list, "repo", "many.container", i + 1, "problem"), 0);
	assert_int_equal(list.n, DIAG_MAX);
	assert_int_equal(list.n_dropped, 5);
	assert_int_equal(diag_list_count(&list), DIAG_MAX + 5);
	assert_int_equal(list.error, 0);
	assert_int_equal(list.items[DIAG_MAX - 1].line, DIAG_MAX);
	diag_list_release(&list);
	/* Released: empty and usable again. */
	assert_int_equal(list.n, 0);
	assert_int_equal(list.n_dropped, 0);
	assert_null(list.items);
	assert_int_equal(diag_add(&list, "", "again.container", 1, "ok"), 0);
	assert_int_equal(diag_list_count(&list), 1);
	diag_list_release(&list);
}

/* What was added since a point is dropped, the dropped count set back with it. */
static void test_truncate(void **state)
{
	struct diag_list list = {0};

	(void)state;
	assert_int_equal(diag_add(&list, "R", "a", 1, "kept"), 0);
	assert_int_equal(diag_add(&list, "R", "b", 2, "dropped"), 0);
	assert_int_equal(diag_add(&list, "R", "c", 3, "dropped too"), 0);
	list.n_dropped = 7; /* as if some had passed DIAG_MAX since */
	diag_list_truncate(&list, 1, 2);
	assert_int_equal(list.n, 1);
	assert_int_equal(list.n_dropped, 2);
	assert_string_equal(list.items[0].msg, "kept");
	diag_list_truncate(&list, 5, 2); /* past the end: nothing to drop */
	assert_int_equal(list.n, 1);
	diag_list_release(&list);
}

/* Items move in ranges, each once; the lists they left end with their counts carried. */
static void test_move(void **state)
{
	struct diag_list to = {0}, a = {0}, b = {0};

	(void)state;
	assert_int_equal(diag_add(&a, "R", "a1", 1, "first"), 0);
	assert_int_equal(diag_add(&a, "R", "a2", 1, "third"), 0);
	assert_int_equal(diag_add(&b, "R", "b1", 1, "second"), 0);
	a.n_dropped = 3;
	b.error = -ENOMEM;
	assert_int_equal(diag_list_move(&to, &a, 0, 1), 0);
	assert_int_equal(diag_list_move(&to, &b, 0, 1), 0);
	assert_int_equal(diag_list_move(&to, &a, 1, 2), 0);
	diag_list_moved(&to, &a);
	diag_list_moved(&to, &b);
	assert_int_equal(to.n, 3);
	assert_string_equal(to.items[0].msg, "first");
	assert_string_equal(to.items[1].msg, "second");
	assert_string_equal(to.items[2].msg, "third");
	assert_string_equal(to.items[2].path, "R/a2");
	assert_int_equal(to.n_dropped, 3);
	assert_int_equal(to.error, -ENOMEM);
	assert_int_equal(a.n, 0);
	assert_null(a.items);
	diag_list_release(&to);
}

/* A move into a full list counts what it cannot keep, as diag_add would. */
static void test_move_past_bound(void **state)
{
	struct diag_list to = {0}, from = {0};

	(void)state;
	for (unsigned i = 0; i < DIAG_MAX - 1; i++)
		assert_int_equal(diag_add(&to, "R", "x", i + 1, "m"), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(diag_add(&from, "R", "y", i + 1, "m"), 0);
	assert_int_equal(diag_list_move(&to, &from, 0, 3), 0);
	diag_list_moved(&to, &from);
	assert_int_equal(to.n, DIAG_MAX);
	assert_int_equal(to.n_dropped, 2);
	assert_int_equal(to.items[DIAG_MAX - 1].line, 1);
	assert_string_equal(to.items[DIAG_MAX - 1].path, "R/y");
	diag_list_release(&to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_add_formats_and_counts),
		cmocka_unit_test(test_sort_and_dedup),
		cmocka_unit_test(test_sort_empty),
		cmocka_unit_test(test_bounds_of_one),
		cmocka_unit_test(test_list_bound),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_move_past_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
