/* config_value.c: the value rules of config.env (module boundary: core, libc only) — booleans as
 * systemd's parse_boolean(), bounded decimal numbers, absolute paths, git URLs and branch names,
 * user and group names. Each check returns NULL when the value is good, else a static reason that
 * config.c puts after the key in its error message. */
#include "config_internal.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

/* systemd's parse_boolean() set, case-insensitive, so a file systemd units share reads the same. */
const char *config_parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return NULL;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return NULL;
		}
	}
	return "not a boolean (yes/no, true/false, on/off, 1/0)";
}

/* Decimal digits only: no sign, blanks or suffix, so "10m" cannot silently mean 10. */
const char *config_parse_uint(const char *v, unsigned min, unsigned max, unsigned *ret)
{
	unsigned long n = 0;

	if (!*v)
		return "not a number";
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return "not a decimal number";
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > max)
			return "out of range";
	}
	if (n < min)
		return "out of range";
	*ret = (unsigned)n;
	return NULL;
}

const char *config_check_path(const char *v)
{
	if (v[0] != '/')
		return "not an absolute path";
	if (strlen(v) >= PATH_MAX)
		return "longer than 4095 bytes (PATH_MAX)";
	if (has_control(v))
		return "contains a control character (a newline?)";
	return NULL;
}

static bool scheme_is(const char *v, size_t len, const char *scheme)
{
	return strlen(scheme) == len && strncasecmp(v, scheme, len) == 0;
}

/* The transports libgit2 (as tailpod builds it) can fetch over; anything else, such as "ext::",
 * is refused here, before it reaches a transport. */
static const char *url_scheme_kind(const char *v, size_t len, enum config_url_kind *ret)
{
	if (scheme_is(v, len, "https"))
		*ret = CONFIG_URL_HTTPS;
	else if (scheme_is(v, len, "ssh") || scheme_is(v, len, "ssh+git") ||
		 scheme_is(v, len, "git+ssh"))
		*ret = CONFIG_URL_SSH;
	else if (scheme_is(v, len, "http") || scheme_is(v, len, "git"))
		*ret = CONFIG_URL_PLAIN;
	else if (scheme_is(v, len, "file"))
		*ret = CONFIG_URL_LOCAL;
	else
		return "unsupported scheme (use https://, ssh://, user@host:path, git:// or "
		       "file://)";
	return NULL;
}

/* Values are never quoted back: a URL may carry a password. */
const char *config_check_url(const char *v, enum config_url_kind *ret)
{
	const char *sep = strstr(v, "://"), *colon = strchr(v, ':'), *slash = strchr(v, '/');

	if (strlen(v) >= CONFIG_URL_MAX)
		return "longer than 2047 bytes (CONFIG_URL_MAX)";
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
			return "contains a blank or control character";
	if (v[0] == '-')
		return "starts with '-'";
	if (sep)
		return url_scheme_kind(v, (size_t)(sep - v), ret);
	*ret = CONFIG_URL_LOCAL;
	if (v[0] == '/')
		return NULL;
	/* scp-like "[user@]host:path": a colon before any slash, after a non-empty host; "::"
	 * is git's remote-helper syntax (ext::COMMAND), never a host */
	if (colon && colon != v && (!slash || colon < slash) && colon[1] && colon[1] != ':') {
		*ret = CONFIG_URL_SSH;
		return NULL;
	}
	return "not a URL git can fetch (https://, ssh://, user@host:path, git:// or file://)";
}

bool config_url_has_password(const char *v)
{
	const char *sep = strstr(v, "://"), *end, *at, *colon;

	if (!sep)
		return false;
	sep += 3;
	end = sep + strcspn(sep, "/?#");
	at = memchr(sep, '@', (size_t)(end - sep));
	colon = at ? memchr(sep, ':', (size_t)(at - sep)) : NULL;
	return colon != NULL;
}

/* git check-ref-format's rules for refs/heads/NAME, so a typo fails at load with a line number
 * rather than at fetch time. */
const char *config_check_branch(const char *v)
{
	size_t len = strlen(v);

	if (len >= CONFIG_BRANCH_MAX)
		return "longer than 199 bytes (CONFIG_BRANCH_MAX)";
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f ||
		    strchr("~^:?*[\\", *p))
			return "contains a blank, a control character or one of ~^:?*[\\";
	if (v[0] == '-' || v[0] == '/' || v[len - 1] == '/' || v[len - 1] == '.' ||
	    strcmp(v, "@") == 0)
		return "not a valid branch name";
	if (strstr(v, "..") || strstr(v, "//") || strstr(v, "@{") || strstr(v, "/."))
		return "not a valid branch name";
	if (v[0] == '.' || (len >= 5 && strcmp(v + len - 5, ".lock") == 0) || strstr(v, ".lock/"))
		return "not a valid branch name";
	return NULL;
}

/* Portable names as useradd and systemd accept them: [A-Za-z_][A-Za-z0-9_.-]*, an optional final
 * '$' (machine accounts), at most USER_NAME_MAX bytes. */
const char *config_check_name(const char *v, size_t len)
{
	if (len == 0)
		return "empty name";
	if (len > USER_NAME_MAX)
		return "name longer than 32 bytes (USER_NAME_MAX)";
	for (size_t i = 0; i < len; i++) {
		char ch = v[i];
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
		bool rest = (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';

		if (i == 0 && !alpha)
			return "a name must start with a letter or '_'";
		if (!alpha && !rest && !(ch == '$' && i == len - 1))
			return "a name may only contain letters, digits, '_', '.', '-'";
	}
	return NULL;
}
