/* child.h: supervise-and-reap for the processes tailpod forks (exec's commands, userfs's writer,
 * fetchjail's fetch). While one lives, SIGCHLD is blocked (a caller's handler must not reap it)
 * and so is SIGPIPE (a child closing its end must give us EPIPE, not kill us), and an ignored
 * SIGCHLD is undone (the kernel would reap); the fork happens with every signal blocked, so no
 * handler of ours runs in the child. Reading from it has a deadline; it is always reaped. Core
 * module: no printing, negative errno on failure. */
#ifndef TAILPOD_CHILD_H
#define TAILPOD_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The caller's signal setup, saved by child_signals_block(). */
struct child_signals {
	sigset_t mask;
	struct sigaction chld;
	bool chld_changed;
	bool pipe_was_pending;
};

int child_signals_block(struct child_signals *st);

/* Put back what child_signals_block() changed; a SIGPIPE our own writes raised is swallowed. */
void child_signals_restore(const struct child_signals *st);

/* fork(2) with every signal blocked. In the child it returns 0 with them still blocked (the child
 * resets handlers before it unblocks, or never does); in the parent the pid, the caller's mask
 * restored; -errno. */
pid_t child_fork(void);

/* SIGKILL pid first when kill_first, then wait for it, retrying EINTR; its wait status. */
int child_reap(pid_t pid, bool kill_first, int *ret_status);

/* A child that reports over a pipe: started by child_start(), which blocks the signals, makes
 * the pipe and forks; the child runs run(arg, write_fd) with the caller's signal mask and must
 * not return (it _exits). */
struct child {
	pid_t pid;
	int fd; /* the read end */
	struct child_signals sigs;
};

int child_start(struct child *c, void (*run)(const void *arg, int fd), const void *arg);

/* Exactly len bytes from c before deadline_ms (clock_now_ms()): 0; -EPIPE at end of file (the
 * child exited or closed its end, also part way); -ETIMEDOUT; or poll's or read's -errno. */
int child_read(const struct child *c, void *buf, size_t len, uint64_t deadline_ms);

/* What c has sent, 1 to cap bytes, before deadline_ms: their count; -EPIPE at end of file,
 * -ETIMEDOUT, or poll's or read's -errno. For a reader that buffers (core/fetchjail). */
ssize_t child_read_some(const struct child *c, void *buf, size_t cap, uint64_t deadline_ms);

/* child_reap() (kill_first: the child may be stopped or still busy), close the pipe, restore
 * the signals. Returns child_reap()'s result. */
int child_finish(struct child *c, bool kill_first, int *ret_status);

#endif
