/* desired_internal.h: what core/desired.c shares with desired_creds.c, the fetch's credentials. */
#ifndef TAILPOD_DESIRED_INTERNAL_H
#define TAILPOD_DESIRED_INTERNAL_H

#include "desired.h"
#include "fetchjail.h"

/* The ssh side of a fetch: the key root signs with, the known_hosts text the host key is checked
 * against, and what the fetch process accepted on first use. */
struct desired_ssh {
	const struct config *c;
	struct sshkey *key;
	char *known_hosts; /* the file's text, read as root before the fetch; NULL when missing */
	size_t known_hosts_len;
	struct fetchjail_hostkey *new_hostkey; /* accepted on first use: the parent records it */
	struct known_hosts_notes *notes;       /* lines of known_hosts it could not use */
};

/* c->git_token_file's token into *ret (NULL when none is set); GITREPO_FAIL_CONFIG when it
 * cannot be used. The caller wipes and frees it. */
int desired_load_token(const struct config *c, char **ret, struct gitrepo_error *err);

/* The deploy key and known_hosts into ctx, and ssh's callbacks set to use them. */
int desired_load_ssh(const struct config *c, struct desired_ssh *ctx, struct gitrepo_ssh *ssh,
		     struct gitrepo_error *err);

/* Record hk, which the fetch process accepted on first use, when it may (see
 * desired_creds.c); d->host_key_recorded names its host. */
int desired_record_new_host(const struct config *c, const struct fetchjail_hostkey *hk,
			    struct desired *d, struct gitrepo_error *err);

#endif
