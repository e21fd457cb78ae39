/*
 * desired.h: the desired state as sync sees it — fetched per the configuration (core/gitrepo),
 * read from the fetched commit without a checkout, merged with the host's transforms and
 * validated by the same code `tailpod check` runs (core/spec). Nothing here touches users or
 * units: a caller that gets diagnostics back applies nothing.
 */
#ifndef TAILPOD_DESIRED_H
#define TAILPOD_DESIRED_H

#include <stdbool.h>

#include "config.h"
#include "diag.h"
#include "error.h"
#include "gitrepo.h"
#include "hash.h"
#include "known_hosts.h"
#include "spec.h"
#include "users.h"

enum {
	DESIRED_TOKEN_MAX = 4096, /* bytes in TAILPOD_GIT_TOKEN_FILE */
	DESIRED_HOST_MAX = 300,
};

/* The fetch process's directory beside the state directory, and the repository it keeps there
 * (gc compacts it). */
#define DESIRED_FETCH_SUFFIX "-fetch"	/* STATE-fetch: /var/lib/tailpod-fetch */
#define DESIRED_REPO_DIR     "repo.git" /* the bare repository */

struct desired {
	char commit[GITREPO_OID_HEX_SIZE];
	char previous[GITREPO_OID_HEX_SIZE]; /* "" on the first fetch */
	bool repo_recreated;		     /* a corrupt local repository was rebuilt */
	bool fetch_unfiltered; /* the fetch ran without its seccomp filter (fetchjail.h) */
	char host_key_recorded[DESIRED_HOST_MAX]; /* accept-new recorded this host's key; "" if not
						   */
	/* Lines of TAILPOD_SSH_KNOWN_HOSTS the host-key check could not use, for the caller to log
	 * as "file:line: what"; filled when desired_fetch fails too, since they may be why. */
	struct known_hosts_notes host_key_notes;
	/* The commit's files and the transforms (NULL when the host has none), kept only when
	 * validation found errors: a valid set owns copies of what it needs of them. */
	struct fileset *repo;
	struct fileset *transforms;
	struct spec_set *set; /* NULL when validation found errors */
};

/* desired_fetch fails with a struct gitrepo_error: a fetch failure keeps gitrepo's class (NETWORK
 * and TIMEOUT are temporary); a local one (token, key, state directory) is GITREPO_FAIL_CONFIG or
 * _LOCAL. */

/*
 * Fetch c->git_branch of c->git_url into STATE-fetch/repo.git, read its tree (or take the files
 * kept for its commit, tree_cache.h; a tree read with nothing to report is kept) and the
 * transform directory, and validate the merge. Returns 0 with d filled (d->set NULL and diags
 * non-empty when the desired state is invalid), or -errno with err filled and, of d, only
 * d->host_key_notes set.
 */
int desired_fetch(const struct config *c, struct desired *d, struct diag_list *diags,
		  struct gitrepo_error *err);

/* The same for a dry run: the files of the commit are not kept (tree_cache.h), so nothing is
 * written in the state directory. */
int desired_fetch_dry(const struct config *c, struct desired *d, struct diag_list *diags,
		      struct gitrepo_error *err);

/* The same from the commit the last fetch left, without fetching (no token, no deploy key, no
 * network): what `gc --dry-run` judges by. -ENOENT (GITREPO_FAIL_LOCAL) when nothing was fetched
 * yet. */
int desired_read_last(const struct config *c, struct desired *d, struct diag_list *diags,
		      struct gitrepo_error *err);

void desired_release(struct desired *d);

/* The content hash of a workload: SHA-256 over each deployed unit's name, size and bytes in
 * name order, so any change of a file, a companion or the file list changes it. */
void desired_workload_hash(const struct spec_workload *w, char out[HASH_SHA256_HEX_SIZE]);

#endif
