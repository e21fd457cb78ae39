/* backup_exclude.h: THE one decision whether a host path is a secret that no backup may hold
 * (issue 20, ../shared/seeds/003: a backup that could contain the secret key). Every scope of
 * `tailpod backup` (--workload, --all, --host) asks backup_exclude_match() for every path it
 * would archive, and the archive's MANIFEST lists each exclusion with the reason given here.
 *
 * A path is a secret when it is, or lies beneath, one of the rules: tailpod's secrets directory,
 * every file the config names as a secret (TAILPOD_SSH_KEY, TAILPOD_GIT_TOKEN_FILE,
 * TAILPOD_AGE_KEY, the mint-key OAuth client files), or it has a component chain every host uses
 * for secrets: Podman's secret store (containers/storage/secrets), minted keys (ts-authkeys), a
 * runtime directory (/run). A file that is the same inode as a rule's file (a hard link, a bind
 * mount of it) is a secret too: the match also takes the file's stat. Core module: no printing. */
#ifndef TAILPOD_BACKUP_EXCLUDE_H
#define TAILPOD_BACKUP_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config.h"

#define BACKUP_SECRETS_DIR   "/etc/tailpod/secrets"
#define BACKUP_OAUTH_DEFAULT "/etc/tailpod/secrets/oauth.env"

enum {
	BACKUP_EXCLUDE_RULES_MAX = 64, /* rules of one host: the config's few, the OAuth files */
};

struct backup_exclude_rule {
	char *path;	    /* absolute, normalized: no "//", "." or ".." component, no final "/" */
	const char *reason; /* static text: "the deploy key (TAILPOD_SSH_KEY)" */
	bool have_ino;	    /* the path existed at init: dev and ino name its file */
	dev_t dev;
	ino_t ino;
};

struct backup_exclude {
	struct backup_exclude_rule rules[BACKUP_EXCLUDE_RULES_MAX];
	size_t n;
};

/* The rules of the host c describes (c may be NULL: the built-in paths only). 0, -ENOMEM, or
 * -E2BIG past BACKUP_EXCLUDE_RULES_MAX. Release with backup_exclude_release(). */
int backup_exclude_init(struct backup_exclude *x, const struct config *c);

/* One more secret path (what the config names elsewhere: mint-key.conf's OAuthFile=); reason
 * must be static text. -EINVAL for a path that is not absolute or has a ".." component. */
int backup_exclude_add(struct backup_exclude *x, const char *path, const char *reason);

/* true when host_path (absolute) is a secret; st (the path's lstat, or NULL) also matches by
 * inode. *ret_reason (may be NULL) is set to the reason on a match. A path that is not absolute
 * or not normalized is a secret too ("not a normalized absolute path"): never guessed about. */
bool backup_exclude_match(const struct backup_exclude *x, const char *host_path,
			  const struct stat *st, const char **ret_reason);

void backup_exclude_release(struct backup_exclude *x);

#endif
