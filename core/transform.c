/* transform.c: loading a transform directory (module boundary: core; uses ini, fileset, diag):
 * its files classified and parsed, each transform's lines made for the merge once
 * (transform_merge.c), its companion templates kept as text. */
#include "transform.h"
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const companion_exts[] = {"container", "volume", "network", "service", "timer"};

/* --- loading ------------------------------------------------------------------------------- */

static int file_cmp(const void *a, const void *b)
{
	const struct transform_file *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->ext, y->ext);
}

static int companion_cmp(const void *a, const void *b)
{
	return strcmp(((const struct transform_companion *)a)->suffix,
		      ((const struct transform_companion *)b)->suffix);
}

static struct ini *parse_or_diag(const struct fileset_file *f, const char *label,
				 struct diag_list *diags)
{
	struct ini_error err = {0};
	struct ini *ini = NULL;
	int r = ini_parse(f->path, f->data, f->size, &ini, &err);

	if (r < 0) {
		diag_add(diags, label, f->path, err.line ? err.line : 1, "%s",
			 err.msg[0] ? err.msg : strerror(-r));
		return NULL;
	}
	return ini;
}

static bool ext_in(const char *ext, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ext, list[i]) == 0)
			return true;
	return false;
}

static bool has_no_pod_line(const char *text, size_t size)
{
	static const char *const marks[] = {"# quadsync:no-pod", "# tailpod:no-pod"};

	for (const char *p = text; p && p < text + size;) {
		const char *nl = memchr(p, '\n', (size_t)(text + size - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + size - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
			if (n == strlen(marks[i]) && memcmp(p, marks[i], n) == 0)
				return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static int add_companion(struct transform_set *set, const struct fileset_file *f, const char *ext,
			 struct diag_list *diags)
{
	const char *suffix = f->path + strlen(TRANSFORM_BASE);
	struct transform_companion *c = &set->companions[set->n_companions];
	struct ini *ini;

	if (ext - suffix < 2 || !ext_in(ext + 1, companion_exts, ARRAY_SIZE(companion_exts)))
		return diag_add(
			diags, set->label, f->path, 1,
			"companion templates are _base-SUFFIX.EXT with EXT one of container, "
			"volume, network, service, timer");
	ini = parse_or_diag(f, set->label, diags);
	*c = (struct transform_companion){
		.suffix = suffix,
		.path = f->path,
		.text = f->data,
		.size = f->size,
		.no_pod = has_no_pod_line(f->data, f->size),
		.parsed = ini != NULL,
	};
	ini_free(ini);
	set->n_companions++;
	return 0;
}

static int add_file(struct transform_set *set, const struct fileset_file *f, const char *ext,
		    struct diag_list *diags)
{
	struct transform_file *t = &set->files[set->n_files];

	*t = (struct transform_file){
		.name = strndup(f->path, (size_t)(ext - f->path)),
		.ext = strcmp(ext, ".pod") == 0	   ? "pod"
		       : strcmp(ext, ".kube") == 0 ? "kube"
						   : "container",
		.path = f->path,
	};
	if (!t->name)
		return -ENOMEM;
	t->ini = parse_or_diag(f, set->label, diags);
	set->n_files++;
	return t->ini ? transform_made_new(t->ini, &t->made) : 0;
}

static int classify(struct transform_set *set, const struct fileset_file *f,
		    struct diag_list *diags)
{
	const char *ext = strrchr(f->path, '.');
	size_t stem = ext ? (size_t)(ext - f->path) : 0;

	if (ext && strncmp(f->path, TRANSFORM_BASE "-", strlen(TRANSFORM_BASE) + 1) == 0)
		return add_companion(set, f, ext, diags);
	if (ext && stem > 0 &&
	    (strcmp(ext, ".container") == 0 || strcmp(ext, ".pod") == 0 ||
	     strcmp(ext, ".kube") == 0))
		return add_file(set, f, ext, diags);
	return diag_add(diags, set->label, f->path, 1,
			"unexpected file in the transform directory (expected _base.EXT or DIR.EXT "
			"with EXT container, pod or kube, or _base-SUFFIX.EXT)");
}

int transform_set_load(const struct fileset *dir, const char *label, struct transform_set **ret,
		       struct diag_list *diags)
{
	struct transform_set *set = calloc(1, sizeof(*set));
	int r = 0;

	if (!set)
		return -ENOMEM;
	set->label = label;
	set->files = calloc(dir->n_files + 1, sizeof(*set->files));
	set->companions = calloc(dir->n_files + 1, sizeof(*set->companions));
	if (!set->files || !set->companions)
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < dir->n_files; i++)
		r = classify(set, &dir->files[i], diags);
	if (r >= 0 && diags->error)
		r = diags->error;
	if (r < 0) {
		transform_set_free(set);
		return r;
	}
	qsort(set->files, set->n_files, sizeof(*set->files), file_cmp);
	qsort(set->companions, set->n_companions, sizeof(*set->companions), companion_cmp);
	*ret = set;
	return 0;
}

struct transform_set *transform_set_free(struct transform_set *set)
{
	if (!set)
		return NULL;
	for (size_t i = 0; i < set->n_files; i++) {
		free(set->files[i].name);
		transform_made_free(set->files[i].made);
		ini_free(set->files[i].ini);
	}
	free(set->files);
	free(set->companions);
	free(set);
	return NULL;
}

const struct transform_file *transform_set_find(const struct transform_set *set, const char *name,
						const char *ext)
{
	struct transform_file key = {.name = (char *)name, .ext = ext};

	if (!set || set->n_files == 0)
		return NULL;
	return bsearch(&key, set->files, set->n_files, sizeof(key), file_cmp);
}
