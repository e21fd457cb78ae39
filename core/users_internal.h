/* users_internal.h: what users.c (passwd, group) shares with users_defs.c (login.defs, subuid,
 * subgid): the bounded file read and the line cursor every one of those files is cut with. Not for
 * applets. */
#ifndef TAILPOD_USERS_INTERNAL_H
#define TAILPOD_USERS_INTERNAL_H

#include "users.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	PASSWD_FIELDS = 7,
	GROUP_FIELDS = 4,
	SUBID_FIELDS = 3,
	ID_INVALID = UINT32_MAX, /* (uid_t)-1 is never a real id */
	MEMBERS_SCAN_MAX = 16,	 /* a group listing fewer members is scanned, not hashed */
};

/* login.defs fields are filled through uint32_t pointers. */
_Static_assert(sizeof(uid_t) == sizeof(uint32_t) && sizeof(gid_t) == sizeof(uint32_t),
	       "uid_t and gid_t are 32 bits");

/* Cursor over the lines of a NUL-terminated buffer, cut in place. */
struct lines {
	char *next;
	char *end;
	unsigned line;
	const char *path; /* for diagnostics */
	struct diag_list *diags;
};

/* Read path whole, at most USERS_FILE_MAX bytes. The files are root's own (/etc, /usr/lib): a
 * symlink there is followed, as libc does. */
int users_read_file(const char *path, char **ret, size_t *ret_len);
/* Join root and path into full (users_path_below), read it (users_read_file) into *ret_buf and
 * point l at its lines. */
int users_lines_open(const char *root, const char *path, char full[PATH_MAX], char **ret_buf,
		     struct lines *l);
/* Report a skipped line; a failed allocation is remembered in diags->error. */
void users_lines_skip(struct lines *l, const char *fmt, const char *what);
/* Report a limit that was hit; the message names the limit (DESIGN.md §4.8). */
void users_lines_skip_limit(struct lines *l, const char *fmt, unsigned limit);
/* The next line worth parsing (not empty, not a '#' comment), NUL-terminated, or NULL at the end.
 * Too long lines and lines with a NUL byte are skipped with a diagnostic. */
char *users_lines_next(struct lines *l);
/* Cut s at ':' into exactly n fields; false when the count differs. */
bool users_split_fields(char *s, char **f, size_t n);
/* A decimal id, 0..2^32-2, digits only. */
bool users_parse_id(const char *s, uint32_t *ret);
/* users.c: one passwd line into *u when users_db_load() would keep it (a name db has already
 * is a duplicate); false, reported in l->diags when set, when not. */
bool users_passwd_parse_line(struct lines *l, const struct users_db *db, char *s,
			     struct users_user *u);
/* users_compact.c: db's strings into buffers of their own size, the files' buffers freed. */
int users_db_compact(struct users_db *db);

#endif
