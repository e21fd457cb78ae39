/* shadow.h: the shadow-utils commands sync drives for a workload user — useradd, userdel (bounded
 * retries while the user is busy) and usermod for one supplementary group — run like every other
 * system command (core/systemd: the programs, timeout and retry pacing of struct systemd_cmds,
 * argv through core/exec, no shell, names checked before anything runs). Core module: no
 * printing; 0 or a negative errno as systemd.h describes, and on failure a message in struct
 * systemd_error for the applet to log. */
#ifndef TAILPOD_SHADOW_H
#define TAILPOD_SHADOW_H

#include <stdbool.h>

#include "systemd.h"

enum {
	SHADOW_USERDEL_BUSY = 8, /* userdel's exit status for a user still logged in */
};

/* useradd --create-home --shell SHELL -G GROUP NAME: a regular user (so it gets subuid/subgid
 * ranges) whose supplementary group is the managed one. */
int shadow_user_add(const struct systemd_cmds *c, const char *name, const char *group,
		    struct systemd_error *err);

/* userdel -r NAME, retried up to userdel_tries times, userdel_retry_ms apart, while it exits with
 * SHADOW_USERDEL_BUSY; -EBUSY when it still is after the last try. */
int shadow_user_delete(const struct systemd_cmds *c, const char *name, struct systemd_error *err);

/* usermod -a -G GROUP NAME (add) or usermod -r -G GROUP NAME (remove): one supplementary group
 * more or less, the others kept. */
int shadow_user_group(const struct systemd_cmds *c, const char *name, const char *group, bool add,
		      struct systemd_error *err);

#endif
