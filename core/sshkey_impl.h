/* sshkey_impl.h: what sshkey.c (OpenSSH keys), sshkey_pem.c (PEM keys) and sshkey_sign.c share
 * and nothing else includes: the key struct, the key types, the checked import functions and the
 * random source for mbedTLS. */
#ifndef TAILPOD_SSHKEY_IMPL_H
#define TAILPOD_SSHKEY_IMPL_H

#include "sshkey.h"

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/rsa.h>
#include <sodium/crypto_sign_ed25519.h>

enum {
	SSHKEY_ECDSA_COORD_MAX = 66, /* P-521 */
	SSHKEY_RSA_BYTES_MAX = SSHKEY_RSA_BITS_MAX / 8,
};

struct sshkey_kind {
	enum sshkey_type type;
	const char *name;	  /* key type in blobs and files */
	const char *curve;	  /* ECDSA: curve name in blobs and files */
	mbedtls_ecp_group_id grp; /* ECDSA: mbedTLS curve */
	mbedtls_md_type_t md;	  /* ECDSA: hash by curve size (RFC 5656 §6.2.1) */
	size_t coord;		  /* ECDSA: bytes of one coordinate */
};

struct sshkey {
	const struct sshkey_kind *kind;
	unsigned char blob[SSHKEY_BLOB_MAX];
	size_t blob_len;
	char comment[SSHKEY_COMMENT_MAX + 1];
	unsigned char ed_sk[crypto_sign_ed25519_SECRETKEYBYTES]; /* seed || public key */
	mbedtls_ecp_group grp;					 /* ECDSA */
	mbedtls_mpi d;						 /* ECDSA private scalar */
	mbedtls_rsa_context rsa;
};

/* Unsigned big-endian magnitudes of an RSA private key. */
struct sshkey_rsa_parts {
	const unsigned char *n, *e, *d, *p, *q;
	size_t n_len, e_len, d_len, p_len, q_len;
};

/* The kind named name (length len), or NULL; the ECDSA kind of an mbedTLS curve, or NULL. */
const struct sshkey_kind *sshkey_kind_by_name(const void *name, size_t len);
const struct sshkey_kind *sshkey_kind_by_grp(mbedtls_ecp_group_id grp);

/* Fill k from key material after checking it (sshkey.c): the public point must be d times the
 * generator; p*q = n and d*e = 1 modulo p-1 and q-1, size within the limits (-ERANGE). */
int sshkey_import_ec(struct sshkey *k, const struct sshkey_kind *kind, const unsigned char *q,
		     size_t qlen, const unsigned char *d, size_t dlen);
int sshkey_import_rsa(struct sshkey *k, const struct sshkey_rsa_parts *v);

/* A PEM key through mbedTLS (sshkey_pem.c); text need not be NUL-terminated. */
int sshkey_pem_load(struct sshkey *k, const char *text, size_t len);

/* -ENOMEM for mbedTLS's allocation failures, otherwise the caller's errno. */
int sshkey_mbed_error(int mbed, int otherwise);

/* mbedTLS's f_rng: the kernel's CSPRNG through getrandom(2), so there is no DRBG state to seed or
 * wipe. Used for RSA and scalar-multiplication blinding; ECDSA nonces are RFC 6979 deterministic.
 */
int sshkey_random(void *unused, unsigned char *buf, size_t len);

#endif
