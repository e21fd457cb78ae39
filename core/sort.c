/* sort.c: a stable merge sort over an index array, then one move of each element
 * (module boundary: libc). */
#include "sort.h"
#include "core.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	RUN = 8, /* elements insertion-sorted before the merges start: fewer calls than merging 1s
		  */
	/* Arrays of at most RUN elements of at most this many bytes are sorted in place, one
	 * element held on the stack: most of check's sorts are a workload's few units, for which
	 * the index's malloc and free cost more than the sort (issue 16). */
	SMALL_ELEM_MAX = 128,
};

struct sorting {
	char *base;
	size_t size;
	sort_cmp_fn cmp;
	const uint64_t *keys; /* by the element's index before the sort; NULL: cmp alone */
};

static const void *at(const struct sorting *s, uint32_t i)
{
	return s->base + (size_t)i * s->size;
}

/* Whether index a sorts after index b: the one test every step makes, ">" so that equals stay. */
static int after(const struct sorting *s, uint32_t a, uint32_t b)
{
	if (s->keys && s->keys[a] != s->keys[b])
		return s->keys[a] > s->keys[b];
	return s->cmp(at(s, a), at(s, b)) > 0;
}

static void insertion_sort(const struct sorting *s, uint32_t *idx, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t v = idx[i];
		size_t j = i;

		for (; j > 0 && after(s, idx[j - 1], v); j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
}

/* The runs src[0, mid) and src[mid, n), each sorted, merged into dst; on ties the left one first.
 */
static void merge(const struct sorting *s, const uint32_t *src, size_t mid, size_t n, uint32_t *dst)
{
	size_t i = 0, j = mid, k = 0;

	/* Already in order (common: directory listings are often near sorted): one comparison. */
	if (!after(s, src[mid - 1], src[mid])) {
		memcpy(dst, src, n * sizeof(*src));
		return;
	}
	while (i < mid && j < n)
		dst[k++] = after(s, src[i], src[j]) ? src[j++] : src[i++];
	memcpy(dst + k, src + i, (mid - i) * sizeof(*src));
	memcpy(dst + k + (mid - i), src + j, (n - j) * sizeof(*src));
}

/* Sorts idx[0, n) by merging runs of doubling width between idx and tmp; returns the sorted one. */
static uint32_t *merge_sort(const struct sorting *s, uint32_t *idx, uint32_t *tmp, size_t n)
{
	for (size_t lo = 0; lo < n; lo += RUN)
		insertion_sort(s, idx + lo, n - lo < RUN ? n - lo : RUN);
	for (size_t width = RUN; width < n; width *= 2) {
		uint32_t *swap;

		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t len = n - lo < 2 * width ? n - lo : 2 * width;

			if (len <= width)
				memcpy(tmp + lo, idx + lo, len * sizeof(*idx));
			else
				merge(s, idx + lo, width, len, tmp + lo);
		}
		swap = idx;
		idx = tmp;
		tmp = swap;
	}
	return idx;
}

/* Puts the element at order[i] at i for every i, following each cycle of the permutation with
 * one element held aside; order[] is spent (each position is marked done as it is filled). */
static void permute(const struct sorting *s, uint32_t *order, size_t n, void *held)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		if (order[i] == i)
			continue;
		memcpy(held, at(s, (uint32_t)i), s->size);
		for (;;) {
			size_t k = order[j];

			order[j] = (uint32_t)j;
			if (k == i) {
				memcpy(s->base + j * s->size, held, s->size);
				break;
			}
			memcpy(s->base + j * s->size, at(s, (uint32_t)k), s->size);
			j = k;
		}
	}
}

/* Insertion, in place: an element that sorts after the one before it is held aside while the
 * greater ones before it move up one (">" again, so that equals stay). */
static void sort_small(const struct sorting *s, size_t n)
{
	char held[SMALL_ELEM_MAX];

	for (size_t i = 1; i < n; i++) {
		size_t j = i - 1;

		if (!after(s, (uint32_t)j, (uint32_t)i))
			continue;
		memcpy(held, at(s, (uint32_t)i), s->size);
		while (j > 0 && s->cmp(at(s, (uint32_t)(j - 1)), held) > 0)
			j--;
		mem_shift_up(s->base + j * s->size, (i - j) * s->size, s->size);
		memcpy(s->base + j * s->size, held, s->size);
	}
}

uint64_t sort_prefix_key(const char *s, size_t n)
{
	uint64_t key = 0;

	for (size_t i = 0; i < sizeof(key) && i < n && s[i]; i++)
		key |= (uint64_t)(unsigned char)s[i] << (8 * (sizeof(key) - 1 - i));
	return key;
}

/* The index (2n entries), each element's key when key is given (n, first: aligned as malloc
 * aligns), and room to hold one element, in one block; NULL when n does not fit an index or the
 * size in a size_t, or out of memory. */
static void *scratch_new(size_t n, size_t size, bool keyed, uint64_t **keys, uint32_t **idx)
{
	size_t each = 2 * sizeof(**idx) + (keyed ? sizeof(**keys) : 0);
	char *p;

	if (n > UINT32_MAX || n > (SIZE_MAX - size) / each)
		return NULL;
	p = malloc(n * each + size);
	if (!p)
		return NULL;
	*keys = keyed ? (uint64_t *)(void *)p : NULL;
	*idx = (uint32_t *)(void *)(p + (keyed ? n * sizeof(**keys) : 0));
	return p;
}

static void sort_any(void *base, size_t n, size_t size, sort_cmp_fn cmp, sort_key_fn key)
{
	struct sorting s = {.base = base, .size = size, .cmp = cmp};
	uint64_t *keys;
	uint32_t *idx;
	void *scratch;

	if (n < 2 || size == 0)
		return;
	/* (In place, so by cmp alone: the keys are by index before the sort.) */
	if (n <= RUN && size <= SMALL_ELEM_MAX) {
		sort_small(&s, n);
		return;
	}
	scratch = scratch_new(n, size, key != NULL, &keys, &idx);
	if (!scratch) {
		qsort(base, n, size, cmp);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		idx[i] = (uint32_t)i;
		if (keys)
			keys[i] = key(at(&s, (uint32_t)i));
	}
	s.keys = keys;
	permute(&s, merge_sort(&s, idx, idx + n, n), n, idx + 2 * n);
	free(scratch);
}

void sort_stable(void *base, size_t n, size_t size, sort_cmp_fn cmp)
{
	sort_any(base, n, size, cmp, NULL);
}

void sort_stable_keyed(void *base, size_t n, size_t size, sort_cmp_fn cmp, sort_key_fn key)
{
	sort_any(base, n, size, cmp, key);
}
