/*
 * age_stream.c: age v1 as pipeline stages (stream.h) — the same file age_encrypt() writes and
 * age_decrypt() reads, but one 64 KiB STREAM chunk at a time. The sink holds a full chunk back
 * until more data arrives, because the last chunk carries the last-chunk flag and may be full
 * (it is empty only when the whole payload is). The source reads one byte past each sealed chunk
 * to know whether it is the last, and returns a chunk's bytes only after it authenticated, so a
 * caller may see the good prefix of a tampered file but never an unauthenticated byte; a file
 * that ends without a chunk flagged last is -EBADMSG. File and payload keys are wiped on free.
 */
#include "age_internal.h"
#include "stream.h"

#include "core.h"

#include <errno.h>
#include <string.h>

#include <sodium/randombytes.h>

enum { HEADER_READ_STEP = 4096 };

struct age_sink {
	struct sink sink;
	struct sink *next;
	uint8_t *header; /* header and payload nonce, written before the first chunk */
	size_t header_len;
	uint8_t key[DERIVED_LEN]; /* payload key */
	uint64_t counter;
	bool finished;
	size_t fill;
	uint8_t plain[CHUNK];
	uint8_t sealed[SEALED_CHUNK];
};

struct age_source {
	struct source source;
	struct source *next;
	struct age_identity id; /* wiped once the header is opened */
	bool opened, ended;
	int error; /* sticky: a stream that failed stays failed */
	uint8_t key[DERIVED_LEN];
	uint64_t counter;
	size_t sealed_fill, plain_pos, plain_len;
	uint8_t sealed[SEALED_CHUNK + 1]; /* one byte of look-ahead past a chunk */
	uint8_t plain[CHUNK];
};

static int age_sink_header_out(struct age_sink *a)
{
	int rc;

	if (a->header == NULL)
		return 0;
	rc = a->next->write(a->next, a->header, a->header_len);
	free(a->header);
	a->header = NULL;
	return rc;
}

static int age_sink_seal(struct age_sink *a, bool last)
{
	uint8_t nonce[CHUNK_NONCE_LEN];
	int rc = age_sink_header_out(a);

	if (rc < 0)
		return rc;
	age_chunk_nonce(a->counter++, last, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(a->sealed, NULL, a->plain, a->fill, NULL, 0, NULL,
						  nonce, a->key);
	rc = a->next->write(a->next, a->sealed, a->fill + TAG_LEN);
	a->fill = 0;
	return rc;
}

static int age_sink_write(struct sink *s, const void *buf, size_t len)
{
	struct age_sink *a = (struct age_sink *)s;

	if (a->finished)
		return -EINVAL;
	while (len > 0) {
		size_t step;

		if (a->fill == CHUNK) {
			int rc = age_sink_seal(a, false);

			if (rc < 0)
				return rc;
		}
		step = len < CHUNK - a->fill ? len : CHUNK - a->fill;
		memcpy(a->plain + a->fill, buf, step);
		a->fill += step;
		buf = (const uint8_t *)buf + step;
		len -= step;
	}
	return 0;
}

static int age_sink_finish(struct sink *s)
{
	struct age_sink *a = (struct age_sink *)s;

	if (!a->finished) {
		int rc = age_sink_seal(a, true);

		if (rc < 0)
			return rc;
		a->finished = true;
	}
	return a->next->finish(a->next);
}

static void age_sink_free(struct sink *s)
{
	struct age_sink *a = (struct age_sink *)s;

	free(a->header);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

/* The header and the payload nonce into a->header; the payload key into a->key. */
static int age_sink_start(struct age_sink *a, const struct age_recipient *r, size_t n)
{
	uint8_t file_key[FILE_KEY_LEN];
	size_t pos = 0;
	int rc;

	a->header = malloc(AGE_HEADER_TEXT_LEN(n) + PAYLOAD_NONCE_LEN);
	if (a->header == NULL)
		return -ENOMEM;
	randombytes_buf(file_key, sizeof(file_key));
	rc = age_header_put(r, n, file_key, a->header, &pos);
	if (rc == 0) {
		randombytes_buf(a->header + pos, PAYLOAD_NONCE_LEN);
		age_hkdf_sha256(file_key, FILE_KEY_LEN, a->header + pos, PAYLOAD_NONCE_LEN,
				"payload", a->key);
		a->header_len = pos + PAYLOAD_NONCE_LEN;
	}
	sodium_memzero(file_key, sizeof(file_key));
	return rc;
}

int sink_age_new(struct sink *next, const struct age_recipient *r, size_t n, struct sink **out)
{
	struct age_sink *a;
	int rc;

	*out = NULL;
	if (n == 0 || n > AGE_RECIPIENTS_MAX)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->sink = (struct sink){
		.write = age_sink_write, .finish = age_sink_finish, .free = age_sink_free};
	a->next = next;
	rc = age_sink_start(a, r, n);
	if (rc < 0) {
		age_sink_free(&a->sink);
		return rc;
	}
	*out = &a->sink;
	return 0;
}

/* Up to want bytes from next, fewer only at its end. */
static int read_full(struct source *next, uint8_t *buf, size_t want, size_t *got)
{
	*got = 0;
	while (*got < want) {
		size_t n;
		int rc = next->read(next, buf + *got, want - *got, &n);

		if (rc < 0)
			return rc;
		if (n == 0)
			break;
		*got += n;
	}
	return 0;
}

/* Header bytes until they parse (or the bound or the end is reached) → *h, *len read. */
static int age_source_read_header(struct age_source *a, uint8_t *buf, struct header *h, size_t *len)
{
	int rc = -EINVAL;

	*len = 0;
	while (*len < AGE_HEADER_MAX) {
		size_t step = AGE_HEADER_MAX - *len < HEADER_READ_STEP ? AGE_HEADER_MAX - *len
								       : HEADER_READ_STEP;
		size_t got;
		int rrc = read_full(a->next, buf + *len, step, &got);

		if (rrc < 0)
			return rrc;
		*len += got;
		rc = age_header_parse(buf, *len, h);
		if (rc == 0 || got < step)
			break;
	}
	return rc;
}

/* The header and the payload nonce: payload key into a->key, bytes read past the nonce kept
 * in a->sealed. */
static int age_source_open_with(struct age_source *a, uint8_t *buf, struct header *h)
{
	uint8_t file_key[FILE_KEY_LEN], mac[MAC_LEN];
	size_t len, extra;
	int rc = age_source_read_header(a, buf, h, &len);

	if (rc < 0)
		return rc;
	extra = len - h->payload_at;
	if (extra < PAYLOAD_NONCE_LEN) {
		size_t got;

		rc = read_full(a->next, buf + len, PAYLOAD_NONCE_LEN - extra, &got);
		if (rc < 0)
			return rc;
		if (got < PAYLOAD_NONCE_LEN - extra)
			return -EINVAL; /* cut inside the nonce: malformed, as age_decrypt() says */
		len += got;
		extra += got;
	}
	rc = age_header_unwrap(&a->id, h, file_key);
	if (rc == 0) {
		age_header_mac(file_key, buf, h->mac_input_len, mac);
		if (sodium_memcmp(mac, h->mac, MAC_LEN) != 0)
			rc = -EBADMSG;
	}
	if (rc == 0)
		age_hkdf_sha256(file_key, FILE_KEY_LEN, buf + h->payload_at, PAYLOAD_NONCE_LEN,
				"payload", a->key);
	sodium_memzero(file_key, sizeof(file_key));
	a->sealed_fill = extra - PAYLOAD_NONCE_LEN;
	memcpy(a->sealed, buf + h->payload_at + PAYLOAD_NONCE_LEN, a->sealed_fill);
	return rc;
}

static int age_source_open(struct age_source *a)
{
	/* Room for a header that parses at the bound plus the nonce read after it. */
	uint8_t *buf = malloc(AGE_HEADER_MAX + PAYLOAD_NONCE_LEN);
	struct header *h = malloc(sizeof(*h));
	int rc = -ENOMEM;

	if (buf != NULL && h != NULL)
		rc = age_source_open_with(a, buf, h);
	age_identity_wipe(&a->id);
	free(buf);
	free(h);
	a->opened = true;
	return rc;
}

/* The next sealed chunk → a->plain; the last one (ending the source) sets a->ended. */
static int age_source_next_chunk(struct age_source *a)
{
	uint8_t nonce[CHUNK_NONCE_LEN];
	size_t got, sealed_len;
	bool last;
	int rc = read_full(a->next, a->sealed + a->sealed_fill, sizeof(a->sealed) - a->sealed_fill,
			   &got);

	if (rc < 0)
		return rc;
	a->sealed_fill += got;
	last = a->sealed_fill <= SEALED_CHUNK;
	sealed_len = last ? a->sealed_fill : SEALED_CHUNK;
	/* Empty chunks carry no data: only an empty payload's single chunk may be one. */
	if (sealed_len < TAG_LEN || (sealed_len == TAG_LEN && a->counter > 0))
		return -EBADMSG;
	age_chunk_nonce(a->counter++, last, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(a->plain, NULL, NULL, a->sealed, sealed_len,
						      NULL, 0, nonce, a->key) != 0)
		return -EBADMSG;
	a->plain_len = sealed_len - TAG_LEN;
	a->plain_pos = 0;
	a->ended = last;
	a->sealed_fill -= sealed_len;
	memmove(a->sealed, a->sealed + sealed_len, a->sealed_fill);
	return 0;
}

static int age_source_read(struct source *s, void *buf, size_t len, size_t *got)
{
	struct age_source *a = (struct age_source *)s;
	size_t n;

	*got = 0;
	if (a->error == 0 && !a->opened)
		a->error = age_source_open(a);
	while (a->error == 0 && a->plain_pos == a->plain_len && !a->ended)
		a->error = age_source_next_chunk(a);
	if (a->error < 0)
		return a->error;
	n = len < a->plain_len - a->plain_pos ? len : a->plain_len - a->plain_pos;
	memcpy(buf, a->plain + a->plain_pos, n);
	a->plain_pos += n;
	*got = n;
	return 0;
}

static void age_source_free(struct source *s)
{
	sodium_memzero(s, sizeof(struct age_source));
	free(s);
}

int source_age_new(struct source *next, const struct age_identity *id, struct source **out)
{
	struct age_source *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL)
		return -ENOMEM;
	a->source = (struct source){.read = age_source_read, .free = age_source_free};
	a->next = next;
	a->id = *id;
	*out = &a->source;
	return 0;
}
