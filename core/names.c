/* names.c: the reserved workload names of names.h (module boundary: core, host layer; uses users,
 * ini, fs, diag). The static rules are a few comparisons; the host's names are copied into one
 * sorted array, so each workload costs a binary search however many users and units the host
 * has. */
#define _GNU_SOURCE 1

#include "names.h"

#include "core.h"
#include "fs.h"
#include "ini.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The units tailpod ships run as these names. Keep it in step with every User= and Group= in
 * initramfs/units/ (tests/unit/test-names.c reads those files and fails when one is missing). */
static const struct {
	const char *name;
	const char *unit;
} shipped[] = {
	/* initramfs/units/tailpod-mint-key@.service: DynamicUser=yes, User=tailpod-mint-key */
	{"tailpod-mint-key", "tailpod-mint-key@.service"},
};

/* Names of the host itself, never workloads whatever the host files say. */
static const char *const always_reserved[] = {"root", "core"};

/* Where the host uses a name, best first: one name may be in several places, the first is told. */
enum names_kind {
	NAMES_USER,	    /* /etc/passwd, not in the managed group */
	NAMES_SYSTEM_USER,  /* /usr/lib/passwd */
	NAMES_GROUP,	    /* /etc/group, not a managed user's own group */
	NAMES_SYSTEM_GROUP, /* /usr/lib/group */
	NAMES_UNIT_USER,    /* User= of a system unit */
	NAMES_UNIT_GROUP,   /* Group= of a system unit */
	NAMES_UNIT_DYNAMIC, /* DynamicUser=yes without User=: the unit's own name */
};

struct names_entry {
	char *name; /* one allocation: the name, then where */
	const char *where;
	enum names_kind kind;
};

struct names_host {
	struct names_entry *v;
	size_t n, n_alloc;
	size_t n_unit_files;
	char managed_group[USER_NAME_MAX + 1];
};

/* The unit directories of systemd's system manager, as systemd.unit(5) lists them for packages,
 * the administrator and the runtime. /lib/systemd/system is for hosts without merged /usr; a
 * directory seen twice (a symlink to another) is read once. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system",	   "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system",
};

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

const char *names_shipped_unit(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(shipped); i++)
		if (strcmp(shipped[i].name, name) == 0)
			return shipped[i].unit;
	return NULL;
}

/* --- the snapshot ---------------------------------------------------------------------------- */

static int entry_add(struct names_host *h, const char *name, const char *where,
		     enum names_kind kind)
{
	size_t n = strlen(name), w = strlen(where);
	char *buf;

	if (h->n == h->n_alloc) {
		size_t a = h->n_alloc ? 2 * h->n_alloc : 256;
		struct names_entry *v = reallocarray(h->v, a, sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->n_alloc = a;
	}
	buf = malloc(n + 1 + w + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, name, n + 1);
	memcpy(buf + n + 1, where, w + 1);
	h->v[h->n++] = (struct names_entry){.name = buf, .where = buf + n + 1, .kind = kind};
	return 0;
}

/* A managed user: in the managed group. The removal guards of sync ask more (state, UID_MIN). */
static bool managed(const struct users_db *etc, const char *user, const char *group)
{
	return users_db_user_in_group(etc, user, group) == 1;
}

/* A managed user's own group: the same name, and the user's primary gid. */
static bool managed_own_group(const struct users_db *etc, const struct users_group *g,
			      const char *managed_group)
{
	const struct users_user *u;

	return users_db_find_user(etc, g->name, &u) == 0 && u->gid == g->gid &&
	       managed(etc, u->name, managed_group);
}

static int add_db(struct names_host *h, const char *root, const struct users_db *db)
{
	bool alt = db->source == USERS_SOURCE_ALTFILES;
	char passwd[PATH_MAX], group[PATH_MAX];
	int r = users_path_below(root, alt ? USERS_ALT_PASSWD : USERS_PASSWD, passwd,
				 sizeof(passwd));

	if (r >= 0)
		r = users_path_below(root, alt ? USERS_ALT_GROUP : USERS_GROUP, group,
				     sizeof(group));
	for (size_t i = 0; r >= 0 && i < db->n_users; i++)
		if (alt || !managed(db, db->users[i].name, h->managed_group))
			r = entry_add(h, db->users[i].name, passwd,
				      alt ? NAMES_SYSTEM_USER : NAMES_USER);
	for (size_t i = 0; r >= 0 && i < db->n_groups; i++)
		if (alt || !managed_own_group(db, &db->groups[i], h->managed_group))
			r = entry_add(h, db->groups[i].name, group,
				      alt ? NAMES_SYSTEM_GROUP : NAMES_GROUP);
	return r;
}

/* --- the host's units ------------------------------------------------------------------------ */

static bool parse_yes(const char *v)
{
	return v && (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0 ||
		     strcmp(v, "1") == 0);
}

/* Every value of key in [Service] that is a user name as written (a specifier such as %i or a
 * numeric id is not a name a workload could take). */
static int add_unit_key(struct names_host *h, const struct ini *doc, const char *key,
			enum names_kind kind, const char *path)
{
	_cleanup_free_ const char **values = NULL;
	size_t n = 0;
	int r = ini_get_all(doc, "Service", key, 0, &values, &n);

	for (size_t i = 0; r >= 0 && i < n; i++)
		if (users_name_valid(values[i]))
			r = entry_add(h, values[i], path, kind);
	return r;
}

/* unit is the unit's file name ("foo.service"); a drop-in passes its unit's. Without User=, a
 * DynamicUser= unit runs as a user named after the unit (systemd.exec(5)); templates are skipped,
 * their instances' names are not known here. */
static int add_unit_doc(struct names_host *h, const struct ini *doc, const char *unit,
			const char *path)
{
	char stem[USER_NAME_MAX + 1];
	size_t len = strlen(unit) - strlen(".service");
	int r = add_unit_key(h, doc, "User", NAMES_UNIT_USER, path);

	if (r >= 0)
		r = add_unit_key(h, doc, "Group", NAMES_UNIT_GROUP, path);
	if (r < 0 || !parse_yes(ini_get(doc, "Service", "DynamicUser")) ||
	    ini_get(doc, "Service", "User") || len >= sizeof(stem))
		return r;
	memcpy(stem, unit, len);
	stem[len] = '\0';
	if (!strchr(stem, '@') && users_name_valid(stem))
		r = entry_add(h, stem, path, NAMES_UNIT_DYNAMIC);
	return r;
}

/* Read one unit file or drop-in, name relative to dirfd. Unit files are root's, in root's
 * directories: a symlink there (systemctl link, a mask to /dev/null) is followed as systemd
 * follows it, but only a regular file is read, and never past NAMES_UNIT_SIZE_MAX. */
static int scan_file(struct names_host *h, int dirfd, const char *name, const char *unit,
		     const char *path, struct diag_list *diags)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct ini_error err = {0};
	struct ini *doc = NULL;
	struct stat st;
	size_t len;
	int r;

	if (++h->n_unit_files > NAMES_UNIT_FILES_MAX)
		return -E2BIG;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0)
		return diag_add(diags, path, NULL, 1, "cannot read: %s, ignoring", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return 0; /* masked (/dev/null) */
	r = fs_read_fd_bounded(fd, NAMES_UNIT_SIZE_MAX, &buf, &len);
	if (r == -EFBIG)
		return diag_add(diags, path, NULL, 1,
				"larger than %d bytes (NAMES_UNIT_SIZE_MAX), ignoring",
				NAMES_UNIT_SIZE_MAX);
	if (r < 0)
		return r == -ENOMEM ? r
				    : diag_add(diags, path, NULL, 1, "cannot read: %s, ignoring",
					       strerror(-r));
	r = ini_parse(path, buf, len, &doc, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return diag_add(diags, path, NULL, err.line ? err.line : 1, "%s, ignoring",
				err.msg[0] ? err.msg : strerror(-r));
	r = add_unit_doc(h, doc, unit, path);
	ini_free(doc);
	return r;
}

static int scan_dir(struct names_host *h, int parentfd, const char *dir, const char *unit,
		    struct diag_list *diags);

/* One entry of a unit directory: NAME.service, or the drop-ins in NAME.service.d/. */
static int scan_entry(struct names_host *h, int dirfd, const char *dir, const char *name,
		      const char *unit, struct diag_list *diags)
{
	char path[PATH_MAX], u[NAME_MAX + 1];
	int len = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (len < 0 || (size_t)len >= sizeof(path))
		return 0; /* cannot be a unit systemd loads either */
	if (unit)	  /* in a drop-in directory */
		return has_suffix(name, ".conf") ? scan_file(h, dirfd, name, unit, path, diags) : 0;
	if (has_suffix(name, ".service"))
		return scan_file(h, dirfd, name, name, path, diags);
	if (!has_suffix(name, ".service.d"))
		return 0;
	snprintf(u, sizeof(u), "%.*s", (int)(strlen(name) - 2), name);
	return scan_dir(h, dirfd, path, u, diags);
}

/* The units in dir (its drop-ins when unit is set); dir is opened relative to parentfd. */
static int scan_dir(struct names_host *h, int parentfd, const char *dir, const char *unit,
		    struct diag_list *diags)
{
	const char *name = unit ? strrchr(dir, '/') + 1 : dir;
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? 0
			       : diag_add(diags, dir, NULL, 1, "cannot read: %s, ignoring",
					  strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (r >= 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			r = scan_entry(h, dirfd(d), dir, de->d_name, unit, diags);
	closedir(d);
	return r;
}

static int scan_units(struct names_host *h, const char *root, struct diag_list *diags)
{
	struct stat seen[ARRAY_SIZE(unit_dirs)];
	char dir[PATH_MAX];
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(unit_dirs); i++) {
		bool again = false;

		r = users_path_below(root, unit_dirs[i], dir, sizeof(dir));
		if (r < 0)
			return r;
		if (stat(dir, &seen[i]) < 0) {
			seen[i] = (struct stat){0};
			continue;
		}
		for (size_t j = 0; j < i; j++)
			again |= seen[j].st_ino == seen[i].st_ino &&
				 seen[j].st_dev == seen[i].st_dev;
		if (!again)
			r = scan_dir(h, AT_FDCWD, dir, NULL, diags);
	}
	if (r == -E2BIG)
		r = diag_add(diags, root && *root ? root : "/", NULL, 1,
			     "more than %d unit files (NAMES_UNIT_FILES_MAX): the names of the "
			     "rest are not reserved, ignoring",
			     NAMES_UNIT_FILES_MAX);
	return r;
}

/* --- lookups --------------------------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
	const struct names_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->where, y->where);
}

/* Sorted, one entry per name: the best kind, then the first path. */
static void host_finish(struct names_host *h)
{
	size_t out = 0;

	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), entry_cmp);
	for (size_t i = 0; i < h->n; i++) {
		if (out > 0 && strcmp(h->v[out - 1].name, h->v[i].name) == 0) {
			free(h->v[i].name);
			continue;
		}
		h->v[out++] = h->v[i];
	}
	h->n = out;
}

int names_host_load(const char *root, const struct users_db *etc, const struct users_db *alt,
		    const char *managed_group, struct names_host **ret, struct diag_list *diags)
{
	struct names_host *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	snprintf(h->managed_group, sizeof(h->managed_group), "%s", managed_group);
	r = add_db(h, root, etc);
	if (r >= 0 && alt)
		r = add_db(h, root, alt);
	if (r >= 0)
		r = scan_units(h, root, diags);
	if (r < 0) {
		names_host_free(h);
		return r;
	}
	host_finish(h);
	*ret = h;
	return 0;
}

struct names_host *names_host_free(struct names_host *h)
{
	if (!h)
		return NULL;
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].name);
	free(h->v);
	free(h);
	return NULL;
}

size_t names_host_count(const struct names_host *h)
{
	return h ? h->n : 0;
}

static int find_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct names_entry *)elem)->name);
}

static bool host_reserved(const struct names_host *h, const char *name, char *why, size_t size)
{
	const struct names_entry *e =
		h && h->n ? bsearch(name, h->v, h->n, sizeof(*h->v), find_cmp) : NULL;

	if (!e)
		return false;
	switch (e->kind) {
	case NAMES_USER:
		snprintf(why, size,
			 "is a user of this host (%s) not managed by tailpod (not in group '%s')",
			 e->where, h->managed_group);
		break;
	case NAMES_SYSTEM_USER:
		snprintf(why, size, "is a system user of this host (%s)", e->where);
		break;
	case NAMES_GROUP:
		snprintf(why, size,
			 "is a group of this host (%s), not the own group of a user tailpod "
			 "manages",
			 e->where);
		break;
	case NAMES_SYSTEM_GROUP:
		snprintf(why, size, "is a system group of this host (%s)", e->where);
		break;
	case NAMES_UNIT_USER:
	case NAMES_UNIT_DYNAMIC:
		snprintf(why, size,
			 "is the %s of the host's unit %s: the unit would run as the workload's "
			 "user",
			 e->kind == NAMES_UNIT_USER ? "User=" : "DynamicUser= name", e->where);
		break;
	case NAMES_UNIT_GROUP:
		snprintf(
			why, size,
			"is the Group= of the host's unit %s: the unit would run in the workload's "
			"group",
			e->where);
		break;
	}
	return true;
}

bool names_reserved(const char *name, const struct names_rules *rules, char *why, size_t size)
{
	const char *unit = names_shipped_unit(name);

	for (size_t i = 0; i < ARRAY_SIZE(always_reserved); i++)
		if (strcmp(name, always_reserved[i]) == 0) {
			snprintf(why, size, "is reserved on the host");
			return true;
		}
	if (unit) {
		snprintf(why, size, "is the user of %s, a unit tailpod ships", unit);
		return true;
	}
	if (has_prefix(name, "tailpod")) {
		snprintf(why, size, "is reserved: names starting with 'tailpod' are tailpod's own");
		return true;
	}
	if (has_prefix(name, "systemd-")) {
		snprintf(why, size, "is reserved: names starting with 'systemd-' are systemd's");
		return true;
	}
	for (size_t i = 0; rules && i < rules->n_protected; i++)
		if (strcmp(name, rules->protected_names[i]) == 0) {
			snprintf(why, size,
				 "is a protected user on this host (TAILPOD_PROTECTED_USERS)");
			return true;
		}
	return rules && host_reserved(rules->host, name, why, size);
}
