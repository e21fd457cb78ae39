/* spec_ahead.c: a scope's specs parsed on a second thread ahead of the build (module boundary:
 * core, libc, pthreads, ini). One lock guards two counters: done (files parsed, in order) and
 * taken (the build's next file). Slots [taken, done) hold finished parses that only the build
 * touches; the parser writes slot done alone, which no parse the build may still take shares,
 * since done - taken < SPEC_AHEAD_WINDOW whenever it parses. When the window is full the parser
 * sleeps until half of it is free again, so it is woken once per half window, not once per spec
 * (a wakeup is two syscalls). The thread starts with every signal blocked, so signals stay the
 * caller's, and spec_ahead_stop() joins it: no thread outlives the scope (sync forks after the
 * build). */
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
	const struct fileset_file *const *files;
	size_t n;
	bool threaded; /* else spec_ahead_take() parses */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t parsed_cv; /* the build waits for a parse */
	pthread_cond_t room_cv;	  /* the parser waits for room in the window */
	size_t done, taken;
	bool stop, build_waits, parser_waits;
	struct parsed *slots; /* SPEC_AHEAD_WINDOW of them: file i's in slots[i % window] */
};

static void parse_into(const struct fileset_file *f, struct parsed *p)
{
	p->doc = NULL;
	p->err.where = NULL;
	p->err.line = 0;
	p->err.msg[0] = '\0';
	p->r = ini_parse(f->path, f->data, f->size, &p->doc, &p->err);
}

static struct parsed *slot(struct spec_ahead *a, size_t i)
{
	return &a->slots[i % SPEC_AHEAD_WINDOW];
}

static void wake_parser_if_room(struct spec_ahead *a)
{
	if (a->parser_waits && a->done - a->taken <= SPEC_AHEAD_WINDOW / 2)
		pthread_cond_signal(&a->room_cv);
}

static void *parse_ahead(void *arg)
{
	struct spec_ahead *a = arg;
	size_t i;

	pthread_mutex_lock(&a->lock);
	for (;;) {
		if (a->done - a->taken >= SPEC_AHEAD_WINDOW)
			while (!a->stop && a->done - a->taken > SPEC_AHEAD_WINDOW / 2) {
				a->parser_waits = true;
				pthread_cond_wait(&a->room_cv, &a->lock);
				a->parser_waits = false;
			}
		if (a->stop || a->done == a->n)
			break;
		i = a->done;
		pthread_mutex_unlock(&a->lock);
		parse_into(a->files[i], slot(a, i));
		pthread_mutex_lock(&a->lock);
		a->done = i + 1;
		if (a->build_waits)
			pthread_cond_signal(&a->parsed_cv);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static unsigned cpus_usable(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) == 0 ? (unsigned)CPU_COUNT(&set) : 1;
}

static bool start_parser(struct spec_ahead *a)
{
	sigset_t all, old;
	int r;

	a->slots = calloc(SPEC_AHEAD_WINDOW, sizeof(*a->slots));
	if (!a->slots)
		return false;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->parsed_cv, NULL);
	pthread_cond_init(&a->room_cv, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread starts with this mask */
	r = pthread_create(&a->thread, NULL, parse_ahead, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		return true;
	free(a->slots);
	a->slots = NULL;
	return false;
}

int spec_ahead_start(const struct fileset_file *const *files, size_t n, struct spec_ahead **ret)
{
	struct spec_ahead *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->files = files;
	a->n = n;
	a->threaded = n >= SPEC_AHEAD_MIN && cpus_usable() > 1 && start_parser(a);
	*ret = a;
	return 0;
}

/* Free the parses the build passed over on its way to file i, then wait for file i's. */
static void wait_for(struct spec_ahead *a, size_t i)
{
	for (;;) {
		while (a->taken < i && a->taken < a->done) {
			ini_free(slot(a, a->taken)->doc);
			slot(a, a->taken++)->doc = NULL;
		}
		wake_parser_if_room(a);
		if (a->done > i)
			return;
		a->build_waits = true;
		pthread_cond_wait(&a->parsed_cv, &a->lock);
		a->build_waits = false;
	}
}

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
	wake_parser_if_room(a);
	pthread_mutex_unlock(&a->lock);
	return r;
}

void spec_ahead_stop(struct spec_ahead *a)
{
	if (!a)
		return;
	if (a->threaded) {
		pthread_mutex_lock(&a->lock);
		a->stop = true;
		pthread_cond_signal(&a->room_cv);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
		for (size_t k = a->taken; k < a->done; k++)
			ini_free(slot(a, k)->doc);
		pthread_cond_destroy(&a->room_cv);
		pthread_cond_destroy(&a->parsed_cv);
		pthread_mutex_destroy(&a->lock);
		free(a->slots);
	}
	free(a);
}
