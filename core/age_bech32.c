/*
 * age_bech32.c: the text forms of age's X25519 keys — BIP 173 bech32 (the original checksum
 * constant 1, not bech32m, and without BIP 173's 90-character limit, as age does) with the human
 * readable parts "age" (recipients, written lower case) and "age-secret-key-" (identities, written
 * upper case). Only the one case each is written is accepted, so a key has one spelling. The
 * identity's text passes through stack buffers that are wiped before return.
 */
#include "age.h"

#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium/crypto_scalarmult_curve25519.h>
#include <sodium/randombytes.h>
#include <sodium/utils.h>

#define RECIPIENT_HRP "age"
#define IDENTITY_HRP  "age-secret-key-"

enum {
	CHECKSUM_CHARS = 6,
	KEY_CHARS = (AGE_KEY_LEN * 8 + 4) / 5, /* 32 bytes in 5-bit groups, zero-padded: 52 */
	TEXT_MAX = 96,
};

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, unsigned value)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t top = chk >> 25;

	chk = ((chk & 0x1ffffff) << 5) ^ value;
	for (unsigned i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

/* The BIP 173 checksum state over hrp and the 5-bit values data[0..n). */
static uint32_t polymod(const char *hrp, const uint8_t *data, size_t n)
{
	size_t hrp_len = strlen(hrp);
	uint32_t chk = 1;

	for (size_t i = 0; i < hrp_len; i++)
		chk = polymod_step(chk, (unsigned char)hrp[i] >> 5);
	chk = polymod_step(chk, 0);
	for (size_t i = 0; i < hrp_len; i++)
		chk = polymod_step(chk, (unsigned char)hrp[i] & 31);
	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk, data[i]);
	return chk;
}

static int charset_value(char c)
{
	const char *p = c ? strchr(charset, c) : NULL;

	return p ? (int)(p - charset) : -1;
}

/* lower-case text = hrp "1" data checksum, carrying exactly one 32-byte key → key. */
static int decode_key(const char *text, size_t len, const char *hrp, uint8_t key[AGE_KEY_LEN])
{
	size_t hrp_len = strlen(hrp);
	uint8_t values[KEY_CHARS + CHECKSUM_CHARS];
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t out = 0;
	int rc = 0;

	if (len != hrp_len + 1 + ARRAY_SIZE(values) || memcmp(text, hrp, hrp_len) != 0 ||
	    text[hrp_len] != '1')
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		int v = charset_value(text[hrp_len + 1 + i]);

		if (v < 0)
			return -EINVAL;
		values[i] = (uint8_t)v;
	}
	if (polymod(hrp, values, ARRAY_SIZE(values)) != 1)
		rc = -EINVAL;
	for (size_t i = 0; i < KEY_CHARS && rc == 0; i++) {
		acc = (acc << 5) | values[i];
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			key[out++] = (uint8_t)(acc >> bits);
		}
	}
	/* The padding is fewer than 5 bits, all zero: one spelling per key. */
	if (rc == 0 && (out != AGE_KEY_LEN || (acc & ((1u << bits) - 1)) != 0))
		rc = -EINVAL;
	sodium_memzero(values, sizeof(values));
	sodium_memzero(&acc, sizeof(acc));
	return rc;
}

/* hrp "1" bech32(key) checksum, NUL-terminated, lower case, in out (TEXT_MAX). */
static void encode_key(const char *hrp, const uint8_t key[AGE_KEY_LEN], char *out)
{
	uint8_t values[KEY_CHARS + CHECKSUM_CHARS];
	size_t hrp_len = strlen(hrp), n = 0;
	uint32_t acc = 0, chk;
	unsigned bits = 0;

	for (size_t i = 0; i < AGE_KEY_LEN; i++) {
		acc = (acc << 8) | key[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			values[n++] = (acc >> bits) & 31;
		}
	}
	if (bits > 0)
		values[n++] = (acc << (5 - bits)) & 31;
	memset(values + n, 0, CHECKSUM_CHARS);
	chk = polymod(hrp, values, ARRAY_SIZE(values)) ^ 1;
	for (size_t i = 0; i < CHECKSUM_CHARS; i++)
		values[n + i] = (chk >> (5 * (CHECKSUM_CHARS - 1 - i))) & 31;
	memcpy(out, hrp, hrp_len);
	out[hrp_len] = '1';
	for (size_t i = 0; i < ARRAY_SIZE(values); i++)
		out[hrp_len + 1 + i] = charset[values[i]];
	out[hrp_len + 1 + ARRAY_SIZE(values)] = '\0';
	sodium_memzero(values, sizeof(values));
	sodium_memzero(&acc, sizeof(acc));
}

int age_recipient_parse(const char *text, size_t len, struct age_recipient *r)
{
	return decode_key(text, len, RECIPIENT_HRP, r->public_key);
}

void age_recipient_format(const struct age_recipient *r, char out[AGE_RECIPIENT_TEXT_MAX])
{
	_Static_assert(sizeof(RECIPIENT_HRP) + KEY_CHARS + CHECKSUM_CHARS < AGE_RECIPIENT_TEXT_MAX,
		       "recipient text fits");
	encode_key(RECIPIENT_HRP, r->public_key, out);
}

static int derive_public(struct age_identity *id)
{
	if (crypto_scalarmult_curve25519_base(id->recipient.public_key, id->secret_key) != 0)
		return -EINVAL;
	return 0;
}

/* One "AGE-SECRET-KEY-1…" line (upper case) → id. */
static int parse_identity_line(const char *line, size_t len, struct age_identity *id)
{
	char lower[TEXT_MAX];
	int rc;

	if (len >= sizeof(lower))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (line[i] >= 'a' && line[i] <= 'z')
			return -EINVAL;
		lower[i] =
			(line[i] >= 'A' && line[i] <= 'Z') ? (char)(line[i] - 'A' + 'a') : line[i];
	}
	rc = decode_key(lower, len, IDENTITY_HRP, id->secret_key);
	if (rc == 0)
		rc = derive_public(id);
	sodium_memzero(lower, sizeof(lower));
	return rc;
}

int age_identity_parse(const char *text, size_t len, struct age_identity *id)
{
	size_t keys = 0;
	int rc = 0;

	for (size_t pos = 0; pos < len && rc == 0;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, line_len = end - pos;

		if (line_len > 0 && text[pos] != '#') {
			keys++;
			rc = keys > 1 ? -EINVAL : parse_identity_line(text + pos, line_len, id);
		}
		pos = end + 1;
	}
	if (rc == 0 && keys != 1)
		rc = -EINVAL;
	if (rc < 0)
		age_identity_wipe(id);
	return rc;
}

int age_identity_generate(struct age_identity *id)
{
	randombytes_buf(id->secret_key, sizeof(id->secret_key));
	return derive_public(id);
}

void age_identity_format(const struct age_identity *id, char out[AGE_IDENTITY_TEXT_MAX])
{
	_Static_assert(sizeof(IDENTITY_HRP) + KEY_CHARS + CHECKSUM_CHARS < AGE_IDENTITY_TEXT_MAX,
		       "identity text fits");
	encode_key(IDENTITY_HRP, id->secret_key, out);
	for (char *p = out; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
}

void age_identity_wipe(struct age_identity *id)
{
	sodium_memzero(id, sizeof(*id));
}

void age_free_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}
