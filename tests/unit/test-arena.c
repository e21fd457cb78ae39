/* test-arena.c: unit tests of core/arena — pieces aligned for any object or not at all, strings
 * copied and joined whole, many pieces over many chunks each keeping its bytes, a large piece in
 * a chunk of its own while the head chunk goes on filling, one arena's chunks taken into another,
 * and a release that frees every chunk (ASan would see one left). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdalign.h>
#include <string.h>

#include "arena.h"

static void test_alignment(void **state)
{
	struct arena a = {0};

	(void)state;
	for (size_t n = 0; n < 100; n++) {
		unsigned char *b = arena_alloc_bytes(&a, n % 7 + 1);
		void *p = arena_alloc(&a, n);

		assert_non_null(b);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		memset(p, 0xab, n); /* ASan: all of it is ours */
	}
	arena_release(&a);
	assert_null(a.chunks);
}

static void test_strings(void **state)
{
	struct arena a = {0};
	char *s = NULL, *j = NULL;

	(void)state;
	s = arena_strdup(&a, "web.container");
	j = arena_join(&a, "web", "-pod", ".service");
	assert_string_equal(s, "web.container");
	assert_string_equal(j, "web-pod.service");
	assert_string_equal(arena_join(&a, "", "", ""), "");
	assert_ptr_not_equal(s, j);
	arena_release(&a);
}

/* 100 000 pieces of 1 to 100 bytes: every one keeps what was written into it. */
static void test_many_pieces(void **state)
{
	enum { N = 100000 };
	static unsigned char *piece[N];
	struct arena a = {0};

	(void)state;
	for (size_t i = 0; i < N; i++) {
		size_t n = i % 100 + 1;

		piece[i] = i % 2 ? arena_alloc(&a, n) : arena_alloc_bytes(&a, n);
		assert_non_null(piece[i]);
		memset(piece[i], (int)(i & 0xff), n);
	}
	for (size_t i = 0; i < N; i++)
		for (size_t k = 0; k < i % 100 + 1; k++)
			assert_int_equal(piece[i][k], i & 0xff);
	arena_release(&a);
}

/* A piece larger than a quarter of a chunk gets one of its own; the next small piece still comes
 * from the chunk that was being filled, right after the last. */
static void test_large_piece(void **state)
{
	struct arena a = {0};
	char *small = NULL, *large = NULL, *next = NULL;

	(void)state;
	small = arena_alloc_bytes(&a, 10);
	large = arena_alloc_bytes(&a, 1024 * 1024);
	next = arena_alloc_bytes(&a, 10);
	assert_non_null(large);
	memset(large, 1, 1024 * 1024);
	assert_ptr_equal(next, small + 10);
	arena_release(&a);
}

/* Pieces stay where they are when their chunks move to another arena; both keep working. */
static void test_take(void **state)
{
	struct arena a = {0}, b = {0}, empty = {0};
	char *in_b = NULL, *in_a = NULL;

	(void)state;
	in_a = arena_strdup(&a, "a");
	for (int i = 0; i < 1000; i++) /* several chunks in b */
		in_b = arena_strdup(&b, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	arena_take(&a, &b);
	assert_null(b.chunks);
	arena_take(&a, &empty); /* nothing to take */
	assert_string_equal(in_a, "a");
	assert_string_equal(in_b, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_ptr_equal(arena_strdup(&a, "c"), in_a + 2); /* a's head goes on */
	arena_take(&empty, &a);				   /* into an empty arena */
	assert_null(a.chunks);
	assert_non_null(arena_strdup(&b, "b works again"));
	arena_release(&empty);
	arena_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment),   cmocka_unit_test(test_strings),
		cmocka_unit_test(test_many_pieces), cmocka_unit_test(test_large_piece),
		cmocka_unit_test(test_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
