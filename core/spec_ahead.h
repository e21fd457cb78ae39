/* spec_ahead.h: the specs of a scope parsed on a second thread while the build works through them
 * (issue 16: the parse was a fifth of check's instructions, on one CPU while the other idled).
 * For the spec builder. spec_ahead_start() is given the files in the order the build will want
 * them; spec_ahead_take() gives file i's parse exactly as ini_parse() made it, in that order
 * (files the build skips are thrown away). The parser runs at most SPEC_AHEAD_WINDOW documents
 * ahead of the build, so memory stays bounded whatever the scope's size. Fewer than
 * SPEC_AHEAD_MIN files, a process on one CPU, or a thread that cannot start: every parse is made
 * by spec_ahead_take() on the caller's thread instead, with the same results. */
#ifndef TAILPOD_SPEC_AHEAD_H
#define TAILPOD_SPEC_AHEAD_H

#include <stddef.h>

#include "fileset.h"
#include "ini.h"

enum {
	SPEC_AHEAD_WINDOW = 64, /* parsed documents held for the build at most */
	SPEC_AHEAD_MIN = 32,	/* fewer files are parsed on the caller's thread */
};

struct spec_ahead;

/* Start parsing files[0..n), which must stay as they are until spec_ahead_stop(); -ENOMEM. */
int spec_ahead_start(const struct fileset_file *const *files, size_t n, struct spec_ahead **ret);

/* ini_parse()'s result for files[i] (name: its path), the document now the caller's. Calls must
 * come in increasing i; a parse skipped over is freed. */
int spec_ahead_take(struct spec_ahead *a, size_t i, struct ini **ret, struct ini_error *err);

/* Stop the parser, join its thread and free what the build did not take; NULL is fine. */
void spec_ahead_stop(struct spec_ahead *a);

#endif
