/* units.c: a system unit as systemd would assemble it — the unit file from the first unit
 * directory that has it (/etc before /run before /usr/local/lib before /usr/lib), then every
 * NAME.d/\*.conf drop-in of all those directories in file-name order, a name in an earlier
 * directory hiding the same name in a later one — and the hardening rules doctor checks on it:
 * a drop-in may weaken what initramfs/units shipped, and that is a FAIL naming its file:line. */
#include "doctor/units.h"

#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const unit_dirs[] = {
	"/etc/systemd/system",	   "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system",
};

int doctor_unit_find(const char *unit, char *path, size_t size)
{
	struct stat st;

	for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++) {
		if ((size_t)snprintf(path, size, "%s/%s", unit_dirs[i], unit) >= size)
			return -ENAMETOOLONG;
		if (stat(path, &st) < 0)
			continue;
		if (S_ISCHR(st.st_mode))
			return -ENOEXEC; /* masked: a link to /dev/null hides the later directories
					  */
		if (S_ISREG(st.st_mode))
			return 0;
	}
	return -ENOENT;
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int add_setting(struct doctor_unit *u, size_t file, unsigned line, const char *key,
		       const char *value)
{
	struct unit_setting *s;

	if (u->n == UNIT_SETTINGS_MAX)
		return -E2BIG;
	s = &u->settings[u->n++];
	s->file = file;
	s->line = line;
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->value, sizeof(s->value), "%s", value);
	return 0;
}

/* The [Service] assignments of one file, in order. */
static int parse_file(struct doctor_unit *u, size_t file)
{
	char *text = NULL, *line, *next;
	size_t len;
	bool service = false;
	unsigned n = 0;
	int r = fs_read_bounded(AT_FDCWD, u->files[file], UNIT_FILE_MAX, &text, &len);

	if (r < 0)
		return r;
	for (line = text; line && r >= 0; line = next) {
		char *eq, *p;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n++;
		p = trim(line);
		if (*p == '[')
			service = strcmp(p, "[Service]") == 0;
		else if (service && *p && *p != '#' && *p != ';' && (eq = strchr(p, '='))) {
			*eq = '\0';
			r = add_setting(u, file, n, trim(p), trim(eq + 1));
		}
	}
	free(text);
	return r;
}

static int by_base(const void *a, const void *b)
{
	const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');

	return strcmp(x, y);
}

/* Drop-in names already taken by an earlier directory hide the same name in a later one. */
static bool dropin_hidden(const struct doctor_unit *u, const char *base)
{
	for (size_t i = 1; i < u->n_files; i++)
		if (strcmp(strrchr(u->files[i], '/') + 1, base) == 0)
			return true;
	return false;
}

static int collect_dropins(struct doctor_unit *u, const char *unit)
{
	char dir[PATH_MAX];

	for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++) {
		struct dirent *e;
		DIR *dp;

		snprintf(dir, sizeof(dir), "%s/%s.d", unit_dirs[i], unit);
		dp = opendir(dir);
		while (dp && (e = readdir(dp))) {
			size_t l = strlen(e->d_name);

			if (l < 6 || strcmp(e->d_name + l - 5, ".conf") != 0 ||
			    dropin_hidden(u, e->d_name))
				continue;
			if (u->n_files == UNIT_FILES_MAX ||
			    asprintf(&u->files[u->n_files], "%s/%s", dir, e->d_name) < 0) {
				closedir(dp);
				return -E2BIG;
			}
			u->n_files++;
		}
		if (dp)
			closedir(dp);
	}
	qsort(u->files + 1, u->n_files - 1, sizeof(u->files[0]), by_base);
	return 0;
}

int doctor_unit_load(const char *unit, struct doctor_unit *u)
{
	char path[PATH_MAX];
	int r;

	memset(u, 0, sizeof(*u));
	r = doctor_unit_find(unit, path, sizeof(path));
	if (r < 0)
		return r;
	u->files[0] = strdup(path);
	u->n_files = 1;
	u->settings = calloc(UNIT_SETTINGS_MAX, sizeof(*u->settings));
	if (!u->files[0] || !u->settings)
		return -ENOMEM;
	r = collect_dropins(u, unit);
	for (size_t i = 0; r >= 0 && i < u->n_files; i++) {
		r = parse_file(u, i);
		if (r < 0)
			u->bad_file = i;
	}
	return r;
}

void doctor_unit_release(struct doctor_unit *u)
{
	for (size_t i = 0; i < u->n_files; i++)
		free(u->files[i]);
	free(u->settings);
	memset(u, 0, sizeof(*u));
}

static bool value_true(const char *v)
{
	return !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
	       !strcmp(v, "1");
}

/* The last assignment of key (an empty one resets it), or NULL. */
static const struct unit_setting *last_setting(const struct doctor_unit *u, const char *key)
{
	const struct unit_setting *last = NULL;

	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->settings[i].key, key) == 0)
			last = u->settings[i].value[0] ? &u->settings[i] : NULL;
	return last;
}

static bool word_in(const char *word, size_t len, const char *list)
{
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, " ");

		if (l == len && strncmp(p, word, len) == 0)
			return true;
		p += l + (p[l] == ' ');
	}
	return false;
}

/* The assignment that grants a capability outside allowed, or NULL; *set says whether any
 * assignment exists (no CapabilityBoundingSet= keeps them all). */
static const struct unit_setting *caps_offender(const struct doctor_unit *u, const char *allowed,
						bool *set)
{
	const struct unit_setting *bad = NULL;

	*set = false;
	for (size_t i = 0; i < u->n; i++) {
		const char *v = u->settings[i].value;

		if (strcmp(u->settings[i].key, "CapabilityBoundingSet") != 0)
			continue;
		*set = true;
		if (!*v)
			bad = NULL; /* reset: earlier lines no longer count */
		for (const char *p = v; *p && !bad;) {
			size_t l = strcspn(p, " \t");

			if (*p == '~' || !word_in(p, l, allowed))
				bad = &u->settings[i];
			p += l;
			p += strspn(p, " \t");
		}
	}
	return bad;
}

int doctor_unit_check(const struct doctor_unit *u, const struct unit_rule *rule, char *why,
		      size_t size)
{
	const struct unit_setting *s;
	bool set;

	if (rule->kind == UNIT_RULE_CAPS) {
		s = caps_offender(u, rule->want, &set);
		if (!set)
			return snprintf(why, size, "%s: CapabilityBoundingSet= not set",
					u->files[0]),
			       -1;
		if (s)
			return snprintf(why, size, "%s:%u: CapabilityBoundingSet=%s widens it",
					u->files[s->file], s->line, s->value),
			       -1;
		return 0;
	}
	s = last_setting(u, rule->key);
	if (!s)
		return snprintf(why, size, "%s=%s not in effect (unset or reset)", rule->key,
				rule->want),
		       -1;
	if (rule->kind == UNIT_RULE_YES ? value_true(s->value)
	    : rule->kind == UNIT_RULE_PREFIX
		    ? strncmp(s->value, rule->want, strlen(rule->want)) == 0
		    : word_in(s->value, strlen(s->value), rule->want))
		return 0;
	return snprintf(why, size, "%s:%u: %s=%s (want %s)", u->files[s->file], s->line, rule->key,
			s->value, rule->want),
	       -1;
}
