/* users_index.c: the name index of users.c and users_defs.c — an open-addressing hash of the
 * positions of entries in their array, keyed by a name the caller's accessor returns, so that a
 * lookup and the duplicate check at load cost O(1) however many users a host has (issue 16: a
 * linear scan per workload made sync quadratic). The first entry of a name wins, as in the
 * files. Slots hold position + 1 (0 is empty); the table is kept at most three quarters full: a
 * linear probe of short names stays a few slots long, and five tables of 10 000 entries (passwd,
 * group, the managed group's members, subuid, subgid) take 64 KiB each, not 128. */
#include "users_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { INDEX_MIN_SLOTS = 16 };

/* FNV-1a: short names, not chosen by an attacker who could not also edit /etc. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static uint32_t *slot_of(const struct users_index *ix, const void *items, users_index_key_fn key,
			 const char *name)
{
	size_t mask = ix->n_slots - 1;

	for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
		uint32_t *slot = &ix->slots[i];

		if (*slot == 0 || strcmp(key(items, *slot - 1), name) == 0)
			return slot;
	}
}

static int grow(struct users_index *ix, const void *items, users_index_key_fn key)
{
	struct users_index bigger = {.n_slots = ix->n_slots ? 2 * ix->n_slots : INDEX_MIN_SLOTS,
				     .n = ix->n};

	bigger.slots = calloc(bigger.n_slots, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < ix->n_slots; i++)
		if (ix->slots[i])
			*slot_of(&bigger, items, key, key(items, ix->slots[i] - 1)) = ix->slots[i];
	free(ix->slots);
	*ix = bigger;
	return 0;
}

int users_index_add(struct users_index *ix, const void *items, users_index_key_fn key, size_t pos)
{
	uint32_t *slot;

	if (pos >= UINT32_MAX)
		return -E2BIG;
	if (4 * (ix->n + 1) > 3 * ix->n_slots) {
		int r = grow(ix, items, key);

		if (r < 0)
			return r;
	}
	slot = slot_of(ix, items, key, key(items, pos));
	if (*slot)
		return 0;
	*slot = (uint32_t)pos + 1;
	ix->n++;
	return 1;
}

long users_index_find(const struct users_index *ix, const void *items, users_index_key_fn key,
		      const char *name)
{
	const uint32_t *slot;

	if (ix->n_slots == 0)
		return -1;
	slot = slot_of(ix, items, key, name);
	return *slot ? (long)*slot - 1 : -1;
}

void users_index_release(struct users_index *ix)
{
	free(ix->slots);
	*ix = (struct users_index){0};
}
