/* systemd.c: loginctl and systemctl through core/exec (useradd and friends: shadow.c); the
 * liveness read without a child process is systemd_live.c's (see systemd.h). Names are validated
 * before an argv is built, so nothing a repository names can turn into an option; a failure keeps
 * the first line of the program's stderr for the log. */
#define _GNU_SOURCE 1

#include "systemd.h"
#include "systemd_internal.h"
#include "core.h"
#include "exec.h"
#include "fs.h"
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

enum {
	ERR_CAPTURE = 4096,  /* stderr bytes kept for the message */
	UID_STR_MAX = 16,    /* "4294967295" and room */
	NAME_QUOTE_MAX = 64, /* bytes of a rejected name or unit quoted in a message */
	VERB_QUOTE_MAX = 32, /* bytes of a rejected systemctl verb quoted in a message */
};

void systemd_cmds_init(struct systemd_cmds *c)
{
	*c = (struct systemd_cmds){
		.useradd = "useradd",
		.userdel = "userdel",
		.usermod = "usermod",
		.loginctl = "loginctl",
		.systemctl = "systemctl",
		.journalctl = "journalctl",
		.cgroup_root = "/sys/fs/cgroup",
		.run_user = "/run/user",
		.linger_dir = "/var/lib/systemd/linger",
		.shell = "/sbin/nologin",
		.timeout_ms = SYSTEMD_TIMEOUT_MS,
		.userdel_tries = SYSTEMD_USERDEL_TRIES,
		.userdel_retry_ms = SYSTEMD_USERDEL_RETRY_MS,
	};
}

bool systemd_unit_name_valid(const char *unit)
{
	size_t n = strlen(unit);

	if (n == 0 || n > SYSTEMD_UNIT_MAX || unit[0] == '-' || unit[0] == '.' ||
	    !strchr(unit, '.'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = unit[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr(":_.@-", ch)))
			return false;
	}
	return true;
}

/* The first line of the program's stderr, without trailing blanks. */
static size_t first_line(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[n] != '\n' && s[n] != '\0')
		n++;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n;
}

static void systemd_fail(struct systemd_error *err, int status, bool timed_out, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));

static void systemd_fail(struct systemd_error *err, int status, bool timed_out, const char *fmt,
			 ...)
{
	va_list ap;

	if (!err)
		return;
	err->status = status;
	err->timed_out = timed_out;
	va_start(ap, fmt);
	error_detail_vset(err, fmt, ap);
	va_end(ap);
}

/* The program as messages name it: its base name. */
static const char *prog_name(const char *prog)
{
	const char *slash = strrchr(prog, '/');

	return slash ? slash + 1 : prog;
}

/* Turn a finished run into 0 or -errno with err filled. */
static int run_outcome(const char *prog, const struct exec_result *res, struct systemd_error *err)
{
	char how[EXEC_DESCRIBE_MAX];
	size_t n;
	int status = WIFEXITED(res->status) && !res->timed_out ? WEXITSTATUS(res->status) : -1;

	if (exec_result_ok(res))
		return 0;
	exec_status_describe(res, how, sizeof(how));
	n = first_line(res->err, res->err_len);
	if (n > 0)
		systemd_fail(err, status, res->timed_out, "%s: %s: %.*s", prog, how, (int)n,
			     res->err);
	else
		systemd_fail(err, status, res->timed_out, "%s: %s", prog, how);
	return res->timed_out ? -ETIMEDOUT : -EPROTO;
}

int systemd_command_run(const struct systemd_cmds *c, const char *const *argv,
			struct systemd_error *err)
{
	struct exec_opts o = {
		.argv = argv,
		.timeout_ms = c->timeout_ms,
		.err_max = ERR_CAPTURE,
	};
	struct exec_result res = {0};
	int r = exec_run(&o, &res);

	if (r < 0) {
		systemd_fail(err, -1, false, "%s: cannot run: %s", argv[0],
			     r == -ENOENT ? "not found" : strerror(-r));
		return r;
	}
	r = run_outcome(prog_name(argv[0]), &res, err);
	exec_result_release(&res);
	return r;
}

int systemd_name_check(const char *what, const char *name, struct systemd_error *err)
{
	if (users_name_valid(name))
		return 0;
	systemd_fail(err, -1, false, "invalid %s name '%.*s'", what, NAME_QUOTE_MAX, name);
	return -EINVAL;
}

static int loginctl(const struct systemd_cmds *c, const char *verb, const char *name,
		    struct systemd_error *err)
{
	const char *argv[] = {c->loginctl, verb, name, NULL};
	int r = systemd_name_check("user", name, err);

	return r < 0 ? r : systemd_command_run(c, argv, err);
}

int systemd_linger_enable(const struct systemd_cmds *c, const char *name, struct systemd_error *err)
{
	return loginctl(c, "enable-linger", name, err);
}

int systemd_linger_disable(const struct systemd_cmds *c, const char *name,
			   struct systemd_error *err)
{
	return loginctl(c, "disable-linger", name, err);
}

int systemd_user_terminate(const struct systemd_cmds *c, const char *name,
			   struct systemd_error *err)
{
	return loginctl(c, "terminate-user", name, err);
}

static int manager_run(const struct systemd_cmds *c, const char *verb, uid_t uid,
		       struct systemd_error *err)
{
	char unit[UID_STR_MAX + 16], bus[PATH_MAX];
	const char *argv[] = {c->systemctl, verb, unit, NULL};
	struct stat st;
	int r;

	snprintf(unit, sizeof(unit), "user@%" PRIu32 ".service", (uint32_t)uid);
	if (snprintf(bus, sizeof(bus), "%s/%" PRIu32 "/bus", c->run_user, (uint32_t)uid) >=
	    (int)sizeof(bus))
		return -ENAMETOOLONG;
	r = systemd_command_run(c, argv, err);
	if (r < 0)
		return r;
	if (lstat(bus, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		systemd_fail(err, -1, false, "%s started but %s is not a socket", unit, bus);
		return -ENOTCONN;
	}
	return 0;
}

int systemd_manager_start(const struct systemd_cmds *c, uid_t uid, struct systemd_error *err)
{
	return manager_run(c, "start", uid, err);
}

int systemd_manager_restart(const struct systemd_cmds *c, uid_t uid, struct systemd_error *err)
{
	return manager_run(c, "restart", uid, err);
}

static bool verb_takes_unit(const char *verb, bool *ret_known)
{
	static const char *const with_unit[] = {"start", "restart", "stop", "enable", "disable"};

	*ret_known = true;
	if (strcmp(verb, "daemon-reload") == 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(with_unit); i++)
		if (strcmp(verb, with_unit[i]) == 0)
			return true;
	*ret_known = false;
	return false;
}

int systemd_user_unit(const struct systemd_cmds *c, const char *name, const char *verb,
		      const char *unit, struct systemd_error *err)
{
	char machine[USER_NAME_MAX + 2];
	const char *argv[] = {c->systemctl, "--user", "-M", machine, verb, unit, NULL};
	bool known, takes = verb_takes_unit(verb, &known);
	int r = systemd_name_check("user", name, err);

	if (r < 0)
		return r;
	if (!known || takes != (unit != NULL) || (unit && !systemd_unit_name_valid(unit))) {
		systemd_fail(err, -1, false, "invalid systemctl call '%.*s %.*s'", VERB_QUOTE_MAX,
			     verb, NAME_QUOTE_MAX, unit ? unit : "");
		return -EINVAL;
	}
	snprintf(machine, sizeof(machine), "%s@", name);
	return systemd_command_run(c, argv, err);
}
