/* test-userfs_home.c: unit tests for core/userfs_home.c, the home checked by its name in a parent
 * opened once (issue 16): a healthy home (a directory of its user in a parent only root can
 * change, no mount root) is vouched for, its files compared beneath the parent with the same rules
 * (a symlink in the way refused); everything else — a symlink, another owner, a missing home, a
 * parent others may write to, a mount over the home — is left to userfs_home_open() (0). The
 * parent stays open for the next home in it; the check that never opens it (threads share the
 * parent) answers the same while it is open. Needs root (chown, a mount in a namespace of its
 * own). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "userfs.h"
#include "scratch.h"

enum { TEST_UID = 4243 };

#define UNITS ".config/containers/systemd"

struct fixture {
	char base[64]; /* the homes' parent: root's, 0700 (mkdtemp) */
	char home[96]; /* base/w, TEST_UID's */
	struct userfs_homes homes;
};

static int setup(void **state)
{
	static struct fixture fx;

	if (geteuid() != 0)
		return -1; /* chown and mounts: root only */
	snprintf(fx.base, sizeof(fx.base), "/tmp/test-userfs_home.XXXXXX");
	if (!mkdtemp(fx.base))
		return -1;
	snprintf(fx.home, sizeof(fx.home), "%s/w", fx.base);
	if (mkdir(fx.home, 0700) < 0 || chown(fx.home, TEST_UID, TEST_UID) < 0)
		return -1;
	userfs_homes_init(&fx.homes);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	userfs_homes_close(&fx->homes);
	(void)umount2(fx->home, MNT_DETACH); /* left by a failed mount test */
	return scratch_remove(fx->base);
}

/* 1 and what it said, or its answer when that is not 1. */
static int check(struct fixture *fx, const char *home, uid_t uid, bool *private, const char **base)
{
	*private = false;
	*base = NULL;
	return userfs_home_check_at(&fx->homes, home, uid, private, base);
}

static void put_unit(const struct fixture *fx, const char *data)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/.config", fx->home);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.config/containers", fx->home);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/" UNITS, fx->home);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/" UNITS "/web.container", fx->home);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void test_healthy(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const char *base;
	bool private;

	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 1);
	assert_true(private);
	assert_string_equal(base, "w");
	assert_true(fx->homes.fd >= 0);
	assert_string_equal(fx->homes.dir, fx->base);
	assert_int_equal(chmod(fx->home, 0755), 0);
	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 1);
	assert_false(private);
	/* Its files, beneath the parent through the home's name. */
	put_unit(fx, "same");
	assert_int_equal(userfs_file_matches_stamp_at(fx->homes.fd, base, UNITS, "web.container",
						      "same", 4, NULL, NULL, &err),
			 1);
	assert_int_equal(userfs_file_matches_stamp_at(fx->homes.fd, base, UNITS, "web.container",
						      "diff", 4, NULL, NULL, &err),
			 0);
	assert_int_equal(userfs_file_matches_stamp_at(fx->homes.fd, base, UNITS, "api.container",
						      "same", 4, NULL, NULL, &err),
			 0);
}

/* A symlink below the home is refused as beneath the home's own fd. */
static void test_files_symlink(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	char path[160], target[160];
	const char *base;
	bool private;

	put_unit(fx, "same");
	snprintf(path, sizeof(path), "%s/.config", fx->home);
	snprintf(target, sizeof(target), "%s/.config-real", fx->home);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(".config-real", path), 0);
	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 1);
	assert_int_equal(userfs_file_matches_stamp_at(fx->homes.fd, base, UNITS, "web.container",
						      "same", 4, NULL, NULL, &err),
			 -ELOOP);
	assert_string_equal(err.msg, UNITS "/web.container: a symlink is in the way");
}

/* Every home that is not plainly its user's directory goes to userfs_home_open(). */
static void test_left_to_open(void **state)
{
	struct fixture *fx = *state;
	char link[96], other[96];
	const char *base;
	bool private;

	assert_int_equal(check(fx, fx->home, TEST_UID + 1, &private, &base), 0); /* owner */
	snprintf(link, sizeof(link), "%s/l", fx->base);
	assert_int_equal(symlink("w", link), 0);
	assert_int_equal(check(fx, link, TEST_UID, &private, &base), 0); /* a symlink */
	snprintf(other, sizeof(other), "%s/missing", fx->base);
	assert_int_equal(check(fx, other, TEST_UID, &private, &base), 0);
	snprintf(other, sizeof(other), "%s/f", fx->base);
	assert_int_equal(close(open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)), 0);
	assert_int_equal(chown(other, TEST_UID, TEST_UID), 0);
	assert_int_equal(check(fx, other, TEST_UID, &private, &base), 0); /* not a directory */
	assert_int_equal(check(fx, "w", TEST_UID, &private, &base), 0);	  /* relative */
	assert_int_equal(check(fx, "/", TEST_UID, &private, &base), 0);
	snprintf(other, sizeof(other), "%s/..", fx->base);
	assert_int_equal(check(fx, other, 0, &private, &base), 0);
	assert_null(base);
}

/* A parent someone else may change: its entries could be swapped between the check and the
 * files' open. */
static void test_parent_not_roots(void **state)
{
	struct fixture *fx = *state;
	const char *base;
	bool private;

	assert_int_equal(chmod(fx->base, 0777), 0);
	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 0);
	assert_true(fx->homes.fd < 0);
	assert_int_equal(chmod(fx->base, 0755), 0);
	userfs_homes_close(&fx->homes); /* the same parent is not checked again while open */
	assert_int_equal(chown(fx->base, TEST_UID, 0), 0);
	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 0);
	assert_int_equal(chown(fx->base, 0, 0), 0);
	userfs_homes_close(&fx->homes);
	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 1);
}

/* A home that is a mount point: the files' walk from the parent would refuse to enter it. */
static void test_mount_root(void **state)
{
	struct fixture *fx = *state;
	char opts[64];
	const char *base;
	bool private;

	snprintf(opts, sizeof(opts), "uid=%u,gid=%u,mode=0700", TEST_UID, TEST_UID);
	assert_int_equal(mount("tailpod-test", fx->home, "tmpfs", 0, opts), 0);
	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 0);
	assert_int_equal(umount2(fx->home, 0), 0);
	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 1);
}

/* The parent is opened once for all the homes in it, again for a home elsewhere. */
static void test_parent_kept(void **state)
{
	struct fixture *fx = *state;
	char second[96];
	const char *base;
	bool private;
	int fd;

	snprintf(second, sizeof(second), "%s/v", fx->base);
	assert_int_equal(mkdir(second, 0700), 0);
	assert_int_equal(chown(second, TEST_UID + 1, TEST_UID + 1), 0);
	assert_int_equal(check(fx, fx->home, TEST_UID, &private, &base), 1);
	fd = fx->homes.fd;
	assert_int_equal(check(fx, second, TEST_UID + 1, &private, &base), 1);
	assert_string_equal(base, "v");
	assert_int_equal(fx->homes.fd, fd);
	snprintf(second, sizeof(second), "%s/sub", fx->base);
	assert_int_equal(mkdir(second, 0755), 0);
	snprintf(second, sizeof(second), "%s/sub/x", fx->base);
	assert_int_equal(mkdir(second, 0700), 0);
	assert_int_equal(chown(second, TEST_UID, TEST_UID), 0);
	assert_int_equal(check(fx, second, TEST_UID, &private, &base), 1);
	assert_string_equal(base, "x");
	assert_memory_equal(fx->homes.dir, second, strlen(second) - 2);
	assert_int_equal(strlen(fx->homes.dir), strlen(second) - 2);
}

/* The check that never opens: what check_at answers while the parent is open, 0 for a home in
 * another parent or when none is open, the open parent untouched either way (threads share it). */
static void test_check_in(void **state)
{
	struct fixture *fx = *state;
	struct userfs_homes none;
	char other[96];
	const char *base = NULL;
	bool private = false;
	int fd;

	userfs_homes_init(&none);
	assert_int_equal(userfs_home_check_in(&none, fx->home, TEST_UID, &private, &base), 0);
	userfs_homes_open_for(&fx->homes, fx->home);
	fd = fx->homes.fd;
	assert_true(fd >= 0);
	assert_int_equal(userfs_home_check_in(&fx->homes, fx->home, TEST_UID, &private, &base), 1);
	assert_true(private);
	assert_string_equal(base, "w");
	assert_int_equal(userfs_home_check_in(&fx->homes, fx->home, TEST_UID + 1, &private, &base),
			 0);
	snprintf(other, sizeof(other), "%s/sub", fx->base);
	assert_int_equal(mkdir(other, 0755), 0);
	snprintf(other, sizeof(other), "%s/sub/x", fx->base);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(chown(other, TEST_UID, TEST_UID), 0);
	assert_int_equal(userfs_home_check_in(&fx->homes, other, TEST_UID, &private, &base), 0);
	assert_int_equal(fx->homes.fd, fd);
	assert_string_equal(fx->homes.dir, fx->base);
	/* A parent only a prefix of the open one's name is another parent. */
	snprintf(other, sizeof(other), "%sx/w", fx->base);
	assert_int_equal(userfs_home_check_in(&fx->homes, other, TEST_UID, &private, &base), 0);
	assert_int_equal(userfs_home_check_in(&fx->homes, "w", TEST_UID, &private, &base), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_left_to_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_not_roots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_in, setup, teardown),
	};

	/* First, before any directory is opened: an fd of the host's namespace would not see the
	 * mount test's tmpfs. */
	if (scratch_private_mounts() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
