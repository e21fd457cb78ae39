/* sort.h: a stable merge sort of an array, in place, for the large sorts of check's hot path. */
#ifndef TAILPOD_SORT_H
#define TAILPOD_SORT_H

#include <stddef.h>
#include <stdint.h>

/* The comparison qsort() takes: < 0, 0 or > 0 as a sorts before, with or after b. */
typedef int (*sort_cmp_fn)(const void *a, const void *b);

/*
 * Sort the n elements of size bytes at base by cmp, as qsort() does; elements that compare equal
 * keep their order (stable). Issue 16: musl's qsort (a smoothsort) made about twice the
 * comparisons of a merge sort on check's arrays, each through a wrapper. This sorts an array of
 * 32-bit indices (8 bytes an element of scratch, freed before it returns) and then moves each
 * element once; a few small elements are sorted in place, without scratch. When that scratch cannot
 * be allocated, or n does not fit an index, qsort() sorts instead, and equal elements end in an
 * unspecified order: callers whose keys are unique get the same order either way.
 */
void sort_stable(void *base, size_t n, size_t size, sort_cmp_fn cmp);

/* A number for an element that orders as the comparison does wherever two differ: key(a) <
 * key(b) only when a sorts before b. Equal keys say nothing: the comparison decides. */
typedef uint64_t (*sort_key_fn)(const void *elem);

/* sort_stable() with each element's key found once (8 more bytes of scratch an element) and
 * compared before cmp is called: most comparisons of a large sort end there. */
void sort_stable_keyed(void *base, size_t n, size_t size, sort_cmp_fn cmp, sort_key_fn key);

/* The first 8 bytes of s[0..n) (fewer where a NUL ends it), NUL-padded, as a big-endian number:
 * two keys that differ order as strcmp() orders the strings, so a comparison of names that share
 * no 8-byte prefix ends in one test (musl's strcmp goes byte by byte). Equal keys say nothing. */
uint64_t sort_prefix_key(const char *s, size_t n);

#endif
