/* zalloc.c: zlib's allocator, keeping a few freed blocks for the next stream (module boundary:
 * libc, pthreads). See zalloc.h. */
#include "zalloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Before every block: its size, in a header as big as malloc's alignment so the block keeps it. */
union zalloc_header {
	size_t size;
	max_align_t align;
};

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static union zalloc_header *kept[ZALLOC_KEPT];
static unsigned n_kept;

/* A kept block of exactly size bytes, taken out of the keep; NULL if there is none. */
static union zalloc_header *take_kept(size_t size)
{
	union zalloc_header *h = NULL;

	pthread_mutex_lock(&kept_lock);
	for (unsigned i = 0; i < n_kept; i++) {
		if (kept[i]->size == size) {
			h = kept[i];
			kept[i] = kept[--n_kept];
			break;
		}
	}
	pthread_mutex_unlock(&kept_lock);
	return h;
}

/* Whether h went into the keep (false: it is the caller's to free). */
static bool keep(union zalloc_header *h)
{
	bool kept_it = false;

	if (h->size > ZALLOC_KEEP_MAX)
		return false;
	pthread_mutex_lock(&kept_lock);
	if (n_kept < ZALLOC_KEPT) {
		kept[n_kept++] = h;
		kept_it = true;
	}
	pthread_mutex_unlock(&kept_lock);
	return kept_it;
}

void *zcalloc(void *opaque, unsigned items, unsigned size)
{
	union zalloc_header *h;
	size_t n;

	(void)opaque;
	if (__builtin_mul_overflow((size_t)items, (size_t)size, &n) || n > SIZE_MAX - sizeof(*h))
		return NULL;
	h = take_kept(n);
	if (!h) {
		h = malloc(sizeof(*h) + n);
		if (!h)
			return NULL;
		h->size = n;
	}
	return h + 1;
}

void zcfree(void *opaque, void *ptr)
{
	union zalloc_header *h;

	(void)opaque;
	if (!ptr)
		return;
	h = (union zalloc_header *)ptr - 1;
	if (!keep(h))
		free(h);
}

unsigned zalloc_kept(void)
{
	unsigned n;

	pthread_mutex_lock(&kept_lock);
	n = n_kept;
	pthread_mutex_unlock(&kept_lock);
	return n;
}

void zalloc_drop(void)
{
	pthread_mutex_lock(&kept_lock);
	while (n_kept)
		free(kept[--n_kept]);
	pthread_mutex_unlock(&kept_lock);
}
