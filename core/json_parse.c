/*
 * json_parse.c: strict recursive-descent JSON reader for answers of HTTP APIs, which are hostile
 * input. Grammar exactly as RFC 8259: whitespace is space, tab, CR and LF only; numbers without
 * leading zeros, '+' or bare dots; literals true, false and null; strings of well-formed UTF-8
 * with no raw control characters and only the eight escapes plus \uXXXX, where surrogates must
 * come in high-low pairs. Depth is bounded before recursing, so the C stack is bounded too. Only
 * the wanted members of the top-level object are decoded; decoded copies are wiped when freed
 * because they are access tokens and auth keys.
 */
#include "json_parse.h"

#include "core.h"
#include "utf8.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *buf;
	size_t len, pos;
	unsigned depth;
	size_t values;
	struct json_parse_field *fields; /* top-level members to decode, or NULL */
	size_t n_fields;
	struct json_parse_error err;
};

static int parse_fail(struct parser *p, int r, const char *msg)
{
	p->err.offset = p->pos;
	error_detail_set(&p->err, "%s", msg ? msg : "");
	return r;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->buf[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

static int peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->buf[p->pos] : -1;
}

static int hex4(struct parser *p, uint32_t *ret)
{
	uint32_t v = 0;

	if (p->len - p->pos < 4)
		return parse_fail(p, -EBADMSG, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->buf[p->pos++];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return parse_fail(p, -EBADMSG, "invalid hex digit in \\u escape");
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return 0;
}

/* A \u escape after the "\u" itself: one code point, a surrogate pair combined. */
static int unicode_escape(struct parser *p, uint32_t *ret)
{
	uint32_t hi, lo;
	int r = hex4(p, &hi);

	if (r < 0)
		return r;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return parse_fail(p, -EBADMSG, "unpaired low surrogate in \\u escape");
	if (hi < 0xd800 || hi > 0xdbff) {
		*ret = hi;
		return 0;
	}
	if (p->len - p->pos < 2 || p->buf[p->pos] != '\\' || p->buf[p->pos + 1] != 'u')
		return parse_fail(p, -EBADMSG, "unpaired high surrogate in \\u escape");
	p->pos += 2;
	r = hex4(p, &lo);
	if (r < 0)
		return r;
	if (lo < 0xdc00 || lo > 0xdfff)
		return parse_fail(p, -EBADMSG, "unpaired high surrogate in \\u escape");
	*ret = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The escape after a backslash; appends its bytes to out (when not NULL) at *n. */
static int string_escape(struct parser *p, char *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	uint32_t cp;
	int r;

	if (p->pos >= p->len)
		return parse_fail(p, -EBADMSG, "unterminated string");
	if (p->buf[p->pos] == 'u') {
		p->pos++;
		r = unicode_escape(p, &cp);
		if (r < 0)
			return r;
		if (out)
			*n += utf8_put(out + *n, cp);
		return 0;
	}
	e = p->buf[p->pos] ? strchr(from, p->buf[p->pos]) : NULL;
	if (!e)
		return parse_fail(p, -EBADMSG, "invalid escape in string");
	p->pos++;
	if (out)
		out[(*n)++] = to[e - from];
	return 0;
}

/* One UTF-8 sequence starting at p->pos, copied to out (when not NULL). */
static int string_utf8(struct parser *p, char *out, size_t *n)
{
	unsigned char c = (unsigned char)p->buf[p->pos];
	size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

	if (p->len - p->pos < len || !utf8_is_valid(p->buf + p->pos, len))
		return parse_fail(p, -EBADMSG, "invalid UTF-8 in string");
	if (out)
		memcpy(out + *n, p->buf + p->pos, len);
	*n += out ? len : 0;
	p->pos += len;
	return 0;
}

/* A string at p->pos (the opening quote). With ret, the decoded text is returned in a malloc'd
 * buffer; a decoded string is never longer than its raw form. */
static int parse_string(struct parser *p, char **ret, size_t *ret_len)
{
	size_t start = ++p->pos, n = 0;
	_cleanup_free_ char *out = NULL;
	int r;

	if (ret) {
		/* The loop stops at most one escape (12 bytes) past the bound. */
		size_t max = p->len - start, cap = JSON_PARSE_STRING_MAX + 16;
		out = malloc((max < cap ? max : cap) + 1);
		if (!out)
			return parse_fail(p, -ENOMEM, NULL);
	}
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return parse_fail(p, -EBADMSG, "unterminated string");
		if (p->pos - start >= JSON_PARSE_STRING_MAX)
			return parse_fail(p, -E2BIG,
					  "string longer than JSON_PARSE_STRING_MAX bytes");
		c = (unsigned char)p->buf[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return parse_fail(p, -EBADMSG, "control character in string");
		if (c == '\\') {
			p->pos++;
			r = string_escape(p, out, &n);
		} else if (c >= 0x80) {
			r = string_utf8(p, out, &n);
		} else {
			if (out)
				out[n++] = (char)c;
			p->pos++;
			r = 0;
		}
		if (r < 0) {
			if (out)
				explicit_bzero(out, n);
			return r;
		}
	}
	p->pos++;
	if (ret) {
		out[n] = '\0';
		*ret = TAKE_PTR(out);
		*ret_len = n;
	}
	return 0;
}

static void skip_digits(struct parser *p)
{
	while (p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9')
		p->pos++;
}

static int parse_number(struct parser *p)
{
	size_t start;

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
	} else if (peek(p) >= '1' && peek(p) <= '9') {
		skip_digits(p);
	} else {
		return parse_fail(p, -EBADMSG, "invalid number");
	}
	if (peek(p) == '.') {
		start = ++p->pos;
		skip_digits(p);
		if (p->pos == start)
			return parse_fail(p, -EBADMSG, "invalid number: no digit after '.'");
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		start = p->pos;
		skip_digits(p);
		if (p->pos == start)
			return parse_fail(p, -EBADMSG, "invalid number: no digit in exponent");
	}
	return 0;
}

static int parse_literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->buf + p->pos, word, n) != 0)
		return parse_fail(p, -EBADMSG, "invalid literal");
	p->pos += n;
	return 0;
}

static int parse_value(struct parser *p);

static int parse_array(struct parser *p)
{
	int r;

	p->pos++;
	skip_ws(p);
	if (peek(p) == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		r = parse_value(p);
		if (r < 0)
			return r;
		skip_ws(p);
		if (peek(p) == ']') {
			p->pos++;
			return 0;
		}
		if (peek(p) != ',')
			return parse_fail(p, -EBADMSG, "expected ',' or ']' in array");
		p->pos++;
	}
}

static struct json_parse_field *field_find(struct parser *p, const char *key, size_t key_len)
{
	for (size_t i = 0; i < p->n_fields; i++)
		if (strlen(p->fields[i].key) == key_len &&
		    memcmp(p->fields[i].key, key, key_len) == 0)
			return &p->fields[i];
	return NULL;
}

/* A member's value; at the top level of json_parse_strings a wanted one is decoded. */
static int parse_member_value(struct parser *p, struct json_parse_field *f)
{
	if (!f)
		return parse_value(p);
	if (f->value)
		return parse_fail(p, -EBADMSG, "duplicate member");
	if (peek(p) == 'n')
		return parse_value(p);
	if (peek(p) != '"')
		return parse_fail(p, -EBADMSG, "member is not a string");
	if (++p->values > JSON_PARSE_VALUES_MAX)
		return parse_fail(p, -E2BIG, "more than JSON_PARSE_VALUES_MAX values");
	int r = parse_string(p, &f->value, &f->value_len);
	if (r >= 0 && memchr(f->value, '\0', f->value_len))
		return parse_fail(p, -EBADMSG, "member contains U+0000");
	return r;
}

static int parse_member(struct parser *p, bool top)
{
	_cleanup_free_ char *key = NULL;
	size_t key_len = 0;
	int r;

	skip_ws(p);
	if (peek(p) != '"')
		return parse_fail(p, -EBADMSG, "expected a string key in object");
	r = parse_string(p, top && p->fields ? &key : NULL, &key_len);
	if (r < 0)
		return r;
	skip_ws(p);
	if (peek(p) != ':')
		return parse_fail(p, -EBADMSG, "expected ':' after key in object");
	p->pos++;
	skip_ws(p);
	return parse_member_value(p, key ? field_find(p, key, key_len) : NULL);
}

static int parse_object(struct parser *p)
{
	bool top = p->depth == 1;
	int r;

	p->pos++;
	skip_ws(p);
	if (peek(p) == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		r = parse_member(p, top);
		if (r < 0)
			return r;
		skip_ws(p);
		if (peek(p) == '}') {
			p->pos++;
			return 0;
		}
		if (peek(p) != ',')
			return parse_fail(p, -EBADMSG, "expected ',' or '}' in object");
		p->pos++;
	}
}

static int parse_container(struct parser *p, bool object)
{
	int r;

	if (p->depth >= JSON_PARSE_DEPTH_MAX)
		return parse_fail(p, -E2BIG, "nesting deeper than JSON_PARSE_DEPTH_MAX");
	p->depth++;
	r = object ? parse_object(p) : parse_array(p);
	p->depth--;
	return r;
}

static int parse_value(struct parser *p)
{
	int c;

	skip_ws(p);
	if (++p->values > JSON_PARSE_VALUES_MAX)
		return parse_fail(p, -E2BIG, "more than JSON_PARSE_VALUES_MAX values");
	c = peek(p);
	switch (c) {
	case '{':
		return parse_container(p, true);
	case '[':
		return parse_container(p, false);
	case '"':
		return parse_string(p, NULL, NULL);
	case 't':
		return parse_literal(p, "true");
	case 'f':
		return parse_literal(p, "false");
	case 'n':
		return parse_literal(p, "null");
	case -1:
		return parse_fail(p, -EBADMSG, "unexpected end of input");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(p);
		return parse_fail(p, -EBADMSG, "unexpected character");
	}
}

static int parse_document(struct parser *p)
{
	int r;

	if (p->len > JSON_PARSE_INPUT_MAX)
		return parse_fail(p, -E2BIG, "document larger than JSON_PARSE_INPUT_MAX bytes");
	skip_ws(p);
	if (p->fields && peek(p) != '{')
		return parse_fail(p, -EBADMSG, "document is not an object");
	r = parse_value(p);
	if (r < 0)
		return r;
	skip_ws(p);
	if (p->pos != p->len)
		return parse_fail(p, -EBADMSG, "trailing data after the document");
	return 0;
}

int json_parse_validate(const char *buf, size_t len, struct json_parse_error *err)
{
	struct parser p = {.buf = buf, .len = len};
	int r = parse_document(&p);

	if (r < 0 && err)
		*err = p.err;
	return r;
}

void json_parse_fields_release(struct json_parse_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fields[i].value)
			explicit_bzero(fields[i].value, fields[i].value_len);
		free(fields[i].value);
		fields[i].value = NULL;
		fields[i].value_len = 0;
	}
}

int json_parse_strings(const char *buf, size_t len, struct json_parse_field *fields,
		       size_t n_fields, struct json_parse_error *err)
{
	struct parser p = {.buf = buf, .len = len, .fields = fields, .n_fields = n_fields};
	int r;

	for (size_t i = 0; i < n_fields; i++) {
		fields[i].value = NULL;
		fields[i].value_len = 0;
	}
	r = parse_document(&p);
	if (r < 0) {
		json_parse_fields_release(fields, n_fields);
		if (err)
			*err = p.err;
	}
	return r;
}
