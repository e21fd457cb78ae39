/* spec_ahead.c: a build's specs parsed on a second thread ahead of it (module boundary: core, libc,
 * pthreads, ini). One lock guards the scope's state and two counters: done (files parsed, in
 * order) and taken (the build's next file). Slots [taken, done) hold finished parses that only
 * the build touches; the parser writes slot done alone, outside the lock ("busy"), and no parse
 * the build may still take shares that slot, since done - taken < SPEC_AHEAD_WINDOW whenever it
 * parses. When the window fills, the parser sleeps until half of it is free again, so it is woken
 * once per half window, not once per spec (a wakeup is two syscalls). The parser reads the scope
 * (files, n, taken) only while the scope is active, and spec_ahead_end() waits until it is no
 * longer busy before the build changes them. The thread starts with every signal blocked, so
 * signals stay the caller's; spec_ahead_free() joins it: no thread outlives the build (sync forks
 * after it). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "spec_ahead.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct parsed {
	struct ini *doc;
	int r;
	struct ini_error err; /* when r < 0 */
};

struct spec_ahead {
	pthread_t thread;
	bool started, start_failed, quit;
	pthread_mutex_t lock;
	pthread_cond_t work_cv; /* the parser waits for work or room */
	pthread_cond_t done_cv; /* the build waits for a parse, or for the parser to be idle */
	/* The scope: */
	const struct fileset_file *const *files;
	size_t n;
	bool threaded; /* this scope's parses are the thread's (else spec_ahead_take() parses) */
	bool active;   /* the parser may work on it */
	size_t done, taken;
	bool full; /* the window filled: the parser waits until half of it is free */
	bool busy, parser_waits, build_waits;
	struct parsed *slots; /* SPEC_AHEAD_WINDOW of them: file i's in slots[i % window] */
};

static struct parsed *slot(struct spec_ahead *a, size_t i)
{
	return &a->slots[i % SPEC_AHEAD_WINDOW];
}

static void parse_into(const struct fileset_file *f, struct parsed *p)
{
	p->doc = NULL;
	p->err.where = NULL;
	p->err.line = 0;
	p->err.msg[0] = '\0';
	p->r = ini_parse(f->path, f->data, f->size, &p->doc, &p->err);
}

/* The parser's test, under the lock. */
static bool can_parse(struct spec_ahead *a)
{
	if (!a->active || a->done >= a->n)
		return false;
	if (a->done - a->taken >= SPEC_AHEAD_WINDOW)
		a->full = true;
	else if (a->done - a->taken <= SPEC_AHEAD_WINDOW / 2)
		a->full = false;
	return !a->full;
}

/* The build's side of can_parse(), under the lock: wake a waiting parser once it has work. */
static void wake_parser(struct spec_ahead *a)
{
	if (a->parser_waits && a->active && a->done < a->n &&
	    a->done - a->taken <= SPEC_AHEAD_WINDOW / 2)
		pthread_cond_signal(&a->work_cv);
}

static void *parse_ahead(void *arg)
{
	struct spec_ahead *a = arg;
	size_t i;

	pthread_mutex_lock(&a->lock);
	while (!a->quit) {
		if (!can_parse(a)) {
			a->parser_waits = true;
			pthread_cond_wait(&a->work_cv, &a->lock);
			a->parser_waits = false;
			continue;
		}
		i = a->done;
		a->busy = true;
		pthread_mutex_unlock(&a->lock);
		parse_into(a->files[i], slot(a, i));
		pthread_mutex_lock(&a->lock);
		a->busy = false;
		a->done = i + 1;
		if (a->build_waits)
			pthread_cond_signal(&a->done_cv);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int spec_ahead_new(struct spec_ahead **ret)
{
	struct spec_ahead *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->work_cv, NULL);
	pthread_cond_init(&a->done_cv, NULL);
	*ret = a;
	return 0;
}

static unsigned cpus_usable(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) == 0 ? (unsigned)CPU_COUNT(&set) : 1;
}

/* The thread, started once, at the first scope that wants it; false if it cannot run. */
static bool parser_running(struct spec_ahead *a)
{
	sigset_t all, old;

	if (a->started || a->start_failed)
		return a->started;
	a->start_failed = true;
	if (cpus_usable() < 2 || !(a->slots = calloc(SPEC_AHEAD_WINDOW, sizeof(*a->slots))))
		return false;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread starts with this mask */
	a->started = pthread_create(&a->thread, NULL, parse_ahead, a) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	a->start_failed = !a->started;
	return a->started;
}

void spec_ahead_begin(struct spec_ahead *a, const struct fileset_file *const *files, size_t n)
{
	bool threaded = n >= SPEC_AHEAD_MIN && parser_running(a);

	pthread_mutex_lock(&a->lock);
	a->files = files;
	a->n = n;
	a->done = a->taken = 0;
	a->full = false;
	a->threaded = threaded;
	a->active = threaded;
	if (a->parser_waits && threaded)
		pthread_cond_signal(&a->work_cv);
	pthread_mutex_unlock(&a->lock);
}

/* Free the parses the build passed over on its way to file i, then wait for file i's. */
static void wait_for(struct spec_ahead *a, size_t i)
{
	for (;;) {
		while (a->taken < i && a->taken < a->done) {
			ini_free(slot(a, a->taken)->doc);
			slot(a, a->taken++)->doc = NULL;
		}
		wake_parser(a);
		if (a->done > i)
			return;
		a->build_waits = true;
		pthread_cond_wait(&a->done_cv, &a->lock);
		a->build_waits = false;
	}
}

/* Only the build writes files, n, threaded and taken; the parser reads taken under the lock. */
int spec_ahead_take(struct spec_ahead *a, size_t i, struct ini **ret, struct ini_error *err)
{
	struct parsed *p;
	int r;

	if (i >= a->n || i < a->taken)
		return -EINVAL;
	if (!a->threaded) {
		a->taken = i + 1;
		return ini_parse(a->files[i]->path, a->files[i]->data, a->files[i]->size, ret, err);
	}
	pthread_mutex_lock(&a->lock);
	wait_for(a, i);
	p = slot(a, i);
	*ret = p->doc;
	r = p->r;
	if (r < 0 && err)
		*err = p->err;
	p->doc = NULL;
	a->taken = i + 1;
	wake_parser(a);
	pthread_mutex_unlock(&a->lock);
	return r;
}

void spec_ahead_end(struct spec_ahead *a)
{
	pthread_mutex_lock(&a->lock);
	a->active = false;
	while (a->busy) {
		a->build_waits = true;
		pthread_cond_wait(&a->done_cv, &a->lock);
		a->build_waits = false;
	}
	for (size_t k = a->taken; a->threaded && k < a->done; k++) {
		ini_free(slot(a, k)->doc);
		slot(a, k)->doc = NULL;
	}
	a->files = NULL;
	a->n = a->done = a->taken = 0;
	a->threaded = false;
	pthread_mutex_unlock(&a->lock);
}

void spec_ahead_free(struct spec_ahead *a)
{
	if (!a)
		return;
	spec_ahead_end(a);
	if (a->started) {
		pthread_mutex_lock(&a->lock);
		a->quit = true;
		pthread_cond_signal(&a->work_cv);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
	}
	pthread_cond_destroy(&a->done_cv);
	pthread_cond_destroy(&a->work_cv);
	pthread_mutex_destroy(&a->lock);
	free(a->slots);
	free(a);
}
