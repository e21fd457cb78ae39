/* exec.c: the parent side of running one program: checks the options, resolves the program, opens
 * the pipes, forks, and supervises the child from a poll() loop (exec_child.c is what the child
 * runs until execve). The parent feeds stdin, keeps a bounded prefix of stdout and stderr, reads
 * the errno a failed child step reports over a close-on-exec status pipe, and on the
 * CLOCK_MONOTONIC deadline signals the child's process group: SIGTERM, then SIGKILL after a grace.
 * The child is reaped only at the very end, so its pid (which is also the group id) cannot be
 * reused by another process while we may still signal it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "exec.h"
#include "child.h"
#include "clock.h"
#include "core.h"
#include "exec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	EXEC_READ_CHUNK = 16384, /* one read() from an output pipe */
	EXEC_BUF_MIN = 4096,	 /* first allocation of a capture buffer */
	EXEC_DRAIN_MS = 1000, /* after SIGKILL: last chance for pipes held by escaped processes */
	EXEC_TICK_MS = 20,    /* exit polling interval when pidfd_open is unavailable */
};

enum exec_stage { EXEC_STAGE_RUNNING, EXEC_STAGE_TERM_SENT, EXEC_STAGE_KILL_SENT };

struct exec_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	bool truncated;
};

struct exec_state {
	const struct exec_opts *opts;
	pid_t pid;
	int pidfd;
	int *fds; /* the parent ends, -1 once closed */
	size_t in_done;
	struct exec_buf out;
	struct exec_buf err;
	int child_errno;
	bool exited;
	bool timed_out;
	enum exec_stage stage;
	uint64_t deadline;
};

static const char *const exec_env_default[] = {"PATH=" EXEC_SAFE_PATH, "LANG=C.UTF-8", NULL};

static void exec_fd_close(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int exec_program_check(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return -errno;
	return 0;
}

int exec_find_program(const char *name, char **ret_path)
{
	const char *dir = EXEC_SAFE_PATH;
	char path[PATH_MAX];
	char *copy;
	int r = -ENOENT;

	if (!name || !*name || !ret_path)
		return -EINVAL;
	if (name[0] != '/' && strchr(name, '/'))
		return -EINVAL;
	if (name[0] == '/') {
		if (strlen(name) >= PATH_MAX)
			return -ENAMETOOLONG;
		r = exec_program_check(name);
		dir = NULL;
	}
	while (dir && *dir) {
		size_t n = strcspn(dir, ":");
		int k = snprintf(path, sizeof(path), "%.*s/%s", (int)n, dir, name);

		dir += n + (dir[n] == ':');
		if (k < 0 || (size_t)k >= sizeof(path))
			continue;
		r = exec_program_check(path);
		if (r >= 0) {
			name = path;
			break;
		}
	}
	if (r < 0)
		return r;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	*ret_path = copy;
	return 0;
}

/* Count a NULL-terminated vector, refusing more than max entries. */
static int exec_vector_count(const char *const *v, size_t max)
{
	size_t n;

	for (n = 0; v[n]; n++)
		if (n >= max)
			return -E2BIG;
	return (int)n;
}

static int exec_opts_check(const struct exec_opts *o)
{
	int r;

	if (!o || !o->argv || !o->argv[0])
		return -EINVAL;
	if (o->timeout_ms == 0 || o->timeout_ms > EXEC_TIMEOUT_MS_MAX)
		return -EINVAL;
	if (o->grace_ms > EXEC_GRACE_MS_MAX)
		return -EINVAL;
	if (o->out_max > EXEC_CAPTURE_MAX || o->err_max > EXEC_CAPTURE_MAX)
		return -EINVAL;
	if (!o->stdin_data && o->stdin_len > 0)
		return -EINVAL;
	if (o->ids && (o->ids->n_groups > EXEC_GROUPS_MAX || (o->ids->n_groups && !o->ids->groups)))
		return -EINVAL;
	r = exec_vector_count(o->argv, EXEC_ARGV_MAX);
	if (r < 0)
		return r;
	if (!o->envp)
		return 0;
	r = exec_vector_count(o->envp, EXEC_ENV_MAX);
	if (r < 0)
		return r;
	for (size_t i = 0; o->envp[i]; i++) {
		const char *eq = strchr(o->envp[i], '=');

		if (!eq || eq == o->envp[i])
			return -EINVAL;
	}
	return 0;
}

/* The child's dup2() onto 0-2 must never clobber another pipe end, so keep every end above 2. */
static int exec_fd_above_stdio(int *fd)
{
	int nfd;

	if (*fd > STDERR_FILENO)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	if (nfd < 0)
		return -errno;
	close(*fd);
	*fd = nfd;
	return 0;
}

static void exec_pipes_close(struct exec_pipes *p)
{
	for (int i = 0; i < EXEC_PIPE_N; i++) {
		exec_fd_close(&p->parent[i]);
		exec_fd_close(&p->child[i]);
	}
}

static int exec_pipe_make(struct exec_pipes *p, enum exec_pipe which)
{
	int fds[2];
	bool to_child = which == EXEC_PIPE_IN;
	int r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	p->child[which] = to_child ? fds[0] : fds[1];
	p->parent[which] = to_child ? fds[1] : fds[0];
	r = exec_fd_above_stdio(&p->child[which]);
	if (r >= 0)
		r = exec_fd_above_stdio(&p->parent[which]);
	if (r >= 0 && fcntl(p->parent[which], F_SETFL, O_NONBLOCK) < 0)
		r = -errno;
	return r;
}

static int exec_pipes_open(struct exec_pipes *p, bool want_stdin)
{
	int r = 0;

	for (int i = 0; i < EXEC_PIPE_N; i++)
		p->parent[i] = p->child[i] = -1;
	for (int i = 0; i < EXEC_PIPE_N && r >= 0; i++)
		if (i != EXEC_PIPE_IN || want_stdin)
			r = exec_pipe_make(p, (enum exec_pipe)i);
	if (r >= 0 && !want_stdin) {
		p->child[EXEC_PIPE_IN] = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
		r = p->child[EXEC_PIPE_IN] < 0 ? -errno
					       : exec_fd_above_stdio(&p->child[EXEC_PIPE_IN]);
	}
	if (r < 0)
		exec_pipes_close(p);
	return r;
}

static int exec_buf_append(struct exec_buf *b, const char *data, size_t n)
{
	size_t keep = n < b->max - b->len ? n : b->max - b->len;
	size_t cap = b->cap ? b->cap : EXEC_BUF_MIN;
	char *p;

	if (keep < n)
		b->truncated = true;
	if (keep == 0)
		return 0;
	if (b->len + keep + 1 > b->cap) {
		while (cap < b->len + keep + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, keep);
	b->len += keep;
	b->data[b->len] = '\0';
	return 0;
}

static int exec_buf_finish(struct exec_buf *b)
{
	if (!b->data) {
		b->data = calloc(1, 1);
		if (!b->data)
			return -ENOMEM;
	}
	return 0;
}

static int exec_read_output(struct exec_state *s, enum exec_pipe which)
{
	struct exec_buf *b = which == EXEC_PIPE_OUT ? &s->out : &s->err;
	char chunk[EXEC_READ_CHUNK];
	ssize_t n = read(s->fds[which], chunk, sizeof(chunk));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		exec_fd_close(&s->fds[which]);
		return 0;
	}
	return exec_buf_append(b, chunk, (size_t)n);
}

static int exec_read_status(struct exec_state *s)
{
	int e;
	ssize_t n = read(s->fds[EXEC_PIPE_STATUS], &e, sizeof(e));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	/* A pipe write of one int is atomic: we get all of it or EOF. */
	if (n == (ssize_t)sizeof(e))
		s->child_errno = e > 0 ? e : EIO;
	exec_fd_close(&s->fds[EXEC_PIPE_STATUS]);
	return 0;
}

static void exec_write_input(struct exec_state *s)
{
	const char *data = s->opts->stdin_data;
	size_t left = s->opts->stdin_len - s->in_done;
	ssize_t n = left ? write(s->fds[EXEC_PIPE_IN], data + s->in_done, left) : 0;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EPIPE and friends: the child stopped reading, which its exit status will tell. */
	if (n > 0)
		s->in_done += (size_t)n;
	if (n < 0 || s->in_done == s->opts->stdin_len)
		exec_fd_close(&s->fds[EXEC_PIPE_IN]);
}

/* Note the exit without reaping: the zombie keeps pid and group id from being reused. */
static int exec_check_exit(struct exec_state *s)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == EINTR ? 0 : -errno;
	s->exited = si.si_pid != 0;
	return 0;
}

static void exec_signal(const struct exec_state *s, int sig)
{
	/* The group, and the child itself in case it moved to another group. */
	(void)kill(-s->pid, sig);
	(void)kill(s->pid, sig);
}

/* The deadline passed: move to the next stage. Returns true when it is time to give up waiting. */
static bool exec_escalate(struct exec_state *s, uint64_t now)
{
	unsigned int grace = s->opts->grace_ms ? s->opts->grace_ms : EXEC_GRACE_MS_DEFAULT;

	switch (s->stage) {
	case EXEC_STAGE_RUNNING:
		s->timed_out = true;
		exec_signal(s, SIGTERM);
		/* A stopped process would never act on SIGTERM. */
		exec_signal(s, SIGCONT);
		s->stage = EXEC_STAGE_TERM_SENT;
		s->deadline = now + grace;
		return false;
	case EXEC_STAGE_TERM_SENT:
		exec_signal(s, SIGKILL);
		s->stage = EXEC_STAGE_KILL_SENT;
		s->deadline = now + EXEC_DRAIN_MS;
		return false;
	default:
		return true;
	}
}

static bool exec_finished(const struct exec_state *s)
{
	return s->exited && s->fds[EXEC_PIPE_OUT] < 0 && s->fds[EXEC_PIPE_ERR] < 0 &&
	       s->fds[EXEC_PIPE_STATUS] < 0;
}

static int exec_handle_events(struct exec_state *s, const struct pollfd *pfd)
{
	const short ready = POLLIN | POLLHUP | POLLERR;
	int r = 0;

	if (pfd[EXEC_PIPE_IN].revents & (POLLOUT | POLLHUP | POLLERR))
		exec_write_input(s);
	if (pfd[EXEC_PIPE_OUT].revents & ready)
		r = exec_read_output(s, EXEC_PIPE_OUT);
	if (r >= 0 && (pfd[EXEC_PIPE_ERR].revents & ready))
		r = exec_read_output(s, EXEC_PIPE_ERR);
	if (r >= 0 && (pfd[EXEC_PIPE_STATUS].revents & ready))
		r = exec_read_status(s);
	return r;
}

static int exec_loop(struct exec_state *s)
{
	for (;;) {
		struct pollfd pfd[EXEC_PIPE_N + 1];
		uint64_t now, wait;
		int r;

		if (!s->exited) {
			r = exec_check_exit(s);
			if (r < 0)
				return r;
		}
		if (exec_finished(s))
			return 0;
		now = clock_now_ms();
		if (now >= s->deadline) {
			if (exec_escalate(s, now))
				return 0;
			continue;
		}
		for (int i = 0; i < EXEC_PIPE_N; i++)
			pfd[i] = (struct pollfd){.fd = s->fds[i], .events = POLLIN};
		pfd[EXEC_PIPE_IN].events = POLLOUT;
		pfd[EXEC_PIPE_N] =
			(struct pollfd){.fd = s->exited ? -1 : s->pidfd, .events = POLLIN};
		wait = s->deadline - now;
		if (!s->exited && s->pidfd < 0 && wait > EXEC_TICK_MS)
			wait = EXEC_TICK_MS;
		if (poll(pfd, EXEC_PIPE_N + 1, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		r = exec_handle_events(s, pfd);
		if (r < 0)
			return r;
	}
}

/* Parent side after fork: supervise, then always reap, whatever went wrong. */
static int exec_supervise(struct exec_state *s, struct exec_result *res)
{
	int r, k, status = 0;

	(void)setpgid(s->pid, s->pid); /* also in the parent, so the group exists before any kill */
#ifdef SYS_pidfd_open
	/* Wakes poll() when the child exits (Linux 5.3); without it we poll in short ticks. */
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
#endif
	s->deadline = clock_now_ms() + s->opts->timeout_ms;
	r = exec_loop(s);
	if (r < 0)
		exec_signal(s, SIGKILL);
	for (int i = 0; i < EXEC_PIPE_N; i++)
		exec_fd_close(&s->fds[i]);
	exec_fd_close(&s->pidfd);
	k = child_reap(s->pid, false, &status);
	if (r < 0)
		return r;
	if (k < 0)
		return k;
	if (s->child_errno)
		return -s->child_errno;
	r = exec_buf_finish(&s->out);
	if (r >= 0)
		r = exec_buf_finish(&s->err);
	if (r < 0)
		return r;
	*res = (struct exec_result){
		.status = status,
		.timed_out = s->timed_out,
		.timeout_ms = s->opts->timeout_ms,
		.out = TAKE_PTR(s->out.data),
		.out_len = s->out.len,
		.out_truncated = s->out.truncated,
		.err = TAKE_PTR(s->err.data),
		.err_len = s->err.len,
		.err_truncated = s->err.truncated,
	};
	return 0;
}

/* Fork, supervise and reap, with our signal setup in place for exactly that long. */
static int exec_spawn(struct exec_state *s, const char *path, const char *const *envp,
		      struct exec_pipes *pipes, struct exec_result *res)
{
	struct child_signals sigs;
	int r;

	r = child_signals_block(&sigs);
	if (r < 0)
		return r;
	s->pid = child_fork();
	if (s->pid == 0)
		exec_child_run(s->opts, path, envp, pipes);
	r = s->pid;
	for (int i = 0; i < EXEC_PIPE_N; i++)
		exec_fd_close(&pipes->child[i]);
	if (r > 0) {
		s->fds = pipes->parent;
		r = exec_supervise(s, res);
	}
	child_signals_restore(&sigs);
	return r;
}

int exec_run(const struct exec_opts *opts, struct exec_result *ret_result)
{
	_cleanup_free_ char *path = NULL;
	struct exec_pipes pipes;
	struct exec_state s = {.opts = opts, .pidfd = -1};
	struct exec_result res = {0};
	int r;

	if (!ret_result)
		return -EINVAL;
	r = exec_opts_check(opts);
	if (r < 0)
		return r;
	r = exec_find_program(opts->argv[0], &path);
	if (r < 0)
		return r;
	r = exec_pipes_open(&pipes, opts->stdin_data != NULL);
	if (r < 0)
		return r;
	s.out.max = opts->out_max;
	s.err.max = opts->err_max;
	r = exec_spawn(&s, path, opts->envp ? opts->envp : exec_env_default, &pipes, &res);
	exec_pipes_close(&pipes);
	free(s.out.data);
	free(s.err.data);
	if (r < 0)
		return r;
	*ret_result = res;
	return 0;
}

void exec_result_release(struct exec_result *result)
{
	if (!result)
		return;
	free(result->out);
	free(result->err);
	*result = (struct exec_result){0};
}

bool exec_result_ok(const struct exec_result *result)
{
	return result && !result->timed_out && WIFEXITED(result->status) &&
	       WEXITSTATUS(result->status) == 0;
}

const char *exec_status_describe(const struct exec_result *result, char *buf, size_t size)
{
	int st;

	if (!buf || size == 0)
		return buf;
	if (!result) {
		snprintf(buf, size, "did not run");
		return buf;
	}
	st = result->status;
	if (result->timed_out && result->timeout_ms % 1000 == 0)
		snprintf(buf, size, "timed out after %u s", result->timeout_ms / 1000);
	else if (result->timed_out)
		snprintf(buf, size, "timed out after %u ms", result->timeout_ms);
	else if (WIFEXITED(st))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d%s", WTERMSIG(st),
			 WCOREDUMP(st) ? " (core dumped)" : "");
	else
		snprintf(buf, size, "ended with wait status 0x%x", (unsigned int)st);
	return buf;
}
