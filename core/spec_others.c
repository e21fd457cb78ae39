/* spec_others.c: the files of a workload beside its spec (module boundary: core; uses ini,
 * transform, diag and spec_check.c): the companions made from templates, the sidecar .service and
 * .timer files, and the .volume .network .image .build .artifact files the specs refer to or that
 * start with a spec's name, each checked where it comes from. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif

#include "spec_internal.h"
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct spec_ref_ctx rc = {.b = b, .src = &src, .workload = widx};
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
		r = spec_refs_foreach(doc, spec_ref_collect, &rc);
	}
	ini_free(doc);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return diag_add(b->diags, b->tlabel, cp->path, 1,
				"file made for %s cannot join its pod: %s", cf->stem, strerror(-r));
	return spec_add_text_unit(b, widx, fname, b->tlabel, cp->path, TAKE_PTR(text), size,
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
	return spec_add_text_unit(b, widx, base, b->label, f->path, data, f->size,
				  SPEC_UNIT_SYSTEMD);
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

int spec_check_other(struct spec_builder *b, struct spec_other *o)
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
	r = spec_add_text_unit(b, widx, o->base, b->label, o->f->path, data, o->f->size,
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
	char source[PATH_MAX];
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
	diag_path_join_buf(source, b->label, o->f->path);
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

	for (size_t i = 0; r >= 0 && !sc->others_checked && i < sc->n_others; i++)
		r = spec_check_other(b, &sc->others[i]);
	for (size_t i = 0; r >= 0 && i < sc->n_sidecars; i++)
		r = build_sidecar(b, sc->sidecars[i]);
	for (size_t i = 0; r >= 0 && i < sc->refs.n; i++)
		r = resolve_ref(b, &sc->refs.v[i]);
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
