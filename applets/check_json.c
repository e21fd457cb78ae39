/* check_json.c: `tailpod check --json`'s one document: the diagnostics, then every workload
 * (names, kinds, files, secret names, host paths) or, with --render, the one workload with its
 * files' contents. */
#include "check_json.h"

#include "check_secrets.h"
#include "core.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

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
	json_write_string(w, wl->kind == SPEC_KIND_APP	  ? "app"
			     : wl->kind == SPEC_KIND_POD  ? "pod"
			     : wl->kind == SPEC_KIND_KUBE ? "kube"
							  : "container");
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
		if (wl->units[i].service) {
			json_write_key(w, "service");
			json_write_string(w, wl->units[i].service);
		}
		if (content) {
			json_write_key(w, "content");
			json_write_string_len(w, wl->units[i].data, wl->units[i].size);
		}
		json_end_object(w);
	}
	json_end_array(w);
	check_json_secrets(w, wl);
	if (wl->kind == SPEC_KIND_APP) {
		json_write_key(w, "host_paths");
		json_begin_array(w);
		for (size_t i = 0; i < wl->n_host_paths; i++)
			json_write_string(w, wl->host_paths[i]);
		json_end_array(w);
	}
	json_end_object(w);
}

/* One document: the diagnostics and either every workload (none when set is NULL) or the
 * rendered one with its contents. */
int check_print_json(const struct spec_set *set, const struct spec_workload *render,
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
