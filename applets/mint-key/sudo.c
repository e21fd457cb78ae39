/*
 * sudo.c: mode 2 of mint-key, a drop-in for the predecessor's `sudo tailmint -config … -tag …
 * -hostname … -output …`, without its flaw (any member of the sudo group could overwrite any file
 * as root). Here every argument is checked against the root-owned policy before anything
 * happens: the caller (SUDO_UID) must be in the policy's group, the config must be a listed
 * OAuthFile=, the tag an allowed one, the hostname a DNS label the policy allows, and the output
 * exactly /run/user/$SUDO_UID/ts-authkeys/HOSTNAME.env — derived, never chosen. The policy is
 * always /etc/tailpod/mint-key.conf (--policy is refused before this runs). The environment is
 * not trusted (API URL, CA bundle and proxy come from root-owned files only). The secret is read
 * as root by a non-dumpable process, then the process becomes the caller for good (non-dumpable
 * again: the uid change resets the flag, and the caller must not ptrace a process holding the
 * OAuth secret), opens the runtime directory without following a symlink, and only then talks to
 * the API and writes the file as the caller.
 */
#include "mint-key.h"

#include "core.h"
#include "exec.h"
#include "fs.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_USER "/run/user"

enum {
	SUDO_OUTPUT_PATH_MAX = sizeof(RUN_USER "/4294967295/ts-authkeys/.env") + MINT_HOSTNAME_MAX,
	UID_DECIMAL_MAX = sizeof("4294967295"), /* a uid_t in decimal, with its NUL */
};

struct sudo_caller {
	uid_t uid;
	gid_t gid;
	char user[USER_NAME_MAX + 1];
	gid_t groups[EXEC_GROUPS_MAX];
	size_t n_groups;
};

static int parse_id(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (v >= (unsigned long)(uid_t)-1) /* (uid_t)-1 is "no uid" */
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* The caller sudo names, from /etc/passwd and /etc/group (caller.c), never the environment's
 * word for its name or groups. */
static int sudo_identify(struct sudo_caller *c)
{
	struct mint_user u;
	unsigned uid, gid;
	int r;

	if (geteuid() != 0)
		return log_error(
			"without --via or --serve, mint-key must run through sudo (mode 2)");
	if (parse_id(getenv("SUDO_UID"), &uid) < 0 || parse_id(getenv("SUDO_GID"), &gid) < 0)
		return log_error("SUDO_UID and SUDO_GID must be set (run through sudo), refusing");
	r = mint_user_lookup(uid, &u);
	if (r == -ENOENT)
		return log_error("SUDO_UID %u has no entry in /etc/passwd, refusing", uid);
	if (r < 0)
		return log_error_errno(r, "cannot read " USERS_PASSWD " and " USERS_GROUP);
	c->uid = uid;
	c->gid = u.gid;
	snprintf(c->user, sizeof(c->user), "%s", u.name);
	r = mint_user_groups(u.name, u.gid, c->groups, EXEC_GROUPS_MAX, &c->n_groups);
	if (r == -E2BIG)
		return log_error("user %s is in more than %d groups, refusing", c->user,
				 EXEC_GROUPS_MAX);
	if (r < 0)
		return log_error_errno(r, "cannot read " USERS_GROUP);
	return 0;
}

static bool policy_lists(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Every argument against the policy; nothing has been touched yet when this refuses. */
static int sudo_check(const struct mint_policy *p, const struct sudo_caller *c,
		      const struct mint_grant *g, const char *config, const char *tag,
		      const char *hostname, const char *output)
{
	char want[SUDO_OUTPUT_PATH_MAX];

	if (mint_policy_member(p, c->gid, c->groups, c->n_groups) <= 0)
		return log_error("user %s is not in group %s, refusing", c->user, p->group);
	if (!hostname || !mint_hostname_valid(hostname))
		return log_error("-hostname must be a DNS label (letters, digits, '-'), refusing");
	if (g->n_hostnames && !policy_lists(g->hostnames, g->n_hostnames, hostname))
		return log_error("hostname '%s' is not allowed for %s by the policy, refusing",
				 hostname, c->user);
	snprintf(want, sizeof(want), RUN_USER "/%u/ts-authkeys/%s.env", (unsigned)c->uid, hostname);
	if (output && strcmp(output, want) != 0)
		return log_error("-output must be exactly %s, refusing", want);
	if (tag && !policy_lists(g->tags, g->n_tags, tag))
		return log_error("tag '%s' is not allowed for %s by the policy, refusing", tag,
				 c->user);
	if (config && !policy_lists(p->oauth_files, p->n_oauth_files, config) &&
	    !(p->n_oauth_files == 0 && strcmp(config, MINT_OAUTH_DEFAULT) == 0))
		return log_error("-config %s is not an OAuthFile= of the policy, refusing", config);
	return 0;
}

/* As the caller: /run/user/UID (owned by the caller), then ts-authkeys in it, no symlinks. */
static int sudo_open_output(const struct sudo_caller *c, int *ret_fd)
{
	_cleanup_close_ int root = open(RUN_USER, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int udir = -1;
	char uid[UID_DECIMAL_MAX];
	struct stat st;
	int r;

	if (root < 0)
		return log_error_errno(-errno, "cannot open " RUN_USER);
	snprintf(uid, sizeof(uid), "%u", (unsigned)c->uid);
	r = fs_open_beneath(root, uid, O_RDONLY | O_DIRECTORY, 0, &udir);
	if (r < 0)
		return log_error_errno(r, "cannot open " RUN_USER "/%s", uid);
	if (fstat(udir, &st) < 0 || st.st_uid != c->uid)
		return log_error(RUN_USER "/%s is not owned by %s, refusing", uid, c->user);
	r = fs_mkdir_beneath(udir, "ts-authkeys", 0700);
	if (r >= 0)
		r = fs_open_beneath(udir, "ts-authkeys", O_RDONLY | O_DIRECTORY, 0, ret_fd);
	if (r < 0)
		return log_error_errno(r, "cannot open " RUN_USER "/%s/ts-authkeys", uid);
	return 0;
}

static int sudo_become(const struct sudo_caller *c)
{
	struct exec_ids ids = {
		.uid = c->uid, .gid = c->gid, .groups = c->groups, .n_groups = c->n_groups};
	/* The whole process becomes the caller for good: the secret is already in memory, and
	 * everything after this (network, files) must run with the caller's rights only. */
	int r = exec_drop_ids(&ids);

	if (r < 0)
		return log_error_errno(r, "cannot become uid %u", (unsigned)c->uid);
	/* The kernel set the dumpable flag to fs.suid_dumpable with the new uid. */
	return mint_harden();
}

static int sudo_mint(const struct mint_policy *p, const struct sudo_caller *c,
		     const struct mint_grant *g, const char *config, const char *tag,
		     const char *hostname, unsigned timeout_s)
{
	char *const one[] = {(char *)tag};
	const char *oauth = config	       ? config
			    : p->n_oauth_files ? p->oauth_files[0]
					       : MINT_OAUTH_DEFAULT;
	struct mint_settings s;
	_cleanup_close_ int dfd = -1;
	char name[MINT_HOSTNAME_MAX + 8], *key = NULL, *text = NULL;
	size_t len;
	int r;

	if (mint_rate_take(p, MINT_RATE_DIR, c->uid) < 0)
		return EXIT_TEMPFAIL;
	if (mint_settings_load(oauth, false, &s) < 0)
		return EXIT_USAGE;
	if (sudo_become(c) < 0 || sudo_open_output(c, &dfd) < 0) {
		mint_settings_release(&s);
		return EXIT_USAGE;
	}
	r = mint_api_mint(&s, hostname, tag ? one : g->tags, tag ? 1 : g->n_tags, timeout_s, &key);
	mint_settings_release(&s);
	if (r != EXIT_OK)
		return r;
	snprintf(name, sizeof(name), "%s.env", hostname);
	r = mint_env_format(key, hostname, &text, &len);
	mint_wipe_free(key);
	if (r >= 0)
		r = fs_write_atomic(dfd, name, text, len, 0600);
	mint_wipe_free(text);
	if (r < 0)
		return log_error_errno_status(EXIT_TEMPFAIL, r,
					      "cannot write " RUN_USER "/%u/ts-authkeys/%s",
					      (unsigned)c->uid, name);
	return EXIT_OK;
}

int mint_sudo(const char *config, const char *tag, const char *hostname, const char *output,
	      unsigned timeout_s)
{
	struct sudo_caller c = {0};
	struct mint_policy p;
	struct mint_grant g;
	int r;

	if (sudo_identify(&c) < 0)
		return EXIT_USAGE;
	if (mint_policy_load(MINT_POLICY_DEFAULT, &p) < 0)
		return EXIT_USAGE;
	r = mint_policy_grant(&p, c.user, &g);
	if (r >= 0) {
		r = sudo_check(&p, &c, &g, config, tag, hostname, output);
		r = r < 0 ? EXIT_USAGE : sudo_mint(&p, &c, &g, config, tag, hostname, timeout_s);
		mint_grant_release(&g);
	} else {
		r = EXIT_USAGE;
	}
	mint_policy_release(&p);
	return r;
}
