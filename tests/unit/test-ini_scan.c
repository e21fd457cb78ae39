/* test-ini_scan.c: unit tests of core/ini_scan — the parser's word-at-a-time scans give what a
 * byte-by-byte count gives: newlines and '[' counted past the 255 words a byte counter holds,
 * a NUL or '\r' seen at any offset, and a line's end found at every offset of a word with the
 * bytes next to '\n' in value (0x09, 0x0b, 0x8a) around it. Each scan reads a copy in an
 * allocation of exactly the length, so ASan catches a read past it. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ini_internal.h"

static char *copy_of(const char *s, size_t n)
{
	char *c = malloc(n ? n : 1);

	assert_non_null(c);
	memcpy(c, s, n);
	return c;
}

static void scan(const char *s, size_t n, struct ini_scan *ret)
{
	char *c = copy_of(s, n);

	ini_scan_file(c, n, ret);
	free(c);
}

static size_t eol(const char *s, size_t n)
{
	char *c = copy_of(s, n);
	size_t r = ini_scan_eol(c, n);

	free(c);
	return r;
}

static void expect_counts(const char *s, size_t n)
{
	struct ini_scan got, want = {0};

	for (size_t i = 0; i < n; i++) {
		want.newlines += s[i] == '\n';
		want.brackets += s[i] == '[';
		want.nul_or_cr |= s[i] == '\0' || s[i] == '\r';
	}
	scan(s, n, &got);
	assert_int_equal(got.newlines, want.newlines);
	assert_int_equal(got.brackets, want.brackets);
	assert_int_equal(got.nul_or_cr, want.nul_or_cr);
}

/* Every byte a match: each byte counter of a word reaches its limit (255 words) and is summed. */
static void test_all_newlines(void **state)
{
	static const size_t sizes[] = {0, 1, 7, 8, 9, 2040, 2041, 4080, 4096, 70001};
	char *buf = malloc(70001);

	(void)state;
	assert_non_null(buf);
	memset(buf, '\n', 70001);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		expect_counts(buf, sizes[i]);
	memset(buf, '[', 70001);
	expect_counts(buf, 70001);
	free(buf);
}

/* Text with newlines, brackets and high bytes at pseudo-random places, every length to 5000. */
static void test_mixed(void **state)
{
	static const char bytes[] = {'\n', '[', 'a', ' ', (char)0x8a, (char)0xdb, '\x0b', ']'};
	char buf[5000];
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = bytes[(x >> 16) % sizeof(bytes)];
	}
	for (size_t n = 0; n <= sizeof(buf); n += n < 64 ? 1 : 97)
		expect_counts(buf, n);
}

/* One NUL or '\r' at each offset of texts of 1 to 40 bytes, and none. */
static void test_nul_or_cr(void **state)
{
	static const char odd[] = {'\0', '\r'};
	struct ini_scan got;
	char buf[40];

	(void)state;
	for (size_t n = 1; n <= sizeof(buf); n++) {
		memset(buf, 'a', sizeof(buf));
		scan(buf, n, &got);
		assert_false(got.nul_or_cr);
		for (size_t off = 0; off < n; off++)
			for (size_t i = 0; i < sizeof(odd); i++) {
				memset(buf, (char)0x8d,
				       sizeof(buf)); /* '\r' with bit 7: no match */
				buf[off] = odd[i];
				scan(buf, n, &got);
				assert_true(got.nul_or_cr);
			}
	}
}

static void test_eol(void **state)
{
	static const char near[] = {'\t', '\x0b', (char)0x8a, 'a'};
	char buf[40];

	(void)state;
	for (size_t n = 0; n <= sizeof(buf); n++)
		for (size_t i = 0; i < sizeof(near); i++) {
			memset(buf, near[i], sizeof(buf));
			assert_int_equal(eol(buf, n), n);
			for (size_t at = 0; at < n; at++) {
				memset(buf, near[i], sizeof(buf));
				buf[at] = '\n';
				if (at + 3 < n)
					buf[at + 3] = '\n'; /* only the first counts */
				assert_int_equal(eol(buf, n), at);
			}
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_newlines),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_nul_or_cr),
		cmocka_unit_test(test_eol),
	};

	return cmocka_run_group_tests_name("ini_scan", tests, NULL, NULL);
}
