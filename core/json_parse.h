/* json_parse.h: a bounded, strict JSON reader for HTTP API answers (RFC 8259): the whole document
 * is validated — nesting depth, input size, string length and value count bounded, UTF-8 and
 * escapes checked, no trailing garbage — and the string members of the top-level object that the
 * caller names are decoded into owned, NUL-terminated copies. Everything else is only validated.
 * Core module: no printing; 0 on success, negative errno on failure with an offset and a static
 * message. */
#ifndef TAILPOD_JSON_PARSE_H
#define TAILPOD_JSON_PARSE_H

#include <stddef.h>

#include "error.h"

/* Input bounds. Each error message names the bound it hit (-E2BIG). */
enum {
	JSON_PARSE_INPUT_MAX = 1024 * 1024, /* bytes in one document */
	JSON_PARSE_DEPTH_MAX = 64,	    /* nested objects and arrays */
	JSON_PARSE_STRING_MAX = 64 * 1024,  /* raw bytes in one string, keys included */
	JSON_PARSE_VALUES_MAX = 65536,	    /* values in one document, members' keys not counted */
};

/* Where and why a parse failed: offset is the byte where it was noticed. */
struct json_parse_error {
	ERROR_DETAIL_MEMBERS;
	size_t offset;
};

/* One wanted member of the top-level object. key is set by the caller; value is NULL when the
 * member is absent (or null), else a malloc'd decoded copy of value_len bytes plus a NUL. */
struct json_parse_field {
	const char *key;
	char *value;
	size_t value_len;
};

/* Validate buf[0..len) as one JSON value. -EBADMSG on a syntax error, -E2BIG on a bound. */
int json_parse_validate(const char *buf, size_t len, struct json_parse_error *err);

/* Validate buf as a JSON object and fill each field whose key is a member of it. A wanted member
 * that is not a string (nor null), occurs twice or decodes to a string containing U+0000 is
 * -EBADMSG. On failure no field is set; on success the caller owns the values and releases them
 * with json_parse_fields_release(). err may be NULL. */
int json_parse_strings(const char *buf, size_t len, struct json_parse_field *fields,
		       size_t n_fields, struct json_parse_error *err);

/* Wipe and free the values of fields[0..n) and set them to NULL; values are often secrets. */
void json_parse_fields_release(struct json_parse_field *fields, size_t n);

#endif
