/* users.c: passwd and group read without NSS (see users.h; login.defs and subuid/subgid are in
 * users_defs.c). Each file
 * is read whole (bounded) into a buffer that is cut into lines and fields in place, so the
 * entries' strings point into it; a line is checked completely before it is kept. */
#define _GNU_SOURCE 1

#include "users.h"
#include "users_index.h"
#include "users_internal.h"
#include "core.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool users_name_valid(const char *name)
{
	size_t n = strlen(name);
	bool digits = true;

	if (n == 0 || n > USER_NAME_MAX || name[0] == '-' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c == '$' && i == n - 1 && i > 0)
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
		if (c < '0' || c > '9')
			digits = false;
	}
	return !digits;
}

int users_path_below(const char *root, const char *path, char *buf, size_t size)
{
	size_t n = root ? strlen(root) : 0;
	int len;

	while (n > 0 && root[n - 1] == '/')
		n--;
	len = snprintf(buf, size, "%.*s%s", (int)n, n ? root : "", path);
	if (len < 0 || (size_t)len >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* The files are root's own (/etc, /usr/lib): a symlink there is followed, as libc does. */
int users_read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return fs_read_fd_bounded(fd, USERS_FILE_MAX, ret, ret_len);
}

int users_lines_open(const char *root, const char *path, char full[PATH_MAX], char **ret_buf,
		     struct lines *l)
{
	size_t len;
	int r = users_path_below(root, path, full, PATH_MAX);

	if (r >= 0)
		r = users_read_file(full, ret_buf, &len);
	if (r < 0)
		return r;
	l->next = *ret_buf;
	l->end = *ret_buf + len;
	return 0;
}

/* Report a skipped line; a failed allocation is remembered in diags->error. */
void users_lines_skip(struct lines *l, const char *fmt, const char *what)
{
	if (l->diags)
		(void)diag_add(l->diags, l->path, NULL, l->line, fmt, DIAG_QUOTE(what));
}

/* Report a limit that was hit; the message names the limit (DESIGN.md §4.8). */
void users_lines_skip_limit(struct lines *l, const char *fmt, unsigned limit)
{
	if (l->diags)
		(void)diag_add(l->diags, l->path, NULL, l->line, fmt, limit);
}

/* The next line worth parsing (not empty, not a '#' comment), NUL-terminated, or NULL at the end.
 * Too long lines and lines with a NUL byte are skipped with a diagnostic. */
char *users_lines_next(struct lines *l)
{
	while (l->next < l->end) {
		char *s = l->next, *nl = memchr(s, '\n', (size_t)(l->end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(l->end - s);

		l->next = nl ? nl + 1 : l->end;
		l->line++;
		s[n] = '\0';
		if (n > USERS_LINE_MAX)
			users_lines_skip_limit(l, "line longer than %u bytes, ignoring",
					       USERS_LINE_MAX);
		else if (strlen(s) != n)
			users_lines_skip(l, "line contains a NUL byte%.*s, ignoring", "");
		else if (n > 0 && s[0] != '#')
			return s;
	}
	return NULL;
}

/* Cut s at ':' into exactly n fields; false when the count differs. */
bool users_split_fields(char *s, char **f, size_t n)
{
	size_t i = 0;

	for (;;) {
		char *c = strchr(s, ':');

		if (i == n)
			return false;
		f[i++] = s;
		if (!c)
			break;
		*c = '\0';
		s = c + 1;
	}
	return i == n;
}

/* A decimal id, 0..2^32-2, digits only. */
bool users_parse_id(const char *s, uint32_t *ret)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v >= ID_INVALID)
			return false;
	}
	*ret = (uint32_t)v;
	return true;
}

/* The index keys: a user's, a group's and a member's name (users_index.h). */
static const char *user_key(const void *items, size_t pos)
{
	return ((const struct users_user *)items)[pos].name;
}

static const char *group_key(const void *items, size_t pos)
{
	return ((const struct users_group *)items)[pos].name;
}

static const char *member_key(const void *items, size_t pos)
{
	return ((const char *const *)items)[pos];
}

static const struct users_user *user_by_name(const struct users_db *db, const char *name)
{
	long pos = users_index_find(&db->user_index, db->users, user_key, name);

	return pos < 0 ? NULL : &db->users[pos];
}

static const struct users_group *group_by_name(const struct users_db *db, const char *name)
{
	long pos = users_index_find(&db->group_index, db->groups, group_key, name);

	return pos < 0 ? NULL : &db->groups[pos];
}

/* Whether g lists user: a hash lookup in a long list (the managed group lists every workload),
 * a scan in a short one. */
static bool group_lists(const struct users_db *db, const struct users_group *g, const char *user)
{
	const struct users_index *ix = &db->member_index[g - db->groups];

	if (ix->n_slots)
		return users_index_find(ix, g->members, member_key, user) >= 0;
	for (size_t i = 0; i < g->n_members; i++)
		if (strcmp(g->members[i], user) == 0)
			return true;
	return false;
}

/* A passwd line into *u; false (with a diagnostic) when it is not kept. */
bool users_passwd_parse_line(struct lines *l, const struct users_db *db, char *s,
			     struct users_user *u)
{
	char *f[PASSWD_FIELDS];
	uint32_t uid, gid;

	if (s[0] == '+' || s[0] == '-')
		users_lines_skip(l, "NIS compat entry '%.*s' is not supported, ignoring", s);
	else if (!users_split_fields(s, f, PASSWD_FIELDS))
		users_lines_skip(l, "not 7 ':'-separated fields%.*s, ignoring", "");
	else if (!users_name_valid(f[0]))
		users_lines_skip(l, "invalid user name '%.*s', ignoring", f[0]);
	else if (!users_parse_id(f[2], &uid))
		users_lines_skip(l, "invalid uid '%.*s', ignoring", f[2]);
	else if (!users_parse_id(f[3], &gid))
		users_lines_skip(l, "invalid gid '%.*s', ignoring", f[3]);
	else if (f[5][0] != '/')
		users_lines_skip(l, "home directory '%.*s' is not absolute, ignoring", f[5]);
	else if (user_by_name(db, f[0]))
		users_lines_skip(l, "duplicate user '%.*s', ignoring", f[0]);
	else {
		*u = (struct users_user){
			.name = f[0], .uid = uid, .gid = gid, .home = f[5], .shell = f[6]};
		return true;
	}
	return false;
}

/* Split the member list m in place into a malloc'd array; invalid names are skipped. */
static int group_parse_members(struct lines *l, char *m, struct users_group *g)
{
	_cleanup_free_ const char **members = NULL;
	size_t n = 0, cap = 1;

	if (*m == '\0')
		return 0;
	for (const char *c = strchr(m, ','); c && cap < USERS_MEMBERS_MAX; c = strchr(c + 1, ','))
		cap++;
	members = calloc(cap, sizeof(*members));
	if (!members)
		return -ENOMEM;
	for (char *tok = strsep(&m, ","); tok; tok = strsep(&m, ",")) {
		if (*tok == '\0')
			continue;
		if (!users_name_valid(tok))
			users_lines_skip(l, "invalid member name '%.*s', ignoring", tok);
		else if (n == cap) {
			users_lines_skip_limit(l, "more than %u members, ignoring the rest",
					       USERS_MEMBERS_MAX);
			break;
		} else
			members[n++] = tok;
	}
	g->members = n ? TAKE_PTR(members) : NULL;
	g->n_members = n;
	return 0;
}

/* A group line into *g: 1 when kept, 0 when skipped, -ENOMEM. */
static int group_parse_line(struct lines *l, const struct users_db *db, char *s,
			    struct users_group *g)
{
	char *f[GROUP_FIELDS];
	uint32_t gid;

	if (s[0] == '+' || s[0] == '-')
		users_lines_skip(l, "NIS compat entry '%.*s' is not supported, ignoring", s);
	else if (!users_split_fields(s, f, GROUP_FIELDS))
		users_lines_skip(l, "not 4 ':'-separated fields%.*s, ignoring", "");
	else if (!users_name_valid(f[0]))
		users_lines_skip(l, "invalid group name '%.*s', ignoring", f[0]);
	else if (!users_parse_id(f[2], &gid))
		users_lines_skip(l, "invalid gid '%.*s', ignoring", f[2]);
	else if (group_by_name(db, f[0]))
		users_lines_skip(l, "duplicate group '%.*s', ignoring", f[0]);
	else {
		*g = (struct users_group){.name = f[0], .gid = gid};
		return group_parse_members(l, f[3], g) < 0 ? -ENOMEM : 1;
	}
	return 0;
}

/* Grow *items (of size elem) to hold one more beyond n; -E2BIG past USERS_ENTRIES_MAX. */
static int grow(void **items, size_t n, size_t elem)
{
	void *p;

	if (n >= USERS_ENTRIES_MAX)
		return -E2BIG;
	/* The capacity is 16, then the next power of two. */
	if (n != 0 && (n < 16 || (n & (n - 1)) != 0))
		return 0;
	p = realloc(*items, (n ? 2 * n : 16) * elem);
	if (!p)
		return -ENOMEM;
	*items = p;
	return 0;
}

static int passwd_load(struct users_db *db, const char *path)
{
	struct lines l = {.path = path, .diags = &db->diags};
	size_t len;
	char *s;
	int r = users_read_file(path, &db->passwd_buf, &len);

	if (r < 0)
		return r;
	l.next = db->passwd_buf;
	l.end = db->passwd_buf + len;
	while ((s = users_lines_next(&l))) {
		struct users_user u;

		if (!users_passwd_parse_line(&l, db, s, &u))
			continue;
		r = grow((void **)&db->users, db->n_users, sizeof(*db->users));
		if (r < 0)
			return r;
		db->users[db->n_users] = u;
		r = users_index_add(&db->user_index, db->users, user_key, db->n_users);
		if (r < 0)
			return r;
		db->n_users++;
	}
	return db->diags.error;
}

/* A hash of the members of each long group list; duplicates in a list are harmless. */
static int members_index(struct users_db *db)
{
	db->member_index = calloc(db->n_groups ? db->n_groups : 1, sizeof(*db->member_index));
	if (!db->member_index)
		return -ENOMEM;
	for (size_t i = 0; i < db->n_groups; i++) {
		const struct users_group *g = &db->groups[i];

		for (size_t m = 0; g->n_members >= MEMBERS_SCAN_MAX && m < g->n_members; m++) {
			int r = users_index_add(&db->member_index[i], g->members, member_key, m);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int group_load(struct users_db *db, const char *path)
{
	struct lines l = {.path = path, .diags = &db->diags};
	size_t len;
	char *s;
	int r = users_read_file(path, &db->group_buf, &len);

	if (r < 0)
		return r;
	l.next = db->group_buf;
	l.end = db->group_buf + len;
	while ((s = users_lines_next(&l))) {
		struct users_group g;

		r = group_parse_line(&l, db, s, &g);
		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		r = grow((void **)&db->groups, db->n_groups, sizeof(*db->groups));
		if (r < 0) {
			free((void *)g.members);
			return r;
		}
		db->groups[db->n_groups] = g;
		r = users_index_add(&db->group_index, db->groups, group_key, db->n_groups);
		if (r < 0)
			return r;
		db->n_groups++;
	}
	if (db->diags.error < 0)
		return db->diags.error;
	return members_index(db);
}

int users_db_load(const char *root, enum users_source source, struct users_db **ret)
{
	char passwd[PATH_MAX], group[PATH_MAX];
	bool alt = source == USERS_SOURCE_ALTFILES;
	struct users_db *db;
	int r;

	r = users_path_below(root, alt ? USERS_ALT_PASSWD : USERS_PASSWD, passwd, sizeof(passwd));
	if (r >= 0)
		r = users_path_below(root, alt ? USERS_ALT_GROUP : USERS_GROUP, group,
				     sizeof(group));
	if (r < 0)
		return r;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->source = source;
	r = passwd_load(db, passwd);
	if (r >= 0)
		r = group_load(db, group);
	if (r >= 0)
		r = users_db_compact(db);
	if (r < 0) {
		users_db_free(db);
		return r;
	}
	diag_list_sort(&db->diags);
	*ret = db;
	return 0;
}

struct users_db *users_db_free(struct users_db *db)
{
	if (!db)
		return NULL;
	for (size_t i = 0; i < db->n_groups; i++) {
		free((void *)db->groups[i].members);
		if (db->member_index)
			users_index_release(&db->member_index[i]);
	}
	free(db->member_index);
	users_index_release(&db->user_index);
	users_index_release(&db->group_index);
	free(db->users);
	free(db->groups);
	free(db->passwd_buf);
	free(db->group_buf);
	diag_list_release(&db->diags);
	free(db);
	return NULL;
}

int users_db_find_user(const struct users_db *db, const char *name, const struct users_user **ret)
{
	const struct users_user *u;

	if (!users_name_valid(name))
		return -EINVAL;
	u = user_by_name(db, name);
	if (!u)
		return -ENOENT;
	*ret = u;
	return 0;
}

int users_db_find_uid(const struct users_db *db, uid_t uid, const struct users_user **ret)
{
	for (size_t i = 0; i < db->n_users; i++)
		if (db->users[i].uid == uid) {
			*ret = &db->users[i];
			return 0;
		}
	return -ENOENT;
}

int users_db_find_group(const struct users_db *db, const char *name, const struct users_group **ret)
{
	const struct users_group *g;

	if (!users_name_valid(name))
		return -EINVAL;
	g = group_by_name(db, name);
	if (!g)
		return -ENOENT;
	*ret = g;
	return 0;
}

int users_db_find_gid(const struct users_db *db, gid_t gid, const struct users_group **ret)
{
	for (size_t i = 0; i < db->n_groups; i++)
		if (db->groups[i].gid == gid) {
			*ret = &db->groups[i];
			return 0;
		}
	return -ENOENT;
}

int users_db_user_in_group(const struct users_db *db, const char *user, const char *group)
{
	const struct users_user *u;
	const struct users_group *g;
	int r = users_db_find_user(db, user, &u);

	if (r >= 0)
		r = users_db_find_group(db, group, &g);
	if (r < 0)
		return r;
	return u->gid == g->gid || group_lists(db, g, user);
}
