/* spec_health.c: tailpod's own section of a workload's spec, [X-Tailpod] (issue 21):
 * HealthURL=http://127.0.0.1:PORT/PATH, the loopback URL sync's health gate probes after a
 * deploy. Read from the workload's main file (.container, .pod, .kube) once its transforms are
 * merged, so a transform may set it; the last HealthURL= wins, as in systemd. The section stays in
 * the deployed file (quadlet and systemd ignore X- sections), so changing the URL redeploys and
 * gates again. A URL that is not plain http:// to a loopback address, an unknown key, or the
 * section in a pod member (the pod's .pod file holds it) is an error at its line. */
#include "spec_internal.h"

#include "core.h"
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* HealthURL=: checked, then kept in w (an empty value clears it). */
static int url_set(struct spec_builder *b, const struct spec_src *src, const struct ini_section *s,
		   const struct ini_line *l, struct spec_workload *w)
{
	struct http_error err = {0};
	struct http_url u;

	if (!*l->value)
		return 0;
	if (http_loopback_url_parse(l->value, &u, &err) < 0)
		return spec_diag_at(src, b->diags, s, l, "HealthURL=%.*s: %s", DIAG_QUOTE(l->value),
				    err.msg);
	w->health_url = arena_strdup(&b->set->arena, l->value);
	return w->health_url ? 0 : -ENOMEM;
}

int spec_health_take(struct spec_builder *b, const struct spec_src *src, const struct ini *doc,
		     size_t widx, bool pod_member)
{
	struct spec_workload *w = &b->set->workloads[widx];
	const struct ini_line *url = NULL;
	const struct ini_section *url_s = NULL;

	for (size_t i = 0; i < doc->n_sections; i++) {
		const struct ini_section *s = &doc->sections[i];

		if (!str_is(s->name, SPEC_TAILPOD_SECTION))
			continue;
		if (pod_member) {
			spec_diag_at(src, b->diags, s, NULL,
				     "[%s] of a pod member is not read; put it in the pod's .pod "
				     "file",
				     SPEC_TAILPOD_SECTION);
			continue;
		}
		for (size_t j = 0; j < s->n_lines; j++) {
			const struct ini_line *l = &s->lines[j];

			if (l->type != INI_LINE_ENTRY)
				continue;
			if (strcmp(l->key, "HealthURL") == 0) {
				url = l;
				url_s = s;
			} else {
				spec_diag_at(src, b->diags, s, l,
					     "unknown key '%.*s' in [%s]; it knows HealthURL",
					     DIAG_QUOTE(l->key), SPEC_TAILPOD_SECTION);
			}
		}
	}
	return url ? url_set(b, src, url_s, url, w) : 0;
}
