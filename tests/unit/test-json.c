/* test-json.c: unit tests of core/json — structure (commas, keys, nesting, one top-level value),
 * the escaping of every control character, refusal or replacement of text that is not UTF-8, and
 * the depth and size bounds, and a document flushed out in pieces. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"

static char *finish(struct json_writer *w)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(json_writer_finish(w, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	return out;
}

static void assert_string_json(const char *in, size_t n, unsigned flags, const char *want)
{
	struct json_writer w;
	_cleanup_free_ char *out = NULL;

	json_writer_init(&w, 0, flags);
	assert_int_equal(json_write_string_len(&w, in, n), 0);
	out = finish(&w);
	assert_string_equal(out, want);
}

static void test_structure(void **state)
{
	struct json_writer w;
	_cleanup_free_ char *out = NULL;

	(void)state;
	json_writer_init(&w, 0, 0);
	json_begin_object(&w);
	json_write_key(&w, "a");
	json_write_int(&w, -3);
	json_write_key(&w, "b");
	json_begin_array(&w);
	json_write_uint(&w, 18446744073709551615ULL);
	json_write_bool(&w, true);
	json_write_bool(&w, false);
	json_write_null(&w);
	json_write_string(&w, NULL);
	json_begin_object(&w);
	json_end_object(&w);
	json_begin_array(&w);
	json_end_array(&w);
	json_end_array(&w);
	json_write_key(&w, "c");
	json_write_string(&w, "x");
	json_end_object(&w);
	out = finish(&w);
	assert_string_equal(out,
			    "{\"a\":-3,\"b\":[18446744073709551615,true,false,null,null,{},[]],"
			    "\"c\":\"x\"}");
}

/* Numbers are written by hand (not snprintf): every edge, each sign. */
static void test_numbers(void **state)
{
	struct json_writer w;
	_cleanup_free_ char *out = NULL;

	(void)state;
	json_writer_init(&w, 0, 0);
	json_begin_array(&w);
	json_write_int(&w, 0);
	json_write_int(&w, 7);
	json_write_int(&w, -1);
	json_write_int(&w, 10);
	json_write_int(&w, -10);
	json_write_int(&w, LLONG_MAX);
	json_write_int(&w, LLONG_MIN);
	json_write_uint(&w, 0);
	json_write_uint(&w, 1000000007ULL);
	json_write_uint(&w, ULLONG_MAX);
	json_end_array(&w);
	out = finish(&w);
	assert_string_equal(out, "[0,7,-1,10,-10,9223372036854775807,-9223372036854775808,0,"
				 "1000000007,18446744073709551615]");
}

/* Every length of a run the writer copies: a string of each length from 0 to 40, as a key and as
 * a value, comes out whole. */
static void test_every_length(void **state)
{
	static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";
	char key[48], expect[128];

	(void)state;
	for (size_t n = 0; n <= 40; n++) {
		struct json_writer w;
		_cleanup_free_ char *out = NULL;

		memcpy(key, text + 1, n);
		key[n] = '\0';
		json_writer_init(&w, 0, 0);
		json_begin_object(&w);
		json_write_key(&w, key);
		json_write_string_len(&w, text, n);
		json_end_object(&w);
		out = finish(&w);
		snprintf(expect, sizeof(expect), "{\"%s\":\"%.*s\"}", key, (int)n, text);
		assert_string_equal(out, expect);
	}
}

static void test_misuse(void **state)
{
	struct json_writer w;
	char *out = NULL;

	(void)state;
	/* A value where a key is due. */
	json_writer_init(&w, 0, 0);
	json_begin_object(&w);
	assert_int_equal(json_write_int(&w, 1), -EINVAL);
	/* Sticky: everything after fails the same way. */
	assert_int_equal(json_write_key(&w, "k"), -EINVAL);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -EINVAL);
	json_writer_release(&w);

	/* A key in an array, a key twice, a mismatched end, two top-level values, unfinished. */
	json_writer_init(&w, 0, 0);
	json_begin_array(&w);
	assert_int_equal(json_write_key(&w, "k"), -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, 0, 0);
	json_begin_object(&w);
	json_write_key(&w, "k");
	assert_int_equal(json_write_key(&w, "k"), -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, 0, 0);
	json_begin_object(&w);
	assert_int_equal(json_end_array(&w), -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, 0, 0);
	json_write_int(&w, 1);
	assert_int_equal(json_write_int(&w, 2), -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, 0, 0);
	json_begin_array(&w);
	assert_int_equal(json_writer_finish(&w, &out, NULL), -EINVAL);
	json_writer_release(&w);
	/* An object closed right after a key. */
	json_writer_init(&w, 0, 0);
	json_begin_object(&w);
	json_write_key(&w, "k");
	assert_int_equal(json_end_object(&w), -EINVAL);
	json_writer_release(&w);
	assert_null(out);
}

static void test_escapes_every_control(void **state)
{
	char in[2];
	char want[16];

	(void)state;
	for (int c = 1; c < 0x20; c++) {
		const char *s = c == '\b'   ? "\\b"
				: c == '\f' ? "\\f"
				: c == '\n' ? "\\n"
				: c == '\r' ? "\\r"
				: c == '\t' ? "\\t"
					    : NULL;

		in[0] = (char)c;
		in[1] = 0;
		if (s)
			snprintf(want, sizeof(want), "\"%s\"", s);
		else
			snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		assert_string_json(in, 1, 0, want);
	}
	assert_string_json("\0", 1, 0, "\"\\u0000\"");
	assert_string_json("\x7f", 1, 0, "\"\\u007f\"");
	assert_string_json("\xc2\x80", 2, 0, "\"\\u0080\"");
	assert_string_json("\xc2\x9f", 2, 0, "\"\\u009f\"");
	assert_string_json("\xe2\x80\xa8\xe2\x80\xa9", 6, 0, "\"\\u2028\\u2029\"");
	assert_string_json("q\"b\\s/", 6, 0, "\"q\\\"b\\\\s/\"");
	/* Printable non-ASCII stays as it is. */
	assert_string_json("\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 11, 0,
			   "\"\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

static void test_not_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82", "\x80"};
	struct json_writer w;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_writer_init(&w, 0, 0);
		json_begin_array(&w);
		assert_int_equal(json_write_string(&w, bad[i]), -EILSEQ);
		json_writer_release(&w);
	}
	/* Lossy: one U+FFFD per bad byte, good text around it kept. */
	assert_string_json("a\xff"
			   "b",
			   3, JSON_LOSSY, "\"a\\ufffdb\"");
	assert_string_json("a\xe2\x82", 3, JSON_LOSSY, "\"a\\ufffd\\ufffd\"");
	assert_string_json("\xc0\xaf", 2, JSON_LOSSY, "\"\\ufffd\\ufffd\"");
	/* Keys are escaped the same way. */
	json_writer_init(&w, 0, 0);
	json_begin_object(&w);
	assert_int_equal(json_write_key(&w, "\xff"), -EILSEQ);
	json_writer_release(&w);
}

static void test_depth_bound(void **state)
{
	struct json_writer w;
	_cleanup_free_ char *out = NULL;

	(void)state;
	json_writer_init(&w, 0, 0);
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		assert_int_equal(json_begin_array(&w), 0);
	assert_int_equal(json_begin_array(&w), -ELOOP);
	json_writer_release(&w);

	json_writer_init(&w, 0, 0);
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		json_begin_array(&w);
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		json_end_array(&w);
	out = finish(&w);
	assert_int_equal(strlen(out), 2 * JSON_DEPTH_MAX);
}

static void test_size_bound(void **state)
{
	struct json_writer w;
	_cleanup_free_ char *out = NULL;

	(void)state;
	/* Exactly at the bound works, one byte more does not. */
	json_writer_init(&w, 7, 0);
	json_write_string(&w, "abcde");
	out = finish(&w);
	assert_string_equal(out, "\"abcde\"");
	json_writer_init(&w, 7, 0);
	assert_int_equal(json_write_string(&w, "abcdef"), -E2BIG);
	json_writer_release(&w);
	/* An escape counts with its escaped length. */
	json_writer_init(&w, 7, 0);
	assert_int_equal(json_write_string(&w, "\x01"), -E2BIG);
	json_writer_release(&w);
}

static void test_large_document(void **state)
{
	struct json_writer w;
	_cleanup_free_ char *out = NULL;

	(void)state;
	json_writer_init(&w, 0, 0);
	json_begin_array(&w);
	for (int i = 0; i < 10000; i++)
		json_write_string(&w, "0123456789");
	json_end_array(&w);
	out = finish(&w);
	assert_int_equal(strlen(out), 2 + 10000 * 13 - 1);
}

/* What json_writer_flush handed out, appended; fails with -EIO once told to. */
struct sink {
	char text[256];
	size_t len;
	unsigned calls;
	bool fail;
};

static int sink_append(void *payload, const char *text, size_t len)
{
	struct sink *s = payload;

	if (s->fail)
		return -EIO;
	assert_true(len < sizeof(s->text) - s->len);
	memcpy(s->text + s->len, text, len);
	s->len += len;
	s->calls++;
	return 0;
}

/* Pieces flushed as it is written and the rest finish returns: byte for byte the whole
 * document; the structure (commas, depth) carries over a flush, the bound counts every byte. */
static void test_flush(void **state)
{
	struct json_writer w;
	struct sink s = {0};
	char *rest = NULL;
	size_t rest_len = 0;

	(void)state;
	json_writer_init(&w, 24, 0);
	json_begin_array(&w);
	json_write_int(&w, 1);
	assert_int_equal(json_writer_flush(&w, sink_append, &s), 0);
	assert_int_equal(json_writer_flush(&w, sink_append, &s), 0); /* nothing new: no call */
	assert_int_equal(s.calls, 1);
	json_begin_object(&w);
	json_write_key(&w, "a");
	assert_int_equal(json_writer_flush(&w, sink_append, &s), 0);
	json_write_string(&w, "b");
	json_end_object(&w);
	json_end_array(&w);
	assert_int_equal(json_writer_finish(&w, &rest, &rest_len), 0);
	memcpy(s.text + s.len, rest, rest_len + 1);
	free(rest);
	assert_string_equal(s.text, "[1,{\"a\":\"b\"}]");
	assert_int_equal(s.calls, 2);

	/* 24 bytes in all: flushed ones count. */
	s = (struct sink){0};
	json_writer_init(&w, 24, 0);
	json_begin_array(&w);
	json_write_string(&w, "0123456789");
	assert_int_equal(json_writer_flush(&w, sink_append, &s), 0);
	assert_int_equal(json_write_string(&w, "0123456789"), -E2BIG);
	json_writer_release(&w);

	/* A sink's error is sticky. */
	s = (struct sink){.fail = true};
	json_writer_init(&w, 0, 0);
	json_begin_array(&w);
	assert_int_equal(json_writer_flush(&w, sink_append, &s), -EIO);
	assert_int_equal(json_end_array(&w), -EIO);
	assert_int_equal(json_writer_finish(&w, &rest, &rest_len), -EIO);
	json_writer_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_every_length),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_escapes_every_control),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_depth_bound),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_large_document),
		cmocka_unit_test(test_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
