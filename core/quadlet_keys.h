/* quadlet_keys.h: the sections and keys Podman's quadlet generator accepts, and typo hints. */
#ifndef TAILPOD_QUADLET_KEYS_H
#define TAILPOD_QUADLET_KEYS_H

/*
 * The tables are generated (core/quadlet_keys_table.c, by third_party/podman/gen-quadlet-keys.sh;
 * README "Refreshing the quadlet key table") from pkg/systemd/quadlet/quadlet.go at every Podman
 * release since 4.4.0 and at main: the supported-keys map of each section, each key tagged with
 * the first version that accepts it and, when a later release dropped it, the last that did.
 * The generator refuses a file with any other key in its own section or in [Quadlet]
 * ("unsupported key 'X' in group 'Y'"), so tailpod refuses it before deploying. The MULTI and
 * DEPRECATED flags are read by hand (third_party/podman/quadlet-key-flags.txt).
 *
 * Section names and keys are case-sensitive, as in quadlet's parser and in systemd.
 */

#include <stdbool.h>
#include <stddef.h>

#include "podman_version.h"

enum quadlet_section_kind {
	/* Not a section quadlet knows: the caller reports it. */
	QUADLET_SECTION_UNKNOWN = 0,
	/* [Container] [Pod] [Volume] [Network] [Kube] [Image] [Build] [Quadlet]: only the keys in
	 * the section's table are allowed. */
	QUADLET_SECTION_CHECKED,
	/* [Unit] [Service] [Install] [X-*]: copied into the generated service as they are, any key
	 * (systemd judges those). */
	QUADLET_SECTION_PASSTHROUGH,
};

/* What the generator does with a key; informational, for the deploy-time checks. */
enum quadlet_key_flag {
	/* Every occurrence counts (a list; an empty value clears it). Without this flag the key may
	 * still repeat, but only the last occurrence is used. */
	QUADLET_KEY_MULTI = 1 << 0,
	/* Still accepted, but documented as deprecated (RemapUsers family, VolatileTmp). */
	QUADLET_KEY_DEPRECATED = 1 << 1,
};

enum {
	QUADLET_SECTION_COUNT = 9, /* checked sections: the eight unit types and [Quadlet] */
	QUADLET_KEY_NAME_MAX = 64, /* longer keys get no suggestion (and no allocation) */
};

struct quadlet_key {
	const char *name;
	unsigned flags;		     /* enum quadlet_key_flag bits */
	struct podman_version since; /* the first release that accepts it, or main */
	struct podman_version until; /* the last release that did, when removed; else {0} */
};

struct quadlet_section {
	const char *name; /* "Container" */
	const char *ext;  /* ".container"; NULL for [Quadlet], which every quadlet file may carry */
	const struct quadlet_key *keys; /* sorted by strcmp(), no duplicates */
	size_t n_keys;
	struct podman_version since, until; /* as for a key: [Artifact] came with Podman 5.7 */
};

/* How a key or section (its since/until) stands with a target Podman. */
enum quadlet_availability {
	QUADLET_AVAILABLE = 0, /* accepted there (or there is no target) */
	QUADLET_TOO_NEW,       /* needs a newer Podman: since > target */
	QUADLET_REMOVED,       /* dropped before it: until < target */
};

/* The generated tables (quadlet_keys_table.c): QUADLET_SECTION_COUNT sections, keys sorted. */
extern const struct quadlet_section quadlet_sections[];
/* The newest Podman release the tables were generated from. */
extern const struct podman_version quadlet_keys_newest_release;

/* What kind of section this is; NULL is UNKNOWN. */
enum quadlet_section_kind quadlet_section_classify(const char *section);
/* [Unit], [Service], [Install] or [X-*]: quadlet copies it untouched. False for NULL. */
bool quadlet_section_is_passthrough(const char *section);

/* The checked section at index i (0 <= i < QUADLET_SECTION_COUNT), or NULL past the end. */
const struct quadlet_section *quadlet_section_at(size_t i);

/* The checked section with this exact name, or NULL (passthrough and unknown sections). */
const struct quadlet_section *quadlet_section_find(const char *section);

/* The section a quadlet file extension selects: ".container" (or "container") -> "Container";
 * NULL for anything else. */
const char *quadlet_section_for_ext(const char *ext);

/* The closest known section name (checked or Unit/Service/Install) for a mistyped one, compared
 * as quadlet_key_suggest() does; NULL when nothing is close. */
const char *quadlet_section_suggest(const char *section);

/* The table entry of key in the checked section (exact, case-sensitive), for its since/until and
 * flags; NULL for NULL arguments, unknown or passthrough sections and unknown keys. */
const struct quadlet_key *quadlet_key_lookup(const char *section, const char *key);

/* The same, in a section already found (key not NULL): the spec check's per-key loop. */
const struct quadlet_key *quadlet_key_find(const struct quadlet_section *s, const char *key);

/* Where [since, until] stands with target; NULL target (none set): every known version passes. */
enum quadlet_availability quadlet_availability(const struct podman_version *since,
					       const struct podman_version *until,
					       const struct podman_version *target);

/* Whether a quadlet file type (".artifact" or "artifact") exists at target (NULL: in any
 * version tailpod knows). False for anything that is not a quadlet unit type. */
bool quadlet_ext_supported(const char *ext, const struct podman_version *target);

/*
 * Whether key is in the table of the checked section (exact, case-sensitive), in any version. False
 * for NULL arguments, unknown sections and passthrough sections: classify the section first, since
 * a passthrough section allows any key.
 */
bool quadlet_key_supported(const char *section, const char *key);

/* The key's quadlet_key_flag bits (>= 0), or -ENOENT when the section is not checked or the key
 * is not in its table, or -EINVAL for NULL arguments. */
int quadlet_key_flags(const char *section, const char *key);

/*
 * The supported key of a checked section closest to key, by case-insensitive optimal string
 * alignment distance (Damerau-Levenshtein without repeated edits of one substring), if that
 * distance is at most max(1, strlen(key) / 3); ties go to the first key in table order. A key
 * that only differs in case gets its correct spelling. NULL when nothing is close, the section
 * is not checked, or key is empty or longer than QUADLET_KEY_NAME_MAX. The result points into
 * the static table.
 */
const char *quadlet_key_suggest(const char *section, const char *key);

#endif
