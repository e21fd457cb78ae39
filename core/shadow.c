/* shadow.c: useradd, userdel and usermod for a workload user (see shadow.h), run through
 * systemd.c's command runner so they share its timeout, argv rules and failure messages. */
#include "shadow.h"
#include "systemd_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

enum {
	USERADD_ARGV_SIZE = 8, /* useradd's argv, NULL included */
};

/* F_SETLKW or F_UNLCK over the whole of c->shadow_lock_fd; POSIX locks belong to the process,
 * so the processes that inherited the descriptor exclude each other. */
static int shadow_lock(const struct systemd_cmds *c, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};

	if (c->shadow_lock_fd <= 0)
		return 0;
	while (fcntl(c->shadow_lock_fd, type == F_UNLCK ? F_SETLK : F_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int shadow_run(const struct systemd_cmds *c, const char *const *argv,
		      struct systemd_error *err)
{
	int r = shadow_lock(c, F_WRLCK);

	if (r < 0) {
		if (err) {
			err->status = -1;
			error_detail_set(err, "%s: cannot take the lock of shadow commands: %s",
					 argv[0], strerror(-r));
		}
		return r;
	}
	r = systemd_command_run(c, argv, err);
	(void)shadow_lock(c, F_UNLCK);
	return r;
}

int shadow_user_add(const struct systemd_cmds *c, const char *name, const char *group,
		    struct systemd_error *err)
{
	const char *argv[USERADD_ARGV_SIZE] = {c->useradd, "--create-home", "--shell", c->shell,
					       "-G",	   group,	    name,      NULL};
	int r = systemd_name_check("user", name, err);

	if (r >= 0)
		r = systemd_name_check("group", group, err);
	return r < 0 ? r : shadow_run(c, argv, err);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int shadow_user_delete(const struct systemd_cmds *c, const char *name, struct systemd_error *err)
{
	const char *argv[] = {c->userdel, "-r", name, NULL};
	unsigned tries = c->userdel_tries ? c->userdel_tries : 1;
	struct systemd_error e = {0};
	int r = systemd_name_check("user", name, err);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < tries; i++) {
		if (i > 0)
			sleep_ms(c->userdel_retry_ms);
		r = shadow_run(c, argv, &e);
		if (r != -EPROTO || e.status != SHADOW_USERDEL_BUSY)
			break;
	}
	if (r == -EPROTO && e.status == SHADOW_USERDEL_BUSY)
		r = -EBUSY;
	if (r < 0 && err)
		*err = e;
	return r;
}

int shadow_user_group(const struct systemd_cmds *c, const char *name, const char *group, bool add,
		      struct systemd_error *err)
{
	const char *argv[] = {c->usermod, add ? "-a" : "-r", "-G", group, name, NULL};
	int r = systemd_name_check("user", name, err);

	if (r >= 0)
		r = systemd_name_check("group", group, err);
	return r < 0 ? r : shadow_run(c, argv, err);
}
