/* test-spec.c: unit tests of core/spec — name rules, workloads at the root and in directories
 * with their transforms, pods and their members, sidecars (longest name wins), companion
 * templates, .volume references, collisions, the key tables, ServiceName=, where a diagnostic
 * of a merged file points, and that every problem is reported, sorted; .kube workloads with their
 * YAML, .image/.build/.artifact by reference and by name, and a .build's context. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "diag.h"
#include "diags_text.h"
#include "fileset.h"
#include "spec.h"

struct file {
	const char *path, *text;
};

#define END                                                                                        \
	{                                                                                          \
		NULL, NULL                                                                         \
	}

static const struct spec_opts opts = {
	.repo_label = "R",
	.transform_label = "T",
};

static struct fileset *make_repo(const struct file *files)
{
	struct fileset *repo = NULL;

	assert_int_equal(fileset_new(&repo), 0);
	for (; files && files->path; files++)
		assert_int_equal(fileset_add(repo, files->path, files->text, strlen(files->text)),
				 0);
	assert_int_equal(fileset_sort(repo), 0);
	return repo;
}

static struct spec_set *build(const struct file *specs, const struct file *transforms,
			      const char *want_diags)
{
	struct fileset *repo = make_repo(specs), *tr = transforms ? make_repo(transforms) : NULL;
	struct diag_list diags = {0};
	struct spec_set *set = NULL;

	assert_int_equal(spec_build(repo, tr, &opts, &set, &diags), 0);
	assert_string_equal(diags_text(&diags), want_diags);
	diag_list_release(&diags);
	fileset_free(repo);
	fileset_free(tr);
	return set;
}

static const struct spec_unit *unit(const struct spec_set *set, const char *workload,
				    const char *name)
{
	const struct spec_workload *w = spec_set_find(set, workload);

	if (!w)
		fail_msg("no workload %s", workload);
	for (size_t i = 0; i < w->n_units; i++)
		if (strcmp(w->units[i].name, name) == 0)
			return &w->units[i];
	fail_msg("workload %s has no %s", workload, name);
	return NULL;
}

/* The names of a workload's files, space-separated. */
static const char *unit_names(const struct spec_set *set, const char *workload)
{
	static char buf[4096];
	const struct spec_workload *w = spec_set_find(set, workload);
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; w && i < w->n_units; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
				      w->units[i].name);
	return buf;
}

#define IMG "[Container]\nImage=docker.io/library/alpine:3\n"

static void test_user_names(void **state)
{
	static const char *const good[] = {"a", "_svc", "web-1", "a_b-c9",
					   "abcdefghijklmnopqrstuvwxyz012345"};
	static const char *const bad[] = {
		"",	"Web",	"1web", "-web",
		"web-", "we.b", "we b", "abcdefghijklmnopqrstuvwxyz0123456"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		assert_null(spec_user_name_problem(good[i]));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_non_null(spec_user_name_problem(bad[i]));
	/* Reserved names (root, core, tailpod*, the host's users) are core/names' rule, applied by
	 * check and sync to the built set: test-names.c. */
	assert_null(spec_user_name_problem("root"));
}

static void test_root_and_directories(void **state)
{
	const struct file specs[] = {
		{"web.container", IMG "ContainerName={{.Name}}\n"},
		{"apps/api.container", IMG},
		{"apps/doc.container", IMG "Pull=never\n"},
		{"other/x.container", IMG},
		{"README.md", "not a unit"},
		END,
	};
	const struct file transforms[] = {
		{"_base.container", "[Service]\nRestart=always\n"},
		{"apps.container", "[Container]\n+Label=dir={{.Name}}\nPull=newer\n"},
		END,
	};
	/* other/ has no transform: an app (issue 22), deployed as it is, no transform merged. */
	struct spec_set *set = build(specs, transforms, "");

	(void)state;
	assert_int_equal(set->n_workloads, 4);
	assert_int_equal(spec_set_find(set, "other")->kind, SPEC_KIND_APP);
	assert_string_equal(unit(set, "other", "other/x.container")->data, IMG);
	assert_string_equal(unit(set, "other", "other/x.container")->service, "x.service");
	assert_string_equal(set->workloads[0].name, "api");
	assert_string_equal(set->workloads[0].service, "api.service");
	assert_string_equal(set->workloads[0].source, "R/apps/api.container");
	assert_int_equal(set->workloads[0].kind, SPEC_KIND_CONTAINER);
	assert_string_equal(unit(set, "api", "api.container")->data,
			    "[Container]\nLabel=dir=api\nImage=docker.io/library/alpine:3\n"
			    "Pull=newer\n\n[Service]\nRestart=always\n");
	assert_string_equal(unit(set, "doc", "doc.container")->data,
			    "[Container]\nLabel=dir=doc\nImage=docker.io/library/alpine:3\n"
			    "Pull=never\n\n[Service]\nRestart=always\n");
	/* Root level: the base transform only; "{{.Name}}" replaced. */
	assert_string_equal(unit(set, "web", "web.container")->data,
			    IMG "ContainerName=web\n\n[Service]\nRestart=always\n");
	assert_int_equal(unit(set, "web", "web.container")->dir, SPEC_UNIT_QUADLET);
	assert_null(spec_set_find(set, "x"));
	spec_set_free(set);
}

static void test_pods(void **state)
{
	const struct file specs[] = {
		{"web.pod", "[Pod]\nPodName={{.Name}}\n"},
		{"web-app.container", IMG},
		{"web-api.pod", "[Pod]\n"},
		{"web-api-db.container", IMG "ContainerName={{.Name}}\n"},
		{"cache.container", IMG "Pod=web.pod\n"},
		{"solo.container", IMG},
		END,
	};
	struct spec_set *set = build(specs, NULL, "");

	(void)state;
	assert_int_equal(set->n_workloads, 3);
	assert_string_equal(unit_names(set, "web"), "cache.container web-app.container web.pod");
	/* The longest pod name wins. */
	assert_string_equal(unit_names(set, "web-api"), "web-api-db.container web-api.pod");
	assert_string_equal(unit_names(set, "solo"), "solo.container");
	assert_int_equal(spec_set_find(set, "web")->kind, SPEC_KIND_POD);
	assert_string_equal(spec_set_find(set, "web")->service, "web-pod.service");
	assert_string_equal(unit(set, "web", "web-app.container")->data, IMG "Pod=web.pod\n");
	/* An explicit Pod= of the right pod is kept, not doubled. */
	assert_string_equal(unit(set, "web", "cache.container")->data, IMG "Pod=web.pod\n");
	assert_string_equal(unit(set, "web", "web.pod")->data, "[Pod]\nPodName=web\n");
	assert_string_equal(unit(set, "web-api", "web-api-db.container")->data,
			    IMG "ContainerName=web-api-db\nPod=web-api.pod\n");
	spec_set_free(set);
}

static void test_pod_errors(void **state)
{
	const struct file specs[] = {
		{"d/grp.pod", "[Unit]\n"},
		{"d/grp-a.container", IMG},
		{"d/stray.container", IMG},
		{"e/ok.pod", "[Pod]\n"},
		{"e/ok-a.container", IMG "Pod=nope.pod\n"},
		{"e/ok-pod.container", IMG},
		{"solo.container", IMG "Pod=x.pod\n"},
		END,
	};
	const struct file transforms[] = {
		{"d.container", ""}, {"d.pod", ""}, {"e.container", ""}, {"e.pod", ""}, END,
	};
	struct spec_set *set = build(
		specs, transforms,
		"R/d/grp.pod:1: missing [Pod] section\n"
		"R/d/stray.container:1: belongs to no pod: beside a .pod, containers are its "
		"members, "
		"named POD-NAME.container\n"
		"R/e/ok-a.container:3: Pod=nope.pod does not name this container's pod ok.pod\n"
		"R/e/ok-pod.container:1: 'ok-pod' would have the same service name as its pod\n"
		"R/solo.container:3: Pod= is only for pod members (POD-NAME.container beside "
		"POD.pod); tailpod sets it\n");

	(void)state;
	spec_set_free(set);
}

static void test_sidecars(void **state)
{
	const struct file specs[] = {
		{"webapp.pod", "[Pod]\n"},
		{"webapp-web.container", IMG},
		{"webapp-web-refresh.timer", "[Timer]\nOnCalendar=daily\n"},
		{"webapp-web-refresh.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n"},
		{"webapp-backup.timer", "[Timer]\nOnCalendar=daily\n"},
		{"app.container", IMG},
		{"app-worker.container", IMG},
		{"app-worker-x.timer", "[Timer]\nOnCalendar=daily\n"},
		{"app-y.service", "[Service]\nExecStart=/bin/true\n"},
		{"lonely-job.timer", "[Timer]\n"},
		{"app-z.timer", "[Unit]\n"},
		END,
	};
	struct spec_set *set = build(specs, NULL,
				     "R/app-z.timer:1: missing [Timer] section\n"
				     "R/lonely-job.timer:1: no container or pod beside it owns it: "
				     "name it NAME-LABEL.timer for the spec NAME\n");

	(void)state;
	/* quadsync's example: webapp-web-refresh.timer goes with the webapp-web member. */
	assert_string_equal(unit_names(set, "webapp"),
			    "webapp-backup.timer webapp-web-refresh.service "
			    "webapp-web-refresh.timer webapp-web.container webapp.pod");
	assert_string_equal(unit_names(set, "app-worker"),
			    "app-worker-x.timer app-worker.container");
	assert_string_equal(unit_names(set, "app"), "app-y.service app-z.timer app.container");
	assert_int_equal(unit(set, "app", "app-y.service")->dir, SPEC_UNIT_SYSTEMD);
	/* Sidecars are deployed verbatim. */
	assert_string_equal(unit(set, "app", "app-y.service")->data,
			    "[Service]\nExecStart=/bin/true\n");
	spec_set_free(set);
}

static void test_companions(void **state)
{
	const struct file specs[] = {
		{"db.container", IMG "Volume={{.Name}}-data.volume:/data\n"},
		{"grp.pod", "[Pod]\n"},
		{"grp-a.container", IMG},
		END,
	};
	const struct file transforms[] = {
		{"_base-data.volume", "[Volume]\nLabel=owner={{.Name}}\n"},
		{"_base-ls.container",
		 "# quadsync:no-pod\n[Container]\nImage=x\nContainerName={{.Name}}-ls\n"},
		{"_base-tag.container", "[Container]\nImage=y\n"},
		END,
	};
	struct spec_set *set = build(specs, transforms, "");

	(void)state;
	assert_string_equal(unit_names(set, "db"),
			    "db-data.volume db-ls.container db-tag.container db.container");
	assert_string_equal(unit(set, "db", "db-data.volume")->data, "[Volume]\nLabel=owner=db\n");
	assert_string_equal(unit(set, "db", "db.container")->data,
			    IMG "Volume=db-data.volume:/data\n");
	/* For a pod member: joined to the pod, unless the template says no-pod. */
	assert_string_equal(unit(set, "grp", "grp-a-tag.container")->data,
			    "[Container]\nImage=y\nPod=grp.pod\n");
	assert_string_equal(unit(set, "grp", "grp-a-ls.container")->data,
			    "# quadsync:no-pod\n[Container]\nImage=x\nContainerName=grp-a-ls\n");
	spec_set_free(set);
}

static void test_volumes(void **state)
{
	const struct file specs[] = {
		{"a.container", IMG "Volume=shared.volume:/s\nNetwork=net.network\n"},
		{"b.container", IMG "Mount=type=volume,source=shared.volume,destination=/s\n"},
		{"c.container", IMG "Volume=gone.volume:/g\nVolume=/host:/h\nImage=z.image\n"},
		{"shared.volume", "[Volume]\n"},
		{"net.network", "[Network]\nInternal=true\n"},
		{"unused.volume", "[Volume]\n"},
		END,
	};
	struct spec_set *set = build(
		specs, NULL,
		"R/c.container:3: Volume= refers to 'gone.volume', which is neither beside the "
		"spec nor made from a companion template\n"
		"R/c.container:5: Image= refers to 'z.image', which is neither beside the spec "
		"nor made from a companion template\n"
		"R/unused.volume:1: not referenced by any spec beside it (Volume=, Mount=, "
		"Network=), so never deployed\n");

	(void)state;
	/* Each workload that refers to a file gets its own copy. */
	assert_string_equal(unit_names(set, "a"), "a.container net.network shared.volume");
	assert_string_equal(unit_names(set, "b"), "b.container shared.volume");
	spec_set_free(set);
}

static void test_collisions(void **state)
{
	const struct file specs[] = {
		{"dup.container", IMG},
		{"x/dup.container", IMG},
		{"y/dup.pod", "[Pod]\n"},
		{"web.container", IMG "Volume=web-data.volume:/d\n"},
		{"web-data.volume", "[Volume]\n"},
		END,
	};
	const struct file transforms[] = {
		{"x.container", ""},
		{"y.pod", ""},
		{"_base-data.volume", "[Volume]\n"},
		END,
	};
	struct spec_set *set =
		build(specs, transforms,
		      "R/dup.container:1: workload name 'dup' is also used by R/x/dup.container\n"
		      "R/dup.container:1: workload name 'dup' is also used by R/y/dup.pod\n"
		      "R/web-data.volume:1: web-data.volume of workload 'web' is also made from "
		      "T/_base-data.volume\n"
		      "R/x/dup.container:1: workload name 'dup' is also used by R/dup.container\n"
		      "R/y/dup.pod:1: workload name 'dup' is also used by R/dup.container\n"
		      "T/_base-data.volume:1: web-data.volume of workload 'web' is also made from "
		      "R/web-data.volume\n");

	(void)state;
	/* The first by source path stays, once. */
	assert_int_equal(set->n_workloads, 2);
	assert_string_equal(spec_set_find(set, "dup")->source, "R/dup.container");
	spec_set_free(set);
}

static void test_keys(void **state)
{
	const struct file specs[] = {
		{"k.container",
		 "[Unit]\nAnything=1\n[X-Mine]\nFoo=1\n[Service]\nBar=2\n"
		 "[Install]\nWantedBy=default.target\n[Quadlet]\nDefaultDependencies=no\n"
		 "[Container]\nImage=x\nimage=y\nPublishport=1\nZzzzzz=1\n"
		 "[Containr]\n[Volume]\nLabel=x\n[Secrets]\n"},
		{"p.pod", "[Pod]\nPublishPort=1\nImage=x\n"},
		{"v.volume", "[Volume]\nDriver=local\nImagee=x\n"},
		{"p-m.container", IMG "Quadlet=1\n"},
		END,
	};
	struct spec_set *set = build(
		specs, NULL,
		"R/k.container:13: unknown key 'image' in [Container]; did you mean 'Image'?\n"
		"R/k.container:14: unknown key 'Publishport' in [Container]; did you mean "
		"'PublishPort'?\n"
		"R/k.container:15: unknown key 'Zzzzzz' in [Container]\n"
		"R/k.container:16: unknown section [Containr]; did you mean [Container]?\n"
		"R/k.container:17: [Volume] does not belong in a .container file\n"
		"R/p-m.container:3: unknown key 'Quadlet' in [Container]\n"
		"R/p.pod:3: unknown key 'Image' in [Pod]\n"
		"R/v.volume:1: not referenced by any spec beside it (Volume=, Mount=, Network=), "
		"so "
		"never deployed\n"
		"R/v.volume:3: unknown key 'Imagee' in [Volume]; did you mean 'Image'?\n");

	(void)state;
	spec_set_free(set);
}

/* A transform can break a valid spec: the problem points at the transform's line. */
static void test_merged_checks(void **state)
{
	const struct file specs[] = {
		{"d/one.container", IMG},
		{"d/two.container", IMG "ContainerName=two\n"},
		{"d/three.container", "[Container]\nEnvironment=A=1\n"},
		END,
	};
	const struct file transforms[] = {
		{"d.container", "# x\n[Container]\nContainerName=fixed\n+Imagee=typo\n"
				"Image=docker.io/library/alpine:3\n"},
		{"_base.container", "[Container]\nPod=p.pod\n"},
		END,
	};
	struct spec_set *set = build(
		specs, transforms,
		/* the raw spec must have Image= itself, though the transform adds one */
		"R/d/three.container:1: missing Image= in [Container]\n"
		"T/_base.container:2: Pod= is only for pod members (POD-NAME.container beside "
		"POD.pod); tailpod sets it\n"
		"T/d.container:3: ContainerName=fixed does not match the container name 'one'\n"
		"T/d.container:3: ContainerName=fixed does not match the container name 'three'\n"
		"T/d.container:4: unknown key 'Imagee' in [Container]; did you mean 'Image'?\n");

	(void)state;
	spec_set_free(set);
}

static void test_service_name(void **state)
{
	const struct file specs[] = {
		{"a.container", IMG "ServiceName={{.Name}}-svc\n"},
		{"b.pod", "[Pod]\nServiceName=b-group\n"},
		{"c.container", IMG "ServiceName=bad/name\n"},
		END,
	};
	struct spec_set *set =
		build(specs, NULL,
		      "R/c.container:3: ServiceName=bad/name is not a valid unit name "
		      "([A-Za-z0-9:_.@-])\n");

	(void)state;
	assert_string_equal(spec_set_find(set, "a")->service, "a-svc.service");
	assert_string_equal(spec_set_find(set, "b")->service, "b-group.service");
	spec_set_free(set);
}

static void test_names_and_syntax(void **state)
{
	const struct file specs[] = {
		{"Bad.container", IMG},
		{"root.container", IMG},
		{"alice.container", IMG},
		{"syntax.container", "[Container]\nImage=x\nno equals\n"},
		{"ok.container", IMG},
		{"app.kube", "[Kube]\n"},
		END,
	};
	struct spec_set *set = build(
		specs, NULL,
		"R/Bad.container:1: 'Bad' is not a valid user name ([a-z_][a-z0-9_-]*, not ending "
		"in '-')\n"
		"R/app.kube:1: missing Yaml= in [Kube]\n"
		"R/syntax.container:3: missing '='\n");

	(void)state;
	/* root and alice are valid names: whether the host reserves them is core/names' rule. */
	assert_int_equal(set->n_workloads, 4);
	assert_non_null(spec_set_find(set, "ok"));
	assert_non_null(spec_set_find(set, "root"));
	spec_set_free(set);
}

/* A merge that fails is the spec's problem: reported, the workload left without files. */
static void test_merge_failure(void **state)
{
	const struct file specs[] = {{"d/p.pod", "[Pod]\n"}, END};
	const struct file transforms[] = {{"d.pod", "[Pod]\n+#x=1\n"}, END};
	struct spec_set *set = build(specs, transforms,
				     "R/d/p.pod:1: cannot merge the transforms: a transform entry "
				     "cannot be written back\n"
				     "T/d.pod:2: unknown key '#x' in [Pod]\n");

	(void)state;
	assert_int_equal(spec_set_find(set, "p")->n_units, 0);
	spec_set_free(set);
}

static void test_empty_and_unsorted(void **state)
{
	struct diag_list diags = {0};
	struct spec_set *set = NULL;
	struct fileset *repo = make_repo(NULL);

	(void)state;
	assert_int_equal(spec_build(repo, NULL, NULL, &set, &diags), 0);
	assert_int_equal(set->n_workloads, 0);
	assert_int_equal(diags.n, 0);
	spec_set_free(set);
	assert_int_equal(fileset_add(repo, "a.container", IMG, strlen(IMG)), 0);
	assert_int_equal(spec_build(repo, NULL, NULL, &set, &diags), -EINVAL);
	fileset_free(repo);
	spec_set_free(NULL);
}

#define POD_YAML "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n"
#define CM_YAML	 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"

/* A .kube is a workload: its YAML files are deployed at their repository paths, once. */
static void test_kube(void **state)
{
	const struct file specs[] = {
		{"app.kube", "[Kube]\nYaml=app.yaml\nYaml=k8s/extra.yaml\nConfigMap=k8s/cm.yaml\n"},
		{"app-web.image", "[Image]\nImage=quay.io/x/y:1\n"},
		{"app-job.timer", "[Timer]\nOnCalendar=daily\n"},
		{"app.yaml", POD_YAML},
		{"k8s/extra.yaml", POD_YAML},
		{"k8s/cm.yaml", CM_YAML},
		{"d/api.kube", "[Kube]\nYaml=d/{{.Name}}.yaml\n"},
		{"d/api.yaml", POD_YAML},
		{"net.kube", "[Kube]\nYaml=app.yaml\nNetwork=net.network\nServiceName=n1\n"},
		{"net.network", "[Network]\n"},
		END,
	};
	const struct file transforms[] = {
		{"_base.kube", "[Kube]\nAutoUpdate=registry\n"},
		{"d.kube", "[Kube]\nPublishPort=8080:80\n"},
		END,
	};
	struct spec_set *set = build(specs, transforms, "");
	const struct spec_workload *w = spec_set_find(set, "app");

	(void)state;
	assert_int_equal(w->kind, SPEC_KIND_KUBE);
	assert_string_equal(w->service, "app.service");
	assert_string_equal(unit_names(set, "app"), "app-job.timer app-web.image app.kube app.yaml "
						    "k8s/cm.yaml k8s/extra.yaml");
	assert_int_equal(unit(set, "app", "k8s/extra.yaml")->dir, SPEC_UNIT_QUADLET);
	assert_string_equal(unit(set, "app", "k8s/extra.yaml")->source, "R/k8s/extra.yaml");
	assert_string_equal(unit(set, "app", "app.kube")->data,
			    "[Kube]\nYaml=app.yaml\nYaml=k8s/extra.yaml\nConfigMap=k8s/cm.yaml\n"
			    "AutoUpdate=registry\n");
	assert_string_equal(unit_names(set, "api"), "api.kube d/api.yaml");
	assert_string_equal(unit(set, "api", "api.kube")->data,
			    "[Kube]\nYaml=d/api.yaml\nAutoUpdate=registry\nPublishPort=8080:80\n");
	assert_string_equal(unit_names(set, "net"), "app.yaml net.kube net.network");
	assert_string_equal(spec_set_find(set, "net")->service, "n1.service");
	spec_set_free(set);
}

/* Every way a Yaml= or ConfigMap= can be wrong, at its line; the YAML's own problem at its own. */
static void test_kube_paths(void **state)
{
	const struct file specs[] = {
		{"a.kube", "[Kube]\nYaml=/etc/passwd\nYaml=../x.yaml\nYaml=k8s/../a.yaml\n"
			   "Yaml=nope.yaml\nYaml=.hidden.yaml\nYaml=b.container\nYaml=dir/\n"},
		{"b.container", IMG},
		{"c.kube", "[Kube]\nYaml=svc.yaml\nConfigMap=c.yaml\n"},
		{"c.yaml", POD_YAML},
		{"svc.yaml", "apiVersion: v1\nkind: Service\n"},
		{"d.kube", "[Kube]\nPublishPort=80\n"},
		{"d/e.kube", "[Kube]\nYaml=d/e.yaml\n"},
		END,
	};
	struct spec_set *set = build(
		specs, NULL,
		"R/a.kube:2: Yaml=/etc/passwd is absolute: name a path of the repository, relative "
		"to its root\n"
		"R/a.kube:3: Yaml=../x.yaml goes through '.' or '..': name a path of the "
		"repository "
		"from its root\n"
		"R/a.kube:4: Yaml=k8s/../a.yaml goes through '.' or '..': name a path of the "
		"repository from its root\n"
		"R/a.kube:5: Yaml=nope.yaml is not a file of the repository (a symlink, a special "
		"file or a file over 1 MiB is never read)\n"
		"R/a.kube:6: Yaml=.hidden.yaml names a hidden file, which the repository model "
		"never "
		"reads\n"
		"R/a.kube:7: Yaml=b.container names a unit file, not a data file\n"
		"R/a.kube:8: Yaml=dir/ ends in '/'\n"
		"R/c.yaml:2: kind: Pod in a ConfigMap= file (only ConfigMap) (ConfigMap= of c)\n"
		/* d/ has no transform: an app, whose name meets d.kube's; its Yaml= is relative
		 * to the unit's own directory (issue 22). */
		"R/d:1: workload name 'd' is also used by R/d.kube\n"
		"R/d.kube:1: missing Yaml= in [Kube]\n"
		"R/d.kube:1: workload name 'd' is also used by R/d\n"
		"R/d/e.kube:2: Yaml=d/e.yaml: 'd/e.yaml' is not in the app directory (symlinks, "
		"special files and files over 1 MiB are not kept)\n"
		"R/svc.yaml:2: kind: Service is not one podman kube play runs (Pod, Deployment, "
		"DaemonSet, Job, PersistentVolumeClaim, ConfigMap, Secret) (Yaml= of c)\n");

	(void)state;
	assert_string_equal(unit_names(set, "a"), "a.kube");
	assert_string_equal(unit_names(set, "c"), "c.kube");
	spec_set_free(set);
}

/* .image, .build and .artifact: by reference (each workload its copy) or by name. */
static void test_images_and_builds(void **state)
{
	const struct file specs[] = {
		{"a.container", "[Container]\nImage=web.image\n"},
		{"b.container", "[Container]\nImage=web.image\n"
				"Mount=type=artifact,source=data.artifact,destination=/d\n"},
		{"web.image", "[Image]\nImage=quay.io/x/web:1\n"},
		{"data.artifact", "[Artifact]\nArtifact=quay.io/x/data:1\n"},
		{"c.container", "[Container]\nImage=c-local.build\n"},
		{"c-local.build", "[Build]\nImageTag=localhost/c\nSetWorkingDirectory=ctx\n"},
		{"c-extra.image", "[Image]\nImage=quay.io/x/extra:1\n"},
		{"ctx/Containerfile", "FROM scratch\n"},
		{"ctx/sub/data.txt", "x"},
		{"stray.image", "[Image]\nImage=quay.io/x/s:1\n"},
		{"noimg.image", "[Image]\n"},
		{"d.container", "[Container]\nImage=noimg.image\n"},
		END,
	};
	struct spec_set *set =
		build(specs, NULL,
		      "R/noimg.image:1: missing Image= in [Image]\n"
		      "R/stray.image:1: no spec beside it refers to it (Image=, Mount=) or owns it "
		      "(NAME-LABEL.image for the spec NAME), so never deployed\n");

	(void)state;
	assert_string_equal(unit_names(set, "a"), "a.container web.image");
	assert_string_equal(unit_names(set, "b"), "b.container data.artifact web.image");
	assert_string_equal(unit_names(set, "c"), "c-extra.image c-local.build c.container "
						  "ctx/Containerfile ctx/sub/data.txt");
	assert_string_equal(unit(set, "c", "ctx/sub/data.txt")->source, "R/ctx/sub/data.txt");
	spec_set_free(set);
}

/* A .build's context: a directory of the repository (bounded), File= in the repository. */
static void test_build_context(void **state)
{
	static char many[4100][24];
	struct file specs[5100] = {
		{"a.container", "[Container]\nImage=a-x.build\n"},
		{"a-x.build", "[Build]\nImageTag=t\nSetWorkingDirectory=unit\n"},
		{"b.container", "[Container]\nImage=b-x.build\n"},
		{"b-x.build", "[Build]\nImageTag=t\nFile=b/Containerfile\n"},
		{"b/Containerfile", "FROM x\n"},
		{"c.container", "[Container]\nImage=c-x.build\n"},
		{"c-x.build",
		 "[Build]\nImageTag=t\nSetWorkingDirectory=/srv\nFile=../Containerfile\n"},
		{"d.container", "[Container]\nImage=d-x.build\n"},
		{"d-x.build", "[Build]\nSetWorkingDirectory=nodir\n"},
		{"e.container", "[Container]\nImage=e-x.build\n"},
		{"e-x.build",
		 "[Build]\nImageTag=t\nSetWorkingDirectory=ectx\nFile=ectx/Containerfile\n"},
		{"ectx/Containerfile", "FROM x\n"},
		{"ectx/inner.container", IMG},
		{"f.container", "[Container]\nImage=f-x.build\n"},
		{"f-x.build",
		 "[Build]\nImageTag=t\nSetWorkingDirectory=https://example.com/r.git\n"},
		{"g.container", "[Container]\nImage=g-x.build\n"},
		{"g-x.build", "[Build]\nImageTag=t\nSetWorkingDirectory=big\n"},
		{"h.container", "[Container]\nImage=h-x.build\n"},
		{"h-x.build", "[Build]\nImageTag=t\n"},
	};
	size_t n = 19;

	for (int i = 0; i < 4100; i++, n++) {
		snprintf(many[i], sizeof(many[i]), "big/f%d", i);
		specs[n] = (struct file){many[i], "x"};
	}
	specs[n] = (struct file)END;
	struct spec_set *set = build(
		specs, NULL,
		"R/a-x.build:3: SetWorkingDirectory=unit would make the quadlet directory the "
		"build "
		"context: name a directory of the repository\n"
		"R/b-x.build:3: File=b/Containerfile: a File= in the repository needs "
		"SetWorkingDirectory=DIR, the build context\n"
		"R/c-x.build:3: SetWorkingDirectory=/srv is absolute: name a path of the "
		"repository, "
		"relative to its root\n"
		"R/c-x.build:4: File=../Containerfile goes through '.' or '..': name a path of the "
		"repository from its root\n"
		"R/d-x.build:1: missing ImageTag= in [Build]\n"
		"R/d-x.build:2: SetWorkingDirectory=nodir is not a directory of the repository\n"
		"R/ectx/inner.container:1: a unit file in the build context of e-x.build: quadlet "
		"would read it as a unit where the context is deployed\n"
		"R/g-x.build:3: SetWorkingDirectory=big: the build context has more than 4096 "
		"files "
		"or 67108864 bytes (BUILD_CONTEXT_*_MAX)\n"
		"R/h-x.build:1: a .build needs SetWorkingDirectory=DIR (its context, a directory "
		"of "
		"the repository) or File=URL\n");

	(void)state;
	assert_string_equal(unit_names(set, "e"), "e-x.build e.container ectx/Containerfile");
	assert_string_equal(unit_names(set, "f"), "f-x.build f.container");
	spec_set_free(set);
}

/* Each workload copies the data files it deploys; all copies together are bounded. */
static void test_data_bound(void **state)
{
	const struct file specs[] = {
		{"a.container", "[Container]\nImage=x.build\n"},
		{"b.container", "[Container]\nImage=x.build\n"},
		{"c.container", "[Container]\nImage=x.build\n"},
		{"d.container", "[Container]\nImage=x.build\n"},
		{"x.build", "[Build]\nImageTag=t\nSetWorkingDirectory=ctx\n"},
		{"ctx/a", "0123456789"},
		{"ctx/b", "0123456789"},
		END,
	};
	const struct spec_opts small = {.repo_label = "R", .data_bytes_max = 50};
	struct fileset *repo = make_repo(specs);
	struct diag_list diags = {0};
	struct spec_set *set = NULL;

	(void)state;
	assert_int_equal(spec_build(repo, NULL, &small, &set, &diags), 0);
	assert_string_equal(diags_text(&diags),
			    "R/ctx/b:1: the data files copied into the workloads pass 50 bytes in "
			    "all (SPEC_DATA_BYTES_MAX): fewer workloads may share this one\n");
	assert_string_equal(unit_names(set, "b"), "b.container ctx/a ctx/b x.build");
	assert_string_equal(unit_names(set, "c"), "c.container ctx/a x.build");
	assert_string_equal(unit_names(set, "d"), "d.container x.build");
	diag_list_release(&diags);
	spec_set_free(set);
	fileset_free(repo);
}

/* spec_opts.content_of (check without --render): only the named workload keeps its files'
 * contents; the others keep their files' names, sources and sizes, and the diagnostics are the
 * same. */
static void test_content_of(void **state)
{
	const struct file specs[] = {
		{"web.pod", "[Pod]\n"},
		{"web-app.container", IMG "Volume=web-data.volume:/d\n"},
		{"web-data.volume", "[Volume]\n"},
		{"solo.container", IMG},
		{"solo-job.timer", "[Timer]\nOnCalendar=daily\n"},
		{"bad.container", "[Container]\n"},
		/* Sized without its text written: the tokens after the first counted too. */
		{"tokens.container", IMG "Environment=A={{.Name}}\nLabel=b={{.Name}}x{{.Name}}\n"},
		END,
	};
	struct spec_opts only = {.repo_label = "R", .content_of = "solo"};
	struct fileset *repo = make_repo(specs);
	struct diag_list diags = {0};
	struct spec_set *set = NULL;
	const struct spec_workload *web;

	(void)state;
	assert_int_equal(spec_build(repo, NULL, &only, &set, &diags), 0);
	assert_string_equal(diags_text(&diags),
			    "R/bad.container:1: missing Image= in [Container]\n");
	assert_string_equal(unit_names(set, "web"), "web-app.container web-data.volume web.pod");
	web = spec_set_find(set, "web");
	assert_true(web->no_content);
	for (size_t i = 0; i < web->n_units; i++)
		assert_null(web->units[i].data);
	assert_int_equal(unit(set, "web", "web-data.volume")->size, strlen("[Volume]\n"));
	assert_string_equal(unit(set, "web", "web.pod")->source, "R/web.pod");
	assert_null(unit(set, "tokens", "tokens.container")->data);
	assert_int_equal(unit(set, "tokens", "tokens.container")->size,
			 strlen(IMG "Environment=A=tokens\nLabel=b=tokensxtokens\n"));
	assert_false(spec_set_find(set, "solo")->no_content);
	assert_string_equal(unit(set, "solo", "solo-job.timer")->data,
			    "[Timer]\nOnCalendar=daily\n");
	assert_string_equal(unit(set, "solo", "solo.container")->data, IMG);
	diag_list_release(&diags);
	spec_set_free(set);
	fileset_free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_names),
		cmocka_unit_test(test_root_and_directories),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_pod_errors),
		cmocka_unit_test(test_sidecars),
		cmocka_unit_test(test_companions),
		cmocka_unit_test(test_volumes),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_merged_checks),
		cmocka_unit_test(test_service_name),
		cmocka_unit_test(test_names_and_syntax),
		cmocka_unit_test(test_merge_failure),
		cmocka_unit_test(test_empty_and_unsorted),
		cmocka_unit_test(test_kube),
		cmocka_unit_test(test_kube_paths),
		cmocka_unit_test(test_images_and_builds),
		cmocka_unit_test(test_build_context),
		cmocka_unit_test(test_data_bound),
		cmocka_unit_test(test_content_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
