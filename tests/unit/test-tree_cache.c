/* test-tree_cache.c: unit tests of core/tree_cache — the files of a commit kept and taken back, and
 * every way a kept file is refused: a byte changed, cut short, another format's or rules' header,
 * counts that do not match, a path the set refuses, a symlink, too big to keep. */

#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "fileset.h"
#include "fs.h"
#include "hash.h"
#include "scratch.h"
#include "tree_cache.h"

static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
static char tmpl[] = "/tmp/test-tree_cache.XXXXXX";
static char dir[sizeof(tmpl)];
static int dirfd_ = -1;

static int setup(void **state)
{
	(void)state;
	memcpy(dir, tmpl, sizeof(tmpl));
	if (!mkdtemp(dir))
		return -1;
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dirfd_ < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	close(dirfd_);
	return scratch_remove(dir);
}

/* A sorted set of a few files: at the root, in a directory, one empty, one with a NUL. */
static struct fileset *sample(void)
{
	struct fileset *set = NULL;

	assert_int_equal(fileset_new(&set), 0);
	assert_int_equal(fileset_add(set, "web.container", "[Container]\nImage=a\n", 20), 0);
	assert_int_equal(fileset_add(set, "apps/db.pod", "[Pod]\n", 6), 0);
	assert_int_equal(fileset_add(set, "empty.volume", "", 0), 0);
	assert_int_equal(fileset_add(set, "apps/data.bin", "a\0b\n7", 5), 0);
	assert_int_equal(fileset_sort(set), 0);
	return set;
}

static void assert_same_files(const struct fileset *a, const struct fileset *b)
{
	assert_int_equal(a->n_files, b->n_files);
	for (size_t i = 0; i < a->n_files; i++) {
		assert_string_equal(a->files[i].path, b->files[i].path);
		assert_int_equal(a->files[i].size, b->files[i].size);
		assert_memory_equal(a->files[i].data, b->files[i].data, a->files[i].size);
		assert_int_equal(b->files[i].data[b->files[i].size], '\0');
	}
	assert_true(b->sorted);
}

/* The kept file's bytes, and its length. */
static char *kept(size_t *len)
{
	char *buf = NULL;

	assert_int_equal(fs_read_bounded(dirfd_, TREE_CACHE_FILE, TREE_CACHE_MAX, &buf, len), 0);
	return buf;
}

static void put_kept(const char *buf, size_t len)
{
	assert_int_equal(fs_write_atomic(dirfd_, TREE_CACHE_FILE, buf, len, 0600), 0);
}

/* The header's sha256 line made right for the body as it is now (a writer that means it). */
static void reseal(char *buf, size_t len)
{
	char *line = strstr(buf, "sha256 "), *body = strchr(line, '\n') + 1,
	     hex[HASH_SHA256_HEX_SIZE];
	struct hash_sha256 h;

	hash_sha256_init(&h);
	hash_sha256_update(&h, body, len - (size_t)(body - buf));
	hash_sha256_final_hex(&h, hex);
	memcpy(line + 7, hex, 64);
}

static int load(char got[GITREPO_OID_HEX_SIZE], struct fileset **set)
{
	*set = NULL;
	return tree_cache_load(dirfd_, got, set);
}

static void test_round_trip(void **state)
{
	struct fileset *set = sample(), *back = NULL;
	char got[GITREPO_OID_HEX_SIZE] = "";
	struct stat st;

	(void)state;
	assert_int_equal(load(got, &back), -ENOENT);
	assert_int_equal(tree_cache_save(dirfd_, commit, set), 0);
	assert_int_equal(fstatat(dirfd_, TREE_CACHE_FILE, &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(load(got, &back), 0);
	assert_string_equal(got, commit);
	assert_same_files(set, back);
	fileset_free(back);

	/* An empty tree is kept too. */
	fileset_free(set);
	assert_int_equal(fileset_new(&set), 0);
	assert_int_equal(tree_cache_save(dirfd_, commit, set), 0);
	assert_int_equal(load(got, &back), 0);
	assert_int_equal(back->n_files, 0);
	fileset_free(back);
	fileset_free(set);
}

static void test_refused_to_save(void **state)
{
	struct fileset *set = sample(), *back = NULL;
	char got[GITREPO_OID_HEX_SIZE];

	(void)state;
	assert_int_equal(tree_cache_save(dirfd_, "0123", set), -EINVAL);
	assert_int_equal(tree_cache_save(dirfd_, "0123456789ABCDEF0123456789abcdef01234567", set),
			 -EINVAL);
	assert_int_equal(fileset_add(set, "late.container", "x", 1), 0); /* unsorted now */
	assert_int_equal(tree_cache_save(dirfd_, commit, set), -EINVAL);
	assert_int_equal(load(got, &back), -ENOENT);
	fileset_free(set);
}

/* Each change of a good file, made by edit(buf, &len), is refused with -EBADMSG. */
static void assert_refused(void (*edit)(char *buf, size_t *len))
{
	struct fileset *set = sample(), *back = NULL;
	char got[GITREPO_OID_HEX_SIZE];
	size_t len;
	char *buf;

	assert_int_equal(tree_cache_save(dirfd_, commit, set), 0);
	buf = kept(&len);
	edit(buf, &len);
	put_kept(buf, len);
	assert_int_equal(load(got, &back), -EBADMSG);
	assert_null(back);
	free(buf);
	fileset_free(set);
}

static void flip_last_byte(char *buf, size_t *len)
{
	buf[*len - 1] ^= 1;
}

static void cut_short(char *buf, size_t *len)
{
	(void)buf;
	*len -= 3;
}

static void other_rules(char *buf, size_t *len)
{
	(void)len;
	memcpy(strstr(buf, "rules 1 "), "rules 7 ", 8);
}

static void other_format(char *buf, size_t *len)
{
	(void)len;
	memcpy(strstr(buf, "cache 1 "), "cache 2 ", 8);
}

static void other_limits(char *buf, size_t *len)
{
	(void)len;
	memcpy(strstr(buf, "limits 65536 "), "limits 65537 ", 13);
}

static void uppercase_commit(char *buf, size_t *len)
{
	(void)len;
	strstr(buf, "commit ")[7 + 10] = 'A';
}

/* A file fewer than the header says, the checksum made right: the count is wrong. */
static void one_file_more_counted(char *buf, size_t *len)
{
	memcpy(strstr(buf, "files 4\n"), "files 5\n", 8);
	reseal(buf, *len);
}

/* The body with trailing bytes, the checksum made right: "bytes" no longer matches. */
static void trailing_bytes(char *buf, size_t *len)
{
	buf[(*len)++] = 'x';
	reseal(buf, *len);
}

/* A path the set refuses ("../web.container"), its length kept, checksum made right. */
static void escaping_path(char *buf, size_t *len)
{
	char *p = memmem(buf, *len, "web.container", 14);

	memcpy(p, "../.container", 13);
	reseal(buf, *len);
}

/* A file's size past the body's end, checksum made right. */
static void size_past_end(char *buf, size_t *len)
{
	char *p = memmem(buf, *len,
			 "web.container\0"
			 "20\n",
			 17);

	memcpy(p + 14, "99", 2);
	reseal(buf, *len);
}

static void test_refused(void **state)
{
	(void)state;
	assert_refused(flip_last_byte);
	assert_refused(cut_short);
	assert_refused(other_rules);
	assert_refused(other_format);
	assert_refused(other_limits);
	assert_refused(uppercase_commit);
	assert_refused(one_file_more_counted);
	assert_refused(trailing_bytes);
	assert_refused(escaping_path);
	assert_refused(size_past_end);
}

/* Each check is what refused it: the same edits with nothing else wrong load (a test of the
 * editor, so the refusals above are the checks'). */
static void test_resealed_loads(void **state)
{
	struct fileset *set = sample(), *back = NULL;
	char got[GITREPO_OID_HEX_SIZE];
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(tree_cache_save(dirfd_, commit, set), 0);
	buf = kept(&len);
	memcpy(memmem(buf, len, "Image=a", 7), "Image=b", 7);
	reseal(buf, len);
	put_kept(buf, len);
	assert_int_equal(load(got, &back), 0);
	assert_string_equal(back->files[1].path, "web.container"); /* the root's, then apps/ */
	assert_non_null(memmem(back->files[1].data, 20, "Image=b", 7));
	free(buf);
	fileset_free(back);
	fileset_free(set);
}

static void test_symlink_not_followed(void **state)
{
	struct fileset *set = sample(), *back = NULL;
	char got[GITREPO_OID_HEX_SIZE];

	(void)state;
	assert_int_equal(tree_cache_save(dirfd_, commit, set), 0);
	assert_int_equal(renameat(dirfd_, TREE_CACHE_FILE, dirfd_, "real"), 0);
	assert_int_equal(symlinkat("real", dirfd_, TREE_CACHE_FILE), 0);
	assert_int_equal(load(got, &back), -ELOOP);
	fileset_free(set);
}

/* Past TREE_CACHE_MAX nothing is written, and what was kept stays. */
static void test_too_big(void **state)
{
	struct fileset *set = sample(), *big = NULL, *back = NULL;
	char got[GITREPO_OID_HEX_SIZE], name[32], *mib = calloc(1, FILESET_FILE_MAX);

	(void)state;
	assert_non_null(mib);
	assert_int_equal(tree_cache_save(dirfd_, commit, set), 0);
	assert_int_equal(fileset_new(&big), 0);
	for (int i = 0; i < TREE_CACHE_MAX / FILESET_FILE_MAX; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		assert_int_equal(fileset_add(big, name, mib, FILESET_FILE_MAX), 0);
	}
	assert_int_equal(fileset_sort(big), 0);
	assert_int_equal(tree_cache_save(dirfd_, "fedcba9876543210fedcba9876543210fedcba98", big),
			 -EFBIG);
	assert_int_equal(load(got, &back), 0);
	assert_string_equal(got, commit);
	assert_same_files(set, back);
	free(mib);
	fileset_free(back);
	fileset_free(big);
	fileset_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_to_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resealed_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
