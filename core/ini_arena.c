/* ini_arena.c: the memory of a unit-file document (module boundary: core, libc only). A document
 * is a chain of chunks that holds everything it stores: the struct ini itself, the parse's
 * sections, lines and strings, and every edit's lines and grown arrays. Nothing in it is freed on
 * its own; ini_free() gives the whole chain back at once.
 *
 * Why (issue 16): check and sync parse, merge and free a document per spec. A malloc per edited
 * line and per copied-out array, freed again a spec later, made musl's mallocng map and unmap a
 * group over and over: a munmap is a cross-CPU TLB flush. So a freed document's chunks go to a
 * small cache of INI_CACHE_CHUNKS blocks of at most INI_CACHE_CHUNK_MAX bytes each, which the
 * next parse takes from: at most 512 KiB kept, a few KiB for the specs seen in practice. The
 * cache is left to the process's exit, not freed by a call: that would give back the munmaps at
 * exit this saves, and the blocks stay reachable from the cache, so LeakSanitizer counts none of
 * them lost. Its slots are swapped atomically: a document may be freed on any thread.
 *
 * A thread may use a cache of its own instead (ini_cache_use): a build on threads
 * (core/spec_parts.c) takes and gives back chunks a few times a spec, and the shared cache's slots,
 * one cache line, bounced between the CPUs every time. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "ini_internal.h"

enum {
	INI_CACHE_CHUNKS = INI_CACHE_SLOTS, /* chunks kept for the next documents */
	INI_CACHE_CHUNK_MAX = 64 * 1024,    /* bytes of a chunk worth keeping */
	INI_CHUNK_MIN = 1024,		    /* smallest chunk made: a short spec's whole parse */
	INI_CHUNK_GROW_MAX = 64 * 1024,	    /* an edit's new chunk doubles the last, up to this */
};

struct ini_chunk {
	struct ini_chunk *next; /* the chunk filled before this one */
	size_t size;		/* bytes of data */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

static struct ini_chunk *cache[INI_CACHE_CHUNKS];
static __thread struct ini_cache *own_cache; /* this thread's, or NULL: the shared one */

/* Sizes a cache slot can hold are rounded up to a power of two, so that a freed chunk fits the
 * next document of about the same size; larger ones are made exactly to measure. */
static size_t chunk_size_for(size_t n)
{
	size_t size = INI_CHUNK_MIN;

	if (n > INI_CACHE_CHUNK_MAX)
		return n;
	while (size < n)
		size *= 2;
	return size;
}

/* Into an empty slot of this thread's own cache, if it has one. */
static bool own_cache_put(struct ini_chunk *c)
{
	for (size_t i = 0; i < INI_CACHE_CHUNKS; i++)
		if (!own_cache->slots[i]) {
			own_cache->slots[i] = c;
			return true;
		}
	return false;
}

/* Into an empty cache slot if it is worth keeping, else back to malloc. */
static void chunk_free(struct ini_chunk *c)
{
	if (c->size <= INI_CACHE_CHUNK_MAX && own_cache) {
		if (!own_cache_put(c))
			free(c);
		return;
	}
	if (c->size <= INI_CACHE_CHUNK_MAX)
		for (size_t i = 0; i < INI_CACHE_CHUNKS; i++) {
			struct ini_chunk *empty = NULL;

			if (__atomic_compare_exchange_n(&cache[i], &empty, c, false,
							__ATOMIC_RELEASE, __ATOMIC_RELAXED))
				return;
		}
	free(c);
}

/* A cached chunk of at least n bytes, or NULL. Each slot is emptied before its chunk is looked
 * at, so no other thread can free the chunk meanwhile; one too small goes back. */
static struct ini_chunk *cache_take(size_t n)
{
	for (size_t i = 0; own_cache && i < INI_CACHE_CHUNKS; i++) {
		struct ini_chunk *c = own_cache->slots[i];

		if (c && c->size >= n) {
			own_cache->slots[i] = NULL;
			return c;
		}
	}
	if (own_cache)
		return NULL;
	for (size_t i = 0; i < INI_CACHE_CHUNKS; i++) {
		struct ini_chunk *c = __atomic_exchange_n(&cache[i], NULL, __ATOMIC_ACQUIRE);

		if (!c)
			continue;
		if (c->size >= n)
			return c;
		chunk_free(c);
	}
	return NULL;
}

static struct ini_chunk *chunk_new(size_t n)
{
	struct ini_chunk *c = cache_take(n);
	size_t size;

	if (!c) {
		size = chunk_size_for(n);
		if (size > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
	}
	c->next = NULL;
	c->used = 0;
	return c;
}

/* The first chunk, of at least n bytes besides the struct ini at its start. */
int ini_arena_new(size_t n, struct ini **ret)
{
	size_t head = (sizeof(struct ini) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	struct ini_chunk *c;
	struct ini *ini;

	if (n > SIZE_MAX - head - sizeof(*c))
		return -ENOMEM;
	c = chunk_new(head + n);
	if (!c)
		return -ENOMEM;
	ini = (struct ini *)(void *)c->data;
	*ini = (struct ini){.eol = "\n", .chunks = c};
	c->used = head;
	*ret = ini;
	return 0;
}

void *ini_arena_alloc(struct ini *ini, size_t n, size_t align)
{
	struct ini_chunk *c = ini->chunks;
	size_t at = (c->used + align - 1) & ~(align - 1);
	size_t grow;

	if (at <= c->size && n <= c->size - at) {
		c->used = at + n;
		return c->data + at;
	}
	if (n > SIZE_MAX / 2)
		return NULL;
	grow = c->size < INI_CHUNK_GROW_MAX / 2 ? 2 * c->size : INI_CHUNK_GROW_MAX;
	c = chunk_new(n > grow ? n : grow); /* data is max_align_t aligned: at 0 fits any align */
	if (!c)
		return NULL;
	c->next = ini->chunks;
	ini->chunks = c;
	c->used = n;
	return c->data;
}

char *ini_arena_strndup(struct ini *ini, const char *s, size_t n)
{
	char *d = n < SIZE_MAX ? ini_arena_alloc(ini, n + 1, 1) : NULL;

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void ini_cache_use(struct ini_cache *own)
{
	own_cache = own;
}

void ini_cache_release(struct ini_cache *own)
{
	for (size_t i = 0; i < INI_CACHE_CHUNKS; i++) {
		free(own->slots[i]);
		own->slots[i] = NULL;
	}
}

void ini_arena_free(struct ini *ini)
{
	struct ini_chunk *c = ini->chunks; /* ini lives in the last chunk of the chain */

	while (c) {
		struct ini_chunk *next = c->next;

		chunk_free(c);
		c = next;
	}
}
