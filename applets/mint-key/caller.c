/* caller.c: who a mint-key caller is, read NSS-free through core/users as sync reads users:
 * /etc/passwd and /etc/group, the files musl's getpwuid and getgrouplist read, where the workload
 * users sync creates and the tailpod-mint group live. */
#include "mint-key.h"

#include "users.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int mint_user_lookup(uid_t uid, struct mint_user *ret)
{
	const struct users_user *u;
	struct users_db *db = NULL;
	int r = users_db_load(NULL, USERS_SOURCE_ETC, &db);

	if (r >= 0)
		r = users_db_find_uid(db, uid, &u);
	if (r >= 0) {
		snprintf(ret->name, sizeof(ret->name), "%s", u->name);
		ret->uid = u->uid;
		ret->gid = u->gid;
	}
	users_db_free(db);
	return r;
}

static bool group_lists(const struct users_group *g, const char *name)
{
	for (size_t i = 0; i < g->n_members; i++)
		if (strcmp(g->members[i], name) == 0)
			return true;
	return false;
}

int mint_user_groups(const char *name, gid_t primary, gid_t *groups, size_t max, size_t *ret_n)
{
	struct users_db *db = NULL;
	size_t n = 0;
	int r = users_db_load(NULL, USERS_SOURCE_ETC, &db);

	if (r < 0)
		return r;
	if (max > 0)
		groups[n++] = primary;
	for (size_t i = 0; i < db->n_groups && r >= 0; i++) {
		const struct users_group *g = &db->groups[i];

		if (g->gid == primary || !group_lists(g, name))
			continue;
		if (n == max)
			r = -E2BIG;
		else
			groups[n++] = g->gid;
	}
	users_db_free(db);
	if (r >= 0)
		*ret_n = n;
	return r;
}

int mint_group_gid(const char *name, gid_t *ret)
{
	const struct users_group *g;
	struct users_db *db = NULL;
	int r = users_db_load(NULL, USERS_SOURCE_ETC, &db);

	if (r >= 0)
		r = users_db_find_group(db, name, &g);
	if (r >= 0)
		*ret = g->gid;
	users_db_free(db);
	return r;
}
