/* config.c: /etc/tailpod/config.env into a validated struct config (module boundary: core, libc
 * only; values are checked in config_value.c). The rules, each with a test in test-config.c:
 *  C1  Every setting has a default; a key assigned the empty string ("KEY=") is as if not set.
 *  C2  An unknown TAILPOD_* key is an error naming file, line and key, with a did-you-mean hint;
 *      so is a QUADSYNC_* key (a half-done migration would otherwise silently run on defaults)
 *      and any other key close to a TAILPOD_* name (a typo such as TAILPD_GIT_URL).
 *  C3  Other keys are ignored with a diagnostic: the file is an EnvironmentFile= and may carry
 *      variables for other programs (https_proxy, ...).
 *  C4  Files must be regular, not symlinks, owned by root (-EPERM) and not group/other-writable
 * (-EACCES): the file steers what root executes. C5  An explicit --config that does not exist is an
 * error; a missing default file is not. C6  Migration: when tailpod's default file is missing and
 * quadsync's exists, quadsync's keys are mapped to tailpod's with quadsync's defaults where
 * tailpod's would change what runs (see load_quadsync()); both present: tailpod's wins and
 * quadsync's is not read. C7  TAILPOD_CA_BUNDLE, when not set, is the first existing regular file
 * of the probe list. C8  root and core are always protected, before the configured names, without
 * duplicates. C9  TAILPOD_GIT_TOKEN_FILE with an http:// TAILPOD_GIT_URL is an error: the token
 * would cross the network in plain text. */
#include "config.h"
#include "config_internal.h"

#include "core.h"
#include "envfile.h"
#include "fs.h"
#include "suggest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const ca_probe_default[] = {
	"/etc/pki/tls/certs/ca-bundle.crt",   /* Fedora, CoreOS, RHEL */
	"/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Alpine */
	NULL,
};

static const char *const always_protected[] = {"root", "core"};

enum key_kind {
	KIND_URL,
	KIND_BRANCH,
	KIND_PATH,
	KIND_NAME,
	KIND_NAMES,
	KIND_BOOL,
	KIND_UINT,
	KIND_VERSION
};

struct key_def {
	const char *name;
	enum key_kind kind;
	size_t offset;	      /* of the field in struct config (not for KIND_NAMES) */
	const char *dflt;     /* tailpod's default, parsed as a value; NULL: not set */
	const char *quadsync; /* quadsync's key migrated into this one, or NULL */
	const char *qs_dflt;  /* quadsync's default where a migrating host must keep it */
	unsigned min, max;    /* KIND_UINT */
	const char *unit;     /* KIND_UINT, for messages */
};

#define F(field) offsetof(struct config, field)

/* Sorted by name. Only string kinds may have a NULL default ("not set"). */
/* clang-format off */
static const struct key_def keys[] = {
	{.name = "TAILPOD_AGE_KEY", .kind = KIND_PATH, .offset = F(age_key),
	 .dflt = "/etc/tailpod/secrets/age.key", .quadsync = "QUADSYNC_AGE_KEY"},
	{.name = "TAILPOD_AGE_RECIPIENTS", .kind = KIND_PATH, .offset = F(age_recipients)},
	{.name = "TAILPOD_ALLOW_EMPTY", .kind = KIND_BOOL, .offset = F(allow_empty), .dflt = "no"},
	{.name = "TAILPOD_ALLOW_PLAINTEXT_SECRETS", .kind = KIND_BOOL,
	 .offset = F(allow_plaintext_secrets), .dflt = "no"},
	{.name = "TAILPOD_BACKUP_DIR", .kind = KIND_PATH, .offset = F(backup_dir),
	 .dflt = "/var/lib/tailpod/backups"},
	{.name = "TAILPOD_BACKUP_KEEP", .kind = KIND_UINT, .offset = F(backup_keep), .dflt = "7",
	 .min = 1, .max = CONFIG_BACKUP_KEEP_MAX, .unit = "backups"},
	{.name = "TAILPOD_BACKUP_MAX_AGE_DAYS", .kind = KIND_UINT, .offset = F(backup_max_age_days),
	 .dflt = "30", .min = 1, .max = CONFIG_BACKUP_AGE_MAX, .unit = "days"},
	{.name = "TAILPOD_CA_BUNDLE", .kind = KIND_PATH, .offset = F(ca_bundle)},
	{.name = "TAILPOD_COMMAND_TIMEOUT", .kind = KIND_UINT, .offset = F(command_timeout_s),
	 .dflt = "90", .min = 1, .max = CONFIG_TIMEOUT_MAX, .unit = "seconds"},
	{.name = "TAILPOD_FETCH_USER", .kind = KIND_NAME, .offset = F(fetch_user),
	 .dflt = "tailpod-fetch"},
	{.name = "TAILPOD_GC_REPO_MAX_MB", .kind = KIND_UINT, .offset = F(gc_repo_max_mb),
	 .dflt = "64", .min = 1, .max = CONFIG_GC_REPO_MB_MAX, .unit = "MiB"},
	{.name = "TAILPOD_GIT_BRANCH", .kind = KIND_BRANCH, .offset = F(git_branch), .dflt = "main",
	 .quadsync = "QUADSYNC_GIT_BRANCH"},
	{.name = "TAILPOD_GIT_MAX_BYTES", .kind = KIND_UINT, .offset = F(git_max_bytes),
	 .dflt = "268435456", .min = CONFIG_GIT_BYTES_MIN, .max = CONFIG_GIT_BYTES_MAX,
	 .unit = "bytes"},
	{.name = "TAILPOD_GIT_TIMEOUT", .kind = KIND_UINT, .offset = F(git_timeout_s),
	 .dflt = "120", .min = 1, .max = CONFIG_TIMEOUT_MAX, .unit = "seconds"},
	{.name = "TAILPOD_GIT_TOKEN_FILE", .kind = KIND_PATH, .offset = F(git_token_file)},
	{.name = "TAILPOD_GIT_URL", .kind = KIND_URL, .offset = F(git_url),
	 .quadsync = "QUADSYNC_GIT_URL"},
	{.name = "TAILPOD_HEALTH_SETTLE", .kind = KIND_UINT, .offset = F(health_settle_s),
	 .dflt = "10", .min = 0, .max = CONFIG_TIMEOUT_MAX, .unit = "seconds"},
	{.name = "TAILPOD_HEALTH_TIMEOUT", .kind = KIND_UINT, .offset = F(health_timeout_s),
	 .dflt = "120", .min = 1, .max = CONFIG_TIMEOUT_MAX, .unit = "seconds"},
	{.name = "TAILPOD_JOBS", .kind = KIND_UINT, .offset = F(jobs), .dflt = "4", .min = 1,
	 .max = CONFIG_JOBS_MAX, .unit = "workloads"},
	{.name = "TAILPOD_MAX_DELETE_PERCENT", .kind = KIND_UINT, .offset = F(max_delete_percent),
	 .dflt = "50", .min = 0, .max = 100, .unit = "percent"},
	{.name = "TAILPOD_MAX_WORKLOADS", .kind = KIND_UINT, .offset = F(max_workloads),
	 .dflt = "500", .min = 1, .max = CONFIG_WORKLOADS_MAX, .unit = "workloads"},
	{.name = "TAILPOD_METRICS_FILE", .kind = KIND_PATH, .offset = F(metrics_file)},
	{.name = "TAILPOD_MINT_GROUP", .kind = KIND_NAME, .offset = F(mint_group),
	 .dflt = "tailpod-mint"},
	{.name = "TAILPOD_PODMAN_VERSION", .kind = KIND_VERSION, .offset = F(podman_version)},
	{.name = "TAILPOD_PROTECTED_USERS", .kind = KIND_NAMES, .dflt = ""},
	{.name = "TAILPOD_SSH_ACCEPT_NEW", .kind = KIND_BOOL, .offset = F(ssh_accept_new),
	 .dflt = "no"},
	{.name = "TAILPOD_SSH_KEY", .kind = KIND_PATH, .offset = F(ssh_key),
	 .dflt = "/etc/tailpod/secrets/deploy-key", .quadsync = "QUADSYNC_SSH_KEY"},
	{.name = "TAILPOD_SSH_KNOWN_HOSTS", .kind = KIND_PATH, .offset = F(ssh_known_hosts),
	 .dflt = "/etc/tailpod/known_hosts"},
	{.name = "TAILPOD_STATE_DIR", .kind = KIND_PATH, .offset = F(state_dir),
	 .dflt = "/var/lib/tailpod", .quadsync = "QUADSYNC_STATE_DIR"},
	{.name = "TAILPOD_TRANSFORM_DIR", .kind = KIND_PATH, .offset = F(transform_dir),
	 .dflt = "/etc/tailpod/transforms", .quadsync = "QUADSYNC_TRANSFORM_DIR",
	 .qs_dflt = "/etc/quadsync/transforms"},
	{.name = "TAILPOD_USER_GROUP", .kind = KIND_NAME, .offset = F(user_group), .dflt = "tailpod",
	 .quadsync = "QUADSYNC_USER_GROUP", .qs_dflt = "cusers"},
};
/* clang-format on */

static const struct key_def *key_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static const struct key_def *key_find_quadsync(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].quadsync && strcmp(keys[i].quadsync, name) == 0)
			return &keys[i];
	return NULL;
}

static const char *key_name_at(const void *ctx, size_t i)
{
	(void)ctx;
	return keys[i].name;
}

static int set_string(char **slot, const char *value)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

static bool name_listed(const char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Split on blanks and commas into a fresh list that starts with root and core (C8). */
static int set_names(struct config *c, const char *value, const struct origin *o,
		     struct config_error *err)
{
	_cleanup_free_ char *buf = strdup(value);
	_cleanup_free_ const char **names =
		calloc(ARRAY_SIZE(always_protected) + CONFIG_PROTECTED_MAX, sizeof(*names));
	size_t n = 0, n_given = 0;

	if (!buf || !names)
		return config_fail(err, o, -ENOMEM, "out of memory");
	for (; n < ARRAY_SIZE(always_protected); n++)
		names[n] = always_protected[n];
	for (char *save = NULL, *tok = strtok_r(buf, " \t\n,", &save); tok;
	     tok = strtok_r(NULL, " \t\n,", &save)) {
		const char *why = config_check_name(tok, strlen(tok));

		if (why)
			return config_fail(err, o, -EINVAL, "invalid %s name '%.*s': %s", o->key,
					   DIAG_QUOTE(tok), why);
		if (++n_given > CONFIG_PROTECTED_MAX)
			return config_fail(err, o, -EINVAL,
					   "%s has more than %d names (CONFIG_PROTECTED_MAX)",
					   o->key, CONFIG_PROTECTED_MAX);
		if (!name_listed(names, n, tok))
			names[n++] = tok;
	}
	free(c->protected_buf);
	free(c->protected_users);
	c->protected_buf = TAKE_PTR(buf);
	c->protected_users = TAKE_PTR(names);
	c->n_protected_users = n;
	return 0;
}

static int set_number(struct config *c, const struct key_def *def, const char *value,
		      const struct origin *o, struct config_error *err)
{
	unsigned *slot = (unsigned *)(void *)((char *)c + def->offset);

	if (config_parse_uint(value, def->min, def->max, slot))
		return config_fail(err, o, -EINVAL, "invalid %s '%.*s': must be %u..%u %s", o->key,
				   DIAG_QUOTE(value), def->min, def->max, def->unit);
	return 0;
}

static int set_bool(struct config *c, const struct key_def *def, const char *value,
		    const struct origin *o, struct config_error *err)
{
	bool *slot = (bool *)(void *)((char *)c + def->offset);
	const char *why = config_parse_bool(value, slot);

	if (why)
		return config_fail(err, o, -EINVAL, "invalid %s '%.*s': %s", o->key,
				   DIAG_QUOTE(value), why);
	return 0;
}

/* A Podman release number; NULL (not set) clears it: sync then asks the installed podman. */
static int set_version(struct config *c, const struct key_def *def, const char *value,
		       const struct origin *o, struct config_error *err)
{
	struct podman_version *slot = (struct podman_version *)(void *)((char *)c + def->offset);

	if (!value) {
		*slot = (struct podman_version){0};
		return 0;
	}
	if (podman_version_parse(value, slot) < 0)
		return config_fail(err, o, -EINVAL,
				   "invalid %s '%.*s': not a Podman version (X.Y or X.Y.Z)", o->key,
				   DIAG_QUOTE(value));
	return 0;
}

/* A warning, not an error: the transport is the operator's choice and may be a test setup. */
static int warn_url(struct config *c, const char *value, enum config_url_kind kind,
		    const struct origin *o)
{
	if (kind == CONFIG_URL_PLAIN && diag_add(&c->diags, o->path, NULL, o->line,
						 "%s uses an unauthenticated transport (http://, "
						 "git://): anyone on the path can change what is "
						 "deployed",
						 o->key) < 0)
		return -ENOMEM;
	if (config_url_has_password(value) &&
	    diag_add(&c->diags, o->path, NULL, o->line,
		     "%s carries a password, readable by all who can read this file; "
		     "use TAILPOD_GIT_TOKEN_FILE",
		     o->key) < 0)
		return -ENOMEM;
	return 0;
}

/* Check value against the kind of def and store it; NULL (a default of "not set") clears a
 * string. */
static int apply(struct config *c, const struct key_def *def, const char *value,
		 const struct origin *o, struct config_error *err)
{
	void *slot = (char *)c + def->offset;
	enum config_url_kind url_kind;
	const char *why = NULL;

	if (def->kind == KIND_VERSION)
		return set_version(c, def, value, o, err);
	if (!value)
		return set_string(slot, NULL);
	switch (def->kind) {
	case KIND_BOOL:
		return set_bool(c, def, value, o, err);
	case KIND_UINT:
		return set_number(c, def, value, o, err);
	case KIND_VERSION: /* handled above, NULL included */
		break;
	case KIND_NAMES:
		return set_names(c, value, o, err);
	case KIND_URL:
		why = config_check_url(value, &url_kind);
		if (why)
			return config_fail(err, o, -EINVAL, "invalid %s: %s", o->key, why);
		if (warn_url(c, value, url_kind, o) < 0)
			return config_fail(err, o, -ENOMEM, "out of memory");
		break;
	case KIND_BRANCH:
		why = config_check_branch(value);
		break;
	case KIND_PATH:
		why = config_check_path(value);
		break;
	case KIND_NAME:
		why = config_check_name(value, strlen(value));
		break;
	}
	if (why)
		return config_fail(err, o, -EINVAL, "invalid %s '%.*s': %s", o->key,
				   DIAG_QUOTE(value), why);
	if (set_string(slot, value) < 0)
		return config_fail(err, o, -ENOMEM, "out of memory");
	return 0;
}

static int apply_defaults(struct config *c, struct config_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		struct origin o = {.path = "(built-in default)", .key = keys[i].name};
		int r = apply(c, &keys[i], keys[i].dflt, &o, err);

		if (r < 0)
			return r;
	}
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A key tailpod does not know, in tailpod's file (C2, C3). */
static int unknown_key(struct config *c, const struct origin *o, struct config_error *err)
{
	const struct key_def *qdef = key_find_quadsync(o->key);
	const char *hint = suggest_closest(o->key, key_name_at, NULL, ARRAY_SIZE(keys));

	if (qdef)
		return config_fail(err, o, -EINVAL, "'%s' is quadsync's name; tailpod reads '%s'",
				   o->key, qdef->name);
	if (hint)
		return config_fail(err, o, -EINVAL, "unknown key '%.*s' (did you mean '%s'?)",
				   DIAG_QUOTE(o->key), hint);
	if (has_prefix(o->key, "TAILPOD_") || has_prefix(o->key, "QUADSYNC_"))
		return config_fail(err, o, -EINVAL, "unknown key '%.*s'", DIAG_QUOTE(o->key));
	if (diag_add(&c->diags, o->path, NULL, o->line, "'%.*s' is not a tailpod setting, ignoring",
		     DIAG_QUOTE(o->key)) < 0)
		return config_fail(err, o, -ENOMEM, "out of memory");
	return 0;
}

static int load_tailpod(struct config *c, const char *path, const struct envfile *ef,
			struct config_error *err)
{
	for (size_t i = 0; i < ef->n_entries; i++) {
		const struct envfile_entry *e = &ef->entries[i];
		const struct key_def *def = key_find(e->key);
		struct origin o = {.path = path, .line = e->line, .key = e->key};
		int r = def ? apply(c, def, *e->value ? e->value : def->dflt, &o, err)
			    : unknown_key(c, &o, err);

		if (r < 0)
			return r;
	}
	return 0;
}

static unsigned entry_line(const struct envfile *ef, const char *key)
{
	for (size_t i = 0; i < ef->n_entries; i++)
		if (strcmp(ef->entries[i].key, key) == 0)
			return ef->entries[i].line;
	return 1;
}

/* The settings quadsync applied on its own, so a migrating host runs as it did before. */
static int migrate_quadsync_defaults(struct config *c, struct config_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		struct origin o = {.path = "(quadsync default)", .key = keys[i].quadsync};
		int r = keys[i].qs_dflt ? apply(c, &keys[i], keys[i].qs_dflt, &o, err) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * quadsync's keys onto tailpod's (C6). Where quadsync's own default differs and the host depends
 * on it, quadsync's default is kept; otherwise a key not set takes tailpod's default:
 *  - TRANSFORM_DIR: /etc/quadsync/transforms, or every merged unit (and its hash) would change.
 *  - USER_GROUP: cusers. The review (P0.2) found cusers overloaded: it both marks users quadsync
 *    owns and grants mint-key privileges. Mapping it keeps the existing workload users recognised
 *    (a different group would leave them all unmanaged), and tailpod's other removal guards still
 *    hold: a user is deleted only if also recorded in tailpod's state (imported from quadsync's
 *    hashes/NAME, which only deployed workloads have), at or above UID_MIN and not protected, so a
 *    human added to cusers for mint-key is never deleted. Moving to a dedicated group is a
 *    deliberate step for the operator (write /etc/tailpod/config.env).
 *  - STATE_DIR: tailpod's own records go to tailpod's default unless quadsync's was set
 *    explicitly, so they stay put once /etc/tailpod/config.env is written; quadsync's state
 *    directory (explicit or /var/lib/quadsync) is kept in quadsync_state_dir for the import.
 *  - SSH_KEY, AGE_KEY: tailpod's default paths when not set (quadsync used ssh's default key,
 *    which tailpod never reads: a diagnostic says so for ssh URLs).
 */
static int load_quadsync(struct config *c, const char *path, const struct envfile *ef,
			 struct config_error *err)
{
	const char *state = envfile_get(ef, "QUADSYNC_STATE_DIR");
	const char *key = envfile_get(ef, "QUADSYNC_SSH_KEY");
	enum config_url_kind kind;
	int r = migrate_quadsync_defaults(c, err);

	for (size_t i = 0; r >= 0 && i < ef->n_entries; i++) {
		const struct envfile_entry *e = &ef->entries[i];
		const struct key_def *def = key_find_quadsync(e->key);
		struct origin o = {.path = path, .line = e->line, .key = e->key};
		const char *dflt = def && def->qs_dflt ? def->qs_dflt : def ? def->dflt : NULL;

		if (def)
			r = apply(c, def, *e->value ? e->value : dflt, &o, err);
		else if (diag_add(&c->diags, path, NULL, e->line,
				  "'%.*s' is not a quadsync setting tailpod migrates, ignoring",
				  DIAG_QUOTE(e->key)) < 0)
			r = config_fail(err, &o, -ENOMEM, "out of memory");
	}
	if (r < 0)
		return r;
	if (set_string(&c->quadsync_state_dir,
		       state && *state ? c->state_dir : CONFIG_QUADSYNC_STATE_DIR) < 0)
		return config_fail(err, &(struct origin){.path = path}, -ENOMEM, "out of memory");
	if (c->git_url && !(key && *key) && !config_check_url(c->git_url, &kind) &&
	    kind == CONFIG_URL_SSH &&
	    diag_add(&c->diags, path, NULL, entry_line(ef, "QUADSYNC_GIT_URL"),
		     "QUADSYNC_SSH_KEY is not set: quadsync let ssh pick root's key, tailpod "
		     "only reads %s (TAILPOD_SSH_KEY)",
		     c->ssh_key) < 0)
		return config_fail(err, &(struct origin){.path = path}, -ENOMEM, "out of memory");
	return 0;
}

static int load_file(struct config *c, const char *path, enum config_source source, uid_t owner,
		     struct config_error *err)
{
	struct envfile *ef = NULL;
	int r = config_read_checked(path, owner, &ef, err);

	if (r < 0)
		return r;
	c->source = source;
	r = set_string(&c->source_path, path);
	if (r >= 0)
		r = config_copy_envfile_diags(c, path, ef);
	if (r < 0)
		r = config_fail(err, &(struct origin){.path = path}, r, "out of memory");
	else if (source == CONFIG_SOURCE_QUADSYNC)
		r = load_quadsync(c, path, ef, err);
	else
		r = load_tailpod(c, path, ef, err);
	envfile_free(ef);
	return r;
}

/* C5, C6: which file to read. */
static int load_files(struct config *c, const struct config_paths *paths, struct config_error *err)
{
	struct origin o = {.path = paths->config};
	int r = load_file(c, paths->config, CONFIG_SOURCE_FILE, paths->owner, err);

	if (r != -ENOENT)
		return r;
	if (paths->explicit_config)
		return config_fail(err, &o, -ENOENT, "no such file");
	if (set_string(&c->source_path, paths->config) < 0)
		return config_fail(err, &o, -ENOMEM, "out of memory");
	if (!paths->quadsync)
		return 0;
	r = load_file(c, paths->quadsync, CONFIG_SOURCE_QUADSYNC, paths->owner, err);
	return r == -ENOENT ? 0 : r;
}

/* C7: stat() follows links on purpose, Fedora's bundle is a symlink into /etc/pki/ca-trust. */
static int probe_ca(struct config *c, const char *const *probe)
{
	struct stat st;

	if (c->ca_bundle)
		return 0;
	for (; probe && *probe; probe++)
		if (stat(*probe, &st) == 0 && S_ISREG(st.st_mode))
			return set_string(&c->ca_bundle, *probe);
	return 0;
}

void config_paths_init(struct config_paths *paths, const char *override)
{
	*paths = (struct config_paths){
		.config = override ? override : CONFIG_PATH,
		.explicit_config = override != NULL,
		.quadsync = CONFIG_QUADSYNC_PATH,
		.ca_probe = ca_probe_default,
		.owner = 0,
	};
}

/* C9: checked once both keys are known, whatever their order in the file. Only tailpod's file
 * sets a token file; the message borrows its path from paths, which outlive a failed load. */
static int check_token_transport(const struct config *c, const struct config_paths *paths,
				 struct config_error *err)
{
	struct origin o = {.path = paths->config, .key = "TAILPOD_GIT_TOKEN_FILE"};

	if (!c->git_token_file || !c->git_url || strncasecmp(c->git_url, "http://", 7) != 0)
		return 0;
	return config_fail(
		err, &o, -EINVAL,
		"TAILPOD_GIT_TOKEN_FILE (%s) is set and TAILPOD_GIT_URL is http://: the token "
		"would cross the network in plain text; use https://",
		c->git_token_file);
}

int config_load(const struct config_paths *paths, struct config **ret, struct config_error *err)
{
	struct config *c = calloc(1, sizeof(*c));
	struct origin o = {.path = paths->config};
	int r;

	if (!c)
		return config_fail(err, &o, -ENOMEM, "out of memory");
	r = apply_defaults(c, err);
	if (r >= 0)
		r = load_files(c, paths, err);
	if (r >= 0)
		r = check_token_transport(c, paths, err);
	if (r >= 0 && probe_ca(c, paths->ca_probe) < 0)
		r = config_fail(err, &o, -ENOMEM, "out of memory");
	if (r >= 0 && c->diags.error < 0)
		r = config_fail(err, &o, c->diags.error, "out of memory");
	if (r < 0) {
		config_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int config_require_git(const struct config *c, struct config_error *err)
{
	struct origin o = {.path = c->source_path, .key = "TAILPOD_GIT_URL"};

	if (c->git_url)
		return 0;
	if (c->source == CONFIG_SOURCE_QUADSYNC)
		return config_fail(err, &o, -EINVAL, "QUADSYNC_GIT_URL is not set");
	if (c->source == CONFIG_SOURCE_DEFAULTS)
		return config_fail(
			err, &o, -EINVAL,
			"does not exist, and TAILPOD_GIT_URL (the repository to deploy) has "
			"no default");
	return config_fail(err, &o, -EINVAL,
			   "TAILPOD_GIT_URL (the repository to deploy) is not set");
}

struct config *config_free(struct config *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].kind == KIND_URL || keys[i].kind == KIND_BRANCH ||
		    keys[i].kind == KIND_PATH || keys[i].kind == KIND_NAME)
			free(*(char **)(void *)((char *)c + keys[i].offset));
	free(c->protected_users);
	free(c->protected_buf);
	free(c->source_path);
	free(c->quadsync_state_dir);
	diag_list_release(&c->diags);
	free(c);
	return NULL;
}
