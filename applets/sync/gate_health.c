/* gate_health.c: what the health gate (gate.c, issue 21) learns beyond a unit's cgroup. The probe
 * of a workload's `[X-Tailpod] HealthURL=` (core/http's loopback probe: plain http:// to
 * 127.0.0.0/8, ::1 or localhost only, since the repository names it), at most once a second, each
 * bounded by a second and the gate's deadline. And the detail a failed gate adds to its reason —
 * the unit's state and result as its user manager has them, then its last journal lines (when
 * journalctl is there), so that status.json, the record and the log say why without a trip to the
 * host. The journal holds whatever the container printed, so every value of the workload's
 * [Secrets] is masked out of those lines first, and when the values cannot be read (no host
 * identity) the lines are left out: a reason never carries a secret. Everything here only adds
 * detail; a command that fails adds nothing. */
#include "sync/apply.h"

#include "core.h"
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
	PROBE_EVERY_MS = 1000,	   /* between two probes of a HealthURL, and each one's bound */
	EXPLAIN_JOURNAL_LINES = 3, /* the last lines of the unit's journal in a reason */
	EXPLAIN_MAX = 2048,	   /* bytes of detail gathered before the reason's bound */
};

/* The journal's lines are cut at EXPLAIN_MAX, where a secret's value may be cut too and escape
 * the mask; the reason keeps only its first STATE_REASON_MAX bytes, so such a cut never reaches
 * it. */
_Static_assert((int)EXPLAIN_MAX > (int)STATE_REASON_MAX,
	       "a cut journal line must lie beyond the reason");

void sync_gate_probe(const char *url, struct sync_probe *p, long long now, long long deadline)
{
	struct http_error err = {0};
	long long until = now + PROBE_EVERY_MS < deadline ? now + PROBE_EVERY_MS : deadline;
	int status = 0, r;

	if (now < p->next)
		return;
	p->next = now + PROBE_EVERY_MS;
	r = http_probe(url, (uint64_t)(until > now ? until : now + 1), &status, &err);
	p->ok = r >= 0 && status >= 200 && status < 400;
	if (r < 0)
		snprintf(p->msg, sizeof(p->msg), "%.80s%s%.60s", err.msg, *err.msg ? ": " : "",
			 strerror(-r));
	else if (!p->ok)
		snprintf(p->msg, sizeof(p->msg), "answered %d", status);
}

void sync_gate_explain(const struct sync_ctx *ctx, const struct spec_workload *w, uid_t uid,
		       const char *unit, long long since_s, char reason[STATE_REASON_MAX + 1])
{
	char result[256] = "", journal[EXPLAIN_MAX] = "", text[EXPLAIN_MAX * 2];
	int n;

	if (systemd_unit_result(&ctx->cmds, w->name, unit, result, sizeof(result)) < 0)
		result[0] = '\0';
	if (systemd_user_journal(&ctx->cmds, uid, unit, since_s, EXPLAIN_JOURNAL_LINES, journal,
				 sizeof(journal)) < 0 ||
	    sync_secrets_mask(ctx, w, journal) < 0)
		journal[0] = '\0';
	if (!*result && !*journal)
		return;
	/* reason <= STATE_REASON_MAX, result and journal bounded: text holds them all. */
	n = snprintf(text, sizeof(text), "%s (", reason);
	if (*result)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s: %s", unit, result);
	if (*journal)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%sjournal: %s",
			      *result ? "; " : "", journal);
	snprintf(text + n, sizeof(text) - (size_t)n, ")");
	state_reason_set(reason, text);
}
