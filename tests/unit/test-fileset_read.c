/* test-fileset_read.c: unit tests of core/fileset_read (a directory load's files read on threads):
 * each item's result is its file's, in its own slot, whatever thread read it; what the loader's
 * one read would not take (empty, a FIFO, 64 KiB or more, no room left in a region) is left to the
 * loader; the open's errors are the item's; every thread is joined before the read returns; and a
 * whole load over several batches keeps every file byte for byte. */

#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "diag.h"
#include "fileset.h"
#include "fileset_read.h"
#include "fs.h"

static char tmpl[] = "/tmp/test-fileset_read.XXXXXX";
static const char *root;
static int rootfd = -1;

static void put_bytes(const char *rel, const char *data, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The text of file i: its number repeated, so that each file's bytes are its own. */
static size_t text_of(size_t i, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 16 < size && n < 40 + i % 300)
		n += (size_t)snprintf(buf + n, size - n, "%zu;", i);
	return n;
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpl, "/tmp/test-fileset_read.XXXXXX");
	root = mkdtemp(tmpl);
	if (!root)
		return -1;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	_cleanup_close_ int tmpfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	close(rootfd);
	return fs_remove_tree(tmpfd, root + strlen("/tmp/"));
}

static size_t threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_results_in_their_items(void **state)
{
	enum { N = 500 };
	static struct fileset_readq q;
	char name[64], text[4096], big[FILESET_READ_ONCE + 1];
	size_t n;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%03zu", i);
		put_bytes(name, text, text_of(i, text, sizeof(text)));
	}
	put_bytes("empty", "", 0);
	memset(big, 'x', sizeof(big));
	put_bytes("big", big, FILESET_READ_ONCE);
	snprintf(name, sizeof(name), "%s/fifo", root);
	assert_int_equal(mkfifo(name, 0600), 0);
	snprintf(name, sizeof(name), "%s/dir", root);
	assert_int_equal(mkdir(name, 0700), 0);
	snprintf(name, sizeof(name), "%s/link", root);
	assert_int_equal(symlink("f000", name), 0);

	fileset_readq_init(&q);
	assert_true(q.readers >= 1 && q.readers <= FILESET_READ_THREADS);
	q.readers = 2; /* as on any machine with more than one CPU */
	for (size_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%03zu", i);
		assert_int_equal(fileset_readq_add(&q, name, i % 2), 0);
	}
	const char *odd[] = {"empty", "big", "fifo", "dir", "link", "missing"};
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++)
		assert_int_equal(fileset_readq_add(&q, odd[i], true), 0);
	fileset_readq_read(&q, rootfd);
	assert_int_equal(threads_now(), 1);
	for (size_t i = 0; i < N; i++) {
		const struct fileset_readq_item *it = &q.items[i];

		n = text_of(i, text, sizeof(text));
		assert_int_equal(it->strict, i % 2);
		assert_false(it->deferred);
		assert_int_equal(it->err, 0);
		assert_int_equal(it->size, n);
		assert_memory_equal(it->data, text, n);
	}
	assert_true(q.items[N].deferred);     /* empty: the loader's fstat decides */
	assert_true(q.items[N + 1].deferred); /* 64 KiB: a full read */
	assert_true(q.items[N + 2].deferred); /* a FIFO without a writer reads empty */
	assert_int_equal(q.items[N + 3].err, -EISDIR);
	assert_int_equal(q.items[N + 4].err, -ELOOP);
	assert_int_equal(q.items[N + 5].err, -ENOENT);
	assert_string_equal(fileset_readq_path(&q, N + 4), "link");
	fileset_readq_clear(&q);
	assert_int_equal(q.n, 0);
	fileset_readq_release(&q);
}

/* More bytes than the regions hold: what does not fit is deferred, never cut or overwritten. */
static void test_regions_full(void **state)
{
	enum { N = 700, SIZE = 4000 };
	static struct fileset_readq q;
	char name[64], text[SIZE];
	size_t deferred = 0;

	(void)state;
	fileset_readq_init(&q);
	q.readers = 2;
	for (size_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "g%03zu", i);
		memset(text, 'a' + (int)(i % 26), sizeof(text));
		put_bytes(name, text, sizeof(text));
		assert_int_equal(fileset_readq_add(&q, name, false), 0);
	}
	fileset_readq_read(&q, rootfd);
	assert_int_equal(threads_now(), 1);
	for (size_t i = 0; i < N; i++) {
		const struct fileset_readq_item *it = &q.items[i];

		if (it->deferred) {
			deferred++;
			continue;
		}
		memset(text, 'a' + (int)(i % 26), sizeof(text));
		assert_int_equal(it->err, 0);
		assert_int_equal(it->size, SIZE);
		assert_memory_equal(it->data, text, SIZE);
	}
	/* N * SIZE = 2.8 MB against 2 * 512 KiB: some were left, and the rest was read. */
	assert_true(deferred > 0);
	assert_true(deferred < N);
	fileset_readq_release(&q);
}

/* A load of several batches keeps every file whole, read here or by a reader. */
static void test_load_batches(void **state)
{
	enum { N = 3 * FILESET_READQ_ITEMS + 17 };
	struct fileset *set = NULL;
	struct diag_list diags = {0};
	char name[64], text[4096];
	size_t n;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "h%05zu.container", i);
		put_bytes(name, text, text_of(i, text, sizeof(text)));
	}
	put_bytes("h-empty.container", "", 0);
	assert_int_equal(fileset_load_dir(root, "repo", 0, &set, &diags), 0);
	assert_int_equal(diags.n, 0);
	assert_int_equal(set->n_files, N + 1);
	for (size_t i = 0; i < N; i++) {
		const struct fileset_file *f;

		snprintf(name, sizeof(name), "h%05zu.container", i);
		f = fileset_find(set, name);
		assert_non_null(f);
		n = text_of(i, text, sizeof(text));
		assert_int_equal(f->size, n);
		assert_memory_equal(f->data, text, n);
		assert_int_equal(f->data[n], '\0');
	}
	assert_int_equal(fileset_find(set, "h-empty.container")->size, 0);
	assert_int_equal(threads_now(), 1);
	fileset_free(set);
	diag_list_release(&diags);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_results_in_their_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regions_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_batches, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
