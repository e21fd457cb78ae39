/* arena.h: memory handed out in small pieces and given back all at once (module boundary: libc
 * only). An arena is a chain of chunks filled front to back; a piece is never freed alone, and
 * arena_release() frees the chain.
 *
 * Why (issue 16): the spec set's names, sources and unit arrays were a malloc each, four or five
 * a workload. On one thread that is a cost; on the threads of a parallel build it is the cost,
 * since every malloc and free of a musl process takes one lock: two threads building specs with
 * malloc did 1.15x the work of one, and 1.9x with a scratch allocator that took no lock. A chunk
 * is a malloc of 16 KiB to 256 KiB, or of a piece's size when it is larger than a quarter of that.
 * An arena belongs to one thread at a time; arena_take() moves one arena's chunks into another
 * (a thread's finished work into the whole). */
#ifndef TAILPOD_ARENA_H
#define TAILPOD_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *chunks; /* the chunk filled now first, then the ones before it */
};

/* n bytes aligned for any object (max_align_t), or NULL when out of memory. n may be 0. */
void *arena_alloc(struct arena *a, size_t n);

/* n bytes with no alignment (strings), or NULL. */
void *arena_alloc_bytes(struct arena *a, size_t n);

/* s copied, NUL-terminated; NULL when out of memory. */
char *arena_strdup(struct arena *a, const char *s);

/* x, y and z joined into one new string; NULL when out of memory. */
char *arena_join(struct arena *a, const char *x, const char *y, const char *z);

/* from's chunks moved into into; from is left empty. Each piece stays where it is. */
void arena_take(struct arena *into, struct arena *from);

/* Every chunk freed; the arena is empty (and may be used again). */
void arena_release(struct arena *a);

#endif
