/* spec_app.c: app directories (issue 22; module boundary: core; uses ini, transform, diag, the
 * checks of spec_check.c and the merge of spec_units.c). An app is one workload named after its
 * directory: every file below it is deployed with its tree under ~/.config/containers/systemd/NAME/
 * (quadlet reads sub-directories since Podman 4.7, and resolves a relative EnvironmentFile=,
 * Volume=./x, Yaml= or ConfigMap= against the unit's own directory, so the tree must be kept),
 * .service, .timer, .target, .socket and .path files flat in ~/.config/systemd/user/ (systemd reads
 * no sub-directories there). Every unit is checked; a reference to a file outside the app is an
 * error, to a host path (/etc/..., %h/...) a note the host must provide it; a Network=, Volume=,
 * Pod= or Image= naming a unit of another workload is an error that says why it cannot work. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif

#include "spec_internal.h"
#include "core.h"
#include "quadlet_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const quadlet_exts[] = {"container", "pod",	 "volume", "network",
					   "kube",	"image", "build",  "artifact"};
static const char *const systemd_exts[] = {"service", "timer", "target", "socket", "path"};

struct app_ref { /* Network=X.network and the like, resolved once every file is seen */
	char *name;
	const char *key, *label, *path;
	unsigned line;
};

struct app_made { /* a systemd unit name the app makes, which must be unique in the user */
	char name[FILESET_NAME_MAX + 16];
	const char *path;
};

struct app {
	struct spec_builder *b;
	const struct fileset_file *files;
	size_t n, prefix_len;
	const char *tdir; /* the transform directory holding the app, or NULL */
	char name[FILESET_NAME_MAX + 1];
	size_t widx;
	struct app_ref *refs;
	size_t n_refs, n_refs_alloc;
	struct app_made *made; /* n entries at most */
	size_t n_made;
	const char *service_pick; /* the best candidate for the workload's service so far */
	int pick_rank;
	const char *target;		/* NAME.target, else the first .target */
	const struct fileset_file *cur; /* the file being built, for the reference callbacks */
	const struct spec_src *cur_src;
	const char *cur_stem;
};

static const char *path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static const char *ext_in(const char *ext, const char *const *v, size_t n)
{
	for (size_t i = 0; ext && i < n; i++)
		if (strcmp(ext, v[i]) == 0)
			return v[i];
	return NULL;
}

int spec_service_of(const struct ini *doc, const char *stem, const char *ext, char *buf,
		    size_t size)
{
	const char *own = quadlet_section_for_ext(ext), *v = NULL, *suffix = "";
	int n;

	if (!ext_in(ext, quadlet_exts, ARRAY_SIZE(quadlet_exts)))
		return -ENOENT;
	if (doc && own)
		v = ini_get(doc, own, "ServiceName");
	if (v && *v && !spec_file_name_problem(v))
		n = snprintf(buf, size, "%s.service", v);
	else {
		if (strcmp(ext, "container") != 0 && strcmp(ext, "kube") != 0)
			suffix = ext;
		n = snprintf(buf, size, "%s%s%s.service", stem, *suffix ? "-" : "", suffix);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* --- bounds, names, the workload -------------------------------------------------------------- */

static unsigned depth_below(const char *rel)
{
	unsigned d = 1;

	for (const char *p = rel; (p = strchr(p, '/')); p++)
		d++;
	return d;
}

static int app_bounds(struct app *a)
{
	struct spec_builder *b = a->b;
	const char *first = a->files[0].path;
	size_t bytes = 0;

	if (a->n > SPEC_APP_FILES_MAX)
		return diag_add(b->diags, b->label, first, 1,
				"app '%s' has %zu files, more than %d (SPEC_APP_FILES_MAX)",
				a->name, a->n, SPEC_APP_FILES_MAX);
	for (size_t i = 0; i < a->n; i++) {
		const char *rel = a->files[i].path + a->prefix_len;

		bytes += a->files[i].size;
		if (strlen(a->name) + 1 + strlen(rel) > SPEC_APP_PATH_MAX)
			return diag_add(
				b->diags, b->label, a->files[i].path, 1,
				"deployed as %s/%s, longer than %d bytes (SPEC_APP_PATH_MAX)",
				a->name, rel, SPEC_APP_PATH_MAX);
		if (depth_below(rel) > SPEC_APP_DEPTH_MAX)
			return diag_add(b->diags, b->label, a->files[i].path, 1,
					"deeper than %d path components below the app directory "
					"(SPEC_APP_DEPTH_MAX)",
					SPEC_APP_DEPTH_MAX);
	}
	if (bytes > SPEC_APP_BYTES_MAX)
		return diag_add(b->diags, b->label, first, 1,
				"app '%s' has %zu bytes, more than %d (SPEC_APP_BYTES_MAX)",
				a->name, bytes, SPEC_APP_BYTES_MAX);
	return 1;
}

static int app_workload(struct app *a)
{
	_cleanup_free_ char *dir = strndup(a->files[0].path, a->prefix_len - 1);
	_cleanup_free_ char *source = NULL;
	const char *why = spec_user_name_problem(a->name);

	if (!dir)
		return -ENOMEM;
	if (why)
		return diag_add(a->b->diags, a->b->label, a->files[0].path, 1,
				"app directory '%s' %s: it is the app's Linux user", a->name, why);
	source = diag_path_join(a->b->label, dir);
	if (!source)
		return -ENOMEM;
	return spec_workload_add(a->b->set, a->name, SPEC_KIND_APP, source, &a->widx) < 0 ? -ENOMEM
											  : 1;
}

/* The workload's own service, whose cgroup says it is up: a container, pod or kube first, then a
 * .service file, then any unit's service. */
static void app_pick(struct app *a, const char *service, int rank)
{
	if (rank > a->pick_rank) {
		a->service_pick = service;
		a->pick_rank = rank;
	}
}

static int app_made_add(struct app *a, const char *name, const char *path)
{
	struct app_made *m = &a->made[a->n_made++];

	snprintf(m->name, sizeof(m->name), "%s", name);
	m->path = path;
	return 0;
}

/* --- references ----------------------------------------------------------------------------- */

static int app_ref_collect(void *ctx, const struct ini_section *s, const struct ini_line *l,
			   const char *ref)
{
	struct app *a = ctx;
	struct app_ref *x;
	size_t n;

	if (spec_array_grow((void **)&a->refs, &a->n_refs_alloc, a->n_refs, sizeof(*x)) < 0)
		return -ENOMEM;
	x = &a->refs[a->n_refs];
	*x = (struct app_ref){.key = strcmp(l->key, "Pod") == 0 ? "Pod" : "Network"};
	if (strcmp(l->key, "Volume") == 0 || strcmp(l->key, "Mount") == 0)
		x->key = "Volume";
	else if (strcmp(l->key, "Image") == 0)
		x->key = "Image";
	spec_locate(a->cur_src, s, l, &x->label, &x->path, &x->line);
	/* "{{.Name}}" is replaced where a transform was merged, as in the deployed text. */
	if (a->cur_stem ? transform_substitute_name(ref, strlen(ref), a->cur_stem, INI_LINE_MAX,
						    &x->name, &n) < 0
			: !(x->name = strdup(ref)))
		return -ENOMEM;
	a->n_refs++;
	return 0;
}

static bool app_has_unit(const struct app *a, const char *base)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(path_base(a->files[i].path), base) == 0)
			return true;
	return false;
}

/* A unit of that name elsewhere in the repository: another workload's. */
static const char *repo_other_unit(const struct app *a, const char *base)
{
	const struct fileset *repo = a->b->repo;
	const char *self = a->files[0].path;

	for (size_t i = 0; repo && i < repo->n_files; i++) {
		const char *p = repo->files[i].path;

		if (strncmp(p, self, a->prefix_len) != 0 && strcmp(path_base(p), base) == 0)
			return p;
	}
	return NULL;
}

static int app_resolve_ref(struct app *a, const struct app_ref *x)
{
	struct diag_list *d = a->b->diags;
	const char *other;

	if (app_has_unit(a, x->name))
		return 0;
	other = repo_other_unit(a, x->name);
	if (other)
		return diag_add(d, x->label, x->path, x->line,
				"%s=%.*s is a unit of another workload (%s): each app is its own "
				"Linux user and rootless Podman cannot share a network, volume or "
				"pod across users; publish a port, or use the tailscale transform, "
				"which gives each workload its own tailnet address",
				x->key, DIAG_QUOTE(x->name), other);
	return diag_add(d, x->label, x->path, x->line,
			"%s=%.*s: no such unit in the app directory '%s'", x->key,
			DIAG_QUOTE(x->name), a->name);
}

/* Pod=X.pod, which spec_refs_foreach leaves to the pod model. */
static int app_pod_ref(struct app *a, const struct ini *doc)
{
	const struct ini_section *s = NULL;
	const struct ini_line *l = spec_last_entry(doc, "Container", "Pod", &s);
	size_t n = l ? strlen(l->value) : 0;

	if (!l || n <= 4 || strcmp(l->value + n - 4, ".pod") != 0)
		return 0;
	return app_ref_collect(a, s, l, l->value);
}

/* --- the files -------------------------------------------------------------------------------- */

static const char *last_unit_service(const struct spec_workload *w)
{
	return w->units[w->n_units - 1].service;
}

static int app_add(struct app *a, const char *deployed, char *text, size_t size,
		   enum spec_unit_dir dir, const char *service, bool runs)
{
	struct spec_workload *w = &a->b->set->workloads[a->widx];
	char source[PATH_MAX];
	int r;

	diag_path_join_buf(source, a->b->label, a->cur->path);
	if (!text) {
		free(text);
		return -ENOMEM;
	}
	r = spec_unit_add(a->b->set, w, deployed, source, text, size, dir);
	if (r < 0) {
		free(text);
		return r;
	}
	w->units[w->n_units - 1].runs = runs;
	return service ? spec_unit_set_service(a->b->set, w, service) : 0;
}

static int app_data_file(struct app *a, const struct fileset_file *f)
{
	_cleanup_free_ char *deployed = NULL;

	if (asprintf(&deployed, "%s/%s", a->name, f->path + a->prefix_len) < 0)
		return -ENOMEM;
	return app_add(a, deployed, spec_copy_data(f), f->size, SPEC_UNIT_QUADLET, NULL, false);
}

static bool app_timer_of(const struct app *a, const char *stem)
{
	char timer[FILESET_NAME_MAX + 8];

	snprintf(timer, sizeof(timer), "%s.timer", stem);
	return app_has_unit(a, timer);
}

static int app_systemd_unit(struct app *a, const struct fileset_file *f, const char *stem,
			    const char *ext)
{
	const char *base = path_base(f->path), *why = spec_file_name_problem(stem);
	struct spec_src src = {.label = a->b->label, .path = f->path};
	struct spec_check chk = {.diags = a->b->diags, .src = &src, .ext = ext};
	const char *need = strcmp(ext, "socket") == 0 ? "Socket"
			   : strcmp(ext, "path") == 0 ? "Path"
						      : NULL;
	const char *service = NULL;
	struct ini *doc;

	if (why)
		return diag_add(a->b->diags, a->b->label, f->path, 1, "'%s' %s", stem, why);
	doc = spec_parse(&src, f->data, f->size, a->b->diags);
	if (!doc)
		return 0;
	if (strcmp(ext, "service") == 0 || strcmp(ext, "timer") == 0)
		spec_check_doc(&chk, doc);
	else if (need && !ini_section_find(doc, need))
		diag_add(a->b->diags, a->b->label, f->path, 1, "missing [%s] section", need);
	ini_free(doc);
	app_made_add(a, base, f->path);
	/* A long-running service restarts when changed; a timer's service runs on its timer. The
	 * target is the workload's. */
	if (strcmp(ext, "service") == 0 && !app_timer_of(a, stem))
		service = base;
	if (strcmp(ext, "target") == 0 && (!a->target || strcmp(stem, a->name) == 0))
		a->target = base;
	else if (service)
		app_pick(a, base, 1);
	return app_add(a, base, spec_copy_data(f), f->size, SPEC_UNIT_SYSTEMD, service, false);
}

/* _base and T merged into a .container or .pod of an app in transform directory T. */
static int app_merge(struct app *a, struct spec_src *src, const char *ext, struct ini *doc)
{
	int k = strcmp(ext, "pod") == 0;
	struct spec_check chk = {.diags = a->b->diags, .src = src, .ext = ext};

	if (!a->tdir || (k == 0 && strcmp(ext, "container") != 0))
		return 0;
	src->tlabel = a->b->tlabel;
	src->transforms[0] = transform_set_find(a->b->ts, TRANSFORM_BASE, ext);
	src->transforms[1] = transform_set_find(a->b->ts, a->tdir, ext);
	for (size_t i = 0; i < ARRAY_SIZE(src->transforms); i++)
		if (src->transforms[i] && !src->transforms[i]->ini)
			return 1; /* diagnosed once, at the transform */
	if (!src->transforms[0] && !src->transforms[1])
		return 0;
	if (spec_merge_all(a->b, src, doc, NULL) != 0)
		return 1;
	spec_check_doc(&chk, doc);
	return 0;
}

static int app_quadlet_text(struct app *a, const struct spec_src *src, const struct ini *doc,
			    const char *stem, char **ret, size_t *ret_size)
{
	if (!src->transforms[0] && !src->transforms[1]) {
		*ret = spec_copy_data(a->cur);
		*ret_size = a->cur->size;
		return *ret ? 0 : -ENOMEM;
	}
	*ret = NULL;
	return spec_finish_text(a->b, src, doc, stem, true, ret, ret_size) < 0 ? -ENOMEM : 0;
}

static int app_quadlet_unit(struct app *a, const struct fileset_file *f, const char *stem,
			    const char *ext)
{
	struct spec_src src = {.label = a->b->label, .path = f->path};
	struct spec_check chk = {.diags = a->b->diags, .src = &src, .ext = ext};
	_cleanup_free_ char *deployed = NULL;
	char service[FILESET_NAME_MAX + 16], *text = NULL;
	const char *why = spec_file_name_problem(stem);
	struct ini *doc;
	size_t size = 0;
	int r;

	if (why)
		return diag_add(a->b->diags, a->b->label, f->path, 1, "'%s' %s", stem, why);
	doc = spec_parse(&src, f->data, f->size, a->b->diags);
	if (!doc)
		return 0;
	if (quadlet_section_for_ext(ext))
		spec_check_doc(&chk, doc);
	r = app_merge(a, &src, ext, doc);
	a->cur_src = &src;
	a->cur_stem = src.transforms[0] || src.transforms[1] ? stem : NULL;
	if (r == 0)
		r = spec_refs_foreach(doc, app_ref_collect, a);
	if (r == 0)
		r = app_pod_ref(a, doc);
	if (r == 0)
		r = spec_app_paths(&(struct spec_app_files){a->b, a->files, a->n, a->prefix_len,
							    a->name, a->widx, f, &src},
				   doc);
	if (r == 0 && spec_service_of(doc, stem, ext, service, sizeof(service)) < 0)
		r = diag_add(a->b->diags, a->b->label, f->path, 1,
			     "'%s' makes a service name longer than 255 bytes", stem) < 0
			    ? -ENOMEM
			    : 1;
	if (r == 0)
		r = app_quadlet_text(a, &src, doc, stem, &text, &size);
	if (r == 0 && text && asprintf(&deployed, "%s/%s", a->name, f->path + a->prefix_len) < 0)
		r = -ENOMEM;
	if (r == 0 && text) {
		bool runs =
			!strcmp(ext, "container") || !strcmp(ext, "pod") || !strcmp(ext, "kube");

		app_made_add(a, service, f->path);
		r = app_add(a, deployed, TAKE_PTR(text), size, SPEC_UNIT_QUADLET, service, runs);
		if (r >= 0)
			app_pick(a, last_unit_service(&a->b->set->workloads[a->widx]),
				 runs ? 2 : 0);
	}
	free(text);
	ini_free(doc);
	return r < 0 ? r : 0;
}

static int app_file(struct app *a, const struct fileset_file *f)
{
	const char *base = path_base(f->path), *dot = strrchr(base, '.');
	const char *ext = dot && fileset_is_unit_name(base) ? dot + 1 : NULL;
	_cleanup_free_ char *stem = NULL;

	a->cur = f;
	if (!ext || (!ext_in(ext, quadlet_exts, ARRAY_SIZE(quadlet_exts)) &&
		     !ext_in(ext, systemd_exts, ARRAY_SIZE(systemd_exts))))
		return app_data_file(a, f);
	stem = strndup(base, (size_t)(dot - base));
	if (!stem)
		return -ENOMEM;
	if (ext_in(ext, systemd_exts, ARRAY_SIZE(systemd_exts)))
		return app_systemd_unit(a, f, stem, ext);
	return app_quadlet_unit(a, f, stem, ext);
}

/* --- the whole app -------------------------------------------------------------------------- */

static int made_cmp(const void *x, const void *y)
{
	const struct app_made *m = x, *n = y;
	int c = strcmp(m->name, n->name);

	return c ? c : strcmp(m->path, n->path);
}

/* Two files making one systemd unit: quadlet names a service after the file name alone, in
 * whichever sub-directory, so x.container and sub/x.container (or x.kube) collide. */
static int app_unique(struct app *a)
{
	int r = 0;

	qsort(a->made, a->n_made, sizeof(*a->made), made_cmp);
	for (size_t i = 1; r >= 0 && i < a->n_made; i++)
		if (strcmp(a->made[i].name, a->made[i - 1].name) == 0) {
			r = diag_add(a->b->diags, a->b->label, a->made[i - 1].path, 1,
				     "makes the unit %s, and so does %s: unit names are unique "
				     "in a user, whatever the sub-directory",
				     a->made[i].name, a->made[i].path);
			if (r >= 0)
				r = diag_add(a->b->diags, a->b->label, a->made[i].path, 1,
					     "makes the unit %s, and so does %s: unit names are "
					     "unique in a user, whatever the sub-directory",
					     a->made[i].name, a->made[i - 1].path);
		}
	return r;
}

static int app_finish(struct app *a)
{
	struct spec_workload *w = &a->b->set->workloads[a->widx];
	int r = app_unique(a);

	for (size_t i = 0; r >= 0 && i < a->n_refs; i++)
		r = app_resolve_ref(a, &a->refs[i]);
	if (r < 0)
		return r;
	if (a->target && !(w->target = arena_strdup(&a->b->set->arena, a->target)))
		return -ENOMEM;
	w->service = a->service_pick ? arena_strdup(&a->b->set->arena, a->service_pick)
				     : arena_join(&a->b->set->arena, a->name, ".service", "");
	return w->service ? 0 : -ENOMEM;
}

int spec_app_build(struct spec_builder *b, const struct fileset_file *files, size_t n,
		   size_t prefix_len, const char *tdir)
{
	struct app a = {.b = b,
			.files = files,
			.n = n,
			.prefix_len = prefix_len,
			.tdir = tdir,
			.pick_rank = -1};
	const char *start = files[0].path + (tdir ? strlen(tdir) + 1 : 0);
	int r;

	snprintf(a.name, sizeof(a.name), "%.*s", (int)strcspn(start, "/"), start);
	r = app_bounds(&a);
	if (r > 0)
		r = app_workload(&a);
	if (r <= 0)
		return r < 0 ? r : 0;
	a.made = calloc(n, sizeof(*a.made));
	if (!a.made)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = app_file(&a, &files[i]);
	if (r >= 0)
		r = app_finish(&a);
	for (size_t i = 0; i < a.n_refs; i++)
		free(a.refs[i].name);
	free(a.refs);
	free(a.made);
	return r < 0 ? r : 0;
}
