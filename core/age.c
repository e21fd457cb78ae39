/*
 * age.c: age v1 files (C2SP age.md) with X25519 recipients, on libsodium. The header is parsed
 * completely and strictly before any key is tried (canonical unpadded base64, 64-column body lines
 * ending with a short one, arguments of visible ASCII), so a malformed header is -EINVAL whatever
 * the identity; then the X25519 stanzas are tried in order, the header MAC checked, and the STREAM
 * payload (ChaCha20-Poly1305, 64 KiB chunks, 11-byte big-endian counter and a last-chunk flag as
 * the nonce) decrypted whole, all or nothing: a caller never sees plaintext of a file that does not
 * authenticate to its end. HKDF-SHA-256 (RFC 5869) is two HMAC-SHA-256 calls from libsodium, so
 * this module and its fuzz harness need no mbedTLS. Bech32 keys are in age_bech32.c, the streaming
 * sink and source (same header code, one chunk in memory) in age_stream.c.
 */
#include "age.h"
#include "age_internal.h"

#include "core.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium/crypto_auth_hmacsha256.h>
#include <sodium/crypto_scalarmult_curve25519.h>
#include <sodium/randombytes.h>
#include <sodium/utils.h>

static const uint8_t zero_nonce[CHUNK_NONCE_LEN];

struct cursor {
	const uint8_t *buf;
	size_t len, pos;
};

/* RFC 5869 with SHA-256, one output block (32 bytes is all age asks for). */
void age_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
		     const char *info, uint8_t out[DERIVED_LEN])
{
	static const uint8_t counter = 1;
	crypto_auth_hmacsha256_state st;
	uint8_t prk[crypto_auth_hmacsha256_BYTES];

	/* An empty salt is HMAC's zero-length key, which HMAC pads to the same block as
	 * RFC 5869's HashLen zero bytes. */
	crypto_auth_hmacsha256_init(&st, salt_len ? salt : (const uint8_t *)"", salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)info, strlen(info));
	crypto_auth_hmacsha256_update(&st, &counter, 1);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(&st, sizeof(st));
}

/* Canonical unpadded base64 text[0..len) → at most max bytes; libsodium refuses padding,
 * characters outside the alphabet and non-zero trailing bits. */
static int b64_decode(const char *text, size_t len, uint8_t *out, size_t max, size_t *out_len)
{
	*out_len = 0;
	if (len == 0)
		return 0;
	if (sodium_base642bin(out, max, text, len, NULL, out_len, NULL, B64_VARIANT) != 0)
		return -EINVAL;
	return 0;
}

static int b64_decode_exact(const char *text, size_t len, uint8_t *out, size_t want)
{
	size_t got;

	if (b64_decode(text, len, out, want, &got) != 0 || got != want)
		return -EINVAL;
	return 0;
}

/* The next line without its '\n'; -EINVAL when none ends within the header bound. */
static int next_line(struct cursor *c, const char **line, size_t *line_len)
{
	size_t limit = c->len < AGE_HEADER_MAX ? c->len : AGE_HEADER_MAX;
	const uint8_t *nl;

	if (c->pos >= limit)
		return -EINVAL;
	nl = memchr(c->buf + c->pos, '\n', limit - c->pos);
	if (nl == NULL)
		return -EINVAL;
	*line = (const char *)c->buf + c->pos;
	*line_len = (size_t)(nl - (c->buf + c->pos));
	c->pos = (size_t)(nl - c->buf) + 1;
	return 0;
}

/* args[0..len): arguments of visible ASCII separated by single spaces → their count and the
 * extent of the first two. */
static int split_args(const char *args, size_t len, size_t *n, size_t at[2], size_t arg_len[2])
{
	size_t start = 0;

	*n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && args[i] != ' ') {
			if (args[i] < 0x21 || args[i] > 0x7e)
				return -EINVAL;
			continue;
		}
		if (i == start)
			return -EINVAL; /* empty argument */
		if (*n < 2) {
			at[*n] = start;
			arg_len[*n] = i - start;
		}
		(*n)++;
		start = i + 1;
	}
	return *n > 0 ? 0 : -EINVAL;
}

/* Body lines up to the first short one; an X25519 body (s) must be exactly the sealed key. */
static int parse_body(struct cursor *c, struct x25519_stanza *s)
{
	size_t body_len = 0;
	int rc;

	for (;;) {
		uint8_t bytes[B64_LINE_BYTES];
		const char *line;
		size_t line_len, got;

		rc = next_line(c, &line, &line_len);
		if (rc < 0)
			return rc;
		if (line_len > B64_LINE ||
		    b64_decode(line, line_len, bytes, sizeof(bytes), &got) != 0)
			return -EINVAL;
		if (s != NULL) {
			if (got > WRAPPED_LEN - body_len)
				return -EINVAL;
			memcpy(s->wrapped + body_len, bytes, got);
		}
		body_len += got;
		if (line_len < B64_LINE)
			break;
	}
	return s == NULL || body_len == WRAPPED_LEN ? 0 : -EINVAL;
}

/* line is "-> ARGS"; its body follows at c. */
static int parse_stanza(struct cursor *c, const char *line, size_t line_len, struct header *h)
{
	const char *args = line + strlen(STANZA_PREFIX);
	size_t n_args, at[2], arg_len[2];
	struct x25519_stanza *s = NULL;
	int rc;

	rc = split_args(args, line_len - strlen(STANZA_PREFIX), &n_args, at, arg_len);
	if (rc < 0)
		return rc;
	if (++h->n_stanzas > AGE_RECIPIENTS_MAX)
		return -EINVAL;
	if (arg_len[0] == strlen(X25519_TYPE) && memcmp(args, X25519_TYPE, arg_len[0]) == 0) {
		s = &h->x25519[h->n_x25519++];
		if (n_args != 2 ||
		    b64_decode_exact(args + at[1], arg_len[1], s->share, AGE_KEY_LEN))
			return -EINVAL;
	}
	return parse_body(c, s);
}

int age_header_parse(const uint8_t *buf, size_t len, struct header *h)
{
	struct cursor c = {.buf = buf, .len = len, .pos = strlen(VERSION_LINE)};
	const char *line;
	size_t line_len;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len < c.pos || memcmp(buf, VERSION_LINE, c.pos) != 0)
		return -EINVAL;
	for (;;) {
		rc = next_line(&c, &line, &line_len);
		if (rc < 0)
			return rc;
		if (line_len == MAC_LINE && memcmp(line, MAC_PREFIX, strlen(MAC_PREFIX)) == 0)
			break;
		if (line_len < strlen(STANZA_PREFIX) ||
		    memcmp(line, STANZA_PREFIX, strlen(STANZA_PREFIX)) != 0)
			return -EINVAL;
		rc = parse_stanza(&c, line, line_len, h);
		if (rc < 0)
			return rc;
	}
	if (h->n_stanzas == 0)
		return -EINVAL;
	h->mac_input_len = (size_t)(line - (const char *)buf) + strlen(MAC_PREFIX) - 1;
	if (b64_decode_exact(line + strlen(MAC_PREFIX), B64_32, h->mac, MAC_LEN) != 0)
		return -EINVAL;
	h->payload_at = c.pos;
	return 0;
}

/* 0 with the file key, -ENOKEY when s is not for id, -EINVAL for an all-zero shared secret
 * (a low-order share: the spec makes that a hard error, not a mismatch). */
static int unwrap_x25519(const struct age_identity *id, const struct x25519_stanza *s,
			 uint8_t file_key[FILE_KEY_LEN])
{
	uint8_t shared[AGE_KEY_LEN], salt[2 * AGE_KEY_LEN], wrap_key[DERIVED_LEN];
	int rc = 0;

	/* libsodium returns -1 when the result is all zero. */
	if (crypto_scalarmult_curve25519(shared, id->secret_key, s->share) != 0) {
		rc = -EINVAL;
	} else {
		memcpy(salt, s->share, AGE_KEY_LEN);
		memcpy(salt + AGE_KEY_LEN, id->recipient.public_key, AGE_KEY_LEN);
		age_hkdf_sha256(shared, sizeof(shared), salt, sizeof(salt), X25519_INFO, wrap_key);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, s->wrapped,
							      WRAPPED_LEN, NULL, 0, zero_nonce,
							      wrap_key) != 0)
			rc = -ENOKEY;
	}
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wrap_key, sizeof(wrap_key));
	return rc;
}

int age_header_unwrap(const struct age_identity *id, const struct header *h,
		      uint8_t file_key[FILE_KEY_LEN])
{
	for (size_t i = 0; i < h->n_x25519; i++) {
		int rc = unwrap_x25519(id, &h->x25519[i], file_key);

		if (rc != -ENOKEY)
			return rc;
	}
	return -ENOKEY;
}

void age_header_mac(const uint8_t file_key[FILE_KEY_LEN], const uint8_t *header, size_t len,
		    uint8_t mac[MAC_LEN])
{
	uint8_t mac_key[DERIVED_LEN];

	age_hkdf_sha256(file_key, FILE_KEY_LEN, NULL, 0, "header", mac_key);
	crypto_auth_hmacsha256(mac, header, len, mac_key);
	sodium_memzero(mac_key, sizeof(mac_key));
}

void age_chunk_nonce(uint64_t counter, bool last, uint8_t nonce[CHUNK_NONCE_LEN])
{
	memset(nonce, 0, CHUNK_NONCE_LEN);
	for (size_t i = 0; i < sizeof(counter); i++)
		nonce[CHUNK_NONCE_LEN - 2 - i] = (uint8_t)(counter >> (8 * i));
	nonce[CHUNK_NONCE_LEN - 1] = last ? 1 : 0;
}

/* The chunks after the nonce → *plain; the last chunk may be full, and empty only when it is
 * the only one. */
static int decrypt_stream(const uint8_t key[DERIVED_LEN], const uint8_t *sealed, size_t len,
			  uint8_t **plain, size_t *plain_len)
{
	size_t n_chunks = (len + SEALED_CHUNK - 1) / SEALED_CHUNK;
	size_t last_len = len - (n_chunks ? n_chunks - 1 : 0) * SEALED_CHUNK, out_len;
	uint8_t nonce[CHUNK_NONCE_LEN], *out;

	if (n_chunks == 0 || last_len < TAG_LEN || (last_len == TAG_LEN && n_chunks > 1))
		return -EBADMSG;
	out_len = len - n_chunks * TAG_LEN;
	if (out_len > AGE_PAYLOAD_MAX)
		return -EFBIG;
	out = malloc(out_len + 1);
	if (out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n_chunks; i++) {
		bool last = i + 1 == n_chunks;

		age_chunk_nonce(i, last, nonce);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(
			    out + i * CHUNK, NULL, NULL, sealed + i * SEALED_CHUNK,
			    last ? last_len : SEALED_CHUNK, NULL, 0, nonce, key) != 0) {
			age_free_secret(out, out_len + 1);
			return -EBADMSG;
		}
	}
	out[out_len] = '\0';
	*plain = out;
	*plain_len = out_len;
	return 0;
}

static int decrypt_payload(const uint8_t file_key[FILE_KEY_LEN], const uint8_t *payload, size_t len,
			   uint8_t **plain, size_t *plain_len)
{
	uint8_t key[DERIVED_LEN];
	int rc;

	/* The nonce is read with the header: a file cut inside it is malformed, not tampered. */
	if (len < PAYLOAD_NONCE_LEN)
		return -EINVAL;
	age_hkdf_sha256(file_key, FILE_KEY_LEN, payload, PAYLOAD_NONCE_LEN, "payload", key);
	rc = decrypt_stream(key, payload + PAYLOAD_NONCE_LEN, len - PAYLOAD_NONCE_LEN, plain,
			    plain_len);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int age_decrypt(const struct age_identity *id, const void *file, size_t len, uint8_t **plain,
		size_t *plain_len)
{
	struct header *h = malloc(sizeof(*h));
	uint8_t file_key[FILE_KEY_LEN], mac[MAC_LEN];
	int rc;

	*plain = NULL;
	*plain_len = 0;
	if (h == NULL)
		return -ENOMEM;
	rc = age_header_parse(file, len, h);
	if (rc == 0)
		rc = age_header_unwrap(id, h, file_key);
	if (rc == 0) {
		age_header_mac(file_key, file, h->mac_input_len, mac);
		if (sodium_memcmp(mac, h->mac, MAC_LEN) != 0)
			rc = -EBADMSG;
	}
	if (rc == 0)
		rc = decrypt_payload(file_key, (const uint8_t *)file + h->payload_at,
				     len - h->payload_at, plain, plain_len);
	sodium_memzero(file_key, sizeof(file_key));
	free(h);
	return rc;
}

int age_count_stanzas(const void *file, size_t len, size_t *count)
{
	struct header *h = malloc(sizeof(*h));
	int rc;

	*count = 0;
	if (h == NULL)
		return -ENOMEM;
	rc = age_header_parse(file, len, h);
	if (rc == 0)
		*count = h->n_x25519;
	free(h);
	return rc;
}

/* A fresh ephemeral key wraps file_key to r. */
static int wrap_x25519(const struct age_recipient *r, const uint8_t file_key[FILE_KEY_LEN],
		       struct x25519_stanza *s)
{
	uint8_t ephemeral[AGE_KEY_LEN], shared[AGE_KEY_LEN], salt[2 * AGE_KEY_LEN];
	uint8_t wrap_key[DERIVED_LEN];
	int rc = 0;

	randombytes_buf(ephemeral, sizeof(ephemeral));
	if (crypto_scalarmult_curve25519_base(s->share, ephemeral) != 0 ||
	    crypto_scalarmult_curve25519(shared, ephemeral, r->public_key) != 0) {
		rc = -EINVAL; /* a low-order recipient key */
	} else {
		memcpy(salt, s->share, AGE_KEY_LEN);
		memcpy(salt + AGE_KEY_LEN, r->public_key, AGE_KEY_LEN);
		age_hkdf_sha256(shared, sizeof(shared), salt, sizeof(salt), X25519_INFO, wrap_key);
		crypto_aead_chacha20poly1305_ietf_encrypt(s->wrapped, NULL, file_key, FILE_KEY_LEN,
							  NULL, 0, NULL, zero_nonce, wrap_key);
	}
	sodium_memzero(ephemeral, sizeof(ephemeral));
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wrap_key, sizeof(wrap_key));
	return rc;
}

static void put(uint8_t *out, size_t *pos, const void *bytes, size_t n)
{
	memcpy(out + *pos, bytes, n);
	*pos += n;
}

static void put_b64_32(uint8_t *out, size_t *pos, const uint8_t bytes[32])
{
	char text[B64_32 + 1];

	sodium_bin2base64(text, sizeof(text), bytes, 32, B64_VARIANT);
	put(out, pos, text, B64_32);
}

/* The header for n recipients, its MAC included, at out + *pos. */
int age_header_put(const struct age_recipient *recipients, size_t n,
		   const uint8_t file_key[FILE_KEY_LEN], uint8_t *out, size_t *pos)
{
	struct x25519_stanza s;
	uint8_t mac[MAC_LEN];

	put(out, pos, VERSION_LINE, strlen(VERSION_LINE));
	for (size_t i = 0; i < n; i++) {
		int rc = wrap_x25519(&recipients[i], file_key, &s);

		if (rc < 0)
			return rc;
		put(out, pos, STANZA_PREFIX X25519_TYPE " ", strlen(STANZA_PREFIX X25519_TYPE " "));
		put_b64_32(out, pos, s.share);
		put(out, pos, "\n", 1);
		put_b64_32(out, pos, s.wrapped);
		put(out, pos, "\n", 1);
	}
	put(out, pos, MAC_PREFIX, strlen(MAC_PREFIX) - 1);
	age_header_mac(file_key, out, *pos, mac);
	put(out, pos, " ", 1);
	put_b64_32(out, pos, mac);
	put(out, pos, "\n", 1);
	return 0;
}

static void put_payload(const uint8_t file_key[FILE_KEY_LEN], const uint8_t *plain, size_t len,
			size_t n_chunks, uint8_t *out, size_t *pos)
{
	uint8_t nonce[PAYLOAD_NONCE_LEN], key[DERIVED_LEN], chunk_n[CHUNK_NONCE_LEN];

	randombytes_buf(nonce, sizeof(nonce));
	put(out, pos, nonce, sizeof(nonce));
	age_hkdf_sha256(file_key, FILE_KEY_LEN, nonce, sizeof(nonce), "payload", key);
	for (size_t i = 0; i < n_chunks; i++) {
		size_t chunk_len = len - i * CHUNK < CHUNK ? len - i * CHUNK : CHUNK;

		age_chunk_nonce(i, i + 1 == n_chunks, chunk_n);
		crypto_aead_chacha20poly1305_ietf_encrypt(out + *pos, NULL, plain + i * CHUNK,
							  chunk_len, NULL, 0, NULL, chunk_n, key);
		*pos += chunk_len + TAG_LEN;
	}
	sodium_memzero(key, sizeof(key));
}

int age_encrypt(const struct age_recipient *recipients, size_t n, const void *plain, size_t len,
		uint8_t **out, size_t *out_len)
{
	size_t n_chunks = len == 0 ? 1 : (len + CHUNK - 1) / CHUNK, size, pos = 0;
	uint8_t file_key[FILE_KEY_LEN], *buf;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (n == 0 || n > AGE_RECIPIENTS_MAX)
		return -EINVAL;
	if (len > AGE_PAYLOAD_MAX)
		return -EFBIG;
	size = strlen(VERSION_LINE) + n * STANZA_TEXT + MAC_LINE + 1 + PAYLOAD_NONCE_LEN + len +
	       n_chunks * TAG_LEN;
	buf = malloc(size);
	if (buf == NULL)
		return -ENOMEM;
	randombytes_buf(file_key, sizeof(file_key));
	rc = age_header_put(recipients, n, file_key, buf, &pos);
	if (rc == 0)
		put_payload(file_key, plain, len, n_chunks, buf, &pos);
	sodium_memzero(file_key, sizeof(file_key));
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = pos;
	return 0;
}
