/* arena.c: see arena.h. */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	ARENA_CHUNK_FIRST = 16 * 1024 - 64, /* with malloc's header, four pages */
	ARENA_CHUNK_MAX = 256 * 1024 - 64,  /* each new chunk doubles the last, up to this */
};

struct arena_chunk {
	struct arena_chunk *next; /* the chunk filled before this one */
	size_t size;		  /* bytes of data */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

/* A new chunk at the head with room for n bytes aligned to align: twice the last one's size (a
 * piece larger than a quarter of that gets a chunk of its own, behind the head, so the head's room
 * is not wasted). */
static struct arena_chunk *chunk_add(struct arena *a, size_t n, size_t align)
{
	struct arena_chunk *head = a->chunks, *c;
	size_t size = head ? head->size * 2 : ARENA_CHUNK_FIRST;

	if (size > ARENA_CHUNK_MAX)
		size = ARENA_CHUNK_MAX;
	if (n > SIZE_MAX - sizeof(*c) - align)
		return NULL;
	if (n + align > size / 4) {
		c = malloc(sizeof(*c) + n + align);
		if (!c)
			return NULL;
		*c = (struct arena_chunk){.size = n + align};
		if (head) { /* behind the head: it keeps filling */
			c->next = head->next;
			head->next = c;
		} else {
			a->chunks = c;
		}
		return c;
	}
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	*c = (struct arena_chunk){.next = head, .size = size};
	a->chunks = c;
	return c;
}

static void *alloc_aligned(struct arena *a, size_t n, size_t align)
{
	struct arena_chunk *c = a->chunks;
	size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;

	if (!c || at > c->size || n > c->size - at) {
		c = chunk_add(a, n, align);
		if (!c)
			return NULL;
		at = (c->used + align - 1) & ~(align - 1);
	}
	c->used = at + n;
	return c->data + at;
}

void *arena_alloc(struct arena *a, size_t n)
{
	return alloc_aligned(a, n, alignof(max_align_t));
}

void *arena_alloc_bytes(struct arena *a, size_t n)
{
	return alloc_aligned(a, n, 1);
}

char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc_bytes(a, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

char *arena_join(struct arena *a, const char *x, const char *y, const char *z)
{
	size_t nx = strlen(x), ny = strlen(y), nz = strlen(z);
	char *p = arena_alloc_bytes(a, nx + ny + nz + 1);

	if (!p)
		return NULL;
	memcpy(p, x, nx);
	memcpy(p + nx, y, ny);
	memcpy(p + nx + ny, z, nz + 1);
	return p;
}

/* from's chunks go behind into's head, so that into goes on filling its own head. */
void arena_take(struct arena *into, struct arena *from)
{
	struct arena_chunk *last = from->chunks;

	if (!last)
		return;
	while (last->next)
		last = last->next;
	if (into->chunks) {
		last->next = into->chunks->next;
		into->chunks->next = from->chunks;
	} else {
		into->chunks = from->chunks;
	}
	from->chunks = NULL;
}

void arena_release(struct arena *a)
{
	for (struct arena_chunk *c = a->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	a->chunks = NULL;
}
