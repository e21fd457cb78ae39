/* test-users.c: unit tests of core/users — passwd/group lookups, membership, hostile lines
 * skipped with a diagnostic, the bounds, the altfiles pair, login.defs defaults and overrides, and
 * subuid/subgid ranges; every fixture is written below a temporary root at test time. */

#define _GNU_SOURCE /* nftw */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "users.h"
#include "scratch.h"

struct fixture {
	char root[64];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/tailpod-test-users.XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int r = scratch_remove(fx->root);

	free(fx);
	return r;
}

/* Write root/path (directories created) with content. */
static void put(const struct fixture *fx, const char *path, const char *content, size_t len)
{
	char full[512], *slash;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", fx->root, path);
	for (slash = strchr(full + strlen(fx->root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(full, 0755);
		*slash = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void puts_(const struct fixture *fx, const char *path, const char *content)
{
	put(fx, path, content, strlen(content));
}

static const char passwd_ok[] = "root:x:0:0:root:/root:/bin/bash\n"
				"web:x:1001:1001::/var/home/web:/sbin/nologin\n"
				"db:x:1002:1002:Data Base:/srv/db:/sbin/nologin\n"
				"\n"
				"admin:x:1003:10::/home/admin:\n";
static const char group_ok[] = "root:x:0:\n"
			       "wheel:x:10:\n"
			       "web:x:1001:\n"
			       "db:x:1002:\n"
			       "tailpod:x:990:web,db\n"
			       "tailpod-mint:x:991:admin\n";

static struct users_db *load_ok(const struct fixture *fx)
{
	struct users_db *db = NULL;

	puts_(fx, USERS_PASSWD, passwd_ok);
	puts_(fx, USERS_GROUP, group_ok);
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), 0);
	return db;
}

static void test_find_user(void **state)
{
	struct users_db *db = load_ok(*state);
	const struct users_user *u = NULL;

	assert_int_equal(db->n_users, 4);
	assert_int_equal(db->diags.n, 0);
	assert_int_equal(users_db_find_user(db, "web", &u), 0);
	assert_int_equal(u->uid, 1001);
	assert_int_equal(u->gid, 1001);
	assert_string_equal(u->home, "/var/home/web"); /* from the entry, not /home/NAME */
	assert_string_equal(u->shell, "/sbin/nologin");
	assert_int_equal(users_db_find_user(db, "admin", &u), 0);
	assert_string_equal(u->shell, "");
	assert_int_equal(users_db_find_uid(db, 1002, &u), 0);
	assert_string_equal(u->name, "db");
	u = NULL;
	assert_int_equal(users_db_find_user(db, "nobody", &u), -ENOENT);
	assert_int_equal(users_db_find_uid(db, 4242, &u), -ENOENT);
	assert_int_equal(users_db_find_user(db, "bad name", &u), -EINVAL);
	assert_null(u); /* untouched on failure */
	users_db_free(db);
}

static void test_find_group(void **state)
{
	struct users_db *db = load_ok(*state);
	const struct users_group *g = NULL;

	assert_int_equal(users_db_find_group(db, "tailpod", &g), 0);
	assert_int_equal(g->gid, 990);
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[0], "web");
	assert_string_equal(g->members[1], "db");
	assert_int_equal(users_db_find_group(db, "wheel", &g), 0);
	assert_int_equal(g->n_members, 0);
	assert_int_equal(users_db_find_gid(db, 991, &g), 0);
	assert_string_equal(g->name, "tailpod-mint");
	assert_int_equal(users_db_find_group(db, "docker", &g), -ENOENT);
	assert_int_equal(users_db_find_gid(db, 7, &g), -ENOENT);
	users_db_free(db);
}

static void test_user_in_group(void **state)
{
	struct users_db *db = load_ok(*state);

	assert_int_equal(users_db_user_in_group(db, "web", "tailpod"), 1); /* supplementary */
	assert_int_equal(users_db_user_in_group(db, "web", "web"), 1);	   /* primary */
	assert_int_equal(users_db_user_in_group(db, "admin", "wheel"), 1); /* primary by gid */
	/* The mint group grants nothing in the managed one (P0.2). */
	assert_int_equal(users_db_user_in_group(db, "admin", "tailpod"), 0);
	assert_int_equal(users_db_user_in_group(db, "web", "tailpod-mint"), 0);
	assert_int_equal(users_db_user_in_group(db, "root", "tailpod"), 0);
	assert_int_equal(users_db_user_in_group(db, "ghost", "tailpod"), -ENOENT);
	assert_int_equal(users_db_user_in_group(db, "web", "ghosts"), -ENOENT);
	assert_int_equal(users_db_user_in_group(db, "web", "-x"), -EINVAL);
	users_db_free(db);
}

static void assert_diag(const struct users_db *db, size_t i, unsigned line, const char *msg)
{
	assert_true(i < db->diags.n);
	assert_int_equal(db->diags.items[i].line, line);
	assert_string_equal(db->diags.items[i].msg, msg);
}

static void test_hostile_passwd(void **state)
{
	const struct fixture *fx = *state;
	static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
				     "+nis::::::\n"
				     "short:x:1:1\n"
				     "too:x:1:1:a:/b:/c:d\n"
				     "-bad:x:5:5::/h:/s\n"
				     "1234:x:5:5::/h:/s\n"
				     "neg:x:-1:5::/h:/s\n"
				     "big:x:4294967295:5::/h:/s\n"
				     "gid:x:5:5x::/h:/s\n"
				     "rel:x:5:5::home:/s\n"
				     "root:x:0:0:evil twin:/evil:/bin/sh\n"
				     "# a comment\n"
				     "web:x:1001:1001::/home/web:/sbin/nologin";
	char nul[] = "web:x:1001:1001::/home/web:/sbin/nologin\nn\0ul:x:1:1::/h:/s\n";
	struct users_db *db = NULL;
	const struct users_user *u;
	char path[128];

	puts_(fx, USERS_PASSWD, passwd);
	puts_(fx, USERS_GROUP, "");
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), 0);
	assert_int_equal(db->n_users, 2);
	assert_int_equal(users_db_find_user(db, "root", &u), 0);
	assert_string_equal(u->home, "/root"); /* the first of duplicate names wins */
	assert_int_equal(users_db_find_user(db, "web", &u), 0); /* no final newline */
	assert_int_equal(db->diags.n, 10);
	snprintf(path, sizeof(path), "%s/etc/passwd", fx->root);
	assert_string_equal(db->diags.items[0].path, path);
	assert_diag(db, 0, 2, "NIS compat entry '+nis::::::' is not supported, ignoring");
	assert_diag(db, 1, 3, "not 7 ':'-separated fields, ignoring");
	assert_diag(db, 2, 4, "not 7 ':'-separated fields, ignoring");
	assert_diag(db, 3, 5, "NIS compat entry '-bad:x:5:5::/h:/s' is not supported, ignoring");
	assert_diag(db, 4, 6, "invalid user name '1234', ignoring");
	assert_diag(db, 5, 7, "invalid uid '-1', ignoring");
	assert_diag(db, 6, 8, "invalid uid '4294967295', ignoring");
	assert_diag(db, 7, 9, "invalid gid '5x', ignoring");
	assert_diag(db, 8, 10, "home directory 'home' is not absolute, ignoring");
	assert_diag(db, 9, 11, "duplicate user 'root', ignoring");
	users_db_free(db);

	put(fx, USERS_PASSWD, nul, sizeof(nul) - 1);
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), 0);
	assert_int_equal(db->n_users, 1);
	assert_diag(db, 0, 2, "line contains a NUL byte, ignoring");
	users_db_free(db);
}

static void test_hostile_group(void **state)
{
	const struct fixture *fx = *state;
	static const char group[] = "tailpod:x:990:web,,bad name,-x,db,\n"
				    "tailpod:x:991:admin\n"
				    "x:x:y:\n"
				    "three:x:3\n";
	struct users_db *db = NULL;
	const struct users_group *g;

	puts_(fx, USERS_PASSWD, passwd_ok);
	puts_(fx, USERS_GROUP, group);
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), 0);
	assert_int_equal(db->n_groups, 1);
	assert_int_equal(users_db_find_group(db, "tailpod", &g), 0);
	assert_int_equal(g->gid, 990);
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[1], "db");
	assert_int_equal(db->diags.n, 5);
	assert_diag(db, 0, 1, "invalid member name '-x', ignoring");
	assert_diag(db, 1, 1, "invalid member name 'bad name', ignoring");
	assert_diag(db, 2, 2, "duplicate group 'tailpod', ignoring");
	assert_diag(db, 3, 3, "invalid gid 'y', ignoring");
	assert_diag(db, 4, 4, "not 4 ':'-separated fields, ignoring");
	users_db_free(db);
}

static void test_bounds(void **state)
{
	const struct fixture *fx = *state;
	size_t n = (size_t)USERS_ENTRIES_MAX + 1, len = 0;
	char *big = malloc(n * 40 + USERS_LINE_MAX + 64), *p;
	struct users_db *db = NULL;

	assert_non_null(big);
	/* A line one byte over the limit is skipped, the next one is read. */
	p = big;
	p += sprintf(p, "long:x:1:1::/");
	memset(p, 'h', USERS_LINE_MAX - (size_t)(p - big) + 1);
	p += USERS_LINE_MAX - (size_t)(p - big) + 1;
	p += sprintf(p, "\nok:x:2:2::/h:/s\n");
	put(fx, USERS_PASSWD, big, (size_t)(p - big));
	puts_(fx, USERS_GROUP, "");
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), 0);
	assert_int_equal(db->n_users, 1);
	assert_diag(db, 0, 1, "line longer than 262144 bytes, ignoring");
	db = users_db_free(db);

	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(big + len, "u%zu:x:%zu:1::/h:/s\n", i, i + 1);
	put(fx, USERS_PASSWD, big, len);
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), -E2BIG);
	assert_null(db);
	/* One entry less is fine. */
	put(fx, USERS_PASSWD, big, len - strlen(strrchr(big, 'u')));
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), 0);
	assert_int_equal(db->n_users, USERS_ENTRIES_MAX);
	users_db_free(db);

	/* A group lists at most USERS_MEMBERS_MAX members; the rest is dropped with a diagnostic.
	 */
	len = (size_t)sprintf(big, "many:x:5:");
	for (size_t i = 0; i <= USERS_MEMBERS_MAX; i++)
		len += (size_t)sprintf(big + len, "%sm", i ? "," : "");
	big[len++] = '\n';
	puts_(fx, USERS_PASSWD, "ok:x:2:2::/h:/s\n");
	put(fx, USERS_GROUP, big, len);
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), 0);
	assert_int_equal(db->groups[0].n_members, USERS_MEMBERS_MAX);
	assert_diag(db, 0, 1, "more than 16384 members, ignoring the rest");
	users_db_free(db);
	free(big);
}

static void test_missing_and_altfiles(void **state)
{
	const struct fixture *fx = *state;
	struct users_db *db = NULL;
	const struct users_user *u;
	char root_slash[80];

	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), -ENOENT);
	puts_(fx, USERS_PASSWD, passwd_ok);
	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &db), -ENOENT); /* no group */
	assert_null(db);
	/* Fedora CoreOS: core lives in /usr/lib/passwd, not /etc/passwd. */
	puts_(fx, USERS_ALT_PASSWD, "core:x:1000:1000:CoreOS Admin:/var/home/core:/bin/bash\n");
	puts_(fx, USERS_ALT_GROUP, "core:x:1000:\nwheel:x:10:core\n");
	snprintf(root_slash, sizeof(root_slash), "%s//", fx->root);
	assert_int_equal(users_db_load(root_slash, USERS_SOURCE_ALTFILES, &db), 0);
	assert_int_equal(db->source, USERS_SOURCE_ALTFILES);
	assert_int_equal(users_db_find_user(db, "core", &u), 0);
	assert_string_equal(u->home, "/var/home/core");
	assert_int_equal(users_db_user_in_group(db, "core", "wheel"), 1);
	users_db_free(db);
}

/* The mint-key service's question "is my uid anyone's?": every line with that uid counts, even
 * one the db lookups skip; a missing file is -ENOENT, not "nobody". */
static void test_passwd_has_uid(void **state)
{
	const struct fixture *fx = *state;
	char name[USER_NAME_MAX + 1];

	assert_int_equal(users_passwd_has_uid(fx->root, USERS_ALT_PASSWD, 61184, name), -ENOENT);
	puts_(fx, USERS_PASSWD, passwd_ok);
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_PASSWD, 1002, name), 1);
	assert_string_equal(name, "db");
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_PASSWD, 0, NULL), 1);
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_PASSWD, 61184, name), 0);
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_PASSWD, 100, name), 0);
	/* Malformed lines still count: a relative home, too few fields, a bad name, no newline. */
	puts_(fx, USERS_ALT_PASSWD,
	      "# tailpod-mint-key:x:61184:61184::/:/bin/false\n"
	      "a:x:61185:61185::home:/bin/false\n"
	      "b:x:61186\n"
	      "bad name:x:61187:1::/:\n"
	      "c:x:+61188:1::/:\n"
	      "tailpod-mint-key:x:61189:61189::/:/bin/false");
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_ALT_PASSWD, 61184, name), 0);
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_ALT_PASSWD, 61185, name), 1);
	assert_string_equal(name, "a");
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_ALT_PASSWD, 61186, name), 1);
	assert_string_equal(name, "b");
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_ALT_PASSWD, 61187, name), 1);
	assert_string_equal(name, "");
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_ALT_PASSWD, 61188, name), 0);
	assert_int_equal(users_passwd_has_uid(fx->root, USERS_ALT_PASSWD, 61189, name), 1);
	assert_string_equal(name, "tailpod-mint-key");
}

/* The fetch user's lookup without a db: the line users_db_find_user() would give. */
static void test_passwd_find_user(void **state)
{
	const struct fixture *fx = *state;
	uid_t uid = 0;
	gid_t gid = 0;

	assert_int_equal(users_passwd_find_user(fx->root, USERS_PASSWD, "f", &uid, &gid), -ENOENT);
	puts_(fx, USERS_PASSWD,
	      "f:x:1:1::home:/bin/false\n"     /* a relative home: not kept */
	      "f:x:+2:2::/:/bin/false\n"       /* a bad uid */
	      "fetch:x:3:3::/:/bin/false\n"    /* a longer name */
	      "f:x:61190:61191::/var/lib/f:\n" /* the first valid line of "f" */
	      "f:x:5:5::/:/bin/false\n");
	assert_int_equal(users_passwd_find_user(fx->root, USERS_PASSWD, "f", &uid, &gid), 0);
	assert_int_equal(uid, 61190);
	assert_int_equal(gid, 61191);
	assert_int_equal(users_passwd_find_user(fx->root, USERS_PASSWD, "fetch", &uid, &gid), 0);
	assert_int_equal(uid, 3);
	assert_int_equal(users_passwd_find_user(fx->root, USERS_PASSWD, "fe", &uid, &gid), -ENOENT);
}

static void test_name_valid(void **state)
{
	(void)state;
	assert_true(users_name_valid("web"));
	assert_true(users_name_valid("a.b_c-d"));
	assert_true(users_name_valid("host$"));
	assert_true(users_name_valid("1a"));
	assert_true(users_name_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
	assert_false(users_name_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	assert_false(users_name_valid(""));
	assert_false(users_name_valid("-web"));
	assert_false(users_name_valid("."));
	assert_false(users_name_valid(".."));
	assert_false(users_name_valid("123"));
	assert_false(users_name_valid("$"));
	assert_false(users_name_valid("a$b"));
	assert_false(users_name_valid("a:b"));
	assert_false(users_name_valid("a/b"));
	assert_false(users_name_valid("a\nb"));
	assert_false(users_name_valid("wéb"));
}

static void test_defs(void **state)
{
	const struct fixture *fx = *state;
	struct diag_list diags = {0};
	struct users_defs d = {0};

	/* No file: shadow-utils' defaults. */
	assert_int_equal(users_defs_load(fx->root, &d, &diags), 0);
	assert_int_equal(d.uid_min, 1000);
	assert_int_equal(d.uid_max, 60000);
	assert_int_equal(d.sys_uid_min, 101);
	assert_int_equal(d.sys_uid_max, 999);
	assert_int_equal(d.gid_min, 1000);
	assert_int_equal(d.sub_uid_min, 100000);
	assert_int_equal(d.sub_uid_max, 600100000);
	assert_int_equal(d.sub_gid_count, 65536);

	puts_(fx, USERS_LOGIN_DEFS,
	      "# login.defs\n"
	      "MAIL_DIR /var/spool/mail\n"
	      "UID_MIN                  2000\n"
	      "\tUID_MAX\t0x10000 # trailing\n"
	      "GID_MIN \"3000\"\n"
	      "SUB_UID_COUNT 010\n"
	      "GID_MAX -5\n"
	      "SYS_UID_MIN\n");
	assert_int_equal(users_defs_load(fx->root, &d, &diags), 0);
	assert_int_equal(d.uid_min, 2000);
	assert_int_equal(d.uid_max, 65536);
	assert_int_equal(d.sys_uid_max, 1999);
	assert_int_equal(d.gid_min, 3000);
	assert_int_equal(d.gid_max, 60000);
	assert_int_equal(d.sub_uid_count, 8); /* octal, as strtoul base 0 */
	assert_int_equal(d.sys_uid_min, 101);
	assert_int_equal(diags.n, 2);
	assert_int_equal(diags.items[0].line, 7);
	assert_string_equal(diags.items[0].msg, "invalid number for GID_MAX, ignoring");
	assert_string_equal(diags.items[1].msg, "invalid number for SYS_UID_MIN, ignoring");
	diag_list_release(&diags);

	puts_(fx, USERS_LOGIN_DEFS, "UID_MIN 70000\n");
	d.uid_min = 7;
	assert_int_equal(users_defs_load(fx->root, &d, NULL), -ERANGE);
	assert_int_equal(d.uid_min, 7); /* untouched on failure */
}

static void test_subid(void **state)
{
	const struct fixture *fx = *state;
	struct users_subid_range r = {0};
	struct diag_list diags = {0};

	assert_int_equal(users_subid_find(fx->root, USERS_SUBUID, "web", 1001, &r, NULL), -ENOENT);
	puts_(fx, USERS_SUBUID,
	      "core:100000:65536\n"
	      "web:0:0\n"
	      "web:4294967295:2\n"
	      "bad name:1:1\n"
	      "web:165536:65536\n"
	      "1002:231072:65536\n"
	      "web:999:1\n");
	assert_int_equal(users_subid_find(fx->root, USERS_SUBUID, "web", 1001, &r, &diags), 0);
	assert_int_equal(r.start, 165536);
	assert_int_equal(r.count, 65536);
	assert_int_equal(diags.n, 3);
	assert_string_equal(diags.items[0].msg, "invalid range of 'web', ignoring");
	assert_int_equal(diags.items[1].line, 3);
	assert_string_equal(diags.items[2].msg, "invalid owner 'bad name', ignoring");
	diag_list_release(&diags);
	/* By uid, as shadow allows. */
	assert_int_equal(users_subid_find(fx->root, USERS_SUBUID, "db", 1002, &r, NULL), 0);
	assert_int_equal(r.start, 231072);
	assert_int_equal(users_subid_find(fx->root, USERS_SUBUID, "new", 1003, &r, NULL), -ENOENT);
	assert_int_equal(users_subid_find(fx->root, USERS_SUBGID, "web", 1001, &r, NULL), -ENOENT);
	assert_int_equal(users_subid_find(fx->root, USERS_SUBUID, "1001", 1001, &r, NULL), -EINVAL);
	/* Leading zeros name the same uid and the same numbers; the first line of either owner
	 * wins, by uid or by name. */
	puts_(fx, USERS_SUBGID,
	      "01003:000300000:0065536\n"
	      "ops:5:6\n"
	      "0:7:8\n"
	      "1004:9:10\n");
	assert_int_equal(users_subid_find(fx->root, USERS_SUBGID, "new", 1003, &r, NULL), 0);
	assert_int_equal(r.start, 300000);
	assert_int_equal(r.count, 65536);
	assert_int_equal(users_subid_find(fx->root, USERS_SUBGID, "ops", 1003, &r, NULL), 0);
	assert_int_equal(r.start, 300000);
	assert_int_equal(users_subid_find(fx->root, USERS_SUBGID, "ops", 1004, &r, NULL), 0);
	assert_int_equal(r.start, 5);
	assert_int_equal(users_subid_find(fx->root, USERS_SUBGID, "root", 0, &r, NULL), 0);
	assert_int_equal(r.count, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_in_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_passwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_altfiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwd_has_uid, setup, teardown),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test_setup_teardown(test_defs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwd_find_user, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
