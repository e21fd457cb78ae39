/* json.c: the JSON writer (module boundary: core, libc and core/utf8 only). Structure is tracked
 * with a small stack so that a caller cannot produce invalid JSON by mistake; strings are escaped
 * here, once, so that no caller has to think about hostile text. */
#include "json.h"
#include "core.h"
#include "utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_writer_init(struct json_writer *w, size_t max, unsigned flags)
{
	*w = (struct json_writer){
		.max = max == 0 || max > JSON_OUT_MAX ? JSON_OUT_MAX : max,
		.flags = flags,
	};
}

void json_writer_release(struct json_writer *w)
{
	if (!w)
		return;
	free(w->buf);
	w->buf = NULL;
	w->len = w->alloc = 0;
}

static int json_fail(struct json_writer *w, int r)
{
	if (!w->error)
		w->error = r;
	return w->error;
}

static int put(struct json_writer *w, const char *s, size_t n)
{
	if (w->error)
		return w->error;
	if (n > w->max - w->flushed - w->len)
		return json_fail(w, -E2BIG);
	if (w->len + n + 1 > w->alloc) {
		size_t a = w->alloc ? w->alloc : 256;
		char *p;

		while (a < w->len + n + 1)
			a = a > w->max / 2 ? w->max + 1 : a * 2;
		p = realloc(w->buf, a);
		if (!p)
			return json_fail(w, -ENOMEM);
		w->buf = p;
		w->alloc = a;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
	return 0;
}

static int puts_(struct json_writer *w, const char *s)
{
	return put(w, s, strlen(s));
}

/* Before any value: a comma when the container already has one, and the structural checks. */
static int value_begin(struct json_writer *w)
{
	if (w->error)
		return w->error;
	if (w->done)
		return json_fail(w, -EINVAL);
	if (w->depth > 0 && w->stack[w->depth - 1] == '{') {
		if (!w->want_value)
			return json_fail(w, -EINVAL);
		w->want_value = false;
		return 0;
	}
	if (w->has_items[w->depth] && put(w, ",", 1) < 0)
		return w->error;
	w->has_items[w->depth] = true;
	return 0;
}

static void value_end(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = true;
}

static int container_begin(struct json_writer *w, char open)
{
	if (value_begin(w) < 0)
		return w->error;
	if (w->depth >= JSON_DEPTH_MAX)
		return json_fail(w, -ELOOP);
	w->stack[w->depth++] = open;
	w->has_items[w->depth] = false;
	return put(w, &open, 1);
}

static int container_end(struct json_writer *w, char open, const char *close)
{
	if (w->error)
		return w->error;
	if (w->depth == 0 || w->stack[w->depth - 1] != open || w->want_value)
		return json_fail(w, -EINVAL);
	w->depth--;
	if (put(w, close, 1) < 0)
		return w->error;
	value_end(w);
	return 0;
}

int json_begin_object(struct json_writer *w)
{
	return container_begin(w, '{');
}

int json_end_object(struct json_writer *w)
{
	return container_end(w, '{', "}");
}

int json_begin_array(struct json_writer *w)
{
	return container_begin(w, '[');
}

int json_end_array(struct json_writer *w)
{
	return container_end(w, '[', "]");
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when it is not well-formed. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;

	if (len > n || !utf8_is_valid((const char *)s, len))
		return 0;
	return len;
}

/* The escape for the sequence at s, or NULL when it is written as it is. */
static const char *escape_for(const unsigned char *s, size_t len, char buf[8])
{
	unsigned cp;

	if (len == 1) {
		switch (s[0]) {
		case '"':
			return "\\\"";
		case '\\':
			return "\\\\";
		case '\b':
			return "\\b";
		case '\f':
			return "\\f";
		case '\n':
			return "\\n";
		case '\r':
			return "\\r";
		case '\t':
			return "\\t";
		}
		cp = s[0];
	} else if (len == 2)
		cp = (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	else if (len == 3)
		cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	else
		return NULL;
	/* C0, DEL and C1 controls, and the two separators JavaScript treats as line ends. */
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
		snprintf(buf, 8, "\\u%04x", cp);
		return buf;
	}
	return NULL;
}

/* The quoted, escaped text, without any structural bookkeeping (values and keys share it); the
 * caller has checked it is UTF-8 unless the writer is JSON_LOSSY. */
static int put_quoted(struct json_writer *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, plain = 0;
	char buf[8];

	put(w, "\"", 1);
	while (i < n) {
		/* Printable ASCII but the quote and the backslash, most of any text, is decided
		 * here: status.json writes a few keys and values for each workload (issue 16). */
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
			i++;
			plain++;
			continue;
		}
		size_t len = utf8_seq_len(p + i, n - i);
		const char *esc = len ? escape_for(p + i, len, buf) : "\\ufffd";

		if (!esc) {
			i += len;
			plain += len;
			continue;
		}
		/* Plain text is copied in runs, escapes one at a time. */
		put(w, s + i - plain, plain);
		plain = 0;
		puts_(w, esc);
		i += len ? len : 1;
	}
	put(w, s + i - plain, plain);
	return put(w, "\"", 1);
}

int json_write_string_len(struct json_writer *w, const char *s, size_t n)
{
	if (!s)
		return json_write_null(w);
	if (w->error)
		return w->error;
	/* Checked before the structure moves on, so a refused string leaves nothing half-written.
	 */
	if (!(w->flags & JSON_LOSSY) && !utf8_is_valid(s, n))
		return json_fail(w, -EILSEQ);
	if (value_begin(w) < 0 || put_quoted(w, s, n) < 0)
		return w->error;
	value_end(w);
	return 0;
}

int json_write_string(struct json_writer *w, const char *s)
{
	return s ? json_write_string_len(w, s, strlen(s)) : json_write_null(w);
}

int json_write_key(struct json_writer *w, const char *key)
{
	size_t n;

	if (w->error)
		return w->error;
	if (!key || w->depth == 0 || w->stack[w->depth - 1] != '{' || w->want_value)
		return json_fail(w, -EINVAL);
	n = strlen(key);
	if (!(w->flags & JSON_LOSSY) && !utf8_is_valid(key, n))
		return json_fail(w, -EILSEQ);
	if (w->has_items[w->depth] && put(w, ",", 1) < 0)
		return w->error;
	w->has_items[w->depth] = true;
	if (put_quoted(w, key, n) < 0 || put(w, ":", 1) < 0)
		return w->error;
	w->want_value = true;
	return 0;
}

static int write_raw(struct json_writer *w, const char *text)
{
	if (value_begin(w) < 0 || puts_(w, text) < 0)
		return w->error;
	value_end(w);
	return 0;
}

/* u in decimal, minus first when negative, written backwards from end (NUL included); returns
 * where it starts. By hand, not snprintf: status.json has four numbers for each workload. */
static char *decimal(char *end, unsigned long long u, bool negative)
{
	*--end = '\0';
	do
		*--end = (char)('0' + u % 10);
	while ((u /= 10));
	if (negative)
		*--end = '-';
	return end;
}

int json_write_int(struct json_writer *w, long long v)
{
	char buf[24]; /* "-9223372036854775808" and its NUL */
	unsigned long long magnitude = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	return write_raw(w, decimal(buf + sizeof(buf), magnitude, v < 0));
}

int json_write_uint(struct json_writer *w, unsigned long long v)
{
	char buf[24];

	return write_raw(w, decimal(buf + sizeof(buf), v, false));
}

int json_write_bool(struct json_writer *w, bool v)
{
	return write_raw(w, v ? "true" : "false");
}

int json_write_null(struct json_writer *w)
{
	return write_raw(w, "null");
}

int json_writer_flush(struct json_writer *w, json_sink_fn *sink, void *payload)
{
	int r;

	if (w->error)
		return w->error;
	if (w->len == 0)
		return 0;
	r = sink(payload, w->buf, w->len);
	if (r < 0)
		return json_fail(w, r);
	w->flushed += w->len;
	w->len = 0;
	w->buf[0] = '\0';
	return 0;
}

int json_writer_finish(struct json_writer *w, char **ret, size_t *ret_len)
{
	if (w->error)
		return w->error;
	if (!w->done)
		return json_fail(w, -EINVAL);
	*ret = w->buf;
	if (ret_len)
		*ret_len = w->len;
	w->buf = NULL;
	w->len = w->alloc = 0;
	return 0;
}
