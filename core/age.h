/* age.h: age v1 files (age-encryption.org/v1) with X25519 recipients — the header (stanzas,
 * HKDF-SHA-256 file key wrapping, HMAC-SHA-256 header MAC) and the ChaCha20-Poly1305 STREAM payload
 * in 64 KiB chunks — plus the bech32 encodings of keys ("age1…" recipients, "AGE-SECRET-KEY-1…"
 * identities). Built on the crypto already linked (libsodium: X25519, ChaCha20-Poly1305 IETF,
 * HMAC-SHA-256, and HKDF as two HMAC calls). Only the binary format; the ASCII armor is not needed
 * by tailpod.
 *
 * Core module: no printing; 0 on success, negative errno on failure:
 *   -EINVAL   malformed input (bad bech32, bad header line, bad base64, a bound exceeded)
 *   -ENOKEY   well-formed, but no X25519 stanza opens with this identity
 *   -EBADMSG  the header MAC or a payload chunk does not authenticate (tampered or truncated)
 *   -ENOMEM, -EFBIG (over AGE_PAYLOAD_MAX)
 * Secrets (identities, file keys, plaintexts) live in memory that is wiped before it is freed. */
#ifndef TAILPOD_AGE_H
#define TAILPOD_AGE_H

#include <stddef.h>
#include <stdint.h>

struct fs_trust;

enum {
	AGE_KEY_LEN = 32,
	AGE_RECIPIENT_TEXT_MAX = 96,	    /* "age1" + bech32 of 32 bytes + checksum, with room */
	AGE_IDENTITY_TEXT_MAX = 96,	    /* "AGE-SECRET-KEY-1" + bech32 of 32 bytes + checksum */
	AGE_RECIPIENTS_MAX = 64,	    /* stanzas written or accepted in one header */
	AGE_HEADER_MAX = 64 * 1024,	    /* bytes of header read before giving up */
	AGE_PAYLOAD_MAX = 64 * 1024 * 1024, /* plaintext held in memory by age_decrypt() */
	AGE_IDENTITY_FILE_MAX = 64 * 1024,  /* bytes of an identity file: a key line and comments */
};

struct age_recipient {
	uint8_t public_key[AGE_KEY_LEN];
};

struct age_identity {
	uint8_t secret_key[AGE_KEY_LEN];
	struct age_recipient recipient; /* its public half */
};

/* "age1…" (lower case, bech32, exactly one X25519 key) → r. */
int age_recipient_parse(const char *text, size_t len, struct age_recipient *r);
/* r → NUL-terminated "age1…" in out. */
void age_recipient_format(const struct age_recipient *r, char out[AGE_RECIPIENT_TEXT_MAX]);

/* An identity file's text: lines, '#' comments and blank lines ignored, exactly one
 * "AGE-SECRET-KEY-1…" line (upper case) → id. */
int age_identity_parse(const char *text, size_t len, struct age_identity *id);
/* The identity in the file at path, which must be as trust (core/fs.h) says: a regular file, no
 * link followed, its owner and mode checked; read into wiped memory (age_keyfile.c). -ENOENT
 * when there is none; -EPERM (owner), -EACCES (mode), -EBADFD/-EISDIR (not a regular file),
 * -ELOOP (a link), -EFBIG (over AGE_IDENTITY_FILE_MAX) as the read says; -EBADMSG when it holds
 * no single identity. On failure id holds no key. */
int age_identity_load(const char *path, const struct fs_trust *trust, struct age_identity *id);
/* A fresh identity from the system's random source. */
int age_identity_generate(struct age_identity *id);
/* id → NUL-terminated "AGE-SECRET-KEY-1…" in out (caller wipes out). */
void age_identity_format(const struct age_identity *id, char out[AGE_IDENTITY_TEXT_MAX]);
/* Wipe an identity (call before it goes out of scope). */
void age_identity_wipe(struct age_identity *id);

/* Encrypt plain[0..len) to n recipients (1 ≤ n ≤ AGE_RECIPIENTS_MAX): *out is a malloc'ed binary
 * age file of *out_len bytes (not secret: plain free). */
int age_encrypt(const struct age_recipient *recipients, size_t n, const void *plain, size_t len,
		uint8_t **out, size_t *out_len);

/* Decrypt a binary age file with id: *plain is malloc'ed (NUL-terminated one byte past *plain_len
 * for convenience), to be released with age_free_secret(*plain, *plain_len). */
int age_decrypt(const struct age_identity *id, const void *file, size_t len, uint8_t **plain,
		size_t *plain_len);

/* The recipients a file's header names cannot be read (X25519 stanzas carry ephemeral keys only);
 * this counts the X25519 stanzas, for messages ("encrypted to 3 recipients"). */
int age_count_stanzas(const void *file, size_t len, size_t *count);

/* Wipe and free a secret buffer (NULL is fine). */
void age_free_secret(void *p, size_t len);

#endif
