/*
 * main.c: the dispatcher, the only code that knows every applet. tailpod is invoked as
 * "tailpod APPLET ...", through a link named "tailpod-APPLET", or through a link named after
 * the applet itself; it also answers --list and --version.
 */
#include "applets.h"
#include "buildinfo.h"

#include "core.h"
#include "log.h"

#include <bearssl.h>
#include <errno.h>
#include <git2.h>
#include <libssh2.h>
#include <mbedtls/version.h>
#include <sodium/version.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct applet {
	const char *name;
	int (*main)(int argc, char **argv);
	unsigned setup_flags; /* enum applet_setup_flags */
};

static const struct applet applets[] = {
#define APPLET(name, ident, flags) {name, ident##_main, flags},
#include "applets.def"
#undef APPLET
};

enum {
	APPLET_PREFIX_LEN = sizeof("tailpod-") - 1,
	LOG_NAME_MAX = 64,
	LOCK_PATH_MAX = 4096,
};

/* The applet run_applet() started: applet_setup() does what its row asks. */
static const struct applet *applet_running;

static const struct applet *applet_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(applets); i++)
		if (strcmp(applets[i].name, name) == 0)
			return &applets[i];
	return NULL;
}

static void print_list(FILE *to)
{
	for (size_t i = 0; i < ARRAY_SIZE(applets); i++)
		fprintf(to, "%s\n", applets[i].name);
}

static void print_usage(FILE *to)
{
	fprintf(to, "Usage: tailpod APPLET [ARGS...]\n"
		    "       tailpod --list | --version | --help\n"
		    "Run 'tailpod APPLET --help' for an applet's options. Applets:\n");
	print_list(to);
}

static void print_libgit2_features(void)
{
	int features = git_libgit2_features();

	printf("libgit2 features:");
	if (features & GIT_FEATURE_THREADS)
		printf(" threads");
	if (features & GIT_FEATURE_HTTPS)
		printf(" https");
	if (features & GIT_FEATURE_SSH)
		printf(" ssh");
	if (features & GIT_FEATURE_NSEC)
		printf(" nsec");
	printf("\n");
}

/* Library versions come from the libraries themselves, at run time, except BearSSL's. */
static int print_version(void)
{
	char mbedtls[32];
	int major, minor, rev;

	git_libgit2_version(&major, &minor, &rev);
	mbedtls_version_get_string(mbedtls);
	printf("tailpod %s\n", TAILPOD_VERSION);
	printf("commit %s, built %s, %s\n", TAILPOD_COMMIT, TAILPOD_BUILD_DATE, TAILPOD_ARCH);
	printf("libgit2 %d.%d.%d\n", major, minor, rev);
	print_libgit2_features();
	printf("mbedTLS %s\n", mbedtls);
	printf("libssh2 %s\n", libssh2_version(0));
	printf("zlib %s\n", zlibVersion());
	printf("libsodium %s\n", sodium_version_string());
	/* BearSSL has no version call; this is the version it was built from. */
	printf("BearSSL %s (build-time)\n", TAILPOD_BEARSSL_VERSION);
	return EXIT_OK;
}

/*
 * What the applet printed must have reached stdout: a full disk or a closed descriptor would
 * otherwise be lost at exit with status 0 (git's run_builtin). A reader that went away (EPIPE) is
 * not our failure. Returns status, or EXIT_FAIL in place of EXIT_OK when the write failed.
 */
static int finish_stdout(int status)
{
	bool failed = false;
	int err = 0;

	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		failed = true;
		err = errno;
	}
	errno = 0;
	if (fclose(stdout) != 0 && !failed) {
		failed = true;
		err = errno;
	}
	if (!failed || err == EPIPE)
		return status;
	if (err)
		log_error_errno(-err, "cannot write to stdout");
	else /* the write that failed was an earlier one, its errno is gone */
		log_error("cannot write to stdout: a write failed");
	return status == EXIT_OK ? EXIT_FAIL : status;
}

/* A config that did not load: the applet's error, or with an optional one a warning. */
static int config_failed(const struct config_paths *paths, const struct config_error *err,
			 bool optional)
{
	int level = optional ? LOG_LEVEL_WARNING : LOG_LEVEL_ERR;
	const char *ignoring = optional ? ", ignoring" : "";

	if (err->line)
		log_emit(level, 0, "%s:%u: %s%s", err->where, err->line, err->msg, ignoring);
	else
		log_emit(level, 0, "%s: %s%s", err->where ? err->where : paths->config, err->msg,
			 ignoring);
	return optional ? EXIT_OK : EXIT_USAGE;
}

/* config.env, or quadsync's, with its warnings logged; *ret stays NULL when it failed. */
static int setup_config(const char *path, unsigned flags, struct config **ret)
{
	bool optional = flags & APPLET_CONFIG_OPTIONAL;
	struct config_error err = {0};
	struct config_paths paths;
	struct config *c = NULL;

	config_paths_init(&paths, path);
	if (config_load(&paths, &c, &err) < 0)
		return config_failed(&paths, &err, optional);
	for (size_t i = 0; i < c->diags.n; i++)
		log_warning("%s:%u: %s", c->diags.items[i].path, c->diags.items[i].line,
			    c->diags.items[i].msg);
	if (c->source == CONFIG_SOURCE_QUADSYNC)
		log_notice("no %s: using quadsync's settings from %s", CONFIG_PATH, c->source_path);
	if ((flags & APPLET_CONFIG_GIT) && config_require_git(c, &err) < 0) {
		int status = config_failed(&paths, &err, optional); /* err.where is c's */

		config_free(c);
		return status;
	}
	*ret = c;
	return EXIT_OK;
}

/* STATE/sync.lock, in the state directory (created when missing): one applet that changes the
 * host at a time. */
static int setup_lock(const struct config *c, struct lock *ret)
{
	char path[LOCK_PATH_MAX];
	struct lock_holder holder;
	const char *who;
	int r;

	snprintf(path, sizeof(path), "%s/sync.lock", c->state_dir);
	if (mkdir(c->state_dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno_status(
			EXIT_FAIL, -errno, "cannot create the state directory '%s'", c->state_dir);
	r = lock_acquire_as(path, applet_running->name, ret, &holder);
	/* The holder as its record names it (sync, gc, ...): not necessarily this applet. */
	who = holder.name[0] ? holder.name : "tailpod run";
	if (r == 0 && holder.pid > 0)
		return log_error_status(EXIT_TEMPFAIL, "another %s (pid %d) holds %s", who,
					(int)holder.pid, path);
	if (r == 0)
		return log_error_status(EXIT_TEMPFAIL, "another %s holds %s", who, path);
	if (r < 0)
		return log_error_errno_status(EXIT_FAIL, r, "cannot take the lock '%s'", path);
	return EXIT_OK;
}

int applet_setup(const char *config_path, struct applet_env *ret_env)
{
	unsigned flags = applet_running ? applet_running->setup_flags : 0;
	int status = EXIT_OK;

	*ret_env = APPLET_ENV_INIT;
	if ((flags & APPLET_ROOT) && geteuid() != 0)
		return log_error_status(EXIT_USAGE, "must run as root");
	if (flags & (APPLET_CONFIG | APPLET_CONFIG_GIT | APPLET_CONFIG_OPTIONAL))
		status = setup_config(config_path, flags, &ret_env->config);
	if (status == EXIT_OK && (flags & APPLET_LOCK) && ret_env->config)
		status = setup_lock(ret_env->config, &ret_env->lock);
	if (status != EXIT_OK)
		applet_env_release(ret_env);
	return status;
}

void applet_env_release(struct applet_env *env)
{
	lock_release(&env->lock);
	config_free(env->config);
	env->config = NULL;
}

static int run_applet(const struct applet *applet, int argc, char **argv)
{
	char log_name[LOG_NAME_MAX];
	int status;

	snprintf(log_name, sizeof(log_name), "tailpod %s", applet->name);
	log_setup(log_name);
	applet_running = applet;
	status = applet->main(argc, argv);
	applet_running = NULL;
	return finish_stdout(status);
}

static int unknown_applet(const char *name)
{
	log_setup("tailpod");
	log_error("unknown applet '%s'", name);
	print_usage(stderr);
	return EXIT_USAGE;
}

/* "tailpod ARGS": argv[1] is an applet or one of the toolbox's own options. */
static int toolbox_main(int argc, char **argv)
{
	const struct applet *applet;

	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	log_setup("tailpod");
	if (strcmp(argv[1], "--list") == 0) {
		print_list(stdout);
		return finish_stdout(EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0)
		return finish_stdout(print_version());
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(stdout);
		return finish_stdout(EXIT_OK);
	}
	applet = applet_find(argv[1]);
	if (!applet)
		return unknown_applet(argv[1]);
	return run_applet(applet, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const char *self = argc > 0 && argv[0] ? argv[0] : "tailpod";
	const char *base = strrchr(self, '/');
	const struct applet *applet;

	base = base ? base + 1 : self;
	if (strcmp(base, "tailpod") == 0)
		return toolbox_main(argc, argv);
	if (strncmp(base, "tailpod-", APPLET_PREFIX_LEN) == 0)
		base += APPLET_PREFIX_LEN;
	applet = applet_find(base);
	if (!applet)
		return unknown_applet(base);
	return run_applet(applet, argc, argv);
}
