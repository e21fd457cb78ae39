/*
 * sshwire.c: the SSH wire encoding (RFC 4251 §5) for the key parsers and signers. Input comes
 * from files and peers, so every length is compared with what is left before anything is
 * read; on an error the reader has not moved, which keeps callers' error paths simple (the
 * getters that check what they read work on a copy that is read ahead and kept on success).
 */
#include "sshwire.h"

#include <errno.h>
#include <string.h>

int sshwire_get_bytes(struct sshwire_reader *r, size_t len, const unsigned char **ret)
{
	if (len > r->left)
		return -EBADMSG;
	*ret = r->p;
	r->p += len;
	r->left -= len;
	return 0;
}

/* A big-endian unsigned integer of width bytes (1 to 4). */
static int get_uint(struct sshwire_reader *r, size_t width, uint32_t *ret)
{
	const unsigned char *p;
	uint32_t v = 0;
	int k = sshwire_get_bytes(r, width, &p);

	if (k < 0)
		return k;
	for (size_t i = 0; i < width; i++)
		v = v << 8 | p[i];
	*ret = v;
	return 0;
}

int sshwire_get_u8(struct sshwire_reader *r, uint8_t *ret)
{
	uint32_t v;
	int k = get_uint(r, 1, &v);

	if (k >= 0)
		*ret = (uint8_t)v;
	return k;
}

int sshwire_get_u32(struct sshwire_reader *r, uint32_t *ret)
{
	return get_uint(r, 4, ret);
}

int sshwire_get_string(struct sshwire_reader *r, const unsigned char **ret, size_t *ret_len)
{
	struct sshwire_reader save = *r;
	uint32_t len;
	int k;

	k = sshwire_get_u32(r, &len);
	if (k >= 0)
		k = sshwire_get_bytes(r, len, ret);
	if (k < 0) {
		*r = save;
		return k;
	}
	*ret_len = len;
	return 0;
}

int sshwire_get_string_eq(struct sshwire_reader *r, const char *want)
{
	struct sshwire_reader ahead = *r;
	const unsigned char *p;
	size_t len;

	if (sshwire_get_string(&ahead, &p, &len) < 0 || len != strlen(want) ||
	    memcmp(p, want, len) != 0)
		return -EBADMSG;
	*r = ahead;
	return 0;
}

int sshwire_get_text(struct sshwire_reader *r, char *buf, size_t size)
{
	struct sshwire_reader ahead = *r;
	const unsigned char *p;
	size_t len;

	if (sshwire_get_string(&ahead, &p, &len) < 0)
		return -EBADMSG;
	if (len >= size)
		return -E2BIG;
	if (memchr(p, '\0', len))
		return -EBADMSG;
	memcpy(buf, p, len);
	buf[len] = '\0';
	*r = ahead;
	return 0;
}

int sshwire_get_mpint(struct sshwire_reader *r, size_t max, const unsigned char **ret,
		      size_t *ret_len)
{
	struct sshwire_reader ahead = *r;
	const unsigned char *p;
	size_t len;

	if (sshwire_get_string(&ahead, &p, &len) < 0 || (len > 0 && (p[0] & 0x80)))
		return -EBADMSG;
	while (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (len > max)
		return -E2BIG;
	*ret = p;
	*ret_len = len;
	*r = ahead;
	return 0;
}

void sshwire_put_bytes(struct sshwire_writer *w, const void *p, size_t len)
{
	if (w->overflow || len > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (len > 0)
		memcpy(w->buf + w->len, p, len);
	w->len += len;
}

void sshwire_put_u32(struct sshwire_writer *w, uint32_t v)
{
	unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};

	sshwire_put_bytes(w, b, sizeof(b));
}

void sshwire_put_string(struct sshwire_writer *w, const void *p, size_t len)
{
	if (len > UINT32_MAX) {
		w->overflow = true;
		return;
	}
	sshwire_put_u32(w, (uint32_t)len);
	sshwire_put_bytes(w, p, len);
}

void sshwire_put_cstring(struct sshwire_writer *w, const char *s)
{
	sshwire_put_string(w, s, strlen(s));
}

void sshwire_put_mpint(struct sshwire_writer *w, const unsigned char *mag, size_t len)
{
	static const unsigned char zero = 0;
	bool pad;

	while (len > 0 && mag[0] == 0) {
		mag++;
		len--;
	}
	pad = len > 0 && (mag[0] & 0x80);
	if (len + pad > UINT32_MAX) {
		w->overflow = true;
		return;
	}
	sshwire_put_u32(w, (uint32_t)(len + pad));
	if (pad)
		sshwire_put_bytes(w, &zero, 1);
	sshwire_put_bytes(w, mag, len);
}
