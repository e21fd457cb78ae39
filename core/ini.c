/* ini.c: the document model of systemd/Quadlet unit files and its lookups (module boundary:
 * core, libc only; the parser is in ini_parse.c, the edits in ini_edit.c, the serializer in
 * ini_emit.c, the memory in ini_arena.c). */

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "ini.h"
#include "ini_internal.h"

/* The next size of an array that holds n_alloc elements of size bytes: doubled, from 8. */
static int grown(size_t n_alloc, size_t size, size_t *ret)
{
	size_t want = n_alloc ? n_alloc * 2 : 8;

	if (want > SIZE_MAX / size)
		return -ENOMEM;
	*ret = want;
	return 0;
}

int ini_array_grow(struct ini *ini, void **array, size_t *n_alloc, size_t n, size_t size,
		   size_t align)
{
	size_t want;
	void *p;

	if (n < *n_alloc)
		return 0;
	if (grown(*n_alloc, size, &want) < 0)
		return -ENOMEM;
	p = ini_arena_alloc(ini, want * size, align);
	if (!p)
		return -ENOMEM;
	if (n)
		memcpy(p, *array, n * size);
	*array = p;
	*n_alloc = want;
	return 0;
}

int ini_new(struct ini **ret)
{
	return ini_arena_new(0, ret);
}

struct ini *ini_free(struct ini *ini)
{
	if (ini)
		ini_arena_free(ini);
	return NULL;
}

int ini_line_insert(struct ini *ini, struct ini_section *s, size_t pos, struct ini_line *l)
{
	int r;

	if (!ini_line_fits(ini, l->type))
		return -E2BIG;
	r = ini_array_grow(ini, (void **)&s->lines, &s->n_alloc, s->n_lines, sizeof(*s->lines),
			   alignof(struct ini_line));
	if (r < 0)
		return r;
	if (pos < s->n_lines) /* an append moves nothing: no call */
		mem_shift_up(&s->lines[pos], (s->n_lines - pos) * sizeof(*s->lines),
			     sizeof(*s->lines));
	s->lines[pos] = *l;
	s->n_lines++;
	ini->n_lines++;
	if (l->type == INI_LINE_ENTRY)
		ini->n_entries++;
	return 0;
}

struct ini_section *ini_section_find(const struct ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->n_sections; i++)
		if (str_is(ini->sections[i].name, name))
			return &ini->sections[i];
	return NULL;
}

struct ini_section *ini_section_find_last(const struct ini *ini, const char *name)
{
	for (size_t i = ini->n_sections; i > 0; i--)
		if (str_is(ini->sections[i - 1].name, name))
			return &ini->sections[i - 1];
	return NULL;
}

/* The last entry for key across every section named section, as systemd reads duplicates. */
struct ini_line *ini_entry_find_last(const struct ini *ini, const char *section, const char *key)
{
	for (size_t i = ini->n_sections; i > 0; i--) {
		struct ini_section *s = &ini->sections[i - 1];

		if (!str_is(s->name, section))
			continue;
		for (size_t j = s->n_lines; j > 0; j--)
			if (ini_line_is_key(&s->lines[j - 1], key))
				return &s->lines[j - 1];
	}
	return NULL;
}

const char *ini_get(const struct ini *ini, const char *section, const char *key)
{
	const struct ini_line *l = ini_entry_find_last(ini, section, key);

	return l ? l->value : NULL;
}

/* ini_get_all's result is the caller's: on the heap, not in the document. */
static int values_grow(const char ***values, size_t *n_alloc, size_t n)
{
	const char **p;
	size_t want;

	if (n < *n_alloc)
		return 0;
	if (grown(*n_alloc, sizeof(**values), &want) < 0)
		return -ENOMEM;
	p = realloc(*values, want * sizeof(**values));
	if (!p)
		return -ENOMEM;
	*values = p;
	*n_alloc = want;
	return 0;
}

int ini_get_all(const struct ini *ini, const char *section, const char *key, unsigned flags,
		const char ***ret_values, size_t *ret_n)
{
	const char **values = NULL;
	size_t n = 0, n_alloc = 0;

	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct ini_section *s = &ini->sections[i];

		if (!str_is(s->name, section))
			continue;
		for (size_t j = 0; j < s->n_lines; j++) {
			if (!ini_line_is_key(&s->lines[j], key))
				continue;
			if ((flags & INI_GET_ALL_RESET) && s->lines[j].value[0] == '\0') {
				n = 0;
				continue;
			}
			if (values_grow(&values, &n_alloc, n) < 0) {
				free(values);
				return -ENOMEM;
			}
			values[n++] = s->lines[j].value;
		}
	}
	if (n == 0) {
		free(values);
		values = NULL;
	}
	*ret_values = values;
	*ret_n = n;
	return 0;
}

size_t ini_section_end(const struct ini_section *section)
{
	for (size_t i = section->n_lines; i > 0; i--)
		if (section->lines[i - 1].type == INI_LINE_ENTRY)
			return i;
	return 0;
}
