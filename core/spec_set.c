/* spec_set.c: the set of workloads spec_build() produces (module boundary: core; uses diag):
 * adding workloads and their files, and the final sort that finds names used twice — two
 * workloads with one name, or two files with one name in a workload — and reports each with the
 * other's source, as quadsync did not (review P1.11: one silently replaced the other). */
#include "spec_internal.h"
#include "core.h"
#include "sort.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int spec_set_new(struct spec_set **ret)
{
	struct spec_set *set = calloc(1, sizeof(*set));

	if (!set)
		return -ENOMEM;
	*ret = set;
	return 0;
}

/* A unit's strings are in the set's arena; its data is its own. */
static void unit_release(struct spec_unit *u)
{
	free(u->data);
}

static void workload_release(struct spec_workload *w)
{
	for (size_t i = 0; i < w->n_units; i++)
		unit_release(&w->units[i]);
	for (size_t i = 0; i < w->n_host_paths; i++)
		free(w->host_paths[i]);
	free(w->host_paths);
	spec_secrets_release(w);
	/* name, source, service, target, health_url and units are in the set's arena */
}

struct spec_set *spec_set_free(struct spec_set *set)
{
	if (!set)
		return NULL;
	for (size_t i = 0; i < set->n_workloads; i++)
		workload_release(&set->workloads[i]);
	free(set->workloads);
	arena_release(&set->arena);
	free(set);
	return NULL;
}

/* Copies s into buf from *len, cut at size - 1 bytes as snprintf cuts (the hot names of a build:
 * musl's printf costs more than the rest of a short join). */
static void join_part(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strnlen(s, size - 1 - *len);

	memcpy(buf + *len, s, n);
	*len += n;
}

size_t spec_join_buf(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	size_t len = 0;

	join_part(buf, size, &len, a);
	join_part(buf, size, &len, b);
	join_part(buf, size, &len, c);
	buf[len] = '\0';
	return len;
}

int spec_array_grow(void **array, size_t *n_alloc, size_t n, size_t size)
{
	size_t a;
	void *p;

	if (n < *n_alloc)
		return 0;
	/* Most workloads have one unit, one secret or none; those with more mostly have a few: 1,
	 * then 4 (issue 16: each realloc frees the array before, and check frees a pod's thousands
	 * of them, which made musl unmap and map their groups). */
	a = *n_alloc ? (*n_alloc < 4 ? 4 : *n_alloc * 2) : 1;
	p = reallocarray(*array, a, size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*n_alloc = a;
	return 0;
}

int spec_workload_add(struct spec_set *set, const char *name, enum spec_kind kind,
		      const char *source, size_t *ret_index)
{
	size_t nn = strlen(name), ns = strlen(source);
	struct spec_workload *w;
	int r = spec_array_grow((void **)&set->workloads, &set->n_alloc, set->n_workloads,
				sizeof(*w));

	if (r < 0)
		return r;
	w = &set->workloads[set->n_workloads];
	*w = (struct spec_workload){
		.kind = kind, .no_content = set->content_of && strcmp(set->content_of, name) != 0};
	w->name = arena_alloc_bytes(&set->arena, nn + 1 + ns + 1);
	if (!w->name)
		return -ENOMEM;
	memcpy(w->name, name, nn + 1);
	w->source = w->name + nn + 1;
	memcpy(w->source, source, ns + 1);
	*ret_index = set->n_workloads++;
	return 0;
}

/* Room for one more unit in w: the array is in the set's arena, so a grown one leaves the last
 * there (most workloads have one unit, and those with more mostly a few: 1, then 4, doubling). */
static int units_grow(struct spec_set *set, struct spec_workload *w)
{
	size_t a = w->n_alloc ? (w->n_alloc < 4 ? 4 : w->n_alloc * 2) : 1;
	struct spec_unit *p;

	if (w->n_units < w->n_alloc)
		return 0;
	if (a > SIZE_MAX / sizeof(*p) || !(p = arena_alloc(&set->arena, a * sizeof(*p))))
		return -ENOMEM;
	if (w->n_units > 0)
		memcpy(p, w->units, w->n_units * sizeof(*p));
	w->units = p;
	w->n_alloc = a;
	return 0;
}

int spec_unit_add(struct spec_set *set, struct spec_workload *w, const char *name,
		  const char *source, char *data, size_t size, enum spec_unit_dir dir)
{
	/* Most units are made from the workload's spec: its source, shared, not copied (issue 16:
	 * 32 bytes a workload the sync keeps); another one is copied behind the name. */
	bool own_source = strcmp(source, w->source) != 0;
	size_t nn = strlen(name) + 1, ns = own_source ? strlen(source) + 1 : 0;
	struct spec_unit *u;
	int r = units_grow(set, w);

	if (r < 0)
		return r;
	u = &w->units[w->n_units];
	*u = (struct spec_unit){.name = arena_alloc_bytes(&set->arena, nn + ns),
				.source = w->source,
				.size = size,
				.dir = dir};
	if (!u->name)
		return -ENOMEM;
	memcpy(u->name, name, nn);
	if (own_source) {
		u->source = u->name + nn;
		memcpy(u->source, source, ns);
	}
	if (w->no_content) { /* check's report does not show it: memory flat in the bytes */
		free(data);
		data = NULL;
	}
	u->data = data;
	w->n_units++;
	return 0;
}

int spec_unit_set_service(struct spec_set *set, struct spec_workload *w, const char *service)
{
	struct spec_unit *u = &w->units[w->n_units - 1];

	u->service = arena_strdup(&set->arena, service);
	return u->service ? 0 : -ENOMEM;
}

int spec_workload_add_host_path(struct spec_workload *w, const char *path)
{
	char **p;

	for (size_t i = 0; i < w->n_host_paths; i++)
		if (strcmp(w->host_paths[i], path) == 0)
			return 0;
	p = reallocarray(w->host_paths, w->n_host_paths + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	w->host_paths = p;
	p[w->n_host_paths] = strdup(path);
	if (!p[w->n_host_paths])
		return -ENOMEM;
	w->n_host_paths++;
	return 0;
}

const struct spec_unit *spec_workload_find_unit(const struct spec_workload *w, const char *name)
{
	for (size_t i = 0; i < w->n_units; i++)
		if (strcmp(w->units[i].name, name) == 0)
			return &w->units[i];
	return NULL;
}

static int unit_cmp(const void *a, const void *b)
{
	const struct spec_unit *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->source, y->source);
}

static uint64_t workload_key(const void *a)
{
	return sort_prefix_key(((const struct spec_workload *)a)->name, SIZE_MAX);
}

static int workload_cmp(const void *a, const void *b)
{
	const struct spec_workload *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->source, y->source);
}

/* Sort a workload's files; a file made twice is reported at both sources and made once. */
static void workload_finish(struct spec_workload *w, struct diag_list *diags)
{
	size_t out = 0;

	sort_stable(w->units, w->n_units, sizeof(*w->units), unit_cmp);
	for (size_t i = 0; i < w->n_units; i++) {
		struct spec_unit *u = &w->units[i];

		if (out > 0 && strcmp(w->units[out - 1].name, u->name) == 0) {
			diag_add(diags, "", w->units[out - 1].source, 1,
				 "%s of workload '%s' is also made from %s", u->name, w->name,
				 u->source);
			diag_add(diags, "", u->source, 1,
				 "%s of workload '%s' is also made from %s", u->name, w->name,
				 w->units[out - 1].source);
			unit_release(u);
			continue;
		}
		w->units[out++] = *u;
	}
	w->n_units = out;
}

int spec_set_finish(struct spec_set *set, struct diag_list *diags)
{
	size_t out = 0;

	/* (name, source) is unique: a spec file makes one workload. */
	sort_stable_keyed(set->workloads, set->n_workloads, sizeof(*set->workloads), workload_cmp,
			  workload_key);
	for (size_t i = 0; i < set->n_workloads; i++) {
		struct spec_workload *w = &set->workloads[i];

		if (out > 0 && strcmp(set->workloads[out - 1].name, w->name) == 0) {
			const struct spec_workload *first = &set->workloads[out - 1];

			diag_add(diags, "", first->source, 1,
				 "workload name '%s' is also used by %s", w->name, w->source);
			diag_add(diags, "", w->source, 1, "workload name '%s' is also used by %s",
				 w->name, first->source);
			workload_release(w);
			continue;
		}
		workload_finish(w, diags);
		set->workloads[out++] = *w;
	}
	set->n_workloads = out;
	return diags->error;
}

static int find_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct spec_workload *)elem)->name);
}

const struct spec_workload *spec_set_find(const struct spec_set *set, const char *name)
{
	if (!set || set->n_workloads == 0)
		return NULL;
	return bsearch(name, set->workloads, set->n_workloads, sizeof(*set->workloads), find_cmp);
}
