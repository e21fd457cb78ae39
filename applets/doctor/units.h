/* units.h: a system unit with its drop-ins, as systemd assembles it, and the hardening rules
 * doctor checks on it (units.c). */
#ifndef TAILPOD_DOCTOR_UNITS_H
#define TAILPOD_DOCTOR_UNITS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	UNIT_FILES_MAX = 64,	    /* the unit file and its drop-ins */
	UNIT_SETTINGS_MAX = 1024,   /* [Service] assignments kept */
	UNIT_FILE_MAX = 256 * 1024, /* bytes of one file, as core/names */
};

struct unit_setting {
	size_t file; /* index into files */
	unsigned line;
	char key[64];
	char value[512];
};

struct doctor_unit {
	char *files[UNIT_FILES_MAX]; /* [0] the unit file, then the drop-ins in the order applied */
	size_t n_files;
	size_t bad_file; /* the file that could not be read, when load failed past the unit */
	struct unit_setting *settings;
	size_t n;
};

enum unit_rule_kind {
	UNIT_RULE_YES,	  /* a boolean that must be true */
	UNIT_RULE_ONE_OF, /* want: the accepted values, space-separated */
	UNIT_RULE_PREFIX, /* the value must start with want */
	UNIT_RULE_CAPS,	  /* CapabilityBoundingSet: only the capabilities in want ("" none) */
};

struct unit_rule {
	const char *key;
	enum unit_rule_kind kind;
	const char *want;
};

/* The unit file of unit in the first unit directory that has it, into path: 0, -ENOENT, or
 * -ENOEXEC when that entry is masked (a link to /dev/null). */
int doctor_unit_find(const char *unit, char *path, size_t size);

/* Load unit and its drop-ins: 0, -ENOENT (no unit file), or a read error of files[bad_file]. */
int doctor_unit_load(const char *unit, struct doctor_unit *u);
void doctor_unit_release(struct doctor_unit *u);

/* 0 when rule holds, else -1 with why ("FILE:LINE: KEY=VALUE (want ...)"). */
int doctor_unit_check(const struct doctor_unit *u, const struct unit_rule *rule, char *why,
		      size_t size);

#endif
