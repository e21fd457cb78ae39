/* podman_version.c: Podman release numbers — parse, compare, print (module boundary: core; no
 * dependencies). The text is hostile (a repo's config, a binary's output): every part and the
 * whole length are bounded, and anything unexpected is -EINVAL. */
#include "podman_version.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* One decimal part at *p, at most PODMAN_VERSION_PART_MAX; advances *p past it. */
static int parse_part(const char **p, const char *end, unsigned *ret)
{
	unsigned v = 0;
	const char *s = *p;

	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > PODMAN_VERSION_PART_MAX)
			return -EINVAL;
	}
	*p = s;
	*ret = v;
	return 0;
}

static bool suffix_ok(const char *p, const char *end)
{
	if (p == end)
		return true;
	if ((*p != '-' && *p != '+') || end - p < 2)
		return false;
	for (p++; p < end; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.~_+-",
			    *p) ||
		    *p == '\0')
			return false;
	return true;
}

static int parse_span(const char *p, const char *end, struct podman_version *ret)
{
	struct podman_version v = {0};

	if (end - p > PODMAN_VERSION_TEXT_MAX)
		return -EINVAL;
	if (parse_part(&p, end, &v.major) < 0 || p == end || *p++ != '.' ||
	    parse_part(&p, end, &v.minor) < 0)
		return -EINVAL;
	if (p < end && *p == '.' && (p++, parse_part(&p, end, &v.patch) < 0))
		return -EINVAL;
	if (!suffix_ok(p, end) || !podman_version_is_set(&v))
		return -EINVAL;
	*ret = v;
	return 0;
}

int podman_version_parse(const char *text, struct podman_version *ret)
{
	if (!text || strnlen(text, PODMAN_VERSION_TEXT_MAX + 1) > PODMAN_VERSION_TEXT_MAX)
		return -EINVAL;
	return parse_span(text, text + strlen(text), ret);
}

int podman_version_from_output(const char *text, size_t size, struct podman_version *ret)
{
	static const char prefix[] = "podman version ";
	const char *nl;

	if (!text || size < sizeof(prefix) - 1 || memcmp(text, prefix, sizeof(prefix) - 1) != 0)
		return -EINVAL;
	nl = memchr(text, '\n', size);
	if (!nl)
		nl = text + size;
	return parse_span(text + sizeof(prefix) - 1, nl, ret);
}

static int cmp_part(unsigned a, unsigned b)
{
	return (a > b) - (a < b);
}

int podman_version_cmp(const struct podman_version *a, const struct podman_version *b)
{
	int c = cmp_part(a->major, b->major);

	if (!c)
		c = cmp_part(a->minor, b->minor);
	return c ? c : cmp_part(a->patch, b->patch);
}

bool podman_version_is_set(const struct podman_version *v)
{
	return v->major || v->minor || v->patch;
}

const char *podman_version_format(const struct podman_version *v, char *buf, size_t size)
{
	if (v->major == PODMAN_VERSION_MAIN_MAJOR)
		snprintf(buf, size, "main");
	else if (v->patch)
		snprintf(buf, size, "%u.%u.%u", v->major, v->minor, v->patch);
	else
		snprintf(buf, size, "%u.%u", v->major, v->minor);
	return buf;
}
