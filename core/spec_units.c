/* spec_units.c: the main file of a workload (module boundary: core; uses ini, transform, diag and
 * spec_check.c): a spec merged with its transforms, named, and its references collected. Every
 * file is checked where it comes from, so a diagnostic points at the line someone wrote. Its text
 * is made in spec_text.c; companions, sidecars and referenced files in spec_others.c. */
#include "spec_internal.h"
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- merged files -------------------------------------------------------------------------- */

static const char *static_key(const char *key)
{
	static const char *const keys[] = {"Volume", "Network", "Mount", "Image"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return keys[i];
	return "?";
}

int spec_ref_collect(void *ctx, const struct ini_section *s, const struct ini_line *l,
		     const char *ref)
{
	struct spec_ref_ctx *rc = ctx;
	struct spec_refs *refs = rc->b->refs;
	size_t len = strlen(ref), n;
	struct spec_ref *x;
	int r;

	if (refs->n == refs->n_alloc) {
		size_t a = refs->n_alloc ? refs->n_alloc * 2 : 16;
		struct spec_ref *p = reallocarray(refs->v, a, sizeof(*p));

		if (!p)
			return -ENOMEM;
		refs->v = p;
		refs->n_alloc = a;
	}
	x = &refs->v[refs->n];
	*x = (struct spec_ref){.workload = rc->workload, .key = static_key(l->key)};
	spec_locate(rc->src, s, l, &x->label, &x->path, &x->line);
	/* A reference is at most SPEC_UNIT_NAME_MAX + 64 bytes: it cannot pass the bound. Its name
	 * goes into the list's arena (issue 16: no malloc on a build's threads). */
	r = transform_substitute_size(ref, len, rc->name, INI_LINE_MAX, &n);
	if (r < 0)
		return r;
	x->name = arena_alloc_bytes(&refs->names, n + 1);
	if (!x->name)
		return -ENOMEM;
	transform_substitute_to(ref, len, rc->name, x->name);
	refs->n++;
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
		w->service = arena_join(&b->set->arena, v, ".service", "");
	else
		w->service = arena_join(&b->set->arena, name, pod ? "-pod" : "", ".service");
	if (!w->service)
		return -ENOMEM;
	return 0;
}

int spec_add_text_unit(struct spec_builder *b, size_t widx, const char *fname, const char *label,
		       const char *path, char *text, size_t size, enum spec_unit_dir dir)
{
	char source[PATH_MAX];
	int r;

	diag_path_join_buf(source, label, path);
	r = spec_unit_add(b->set, &b->set->workloads[widx], fname, source, text, size, dir);
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
			r = transform_merge_made(doc, src->transforms[i]->ini,
						 src->transforms[i]->made);
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
	struct spec_ref_ctx rc = {.b = b, .src = &src, .workload = widx, .name = cf->stem};
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
	r = spec_refs_foreach(doc, spec_ref_collect, &rc);
	if (r >= 0)
		r = spec_health_take(b, &src, doc, widx, cf->pod != SPEC_NONE);
	if (r >= 0 && cf->pod == SPEC_NONE)
		r = set_service(b, widx, &src, doc, cf->stem, k);
	if (r >= 0)
		r = spec_finish_text(b, &src, doc, cf->stem, !b->set->workloads[widx].no_content,
				     &text, &size);
	spec_join_buf(fname, sizeof(fname), cf->stem, ".", cf->ext);
	if (r == 0)
		r = spec_add_text_unit(b, widx, fname, b->label, cf->f->path, text, size,
				       SPEC_UNIT_QUADLET);
	if (r >= 0 && k == 2)
		r = spec_kube_data(b, widx, &src, doc, cf->stem);
out:
	ini_free(doc);
	return r < 0 ? r : 0;
}
