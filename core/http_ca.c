/*
 * http_ca.c: trust anchors for core/http from a PEM CA bundle. The file streams through a fixed
 * buffer into BearSSL's PEM decoder; each CERTIFICATE block's DER (bounded by HTTP_CERT_MAX) goes
 * through BearSSL's X.509 decoder, and its subject DN and public key become one anchor in one
 * allocation. A certificate BearSSL cannot decode (an unsupported key type) is skipped and
 * counted: skipping can only narrow trust, never widen it. A PEM syntax error fails the whole
 * bundle, since a half-read bundle hides which CAs are trusted. Certificates without the CA flag
 * become direct anchors for that key only (BearSSL's rule), which is how a self-signed server
 * certificate can be trusted on purpose.
 */
#include "http_internal.h"

#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	CA_READ_CHUNK = 16 * 1024,
	CA_DN_MAX = 16 * 1024, /* bytes of one subject DN */
};

struct ca_parse {
	br_pem_decoder_context pem;
	unsigned char der[HTTP_CERT_MAX];
	size_t der_len;
	bool der_overflow;
	bool in_cert;
	struct http_anchors out;
	size_t alloc;
	size_t total;
};

struct dn_buf {
	unsigned char data[CA_DN_MAX];
	size_t len;
	bool overflow;
};

static void der_append(void *ctx, const void *src, size_t len)
{
	struct ca_parse *p = ctx;

	if (len > sizeof(p->der) - p->der_len) {
		p->der_overflow = true;
		return;
	}
	memcpy(p->der + p->der_len, src, len);
	p->der_len += len;
}

static void dn_append(void *ctx, const void *src, size_t len)
{
	struct dn_buf *dn = ctx;

	if (len > sizeof(dn->data) - dn->len) {
		dn->overflow = true;
		return;
	}
	memcpy(dn->data + dn->len, src, len);
	dn->len += len;
}

/* Copy dn and the key into one allocation owned by ta->dn.data. */
static int anchor_fill(br_x509_trust_anchor *ta, const struct dn_buf *dn, const br_x509_pkey *pk)
{
	size_t a = 0, b = 0;
	unsigned char *mem;

	if (pk->key_type == BR_KEYTYPE_RSA) {
		a = pk->key.rsa.nlen;
		b = pk->key.rsa.elen;
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		a = pk->key.ec.qlen;
	} else {
		return 0;
	}
	mem = malloc(dn->len + a + b);
	if (!mem)
		return -ENOMEM;
	memcpy(mem, dn->data, dn->len);
	ta->dn.data = mem;
	ta->dn.len = dn->len;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = memcpy(mem + dn->len, pk->key.rsa.n, a);
		ta->pkey.key.rsa.nlen = a;
		ta->pkey.key.rsa.e = memcpy(mem + dn->len + a, pk->key.rsa.e, b);
		ta->pkey.key.rsa.elen = b;
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = memcpy(mem + dn->len, pk->key.ec.q, a);
		ta->pkey.key.ec.qlen = a;
	}
	return 1;
}

static int ca_add_cert(struct ca_parse *p, struct http_error *err)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	br_x509_trust_anchor ta = {0};
	_cleanup_free_ struct dn_buf *dn = calloc(1, sizeof(*dn));
	int r;

	if (!dn)
		return -ENOMEM;
	if (p->der_overflow) {
		error_detail_set(err, "certificate in CA bundle larger than HTTP_CERT_MAX bytes");
		return -E2BIG;
	}
	br_x509_decoder_init(&dc, dn_append, dn);
	br_x509_decoder_push(&dc, p->der, p->der_len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || dn->overflow) {
		p->out.skipped++;
		return 0;
	}
	if (p->out.n >= HTTP_CA_ANCHORS_MAX) {
		error_detail_set(err, "more than HTTP_CA_ANCHORS_MAX certificates in CA bundle");
		return -E2BIG;
	}
	ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	r = anchor_fill(&ta, dn, pk);
	if (r <= 0) {
		p->out.skipped += r == 0;
		return r;
	}
	if (p->out.n == p->alloc) {
		size_t n = p->alloc ? 2 * p->alloc : 64;
		br_x509_trust_anchor *v = realloc(p->out.v, n * sizeof(*v));
		if (!v) {
			free(ta.dn.data);
			return -ENOMEM;
		}
		p->out.v = v;
		p->alloc = n;
	}
	p->out.v[p->out.n++] = ta;
	return 0;
}

static int ca_event(struct ca_parse *p, int ev, struct http_error *err)
{
	const char *name;

	switch (ev) {
	case BR_PEM_BEGIN_OBJ:
		name = br_pem_decoder_name(&p->pem);
		p->in_cert =
			strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
		p->der_len = 0;
		p->der_overflow = false;
		br_pem_decoder_setdest(&p->pem, p->in_cert ? der_append : NULL, p);
		return 0;
	case BR_PEM_END_OBJ:
		if (!p->in_cert)
			return 0;
		p->in_cert = false;
		return ca_add_cert(p, err);
	case BR_PEM_ERROR:
		error_detail_set(err, "malformed PEM in CA bundle");
		return -EBADMSG;
	default:
		return 0;
	}
}

static int ca_push(struct ca_parse *p, const unsigned char *buf, size_t len, struct http_error *err)
{
	if (len > HTTP_CA_FILE_MAX - p->total) {
		error_detail_set(err, "CA bundle larger than HTTP_CA_FILE_MAX bytes");
		return -E2BIG;
	}
	p->total += len;
	while (len > 0) {
		size_t used = br_pem_decoder_push(&p->pem, buf, len);
		int r = ca_event(p, br_pem_decoder_event(&p->pem), err);
		if (r < 0)
			return r;
		buf += used;
		len -= used;
	}
	return 0;
}

void http_anchors_release(struct http_anchors *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].dn.data);
	free(a->v);
	*a = (struct http_anchors){0};
}

static int ca_finish(struct ca_parse *p, struct http_anchors *ret, struct http_error *err)
{
	/* A last line without its newline still ends the last block. */
	int r = ca_push(p, (const unsigned char *)"\n", 1, err);

	if (r >= 0 && p->in_cert) {
		error_detail_set(err, "CA bundle ends inside a certificate");
		r = -EBADMSG;
	}
	if (r >= 0 && p->out.n == 0) {
		error_detail_set(err, "no usable certificate in CA bundle");
		r = -ENOKEY;
	}
	if (r < 0) {
		http_anchors_release(&p->out);
		return r;
	}
	*ret = p->out;
	return 0;
}

static struct ca_parse *ca_parse_new(void)
{
	struct ca_parse *p = calloc(1, sizeof(*p));

	if (p)
		br_pem_decoder_init(&p->pem);
	return p;
}

int http_anchors_parse(const void *buf, size_t len, struct http_anchors *ret,
		       struct http_error *err)
{
	_cleanup_free_ struct ca_parse *p = ca_parse_new();
	struct http_error dummy;
	int r;

	err = err ? err : &dummy;
	*err = (struct http_error){0};
	if (!p)
		return -ENOMEM;
	r = ca_push(p, buf, len, err);
	if (r < 0) {
		http_anchors_release(&p->out);
		return r;
	}
	return ca_finish(p, ret, err);
}

int http_anchors_load(const char *path, struct http_anchors *ret, struct http_error *err)
{
	_cleanup_free_ struct ca_parse *p = ca_parse_new();
	_cleanup_free_ unsigned char *chunk = malloc(CA_READ_CHUNK);
	_cleanup_close_ int fd = -1;
	struct http_error dummy;
	int r = 0;

	err = err ? err : &dummy;
	*err = (struct http_error){0};
	if (!p || !chunk)
		return -ENOMEM;
	/* Followed on purpose: Fedora's ca-bundle.crt is a symlink into /etc/pki/ca-trust. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, chunk, CA_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		r = ca_push(p, chunk, (size_t)n, err);
		if (r < 0)
			break;
	}
	if (r < 0) {
		http_anchors_release(&p->out);
		return r;
	}
	return ca_finish(p, ret, err);
}

int http_ca_bundle_count(const char *path, size_t *ret_count, struct http_error *err)
{
	struct http_anchors anchors = {0};
	int r = http_anchors_load(path, &anchors, err);

	if (r >= 0)
		*ret_count = anchors.n;
	http_anchors_release(&anchors);
	return r;
}
