/* config_internal.h: what config.c and config_value.c share — the value checks, each returning
 * NULL for a good value or a static reason. Not for applets. */
#ifndef TAILPOD_CONFIG_INTERNAL_H
#define TAILPOD_CONFIG_INTERNAL_H

#include "config.h"

struct envfile;

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>

/* The transport a git URL names, for the warnings config.c adds. */
enum config_url_kind {
	CONFIG_URL_HTTPS, /* https:// */
	CONFIG_URL_SSH,	  /* ssh://, git+ssh://, ssh+git://, [user@]host:path */
	CONFIG_URL_PLAIN, /* http://, git:// — unauthenticated */
	CONFIG_URL_LOCAL, /* file://, /path */
};

/* Where a value comes from, for messages. */
struct origin {
	const char *path;
	unsigned line;
	const char *key; /* as written in the file */
};

/* Fill err (may be NULL) with o and the message; returns r. */
int config_fail(struct config_error *err, const struct origin *o, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Open path with C4's checks (owner, no group/other write, no symlink) and parse it; -ENOENT is
 * returned without touching err. */
int config_read_checked(const char *path, uid_t owner, struct envfile **ret,
			struct config_error *err);
/* envfile's own diagnostics (dropped lines), under the file's path, into c->diags. */
int config_copy_envfile_diags(struct config *c, const char *path, const struct envfile *ef);

const char *config_parse_bool(const char *v, bool *ret);
const char *config_parse_uint(const char *v, unsigned min, unsigned max, unsigned *ret);
const char *config_check_path(const char *v);
const char *config_check_url(const char *v, enum config_url_kind *ret);
bool config_url_has_password(const char *v);
const char *config_check_branch(const char *v);
/* The first len bytes of v (a token of a list). */
const char *config_check_name(const char *v, size_t len);

#endif
