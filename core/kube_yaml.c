/* kube_yaml.c: kube_yaml_check() (module boundary: core; uses utf8). One pass over the lines, in
 * O(size): each line's indentation and leading "- " give its nesting, a character walk outside
 * quotes and comments follows flow brackets, quotes that span lines and the value positions where
 * an alias (*name) or a block scalar (| or >) may begin; the lines of a block scalar are skipped.
 * Only top-level keys are read (apiVersion:, kind:), at column 0 outside any flow or quote. */
#include "kube_yaml.h"
#include "core.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define KIND_MAX 64

/* What kube play acts on; any other kind it skips with an info line. */
static const char *const play_kinds[] = {"DaemonSet", "Deployment", "Job", "PersistentVolumeClaim",
					 "Pod",	      "Secret"};

struct scan {
	struct kube_yaml_problem *p;
	enum kube_yaml_role role;
	unsigned line;
	/* the current document */
	unsigned doc_line;
	bool content, api;
	char kind[KIND_MAX];
	unsigned kind_line;
	/* the file */
	unsigned n_docs, n_play, n_configmap;
	/* nesting */
	unsigned indents[KUBE_YAML_DEPTH_MAX + 1];
	size_t n_indents;
	long block_parent; /* inside a block scalar below a line of this indentation; -1: not */
	unsigned flow;	   /* open [ and { */
	char quote;	   /* the quote that is open across lines, or 0 */
};

static int problem(struct scan *s, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int problem(struct scan *s, unsigned line, const char *fmt, ...)
{
	va_list ap;

	s->p->line = line ? line : 1;
	va_start(ap, fmt);
	vsnprintf(s->p->msg, sizeof(s->p->msg), fmt, ap);
	va_end(ap);
	return 1;
}

static bool kind_plays(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(play_kinds); i++)
		if (strcmp(kind, play_kinds[i]) == 0)
			return true;
	return false;
}

/* The document that ends here: a top-level kind and apiVersion, of a kind this file may hold. */
static int doc_end(struct scan *s)
{
	bool configmap = strcmp(s->kind, "ConfigMap") == 0;

	if (s->flow || s->quote)
		return problem(s, s->doc_line, "a flow collection or quoted string is not closed");
	if (!s->content)
		return 0;
	if (!s->kind[0])
		return problem(s, s->doc_line, "document has no top-level kind:");
	if (!s->api)
		return problem(s, s->doc_line, "document has no top-level apiVersion:");
	if (s->role == KUBE_YAML_CONFIGMAP && !configmap)
		return problem(s, s->kind_line, "kind: %s in a ConfigMap= file (only ConfigMap)",
			       s->kind);
	if (!configmap && !kind_plays(s->kind))
		return problem(s, s->kind_line,
			       "kind: %s is not one podman kube play runs (Pod, Deployment, "
			       "DaemonSet, Job, PersistentVolumeClaim, ConfigMap, Secret)",
			       s->kind);
	s->n_play += !configmap;
	s->n_configmap += configmap;
	s->content = s->api = false;
	s->kind[0] = '\0';
	return 0;
}

static int doc_begin(struct scan *s)
{
	int r = doc_end(s);

	if (r)
		return r;
	if (++s->n_docs > KUBE_YAML_DOCS_MAX)
		return problem(s, s->line, "more than %d documents (KUBE_YAML_DOCS_MAX)",
			       KUBE_YAML_DOCS_MAX);
	s->doc_line = s->line;
	s->n_indents = 0;
	return 0;
}

/* A top-level "key: value" line: remember kind and apiVersion. */
static int top_key(struct scan *s, const char *t, size_t n)
{
	const char *colon = memchr(t, ':', n), *v, *end = t + n;
	size_t k = colon ? (size_t)(colon - t) : 0, len;

	if (!colon || (colon + 1 < end && colon[1] != ' ' && colon[1] != '\t'))
		return 0;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	len = (size_t)(end - v);
	for (const char *h = v; h < end; h++)
		if (*h == '#' && (h == v || h[-1] == ' ' || h[-1] == '\t')) {
			len = (size_t)(h - v);
			break;
		}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
		v++;
		len -= 2;
	}
	if (k == 10 && memcmp(t, "apiVersion", 10) == 0)
		s->api = len > 0;
	if (k != 4 || memcmp(t, "kind", 4) != 0)
		return 0;
	if (len == 0 || len >= KIND_MAX)
		return problem(s, s->line, "kind: is empty or longer than %d bytes", KIND_MAX - 1);
	memcpy(s->kind, v, len);
	s->kind[len] = '\0';
	s->kind_line = s->line;
	return 0;
}

/* Whether t[i..n) is a block scalar header: [|>][0-9+-]* then blanks or a comment. */
static bool block_header(const char *t, size_t i, size_t n)
{
	if (t[i] != '|' && t[i] != '>')
		return false;
	for (i++; i < n && ((t[i] >= '0' && t[i] <= '9') || t[i] == '+' || t[i] == '-'); i++)
		;
	for (; i < n && (t[i] == ' ' || t[i] == '\t'); i++)
		;
	return i == n || t[i] == '#';
}

/* The characters of one line's content: quotes, comments, flow brackets and what may start at a
 * value position. *block is set when the line opens a block scalar. */
static int walk(struct scan *s, const char *t, size_t n, unsigned depth, bool *block)
{
	bool value = !s->quote;

	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		if (s->quote) {
			if (c == '\\' && s->quote == '"')
				i++;
			else if (c == s->quote)
				s->quote = 0;
			continue;
		}
		if (c == ' ' || c == '\t')
			continue;
		if (c == '#' && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t'))
			return 0;
		if (value && c == '*')
			return problem(s, s->line,
				       "an alias (*name): kube play files do not need aliases, and "
				       "they make YAML bombs");
		if (value && !s->flow && block_header(t, i, n)) {
			*block = true;
			return 0;
		}
		if (value && (c == '"' || c == '\''))
			s->quote = c;
		else if ((value || s->flow) && (c == '[' || c == '{')) {
			if (++s->flow + depth > KUBE_YAML_DEPTH_MAX)
				return problem(s, s->line, "nested deeper than %d levels",
					       KUBE_YAML_DEPTH_MAX);
		} else if (s->flow && (c == ']' || c == '}'))
			s->flow--;
		value = (s->flow && (c == '[' || c == '{' || c == ',')) ||
			((c == ':' || c == '-' || c == '?') &&
			 (i + 1 == n || t[i + 1] == ' ' || t[i + 1] == '\t'));
	}
	return 0;
}

/* The nesting of a line at indentation indent with dashes "- " entries before its content. */
static int nest(struct scan *s, unsigned indent, unsigned dashes, unsigned *ret_depth)
{
	while (s->n_indents > 0 && s->indents[s->n_indents - 1] >= indent)
		s->n_indents--;
	if (s->n_indents + 1 + dashes > KUBE_YAML_DEPTH_MAX)
		return problem(s, s->line, "nested deeper than %d levels", KUBE_YAML_DEPTH_MAX);
	s->indents[s->n_indents++] = indent;
	*ret_depth = (unsigned)s->n_indents + dashes;
	return 0;
}

static bool is_marker(const char *t, size_t n, const char *m)
{
	return n >= 3 && memcmp(t, m, 3) == 0 && (n == 3 || t[3] == ' ' || t[3] == '\t');
}

static int structure_line(struct scan *s, const char *t, size_t n)
{
	size_t indent = 0, len, dashes = 0;
	unsigned depth = 0;
	bool block = false;
	const char *c;
	int r;

	while (indent < n && t[indent] == ' ') /* t is not NUL-terminated */
		indent++;
	c = t + indent;
	len = n - indent;

	if (s->block_parent >= 0 && (len == 0 || (long)indent > s->block_parent))
		return 0;
	s->block_parent = -1;
	if (len == 0 || c[0] == '#' || (indent == 0 && c[0] == '%' && !s->content))
		return 0;
	if (c[0] == '\t')
		return problem(s, s->line, "a tab in the indentation");
	if (indent == 0 && is_marker(c, len, "---"))
		return doc_begin(s);
	if (indent == 0 && is_marker(c, len, "..."))
		return doc_end(s);
	if (indent > KUBE_YAML_INDENT_MAX)
		return problem(s, s->line, "indented more than %d columns", KUBE_YAML_INDENT_MAX);
	while (dashes * 2 + 1 < len && c[dashes * 2] == '-' && c[dashes * 2 + 1] == ' ')
		dashes++;
	s->content = true;
	r = nest(s, (unsigned)indent, (unsigned)dashes, &depth);
	if (!r && indent == 0 && !s->flow)
		r = top_key(s, c, len);
	if (!r)
		r = walk(s, c, len, depth, &block);
	if (!r && block)
		s->block_parent = (long)indent;
	return r;
}

static int scan_line(struct scan *s, const char *t, size_t n)
{
	bool block = false;

	if (n > KUBE_YAML_LINE_MAX)
		return problem(s, s->line, "line longer than %d bytes (KUBE_YAML_LINE_MAX)",
			       KUBE_YAML_LINE_MAX);
	if (!utf8_is_valid(t, n))
		return problem(s, s->line, "not UTF-8");
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)t[i] < 0x20 && t[i] != '\t') || t[i] == 0x7f)
			return problem(s, s->line, "a control character (byte 0x%02x)",
				       (unsigned char)t[i]);
	if (s->quote) /* inside a quoted string that spans lines */
		return walk(s, t, n, (unsigned)s->n_indents, &block);
	return structure_line(s, t, n);
}

int kube_yaml_check(const char *data, size_t size, enum kube_yaml_role role,
		    struct kube_yaml_problem *ret)
{
	struct scan s = {.p = ret, .role = role, .doc_line = 1, .block_parent = -1};
	const char *p = data, *end = data + size;
	int r = 0;

	if (size > KUBE_YAML_FILE_MAX)
		return problem(&s, 1, "larger than %d bytes (KUBE_YAML_FILE_MAX)",
			       KUBE_YAML_FILE_MAX);
	while (!r && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		s.line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		r = scan_line(&s, p, n);
		p = nl ? nl + 1 : end;
	}
	if (!r)
		r = doc_end(&s);
	if (!r && role == KUBE_YAML_PLAY && s.n_play == 0)
		r = problem(
			&s, 1,
			"no document of a kind kube play runs (Pod, Deployment, DaemonSet, Job, "
			"PersistentVolumeClaim, Secret)");
	if (!r && role == KUBE_YAML_CONFIGMAP && s.n_configmap == 0)
		r = problem(&s, 1, "no ConfigMap document");
	return r;
}
