/* users_defs.c: login.defs and subuid/subgid read without NSS (see users.h), cut into lines by
 * users.c's cursor (users_internal.h). */
#define _GNU_SOURCE 1

#include "users.h"
#include "users_internal.h"
#include "core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- login.defs ------------------------------------------------------------------------------ */

static const struct users_defs defs_default = {
	.uid_min = 1000,
	.uid_max = 60000,
	.sys_uid_min = 101,
	.sys_uid_max = ID_INVALID, /* uid_min - 1 unless set */
	.gid_min = 1000,
	.gid_max = 60000,
	.sub_uid_min = 100000,
	.sub_uid_max = 600100000,
	.sub_uid_count = 65536,
	.sub_gid_min = 100000,
	.sub_gid_max = 600100000,
	.sub_gid_count = 65536,
};

#define DEFS_KEY(k, field)                                                                         \
	{                                                                                          \
		k, offsetof(struct users_defs, field)                                              \
	}
static const struct {
	const char *key;
	size_t offset;
} defs_keys[] = {
	DEFS_KEY("UID_MIN", uid_min),
	DEFS_KEY("UID_MAX", uid_max),
	DEFS_KEY("SYS_UID_MIN", sys_uid_min),
	DEFS_KEY("SYS_UID_MAX", sys_uid_max),
	DEFS_KEY("GID_MIN", gid_min),
	DEFS_KEY("GID_MAX", gid_max),
	DEFS_KEY("SUB_UID_MIN", sub_uid_min),
	DEFS_KEY("SUB_UID_MAX", sub_uid_max),
	DEFS_KEY("SUB_UID_COUNT", sub_uid_count),
	DEFS_KEY("SUB_GID_MIN", sub_gid_min),
	DEFS_KEY("SUB_GID_MAX", sub_gid_max),
	DEFS_KEY("SUB_GID_COUNT", sub_gid_count),
};

/* A number as shadow's getdef reads it (strtoul base 0: decimal, 0x hex, 0 octal), below 2^32-1. */
static bool parse_defs_number(const char *s, uint32_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v >= ID_INVALID)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* "KEY VALUE" (value optionally in double quotes) into d when KEY is one of defs_keys. */
static void defs_parse_line(struct lines *l, char *s, struct users_defs *d)
{
	char *key = s + strspn(s, " \t"), *value, *end;
	size_t n;

	if (*key == '#' || *key == '\0')
		return;
	value = key + strcspn(key, " \t");
	if (*value != '\0')
		*value++ = '\0';
	value += strspn(value, " \t");
	end = value + strcspn(value, " \t");
	*end = '\0';
	n = strlen(value);
	if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
		value[n - 1] = '\0';
		value++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(defs_keys); i++) {
		if (strcmp(key, defs_keys[i].key) != 0)
			continue;
		if (!parse_defs_number(value, (uint32_t *)((char *)d + defs_keys[i].offset)))
			users_lines_skip(l, "invalid number for %.*s, ignoring", key);
		return;
	}
}

static bool defs_consistent(const struct users_defs *d)
{
	return d->uid_min <= d->uid_max && d->sys_uid_min <= d->sys_uid_max &&
	       d->gid_min <= d->gid_max && d->sub_uid_min <= d->sub_uid_max &&
	       d->sub_gid_min <= d->sub_gid_max && d->sub_uid_count > 0 && d->sub_gid_count > 0;
}

int users_defs_load(const char *root, struct users_defs *ret, struct diag_list *diags)
{
	char path[PATH_MAX];
	struct users_defs d = defs_default;
	struct lines l = {.path = path, .diags = diags};
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	char *s;
	int r = users_path_below(root, USERS_LOGIN_DEFS, path, sizeof(path));

	if (r >= 0)
		r = users_read_file(path, &buf, &len);
	if (r < 0 && r != -ENOENT)
		return r;
	l.next = buf;
	l.end = buf ? buf + len : NULL;
	while (buf && (s = users_lines_next(&l)))
		defs_parse_line(&l, s, &d);
	if (d.sys_uid_max == ID_INVALID)
		d.sys_uid_max = d.uid_min > 0 ? d.uid_min - 1 : 0;
	if (!defs_consistent(&d))
		return -ERANGE;
	*ret = d;
	return 0;
}

/* --- subuid, subgid -------------------------------------------------------------------------- */

/*
 * The file is kept as read, each valid line rewritten in place to "OWNER\0START\0COUNT\0" in
 * canonical decimal (never longer than what it replaces: leading zeros go), and indexed by the
 * offset of its owner; no array of parsed entries beside it. At 10 000 lines of each file that is
 * a third of the memory a 32-byte entry per line took (issue 16). A numeric owner ("01001") is
 * indexed by its canonical form, so that "01001" and "1001" are one key.
 */
struct users_subids {
	char *buf;			    /* the file, rewritten in place */
	struct users_index by_name, by_uid; /* the first line of each owner */
	size_t n;			    /* lines kept */
};

/* The owner of the line at offset pos of the buffer. */
static const char *line_owner(const void *buf, size_t pos)
{
	return (const char *)buf + pos;
}

/* The range of the rewritten line whose owner is at owner. */
static struct users_subid_range line_range(const char *owner)
{
	const char *start = owner + strlen(owner) + 1, *count = start + strlen(start) + 1;
	struct users_subid_range r = {0};

	/* Written by subid_keep_line from values that parsed: they parse again. */
	(void)users_parse_id(start, &r.start);
	(void)users_parse_id(count, &r.count);
	return r;
}

/* Rewrite the line at f[0] (its fields cut by users_split_fields) in canonical form; the
 * owner's kind says which index takes it. */
static void subid_keep_line(char **f, bool numeric, uint32_t owner, uint32_t start, uint32_t count)
{
	char *p = f[0];

	if (numeric)
		p += sprintf(p, "%" PRIu32, owner) + 1;
	else
		p += strlen(p) + 1;
	p += sprintf(p, "%" PRIu32, start) + 1;
	sprintf(p, "%" PRIu32, count);
}

/* 1 when s is a valid range line (rewritten, *ret_numeric its owner's kind), 0 when skipped. */
static int subid_parse_line(struct lines *l, char *s, bool *ret_numeric)
{
	char *f[SUBID_FIELDS];
	uint32_t owner, start, count;
	bool numeric;

	if (!users_split_fields(s, f, SUBID_FIELDS)) {
		users_lines_skip(l, "not 3 ':'-separated fields%.*s, ignoring", "");
		return 0;
	}
	numeric = users_parse_id(f[0], &owner);
	if (!numeric && !users_name_valid(f[0]))
		users_lines_skip(l, "invalid owner '%.*s', ignoring", f[0]);
	else if (!users_parse_id(f[1], &start) || !users_parse_id(f[2], &count) || count == 0 ||
		 (uint64_t)start + count > (uint64_t)UINT32_MAX + 1)
		users_lines_skip(l, "invalid range of '%.*s', ignoring", f[0]);
	else {
		subid_keep_line(f, numeric, owner, start, count);
		*ret_numeric = numeric;
		return 1;
	}
	return 0;
}

static int subids_add(struct users_subids *ids, const char *owner, bool numeric)
{
	size_t pos = (size_t)(owner - ids->buf);
	int r;

	if (ids->n >= USERS_ENTRIES_MAX)
		return -E2BIG;
	r = users_index_add(numeric ? &ids->by_uid : &ids->by_name, ids->buf, line_owner, pos);
	if (r < 0)
		return r;
	ids->n++;
	return 0;
}

int users_subids_load(const char *root, const char *path, struct users_subids **ret,
		      struct diag_list *diags)
{
	char full[PATH_MAX];
	struct lines l = {.path = full, .diags = diags};
	struct users_subids *ids = calloc(1, sizeof(*ids));
	bool numeric;
	char *s;
	int r;

	if (!ids)
		return -ENOMEM;
	r = users_lines_open(root, path, full, &ids->buf, &l);
	while (r >= 0 && (s = users_lines_next(&l)))
		if (subid_parse_line(&l, s, &numeric) > 0)
			r = subids_add(ids, s, numeric);
	if (r < 0) {
		users_subids_free(ids);
		return r;
	}
	*ret = ids;
	return 0;
}

int users_subids_find(const struct users_subids *ids, const char *name, uid_t uid,
		      struct users_subid_range *ret)
{
	char uid_key[sizeof("4294967295")];
	long by_name, by_uid;

	if (!users_name_valid(name))
		return -EINVAL;
	snprintf(uid_key, sizeof(uid_key), "%" PRIu32, (uint32_t)uid);
	by_name = users_index_find(&ids->by_name, ids->buf, line_owner, name);
	by_uid = users_index_find(&ids->by_uid, ids->buf, line_owner, uid_key);
	/* The first line of either, as shadow reads the file. */
	if (by_name < 0 || (by_uid >= 0 && by_uid < by_name))
		by_name = by_uid;
	if (by_name < 0)
		return -ENOENT;
	*ret = line_range(ids->buf + by_name);
	return 0;
}

struct users_subids *users_subids_free(struct users_subids *ids)
{
	if (!ids)
		return NULL;
	users_index_release(&ids->by_name);
	users_index_release(&ids->by_uid);
	free(ids->buf);
	free(ids);
	return NULL;
}

int users_subid_find(const char *root, const char *path, const char *name, uid_t uid,
		     struct users_subid_range *ret, struct diag_list *diags)
{
	struct users_subids *ids = NULL;
	int r;

	if (!users_name_valid(name))
		return -EINVAL;
	r = users_subids_load(root, path, &ids, diags);
	if (r >= 0)
		r = users_subids_find(ids, name, uid, ret);
	users_subids_free(ids);
	return r;
}
