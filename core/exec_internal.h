/* exec_internal.h: what exec.c (the parent) hands to exec_child.c (the forked child): the pipe set
 * both sides index, and the one entry point the child runs. Nothing outside the exec module may
 * include it; the public API is exec.h. */
#ifndef TAILPOD_EXEC_INTERNAL_H
#define TAILPOD_EXEC_INTERNAL_H

#include "exec.h"

enum exec_pipe { EXEC_PIPE_IN, EXEC_PIPE_OUT, EXEC_PIPE_ERR, EXEC_PIPE_STATUS, EXEC_PIPE_N };

/* Parent and child ends; the child's stdin end is /dev/null when there is no stdin data. */
struct exec_pipes {
	int parent[EXEC_PIPE_N];
	int child[EXEC_PIPE_N];
};

/* Runs in the forked child and never returns: set up, then execve path with o->argv and envp. A
 * failure before or at execve writes its errno to p->child[EXEC_PIPE_STATUS] and exits 127. Only
 * async-signal-safe calls. */
__attribute__((noreturn)) void exec_child_run(const struct exec_opts *o, const char *path,
					      const char *const *envp, const struct exec_pipes *p);

#endif
