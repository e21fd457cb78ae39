/* test-age.c: core/age against C2SP's CCTV age test vectors (tests/fixtures/age, every X25519,
 * header and STREAM vector that needs no armor, scrypt or hybrid key — the README there lists the
 * ones left out and why), then round trips, tampering, bounds and the bech32 key encodings.
 * Each vector's "expect" maps to one error: success (payload SHA-256 compared), header failure
 * -EINVAL, no match -ENOKEY, HMAC and payload failure -EBADMSG (all or nothing: no plaintext). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "age.h"
#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

enum { VECTOR_MAX = 1024 * 1024, INFLATED_MAX = 32 * 1024 * 1024 };

struct vector {
	char name[128];
	char expect[32];
	char payload[HASH_SHA256_HEX_SIZE];
	char identity[AGE_IDENTITY_TEXT_MAX];
	int compressed;
	uint8_t *file;
	size_t len;
};

static char fixtures[PATH_MAX / 2];

/* tests/fixtures/age beside build/host/test-age. */
static int find_fixtures(void **state)
{
	char exe[PATH_MAX / 4];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)state;
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++)
		*strrchr(exe, '/') = '\0';
	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/age", exe);
	return access(fixtures, R_OK) == 0 ? 0 : -1;
}

static void header_value(struct vector *v, const char *key, const char *value)
{
	if (strcmp(key, "expect") == 0)
		snprintf(v->expect, sizeof(v->expect), "%s", value);
	else if (strcmp(key, "payload") == 0)
		snprintf(v->payload, sizeof(v->payload), "%s", value);
	else if (strcmp(key, "identity") == 0 && strncmp(value, "AGE-SECRET-KEY-1", 16) == 0)
		snprintf(v->identity, sizeof(v->identity), "%s", value);
	else if (strcmp(key, "compressed") == 0)
		v->compressed = strcmp(value, "zlib") == 0;
}

static void inflate_file(struct vector *v)
{
	uLongf out_len = INFLATED_MAX;
	uint8_t *out = malloc(out_len);

	assert_non_null(out);
	assert_int_equal(uncompress(out, &out_len, v->file, v->len), Z_OK);
	v->file = out;
	v->len = out_len;
}

/* A vector file: "key: value" lines, a blank line, the age file. */
static void load_vector(const char *name, struct vector *v, uint8_t *raw)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;
	char *line, *end;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(raw, 1, VECTOR_MAX, f);
	fclose(f);
	assert_true(n < VECTOR_MAX);
	for (line = (char *)raw; (end = memchr(line, '\n', n - (size_t)(line - (char *)raw)));
	     line = end + 1) {
		char *colon;

		if (end == line)
			break;
		*end = '\0';
		colon = strstr(line, ": ");
		assert_non_null(colon);
		*colon = '\0';
		header_value(v, line, colon + 2);
	}
	assert_non_null(end);
	v->file = (uint8_t *)end + 1;
	v->len = n - (size_t)(v->file - raw);
	if (v->compressed)
		inflate_file(v);
}

static int expected_rc(const struct vector *v)
{
	if (strcmp(v->expect, "success") == 0)
		return 0;
	if (strcmp(v->expect, "header failure") == 0)
		return -EINVAL;
	if (strcmp(v->expect, "no match") == 0)
		return -ENOKEY;
	if (strcmp(v->expect, "HMAC failure") == 0 || strcmp(v->expect, "payload failure") == 0)
		return -EBADMSG;
	fail_msg("%s: unknown expect '%s'", v->name, v->expect);
	return 1;
}

static void check_vector(const struct vector *v)
{
	struct age_identity id;
	uint8_t *plain = (uint8_t *)"sentinel";
	size_t plain_len = 7;
	int rc, want = expected_rc(v);

	if (v->identity[0])
		assert_int_equal(age_identity_parse(v->identity, strlen(v->identity), &id), 0);
	else
		assert_int_equal(age_identity_generate(&id), 0);
	rc = age_decrypt(&id, v->file, v->len, &plain, &plain_len);
	if (rc != want)
		fail_msg("%s: expect %s (%d), age_decrypt returned %d", v->name, v->expect, want,
			 rc);
	if (want == 0) {
		char hex[HASH_SHA256_HEX_SIZE];
		struct hash_sha256 h;

		hash_sha256_init(&h);
		hash_sha256_update(&h, plain, plain_len);
		hash_sha256_final_hex(&h, hex);
		if (strcmp(hex, v->payload) != 0)
			fail_msg("%s: payload sha256 %s, want %s", v->name, hex, v->payload);
		age_free_secret(plain, plain_len);
	} else {
		assert_null(plain);
		assert_int_equal(plain_len, 0);
	}
	age_identity_wipe(&id);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_vector(const struct dirent *d)
{
	return d->d_name[0] != '.' && strcmp(d->d_name, "README.md") != 0;
}

static void test_cctv_vectors(void **state)
{
	struct dirent **names;
	uint8_t *raw = malloc(VECTOR_MAX);
	int n = scandir(fixtures, &names, is_vector, by_name);

	(void)state;
	assert_non_null(raw);
	/* All 68 runnable vectors of CCTV 1e3d286 (README.md lists the 75 left out). */
	assert_int_equal(n, 68);
	for (int i = 0; i < n; i++) {
		struct vector v;

		load_vector(names[i]->d_name, &v, raw);
		check_vector(&v);
		if (v.compressed)
			free(v.file);
		free(names[i]);
	}
	free(names);
	free(raw);
}

/* Fresh identities: n recipients, a payload of len bytes, encrypted and decrypted by each. */
static void round_trip(size_t n, size_t len)
{
	struct age_identity ids[3];
	struct age_recipient rs[3];
	uint8_t *plain = malloc(len + 1), *file, *back;
	size_t file_len, back_len, count;

	assert_non_null(plain);
	for (size_t i = 0; i < len; i++)
		plain[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(age_identity_generate(&ids[i]), 0);
		rs[i] = ids[i].recipient;
	}
	assert_int_equal(age_encrypt(rs, n, plain, len, &file, &file_len), 0);
	assert_int_equal(age_count_stanzas(file, file_len, &count), 0);
	assert_int_equal(count, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(age_decrypt(&ids[i], file, file_len, &back, &back_len), 0);
		assert_int_equal(back_len, len);
		assert_memory_equal(back, plain, len);
		assert_int_equal(back[len], 0);
		age_free_secret(back, back_len);
		age_identity_wipe(&ids[i]);
	}
	free(file);
	free(plain);
}

static void test_round_trips(void **state)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 2 * 65536, 200000};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		round_trip(1 + i % 3, sizes[i]);
}

static void encrypt_one(struct age_identity *id, const char *text, uint8_t **file, size_t *len)
{
	assert_int_equal(age_identity_generate(id), 0);
	assert_int_equal(age_encrypt(&id->recipient, 1, text, strlen(text), file, len), 0);
}

/* Every single-byte change and every truncation fails cleanly, never with plaintext. */
static void test_tamper_and_truncate(void **state)
{
	struct age_identity id, other;
	uint8_t *file, *plain;
	size_t len, plain_len;

	(void)state;
	encrypt_one(&id, "s3cret value", &file, &len);
	assert_int_equal(age_identity_generate(&other), 0);
	assert_int_equal(age_decrypt(&other, file, len, &plain, &plain_len), -ENOKEY);
	for (size_t i = 0; i < len; i++) {
		file[i] ^= 0x01;
		assert_int_not_equal(age_decrypt(&id, file, len, &plain, &plain_len), 0);
		assert_null(plain);
		file[i] ^= 0x01;
		assert_int_not_equal(age_decrypt(&id, file, i, &plain, &plain_len), 0);
		assert_null(plain);
	}
	assert_int_equal(age_decrypt(&id, file, len, &plain, &plain_len), 0);
	assert_string_equal((char *)plain, "s3cret value");
	age_free_secret(plain, plain_len);
	free(file);
}

static void test_bounds(void **state)
{
	struct age_recipient rs[AGE_RECIPIENTS_MAX + 1];
	struct age_identity id;
	uint8_t *file;
	size_t len;

	(void)state;
	assert_int_equal(age_identity_generate(&id), 0);
	for (size_t i = 0; i <= AGE_RECIPIENTS_MAX; i++)
		rs[i] = id.recipient;
	assert_int_equal(age_encrypt(rs, 0, "x", 1, &file, &len), -EINVAL);
	assert_int_equal(age_encrypt(rs, AGE_RECIPIENTS_MAX + 1, "x", 1, &file, &len), -EINVAL);
	assert_int_equal(age_encrypt(rs, 1, "x", (size_t)AGE_PAYLOAD_MAX + 1, &file, &len), -EFBIG);
	assert_null(file);
	/* A low-order recipient key (all zero) gives an all-zero shared secret. */
	memset(&rs[0], 0, sizeof(rs[0]));
	assert_int_equal(age_encrypt(rs, 1, "x", 1, &file, &len), -EINVAL);
}

/* age-keygen's own output (age 1.1.1), comments and all. */
static const char keygen_file[] =
	"# created: 2026-12-05T16:27:07Z\n"
	"# public key: age1wmw3mh4puxm2ms50sp2ec4mfhzcwnde6p27wlgvesl0yrdxqj39qq08xlu\n"
	"AGE-SECRET-KEY-17GSE949Z9YRNY85SGR3CUG322W5E7UDJLQJ4J8LNP6WCFZVNR0UQZ93A4H\n";
static const char keygen_recipient[] =
	"age1wmw3mh4puxm2ms50sp2ec4mfhzcwnde6p27wlgvesl0yrdxqj39qq08xlu";

static void test_keys(void **state)
{
	struct age_identity id;
	struct age_recipient r;
	char text[AGE_IDENTITY_TEXT_MAX], rtext[AGE_RECIPIENT_TEXT_MAX];
	const char *secret = strstr(keygen_file, "AGE-SECRET");
	char bad[256];

	(void)state;
	assert_int_equal(age_identity_parse(keygen_file, strlen(keygen_file), &id), 0);
	age_recipient_format(&id.recipient, rtext);
	assert_string_equal(rtext, keygen_recipient);
	age_identity_format(&id, text);
	assert_int_equal(strncmp(text, secret, strlen(text)), 0);
	assert_int_equal(age_recipient_parse(keygen_recipient, strlen(keygen_recipient), &r), 0);
	assert_memory_equal(r.public_key, id.recipient.public_key, AGE_KEY_LEN);

	/* Upper-case recipient, lower-case identity, a changed character, two keys, none. */
	snprintf(bad, sizeof(bad), "AGE1%s", keygen_recipient + 4);
	for (char *p = bad; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	assert_int_equal(age_recipient_parse(bad, strlen(bad), &r), -EINVAL);
	snprintf(bad, sizeof(bad), "%s", keygen_recipient);
	bad[10] = bad[10] == 'q' ? 'p' : 'q';
	assert_int_equal(age_recipient_parse(bad, strlen(bad), &r), -EINVAL);
	assert_int_equal(age_recipient_parse(secret, 74, &r), -EINVAL);
	assert_int_equal(age_recipient_parse(keygen_recipient, 10, &r), -EINVAL);
	snprintf(bad, sizeof(bad), "age-secret-key-1%s", secret + 16);
	assert_int_equal(age_identity_parse(bad, strlen(bad), &id), -EINVAL);
	snprintf(bad, sizeof(bad), "%.74s\n%.74s\n", secret, secret);
	assert_int_equal(age_identity_parse(bad, strlen(bad), &id), -EINVAL);
	assert_int_equal(age_identity_parse("# only\n\n", 8, &id), -EINVAL);
	assert_int_equal(age_identity_parse(keygen_recipient, strlen(keygen_recipient), &id),
			 -EINVAL);
	age_identity_wipe(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cctv_vectors),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_tamper_and_truncate),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, find_fixtures, NULL);
}
