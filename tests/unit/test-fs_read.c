/* test-fs_read.c: unit tests for core/fs_read.c, the trusted-file reader: its errno contract (fs.h)
 * for a symlink, a FIFO, a directory, a group-writable or group-readable file, a foreign owner
 * (chown in a scratch directory: the tests run as root), too big and exactly max, bad arguments;
 * and FS_READ_SECURE: every block it frees, growing or failing or in fs_free_wiped(), is wiped
 * first. free is wrapped at link time (-Wl,--wrap=free, Makefile) to look at each block before it
 * goes. And fs_read_small(), the same contract in one read for small files. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "scratch.h"

enum { TEST_FOREIGN_UID = 65534 };

/* The free wrapper: while watching, count the blocks freed and those still holding text (the
 * secrets here are text; a block's never-written slack holds ASan's 0xbe fill, not text).
 * volatile: the compiler knows free() reads no globals and would drop the stores around it. */
static volatile bool watching;
static volatile unsigned freed, freed_dirty;

void __real_free(void *p);
void __wrap_free(void *p);

void __wrap_free(void *p)
{
	if (watching && p) {
		const unsigned char *b = p;
		size_t n = malloc_usable_size(p);

		freed++;
		for (size_t i = 0; i < n; i++)
			if ((b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n') {
				freed_dirty++;
				break;
			}
	}
	__real_free(p);
}

struct fixture {
	char dir[64];
	int dirfd;
};

static struct fixture fx;

static int setup(void **state)
{
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test-fs_read.XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	fx.dirfd = open(fx.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = &fx;
	return fx.dirfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	close(fx.dirfd);
	return scratch_remove(fx.dir);
}

/* A file of content, with mode and owner uid. */
static void put(const char *name, const char *content, mode_t mode, uid_t uid)
{
	int fd = openat(fx.dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t len = strlen(content);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(fchown(fd, uid, (gid_t)-1), 0);
	close(fd);
}

static int read_with(const struct fs_trust *t, const char *name, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	int r = fs_read_trusted(fx.dirfd, name, t, max, 0, &buf, &len);

	assert_true(r == 0 ? buf != NULL && strlen(buf) == len : buf == NULL);
	free(buf);
	return r;
}

static const struct fs_trust root_steers = {.owner = 0, .deny_mode = FS_DENY_SHARED_WRITE};
static const struct fs_trust root_secret = {.owner = 0, .deny_mode = FS_DENY_SHARED};

static void test_type_and_symlink(void **state)
{
	(void)state;
	put("f", "hello", 0644, 0);
	assert_int_equal(symlinkat("f", fx.dirfd, "link"), 0);
	assert_int_equal(mkfifoat(fx.dirfd, "fifo", 0600), 0);
	assert_int_equal(mkdirat(fx.dirfd, "d", 0700), 0);

	assert_int_equal(read_with(&root_steers, "f", 100), 0);
	/* A symlink to a file that would pass is still refused: the link is never followed. */
	assert_int_equal(read_with(&root_steers, "link", 100), -ELOOP);
	/* Returns at once (O_NONBLOCK) although no writer ever opens the FIFO. */
	assert_int_equal(read_with(&root_steers, "fifo", 100), -EBADFD);
	assert_int_equal(read_with(&root_steers, "d", 100), -EISDIR);
	assert_int_equal(read_with(NULL, "fifo", 100), -EBADFD);
	assert_int_equal(read_with(NULL, "d", 100), -EISDIR);
	assert_int_equal(read_with(&root_steers, "none", 100), -ENOENT);
}

static void test_size_bound(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	put("f", "12345", 0600, 0);
	put("empty", "", 0600, 0);
	assert_int_equal(fs_read_trusted(fx.dirfd, "f", &root_secret, 5, 0, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "12345");
	free(buf);
	buf = NULL;
	assert_int_equal(read_with(&root_secret, "f", 4), -EFBIG);
	assert_int_equal(fs_read_trusted(fx.dirfd, "empty", &root_secret, 0, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
}

static void test_mode(void **state)
{
	(void)state;
	put("gw", "x", 0664, 0);
	put("ow", "x", 0646, 0);
	put("gr", "x", 0640, 0);
	put("private", "x", 0600, 0);
	assert_int_equal(read_with(&root_steers, "gw", 10), -EACCES);
	assert_int_equal(read_with(&root_steers, "ow", 10), -EACCES);
	assert_int_equal(read_with(&root_steers, "gr", 10), 0);
	assert_int_equal(read_with(&root_secret, "gr", 10), -EACCES);
	assert_int_equal(read_with(&root_secret, "private", 10), 0);
	/* Without trust rules only the type counts. */
	assert_int_equal(read_with(NULL, "gw", 10), 0);
}

static void test_owner(void **state)
{
	const struct fs_trust nobody = {.owner = TEST_FOREIGN_UID, .deny_mode = 022};
	const struct fs_trust nobody_or_root = {
		.owner = TEST_FOREIGN_UID, .or_root = true, .deny_mode = 022};
	struct stat st = {0};
	int fd = -1;

	(void)state;
	put("foreign", "x", 0644, TEST_FOREIGN_UID);
	put("root", "x", 0644, 0);
	assert_int_equal(read_with(&root_steers, "foreign", 10), -EPERM);
	assert_int_equal(read_with(&nobody, "foreign", 10), 0);
	assert_int_equal(read_with(&nobody, "root", 10), -EPERM);
	assert_int_equal(read_with(&nobody_or_root, "root", 10), 0);
	assert_int_equal(read_with(&nobody_or_root, "foreign", 10), 0);

	/* The refused file's stat comes back for the caller's message; no fd does. */
	assert_int_equal(fs_open_trusted(fx.dirfd, "foreign", &root_steers, &fd, &st), -EPERM);
	assert_int_equal(fd, -1);
	assert_int_equal(st.st_uid, TEST_FOREIGN_UID);
	assert_true(S_ISREG(st.st_mode));
}

static void test_bad_arguments(void **state)
{
	char *buf = NULL;
	int fd = -1;

	(void)state;
	put("f", "x", 0600, 0);
	assert_int_equal(fs_open_trusted(fx.dirfd, NULL, NULL, &fd, NULL), -EINVAL);
	assert_int_equal(fs_open_trusted(fx.dirfd, "", NULL, &fd, NULL), -EINVAL);
	assert_int_equal(read_with(NULL, "f", (size_t)FS_READ_MAX + 1), -EINVAL);
	assert_int_equal(fs_open_trusted(fx.dirfd, "f", NULL, &fd, NULL), 0);
	assert_int_equal(fs_read_fd_full(fd, 10, 1u << 7, &buf, NULL), -EINVAL);
	assert_int_equal(fs_read_fd_full(fd, 10, 0, NULL, NULL), -EINVAL);
	assert_null(buf);
	close(fd);
}

/* /proc/self/comm says size 0: the buffer starts at one byte and grows, so FS_READ_SECURE copies
 * the secret from block to block; each block must be wiped before it is freed. */
static void test_secure_wipes(void **state)
{
	static const char name[] = "s3cr3t-w1pe-me";
	char *buf = NULL;
	size_t len = 0;
	int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(prctl(PR_SET_NAME, name, 0, 0, 0), 0);
	freed = freed_dirty = 0;
	watching = true;
	assert_int_equal(fs_read_fd_full(fd, 64, FS_READ_SECURE, &buf, &len), 0);
	assert_true(freed >= 3); /* 1 -> 2 -> 4 -> 8 -> 16 bytes */
	assert_int_equal(freed_dirty, 0);
	watching = false;
	assert_int_equal(len, strlen(name) + 1);
	assert_memory_equal(buf, name, strlen(name));

	/* fs_free_wiped() wipes the content and its NUL. */
	freed = freed_dirty = 0;
	watching = true;
	fs_free_wiped(buf, len);
	fs_free_wiped(NULL, 0);
	watching = false;
	assert_int_equal(freed, 1);
	assert_int_equal(freed_dirty, 0);

	/* A failure after part of the secret was read (too big) wipes what it drops. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	freed = freed_dirty = 0;
	watching = true;
	buf = NULL;
	assert_int_equal(fs_read_fd_full(fd, 6, FS_READ_SECURE, &buf, &len), -EFBIG);
	watching = false;
	assert_null(buf);
	assert_true(freed >= 1);
	assert_int_equal(freed_dirty, 0);
	close(fd);
}

/* The same read without FS_READ_SECURE grows with realloc: the check above would see nothing, so
 * here the wrapper must see the one block freed by free() dirty, proving the check can fail. */
static void test_wrapper_sees_dirty_blocks(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	put("f", "not wiped", 0600, 0);
	assert_int_equal(fs_read_trusted(fx.dirfd, "f", &root_secret, 64, 0, &buf, &len), 0);
	freed = freed_dirty = 0;
	watching = true;
	free(buf);
	watching = false;
	assert_int_equal(freed, 1);
	assert_int_equal(freed_dirty, 1);
}

static int read_small(const char *name, size_t max, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	int r = fs_read_small(fx.dirfd, name, max, &buf, &len);

	assert_true(r == 0 ? buf != NULL && strlen(buf) == len : buf == NULL);
	free(buf);
	if (ret_len)
		*ret_len = len;
	return r;
}

/* A file of n bytes of 'x'. */
static void put_n(const char *name, size_t n)
{
	char *content = malloc(n + 1);

	assert_non_null(content);
	memset(content, 'x', n);
	content[n] = '\0';
	put(name, content, 0600, 0);
	free(content);
}

/* fs_read_small: fs_read_bounded's errno contract; the short read, the empty file, one that fills
 * the first read and one larger are all read whole, from the start. */
static void test_small(void **state)
{
	size_t len = 0;

	(void)state;
	put("f", "hello", 0600, 0);
	put("empty", "", 0600, 0);
	put_n("full", FS_READ_SMALL);
	put_n("large", 3 * FS_READ_SMALL + 7);
	assert_int_equal(symlinkat("f", fx.dirfd, "link"), 0);
	assert_int_equal(mkfifoat(fx.dirfd, "fifo", 0600), 0);
	assert_int_equal(mkdirat(fx.dirfd, "d", 0700), 0);

	assert_int_equal(read_small("f", 100, &len), 0);
	assert_int_equal(len, 5);
	assert_int_equal(read_small("f", 5, &len), 0);
	assert_int_equal(read_small("f", 4, NULL), -EFBIG);
	assert_int_equal(read_small("empty", 100, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(read_small("full", FS_READ_SMALL, &len), 0);
	assert_int_equal(len, FS_READ_SMALL);
	assert_int_equal(read_small("full", FS_READ_SMALL - 1, NULL), -EFBIG);
	assert_int_equal(read_small("large", 4 * FS_READ_SMALL, &len), 0);
	assert_int_equal(len, 3 * FS_READ_SMALL + 7);
	assert_int_equal(read_small("link", 100, NULL), -ELOOP);
	assert_int_equal(read_small("fifo", 100, NULL), -EBADFD);
	assert_int_equal(read_small("d", 100, NULL), -EISDIR);
	assert_int_equal(read_small("none", 100, NULL), -ENOENT);
	assert_int_equal(fs_read_small(fx.dirfd, "", 100, &(char *){NULL}, NULL), -EINVAL);
}

/* fs_read_small_in: a file shorter than the caller's buffer is read into it, nothing allocated;
 * one that fills it or is larger comes malloc'd, whole; the errors are fs_read_small's. */
static void test_small_in(void **state)
{
	char buf[16];
	char *heap = NULL;
	const char *data = NULL;
	size_t len = 0;

	(void)state;
	put("f", "hello", 0600, 0);
	put_n("large", 100);
	assert_int_equal(fs_read_small_in(fx.dirfd, "f", buf, sizeof(buf), 100, &heap, &data, &len),
			 0);
	assert_null(heap);
	assert_ptr_equal(data, buf);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 5);
	assert_int_equal(
		fs_read_small_in(fx.dirfd, "large", buf, sizeof(buf), 100, &heap, &data, &len), 0);
	assert_non_null(heap);
	assert_ptr_equal(data, heap);
	assert_int_equal(len, 100);
	assert_int_equal(strlen(heap), 100);
	free(heap);
	heap = NULL;
	assert_int_equal(
		fs_read_small_in(fx.dirfd, "large", buf, sizeof(buf), 99, &heap, &data, &len),
		-EFBIG);
	assert_null(heap);
	assert_int_equal(
		fs_read_small_in(fx.dirfd, "none", buf, sizeof(buf), 99, &heap, &data, &len),
		-ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_type_and_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secure_wipes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrapper_sees_dirty_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_in, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
