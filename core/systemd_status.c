/* systemd_status.c: why a user unit is not running, for the reason a failed health gate records
 * (issue 21) — the unit's state and result from the user manager (`systemctl --user -M NAME@ show`)
 * and its last journal lines (`journalctl` as root over the system journal, matched on the user's
 * uid and the unit: what the unit printed, and what the user manager said about it). Both are
 * bounded, run with the commands' timeout, and only ever add detail: a missing journalctl is
 * -ENOENT and the caller says nothing more. */
#define _GNU_SOURCE 1

#include "systemd.h"
#include "systemd_internal.h"
#include "core.h"
#include "exec.h"
#include "users.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
	SHOW_OUT_MAX = 4096,			   /* bytes of `systemctl show -p ...` kept */
	JOURNAL_OUT_MAX = 16 * 1024,		   /* bytes of journalctl's output kept */
	JOURNAL_FIELD_MAX = 16 + SYSTEMD_UNIT_MAX, /* "_SYSTEMD_USER_UNIT=" + a unit */
};

/* Run argv with the commands' timeout; its stdout in *res (release it). */
static int run_capture(const struct systemd_cmds *c, const char *const *argv, size_t out_max,
		       struct exec_result *res)
{
	struct exec_opts o = {.argv = argv, .timeout_ms = c->timeout_ms, .out_max = out_max};
	int r = exec_run(&o, res);

	if (r < 0)
		return r;
	if (!exec_result_ok(res)) {
		r = res->timed_out ? -ETIMEDOUT : -EPROTO; /* before the release zeroes it */
		exec_result_release(res);
		return r;
	}
	return 0;
}

/* The value of "KEY=value" among the lines of text, or "" (at most size-1 bytes). */
static void show_value(const char *text, const char *key, char *buf, size_t size)
{
	size_t k = strlen(key);

	buf[0] = '\0';
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			snprintf(buf, size, "%.*s", (int)strcspn(p + k + 1, "\n"), p + k + 1);
			return;
		}
}

int systemd_unit_result(const struct systemd_cmds *c, const char *name, const char *unit, char *buf,
			size_t size)
{
	char machine[USER_NAME_MAX + 2], state[32], result[64], status[16];
	const char *argv[] = {c->systemctl,
			      "--user",
			      "-M",
			      machine,
			      "show",
			      "-p",
			      "ActiveState,Result,ExecMainStatus",
			      "--",
			      unit,
			      NULL};
	struct exec_result res = {0};
	int r;

	if (!users_name_valid(name) || !systemd_unit_name_valid(unit))
		return -EINVAL;
	snprintf(machine, sizeof(machine), "%s@", name);
	r = run_capture(c, argv, SHOW_OUT_MAX, &res);
	if (r < 0)
		return r;
	show_value(res.out ? res.out : "", "ActiveState", state, sizeof(state));
	show_value(res.out ? res.out : "", "Result", result, sizeof(result));
	show_value(res.out ? res.out : "", "ExecMainStatus", status, sizeof(status));
	exec_result_release(&res);
	if (!*state)
		return -EBADMSG;
	buf[0] = '\0';
	if (strcmp(state, "active") == 0 && strcmp(result, "success") == 0)
		return 0; /* nothing to add */
	snprintf(buf, size, "%s, result %s, exit status %s", state, *result ? result : "?",
		 *status ? status : "?");
	return 0;
}

int systemd_user_journal(const struct systemd_cmds *c, uid_t uid, const char *unit,
			 long long since_s, unsigned lines, char *buf, size_t size)
{
	char uid_match[32], unit_match[JOURNAL_FIELD_MAX], mgr_match[JOURNAL_FIELD_MAX];
	char since[32], count[16];
	const char *argv[] = {c->journalctl, "--no-pager", "--quiet", "--output=cat",
			      "--lines",     count,	   "--since", since,
			      uid_match,     unit_match,   "+",	      uid_match,
			      mgr_match,     NULL};
	struct exec_result res = {0};
	size_t n = 0;
	int r;

	if (!c->journalctl || !systemd_unit_name_valid(unit) || lines == 0 || size == 0)
		return -EINVAL;
	snprintf(uid_match, sizeof(uid_match), "_UID=%" PRIu32, (uint32_t)uid);
	snprintf(unit_match, sizeof(unit_match), "_SYSTEMD_USER_UNIT=%s", unit);
	snprintf(mgr_match, sizeof(mgr_match), "USER_UNIT=%s", unit);
	snprintf(since, sizeof(since), "@%lld", since_s);
	snprintf(count, sizeof(count), "%u", lines);
	r = run_capture(c, argv, JOURNAL_OUT_MAX, &res);
	if (r < 0)
		return r;
	/* The lines, joined with " | "; blank ones dropped. */
	for (const char *p = res.out ? res.out : ""; *p && n + 1 < size;) {
		size_t len = strcspn(p, "\n");

		if (len > 0)
			n += (size_t)snprintf(buf + n, size - n, "%s%.*s", n ? " | " : "", (int)len,
					      p);
		p += len + (p[len] == '\n');
	}
	buf[n < size ? n : size - 1] = '\0';
	exec_result_release(&res);
	return 0;
}
