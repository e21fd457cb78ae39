/* spec_check.c: the checks of one unit file, raw or merged (module boundary: core; uses ini,
 * quadlet_keys, transform, diag), the name rules, and the scan for references to other unit files.
 * Messages never name the spec a transform line was merged into unless the problem depends on it,
 * so the same transform problem seen through many specs is reported once (diag_list_sort drops
 * exact duplicates). */
#include "spec_internal.h"
#include "core.h"
#include "quadlet_keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- names --------------------------------------------------------------------------------- */

static bool name_chars_ok(const char *name)
{
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return false;
	for (const char *p = name + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return name[strlen(name) - 1] != '-';
}

const char *spec_user_name_problem(const char *name)
{
	if (!*name || !name_chars_ok(name))
		return "is not a valid user name ([a-z_][a-z0-9_-]*, not ending in '-')";
	if (strlen(name) > USER_NAME_MAX)
		return "is longer than 32 characters, the user name limit (USER_NAME_MAX)";
	return NULL;
}

const char *spec_unit_name_problem(const char *name)
{
	if (!*name || !name_chars_ok(name))
		return "is not a valid name ([a-z_][a-z0-9_-]*, not ending in '-')";
	if (strlen(name) > SPEC_UNIT_NAME_MAX)
		return "is longer than 200 characters (SPEC_UNIT_NAME_MAX)";
	return NULL;
}

const char *spec_file_name_problem(const char *name)
{
	if (!*name || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				   ":_.@-") != strlen(name))
		return "is not a valid unit name ([A-Za-z0-9:_.@-])";
	if (strlen(name) > SPEC_UNIT_NAME_MAX)
		return "is longer than 200 characters (SPEC_UNIT_NAME_MAX)";
	return NULL;
}

/* --- where a line came from ---------------------------------------------------------------- */

void spec_locate(const struct spec_src *src, const struct ini_section *s, const struct ini_line *l,
		 const char **ret_label, const char **ret_path, unsigned *ret_line)
{
	unsigned line = l ? l->line : s->line;

	*ret_label = src->label;
	*ret_path = src->path;
	if (line) {
		*ret_line = line;
		return;
	}
	for (size_t i = ARRAY_SIZE(src->transforms); i > 0; i--) {
		const struct transform_file *t = src->transforms[i - 1];

		if (!t || !t->ini)
			continue;
		line = transform_find_line(t->ini, s->name, l ? l->key : NULL, l ? l->value : NULL);
		if (line) {
			*ret_label = src->tlabel;
			*ret_path = t->path;
			*ret_line = line;
			return;
		}
	}
	*ret_line = 1; /* added by tailpod itself (Pod=): the file as a whole */
}

int spec_diag_at(const struct spec_src *src, struct diag_list *diags, const struct ini_section *s,
		 const struct ini_line *l, const char *fmt, ...)
{
	const char *label, *path;
	char msg[DIAG_MSG_MAX];
	unsigned line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	spec_locate(src, s, l, &label, &path, &line);
	return diag_add(diags, label, path, line, "%s", msg);
}

struct ini *spec_parse(const struct spec_src *src, const char *data, size_t size,
		       struct diag_list *diags)
{
	struct ini_error err = {0};
	struct ini *ini = NULL;
	int r = ini_parse(src->path, data, size, &ini, &err);

	if (r < 0) {
		diag_add(diags, src->label, src->path, err.line ? err.line : 1, "%s",
			 err.msg[0] ? err.msg : strerror(-r));
		return NULL;
	}
	return ini;
}

/* --- sections and keys --------------------------------------------------------------------- */

/* A known section or key the target Podman (when there is one) does not accept: l is the key's
 * line, NULL for the section. Says which version it needs or when it went. */
static void check_version(const struct spec_check *c, const struct ini_section *s,
			  const struct ini_line *l, const struct podman_version *since,
			  const struct podman_version *until)
{
	enum quadlet_availability a = quadlet_availability(since, until, c->podman);
	char what[DIAG_MSG_MAX / 2], host[PODMAN_VERSION_STR_MAX], v[PODMAN_VERSION_STR_MAX];

	if (a == QUADLET_AVAILABLE)
		return;
	if (l)
		snprintf(what, sizeof(what),
			 "%.*s=", DIAG_QUOTE(l->key[0] == '+' ? l->key + 1 : l->key));
	else
		snprintf(what, sizeof(what), "[%s]", s->name);
	podman_version_format(c->podman, host, sizeof(host));
	if (a == QUADLET_TOO_NEW)
		spec_diag_at(c->src, c->diags, s, l, "%s needs Podman %s; this host has %s", what,
			     podman_version_format(since, v, sizeof(v)), host);
	else
		spec_diag_at(c->src, c->diags, s, l,
			     "%s was removed from Podman after %s; this host has %s", what,
			     podman_version_format(until, v, sizeof(v)), host);
}

/* A line of the document's own that the check before the merge has seen (see merged). */
static bool checked_before(const struct spec_check *c, const struct ini_line *l)
{
	return c->merged && l->line != 0;
}

static void check_key(const struct spec_check *c, const struct ini_section *s,
		      const struct quadlet_section *sec, const struct ini_line *l)
{
	const char *key = c->transform && l->key[0] == '+' ? l->key + 1 : l->key;
	const struct quadlet_key *known = quadlet_key_find(sec, key);
	const char *hint;

	if (known) {
		if (c->podman) /* without a target every known key is available: no call a key */
			check_version(c, s, l, &known->since, &known->until);
		return;
	}
	hint = quadlet_key_suggest(s->name, key);
	spec_diag_at(c->src, c->diags, s, l, "unknown key '%.*s' in [%s]%s%s%s", DIAG_QUOTE(key),
		     s->name, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
}

/* [s] is not one quadlet checks (sec is NULL): passthrough, or reported as unknown. */
static void check_unchecked_section(const struct spec_check *c, const struct ini_section *s)
{
	const char *hint;

	if (quadlet_section_is_passthrough(s->name))
		return;
	if (str_is(s->name, "Secrets")) {
		spec_diag_at(c->src, c->diags, s, NULL,
			     "[Secrets] is read only from a repository's .container spec, not from "
			     "a transform, a template, an app or a .%s file",
			     c->ext);
		return;
	}
	hint = quadlet_section_suggest(s->name);
	spec_diag_at(c->src, c->diags, s, NULL, "unknown section [%.*s]%s%s%s", DIAG_QUOTE(s->name),
		     hint ? "; did you mean [" : "", hint ? hint : "", hint ? "]?" : "");
}

/* own is the name in the table of the section the file's type needs (quadlet_section_for_ext),
 * so a checked section is the file's own when its name is that very string. */
static void check_section(const struct spec_check *c, const struct ini_section *s, const char *own)
{
	const struct quadlet_section *sec = quadlet_section_find(s->name);

	if (!sec) {
		check_unchecked_section(c, s);
		return;
	}
	if (sec->ext && sec->name != own) { /* [Quadlet] alone has no extension: it fits any */
		spec_diag_at(c->src, c->diags, s, NULL, "[%s] does not belong in a .%s file",
			     s->name, c->ext);
		return;
	}
	if (quadlet_availability(&sec->since, &sec->until, c->podman) != QUADLET_AVAILABLE) {
		check_version(c, s, NULL, &sec->since, &sec->until);
		return;
	}
	for (size_t j = 0; j < s->n_lines; j++)
		if (s->lines[j].type == INI_LINE_ENTRY && !checked_before(c, &s->lines[j]))
			check_key(c, s, sec, &s->lines[j]);
}

/* value equals name once every "{{.Name}}" in it is replaced by name. */
static bool equals_with_name(const char *value, const char *name)
{
	_cleanup_free_ char *v = NULL;
	size_t n;

	if (transform_substitute_name(value, strlen(value), name, INI_LINE_MAX, &v, &n) < 0)
		return false;
	return strcmp(v, name) == 0;
}

static void check_container_values(const struct spec_check *c, const struct ini *doc)
{
	for (size_t i = 0; i < doc->n_sections; i++) {
		const struct ini_section *s = &doc->sections[i];

		if (!str_is(s->name, "Container"))
			continue;
		for (size_t j = 0; j < s->n_lines; j++) {
			const struct ini_line *l = &s->lines[j];

			if (l->type != INI_LINE_ENTRY || checked_before(c, l))
				continue;
			if (str_is(l->key, "ContainerName") && !equals_with_name(l->value, c->name))
				spec_diag_at(c->src, c->diags, s, l,
					     "ContainerName=%.*s does not match the container name "
					     "'%s'",
					     DIAG_QUOTE(l->value), c->name);
			if (str_is(l->key, "Pod") && !c->pod_file)
				spec_diag_at(c->src, c->diags, s, l,
					     "Pod= is only for pod members (POD-NAME.container "
					     "beside POD.pod); tailpod sets it");
			else if (str_is(l->key, "Pod") && strcmp(l->value, c->pod_file) != 0)
				spec_diag_at(c->src, c->diags, s, l,
					     "Pod=%.*s does not name this container's pod %s",
					     DIAG_QUOTE(l->value), c->pod_file);
		}
	}
}

static void check_required(const struct spec_check *c, const struct ini *doc, const char *own)
{
	const struct ini_section *s = ini_section_find_last(doc, own);
	const char *image;

	if (!s) {
		diag_add(c->diags, c->src->label, c->src->path, 1, "missing [%s] section", own);
		return;
	}
	if (strcmp(own, "Container") != 0)
		return;
	image = ini_get(doc, "Container", "Image");
	if (!image || !*image)
		spec_diag_at(c->src, c->diags, s, NULL, "missing Image= in [Container]");
}

void spec_check_doc(const struct spec_check *c, const struct ini *doc)
{
	const char *own = quadlet_section_for_ext(c->ext);

	if (!own) {
		/* A sidecar: systemd judges its keys; it must at least be what its name says. */
		const char *need = strcmp(c->ext, "timer") == 0 ? "Timer" : "Service";

		if (!c->transform && !ini_section_find(doc, need))
			diag_add(c->diags, c->src->label, c->src->path, 1, "missing [%s] section",
				 need);
		return;
	}
	for (size_t i = 0; i < doc->n_sections; i++)
		check_section(c, &doc->sections[i], own);
	if (!c->transform)
		check_required(c, doc, own);
	if (c->name && strcmp(own, "Container") == 0)
		check_container_values(c, doc);
}

/* --- references ---------------------------------------------------------------------------- */

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* Report value[0..n) when it names a unit file of one of the given types. */
static int ref_emit(spec_ref_fn fn, void *ctx, const struct ini_section *s,
		    const struct ini_line *l, const char *v, size_t n, const char *const *exts)
{
	char ref[SPEC_UNIT_NAME_MAX + 64];

	for (; *exts; exts++)
		if (ends_with(v, n, *exts) && n < sizeof(ref)) {
			memcpy(ref, v, n);
			ref[n] = '\0';
			return fn(ctx, s, l, ref);
		}
	return 0;
}

/* Mount=type=volume,source=X.volume,destination=/d: the source= or src= field. */
static int ref_mount(spec_ref_fn fn, void *ctx, const struct ini_section *s,
		     const struct ini_line *l)
{
	static const char *const exts[] = {".volume", ".artifact", NULL};
	const char *p = l->value;

	while (*p) {
		size_t n = strcspn(p, ",");
		size_t skip = strncmp(p, "source=", 7) == 0 ? 7
			      : strncmp(p, "src=", 4) == 0  ? 4
							    : 0;
		int r = skip ? ref_emit(fn, ctx, s, l, p + skip, n - skip, exts) : 0;

		if (r < 0)
			return r;
		p += n + (p[n] == ',');
	}
	return 0;
}

static int ref_line(spec_ref_fn fn, void *ctx, const struct ini_section *s,
		    const struct ini_line *l)
{
	static const char *const vol[] = {".volume", NULL}, *const net[] = {".network", NULL},
				 *const img[] = {".image", ".build", NULL};

	/* The value's first field is measured only for the keys that name a unit there. */
	if (str_is(l->key, "Volume"))
		return ref_emit(fn, ctx, s, l, l->value, strcspn(l->value, ":"), vol);
	if (str_is(l->key, "Network"))
		return ref_emit(fn, ctx, s, l, l->value, strcspn(l->value, ":"), net);
	if (str_is(l->key, "Mount"))
		return ref_mount(fn, ctx, s, l);
	if (str_is(l->key, "Image") && str_is(s->name, "Container"))
		return ref_emit(fn, ctx, s, l, l->value, strlen(l->value), img);
	return 0;
}

int spec_refs_foreach(const struct ini *doc, spec_ref_fn fn, void *ctx)
{
	for (size_t i = 0; i < doc->n_sections; i++) {
		const struct ini_section *s = &doc->sections[i];

		if (!str_is(s->name, "Container") && !str_is(s->name, "Pod") &&
		    !str_is(s->name, "Kube"))
			continue;
		for (size_t j = 0; j < s->n_lines; j++) {
			int r;

			if (s->lines[j].type != INI_LINE_ENTRY)
				continue;
			r = ref_line(fn, ctx, s, &s->lines[j]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
