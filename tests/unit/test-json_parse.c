/* test-json_parse.c: unit tests of core/json_parse — the Tailscale answers it exists for, then
 * adversarial documents: every grammar rule, broken UTF-8 and escapes, duplicate and mistyped
 * wanted members, each bound just under and just over, and random mutations that must never crash
 * (ASan watches). */
#define _GNU_SOURCE /* asprintf */

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
#include "json_parse.h"

static int validate(const char *s)
{
	return json_parse_validate(s, strlen(s), NULL);
}

static void test_tailscale_answers(void **state)
{
	static const char token[] = "{\"access_token\":\"tskey-api-abc\",\"token_type\":\"Bearer\","
				    "\"expires_in\":3600,\"scope\":\"auth_keys devices:core\"}";
	static const char key[] =
		"{\"id\":\"k1\",\"key\":\"tskey-auth-k1-XYZ\",\"created\":\"2024-01-01T00:00:00Z\","
		"\"capabilities\":{\"devices\":{\"create\":{\"reusable\":false,\"tags\":[\"tag:a\"]"
		"}}}}";
	struct json_parse_field f[] = {{.key = "access_token"}, {.key = "key"}, {.key = "message"}};

	(void)state;
	assert_int_equal(json_parse_strings(token, strlen(token), f, 3, NULL), 0);
	assert_string_equal(f[0].value, "tskey-api-abc");
	assert_null(f[1].value);
	assert_null(f[2].value);
	json_parse_fields_release(f, 3);
	assert_int_equal(json_parse_strings(key, strlen(key), f, 3, NULL), 0);
	assert_null(f[0].value);
	assert_string_equal(f[1].value, "tskey-auth-k1-XYZ");
	assert_int_equal(f[1].value_len, 17);
	json_parse_fields_release(f, 3);
	assert_null(f[1].value);
}

static void test_nested_key_not_taken(void **state)
{
	static const char doc[] = "{\"a\":{\"key\":\"inner\"},\"b\":[{\"key\":\"x\"}]}";
	struct json_parse_field f[] = {{.key = "key"}};

	(void)state;
	assert_int_equal(json_parse_strings(doc, strlen(doc), f, 1, NULL), 0);
	assert_null(f[0].value);
}

static void test_escapes_decoded(void **state)
{
	static const char doc[] = "{\"message\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac"
				  "\\ud83d\\ude00\"}";
	struct json_parse_field f[] = {{.key = "message"}};

	(void)state;
	assert_int_equal(json_parse_strings(doc, strlen(doc), f, 1, NULL), 0);
	assert_string_equal(f[0].value, "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	json_parse_fields_release(f, 1);
}

static void test_escaped_key_matches(void **state)
{
	static const char doc[] = "{\"k\\u0065y\":\"v\"}";
	struct json_parse_field f[] = {{.key = "key"}};

	(void)state;
	assert_int_equal(json_parse_strings(doc, strlen(doc), f, 1, NULL), 0);
	assert_string_equal(f[0].value, "v");
	json_parse_fields_release(f, 1);
}

static void test_valid_documents(void **state)
{
	static const char *const ok[] = {
		"{}",
		"[]",
		" \t\r\n{ } ",
		"0",
		"-0",
		"1.5e+10",
		"-12.25E-3",
		"true",
		"false",
		"null",
		"\"\"",
		"[1,[2,[3]],{\"a\":null}]",
		"\"\xf4\x8f\xbf\xbf\"",
		"{\"a\":1,\"a\":2}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (validate(ok[i]) != 0)
			fail_msg("rejected: %s", ok[i]);
}

static void test_invalid_documents(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"{",
		"}",
		"[1,]",
		"{\"a\":1,}",
		"{\"a\"}",
		"{a:1}",
		"{'a':1}",
		"01",
		"+1",
		"1.",
		".5",
		"1e",
		"1e+",
		"-",
		"tru",
		"nul",
		"True",
		"NaN",
		"Infinity",
		"{} {}",
		"[1] x",
		"\"abc",
		"\"a\\x\"",
		"\"\\u12\"",
		"\"\\u12g4\"",
		"\"\\ud800\"",
		"\"\\udc00\"",
		"\"\\ud800\\u0041\"",
		"\"\t\"",
		"\"\x01\"",
		"\"\xc3\"",
		"\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"",
		"\"\xf5\x80\x80\x80\"",
		"\"\x80\"",
		"[1 2]",
		"{\"a\" 1}",
		"\xef\xbb\xbf{}",
		"{\"a\":1}\x00",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t n = strlen(bad[i]) + (i == ARRAY_SIZE(bad) - 1);
		struct json_parse_error err = {0};
		int r = json_parse_validate(bad[i], n, &err);
		if (r != -EBADMSG || !err.msg[0])
			fail_msg("accepted or wrong error (%d): %s", r, bad[i]);
	}
}

static void test_wanted_member_rules(void **state)
{
	static const char *const bad[] = {
		"{\"key\":1}",
		"{\"key\":{}}",
		"{\"key\":[\"x\"]}",
		"{\"key\":true}",
		"{\"key\":\"a\",\"key\":\"b\"}",
		"{\"key\":\"a\\u0000b\"}",
		"[\"key\"]",
		"\"key\"",
	};
	struct json_parse_field f[] = {{.key = "key"}};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (json_parse_strings(bad[i], strlen(bad[i]), f, 1, NULL) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
		assert_null(f[0].value);
	}
	assert_int_equal(json_parse_strings("{\"key\":null}", 12, f, 1, NULL), 0);
	assert_null(f[0].value);
	/* Unwanted members may be anything, even a NUL escape. */
	assert_int_equal(json_parse_strings("{\"x\":\"\\u0000\"}", 14, f, 1, NULL), 0);
}

static char *repeat(const char *head, char c, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);

	assert_non_null(s);
	memcpy(s, head, h);
	memset(s + h, c, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

static void test_depth_bound(void **state)
{
	_cleanup_free_ char *ok = NULL, *deep = NULL;

	(void)state;
	ok = malloc(2 * JSON_PARSE_DEPTH_MAX + 1);
	deep = malloc(2 * JSON_PARSE_DEPTH_MAX + 3);
	assert_non_null(ok);
	assert_non_null(deep);
	memset(ok, '[', JSON_PARSE_DEPTH_MAX);
	memset(ok + JSON_PARSE_DEPTH_MAX, ']', JSON_PARSE_DEPTH_MAX);
	ok[2 * JSON_PARSE_DEPTH_MAX] = '\0';
	assert_int_equal(validate(ok), 0);
	memset(deep, '[', JSON_PARSE_DEPTH_MAX + 1);
	memset(deep + JSON_PARSE_DEPTH_MAX + 1, ']', JSON_PARSE_DEPTH_MAX + 1);
	deep[2 * JSON_PARSE_DEPTH_MAX + 2] = '\0';
	assert_int_equal(validate(deep), -E2BIG);
	/* A million opening brackets must not recurse a million times. */
	free(deep);
	deep = repeat("", '[', 1000000, "");
	assert_int_equal(validate(deep), -E2BIG);
}

static void test_string_bound(void **state)
{
	_cleanup_free_ char *ok = NULL, *big = NULL;
	struct json_parse_field f[] = {{.key = "key"}};
	struct json_parse_error err = {0};

	(void)state;
	ok = repeat("{\"key\":\"", 'a', JSON_PARSE_STRING_MAX - 1, "\"}");
	assert_int_equal(json_parse_strings(ok, strlen(ok), f, 1, NULL), 0);
	assert_int_equal(f[0].value_len, JSON_PARSE_STRING_MAX - 1);
	json_parse_fields_release(f, 1);
	big = repeat("{\"key\":\"", 'a', JSON_PARSE_STRING_MAX, "\"}");
	assert_int_equal(json_parse_strings(big, strlen(big), f, 1, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "JSON_PARSE_STRING_MAX"));
}

static void test_string_bound_multibyte_tail(void **state)
{
	_cleanup_free_ char *s = repeat("{\"key\":\"", 'a', JSON_PARSE_STRING_MAX - 1, "");
	_cleanup_free_ char *doc = NULL;
	struct json_parse_field f[] = {{.key = "key"}};

	(void)state;
	/* The last character before the bound is a surrogate pair escape that runs past it: the
	 * decoder writes it (no overflow, ASan watches), then the bound is reported. */
	assert_true(asprintf(&doc, "%s\\ud83d\\ude00\"}", s) > 0);
	assert_int_equal(json_parse_strings(doc, strlen(doc), f, 1, NULL), -E2BIG);
	assert_null(f[0].value);
}

static void test_input_and_value_bounds(void **state)
{
	_cleanup_free_ char *big = repeat("\"", 'a', JSON_PARSE_INPUT_MAX, "\"");
	_cleanup_free_ char *many = NULL;
	size_t n = JSON_PARSE_VALUES_MAX + 1, len = 2 * n + 1;

	(void)state;
	assert_int_equal(validate(big), -E2BIG);
	many = malloc(len + 1);
	assert_non_null(many);
	many[0] = '[';
	for (size_t i = 0; i < n; i++) {
		many[1 + 2 * i] = '0';
		many[2 + 2 * i] = ',';
	}
	many[len - 1] = ']';
	many[len] = '\0';
	assert_int_equal(validate(many), -E2BIG);
}

static void test_random_mutations(void **state)
{
	static const char seed[] = "{\"access_token\":\"t\\u00e9\",\"n\":[1,-2.5e3,true,null],"
				   "\"message\":\"\xe2\x82\xac\",\"o\":{\"key\":\"k\"}}";
	struct json_parse_field f[] = {{.key = "access_token"}, {.key = "message"}};
	char buf[sizeof(seed)];

	(void)state;
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t n = sizeof(seed) - 1 - (size_t)(rand() % 4);
		memcpy(buf, seed, sizeof(seed));
		for (int k = rand() % 4; k >= 0; k--)
			buf[rand() % (int)n] = (char)rand();
		/* Whatever the answer, no crash, no leak, and no half-filled fields on failure. */
		if (json_parse_strings(buf, n, f, 2, NULL) < 0) {
			assert_null(f[0].value);
			assert_null(f[1].value);
		}
		json_parse_fields_release(f, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tailscale_answers),
		cmocka_unit_test(test_nested_key_not_taken),
		cmocka_unit_test(test_escapes_decoded),
		cmocka_unit_test(test_escaped_key_matches),
		cmocka_unit_test(test_valid_documents),
		cmocka_unit_test(test_invalid_documents),
		cmocka_unit_test(test_wanted_member_rules),
		cmocka_unit_test(test_depth_bound),
		cmocka_unit_test(test_string_bound),
		cmocka_unit_test(test_string_bound_multibyte_tail),
		cmocka_unit_test(test_input_and_value_bounds),
		cmocka_unit_test(test_random_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
