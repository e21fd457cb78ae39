/* exec_child.c: what the forked child of exec_run() does between fork and execve. It moves into
 * its own process group, resets signal dispositions to the default, puts its pipe ends on fds
 * 0-2 and closes every other fd but the close-on-exec status pipe, optionally becomes another
 * uid/gid (verified by reading the ids back), changes directory, clears the signal mask and
 * execs. A failed step writes its errno to the status pipe for the parent and exits 127. After
 * fork only async-signal-safe calls are allowed: nothing here allocates, locks or prints. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "exec.h"
#include "exec_internal.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	EXEC_SIG_LAST = 64,
	EXEC_KERNEL_SIGSET_SIZE = 8,
	/* bytes of the kernel's sigset_t (64 signals) */ /* highest signal number whose disposition
							     the child resets */
	EXEC_FD_SCAN_MAX = 65536 /* fd bound for the close loop when close_range is missing */
};

static int exec_groups_verify(const struct exec_ids *ids)
{
	gid_t have[EXEC_GROUPS_MAX];
	int n = getgroups(EXEC_GROUPS_MAX, have);

	if (n < 0)
		return -errno;
	if ((size_t)n != ids->n_groups)
		return -EPERM;
	/* The kernel sorts the list, so compare as sets. */
	for (int i = 0; i < n; i++) {
		size_t j = 0;

		while (j < ids->n_groups && ids->groups[j] != have[i])
			j++;
		if (j == ids->n_groups)
			return -EPERM;
	}
	return 0;
}

int exec_drop_ids(const struct exec_ids *ids)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (!ids || ids->n_groups > EXEC_GROUPS_MAX || (ids->n_groups && !ids->groups))
		return -EINVAL;
	/* Groups first: after setresuid we would no longer be allowed to change them. */
	if (setgroups(ids->n_groups, ids->groups) < 0)
		return -errno;
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		return -errno;
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		return -errno;
	if (getresgid(&rg, &eg, &sg) < 0 || getresuid(&ru, &eu, &su) < 0)
		return -errno;
	if (rg != ids->gid || eg != ids->gid || sg != ids->gid)
		return -EPERM;
	if (ru != ids->uid || eu != ids->uid || su != ids->uid)
		return -EPERM;
	return exec_groups_verify(ids);
}

/* Close every fd from 3 up except keep. close_range needs Linux 5.9; before that a loop up to the
 * fd limit, capped at EXEC_FD_SCAN_MAX (no opendir of /proc: it allocates, unsafe after fork). */
static void exec_child_close_fds(int keep)
{
	struct rlimit rl;
	int max = EXEC_FD_SCAN_MAX;

#ifdef SYS_close_range
	if ((keep == 3 || syscall(SYS_close_range, 3U, (unsigned int)keep - 1, 0U) == 0) &&
	    syscall(SYS_close_range, (unsigned int)keep + 1, ~0U, 0U) == 0)
		return;
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)EXEC_FD_SCAN_MAX)
		max = (int)rl.rlim_cur;
	for (int fd = 3; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

/*
 * libc refuses to touch the signals it reserves for itself (glibc 32-33, musl 32-34), yet an
 * "ignored" disposition on them survives execve. The kernel accepts them: an all-zero kernel
 * sigaction is SIG_DFL with no flags and an empty mask on every architecture.
 */
static void exec_child_reset_reserved(int sig)
{
	unsigned long kernel_sigaction[4] = {0};

	(void)syscall(SYS_rt_sigaction, sig, kernel_sigaction, NULL, EXEC_KERNEL_SIGSET_SIZE);
}

static void exec_child_reset_signals(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};

	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig <= EXEC_SIG_LAST; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &sa, NULL) < 0 && errno == EINVAL)
			exec_child_reset_reserved(sig);
	}
}

static int exec_child_setup(const struct exec_opts *o, const struct exec_pipes *p)
{
	sigset_t none;
	int r;

	if (setpgid(0, 0) < 0)
		return -errno;
	exec_child_reset_signals();
	if (dup2(p->child[EXEC_PIPE_IN], STDIN_FILENO) < 0 ||
	    dup2(p->child[EXEC_PIPE_OUT], STDOUT_FILENO) < 0 ||
	    dup2(p->child[EXEC_PIPE_ERR], STDERR_FILENO) < 0)
		return -errno;
	exec_child_close_fds(p->child[EXEC_PIPE_STATUS]);
	if (o->ids) {
		r = exec_drop_ids(o->ids);
		if (r < 0)
			return r;
	}
	/* After the drop, so the directory is checked with the target user's permissions. */
	if (o->cwd && chdir(o->cwd) < 0)
		return -errno;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return -errno;
	return 0;
}

/* Runs in the forked child: only async-signal-safe calls from here on. */
__attribute__((noreturn)) void exec_child_run(const struct exec_opts *o, const char *path,
					      const char *const *envp, const struct exec_pipes *p)
{
	int fd = p->child[EXEC_PIPE_STATUS];
	int r = exec_child_setup(o, p);
	int e;

	if (r >= 0) {
		execve(path, (char *const *)o->argv, (char *const *)envp);
		r = -errno;
	}
	e = r < 0 ? -r : EIO;
	while (write(fd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}
