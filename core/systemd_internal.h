/* systemd_internal.h: what systemd.c lends shadow.c — running one system command the way every
 * command of struct systemd_cmds runs, and the name check done before any argv is built. */
#ifndef TAILPOD_SYSTEMD_INTERNAL_H
#define TAILPOD_SYSTEMD_INTERNAL_H

#include "systemd.h"

/* Run argv (argv[0] the program) with the timeout of c: 0 when it exited 0; otherwise err holds
 * "PROG: what happened: first line of its stderr" (see systemd.h for the errnos). */
int systemd_command_run(const struct systemd_cmds *c, const char *const *argv,
			struct systemd_error *err);

/* 0 when name is a valid user or group name (users_name_valid); -EINVAL with "invalid WHAT name
 * '...'" in err otherwise, so no name can become an option. */
int systemd_name_check(const char *what, const char *name, struct systemd_error *err);

#endif
