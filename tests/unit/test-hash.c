/* test-hash.c: SHA-256 against the NIST FIPS 180-2 example vectors, streamed and from files, on
 * both paths (the CPU's SHA instructions where it has them, BearSSL's portable rounds by the
 * hook), and the two paths against each other on random lengths and split points. */
#include "hash.h"

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

static void hex_of(const char *msg, size_t len, char out[HASH_SHA256_HEX_SIZE])
{
	struct hash_sha256 h;

	hash_sha256_init(&h);
	hash_sha256_update(&h, msg, len);
	hash_sha256_final_hex(&h, out);
}

static void test_nist_abc(void **state)
{
	char hex[HASH_SHA256_HEX_SIZE];

	(void)state;
	hex_of("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_nist_empty(void **state)
{
	char hex[HASH_SHA256_HEX_SIZE];

	(void)state;
	hex_of("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_nist_448_bits(void **state)
{
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[HASH_SHA256_HEX_SIZE];

	(void)state;
	hex_of(msg, strlen(msg), hex);
	assert_string_equal(hex,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_nist_896_bits(void **state)
{
	static const char msg[] =
		"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklm"
		"nopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char hex[HASH_SHA256_HEX_SIZE];

	(void)state;
	hex_of(msg, strlen(msg), hex);
	assert_string_equal(hex,
			    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a', fed in uneven pieces so chunk boundaries land everywhere. */
static void test_nist_million_a_streamed(void **state)
{
	char piece[997], hex[HASH_SHA256_HEX_SIZE];
	struct hash_sha256 h;
	size_t left = 1000000;

	(void)state;
	memset(piece, 'a', sizeof(piece));
	hash_sha256_init(&h);
	while (left) {
		size_t n = left < sizeof(piece) ? left : sizeof(piece);
		hash_sha256_update(&h, piece, n);
		left -= n;
	}
	hash_sha256_final_hex(&h, hex);
	assert_string_equal(hex,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every vector above again with the portable rounds forced, then the instructions back. */
static void test_nist_portable_path(void **state)
{
	assert_int_equal(hash_sha256_set_hw(false), 0);
	test_nist_abc(state);
	test_nist_empty(state);
	test_nist_448_bits(state);
	test_nist_896_bits(state);
	test_nist_million_a_streamed(state);
	hash_sha256_set_hw(true);
}

static void digest_split(const unsigned char *msg, size_t len, size_t split,
			 unsigned char out[HASH_SHA256_SIZE])
{
	struct hash_sha256 h;

	hash_sha256_init(&h);
	hash_sha256_update(&h, msg, split);
	hash_sha256_update(&h, msg + split, len - split);
	hash_sha256_final(&h, out);
}

/* Random lengths 0..4096 split at a random point (so a partial block meets whole ones): the
 * instructions' digest equals the portable one. Says which path this CPU took. */
static void test_hw_matches_portable(void **state)
{
	static unsigned char msg[4096];
	unsigned char hw[HASH_SHA256_SIZE], sw[HASH_SHA256_SIZE];
	int has_hw = hash_sha256_set_hw(true);

	(void)state;
	print_message("SHA-256 on the CPU's instructions: %s\n", has_hw ? "yes" : "no");
	srand(20);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)rand();
	for (int round = 0; round < 3000; round++) {
		size_t len = round < 300 ? (size_t)round : (size_t)rand() % (sizeof(msg) + 1);
		size_t split = len ? (size_t)rand() % (len + 1) : 0;

		hash_sha256_set_hw(true);
		digest_split(msg, len, split, hw);
		hash_sha256_set_hw(false);
		digest_split(msg, len, split, sw);
		assert_memory_equal(hw, sw, sizeof(hw));
	}
	hash_sha256_set_hw(true);
}

static char tmpdir[] = "/tmp/test-hash.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(int dirfd, const char *name, const char *data, size_t len, size_t times)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	for (size_t i = 0; i < times; i++)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A file larger than the streaming chunk: 1,000,000 'a' again, through hash_file_sha256_hex. */
static void test_file_larger_than_chunk(void **state)
{
	char block[1000], hex[HASH_SHA256_HEX_SIZE];
	int dirfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	memset(block, 'a', sizeof(block));
	write_file(dirfd, "big", block, sizeof(block), 1000);
	assert_int_equal(hash_file_sha256_hex(dirfd, "big", hex), 0);
	assert_string_equal(hex,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	close(dirfd);
}

static void test_file_refuses_symlink_and_dir(void **state)
{
	char hex[HASH_SHA256_HEX_SIZE] = "untouched";
	int dirfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	write_file(dirfd, "small", "abc", 3, 1);
	assert_int_equal(symlinkat("small", dirfd, "link"), 0);
	assert_int_equal(mkdirat(dirfd, "sub", 0755), 0);
	assert_int_equal(hash_file_sha256_hex(dirfd, "link", hex), -ELOOP);
	assert_int_equal(hash_file_sha256_hex(dirfd, "sub", hex), -EISDIR);
	assert_int_equal(hash_file_sha256_hex(dirfd, "missing", hex), -ENOENT);
	assert_string_equal(hex, "untouched");
	assert_int_equal(hash_file_sha256_hex(dirfd, "small", hex), 0);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	close(dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nist_abc),
		cmocka_unit_test(test_nist_empty),
		cmocka_unit_test(test_nist_448_bits),
		cmocka_unit_test(test_nist_896_bits),
		cmocka_unit_test(test_nist_million_a_streamed),
		cmocka_unit_test(test_nist_portable_path),
		cmocka_unit_test(test_hw_matches_portable),
		cmocka_unit_test(test_file_larger_than_chunk),
		cmocka_unit_test(test_file_refuses_symlink_and_dir),
	};

	return cmocka_run_group_tests_name("hash", tests, setup, teardown);
}
