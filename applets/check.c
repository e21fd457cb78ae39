/* check.c: `tailpod check` — validate and render a quadlet repo exactly as sync will deploy it.
 * The work is core's (config, repo, transform, spec): this file loads, runs spec_build() and
 * prints. Diagnostics are check's result, so they go to stdout, one "path:line: error: message"
 * per line (or one JSON document with --json); with --render the merged files go to stdout and
 * the diagnostics to stderr. Exit 0 clean, 1 any error, 2 usage or an unreadable directory. */
#include "applets.h"

#include "config.h"
#include "core.h"
#include "diag.h"
#include "json.h"
#include "log.h"
#include "opt.h"
#include "repo.h"
#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool arg_json;
static const char *arg_transforms, *arg_render;

static const struct opt check_opts[] = {
	OPT_STRING(0, "transforms", &arg_transforms, "DIR",
		   "transform directory (default: TAILPOD_TRANSFORM_DIR)"),
	OPT_STRING(0, "render", &arg_render, "NAME",
		   "print the merged files workload NAME would deploy"),
	OPT_BOOL(0, "json", &arg_json, "print the result as one JSON document"),
	OPT_END,
};

static const struct applet_cli check_cli = {
	.name = "check",
	.synopsis = "[OPTIONS] [REPO_DIR]",
	.summary = "Validate every spec of REPO_DIR (default: the current directory) and the\n"
		   "transforms merged into it, as sync would; print all problems to stdout as\n"
		   "path:line: error: message. Exit 0 when clean, 1 on any error, 2 on a usage\n"
		   "error or an unreadable directory. Defaults and protected user names come\n"
		   "from /etc/tailpod/config.env, as for sync.",
	.opts = check_opts,
	.min_args = 0,
	.max_args = 1,
};

/* The settings sync would use: /etc/tailpod/config.env (or quadsync's, migrated). */
static int load_config(struct config **ret)
{
	struct config_paths paths;
	struct config_error err = {0};
	int r;

	config_paths_init(&paths, NULL);
	r = config_load(&paths, ret, &err);
	if (r < 0 && err.line)
		return log_error("%s:%u: %s", err.path, err.line, err.msg);
	if (r < 0)
		return log_error("%s: %s", err.path ? err.path : paths.config, err.msg);
	for (size_t i = 0; i < (*ret)->diags.n; i++)
		log_warning("%s:%u: %s", (*ret)->diags.items[i].path, (*ret)->diags.items[i].line,
			    (*ret)->diags.items[i].msg);
	if ((*ret)->source == CONFIG_SOURCE_QUADSYNC)
		log_notice("no %s: using quadsync's settings from %s", CONFIG_PATH,
			   (*ret)->source_path);
	return 0;
}

/* --- output -------------------------------------------------------------------------------- */

static void print_diags(const struct diag_list *diags, FILE *to)
{
	static char path[4 * DIAG_PATH_MAX], msg[4 * DIAG_MSG_MAX];

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

static void json_diags(struct json_writer *w, const struct diag_list *diags)
{
	json_write_key(w, "errors");
	json_write_uint(w, diag_list_count(diags));
	json_write_key(w, "diagnostics");
	json_begin_array(w);
	for (size_t i = 0; i < diags->n; i++) {
		json_begin_object(w);
		json_write_key(w, "path");
		json_write_string(w, diags->items[i].path);
		json_write_key(w, "line");
		json_write_uint(w, diags->items[i].line);
		json_write_key(w, "severity");
		json_write_string(w, "error");
		json_write_key(w, "message");
		json_write_string(w, diags->items[i].msg);
		json_end_object(w);
	}
	json_end_array(w);
}

static void json_workload(struct json_writer *w, const struct spec_workload *wl, bool content)
{
	json_begin_object(w);
	json_write_key(w, "name");
	json_write_string(w, wl->name);
	json_write_key(w, "kind");
	json_write_string(w, wl->kind == SPEC_KIND_POD ? "pod" : "container");
	json_write_key(w, "service");
	json_write_string(w, wl->service);
	json_write_key(w, "source");
	json_write_string(w, wl->source);
	json_write_key(w, "files");
	json_begin_array(w);
	for (size_t i = 0; i < wl->n_units; i++) {
		json_begin_object(w);
		json_write_key(w, "name");
		json_write_string(w, wl->units[i].name);
		json_write_key(w, "dir");
		json_write_string(w, wl->units[i].dir == SPEC_UNIT_SYSTEMD ? "systemd" : "quadlet");
		json_write_key(w, "source");
		json_write_string(w, wl->units[i].source);
		if (content) {
			json_write_key(w, "content");
			json_write_string_len(w, wl->units[i].data, wl->units[i].size);
		}
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

/* One document: the diagnostics and either every workload (none when set is NULL) or the
 * rendered one with its contents. */
static int print_json(const struct spec_set *set, const struct spec_workload *render,
		      const struct diag_list *diags)
{
	_cleanup_free_ char *out = NULL;
	struct json_writer w;
	int r;

	json_writer_init(&w, 0, JSON_LOSSY);
	json_begin_object(&w);
	json_diags(&w, diags);
	json_write_key(&w, render ? "workload" : "workloads");
	if (render)
		json_workload(&w, render, true);
	else {
		json_begin_array(&w);
		for (size_t i = 0; set && i < set->n_workloads; i++)
			json_workload(&w, &set->workloads[i], false);
		json_end_array(&w);
	}
	json_end_object(&w);
	r = json_writer_finish(&w, &out, NULL);
	json_writer_release(&w);
	if (r < 0)
		return log_error_errno(r, "cannot write the JSON result");
	puts(out);
	return 0;
}

/* --- the checks ---------------------------------------------------------------------------- */

static int load_transforms(const struct config *cfg, struct repo **ret, struct diag_list *diags)
{
	const char *dir = arg_transforms ? arg_transforms : cfg->transform_dir;
	int r = repo_load_dir(dir, dir, REPO_LOAD_FLAT | REPO_LOAD_ALL, ret, diags);

	/* A host without transforms has none; a directory named on the command line must exist. */
	if (r == -ENOENT && !arg_transforms) {
		*ret = NULL;
		return 0;
	}
	if (r < 0 && r != -E2BIG)
		return log_error_errno(r, "cannot read the transform directory %s", dir);
	return r;
}

static int report(const struct spec_set *set, const struct diag_list *diags)
{
	const struct spec_workload *render = arg_render ? spec_set_find(set, arg_render) : NULL;

	if (arg_render && !render) {
		print_diags(diags, stderr);
		log_error("no workload named '%s'", arg_render);
		return EXIT_USAGE;
	}
	if (arg_json && print_json(set, render, diags) < 0)
		return EXIT_FAIL;
	if (!arg_json && render) {
		print_diags(diags, stderr);
		for (size_t i = 0; i < render->n_units; i++)
			print_unit(&render->units[i], i == 0);
	} else if (!arg_json)
		print_diags(diags, stdout);
	fflush(stdout); /* the summary comes last, also when stdout is a pipe */
	if (diag_list_count(diags))
		log_info("%zu error%s", diag_list_count(diags),
			 diag_list_count(diags) == 1 ? "" : "s");
	else
		log_info("%zu workload%s, no errors", set->n_workloads,
			 set->n_workloads == 1 ? "" : "s");
	return diag_list_count(diags) ? EXIT_FAIL : EXIT_OK;
}

static int run(const char *repo_dir, const struct config *cfg)
{
	struct spec_opts opts = {
		.repo_label = repo_dir,
		.transform_label = arg_transforms ? arg_transforms : cfg->transform_dir,
		.protected_names = cfg->protected_users,
		.n_protected = cfg->n_protected_users,
	};
	struct diag_list diags = {0};
	struct repo *repo = NULL, *transforms = NULL;
	struct spec_set *set = NULL;
	int r, status = EXIT_FAIL;

	r = repo_load_dir(repo_dir, repo_dir, 0, &repo, &diags);
	if (r < 0 && r != -E2BIG) {
		log_error_errno(r, "cannot read the repository %s", repo_dir);
		status = EXIT_USAGE;
		goto out;
	}
	if (r >= 0)
		r = load_transforms(cfg, &transforms, &diags);
	if (r == -E2BIG) { /* a bound of a whole tree: named in diags, nothing checked */
		diag_list_sort(&diags);
		if (arg_json)
			print_json(NULL, NULL, &diags);
		else
			print_diags(&diags, arg_render ? stderr : stdout);
		goto out;
	}
	if (r < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	r = spec_build(repo, transforms, &opts, &set, &diags);
	if (r < 0)
		log_error_errno(r, "cannot check %s", repo_dir);
	else
		status = report(set, &diags);
out:
	spec_set_free(set);
	repo_free(transforms);
	repo_free(repo);
	diag_list_release(&diags);
	return status;
}

int check_main(int argc, char **argv)
{
	struct config *cfg = NULL;
	int nargs, status, r = opt_parse(&check_cli, argc, argv, &nargs);

	if (r != OPT_RESULT_RUN)
		return opt_exit_status(r);
	if (load_config(&cfg) < 0)
		return EXIT_USAGE;
	status = run(nargs > 0 ? argv[0] : ".", cfg);
	config_free(cfg);
	return status;
}
