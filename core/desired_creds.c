/*
 * desired_creds.c: what the fetch needs from tailpod's own files, prepared as root before the
 * fetch process starts (core/desired.c) — the https token (a root-only file, wiped after use), the
 * ssh deploy key (root-only, parsed here, signed with in-process by core/sshkey) and the text of
 * tailpod's known_hosts, which the fetch process checks host keys against — and afterwards the
 * recording of a host key that process accepted on first use (only with TAILPOD_SSH_ACCEPT_NEW,
 * only for the configured host, never over an existing entry).
 */
#include "desired_internal.h"

#include "bounds.h"
#include "core.h"
#include "fs.h"
#include "known_hosts.h"
#include "sshkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int desired_load_token(const struct config *c, char **ret, struct gitrepo_error *err)
{
	char *token = NULL;
	size_t len = 0;
	int r;

	if (!c->git_token_file) {
		*ret = NULL;
		return 0;
	}
	/* A secret: owned by root, no access for group or others. */
	r = fs_read_trusted(AT_FDCWD, c->git_token_file,
			    &(const struct fs_trust){.owner = 0, .deny_mode = FS_DENY_SHARED},
			    DESIRED_TOKEN_MAX, FS_READ_SECURE, &token, &len);
	if (r == -EPERM || r == -EACCES)
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, r,
					 "%s: must be owned by root with mode 0600 "
					 "or stricter",
					 c->git_token_file);
	if (r < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, r,
					 "%s: cannot read the token: %s", c->git_token_file,
					 strerror(-r));
	while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
		token[--len] = '\0';
	if (len == 0 || memchr(token, '\n', len) || strlen(token) != len) {
		explicit_bzero(token, len);
		free(token);
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, -EINVAL,
					 "%s: the token must be one line", c->git_token_file);
	}
	*ret = token;
	return 0;
}

static int ssh_sign(unsigned char **ret_sig, size_t *ret_len, const unsigned char *data, size_t len,
		    void *payload)
{
	struct desired_ssh *ctx = payload;

	return sshkey_sign_userauth(ctx->key, data, len, ret_sig, ret_len);
}

/* In the fetch process: an unknown host is accepted only with TAILPOD_SSH_ACCEPT_NEW, and its
 * key goes back to the parent, which alone can write known_hosts. */
static int accept_new_host(struct desired_ssh *ctx, const char *host, unsigned port,
			   const unsigned char *key, size_t len, char *msg, size_t msg_size)
{
	struct fetchjail_hostkey *hk = ctx->new_hostkey;

	if (!ctx->c->ssh_accept_new) {
		char port_opt[16] = "";

		if (port != SSH_PORT)
			snprintf(port_opt, sizeof(port_opt), "-p %u ", port);
		/* Short: gitrepo keeps ERROR_MSG_MAX / 2 bytes of it. */
		snprintf(msg, msg_size,
			 "host '%s' is not in %s and TAILPOD_SSH_ACCEPT_NEW=no: add its keys as "
			 "'ssh-keyscan %s-t ecdsa,rsa %s' prints them, fingerprints checked",
			 host, ctx->c->ssh_known_hosts, port_opt, host);
		return -EPERM;
	}
	if (strlen(host) >= sizeof(hk->host) || len > sizeof(hk->key)) {
		snprintf(msg, msg_size, "host key of '%s' is too large to record", host);
		return -E2BIG;
	}
	snprintf(hk->host, sizeof(hk->host), "%s", host);
	memcpy(hk->key, key, len);
	hk->key_len = len;
	hk->port = port;
	return 0;
}

/* In the fetch process, against the known_hosts text root read for it. */
static int check_hostkey(const char *host, unsigned port, const unsigned char *key, size_t len,
			 char *msg, size_t msg_size, void *payload)
{
	struct desired_ssh *ctx = payload;
	const char *file = ctx->c->ssh_known_hosts;
	int r = KNOWN_HOSTS_UNKNOWN;

	if (ctx->known_hosts)
		r = known_hosts_lookup(ctx->known_hosts, ctx->known_hosts_len, host, port, key, len,
				       known_hosts_notes_add, ctx->notes);
	switch (r) {
	case KNOWN_HOSTS_MATCH:
		return 0;
	case KNOWN_HOSTS_UNKNOWN:
		return accept_new_host(ctx, host, port, key, len, msg, msg_size);
	case KNOWN_HOSTS_MISMATCH:
		snprintf(msg, msg_size,
			 "host key of '%s' CHANGED: refusing to connect (if the "
			 "change is expected, replace its entry in %s)",
			 host, file);
		return -EPERM;
	case KNOWN_HOSTS_OTHER_TYPE:
		snprintf(msg, msg_size,
			 "'%s' offers a key of a type %s has no entry for; "
			 "refusing (add it with ssh-keyscan if expected)",
			 host, file);
		return -EPERM;
	case KNOWN_HOSTS_REVOKED:
		snprintf(msg, msg_size, "host key of '%s' is marked @revoked in %s", host, file);
		return -EPERM;
	default:
		snprintf(msg, msg_size, "cannot read %s: %s", file, known_hosts_strerror(r));
		return r < 0 ? r : -EIO;
	}
}

static int read_known_hosts(struct desired_ssh *ctx, struct gitrepo_error *err)
{
	const char *file = ctx->c->ssh_known_hosts;
	int r = fs_read_bounded(AT_FDCWD, file, KNOWN_HOSTS_FILE_MAX, &ctx->known_hosts,
				&ctx->known_hosts_len);

	if (r == -ENOENT)
		return 0; /* every host is new */
	if (r < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, r, "cannot read %s: %s", file,
					 known_hosts_strerror(r));
	return 0;
}

int desired_load_ssh(const struct config *c, struct desired_ssh *ctx, struct gitrepo_ssh *ssh,
		     struct gitrepo_error *err)
{
	int r = sshkey_load(AT_FDCWD, c->ssh_key, 0, &ctx->key);

	if (r < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, r,
					 "%s: cannot use the deploy key: %s", c->ssh_key,
					 sshkey_strerror(r));
	ssh->public_key = sshkey_public_blob(ctx->key, &ssh->public_key_len);
	ssh->sign = ssh_sign;
	ssh->check_hostkey = check_hostkey;
	ssh->payload = ctx;
	return read_known_hosts(ctx, err);
}

/* Whether host is the host part of url ("user@HOST:path", "ssh://user@HOST:port/path"). */
static bool url_names_host(const char *url, const char *host)
{
	size_t n = strlen(host);

	for (const char *p = strstr(url, host); p; p = strstr(p + 1, host)) {
		bool starts = p == url || p[-1] == '@' || p[-1] == '/' || p[-1] == '[';
		char after = p[n];

		if (starts && (after == ':' || after == '/' || after == ']' || after == '\0'))
			return true;
	}
	return false;
}

/*
 * Root records what the fetch process accepted on first use, after checking that it may: the
 * setting allows it, the host is the one of TAILPOD_GIT_URL, and it is still unknown (a fetch
 * process cannot overwrite or add to what an operator pinned).
 */
int desired_record_new_host(const struct config *c, const struct fetchjail_hostkey *hk,
			    struct desired *d, struct gitrepo_error *err)
{
	const char *file = c->ssh_known_hosts, *name;
	_cleanup_close_ int dirfd = -1;
	int r;

	if (!c->ssh_accept_new || !url_names_host(c->git_url, hk->host))
		return gitrepo_error_set(
			err, GITREPO_FAIL_HOSTKEY, -EPERM,
			"the fetch process asked to record a host key for '%s', refusing",
			hk->host);
	r = fs_open_parent(file, &dirfd, &name);
	if (r < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, r,
					 "cannot open the directory of %s: %s", file, strerror(-r));
	r = known_hosts_lookup_file(dirfd, name, hk->host, hk->port, hk->key, hk->key_len, NULL,
				    NULL);
	if (r == KNOWN_HOSTS_UNKNOWN)
		r = known_hosts_append(dirfd, name, hk->host, hk->port, hk->key, hk->key_len,
				       false);
	else if (r >= 0)
		r = -EEXIST;
	if (r < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, r,
					 "cannot record the host key of '%s' in %s: %s", hk->host,
					 file, known_hosts_strerror(r));
	snprintf(d->host_key_recorded, sizeof(d->host_key_recorded), "%s", hk->host);
	return 0;
}
