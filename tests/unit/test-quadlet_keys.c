/* test-quadlet_keys.c: the quadlet key tables, their lookups and the did-you-mean suggestions. */
#include "quadlet_keys.h"

#include "core.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Key counts of Podman 4.4.0 to 5.8.2 and main c6580b4a5219, in quadlet_section_at() order, as
 * third_party/podman/gen-quadlet-keys.sh prints them: a changed table must be deliberate. */
static const struct {
	const char *name;
	size_t n_keys;
} expected_sections[] = {
	{"Artifact", 13}, {"Build", 28}, {"Container", 94}, {"Image", 18},  {"Kube", 19},
	{"Network", 18},  {"Pod", 29},	 {"Volume", 16},    {"Quadlet", 1},
};

static struct podman_version pv(unsigned major, unsigned minor, unsigned patch)
{
	return (struct podman_version){.major = major, .minor = minor, .patch = patch};
}

static void test_version(void **state)
{
	struct podman_version newest = pv(5, 8, 2);

	(void)state;
	assert_int_equal(podman_version_cmp(&quadlet_keys_newest_release, &newest), 0);
}

static void test_tables_sorted_unique(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_SIZE(expected_sections), QUADLET_SECTION_COUNT);
	for (size_t i = 0; i < QUADLET_SECTION_COUNT; i++) {
		const struct quadlet_section *s = quadlet_section_at(i);

		assert_non_null(s);
		assert_string_equal(s->name, expected_sections[i].name);
		assert_int_equal(s->n_keys, expected_sections[i].n_keys);
		for (size_t j = 0; j < s->n_keys; j++) {
			const char *k = s->keys[j].name;

			assert_non_null(k);
			assert_true(strlen(k) > 0 && strlen(k) <= QUADLET_KEY_NAME_MAX);
			assert_int_equal(s->keys[j].flags & ~(unsigned)(QUADLET_KEY_MULTI |
									QUADLET_KEY_DEPRECATED),
					 0);
			/* Strictly increasing: sorted and no duplicates. */
			if (j > 0 && strcmp(s->keys[j - 1].name, k) >= 0)
				fail_msg("[%s] %s is not after %s", s->name, k,
					 s->keys[j - 1].name);
		}
	}
	assert_null(quadlet_section_at(QUADLET_SECTION_COUNT));
	assert_null(quadlet_section_at(SIZE_MAX));
}

/* The binary search finds every entry, and an exact key suggests itself. */
static void test_every_key_found(void **state)
{
	(void)state;
	for (size_t i = 0; i < QUADLET_SECTION_COUNT; i++) {
		const struct quadlet_section *s = quadlet_section_at(i);

		assert_ptr_equal(quadlet_section_find(s->name), s);
		assert_int_equal(quadlet_section_classify(s->name), QUADLET_SECTION_CHECKED);
		for (size_t j = 0; j < s->n_keys; j++) {
			const char *k = s->keys[j].name;

			assert_true(quadlet_key_supported(s->name, k));
			assert_int_equal(quadlet_key_flags(s->name, k), (int)s->keys[j].flags);
			assert_string_equal(quadlet_key_suggest(s->name, k), k);
		}
	}
}

static void test_real_keys(void **state)
{
	static const char *const container[] = {
		"Image",
		"PublishPort",
		"Environment",
		"EnvironmentFile",
		"Network",
		"Volume",
		"ContainerName",
		"Pod",
		"AutoUpdate",
		"Secret",
		"Label",
		"Exec",
		"Notify",
		"HealthCmd",
		"HealthStartupCmd",
		"User",
		"Group",
		"UserNS",
		"Mount",
		"Tmpfs",
		"ReadOnly",
		"NoNewPrivileges",
		"DropCapability",
		"AddCapability",
		"PodmanArgs",
		"GlobalArgs",
		"StartWithPod",
		"Rootfs",
		"Entrypoint",
		"WorkingDir",
		"LogDriver",
		"Ulimit",
		"Timezone",
		"ServiceName",
		"Pull",
		"HealthLogDestination",
		"HealthMaxLogCount",
		"HealthMaxLogSize",
	};
	static const char *const pod[] = {"PodName",	 "PublishPort", "Network", "Volume",
					  "ServiceName", "ShmSize",	"UserNS",  "NetworkAlias"};
	static const char *const volume[] = {"VolumeName", "Driver",  "Image", "Copy",	"Device",
					     "Type",	   "Options", "User",  "Group", "Label"};
	static const char *const network[] = {"NetworkName", "Subnet", "Gateway",
					      "IPRange",     "IPv6",   "Internal",
					      "DisableDNS",  "DNS",    "Options"};
	static const char *const kube[] = {"Yaml",
					   "ConfigMap",
					   "AutoUpdate",
					   "PublishPort",
					   "ExitCodePropagation",
					   "KubeDownForce",
					   "SetWorkingDirectory",
					   "Network",
					   "UserNS"};
	static const char *const image[] = {"Image",	"ImageTag", "AllTags", "Arch",
					    "AuthFile", "CertDir",  "Creds",   "DecryptionKey",
					    "OS",	"TLSVerify"};
	static const char *const build[] = {"ImageTag", "File",	       "SetWorkingDirectory",
					    "Target",	"Pull",	       "ForceRM",
					    "Secret",	"Environment", "Volume"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(container); i++)
		assert_true(quadlet_key_supported("Container", container[i]));
	for (size_t i = 0; i < ARRAY_SIZE(pod); i++)
		assert_true(quadlet_key_supported("Pod", pod[i]));
	for (size_t i = 0; i < ARRAY_SIZE(volume); i++)
		assert_true(quadlet_key_supported("Volume", volume[i]));
	for (size_t i = 0; i < ARRAY_SIZE(network); i++)
		assert_true(quadlet_key_supported("Network", network[i]));
	for (size_t i = 0; i < ARRAY_SIZE(kube); i++)
		assert_true(quadlet_key_supported("Kube", kube[i]));
	for (size_t i = 0; i < ARRAY_SIZE(image); i++)
		assert_true(quadlet_key_supported("Image", image[i]));
	for (size_t i = 0; i < ARRAY_SIZE(build); i++)
		assert_true(quadlet_key_supported("Build", build[i]));
	assert_true(quadlet_key_supported("Quadlet", "DefaultDependencies"));
	/* Newer than Debian's 5.4.2 (the table before issue 15), refused by check then. */
	assert_true(quadlet_key_supported("Container", "HttpProxy"));
	assert_true(quadlet_key_supported("Container", "Memory"));
	assert_true(quadlet_key_supported("Container", "ReloadCmd"));
	assert_true(quadlet_key_supported("Pod", "HostName"));
	assert_true(quadlet_key_supported("Artifact", "Artifact"));
}

/* Each key's first version: since <= the newest release (or main), nothing removed yet. */
static void test_since_until(void **state)
{
	static const struct {
		const char *section, *key;
		unsigned major, minor;
	} firsts[] = {
		{"Container", "Image", 4, 4},
		{"Container", "HealthCmd", 4, 5},
		{"Container", "Pod", 5, 0},
		{"Container", "Memory", 5, 5},
		{"Container", "Retry", 5, 5},
		{"Container", "ReloadCmd", 5, 5},
		{"Container", "HttpProxy", 5, 7},
		{"Container", "AppArmor", 5, 8},
		{"Pod", "HostName", 5, 5},
		{"Pod", "Label", 5, 6},
		{"Pod", "StopTimeout", 5, 7},
		{"Image", "Image", 4, 8},
		{"Build", "File", 5, 2},
		{"Artifact", "Artifact", 5, 7},
		{"Quadlet", "DefaultDependencies", 5, 3},
	};
	const struct quadlet_key *k;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(firsts); i++) {
		struct podman_version want = pv(firsts[i].major, firsts[i].minor, 0);

		k = quadlet_key_lookup(firsts[i].section, firsts[i].key);
		assert_non_null(k);
		if (podman_version_cmp(&k->since, &want) != 0)
			fail_msg("[%s] %s since %u.%u.%u", firsts[i].section, firsts[i].key,
				 k->since.major, k->since.minor, k->since.patch);
		assert_false(podman_version_is_set(&k->until));
	}
	/* Only in main (unreleased): after every release. */
	k = quadlet_key_lookup("Volume", "UID");
	assert_non_null(k);
	assert_int_equal(k->since.major, PODMAN_VERSION_MAIN_MAJOR);
	assert_true(podman_version_cmp(&k->since, &quadlet_keys_newest_release) > 0);
	for (size_t i = 0; i < QUADLET_SECTION_COUNT; i++) {
		const struct quadlet_section *s = quadlet_section_at(i);

		for (size_t j = 0; j < s->n_keys; j++) {
			assert_true(podman_version_cmp(&s->keys[j].since, &s->since) >= 0);
			assert_false(podman_version_is_set(&s->keys[j].until));
		}
	}
	assert_null(quadlet_key_lookup("Container", "Memroy"));
	assert_null(quadlet_key_lookup("Service", "Restart"));
	assert_null(quadlet_key_lookup(NULL, "Image"));
	assert_null(quadlet_key_lookup("Container", NULL));
}

static void test_availability(void **state)
{
	const struct quadlet_key *memory = quadlet_key_lookup("Container", "Memory");
	struct podman_version v54 = pv(5, 4, 0), v542 = pv(5, 4, 2), v55 = pv(5, 5, 0),
			      v6 = pv(6, 0, 0), none = {0}, since = pv(4, 6, 0),
			      until = pv(5, 1, 2);

	(void)state;
	assert_int_equal(quadlet_availability(&memory->since, &memory->until, NULL),
			 QUADLET_AVAILABLE);
	assert_int_equal(quadlet_availability(&memory->since, &memory->until, &v54),
			 QUADLET_TOO_NEW);
	assert_int_equal(quadlet_availability(&memory->since, &memory->until, &v542),
			 QUADLET_TOO_NEW);
	assert_int_equal(quadlet_availability(&memory->since, &memory->until, &v55),
			 QUADLET_AVAILABLE);
	assert_int_equal(quadlet_availability(&memory->since, &memory->until, &v6),
			 QUADLET_AVAILABLE);
	/* A removed key (none yet in Podman's history): its last release still has it. */
	assert_int_equal(quadlet_availability(&since, &until, &until), QUADLET_AVAILABLE);
	assert_int_equal(quadlet_availability(&since, &until, &v54), QUADLET_REMOVED);
	assert_int_equal(quadlet_availability(&since, &none, &v6), QUADLET_AVAILABLE);
	/* File types by version: .artifact came with 5.7, .pod with 5.0, .build with 5.2. */
	assert_false(quadlet_ext_supported(".artifact", &v542));
	assert_true(quadlet_ext_supported("artifact", &v6));
	assert_true(quadlet_ext_supported(".artifact", NULL));
	assert_true(quadlet_ext_supported(".container", &since));
	assert_false(quadlet_ext_supported(".pod", &since));
	assert_true(quadlet_ext_supported(".build", &v542));
	assert_false(quadlet_ext_supported(".service", NULL));
	assert_false(quadlet_ext_supported(NULL, NULL));
}

static void test_version_parse(void **state)
{
	static const struct {
		const char *text;
		unsigned major, minor, patch;
	} good[] = {
		{"5.4", 5, 4, 0},
		{"5.4.2", 5, 4, 2},
		{"4.9.4-rhel", 4, 9, 4},
		{"5.6.0-dev", 5, 6, 0},
		{"5.7.0+ds1-2", 5, 7, 0},
		{"0.1", 0, 1, 0},
		{"9999.9999.9999", 9999, 9999, 9999},
		{"05.04", 5, 4, 0},
	};
	static const char *const bad[] = {
		"",
		"5",
		"5.",
		"5.a",
		"a.5",
		".5.4",
		"5..4",
		"5.4.",
		"5.4.2.1",
		"-5.4",
		"+5.4",
		" 5.4",
		"5.4 ",
		"5.4\n",
		"5.4-",
		"5.4-a b",
		"5.4_x",
		"0.0",
		"0.0.0",
		"10000.0",
		"5.10000",
		"99999999999.1",
		"4294967301.1",
		"5.4.99999999999999999999",
		"v5.4",
		"podman version 5.4",
		"5,4",
		"\xff.4",
	};
	struct podman_version v, keep = pv(1, 2, 3);
	char longer[PODMAN_VERSION_TEXT_MAX + 2];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(podman_version_parse(good[i].text, &v), 0);
		assert_int_equal(v.major, good[i].major);
		assert_int_equal(v.minor, good[i].minor);
		assert_int_equal(v.patch, good[i].patch);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = keep;
		if (podman_version_parse(bad[i], &v) != -EINVAL)
			fail_msg("'%s' parsed", bad[i]);
		assert_int_equal(podman_version_cmp(&v, &keep), 0); /* untouched */
	}
	assert_int_equal(podman_version_parse(NULL, &v), -EINVAL);
	/* Too long, also when it would otherwise be valid ("5.4-xxxx..."). */
	memset(longer, 'x', sizeof(longer) - 1);
	memcpy(longer, "5.4-", 4);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(podman_version_parse(longer, &v), -EINVAL);
	longer[PODMAN_VERSION_TEXT_MAX] = '\0';
	assert_int_equal(podman_version_parse(longer, &v), 0);
}

static void test_version_output(void **state)
{
	static const char ok[] = "podman version 5.6.0-dev\n",
			  two[] = "podman version 5.4.2\nmore\n", bare[] = "podman version 4.9.4",
			  nul[] = "podman version 5.4\0.9\n";
	struct podman_version v;

	(void)state;
	assert_int_equal(podman_version_from_output(ok, strlen(ok), &v), 0);
	assert_int_equal(v.major * 100 + v.minor * 10 + v.patch, 560);
	assert_int_equal(podman_version_from_output(two, strlen(two), &v), 0);
	assert_int_equal(v.patch, 2);
	assert_int_equal(podman_version_from_output(bare, strlen(bare), &v), 0);
	assert_int_equal(v.major * 100 + v.minor * 10 + v.patch, 494);
	/* Cut short by size: "podman version 4.9" of the same text. */
	assert_int_equal(podman_version_from_output(bare, strlen(bare) - 2, &v), 0);
	assert_int_equal(v.patch, 0);
	assert_int_equal(podman_version_from_output(nul, sizeof(nul) - 1, &v), -EINVAL);
	assert_int_equal(podman_version_from_output("podman version \n", 16, &v), -EINVAL);
	assert_int_equal(podman_version_from_output("Podman version 5.4\n", 19, &v), -EINVAL);
	assert_int_equal(podman_version_from_output("docker version 5.4\n", 19, &v), -EINVAL);
	assert_int_equal(podman_version_from_output("podman version", 14, &v), -EINVAL);
	assert_int_equal(podman_version_from_output(NULL, 0, &v), -EINVAL);
}

static void test_version_cmp_format(void **state)
{
	struct podman_version a = pv(5, 4, 2), b = pv(5, 5, 0), c = pv(5, 4, 10), d = pv(10, 0, 0),
			      main_v = {.major = PODMAN_VERSION_MAIN_MAJOR}, none = {0};
	char buf[PODMAN_VERSION_STR_MAX], tiny[4];

	(void)state;
	assert_true(podman_version_cmp(&a, &b) < 0);
	assert_true(podman_version_cmp(&b, &a) > 0);
	assert_true(podman_version_cmp(&a, &c) < 0); /* numeric, not text: 4.2 before 4.10 */
	assert_true(podman_version_cmp(&b, &d) < 0);
	assert_true(podman_version_cmp(&d, &main_v) < 0);
	assert_int_equal(podman_version_cmp(&a, &a), 0);
	assert_false(podman_version_is_set(&none));
	assert_true(podman_version_is_set(&a));
	assert_string_equal(podman_version_format(&a, buf, sizeof(buf)), "5.4.2");
	assert_string_equal(podman_version_format(&b, buf, sizeof(buf)), "5.5");
	assert_string_equal(podman_version_format(&main_v, buf, sizeof(buf)), "main");
	d = pv(9999, 9999, 9999);
	assert_string_equal(podman_version_format(&d, buf, sizeof(buf)), "9999.9999.9999");
	assert_string_equal(podman_version_format(&d, tiny, sizeof(tiny)), "999");
}

static void test_unsupported_keys(void **state)
{
	(void)state;
	/* Typos and wrong case: keys are case-sensitive. */
	assert_false(quadlet_key_supported("Container", "Imagee"));
	assert_false(quadlet_key_supported("Container", "image"));
	assert_false(quadlet_key_supported("Container", "IMAGE"));
	assert_false(quadlet_key_supported("Container", "Image "));
	assert_false(quadlet_key_supported("Container", ""));
	/* Keys of another section. */
	assert_false(quadlet_key_supported("Container", "Restart"));		 /* [Service] */
	assert_false(quadlet_key_supported("Container", "PodName"));		 /* [Pod] */
	assert_false(quadlet_key_supported("Container", "Yaml"));		 /* [Kube] */
	assert_false(quadlet_key_supported("Container", "DefaultDependencies")); /* [Quadlet] */
	assert_false(quadlet_key_supported("Pod", "ContainerName"));
	assert_false(quadlet_key_supported("Pod", "Image"));
	assert_false(quadlet_key_supported("Kube", "UIDMap")); /* read by the code, not allowed */
	assert_false(quadlet_key_supported("Image", "Pull"));
	assert_false(quadlet_key_supported("Volume", "Subnet"));
	/* Keys quadlet never had. */
	assert_false(quadlet_key_supported("Container", "Memroy"));
	assert_false(quadlet_key_supported("Pod", "Memory"));
	/* Passthrough and unknown sections have no table. */
	assert_false(quadlet_key_supported("Service", "Restart"));
	assert_false(quadlet_key_supported("X-Container", "Image"));
	assert_false(quadlet_key_supported("container", "Image"));
	assert_false(quadlet_key_supported("Socket", "ListenStream"));
	assert_false(quadlet_key_supported(NULL, "Image"));
	assert_false(quadlet_key_supported("Container", NULL));
}

static void test_flags(void **state)
{
	(void)state;
	assert_int_equal(quadlet_key_flags("Container", "Image"), 0);
	assert_int_equal(quadlet_key_flags("Container", "Exec"), 0);
	assert_int_equal(quadlet_key_flags("Container", "Environment"), QUADLET_KEY_MULTI);
	assert_int_equal(quadlet_key_flags("Container", "PublishPort"), QUADLET_KEY_MULTI);
	assert_int_equal(quadlet_key_flags("Container", "Volume"), QUADLET_KEY_MULTI);
	assert_int_equal(quadlet_key_flags("Container", "RemapUid"),
			 QUADLET_KEY_MULTI | QUADLET_KEY_DEPRECATED);
	assert_int_equal(quadlet_key_flags("Container", "RemapUsers"), QUADLET_KEY_DEPRECATED);
	assert_int_equal(quadlet_key_flags("Container", "VolatileTmp"), QUADLET_KEY_DEPRECATED);
	/* The same key may be a list in one section and a single value in another. */
	assert_int_equal(quadlet_key_flags("Network", "Options"), QUADLET_KEY_MULTI);
	assert_int_equal(quadlet_key_flags("Volume", "Options"), 0);
	assert_int_equal(quadlet_key_flags("Build", "ImageTag"), QUADLET_KEY_MULTI);
	assert_int_equal(quadlet_key_flags("Image", "ImageTag"), 0);
	assert_int_equal(quadlet_key_flags("Container", "Imagee"), -ENOENT);
	assert_int_equal(quadlet_key_flags("Service", "Restart"), -ENOENT);
	assert_int_equal(quadlet_key_flags(NULL, "Image"), -EINVAL);
	assert_int_equal(quadlet_key_flags("Container", NULL), -EINVAL);
}

static void test_suggest(void **state)
{
	(void)state;
	assert_string_equal(quadlet_key_suggest("Container", "Imagee"), "Image");
	assert_string_equal(quadlet_key_suggest("Container", "image"), "Image");
	assert_string_equal(quadlet_key_suggest("Container", "IMAGE"), "Image");
	assert_string_equal(quadlet_key_suggest("Container", "Imag"), "Image");
	assert_string_equal(quadlet_key_suggest("Container", "PublishPorts"), "PublishPort");
	assert_string_equal(quadlet_key_suggest("Container", "Enviroment"), "Environment");
	assert_string_equal(quadlet_key_suggest("Container", "ContainerNmae"), "ContainerName");
	assert_string_equal(quadlet_key_suggest("Container", "EnvironmentFiles"),
			    "EnvironmentFile");
	assert_string_equal(quadlet_key_suggest("Container", "healthcmd"), "HealthCmd");
	assert_string_equal(quadlet_key_suggest("Container", "Lable"), "Label");
	assert_string_equal(quadlet_key_suggest("Container", "Secrets"), "Secret");
	assert_string_equal(quadlet_key_suggest("Container", "AutoUpdates"), "AutoUpdate");
	assert_string_equal(quadlet_key_suggest("Pod", "Podname"), "PodName");
	assert_string_equal(quadlet_key_suggest("Kube", "Yml"), "Yaml");
	assert_string_equal(quadlet_key_suggest("Network", "Subnets"), "Subnet");
	assert_string_equal(quadlet_key_suggest("Quadlet", "DefaultDependency"),
			    "DefaultDependencies");
	/* Far from everything. */
	assert_null(quadlet_key_suggest("Container", "Zzzzzz"));
	assert_null(quadlet_key_suggest("Container", "Restart"));
	assert_null(quadlet_key_suggest("Container", "Q"));
	/* A single edit is always allowed, even for short keys; two are not for them. */
	assert_string_equal(quadlet_key_suggest("Image", "O"), "OS");
	assert_null(quadlet_key_suggest("Image", "XY"));
}

/* Equal distances go to the first key in table order, whatever the input. */
static void test_suggest_tie_break(void **state)
{
	(void)state;
	/* "IPx" is one edit from both "IP" and "IP6"; "IP" sorts first. */
	assert_string_equal(quadlet_key_suggest("Container", "IPx"), "IP");
	assert_string_equal(quadlet_key_suggest("Pod", "IPx"), "IP");
	/* "DNSx" is one edit from "DNS" only; "DNSOptio" is one from "DNSOption". */
	assert_string_equal(quadlet_key_suggest("Container", "DNSx"), "DNS");
	assert_string_equal(quadlet_key_suggest("Container", "DNSOptio"), "DNSOption");
}

static void test_suggest_bounds(void **state)
{
	char key[QUADLET_KEY_NAME_MAX + 2];

	(void)state;
	assert_null(quadlet_key_suggest("Container", ""));
	assert_null(quadlet_key_suggest("Container", NULL));
	assert_null(quadlet_key_suggest(NULL, "Imagee"));
	assert_null(quadlet_key_suggest("Service", "Restrat")); /* passthrough: no table */
	assert_null(quadlet_key_suggest("Unknown", "Imagee"));

	/* QUADLET_KEY_NAME_MAX bytes still get an answer, one more byte gets none. */
	memset(key, 'a', sizeof(key));
	memcpy(key, "Environment", strlen("Environment"));
	key[QUADLET_KEY_NAME_MAX] = '\0';
	assert_null(quadlet_key_suggest("Container", key)); /* too far, but compared */
	key[QUADLET_KEY_NAME_MAX] = 'a';
	key[QUADLET_KEY_NAME_MAX + 1] = '\0';
	assert_null(quadlet_key_suggest("Container", key));

	/* Non-ASCII bytes are compared as bytes, without sign trouble. */
	assert_null(quadlet_key_suggest("Container", "\xff\xfe\xfd\xfc"));
	assert_string_equal(quadlet_key_suggest("Container", "Imag\xc3\xa9"), "Image");
}

static void test_classify(void **state)
{
	static const char *const checked[] = {"Container", "Pod",   "Volume",  "Network", "Kube",
					      "Image",	   "Build", "Quadlet", "Artifact"};
	static const char *const passthrough[] = {"Unit",	 "Service",   "Install",
						  "X-Container", "X-tailpod", "X-"};
	static const char *const unknown[] = {"container", "CONTAINER", "Containers", "",
					      "Socket",	   "Timer",	"x-foo",      "X",
					      " Unit",	   "Unit ",	"Service]"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(checked); i++)
		assert_int_equal(quadlet_section_classify(checked[i]), QUADLET_SECTION_CHECKED);
	for (size_t i = 0; i < ARRAY_SIZE(passthrough); i++)
		assert_int_equal(quadlet_section_classify(passthrough[i]),
				 QUADLET_SECTION_PASSTHROUGH);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_int_equal(quadlet_section_classify(unknown[i]), QUADLET_SECTION_UNKNOWN);
	assert_int_equal(quadlet_section_classify(NULL), QUADLET_SECTION_UNKNOWN);
	assert_null(quadlet_section_find("Service"));
	assert_null(quadlet_section_find(NULL));
}

static void test_section_suggest(void **state)
{
	(void)state;
	assert_string_equal(quadlet_section_suggest("container"), "Container");
	assert_string_equal(quadlet_section_suggest("Contianer"), "Container");
	assert_string_equal(quadlet_section_suggest("Services"), "Service");
	assert_string_equal(quadlet_section_suggest("Instal"), "Install");
	assert_string_equal(quadlet_section_suggest("unit"), "Unit");
	assert_string_equal(quadlet_section_suggest("Network "), "Network");
	assert_null(quadlet_section_suggest("Socket"));
	assert_null(quadlet_section_suggest(""));
	assert_null(quadlet_section_suggest(NULL));
}

static void test_section_for_ext(void **state)
{
	(void)state;
	assert_string_equal(quadlet_section_for_ext(".container"), "Container");
	assert_string_equal(quadlet_section_for_ext(".pod"), "Pod");
	assert_string_equal(quadlet_section_for_ext(".volume"), "Volume");
	assert_string_equal(quadlet_section_for_ext(".network"), "Network");
	assert_string_equal(quadlet_section_for_ext(".kube"), "Kube");
	assert_string_equal(quadlet_section_for_ext(".image"), "Image");
	assert_string_equal(quadlet_section_for_ext(".build"), "Build");
	assert_string_equal(quadlet_section_for_ext(".artifact"), "Artifact");
	assert_string_equal(quadlet_section_for_ext("container"), "Container");
	assert_null(quadlet_section_for_ext(".Container"));
	assert_null(quadlet_section_for_ext(".quadlet"));
	assert_null(quadlet_section_for_ext(".service"));
	assert_null(quadlet_section_for_ext(".containers"));
	assert_null(quadlet_section_for_ext(".conf"));
	assert_null(quadlet_section_for_ext("."));
	assert_null(quadlet_section_for_ext(""));
	assert_null(quadlet_section_for_ext(NULL));
	/* Every unit-type section maps back from its own extension. */
	for (size_t i = 0; i < QUADLET_SECTION_COUNT; i++) {
		const struct quadlet_section *s = quadlet_section_at(i);

		if (s->ext)
			assert_string_equal(quadlet_section_for_ext(s->ext), s->name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_tables_sorted_unique),
		cmocka_unit_test(test_every_key_found),
		cmocka_unit_test(test_real_keys),
		cmocka_unit_test(test_since_until),
		cmocka_unit_test(test_availability),
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test(test_version_output),
		cmocka_unit_test(test_version_cmp_format),
		cmocka_unit_test(test_unsupported_keys),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_suggest_tie_break),
		cmocka_unit_test(test_suggest_bounds),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_section_suggest),
		cmocka_unit_test(test_section_for_ext),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
