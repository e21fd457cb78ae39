/* spec_text.c: the deployable text of a merged spec (module boundary: core; uses ini, transform
 * and diag): serialized, "{{.Name}}" replaced and checked again where the substitution may change
 * how it reads, written into the builder's scratch buffer spec after spec. */
#include "spec_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* [A-Za-z0-9_-] */
static bool name_char_inert(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Whether "{{.Name}}" replaced by name leaves every line of a document that parsed parsing the
 * same way: name is letters, digits, '_' and '-' only — no line break, blank, '=', '[', '#', ';',
 * backslash, control or non-ASCII byte, so no line changes its kind, key, section name, escape or
 * UTF-8 validity — and no line can pass INI_LINE_MAX: the name is not longer than the token, or
 * the whole text (size bytes, INI_FILE_MAX already checked) is within the line bound. (A loop, not
 * strspn(), which builds its table of the 64 bytes on every call.) */
static bool name_is_inert(const char *name, size_t size)
{
	size_t n = 0;

	while (name_char_inert(name[n]))
		n++;
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
	size_t n = ini_serialize_into(doc, b->scratch, b->scratch_size), m = 0, before;
	struct ini_error err = {0};
	struct ini *check = NULL;
	const char *hit;
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
	hit = transform_find_name_var(text, n);
	if (!hit) {
		if (n > INI_FILE_MAX)
			return merged_too_big(b, src) < 0 ? -ENOMEM : 1;
		return finish_result(text, n, keep, ret, ret_size);
	}
	/* The size, counted from the first token on (not searched for twice): the bytes before it
	 * stay as they are, so the rest may have INI_FILE_MAX less them. */
	before = (size_t)(hit - text);
	r = before > INI_FILE_MAX
		    ? -E2BIG
		    : transform_substitute_size(hit, n - before, name, INI_FILE_MAX - before, &m);
	if (r == -E2BIG)
		return merged_too_big(b, src) < 0 ? -ENOMEM : 1;
	m += before;
	/* Only its size wanted, and no need to parse it (below): the text is not written. */
	if (r == 0 && !keep && name_is_inert(name, m)) {
		*ret = NULL;
		*ret_size = m;
		return 0;
	}
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
