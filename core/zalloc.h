/* zalloc.h: zlib's allocator. zlib is built with MY_ZCALLOC (third_party/recipes/zlib.sh), so
 * every stream whose zalloc and zfree are unset (libgit2's, core/stream_gz.c's) allocates here.
 *
 * Why: libgit2 opens a zlib stream for every object it reads from a pack (two for a delta, the
 * header and then the object), and each stream allocates a 7 KiB state, and a 32 KiB window when
 * it needs one, and frees them at its end. musl's allocator keeps blocks of that size in small
 * mapped groups and unmaps a group when its last block is freed (until it has seen that size come
 * back ~100 times), so the fetch child reading a tree paid ~150 mmap/munmap pairs and their page
 * faults: fetch and build of 10 000 workloads took 0.20 s, 0.12 s with this (issue 16).
 * Here a freed block of at most ZALLOC_KEEP_MAX bytes is kept, up to ZALLOC_KEPT blocks (a
 * stream's state and window, for the two streams a delta has open), for the next request of the
 * same size. What is kept is bounded (ZALLOC_KEPT * ZALLOC_KEEP_MAX). The lock makes it safe
 * from any thread; no thread holds it while the process forks (core/parallel.h: the threads are
 * joined before sync forks). */
#ifndef TAILPOD_ZALLOC_H
#define TAILPOD_ZALLOC_H

enum {
	ZALLOC_KEPT = 4,	     /* blocks kept for reuse at most */
	ZALLOC_KEEP_MAX = 32 * 1024, /* bytes of the largest block kept: an inflate window */
};

/* The names and types zutil.h gives them (voidpf is void *, uInt is unsigned). zcalloc returns
 * items * size bytes, not cleared (as zlib's own does on every platform with a 32-bit int), or
 * NULL; zcfree takes what zcalloc returned, or NULL. */
void *zcalloc(void *opaque, unsigned items, unsigned size);
void zcfree(void *opaque, void *ptr);

/* How many blocks are kept now; zalloc_drop frees them all (the unit test's clean start). */
unsigned zalloc_kept(void);
void zalloc_drop(void);

#endif
