/* config.h: tailpod's settings — /etc/tailpod/config.env (systemd EnvironmentFile= syntax, read
 * with core/envfile) turned into a validated struct with defaults, or, on a host that still has
 * only quadsync's /etc/quadsync/config.env, quadsync's settings mapped to tailpod's, so a migrating
 * host keeps working without a redeploy. The file steers what root executes, so it must be a
 * regular file owned by root and writable by nobody else. Core module: it never prints; problems
 * that do not stop the load come back as diagnostics, a failure as an error naming file, line and
 * key. Every path is injectable for tests (struct config_paths). */
#ifndef TAILPOD_CONFIG_H
#define TAILPOD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"
#include "diag.h"
#include "error.h"
#include "podman_version.h"

#define CONFIG_PATH	     "/etc/tailpod/config.env"
#define CONFIG_QUADSYNC_PATH "/etc/quadsync/config.env"
/* quadsync's state directory when QUADSYNC_STATE_DIR was not set (its hashes/NAME records). */
#define CONFIG_QUADSYNC_STATE_DIR "/var/lib/quadsync"

enum {
	CONFIG_KEY_MAX = 64,	    /* bytes of a key kept in struct config_error */
	CONFIG_PROTECTED_MAX = 256, /* names in TAILPOD_PROTECTED_USERS */
	CONFIG_URL_MAX = 2048,	    /* bytes in TAILPOD_GIT_URL, as GITREPO_URL_MAX */
	CONFIG_BRANCH_MAX = 200,    /* bytes in TAILPOD_GIT_BRANCH, as GITREPO_BRANCH_MAX */
	CONFIG_TIMEOUT_MAX = 3600,  /* seconds in TAILPOD_GIT_TIMEOUT */
	/* bytes one fetch may receive (TAILPOD_GIT_MAX_BYTES, default 256 MiB) */
	CONFIG_GIT_BYTES_MIN = 1024 * 1024,
	CONFIG_GIT_BYTES_MAX = 1024 * 1024 * 1024,

	/* TAILPOD_MAX_WORKLOADS at most: a repo holds no more files (FILESET_FILES_MAX) */
	CONFIG_WORKLOADS_MAX = 65536,
	CONFIG_JOBS_MAX = 64,		     /* new workloads sync deploys at once */
	CONFIG_BACKUP_KEEP_MAX = 10000,	     /* TAILPOD_BACKUP_KEEP: backups kept per NAME */
	CONFIG_BACKUP_AGE_MAX = 36500,	     /* TAILPOD_BACKUP_MAX_AGE_DAYS: a hundred years */
	CONFIG_GC_REPO_MB_MAX = 1024 * 1024, /* TAILPOD_GC_REPO_MAX_MB: 1 TiB */
};

/* Where the settings came from. */
enum config_source {
	CONFIG_SOURCE_DEFAULTS, /* no file: built-in defaults only */
	CONFIG_SOURCE_FILE,	/* tailpod's file (the default path or --config) */
	CONFIG_SOURCE_QUADSYNC, /* migrated from quadsync's file: log it once */
};

/* Paths are malloc'd and absolute; "optional" ones are NULL when not set. */
struct config {
	char *git_url;		/* NULL when not set: config_require_git() before a fetch */
	char *git_branch;	/* main */
	char *state_dir;	/* /var/lib/tailpod */
	char *transform_dir;	/* /etc/tailpod/transforms */
	char *ssh_key;		/* /etc/tailpod/secrets/deploy-key */
	char *ssh_known_hosts;	/* /etc/tailpod/known_hosts */
	bool ssh_accept_new;	/* yes: record an unknown host key on first use */
	char *git_token_file;	/* optional */
	char *ca_bundle;	/* set, or the first existing probe path; NULL when none exists */
	char *fetch_user;	/* tailpod-fetch: the fetch runs as it (core/fetchjail) */
	unsigned git_timeout_s; /* 1..CONFIG_TIMEOUT_MAX, default 120 */
	unsigned git_max_bytes; /* received by one fetch: CONFIG_GIT_BYTES_MIN..MAX, 256 MiB */
	unsigned command_timeout_s; /* each useradd, loginctl, systemctl...: 1..CONFIG_TIMEOUT_MAX,
				       default 90 (systemd's own start timeout) */
	char *user_group;	    /* tailpod: the managed group, granting nothing else */
	char *mint_group; /* tailpod-mint: sync makes a workload's user a member exactly while the
			     workload runs `tailpod mint-key` (mint-key.conf Group=) */
	const char **protected_users; /* "root", "core", then configured names, no duplicates */
	size_t n_protected_users;
	bool allow_empty;	     /* no */
	unsigned max_delete_percent; /* 0..100, default 50 */
	unsigned max_workloads;	     /* 1..CONFIG_WORKLOADS_MAX, default 500 */
	unsigned jobs;		     /* 1..CONFIG_JOBS_MAX, default 4 */
	unsigned gc_repo_max_mb; /* gc compacts repo.git above it: 1..CONFIG_GC_REPO_MB_MAX, 64 */
	char *metrics_file;	 /* optional */
	char *age_key;		 /* /etc/tailpod/secrets/age.key; may not exist */
	/* [Secrets]: TAILPOD_AGE_RECIPIENTS, optional, a file of "age1…" lines to encrypt to;
	 * TAILPOD_ALLOW_PLAINTEXT_SECRETS, default no: values must be age-encrypted */
	char *age_recipients;
	bool allow_plaintext_secrets;
	/* TAILPOD_PODMAN_VERSION: the Podman whose quadlet keys check and sync accept; {0} when
	 * not set (check: any version's keys; sync: the installed podman's) */
	struct podman_version podman_version;
	/* Backups (issue 20): TAILPOD_BACKUP_DIR (/var/lib/tailpod/backups) where `backup create`
	 * writes; gc keeps TAILPOD_BACKUP_KEEP (7) newest per NAME and drops those older than
	 * TAILPOD_BACKUP_MAX_AGE_DAYS (30), never the newest good one. */
	char *backup_dir;
	unsigned backup_keep;
	unsigned backup_max_age_days;
	enum config_source source;
	char *source_path;	  /* the file read; for CONFIG_SOURCE_DEFAULTS the missing one */
	char *quadsync_state_dir; /* migrated: quadsync's state directory (sync imports its
				     hashes/NAME records from there); NULL otherwise */
	struct diag_list diags;	  /* non-fatal problems, each message ending in ", ignoring" or
				     saying what to change; the applet logs them as warnings */
	char *protected_buf;	  /* private: storage of the configured protected names */

	/* the health gate after a created or updated workload's restart (issue 21): up for
	 * health_settle_s (0..CONFIG_TIMEOUT_MAX, default 10), within health_timeout_s
	 * (1..CONFIG_TIMEOUT_MAX, default 120) */
	unsigned health_settle_s, health_timeout_s;
};

/* Where config_load() looks; config_paths_init() fills the real ones. */
struct config_paths {
	const char *config;	     /* CONFIG_PATH, or --config */
	bool explicit_config;	     /* --config given: a missing file is an error, no migration */
	const char *quadsync;	     /* CONFIG_QUADSYNC_PATH; NULL disables the migration */
	const char *const *ca_probe; /* NULL-terminated candidates for TAILPOD_CA_BUNDLE */
	uid_t owner;		     /* the only owner the files may have: 0 */
};

/* Failure details: where is the file's path, borrowed (from the config_paths given, or from the
 * config), line 0 when the failure is not tied to a line, key "" when not tied to a key. msg is
 * lowercase with no final period; an applet logs "PATH:LINE: MSG" (or "PATH: MSG" for line 0). */
struct config_error {
	ERROR_DETAIL_MEMBERS;
	char key[CONFIG_KEY_MAX];
};

/* Fill paths with the real locations; override (the --config argument) may be NULL. */
void config_paths_init(struct config_paths *paths, const char *override);

/*
 * Load the settings. paths->config is read when it exists; when it is missing and was not given
 * explicitly, paths->quadsync is migrated when that exists, else the defaults apply. err may be
 * NULL and is filled on failure only. Returns 0, or:
 *  -ENOENT   an explicit --config file does not exist
 *  -EPERM    a file not owned by paths->owner
 *  -EACCES   a file writable by group or others
 *  -EINVAL   an unknown TAILPOD_* key, a QUADSYNC_* key in tailpod's file, or an invalid value
 *  -ELOOP, -EBADFD, -EISDIR, -EFBIG, -EBADMSG, -E2BIG: as envfile_parse_fd() and the open
 *  -ENOMEM
 */
int config_load(const struct config_paths *paths, struct config **ret, struct config_error *err);

/* -EINVAL with an error naming the file when TAILPOD_GIT_URL is not set; what fetch calls first. */
int config_require_git(const struct config *c, struct config_error *err);

/* Accepts NULL; returns NULL. */
struct config *config_free(struct config *c);

#endif
