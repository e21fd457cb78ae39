/* zalloc.h: zlib's allocator. zlib is built with MY_ZCALLOC (third_party/recipes/zlib.sh), so
 * every stream whose zalloc and zfree are unset (libgit2's, core/stream_gz.c's) allocates here.
 *
 * Why: libgit2 opens a zlib stream for every object it reads from a pack (two for a delta, the
 * header and then the object), and each stream allocates a 7 KiB state, and a 32 KiB window when
 * it needs one, and frees them at its end. musl's allocator gives a block of that size its own
 * mapping and unmaps it when it is freed, so reading the 1 000 blobs of a tree cost ~200
 * mmap/munmap pairs with their page faults: about half the fetch child's CPU time (issue 16).
 * Here a freed block of at most ZALLOC_KEEP_MAX bytes is kept, up to ZALLOC_KEPT blocks, for the
 * next request of the same size. What is kept is bounded (ZALLOC_KEPT * ZALLOC_KEEP_MAX); the
 * lock makes it safe from any thread. */
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
