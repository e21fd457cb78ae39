/* envfile.h: systemd EnvironmentFile= semantics — KEY=VALUE lines with quotes, escapes, comments
 * and continuations, parsed into an ordered, bounded list that is wiped when freed, because values
 * are often secrets. Problems systemd ignores come back as diagnostics (line and a static message,
 * never the text) for the applet to log with ", ignoring". */
#ifndef TAILPOD_ENVFILE_H
#define TAILPOD_ENVFILE_H

#include <stddef.h>

#include "error.h"

/* Input bounds. Each error message names the bound it hit. */
enum {
	ENVFILE_FILE_MAX = 1024 * 1024, /* bytes in one file */
	ENVFILE_KEY_MAX = 4096,		/* bytes in a name; a longer line without '=' is dropped */
	ENVFILE_VALUE_MAX = 128 * 1024, /* bytes in one value, after unquoting */
	ENVFILE_ENTRIES_MAX = 4096,	/* distinct variables */
	ENVFILE_DIAGS_MAX = 32,		/* diagnostics kept; more are only counted */
};

struct envfile_entry {
	char *key;
	char *value;
	unsigned line; /* where the value in effect was assigned (the last assignment) */
};

/* A non-fatal problem: the line is dropped, or (unterminated quote) read as systemd reads it. */
struct envfile_diag {
	unsigned line;
	const char *msg; /* static, ends in ", ignoring" when the line is dropped */
};

/* Variables in order of first assignment; a later assignment replaces the value in place. */
struct envfile {
	struct envfile_entry *entries;
	size_t n_entries;
	size_t n_alloc;
	struct envfile_diag diags[ENVFILE_DIAGS_MAX];
	size_t n_diags;
	size_t n_diags_dropped;
};

/* Where and why a parse failed: where is the name passed in, msg "" when the errno says it all,
 * line 0 when the failure is not tied to a line. */
struct envfile_error {
	ERROR_DETAIL_MEMBERS;
};

/* err may be NULL; it is filled on failure only. Invalid UTF-8 and NUL bytes return -EBADMSG, a
 * file larger than ENVFILE_FILE_MAX -EFBIG, other exceeded bounds -E2BIG. envfile_parse_fd reads
 * a regular file only, with FS_READ_SECURE; envfile_parse_path opens with O_NOFOLLOW and refuses
 * what is not a regular file (-ELOOP, -EISDIR, -EBADFD: fs.h). */
int envfile_parse(const char *name, const char *buf, size_t size, struct envfile **ret,
		  struct envfile_error *err);
int envfile_parse_fd(const char *name, int fd, struct envfile **ret, struct envfile_error *err);
int envfile_parse_path(const char *path, struct envfile **ret, struct envfile_error *err);

/* The value of key (borrowed), or NULL. */
const char *envfile_get(const struct envfile *ef, const char *key);

/* Wipes every key and value before freeing them. */
struct envfile *envfile_free(struct envfile *ef);

#endif
