/* test-sort.c: unit tests of core/sort — the order qsort() gives, equal elements kept in their
 * order, every size of run and merge, element sizes that are not a word; and of mem_shift_up()
 * (core.h), which its insertion sort and the INI line insert move elements up with. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "sort.h"

/* A record with a sort key and where it started; pad makes it an odd size. */
struct rec {
	uint32_t key;
	uint32_t seq;
	char pad[13];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* xorshift64: the same arrays every run, so a failure repeats. */
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

static int by_key(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/* The stable order spelled out for qsort: the key, then where the record started. */
static int by_key_then_seq(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = by_key(a, b);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* A key that agrees with by_key where it differs: the top 4 bits, so most compares tie. */
static uint64_t top_bits(const void *a)
{
	return ((const struct rec *)a)->key >> 28;
}

enum shape { RANDOM, SORTED, REVERSED, FEW_KEYS };

static void fill(struct rec *v, size_t n, enum shape shape)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t key = rng();

		if (shape == SORTED)
			key = (uint32_t)i;
		else if (shape == REVERSED)
			key = (uint32_t)(n - i);
		else if (shape == FEW_KEYS)
			key %= 5;
		v[i] = (struct rec){.key = key, .seq = (uint32_t)i};
		memset(v[i].pad, (int)(key & 0xff), sizeof(v[i].pad));
	}
}

/* sort_stable by key alone must give what qsort gives by (key, start): qsort's order where keys
 * are unique, and equal keys in the order they came, with every byte of each record moved. */
static void check_shape(size_t n, enum shape shape)
{
	struct rec *got = calloc(n ? n : 1, sizeof(*got));
	struct rec *want = calloc(n ? n : 1, sizeof(*want));
	struct rec *keyed = calloc(n ? n : 1, sizeof(*keyed));

	assert_non_null(got);
	assert_non_null(want);
	assert_non_null(keyed);
	fill(got, n, shape);
	memcpy(want, got, n * sizeof(*got));
	memcpy(keyed, got, n * sizeof(*got));
	qsort(want, n, sizeof(*want), by_key_then_seq);
	sort_stable(got, n, sizeof(*got), by_key);
	assert_memory_equal(got, want, n * sizeof(*got));
	/* The same order when a coarser key is compared first. */
	sort_stable_keyed(keyed, n, sizeof(*keyed), by_key, top_bits);
	assert_memory_equal(keyed, want, n * sizeof(*keyed));
	free(got);
	free(want);
	free(keyed);
}

static void test_orders(void **state)
{
	/* around the insertion-sorted runs (8) and the merge widths, and a check-sized array */
	static const size_t sizes[] = {0,  1,  2,  3,  7,   8,	  9,	15,
				       16, 17, 31, 33, 100, 1000, 1025, 12345};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (enum shape s = RANDOM; s <= FEW_KEYS; s++)
			check_shape(sizes[i], s);
}

static int byte_cmp(const void *a, const void *b)
{
	return *(const unsigned char *)a - *(const unsigned char *)b;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_element_sizes(void **state)
{
	unsigned char bytes[300], want_bytes[300];
	const char *names[] = {"web", "db", "cache", "api", "web-2", "", "a", "zz", "ab"};
	const char *want_names[] = {"", "a", "ab", "api", "cache", "db", "web", "web-2", "zz"};

	(void)state;
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)rng();
	memcpy(want_bytes, bytes, sizeof(bytes));
	qsort(want_bytes, sizeof(want_bytes), 1, byte_cmp);
	sort_stable(bytes, sizeof(bytes), 1, byte_cmp);
	assert_memory_equal(bytes, want_bytes, sizeof(bytes));

	sort_stable(names, sizeof(names) / sizeof(names[0]), sizeof(names[0]), str_cmp);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(names[i], want_names[i]);
}

/* Elements too big to be held on the stack (the in-place sort of a few takes up to 128 bytes):
 * a few of them still sorted stably, through the index. */
struct big {
	uint32_t key;
	uint32_t seq;
	char pad[200];
};

static int big_by_key(const void *a, const void *b)
{
	const struct big *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static void test_few_big_elements(void **state)
{
	static const uint32_t keys[] = {3, 1, 3, 0, 1, 3};
	static const uint32_t want_seq[] = {3, 1, 4, 0, 2, 5};
	struct big v[6];

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		v[i] = (struct big){.key = keys[i], .seq = (uint32_t)i};
		memset(v[i].pad, (int)i, sizeof(v[i].pad));
	}
	sort_stable(v, 6, sizeof(v[0]), big_by_key);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(v[i].seq, want_seq[i]);
		assert_int_equal(v[i].pad[199], (char)want_seq[i]);
	}
}

static int sign(int c)
{
	return (c > 0) - (c < 0);
}

/* Keys that differ order as strcmp() does; names that share 8 bytes have one key; n cuts. */
static void test_prefix_key(void **state)
{
	static const char *const names[] = {"",		 "a",	      "ab",	   "a\xff",
					    "web-app-a", "web-app-b", "web-app.c", "web-app",
					    "webapp",	 "w\x01",     "w000010",   "w000009z"};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			uint64_t a = sort_prefix_key(names[i], SIZE_MAX);
			uint64_t b = sort_prefix_key(names[j], SIZE_MAX);

			if (a != b)
				assert_int_equal((a > b) - (a < b),
						 sign(strcmp(names[i], names[j])));
			else
				assert_int_equal(strncmp(names[i], names[j], 8), 0);
		}
	assert_true(sort_prefix_key("web-app-a", SIZE_MAX) == sort_prefix_key("web-app-b", 99));
	assert_true(sort_prefix_key("abcdef", 3) == sort_prefix_key("abc", SIZE_MAX));
	assert_true(sort_prefix_key("abc", 0) == 0);
}

/* mem_shift_up gives memmove's result for every length and distance, the bytes below and above
 * the moved range untouched: a distance shorter than the length (the blocks from the end), equal,
 * longer (one memcpy), and nothing to move. */
static void test_mem_shift_up(void **state)
{
	enum { MAX = 96, GUARD = 8 };
	unsigned char got[GUARD + MAX + MAX + GUARD], want[sizeof(got)];

	(void)state;
	for (size_t n = 0; n <= MAX; n++)
		for (size_t by = 1; by <= MAX; by++) {
			for (size_t i = 0; i < sizeof(got); i++)
				got[i] = want[i] = (unsigned char)rng();
			memmove(want + GUARD + by, want + GUARD, n);
			mem_shift_up(got + GUARD, n, by);
			assert_memory_equal(got, want, sizeof(got));
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_orders),		 cmocka_unit_test(test_element_sizes),
		cmocka_unit_test(test_few_big_elements), cmocka_unit_test(test_prefix_key),
		cmocka_unit_test(test_mem_shift_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
