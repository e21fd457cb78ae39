/* quadlet_keys.c: per-section tables of the keys Podman 5.4.2's quadlet generator accepts. */
#include "quadlet_keys.h"

#include "core.h"
#include "suggest.h"

#include <errno.h>
#include <string.h>

/*
 * Membership comes from the supported*Keys maps of podman v5.4.2 pkg/systemd/quadlet/quadlet.go
 * (verify with tests/unit/data/quadlet_keys/verify-against-podman.sh). MULTI was read by hand:
 * the key is read with LookupAll* in that section's Convert* function (directly, or through
 * lookupAndAddAllStrings, createBasePodmanCommand, addNetworks, addVolumes, handlePublishPorts,
 * handleLogOpt, handlePodmanArgs, handleUserMappings/handleUserRemap); every other key is read
 * with Lookup*, so its last occurrence wins. Sorted by strcmp(): test-quadlet_keys checks it.
 */
#define MULTI	   QUADLET_KEY_MULTI
#define DEPRECATED QUADLET_KEY_DEPRECATED

/* clang-format off */
static const struct quadlet_key container_keys[] = {
	{"AddCapability", MULTI},
	{"AddDevice", MULTI},
	{"AddHost", MULTI},
	{"Annotation", MULTI},
	{"AutoUpdate", 0},
	{"CgroupsMode", 0},
	{"ContainerName", 0},
	{"ContainersConfModule", MULTI},
	{"DNS", MULTI},
	{"DNSOption", MULTI},
	{"DNSSearch", MULTI},
	{"DropCapability", MULTI},
	{"Entrypoint", 0},
	{"Environment", MULTI},
	{"EnvironmentFile", MULTI},
	{"EnvironmentHost", 0},
	{"Exec", 0},
	{"ExposeHostPort", MULTI},
	{"GIDMap", MULTI},
	{"GlobalArgs", MULTI},
	{"Group", 0},
	{"GroupAdd", MULTI},
	{"HealthCmd", 0},
	{"HealthInterval", 0},
	{"HealthLogDestination", 0},
	{"HealthMaxLogCount", 0},
	{"HealthMaxLogSize", 0},
	{"HealthOnFailure", 0},
	{"HealthRetries", 0},
	{"HealthStartPeriod", 0},
	{"HealthStartupCmd", 0},
	{"HealthStartupInterval", 0},
	{"HealthStartupRetries", 0},
	{"HealthStartupSuccess", 0},
	{"HealthStartupTimeout", 0},
	{"HealthTimeout", 0},
	{"HostName", 0},
	{"IP", 0},
	{"IP6", 0},
	{"Image", 0},
	{"Label", MULTI},
	{"LogDriver", 0},
	{"LogOpt", MULTI},
	{"Mask", MULTI},
	{"Mount", MULTI},
	{"Network", MULTI},
	{"NetworkAlias", MULTI},
	{"NoNewPrivileges", 0},
	{"Notify", 0},
	{"PidsLimit", 0},
	{"Pod", 0},
	{"PodmanArgs", MULTI},
	{"PublishPort", MULTI},
	{"Pull", 0},
	{"ReadOnly", 0},
	{"ReadOnlyTmpfs", 0},
	{"RemapGid", MULTI | DEPRECATED},
	{"RemapUid", MULTI | DEPRECATED},
	{"RemapUidSize", DEPRECATED},
	{"RemapUsers", DEPRECATED},
	{"Rootfs", 0},
	{"RunInit", 0},
	{"SeccompProfile", 0},
	{"Secret", MULTI},
	{"SecurityLabelDisable", 0},
	{"SecurityLabelFileType", 0},
	{"SecurityLabelLevel", 0},
	{"SecurityLabelNested", 0},
	{"SecurityLabelType", 0},
	{"ServiceName", 0},
	{"ShmSize", 0},
	{"StartWithPod", 0},
	{"StopSignal", 0},
	{"StopTimeout", 0},
	{"SubGIDMap", 0},
	{"SubUIDMap", 0},
	{"Sysctl", MULTI},
	{"Timezone", 0},
	{"Tmpfs", MULTI},
	{"UIDMap", MULTI},
	{"Ulimit", MULTI},
	{"Unmask", MULTI},
	{"User", 0},
	{"UserNS", 0},
	{"VolatileTmp", DEPRECATED},
	{"Volume", MULTI},
	{"WorkingDir", 0},
};

static const struct quadlet_key pod_keys[] = {
	{"AddHost", MULTI},
	{"ContainersConfModule", MULTI},
	{"DNS", MULTI},
	{"DNSOption", MULTI},
	{"DNSSearch", MULTI},
	{"GIDMap", MULTI},
	{"GlobalArgs", MULTI},
	{"IP", 0},
	{"IP6", 0},
	{"Network", MULTI},
	{"NetworkAlias", MULTI},
	{"PodName", 0},
	{"PodmanArgs", MULTI},
	{"PublishPort", MULTI},
	{"RemapGid", MULTI | DEPRECATED},
	{"RemapUid", MULTI | DEPRECATED},
	{"RemapUidSize", DEPRECATED},
	{"RemapUsers", DEPRECATED},
	{"ServiceName", 0},
	{"ShmSize", 0},
	{"SubGIDMap", 0},
	{"SubUIDMap", 0},
	{"UIDMap", MULTI},
	{"UserNS", 0},
	{"Volume", MULTI},
};

static const struct quadlet_key volume_keys[] = {
	{"ContainersConfModule", MULTI},
	{"Copy", 0},
	{"Device", 0},
	{"Driver", 0},
	{"GlobalArgs", MULTI},
	{"Group", 0},
	{"Image", 0},
	{"Label", MULTI},
	{"Options", 0},
	{"PodmanArgs", MULTI},
	{"ServiceName", 0},
	{"Type", 0},
	{"User", 0},
	{"VolumeName", 0},
};

static const struct quadlet_key network_keys[] = {
	{"ContainersConfModule", MULTI},
	{"DNS", MULTI},
	{"DisableDNS", 0},
	{"Driver", 0},
	{"Gateway", MULTI},
	{"GlobalArgs", MULTI},
	{"IPAMDriver", 0},
	{"IPRange", MULTI},
	{"IPv6", 0},
	{"Internal", 0},
	{"Label", MULTI},
	{"NetworkName", 0},
	{"Options", MULTI},
	{"PodmanArgs", MULTI},
	{"ServiceName", 0},
	{"Subnet", MULTI},
};

static const struct quadlet_key kube_keys[] = {
	{"AutoUpdate", MULTI},
	{"ConfigMap", MULTI},
	{"ContainersConfModule", MULTI},
	{"ExitCodePropagation", 0},
	{"GlobalArgs", MULTI},
	{"KubeDownForce", 0},
	{"LogDriver", 0},
	{"LogOpt", MULTI},
	{"Network", MULTI},
	{"PodmanArgs", MULTI},
	{"PublishPort", MULTI},
	{"RemapGid", MULTI | DEPRECATED},
	{"RemapUid", MULTI | DEPRECATED},
	{"RemapUidSize", DEPRECATED},
	{"RemapUsers", DEPRECATED},
	{"ServiceName", 0},
	{"SetWorkingDirectory", 0},
	{"UserNS", 0},
	{"Yaml", 0},
};

static const struct quadlet_key image_keys[] = {
	{"AllTags", 0},
	{"Arch", 0},
	{"AuthFile", 0},
	{"CertDir", 0},
	{"ContainersConfModule", MULTI},
	{"Creds", 0},
	{"DecryptionKey", 0},
	{"GlobalArgs", MULTI},
	{"Image", 0},
	{"ImageTag", 0},
	{"OS", 0},
	{"PodmanArgs", MULTI},
	{"ServiceName", 0},
	{"TLSVerify", 0},
	{"Variant", 0},
};

static const struct quadlet_key build_keys[] = {
	{"Annotation", MULTI},
	{"Arch", 0},
	{"AuthFile", 0},
	{"ContainersConfModule", MULTI},
	{"DNS", MULTI},
	{"DNSOption", MULTI},
	{"DNSSearch", MULTI},
	{"Environment", MULTI},
	{"File", 0},
	{"ForceRM", 0},
	{"GlobalArgs", MULTI},
	{"GroupAdd", MULTI},
	{"ImageTag", MULTI},
	{"Label", MULTI},
	{"Network", MULTI},
	{"PodmanArgs", MULTI},
	{"Pull", 0},
	{"Secret", MULTI},
	{"ServiceName", 0},
	{"SetWorkingDirectory", 0},
	{"TLSVerify", 0},
	{"Target", 0},
	{"Variant", 0},
	{"Volume", MULTI},
};

static const struct quadlet_key quadlet_keys[] = {
	{"DefaultDependencies", 0},
};
/* clang-format on */

#undef MULTI
#undef DEPRECATED

static const struct quadlet_section sections[QUADLET_SECTION_COUNT] = {
	{"Container", ".container", container_keys, ARRAY_SIZE(container_keys)},
	{"Pod", ".pod", pod_keys, ARRAY_SIZE(pod_keys)},
	{"Volume", ".volume", volume_keys, ARRAY_SIZE(volume_keys)},
	{"Network", ".network", network_keys, ARRAY_SIZE(network_keys)},
	{"Kube", ".kube", kube_keys, ARRAY_SIZE(kube_keys)},
	{"Image", ".image", image_keys, ARRAY_SIZE(image_keys)},
	{"Build", ".build", build_keys, ARRAY_SIZE(build_keys)},
	/* Common to every quadlet file; checked alongside the file's own section. */
	{"Quadlet", NULL, quadlet_keys, ARRAY_SIZE(quadlet_keys)},
};

/* Sections quadlet copies to the generated service untouched (besides X-*). */
static const char *const passthrough_sections[] = {"Unit", "Service", "Install"};

const struct quadlet_section *quadlet_section_at(size_t i)
{
	return i < ARRAY_SIZE(sections) ? &sections[i] : NULL;
}

const struct quadlet_section *quadlet_section_find(const char *section)
{
	if (!section)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (strcmp(sections[i].name, section) == 0)
			return &sections[i];
	return NULL;
}

enum quadlet_section_kind quadlet_section_classify(const char *section)
{
	if (!section)
		return QUADLET_SECTION_UNKNOWN;
	if (quadlet_section_find(section))
		return QUADLET_SECTION_CHECKED;
	if (strncmp(section, "X-", 2) == 0)
		return QUADLET_SECTION_PASSTHROUGH;
	for (size_t i = 0; i < ARRAY_SIZE(passthrough_sections); i++)
		if (strcmp(passthrough_sections[i], section) == 0)
			return QUADLET_SECTION_PASSTHROUGH;
	return QUADLET_SECTION_UNKNOWN;
}

const char *quadlet_section_for_ext(const char *ext)
{
	if (!ext)
		return NULL;
	if (ext[0] == '.')
		ext++;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (sections[i].ext && strcmp(sections[i].ext + 1, ext) == 0)
			return sections[i].name;
	return NULL;
}

static const struct quadlet_key *key_find(const struct quadlet_section *s, const char *key)
{
	size_t lo = 0, hi = s->n_keys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, s->keys[mid].name);

		if (c == 0)
			return &s->keys[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool quadlet_key_supported(const char *section, const char *key)
{
	const struct quadlet_section *s = quadlet_section_find(section);

	return s && key && key_find(s, key);
}

int quadlet_key_flags(const char *section, const char *key)
{
	const struct quadlet_section *s;
	const struct quadlet_key *k;

	if (!section || !key)
		return -EINVAL;
	s = quadlet_section_find(section);
	if (!s)
		return -ENOENT;
	k = key_find(s, key);
	if (!k)
		return -ENOENT;
	return (int)k->flags;
}

/* Hints are suggest.c's; the key bound in quadlet_keys.h is the same number. */
_Static_assert((int)QUADLET_KEY_NAME_MAX == (int)SUGGEST_WORD_MAX,
	       "quadlet key bound and suggest bound differ");

static const char *key_name_at(const void *ctx, size_t i)
{
	const struct quadlet_section *s = ctx;

	return s->keys[i].name;
}

const char *quadlet_key_suggest(const char *section, const char *key)
{
	const struct quadlet_section *s = quadlet_section_find(section);

	return s ? suggest_closest(key, key_name_at, s, s->n_keys) : NULL;
}

static const char *section_name_at(const void *ctx, size_t i)
{
	(void)ctx;
	if (i < ARRAY_SIZE(sections))
		return sections[i].name;
	return passthrough_sections[i - ARRAY_SIZE(sections)];
}

const char *quadlet_section_suggest(const char *section)
{
	return suggest_closest(section, section_name_at, NULL,
			       ARRAY_SIZE(sections) + ARRAY_SIZE(passthrough_sections));
}
