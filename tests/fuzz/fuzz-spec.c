/* fuzz-spec.c: libFuzzer harness for the repository model and its checks (spec_build, spec_check):
 * the input is a set of files, each introduced by a line "@@ PATH"; a PATH starting "T/" goes to
 * the transform directory, the rest to the repository. The build must hold what it could build
 * and diagnose the rest without a sanitizer report, as `tailpod check` does on a hostile repo. */
#define _GNU_SOURCE
#include "spec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { PATH_MAX_FUZZ = 300 };

/* Add the file whose "@@ PATH\n" header starts at p; return where the next header starts. */
static const char *add_file(struct fileset *repo, struct fileset *transforms, const char *p,
			    const char *end)
{
	char path[PATH_MAX_FUZZ];
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *body, *next;
	size_t n;

	if (!nl)
		return end;
	body = nl + 1;
	next = memmem(nl, (size_t)(end - nl), "\n@@ ", 4);
	next = next ? next + 1 : end;
	n = (size_t)(nl - p) - 3;
	if (n == 0 || n >= sizeof(path))
		return next;
	memcpy(path, p + 3, n);
	path[n] = '\0';
	if (strncmp(path, "T/", 2) == 0)
		(void)fileset_add(transforms, path + 2, body, (size_t)(next - body));
	else
		(void)fileset_add(repo, path, body, (size_t)(next - body));
	return next;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct fileset *repo = NULL, *transforms = NULL;
	struct spec_set *set = NULL;
	struct diag_list diags = {0};
	const struct spec_opts opts = {.repo_label = "repo", .transform_label = "transforms"};

	if (size < 4 || memcmp(p, "@@ ", 3) != 0)
		return 0;
	if (fileset_new(&repo) < 0 || fileset_new(&transforms) < 0)
		goto out;
	while (p < end)
		p = add_file(repo, transforms, p, end);
	/* A path added twice is the loader's diagnostic, not the model's input. */
	if (fileset_sort(repo) < 0 || fileset_sort(transforms) < 0)
		goto out;
	if (spec_build(repo, transforms, &opts, &set, &diags) == 0) {
		diag_list_sort(&diags);
		for (size_t i = 0; i < set->n_workloads; i++)
			(void)spec_set_find(set, set->workloads[i].name);
		spec_set_free(set);
	}
out:
	diag_list_release(&diags);
	fileset_free(transforms);
	fileset_free(repo);
	return 0;
}
