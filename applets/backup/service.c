/* service.c: a workload's service stopped for a consistent copy (or a restore's swap) and started
 * again afterwards — create.c and restore.c call the start on every path, the copy's failure
 * included. A service that was not running is left stopped. */
#include "backup.h"

#include "log.h"

int backup_service_stop(const char *user, uid_t uid, const char *service, bool *ret_was_running)
{
	struct systemd_cmds sd;
	struct systemd_error err = {0};
	int r;

	systemd_cmds_init(&sd);
	*ret_was_running = false;
	r = systemd_unit_running(&sd, uid, service);
	if (r == 0)
		return 0;
	/* Unknown is read as running: stopping a stopped service is harmless, copying a live one
	 * unannounced is not. */
	*ret_was_running = true;
	r = systemd_user_unit(&sd, user, "stop", service, &err);
	if (r < 0)
		return log_error_errno(r, "%s: cannot stop %s: %s", user, service, err.msg), r;
	log_info("%s: stopped %s for the copy", user, service);
	return 0;
}

int backup_service_start(const char *user, const char *service)
{
	struct systemd_cmds sd;
	struct systemd_error err = {0};
	int r;

	systemd_cmds_init(&sd);
	r = systemd_user_unit(&sd, user, "start", service, &err);
	if (r < 0)
		return log_error_errno(r, "%s: cannot start %s again: %s", user, service, err.msg),
		       r;
	log_info("%s: started %s again", user, service);
	return 0;
}
