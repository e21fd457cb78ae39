/* users_index.h: a name → position hash over an array the caller owns (users.c: passwd users,
 * groups, a group's members; users_defs.c: subuid/subgid owners). Not for applets. */
#ifndef TAILPOD_USERS_INDEX_H
#define TAILPOD_USERS_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* The name of entry pos of items. Called with the array as it is at each call, so the array may
 * be reallocated between calls. */
typedef const char *(*users_index_key_fn)(const void *items, size_t pos);

struct users_index {
	uint32_t *slots; /* position + 1, 0 when empty */
	size_t n_slots;	 /* a power of two, or 0 */
	size_t n;
};

/* Index entry pos: 1 when added, 0 when its name is there already (the earlier entry stays),
 * -ENOMEM, -E2BIG. */
int users_index_add(struct users_index *ix, const void *items, users_index_key_fn key, size_t pos);

/* The position of name, or -1. */
long users_index_find(const struct users_index *ix, const void *items, users_index_key_fn key,
		      const char *name);

void users_index_release(struct users_index *ix);

#endif
