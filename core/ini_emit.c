/* ini_emit.c: ini_serialize(), the document written back byte for byte as it was read, with
 * edited lines rendered in systemd's syntax (split from ini.c along the parse/emit seam). */
#include "ini.h"
#include "ini_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* systemd scans for backslashes pairwise: only the last of an odd run escapes the line end, so
 * the parity of the final run answers, counted from the end (here, not in ini.c, beside the
 * emitter that uses it most). */
bool ini_ends_escaped(const char *s, size_t n)
{
	size_t run = 0;

	while (run < n && s[n - 1 - run] == '\\')
		run++;
	return run % 2 == 1;
}

enum {
	/* Bytes ini_serialize() writes on its stack first: a unit file fits, so it is emitted
	 * once and copied, not measured and then emitted again (issue 16: half the work). */
	EMIT_STACK = 4096,
};

/* Writes up to cap bytes at out and counts all of them: n > cap means run again with more room. */
struct emitter {
	char *out;
	size_t n;
	size_t cap;
	const char *eol;
	size_t eol_n;
	const char *raw; /* the held chunk: written once we know whether anything follows it */
	const char *name;
	const struct ini_line *line;
	bool open;
};

static void put_n(struct emitter *e, const char *s, size_t n)
{
	if (e->n <= e->cap && n <= e->cap - e->n)
		memcpy(e->out + e->n, s, n);
	e->n += n;
}

static void put(struct emitter *e, const char *s)
{
	put_n(e, s, strlen(s));
}

/* An open continuation followed by more text would swallow it, so such a chunk is written in
 * its canonical one-line form, or, when even that would continue, closed with a blank line. */
static void put_open(struct emitter *e)
{
	const struct ini_line *l = e->line;

	if (e->name) {
		put(e, "[");
		put(e, e->name);
		put(e, "]");
	} else if (l->type == INI_LINE_ENTRY && !ini_ends_escaped(l->value, strlen(l->value))) {
		put(e, l->key);
		put(e, "=");
		put(e, l->value);
	} else if (l->type == INI_LINE_ENTRY) {
		put(e, e->raw);
		if (e->raw[strlen(e->raw) - 1] != '\n')
			put(e, e->eol);
	}
	put(e, e->eol);
}

/* The held chunk written; the common one (a line as read, room for it) copied here, not through
 * put_n(): this runs for every line of every spec check builds (issue 16). */
static void flush(struct emitter *e, bool followed)
{
	const char *raw = e->raw;
	size_t n;

	if (!raw)
		return;
	n = strlen(raw);
	if (n > 0 && followed && e->open)
		put_open(e); /* reads e->raw: cleared after */
	else if (n > 0) {
		if (e->n <= e->cap && n <= e->cap - e->n)
			memcpy(e->out + e->n, raw, n);
		e->n += n;
		if (followed && raw[n - 1] != '\n')
			put_n(e, e->eol, e->eol_n);
	}
	e->raw = NULL;
}

static void emit_section(struct emitter *e, const struct ini_section *s)
{
	if (s->raw) {
		flush(e, true);
		e->raw = s->raw;
		e->name = s->name;
		e->line = NULL;
		e->open = s->open;
	}
	for (size_t i = 0; i < s->n_lines; i++) {
		flush(e, true);
		e->raw = s->lines[i].raw;
		e->name = NULL;
		e->line = &s->lines[i];
		e->open = s->lines[i].open;
	}
}

static size_t emit(const struct ini *ini, char *out, size_t cap)
{
	struct emitter e = {.out = out, .cap = cap, .eol = ini->eol, .eol_n = strlen(ini->eol)};

	emit_section(&e, &ini->preamble);
	for (size_t i = 0; i < ini->n_sections; i++)
		emit_section(&e, &ini->sections[i]);
	flush(&e, false);
	return e.n;
}

size_t ini_serialize_into(const struct ini *ini, char *out, size_t cap)
{
	size_t n = emit(ini, out, cap);

	if (n < cap)
		out[n] = '\0';
	return n;
}

int ini_serialize(const struct ini *ini, char **ret, size_t *ret_size)
{
	char stack[EMIT_STACK];
	size_t n = ini_serialize_into(ini, stack, sizeof(stack));
	char *out = n < SIZE_MAX ? malloc(n + 1) : NULL;

	if (!out)
		return -ENOMEM;
	if (n < sizeof(stack))
		memcpy(out, stack, n + 1);
	else
		ini_serialize_into(ini, out, n + 1);
	*ret = out;
	*ret_size = n;
	return 0;
}
