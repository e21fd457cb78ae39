/*
 * serve.c: mode 1 of mint-key, a socket-activated service (its client is via.c). systemd accepts
 * each connection (Accept=yes) and starts `mint-key --serve` with it as fd 3 (LISTEN_FDS) or stdin.
 * The caller is who the kernel says it is (SO_PEERCRED, SO_PEERGROUPS): it must be in the
 * policy's group, its hostname and tags come from the policy and its user name, never from what
 * it sends, and it is rate-limited per uid. The client, run as the container's user, asks with
 * one line and writes the answer into its own runtime directory itself, so no privileged process
 * writes anywhere a caller chooses. Protocol: "MINT [HOSTNAME]\n" → "OK\nTS_AUTHKEY=…\n
 * TS_HOSTNAME=…\n" or "ERROR STATUS reason\n". Before anything else the service makes sure it
 * runs as a systemd DynamicUser= (see serve_identity_check): as any other user, that user's
 * other processes could read the credential or ptrace the service.
 */
#define _GNU_SOURCE /* struct ucred, secure_getenv */
#include "mint-key.h"

#include "core.h"
#include "fs.h"
#include "log.h"
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

enum {
	REQUEST_MAX = 128,
	PEER_GROUPS_MAX = 256,
	/* systemd's range for DynamicUser= (0xEF00-0xFFEF, docs/UIDS-GIDS.md) */
	DYNAMIC_UID_MIN = 61184,
	DYNAMIC_UID_MAX = 65519,
};

static int serve_fd(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");

	if (fds && pid && strcmp(fds, "1") == 0 && atol(pid) == (long)getpid())
		return 3;
	return STDIN_FILENO;
}

void mint_socket_timeouts(int fd, unsigned seconds)
{
	struct timeval tv = {.tv_sec = seconds};

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int mint_read_text(int fd, char *buf, size_t max, bool one_line, size_t *ret_len)
{
	size_t n = 0;

	while (n + 1 < max && !(one_line && n > 0 && buf[n - 1] == '\n')) {
		ssize_t k = read(fd, buf + n, one_line ? 1 : max - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	*ret_len = n;
	return 0;
}

static int reply_error(int fd, int status, const char *why)
{
	char line[160];

	snprintf(line, sizeof(line), "ERROR %d %s\n", status, why);
	(void)fs_write_all(fd, line, strlen(line));
	return status;
}

/* --- Service ----------------------------------------------------------------------------- */

/* With DynamicUser=yes and User=tailpod-mint-key, systemd uses a static user of that name when
 * one exists (a workload called tailpod-mint-key, say) instead of allocating a transient one. A
 * transient user has a uid in systemd's dynamic range and no line in the passwd files (systemd
 * picks only uids nobody has): anything else is refused before the credential is read. */
static int serve_identity_check(void)
{
	static const char *const files[] = {USERS_PASSWD, USERS_ALT_PASSWD};
	char name[USER_NAME_MAX + 1];
	uid_t uid = getuid();

	if (geteuid() != uid)
		return log_error("real uid %u and effective uid %u differ, refusing to serve",
				 (unsigned)uid, (unsigned)geteuid());
	if (uid < DYNAMIC_UID_MIN || uid > DYNAMIC_UID_MAX)
		return log_error("running as uid %u, outside systemd's DynamicUser= range %u-%u: "
				 "not the transient user of tailpod-mint-key@.service, refusing to "
				 "serve",
				 (unsigned)uid, DYNAMIC_UID_MIN, DYNAMIC_UID_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int r = users_passwd_has_uid(NULL, files[i], uid, name);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return log_error_errno(r,
					       "cannot read %s to check uid %u, refusing to serve",
					       files[i], (unsigned)uid);
		if (r > 0)
			return log_error("running as uid %u, which is user '%s' in %s: a static "
					 "user, not systemd's DynamicUser= (remove or rename it), "
					 "refusing to serve",
					 (unsigned)uid, *name ? name : "(an invalid name)",
					 files[i]);
	}
	return 0;
}

struct caller {
	struct ucred cred;
	gid_t groups[PEER_GROUPS_MAX];
	size_t n_groups;
	char user[256];
};

static int caller_identify(int fd, struct caller *c)
{
	socklen_t len = sizeof(c->cred);
	struct mint_user u;
	size_t n;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0)
		return log_error_errno(-errno, "stdin or fd 3 is not a connected unix socket");
	r = mint_user_lookup(c->cred.uid, &u);
	if (r == -ENOENT)
		return log_error("caller uid %u has no entry in /etc/passwd, refusing",
				 (unsigned)c->cred.uid);
	if (r < 0)
		return log_error_errno(r, "cannot read " USERS_PASSWD " and " USERS_GROUP);
	snprintf(c->user, sizeof(c->user), "%s", u.name);
	len = sizeof(c->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->groups, &len) == 0) {
		c->n_groups = len / sizeof(gid_t);
		return 0;
	}
	/* Kernels before 4.13 (and qemu-user) lack SO_PEERGROUPS: /etc/group says the same. */
	r = mint_user_groups(c->user, c->cred.gid, c->groups, PEER_GROUPS_MAX, &n);
	if (r == -E2BIG)
		return log_error("user %s is in more than %d groups, refusing", c->user,
				 PEER_GROUPS_MAX);
	if (r < 0)
		return log_error_errno(r, "cannot read " USERS_GROUP);
	c->n_groups = n;
	return 0;
}

/* The hostname the caller gets: one it asked for if the policy lists it, else its first
 * Hostname=, else its user name. */
static int caller_hostname(const struct caller *c, const struct mint_grant *g, const char *asked,
			   char out[MINT_HOSTNAME_MAX + 1])
{
	if (g->n_hostnames)
		memcpy(out, g->hostnames[0], strlen(g->hostnames[0]) + 1);
	else
		mint_hostname_from_user(c->user, out);
	if (!*asked)
		return mint_hostname_valid(out) ? 0 : -EINVAL;
	if (strcmp(asked, out) == 0)
		return 0;
	for (size_t i = 0; i < g->n_hostnames; i++)
		if (strcmp(asked, g->hostnames[i]) == 0) {
			memcpy(out, asked, strlen(asked) + 1);
			return 0;
		}
	return -EPERM;
}

static int read_request(int fd, char asked[MINT_HOSTNAME_MAX + 1])
{
	char line[REQUEST_MAX];
	size_t n;
	int r = mint_read_text(fd, line, sizeof(line), true, &n);

	if (r < 0 || n == 0 || line[n - 1] != '\n')
		return -EBADMSG;
	line[n - 1] = '\0';
	if (strcmp(line, "MINT") == 0) {
		asked[0] = '\0';
		return 0;
	}
	if (strncmp(line, "MINT ", 5) != 0 || !mint_hostname_valid(line + 5))
		return -EBADMSG;
	memcpy(asked, line + 5, strlen(line + 5) + 1); /* valid: at most MINT_HOSTNAME_MAX */
	return 0;
}

static const char *oauth_path(const struct mint_policy *p, char *buf, size_t size)
{
	const char *creds = secure_getenv("CREDENTIALS_DIRECTORY");

	if (creds && *creds) {
		snprintf(buf, size, "%s/oauth.env", creds);
		return buf;
	}
	return p->n_oauth_files ? p->oauth_files[0] : MINT_OAUTH_DEFAULT;
}

static int serve_mint(int fd, const struct mint_policy *p, const struct caller *c,
		      const struct mint_grant *g, const char *hostname, unsigned timeout_s)
{
	struct mint_settings s;
	char path[4096], *key = NULL, *text = NULL;
	size_t len = 0;
	int r;

	r = mint_settings_load(oauth_path(p, path, sizeof(path)), true, &s);
	if (r < 0)
		return reply_error(fd, EXIT_USAGE, "the mint-key service is misconfigured");
	r = mint_api_mint(&s, hostname, g->tags, g->n_tags, timeout_s, &key);
	mint_settings_release(&s);
	if (r != EXIT_OK)
		return reply_error(fd, r, "minting failed, see the mint-key service log");
	r = mint_env_format(key, hostname, &text, &len);
	mint_wipe_free(key);
	if (r < 0)
		return reply_error(fd, EXIT_TEMPFAIL, "out of memory");
	r = fs_write_all(fd, "OK\n", 3);
	if (r >= 0)
		r = fs_write_all(fd, text, len);
	mint_wipe_free(text);
	if (r < 0)
		return log_error_errno_status(EXIT_TEMPFAIL, r, "cannot answer uid %u",
					      (unsigned)c->cred.uid);
	log_info("minted a key for uid %u (%s) as %s", (unsigned)c->cred.uid, c->user, hostname);
	return EXIT_OK;
}

static int serve_caller(int fd, const struct mint_policy *p, const struct caller *c,
			unsigned timeout_s)
{
	char asked[MINT_HOSTNAME_MAX + 1], hostname[MINT_HOSTNAME_MAX + 1];
	struct mint_grant g;
	int r;

	/* The request is read first: closing with it unread would reset the caller's socket
	 * before it reads why it was refused. */
	if (read_request(fd, asked) < 0)
		return reply_error(fd, EXIT_USAGE, "malformed request");
	r = mint_policy_member(p, c->cred.gid, c->groups, c->n_groups);
	if (r < 0)
		return reply_error(fd, EXIT_USAGE, "the mint-key service is misconfigured");
	if (r == 0) {
		log_error("uid %u (%s) is not in group %s, refusing", (unsigned)c->cred.uid,
			  c->user, p->group);
		return reply_error(fd, EXIT_USAGE, "caller is not in the mint group");
	}
	r = mint_policy_grant(p, c->user, &g);
	if (r < 0)
		return reply_error(fd, EXIT_USAGE,
				   r == -EPERM ? "the policy grants this caller nothing "
						 "(DefaultGrant=no)"
					       : "no tags for this caller in the policy");
	r = caller_hostname(c, &g, asked, hostname);
	if (r < 0) {
		log_error("uid %u (%s): hostname '%s' not allowed by the policy, refusing",
			  (unsigned)c->cred.uid, c->user, *asked ? asked : c->user);
		mint_grant_release(&g);
		return reply_error(fd, EXIT_USAGE, "hostname not allowed by the policy");
	}
	const char *dir = secure_getenv("RUNTIME_DIRECTORY");
	r = mint_rate_take(p, dir && *dir && !strchr(dir, ':') ? dir : MINT_RATE_DIR, c->cred.uid);
	if (r < 0) {
		mint_grant_release(&g);
		return reply_error(fd, EXIT_TEMPFAIL,
				   r == -EBUSY ? "rate limit exceeded"
					       : "rate counter unavailable");
	}
	r = serve_mint(fd, p, c, &g, hostname, timeout_s);
	mint_grant_release(&g);
	return r;
}

int mint_serve(const char *policy_path, unsigned timeout_s)
{
	struct mint_policy p;
	struct caller c = {0};
	char asked[MINT_HOSTNAME_MAX + 1];
	int fd = serve_fd(), r;

	mint_socket_timeouts(fd, MINT_REQUEST_TIMEOUT_S);
	if (serve_identity_check() < 0) {
		(void)read_request(fd, asked); /* so the caller reads why, see serve_caller */
		return reply_error(fd, EXIT_USAGE, "the mint-key service is misconfigured");
	}
	r = caller_identify(fd, &c);
	if (r < 0)
		return reply_error(fd, EXIT_USAGE, "caller not identified");
	r = mint_policy_load(policy_path, &p);
	if (r < 0)
		return reply_error(fd, EXIT_USAGE, "the mint-key service is misconfigured");
	mint_socket_timeouts(fd, timeout_s + MINT_REQUEST_TIMEOUT_S);
	r = serve_caller(fd, &p, &c, timeout_s);
	mint_policy_release(&p);
	return r;
}
