/* test-tar.c: core/tar's pax writer and strict reader — a round trip of every entry kind and of
 * what needs pax (long paths and links, xattrs, nanosecond and negative mtimes, big ids), GNU
 * 'L' long names and base-256 numbers read, and each hostile class refused with its errno and
 * reason: absolute, "..", device, fifo, hardlink to an unseen path, beneath a symlink, member,
 * total, member-count and pax limits, bad checksum, bad pax record, truncation. */
#include "memstream.h"
#include "tar.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { BLOCK = 512 };

static char *repeat(const char *unit, size_t times)
{
	char *s = malloc(strlen(unit) * times + 1);

	s[0] = '\0';
	for (size_t i = 0; i < times; i++)
		strcat(s, unit);
	return s;
}

static void write_entries(const struct tar_entry *e, size_t n, struct mem_sink *out)
{
	struct tar_writer *w;

	mem_sink_init(out);
	assert_int_equal(tar_writer_new(&out->sink, &w), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(tar_write_header(w, &e[i]), 0);
		for (uint64_t k = 0; k < e[i].size; k++)
			assert_int_equal(tar_write_data(w, &(char){(char)('a' + k % 26)}, 1), 0);
	}
	assert_int_equal(tar_writer_finish(w), 0);
	assert_int_equal(out->finished, 1);
	assert_int_equal(out->len % BLOCK, 0);
	tar_writer_free(w);
}

static void assert_entry_equal(const struct tar_entry *got, const struct tar_entry *want)
{
	assert_string_equal(got->path, want->path);
	assert_int_equal(got->type, want->type);
	if (want->link != NULL)
		assert_string_equal(got->link, want->link);
	else
		assert_null(got->link);
	assert_int_equal(got->mode, want->mode);
	assert_true(got->uid == want->uid && got->gid == want->gid);
	assert_true(got->mtime_sec == want->mtime_sec);
	assert_int_equal(got->mtime_nsec, want->mtime_nsec);
	assert_true(got->size == want->size);
	assert_int_equal(got->n_xattrs, want->n_xattrs);
	for (size_t i = 0; i < want->n_xattrs; i++) {
		assert_string_equal(got->xattrs[i].name, want->xattrs[i].name);
		assert_int_equal(got->xattrs[i].len, want->xattrs[i].len);
		assert_memory_equal(got->xattrs[i].value, want->xattrs[i].value,
				    want->xattrs[i].len);
	}
}

static void test_round_trip_every_kind(void **state)
{
	char *long_path = repeat("directory/", 12), *longer = repeat("0123456789abcdef/", 20);
	char *long_link = repeat("../elsewhere/", 25);
	struct tar_xattr xattrs[] = {
		{"user.note", (uint8_t *)"a\0b=c\n", 6},
		{"security.capability", (uint8_t *)"\x01\x00\x00\x02\x00\x20\x00\x00", 8},
		{"user.empty", (uint8_t *)"", 0},
	};
	struct tar_entry e[] = {
		{.path = "data",
		 .type = TAR_DIR,
		 .mode = 01777,
		 .uid = 0,
		 .gid = 0,
		 .mtime_sec = 1700000000},
		{.path = "data/file",
		 .type = TAR_FILE,
		 .mode = 04755,
		 .uid = 1,
		 .gid = 2,
		 .mtime_sec = 1700000001,
		 .mtime_nsec = 123456789,
		 .size = 1000,
		 .xattrs = xattrs,
		 .n_xattrs = 3},
		{.path = "data/empty",
		 .type = TAR_FILE,
		 .mode = 0600,
		 .uid = 65536,
		 .gid = 65537,
		 .mtime_sec = 0},
		{.path = "data/link",
		 .type = TAR_SYMLINK,
		 .link = long_link,
		 .mode = 0777,
		 .mtime_sec = 5},
		{.path = "data/hard",
		 .type = TAR_HARDLINK,
		 .link = "data/file",
		 .mode = 04755,
		 .uid = 1,
		 .gid = 2,
		 .mtime_sec = 6},
		{.path = long_path,
		 .type = TAR_FILE,
		 .mode = 0644,
		 .uid = UINT64_C(4000000000),
		 .gid = UINT64_C(1) << 40,
		 .mtime_sec = -1,
		 .mtime_nsec = 500000000,
		 .size = 513},
		{.path = longer, .type = TAR_DIR, .mode = 0755, .mtime_sec = INT64_C(1) << 34},
		{.path = "data/old", .type = TAR_FILE, .mode = 0644, .mtime_sec = -86400},
		{.path = "data/abs-link", .type = TAR_SYMLINK, .link = "/etc/../x", .mode = 0777},
	};
	size_t n = sizeof(e) / sizeof(e[0]);
	struct tar_reader *r;
	struct mem_source src;
	struct mem_sink out;

	(void)state;
	longer[strlen(longer) - 1] = '\0';
	long_path[strlen(long_path) - 1] = 'f';
	write_entries(e, n, &out);
	mem_source_init(&src, out.buf, out.len, 777);
	assert_int_equal(tar_reader_new(&src.source, NULL, &r), 0);
	for (size_t i = 0; i < n; i++) {
		const struct tar_entry *got;
		unsigned char data[2000];
		size_t len = 0, step;

		assert_int_equal(tar_read_header(r, &got), 0);
		assert_entry_equal(got, &e[i]);
		/* Read the first file whole; skip the others' data. */
		while (i == 1 && tar_read_data(r, data + len, 300, &step) == 0 && step > 0)
			len += step;
		if (i == 1) {
			assert_int_equal(len, 1000);
			assert_int_equal(data[999], 'a' + 999 % 26);
		}
	}
	assert_int_equal(tar_read_header(r, &(const struct tar_entry *){NULL}), 1);
	assert_int_equal(tar_read_header(r, &(const struct tar_entry *){NULL}), 1);
	assert_string_equal(tar_reader_error(r), "");
	tar_reader_free(r);
	free(out.buf);
	free(long_path);
	free(longer);
	free(long_link);
}

static void test_writer_refuses(void **state)
{
	struct tar_writer *w;
	struct mem_sink out;

	(void)state;
	mem_sink_init(&out);
	assert_int_equal(tar_writer_new(&out.sink, &w), 0);
	assert_int_equal(tar_write_header(w, &(struct tar_entry){.path = "/abs"}), -EINVAL);
	assert_int_equal(tar_write_header(w, &(struct tar_entry){.path = "a/../b"}), -EINVAL);
	assert_int_equal(tar_write_header(w, &(struct tar_entry){.path = "a/"}), -EINVAL);
	assert_int_equal(tar_write_header(w, &(struct tar_entry){.path = ""}), -EINVAL);
	assert_int_equal(tar_write_header(w, &(struct tar_entry){.path = "l", .type = TAR_SYMLINK}),
			 -EINVAL);
	assert_int_equal(tar_write_header(w, &(struct tar_entry){.path = "f", .size = 3}), 0);
	assert_int_equal(tar_write_data(w, "abcd", 4), -EFBIG);
	assert_int_equal(tar_write_data(w, "ab", 2), 0);
	assert_int_equal(tar_write_header(w, &(struct tar_entry){.path = "g"}), -EPROTO);
	assert_int_equal(tar_writer_finish(w), -EPROTO);
	assert_int_equal(tar_write_data(w, "c", 1), 0);
	assert_int_equal(tar_writer_finish(w), 0);
	tar_writer_free(w);
	free(out.buf);
}

/* --- hand-made archives for what our writer would never write ---------------------------- */

struct raw {
	unsigned char *buf;
	size_t len;
};

static void raw_bytes(struct raw *a, const void *p, size_t len)
{
	size_t padded = (len + BLOCK - 1) / BLOCK * BLOCK;

	a->buf = realloc(a->buf, a->len + padded + 1);
	memset(a->buf + a->len, 0, padded);
	memcpy(a->buf + a->len, p, len);
	a->len += padded;
}

static void raw_header_magic(struct raw *a, const char *name, char type, uint64_t size,
			     const char *link, const char *magic)
{
	unsigned char b[BLOCK] = {0};
	unsigned sum = 0;

	memcpy(b, name, strlen(name) < 100 ? strlen(name) : 100);
	snprintf((char *)b + 100, 8, "%07o", 0644);
	snprintf((char *)b + 108, 8, "%07o", 0);
	snprintf((char *)b + 116, 8, "%07o", 0);
	snprintf((char *)b + 124, 12, "%011" PRIo64, size);
	snprintf((char *)b + 136, 12, "%011o", 1234);
	b[156] = (unsigned char)type;
	if (link != NULL)
		memcpy(b + 157, link, strlen(link));
	memcpy(b + 257, magic, 8);
	memset(b + 148, ' ', 8);
	for (size_t i = 0; i < BLOCK; i++)
		sum += b[i];
	snprintf((char *)b + 148, 8, "%06o", sum);
	raw_bytes(a, b, BLOCK);
}

static void raw_header(struct raw *a, const char *name, char type, uint64_t size, const char *link)
{
	raw_header_magic(a, name, type, size, link,
			 "ustar\0"
			 "00");
}

static void raw_file(struct raw *a, const char *name, const char *data)
{
	raw_header(a, name, '0', strlen(data), NULL);
	raw_bytes(a, data, strlen(data));
}

static void raw_pax(struct raw *a, const char *records)
{
	raw_header(a, "PaxHeaders/x", 'x', strlen(records), NULL);
	raw_bytes(a, records, strlen(records));
}

static void raw_end(struct raw *a)
{
	static const unsigned char zeros[2 * BLOCK];

	raw_bytes(a, zeros, sizeof(zeros));
}

/* Reads a through its end: the errno of the first failure (1 = all read), reason in why. */
static int read_all(const struct raw *a, size_t len, const struct tar_limits *lim, char *why,
		    size_t *members)
{
	struct tar_reader *r;
	struct mem_source src;
	const struct tar_entry *e;
	int rc;

	*members = 0;
	mem_source_init(&src, a->buf, len, 0);
	assert_int_equal(tar_reader_new(&src.source, lim, &r), 0);
	while ((rc = tar_read_header(r, &e)) == 0)
		(*members)++;
	snprintf(why, 200, "%s", tar_reader_error(r));
	if (rc == 0 || rc == 1)
		assert_string_equal(why, "");
	else
		assert_int_equal(tar_read_header(r, &e), rc); /* sticky */
	tar_reader_free(r);
	return rc;
}

static void expect_refusal(struct raw *a, const struct tar_limits *lim, int err, const char *reason,
			   size_t members_before)
{
	char why[200];
	size_t members;

	raw_end(a);
	if (read_all(a, a->len, lim, why, &members) != err || strstr(why, reason) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", why, reason);
	assert_int_equal(members, members_before);
	free(a->buf);
	*a = (struct raw){0};
}

static void test_hostile_paths_and_types(void **state)
{
	struct raw a = {0};

	(void)state;
	raw_file(&a, "/etc/passwd", "x");
	expect_refusal(&a, NULL, -EPERM, "/etc/passwd: absolute path", 0);
	raw_file(&a, "", "x");
	expect_refusal(&a, NULL, -EPERM, "empty path", 0);
	raw_file(&a, "a//b", "x");
	expect_refusal(&a, NULL, -EPERM, "empty path component", 0);
	raw_file(&a, "./", "x");
	expect_refusal(&a, NULL, -EPERM, "the archive root is not a directory", 0);
	raw_file(&a, "ok", "x");
	raw_file(&a, "a/../../etc/passwd", "x");
	expect_refusal(&a, NULL, -EPERM, "\"..\" in path", 1);
	raw_pax(&a, "21 path=../../escape\n");
	raw_file(&a, "innocent", "x");
	expect_refusal(&a, NULL, -EPERM, "\"..\" in path", 0);
	raw_header(&a, "dev/sda", '4', 0, NULL);
	expect_refusal(&a, NULL, -EPERM, "device node", 0);
	raw_header(&a, "dev/null", '3', 0, NULL);
	expect_refusal(&a, NULL, -EPERM, "device node", 0);
	raw_header(&a, "pipe", '6', 0, NULL);
	expect_refusal(&a, NULL, -EPERM, "fifo", 0);
	raw_header(&a, "sparse", 'S', 0, NULL);
	expect_refusal(&a, NULL, -EPERM, "unsupported member type 'S'", 0);
	raw_file(&a, "seen", "x");
	raw_header(&a, "hard", '1', 0, "unseen");
	expect_refusal(&a, NULL, -EPERM, "hard: hardlink to a path not earlier", 1);
	raw_header(&a, "hard", '1', 0, "../outside");
	expect_refusal(&a, NULL, -EPERM, "hardlink target: \"..\" in path", 0);
	raw_header(&a, "d", '5', 0, NULL);
	raw_header(&a, "hard", '1', 0, "d");
	expect_refusal(&a, NULL, -EPERM, "hardlink to a directory", 1);
	raw_header(&a, "l", '2', 0, "/etc");
	raw_file(&a, "l/passwd", "root::0:0::/:/bin/sh\n");
	expect_refusal(&a, NULL, -EPERM, "l/passwd: beneath an earlier symlink member", 1);
	raw_header(&a, "l", '2', 0, "");
	expect_refusal(&a, NULL, -EINVAL, "empty link target", 0);
	raw_header(&a, "d", '5', 10, NULL);
	expect_refusal(&a, NULL, -EINVAL, "not a file", 0);
	raw_pax(&a, "22 GNU.sparse.major=1\n");
	raw_file(&a, "f", "x");
	expect_refusal(&a, NULL, -EPERM, "sparse file", 0);
}

static void test_limits(void **state)
{
	struct tar_limits lim = {.member_max = 10,
				 .total_max = 15,
				 .members_max = 3,
				 .pax_max = 100,
				 .path_max = 20,
				 .xattrs_max = 1,
				 .xattr_value_max = 4};
	char records[200];
	struct raw a = {0};

	(void)state;
	raw_file(&a, "big", "0123456789a");
	expect_refusal(&a, &lim, -EPERM, "big: 11 bytes (limit 10)", 0);
	raw_file(&a, "a", "0123456789");
	raw_file(&a, "b", "012345");
	expect_refusal(&a, &lim, -EPERM, "archive data beyond 15 bytes", 1);
	for (int i = 0; i < 4; i++)
		raw_file(&a, (const char *[]){"m1", "m2", "m3", "m4"}[i], "");
	expect_refusal(&a, &lim, -EPERM, "more than 3 members", 3);
	memset(records, 'x', sizeof(records));
	memcpy(records, "150 comment=", 12);
	records[149] = '\n';
	records[150] = '\0';
	raw_pax(&a, records);
	raw_file(&a, "f", "");
	expect_refusal(&a, &lim, -EPERM, "pax header of 150 bytes (limit 100)", 0);
	raw_file(&a, "0123456789/0123456789", "");
	expect_refusal(&a, &lim, -EPERM, "path longer than 20", 0);
	raw_pax(&a, "25 SCHILY.xattr.user.a=1\n25 SCHILY.xattr.user.b=2\n");
	raw_file(&a, "f", "");
	expect_refusal(&a, &lim, -EPERM, "too many xattrs", 0);
	raw_pax(&a, "29 SCHILY.xattr.user.a=12345\n");
	raw_file(&a, "f", "");
	expect_refusal(&a, &lim, -EPERM, "xattr value too long", 0);
	/* Extended headers without end. */
	for (int i = 0; i < 9; i++)
		raw_pax(&a, "12 comment=\n");
	expect_refusal(&a, NULL, -EPERM, "extended headers in a row", 0);
}

static void test_malformed_and_truncated(void **state)
{
	struct raw a = {0};
	char why[200];
	size_t members;

	(void)state;
	raw_file(&a, "f", "data");
	a.buf[0] = 'g'; /* name changed, checksum not */
	expect_refusal(&a, NULL, -EINVAL, "header checksum mismatch", 0);
	raw_header_magic(&a, "v7", '0', 0, NULL, "\0\0\0\0\0\0\0\0");
	expect_refusal(&a, NULL, -EINVAL, "not a ustar header", 0);
	raw_pax(&a, "21 path=too-short\n");
	raw_file(&a, "f", "");
	expect_refusal(&a, NULL, -EINVAL, "bad pax record", 0);
	raw_pax(&a, "017 path=leading\n");
	raw_file(&a, "f", "");
	expect_refusal(&a, NULL, -EINVAL, "bad pax record", 0);
	raw_pax(&a, "9 size=x\n");
	raw_file(&a, "f", "");
	expect_refusal(&a, NULL, -EINVAL, "bad pax value", 0);
	raw_pax(&a, "10 uid=-5\n");
	raw_file(&a, "f", "");
	expect_refusal(&a, NULL, -EINVAL, "bad pax value", 0);
	raw_file(&a, "f", "x");
	memcpy(a.buf + 124, "0000000001x", 11); /* size field */
	expect_refusal(&a, NULL, -EINVAL, "checksum", 0);
	raw_file(&a, "f", "x");
	raw_file(&a, "f", "x");
	memset(a.buf + 2 * BLOCK, 0, BLOCK); /* a lone zero block */
	expect_refusal(&a, NULL, -EINVAL, "a lone zero block", 1);

	/* Truncated: in the data, in a header, before the end blocks, inside the end blocks. */
	raw_file(&a, "f", "0123456789");
	raw_file(&a, "g", "x");
	raw_end(&a);
	for (size_t cut = 0; cut < a.len; cut += cut < BLOCK ? 5 : 200) {
		int rc = read_all(&a, cut, NULL, why, &members);

		assert_int_equal(rc, -EBADMSG);
		assert_non_null(strstr(why, "truncated archive"));
	}
	assert_int_equal(read_all(&a, a.len, NULL, why, &members), 1);
	assert_int_equal(members, 2);
	free(a.buf);
}

static void test_gnu_and_base256(void **state)
{
	char *long_name = repeat("gnu-long-name/", 20);
	struct tar_reader *r;
	struct mem_source src;
	const struct tar_entry *e;
	struct raw a = {0};

	(void)state;
	raw_header_magic(&a, "././@LongLink", 'L', strlen(long_name) + 1, NULL, "ustar  \0");
	raw_bytes(&a, long_name, strlen(long_name) + 1);
	raw_header_magic(&a, "truncated-name", '0', 3, NULL, "ustar  \0");
	raw_bytes(&a, "abc", 3);
	raw_header_magic(&a, "./dir/", '5', 0, NULL, "ustar  \0");
	raw_header(&a, "./", '5', 0, NULL);
	raw_header(&a, "big-uid", '0', 0, NULL);
	/* base-256 uid 2^40 and size 0, the checksum redone */
	{
		unsigned char *b = a.buf + a.len - BLOCK;
		unsigned sum = 0;

		memset(b + 108, 0, 8);
		b[108] = 0x80;
		b[110] = 0x01;
		memset(b + 148, ' ', 8);
		for (size_t i = 0; i < BLOCK; i++)
			sum += b[i];
		snprintf((char *)b + 148, 8, "%06o", sum);
	}
	raw_end(&a);
	mem_source_init(&src, a.buf, a.len, 100);
	assert_int_equal(tar_reader_new(&src.source, NULL, &r), 0);
	assert_int_equal(tar_read_header(r, &e), 0);
	long_name[strlen(long_name) - 1] = '\0';
	assert_string_equal(e->path, long_name);
	assert_true(e->size == 3);
	assert_int_equal(tar_read_header(r, &e), 0);
	assert_string_equal(e->path, "dir");
	assert_int_equal(e->type, TAR_DIR);
	assert_int_equal(tar_read_header(r, &e), 0);
	assert_string_equal(e->path, ".");
	assert_int_equal(tar_read_header(r, &e), 0);
	assert_true(e->uid == UINT64_C(1) << 40);
	assert_int_equal(tar_read_header(r, &e), 1);
	tar_reader_free(r);
	free(a.buf);
	free(long_name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_kind),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_hostile_paths_and_types),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_malformed_and_truncated),
		cmocka_unit_test(test_gnu_and_base256),
	};

	return cmocka_run_group_tests_name("tar", tests, NULL, NULL);
}
