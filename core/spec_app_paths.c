/* spec_app_paths.c: the paths an app's unit names (issue 22; module boundary: core; uses ini,
 * diag and spec_set.c). Quadlet resolves a relative EnvironmentFile=, Yaml=, ConfigMap=, and a
 * Volume= or Mount= source starting with '.', against the unit file's own directory: the path must
 * stay in the app and name a file or directory the app has (the file set keeps no symlink, special
 * file or file over 1 MiB, so one of those is missing here too). A path starting with '/' or '%'
 * (%h/..., /etc/...) is the host's: listed once on the workload as what the host must provide. */
#include "spec_internal.h"
#include "core.h"

#include <stdio.h>
#include <string.h>

static bool is_file_key(const char *key)
{
	return strcmp(key, "EnvironmentFile") == 0 || strcmp(key, "Yaml") == 0 ||
	       strcmp(key, "ConfigMap") == 0;
}

/* dir (the unit's directory in the app, "" at its top) joined with rel, "." and ".." applied,
 * into out: false when it climbs out of the app. */
static bool path_join(const char *dir, const char *rel, char *out, size_t size)
{
	size_t len = 0;
	char tmp[FILESET_PATH_MAX * 2 + 2];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s%s", dir, *dir ? "/" : "", rel) >= sizeof(tmp))
		return false;
	out[0] = '\0';
	for (char *c = tmp, *end; *c; c = *end ? end + 1 : end) {
		size_t k = strcspn(c, "/");

		end = c + k;
		if (k == 0 || (k == 1 && c[0] == '.'))
			continue;
		if (k == 2 && c[0] == '.' && c[1] == '.') {
			if (len == 0)
				return false;
			while (len > 0 && out[len - 1] != '/')
				len--;
			len -= len > 0;
			out[len] = '\0';
			continue;
		}
		if (len + k + 2 > size)
			return false;
		if (len)
			out[len++] = '/';
		memcpy(out + len, c, k);
		out[len += k] = '\0';
	}
	return true;
}

/* Whether the app holds rel (a path below it, "" for the app itself) as a file or a directory. */
static bool app_holds(const struct spec_app_files *a, const char *rel)
{
	size_t n = strlen(rel);

	if (n == 0)
		return true;
	for (size_t i = 0; i < a->n; i++) {
		const char *p = a->files[i].path + a->prefix_len;

		if (strncmp(p, rel, n) == 0 && (p[n] == '\0' || p[n] == '/'))
			return true;
	}
	return false;
}

static int path_ref(const struct spec_app_files *a, const struct ini_section *s,
		    const struct ini_line *l, const char *v, size_t n)
{
	struct spec_workload *w = &a->b->set->workloads[a->widx];
	const char *rel = a->unit->path + a->prefix_len, *slash = strrchr(rel, '/');
	char value[FILESET_PATH_MAX + 1], dir[FILESET_PATH_MAX + 1], out[FILESET_PATH_MAX + 1];

	if (n == 0 || n >= sizeof(value))
		return 0;
	memcpy(value, v, n);
	value[n] = '\0';
	if (value[0] == '/' || value[0] == '%')
		return spec_workload_add_host_path(w, value);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - rel) : 0, rel);
	if (!path_join(dir, value, out, sizeof(out)))
		return spec_diag_at(a->src, a->b->diags, s, l,
				    "%s=%s names a path outside the app directory '%s'", l->key,
				    value, a->name);
	if (!app_holds(a, out))
		return spec_diag_at(a->src, a->b->diags, s, l,
				    "%s=%s: '%s' is not in the app directory (symlinks, special "
				    "files and files over 1 MiB are not kept)",
				    l->key, value, out);
	return 0;
}

/* Volume=SRC:DST and Mount=...,source=SRC: a path when SRC starts with '.', '/' or '%'. */
static int mount_source(const struct spec_app_files *a, const struct ini_section *s,
			const struct ini_line *l)
{
	const char *v = l->value;

	if (strcmp(l->key, "Volume") == 0)
		return strchr("./%", v[0]) && v[0] ? path_ref(a, s, l, v, strcspn(v, ":")) : 0;
	for (const char *p = v; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		size_t k = strcspn(p, ","), skip = strncmp(p, "source=", 7) == 0 ? 7
						   : strncmp(p, "src=", 4) == 0	 ? 4
										 : 0;

		if (skip && k > skip && strchr("./%", p[skip]))
			return path_ref(a, s, l, p + skip, k - skip);
	}
	return 0;
}

int spec_app_paths(const struct spec_app_files *a, const struct ini *doc)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < doc->n_sections; i++) {
		const struct ini_section *s = &doc->sections[i];

		for (size_t j = 0; r >= 0 && j < s->n_lines; j++) {
			const struct ini_line *l = &s->lines[j];
			const char *v;

			if (l->type != INI_LINE_ENTRY)
				continue;
			v = l->value + (l->value[0] == '-');
			if (strcmp(l->key, "Volume") == 0 || strcmp(l->key, "Mount") == 0)
				r = mount_source(a, s, l);
			else if (is_file_key(l->key))
				r = path_ref(a, s, l, v, strlen(v));
		}
	}
	return r;
}
