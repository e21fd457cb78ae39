/* test-spec_parts.c: unit tests of core/spec_parts — a repository built in 2, 3 and 4 parts on
 * threads gives what the build in order gives, byte for byte: the workloads with their units,
 * services, sources and health URLs, and every diagnostic. The scopes mix what crosses parts: pods
 * with members by name and by Pod= (of a pod another part builds), Pod= that names no pod or
 * another pod than the name, containers of no pod, a pod that fails with its members, names
 * refused, kubes and their YAML, volumes referenced by many workloads and by one, sidecars,
 * companions' references; beside the root's scope, two directories' scopes and two apps, built
 * in parts of their own, or in order when a kube is among them. Run under ASan and UBSan like every
 * unit test, which also sees each part's memory given back. */

#define _GNU_SOURCE 1 /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "diag.h"
#include "fileset.h"
#include "spec.h"

#define IMG "[Container]\nImage=docker.io/library/alpine:3\n"

static void add(struct fileset *set, const char *path, const char *text)
{
	assert_int_equal(fileset_add(set, path, text, strlen(text)), 0);
}

/* Container i of a scope of pods pods (dir: "" or "d/"; names begin with pre), chosen by i to
 * cover each case. */
static void add_container(struct fileset *repo, const char *dir, const char *pre, size_t i,
			  size_t pods)
{
	char path[128], text[256];
	size_t pod = (i * 7) % pods, other = (i * 13 + 5) % pods;

	switch (i % 9) {
	case 0: /* a member by name, with a volume of its own, or one missing */
	case 1:
		snprintf(path, sizeof(path), "%s%sp%03zu-m%zu.container", dir, pre, pod, i);
		snprintf(text, sizeof(text), IMG "Volume={{.Name}}-data.volume:/d\n");
		break;
	case 2: /* a member by Pod= alone, of a pod another part may build */
		snprintf(path, sizeof(path), "%s%sv%04zu.container", dir, pre, i);
		snprintf(text, sizeof(text), IMG "Pod=%sp%03zu.pod\n", pre, other);
		break;
	case 3: /* Pod= that is not the pod its name makes it a member of */
		snprintf(path, sizeof(path), "%s%sp%03zu-x%zu.container", dir, pre, pod, i);
		snprintf(text, sizeof(text), IMG "Pod=%sp%03zu.pod\n", pre, other);
		break;
	case 4: /* Pod= naming no pod */
		snprintf(path, sizeof(path), "%s%sn%04zu.container", dir, pre, i);
		snprintf(text, sizeof(text), IMG "Pod=nowhere.pod\n");
		break;
	case 5: /* a key no quadlet knows */
		snprintf(path, sizeof(path), "%s%sf%04zu.container", dir, pre, i);
		snprintf(text, sizeof(text), IMG "Frobnicate=yes\n");
		break;
	case 6: /* a name refused */
		snprintf(path, sizeof(path), "%sBad%s%04zu.container", dir, pre, i);
		snprintf(text, sizeof(text), IMG);
		break;
	default: /* no pod: a shared volume, a health URL, a network */
		snprintf(path, sizeof(path), "%s%ss%04zu.container", dir, pre, i);
		snprintf(text, sizeof(text),
			 IMG "Volume=shared.volume:/s\nNetwork=net.network\n[X-Tailpod]\n"
			     "HealthURL=http://127.0.0.1:%zu/\n",
			 8000 + i);
		break;
	}
	add(repo, path, text);
}

/* A scope of pods, their members and others in dir ("" the root, or "d/"), names beginning with
 * pre. */
static void add_scope(struct fileset *repo, const char *dir, const char *pre, size_t pods,
		      size_t containers, bool kubes)
{
	char path[128], text[128];

	for (size_t p = 0; p < pods; p++) {
		snprintf(path, sizeof(path), "%s%sp%03zu.pod", dir, pre, p);
		/* every eleventh pod fails, and its members go with it */
		add(repo, path, p % 11 == 10 ? "[Unit]\n" : "[Pod]\nPodName={{.Name}}\n");
		snprintf(path, sizeof(path), "%s%sp%03zu-job.service", dir, pre, p);
		add(repo, path, "[Service]\nType=oneshot\nExecStart=/bin/true\n");
	}
	for (size_t i = 0; i < containers; i++)
		add_container(repo, dir, pre, i, pods);
	for (size_t i = 0; i < containers; i += 9) {
		snprintf(path, sizeof(path), "%s%sp%03zu-m%zu-data.volume", dir, pre,
			 (i * 7) % pods, i);
		add(repo, path, "[Volume]\nLabel=owner={{.Name}}\n");
	}
	snprintf(path, sizeof(path), "%sshared.volume", dir);
	add(repo, path, "[Volume]\n");
	snprintf(path, sizeof(path), "%snet.network", dir);
	add(repo, path, "[Network]\n");
	snprintf(path, sizeof(path), "%sunused.volume", dir);
	add(repo, path, "[Volume]\n");
	if (*dir && !kubes) /* a kube keeps the directories' runs in order */
		return;
	snprintf(path, sizeof(path), "%s%sk1.kube", dir, pre);
	snprintf(text, sizeof(text), "[Kube]\nYaml=%sk.yaml\n", dir);
	add(repo, path, text);
	snprintf(path, sizeof(path), "%sk.yaml", dir);
	add(repo, path, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n");
}

/* The root's scope, directories d/ and e/ with transforms, and two apps (directories without):
 * in a kube in d/ when kubes. */
static struct fileset *make_repo(size_t pods, size_t containers, bool kubes)
{
	struct fileset *repo = NULL;

	assert_int_equal(fileset_new(&repo), 0);
	add_scope(repo, "", "", pods, containers, true);
	add_scope(repo, "d/", "d", pods / 2 + 1, containers / 3, kubes);
	add_scope(repo, "e/", "e", pods / 3 + 1, containers / 4, false);
	add(repo, "app1/web.container", IMG "Volume=data.volume:/d\n");
	add(repo, "app1/data.volume", "[Volume]\n");
	add(repo, "app1/web.env", "A=1\n");
	add(repo, "app2/api.container", IMG "Frobnicate=1\n");
	assert_int_equal(fileset_sort(repo), 0);
	return repo;
}

static struct fileset *make_transforms(void)
{
	struct fileset *t = NULL;

	assert_int_equal(fileset_new(&t), 0);
	add(t, "_base.container", "[Container]\nAutoUpdate=registry\n");
	add(t, "d.container", "[Container]\nLabel=dir=d\n");
	add(t, "d.pod", "[Pod]\n");
	add(t, "d.kube", "[Kube]\n");
	add(t, "e.container", "");
	add(t, "e.pod", "");
	/* a companion for every container, with a reference of its own */
	add(t, "_base-side.container", IMG "Volume=shared.volume:/c\n");
	assert_int_equal(fileset_sort(t), 0);
	return t;
}

/* The whole set, every field a caller reads, and the diagnostics. */
static void set_print(FILE *f, const struct spec_set *set)
{
	for (size_t i = 0; set && i < set->n_workloads; i++) {
		const struct spec_workload *w = &set->workloads[i];

		fprintf(f, "workload %s kind %d service %s source %s target %s health %s\n",
			w->name, (int)w->kind, w->service ? w->service : "-", w->source,
			w->target ? w->target : "-", w->health_url ? w->health_url : "-");
		for (size_t j = 0; j < w->n_units; j++) {
			const struct spec_unit *u = &w->units[j];

			fprintf(f, "  unit %s from %s dir %d size %zu service %s runs %d\n%s\n",
				u->name, u->source, (int)u->dir, u->size,
				u->service ? u->service : "-", (int)u->runs,
				u->data ? u->data : "(no data)");
		}
		for (size_t j = 0; j < w->n_host_paths; j++)
			fprintf(f, "  host path %s\n", w->host_paths[j]);
	}
}

static void diags_print(FILE *f, const struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s:%u: %s\n", d->items[i].path, d->items[i].line, d->items[i].msg);
	fprintf(f, "dropped %zu error %d\n", d->n_dropped, d->error);
}

/* The build of repo in parts parts, as text: the set, then the diagnostics. */
static char *build_text(const struct fileset *repo, const struct fileset *transforms,
			unsigned parts, const char *content_of)
{
	struct spec_opts opts = {.repo_label = "R",
				 .transform_label = "T",
				 .content_of = content_of,
				 .build_parts = parts};
	struct diag_list diags = {0};
	struct spec_set *set = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(spec_build(repo, transforms, &opts, &set, &diags), 0);
	set_print(f, set);
	diags_print(f, &diags);
	fclose(f);
	spec_set_free(set);
	diag_list_release(&diags);
	return buf;
}

static void same_in_parts(size_t pods, size_t containers, const char *content_of, bool kubes)
{
	struct fileset *repo = make_repo(pods, containers, kubes), *t = make_transforms();
	char *in_order = build_text(repo, t, 1, content_of);

	if (getenv("DUMP"))
		fputs(in_order, stderr);

	/* The scopes made what they should: workloads, members, and each kind of problem. */
	assert_non_null(strstr(in_order, "workload p000 kind 1"));
	assert_non_null(strstr(in_order, "  unit v0002.container from R/v0002.container"));
	assert_non_null(strstr(in_order, "R/n0004.container:3: Pod= is only for pod members"));
	assert_non_null(strstr(in_order, "R/f0005.container:3: unknown key 'Frobnicate'"));
	assert_non_null(strstr(in_order, "R/Bad0006.container:1: 'Bad0006' is not a valid user"));
	assert_non_null(strstr(in_order, "workload k1 kind 2"));
	assert_non_null(strstr(in_order, "workload dp000 kind 1"));
	assert_non_null(strstr(in_order, "workload ep000 kind 1"));
	assert_non_null(strstr(in_order, "workload app1 kind 3"));
	assert_non_null(strstr(in_order, "R/app2/api.container:3: unknown key 'Frobnicate'"));
	for (unsigned parts = 2; parts <= 4; parts++) {
		char *in_parts = build_text(repo, t, parts, content_of);

		if (strcmp(in_parts, in_order) != 0) {
			size_t at = 0;

			while (in_parts[at] == in_order[at])
				at++;
			fail_msg("%u parts differ from the build in order at byte %zu:\n%.300s\n"
				 "in order:\n%.300s",
				 parts, at, in_parts + (at > 100 ? at - 100 : 0),
				 in_order + (at > 100 ? at - 100 : 0));
		}
		free(in_parts);
	}
	free(in_order);
	fileset_free(repo);
	fileset_free(t);
}

static void test_small_scopes(void **state)
{
	(void)state;
	same_in_parts(5, 40, NULL, false);
	same_in_parts(5, 40, NULL, true);
}

/* Large enough that every part has pods and containers of each case, with the contents kept
 * (sync) and dropped (check). */
static void test_large_scopes(void **state)
{
	(void)state;
	same_in_parts(60, 1500, NULL, false);
	same_in_parts(60, 1500, "", true);
}

/* Fewer pods than parts: some part builds no pod, and the members by Pod= all go after. */
static void test_one_pod(void **state)
{
	(void)state;
	same_in_parts(1, 200, NULL, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_scopes),
		cmocka_unit_test(test_large_scopes),
		cmocka_unit_test(test_one_pod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
