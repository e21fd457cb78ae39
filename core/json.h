/* json.h: a small JSON writer into memory for machine-readable output (check --json, status.json,
 * mint-key answers). The writer keeps the structure right by itself (commas, keys only inside
 * objects, one top-level value, balanced ends), bounds nesting and output size, and escapes every
 * string so the text is safe to print or embed: quotes, backslashes and all control characters (C0,
 * DEL, C1, U+2028 and U+2029) are escaped; input that is not UTF-8 is refused, or with JSON_LOSSY
 * each bad byte becomes U+FFFD. Errors are sticky: after the first one every call returns it and
 * json_writer_finish() reports it, so callers may check once at the end. */
#ifndef TAILPOD_JSON_H
#define TAILPOD_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum {
	JSON_DEPTH_MAX = 32,		  /* nested objects and arrays */
	JSON_OUT_MAX = 256 * 1024 * 1024, /* largest output bound json_writer_init accepts */
};

enum json_flags {
	JSON_LOSSY = 1 << 0, /* replace bytes that are not UTF-8 with U+FFFD instead of -EILSEQ */
};

struct json_writer {
	char *buf;
	size_t len, alloc;
	size_t max;			    /* output bound in bytes: -E2BIG past it */
	size_t flushed;			    /* bytes handed out by json_writer_flush */
	unsigned flags;			    /* enum json_flags */
	unsigned depth;			    /* open containers */
	char stack[JSON_DEPTH_MAX];	    /* '{' or '[' per open container */
	bool has_items[JSON_DEPTH_MAX + 1]; /* a value is already in this container */
	bool want_value;		    /* a key was written: its value comes next */
	bool done;			    /* the top-level value is complete */
	int error;			    /* the first failure, sticky */
};

/* Start an empty document of at most max bytes (0 or more than JSON_OUT_MAX: JSON_OUT_MAX). */
void json_writer_init(struct json_writer *w, size_t max, unsigned flags);

/* Containers. -ELOOP deeper than JSON_DEPTH_MAX, -EINVAL for an end that does not match or a
 * value where a key is due. */
int json_begin_object(struct json_writer *w);
int json_end_object(struct json_writer *w);
int json_begin_array(struct json_writer *w);
int json_end_array(struct json_writer *w);

/* An object member's name; -EINVAL outside an object or twice in a row. */
int json_write_key(struct json_writer *w, const char *key);

/* Values. A NULL string writes null. -EILSEQ for text that is not UTF-8 (unless JSON_LOSSY). */
int json_write_string(struct json_writer *w, const char *s);
int json_write_string_len(struct json_writer *w, const char *s, size_t n);
int json_write_int(struct json_writer *w, long long v);
int json_write_uint(struct json_writer *w, unsigned long long v);
int json_write_bool(struct json_writer *w, bool v);
int json_write_null(struct json_writer *w);

/* The finished document (NUL-terminated, no final newline) handed to the caller, who frees it;
 * the writer is left empty. -EINVAL when the document is incomplete, or the sticky error. */
int json_writer_finish(struct json_writer *w, char **ret, size_t *ret_len);

/* Where json_writer_flush hands text: 0, or a negative errno. */
typedef int json_sink_fn(void *payload, const char *text, size_t len);

/* Hand the text written so far to sink (its payload, the bytes) and empty the buffer, the
 * document's structure kept: a long document goes out in pieces and is never whole in memory; the
 * bound max counts every byte, flushed or not, and json_writer_finish returns the rest. sink's
 * negative return is returned, and sticky like any error. */
int json_writer_flush(struct json_writer *w, json_sink_fn *sink, void *payload);

/* Free what the writer holds (after an error, or instead of finishing). */
void json_writer_release(struct json_writer *w);

#endif
