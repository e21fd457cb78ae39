/* parallel.c: a batch of items on a few threads (module boundary: libc, pthreads). See
 * parallel.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

/* The started threads' stacks, mapped at the first batch and kept for the next ones (issue 16:
 * sync asks a window of 128 workloads at a time, so 10 000 workloads were 78 batches, and musl
 * mapped a stack for each thread and unmapped it at its join: a TLB flush and the stack's page
 * faults again each time, each ~15-50 us on a virtual machine). One batch at a time uses them;
 * a batch that finds them in use (another thread's batch) has musl map its own, as before. */
static char *stacks; /* PARALLEL_THREADS_MAX - 1 stacks, each above a guard page */
static bool stacks_busy;
static long page_size;

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

/* The kept stacks, taken for a batch: true when the caller may use them (release them after). */
static bool stacks_take(void)
{
	size_t each, all;
	char *map;

	if (__atomic_exchange_n(&stacks_busy, true, __ATOMIC_ACQUIRE))
		return false;
	if (stacks)
		return true;
	page_size = sysconf(_SC_PAGESIZE);
	each = (size_t)page_size + PARALLEL_STACK;
	all = each * (PARALLEL_THREADS_MAX - 1);
	map = page_size > 0 ? mmap(NULL, all, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
			    : MAP_FAILED;
	if (map == MAP_FAILED) {
		__atomic_store_n(&stacks_busy, false, __ATOMIC_RELEASE);
		return false;
	}
	for (size_t i = 0; i < PARALLEL_THREADS_MAX - 1; i++)
		if (mprotect(map + i * each + page_size, PARALLEL_STACK, PROT_READ | PROT_WRITE) <
		    0) {
			munmap(map, all);
			__atomic_store_n(&stacks_busy, false, __ATOMIC_RELEASE);
			return false;
		}
	stacks = map;
	return true;
}

static char *kept_stack(unsigned i)
{
	return stacks + i * ((size_t)page_size + PARALLEL_STACK) + page_size;
}

static void stacks_release(void)
{
	__atomic_store_n(&stacks_busy, false, __ATOMIC_RELEASE);
}

/* A thread for workers[1..], as many as start; the caller's thread is workers[0]. With kept,
 * worker t runs on kept stack t - 1. */
static unsigned start_workers(struct worker *workers, unsigned n, pthread_t *threads, bool kept)
{
	pthread_attr_t attr;
	sigset_t all, old;
	unsigned started = 1;

	if (n < 2 || pthread_attr_init(&attr) != 0)
		return 1;
	pthread_attr_setstacksize(&attr, PARALLEL_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* each thread starts with this mask */
	while (started < n) {
		if (kept &&
		    pthread_attr_setstack(&attr, kept_stack(started - 1), PARALLEL_STACK) != 0)
			break;
		if (pthread_create(&threads[started], &attr, work_items, &workers[started]) != 0)
			break;
		started++;
	}
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
	bool kept;

	if (threads > PARALLEL_THREADS_MAX)
		threads = PARALLEL_THREADS_MAX;
	if (threads > n)
		threads = n ? (unsigned)n : 1;
	if (threads < 1)
		threads = 1;
	for (unsigned t = 0; t < threads; t++)
		workers[t] = (struct worker){
			.work = work, .arg = arg, .thread = t, .n = n, .next = &next};
	kept = threads > 1 && stacks_take();
	started = start_workers(workers, threads, ids, kept);
	work_items(&workers[0]);
	for (unsigned t = 1; t < started; t++)
		pthread_join(ids[t], NULL);
	if (kept)
		stacks_release(); /* every thread on them joined: off them */
	return started;
}
