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

/* Key counts of Podman 5.4.2, in quadlet_section_at() order: a changed table must be deliberate. */
static const struct {
	const char *name;
	size_t n_keys;
} expected_sections[] = {
	{"Container", 87}, {"Pod", 25},	  {"Volume", 14}, {"Network", 16},
	{"Kube", 19},	   {"Image", 15}, {"Build", 24},  {"Quadlet", 1},
};

static void test_version(void **state)
{
	(void)state;
	assert_string_equal(QUADLET_KEYS_PODMAN_VERSION, "5.4.2");
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
	/* Keys not in any 5.4.2 table (HttpProxy, Memory, ReloadCmd came in later releases). */
	assert_false(quadlet_key_supported("Container", "HttpProxy"));
	assert_false(quadlet_key_supported("Container", "Memory"));
	assert_false(quadlet_key_supported("Container", "ReloadCmd"));
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
	static const char *const checked[] = {"Container", "Pod",   "Volume", "Network",
					      "Kube",	   "Image", "Build",  "Quadlet"};
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
