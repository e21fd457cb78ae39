/* spec_parts.c: a build in parts on threads (module boundary: core; uses parallel, arena, diag and
 * spec.c's builders), of a large scope's pods and containers, and of the directories' runs. The
 * result is the build in order's (spec.c) to the byte: the same workloads, the same diagnostics
 * kept past DIAG_MAX, the references in the same order, so that spec_scope_finish() resolves them
 * as it would.
 *
 * Why (issue 16): check's build of 10 000 specs took ~27 ms on one thread while the other CPUs
 * waited; its reads of every file take about as long. Two threads building specs did 1.15x the
 * work of one: musl's malloc takes one lock for the process, and the documents' memory came from
 * one cache whose slots both threads swapped. So the set's strings and arrays are in arenas
 * (core/arena.h), and each part has its own of everything it writes:
 *   - a builder with its own spec set, diagnostics, references, scratch buffer and documents'
 *     cache (ini_cache_use);
 *   - its pods, each with the containers its name makes members (the parts' loads kept even),
 *     and runs of SPEC_PARTS_RUN of the containers of no pod, so neighbours in the scope's
 *     arrays, which each part writes, stay on one thread. A container whose Pod= names a pod of
 *     another part is dropped by its part (spec_build_container: SPEC_POD_ELSEWHERE) and built
 *     after the parts on this thread, as the kubes are (a kube's data counts against the build's
 *     bound, in order).
 * Each part notes, for every pod and container it built, where its diagnostics and references end;
 * after the parts, their sets are appended to the build's (each part's workload indices moved by
 * where its set begins), and the diagnostics and references of all the pods, kubes and containers
 * are taken in build_in_order's order: pods, kubes, then containers, each by its index. The parts
 * also take spec_scope_finish's first step, the check of each .volume, .network, .image, .build
 * and .artifact on its own, in runs (its diagnostics after every container's).
 *
 * The directories' runs (every file of one top-level directory: a scope with its apps, or an app)
 * are each their own: a scope resolves its references in its set, an app its own. So they are cut
 * into a part per thread of whole runs in their order, each built as spec_build_runs would into a
 * set and diagnostics of its own, then appended in that order. Not when a .kube is among them: a
 * kube's data counts against the build's bound, in order. */
#include "spec_internal.h"
#include "core.h"
#include "parallel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	SPEC_PARTS_MIN = 1024, /* pods and containers of a scope worth building on threads */
	SPEC_PARTS_MAX = 4,    /* parts at most: one a thread */
	SPEC_PARTS_RUN = 64,   /* containers of no pod given to one part at a time */
};

/* A pod, kube or container built, or another file checked, where the build in order would: its
 * order (pods by index, then kubes, containers and others), and where its diagnostics and
 * references end in the lists it went to. */
struct part_item {
	size_t order;
	size_t diags_end, refs_end;
};

struct part {
	struct spec_builder b;
	struct diag_list diags;
	struct spec_refs refs;
	struct part_item *items;
	size_t n_items, n_items_alloc;
	size_t base;		/* where its set's workloads begin in the build's, once appended */
	struct ini_cache cache; /* its documents' memory, off the cache the threads share */
	int r;
};

struct parts {
	/* The parts on threads, and after them the kubes and containers built after them. */
	struct part v[SPEC_PARTS_MAX + 1];
	unsigned n;		 /* parts on threads */
	unsigned char *part_of;	 /* each container's part (read only while they run) */
	unsigned char *pod_part; /* each pod's part (read only while they run) */
	bool *again; /* containers built after the parts (each written by its part alone) */
};

static unsigned parts_wanted(const struct spec_builder *b)
{
	return b->opts ? b->opts->build_parts : 0;
}

bool spec_parts_worth(const struct spec_builder *b)
{
	const struct spec_scope *sc = b->sc;
	unsigned want = parts_wanted(b);

	if (b->n_parts != 0 || want == 1)
		return false;
	if (want > 1)
		return true;
	return sc->n_pods + sc->n_containers >= SPEC_PARTS_MIN &&
	       parallel_threads(SPEC_PARTS_MAX) > 1;
}

static int item_add(struct part *pt, size_t order)
{
	int r = spec_array_grow((void **)&pt->items, &pt->n_items_alloc, pt->n_items,
				sizeof(*pt->items));

	if (r < 0)
		return r;
	pt->items[pt->n_items++] = (struct part_item){
		.order = order, .diags_end = pt->diags.n, .refs_end = pt->refs.n};
	return 0;
}

/* Container i in its part: a member of another part's pod is left for after the parts, with
 * what its part reported of it dropped. */
static int part_container(struct parts *ps, struct part *pt, size_t i)
{
	struct spec_scope *sc = pt->b.sc;
	size_t n = pt->diags.n, dropped = pt->diags.n_dropped;
	int r = spec_build_container(&pt->b, &sc->containers[i]);

	if (r == SPEC_POD_ELSEWHERE) {
		diag_list_truncate(&pt->diags, n, dropped);
		ps->again[i] = true;
		return 0;
	}
	return r < 0 ? r : item_add(pt, sc->n_pods + sc->n_kubes + i);
}

static void part_run(void *arg, unsigned thread, size_t k)
{
	struct parts *ps = arg;
	struct part *pt = &ps->v[k];
	struct spec_scope *sc = pt->b.sc;
	int r = 0;

	(void)thread;
	ini_cache_use(&pt->cache);
	for (size_t p = 0; r >= 0 && p < sc->n_pods; p++)
		if (ps->pod_part[p] == k) {
			r = spec_build_alone(&pt->b, &sc->pods[p], SPEC_KIND_POD);
			if (r >= 0)
				r = item_add(pt, p);
		}
	for (size_t i = 0; r >= 0 && i < sc->n_containers; i++)
		if (ps->part_of[i] == k)
			r = part_container(ps, pt, i);
	/* spec_scope_finish's first step, each other on its own: in runs of SPEC_PARTS_RUN. */
	for (size_t i = 0; r >= 0 && i < sc->n_others; i++)
		if (i / SPEC_PARTS_RUN % ps->n == k) {
			r = spec_check_other(&pt->b, &sc->others[i]);
			if (r >= 0)
				r = item_add(pt, sc->n_pods + sc->n_kubes + sc->n_containers + i);
		}
	ini_cache_use(NULL);
	ini_cache_release(&pt->cache);
	pt->r = r;
}

/* The part with the least work so far. */
static unsigned least(const size_t *load, unsigned n)
{
	unsigned k = 0;

	for (unsigned j = 1; j < n; j++)
		if (load[j] < load[k])
			k = j;
	return k;
}

/* Each pod with the members its name makes (counted in pod_weight, one more for the pod) to the
 * part with the least work, then the other containers in runs of SPEC_PARTS_RUN (neighbours in
 * the scope's arrays stay on one thread: each part writes its cfiles). */
static int assign(struct parts *ps, const struct spec_scope *sc)
{
	size_t load[SPEC_PARTS_MAX] = {0}, *pod_weight = calloc(sc->n_pods + 1, sizeof(size_t));
	size_t *pod_of = malloc((sc->n_containers + 1) * sizeof(size_t));
	unsigned k = 0;

	if (!pod_weight || !pod_of) {
		free(pod_weight);
		free(pod_of);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sc->n_containers; i++) {
		pod_of[i] = spec_cfile_owner(sc->pods, sc->n_pods, sc->containers[i].stem);
		if (pod_of[i] != SPEC_NONE)
			pod_weight[pod_of[i]]++;
	}
	for (size_t p = 0; p < sc->n_pods; p++) {
		ps->pod_part[p] = (unsigned char)(k = least(load, ps->n));
		load[k] += pod_weight[p] + 1;
	}
	for (size_t i = 0; i < sc->n_containers; i++) {
		if (pod_of[i] != SPEC_NONE) {
			ps->part_of[i] = ps->pod_part[pod_of[i]];
			continue;
		}
		if (i % SPEC_PARTS_RUN == 0)
			k = least(load, ps->n);
		ps->part_of[i] = (unsigned char)k;
		load[k]++;
	}
	free(pod_weight);
	free(pod_of);
	return 0;
}

/* A part's builder: b's, with a new set of its own and diagnostics into diags; part k of n. */
static int builder_init(struct spec_builder *pb, const struct spec_builder *b,
			struct diag_list *diags, unsigned k, unsigned n)
{
	struct spec_set *set;
	int r = spec_set_new(&set);

	if (r < 0)
		return r;
	set->content_of = b->set->content_of;
	*pb = (struct spec_builder){.opts = b->opts,
				    .label = b->label,
				    .tlabel = b->tlabel,
				    .ts = b->ts,
				    .repo = b->repo,
				    .data_max = b->data_max,
				    .diags = diags,
				    .set = set,
				    .sc = b->sc,
				    .part = k,
				    .n_parts = n};
	return 0;
}

/* Part k of a scope's n parts, the pods' parts in pod_part. */
static int part_init(struct part *pt, const struct spec_builder *b, unsigned k, unsigned n,
		     const unsigned char *pod_part)
{
	int r = builder_init(&pt->b, b, &pt->diags, k, n);

	pt->b.refs = &pt->refs;
	pt->b.pod_part = pod_part;
	return r;
}

/* from's workloads appended to set, its arena with them; *ret_base: where they begin. */
static int set_append(struct spec_set *set, struct spec_set *from, size_t *ret_base)
{
	size_t want = set->n_workloads + from->n_workloads;

	*ret_base = set->n_workloads;
	if (from->n_workloads > 0 && want > set->n_alloc) {
		struct spec_workload *w = reallocarray(set->workloads, want, sizeof(*w));

		if (!w)
			return -ENOMEM; /* from keeps its workloads, freed with it */
		set->workloads = w;
		set->n_alloc = want;
	}
	if (from->n_workloads > 0)
		memcpy(set->workloads + set->n_workloads, from->workloads,
		       from->n_workloads * sizeof(*from->workloads));
	set->n_workloads = want;
	from->n_workloads = 0; /* they are set's now */
	arena_take(&set->arena, &from->arena);
	return 0;
}

static void shift(size_t *workload, size_t base)
{
	if (*workload != SPEC_NONE)
		*workload += base;
}

/* The parts' workload indices, in their cfiles and references, made the build set's. */
static void indices_shift(struct parts *ps, struct spec_scope *sc)
{
	for (size_t p = 0; p < sc->n_pods; p++)
		shift(&sc->pods[p].workload, ps->v[ps->pod_part[p]].base);
	for (size_t i = 0; i < sc->n_containers; i++)
		if (!ps->again[i])
			shift(&sc->containers[i].workload, ps->v[ps->part_of[i]].base);
	for (unsigned k = 0; k < ps->n; k++)
		for (size_t j = 0; j < ps->v[k].refs.n; j++)
			shift(&ps->v[k].refs.v[j].workload, ps->v[k].base);
}

/* The kubes, and the containers the parts left, built on this thread as build_in_order would. */
static int build_rest(struct parts *ps, struct spec_builder *b)
{
	struct spec_scope *sc = b->sc;
	struct part *pt = &ps->v[ps->n];
	int r = 0;

	b->diags = &pt->diags;
	b->refs = &pt->refs;
	for (size_t i = 0; r >= 0 && i < sc->n_kubes; i++) {
		r = spec_build_alone(b, &sc->kubes[i], SPEC_KIND_KUBE);
		if (r >= 0)
			r = item_add(pt, sc->n_pods + i);
	}
	for (size_t i = 0; r >= 0 && i < sc->n_containers; i++)
		if (ps->again[i]) {
			r = spec_build_container(b, &sc->containers[i]);
			if (r >= 0)
				r = item_add(pt, sc->n_pods + sc->n_kubes + i);
		}
	return r;
}

static int refs_move(struct spec_refs *to, const struct spec_refs *from, size_t start, size_t end)
{
	for (size_t i = start; i < end; i++) {
		int r = spec_array_grow((void **)&to->v, &to->n_alloc, to->n, sizeof(*to->v));

		if (r < 0)
			return r;
		to->v[to->n++] = from->v[i];
	}
	return 0;
}

/* Every list's diagnostics and references into the build's, item by item in build order: each
 * list's items are in that order already, so the next is the least of their heads. */
static int lists_merge(struct parts *ps, struct diag_list *diags, struct spec_refs *refs)
{
	size_t at[SPEC_PARTS_MAX + 1] = {0}, diags_at[SPEC_PARTS_MAX + 1] = {0},
				   refs_at[SPEC_PARTS_MAX + 1] = {0};
	int r = 0;

	for (;;) {
		struct part *next = NULL;
		unsigned k = 0;

		for (unsigned j = 0; j <= ps->n; j++)
			if (at[j] < ps->v[j].n_items &&
			    (!next || ps->v[j].items[at[j]].order < next->items[at[k]].order)) {
				next = &ps->v[j];
				k = j;
			}
		if (!next)
			break;
		r = diag_list_move(diags, &next->diags, diags_at[k], next->items[at[k]].diags_end);
		if (r >= 0)
			r = refs_move(refs, &next->refs, refs_at[k], next->items[at[k]].refs_end);
		if (r < 0)
			return r;
		diags_at[k] = next->items[at[k]].diags_end;
		refs_at[k] = next->items[at[k]].refs_end;
		at[k]++;
	}
	return 0;
}

/* Everything of the parts given back; their lists' leftovers (none but after a failure) freed,
 * their dropped counts and errors the build's. */
static void parts_release(struct parts *ps, struct spec_builder *b)
{
	for (unsigned k = 0; k <= ps->n; k++) {
		struct part *pt = &ps->v[k];

		diag_list_moved(b->diags, &pt->diags);
		free(pt->refs.v);
		arena_take(&b->refs->names, &pt->refs.names);
		free(pt->items);
		if (k < ps->n) {
			spec_set_free(pt->b.set);
			free(pt->b.scratch);
		}
	}
	free(ps->part_of);
	free(ps->pod_part);
	free(ps->again);
}

/* The parts' builders and who builds what. */
static int parts_start(struct parts *ps, const struct spec_builder *b)
{
	const struct spec_scope *sc = b->sc;
	int r = 0;

	ps->part_of = malloc(sc->n_containers + 1);
	ps->pod_part = malloc(sc->n_pods + 1);
	ps->again = calloc(sc->n_containers + 1, sizeof(*ps->again));
	if (!ps->part_of || !ps->pod_part || !ps->again)
		return -ENOMEM;
	for (unsigned k = 0; r >= 0 && k < ps->n; k++)
		r = part_init(&ps->v[k], b, k, ps->n, ps->pod_part);
	return r < 0 ? r : assign(ps, sc);
}

int spec_parts_run(struct spec_builder *b)
{
	struct diag_list *diags = b->diags;
	struct spec_refs *refs = b->refs;
	unsigned want = parts_wanted(b);
	struct parts ps = {
		.n = want > 1 && want <= SPEC_PARTS_MAX ? want : parallel_threads(SPEC_PARTS_MAX)};
	int r = parts_start(&ps, b);

	if (r >= 0)
		parallel_run(ps.n, ps.n, part_run, &ps);
	for (unsigned k = 0; k < ps.n && ps.v[k].b.set; k++) {
		if (r >= 0)
			r = ps.v[k].r;
		if (r >= 0)
			r = set_append(b->set, ps.v[k].b.set, &ps.v[k].base);
	}
	if (r >= 0) {
		indices_shift(&ps, b->sc);
		r = build_rest(&ps, b);
	}
	b->diags = diags; /* build_rest's lists were the last part's */
	b->refs = refs;
	if (r >= 0)
		r = lists_merge(&ps, diags, refs);
	b->sc->others_checked = r >= 0;
	parts_release(&ps, b);
	return r;
}

/* --- the directories' runs in parts --------------------------------------------------------- */

enum {
	SPEC_RUNS_MIN = 512, /* files in the directories' runs worth building on threads */
};

/* A part of the runs: a few whole runs, one after another, built as spec_build_runs would. */
struct runs_part {
	struct spec_builder b;
	struct diag_list diags;
	struct ini_cache cache;
	const struct fileset_file *files;
	size_t n;
	int r;
};

static bool is_kube(const struct fileset_file *f)
{
	size_t n = strlen(f->path);

	return n > 5 && strcmp(f->path + n - 5, ".kube") == 0;
}

/* Two runs or more, and no .kube: a kube's data counts against the build's bound, in order. A
 * run's scopes and apps are their own otherwise: each resolves its references in its own set. */
bool spec_runs_worth(const struct spec_builder *b, const struct fileset_file *files, size_t n)
{
	unsigned want = parts_wanted(b);

	if (b->n_parts != 0 || want == 1 || spec_run_end(files, n) == n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (is_kube(&files[i]))
			return false;
	return want > 1 || (n >= SPEC_RUNS_MIN && parallel_threads(SPEC_PARTS_MAX) > 1);
}

static void runs_part_run(void *arg, unsigned thread, size_t k)
{
	struct runs_part *pt = &((struct runs_part *)arg)[k];

	(void)thread;
	ini_cache_use(&pt->cache);
	pt->r = spec_build_runs(&pt->b, pt->files, pt->n);
	ini_cache_use(NULL);
	ini_cache_release(&pt->cache);
}

/* files[0..n) cut at runs' ends into n_parts parts of about as many files each. */
static void runs_split(struct runs_part *v, unsigned n_parts, const struct fileset_file *files,
		       size_t n)
{
	size_t at = 0;

	for (unsigned k = 0; k < n_parts; k++) {
		size_t start = at, target = n / n_parts * (k + 1);

		while (at < n && (at < target || k + 1 == n_parts))
			at += spec_run_end(&files[at], n - at);
		v[k].files = files + start;
		v[k].n = at - start;
	}
}

int spec_runs_run(struct spec_builder *b, const struct fileset_file *files, size_t n)
{
	unsigned want = parts_wanted(b);
	unsigned n_parts =
		want > 1 && want <= SPEC_PARTS_MAX ? want : parallel_threads(SPEC_PARTS_MAX);
	struct runs_part v[SPEC_PARTS_MAX] = {0};
	size_t base;
	int r = 0;

	runs_split(v, n_parts, files, n);
	/* n_parts 1: each part builds its scopes in order, never in parts of their own. */
	for (unsigned k = 0; r >= 0 && k < n_parts; k++)
		r = builder_init(&v[k].b, b, &v[k].diags, 0, 1);
	if (r >= 0)
		parallel_run(n_parts, n_parts, runs_part_run, v);
	for (unsigned k = 0; k < n_parts && v[k].b.set; k++) {
		if (r >= 0)
			r = v[k].r;
		if (r >= 0)
			r = set_append(b->set, v[k].b.set, &base);
		if (r >= 0) /* the parts are in the runs' order */
			r = diag_list_move(b->diags, &v[k].diags, 0, v[k].diags.n);
		diag_list_moved(b->diags, &v[k].diags);
		spec_set_free(v[k].b.set);
		free(v[k].b.scratch);
	}
	return r;
}
