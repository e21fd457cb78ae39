/* applets.h: the entry points of all applets, declared from applets.def, and the setup the
 * dispatcher does for them (the flags of applets.def). */
#ifndef TAILPOD_APPLETS_H
#define TAILPOD_APPLETS_H

#include "config.h"
#include "lock.h"

/* What an applet needs before it runs; the rows of applets.def say which (documented there). */
enum applet_setup_flags {
	APPLET_CONFIG = 1 << 0,
	APPLET_CONFIG_GIT = 1 << 1,
	APPLET_CONFIG_OPTIONAL = 1 << 2,
	APPLET_LOCK = 1 << 3,
	APPLET_ROOT = 1 << 4,
};

/* What applet_setup() prepared; released by applet_env_release(). */
struct applet_env {
	struct config *config; /* NULL without a config flag, or when an optional one failed */
	struct lock lock;      /* held with APPLET_LOCK */
};

#define APPLET_ENV_INIT ((struct applet_env){.config = NULL, .lock = LOCK_INIT})

/*
 * The setup applets.def declares for the running applet, called once by its main after its
 * options parsed: root, config (config_path is --config, or NULL for CONFIG_PATH), the lock.
 * Returns EXIT_OK, or the exit status with the reason logged (env is then released).
 */
int applet_setup(const char *config_path, struct applet_env *ret_env);
void applet_env_release(struct applet_env *env);

#define APPLET(name, ident, flags) int ident##_main(int argc, char **argv);
#include "applets.def"
#undef APPLET

#endif
