/*
 * sshwire.c: the SSH wire encoding (RFC 4251 §5) for the key parsers and signers. Input comes
 * from files and peers, so every length is compared with what is left before anything is
 * read; on an error the reader has not moved, which keeps callers' error paths simple.
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

int sshwire_get_u8(struct sshwire_reader *r, uint8_t *ret)
{
	const unsigned char *p;
	int k = sshwire_get_bytes(r, 1, &p);

	if (k < 0)
		return k;
	*ret = p[0];
	return 0;
}

int sshwire_get_u32(struct sshwire_reader *r, uint32_t *ret)
{
	const unsigned char *p;
	int k = sshwire_get_bytes(r, 4, &p);

	if (k < 0)
		return k;
	*ret = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
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
	struct sshwire_reader save = *r;
	const unsigned char *p;
	size_t len;
	int k;

	k = sshwire_get_string(r, &p, &len);
	if (k < 0)
		return k;
	if (len != strlen(want) || memcmp(p, want, len) != 0) {
		*r = save;
		return -EBADMSG;
	}
	return 0;
}

int sshwire_get_mpint(struct sshwire_reader *r, size_t max, const unsigned char **ret,
		      size_t *ret_len)
{
	struct sshwire_reader save = *r;
	const unsigned char *p;
	size_t len;
	int k;

	k = sshwire_get_string(r, &p, &len);
	if (k < 0)
		return k;
	k = len > 0 && (p[0] & 0x80) ? -EBADMSG : 0;
	while (k == 0 && len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (k == 0 && len > max)
		k = -E2BIG;
	if (k < 0) {
		*r = save;
		return k;
	}
	*ret = p;
	*ret_len = len;
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
