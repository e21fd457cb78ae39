/* origin.h: a git origin for the unit tests of gitrepo and desired — a scratch directory holding
 * a bare repository made with the system git and a working copy that commits and pushes to it,
 * reached over file:// (no network). Only the scratch repositories' own configuration counts:
 * origin_isolate() keeps the host's system and global git configuration out. */
#ifndef TAILPOD_TEST_ORIGIN_H
#define TAILPOD_TEST_ORIGIN_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gitrepo.h"
#include "scratch.h"

enum {
	ORIGIN_DIR_MAX = 128,  /* the scratch directory: a mkdtemp name in /tmp */
	ORIGIN_PATH_MAX = 256, /* a path below it */
	ORIGIN_CMD_MAX = 4096, /* a shell command */
};

struct origin {
	char dir[ORIGIN_DIR_MAX];	/* the scratch directory, removed whole by origin_free */
	char bare[ORIGIN_PATH_MAX];	/* DIR/origin.git */
	char work[ORIGIN_PATH_MAX];	/* DIR/work: the working copy */
	char url[ORIGIN_PATH_MAX + 8];	/* file://DIR/origin.git */
	char tip[GITREPO_OID_HEX_SIZE]; /* main of the origin after the last origin_commit() */
};

static inline void origin_isolate(void)
{
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
}

/* Run a shell command in the working copy; the test fails when it does. */
static inline void origin_sh(struct origin *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void origin_sh(struct origin *o, const char *fmt, ...)
{
	char cmd[ORIGIN_CMD_MAX], full[ORIGIN_CMD_MAX + ORIGIN_PATH_MAX + 32];
	va_list ap;

	va_start(ap, fmt);
	assert_true(vsnprintf(cmd, sizeof(cmd), fmt, ap) < (int)sizeof(cmd));
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s; } >/dev/null 2>&1", o->work, cmd);
	if (system(full) != 0)
		fail_msg("command failed: %s", cmd);
}

/* Commit everything in the working copy and push it as main (forced); remember the tip. */
static inline void origin_commit(struct origin *o, const char *msg)
{
	char cmd[ORIGIN_CMD_MAX];
	FILE *p;

	origin_sh(o,
		  "git add -A && git commit -q --allow-empty -m '%s' && "
		  "git push -q -f '%s' HEAD:main",
		  msg, o->bare);
	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse main", o->bare);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(o->tip, sizeof(o->tip), p));
	assert_int_equal(pclose(p), 0);
	assert_int_equal(strlen(o->tip), GITREPO_OID_HEX_SIZE - 1);
}

/* A new origin with an empty main, in a scratch directory named after the test; NULL on failure
 * (a setup failure, which cmocka reports). */
static inline struct origin *origin_new(const char *name)
{
	struct origin *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	snprintf(o->dir, sizeof(o->dir), "/tmp/tailpod-test-%s.XXXXXX", name);
	if (!mkdtemp(o->dir)) {
		free(o);
		return NULL;
	}
	snprintf(o->bare, sizeof(o->bare), "%s/origin.git", o->dir);
	snprintf(o->work, sizeof(o->work), "%s/work", o->dir);
	snprintf(o->url, sizeof(o->url), "file://%s", o->bare);
	if (mkdir(o->work, 0700) < 0) {
		scratch_remove(o->dir);
		free(o);
		return NULL;
	}
	origin_sh(o,
		  "git init -q --bare -b main '%s' && git init -q -b main && "
		  "git config user.name t && git config user.email t@t",
		  o->bare);
	return o;
}

static inline void origin_free(struct origin *o)
{
	if (!o)
		return;
	scratch_remove(o->dir);
	free(o);
}

#endif
