/* test-stream.c: core/stream (fd, SHA-256), core/stream_gz (gzip) and core/age_stream (age)
 * pipeline stages: round trips across sizes and chunk boundaries, short reads, every way a gzip
 * or age stream can end wrong (-EBADMSG), and interchange with core/age's one-shot functions;
 * the gzip cases again with gunzip on core/stream_thread's thread, which also keeps its end and
 * errors and stops when freed early. */
#include "age.h"
#include "memstream.h"
#include "stream.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

enum { CHUNK = 64 * 1024, TAG = 16 };

/* Deterministic bytes: compressible (a repeating text) or not (xorshift noise). */
static unsigned char *make_data(size_t len, int noise)
{
	unsigned char *p = malloc(len + 1);
	uint64_t x = 0x9e3779b97f4a7c15u + len;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = noise ? (unsigned char)x : (unsigned char)"tailpod backup "[i % 15];
	}
	return p;
}

/* data through gzip into *out. */
static void gzip_bytes(const unsigned char *data, size_t len, struct mem_sink *out)
{
	struct sink *gz;

	mem_sink_init(out);
	assert_int_equal(sink_gzip_new(&out->sink, 6, &gz), 0);
	/* Uneven writes, so the stage sees small and large pieces. */
	for (size_t pos = 0, step = 1; pos < len; pos += step, step = step * 3 + 1) {
		if (step > len - pos)
			step = len - pos;
		assert_int_equal(gz->write(gz, data + pos, step), 0);
	}
	assert_int_equal(gz->finish(gz), 0);
	assert_int_equal(out->finished, 1);
	sink_free(gz);
}

static bool gunzip_on_thread; /* gunzip_bytes reads through source_thread_new */

static int gunzip_bytes(const unsigned char *file, size_t len, size_t step, unsigned char **plain,
			size_t *plain_len)
{
	struct mem_source src;
	struct source *gz, *th = NULL;
	int rc;

	mem_source_init(&src, file, len, step);
	assert_int_equal(source_gunzip_new(&src.source, &gz), 0);
	if (gunzip_on_thread)
		assert_int_equal(source_thread_new(gz, &th), 0);
	rc = drain(th ? th : gz, plain, plain_len);
	if (th) { /* the end or error is said again */
		unsigned char again[1];
		size_t got = 1;

		assert_int_equal(th->read(th, again, sizeof(again), &got), rc);
		assert_int_equal(got, 0);
	}
	source_free(th);
	source_free(gz);
	return rc;
}

static void test_gzip_round_trips(void **state)
{
	static const size_t sizes[] = {0, 1, 1000, 65536, 65537, 3 * 1024 * 1024 + 11};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int noise = 0; noise <= 1; noise++) {
			unsigned char *data = make_data(sizes[i], noise), *back;
			struct mem_sink gz;
			size_t back_len;

			gzip_bytes(data, sizes[i], &gz);
			assert_true(gz.len >= 18 && gz.buf[0] == 0x1f && gz.buf[1] == 0x8b);
			if (!noise && sizes[i] > 65536)
				assert_true(gz.len < sizes[i] / 50);
			assert_int_equal(gunzip_bytes(gz.buf, gz.len, 4093, &back, &back_len), 0);
			assert_int_equal(back_len, sizes[i]);
			assert_memory_equal(back, data, sizes[i]);
			free(back);
			free(gz.buf);
			free(data);
		}
}

static void test_gzip_bad_ends(void **state)
{
	unsigned char *data = make_data(200000, 1), *back;
	size_t back_len, cuts[] = {1, 4, 8, 100, 0};
	struct mem_sink gz;

	(void)state;
	gzip_bytes(data, 200000, &gz);
	cuts[4] = gz.len / 2;
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(gunzip_bytes(gz.buf, gz.len - cuts[i], 0, &back, &back_len),
				 -EBADMSG);
		free(back);
	}
	/* A flipped bit in the data, in the CRC, in the length. */
	for (size_t at = gz.len / 2; at < gz.len; at += (gz.len - at) / 2 + (at == gz.len - 2)) {
		gz.buf[at] ^= 0x10;
		assert_int_equal(gunzip_bytes(gz.buf, gz.len, 0, &back, &back_len), -EBADMSG);
		gz.buf[at] ^= 0x10;
		free(back);
	}
	/* Trailing junk after the member, and a second member. */
	gz.buf = realloc(gz.buf, gz.len * 2);
	memcpy(gz.buf + gz.len, gz.buf, gz.len);
	assert_int_equal(gunzip_bytes(gz.buf, gz.len + 1, 0, &back, &back_len), -EBADMSG);
	free(back);
	assert_int_equal(gunzip_bytes(gz.buf, gz.len * 2, 0, &back, &back_len), -EBADMSG);
	free(back);
	assert_int_equal(gunzip_bytes(gz.buf, gz.len, 0, &back, &back_len), 0);
	assert_int_equal(back_len, 200000);
	free(back);
	/* Not gzip at all, and empty. */
	assert_int_equal(gunzip_bytes(data, 1000, 0, &back, &back_len), -EBADMSG);
	free(back);
	assert_int_equal(gunzip_bytes(data, 0, 0, &back, &back_len), -EBADMSG);
	free(back);
	free(gz.buf);
	free(data);
}

static void test_gzip_round_trips(void **state);

/* The gzip cases through the thread stage; then one freed after a single read of a large
 * stream (the thread waiting for a free slot) stops and joins. */
static void test_thread_stage(void **state)
{
	unsigned char *data = make_data(3 * 1024 * 1024, 0), buf[100];
	struct mem_source src;
	struct mem_sink gz;
	struct source *gunzip, *th;
	size_t got;

	gunzip_on_thread = true;
	test_gzip_round_trips(state);
	test_gzip_bad_ends(state);
	gunzip_on_thread = false;
	gzip_bytes(data, 3 * 1024 * 1024, &gz);
	mem_source_init(&src, gz.buf, gz.len, 0);
	assert_int_equal(source_gunzip_new(&src.source, &gunzip), 0);
	assert_int_equal(source_thread_new(gunzip, &th), 0);
	assert_int_equal(th->read(th, buf, sizeof(buf), &got), 0);
	assert_int_equal(got, sizeof(buf));
	assert_memory_equal(buf, data, sizeof(buf));
	source_free(th);
	source_free(gunzip);
	free(gz.buf);
	free(data);
}

static void age_stream_encrypt(const struct age_recipient *r, size_t n, const unsigned char *data,
			       size_t len, struct mem_sink *out)
{
	struct sink *age;

	mem_sink_init(out);
	assert_int_equal(sink_age_new(&out->sink, r, n, &age), 0);
	for (size_t pos = 0, step = 1; pos < len; pos += step, step = step * 5 + 3) {
		if (step > len - pos)
			step = len - pos;
		assert_int_equal(age->write(age, data + pos, step), 0);
	}
	assert_int_equal(age->finish(age), 0);
	sink_free(age);
}

static int age_stream_decrypt(const struct age_identity *id, const unsigned char *file, size_t len,
			      size_t step, unsigned char **plain, size_t *plain_len)
{
	struct mem_source src;
	struct source *age;
	int rc;

	mem_source_init(&src, file, len, step);
	assert_int_equal(source_age_new(&src.source, id, &age), 0);
	rc = drain(age, plain, plain_len);
	source_free(age);
	return rc;
}

static const size_t age_sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536, 3 * 65536 + 10};

static void test_age_round_trips_and_one_shot(void **state)
{
	struct age_identity id[2];
	struct age_recipient rs[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(age_identity_generate(&id[i]), 0);
		rs[i] = id[i].recipient;
	}
	for (size_t i = 0; i < sizeof(age_sizes) / sizeof(age_sizes[0]); i++) {
		size_t len = age_sizes[i], back_len;
		unsigned char *data = make_data(len, 1), *back, *file;
		size_t file_len;
		struct mem_sink enc;

		age_stream_encrypt(rs, 2, data, len, &enc);
		/* Same shape as the one-shot: header + nonce + sealed chunks. */
		assert_int_equal(age_encrypt(rs, 2, data, len, &file, &file_len), 0);
		assert_int_equal(enc.len, file_len);
		assert_true(source_is_age(enc.buf, enc.len));
		for (int k = 0; k < 2; k++) {
			/* stream → stream, stream → one-shot, one-shot → stream */
			assert_int_equal(
				age_stream_decrypt(&id[k], enc.buf, enc.len, 999, &back, &back_len),
				0);
			assert_int_equal(back_len, len);
			assert_memory_equal(back, data, len);
			free(back);
			assert_int_equal(age_decrypt(&id[k], enc.buf, enc.len, &back, &back_len),
					 0);
			assert_int_equal(back_len, len);
			assert_memory_equal(back, data, len);
			age_free_secret(back, back_len);
			assert_int_equal(
				age_stream_decrypt(&id[k], file, file_len, 0, &back, &back_len), 0);
			assert_int_equal(back_len, len);
			assert_memory_equal(back, data, len);
			free(back);
		}
		free(file);
		free(enc.buf);
		free(data);
	}
	age_identity_wipe(&id[0]);
	age_identity_wipe(&id[1]);
}

static void test_age_tamper_and_truncation(void **state)
{
	size_t len = 3 * 65536 + 10, back_len;
	unsigned char *data = make_data(len, 1), *back;
	struct age_identity id, other;
	size_t payload_at;
	struct mem_sink enc;

	(void)state;
	assert_int_equal(age_identity_generate(&id), 0);
	assert_int_equal(age_identity_generate(&other), 0);
	age_stream_encrypt(&id.recipient, 1, data, len, &enc);
	payload_at = enc.len - (len + 4 * TAG) - 16;
	/* A flipped byte in the second chunk: the first chunk's bytes only, then -EBADMSG. */
	enc.buf[payload_at + 16 + (CHUNK + TAG) + 100] ^= 1;
	assert_int_equal(age_stream_decrypt(&id, enc.buf, enc.len, 0, &back, &back_len), -EBADMSG);
	assert_int_equal(back_len, CHUNK);
	assert_memory_equal(back, data, CHUNK);
	free(back);
	enc.buf[payload_at + 16 + (CHUNK + TAG) + 100] ^= 1;
	/* Cut at a chunk boundary (the last chunk missing), inside a chunk, inside the nonce. */
	assert_int_equal(
		age_stream_decrypt(&id, enc.buf, enc.len - (10 + TAG), 0, &back, &back_len),
		-EBADMSG);
	free(back);
	assert_int_equal(age_stream_decrypt(&id, enc.buf, enc.len - 5, 0, &back, &back_len),
			 -EBADMSG);
	free(back);
	assert_int_equal(age_stream_decrypt(&id, enc.buf, payload_at + 8, 0, &back, &back_len),
			 -EINVAL);
	free(back);
	/* An appended byte makes the last chunk a non-last one. */
	enc.buf = realloc(enc.buf, enc.len + 1);
	assert_int_equal(age_stream_decrypt(&id, enc.buf, enc.len + 1, 0, &back, &back_len),
			 -EBADMSG);
	free(back);
	/* The header: another identity, a flipped MAC, garbage. */
	assert_int_equal(age_stream_decrypt(&other, enc.buf, enc.len, 0, &back, &back_len),
			 -ENOKEY);
	free(back);
	/* Another base64 letter inside the MAC (not its last, whose low bits must stay zero). */
	enc.buf[payload_at - 5] = enc.buf[payload_at - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(age_stream_decrypt(&id, enc.buf, enc.len, 0, &back, &back_len), -EBADMSG);
	free(back);
	assert_int_equal(age_stream_decrypt(&id, data, 70000, 0, &back, &back_len), -EINVAL);
	free(back);
	free(enc.buf);
	free(data);
	age_identity_wipe(&id);
	age_identity_wipe(&other);
}

/* A full last chunk of an exact multiple, then dropping it: the previous one is not "last". */
static void test_age_exact_multiple_truncated(void **state)
{
	size_t len = 2 * 65536, back_len;
	unsigned char *data = make_data(len, 0), *back;
	struct age_identity id;
	struct mem_sink enc;

	(void)state;
	assert_int_equal(age_identity_generate(&id), 0);
	age_stream_encrypt(&id.recipient, 1, data, len, &enc);
	assert_int_equal(
		age_stream_decrypt(&id, enc.buf, enc.len - (CHUNK + TAG), 0, &back, &back_len),
		-EBADMSG);
	assert_int_equal(back_len, 0);
	free(back);
	free(enc.buf);
	free(data);
	age_identity_wipe(&id);
}

static void test_sha256_and_fd(void **state)
{
	char hex[HASH_SHA256_HEX_SIZE];
	struct sink *fd_sink, *sha;
	struct source *fd_src;
	unsigned char *back;
	size_t back_len;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(sink_fd_new(fds[1], &fd_sink), 0);
	assert_int_equal(sink_sha256_new(fd_sink, &sha), 0);
	assert_int_equal(sink_sha256_hex(sha, hex), -EINVAL);
	assert_int_equal(sha->write(sha, "a", 1), 0);
	assert_int_equal(sha->write(sha, "bc", 2), 0);
	assert_int_equal(sha->finish(sha), 0);
	assert_int_equal(sink_sha256_hex(sha, hex), 0);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sink_sha256_hex(fd_sink, hex), -EINVAL);
	sink_free(sha);
	sink_free(fd_sink);
	close(fds[1]);
	assert_int_equal(source_fd_new(fds[0], &fd_src), 0);
	assert_int_equal(drain(fd_src, &back, &back_len), 0);
	assert_int_equal(back_len, 3);
	assert_memory_equal(back, "abc", 3);
	free(back);
	source_free(fd_src);
	close(fds[0]);
	assert_false(source_is_age("age-encryption.org/v1", 21));
	assert_true(source_is_age("age-encryption.org/v1\n-> X25519", 31));
	assert_false(source_is_age("\x1f\x8b\x08", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_round_trips),
		cmocka_unit_test(test_gzip_bad_ends),
		cmocka_unit_test(test_thread_stage),
		cmocka_unit_test(test_age_round_trips_and_one_shot),
		cmocka_unit_test(test_age_tamper_and_truncation),
		cmocka_unit_test(test_age_exact_multiple_truncated),
		cmocka_unit_test(test_sha256_and_fd),
	};

	return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
