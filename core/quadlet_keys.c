/* quadlet_keys.c: lookups in the generated tables of the keys Podman's quadlet generator accepts
 * (quadlet_keys_table.c), per section and per Podman version, and typo hints. */
#include "quadlet_keys.h"

#include "core.h"
#include "suggest.h"

#include <errno.h>
#include <string.h>

/* Sections quadlet copies to the generated service untouched (besides X-*). */
static const char *const passthrough_sections[] = {"Unit", "Service", "Install"};

const struct quadlet_section *quadlet_section_at(size_t i)
{
	return i < QUADLET_SECTION_COUNT ? &quadlet_sections[i] : NULL;
}

const struct quadlet_section *quadlet_section_find(const char *section)
{
	if (!section)
		return NULL;
	for (size_t i = 0; i < QUADLET_SECTION_COUNT; i++)
		if (quadlet_sections[i].name[0] == section[0] &&
		    strcmp(quadlet_sections[i].name, section) == 0)
			return &quadlet_sections[i];
	return NULL;
}

bool quadlet_section_is_passthrough(const char *section)
{
	if (!section)
		return false;
	if (section[0] == 'X' && section[1] == '-')
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(passthrough_sections); i++)
		if (passthrough_sections[i][0] == section[0] &&
		    strcmp(passthrough_sections[i], section) == 0)
			return true;
	return false;
}

enum quadlet_section_kind quadlet_section_classify(const char *section)
{
	if (!section)
		return QUADLET_SECTION_UNKNOWN;
	if (quadlet_section_find(section))
		return QUADLET_SECTION_CHECKED;
	if (quadlet_section_is_passthrough(section))
		return QUADLET_SECTION_PASSTHROUGH;
	return QUADLET_SECTION_UNKNOWN;
}

const char *quadlet_section_for_ext(const char *ext)
{
	if (!ext)
		return NULL;
	if (ext[0] == '.')
		ext++;
	for (size_t i = 0; i < QUADLET_SECTION_COUNT; i++)
		if (quadlet_sections[i].ext && quadlet_sections[i].ext[1] == ext[0] &&
		    strcmp(quadlet_sections[i].ext + 1, ext) == 0)
			return quadlet_sections[i].name;
	return NULL;
}

/* A binary search that orders by the first byte before it calls strcmp() for the rest: check
 * looks up every key of every spec, and most probes differ in the first byte (issue 16). */
const struct quadlet_key *quadlet_key_find(const struct quadlet_section *s, const char *key)
{
	unsigned char first = (unsigned char)key[0];
	size_t lo = 0, hi = s->n_keys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = s->keys[mid].name;
		int c = (int)first - (int)(unsigned char)name[0];

		if (c == 0 && first != '\0')
			c = strcmp(key + 1, name + 1);
		if (c == 0)
			return &s->keys[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct quadlet_key *quadlet_key_lookup(const char *section, const char *key)
{
	const struct quadlet_section *s = quadlet_section_find(section);

	return s && key ? quadlet_key_find(s, key) : NULL;
}

bool quadlet_key_supported(const char *section, const char *key)
{
	return quadlet_key_lookup(section, key) != NULL;
}

enum quadlet_availability quadlet_availability(const struct podman_version *since,
					       const struct podman_version *until,
					       const struct podman_version *target)
{
	if (!target)
		return QUADLET_AVAILABLE;
	if (podman_version_cmp(target, since) < 0)
		return QUADLET_TOO_NEW;
	if (podman_version_is_set(until) && podman_version_cmp(target, until) > 0)
		return QUADLET_REMOVED;
	return QUADLET_AVAILABLE;
}

bool quadlet_ext_supported(const char *ext, const struct podman_version *target)
{
	const struct quadlet_section *s = quadlet_section_find(quadlet_section_for_ext(ext));

	return s && quadlet_availability(&s->since, &s->until, target) == QUADLET_AVAILABLE;
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
	k = quadlet_key_find(s, key);
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
	if (i < QUADLET_SECTION_COUNT)
		return quadlet_sections[i].name;
	return passthrough_sections[i - QUADLET_SECTION_COUNT];
}

const char *quadlet_section_suggest(const char *section)
{
	return suggest_closest(section, section_name_at, NULL,
			       QUADLET_SECTION_COUNT + ARRAY_SIZE(passthrough_sections));
}
