/* spec.c: spec_build(), the repository model of spec.h (module boundary: core; uses repo, ini,
 * transform, diag, the checks of spec_check.c and the file making of spec_units.c). The repo is
 * read one directory ("scope") at a time: its specs (.container, .pod, .kube) are classified,
 * parsed, matched to pods, named, merged, given their companions, sidecars, the .volume, .network,
 * .image, .build and .artifact files they refer to or own, and the data files they name
 * (spec_kube.c); then the whole set is sorted and collisions are found. Lookups inside a scope
 * are binary searches over names, so a repo of ten thousand specs costs what its files cost to
 * parse. */
#include "spec.h"
#include "spec_internal.h"
#include "core.h"
#include "sort.h"
#include "utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cfile_cmp(const void *a, const void *b)
{
	const struct spec_cfile *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->stem, y->stem);
}

static int other_cmp(const void *a, const void *b)
{
	return strcmp(((const struct spec_other *)a)->base, ((const struct spec_other *)b)->base);
}

static size_t cfile_find(const struct spec_cfile *v, size_t n, const char *stem, size_t len)
{
	uint64_t key = sort_prefix_key(stem, len);
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key != v[mid].key ? (key < v[mid].key ? -1 : 1)
					  : strncmp(stem, v[mid].stem, len);

		if (c == 0 && v[mid].stem[len] != '\0')
			c = -1;
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return SPEC_NONE;
}

/* The cfile whose stem is the longest "STEM-" prefix of name, or SPEC_NONE. */
size_t spec_cfile_owner(const struct spec_cfile *v, size_t n, const char *name)
{
	for (size_t k = strlen(name); k > 1; k--)
		if (name[k - 1] == '-') {
			size_t i = cfile_find(v, n, name, k - 1);

			if (i != SPEC_NONE)
				return i;
		}
	return SPEC_NONE;
}

static void scope_free(struct spec_scope *sc)
{
	for (size_t i = 0; i < sc->n_containers; i++)
		ini_free(sc->containers[i].raw);
	for (size_t i = 0; i < sc->n_pods; i++)
		ini_free(sc->pods[i].raw);
	for (size_t i = 0; i < sc->n_kubes; i++)
		ini_free(sc->kubes[i].raw);
	free(sc->stems);
	free(sc->containers);
	free(sc->pods);
	free(sc->kubes);
	free(sc->sidecars);
	free(sc->others);
	free(sc->refs.v);
	arena_release(&sc->refs.names);
	free(sc->dir);
}

/* --- classify and parse -------------------------------------------------------------------- */

/* The first n bytes of base as a string in the scope's stems, which scope_classify() made room
 * for: every file's path, whole. */
static char *stem_copy(struct spec_scope *sc, const char *base, size_t n)
{
	char *stem = sc->stems + sc->stems_used;

	memcpy(stem, base, n);
	stem[n] = '\0';
	sc->stems_used += n + 1;
	return stem;
}

/* f, named base with extension ext (scope_reads() said the scope reads it), put in its list. */
static int classify_one(struct spec_builder *b, const struct fileset_file *f, const char *base,
			const char *ext)
{
	static const char *const others[] = {"volume", "network", "image", "build", "artifact"};
	static const char *const exts[] = {"container", "pod", "kube"};
	struct spec_scope *sc = b->sc;
	int k = spec_kind_index(ext);
	struct spec_cfile *cf;

	if (str_is(ext, "service") || str_is(ext, "timer")) {
		sc->sidecars[sc->n_sidecars++] = f;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		if (str_is(ext, others[i])) {
			sc->others[sc->n_others++] = (struct spec_other){.f = f, .base = base};
			return 0;
		}
	cf = k == 1   ? &sc->pods[sc->n_pods++]
	     : k == 2 ? &sc->kubes[sc->n_kubes++]
		      : &sc->containers[sc->n_containers++];
	*cf = (struct spec_cfile){.f = f, .ext = exts[k], .pod = SPEC_NONE, .workload = SPEC_NONE};
	cf->stem = stem_copy(sc, base, (size_t)(ext - 1 - base));
	cf->key = sort_prefix_key(cf->stem, SIZE_MAX);
	return 0;
}

static bool dir_name_ok(const char *dir)
{
	if (!utf8_is_valid(dir, strlen(dir)))
		return false;
	for (const char *p = dir; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Whether the scope model reads this file: a unit file directly in the scope's directory, of a
 * type it handles; its name and extension in *ret_base and *ret_ext. Data files and deeper trees
 * are the file set's too, for the units that refer to them. The name begins after the directory
 * the set measured (issue 16: a strchr, and another in classify_one(), for every file). */
static bool scope_reads(const struct fileset_file *f, const char **ret_base, const char **ret_ext)
{
	static const char *const exts[] = {"container", "pod",	 "volume",   "network", "kube",
					   "image",	"build", "artifact", "service", "timer"};
	const char *base = f->path + f->dir_len + (f->dir_len > 0), *dot;

	if (strchr(base, '/') || !fileset_is_unit_name(base))
		return false;
	dot = strrchr(base, '.'); /* there is one: a unit name */
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (strcmp(dot + 1, exts[i]) == 0) {
			*ret_base = base;
			*ret_ext = dot + 1;
			return true;
		}
	return false;
}

static int scope_classify(struct spec_builder *b, const struct fileset_file *files, size_t n)
{
	struct spec_scope *sc = b->sc;
	const char *base, *ext;
	size_t paths = 0;
	bool dir_ok;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		paths += strlen(files[i].path) + 1; /* a stem is part of a path: never more */
	sc->dir = strndup(files[0].path, fileset_dir_len(files[0].path));
	sc->stems = malloc(paths);
	sc->containers = calloc(n, sizeof(*sc->containers));
	sc->pods = calloc(n, sizeof(*sc->pods));
	sc->kubes = calloc(n, sizeof(*sc->kubes));
	sc->sidecars = calloc(n, sizeof(*sc->sidecars));
	sc->others = calloc(n, sizeof(*sc->others));
	if (!sc->dir || !sc->stems || !sc->containers || !sc->pods || !sc->kubes || !sc->sidecars ||
	    !sc->others)
		return -ENOMEM;
	dir_ok = dir_name_ok(sc->dir);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (!scope_reads(&files[i], &base, &ext))
			continue;
		if (!dir_ok)
			r = diag_add(b->diags, b->label, files[i].path, 1,
				     "directory name is not UTF-8 or has control characters");
		else
			r = classify_one(b, &files[i], base, ext);
	}
	/* Stems and names are unique: files of one directory and one extension. */
	sort_stable(sc->containers, sc->n_containers, sizeof(*sc->containers), cfile_cmp);
	sort_stable(sc->pods, sc->n_pods, sizeof(*sc->pods), cfile_cmp);
	sort_stable(sc->kubes, sc->n_kubes, sizeof(*sc->kubes), cfile_cmp);
	sort_stable(sc->others, sc->n_others, sizeof(*sc->others), other_cmp);
	return r;
}

/* Parse a spec and find its transforms; a spec that cannot be built keeps raw NULL. */
static int scope_parse(struct spec_builder *b, struct spec_cfile *cf)
{
	struct spec_scope *sc = b->sc;
	struct spec_src src = {.label = b->label, .path = cf->f->path};
	int k = spec_kind_index(cf->ext);

	if (*sc->dir && !sc->dirt[k])
		return diag_add(b->diags, b->label, cf->f->path, 1,
				"no transform '%s.%s' in %s for directory '%s'", sc->dir, cf->ext,
				*b->tlabel ? b->tlabel : "the transform directory", sc->dir);
	/* A transform that did not parse is diagnosed once, at the transform. */
	if ((sc->base[k] && !sc->base[k]->ini) || (*sc->dir && !sc->dirt[k]->ini))
		return 0;
	cf->raw = spec_parse(&src, cf->f->data, cf->f->size, b->diags);
	return 0;
}

/* --- pods and names ------------------------------------------------------------------------ */

const struct ini_line *spec_last_entry(const struct ini *doc, const char *section, const char *key,
				       const struct ini_section **ret_s)
{
	/* From the end: the first one found is the last. */
	for (size_t i = doc->n_sections; i > 0; i--) {
		const struct ini_section *s = &doc->sections[i - 1];

		if (!str_is(s->name, section))
			continue;
		for (size_t j = s->n_lines; j > 0; j--) {
			const struct ini_line *l = &s->lines[j - 1];

			if (l->type == INI_LINE_ENTRY && str_is(l->key, key)) {
				*ret_s = s;
				return l;
			}
		}
	}
	return NULL;
}

static int match_pod(struct spec_builder *b, struct spec_cfile *c)
{
	struct spec_scope *sc = b->sc;
	struct spec_src src = {.label = b->label, .path = c->f->path};
	const struct ini_section *s = NULL;
	const struct ini_line *l = spec_last_entry(c->raw, "Container", "Pod", &s);
	size_t by_name = spec_cfile_owner(sc->pods, sc->n_pods, c->stem), by_value = SPEC_NONE;
	size_t n = l ? strlen(l->value) : 0;

	if (l && n > 4 && strcmp(l->value + n - 4, ".pod") == 0)
		by_value = cfile_find(sc->pods, sc->n_pods, l->value, n - 4);
	c->pod = by_value != SPEC_NONE ? by_value : by_name;
	if (by_value != SPEC_NONE && by_name != SPEC_NONE && by_value != by_name)
		return spec_diag_at(&src, b->diags, s, l,
				    "Pod=%.*s, but the name '%s' makes it a member of %s.pod",
				    DIAG_QUOTE(l->value), c->stem, sc->pods[by_name].stem);
	if (c->pod == SPEC_NONE && *sc->dir && sc->n_pods > 0) {
		c->raw = ini_free(c->raw);
		return diag_add(b->diags, b->label, c->f->path, 1,
				"belongs to no pod: beside a .pod, containers are its members, "
				"named POD-NAME.container");
	}
	return 0;
}

static bool clashes_with_pod(const char *stem, const char *pod)
{
	size_t n = strlen(pod);

	return strncmp(stem, pod, n) == 0 && strcmp(stem + n, "-pod") == 0;
}

/* Whether cf may be built under its name; if not, it is diagnosed and dropped. */
static int check_name(struct spec_builder *b, struct spec_cfile *cf)
{
	const char *why;

	if (!cf->raw)
		return 0;
	if (cf->pod == SPEC_NONE)
		why = spec_user_name_problem(cf->stem);
	else if (!(why = spec_unit_name_problem(cf->stem)) &&
		 clashes_with_pod(cf->stem, b->sc->pods[cf->pod].stem))
		why = "would have the same service name as its pod";
	if (!why)
		return 0;
	cf->raw = ini_free(cf->raw);
	return diag_add(b->diags, b->label, cf->f->path, 1, "'%s' %s", cf->stem, why);
}

/* --- one directory, then the whole repository ---------------------------------------------- */

static int new_workload(struct spec_builder *b, struct spec_cfile *cf, enum spec_kind kind)
{
	char source[PATH_MAX];

	diag_path_join_buf(source, b->label, cf->f->path);
	return spec_workload_add(b->set, cf->stem, kind, source, &cf->workload);
}

int spec_build_alone(struct spec_builder *b, struct spec_cfile *cf, enum spec_kind kind)
{
	int r = scope_parse(b, cf);

	if (r >= 0)
		r = check_name(b, cf);
	if (r < 0 || !cf->raw)
		return r;
	r = new_workload(b, cf, kind);
	return r < 0 ? r : spec_build_main(b, cf, cf->workload, NULL);
}

/* Whether c is a member of a pod another part of a parallel build builds (spec_parts.c). */
static bool pod_elsewhere(const struct spec_builder *b, const struct spec_cfile *c)
{
	return b->n_parts > 1 && c->raw && c->pod != SPEC_NONE && b->pod_part[c->pod] != b->part;
}

int spec_build_container(struct spec_builder *b, struct spec_cfile *c)
{
	struct spec_scope *sc = b->sc;
	char pod_file[FILESET_NAME_MAX + 8];
	size_t widx;
	int r = scope_parse(b, c);

	if (r >= 0 && c->raw)
		r = match_pod(b, c);
	if (r >= 0 && pod_elsewhere(b, c)) {
		c->raw = ini_free(c->raw);
		return SPEC_POD_ELSEWHERE;
	}
	if (r >= 0)
		r = check_name(b, c);
	/* Members of a pod that cannot be built go with it, quietly: the pod is diagnosed. */
	if (c->raw && c->pod != SPEC_NONE && sc->pods[c->pod].workload == SPEC_NONE)
		c->raw = ini_free(c->raw);
	if (r < 0 || !c->raw)
		return r;
	if (c->pod == SPEC_NONE)
		r = new_workload(b, c, SPEC_KIND_CONTAINER);
	widx = c->pod == SPEC_NONE ? c->workload : sc->pods[c->pod].workload;
	spec_join_buf(pod_file, sizeof(pod_file), c->pod == SPEC_NONE ? "" : sc->pods[c->pod].stem,
		      ".pod", "");
	if (r >= 0)
		r = spec_build_main(b, c, widx, c->pod == SPEC_NONE ? NULL : pod_file);
	if (r >= 0)
		r = spec_build_companions(b, c, widx, c->pod == SPEC_NONE ? NULL : pod_file);
	return r;
}

/* One spec at a time (issue 16: memory flat in the number of specs): pods and kubes first, so
 * that a member finds its pod's workload; the pod relation is decided from the file names and
 * the member's own Pod= key. A large scope is built in parts on threads, to the same result
 * (spec_parts.c). */
static int build_in_order(struct spec_builder *b)
{
	struct spec_scope *sc = b->sc;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < sc->n_pods; i++)
		r = spec_build_alone(b, &sc->pods[i], SPEC_KIND_POD);
	for (size_t i = 0; r >= 0 && i < sc->n_kubes; i++)
		r = spec_build_alone(b, &sc->kubes[i], SPEC_KIND_KUBE);
	for (size_t i = 0; r >= 0 && i < sc->n_containers; i++)
		r = spec_build_container(b, &sc->containers[i]);
	return r;
}

static int scope_run(struct spec_builder *b)
{
	struct spec_scope *sc = b->sc;
	int r = 0;

	static const char *const exts[] = {"container", "pod", "kube"};

	for (size_t k = 0; k < ARRAY_SIZE(exts); k++) {
		sc->base[k] = transform_set_find(b->ts, TRANSFORM_BASE, exts[k]);
		sc->dirt[k] = *sc->dir ? transform_set_find(b->ts, sc->dir, exts[k]) : NULL;
	}
	r = spec_parts_worth(b) ? spec_parts_run(b) : build_in_order(b);
	if (r >= 0)
		r = spec_scope_finish(b);
	return r;
}

static int scope_build(struct spec_builder *b, const struct fileset_file *files, size_t n)
{
	struct spec_scope sc = {0};
	int r;

	b->sc = &sc;
	b->refs = &sc.refs;
	r = scope_classify(b, files, n);
	if (r >= 0)
		r = scope_run(b);
	scope_free(&sc);
	b->sc = NULL;
	b->refs = NULL;
	return r;
}

/* Transforms and companion templates on their own, so a problem in one is reported even when no
 * spec uses it, and once however many do. */
static void check_transforms(struct spec_builder *b)
{
	struct spec_src src = {.label = b->tlabel};
	struct spec_check chk = {
		.diags = b->diags, .src = &src, .transform = true, .podman = spec_target(b)};

	for (size_t i = 0; i < b->ts->n_files; i++) {
		if (!b->ts->files[i].ini)
			continue;
		src.path = b->ts->files[i].path;
		chk.ext = b->ts->files[i].ext;
		spec_check_doc(&chk, b->ts->files[i].ini);
	}
	chk.transform = false;
	for (size_t i = 0; i < b->ts->n_companions; i++) {
		const struct transform_companion *cp = &b->ts->companions[i];
		struct ini *doc;

		if (!cp->parsed)
			continue;
		src.path = cp->path;
		chk.ext = strrchr(cp->suffix, '.') + 1;
		doc = spec_parse(&src, cp->text, cp->size, b->diags);
		if (doc)
			spec_check_doc(&chk, doc);
		ini_free(doc);
	}
}

static bool same_dir(const struct fileset_file *a, const struct fileset_file *b)
{
	return a->dir_len == b->dir_len && strncmp(a->path, b->path, a->dir_len) == 0;
}

static bool any_unit(const struct fileset_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(files[i].path, '/');

		if (fileset_is_unit_name(slash ? slash + 1 : files[i].path))
			return true;
	}
	return false;
}

/* The apps T/NAME/ of transform directory T (files[0..n) all below "T/"): each sub-directory
 * with a unit file in it. */
static int build_sub_apps(struct spec_builder *b, const struct fileset_file *files, size_t n,
			  const char *tdir)
{
	size_t t = strlen(tdir) + 1;
	int r = 0;

	for (size_t i = 0, j; r >= 0 && i < n; i = j) {
		const char *rest = files[i].path + t;
		size_t k = strcspn(rest, "/");

		for (j = i + 1;
		     j < n && rest[k] == '/' && strncmp(files[j].path + t, rest, k + 1) == 0; j++)
			;
		if (rest[k] == '/' && any_unit(&files[i], j - i))
			r = spec_app_build(b, &files[i], j - i, t + k + 1, tdir);
	}
	return r;
}

/* One top-level run: the root's specs; a directory with a transform of its name (DIR.container,
 * DIR.pod or DIR.kube: its specs, and apps in its sub-directories); any other directory with a
 * unit file is an app. */
static int build_dir(struct spec_builder *b, const struct fileset_file *files, size_t n)
{
	char dir[FILESET_NAME_MAX + 1];
	size_t len = fileset_dir_len(files[0].path);
	int r;

	if (len == 0)
		return scope_build(b, files, n);
	snprintf(dir, sizeof(dir), "%.*s", (int)len, files[0].path);
	if (!transform_set_find(b->ts, dir, "container") &&
	    !transform_set_find(b->ts, dir, "pod") && !transform_set_find(b->ts, dir, "kube"))
		return any_unit(files, n) ? spec_app_build(b, files, n, len + 1, NULL) : 0;
	r = scope_build(b, files, n);
	return r < 0 ? r : build_sub_apps(b, files, n, dir);
}

size_t spec_run_end(const struct fileset_file *files, size_t n)
{
	size_t j = 1;

	while (j < n && same_dir(&files[0], &files[j]))
		j++;
	return n ? j : 0;
}

int spec_build_runs(struct spec_builder *b, const struct fileset_file *files, size_t n)
{
	int r = 0;

	for (size_t i = 0, j; r >= 0 && i < n; i = j) {
		j = i + spec_run_end(&files[i], n - i);
		r = build_dir(b, &files[i], j - i);
	}
	return r;
}

/* The root's run first (its scope may be built in parts), then the directories' (in parts of
 * their own when spec_runs_worth()). */
static int build_all(struct spec_builder *b, const struct fileset *repo)
{
	const struct fileset_file *files = repo->files;
	size_t n = repo->n_files;
	size_t root = n > 0 && files[0].dir_len == 0 ? spec_run_end(files, n) : 0;
	int r;

	check_transforms(b);
	r = spec_build_runs(b, files, root);
	if (r >= 0)
		r = spec_runs_worth(b, files + root, n - root)
			    ? spec_runs_run(b, files + root, n - root)
			    : spec_build_runs(b, files + root, n - root);
	if (r >= 0)
		r = spec_set_finish(b->set, b->diags);
	return r;
}

int spec_build(const struct fileset *repo, const struct fileset *transforms,
	       const struct spec_opts *opts, struct spec_set **ret, struct diag_list *diags)
{
	struct spec_builder b = {
		.opts = opts, .repo = repo, .diags = diags, .label = "", .tlabel = ""};
	struct fileset *empty = NULL;
	struct transform_set *ts = NULL;
	int r;

	if (!repo->sorted || (transforms && !transforms->sorted))
		return -EINVAL;
	if (opts && opts->repo_label)
		b.label = opts->repo_label;
	if (opts && opts->transform_label)
		b.tlabel = opts->transform_label;
	b.data_max = opts && opts->data_bytes_max ? opts->data_bytes_max : SPEC_DATA_BYTES_MAX;
	r = transforms ? 0 : fileset_new(&empty);
	if (r >= 0)
		r = transform_set_load(transforms ? transforms : empty, b.tlabel, &ts, diags);
	b.ts = ts;
	if (r >= 0)
		r = spec_set_new(&b.set);
	if (r >= 0) {
		b.set->content_of = opts ? opts->content_of : NULL;
		r = build_all(&b, repo);
		b.set->content_of = NULL;
	}
	if (r >= 0 && diags->error)
		r = diags->error;
	diag_list_sort(diags);
	transform_set_free(ts);
	fileset_free(empty);
	free(b.scratch);
	if (r < 0) {
		spec_set_free(b.set);
		return r;
	}
	*ret = b.set;
	return 0;
}
