/* child.c: fork, signals, deadline reads and reaping shared by exec, userfs and fetchjail. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "child.h"
#include "clock.h"
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int child_signals_block(struct child_signals *st)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t block, pending;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGPIPE);
	sigemptyset(&dfl.sa_mask);
	if (sigprocmask(SIG_BLOCK, &block, &st->mask) < 0)
		return -errno;
	st->pipe_was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
	st->chld_changed = false;
	if (sigaction(SIGCHLD, NULL, &st->chld) < 0) {
		int r = -errno;

		(void)sigprocmask(SIG_SETMASK, &st->mask, NULL);
		return r;
	}
	if (st->chld.sa_handler == SIG_IGN || (st->chld.sa_flags & SA_NOCLDWAIT))
		st->chld_changed = sigaction(SIGCHLD, &dfl, NULL) == 0;
	return 0;
}

void child_signals_restore(const struct child_signals *st)
{
	struct timespec zero = {0, 0};
	sigset_t pipe_only;

	if (!st->pipe_was_pending) {
		/* Swallow the SIGPIPE our own writes raised so it is not delivered on unblock. */
		sigemptyset(&pipe_only);
		sigaddset(&pipe_only, SIGPIPE);
		(void)sigtimedwait(&pipe_only, NULL, &zero);
	}
	if (st->chld_changed)
		(void)sigaction(SIGCHLD, &st->chld, NULL);
	(void)sigprocmask(SIG_SETMASK, &st->mask, NULL);
}

pid_t child_fork(void)
{
	sigset_t all, old;
	pid_t pid;
	int saved;

	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) < 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		return 0;
	saved = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	return pid < 0 ? -saved : pid;
}

int child_reap(pid_t pid, bool kill_first, int *ret_status)
{
	int status;

	if (kill_first)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*ret_status = status;
	return 0;
}

int child_start(struct child *c, void (*run)(const void *arg, int fd), const void *arg)
{
	int p[2], r;

	*c = (struct child){.pid = -1, .fd = -1};
	r = child_signals_block(&c->sigs);
	if (r < 0)
		return r;
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = -errno;
		child_signals_restore(&c->sigs);
		return r;
	}
	c->pid = child_fork();
	if (c->pid == 0) {
		/* The child runs tailpod's own code, not a command: the caller's mask, as before.
		 */
		(void)sigprocmask(SIG_SETMASK, &c->sigs.mask, NULL);
		close(p[0]);
		run(arg, p[1]);
		_exit(127); /* run must not return */
	}
	close(p[1]);
	if (c->pid < 0) {
		r = c->pid;
		close(p[0]);
		child_signals_restore(&c->sigs);
		return r;
	}
	c->fd = p[0];
	return 0;
}

ssize_t child_read_some(const struct child *c, void *buf, size_t cap, uint64_t deadline_ms)
{
	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int left = clock_ms_left(deadline_ms), k;
		ssize_t n;

		if (left == 0)
			return -ETIMEDOUT;
		k = poll(&pfd, 1, left);
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k <= 0)
			continue;
		n = read(c->fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		return n == 0 ? -EPIPE : n;
	}
}

int child_read(const struct child *c, void *buf, size_t len, uint64_t deadline_ms)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = child_read_some(c, p + done, len - done, deadline_ms);

		if (n < 0)
			return (int)n;
		done += (size_t)n;
	}
	return 0;
}

int child_finish(struct child *c, bool kill_first, int *ret_status)
{
	int r = child_reap(c->pid, kill_first, ret_status);

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	child_signals_restore(&c->sigs);
	return r;
}
