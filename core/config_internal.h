/* config_internal.h: what config.c and config_value.c share — the value checks, each returning
 * NULL for a good value or a static reason. Not for applets. */
#ifndef TAILPOD_CONFIG_INTERNAL_H
#define TAILPOD_CONFIG_INTERNAL_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

/* The transport a git URL names, for the warnings config.c adds. */
enum config_url_kind {
	CONFIG_URL_HTTPS, /* https:// */
	CONFIG_URL_SSH,	  /* ssh://, git+ssh://, ssh+git://, [user@]host:path */
	CONFIG_URL_PLAIN, /* http://, git:// — unauthenticated */
	CONFIG_URL_LOCAL, /* file://, /path */
};

const char *config_parse_bool(const char *v, bool *ret);
const char *config_parse_uint(const char *v, unsigned min, unsigned max, unsigned *ret);
const char *config_check_path(const char *v);
const char *config_check_url(const char *v, enum config_url_kind *ret);
bool config_url_has_password(const char *v);
const char *config_check_branch(const char *v);
/* The first len bytes of v (a token of a list). */
const char *config_check_name(const char *v, size_t len);

#endif
