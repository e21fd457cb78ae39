/* ini.h: systemd/Quadlet unit-file syntax — ordered sections, entries, comments and blank lines, a
 * byte-exact round trip, lookups, and the edits the transform merge is built from. The model keeps
 * the raw text of every line, so parse then serialize gives back the input byte for byte; edited
 * and added lines are written as "Key=Value". Applets read the structs directly and change them
 * only through the ini_* edit functions. */
#ifndef TAILPOD_INI_H
#define TAILPOD_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Input bounds. Each error message names the bound it hit. */
enum {
	INI_FILE_MAX = 1024 * 1024, /* bytes in one file */
	INI_LINE_MAX = 64 * 1024,   /* bytes in one physical or logical (continued) line */
	INI_LINES_MAX = 65536,	    /* logical lines: entries, comments and blank lines */
	INI_ENTRIES_MAX = 8192,	    /* Key=Value entries */
	INI_SECTIONS_MAX = 1024,    /* [Section] headers */
};

enum ini_line_type {
	INI_LINE_BLANK,	  /* empty or whitespace only */
	INI_LINE_COMMENT, /* first non-blank character is '#' or ';' */
	INI_LINE_ENTRY,	  /* Key=Value */
};

/* One logical line. A continued entry owns all its physical lines, comment lines inside the
 * continuation included, so raw is the exact source text from its first byte to its last line
 * terminator (none on a last line that had none). */
struct ini_line {
	enum ini_line_type type;
	unsigned line; /* first physical line in the source, 1-based; 0 if added by an edit */
	char *raw;
	char *key;   /* INI_LINE_ENTRY only: the key, whitespace trimmed */
	char *value; /* INI_LINE_ENTRY only: the logical value, continuations joined, trimmed */
	bool open;   /* the source ended inside this line's continuation */
};

/* A section header and the lines up to the next header. The preamble (lines before the first
 * header) has no name and no raw header. Sections with the same name stay separate, in order. */
struct ini_section {
	char *name;
	unsigned line; /* line of the header, 0 if added by an edit or for the preamble */
	char *raw;     /* the header's source text */
	bool open;     /* as in struct ini_line */
	struct ini_line *lines;
	size_t n_lines;
	size_t n_alloc;
};

struct ini {
	struct ini_section preamble; /* only comments and blank lines */
	struct ini_section *sections;
	size_t n_sections;
	size_t n_alloc;
	size_t n_lines;	  /* logical lines in the whole document, for INI_LINES_MAX */
	size_t n_entries; /* for INI_ENTRIES_MAX */
	const char *eol;  /* "\n", or "\r\n" if the source's first line ended so: used by edits */
	/* Where all of the above lives, this struct too, freed only with the document
	 * (core/ini_arena.c; issue 16: a malloc per line, key and edit cost check most). */
	struct ini_chunk *chunks;
};

/* Where and why a parse failed: where is the name passed in, for "name:line: msg"; msg is ""
 * when the errno says it all (-ENOMEM, read errors); line is 0 when the failure is not tied to a
 * line. */
struct ini_error {
	ERROR_DETAIL_MEMBERS;
};

enum {
	INI_GET_ALL_RESET = 1 << 0, /* an empty value clears the values before it (list keys) */
};

int ini_new(struct ini **ret);
struct ini *ini_free(struct ini *ini);

/* The memory freed documents leave for the next ones (core/ini_arena.c) is a cache the threads
 * share; ini_cache_use(own) gives this thread own (zeroed) instead, until ini_cache_use(NULL),
 * and ini_cache_release frees what own keeps. For a thread that parses many documents beside
 * another (core/spec_parts.c). */
enum { INI_CACHE_SLOTS = 8 };
struct ini_cache {
	struct ini_chunk *slots[INI_CACHE_SLOTS];
};
void ini_cache_use(struct ini_cache *own);
void ini_cache_release(struct ini_cache *own);

/* Parse. err may be NULL; it is filled on failure only. Syntax errors return -EBADMSG, a file
 * larger than INI_FILE_MAX -EFBIG, other exceeded bounds -E2BIG. ini_parse_fd reads a regular
 * file only; ini_parse_path opens with O_NOFOLLOW and refuses what is not a regular file (-ELOOP,
 * -EISDIR, -EBADFD: fs.h). */
int ini_parse(const char *name, const char *buf, size_t size, struct ini **ret,
	      struct ini_error *err);
int ini_parse_fd(const char *name, int fd, struct ini **ret, struct ini_error *err);
int ini_parse_path(const char *path, struct ini **ret, struct ini_error *err);

/* The document as text, NUL-terminated; *ret_size excludes the NUL. ini_serialize_into writes the
 * same into out, a buffer of cap bytes the caller reuses, and returns the text's length: when that
 * is not below cap, out holds no whole text; call again with at least the length + 1. */
int ini_serialize(const struct ini *ini, char **ret, size_t *ret_size);
size_t ini_serialize_into(const struct ini *ini, char *out, size_t cap);

/* Lookups compare names and keys exactly (case-sensitive, as systemd) and look through every
 * section of that name. ini_get gives the last value (NULL if none), as systemd reads a key set
 * twice. ini_get_all gives all values in order as an array to free() (NULL when there are none);
 * the strings in it, like every value returned here, belong to the document. */
struct ini_section *ini_section_find(const struct ini *ini, const char *name);
struct ini_section *ini_section_find_last(const struct ini *ini, const char *name);
const char *ini_get(const struct ini *ini, const char *section, const char *key);
int ini_get_all(const struct ini *ini, const char *section, const char *key, unsigned flags,
		const char ***ret_values, size_t *ret_n);

/* Edits, the pieces of the transform merge. New lines are written "Key=Value" or "[Name]" with
 * the document's line end. Keys and values must read back unchanged, else -EINVAL: keys without
 * control characters, '=' or surrounding blanks, not starting with '#', ';' or '['; values without
 * line breaks, surrounding blanks or a trailing unpaired backslash; both valid UTF-8. Bounds give
 * -E2BIG. An edit may move ini->sections and section->lines, so find pointers again after it.
 * What an edit adds lives in the document's memory, and what it replaces or removes stays there
 * until ini_free(): a document is edited a bounded number of times, then freed. */

/* Index just after the section's last entry (0 if none), so that an appended entry lands before
 * the comments and blank lines that lead into the next section. */
size_t ini_section_end(const struct ini_section *section);
/* Append "[name]" at the end of the document; *ret (if ret) is the new section. */
int ini_section_append(struct ini *ini, const char *name, struct ini_section **ret);
/* Insert an entry at lines[pos] of a section (not the preamble); 0 <= pos <= n_lines. */
int ini_entry_insert(struct ini *ini, struct ini_section *section, size_t pos, const char *key,
		     const char *value);
/* Append an entry at ini_section_end() of the last section named section, or of a new one. */
int ini_entry_append(struct ini *ini, const char *section, const char *key, const char *value);
/* Insert a blank line; not before a byte-order mark on line 1. */
int ini_blank_insert(struct ini *ini, struct ini_section *section, size_t pos);
/* The same edits with lines made once and inserted into many documents (issue 16: the transform
 * merge made and checked the same lines again for every spec). ini_entry_make and
 * ini_section_make build an entry or a header ending in eol ("\n" or "\r\n") in owner's memory,
 * refused as the edits above refuse them; ini_entry_insert_made and ini_section_append_made put
 * one into ini, whose line end must be the one it was made with (-EINVAL otherwise). The document
 * then borrows the made text: owner must outlive it, and neither may change the text. */
struct ini_made_entry {
	struct ini_line line;
	bool crlf; /* made with "\r\n" */
};
struct ini_made_header {
	char *name, *raw;
	bool crlf;
};
int ini_entry_make(struct ini *owner, const char *key, const char *value, const char *eol,
		   struct ini_made_entry *ret);
int ini_section_make(struct ini *owner, const char *name, const char *eol,
		     struct ini_made_header *ret);
int ini_entry_insert_made(struct ini *ini, struct ini_section *section, size_t pos,
			  const struct ini_made_entry *made);
int ini_section_append_made(struct ini *ini, const struct ini_made_header *made,
			    struct ini_section **ret);
/* The next three have no caller in the tree yet: issue 17's `secret edit` changes one [Secrets]
 * value in place (ini_set) and its deploy removes [Secrets] (ini_remove, ini_line_remove). */
/* Replace the last entry for key in place (earlier ones stay, as in Podman's Set), or append. */
int ini_set(struct ini *ini, const char *section, const char *key, const char *value);
/* Remove every entry for key in every section named section; returns how many. */
int ini_remove(struct ini *ini, const char *section, const char *key);
/* Remove lines[pos] of a section, whatever its type. */
int ini_line_remove(struct ini *ini, struct ini_section *section, size_t pos);
/* Remove sections[index], its header and every line of it (a deployed spec's [Secrets]). */
int ini_section_remove(struct ini *ini, size_t index);

#endif
