/* test-repo.c: unit tests of core/repo (paths, bounds, sort order, lookups, the directory loader
 * and its refusal to follow symlinks or block on special files) and of core/diag (labels, sort,
 * deduplication, the count bound). */

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
#include "diag.h"
#include "fs.h"
#include "fileset.h"

static char tmpl[] = "/tmp/test-repo.XXXXXX";
static const char *root;

static void put_file(const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_dir(const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void put_link(const char *target, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpl, "/tmp/test-repo.XXXXXX");
	root = mkdtemp(tmpl);
	return root ? 0 : -1;
}

static int teardown(void **state)
{
	_cleanup_close_ int tmpfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	return fs_remove_tree(tmpfd, root + strlen("/tmp/"));
}

static void test_paths(void **state)
{
	struct fileset *repo = NULL;
	char longname[FILESET_NAME_MAX + 2];

	(void)state;
	assert_int_equal(fileset_new(&repo), 0);
	assert_int_equal(fileset_add(repo, "a.container", "x", 1), 0);
	assert_int_equal(fileset_add(repo, "d/b.container", "", 0), 0);
	assert_int_equal(fileset_add(repo, "", "", 0), -EINVAL);
	assert_int_equal(fileset_add(repo, "/a.container", "", 0), -EINVAL);
	assert_int_equal(fileset_add(repo, "d/e/b.container", "", 0), 0);
	assert_int_equal(fileset_add(repo, "1/2/3/4/5/6/7/8.env", "", 0), 0);
	assert_int_equal(fileset_add(repo, "1/2/3/4/5/6/7/8/9.env", "", 0), -EINVAL);
	assert_int_equal(fileset_add(repo, "d/./b.container", "", 0), -EINVAL);
	assert_int_equal(fileset_add(repo, "d//b.container", "", 0), -EINVAL);
	assert_int_equal(fileset_add(repo, "../b.container", "", 0), -EINVAL);
	assert_int_equal(fileset_add(repo, "./b.container", "", 0), -EINVAL);
	assert_int_equal(fileset_add(repo, "d/", "", 0), -EINVAL);
	assert_int_equal(fileset_add(repo, "d/..", "", 0), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(fileset_add(repo, longname, "", 0), -ENAMETOOLONG);
	longname[FILESET_NAME_MAX] = 0;
	assert_int_equal(fileset_add(repo, longname, "", 0), 0);
	{
		/* Components within FILESET_NAME_MAX, the whole past FILESET_PATH_MAX. */
		char deep[4 * (FILESET_NAME_MAX + 1) + 8];

		snprintf(deep, sizeof(deep), "%s/%s/%s/%s/x", longname, longname, longname,
			 longname);
		assert_int_equal(fileset_add(repo, deep, "", 0), -ENAMETOOLONG);
	}
	assert_int_equal(repo->n_files, 5);
	assert_int_equal(fileset_sort(repo), 0);
	assert_string_equal(fileset_find(repo, "a.container")->data, "x");
	assert_int_equal(fileset_find(repo, "a.container")->size, 1);
	assert_int_equal(fileset_find(repo, "d/b.container")->data[0], 0);
	assert_null(fileset_find(repo, "b.container"));
	/* The same path twice is found when sorting. */
	assert_int_equal(fileset_add(repo, "a.container", "y", 1), 0);
	assert_int_equal(fileset_sort(repo), -EEXIST);
	fileset_free(repo);
}

static void test_wanted(void **state)
{
	(void)state;
	assert_true(fileset_path_wanted("web.container"));
	assert_true(fileset_path_wanted("apps/web.pod"));
	assert_true(fileset_path_wanted("x-y.timer"));
	assert_true(fileset_path_wanted("data.volume"));
	/* Data files and deeper trees are part of the desired state too. */
	assert_true(fileset_path_wanted("README.md"));
	assert_true(fileset_path_wanted("a/b/x.container"));
	assert_true(fileset_path_wanted("1/2/3/4/5/6/7/8.env"));
	assert_false(fileset_path_wanted("1/2/3/4/5/6/7/8/9.env"));
	assert_false(fileset_path_wanted(".container"));
	assert_false(fileset_path_wanted(".hidden.container"));
	assert_false(fileset_path_wanted(".git/x.container"));
	assert_false(fileset_path_wanted("a/.x.container"));
	assert_false(fileset_path_wanted("a/.git/config"));
	/* Unit files: what a problem is reported for. */
	assert_true(fileset_is_unit_name("web.container"));
	assert_true(fileset_is_unit_name("app.kube"));
	assert_true(fileset_is_unit_name("all.target"));
	assert_true(fileset_is_unit_name("x.artifact"));
	assert_false(fileset_is_unit_name(".container"));
	assert_false(fileset_is_unit_name("web.container~"));
	assert_false(fileset_is_unit_name("README.md"));
	assert_false(fileset_is_unit_name("app.env"));
	/* The table is searched by length and last byte first: near misses of each. */
	assert_true(fileset_is_unit_name("x.pod"));
	assert_true(fileset_is_unit_name("a.path"));
	assert_true(fileset_is_unit_name("a.container.pod"));
	assert_false(fileset_is_unit_name("a.bath"));
	assert_false(fileset_is_unit_name("xapath"));
	assert_false(fileset_is_unit_name(".pod"));
	assert_false(fileset_is_unit_name("a.Pod"));
	assert_false(fileset_is_unit_name("a.container.bak"));
	assert_false(fileset_is_unit_name("a.containe"));
	assert_false(fileset_is_unit_name("acontainer"));
}

static void test_bounds(void **state)
{
	struct fileset *repo = NULL;
	char *big = calloc(1, FILESET_FILE_MAX + 1);
	char name[32];

	(void)state;
	assert_non_null(big);
	assert_int_equal(fileset_new(&repo), 0);
	assert_int_equal(fileset_add(repo, "big.container", big, FILESET_FILE_MAX + 1), -EFBIG);
	assert_int_equal(fileset_add(repo, "big.container", big, FILESET_FILE_MAX), 0);
	/* The total bound, without allocating 256 MiB: the counter is public. */
	repo->total = FILESET_TOTAL_MAX - 1;
	assert_int_equal(fileset_add(repo, "two.container", "ab", 2), -E2BIG);
	assert_int_equal(fileset_add(repo, "one.container", "a", 1), 0);
	repo->total = 0;
	while (repo->n_files < FILESET_FILES_MAX) {
		snprintf(name, sizeof(name), "f%zu.container", repo->n_files);
		assert_int_equal(fileset_add(repo, name, "", 0), 0);
	}
	assert_int_equal(fileset_add(repo, "last.container", "", 0), -E2BIG);
	assert_int_equal(fileset_sort(repo), 0);
	assert_non_null(fileset_find(repo, "f100.container"));
	fileset_free(repo);
	free(big);
}

static void test_sort_order(void **state)
{
	static const char *const in[] = {"z.container", "a/b.pod",	 "a.b/c.container",
					 "a.container", "a/a.container", "ab/a.container",
					 "0.container"};
	static const char *const want[] = {"0.container",   "a.container", "z.container",
					   "a/a.container", "a/b.pod",	   "a.b/c.container",
					   "ab/a.container"};
	struct fileset *repo = NULL;

	(void)state;
	assert_int_equal(fileset_new(&repo), 0);
	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		assert_int_equal(fileset_add(repo, in[i], "", 0), 0);
	fileset_sort(repo);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_string_equal(repo->files[i].path, want[i]);
		assert_non_null(fileset_find(repo, want[i]));
	}
	assert_int_equal(fileset_dir_len("a.b/c.container"), 3);
	assert_int_equal(fileset_dir_len("c.container"), 0);
	fileset_free(repo);
}

/* The sort compares the first 8 bytes below the directory as one number: names that tie there,
 * names shorter than 8 bytes, bytes past 0x7f, and a path added twice among names that tie. */
static void test_sort_key_ties(void **state)
{
	static const char *const in[] = {
		"d-1/a",
		"web-app.container",
		"d/x/y/z.env",
		"web-app-b.container",
		"w\xc3\xa9.container",
		"d/x.container",
		"w.pod",
		"w",
		"d/web-app-b.container",
		"web-app-a.container",
		"d/web-app-a.container",
	};
	static const char *const want[] = {
		"w",
		"w.pod",
		"web-app-a.container",
		"web-app-b.container",
		"web-app.container",
		"w\xc3\xa9.container",
		"d/web-app-a.container",
		"d/web-app-b.container",
		"d/x.container",
		"d/x/y/z.env",
		"d-1/a",
	};
	struct fileset *repo = NULL;

	(void)state;
	assert_int_equal(fileset_new(&repo), 0);
	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		assert_int_equal(fileset_add(repo, in[i], "", 0), 0);
	assert_int_equal(fileset_sort(repo), 0);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(repo->files[i].path, want[i]);
	assert_int_equal(fileset_add(repo, "web-app-b.container", "", 0), 0);
	assert_int_equal(fileset_sort(repo), -EEXIST);
	fileset_free(repo);
}

static const char *diag_text(const struct diag_list *d, size_t i)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), "%s:%u: %s", d->items[i].path, d->items[i].line,
		 d->items[i].msg);
	return buf;
}

static void test_load_dir(void **state)
{
	struct diag_list diags = {0};
	struct fileset *repo = NULL;
	char *big = calloc(1, FILESET_FILE_MAX + 2);
	const char *const want[] = {
		"L/bad\x01name.container:1: file name is not UTF-8 or has control characters",
		"L/big.container:1: file larger than 1048576 bytes (FILESET_FILE_MAX)",
		"L/d/link.timer:1: symlink not followed",
		"L/dirlink:1: symlink not followed",
		"L/fifo.container:1: not a regular file",
		"L/link.container:1: symlink not followed",
	};

	(void)state;
	put_file("a.container", "[Container]\nImage=x\n");
	put_file("README.md", "hello");
	put_file(".hidden.container", "");
	put_dir(".git");
	put_file(".git/x.container", "");
	put_dir("d");
	put_file("d/b.pod", "[Pod]\n");
	put_dir("d/deep");
	put_file("d/deep/c.container", "");
	put_link("../a.container", "link.container");
	put_link("/etc", "dirlink");
	put_link("/etc/passwd", "README2.md");
	put_link("../a.container", "d/link.timer");
	/* Data files that cannot be kept are left out without a word. */
	put_link("/etc/passwd", "d/app.env");
	put_dir("d/deep/2");
	put_dir("d/deep/2/3");
	put_dir("d/deep/2/3/4");
	put_dir("d/deep/2/3/4/5");
	put_dir("d/deep/2/3/4/5/6");
	put_dir("d/deep/2/3/4/5/6/7");
	put_file("d/deep/2/3/4/5/6/7.conf", "kept"); /* 8 components */
	put_file("d/deep/2/3/4/5/6/7/8.conf", "too deep");
	put_file("bad\x01name.container", "");
	memset(big, 'a', FILESET_FILE_MAX + 1);
	put_file("big.container", big);
	put_file("d/big.bin", big);
	free(big);
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/fifo.container", root);
		assert_int_equal(mkfifo(path, 0600), 0);
	}
	assert_int_equal(fileset_load_dir(root, "L", 0, &repo, &diags), 0);
	assert_int_equal(repo->n_files, 5);
	assert_string_equal(repo->files[0].path, "README.md");
	assert_string_equal(repo->files[1].path, "a.container");
	assert_string_equal(repo->files[1].data, "[Container]\nImage=x\n");
	assert_string_equal(repo->files[2].path, "d/b.pod");
	assert_string_equal(repo->files[3].path, "d/deep/2/3/4/5/6/7.conf");
	assert_string_equal(repo->files[4].path, "d/deep/c.container");
	diag_list_sort(&diags);
	assert_int_equal(diags.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(diag_text(&diags, i), want[i]);
	fileset_free(repo);
	diag_list_release(&diags);

	/* Flat and everything: the transform directory's way. */
	assert_int_equal(
		fileset_load_dir(root, "", FILESET_LOAD_FLAT | FILESET_LOAD_ALL, &repo, &diags), 0);
	assert_int_equal(repo->n_files, 2);
	assert_string_equal(repo->files[0].path, "README.md");
	assert_string_equal(repo->files[1].path, "a.container");
	fileset_free(repo);
	diag_list_release(&diags);

	assert_int_equal(fileset_load_dir("/nonexistent/x", "", 0, &repo, &diags), -ENOENT);
	assert_int_equal(diags.n, 0);
}

/* A file of n bytes, byte i = (i * 7 + seed) % 251 (NULs included), written at rel. */
static void put_bytes(const char *rel, size_t n, unsigned seed, char *buf)
{
	char path[4096];
	FILE *f;

	for (size_t i = 0; i < n; i++)
		buf[i] = (char)((i * 7 + seed) % 251);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Every size around the loader's one-read buffer (64 KiB) and the bound, byte for byte: the short
 * read, the full one that goes the fstat way, exactly FILESET_FILE_MAX loaded, one byte more
 * refused; an empty file kept. */
static void test_load_sizes(void **state)
{
	static const size_t sizes[] = {0,
				       1,
				       4095,
				       4096,
				       65535,
				       65536,
				       65537,
				       256 * 1024,
				       FILESET_FILE_MAX - 1,
				       FILESET_FILE_MAX};
	struct diag_list diags = {0};
	struct fileset *repo = NULL;
	char *buf = malloc(FILESET_FILE_MAX + 1), *want = malloc(FILESET_FILE_MAX + 1);
	char name[64];

	(void)state;
	assert_non_null(buf);
	assert_non_null(want);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(name, sizeof(name), "s%02zu.container", i);
		put_bytes(name, sizes[i], (unsigned)i, buf);
	}
	put_bytes("over.container", FILESET_FILE_MAX + 1, 0, buf);
	put_bytes("over.env", FILESET_FILE_MAX + 1, 0, buf);
	assert_int_equal(fileset_load_dir(root, "L", 0, &repo, &diags), 0);
	assert_int_equal(repo->n_files, ARRAY_SIZE(sizes));
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		const struct fileset_file *f;

		snprintf(name, sizeof(name), "s%02zu.container", i);
		f = fileset_find(repo, name);
		assert_non_null(f);
		assert_int_equal(f->size, sizes[i]);
		for (size_t j = 0; j < sizes[i]; j++)
			want[j] = (char)((j * 7 + i) % 251);
		if (sizes[i] > 0)
			assert_memory_equal(f->data, want, sizes[i]);
		assert_int_equal(f->data[f->size], '\0');
	}
	assert_int_equal(diags.n, 1);
	assert_string_equal(
		diag_text(&diags, 0),
		"L/over.container:1: file larger than 1048576 bytes (FILESET_FILE_MAX)");
	fileset_free(repo);
	diag_list_release(&diags);
	free(buf);
	free(want);
}

/* A directory whose entries take several getdents64 buffers (32 KiB): 400 names of 200 bytes
 * (over 80 KiB of records) all read, each with its own bytes. */
static void test_load_long_listing(void **state)
{
	enum { N_LONG = 400, LONG_LEN = 200 };
	struct diag_list diags = {0};
	struct fileset *repo = NULL;
	char name[LONG_LEN + 16], text[32];

	(void)state;
	put_dir("many");
	for (int i = 0; i < N_LONG; i++) {
		snprintf(name, sizeof(name), "many/%0*d.container", LONG_LEN - 10, i);
		snprintf(text, sizeof(text), "[Unit]\n# %d\n", i);
		put_file(name, text);
	}
	assert_int_equal(fileset_load_dir(root, "L", 0, &repo, &diags), 0);
	assert_int_equal(diags.n, 0);
	assert_int_equal(repo->n_files, N_LONG);
	for (int i = 0; i < N_LONG; i++) {
		const struct fileset_file *f;

		snprintf(name, sizeof(name), "many/%0*d.container", LONG_LEN - 10, i);
		snprintf(text, sizeof(text), "[Unit]\n# %d\n", i);
		f = fileset_find(repo, name);
		assert_non_null(f);
		assert_string_equal(f->data, text);
		assert_int_equal(f->size, strlen(text));
	}
	fileset_free(repo);
}

/* fs_read_fd_once() on what the loader's open may meet: a FIFO with no data is refused as not a
 * regular file (the fstat way), a directory with EISDIR; a regular file read from the start even
 * when the first read filled the buffer. */
static void test_read_once(void **state)
{
	char buf[32], *heap = NULL, path[4096];
	size_t len = 0;
	int fds[2];
	_cleanup_close_ int dirfd = -1, fd = -1;

	(void)state;
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(fs_read_fd_once(fds[0], buf, 16, 100, &heap, &len), -EBADFD);
	assert_null(heap);
	close(fds[0]);
	close(fds[1]);

	dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	assert_int_equal(fs_read_fd_once(dirfd, buf, 16, 100, &heap, &len), -EISDIR);

	put_file("f", "0123456789abcdefXYZ");
	snprintf(path, sizeof(path), "%s/f", root);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(fs_read_fd_once(fd, buf, 16, 100, &heap, &len), 0);
	assert_non_null(heap);
	assert_int_equal(len, 19);
	assert_string_equal(heap, "0123456789abcdefXYZ");
	free(heap);
	heap = NULL;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fs_read_fd_once(fd, buf, 16, 18, &heap, &len), -EFBIG);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fs_read_fd_once(fd, buf, sizeof(buf), 100, &heap, &len), 0);
	assert_null(heap);
	assert_int_equal(len, 19);
	assert_memory_equal(buf, "0123456789abcdefXYZ", 19);
}

static void test_diag(void **state)
{
	struct diag_list d = {0};

	(void)state;
	diag_add(&d, "repo", "b.container", 2, "second");
	diag_add(&d, "repo/", "a.container", 10, "z");
	diag_add(&d, ".", "a.container", 1, "top");
	diag_add(&d, "repo", "a.container", 10, "y");
	diag_add(&d, "repo", "b.container", 2, "second");
	diag_add(&d, "t", NULL, 1, "whole");
	diag_add(&d, "", "x", 1, "%.*s",
		 DIAG_QUOTE("0123456789012345678901234567890123456789"
			    "0123456789012345678901234567890123456789"
			    "0123456789"));
	diag_list_sort(&d);
	assert_int_equal(d.n, 6);
	assert_string_equal(diag_text(&d, 0), "a.container:1: top");
	assert_string_equal(diag_text(&d, 1), "repo/a.container:10: y");
	assert_string_equal(diag_text(&d, 2), "repo/a.container:10: z");
	assert_string_equal(diag_text(&d, 3), "repo/b.container:2: second");
	assert_string_equal(diag_text(&d, 4), "t:1: whole");
	assert_int_equal(strlen(d.items[5].msg), DIAG_QUOTE_MAX);
	diag_list_release(&d);

	for (int i = 0; i < DIAG_MAX + 5; i++)
		diag_add(&d, "", "x", (unsigned)i, "m");
	assert_int_equal(d.n, DIAG_MAX);
	assert_int_equal(d.n_dropped, 5);
	assert_int_equal(diag_list_count(&d), DIAG_MAX + 5);
	assert_int_equal(d.error, 0);
	diag_list_release(&d);
	diag_list_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_sort_order),
		cmocka_unit_test(test_sort_key_ties),
		cmocka_unit_test_setup_teardown(test_load_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_long_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_once, setup, teardown),
		cmocka_unit_test(test_diag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
