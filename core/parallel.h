/* parallel.h: a batch of independent items worked on by a few threads of the process, on the CPUs
 * it may use (issue 16: checks that are mostly calls into the kernel scale across CPUs). Items
 * are claimed one at a time through an atomic index, so a slow item holds up one thread, not a
 * share of the batch; the caller's thread is one of the workers. Every thread started is joined
 * before parallel_run() returns, on every path: no thread outlives a batch (sync forks its fetch
 * child and jobs). The threads start with every signal blocked, so signals stay the caller's
 * thread's. A thread that cannot be started is not an error: fewer threads do the work. The
 * started threads' stacks are mapped once and kept for the next batch (parallel.c). */
#ifndef TAILPOD_PARALLEL_H
#define TAILPOD_PARALLEL_H

#include <stddef.h>

enum {
	PARALLEL_THREADS_MAX = 8,    /* threads of a batch, the caller's one of them */
	PARALLEL_STACK = 256 * 1024, /* bytes of stack a started thread has */
};

/* How many threads a batch may use: the CPUs the process may run on, at most max (and at most
 * PARALLEL_THREADS_MAX), at least 1. */
unsigned parallel_threads(unsigned max);

/* work(arg, thread, i) for every i below n, on at most threads threads: thread is the worker's
 * number, 0 for the caller's, below threads (for state of its own). Returns how many threads
 * ran, every one joined. */
typedef void parallel_work_fn(void *arg, unsigned thread, size_t i);
unsigned parallel_run(size_t n, unsigned threads, parallel_work_fn *work, void *arg);

#endif
