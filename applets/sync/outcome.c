/* outcome.c: one workload's outcome as the report keeps it. Its texts (the error, the repairs,
 * the held commit) are allocated only when set: most outcomes have none, and a no-op of 10 000
 * workloads keeps 10 000 outcomes until status.json is written (issue 16: 880 bytes each with
 * the texts in fixed arrays, 88 without). Each text keeps the bound its array had. */
#include "sync/sync.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a text holds when its copy cannot be allocated: never freed. */
static char text_oom[] = "(out of memory for this message)";

static void text_free(char *text)
{
	if (text != text_oom)
		free(text);
}

static void text_set(char **slot, const char *text)
{
	char *copy = strdup(text);

	text_free(*slot);
	*slot = copy ? copy : text_oom;
}

const char *sync_outcome_text(const char *text)
{
	return text ? text : "";
}

/* prefix (may be "") then fmt, cut to SYNC_ERROR_MAX - 1 bytes. */
static void error_vset(struct sync_outcome *out, const char *prefix, const char *fmt, va_list ap)
{
	char error[SYNC_ERROR_MAX];
	int n = snprintf(error, sizeof(error), "%s", prefix);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(error) ? (size_t)n : sizeof(error) - 1;

	if (vsnprintf(error + len, sizeof(error) - len, fmt, ap) < 0)
		error[len] = '\0';
	text_set(&out->error, error);
}

void sync_outcome_set_error(struct sync_outcome *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(out, "", fmt, ap);
	va_end(ap);
}

void sync_outcome_fail(struct sync_outcome *out, const char *step, const char *fmt, ...)
{
	char prefix[SYNC_ERROR_MAX] = "";
	va_list ap;

	if (step)
		snprintf(prefix, sizeof(prefix), "%s failed: ", step);
	va_start(ap, fmt);
	error_vset(out, prefix, fmt, ap);
	va_end(ap);
	if (out->result == SYNC_OK)
		out->result = SYNC_FAILED;
	log_error("%s: %s", out->name, out->error);
}

void sync_outcome_add_repair(struct sync_outcome *out, const char *what)
{
	char repairs[SYNC_REPAIRS_MAX];
	const char *had = sync_outcome_text(out->repairs);

	snprintf(repairs, sizeof(repairs), "%s%s%s", had, had[0] ? ", " : "", what);
	text_set(&out->repairs, repairs);
}

void sync_outcome_set_held(struct sync_outcome *out, const char *commit)
{
	text_set(&out->held_commit, commit);
}
