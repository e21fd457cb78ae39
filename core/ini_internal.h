/* ini_internal.h: what ini.c (model, lookups) and ini_parse.c (parser) share with ini_edit.c
 * (the edits) and ini_emit.c (the serializer), and nothing else may use: the syntax predicates both
 * sides must agree on, the model's release and insert primitives, which keep the document's line
 * and entry counts, and the lookup of the entry ini_get reads. Applets include ini.h only. */
#ifndef TAILPOD_INI_INTERNAL_H
#define TAILPOD_INI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "core.h"
#include "ini.h"

#define INI_UTF8_BOM "\xef\xbb\xbf" /* skipped on line 1 only */

static inline bool ini_char_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool ini_line_is_key(const struct ini_line *l, const char *key)
{
	return l->type == INI_LINE_ENTRY && str_is(l->key, key);
}

/* The document can take one more line of this type (INI_LINES_MAX, INI_ENTRIES_MAX). */
static inline bool ini_line_fits(const struct ini *ini, enum ini_line_type type)
{
	return ini->n_lines < INI_LINES_MAX &&
	       (type != INI_LINE_ENTRY || ini->n_entries < INI_ENTRIES_MAX);
}

/* What the parser learns from one pass over a file before it parses it (ini_scan.c). */
struct ini_scan {
	size_t newlines; /* '\n' bytes: the file has one physical line more */
	size_t brackets; /* '[' bytes: no fewer than its section headers */
	bool nul_or_cr;	 /* a NUL or a '\r' byte somewhere: only then are lines searched for them */
};

void ini_scan_file(const char *buf, size_t n, struct ini_scan *ret);
/* The offset of the first '\n' in s[0..n), or n when there is none. */
size_t ini_scan_eol(const char *s, size_t n);

/* True when the line end after s[0..n) is escaped: the last of an odd run of backslashes. */
bool ini_ends_escaped(const char *s, size_t n);
/* A header name: non-empty UTF-8 without control characters, quotes, backslashes or brackets. */
bool ini_section_name_valid(const char *s, size_t n);
/* No control characters. */
bool ini_key_chars_valid(const char *s, size_t n);

/* The document's memory (ini_arena.c). ini_arena_new makes a document whose first chunk has
 * room for n more bytes; ini_arena_alloc gives n bytes aligned to align (a power of two) that
 * live as long as the document, NULL when out of memory; ini_arena_free gives back every chunk,
 * the struct ini with them. */
int ini_arena_new(size_t n, struct ini **ret);
void *ini_arena_alloc(struct ini *ini, size_t n, size_t align);
char *ini_arena_strndup(struct ini *ini, const char *s, size_t n);
void ini_arena_free(struct ini *ini);

/* Make room for element n of a document's array of n_alloc elements of size bytes, doubling from
 * 8 into the arena (the old array stays there, unused: geometric growth bounds that to the size
 * of the final array). */
int ini_array_grow(struct ini *ini, void **array, size_t *n_alloc, size_t n, size_t size,
		   size_t align);

/* Insert *l at lines[pos] of s, enforcing INI_LINES_MAX and INI_ENTRIES_MAX (-E2BIG). */
int ini_line_insert(struct ini *ini, struct ini_section *s, size_t pos, struct ini_line *l);

/* The last entry for key across every section named section, as systemd reads duplicates. */
struct ini_line *ini_entry_find_last(const struct ini *ini, const char *section, const char *key);

#endif
