/* systemd.h: the system commands sync drives for a workload user — loginctl (linger,
 * terminate-user), systemctl for the user manager (start user@UID.service and check its bus
 * socket) and for units inside it (`systemctl --user -M NAME@ ...`); useradd, userdel and usermod
 * are core/shadow's, run the same way — each through core/exec (argv, no shell, no inherited
 * environment) with a timeout, plus the liveness of a user service read from its cgroup without
 * running anything. Which programs run and where the cgroup tree and /run/user are come from
 * struct systemd_cmds, filled with the real ones by systemd_cmds_init(), so tests point them at
 * fakes without a test-only code path. Core module: no printing; 0 or a negative errno, and on
 * failure a message for the applet to log. */
#ifndef TAILPOD_SYSTEMD_H
#define TAILPOD_SYSTEMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "bounds.h"
#include "error.h"

enum {
	SYSTEMD_TIMEOUT_MS = 90000,	 /* per command: systemd's own default start timeout */
	SYSTEMD_USERDEL_TRIES = 5,	 /* userdel attempts while it answers "busy" */
	SYSTEMD_USERDEL_RETRY_MS = 2000, /* between those attempts */
	SYSTEMD_UNIT_MAX = 255,		 /* bytes in a unit name */
};

/* What runs and where things are. Programs are bare names looked up in EXEC_SAFE_PATH, or
 * absolute paths. */
struct systemd_cmds {
	const char *useradd;	   /* "useradd" */
	const char *userdel;	   /* "userdel" */
	const char *usermod;	   /* "usermod" */
	const char *loginctl;	   /* "loginctl" */
	const char *systemctl;	   /* "systemctl" */
	const char *journalctl;	   /* "journalctl": a failed gate's last lines (NULL: none) */
	const char *cgroup_root;   /* "/sys/fs/cgroup" */
	const char *run_user;	   /* "/run/user" */
	const char *linger_dir;	   /* "/var/lib/systemd/linger": logind's flag files */
	const char *shell;	   /* "/sbin/nologin": the login shell of workload users */
	unsigned timeout_ms;	   /* SYSTEMD_TIMEOUT_MS */
	unsigned userdel_tries;	   /* SYSTEMD_USERDEL_TRIES */
	unsigned userdel_retry_ms; /* SYSTEMD_USERDEL_RETRY_MS */
	/* > 0: a file whose POSIX write lock each shadow command (useradd, usermod, userdel) holds
	 * while it runs, so that processes deploying workloads at once (sync's TAILPOD_JOBS) never
	 * edit /etc/passwd and /etc/group together */
	int shadow_lock_fd;
	/* systemd_cmds_open_dirs(): linger_dir, run_user and CGROUP_ROOT/user.slice opened once,
	 * and linger_dir's names listed, so the checks of many workloads look a name up, not a
	 * whole path each (issue 16); an fd < 0, or dirs_open false (the default), takes the path.
	 */
	bool dirs_open;
	int linger_fd, run_user_fd, cgroup_user_fd;
	char **linger_names; /* sorted, one allocation; NULL: ask each name by path */
	size_t n_linger;
};

/* Why a command failed: msg reads "useradd: exited with status 9: useradd: user 'web' already
 * exists" (program, what happened, the first line of its stderr), lowercase, no final period. */
struct systemd_error {
	ERROR_DETAIL_MEMBERS;
	int status; /* exit status, -1 when it did not exit (signal, timeout, never ran) */
	bool timed_out;
};

void systemd_cmds_init(struct systemd_cmds *c);
/* Open c's linger_dir, run_user and CGROUP_ROOT/user.slice for the liveness checks below, and
 * list linger_dir's names; one missing is looked up by path as before. An answer through them
 * that says "no" is asked again by path, so what tailpod enables or starts during the run is seen;
 * a "yes" from the linger names is the flag as it was when they were listed (tailpod disables
 * linger only for a workload it removes, never asked about again in that run). Close them with
 * systemd_cmds_close_dirs(). */
void systemd_cmds_open_dirs(struct systemd_cmds *c);
void systemd_cmds_close_dirs(struct systemd_cmds *c);

/* Every command function returns 0 on success; -EINVAL for an invalid user, group or unit name
 * (checked before anything runs: no name can become an option); -ENOENT when the program is not
 * found; -ETIMEDOUT when it ran past timeout_ms (its process group is killed); -EPROTO when it
 * exited non-zero or was killed; other errnos from core/exec. err (may be NULL) is filled on
 * failure only. */

/* loginctl enable-linger / disable-linger / terminate-user NAME. */
int systemd_linger_enable(const struct systemd_cmds *c, const char *name,
			  struct systemd_error *err);
int systemd_linger_disable(const struct systemd_cmds *c, const char *name,
			   struct systemd_error *err);
int systemd_user_terminate(const struct systemd_cmds *c, const char *name,
			   struct systemd_error *err);

/* systemctl start user@UID.service, then check that RUN_USER/UID/bus is a socket. user@.service
 * is Type=notify: start returns once the manager is ready, so the socket is checked once, never
 * polled; -ENOTCONN (with a message) when it is missing. */
int systemd_manager_start(const struct systemd_cmds *c, uid_t uid, struct systemd_error *err);

/* The same with restart: a running manager keeps the groups it started with, so one whose user
 * gained a group is restarted (and all its services with it). */
int systemd_manager_restart(const struct systemd_cmds *c, uid_t uid, struct systemd_error *err);

/* systemctl --user -M NAME@ VERB [UNIT]: daemon-reload (unit NULL), start, restart, stop, enable,
 * disable. verb is one of those; any other is -EINVAL. */
int systemd_user_unit(const struct systemd_cmds *c, const char *name, const char *verb,
		      const char *unit, struct systemd_error *err);

/* systemd_live.c. Whether unit runs in the manager of uid, read from
 * CGROUP_ROOT/user.slice/user-UID.slice/ user@UID.service/app.slice/UNIT/cgroup.events ("populated
 * 1"), so a healthy workload costs no child process. 1 running, 0 not (no such cgroup, or nothing
 * in it), -EINVAL for a bad unit name, other negative errnos when the file cannot be read. */
int systemd_unit_running(const struct systemd_cmds *c, uid_t uid, const char *unit);

/* Whether logind lingers name: LINGER_DIR/NAME exists (what `loginctl enable-linger` creates).
 * 1 yes, 0 no, -EINVAL for an invalid name, other negative errnos from stat. */
int systemd_linger_enabled(const struct systemd_cmds *c, const char *name);

/* Whether the user manager of uid runs and can be reached: its cgroup
 * (user.slice/user-UID.slice/user@UID.service) is populated and RUN_USER/UID/bus is a socket.
 * 1 yes, 0 no, negative errno when a file cannot be read. No child process. */
int systemd_manager_running(const struct systemd_cmds *c, uid_t uid);
/* The second half of that: RUN_USER/UID/bus is a socket. For a caller that already found a unit
 * of uid running, whose cgroup lies below the manager's (so the manager's is populated too). */
int systemd_manager_bus_up(const struct systemd_cmds *c, uid_t uid);

/* Why a unit is not healthy (systemd_status.c), for a failed health gate's reason:
 * "failed, result exit-code, exit status 1" from `systemctl --user -M NAME@ show` into buf ("" for
 * an active unit whose result is success: nothing to add); and
 * the last lines (at most `lines`) the journal holds since since_s (epoch seconds) for unit of
 * uid — what it printed and what its user manager said about it — joined with " | " into buf,
 * "" when none. 0, -EINVAL (a bad name), -ENOENT (no such program), -ETIMEDOUT, -EPROTO (it
 * failed), -EBADMSG (an answer without a state). Nothing of a failure is printed. */
int systemd_unit_result(const struct systemd_cmds *c, const char *name, const char *unit, char *buf,
			size_t size);
int systemd_user_journal(const struct systemd_cmds *c, uid_t uid, const char *unit,
			 long long since_s, unsigned lines, char *buf, size_t size);

/* True for a unit name tailpod passes on: 1..SYSTEMD_UNIT_MAX bytes of [A-Za-z0-9:_.@-], not
 * starting with '-' or '.', with a '.' (a type suffix). */
bool systemd_unit_name_valid(const char *unit);

#endif
