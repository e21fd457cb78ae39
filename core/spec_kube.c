/* spec_kube.c: the data files quadlet units name by path (module boundary: core; uses fileset,
 * ini, kube_yaml, diag): the YAML of a .kube (Yaml=, ConfigMap=) and the context of a .build
 * (SetWorkingDirectory=, File=). A path is relative to the repository root and the file is
 * deployed at that same path below the quadlet directory, where every unit lies flat: quadlet
 * resolves a relative path from the unit's directory, so nothing is rewritten. A path that leaves
 * the repository, is absolute, goes through "." or "..", or names a file the repository does not
 * hold (a symlink, which is never read) is a diagnostic at the key's file:line. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* strcasecmp */
#endif

#include "spec_internal.h"
#include "core.h"
#include "kube_yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	BUILD_CONTEXT_FILES_MAX = 4096,		    /* files in one build context */
	BUILD_CONTEXT_BYTES_MAX = 64 * 1024 * 1024, /* bytes in one build context */
};

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* NULL when v may name something in the repository, else why not (static). */
static const char *path_problem(const char *v)
{
	if (!*v)
		return "is empty";
	if (v[strlen(v) - 1] == '/')
		return "ends in '/'";
	if (v[0] == '/')
		return "is absolute: name a path of the repository, relative to its root";
	if (strlen(v) > FILESET_PATH_MAX)
		return "is longer than 1024 bytes (FILESET_PATH_MAX)";
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 0)
			return "has an empty path component";
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return "goes through '.' or '..': name a path of the repository from its "
			       "root";
		if (p[0] == '.')
			return "names a hidden file, which the repository model never reads";
		p += n + (p[n] == '/');
	}
	return NULL;
}

static const struct fileset_file *repo_file(struct spec_builder *b, const char *v, const char **why)
{
	const struct fileset_file *f = NULL;

	*why = path_problem(v);
	if (!*why && !(f = fileset_find(b->repo, v)))
		*why = "is not a file of the repository (a symlink, a special file or a file over "
		       "1 MiB is never read)";
	else if (!*why && fileset_is_unit_name(last_component(v)))
		*why = "names a unit file, not a data file";
	return *why ? NULL : f;
}

/* Add f to workload widx at its repository path, once. */
static int add_data(struct spec_builder *b, size_t widx, const struct fileset_file *f)
{
	struct spec_workload *w = &b->set->workloads[widx];
	const struct spec_unit *u = spec_workload_find_unit(w, f->path);
	char source[PATH_MAX], *data;
	int r;

	diag_path_join_buf(source, b->label, f->path);
	if (u && strcmp(u->source, source) == 0)
		return 0;
	if (b->data_full || f->size > b->data_max - b->data_bytes) {
		r = b->data_full
			    ? 0
			    : diag_add(b->diags, b->label, f->path, 1,
				       "the data files copied into the workloads pass %zu bytes "
				       "in all (SPEC_DATA_BYTES_MAX): fewer workloads may share "
				       "this one",
				       b->data_max);
		b->data_full = true;
		return r;
	}
	b->data_bytes += f->size;
	data = malloc(f->size + 1);
	if (!data)
		return -ENOMEM;
	memcpy(data, f->data, f->size);
	data[f->size] = '\0';
	r = spec_unit_add(b->set, w, f->path, source, data, f->size, SPEC_UNIT_QUADLET);
	if (r < 0)
		free(data);
	return r;
}

/* --- .kube ---------------------------------------------------------------------------------- */

static int kube_file(struct spec_builder *b, size_t widx, const struct spec_src *src,
		     const struct ini_section *s, const struct ini_line *l, const char *name)
{
	enum kube_yaml_role role =
		strcmp(l->key, "Yaml") == 0 ? KUBE_YAML_PLAY : KUBE_YAML_CONFIGMAP;
	_cleanup_free_ char *v = NULL;
	struct kube_yaml_problem p = {0};
	const struct fileset_file *f;
	const char *why;
	size_t n;
	int r = transform_substitute_name(l->value, strlen(l->value), name, INI_LINE_MAX, &v, &n);

	if (r < 0)
		return r;
	f = repo_file(b, v, &why);
	if (!f)
		return spec_diag_at(src, b->diags, s, l, "%s=%.*s %s", l->key, DIAG_QUOTE(v), why);
	if (kube_yaml_check(f->data, f->size, role, &p))
		return diag_add(b->diags, b->label, f->path, p.line, "%s (%s= of %s)", p.msg,
				l->key, name);
	return add_data(b, widx, f);
}

int spec_kube_data(struct spec_builder *b, size_t widx, const struct spec_src *src,
		   const struct ini *doc, const char *name)
{
	const struct ini_section *last = NULL;
	bool yaml = false;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < doc->n_sections; i++) {
		const struct ini_section *s = &doc->sections[i];

		if (strcmp(s->name, "Kube") != 0)
			continue;
		last = s;
		for (size_t j = 0; r >= 0 && j < s->n_lines; j++) {
			const struct ini_line *l = &s->lines[j];

			if (l->type != INI_LINE_ENTRY ||
			    (strcmp(l->key, "Yaml") != 0 && strcmp(l->key, "ConfigMap") != 0))
				continue;
			yaml |= strcmp(l->key, "Yaml") == 0;
			r = kube_file(b, widx, src, s, l, name);
		}
	}
	if (r >= 0 && last && !yaml)
		r = spec_diag_at(src, b->diags, last, NULL, "missing Yaml= in [Kube]");
	return r < 0 ? r : 0;
}

/* --- .build --------------------------------------------------------------------------------- */

/* A remote context or Containerfile, as quadlet's isURL sees it: nothing to deploy. */
static bool is_url(const char *v)
{
	static const char *const prefixes[] = {"http://", "https://", "git://", "github.com/"};

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(v, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

struct context_walk {
	struct spec_builder *b;
	const struct spec_src *src;
	size_t widx, files, bytes;
};

/* Every file below dir/ (a contiguous run of the sorted file set). */
static int context_dir(struct context_walk *cw, const struct ini_section *s,
		       const struct ini_line *l)
{
	struct spec_builder *b = cw->b;
	size_t n = strlen(l->value);
	int r = 0;

	for (size_t i = 0; r >= 0 && i < b->repo->n_files; i++) {
		const struct fileset_file *f = &b->repo->files[i];

		if (strncmp(f->path, l->value, n) != 0 || f->path[n] != '/')
			continue;
		if (++cw->files > BUILD_CONTEXT_FILES_MAX ||
		    (cw->bytes += f->size) > BUILD_CONTEXT_BYTES_MAX)
			return spec_diag_at(cw->src, b->diags, s, l,
					    "SetWorkingDirectory=%.*s: the build context has more "
					    "than %d files or %d bytes (BUILD_CONTEXT_*_MAX)",
					    DIAG_QUOTE(l->value), BUILD_CONTEXT_FILES_MAX,
					    BUILD_CONTEXT_BYTES_MAX);
		if (fileset_is_unit_name(last_component(f->path)))
			r = diag_add(b->diags, b->label, f->path, 1,
				     "a unit file in the build context of %s: quadlet would read "
				     "it as a unit where the context is deployed",
				     last_component(cw->src->path));
		else
			r = add_data(b, cw->widx, f);
	}
	if (r >= 0 && cw->files == 0)
		r = spec_diag_at(cw->src, b->diags, s, l,
				 "SetWorkingDirectory=%.*s is not a directory of the repository",
				 DIAG_QUOTE(l->value));
	return r;
}

static int context_workdir(struct context_walk *cw, const struct ini_section *s,
			   const struct ini_line *l)
{
	const char *why = path_problem(l->value);

	if (strcasecmp(l->value, "unit") == 0 || strcasecmp(l->value, "file") == 0)
		return spec_diag_at(cw->src, cw->b->diags, s, l,
				    "SetWorkingDirectory=%.*s would make the quadlet directory the "
				    "build context: name a directory of the repository",
				    DIAG_QUOTE(l->value));
	if (is_url(l->value))
		return 0;
	if (why)
		return spec_diag_at(cw->src, cw->b->diags, s, l, "SetWorkingDirectory=%.*s %s",
				    DIAG_QUOTE(l->value), why);
	return context_dir(cw, s, l);
}

static int context_file(struct context_walk *cw, const struct ini_section *s,
			const struct ini_line *l, bool workdir)
{
	const struct fileset_file *f;
	const char *why;

	if (is_url(l->value))
		return 0;
	if (!workdir)
		return spec_diag_at(cw->src, cw->b->diags, s, l,
				    "File=%.*s: a File= in the repository needs "
				    "SetWorkingDirectory=DIR, the build context",
				    DIAG_QUOTE(l->value));
	f = repo_file(cw->b, l->value, &why);
	if (!f)
		return spec_diag_at(cw->src, cw->b->diags, s, l, "File=%.*s %s",
				    DIAG_QUOTE(l->value), why);
	return add_data(cw->b, cw->widx, f);
}

int spec_build_context(struct spec_builder *b, size_t widx, const struct spec_other *o)
{
	struct spec_src src = {.label = b->label, .path = o->f->path};
	struct context_walk cw = {.b = b, .src = &src, .widx = widx};
	const struct ini_section *sw = NULL, *sf = NULL;
	const struct ini_line *workdir, *file;
	struct ini_error err = {0};
	struct ini *doc = NULL;
	int r = ini_parse(o->f->path, o->f->data, o->f->size, &doc, &err);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0; /* diagnosed when the file was checked */
	workdir = spec_last_entry(doc, "Build", "SetWorkingDirectory", &sw);
	file = spec_last_entry(doc, "Build", "File", &sf);
	if (!ini_get(doc, "Build", "ImageTag"))
		r = diag_add(b->diags, b->label, o->f->path, 1, "missing ImageTag= in [Build]");
	if (r >= 0 && !workdir && !file)
		r = diag_add(b->diags, b->label, o->f->path, 1,
			     "a .build needs SetWorkingDirectory=DIR (its context, a directory "
			     "of the repository) or File=URL");
	if (r >= 0 && workdir)
		r = context_workdir(&cw, sw, workdir);
	if (r >= 0 && file)
		r = context_file(&cw, sf, file, workdir != NULL);
	ini_free(doc);
	return r < 0 ? r : 0;
}
