/* quadlet_keys.h: the sections and keys Podman's quadlet generator accepts, and typo hints. */
#ifndef TAILPOD_QUADLET_KEYS_H
#define TAILPOD_QUADLET_KEYS_H

/*
 * The tables reflect Podman 5.4.2 (the version Debian trixie ships), taken from
 * pkg/systemd/quadlet/quadlet.go at tag v5.4.2 (commit be85287fcf4590961614ee37be65eeb315e5d9ff):
 * the supported{Container,Pod,Volume,Network,Kube,Image,Build,Quadlet}Keys maps resolved through
 * the Key* constants. The generator refuses a file with any other key in its own section or in
 * [Quadlet] ("unsupported key 'X' in group 'Y'"), so tailpod refuses it before deploying.
 * To verify or regenerate against another Podman release, see
 * tests/unit/data/quadlet_keys/README (verify-against-podman.sh diffs these tables against the
 * Go source; the MULTI flags are read by hand from the Convert* functions and need a re-read).
 *
 * Section names and keys are case-sensitive, as in quadlet's parser and in systemd.
 */

#include <stdbool.h>
#include <stddef.h>

#define QUADLET_KEYS_PODMAN_VERSION "5.4.2"

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
	QUADLET_SECTION_COUNT = 8, /* checked sections: the seven unit types and [Quadlet] */
	QUADLET_KEY_NAME_MAX = 64, /* longer keys get no suggestion (and no allocation) */
};

struct quadlet_key {
	const char *name;
	unsigned flags; /* enum quadlet_key_flag bits */
};

struct quadlet_section {
	const char *name; /* "Container" */
	const char *ext;  /* ".container"; NULL for [Quadlet], which every quadlet file may carry */
	const struct quadlet_key *keys; /* sorted by strcmp(), no duplicates */
	size_t n_keys;
};

/* What kind of section this is; NULL is UNKNOWN. */
enum quadlet_section_kind quadlet_section_classify(const char *section);

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

/*
 * Whether key is in the table of the checked section (exact, case-sensitive). False for NULL
 * arguments, unknown sections and passthrough sections: classify the section first, since a
 * passthrough section allows any key.
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
