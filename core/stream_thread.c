/*
 * stream_thread.c: a source stage that reads its next stage on a thread of its own, so that
 * what lies below (gunzip, age, the file) runs beside the caller's work on what it returns
 * (restore: tar parsing, hashing, writing). GNU tar gets the same from gzip being a separate
 * process. A ring of THREAD_SLOTS fixed buffers: the thread fills them in order, the caller
 * drains them in order; memory does not grow with the data. The thread's end or error is kept in
 * its slot and returned to the caller, again on every later read; the caller freeing the stage
 * stops the thread (it waits for a free slot or finishes its one read) and joins it. The thread
 * blocks every signal: the process's signals (SIGCHLD while a child lives, SIGPIPE) stay the
 * caller's thread's, as core/child expects.
 */
#include "stream.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

enum {
	THREAD_SLOTS = 3,	       /* one being filled, one being drained, one ready */
	THREAD_SLOT_BYTES = 64 * 1024, /* per read of the next stage */
};

struct thread_slot {
	unsigned char data[THREAD_SLOT_BYTES];
	size_t len;
	int err; /* the next stage's -errno; with len 0 and err 0 the proper end */
};

struct thread_source {
	struct source source;
	struct source *next;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct thread_slot slots[THREAD_SLOTS];
	size_t filled, drained; /* slots published by the thread, released by the caller */
	size_t offset;		/* the caller's position in slots[drained % THREAD_SLOTS] */
	bool stop;		/* the caller is gone */
};

static void *fill_slots(void *arg)
{
	struct thread_source *t = arg;
	bool last = false;

	while (!last) {
		struct thread_slot *slot;

		pthread_mutex_lock(&t->lock);
		while (t->filled - t->drained == THREAD_SLOTS && !t->stop)
			pthread_cond_wait(&t->changed, &t->lock);
		slot = t->stop ? NULL : &t->slots[t->filled % THREAD_SLOTS];
		pthread_mutex_unlock(&t->lock);
		if (!slot)
			break;
		/* The slot is the thread's until it is published. */
		slot->err = t->next->read(t->next, slot->data, sizeof(slot->data), &slot->len);
		if (slot->err < 0)
			slot->len = 0;
		last = slot->err < 0 || slot->len == 0;
		pthread_mutex_lock(&t->lock);
		t->filled++;
		pthread_cond_broadcast(&t->changed);
		pthread_mutex_unlock(&t->lock);
	}
	return NULL;
}

static int thread_read(struct source *s, void *buf, size_t len, size_t *got)
{
	struct thread_source *t = (struct thread_source *)s;
	struct thread_slot *slot;
	size_t n;

	*got = 0;
	pthread_mutex_lock(&t->lock);
	while (t->filled == t->drained)
		pthread_cond_wait(&t->changed, &t->lock);
	slot = &t->slots[t->drained % THREAD_SLOTS];
	pthread_mutex_unlock(&t->lock);
	if (slot->err < 0 || slot->len == 0 || len == 0)
		return slot->err; /* the end or the error stays in its slot: said again next time */
	n = slot->len - t->offset < len ? slot->len - t->offset : len;
	memcpy(buf, slot->data + t->offset, n);
	t->offset += n;
	*got = n;
	if (t->offset == slot->len) {
		t->offset = 0;
		pthread_mutex_lock(&t->lock);
		t->drained++;
		pthread_cond_broadcast(&t->changed);
		pthread_mutex_unlock(&t->lock);
	}
	return 0;
}

static void thread_free(struct source *s)
{
	struct thread_source *t = (struct thread_source *)s;

	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->changed);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->changed);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int source_thread_new(struct source *next, struct source **out)
{
	struct thread_source *t = calloc(1, sizeof(*t));
	sigset_t all, old;
	int r;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->source = (struct source){.read = thread_read, .free = thread_free};
	t->next = next;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->changed, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread starts with this mask */
	r = pthread_create(&t->thread, NULL, fill_slots, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		pthread_cond_destroy(&t->changed);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return -r;
	}
	*out = &t->source;
	return 0;
}
