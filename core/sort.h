/* sort.h: a stable merge sort of an array, in place, for the large sorts of check's hot path. */
#ifndef TAILPOD_SORT_H
#define TAILPOD_SORT_H

#include <stddef.h>

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

#endif
