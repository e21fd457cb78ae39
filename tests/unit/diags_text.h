/* diags_text.h: a diagnostics list as text, for the unit tests that compare it whole. */
#ifndef TAILPOD_TEST_DIAGS_TEXT_H
#define TAILPOD_TEST_DIAGS_TEXT_H

#include <stdio.h>

#include "diag.h"

/* The diagnostics as "path:line: message" lines (a static buffer, overwritten by each call). */
static inline char *diags_text(const struct diag_list *d)
{
	static char buf[65536];
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < d->n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s:%u: %s\n", d->items[i].path,
				      d->items[i].line, d->items[i].msg);
	return buf;
}

#endif
