/*
 * sshkey_pem.c: PEM private keys (PKCS#1 "BEGIN RSA PRIVATE KEY", SEC1 "BEGIN EC PRIVATE KEY",
 * unencrypted PKCS#8 "BEGIN PRIVATE KEY") through mbedTLS's parser. The key is exported from
 * mbedTLS and imported again through the checks sshkey.c applies to OpenSSH keys, so both
 * formats end up in the same validated form.
 */
#include "sshkey_impl.h"

#include "core.h"

#include <errno.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <sodium/utils.h>

/* A PEM RSA key, exported from mbedTLS and re-imported through the same checks as OpenSSH's. */
static int pem_rsa(struct sshkey *k, const mbedtls_rsa_context *src)
{
	unsigned char buf[5][SSHKEY_RSA_BYTES_MAX];
	size_t len = mbedtls_rsa_get_len(src);
	struct sshkey_rsa_parts v = {buf[0], buf[1], buf[2], buf[3], buf[4],
				     len,    len,    len,    len,    len};
	int m, r;

	if (len > SSHKEY_RSA_BYTES_MAX || len * 8 < SSHKEY_RSA_BITS_MIN)
		return -ERANGE;
	m = mbedtls_rsa_export_raw(src, buf[0], len, buf[3], len, buf[4], len, buf[2], len, buf[1],
				   len);
	r = m != 0 ? sshkey_mbed_error(m, -EBADMSG) : sshkey_import_rsa(k, &v);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

static int pem_ec(struct sshkey *k, const mbedtls_ecp_keypair *src)
{
	const struct sshkey_kind *kind = sshkey_kind_by_grp(mbedtls_ecp_keypair_get_group_id(src));
	unsigned char q[1 + 2 * SSHKEY_ECDSA_COORD_MAX], d[SSHKEY_ECDSA_COORD_MAX];
	mbedtls_ecp_group grp;
	mbedtls_ecp_point Q;
	mbedtls_mpi dm;
	size_t q_len = 0;
	int m, r;

	if (!kind)
		return -EOPNOTSUPP;
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&Q);
	mbedtls_mpi_init(&dm);
	m = mbedtls_ecp_export(src, &grp, &dm, &Q);
	if (m == 0)
		m = mbedtls_ecp_point_write_binary(&grp, &Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &q_len, q,
						   sizeof(q));
	if (m == 0)
		m = mbedtls_mpi_write_binary(&dm, d, kind->coord);
	r = m != 0 ? sshkey_mbed_error(m, -EBADMSG)
		   : sshkey_import_ec(k, kind, q, q_len, d, kind->coord);
	sodium_memzero(d, sizeof(d));
	mbedtls_mpi_free(&dm);
	mbedtls_ecp_point_free(&Q);
	mbedtls_ecp_group_free(&grp);
	return r;
}

static int pem_error(int m)
{
	if (m == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || m == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
		return -EKEYREJECTED;
	if (m == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG || m == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE)
		return -EOPNOTSUPP;
	return sshkey_mbed_error(m, -EBADMSG);
}

/* mbedTLS wants the PEM text NUL-terminated, with the NUL counted. */
int sshkey_pem_load(struct sshkey *k, const char *text, size_t len)
{
	_cleanup_free_ unsigned char *copy = malloc(len + 1);
	mbedtls_pk_context pk;
	int m, r;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	mbedtls_pk_init(&pk);
	m = mbedtls_pk_parse_key(&pk, copy, len + 1, NULL, 0, sshkey_random, NULL);
	sodium_memzero(copy, len + 1);
	if (m != 0)
		r = pem_error(m);
	else if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA)
		r = pem_rsa(k, mbedtls_pk_rsa(pk));
	else if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_ECKEY)
		r = pem_ec(k, mbedtls_pk_ec(pk));
	else
		r = -EOPNOTSUPP;
	mbedtls_pk_free(&pk);
	return r;
}
