/*
 * sshkey.c: reading SSH private keys. The openssh-key-v1 container (OpenSSH's PROTOCOL.key) is
 * parsed here field by field, every length bounded by what is left; PEM RSA and EC keys go to
 * mbedTLS's parser (sshkey_pem.c). Each key is checked for consistency (the public part is derived
 * from the private one and compared) before use, so a damaged file fails here with a clear error
 * instead of as an authentication failure on the server. Signing is in sshkey_sign.c.
 */
#include "sshkey_impl.h"

#include "core.h"
#include "fs.h"
#include "sshwire.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <sodium/utils.h>

#define OPENSSH_BEGIN	    "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END	    "-----END OPENSSH PRIVATE KEY-----"
#define OPENSSH_MAGIC	    "openssh-key-v1" /* followed by its NUL in the binary */
#define PEM_BEGIN	    "-----BEGIN "
#define PEM_ENCRYPTED_PKCS8 "-----BEGIN ENCRYPTED PRIVATE KEY-----"
#define PEM_DSA		    "-----BEGIN DSA PRIVATE KEY-----"

enum {
	OPENSSH_BLOCK = 8, /* block size of the "none" cipher: section length and padding */
	ED25519_PK = crypto_sign_ed25519_PUBLICKEYBYTES,
	ED25519_SK = crypto_sign_ed25519_SECRETKEYBYTES,
};

static const struct sshkey_kind kinds[] = {
	{SSHKEY_ED25519, "ssh-ed25519", NULL, MBEDTLS_ECP_DP_NONE, MBEDTLS_MD_NONE, 0},
	{SSHKEY_ECDSA_P256, "ecdsa-sha2-nistp256", "nistp256", MBEDTLS_ECP_DP_SECP256R1,
	 MBEDTLS_MD_SHA256, 32},
	{SSHKEY_ECDSA_P384, "ecdsa-sha2-nistp384", "nistp384", MBEDTLS_ECP_DP_SECP384R1,
	 MBEDTLS_MD_SHA384, 48},
	{SSHKEY_ECDSA_P521, "ecdsa-sha2-nistp521", "nistp521", MBEDTLS_ECP_DP_SECP521R1,
	 MBEDTLS_MD_SHA512, 66},
	{SSHKEY_RSA, "ssh-rsa", NULL, MBEDTLS_ECP_DP_NONE, MBEDTLS_MD_NONE, 0},
};

const struct sshkey_kind *sshkey_kind_by_name(const void *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strlen(kinds[i].name) == len && memcmp(kinds[i].name, name, len) == 0)
			return &kinds[i];
	return NULL;
}

const struct sshkey_kind *sshkey_kind_by_grp(mbedtls_ecp_group_id grp)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].curve && kinds[i].grp == grp)
			return &kinds[i];
	return NULL;
}

int sshkey_random(void *unused, unsigned char *buf, size_t len)
{
	(void)unused;
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* any non-zero value is an error to mbedTLS */
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* mbedTLS reports allocation failures in several modules; everything else is the input's fault. */
int sshkey_mbed_error(int mbed, int otherwise)
{
	if (mbed == MBEDTLS_ERR_MPI_ALLOC_FAILED || mbed == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	    mbed == MBEDTLS_ERR_PK_ALLOC_FAILED)
		return -ENOMEM;
	return otherwise;
}

static struct sshkey *sshkey_new(void)
{
	struct sshkey *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	mbedtls_ecp_group_init(&k->grp);
	mbedtls_mpi_init(&k->d);
	mbedtls_rsa_init(&k->rsa);
	return k;
}

void sshkey_free(struct sshkey *k)
{
	if (!k)
		return;
	mbedtls_rsa_free(&k->rsa); /* mbedTLS zeroizes its numbers when freeing them */
	mbedtls_mpi_free(&k->d);
	mbedtls_ecp_group_free(&k->grp);
	sodium_memzero(k, sizeof(*k));
	free(k);
}

static int blob_finish(struct sshkey *k, const struct sshwire_writer *w)
{
	if (w->overflow)
		return -E2BIG;
	k->blob_len = w->len;
	return 0;
}

/* sk is libsodium's layout and OpenSSH's: seed || public key. Re-deriving both from the seed
 * catches a file whose halves do not belong together. */
static int ed25519_import(struct sshkey *k, const unsigned char *pk, const unsigned char *sk)
{
	unsigned char derived_pk[ED25519_PK], derived_sk[ED25519_SK];
	struct sshwire_writer w;
	int r = 0;

	crypto_sign_ed25519_seed_keypair(derived_pk, derived_sk, sk);
	if (memcmp(derived_pk, pk, ED25519_PK) != 0 || memcmp(sk + 32, pk, ED25519_PK) != 0)
		r = -EBADMSG;
	else
		memcpy(k->ed_sk, derived_sk, ED25519_SK);
	sodium_memzero(derived_sk, sizeof(derived_sk));
	if (r < 0)
		return r;
	k->kind = &kinds[0];
	sshwire_writer_init(&w, k->blob, sizeof(k->blob));
	sshwire_put_cstring(&w, k->kind->name);
	sshwire_put_string(&w, pk, ED25519_PK);
	return blob_finish(k, &w);
}

/* Q must be the uncompressed point (what OpenSSH writes) and equal d times the generator. */
static int ec_check_public(struct sshkey *k, const unsigned char *q, size_t qlen)
{
	mbedtls_ecp_point Q, P;
	int m, r = 0;

	mbedtls_ecp_point_init(&Q);
	mbedtls_ecp_point_init(&P);
	m = mbedtls_ecp_point_read_binary(&k->grp, &Q, q, qlen);
	if (m == 0)
		m = mbedtls_ecp_check_pubkey(&k->grp, &Q);
	if (m == 0)
		m = mbedtls_ecp_mul(&k->grp, &P, &k->d, &k->grp.G, sshkey_random, NULL);
	if (m != 0)
		r = sshkey_mbed_error(m, -EBADMSG);
	else if (mbedtls_ecp_point_cmp(&P, &Q) != 0)
		r = -EBADMSG;
	mbedtls_ecp_point_free(&Q);
	mbedtls_ecp_point_free(&P);
	return r;
}

int sshkey_import_ec(struct sshkey *k, const struct sshkey_kind *kind, const unsigned char *q,
		     size_t qlen, const unsigned char *d, size_t dlen)
{
	struct sshwire_writer w;
	int m, r;

	if (qlen != 1 + 2 * kind->coord || q[0] != 0x04 || dlen > kind->coord)
		return -EBADMSG;
	m = mbedtls_ecp_group_load(&k->grp, kind->grp);
	if (m != 0)
		return sshkey_mbed_error(m, -EOPNOTSUPP);
	m = mbedtls_mpi_read_binary(&k->d, d, dlen);
	if (m == 0)
		m = mbedtls_ecp_check_privkey(&k->grp, &k->d);
	if (m != 0)
		return sshkey_mbed_error(m, -EBADMSG);
	r = ec_check_public(k, q, qlen);
	if (r < 0)
		return r;
	k->kind = kind;
	sshwire_writer_init(&w, k->blob, sizeof(k->blob));
	sshwire_put_cstring(&w, kind->name);
	sshwire_put_cstring(&w, kind->curve);
	sshwire_put_string(&w, q, qlen);
	return blob_finish(k, &w);
}

/* The CRT values are recomputed from n, e, d, p, q (OpenSSH's iqmp is not trusted), then
 * mbedTLS checks p*q = n and d*e = 1 modulo p-1 and q-1. */
int sshkey_import_rsa(struct sshkey *k, const struct sshkey_rsa_parts *v)
{
	struct sshwire_writer w;
	size_t bits;
	int m;

	m = mbedtls_rsa_import_raw(&k->rsa, v->n, v->n_len, v->p, v->p_len, v->q, v->q_len, v->d,
				   v->d_len, v->e, v->e_len);
	if (m == 0)
		m = mbedtls_rsa_complete(&k->rsa);
	if (m != 0)
		return sshkey_mbed_error(m, -EBADMSG);
	bits = mbedtls_rsa_get_bitlen(&k->rsa);
	if (bits < SSHKEY_RSA_BITS_MIN || bits > SSHKEY_RSA_BITS_MAX)
		return -ERANGE;
	m = mbedtls_rsa_check_privkey(&k->rsa);
	if (m != 0)
		return sshkey_mbed_error(m, -EBADMSG);
	k->kind = &kinds[ARRAY_SIZE(kinds) - 1];
	sshwire_writer_init(&w, k->blob, sizeof(k->blob));
	sshwire_put_cstring(&w, k->kind->name);
	sshwire_put_mpint(&w, v->e, v->e_len);
	sshwire_put_mpint(&w, v->n, v->n_len);
	return blob_finish(k, &w);
}

static int openssh_ed25519(struct sshkey *k, struct sshwire_reader *r)
{
	const unsigned char *pk, *sk;
	size_t pk_len, sk_len;
	int e;

	if ((e = sshwire_get_string(r, &pk, &pk_len)) < 0 ||
	    (e = sshwire_get_string(r, &sk, &sk_len)) < 0)
		return e;
	if (pk_len != ED25519_PK || sk_len != ED25519_SK)
		return -EBADMSG;
	return ed25519_import(k, pk, sk);
}

static int openssh_ecdsa(struct sshkey *k, const struct sshkey_kind *kind, struct sshwire_reader *r)
{
	const unsigned char *q, *d;
	size_t q_len, d_len;
	int e;

	if ((e = sshwire_get_string_eq(r, kind->curve)) < 0 ||
	    (e = sshwire_get_string(r, &q, &q_len)) < 0 ||
	    (e = sshwire_get_mpint(r, SSHKEY_ECDSA_COORD_MAX, &d, &d_len)) < 0)
		return e;
	return sshkey_import_ec(k, kind, q, q_len, d, d_len);
}

/* OpenSSH's order: n, e, d, iqmp, p, q. */
static int openssh_rsa(struct sshkey *k, struct sshwire_reader *r)
{
	struct sshkey_rsa_parts v;
	const unsigned char *iqmp;
	size_t iqmp_len;
	int e;

	if ((e = sshwire_get_mpint(r, SSHKEY_RSA_BYTES_MAX, &v.n, &v.n_len)) < 0 ||
	    (e = sshwire_get_mpint(r, SSHKEY_RSA_BYTES_MAX, &v.e, &v.e_len)) < 0 ||
	    (e = sshwire_get_mpint(r, SSHKEY_RSA_BYTES_MAX, &v.d, &v.d_len)) < 0 ||
	    (e = sshwire_get_mpint(r, SSHKEY_RSA_BYTES_MAX, &iqmp, &iqmp_len)) < 0 ||
	    (e = sshwire_get_mpint(r, SSHKEY_RSA_BYTES_MAX, &v.p, &v.p_len)) < 0 ||
	    (e = sshwire_get_mpint(r, SSHKEY_RSA_BYTES_MAX, &v.q, &v.q_len)) < 0)
		return e == -E2BIG ? -ERANGE : e;
	return sshkey_import_rsa(k, &v);
}

/* Comment, then padding 1, 2, 3, ... up to the block size, nothing after. */
static int openssh_trailer(struct sshkey *k, struct sshwire_reader *r)
{
	int e = sshwire_get_text(r, k->comment, sizeof(k->comment));

	if (e < 0)
		return e;
	if (r->left >= OPENSSH_BLOCK)
		return -EBADMSG;
	for (size_t i = 0; i < r->left; i++)
		if (r->p[i] != i + 1)
			return -EBADMSG;
	return 0;
}

static int openssh_private(struct sshkey *k, const unsigned char *sect, size_t len)
{
	struct sshwire_reader r;
	const struct sshkey_kind *kind;
	const unsigned char *name;
	uint32_t check1, check2;
	size_t name_len;
	int e;

	sshwire_reader_init(&r, sect, len);
	if ((e = sshwire_get_u32(&r, &check1)) < 0 || (e = sshwire_get_u32(&r, &check2)) < 0 ||
	    (e = sshwire_get_string(&r, &name, &name_len)) < 0)
		return e;
	/* Unequal check ints mean a wrong passphrase in an encrypted file: here, corruption. */
	if (check1 != check2)
		return -EBADMSG;
	kind = sshkey_kind_by_name(name, name_len);
	if (!kind)
		return -EOPNOTSUPP;
	if (kind->type == SSHKEY_ED25519)
		e = openssh_ed25519(k, &r);
	else if (kind->type == SSHKEY_RSA)
		e = openssh_rsa(k, &r);
	else
		e = openssh_ecdsa(k, kind, &r);
	if (e < 0)
		return e;
	return openssh_trailer(k, &r);
}

static bool wire_is(const unsigned char *p, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(p, want, len) == 0;
}

/* Cipher and KDF "none" with empty KDF options; anything else is an encrypted key. */
static int openssh_unencrypted(struct sshwire_reader *r)
{
	const unsigned char *cipher, *kdf, *opts;
	size_t cipher_len, kdf_len, opts_len;
	int e;

	if ((e = sshwire_get_string(r, &cipher, &cipher_len)) < 0 ||
	    (e = sshwire_get_string(r, &kdf, &kdf_len)) < 0 ||
	    (e = sshwire_get_string(r, &opts, &opts_len)) < 0)
		return e;
	if (!wire_is(cipher, cipher_len, "none") || !wire_is(kdf, kdf_len, "none"))
		return -EKEYREJECTED;
	return opts_len == 0 ? 0 : -EBADMSG;
}

static int openssh_parse(struct sshkey *k, const unsigned char *bin, size_t len)
{
	struct sshwire_reader r;
	const unsigned char *magic, *pub, *sect;
	size_t pub_len, sect_len;
	uint32_t nkeys;
	int e;

	sshwire_reader_init(&r, bin, len);
	if (sshwire_get_bytes(&r, sizeof(OPENSSH_MAGIC), &magic) < 0 ||
	    memcmp(magic, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)) != 0)
		return -EBADMSG;
	if ((e = openssh_unencrypted(&r)) < 0 || (e = sshwire_get_u32(&r, &nkeys)) < 0)
		return e;
	if (nkeys != 1) /* OpenSSH writes and reads exactly one key per file */
		return -EBADMSG;
	if ((e = sshwire_get_string(&r, &pub, &pub_len)) < 0 ||
	    (e = sshwire_get_string(&r, &sect, &sect_len)) < 0)
		return e;
	if (r.left != 0 || sect_len % OPENSSH_BLOCK != 0)
		return -EBADMSG;
	e = openssh_private(k, sect, sect_len);
	if (e < 0)
		return e;
	if (pub_len != k->blob_len || memcmp(pub, k->blob, pub_len) != 0)
		return -EBADMSG;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The base64 between the armour lines, whitespace dropped, decoded into a buffer the caller
 * wipes. text starts at the BEGIN line; after the END line only whitespace may follow. */
static int openssh_dearmour(const char *text, size_t len, unsigned char **ret, size_t *ret_len)
{
	const size_t begin = strlen(OPENSSH_BEGIN), end = strlen(OPENSSH_END);
	_cleanup_free_ char *b64 = malloc(len);
	_cleanup_free_ unsigned char *bin = NULL;
	size_t i, n = 0, bin_len = 0;
	int m;
	bool ok;

	if (!b64)
		return -ENOMEM;
	for (i = begin; i < len && text[i] != '-'; i++)
		if (!is_space(text[i]))
			b64[n++] = text[i];
	ok = len - i >= end && memcmp(text + i, OPENSSH_END, end) == 0;
	for (i += end; ok && i < len; i++)
		ok = is_space(text[i]);
	m = ok ? 0 : -1;
	if (m == 0) {
		bin = malloc(n / 4 * 3 + 3);
		m = bin ? mbedtls_base64_decode(bin, n / 4 * 3 + 3, &bin_len, (unsigned char *)b64,
						n)
			: MBEDTLS_ERR_MPI_ALLOC_FAILED;
	}
	sodium_memzero(b64, len);
	if (m != 0) {
		if (bin)
			sodium_memzero(bin, n / 4 * 3 + 3);
		return m == MBEDTLS_ERR_MPI_ALLOC_FAILED ? -ENOMEM : -EBADMSG;
	}
	*ret = TAKE_PTR(bin);
	*ret_len = bin_len;
	return 0;
}

static int openssh_load(struct sshkey *k, const char *text, size_t len)
{
	unsigned char *bin;
	size_t bin_len;
	int r;

	r = openssh_dearmour(text, len, &bin, &bin_len);
	if (r < 0)
		return r;
	r = openssh_parse(k, bin, bin_len);
	sodium_memzero(bin, bin_len);
	free(bin);
	return r;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	return len >= strlen(prefix) && memcmp(s, prefix, strlen(prefix)) == 0;
}

/* No sodium_init(): it selects SIMD implementations for the whole library and links them all in
 * (about 100 KiB on x86_64). The functions used here, crypto_sign_ed25519_{seed_keypair,detached}
 * and sodium_memzero, have no runtime dispatch and no randomness in libsodium 1.0.18 (Ed25519
 * nonces are deterministic); a caller of other libsodium functions must call sodium_init(). */
int sshkey_parse(const void *text, size_t len, struct sshkey **ret)
{
	const char *s = text;
	struct sshkey *k;
	int r;

	if (!text || !ret)
		return -EINVAL;
	if (len > SSHKEY_FILE_MAX)
		return -EFBIG;
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	k = sshkey_new();
	if (!k)
		return -ENOMEM;
	if (starts_with(s, len, OPENSSH_BEGIN))
		r = openssh_load(k, s, len);
	else if (starts_with(s, len, PEM_ENCRYPTED_PKCS8))
		r = -EKEYREJECTED;
	else if (starts_with(s, len, PEM_DSA))
		r = -EOPNOTSUPP;
	else if (starts_with(s, len, PEM_BEGIN))
		r = sshkey_pem_load(k, s, len);
	else
		r = -EBADMSG;
	if (r < 0) {
		sshkey_free(k);
		return r;
	}
	*ret = k;
	return 0;
}

/* The key's bytes are read with FS_READ_SECURE: no copy is left behind in freed memory. */
int sshkey_load(int dirfd, const char *path, uid_t owner, struct sshkey **ret)
{
	const struct fs_trust trust = {.owner = owner, .deny_mode = FS_DENY_SHARED};
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!path || !ret)
		return -EINVAL;
	r = fs_read_trusted(dirfd, path, &trust, SSHKEY_FILE_MAX, FS_READ_SECURE, &text, &len);
	if (r < 0)
		return r;
	r = sshkey_parse(text, len, ret);
	fs_free_wiped(text, len);
	return r;
}

enum sshkey_type sshkey_get_type(const struct sshkey *k)
{
	return k->kind->type;
}

const char *sshkey_type_name(const struct sshkey *k)
{
	return k->kind->name;
}

const unsigned char *sshkey_public_blob(const struct sshkey *k, size_t *ret_len)
{
	*ret_len = k->blob_len;
	return k->blob;
}

const char *sshkey_comment(const struct sshkey *k)
{
	return k->comment;
}

const char *sshkey_strerror(int err)
{
	switch (err) {
	case -EKEYREJECTED:
		return "the key is encrypted; tailpod needs a key without a passphrase "
		       "(ssh-keygen -p -N '' -f KEY removes it)";
	case -EOPNOTSUPP:
		return "unsupported key type or signature algorithm (supported: ssh-ed25519, "
		       "ecdsa-sha2-nistp256/384/521, ssh-rsa signing rsa-sha2-256/512)";
	case -EBADMSG:
		return "malformed or inconsistent private key";
	case -EFBIG:
		return "key file larger than 16 KiB";
	case -ERANGE:
		return "RSA key size outside 1024..8192 bits";
	case -E2BIG:
		return "key comment or field longer than tailpod accepts (comment: 1024 bytes)";
	case -EPERM:
		return "key file not owned by the expected user (root)";
	case -EACCES:
		return "key file readable by group or others (chmod 600 it)";
	default:
		return strerror(-err);
	}
}
