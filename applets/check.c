/* check.c: `tailpod check` — validate and render a quadlet repo exactly as sync will deploy it.
 * The work is core's (config, repo, transform, spec): this file loads, runs spec_build() and
 * prints. Diagnostics are check's result, so they go to stdout, one "path:line: error: message"
 * per line (or one JSON document with --json); with --render the merged files go to stdout and
 * the diagnostics to stderr. Workload names are checked against core/names' reserved names, the
 * host's users, groups and units included only with --host or --host-root: a laptop or a CI
 * runner checking a repo must not fail on its own /etc/passwd. Exit 0 clean, 1 any error, 2 usage
 * or an unreadable directory. */
#include "applets.h"

#include "config.h"
#include "core.h"
#include "diag.h"
#include "check_json.h"
#include "check_secrets.h"
#include "log.h"
#include "names.h"
#include "opt.h"
#include "podman_version.h"
#include "fileset.h"
#include "spec.h"
#include "users.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The command line, parsed into check_main's frame: a second run starts clean. */
struct check_args {
	bool json, host;
	const char *transforms; /* --transforms DIR, or NULL for TAILPOD_TRANSFORM_DIR */
	const char *render;	/* --render NAME, or NULL */
	const char *host_root;	/* --host-root DIR, or NULL */
	const char *podman;	/* --podman-version X.Y[.Z], or NULL */
	struct podman_version podman_version; /* parsed from it */
};

static const char check_summary[] =
	"Validate every spec of REPO_DIR (default: the current directory) and the\n"
	"transforms merged into it, as sync would; print all problems to stdout as\n"
	"path:line: error: message. Exit 0 when clean, 1 on any error, 2 on a usage\n"
	"error or an unreadable directory. Defaults and protected user names come\n"
	"from /etc/tailpod/config.env, as for sync. Workload names reserved on every\n"
	"host (root, core, tailpod*, systemd-*, the users of tailpod's units,\n"
	"TAILPOD_PROTECTED_USERS) are errors; with --host also the names this host\n"
	"already uses, which sync always refuses.";

static int check_parse_args(struct check_args *args, int argc, char **argv, int *ret_nargs)
{
	const struct opt opts[] = {
		OPT_STRING(0, "transforms", &args->transforms, "DIR",
			   "transform directory (default: TAILPOD_TRANSFORM_DIR)"),
		OPT_STRING(0, "render", &args->render, "NAME",
			   "print the merged files workload NAME would deploy"),
		OPT_BOOL(0, "json", &args->json, "print the result as one JSON document"),
		OPT_BOOL(
			0, "host", &args->host,
			"also refuse names this host uses, as sync does:\nusers and groups tailpod "
			"does not manage,\nUser= of its system units"),
		OPT_STRING(0, "host-root", &args->host_root, "DIR",
			   "as --host, for the host whose /etc, /usr/lib\nand /run are below DIR"),
		OPT_STRING(0, "podman-version", &args->podman, "X.Y",
			   "refuse keys newer than this Podman\n(default: TAILPOD_PODMAN_VERSION)"),
		OPT_END,
	};
	const struct applet_cli cli = {
		.name = "check",
		.synopsis = "[OPTIONS] [REPO_DIR]",
		.summary = check_summary,
		.opts = opts,
		.min_args = 0,
		.max_args = 1,
	};

	return opt_parse(&cli, argc, argv, ret_nargs);
}

/* --- output -------------------------------------------------------------------------------- */

static void print_diags(const struct diag_list *diags, FILE *to)
{
	static char path[4 * PATH_MAX], msg[4 * DIAG_MSG_MAX];

	for (size_t i = 0; i < diags->n; i++) {
		log_escape(path, sizeof(path), diags->items[i].path);
		log_escape(msg, sizeof(msg), diags->items[i].msg);
		fprintf(to, "%s:%u: error: %s\n", path, diags->items[i].line, msg);
	}
	if (diags->n_dropped)
		log_error("%zu more errors not listed (DIAG_MAX)", diags->n_dropped);
}

static void print_unit(const struct spec_unit *u, bool first)
{
	printf("%s==> %s <==\n", first ? "" : "\n", u->name);
	fwrite(u->data, 1, u->size, stdout);
	if (u->size > 0 && u->data[u->size - 1] != '\n')
		putchar('\n');
}

/* What the apps' units name on the host (%h/..., /etc/...): listed once, not errors. */
static void log_host_paths(const struct spec_set *set)
{
	for (size_t i = 0; set && i < set->n_workloads; i++)
		for (size_t j = 0; j < set->workloads[i].n_host_paths; j++)
			log_info("%s: the host must provide %s", set->workloads[i].name,
				 set->workloads[i].host_paths[j]);
}

/* --- the checks ---------------------------------------------------------------------------- */

static int load_transforms(const struct check_args *args, const struct config *cfg,
			   struct fileset **ret, struct diag_list *diags)
{
	const char *dir = args->transforms ? args->transforms : cfg->transform_dir;
	int r = fileset_load_dir(dir, dir, FILESET_LOAD_FLAT | FILESET_LOAD_ALL, ret, diags);

	/* A host without transforms has none; a directory named on the command line must exist. */
	if (r == -ENOENT && !args->transforms) {
		*ret = NULL;
		return 0;
	}
	if (r < 0 && r != -E2BIG)
		return log_error_errno(r, "cannot read the transform directory %s", dir);
	return r;
}

static void log_diags(const struct diag_list *diags)
{
	for (size_t i = 0; i < diags->n; i++)
		log_warning("%s:%u: %s", diags->items[i].path, diags->items[i].line,
			    diags->items[i].msg);
}

/* What the host uses, when --host or --host-root asks for it (*ret NULL otherwise). Unreadable
 * lines and units are warnings: check still runs. */
static int load_host_names(const struct check_args *args, const struct config *cfg,
			   struct names_host **ret)
{
	struct users_db *etc = NULL, *alt = NULL;
	struct diag_list warnings = {0};
	const char *root = args->host_root;
	int r;

	*ret = NULL;
	if (!args->host && !root)
		return 0;
	r = users_db_load(root, USERS_SOURCE_ETC, &etc);
	if (r < 0)
		return log_error_errno(r, "cannot read %s%s and %s", root ? root : "", USERS_PASSWD,
				       USERS_GROUP);
	r = users_db_load(root, USERS_SOURCE_ALTFILES, &alt);
	if (r < 0 && r != -ENOENT)
		log_error_errno(r, "cannot read %s%s and %s", root ? root : "", USERS_ALT_PASSWD,
				USERS_ALT_GROUP);
	else if ((r = names_host_load(root, etc, alt, cfg->user_group, ret, &warnings)) < 0)
		log_error_errno(r, "cannot read the names this host uses");
	log_diags(&etc->diags);
	if (alt)
		log_diags(&alt->diags);
	log_diags(&warnings);
	diag_list_release(&warnings);
	users_db_free(alt);
	users_db_free(etc);
	return r;
}

/* The rules sync applies to the set before it changes anything: the workload count
 * (TAILPOD_MAX_WORKLOADS) and each workload's name (core/names). */
static int check_names(const struct spec_set *set, const struct config *cfg,
		       const struct names_host *host, const char *repo_label,
		       struct diag_list *diags)
{
	const struct names_rules rules = {
		.protected_names = cfg->protected_users,
		.n_protected = cfg->n_protected_users,
		.host = host,
	};
	char why[NAMES_WHY_MAX];

	if (set->n_workloads > cfg->max_workloads)
		diag_add(diags, repo_label, NULL, 1,
			 "%zu workloads, more than TAILPOD_MAX_WORKLOADS=%u: sync refuses this "
			 "commit (raise the setting to deploy more)",
			 set->n_workloads, cfg->max_workloads);
	for (size_t i = 0; i < set->n_workloads; i++) {
		const struct spec_workload *w = &set->workloads[i];

		if (names_reserved(w->name, &rules, why, sizeof(why)))
			diag_add(diags, "", w->source, 1, "'%s' %s", w->name, why);
	}
	diag_list_sort(diags);
	return diags->error;
}

static int report_result(const struct check_args *args, const struct spec_set *set,
			 const struct diag_list *diags)
{
	const struct spec_workload *render = args->render ? spec_set_find(set, args->render) : NULL;

	if (args->render && !render) {
		print_diags(diags, stderr);
		log_error("no workload named '%s'", args->render);
		return EXIT_USAGE;
	}
	if (args->json && check_print_json(set, render, diags) < 0)
		return EXIT_FAIL;
	if (!args->json && render) {
		print_diags(diags, stderr);
		for (size_t i = 0; i < render->n_units; i++)
			print_unit(&render->units[i], i == 0);
	} else if (!args->json)
		print_diags(diags, stdout);
	fflush(stdout); /* the summary comes last, also when stdout is a pipe */
	log_host_paths(render ? NULL : set);
	check_log_secrets(set);
	if (diag_list_count(diags))
		log_info("%zu error%s", diag_list_count(diags),
			 diag_list_count(diags) == 1 ? "" : "s");
	else
		log_info("%zu workload%s, no errors", set->n_workloads,
			 set->n_workloads == 1 ? "" : "s");
	return diag_list_count(diags) ? EXIT_FAIL : EXIT_OK;
}

/* The Podman whose keys the specs may use: --podman-version, else TAILPOD_PODMAN_VERSION, else
 * none (a laptop or CI runner: every key of any known Podman passes). */
static const struct podman_version *check_target(const struct check_args *args,
						 const struct config *cfg)
{
	if (args->podman)
		return &args->podman_version;
	return podman_version_is_set(&cfg->podman_version) ? &cfg->podman_version : NULL;
}

static int check_repo(const struct check_args *args, const char *repo_dir, const struct config *cfg)
{
	struct spec_opts opts = {
		.repo_label = repo_dir,
		.transform_label = args->transforms ? args->transforms : cfg->transform_dir,
		.podman = check_target(args, cfg),
		.allow_plaintext_secrets = cfg->allow_plaintext_secrets,
		.content_of = args->render ? args->render : "", /* only --render shows contents */
	};
	struct diag_list diags = {0};
	struct fileset *repo = NULL, *transforms = NULL;
	struct names_host *host = NULL;
	struct spec_set *set = NULL;
	int r, status = EXIT_FAIL;

	if (load_host_names(args, cfg, &host) < 0)
		return EXIT_USAGE;
	r = fileset_load_dir(repo_dir, repo_dir, 0, &repo, &diags);
	if (r < 0 && r != -E2BIG) {
		log_error_errno(r, "cannot read the repository %s", repo_dir);
		status = EXIT_USAGE;
		goto out;
	}
	if (r >= 0)
		r = load_transforms(args, cfg, &transforms, &diags);
	if (r == -E2BIG) { /* a bound of a whole tree: named in diags, nothing checked */
		diag_list_sort(&diags);
		if (args->json)
			check_print_json(NULL, NULL, &diags);
		else
			print_diags(&diags, args->render ? stderr : stdout);
		goto out;
	}
	if (r < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	r = spec_build(repo, transforms, &opts, &set, &diags);
	if (r >= 0)
		r = check_names(set, cfg, host, repo_dir, &diags);
	if (r < 0) {
		log_error_errno(r, "cannot check %s", repo_dir);
		goto out;
	}
	/* What was checked is left to the process's exit, which ends it at once: freed piece by
	 * piece, the set and the files of 1 000 specs had musl unmap ~30 groups, each a TLB flush
	 * (issue 16: 86 munmap calls in all before, 48 now). check_main returns right after. */
	return report_result(args, set, &diags);
out:
	names_host_free(host);
	spec_set_free(set);
	fileset_free(transforms);
	fileset_free(repo);
	diag_list_release(&diags);
	return status;
}

int check_main(int argc, char **argv)
{
	struct applet_env env;
	struct check_args args = {0};
	int nargs, status, r = check_parse_args(&args, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	if (args.podman && podman_version_parse(args.podman, &args.podman_version) < 0) {
		log_error("invalid --podman-version '%.*s': not a Podman version (X.Y or X.Y.Z)",
			  DIAG_QUOTE(args.podman));
		return EXIT_USAGE;
	}
	/* The settings sync would use: /etc/tailpod/config.env (or quadsync's, migrated). */
	status = applet_setup(NULL, &env);
	if (status != EXIT_OK)
		return status;
	status = check_repo(&args, nargs > 0 ? argv[0] : ".", env.config);
	applet_env_release(&env);
	return status;
}
