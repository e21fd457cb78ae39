/* doctor.c: `tailpod doctor` — read-only health and security-posture report. It answers "what is
 * wrong with this host, and is it still as safe as the install promised?" in one screen, from
 * files and cgroups, so it works where little else does (a rescue shell, no systemd, a config
 * that no longer loads: that is one of its findings). It never takes the lock, writes nothing and
 * runs nothing that changes state. The checks live in applets/doctor/, one file per category. */
#include "applets.h"
#include "doctor/doctor.h"

#include "core.h"
#include "log.h"
#include "opt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The command line, parsed into doctor_main's frame: a second run starts clean. */
struct doctor_args {
	bool json;
	const char *config;
	const char *only;
	const char *workload;
};

static const struct {
	const char *name;
	void (*run)(struct doctor *d);
} categories[] = {
	{"install", doctor_install},   {"config", doctor_config}, {"secrets", doctor_secrets},
	{"accounts", doctor_accounts}, {"homes", doctor_homes},	  {"workloads", doctor_workloads},
	{"host", doctor_host},
};

static const char doctor_summary[] =
	"Report the health of this host and of every workload, and the security posture\n"
	"of tailpod's files (secret modes, groups, units). Changes nothing. Categories:\n"
	"install, config, secrets, accounts, homes, workloads, host. Exit 0 when no row\n"
	"FAILs, 1 when one does.";

static int doctor_parse_args(struct doctor_args *args, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_BOOL(0, "json", &args->json, "print the report as JSON"),
		OPT_STRING(0, "only", &args->only, "CATEGORY", "run one category of checks"),
		OPT_STRING(0, "workload", &args->workload, "NAME", "check this workload only"),
		OPT_STRING(0, "config", &args->config, "FILE",
			   "settings file (default /etc/tailpod/config.env)"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "doctor",
		.synopsis = "[OPTIONS]",
		.summary = doctor_summary,
		.opts = opts,
		.min_args = 0,
		.max_args = 0,
	};
	int nargs;

	return opt_parse(&cli, argc, argv, &nargs);
}

/* The settings, or the built-in defaults when they do not load (the failure is kept for the
 * config row: the other checks still run against the default paths). */
static struct config *load_config(const char *path, char *why, size_t size)
{
	struct config_paths paths;
	struct config_error err = {0};
	struct config *c = NULL;
	int r;

	why[0] = '\0';
	config_paths_init(&paths, path);
	r = config_load(&paths, &c, &err);
	if (r >= 0)
		return c;
	if (err.line)
		snprintf(why, size, "%.100s:%u: %.200s", err.where ? err.where : paths.config,
			 err.line, err.msg);
	else
		snprintf(why, size, "%.100s: %.200s", err.where ? err.where : paths.config,
			 err.msg[0] ? err.msg : strerror(-r));
	/* A path that never exists, not given explicitly and with no quadsync to migrate: the
	 * defaults. */
	paths.config = "/nonexistent/tailpod/config.env";
	paths.explicit_config = false;
	paths.quadsync = NULL;
	return config_load(&paths, &c, NULL) < 0 ? NULL : c;
}

/* STATE/workloads, opened without creating it (state_dir_open() would). */
static int records_open(const char *state_dir, int *ret_fd)
{
	char path[4096];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/workloads", state_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* The records sync keeps, with each one's passwd entry. A missing directory is no workloads. */
static void load_records(struct doctor *d)
{
	char **names = NULL;
	size_t n = 0;
	int fd = -1, r = records_open(d->config->state_dir, &fd);

	if (r == -ENOENT)
		return;
	if (r >= 0)
		r = state_list(fd, &names, &n);
	if (r >= 0 && n)
		d->workloads = calloc(n, sizeof(*d->workloads));
	for (size_t i = 0; r >= 0 && d->workloads && i < n; i++) {
		struct doctor_workload *w = &d->workloads[d->n_workloads];

		if (d->workload && strcmp(names[i], d->workload) != 0)
			continue;
		if (state_record_load(fd, names[i], &w->rec) < 0) {
			snprintf(w->rec.name, sizeof(w->rec.name), "%s", names[i]);
			w->rec.uid = (uid_t)-1; /* unreadable: the workloads row says so */
		}
		if (d->etc)
			(void)users_db_find_user(d->etc, names[i], &w->user);
		d->n_workloads++;
	}
	if (r < 0 &&
	    asprintf(&d->records_error, "%s/workloads: %s", d->config->state_dir, strerror(-r)) < 0)
		d->records_error = NULL;
	free(names);
	if (fd >= 0)
		close(fd);
}

static void doctor_release(struct doctor *d)
{
	for (size_t i = 0; i < d->n_workloads; i++)
		state_record_release(&d->workloads[i].rec);
	free(d->workloads);
	free(d->records_error);
	users_db_free(d->etc);
	users_db_free(d->alt);
}

static bool category_known(const char *name)
{
	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
		if (strcmp(categories[i].name, name) == 0)
			return true;
	return false;
}

static int doctor_run(struct doctor *d, const struct doctor_args *args)
{
	d->systemd = access("/run/systemd/system", F_OK) == 0; /* sd_booted()'s test */
	systemd_cmds_init(&d->cmds);
	if (users_db_load(NULL, USERS_SOURCE_ETC, &d->etc) < 0)
		d->etc = NULL;
	if (users_db_load(NULL, USERS_SOURCE_ALTFILES, &d->alt) < 0)
		d->alt = NULL;
	load_records(d);
	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
		if (d->only && strcmp(d->only, categories[i].name) != 0)
			continue;
		d->category = categories[i].name;
		categories[i].run(d);
	}
	return args->json ? doctor_print_json(d) : doctor_print_table(d, isatty(STDOUT_FILENO));
}

int doctor_main(int argc, char **argv)
{
	struct doctor_args args = {0};
	struct doctor *d;
	struct config *c;
	char why[DOCTOR_DETAIL_MAX];
	int r = doctor_parse_args(&args, argc, argv);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	if (args.only && !category_known(args.only))
		return log_error_status(EXIT_USAGE, "--only %s: no such category", args.only);
	c = load_config(args.config, why, sizeof(why));
	d = calloc(1, sizeof(*d));
	if (!c || !d) {
		config_free(c);
		free(d);
		return log_error_errno_status(EXIT_FAIL, -ENOMEM, "cannot start");
	}
	d->config = c;
	d->config_error = why[0] ? why : NULL;
	d->only = args.only;
	d->workload = args.workload;
	r = doctor_run(d, &args);
	doctor_release(d);
	free(d);
	config_free(c);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}
