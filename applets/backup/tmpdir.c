/* tmpdir.c: restore's temp directory in the workload's home, ".tailpod-restore.<16 hex>", made
 * by root 0700 and flock'ed for as long as it lives: gc (applets/gc/restores.c) reaps only one
 * that nobody holds, so never a running restore's nor a removal still under way. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pipe2 */
#endif
#include "backup.h"

#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	/* How long the exit waits for the replaced trees' removal: a small volume's is gone when
	 * "restored" is said, a large one's (thousands of unlinks) goes on in the background. */
	RESTORE_REMOVE_WAIT_MS = 1000,
	RESTORE_REMOVE_NICE = 10, /* the restarted service comes first */
};

int backup_tmp_make(int home_fd, char *name, size_t cap, int *ret_fd)
{
	uint64_t rnd = 0;
	int fd;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint64_t)getpid();
	snprintf(name, cap, "%s%016" PRIx64, BACKUP_TMP_PREFIX, rnd);
	if (mkdirat(home_fd, name, 0700) < 0)
		return -errno;
	fd = openat(home_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	/* Held while any process has this open file: the removal child below inherits it. gc
	 * also leaves one younger than GC_TEMP_AGE_S alone (the moment before this flock). */
	return flock(fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0;
}

/* The child: its output to /dev/null (a caller reading the restore's output to its end must not
 * wait for it), its own session, niced; the pipe's write end closes as it exits. */
static _Noreturn void remove_in_child(int home_fd, const char *name)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (int fd = 0; null >= 0 && fd <= 2; fd++)
		dup2(null, fd);
	setsid();
	setpriority(PRIO_PROCESS, 0, RESTORE_REMOVE_NICE);
	_exit(fs_remove_tree(home_fd, name) < 0);
}

void backup_tmp_remove(int home_fd, const char *name, int fd, bool in_background)
{
	int done[2] = {-1, -1};
	pid_t pid = in_background && pipe2(done, O_CLOEXEC) == 0 ? fork() : -1;

	if (pid == 0) {
		close(done[0]);
		remove_in_child(home_fd, name);
	}
	if (pid < 0)
		fs_remove_tree(home_fd, name);
	if (done[1] >= 0) {
		struct pollfd p = {.fd = done[0], .events = POLLIN};

		close(done[1]);
		if (pid > 0 && poll(&p, 1, RESTORE_REMOVE_WAIT_MS) == 1)
			waitpid(pid, NULL, 0);
		close(done[0]);
	}
	close(fd);
}
