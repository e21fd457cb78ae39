/* users_scan.c: one question asked of a passwd-format file without building a db (users.c) —
 * whether any line carries a uid, and the ids of one user. Each reads the file once, keeps
 * nothing, and costs no index: sync asks for the fetch user before it builds the desired state,
 * and holds no db while that runs (issue 16: the db of 10 000 workload users is 1.3 MB, the
 * build the run's peak). */
#define _GNU_SOURCE 1

#include "users.h"
#include "users_internal.h"
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The name and uid fields of a passwd line, cut in place; false when it has no third field or
 * that field is not a uid. The other fields are not looked at (see users_passwd_has_uid()). */
static bool passwd_line_uid(char *s, const char **ret_name, uint32_t *ret_uid)
{
	char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *c3;

	if (!c2)
		return false;
	c3 = strchr(c2 + 1, ':');
	if (c3)
		*c3 = '\0';
	*c1 = '\0';
	*ret_name = s;
	return users_parse_id(c2 + 1, ret_uid);
}

int users_passwd_has_uid(const char *root, const char *path, uid_t uid,
			 char ret_name[USER_NAME_MAX + 1])
{
	char full[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	struct lines l = {.path = path};
	const char *name;
	uint32_t line_uid;
	char *s;
	int r = users_lines_open(root, path, full, &buf, &l);

	if (r < 0)
		return r;
	while ((s = users_lines_next(&l))) {
		if (!passwd_line_uid(s, &name, &line_uid) || line_uid != uid)
			continue;
		if (ret_name)
			snprintf(ret_name, USER_NAME_MAX + 1, "%s",
				 users_name_valid(name) ? name : "");
		return 1;
	}
	return 0;
}

int users_passwd_find_user(const char *root, const char *path, const char *name, uid_t *ret_uid,
			   gid_t *ret_gid)
{
	char full[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	struct lines l = {.path = path};
	const struct users_db none = {0}; /* the first valid line of a name wins, as in a db */
	size_t n = strlen(name);
	char *s;
	int r = users_lines_open(root, path, full, &buf, &l);

	if (r < 0)
		return r;
	while ((s = users_lines_next(&l))) {
		struct users_user u;

		/* Only a line of that name is parsed, by the rules users_db_load() keeps one by. */
		if (strncmp(s, name, n) != 0 || s[n] != ':' ||
		    !users_passwd_parse_line(&l, &none, s, &u))
			continue;
		*ret_uid = u.uid;
		*ret_gid = u.gid;
		return 0;
	}
	return -ENOENT;
}
