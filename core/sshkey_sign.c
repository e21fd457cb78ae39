/*
 * sshkey_sign.c: signatures for SSH public-key authentication (RFC 4252 §7) in the raw form a
 * libssh2 sign callback returns; libssh2 wraps them as "string algorithm, string signature"
 * itself. Ed25519 (RFC 8709) goes through libsodium, ECDSA (RFC 5656) and RSA (RFC 8332) through
 * mbedTLS. The RSA hash is chosen by the algorithm name, which sshkey_sign_userauth() reads from
 * the request libssh2 asks us to sign, because the custom-credential path gives no other way to
 * learn what libssh2 negotiated.
 */
#include "sshkey_impl.h"

#include "core.h"
#include "sshwire.h"

#include <errno.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>

enum {
	SSH_MSG_USERAUTH_REQUEST = 50,
	ECDSA_SIG_MAX = 2 * (4 + 1 + 66), /* two mpints of P-521 size with a sign byte */
};

static int sign_ed25519(const struct sshkey *k, const void *data, size_t len,
			unsigned char **ret_sig, size_t *ret_len)
{
	unsigned char *sig = malloc(crypto_sign_ed25519_BYTES);

	if (!sig)
		return -ENOMEM;
	if (crypto_sign_ed25519_detached(sig, NULL, data, len, k->ed_sk) != 0) {
		free(sig);
		return -EIO;
	}
	*ret_sig = sig;
	*ret_len = crypto_sign_ed25519_BYTES;
	return 0;
}

static int hash_data(mbedtls_md_type_t md, const void *data, size_t len,
		     unsigned char out[MBEDTLS_MD_MAX_SIZE], size_t *ret_len)
{
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);

	if (!info)
		return -EOPNOTSUPP;
	if (mbedtls_md(info, data, len, out) != 0)
		return -EIO;
	*ret_len = mbedtls_md_get_size(info);
	return 0;
}

static int copy_out(const void *p, size_t len, unsigned char **ret_sig, size_t *ret_len)
{
	unsigned char *sig = malloc(len);

	if (!sig)
		return -ENOMEM;
	memcpy(sig, p, len);
	*ret_sig = sig;
	*ret_len = len;
	return 0;
}

/* "mpint r, mpint s" over the curve's hash, nonce per RFC 6979. */
static int sign_ecdsa(struct sshkey *k, const void *data, size_t len, unsigned char **ret_sig,
		      size_t *ret_len)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE], rb[66], sb[66], out[ECDSA_SIG_MAX];
	size_t hash_len, coord = k->kind->coord;
	struct sshwire_writer w;
	mbedtls_mpi r, s;
	int m, e;

	e = hash_data(k->kind->md, data, len, hash, &hash_len);
	if (e < 0)
		return e;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	m = mbedtls_ecdsa_sign_det_ext(&k->grp, &r, &s, &k->d, hash, hash_len, k->kind->md,
				       sshkey_random, NULL);
	if (m == 0)
		m = mbedtls_mpi_write_binary(&r, rb, coord);
	if (m == 0)
		m = mbedtls_mpi_write_binary(&s, sb, coord);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	if (m != 0)
		return m == MBEDTLS_ERR_MPI_ALLOC_FAILED ? -ENOMEM : -EIO;
	sshwire_writer_init(&w, out, sizeof(out));
	sshwire_put_mpint(&w, rb, coord);
	sshwire_put_mpint(&w, sb, coord);
	if (w.overflow)
		return -EIO;
	return copy_out(out, w.len, ret_sig, ret_len);
}

/* PKCS#1 v1.5 over SHA-256 or SHA-512; SHA-1 ("ssh-rsa") is not offered. */
static int sign_rsa(struct sshkey *k, const char *alg, const void *data, size_t len,
		    unsigned char **ret_sig, size_t *ret_len)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	size_t hash_len, sig_len = mbedtls_rsa_get_len(&k->rsa);
	mbedtls_md_type_t md;
	unsigned char *sig;
	int e;

	if (strcmp(alg, "rsa-sha2-256") == 0)
		md = MBEDTLS_MD_SHA256;
	else if (strcmp(alg, "rsa-sha2-512") == 0)
		md = MBEDTLS_MD_SHA512;
	else
		return -EOPNOTSUPP;
	e = hash_data(md, data, len, hash, &hash_len);
	if (e < 0)
		return e;
	sig = malloc(sig_len);
	if (!sig)
		return -ENOMEM;
	if (mbedtls_rsa_pkcs1_sign(&k->rsa, sshkey_random, NULL, md, (unsigned int)hash_len, hash,
				   sig) != 0) {
		free(sig);
		return -EIO;
	}
	*ret_sig = sig;
	*ret_len = sig_len;
	return 0;
}

int sshkey_sign(struct sshkey *k, const char *alg, const void *data, size_t len,
		unsigned char **ret_sig, size_t *ret_len)
{
	static const unsigned char empty;

	if (!k || !alg || (!data && len > 0) || !ret_sig || !ret_len)
		return -EINVAL;
	if (!data)
		data = &empty;
	if (k->kind->type == SSHKEY_RSA)
		return sign_rsa(k, alg, data, len, ret_sig, ret_len);
	if (strcmp(alg, k->kind->name) != 0)
		return -EOPNOTSUPP;
	if (k->kind->type == SSHKEY_ED25519)
		return sign_ed25519(k, data, len, ret_sig, ret_len);
	return sign_ecdsa(k, data, len, ret_sig, ret_len);
}

/* What libssh2 signs (userauth.c, _libssh2_userauth_publickey): string session id, byte
 * SSH_MSG_USERAUTH_REQUEST, string user, string service, string "publickey", TRUE, string
 * algorithm, string public key blob. */
static int userauth_alg(const struct sshkey *k, const void *data, size_t len,
			char ret_alg[SSHKEY_ALG_MAX])
{
	const unsigned char *skip, *blob;
	size_t skip_len, blob_len;
	struct sshwire_reader r;
	uint8_t type, has_sig;

	sshwire_reader_init(&r, data, len);
	if (sshwire_get_string(&r, &skip, &skip_len) < 0 || sshwire_get_u8(&r, &type) < 0 ||
	    sshwire_get_string(&r, &skip, &skip_len) < 0 ||
	    sshwire_get_string(&r, &skip, &skip_len) < 0 ||
	    sshwire_get_string_eq(&r, "publickey") < 0 || sshwire_get_u8(&r, &has_sig) < 0 ||
	    sshwire_get_text(&r, ret_alg, SSHKEY_ALG_MAX) < 0 ||
	    sshwire_get_string(&r, &blob, &blob_len) < 0)
		return -EBADMSG;
	if (type != SSH_MSG_USERAUTH_REQUEST || has_sig != 1 || r.left != 0 || !ret_alg[0])
		return -EBADMSG;
	if (blob_len != k->blob_len || memcmp(blob, k->blob, blob_len) != 0)
		return -EBADMSG;
	return 0;
}

int sshkey_sign_userauth(struct sshkey *k, const void *data, size_t len, unsigned char **ret_sig,
			 size_t *ret_len)
{
	char alg[SSHKEY_ALG_MAX];
	int r;

	if (!k || !data || !ret_sig || !ret_len)
		return -EINVAL;
	r = userauth_alg(k, data, len, alg);
	if (r < 0)
		return r;
	return sshkey_sign(k, alg, data, len, ret_sig, ret_len);
}
