/* backup_exclude.c: the secret paths of a host and the one match every backup scope uses
 * (backup_exclude.h). A rule is a path and everything beneath it, plus its inode at init. */
#include "backup_exclude.h"

#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Component chains that hold secrets wherever they appear in a path (a home, a volume, /run). */
static const struct {
	const char *chain;
	const char *reason;
} secret_chains[] = {
	{"containers/storage/secrets", "Podman's secret store"},
	{"ts-authkeys", "minted keys (tailpod mint-key output)"},
};

static bool path_normalized(const char *p)
{
	if (p[0] != '/')
		return false;
	if (p[1] == '\0')
		return true;
	for (const char *c = p + 1;; c++) {
		size_t len = strcspn(c, "/");

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += len;
		if (*c == '\0')
			return true;
	}
}

/* path equals prefix, or lies beneath it. */
static bool path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return true;
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* chain ("a/b") appears as whole components somewhere in path. */
static bool path_has_chain(const char *path, const char *chain)
{
	size_t n = strlen(chain);

	for (const char *s = strstr(path, chain); s; s = strstr(s + 1, chain))
		if (s > path && s[-1] == '/' && (s[n] == '\0' || s[n] == '/'))
			return true;
	return false;
}

int backup_exclude_add(struct backup_exclude *x, const char *path, const char *reason)
{
	struct backup_exclude_rule *rule;
	struct stat st;

	if (!path || !path_normalized(path))
		return -EINVAL;
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->rules[i].path, path) == 0)
			return 0;
	if (x->n >= BACKUP_EXCLUDE_RULES_MAX)
		return -E2BIG;
	rule = &x->rules[x->n];
	*rule = (struct backup_exclude_rule){.path = strdup(path), .reason = reason};
	if (!rule->path)
		return -ENOMEM;
	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
		*rule = (struct backup_exclude_rule){rule->path, reason, true, st.st_dev,
						     st.st_ino};
	x->n++;
	return 0;
}

int backup_exclude_init(struct backup_exclude *x, const struct config *c)
{
	const struct {
		const char *path, *reason;
	} fixed[] = {
		{BACKUP_SECRETS_DIR, "tailpod's secrets directory"},
		{BACKUP_OAUTH_DEFAULT, "the OAuth client (mint-key)"},
		{c ? c->ssh_key : NULL, "the deploy key (TAILPOD_SSH_KEY)"},
		{c ? c->git_token_file : NULL, "the git token (TAILPOD_GIT_TOKEN_FILE)"},
		{c ? c->age_key : NULL, "the host's age identity (TAILPOD_AGE_KEY)"},
	};
	int r;

	*x = (struct backup_exclude){0};
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (!fixed[i].path)
			continue;
		r = backup_exclude_add(x, fixed[i].path, fixed[i].reason);
		if (r < 0) {
			backup_exclude_release(x);
			return r;
		}
	}
	return 0;
}

bool backup_exclude_match(const struct backup_exclude *x, const char *host_path,
			  const struct stat *st, const char **ret_reason)
{
	const char *why = NULL;

	if (!host_path || !path_normalized(host_path))
		why = "not a normalized absolute path";
	for (size_t i = 0; !why && i < x->n; i++)
		if (path_under(host_path, x->rules[i].path) ||
		    (st && x->rules[i].have_ino && st->st_dev == x->rules[i].dev &&
		     st->st_ino == x->rules[i].ino && !S_ISDIR(st->st_mode)))
			why = x->rules[i].reason;
	if (!why && path_under(host_path, "/run"))
		why = "a runtime directory (minted keys, sockets)";
	for (size_t i = 0; !why && i < ARRAY_SIZE(secret_chains); i++)
		if (path_has_chain(host_path, secret_chains[i].chain))
			why = secret_chains[i].reason;
	if (why && ret_reason)
		*ret_reason = why;
	return why != NULL;
}

void backup_exclude_release(struct backup_exclude *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->rules[i].path);
	x->n = 0;
}
