/* transform_merge.c: the merge of a transform into a spec (module boundary: core; uses ini), and
 * the origin of the lines it added. The merge is built from core/ini's edits only, so the merged
 * document keeps every byte of the spec it started from and the same bounds hold. The rules are
 * transform.h's; loading a transform directory is transform.c's. */
#include "transform.h"
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- the merge ----------------------------------------------------------------------------- */

/* t's entries and headers as the merge inserts them into a document with "\n" line ends, made
 * and checked once per transform instead of once per spec (issue 16: making them was half of
 * the merge, a tenth of check's instructions). A line of t is found by its section and its place
 * in it. */
struct transform_made {
	size_t *first;		      /* per section of t: the index in lines of its first line */
	struct ini_made_entry *lines; /* per line of t: an entry as inserted (key without '+') */
	int *err; /* per line: 0, or why it cannot be inserted (-EINVAL, -E2BIG) */
	struct ini_made_header *headers; /* per section: its header as appended */
	int *header_err;
};

struct transform_made *transform_made_free(struct transform_made *m)
{
	if (m) {
		free(m->first);
		free(m->lines);
		free(m->err);
		free(m->headers);
		free(m->header_err);
		free(m);
	}
	return NULL;
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

/* Make l, line k of t; a line the merge cannot insert keeps the reason instead. */
static int made_line(struct transform_made *m, struct ini *t, size_t k, const struct ini_line *l)
{
	int r;

	if (l->type != INI_LINE_ENTRY) {
		m->err[k] = -EINVAL; /* never inserted: the merge carries entries only */
		return 0;
	}
	r = ini_entry_make(t, entry_key(l), l->value, "\n", &m->lines[k]);
	if (r == -ENOMEM)
		return r;
	m->err[k] = r;
	return 0;
}

int transform_made_new(struct ini *t, struct transform_made **ret)
{
	struct transform_made *m = calloc(1, sizeof(*m));
	size_t n = t->n_sections, k = 0;
	int r = 0;

	if (!m)
		return -ENOMEM;
	m->first = calloc(n + 1, sizeof(*m->first));
	m->lines = calloc(t->n_lines + 1, sizeof(*m->lines));
	m->err = calloc(t->n_lines + 1, sizeof(*m->err));
	m->headers = calloc(n + 1, sizeof(*m->headers));
	m->header_err = calloc(n + 1, sizeof(*m->header_err));
	if (!m->first || !m->lines || !m->err || !m->headers || !m->header_err)
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		const struct ini_section *s = &t->sections[i];

		m->first[i] = k;
		r = ini_section_make(t, s->name, "\n", &m->headers[i]);
		if (r == -ENOMEM)
			break;
		m->header_err[i] = r;
		r = 0;
		for (size_t j = 0; r >= 0 && j < s->n_lines; j++)
			r = made_line(m, t, k++, &s->lines[j]);
	}
	if (r < 0) {
		transform_made_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

/* A transform being merged: its lines made once when made is set and the document's lines end
 * in "\n", else made here for each insert. */
struct merge_src {
	const struct ini *t;
	const struct transform_made *made;
};

/* Insert t's line tj of section ti at lines[pos] of s. */
static int insert_entry(struct ini *doc, struct ini_section *s, size_t pos,
			const struct merge_src *m, size_t ti, size_t tj)
{
	const struct ini_line *l = &m->t->sections[ti].lines[tj];
	size_t k;

	if (!m->made)
		return ini_entry_insert(doc, s, pos, entry_key(l), l->value);
	k = m->made->first[ti] + tj;
	if (m->made->err[k])
		return m->made->err[k];
	return ini_entry_insert_made(doc, s, pos, &m->made->lines[k]);
}

/* Index of the first of the document's first n sections named name, or n. */
static size_t section_index(const struct ini *doc, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (str_is(doc->sections[i].name, name))
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
		if (w->j == 0 && !str_is(s->name, w->section))
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
		if (str_is(l->key, key))
			return true;
	return false;
}

/* The "+Key=" entries of t's sections named name, inserted in order at the top of the first
 * such section of the document. */
static int merge_prepends(struct ini *doc, size_t first, const struct merge_src *m,
			  const char *name)
{
	struct entry_walk w = {.doc = m->t, .n = m->t->n_sections, .section = name};
	size_t pos = 0;

	for (const struct ini_line *l; (l = entry_next(&w));) {
		int r;

		if (!is_prepend(l) || !l->key[1])
			continue;
		r = insert_entry(doc, &doc->sections[first], pos++, m, w.i, w.j - 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Where a default of t is: section i, line j. */
struct tline {
	size_t i, j;
};

enum { DEFAULTS_ON_STACK = 32 };

/* Decided against the document as it was before this merge, so neither the prepends nor an
 * earlier default of the same transform hide a default. */
static int merge_section(struct ini *doc, size_t n_orig, const struct merge_src *m,
			 const char *name)
{
	struct tline stack[DEFAULTS_ON_STACK];
	_cleanup_free_ struct tline *heap = NULL;
	struct tline *defaults = stack;
	struct entry_walk w = {.doc = m->t, .n = m->t->n_sections, .section = name};
	size_t n_defaults = 0, last = n_orig;
	int r;

	if (m->t->n_entries > DEFAULTS_ON_STACK) {
		defaults = heap = calloc(m->t->n_entries, sizeof(*heap));
		if (!heap)
			return -ENOMEM;
	}
	for (const struct ini_line *l; (l = entry_next(&w));)
		if (!is_prepend(l) && !doc_has_key(doc, n_orig, name, l->key))
			defaults[n_defaults++] = (struct tline){w.i, w.j - 1};
	r = merge_prepends(doc, section_index(doc, n_orig, name), m, name);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_orig; i++)
		if (str_is(doc->sections[i].name, name))
			last = i;
	for (size_t i = 0; i < n_defaults; i++) {
		struct ini_section *s = &doc->sections[last];

		r = insert_entry(doc, s, ini_section_end(s), m, defaults[i].i, defaults[i].j);
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

static int header_append(struct ini *doc, const struct merge_src *m, size_t ti,
			 struct ini_section **ret)
{
	if (!m->made)
		return ini_section_append(doc, m->t->sections[ti].name, ret);
	if (m->made->header_err[ti])
		return m->made->header_err[ti];
	return ini_section_append_made(doc, &m->made->headers[ti], ret);
}

/* A transform-only section (t's section ti): a blank line, its header, its entries with any '+'
 * dropped. */
static int append_section(struct ini *doc, const struct merge_src *m, size_t ti)
{
	const struct ini_section *ts = &m->t->sections[ti];
	struct ini_section *s;
	int r;

	r = separate(doc);
	if (r < 0)
		return r;
	r = header_append(doc, m, ti, &s);
	if (r < 0)
		return r;
	for (size_t j = 0; j < ts->n_lines; j++) {
		const struct ini_line *l = &ts->lines[j];
		const char *key = l->type == INI_LINE_ENTRY ? entry_key(l) : "";

		if (!*key)
			continue; /* not an entry, or "+=": reported by the transform checks */
		r = insert_entry(doc, s, s->n_lines, m, ti, j);
		if (r < 0)
			return r;
	}
	return 0;
}

int transform_merge_made(struct ini *doc, const struct ini *t, const struct transform_made *made)
{
	struct merge_src m = {t, made && strcmp(doc->eol, "\n") == 0 ? made : NULL};
	size_t n_orig = doc->n_sections;
	int r;

	for (size_t i = 0; i < n_orig; i++) {
		const char *name = doc->sections[i].name;

		/* Each name once, at its first section; only names the transform has. */
		if (section_index(doc, i, name) != i || !ini_section_find(t, name))
			continue;
		r = merge_section(doc, n_orig, &m, name);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_sections; i++) {
		if (section_index(doc, n_orig, t->sections[i].name) != n_orig)
			continue;
		r = append_section(doc, &m, i);
		if (r < 0)
			return r;
	}
	return 0;
}

int transform_merge(struct ini *doc, const struct ini *t)
{
	return transform_merge_made(doc, t, NULL);
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
