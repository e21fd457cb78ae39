/* fuzz-transform.c: libFuzzer harness for the transform merge: the input is a transform and a
 * spec separated by a line "%%"; both are parsed as unit files, the transform is merged into the
 * spec, the result serialized, every added line traced back to the transform, and "{{.Name}}"
 * substituted, as spec_build does for every spec. */
#define _GNU_SOURCE
#include "transform.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *split(const char *text, size_t size, size_t *ret_first)
{
	static const char sep[] = "\n%%\n";
	const char *p = memmem(text, size, sep, sizeof(sep) - 1);

	if (!p)
		return NULL;
	*ret_first = (size_t)(p - text) + 1;
	return p + sizeof(sep) - 1;
}

static void trace(const struct ini *doc, const struct ini *t)
{
	for (size_t i = 0; i < doc->n_sections; i++) {
		const struct ini_section *s = &doc->sections[i];

		if (s->line == 0)
			(void)transform_find_line(t, s->name, NULL, NULL);
		for (size_t j = 0; j < s->n_lines; j++)
			if (s->lines[j].line == 0 && s->lines[j].type == INI_LINE_ENTRY)
				(void)transform_find_line(t, s->name, s->lines[j].key,
							  s->lines[j].value);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *spec;
	size_t t_size = 0, out_size = 0, named_size = 0;
	struct ini *t = NULL, *doc = NULL;
	char *out = NULL, *named = NULL;

	spec = split(text, size, &t_size);
	if (!spec)
		return 0;
	if (ini_parse("t", text, t_size, &t, NULL) < 0)
		return 0;
	if (ini_parse("doc", spec, size - (size_t)(spec - text), &doc, NULL) < 0)
		goto out;
	if (transform_merge(doc, t) < 0)
		goto out;
	trace(doc, t);
	if (ini_serialize(doc, &out, &out_size) < 0)
		goto out;
	if (transform_substitute_name(out, out_size, "web", INI_FILE_MAX, &named, &named_size) == 0)
		free(named);
	free(out);
out:
	ini_free(doc);
	ini_free(t);
	return 0;
}
