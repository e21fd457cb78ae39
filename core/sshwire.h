/* sshwire.h: bounded reader and writer for the SSH wire encoding (RFC 4251 §5: uint32, string,
 * mpint) that key files, key blobs and signatures use. The reader never reads past its buffer:
 * every length is checked against the bytes left, and a failed read leaves the reader unchanged.
 * The writer fills a caller's fixed buffer and remembers an overflow instead of growing. */
#ifndef TAILPOD_SSHWIRE_H
#define TAILPOD_SSHWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sshwire_reader {
	const unsigned char *p;
	size_t left;
};

struct sshwire_writer {
	unsigned char *buf;
	size_t len, cap;
	bool overflow; /* a put did not fit: buf holds a prefix and must not be used */
};

static inline void sshwire_reader_init(struct sshwire_reader *r, const void *data, size_t len)
{
	r->p = data;
	r->left = len;
}

static inline void sshwire_writer_init(struct sshwire_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->len = 0;
	w->cap = cap;
	w->overflow = false;
}

/* All getters: 0, or -EBADMSG when the input is shorter than it claims. */
int sshwire_get_u8(struct sshwire_reader *r, uint8_t *ret);
int sshwire_get_u32(struct sshwire_reader *r, uint32_t *ret);
int sshwire_get_bytes(struct sshwire_reader *r, size_t len, const unsigned char **ret);

/* A string: uint32 length and that many bytes, returned in place (not NUL-terminated). */
int sshwire_get_string(struct sshwire_reader *r, const unsigned char **ret, size_t *ret_len);

/* A string that must equal want exactly: -EBADMSG when it is present but different. */
int sshwire_get_string_eq(struct sshwire_reader *r, const char *want);

/* A string of text copied into buf NUL-terminated: -E2BIG when it does not fit in size bytes
 * with its NUL, -EBADMSG when it holds a NUL. */
int sshwire_get_text(struct sshwire_reader *r, char *buf, size_t size);

/* A non-negative mpint, returned as unsigned big-endian magnitude without leading zero bytes
 * (zero is the empty magnitude). Negative values are -EBADMSG, magnitudes longer than max bytes
 * -E2BIG. */
int sshwire_get_mpint(struct sshwire_reader *r, size_t max, const unsigned char **ret,
		      size_t *ret_len);

void sshwire_put_u32(struct sshwire_writer *w, uint32_t v);
void sshwire_put_bytes(struct sshwire_writer *w, const void *p, size_t len);
void sshwire_put_string(struct sshwire_writer *w, const void *p, size_t len);
void sshwire_put_cstring(struct sshwire_writer *w, const char *s);

/* An mpint from an unsigned big-endian magnitude: leading zeros dropped, one 0x00 added when the
 * top bit is set, so the value stays positive. */
void sshwire_put_mpint(struct sshwire_writer *w, const unsigned char *mag, size_t len);

#endif
