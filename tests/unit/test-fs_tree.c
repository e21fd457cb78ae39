/* test-fs_tree.c: fs_remove_tree removes whole trees and never follows a symlink out of them;
 * fs_tree_bytes counts a tree's bytes the same way. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char root[] = "/tmp/test-fs_tree.XXXXXX";
static int rootfd = -1;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_file(const char *path)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static bool exists(const char *path)
{
	struct stat st;

	return fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_removes_nested_tree(void **state)
{
	(void)state;
	assert_int_equal(mkdirat(rootfd, "t", 0755), 0);
	assert_int_equal(mkdirat(rootfd, "t/a", 0755), 0);
	assert_int_equal(mkdirat(rootfd, "t/a/b", 0700), 0);
	make_file("t/f");
	make_file("t/a/g");
	make_file("t/a/b/h");
	assert_int_equal(fs_remove_tree(rootfd, "t"), 0);
	assert_false(exists("t"));
}

/* A link to a directory outside the tree is removed as a link; its target is untouched. */
static void test_symlink_not_followed(void **state)
{
	(void)state;
	assert_int_equal(mkdirat(rootfd, "outside", 0755), 0);
	make_file("outside/keep");
	assert_int_equal(mkdirat(rootfd, "t2", 0755), 0);
	assert_int_equal(symlinkat("../outside", rootfd, "t2/escape"), 0);
	assert_int_equal(symlinkat("/", rootfd, "t2/root"), 0);
	assert_int_equal(fs_remove_tree(rootfd, "t2"), 0);
	assert_false(exists("t2"));
	assert_true(exists("outside/keep"));
}

/* The name itself being a symlink: the link goes, the target stays. */
static void test_top_symlink_unlinked(void **state)
{
	(void)state;
	assert_int_equal(mkdirat(rootfd, "target", 0755), 0);
	make_file("target/keep");
	assert_int_equal(symlinkat("target", rootfd, "link"), 0);
	assert_int_equal(fs_remove_tree(rootfd, "link"), 0);
	assert_false(exists("link"));
	assert_true(exists("target/keep"));
}

static void test_missing_and_invalid_names(void **state)
{
	(void)state;
	assert_int_equal(fs_remove_tree(rootfd, "does-not-exist"), 0);
	assert_int_equal(fs_remove_tree(rootfd, "a/b"), -EINVAL);
	assert_int_equal(fs_remove_tree(rootfd, ".."), -EINVAL);
	assert_int_equal(fs_remove_tree(rootfd, "."), -EINVAL);
	assert_int_equal(fs_remove_tree(rootfd, ""), -EINVAL);
}

static void test_depth_bound(void **state)
{
	char path[4 * (FS_DEPTH_MAX + 8)];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < FS_DEPTH_MAX + 4; i++) {
		n += (size_t)snprintf(path + n, sizeof(path) - n, "%sd", i ? "/" : "");
		assert_int_equal(mkdirat(rootfd, path, 0755), 0);
	}
	assert_int_equal(fs_remove_tree(rootfd, "d"), -ELOOP);
	assert_true(exists("d"));
}

static void write_bytes(const char *path, size_t n)
{
	static const char zeros[4096];
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	assert_true(fd >= 0 && n <= sizeof(zeros));
	assert_int_equal(write(fd, zeros, n), (ssize_t)n);
	close(fd);
}

/* Regular files at every level count; a symlink counts nothing and is not followed. */
static void test_bytes_of_tree(void **state)
{
	unsigned long long bytes = 0;
	int fd;

	(void)state;
	assert_int_equal(mkdirat(rootfd, "sz", 0755), 0);
	assert_int_equal(mkdirat(rootfd, "sz/a", 0755), 0);
	assert_int_equal(mkdirat(rootfd, "sz/a/b", 0700), 0);
	assert_int_equal(mkdirat(rootfd, "big", 0755), 0);
	write_bytes("big/outside", 4000);
	write_bytes("sz/f", 100);
	write_bytes("sz/a/g", 20);
	write_bytes("sz/a/b/h", 3);
	assert_int_equal(symlinkat("../big", rootfd, "sz/a/escape"), 0);
	assert_int_equal(fs_tree_bytes(rootfd, "sz", &bytes), 0);
	assert_int_equal(bytes, 123);
	fd = openat(rootfd, "sz/a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fs_tree_bytes(fd, ".", &bytes), 0);
	assert_int_equal(bytes, 23);
	close(fd);
}

static void test_bytes_refusals(void **state)
{
	unsigned long long bytes = 7;
	char path[4 * (FS_DEPTH_MAX + 8)];
	size_t n = 0;

	(void)state;
	assert_int_equal(symlinkat("big", rootfd, "biglink"), 0);
	assert_int_equal(fs_tree_bytes(rootfd, "biglink", &bytes), -ENOTDIR);
	assert_int_equal(fs_tree_bytes(rootfd, "nothing-here", &bytes), -ENOENT);
	assert_int_equal(fs_tree_bytes(rootfd, "a/b", &bytes), -EINVAL);
	assert_int_equal(fs_tree_bytes(rootfd, "..", &bytes), -EINVAL);
	for (int i = 0; i < FS_DEPTH_MAX + 4; i++) {
		n += (size_t)snprintf(path + n, sizeof(path) - n, "%sdb", i ? "/" : "");
		assert_int_equal(mkdirat(rootfd, path, 0755), 0);
	}
	assert_int_equal(fs_tree_bytes(rootfd, "db", &bytes), -ELOOP);
	assert_int_equal(bytes, 7); /* set only on success */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_removes_nested_tree),
		cmocka_unit_test(test_symlink_not_followed),
		cmocka_unit_test(test_top_symlink_unlinked),
		cmocka_unit_test(test_missing_and_invalid_names),
		cmocka_unit_test(test_depth_bound),
		cmocka_unit_test(test_bytes_of_tree),
		cmocka_unit_test(test_bytes_refusals),
	};

	return cmocka_run_group_tests_name("fs_tree", tests, setup, teardown);
}
