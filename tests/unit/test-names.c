/* test-names.c: unit tests of core/names — the static rules (root, core, tailpod*, systemd-*,
 * protected names), the table of the users tailpod's own units run as checked against the unit
 * files in initramfs/units, and the host's names: unmanaged users and groups of /etc and the
 * altfiles, User=, Group= and DynamicUser= of system units and drop-ins, what is skipped and the
 * bounds. Every host fixture is written below a temporary root at test time. */

#define _GNU_SOURCE /* nftw */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "ini.h"
#include "names.h"
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
	strcpy(fx->root, "/tmp/tailpod-test-names.XXXXXX");
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
static void put(const struct fixture *fx, const char *path, const char *content)
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
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The reason name is reserved for, or "" when it is not. */
static const char *why(const char *name, const struct names_rules *rules)
{
	static char buf[NAMES_WHY_MAX];

	if (!names_reserved(name, rules, buf, sizeof(buf)))
		return "";
	return buf;
}

/* --- the static rules ------------------------------------------------------------------------ */

static void test_static_rules(void **state)
{
	static const char *const protected_names[] = {"root", "core", "alice"};
	const struct names_rules rules = {.protected_names = protected_names, .n_protected = 3};
	static const char *const reserved[] = {
		"root",	     "core",	     "tailpod",	  "tailpod-x",	      "tailpodx",
		"tailpod_a", "tailpod-mint", "systemd-x", "tailpod-mint-key", "alice"};
	static const char *const allowed[] = {"web",	    "systemd", "systemdx", "tail",
					      "my-tailpod", "bob",     "coreos",   "rooted"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		assert_string_not_equal(why(reserved[i], &rules), "");
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		assert_string_equal(why(allowed[i], &rules), "");
	assert_string_equal(why("root", NULL), "is reserved on the host");
	assert_string_equal(why("core", NULL), "is reserved on the host");
	assert_string_equal(why("tailpod-web", NULL),
			    "is reserved: names starting with 'tailpod' are tailpod's own");
	assert_string_equal(why("systemd-network", NULL),
			    "is reserved: names starting with 'systemd-' are systemd's");
	assert_string_equal(why("tailpod-mint-key", NULL),
			    "is the user of tailpod-mint-key@.service, a unit tailpod ships");
	assert_string_equal(why("alice", &rules),
			    "is a protected user on this host (TAILPOD_PROTECTED_USERS)");
	assert_string_equal(why("alice", NULL), "");
}

/* --- the table of shipped users against the unit files -----------------------------------------
 */

/* initramfs/units of the checkout this test was built in: the binary is TOP/build/host/test-names.
 */
static void units_dir(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	assert_true(n > 0);
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		slash = strrchr(exe, '/');
		assert_non_null(slash);
		*slash = '\0';
	}
	assert_true((size_t)snprintf(buf, size, "%s/initramfs/units", exe) < size);
}

/* Every value of section/key in doc: reserved by the static rules; a User= or Group= other than
 * root is in the table, under this unit's name. Returns how many values there were. */
static size_t check_unit_key(const struct ini *doc, const char *unit, const char *section,
			     const char *key)
{
	_cleanup_free_ const char **values = NULL;
	bool tabled = strcmp(key, "User") == 0 || strcmp(key, "Group") == 0;
	size_t n = 0;

	assert_int_equal(ini_get_all(doc, section, key, 0, &values, &n), 0);
	for (size_t i = 0; i < n; i++) {
		const char *shipped = names_shipped_unit(values[i]);

		if (!names_reserved(values[i], NULL, (char[NAMES_WHY_MAX]){0}, NAMES_WHY_MAX))
			fail_msg("%s: %s=%s is not reserved", unit, key, values[i]);
		if (tabled && strcmp(values[i], "root") != 0 &&
		    (!shipped || strcmp(shipped, unit) != 0))
			fail_msg("%s: %s=%s is not in names.c's table of shipped users", unit, key,
				 values[i]);
	}
	return n;
}

static void test_shipped_units(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	size_t n_users = 0, n_units = 0;
	struct dirent *de;
	DIR *d;

	(void)state;
	units_dir(dir, sizeof(dir));
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct ini *doc = NULL;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(ini_parse_path(path, &doc, NULL), 0);
		n_units++;
		n_users += check_unit_key(doc, de->d_name, "Service", "User");
		check_unit_key(doc, de->d_name, "Service", "Group");
		check_unit_key(doc, de->d_name, "Socket", "SocketUser");
		check_unit_key(doc, de->d_name, "Socket", "SocketGroup");
		ini_free(doc);
	}
	closedir(d);
	/* Not vacuous: the mint-key service has a User=. */
	assert_true(n_units >= 4);
	assert_true(n_users >= 1);
}

/* --- the host -------------------------------------------------------------------------------- */

static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
			     "sshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n"
			     "web:x:1001:1001::/home/web:/sbin/nologin\n"
			     "db:x:1002:990::/home/db:/sbin/nologin\n"
			     "mallory:x:1005:1005::/home/mallory:/sbin/nologin\n"
			     "human:x:1003:1003::/home/human:/bin/bash\n"
			     "dup:x:1004:1004::/home/dup:/bin/bash\n";
static const char group[] = "root:x:0:\n"
			    "tailpod:x:990:web,mallory\n"
			    "web:x:1001:\n"
			    "mallory:x:2005:\n" /* a managed user's name, not its primary gid */
			    "human:x:1003:\n"
			    "docker:x:999:human\n";

static struct names_host *load(const struct fixture *fx, bool alt, struct diag_list *diags)
{
	struct users_db *etc = NULL, *adb = NULL;
	struct names_host *h = NULL;

	assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ETC, &etc), 0);
	if (alt)
		assert_int_equal(users_db_load(fx->root, USERS_SOURCE_ALTFILES, &adb), 0);
	assert_int_equal(names_host_load(fx->root, etc, adb, "tailpod", &h, diags), 0);
	/* The snapshot is a copy: the databases may go (sync reloads /etc/passwd). */
	users_db_free(adb);
	users_db_free(etc);
	return h;
}

static void test_host_users_and_groups(void **state)
{
	struct fixture *fx = *state;
	struct diag_list diags = {0};
	struct names_rules rules = {0};
	char path[256];

	put(fx, "/etc/passwd", passwd);
	put(fx, "/etc/group", group);
	put(fx, "/usr/lib/passwd",
	    "core:x:1000:1000::/var/home/core:/bin/bash\n"
	    "chrony:x:994:992::/var/lib/chrony:/sbin/nologin\n"
	    "web:x:995:995::/:/sbin/nologin\n");
	put(fx, "/usr/lib/group", "chrony:x:992:\nsudo:x:16:\n");
	rules.host = load(fx, true, &diags);
	assert_int_equal(diags.n, 0);

	/* Managed: in the group as a member (its own group is fine), or by its primary group. */
	assert_string_equal(why("db", &rules), "");
	assert_string_equal(why("nobody-here", &rules), "");
	snprintf(path, sizeof(path),
		 "is a user of this host (%s/etc/passwd) not managed by tailpod "
		 "(not in group 'tailpod')",
		 fx->root);
	assert_string_equal(why("sshd", &rules), path);
	assert_string_equal(why("human", &rules), path);
	snprintf(path, sizeof(path),
		 "is a group of this host (%s/etc/group), not the own group of a "
		 "user tailpod manages",
		 fx->root);
	assert_string_equal(why("docker", &rules), path);
	assert_string_equal(why("mallory", &rules), path);
	snprintf(path, sizeof(path), "is a system user of this host (%s/usr/lib/passwd)", fx->root);
	assert_string_equal(why("chrony", &rules), path);
	/* A system account of the altfiles is never managed, whatever /etc/passwd says. */
	assert_string_equal(why("web", &rules), path);
	snprintf(path, sizeof(path), "is a system group of this host (%s/usr/lib/group)", fx->root);
	assert_string_equal(why("sudo", &rules), path);
	/* The static rules come first. */
	assert_string_equal(why("core", &rules), "is reserved on the host");
	names_host_free((struct names_host *)rules.host);

	/* Without the altfiles, web is a workload's user again. */
	rules.host = load(fx, false, &diags);
	assert_string_equal(why("web", &rules), "");
	assert_string_equal(why("chrony", &rules), "");
	names_host_free((struct names_host *)rules.host);
	diag_list_release(&diags);
}

static void test_host_units(void **state)
{
	struct fixture *fx = *state;
	struct diag_list diags = {0};
	struct names_rules rules = {0};
	char expect[512], link[512];

	put(fx, "/etc/passwd", passwd);
	put(fx, "/etc/group", group);
	put(fx, "/usr/lib/systemd/system/dyn.service", "[Service]\nDynamicUser=yes\n");
	put(fx, "/usr/lib/systemd/system/named.service",
	    "[Service]\nDynamicUser=yes\nUser=svc\nGroup=svcgrp\n");
	put(fx, "/usr/lib/systemd/system/tmpl@.service", "[Service]\nUser=%i\nDynamicUser=yes\n");
	put(fx, "/usr/lib/systemd/system/num.service", "[Service]\nUser=0\nGroup=65534\n");
	put(fx, "/usr/lib/systemd/system/static.service", "[Service]\nDynamicUser=no\n");
	put(fx, "/usr/lib/systemd/system/other.timer", "[Service]\nUser=timeruser\n");
	put(fx, "/usr/lib/systemd/system/unit.txt", "[Service]\nUser=txtuser\n");
	put(fx, "/usr/lib/systemd/system/unitsec.service", "[Unit]\nUser=unitsection\n");
	put(fx, "/usr/lib/systemd/system/dup.service", "[Service]\nUser=dup\n");
	put(fx, "/etc/systemd/system/late.service.d/10-dyn.conf", "[Service]\nDynamicUser=on\n");
	put(fx, "/etc/systemd/system/late.service.d/20-user.conf", "[Service]\nUser=dropin\n");
	put(fx, "/etc/systemd/system/late.service.d/notes.txt", "[Service]\nUser=notconf\n");
	put(fx, "/run/systemd/system/runtime.service", "[Service]\nUser=rt\n");
	put(fx, "/usr/local/lib/systemd/system/local.service", "[Service]\nUser=loc\n");
	put(fx, "/usr/lib/systemd/system/broken.service", "[Service\nUser=broken\n");
	snprintf(link, sizeof(link), "%s/etc/systemd/system/masked.service", fx->root);
	assert_int_equal(symlink("/dev/null", link), 0);
	rules.host = load(fx, false, &diags);

	snprintf(expect, sizeof(expect),
		 "is the DynamicUser= name of the host's unit "
		 "%s/usr/lib/systemd/system/dyn.service: "
		 "the unit would run as the workload's user",
		 fx->root);
	assert_string_equal(why("dyn", &rules), expect);
	snprintf(
		expect, sizeof(expect),
		"is the User= of the host's unit %s/usr/lib/systemd/system/named.service: the unit "
		"would run as the workload's user",
		fx->root);
	assert_string_equal(why("svc", &rules), expect);
	snprintf(expect, sizeof(expect),
		 "is the Group= of the host's unit %s/usr/lib/systemd/system/named.service: the "
		 "unit "
		 "would run in the workload's group",
		 fx->root);
	assert_string_equal(why("svcgrp", &rules), expect);
	/* With User= set, the unit's own name is not used. */
	assert_string_equal(why("named", &rules), "");
	/* A drop-in's DynamicUser= names its unit; its User= counts too. */
	assert_string_not_equal(why("late", &rules), "");
	assert_string_not_equal(why("dropin", &rules), "");
	assert_string_not_equal(why("rt", &rules), "");
	assert_string_not_equal(why("loc", &rules), "");
	/* Specifiers, ids, templates, other keys, sections and files are not names. */
	assert_string_equal(why("tmpl", &rules), "");
	assert_string_equal(why("static", &rules), "");
	assert_string_equal(why("timeruser", &rules), "");
	assert_string_equal(why("txtuser", &rules), "");
	assert_string_equal(why("notconf", &rules), "");
	assert_string_equal(why("unitsection", &rules), "");
	/* A name the host uses twice is told by its passwd line. */
	snprintf(expect, sizeof(expect),
		 "is a user of this host (%s/etc/passwd) not managed by tailpod (not in group "
		 "'tailpod')",
		 fx->root);
	assert_string_equal(why("dup", &rules), expect);
	/* The unit that does not parse is named, with its line, and ignored; the mask is silent. */
	assert_int_equal(diags.n, 1);
	assert_non_null(strstr(diags.items[0].path, "/usr/lib/systemd/system/broken.service"));
	assert_non_null(strstr(diags.items[0].msg, ", ignoring"));
	assert_string_equal(why("broken", &rules), "");
	names_host_free((struct names_host *)rules.host);
	diag_list_release(&diags);
}

/* The size bound of one unit, and the count bound of all of them; a directory that is a symlink to
 * another one (merged /usr: /lib -> usr/lib) is read once. */
static void test_host_bounds(void **state)
{
	struct fixture *fx = *state;
	struct diag_list diags = {0};
	struct names_host *h;
	char path[512], *big = malloc(NAMES_UNIT_SIZE_MAX + 64);
	size_t n_before;

	assert_non_null(big);
	put(fx, "/etc/passwd", passwd);
	put(fx, "/etc/group", group);
	memset(big, '#', NAMES_UNIT_SIZE_MAX + 1);
	memcpy(big, "[Service]\nUser=big\n", 19);
	big[NAMES_UNIT_SIZE_MAX + 1] = '\0';
	put(fx, "/usr/lib/systemd/system/big.service", big);
	free(big);
	for (int i = 0; i < NAMES_UNIT_FILES_MAX / 2 + 100; i++) {
		snprintf(path, sizeof(path), "/usr/lib/systemd/system/u%d.service", i);
		put(fx, path, "");
	}
	snprintf(path, sizeof(path), "%s/lib", fx->root);
	assert_int_equal(symlink("usr/lib", path), 0);

	h = load(fx, false, &diags);
	assert_int_equal(diags.n, 1); /* the big unit, not the bound: /lib was not read again */
	assert_non_null(strstr(diags.items[0].msg, "NAMES_UNIT_SIZE_MAX"));
	assert_string_equal(why("big", &(struct names_rules){.host = h}), "");
	n_before = names_host_count(h);
	names_host_free(h);
	diag_list_release(&diags);

	for (int i = NAMES_UNIT_FILES_MAX / 2 + 100; i <= NAMES_UNIT_FILES_MAX; i++) {
		snprintf(path, sizeof(path), "/usr/lib/systemd/system/u%d.service", i);
		put(fx, path, "");
	}
	h = load(fx, false, &diags);
	assert_int_equal(names_host_count(h), n_before);
	/* The big unit may come after the bound in directory order: the bound is reported last. */
	assert_true(diags.n >= 1);
	assert_non_null(strstr(diags.items[diags.n - 1].msg, "more than 16384 unit files"));
	names_host_free(h);
	diag_list_release(&diags);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_rules),
		cmocka_unit_test(test_shipped_units),
		cmocka_unit_test_setup_teardown(test_host_users_and_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_units, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_bounds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
