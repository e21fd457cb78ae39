/* spec_ahead.h: the specs of a build parsed on a second thread while the build works through them
 * (issue 16: the parse was a fifth of check's instructions, on one CPU while the other idled).
 * For the spec builder. One parser thread serves a whole build, scope after scope (a thread for
 * each scope cost a thread's start each, and under qemu-user memory never given back).
 * spec_ahead_begin() is given a scope's files in the order the build will want them;
 * spec_ahead_take() gives file i's parse exactly as ini_parse() made it, in that order (files the
 * build skips are thrown away); spec_ahead_end() finishes the scope. The parser runs at most
 * SPEC_AHEAD_WINDOW documents ahead of the build, so memory stays bounded whatever the scope's
 * size. A scope of fewer than SPEC_AHEAD_MIN files, a process on one CPU, or a thread that cannot
 * start: spec_ahead_take() parses on the caller's thread instead, with the same results. */
#ifndef TAILPOD_SPEC_AHEAD_H
#define TAILPOD_SPEC_AHEAD_H

#include <stddef.h>

#include "fileset.h"
#include "ini.h"

enum {
	SPEC_AHEAD_WINDOW = 64, /* parsed documents held for the build at most */
	SPEC_AHEAD_MIN = 32,	/* a smaller scope is parsed on the caller's thread */
};

struct spec_ahead;

/* A parser for a build; its thread starts with the first scope that needs it. -ENOMEM. */
int spec_ahead_new(struct spec_ahead **ret);
/* Join the thread and free; NULL is fine. */
void spec_ahead_free(struct spec_ahead *a);

/* Parse files[0..n), which must stay as they are until spec_ahead_end(). The last scope must
 * have ended. */
void spec_ahead_begin(struct spec_ahead *a, const struct fileset_file *const *files, size_t n);
/* ini_parse()'s result for files[i] (name: its path), the document now the caller's. Calls must
 * come in increasing i (-EINVAL otherwise); a parse skipped over is freed. */
int spec_ahead_take(struct spec_ahead *a, size_t i, struct ini **ret, struct ini_error *err);
/* Stop parsing the scope and free what the build did not take; the thread waits for the next. */
void spec_ahead_end(struct spec_ahead *a);

#endif
