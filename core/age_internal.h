/* age_internal.h: what age.c (one-shot files) and age_stream.c (streaming) share — the format
 * constants, the parsed header, HKDF, the header parse/unwrap/MAC/write and the STREAM nonce. */
#ifndef TAILPOD_AGE_INTERNAL_H
#define TAILPOD_AGE_INTERNAL_H

#include "age.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium/crypto_aead_chacha20poly1305.h>
#include <sodium/crypto_auth_hmacsha256.h>
#include <sodium/utils.h>

#define VERSION_LINE  "age-encryption.org/v1\n"
#define STANZA_PREFIX "-> "
#define X25519_TYPE   "X25519"
#define X25519_INFO   "age-encryption.org/v1/X25519"
#define MAC_PREFIX    "--- "
#define B64_VARIANT   sodium_base64_VARIANT_ORIGINAL_NO_PADDING

enum {
	FILE_KEY_LEN = 16,
	TAG_LEN = crypto_aead_chacha20poly1305_ietf_ABYTES,
	WRAPPED_LEN = FILE_KEY_LEN + TAG_LEN,
	MAC_LEN = crypto_auth_hmacsha256_BYTES,
	DERIVED_LEN = 32, /* HKDF output: wrapping, MAC and payload keys */
	PAYLOAD_NONCE_LEN = 16,
	CHUNK_NONCE_LEN = crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
	CHUNK = 64 * 1024,
	SEALED_CHUNK = CHUNK + TAG_LEN,
	B64_LINE = 64,				       /* columns of a full body line */
	B64_LINE_BYTES = B64_LINE / 4 * 3,	       /* what one decodes to */
	B64_32 = 43,				       /* unpadded base64 of 32 bytes */
	STANZA_TEXT = 3 + 7 + B64_32 + 1 + B64_32 + 1, /* "-> X25519 SHARE\nBODY\n" */
	MAC_LINE = 4 + B64_32,			       /* "--- MAC" */
};

struct x25519_stanza {
	uint8_t share[AGE_KEY_LEN];   /* the sender's ephemeral public key */
	uint8_t wrapped[WRAPPED_LEN]; /* the sealed file key */
};

struct header {
	struct x25519_stanza x25519[AGE_RECIPIENTS_MAX];
	size_t n_x25519, n_stanzas;
	size_t mac_input_len; /* bytes the MAC covers: the header through "---" */
	uint8_t mac[MAC_LEN];
	size_t payload_at; /* offset of the payload nonce */
};

/* The bytes age_header_put() writes for n recipients. */
#define AGE_HEADER_TEXT_LEN(n) (strlen(VERSION_LINE) + (n)*STANZA_TEXT + MAC_LINE + 1)

/* RFC 5869 with SHA-256, one 32-byte output block. */
void age_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
		     const char *info, uint8_t out[DERIVED_LEN]);
/* The header at buf[0..len) → *h (strict: -EINVAL for anything malformed or a header that does
 * not end, MAC line included, within len and AGE_HEADER_MAX). */
int age_header_parse(const uint8_t *buf, size_t len, struct header *h);
/* The file key from the first X25519 stanza of h that id opens: 0, -ENOKEY, -EINVAL. */
int age_header_unwrap(const struct age_identity *id, const struct header *h,
		      uint8_t file_key[FILE_KEY_LEN]);
/* HMAC over the header's first len bytes with the key derived from file_key. */
void age_header_mac(const uint8_t file_key[FILE_KEY_LEN], const uint8_t *header, size_t len,
		    uint8_t mac[MAC_LEN]);
/* The header for n recipients (AGE_HEADER_TEXT_LEN(n) bytes), its MAC included, at out + *pos. */
int age_header_put(const struct age_recipient *recipients, size_t n,
		   const uint8_t file_key[FILE_KEY_LEN], uint8_t *out, size_t *pos);
/* The nonce of STREAM chunk counter (11-byte big-endian counter, last-chunk flag). */
void age_chunk_nonce(uint64_t counter, bool last, uint8_t nonce[CHUNK_NONCE_LEN]);

#endif
