/* mint-key.h: the pieces of `tailpod mint-key` (the files of applets/mint-key/), shared only among
 * them — the root-owned policy, the OAuth settings, the Tailscale API calls, the socket service and
 * its client, and the sudo-compatible mode. Functions that end a run return an exit status
 * (enum exit_code) and have logged why. */
#ifndef TAILPOD_MINT_KEY_H
#define TAILPOD_MINT_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "users.h"

#define MINT_POLICY_DEFAULT "/etc/tailpod/mint-key.conf"
#define MINT_OAUTH_DEFAULT  "/etc/tailpod/secrets/oauth.env"
#define MINT_API_DEFAULT    "https://api.tailscale.com"
#define MINT_RATE_DIR	    "/run/tailpod/mint-key"

enum {
	MINT_TAGS_MAX = 16,	     /* tags on one key */
	MINT_HOSTNAME_MAX = 63,	     /* one DNS label */
	MINT_KEY_MAX = 512,	     /* bytes in an auth key we accept from the API */
	MINT_REPLY_MAX = 4096,	     /* bytes in the service's answer */
	MINT_DESCRIPTION_MAX = 50,   /* what the API accepts */
	MINT_TIMEOUT_S_DEFAULT = 60, /* whole mint, retries included */
	MINT_RATE_DEFAULT = 30,	     /* keys per uid per hour */
	MINT_REQUEST_TIMEOUT_S = 10, /* the service's wait for a caller's request */
	/* TS_KEY_EXPIRY_SECONDS at most (90 days): no minted key outlives its file by more, which
	 * is how gc knows a key file is past its key's expiry */
	MINT_EXPIRY_MAX_S = 90L * 86400,
};

/* caller.c: a caller's passwd entry and groups, NSS-free (core/users, /etc/passwd and
 * /etc/group). */
struct mint_user {
	char name[USER_NAME_MAX + 1];
	uid_t uid;
	gid_t gid; /* the passwd entry's */
};
/* 0, -ENOENT when no entry has uid, or users_db_load()'s error. */
int mint_user_lookup(uid_t uid, struct mint_user *ret);
/* As getgrouplist(name, primary): primary, then every other group that lists name; -E2BIG past
 * max. */
int mint_user_groups(const char *name, gid_t primary, gid_t *groups, size_t max, size_t *ret_n);
/* The gid of group name: 0, -ENOENT, -EINVAL (an invalid name), or users_db_load()'s error. */
int mint_group_gid(const char *name, gid_t *ret);

/* The policy file, parsed and checked. Strings belong to the policy. */
struct mint_policy {
	char **tags; /* [Mint] Tags= */
	size_t n_tags;
	char **oauth_files; /* [Mint] OAuthFile= */
	size_t n_oauth_files;
	char *group;	    /* [Mint] Group= */
	long rate_per_hour; /* [Mint] RatePerHour=, 0 = unlimited */
	bool default_grant; /* [Mint] DefaultGrant=: may users without a [User NAME] mint? */
	void *ini;	    /* struct ini, for [User NAME] lookups */
	const char *path;
};

/* What one caller may have: tags and hostnames from [User NAME] or the defaults. */
struct mint_grant {
	char **tags;
	size_t n_tags;
	char **hostnames; /* [User NAME] Hostname=, empty when not set */
	size_t n_hostnames;
};

int mint_policy_load(const char *path, struct mint_policy *ret);
void mint_policy_release(struct mint_policy *p);
/* What user may have; -EPERM (logged) when DefaultGrant=no and it has no [User NAME] section,
 * another negative errno when the policy gives it no valid tags. */
int mint_policy_grant(const struct mint_policy *p, const char *user, struct mint_grant *ret);
void mint_grant_release(struct mint_grant *g);
bool mint_hostname_valid(const char *h);
bool mint_tag_valid(const char *t);
/* The caller's default hostname: its user name made into a DNS label. */
void mint_hostname_from_user(const char *user, char out[MINT_HOSTNAME_MAX + 1]);
/* Is uid (primary gid, supplementary groups) a member of the policy's group? */
int mint_policy_member(const struct mint_policy *p, gid_t gid, const gid_t *groups, size_t n);
/* Count one request of uid; -EBUSY when it is over RatePerHour. */
int mint_rate_take(const struct mint_policy *p, const char *dir, uid_t uid);

/* Settings from an oauth.env file (and, when trust_env, the environment). */
struct mint_settings {
	void *ef; /* struct envfile, wiped when released */
	const char *client_id, *client_secret, *tailnet, *api_url, *ca_file, *proxy;
	long expiry_s;
	bool ephemeral, reusable, preauthorized;
};

int mint_settings_load(const char *oauth_path, bool trust_env, struct mint_settings *ret);
void mint_settings_release(struct mint_settings *s);

/* OAuth token, then a key for hostname with tags; *ret_key is wiped and freed by the caller.
 * Returns an exit status and has logged the failure. */
int mint_api_mint(const struct mint_settings *s, const char *hostname, char *const *tags,
		  size_t n_tags, unsigned timeout_s, char **ret_key);

/* The env file a container reads: "TS_AUTHKEY=...\nTS_HOSTNAME=...\n". */
int mint_env_format(const char *key, const char *hostname, char **ret, size_t *ret_len);
bool mint_key_valid(const char *key);
void mint_wipe_free(char *s);

/* No core file (RLIMIT_CORE 0) and not dumpable (no core, no ptrace by the same uid, /proc/PID
 * owned by root): every mode calls it before it reads a secret, and mode 2 again after it
 * changed uid, since the kernel resets the dumpable flag on a credential change. */
int mint_harden(void);

/* The socket's send and receive timeouts; reading text until EOF, a newline (when one_line) or
 * max - 1 bytes, NUL-terminated (serve.c, used by via.c). */
void mint_socket_timeouts(int fd, unsigned seconds);
int mint_read_text(int fd, char *buf, size_t max, bool one_line, size_t *ret_len);

int mint_serve(const char *policy_path, unsigned timeout_s);
int mint_via(const char *socket_path, const char *output, unsigned timeout_s);
/* Mode 2 always reads MINT_POLICY_DEFAULT: its caller chooses the other arguments. */
int mint_sudo(const char *config, const char *tag, const char *hostname, const char *output,
	      unsigned timeout_s);

#endif
