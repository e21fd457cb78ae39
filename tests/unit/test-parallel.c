/* test-parallel.c: unit tests of core/parallel (a batch of items on a few threads): every item is
 * worked on exactly once, each thread's number is below the threads asked for, every thread has
 * ended when parallel_run() returns, the threads run with every signal blocked, and the bounds
 * (no items, more threads than items or than PARALLEL_THREADS_MAX, the CPUs) hold; the threads'
 * stacks are kept from batch to batch, and two batches at once each do all of their own. */

#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "parallel.h"

enum { ITEMS = 5000 };

struct batch {
	unsigned done[ITEMS]; /* how often each item was worked on */
	unsigned threads;     /* the bound asked for */
	unsigned by_thread[PARALLEL_THREADS_MAX];
	unsigned bad_thread;   /* items given a thread number out of bounds */
	unsigned signals_open; /* items on a started thread with SIGTERM not blocked */
	pthread_t caller;
};

static void work(void *arg, unsigned thread, size_t i)
{
	struct batch *b = arg;
	sigset_t mask;

	__atomic_add_fetch(&b->done[i], 1, __ATOMIC_RELAXED);
	if (thread >= b->threads || thread >= PARALLEL_THREADS_MAX) {
		__atomic_add_fetch(&b->bad_thread, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&b->by_thread[thread], 1, __ATOMIC_RELAXED);
	if (!pthread_equal(pthread_self(), b->caller) &&
	    (pthread_sigmask(SIG_SETMASK, NULL, &mask) != 0 || !sigismember(&mask, SIGTERM)))
		__atomic_add_fetch(&b->signals_open, 1, __ATOMIC_RELAXED);
	if (i % 97 == 0)
		usleep(100); /* a slow item: the others go on on the other threads */
}

static void run(struct batch *b, size_t n, unsigned threads, unsigned *ret_started)
{
	memset(b, 0, sizeof(*b));
	b->threads = threads ? threads : 1; /* 0 is read as 1 */
	b->caller = pthread_self();
	*ret_started = parallel_run(n, threads, work, b);
}

static void test_every_item_once(void **state)
{
	static struct batch b;
	unsigned started, sum = 0;

	(void)state;
	run(&b, ITEMS, 4, &started);
	assert_true(started >= 1 && started <= 4);
	for (size_t i = 0; i < ITEMS; i++)
		assert_int_equal(b.done[i], 1);
	assert_int_equal(b.bad_thread, 0);
	assert_int_equal(b.signals_open, 0);
	for (unsigned t = 0; t < PARALLEL_THREADS_MAX; t++)
		sum += b.by_thread[t];
	assert_int_equal(sum, ITEMS);	 /* every count read after the return: all joined */
	assert_true(b.by_thread[0] > 0); /* the caller's thread works too */
}

static void test_bounds(void **state)
{
	static struct batch b;
	unsigned started;

	(void)state;
	run(&b, 0, 4, &started); /* nothing to do: the caller alone, no call */
	assert_int_equal(started, 1);
	assert_int_equal(b.by_thread[0], 0);
	run(&b, 3, 8, &started); /* more threads than items: at most one an item */
	assert_true(started <= 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(b.done[i], 1);
	run(&b, 100, 1, &started); /* one thread: the caller's */
	assert_int_equal(started, 1);
	assert_int_equal(b.by_thread[0], 100);
	run(&b, 100, 0, &started); /* 0 is read as 1 */
	assert_int_equal(started, 1);
	assert_int_equal(b.by_thread[0], 100);
	run(&b, ITEMS, 1000, &started); /* past the maximum */
	assert_true(started <= PARALLEL_THREADS_MAX);
	assert_int_equal(b.bad_thread, 0);
}

static void test_threads_bound(void **state)
{
	cpu_set_t cpus;
	unsigned n;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
	n = (unsigned)CPU_COUNT(&cpus);
	assert_int_equal(parallel_threads(1), 1);
	assert_int_equal(parallel_threads(0), 1);
	assert_int_equal(parallel_threads(2), n < 2 ? n : 2);
	assert_int_equal(parallel_threads(1000),
			 n < PARALLEL_THREADS_MAX ? n : PARALLEL_THREADS_MAX);
}

static void deep_frame(void *arg, unsigned thread, size_t i)
{
	volatile char deep[128 * 1024]; /* half of PARALLEL_STACK, every page of it touched */
	unsigned *ran = arg;

	for (size_t k = 0; k < sizeof(deep); k += 4096)
		deep[k] = (char)i;
	__atomic_add_fetch(&ran[thread], 1, __ATOMIC_RELAXED);
	/* Each item waits for the others (5 s at most), so each thread takes one. */
	__atomic_add_fetch(&ran[PARALLEL_THREADS_MAX], 1, __ATOMIC_RELAXED);
	for (int waited = 0;
	     waited < 5000 && __atomic_load_n(&ran[PARALLEL_THREADS_MAX], __ATOMIC_RELAXED) < 3;
	     waited++)
		usleep(1000);
}

/* The started threads run on the stacks kept from batch to batch (issue 16), each of them
 * PARALLEL_STACK bytes: a deep frame fits on each, batch after batch. (That the stacks are the
 * same ones is seen on the static binary, where musl would map new ones each batch:
 * tests/applets/sync-scale.test.) */
static void test_deep_frames(void **state)
{
	(void)state;
	for (int batch = 0; batch < 3; batch++) {
		unsigned ran[PARALLEL_THREADS_MAX + 1] = {0}; /* the last: items arrived */

		assert_int_equal(parallel_run(3, 3, deep_frame, ran), 3);
		for (unsigned t = 0; t < 3; t++)
			assert_int_equal(ran[t], 1);
	}
}

static void *concurrent_batch(void *arg)
{
	unsigned started;

	run(arg, ITEMS, 3, &started);
	return NULL;
}

/* Two batches at once, from two threads: one runs on the kept stacks, the other on stacks of
 * its own, and each works on every item of its own once. */
static void test_concurrent_batches(void **state)
{
	static struct batch a, b;
	pthread_t other;

	(void)state;
	assert_int_equal(pthread_create(&other, NULL, concurrent_batch, &a), 0);
	concurrent_batch(&b);
	assert_int_equal(pthread_join(other, NULL), 0);
	for (size_t i = 0; i < ITEMS; i++)
		assert_true(a.done[i] == 1 && b.done[i] == 1);
	assert_int_equal(a.bad_thread + b.bad_thread, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_item_once),	   cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_threads_bound),	   cmocka_unit_test(test_deep_frames),
		cmocka_unit_test(test_concurrent_batches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
