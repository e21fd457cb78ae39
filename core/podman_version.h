/* podman_version.h: a Podman release number (5.4.2), parsed from a user's setting or from
 * `podman --version`, compared and printed. The quadlet key table tags keys with these. */
#ifndef TAILPOD_PODMAN_VERSION_H
#define TAILPOD_PODMAN_VERSION_H

#include <stdbool.h>
#include <stddef.h>

enum {
	PODMAN_VERSION_PART_MAX = 9999,	   /* a larger number is not a Podman version */
	PODMAN_VERSION_MAIN_MAJOR = 65535, /* the "main" marker: after every release */
	PODMAN_VERSION_TEXT_MAX = 64,	   /* longer input is refused unread */
	PODMAN_VERSION_STR_MAX = 16,	   /* room for "9999.9999.9999" or "main" and NUL */
};

/* {0, 0, 0} is "none" (no version); a major of PODMAN_VERSION_MAIN_MAJOR is Podman's main
 * branch, newer than any release. */
struct podman_version {
	unsigned major, minor, patch;
};

/*
 * Parse "X.Y" or "X.Y.Z" (decimal, each part at most PODMAN_VERSION_PART_MAX, no sign or
 * space), optionally followed by "-" or "+" and at least one of [A-Za-z0-9.~_+-] ("5.6.0-dev",
 * "4.9.4-rhel"), which is ignored. 0, or -EINVAL (ret untouched); input longer than
 * PODMAN_VERSION_TEXT_MAX bytes is refused.
 */
int podman_version_parse(const char *text, struct podman_version *ret);

/* The version in `podman --version` output: "podman version 5.4.2\n" (the last word of the first
 * line, parsed as above). 0 or -EINVAL. size bounds the read; text need not be NUL-terminated. */
int podman_version_from_output(const char *text, size_t size, struct podman_version *ret);

/* <0, 0, >0 as a is older than, the same as, newer than b. */
int podman_version_cmp(const struct podman_version *a, const struct podman_version *b);

/* Whether v is set (not {0, 0, 0}). */
bool podman_version_is_set(const struct podman_version *v);

/* "5.5" (patch 0 left out), "5.4.2", or "main", into buf (PODMAN_VERSION_STR_MAX is enough;
 * truncated to size otherwise). Returns buf. */
const char *podman_version_format(const struct podman_version *v, char *buf, size_t size);

#endif
