/* parallel.c: a batch of items on a few threads (module boundary: libc, pthreads). See
 * parallel.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

struct worker {
	parallel_work_fn *work;
	void *arg;
	unsigned thread;
	size_t n;
	size_t *next; /* shared, atomic: the next item to claim */
};

unsigned parallel_threads(unsigned max)
{
	cpu_set_t cpus;
	int n = 1;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		n = CPU_COUNT(&cpus);
	if (max > PARALLEL_THREADS_MAX)
		max = PARALLEL_THREADS_MAX;
	if (n < 1 || max < 1)
		return 1;
	return (unsigned)n < max ? (unsigned)n : max;
}

static void *work_items(void *arg)
{
	struct worker *wk = arg;
	size_t i;

	while ((i = __atomic_fetch_add(wk->next, 1, __ATOMIC_RELAXED)) < wk->n)
		wk->work(wk->arg, wk->thread, i);
	return NULL;
}

/* A thread for workers[1..], as many as start; the caller's thread is workers[0]. */
static unsigned start_workers(struct worker *workers, unsigned n, pthread_t *threads)
{
	pthread_attr_t attr;
	sigset_t all, old;
	unsigned started = 1;

	if (n < 2 || pthread_attr_init(&attr) != 0)
		return 1;
	pthread_attr_setstacksize(&attr, PARALLEL_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* each thread starts with this mask */
	while (started < n &&
	       pthread_create(&threads[started], &attr, work_items, &workers[started]) == 0)
		started++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return started;
}

unsigned parallel_run(size_t n, unsigned threads, parallel_work_fn *work, void *arg)
{
	struct worker workers[PARALLEL_THREADS_MAX];
	pthread_t ids[PARALLEL_THREADS_MAX];
	unsigned started;
	size_t next = 0;

	if (threads > PARALLEL_THREADS_MAX)
		threads = PARALLEL_THREADS_MAX;
	if (threads > n)
		threads = n ? (unsigned)n : 1;
	if (threads < 1)
		threads = 1;
	for (unsigned t = 0; t < threads; t++)
		workers[t] = (struct worker){
			.work = work, .arg = arg, .thread = t, .n = n, .next = &next};
	started = start_workers(workers, threads, ids);
	work_items(&workers[0]);
	for (unsigned t = 1; t < started; t++)
		pthread_join(ids[t], NULL);
	return started;
}
