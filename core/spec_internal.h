/* spec_internal.h: what spec.c (the repository model) shares with spec_check.c (the checks of one
 * unit file) and nothing else uses: where a line of a possibly merged document came from, the
 * per-file checks, name rules and the scan for references to .volume and .network files. */
#ifndef TAILPOD_SPEC_INTERNAL_H
#define TAILPOD_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core.h"
#include "diag.h"
#include "ini.h"
#include "podman_version.h"
#include "spec.h"
#include "transform.h"

/* A document's origin: its own file, and the transforms merged into it (in merge order, NULL
 * when absent). A line a merge added (line 0) is found in the transforms, the last one first. */
struct spec_src {
	const char *label;
	const char *path;
	const char *tlabel;
	const struct transform_file *transforms[2];
};

/* What one check of a document needs to know. */
struct spec_check {
	struct diag_list *diags;
	const struct spec_src *src;
	const char *ext;      /* "container", "pod", "volume", "network", "service", "timer" */
	const char *name;     /* the unit's name, for ContainerName= and Pod=; NULL: skip those */
	const char *pod_file; /* "web.pod" for a pod member, else NULL: no Pod= allowed */
	bool transform;	      /* a transform: '+' keys allowed, nothing required */
	/* The merged document of one checked before its merge: its own lines (line > 0) would give
	 * the same diagnostics again, at the same place, so only the merge's lines are checked
	 * (issue 16: a third of check's key lookups). Sections and required keys still are. */
	bool merged;
	const struct podman_version *podman; /* the target Podman; NULL: any version's keys pass */
};

/* Parse a file; a syntax error or bound becomes a diagnostic and NULL is returned. */
struct ini *spec_parse(const struct spec_src *src, const char *data, size_t size,
		       struct diag_list *diags);

/* Where a section header (l NULL) or one of its lines came from: the document's own file when
 * the line has a number, else the transform it was merged from, else line 1 of the file. */
void spec_locate(const struct spec_src *src, const struct ini_section *s, const struct ini_line *l,
		 const char **ret_label, const char **ret_path, unsigned *ret_line);

/* Report at the origin of a section header (l NULL) or of one of its lines. */
int spec_diag_at(const struct spec_src *src, struct diag_list *diags, const struct ini_section *s,
		 const struct ini_line *l, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Every check of one file: sections and keys against quadlet's tables, required sections and
 * Image=, ContainerName=, Pod=; .service and .timer files only need their own section. */
void spec_check_doc(const struct spec_check *c, const struct ini *doc);

/* A container's name (a pod member, a companion): NULL when fine, else why not (static). */
const char *spec_unit_name_problem(const char *name);

/* Any other unit file's name without its extension (sidecars, volumes, networks, ServiceName=):
 * systemd's unit name characters [A-Za-z0-9:_.@-]. NULL when fine, else why not (static). */
const char *spec_file_name_problem(const char *name);

/* Called for every reference to another unit file a document makes: Volume=X.volume,
 * Mount=...,source=X.volume, Network=X.network, Image=X.image or X.build. ref is the referenced
 * file name as written (before "{{.Name}}" is replaced). */
typedef int (*spec_ref_fn)(void *ctx, const struct ini_section *s, const struct ini_line *l,
			   const char *ref);
int spec_refs_foreach(const struct ini *doc, spec_ref_fn fn, void *ctx);

/* Room for one more element in *array (n used of *n_alloc, elements of size bytes): doubles. */
int spec_array_grow(void **array, size_t *n_alloc, size_t n, size_t size);

/* a, b and c joined into buf (size > 0 bytes), cut to fit like snprintf; returns the length. */
size_t spec_join_buf(char *buf, size_t size, const char *a, const char *b, const char *c);

/* The set under construction (spec_set.c). spec_unit_add takes data (malloc'd) on success only
 * (and frees it at once in a no_content workload); spec_set_finish sorts, reports names used
 * twice and keeps the first of each. */
int spec_set_new(struct spec_set **ret);
int spec_workload_add(struct spec_set *set, const char *name, enum spec_kind kind,
		      const char *source, size_t *ret_index);
int spec_unit_add(struct spec_set *set, struct spec_workload *w, const char *name,
		  const char *source, char *data, size_t size, enum spec_unit_dir dir);
const struct spec_unit *spec_workload_find_unit(const struct spec_workload *w, const char *name);
/* The service the unit added last makes (an app's); a host path an app refers to, once. */
int spec_unit_set_service(struct spec_set *set, struct spec_workload *w, const char *service);
int spec_workload_add_host_path(struct spec_workload *w, const char *path);
int spec_set_finish(struct spec_set *set, struct diag_list *diags);

/* --- the model's working state, shared by spec.c, spec_units.c, spec_text.c, spec_others.c -- */

#define SPEC_NONE SIZE_MAX /* no index */

struct spec_cfile { /* a .container, .pod or .kube of the scope */
	const struct fileset_file *f;
	char *stem;
	uint64_t key; /* sort_prefix_key() of the stem: the lookups by name test it first */
	const char *ext;
	struct ini *raw; /* NULL once it cannot be built (diagnosed) or after building */
	size_t pod;	 /* a container's pod in scope.pods, or SPEC_NONE */
	size_t workload; /* its index in the set, or SPEC_NONE */
};

struct spec_other { /* a .volume .network .image .build .artifact of the scope, deployed where
		     * referenced (or, the last three, with the spec whose name they start with) */
	const struct fileset_file *f;
	const char *base;
	bool ok; /* parsed */
	bool used;
};

struct spec_ref { /* a reference, resolved once the scope's files are all made */
	size_t workload;
	char *name; /* in its list's arena */
	const char *key, *label, *path;
	unsigned line;
};

struct spec_refs { /* the references a build collects (spec_ref_collect), in their order */
	struct spec_ref *v;
	size_t n, n_alloc;
	struct arena names;
};

struct spec_scope {
	char *dir; /* "" at the root */
	/* The cfiles' stems, one after another: one block for the scope (issue 16: a strndup each
	 * was a malloc and a free for every spec check builds). */
	char *stems;
	size_t stems_used;
	struct spec_cfile *containers, *pods, *kubes;
	size_t n_containers, n_pods, n_kubes;
	const struct fileset_file **sidecars;
	size_t n_sidecars;
	struct spec_other *others;
	size_t n_others;
	bool others_checked; /* by the parts of a build on threads (spec_parts.c) */
	struct spec_refs refs;
	const struct transform_file *base[3], *dirt[3]; /* [spec_kind_index(ext)] */
};

struct spec_builder {
	const struct spec_opts *opts;
	const char *label, *tlabel;
	const struct transform_set *ts;
	/* The whole repository: the data files units name (Yaml=, build contexts) and references
	 * across apps. */
	const struct fileset *repo;
	size_t data_bytes, data_max; /* copied into workloads so far, and the bound */
	bool data_full;		     /* the bound was passed (reported once) */
	struct diag_list *diags;
	struct spec_set *set;
	struct spec_scope *sc;
	struct spec_refs *refs; /* where the references go: the scope's, or a part's (spec.c) */
	/* Where a spec's merged text is written and checked, spec after spec (spec_finish_text):
	 * one buffer for the build, freed with it, so that a text check keeps no allocation. */
	char *scratch;
	size_t scratch_size;
	/* One part of a scope built on threads (spec_parts.c): part of n_parts (n_parts 0 or 1:
	 * the whole scope, in order), and each pod's part. */
	unsigned part, n_parts;
	const unsigned char *pod_part;
};

/* The target Podman of the build, for struct spec_check; NULL when none. */
static inline const struct podman_version *spec_target(const struct spec_builder *b)
{
	return b->opts ? b->opts->podman : NULL;
}

static inline const char *spec_base_of(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The transforms' index of a spec extension: 0 container, 1 pod, 2 kube. */
static inline int spec_kind_index(const char *ext)
{
	return str_is(ext, "pod") ? 1 : str_is(ext, "kube") ? 2 : 0;
}

/* In v[0..n) sorted by stem: the one whose stem is the longest "STEM-" prefix of name. */
size_t spec_cfile_owner(const struct spec_cfile *v, size_t n, const char *name);

/* The last entry key of the sections named section, and its section; NULL when none. */
const struct ini_line *spec_last_entry(const struct ini *doc, const char *section, const char *key,
				       const struct ini_section **ret_s);

/* spec.c: a pod or kube parsed, named and built, its document freed before the next spec is
 * read; a container, on its own or a member built into its pod's workload (built before it).
 * spec_build_container returns SPEC_POD_ELSEWHERE for a member of a pod another part of a
 * parallel build builds: its document freed and nothing built; the diagnostics it added (its
 * parse's) are the caller's to drop, since the container is built again after the parts. */
enum { SPEC_POD_ELSEWHERE = 1 };
int spec_build_alone(struct spec_builder *b, struct spec_cfile *cf, enum spec_kind kind);
int spec_build_container(struct spec_builder *b, struct spec_cfile *c);

/* spec_parts.c: whether the scope's pods and containers are worth building on threads, and that
 * build: to the very result, diagnostics and references of build_in_order (spec.c). */
bool spec_parts_worth(const struct spec_builder *b);
int spec_parts_run(struct spec_builder *b);

/* spec.c: a run is the files of one top-level directory (or the root's): where the one that
 * begins files[0] ends; and the runs of files[0..n) built one after the other. spec_parts.c:
 * whether the runs of files[0..n) are worth building in parts on threads, and that build, to the
 * very result and diagnostics of spec_build_runs. */
size_t spec_run_end(const struct fileset_file *files, size_t n);
int spec_build_runs(struct spec_builder *b, const struct fileset_file *files, size_t n);
bool spec_runs_worth(const struct spec_builder *b, const struct fileset_file *files, size_t n);
int spec_runs_run(struct spec_builder *b, const struct fileset_file *files, size_t n);

/* spec_units.c: a spec merged into its workload (pod_file: "POD.pod" for a member, else NULL);
 * spec_others.c: its companions, and the scope's sidecars and references once all specs are
 * made. */
int spec_build_main(struct spec_builder *b, struct spec_cfile *cf, size_t widx,
		    const char *pod_file);
int spec_build_companions(struct spec_builder *b, const struct spec_cfile *cf, size_t widx,
			  const char *pod_file);
int spec_scope_finish(struct spec_builder *b);
/* One .volume .network .image .build .artifact of the scope named and parsed: other->ok. The
 * first step of spec_scope_finish, which takes it for done when the scope's others_checked. */
int spec_check_other(struct spec_builder *b, struct spec_other *o);
/* spec_units.c, shared with spec_others.c: a reference of a document (a spec_ref_fn, ctx a
 * struct spec_ref_ctx) kept in the scope to be resolved by spec_scope_finish; text (malloc'd,
 * freed on failure) added to workload widx as fname, its source label/path. */
struct spec_ref_ctx {
	struct spec_builder *b;
	const struct spec_src *src;
	size_t workload;
	const char *name; /* for "{{.Name}}" in the reference */
};
int spec_ref_collect(void *ctx, const struct ini_section *s, const struct ini_line *l,
		     const char *ref);
int spec_add_text_unit(struct spec_builder *b, size_t widx, const char *fname, const char *label,
		       const char *path, char *text, size_t size, enum spec_unit_dir dir);
/* Shared with spec_app.c: the transforms of src merged into doc (1: the merge failed,
 * diagnosed; spec_units.c); doc serialized with "{{.Name}}" replaced (1: refused, diagnosed),
 * its copy in *ret when keep, else only its size (a workload built without contents;
 * spec_text.c); a copy (spec_others.c). */
int spec_merge_all(struct spec_builder *b, const struct spec_src *src, struct ini *doc,
		   const char *pod_file);
int spec_finish_text(struct spec_builder *b, const struct spec_src *src, const struct ini *doc,
		     const char *name, bool keep, char **ret, size_t *ret_size);
char *spec_copy_data(const struct fileset_file *f);

/* tailpod's own section of a workload's main file ([X-Tailpod]: HealthURL=), read from the merged
 * doc into the workload (spec_health.c); in a pod member it is an error. */
int spec_health_take(struct spec_builder *b, const struct spec_src *src, const struct ini *doc,
		     size_t widx, bool pod_member);

/* spec_secrets.c: the [Secrets] sections of a .container spec doc (stem its container) taken
 * out, checked, added to workload widx, and the Secret= lines put in its [Container]. 0 or
 * -ENOMEM; problems are diagnostics. */
int spec_secrets_take(struct spec_builder *b, const struct spec_src *src, struct ini *doc,
		      const char *stem, size_t widx);
/* spec_set.c's release of a workload: the secrets, values wiped. */
void spec_secrets_release(struct spec_workload *w);

/* spec_app.c: the service quadlet makes from a unit file stem.ext into buf (size bytes): a valid
 * ServiceName= of the file's own section in doc (may be NULL) + ".service", else "web.service"
 * (.container, .kube), "db-pod.service", "data-volume.service", "net-network.service",
 * "x-image.service", "x-build.service", "x-artifact.service". -ENOENT for an extension quadlet
 * makes no service of, -ENAMETOOLONG when it does not fit. */
int spec_service_of(const struct ini *doc, const char *stem, const char *ext, char *buf,
		    size_t size);

/* spec_app_paths.c: the paths unit (a file of the app, parsed as doc) names, each checked, or
 * listed on the app's workload as a host path. 0, or -ENOMEM. */
struct spec_app_files {
	struct spec_builder *b;
	const struct fileset_file *files; /* the app's, all below prefix_len bytes "[T/]NAME/" */
	size_t n, prefix_len;
	const char *name; /* the app */
	size_t widx;	  /* its workload */
	const struct fileset_file *unit;
	const struct spec_src *src;
};
int spec_app_paths(const struct spec_app_files *a, const struct ini *doc);

/* spec_app.c: the app of files[0..n), which all begin with the prefix_len bytes "NAME/" or
 * "T/NAME/"; tdir is T, or NULL at the top level. */
int spec_app_build(struct spec_builder *b, const struct fileset_file *files, size_t n,
		   size_t prefix_len, const char *tdir);

/* spec_kube.c: the files a .kube names in Yaml= and ConfigMap= (doc merged, name for
 * "{{.Name}}"), checked and added to workload widx; a .build's context (File=,
 * SetWorkingDirectory=) added to workload widx. Problems are diagnostics; -ENOMEM. */
int spec_kube_data(struct spec_builder *b, size_t widx, const struct spec_src *src,
		   const struct ini *doc, const char *name);
int spec_build_context(struct spec_builder *b, size_t widx, const struct spec_other *o);

#endif
