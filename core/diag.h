/* diag.h: diagnostics about a desired state — a bounded list of (path, line, message) errors that
 * the repo loader, the transform loader and the spec checks append to, sorted and deduplicated
 * before anyone reads it. Core fills the list and never prints it; the applet decides the form
 * (gcc-style lines or JSON). A problem of a whole file (its name, a missing section, a collision)
 * is reported on line 1, so that every diagnostic reads "path:line:" and an editor can jump to it.
 */
#ifndef TAILPOD_DIAG_H
#define TAILPOD_DIAG_H

#include <limits.h>
#include <stddef.h>

#include "bounds.h"

enum {
	DIAG_MAX = 100000,   /* diagnostics kept; more are only counted in n_dropped */
	DIAG_MSG_MAX = 1024, /* bytes in one message; longer ones are cut */
	DIAG_QUOTE_MAX = 80, /* bytes of a quoted user value inside a message (DIAG_QUOTE) */
};

/* printf arguments that quote at most DIAG_QUOTE_MAX bytes of s: "%.*s", DIAG_QUOTE(s). */
#define DIAG_QUOTE(s) (int)DIAG_QUOTE_MAX, (s)

struct diag {
	char *path; /* as the user names it: label "/" relative path, cut to PATH_MAX - 1 bytes */
	unsigned line;
	char *msg; /* lowercase, no final period */
};

struct diag_list {
	struct diag *items;
	size_t n;
	size_t n_alloc;
	size_t n_dropped; /* past DIAG_MAX */
	int error;	  /* the first failure of diag_add (-ENOMEM), sticky, so long runs of checks
			   * may test it once at the end */
};

/* Append one diagnostic about label/relpath (label "" or "." means relpath alone; relpath NULL
 * or "" means label alone). 0 on success, also when the item was dropped past DIAG_MAX;
 * -ENOMEM, also remembered in list->error. */
int diag_add(struct diag_list *list, const char *label, const char *relpath, unsigned line,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* label/relpath as diagnostics name it (rules as in diag_add), malloc'd; NULL on -ENOMEM. */
char *diag_path_join(const char *label, const char *relpath);
/* The same written into buf, which it returns: for a name used and dropped at once (issue 16: a
 * malloc and a free for every unit a build adds). */
char *diag_path_join_buf(char buf[PATH_MAX], const char *label, const char *relpath);

/* Sort by path, then line, then message, and drop exact duplicates (the same problem seen by two
 * checks, e.g. a transform line seen once per spec it is merged into). */
void diag_list_sort(struct diag_list *list);

/* Diagnostics in the list, dropped ones included. */
size_t diag_list_count(const struct diag_list *list);

void diag_list_release(struct diag_list *list);

/* For a build in parts on threads, each with its own list (core/spec_parts.c):
 * diag_list_truncate drops what was added since list->n was n and list->n_dropped was dropped;
 * diag_list_move appends from's items [start, end) to to (past DIAG_MAX they are freed and
 * counted), after which they are to's; diag_list_moved ends from: its dropped count and its error
 * go to to, and what was not moved is freed. */
void diag_list_truncate(struct diag_list *list, size_t n, size_t dropped);
int diag_list_move(struct diag_list *to, struct diag_list *from, size_t start, size_t end);
void diag_list_moved(struct diag_list *to, struct diag_list *from);

#endif
