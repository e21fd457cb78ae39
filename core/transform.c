/* transform.c: loading a transform directory and merging transforms into specs (module
 * boundary: core; uses ini, repo, diag). The merge is built from core/ini's edits only, so the
 * merged document keeps every byte of the spec it started from and the same bounds hold. */
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
	return 0;
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

/* --- the merge ----------------------------------------------------------------------------- */

/* Index of the first of the document's first n sections named name, or n. */
static size_t section_index(const struct ini *doc, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(doc->sections[i].name, name) == 0)
			return i;
	return n;
}

/* A walk over the entries of the first n sections of doc named section, in document order. */
struct entry_walk {
	const struct ini *doc;
	size_t n;
	const char *section;
	size_t i, j; /* the next line to look at: doc->sections[i].lines[j] */
};

static const struct ini_line *entry_next(struct entry_walk *w)
{
	for (; w->i < w->n; w->i++, w->j = 0) {
		const struct ini_section *s = &w->doc->sections[w->i];

		/* j > 0: this section's name matched when the walk entered it. */
		if (w->j == 0 && strcmp(s->name, w->section) != 0)
			continue;
		while (w->j < s->n_lines) {
			const struct ini_line *l = &s->lines[w->j++];

			if (l->type == INI_LINE_ENTRY)
				return l;
		}
	}
	return NULL;
}

static bool doc_has_key(const struct ini *doc, size_t n, const char *section, const char *key)
{
	struct entry_walk w = {.doc = doc, .n = n, .section = section};

	for (const struct ini_line *l; (l = entry_next(&w));)
		if (strcmp(l->key, key) == 0)
			return true;
	return false;
}

static bool is_prepend(const struct ini_line *l)
{
	return l->key[0] == '+';
}

/* The key an entry sets: a prepend's without its '+'. */
static const char *entry_key(const struct ini_line *l)
{
	return is_prepend(l) ? l->key + 1 : l->key;
}

/* The "+Key=" entries of t's sections named name, inserted in order at the top of the first
 * such section of the document. */
static int merge_prepends(struct ini *doc, size_t first, const struct ini *t, const char *name)
{
	struct entry_walk w = {.doc = t, .n = t->n_sections, .section = name};
	size_t pos = 0;

	for (const struct ini_line *l; (l = entry_next(&w));) {
		int r;

		if (!is_prepend(l) || !l->key[1])
			continue;
		r = ini_entry_insert(doc, &doc->sections[first], pos++, l->key + 1, l->value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Decided against the document as it was before this merge, so neither the prepends nor an
 * earlier default of the same transform hide a default. */
static int merge_section(struct ini *doc, size_t n_orig, const struct ini *t, const char *name)
{
	_cleanup_free_ const struct ini_line **defaults = NULL;
	struct entry_walk w = {.doc = t, .n = t->n_sections, .section = name};
	size_t n_defaults = 0, last = n_orig;
	int r;

	defaults = calloc(t->n_entries + 1, sizeof(*defaults));
	if (!defaults)
		return -ENOMEM;
	for (const struct ini_line *l; (l = entry_next(&w));)
		if (!is_prepend(l) && !doc_has_key(doc, n_orig, name, l->key))
			defaults[n_defaults++] = l;
	r = merge_prepends(doc, section_index(doc, n_orig, name), t, name);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_orig; i++)
		if (strcmp(doc->sections[i].name, name) == 0)
			last = i;
	for (size_t i = 0; i < n_defaults; i++) {
		struct ini_section *s = &doc->sections[last];

		r = ini_entry_insert(doc, s, ini_section_end(s), defaults[i]->key,
				     defaults[i]->value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A blank line before an appended section, unless the document is empty or ends in one. */
static int separate(struct ini *doc)
{
	struct ini_section *s =
		doc->n_sections ? &doc->sections[doc->n_sections - 1] : &doc->preamble;

	if (doc->n_sections == 0 && s->n_lines == 0)
		return 0;
	if (s->n_lines > 0 && s->lines[s->n_lines - 1].type == INI_LINE_BLANK)
		return 0;
	return ini_blank_insert(doc, s, s->n_lines);
}

/* A transform-only section: a blank line, its header, its entries with any '+' dropped. */
static int append_section(struct ini *doc, const struct ini_section *ts)
{
	struct ini_section *s;
	int r;

	r = separate(doc);
	if (r < 0)
		return r;
	r = ini_section_append(doc, ts->name, &s);
	if (r < 0)
		return r;
	for (size_t j = 0; j < ts->n_lines; j++) {
		const struct ini_line *l = &ts->lines[j];
		const char *key = l->type == INI_LINE_ENTRY ? entry_key(l) : "";

		if (!*key)
			continue; /* not an entry, or "+=": reported by the transform checks */
		r = ini_entry_insert(doc, s, s->n_lines, key, l->value);
		if (r < 0)
			return r;
	}
	return 0;
}

int transform_merge(struct ini *doc, const struct ini *t)
{
	size_t n_orig = doc->n_sections;
	int r;

	for (size_t i = 0; i < n_orig; i++) {
		const char *name = doc->sections[i].name;

		/* Each name once, at its first section; only names the transform has. */
		if (section_index(doc, i, name) != i || !ini_section_find(t, name))
			continue;
		r = merge_section(doc, n_orig, t, name);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_sections; i++) {
		if (section_index(doc, n_orig, t->sections[i].name) != n_orig)
			continue;
		r = append_section(doc, &t->sections[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

unsigned transform_find_line(const struct ini *t, const char *section, const char *key,
			     const char *value)
{
	struct entry_walk w = {.doc = t, .n = t ? t->n_sections : 0, .section = section};
	const struct ini_section *s;

	if (t && !key) {
		s = ini_section_find(t, section);
		return s ? s->line : 0;
	}
	for (const struct ini_line *l; (l = entry_next(&w));)
		if (strcmp(entry_key(l), key) == 0 && strcmp(l->value, value ? value : "") == 0)
			return l->line;
	return 0;
}
