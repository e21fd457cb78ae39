/* spec.h: the repository model — which workloads a desired state holds, the files each deploys,
 * and every reason it must not be deployed. spec_build() reads a repo (core/repo) and a transform
 * directory the way quadsync does and sync must:
 *  - a root-level NAME.container or NAME.pod is a workload named NAME (its Linux user and service);
 *    DIR/NAME.container and DIR/NAME.pod are too, merged with the transform DIR.container or
 *    DIR.pod, which must exist; _base.container and _base.pod apply to all, first;
 *  - POD-X.container beside POD.pod (longest pod name wins), or one saying Pod=POD.pod, is a member
 *    of pod POD: deployed with it, Pod=POD.pod added; in a directory with pods every container must
 *    be a member;
 *  - NAME-*.service and NAME-*.timer belong to the container or pod NAME beside them (longest name
 *    wins) and are deployed verbatim; .volume and .network files a spec refers to (Volume=,
 *    Mount=, Network=) are deployed with it; transform companion templates add NAME-SUFFIX.EXT;
 *  - NAME.kube at the root (DIR/NAME.kube with the transform DIR.kube; _base.kube applies to all)
 *    is a workload too, service NAME.service: the YAML files its Yaml= and ConfigMap= name, as
 *    paths relative to the repository, are checked (core/kube_yaml), deployed at those same paths;
 *  - .image, .build and .artifact files are deployed with the workloads whose specs refer to them
 *    (Image=X.image, Image=X.build, Mount=...,source=X.artifact), or else with the spec NAME whose
 *    name they start with (NAME-*.image); a .build takes its context along: the repository
 *    directory SetWorkingDirectory= names, and File=, at their own paths;
 *  - "{{.Name}}" in merged files is replaced by the container's (or pod's) name;
 *  - a top-level directory with no transform of its name and a unit file somewhere below it is an
 *    app (core/spec_app.c): one workload named after the directory, every file below it deployed
 *    verbatim with its tree under ~/.config/containers/systemd/NAME/ (systemd units flat in
 *    ~/.config/systemd/user/); T/NAME/ in a transform directory T is an app too, with _base and T
 *    merged into each of its .container and .pod files.
 * The raw spec and the merged result are both checked (names, sections, keys against Podman's
 * quadlet tables, Image=, ContainerName=, Pod=, references, collisions). All problems go to the
 * diagnostics list; a desired state with any diagnostic must not be applied. */
#ifndef TAILPOD_SPEC_H
#define TAILPOD_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "bounds.h"
#include "diag.h"
#include "fileset.h"
#include "podman_version.h"

enum {
	SPEC_UNIT_NAME_MAX = 200, /* other names: room for a suffix and an extension in 255 */
	/* The data files (YAML, build contexts) copied into the workloads, summed over all of them:
	 * each workload gets its own copy, so a hostile repo could otherwise multiply one 64 MiB
	 * context by its workload count. */
	SPEC_DATA_BYTES_MAX = 512 * 1024 * 1024,
	SPEC_APP_FILES_MAX = 512,	       /* files in one app directory */
	SPEC_APP_BYTES_MAX = 32 * 1024 * 1024, /* bytes of all its files */
	SPEC_APP_DEPTH_MAX = 6,	 /* path components below the app directory, file included */
	SPEC_APP_PATH_MAX = 512, /* bytes of a deployed path, "NAME/conf/app.env" */
};

/* Where a file is deployed in the workload user's home. */
enum spec_unit_dir {
	SPEC_UNIT_QUADLET, /* ~/.config/containers/systemd/: .container .pod .volume .network
			    * .kube .image .build .artifact, and the data files they name
			    * (YAML, build contexts) at their repository path: a name with '/' */
	SPEC_UNIT_SYSTEMD, /* ~/.config/systemd/user/: .service and .timer sidecars */
};

struct spec_unit {
	char *name;   /* the deployed file name, "web.container" */
	char *source; /* what it was made from, label/path: the spec, sidecar or template (the
		       * workload's string or in the set's arena) */
	char *data;   /* the content to deploy, NUL-terminated */
	size_t size;
	enum spec_unit_dir dir;
	/* An app's unit: the systemd unit it makes ("db.service", "net-network.service", the
	 * .target itself), restarted when it changed; NULL for data files and other workloads. */
	char *service;
	bool runs; /* an app's .container, .pod or .kube: its service stays up (liveness) */
};

/* A value of a spec's [Secrets] (core/spec_secrets.c), deployed as a rootless Podman secret. */
enum {
	SPEC_SECRETS_MAX = 256,		     /* secrets of one workload */
	SPEC_SECRET_VALUE_MAX = 1024 * 1024, /* bytes of one decoded value */
	SPEC_SECRET_NAME_MAX = 255,	     /* bytes of a Podman secret name */
};

enum spec_secret_type {
	SPEC_SECRET_ENV,   /* Environment=NAME=VALUE: Secret=...,type=env,target=NAME */
	SPEC_SECRET_MOUNT, /* File=TARGET:VALUE: Secret=...,type=mount,target=TARGET */
};

struct spec_secret {
	char *name;   /* the Podman secret, "web-db-password" */
	char *target; /* the variable or the mount target */
	char *value;  /* as written: "age:BASE64", "age:age1...:BASE64", or plaintext */
	char *source; /* label/path of the spec */
	unsigned line;
	enum spec_secret_type type;
	bool plaintext; /* not encrypted (TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes let it pass) */
};

enum spec_kind {
	SPEC_KIND_CONTAINER,
	SPEC_KIND_POD,
	SPEC_KIND_KUBE,
	SPEC_KIND_APP, /* a directory: every file below it, tree kept (core/spec_app.c) */
};

/* tailpod's own section in a spec (quadlet and systemd ignore X- sections). */
#define SPEC_TAILPOD_SECTION "X-Tailpod"

struct spec_workload {
	char *name;    /* the Linux user; also the spec's name */
	char *service; /* the unit sync restarts: "web.service", "webapp-pod.service" */
	char *source;  /* label/path of the .container or .pod (in the block name points to) */
	enum spec_kind kind;
	struct spec_unit *units; /* sorted by name */
	size_t n_units;
	size_t n_alloc;
	/* An app's .target (NAME.target first): restarted instead of its changed units; or NULL. */
	char *target;
	/* An app's references to host paths (%h/..., /etc/...): the host must provide them. */
	char **host_paths;
	size_t n_host_paths;
	/* The [Secrets] of its .container files, sorted by name, names unique. */
	struct spec_secret *secrets;
	size_t n_secrets, n_secrets_alloc;
	/* [X-Tailpod] HealthURL=: a loopback http:// URL the health gate probes, or NULL. */
	char *health_url;
	bool no_content; /* built without its files' contents: each spec_unit.data is NULL */
};

struct spec_set {
	struct spec_workload *workloads; /* sorted by name, names unique */
	size_t n_workloads;
	size_t n_alloc;
	/* The workloads' and units' names, sources, services, targets, health URLs and unit arrays
	 * (issue 16: four or five mallocs a workload before); units' data are malloc'd. */
	struct arena arena;
	const char *content_of; /* spec_opts.content_of, while the set is built */
};

struct spec_opts {
	const char *repo_label;	     /* how diagnostics name the repository ("" for none) */
	const char *transform_label; /* how they name the transform directory */
	/* The target Podman: a key or section it lacks is refused; NULL: none, any known passes. */
	const struct podman_version *podman;
	size_t data_bytes_max;	      /* SPEC_DATA_BYTES_MAX when 0 (tests set less) */
	bool allow_plaintext_secrets; /* TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes */
	/* What check reports needs of the files' contents: when set, only the workload of this
	 * name keeps them ("" none; the others get no_content, each unit's .size still its
	 * content's), so that memory does not grow with the repository's bytes. NULL (sync): every
	 * workload keeps its contents. */
	const char *content_of;
	/* A scope of 1024 pods and containers or more is built in parts on threads
	 * (core/spec_parts.c, SPEC_PARTS_MIN): 0, as many parts as CPUs the process may use, at
	 * most 4; 1, never (in order, on this thread); 2 to 4, that many parts, for any scope
	 * (tests compare the results: they are the same). */
	unsigned build_parts;
};

/* Build the workloads of repo with the transforms (a repo read with FILESET_LOAD_FLAT |
 * FILESET_LOAD_ALL; NULL for none) and append every problem to diags, sorted. The set holds what
 * could be built, so that --render can show a workload even when others are broken; apply it only
 * when diags is empty. 0, or -ENOMEM (nothing set). */
int spec_build(const struct fileset *repo, const struct fileset *transforms,
	       const struct spec_opts *opts, struct spec_set **ret, struct diag_list *diags);

struct spec_set *spec_set_free(struct spec_set *set);

/* The workload named name, or NULL. */
const struct spec_workload *spec_set_find(const struct spec_set *set, const char *name);

/* NULL when name is a valid workload (Linux user) name: [a-z_][a-z0-9_-]*, at most
 * USER_NAME_MAX bytes, not ending in '-'; otherwise why not (a static string). Whether the
 * host lets a workload have it (root, core, tailpod*, a host's user...) is core/names' rule: the
 * set keeps such a workload, and check reports it while sync refuses that workload alone. */
const char *spec_user_name_problem(const char *name);

/* core/spec_secrets.c. The variable a File= target is named by (quadsync's rule: every byte
 * but [A-Za-z0-9] becomes '_', outer '_' trimmed, '_' before a leading digit; "_" when nothing
 * is left): "/run/app/db.key" -> "run_app_db_key". -ENAMETOOLONG when it does not fit. */
int spec_secret_file_var(const char *target, char *out, size_t size);
/* The Podman secret of variable var in container stem: "STEM-var", var lower-cased and '_'
 * turned into '-' ("web", "DB_PASS" -> "web-db-pass"). -ENAMETOOLONG when it does not fit. */
int spec_secret_podman_name(const char *stem, const char *var, char *out, size_t size);

struct age_identity;
/* The bytes s deploys: plaintext as is (File=: base64-decoded), an age value decrypted with id
 * (NULL: -ENOKEY). *ret is released with age_free_secret(*ret, *ret_len). age_decrypt()'s
 * errors; -EINVAL for a malformed value, -EFBIG past SPEC_SECRET_VALUE_MAX. */
int spec_secret_value(const struct spec_secret *s, const struct age_identity *id, uint8_t **ret,
		      size_t *ret_len);
/* A keyed MAC (HMAC-SHA-256, its key derived from id's secret) over w's secrets: each name and
 * value (values[i] of lens[i] bytes, from spec_secret_value), as 64 hex digits and a NUL: what
 * sync's deploy hash covers instead of a value. -ENOKEY without id. */
int spec_secrets_mac(const struct spec_workload *w, const struct age_identity *id,
		     uint8_t *const *values, const size_t *lens, char out[65]);

#endif
