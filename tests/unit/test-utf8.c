/* test-utf8.c: unit tests of core/utf8 — valid 1- to 4-byte sequences at their range edges, and
 * rejection of overlong forms, surrogates, code points past U+10FFFF, stray and missing
 * continuation bytes and sequences cut off by the length. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Check a copy in an allocation of exactly n bytes, so ASan catches a read past the length. */
static bool check(const char *s, size_t n)
{
	char *copy = malloc(n ? n : 1);
	bool ok;

	assert_non_null(copy);
	memcpy(copy, s, n);
	ok = utf8_is_valid(copy, n);
	free(copy);
	return ok;
}

/* A string literal with its embedded NULs, without the terminating one. */
#define VALID(lit)   assert_true(check(lit, sizeof(lit) - 1))
#define INVALID(lit) assert_false(check(lit, sizeof(lit) - 1))

static void test_ascii(void **state)
{
	(void)state;
	VALID("");
	VALID("Hello, world! ~\x7f");
	VALID("a\0b"); /* U+0000 is a code point like any other */
	VALID("\x01\x1f\t\r\n");
}

static void test_two_bytes(void **state)
{
	(void)state;
	VALID("\xc2\x80"); /* U+0080, the first */
	VALID("\xdf\xbf"); /* U+07FF, the last */
	VALID("caf\xc3\xa9");
}

static void test_three_bytes(void **state)
{
	(void)state;
	VALID("\xe0\xa0\x80"); /* U+0800, the first */
	VALID("\xed\x9f\xbf"); /* U+D7FF, just below the surrogates */
	VALID("\xee\x80\x80"); /* U+E000, just above them */
	VALID("\xef\xbf\xbf"); /* U+FFFF */
	VALID("\xef\xbb\xbf"); /* the byte-order mark */
	VALID("\xe2\x82\xac 5");
}

static void test_four_bytes(void **state)
{
	(void)state;
	VALID("\xf0\x90\x80\x80"); /* U+10000, the first */
	VALID("\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last */
	VALID("smile \xf0\x9f\x98\x80!");
}

static void test_overlong(void **state)
{
	(void)state;
	INVALID("\xc0\x80"); /* U+0000 in two bytes */
	INVALID("\xc0\xaf"); /* '/' in two bytes */
	INVALID("\xc1\xbf"); /* U+007F in two bytes */
	INVALID("\xe0\x80\x80");
	INVALID("\xe0\x80\xaf");
	INVALID("\xe0\x9f\xbf"); /* U+07FF in three bytes */
	INVALID("\xf0\x80\x80\x80");
	INVALID("\xf0\x80\x80\xaf");
	INVALID("\xf0\x8f\xbf\xbf"); /* U+FFFF in four bytes */
}

static void test_surrogates(void **state)
{
	(void)state;
	INVALID("\xed\xa0\x80");	     /* U+D800 */
	INVALID("\xed\xad\xbf");	     /* U+DB7F */
	INVALID("\xed\xb0\x80");	     /* U+DC00 */
	INVALID("\xed\xbf\xbf");	     /* U+DFFF */
	INVALID("\xed\xa0\xbd\xed\xb8\x80"); /* a CESU-8 pair for U+1F600 */
}

static void test_past_max(void **state)
{
	(void)state;
	INVALID("\xf4\x90\x80\x80"); /* U+110000 */
	INVALID("\xf4\xbf\xbf\xbf");
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xf7\xbf\xbf\xbf");	     /* U+1FFFFF */
	INVALID("\xf8\x88\x80\x80\x80");     /* old five-byte form */
	INVALID("\xfc\x84\x80\x80\x80\x80"); /* old six-byte form */
	INVALID("\xfe");
	INVALID("\xff");
}

static void test_truncated(void **state)
{
	(void)state;
	INVALID("\xc3");
	INVALID("\xe2\x82");
	INVALID("\xe2");
	INVALID("\xf0\x9f\x98");
	INVALID("\xf0\x9f");
	INVALID("\xf0");
	INVALID("ok \xf0\x9f\x98"); /* cut off at the end of otherwise valid text */
	/* A lead byte whose continuation bytes are missing before more text. */
	INVALID("\xc3 ");
	INVALID("\xe2\x82x");
	INVALID("\xf0\x9f\x98x");
	INVALID("\xe2\xc3\xa9");
	/* The length decides, not a terminating NUL. */
	assert_false(check("\xc3\xa9", 1));
	assert_false(check("\xf0\x9f\x98\x80", 3));
	assert_true(check("a\xff", 1));
}

static void test_stray_continuation(void **state)
{
	(void)state;
	INVALID("\x80");
	INVALID("\xbf");
	INVALID("a\x80z");
	INVALID("\xc3\xa9\xa9"); /* one continuation byte too many */
}

/* Each sequence at every offset in ASCII, before and after an 8-byte boundary, with ASCII after it
 * or not: the scan that skips ASCII a word at a time must still look at every other byte. */
static void test_every_offset(void **state)
{
	static const char *const valid[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
	static const char *const invalid[] = {"\x80", "\xff", "\xc0\xaf", "\xed\xa0\x80",
					      "\xe2\x82"};
	char buf[40];

	(void)state;
	for (size_t off = 0; off < 18; off++)
		for (size_t tail = 0; tail < 10; tail++) {
			for (size_t i = 0; i < 3; i++) {
				size_t n = strlen(valid[i]);

				memset(buf, 'a', sizeof(buf));
				memcpy(buf + off, valid[i], n);
				assert_true(check(buf, off + n + tail));
			}
			for (size_t i = 0; i < 5; i++) {
				size_t n = strlen(invalid[i]);

				memset(buf, 'a', sizeof(buf));
				memcpy(buf + off, invalid[i], n);
				/* "\xe2\x82" followed by ASCII is as cut off as at the end */
				assert_false(check(buf, off + n + tail));
			}
		}
}

/* One byte at each offset of ASCII strings of 1 to 24 bytes: in the byte-at-a-time test of a
 * short string, in a full word, and in the last word, which overlaps the one before it. */
static void test_one_byte_everywhere(void **state)
{
	static const struct {
		unsigned char byte;
		bool valid;
	} cases[] = {{0x00, true}, {0x7f, true}, {0x80, false}, {0xc0, false}, {0xff, false}};
	char buf[24];

	(void)state;
	for (size_t n = 1; n <= sizeof(buf); n++)
		for (size_t off = 0; off < n; off++)
			for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
				memset(buf, 'a', sizeof(buf));
				buf[off] = (char)cases[i].byte;
				assert_int_equal(check(buf, n), cases[i].valid);
			}
}

/* A two-byte character across each word boundary of a 16-byte string, whole or cut off. */
static void test_straddling(void **state)
{
	char buf[16];

	(void)state;
	for (size_t off = 0; off + 1 < sizeof(buf); off++) {
		memset(buf, 'a', sizeof(buf));
		buf[off] = (char)0xc3;
		buf[off + 1] = (char)0xa9;
		assert_true(check(buf, sizeof(buf)));
		assert_false(check(buf, off + 1));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_two_bytes),
		cmocka_unit_test(test_three_bytes),
		cmocka_unit_test(test_four_bytes),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_surrogates),
		cmocka_unit_test(test_past_max),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_stray_continuation),
		cmocka_unit_test(test_every_offset),
		cmocka_unit_test(test_one_byte_everywhere),
		cmocka_unit_test(test_straddling),
	};

	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
