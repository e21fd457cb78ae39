/* settings.c: mint-key's settings from the predecessor's oauth.env (and, when trusted, the
 * environment): the OAuth client, the tailnet, the API and CA, the key's options. The file holds
 * the client secret: it is read through core's trusted-file layer, wiped when released. */
#define _GNU_SOURCE /* secure_getenv */
#include "mint-key.h"

#include "core.h"
#include "envfile.h"
#include "fs.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const ca_defaults[] = {"/etc/pki/tls/certs/ca-bundle.crt",
					  "/etc/ssl/certs/ca-certificates.crt"};

void mint_wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static int parse_bool(const char *v, bool *ret)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
		*ret = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

/* File first (root-owned), then the environment where it is ours to trust. */
static const char *setting(const struct mint_settings *s, bool trust_env, const char *name)
{
	const char *v = envfile_get(s->ef, name);

	if (!v && trust_env)
		v = secure_getenv(name);
	return v && *v ? v : NULL;
}

/* systemd's credentials directory is private to the unit (its files may carry group bits for the
 * service's dynamic user): no warning for a file there. */
static bool in_credentials_dir(const char *path)
{
	const char *dir = secure_getenv("CREDENTIALS_DIRECTORY");
	size_t n = dir ? strlen(dir) : 0;

	return n > 1 && strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int oauth_open(const char *path, int *ret_fd)
{
	const struct fs_trust trust = {
		.owner = geteuid(), .or_root = true, .deny_mode = FS_DENY_SHARED_WRITE};
	struct stat st = {0};
	int r = fs_open_trusted(AT_FDCWD, path, &trust, ret_fd, &st);

	if (r == -EISDIR || r == -EBADFD || r == -EPERM || (r == -EACCES && st.st_mode))
		return log_error("%s must be a regular file of root (or this service) writable "
				 "only by its owner, refusing",
				 path);
	if (r < 0)
		return log_error_errno(r, "cannot open %s", path);
	if ((st.st_mode & 044) && !in_credentials_dir(path))
		log_warning("%s is readable by others: it holds the OAuth client secret", path);
	return 0;
}

static int settings_numbers(struct mint_settings *s, bool trust_env, const char *path)
{
	static const char *const names[] = {"TS_KEY_EPHEMERAL", "TS_KEY_REUSABLE",
					    "TS_KEY_PREAUTHORIZED"};
	bool *dest[] = {&s->ephemeral, &s->reusable, &s->preauthorized};
	const char *v = setting(s, trust_env, "TS_KEY_EXPIRY_SECONDS");
	char *end;

	s->expiry_s = 3600;
	if (v) {
		s->expiry_s = strtol(v, &end, 10);
		if (*end || s->expiry_s < 1 || s->expiry_s > MINT_EXPIRY_MAX_S)
			return log_error("%s: TS_KEY_EXPIRY_SECONDS must be 1 to 7776000", path);
	}
	s->ephemeral = s->preauthorized = true;
	s->reusable = false;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		v = setting(s, trust_env, names[i]);
		if (v && parse_bool(v, dest[i]) < 0)
			return log_error("%s: %s must be true or false", path, names[i]);
	}
	return 0;
}

static const char *ca_default(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ca_defaults); i++)
		if (access(ca_defaults[i], R_OK) == 0)
			return ca_defaults[i];
	return ca_defaults[0];
}

int mint_settings_load(const char *path, bool trust_env, struct mint_settings *ret)
{
	struct mint_settings s = {0};
	struct envfile_error eerr = {0};
	struct envfile *ef = NULL;
	_cleanup_close_ int fd = -1;
	int r = oauth_open(path, &fd);

	if (r < 0)
		return r;
	r = envfile_parse_fd(path, fd, &ef, &eerr);
	if (r < 0)
		return log_error_errno(r, "%s:%u: %s", path, eerr.line,
				       eerr.msg ? eerr.msg : "cannot parse");
	s.ef = ef;
	s.client_id = setting(&s, false, "TS_API_CLIENT_ID");
	s.client_secret = setting(&s, false, "TS_API_CLIENT_SECRET");
	s.tailnet = setting(&s, trust_env, "TS_TAILNET");
	s.api_url = setting(&s, trust_env, "TS_API_URL");
	s.ca_file = setting(&s, trust_env, "TS_CA_BUNDLE");
	s.proxy = setting(&s, trust_env, "HTTPS_PROXY");
	if (!s.proxy)
		s.proxy = setting(&s, trust_env, "https_proxy");
	s.tailnet = s.tailnet ? s.tailnet : "-";
	s.api_url = s.api_url ? s.api_url : MINT_API_DEFAULT;
	s.ca_file = s.ca_file ? s.ca_file : ca_default();
	if (!s.client_id || !s.client_secret)
		r = log_error("%s: TS_API_CLIENT_ID and TS_API_CLIENT_SECRET must be set", path);
	if (r >= 0)
		r = settings_numbers(&s, trust_env, path);
	if (r < 0) {
		mint_settings_release(&s);
		return r;
	}
	*ret = s;
	return 0;
}

void mint_settings_release(struct mint_settings *s)
{
	envfile_free(s->ef);
	*s = (struct mint_settings){0};
}
