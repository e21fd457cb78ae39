/* idmap.c: ownership stored container-relative (issue 20): the workload user's uid is 0 inside its
 * containers and subuid start+k is k+1, the same for gids; restore maps back onto the destination
 * user's own ranges, so an archive moves between hosts where the user has other ids. */
#include "backup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

int backup_idmap_load(const struct users_user *u, struct backup_idmap *ret)
{
	struct backup_idmap m = {.uid = u->uid, .gid = u->gid};
	int r = users_subid_find(NULL, USERS_SUBUID, u->name, u->uid, &m.subuid, NULL);

	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT)
		m.subuid.count = 0;
	r = users_subid_find(NULL, USERS_SUBGID, u->name, u->uid, &m.subgid, NULL);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT)
		m.subgid.count = 0;
	*ret = m;
	return 0;
}

bool backup_idmap_to_rel(const struct backup_idmap *m, bool gid, uint64_t host, uint64_t *rel)
{
	const struct users_subid_range *sub = gid ? &m->subgid : &m->subuid;

	if (host == (gid ? m->gid : m->uid)) {
		*rel = 0;
		return true;
	}
	if (sub->count && host >= sub->start && host - sub->start < sub->count) {
		*rel = host - sub->start + 1;
		return true;
	}
	return false;
}

bool backup_idmap_to_host(const struct backup_idmap *m, bool gid, uint64_t rel, uint64_t *host)
{
	const struct users_subid_range *sub = gid ? &m->subgid : &m->subuid;

	if (rel == 0) {
		*host = gid ? m->gid : m->uid;
		return true;
	}
	if (rel - 1 < sub->count) {
		*host = sub->start + (rel - 1);
		return true;
	}
	return false;
}

int backup_idmap_format(const struct backup_idmap *m, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "UID=%" PRIu64 "\nGID=%" PRIu64 "\nSubUID=%" PRIu32 ":%" PRIu32
			 "\nSubGID=%" PRIu32 ":%" PRIu32 "\n",
			 m->uid, m->gid, m->subuid.start, m->subuid.count, m->subgid.start,
			 m->subgid.count);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
