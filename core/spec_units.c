/* spec_units.c: the files of a workload (module boundary: core; uses ini, transform, diag and
 * spec_check.c): a spec merged with its transforms and named, the companions made from templates,
 * the sidecar .service/.timer files and the .volume/.network files its specs refer to. Every file
 * is checked where it comes from, so a diagnostic points at the line someone wrote. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif

#include "spec_internal.h"
#include "core.h"
#include "quadlet_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- merged files -------------------------------------------------------------------------- */

struct ref_ctx {
	struct spec_builder *b;
	const struct spec_src *src;
	size_t workload;
	const char *name; /* for "{{.Name}}" in the reference */
};

static const char *static_key(const char *key)
{
	static const char *const keys[] = {"Volume", "Network", "Mount", "Image"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return keys[i];
	return "?";
}

static int ref_collect(void *ctx, const struct ini_section *s, const struct ini_line *l,
		       const char *ref)
{
	struct ref_ctx *rc = ctx;
	struct spec_scope *sc = rc->b->sc;
	struct spec_ref *x;
	size_t n;
	int r;

	if (sc->n_refs == sc->n_refs_alloc) {
		size_t a = sc->n_refs_alloc ? sc->n_refs_alloc * 2 : 16;
		struct spec_ref *p = reallocarray(sc->refs, a, sizeof(*p));

		if (!p)
			return -ENOMEM;
		sc->refs = p;
		sc->n_refs_alloc = a;
	}
	x = &sc->refs[sc->n_refs];
	*x = (struct spec_ref){.workload = rc->workload, .key = static_key(l->key)};
	spec_locate(rc->src, s, l, &x->label, &x->path, &x->line);
	/* A reference is at most SPEC_UNIT_NAME_MAX + 64 bytes: it cannot pass the bound. */
	r = transform_substitute_name(ref, strlen(ref), rc->name, INI_LINE_MAX, &x->name, &n);
	if (r < 0)
		return r;
	sc->n_refs++;
	return 0;
}

/* The unit sync restarts: ServiceName= when set (and valid), else quadlet's default name. */
static int set_service(struct spec_builder *b, size_t widx, const struct spec_src *src,
		       const struct ini *doc, const char *name, int k)
{
	static const char *const sections[] = {"Container", "Pod", "Kube"};
	struct spec_workload *w = &b->set->workloads[widx];
	const struct ini_section *s = NULL;
	const struct ini_line *l = spec_last_entry(doc, sections[k], "ServiceName", &s);
	bool pod = k == 1;
	_cleanup_free_ char *v = NULL;
	const char *why = NULL;
	size_t n;
	int r;

	if (l) {
		r = transform_substitute_name(l->value, strlen(l->value), name, INI_LINE_MAX, &v,
					      &n);
		if (r < 0)
			return r;
		why = spec_file_name_problem(v);
		if (why && spec_diag_at(src, b->diags, s, l, "ServiceName=%.*s %s", DIAG_QUOTE(v),
					why) < 0)
			return -ENOMEM;
	}
	if (l && !why)
		w->service = spec_join(v, ".service", "");
	else
		w->service = spec_join(name, pod ? "-pod" : "", ".service");
	if (!w->service)
		return -ENOMEM;
	return 0;
}

/* Whether "{{.Name}}" replaced by name leaves every line of a document that parsed parsing the
 * same way: name is letters, digits, '_' and '-' only — no line break, blank, '=', '[', '#', ';',
 * backslash, control or non-ASCII byte, so no line changes its kind, key, section name, escape or
 * UTF-8 validity — and no line can pass INI_LINE_MAX: the name is not longer than the token, or
 * the whole text (size bytes, INI_FILE_MAX already checked) is within the line bound. */
static bool name_is_inert(const char *name, size_t size)
{
	size_t n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

	return n > 0 && name[n] == '\0' &&
	       (n <= strlen(TRANSFORM_NAME_VAR) || size <= INI_LINE_MAX);
}

static int merged_too_big(struct spec_builder *b, const struct spec_src *src)
{
	return diag_add(b->diags, src->label, src->path, 1,
			"merged file larger than 1048576 bytes (INI_FILE_MAX)");
}

/* Room for n bytes in the builder's scratch buffer, its contents kept; grown by doubling. */
static char *scratch_reserve(struct spec_builder *b, size_t n)
{
	size_t size = b->scratch_size ? b->scratch_size : 4096;
	char *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	while (size < n)
		size *= 2;
	if (size == b->scratch_size)
		return b->scratch;
	p = realloc(b->scratch, size);
	if (!p)
		return NULL;
	b->scratch = p;
	b->scratch_size = size;
	return p;
}

/* The finished text: a copy for the workload when it keeps its contents, else only its size. */
static int finish_result(const char *text, size_t n, bool keep, char **ret, size_t *ret_size)
{
	*ret_size = n;
	*ret = NULL;
	if (!keep)
		return 0;
	*ret = malloc(n + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, text, n + 1);
	return 0;
}

/* The deployable text: doc serialized, "{{.Name}}" replaced, and parsed once more, since the
 * substitution may pass a bound. Both are written into the builder's scratch buffer (issue 16:
 * a malloc for each, freed a spec later, made musl map and unmap for a check that keeps none). */
int spec_finish_text(struct spec_builder *b, const struct spec_src *src, const struct ini *doc,
		     const char *name, bool keep, char **ret, size_t *ret_size)
{
	size_t n = ini_serialize_into(doc, b->scratch, b->scratch_size), m;
	struct ini_error err = {0};
	struct ini *check = NULL;
	char *text = b->scratch;
	int r;

	/* Written once where the text fits the buffer, as nearly every spec's does. */
	if (n >= b->scratch_size) {
		text = n < SIZE_MAX ? scratch_reserve(b, n + 1) : NULL;
		if (!text)
			return -ENOMEM;
		ini_serialize_into(doc, text, n + 1);
	}
	/* Without the token it is the serialisation of a document every edit of which was checked
	 * to read back, within the parser's bounds: the text itself is the result, and parsing it
	 * again proves nothing (issue 16: a copy, a comparison and a parse of every spec). */
	if (!transform_find_name_var(text, n)) {
		if (n > INI_FILE_MAX)
			return merged_too_big(b, src) < 0 ? -ENOMEM : 1;
		return finish_result(text, n, keep, ret, ret_size);
	}
	r = transform_substitute_size(text, n, name, INI_FILE_MAX, &m);
	if (r == -E2BIG)
		return merged_too_big(b, src) < 0 ? -ENOMEM : 1;
	text = r < 0 || n + 1 > SIZE_MAX - m - 1 ? NULL : scratch_reserve(b, n + 1 + m + 1);
	if (!text)
		return -ENOMEM;
	transform_substitute_to(text, n, name, text + n + 1);
	text += n + 1;
	/* Nor does an inert name put in. */
	if (name_is_inert(name, m))
		return finish_result(text, m, keep, ret, ret_size);
	r = ini_parse(src->path, text, m, &check, &err);
	ini_free(check);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return diag_add(b->diags, src->label, src->path, 1,
				"merged file does not parse (line %u: %s)", err.line,
				err.msg[0] ? err.msg : "error") < 0
			       ? -ENOMEM
			       : 1;
	return finish_result(text, m, keep, ret, ret_size);
}

static int add_text_unit(struct spec_builder *b, size_t widx, const char *fname, const char *label,
			 const char *path, char *text, size_t size, enum spec_unit_dir dir)
{
	_cleanup_free_ char *source = diag_path_join(label, path);
	int r;

	if (!source) {
		free(text);
		return -ENOMEM;
	}
	r = spec_unit_add(&b->set->workloads[widx], fname, source, text, size, dir);
	if (r < 0)
		free(text);
	return r;
}

/* Merge failures other than memory are the spec's problem: reported, the file not made. */
int spec_merge_all(struct spec_builder *b, const struct spec_src *src, struct ini *doc,
		   const char *pod_file)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(src->transforms); i++)
		if (src->transforms[i])
			r = transform_merge(doc, src->transforms[i]->ini);
	if (r >= 0 && pod_file && !ini_get(doc, "Container", "Pod"))
		r = ini_entry_append(doc, "Container", "Pod", pod_file);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		diag_add(b->diags, src->label, src->path, 1, "cannot merge the transforms: %s",
			 r == -E2BIG ? "the result passes a unit file bound (INI_*_MAX)"
				     : "a transform entry cannot be written back");
	return r < 0 ? 1 : 0;
}

int spec_build_main(struct spec_builder *b, struct spec_cfile *cf, size_t widx,
		    const char *pod_file)
{
	struct spec_scope *sc = b->sc;
	int k = spec_kind_index(cf->ext);
	struct spec_src raw_src = {.label = b->label, .path = cf->f->path};
	struct spec_src src = {b->label, cf->f->path, b->tlabel, {sc->base[k], sc->dirt[k]}};
	struct spec_check chk = {.diags = b->diags,
				 .src = &raw_src,
				 .ext = cf->ext,
				 .name = cf->stem,
				 .pod_file = pod_file,
				 .podman = spec_target(b)};
	struct ref_ctx rc = {.b = b, .src = &src, .workload = widx, .name = cf->stem};
	struct ini *doc = TAKE_PTR(cf->raw);
	char fname[FILESET_NAME_MAX + 1], *text = NULL;
	size_t size;
	int r;

	/* [Secrets] leaves the spec as Secret= lines before any check sees it (issue 17). */
	r = k == 0 ? spec_secrets_take(b, &raw_src, doc, cf->stem, widx) : 0;
	if (r < 0)
		goto out;
	spec_check_doc(&chk, doc);
	r = spec_merge_all(b, &src, doc, pod_file);
	if (r != 0)
		goto out;
	chk.src = &src;
	chk.merged = true;
	if (src.transforms[0] || src.transforms[1])
		spec_check_doc(&chk, doc);
	r = spec_refs_foreach(doc, ref_collect, &rc);
	if (r >= 0)
		r = spec_health_take(b, &src, doc, widx, cf->pod != SPEC_NONE);
	if (r >= 0 && cf->pod == SPEC_NONE)
		r = set_service(b, widx, &src, doc, cf->stem, k);
	if (r >= 0)
		r = spec_finish_text(b, &src, doc, cf->stem, !b->set->workloads[widx].no_content,
				     &text, &size);
	spec_join_buf(fname, sizeof(fname), cf->stem, ".", cf->ext);
	if (r == 0)
		r = add_text_unit(b, widx, fname, b->label, cf->f->path, text, size,
				  SPEC_UNIT_QUADLET);
	if (r >= 0 && k == 2)
		r = spec_kube_data(b, widx, &src, doc, cf->stem);
out:
	ini_free(doc);
	return r < 0 ? r : 0;
}

/* --- companions, sidecars, volumes and networks -------------------------------------------- */

/* NAME + SUFFIX.EXT from a template: substituted, joined to the member's pod unless the template
 * says no-pod, checked with the template's lines. */
static int build_companion(struct spec_builder *b, const struct transform_companion *cp,
			   const struct spec_cfile *cf, size_t widx, const char *pod_file)
{
	const char *ext = strrchr(cp->suffix, '.') + 1;
	bool container = strcmp(ext, "container") == 0;
	bool unit = strcmp(ext, "service") == 0 || strcmp(ext, "timer") == 0;
	struct spec_src src = {.label = b->tlabel, .path = cp->path};
	_cleanup_free_ char *fname = NULL, *stem = NULL, *text = NULL;
	struct spec_check chk = {
		.diags = b->diags, .src = &src, .ext = ext, .podman = spec_target(b)};
	struct ref_ctx rc = {.b = b, .src = &src, .workload = widx};
	struct ini *doc = NULL;
	const char *why;
	size_t size;
	int r;

	if (asprintf(&fname, "%s%s", cf->stem, cp->suffix) < 0)
		return -ENOMEM;
	stem = strndup(fname, strlen(fname) - strlen(ext) - 1);
	if (!stem)
		return -ENOMEM;
	why = container ? spec_unit_name_problem(stem) : spec_file_name_problem(stem);
	if (why)
		return diag_add(b->diags, b->tlabel, cp->path, 1, "'%s' (made for %s) %s", stem,
				cf->stem, why);
	r = transform_substitute_name(cp->text, cp->size, cf->stem, INI_FILE_MAX, &text, &size);
	if (r == -E2BIG)
		return diag_add(b->diags, b->tlabel, cp->path, 1,
				"file made for %s larger than 1048576 bytes (INI_FILE_MAX)",
				cf->stem);
	if (r < 0)
		return r;
	doc = spec_parse(&src, text, size, b->diags);
	if (!doc)
		return 0;
	chk.name = container ? stem : NULL;
	chk.pod_file = container && pod_file && !cp->no_pod ? pod_file : NULL;
	rc.name = stem;
	if (chk.pod_file && !ini_get(doc, "Container", "Pod")) {
		free(TAKE_PTR(text));
		r = ini_entry_append(doc, "Container", "Pod", chk.pod_file);
		if (r >= 0)
			r = ini_serialize(doc, &text, &size);
	}
	if (r >= 0) {
		spec_check_doc(&chk, doc);
		r = spec_refs_foreach(doc, ref_collect, &rc);
	}
	ini_free(doc);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return diag_add(b->diags, b->tlabel, cp->path, 1,
				"file made for %s cannot join its pod: %s", cf->stem, strerror(-r));
	return add_text_unit(b, widx, fname, b->tlabel, cp->path, TAKE_PTR(text), size,
			     unit ? SPEC_UNIT_SYSTEMD : SPEC_UNIT_QUADLET);
}

int spec_build_companions(struct spec_builder *b, const struct spec_cfile *cf, size_t widx,
			  const char *pod_file)
{
	for (size_t i = 0; i < b->ts->n_companions; i++) {
		const struct transform_companion *cp = &b->ts->companions[i];
		int r = cp->parsed ? build_companion(b, cp, cf, widx, pod_file) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

char *spec_copy_data(const struct fileset_file *f)
{
	char *p = malloc(f->size + 1);

	if (p) {
		memcpy(p, f->data, f->size);
		p[f->size] = '\0';
	}
	return p;
}

/* The workload a sidecar NAME-*.EXT joins: the longest container, pod or kube name it starts
 * with (a container before a pod or kube of the same length). */
static size_t sidecar_owner(struct spec_builder *b, const char *stem, const char **ret_name)
{
	struct spec_scope *sc = b->sc;
	struct spec_cfile *const lists[] = {sc->containers, sc->pods, sc->kubes};
	const size_t counts[] = {sc->n_containers, sc->n_pods, sc->n_kubes};
	const struct spec_cfile *best = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		size_t j = spec_cfile_owner(lists[i], counts[i], stem);

		if (j != SPEC_NONE && (!best || strlen(lists[i][j].stem) > strlen(best->stem)))
			best = &lists[i][j];
	}
	*ret_name = best ? best->stem : NULL;
	if (!best)
		return SPEC_NONE;
	return best->pod != SPEC_NONE ? sc->pods[best->pod].workload : best->workload;
}

static int build_sidecar(struct spec_builder *b, const struct fileset_file *f)
{
	const char *base = spec_base_of(f->path), *ext = strrchr(base, '.') + 1, *owner = NULL,
		   *why;
	_cleanup_free_ char *stem = strndup(base, (size_t)(ext - 1 - base));
	struct spec_src src = {.label = b->label, .path = f->path};
	struct spec_check chk = {
		.diags = b->diags, .src = &src, .ext = ext, .podman = spec_target(b)};
	struct ini *doc;
	size_t widx;
	char *data;

	if (!stem)
		return -ENOMEM;
	widx = sidecar_owner(b, stem, &owner);
	if (!owner)
		return diag_add(b->diags, b->label, f->path, 1,
				"no container or pod beside it owns it: name it NAME-LABEL.%s for "
				"the spec NAME",
				ext);
	why = spec_file_name_problem(stem);
	if (why)
		return diag_add(b->diags, b->label, f->path, 1, "'%s' %s", stem, why);
	doc = spec_parse(&src, f->data, f->size, b->diags);
	if (!doc)
		return 0;
	spec_check_doc(&chk, doc);
	ini_free(doc);
	if (widx == SPEC_NONE)
		return 0; /* its owner was not built: already diagnosed */
	data = spec_copy_data(f);
	if (!data)
		return -ENOMEM;
	return add_text_unit(b, widx, base, b->label, f->path, data, f->size, SPEC_UNIT_SYSTEMD);
}

/* What quadlet requires beyond the section (spec_check_doc checks [Container]'s Image=). */
static void check_required_key(struct spec_builder *b, const struct spec_src *src,
			       const struct ini *doc, const char *ext)
{
	static const char *const required[][2] = {{"image", "Image"}, {"artifact", "Artifact"}};

	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (strcmp(ext, required[i][0]) == 0 &&
		    !ini_get(doc, required[i][1], required[i][1]))
			diag_add(b->diags, src->label, src->path, 1, "missing %s= in [%s]",
				 required[i][1], required[i][1]);
}

static int check_other(struct spec_builder *b, struct spec_other *o)
{
	const char *ext = strrchr(o->base, '.') + 1, *why;
	_cleanup_free_ char *stem = strndup(o->base, (size_t)(ext - 1 - o->base));
	struct spec_src src = {.label = b->label, .path = o->f->path};
	struct spec_check chk = {
		.diags = b->diags, .src = &src, .ext = ext, .podman = spec_target(b)};
	struct ini *doc;

	if (!stem)
		return -ENOMEM;
	why = spec_file_name_problem(stem);
	if (why)
		return diag_add(b->diags, b->label, o->f->path, 1, "'%s' %s", stem, why);
	doc = spec_parse(&src, o->f->data, o->f->size, b->diags);
	/* [Artifact] and its keys are gated like every section: quadlet reads them from 5.7. */
	if (doc)
		spec_check_doc(&chk, doc);
	if (doc)
		check_required_key(b, &src, doc, ext);
	o->ok = doc != NULL;
	ini_free(doc);
	return 0;
}

static int other_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct spec_other *)elem)->base);
}

/* sc->others is sorted by name (spec.c): a binary search, as a scope of thousands of
 * pods has thousands of volumes and every member refers to one (issue 16). */
static struct spec_other *other_find(struct spec_scope *sc, const char *name)
{
	if (sc->n_others == 0)
		return NULL;
	return bsearch(name, sc->others, sc->n_others, sizeof(*sc->others), other_key_cmp);
}

/* A .volume .network .image .build or .artifact in workload widx; a .build with its context. */
static int deploy_other(struct spec_builder *b, size_t widx, const struct spec_other *o)
{
	const char *ext = strrchr(o->base, '.');
	char *data = spec_copy_data(o->f);
	int r;

	if (!data)
		return -ENOMEM;
	r = add_text_unit(b, widx, o->base, b->label, o->f->path, data, o->f->size,
			  SPEC_UNIT_QUADLET);
	if (r >= 0 && strcmp(ext, ".build") == 0)
		r = spec_build_context(b, widx, o);
	return r;
}

/* A reference resolves to a file beside the spec (copied into the workload once, however many
 * of its files refer to it) or to a file the workload already has (a companion); both at once is
 * a collision, reported when the workload is finished. */
static int resolve_ref(struct spec_builder *b, const struct spec_ref *x)
{
	struct spec_workload *w = &b->set->workloads[x->workload];
	const struct spec_unit *u = spec_workload_find_unit(w, x->name);
	_cleanup_free_ char *source = NULL;
	struct spec_other *o;

	o = other_find(b->sc, x->name);
	if (!o && u)
		return 0;
	if (!o)
		return diag_add(b->diags, x->label, x->path, x->line,
				"%s= refers to '%.*s', which is neither beside the spec nor made "
				"from a companion template",
				x->key, DIAG_QUOTE(x->name));
	o->used = true;
	source = diag_path_join(b->label, o->f->path);
	if (!source)
		return -ENOMEM;
	if (!o->ok || (u && strcmp(u->source, source) == 0))
		return 0;
	return deploy_other(b, x->workload, o);
}

/* .image, .build and .artifact files no spec refers to join the spec whose name they start
 * with, as sidecars do. */
static int own_other(struct spec_builder *b, struct spec_other *o)
{
	static const char *const exts[] = {".image", ".build", ".artifact"};
	const char *dot = strrchr(o->base, '.'), *owner = NULL;
	_cleanup_free_ char *stem = strndup(o->base, (size_t)(dot - o->base));
	size_t widx;

	if (!stem)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (strcmp(dot, exts[i]) == 0) {
			widx = sidecar_owner(b, stem, &owner);
			o->used = true;
			if (!owner)
				return diag_add(
					b->diags, b->label, o->f->path, 1,
					"no spec beside it refers to it (Image=, Mount=) or "
					"owns it (NAME-LABEL%s for the spec NAME), so never "
					"deployed",
					exts[i]);
			return o->ok && widx != SPEC_NONE ? deploy_other(b, widx, o) : 0;
		}
	return 0;
}

int spec_scope_finish(struct spec_builder *b)
{
	struct spec_scope *sc = b->sc;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < sc->n_others; i++)
		r = check_other(b, &sc->others[i]);
	for (size_t i = 0; r >= 0 && i < sc->n_sidecars; i++)
		r = build_sidecar(b, sc->sidecars[i]);
	for (size_t i = 0; r >= 0 && i < sc->n_refs; i++)
		r = resolve_ref(b, &sc->refs[i]);
	for (size_t i = 0; r >= 0 && i < sc->n_others; i++)
		if (!sc->others[i].used)
			r = own_other(b, &sc->others[i]);
	for (size_t i = 0; r >= 0 && i < sc->n_others; i++)
		if (!sc->others[i].used)
			r = diag_add(b->diags, b->label, sc->others[i].f->path, 1,
				     "not referenced by any spec beside it (Volume=, Mount=, "
				     "Network=), so never deployed");
	return r;
}
