/* ini_edit.c: the edits of a parsed unit file that the transform merge is built from (module
 * boundary: core, libc only; the model, parser and lookups are in ini.c). New lines are built as
 * "Key=Value" or "[Name]" with the document's line end, and a key, value or name the parser would
 * not read back unchanged is refused. Inserts go through ini_line_insert(), so edits are held to
 * the same line and entry bounds as parsing. */

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "ini_internal.h"
#include "utf8.h"

/* Lengths come from the caller, measured once: the transform merge inserts thousands of these. */
static bool key_valid(const char *key, size_t n)
{
	return n > 0 && utf8_is_valid(key, n) && ini_key_chars_valid(key, n) &&
	       !memchr(key, '=', n) && key[0] != '#' && key[0] != ';' && key[0] != '[' &&
	       !ini_char_is_blank(key[0]) && !ini_char_is_blank(key[n - 1]);
}

static bool value_valid(const char *value, size_t n)
{
	if (!utf8_is_valid(value, n) || memchr(value, '\r', n) || memchr(value, '\n', n))
		return false;
	return n == 0 || (!ini_char_is_blank(value[0]) && !ini_char_is_blank(value[n - 1]));
}

/* a b c d joined in the document's arena. */
static char *join(struct ini *ini, const char *a, const char *b, const char *c, const char *d)
{
	size_t na = strlen(a), nb = strlen(b), nc = strlen(c), nd = strlen(d);
	char *s = ini_arena_alloc(ini, na + nb + nc + nd + 1, 1);

	if (!s)
		return NULL;
	memcpy(s, a, na);
	memcpy(s + na, b, nb);
	memcpy(s + na + nb, c, nc);
	memcpy(s + na + nb + nc, d, nd + 1);
	return s;
}

/* Build an entry line ending in eol in ini's arena; it re-parses to exactly (key, value). Raw
 * "Key=Value EOL", the key and the value are one piece of the arena (issue 16: the transform merge
 * makes thousands; a malloc each, freed a spec later, made musl map and unmap). */
static int entry_make(struct ini *ini, const char *key, const char *value, const char *eol,
		      struct ini_line *ret)
{
	size_t nk = strlen(key), nv = strlen(value), ne = strlen(eol);
	char *p;

	if (!key_valid(key, nk) || !value_valid(value, nv))
		return -EINVAL;
	/* The '=' resets the escape state, so only the value can leave the line continued. */
	if (ini_ends_escaped(value, nv))
		return -EINVAL;
	if (nk + 1 + nv > INI_LINE_MAX)
		return -E2BIG;
	p = ini_arena_alloc(ini, nk + 1 + nv + ne + 1 + nk + 1 + nv + 1, 1);
	if (!p)
		return -ENOMEM;
	*ret = (struct ini_line){.type = INI_LINE_ENTRY, .raw = p};
	memcpy(p, key, nk);
	p[nk] = '=';
	memcpy(p + nk + 1, value, nv);
	memcpy(p + nk + 1 + nv, eol, ne + 1);
	ret->key = p + nk + 1 + nv + ne + 1;
	memcpy(ret->key, key, nk);
	ret->key[nk] = '\0';
	ret->value = ret->key + nk + 1;
	memcpy(ret->value, value, nv);
	ret->value[nv] = '\0';
	return 0;
}

/* "\n" or "\r\n", the line ends a document may have: whether it is the second. Called for every
 * line a merge makes: the bytes compared here, no strcmp() (issue 16). */
static int eol_is_crlf(const char *eol)
{
	if (eol[0] == '\r' && eol[1] == '\n' && eol[2] == '\0')
		return 1;
	return eol[0] == '\n' && eol[1] == '\0' ? 0 : -EINVAL;
}

int ini_entry_make(struct ini *owner, const char *key, const char *value, const char *eol,
		   struct ini_made_entry *ret)
{
	int crlf = eol_is_crlf(eol);

	if (crlf < 0)
		return crlf;
	ret->crlf = crlf;
	return entry_make(owner, key, value, eol, &ret->line);
}

int ini_entry_insert_made(struct ini *ini, struct ini_section *section, size_t pos,
			  const struct ini_made_entry *made)
{
	struct ini_line l = made->line;

	if (section == &ini->preamble || pos > section->n_lines || l.type != INI_LINE_ENTRY ||
	    made->crlf != (eol_is_crlf(ini->eol) == 1))
		return -EINVAL;
	l.line = 0;
	return ini_line_insert(ini, section, pos, &l);
}

int ini_section_make(struct ini *owner, const char *name, const char *eol,
		     struct ini_made_header *ret)
{
	size_t n = strlen(name);
	int crlf = eol_is_crlf(eol);

	if (!ini_section_name_valid(name, n) || crlf < 0)
		return -EINVAL;
	if (n + 2 > INI_LINE_MAX)
		return -E2BIG;
	ret->crlf = crlf;
	ret->name = ini_arena_strndup(owner, name, n);
	ret->raw = join(owner, "[", name, "]", eol);
	return ret->name && ret->raw ? 0 : -ENOMEM;
}

/* A new last section whose header is name and raw, stored as given. */
static int section_push(struct ini *ini, char *name, char *raw, struct ini_section **ret)
{
	struct ini_section *sec;
	int r;

	if (ini->n_sections >= INI_SECTIONS_MAX)
		return -E2BIG;
	r = ini_array_grow(ini, (void **)&ini->sections, &ini->n_alloc, ini->n_sections,
			   sizeof(*ini->sections), alignof(struct ini_section));
	if (r < 0)
		return r;
	sec = &ini->sections[ini->n_sections++];
	*sec = (struct ini_section){.name = name, .raw = raw};
	if (ret)
		*ret = sec;
	return 0;
}

int ini_section_append_made(struct ini *ini, const struct ini_made_header *made,
			    struct ini_section **ret)
{
	if (!made->name || !made->raw || made->crlf != (eol_is_crlf(ini->eol) == 1))
		return -EINVAL;
	return section_push(ini, made->name, made->raw, ret);
}

int ini_section_append(struct ini *ini, const char *name, struct ini_section **ret)
{
	size_t n = strlen(name);
	char *copy, *raw;

	if (!ini_section_name_valid(name, n))
		return -EINVAL;
	if (n + 2 > INI_LINE_MAX || ini->n_sections >= INI_SECTIONS_MAX)
		return -E2BIG;
	copy = ini_arena_strndup(ini, name, n);
	raw = join(ini, "[", name, "]", ini->eol);
	if (!copy || !raw)
		return -ENOMEM;
	return section_push(ini, copy, raw, ret);
}

int ini_entry_insert(struct ini *ini, struct ini_section *section, size_t pos, const char *key,
		     const char *value)
{
	struct ini_line l;
	int r;

	if (section == &ini->preamble || pos > section->n_lines)
		return -EINVAL;
	r = entry_make(ini, key, value, ini->eol, &l);
	if (r < 0)
		return r;
	return ini_line_insert(ini, section, pos, &l);
}

int ini_entry_append(struct ini *ini, const char *section, const char *key, const char *value)
{
	struct ini_section *s = ini_section_find_last(ini, section);
	struct ini_line l;
	bool created = false;
	int r;

	r = entry_make(ini, key, value, ini->eol, &l);
	if (r < 0)
		return r;
	if (!s) {
		r = ini_section_append(ini, section, &s);
		if (r < 0)
			goto out;
		created = true;
	}
	r = ini_line_insert(ini, s, ini_section_end(s), &l);
	if (r < 0 && created) /* its name and header stay in the arena, unused */
		ini->n_sections--;
out:
	return r;
}

static bool starts_with_bom(const struct ini *ini)
{
	const char *first = ini->preamble.n_lines > 0 ? ini->preamble.lines[0].raw
			    : ini->n_sections > 0     ? ini->sections[0].raw
						      : "";

	return strncmp(first, INI_UTF8_BOM, 3) == 0;
}

int ini_blank_insert(struct ini *ini, struct ini_section *section, size_t pos)
{
	struct ini_line l = {.type = INI_LINE_BLANK};

	if (pos > section->n_lines)
		return -EINVAL;
	/* A byte-order mark is only skipped on line 1: keep it there. */
	if (section == &ini->preamble && pos == 0 && starts_with_bom(ini))
		return -EINVAL;
	l.raw = ini_arena_strndup(ini, ini->eol, strlen(ini->eol));
	if (!l.raw)
		return -ENOMEM;
	return ini_line_insert(ini, section, pos, &l);
}

int ini_set(struct ini *ini, const char *section, const char *key, const char *value)
{
	struct ini_line *old = ini_entry_find_last(ini, section, key);
	struct ini_line l;
	int r;

	if (!old)
		return ini_entry_append(ini, section, key, value);
	r = entry_make(ini, key, value, ini->eol, &l);
	if (r < 0)
		return r;
	l.line = old->line; /* the old text stays in the arena until the document is freed */
	*old = l;
	return 0;
}

int ini_line_remove(struct ini *ini, struct ini_section *section, size_t pos)
{
	if (pos >= section->n_lines)
		return -EINVAL;
	if (section->lines[pos].type == INI_LINE_ENTRY)
		ini->n_entries--;
	ini->n_lines--;
	memmove(&section->lines[pos], &section->lines[pos + 1],
		(section->n_lines - pos - 1) * sizeof(*section->lines));
	section->n_lines--;
	return 0;
}

int ini_remove(struct ini *ini, const char *section, const char *key)
{
	int removed = 0;

	for (size_t i = 0; i < ini->n_sections; i++) {
		struct ini_section *s = &ini->sections[i];

		if (strcmp(s->name, section) != 0)
			continue;
		for (size_t j = s->n_lines; j > 0; j--)
			if (ini_line_is_key(&s->lines[j - 1], key)) {
				ini_line_remove(ini, s, j - 1);
				removed++;
			}
	}
	return removed;
}

int ini_section_remove(struct ini *ini, size_t index)
{
	struct ini_section *s;

	if (index >= ini->n_sections)
		return -EINVAL;
	s = &ini->sections[index];
	for (size_t i = 0; i < s->n_lines; i++)
		if (s->lines[i].type == INI_LINE_ENTRY)
			ini->n_entries--;
	ini->n_lines -= s->n_lines;
	memmove(s, s + 1, (ini->n_sections - index - 1) * sizeof(*s));
	ini->n_sections--;
	return 0;
}
