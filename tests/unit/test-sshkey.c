/* test-sshkey.c: SSH private keys made by the real ssh-keygen at test time (OpenSSH format, PEM,
 * PKCS#8, encrypted), public blobs compared with `ssh-keygen -y`, signatures checked twice: by an
 * independent verifier on the parsed public blob, and by OpenSSH itself (`ssh-keygen -Y
 * check-novalidate` on an SSHSIG wrapped around our raw signature). Damaged keys: every byte
 * mutated and every truncation must fail cleanly or yield the very same key. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/rsa.h>
#include <sodium/crypto_sign_ed25519.h>

#include "sshkey.h"
#include "sshwire.h"

struct keyfile {
	const char *name, *keygen, *type, *comment;
};

static const struct keyfile keys[] = {
	{"ed25519", "-t ed25519", "ssh-ed25519", "t@ed25519"},
	{"ecdsa256", "-t ecdsa -b 256", "ecdsa-sha2-nistp256", "t@ecdsa256"},
	{"ecdsa384", "-t ecdsa -b 384", "ecdsa-sha2-nistp384", "t@ecdsa384"},
	{"ecdsa521", "-t ecdsa -b 521", "ecdsa-sha2-nistp521", "t@ecdsa521"},
	{"rsa", "-t rsa -b 2048", "ssh-rsa", "t@rsa"},
	{"rsa-pem", "-t rsa -b 2048 -m PEM", "ssh-rsa", ""},
	{"rsa-pkcs8", "-t rsa -b 3072 -m PKCS8", "ssh-rsa", ""},
	{"ecdsa-pem", "-t ecdsa -b 256 -m PEM", "ecdsa-sha2-nistp256", ""},
	{"ecdsa-pkcs8", "-t ecdsa -b 384 -m PKCS8", "ecdsa-sha2-nistp384", ""},
};

static char dir[] = "/tmp/tailpod-test-sshkey.XXXXXX";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (sh("ssh-keygen -q %s -N '' -C '%s' -f %s/%s", keys[i].keygen, keys[i].comment,
		       dir, keys[i].name) != 0)
			return -1;
	if (sh("ssh-keygen -q -t ed25519 -N secret -f %s/enc-openssh", dir) != 0 ||
	    sh("ssh-keygen -q -t rsa -b 2048 -m PEM -N secret -f %s/enc-pem", dir) != 0 ||
	    sh("ssh-keygen -q -t rsa -b 2048 -m PKCS8 -N secret -f %s/enc-pkcs8", dir) != 0 ||
	    sh("ssh-keygen -q -t dsa -N '' -f %s/dsa && ssh-keygen -q -t dsa -m PEM -N '' -f "
	       "%s/dsa-pem",
	       dir, dir) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return sh("rm -rf %s", dir) == 0 ? 0 : -1;
}

static char *read_text(const char *name, size_t *ret_len)
{
	char path[256], *buf = malloc(65536);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(buf);
	*ret_len = fread(buf, 1, 65535, f);
	buf[*ret_len] = '\0';
	fclose(f);
	return buf;
}

static size_t b64_decode(const char *b64, size_t len, unsigned char *out, size_t cap)
{
	size_t n = 0;

	assert_int_equal(mbedtls_base64_decode(out, cap, &n, (const unsigned char *)b64, len), 0);
	return n;
}

/* The blob OpenSSH derives: second field of `ssh-keygen -y -f KEY`. */
static size_t keygen_public_blob(const char *name, unsigned char *out, size_t cap)
{
	char cmd[512], line[4096], *b64, *end;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -y -f %s/%s", dir, name);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	b64 = strchr(line, ' ');
	assert_non_null(b64);
	b64++;
	end = strpbrk(b64, " \n");
	return b64_decode(b64, end ? (size_t)(end - b64) : strlen(b64), out, cap);
}

static void get_string(struct sshwire_reader *r, const unsigned char **p, size_t *len)
{
	assert_int_equal(sshwire_get_string(r, p, len), 0);
}

static void hash_of(mbedtls_md_type_t md, const void *data, size_t len, unsigned char *out)
{
	assert_int_equal(mbedtls_md(mbedtls_md_info_from_type(md), data, len, out), 0);
}

static void verify_ecdsa(struct sshwire_reader *blob, const void *data, size_t len,
			 const unsigned char *sig, size_t sig_len)
{
	const unsigned char *curve, *q, *rb, *sb;
	size_t curve_len, q_len, r_len, s_len;
	unsigned char hash[64];
	struct sshwire_reader sr;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point Q;
	mbedtls_mpi r, s;
	mbedtls_md_type_t md;

	get_string(blob, &curve, &curve_len);
	get_string(blob, &q, &q_len);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&Q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	md = memcmp(curve, "nistp256", 8) == 0	 ? MBEDTLS_MD_SHA256
	     : memcmp(curve, "nistp384", 8) == 0 ? MBEDTLS_MD_SHA384
						 : MBEDTLS_MD_SHA512;
	assert_int_equal(
		mbedtls_ecp_group_load(&grp, md == MBEDTLS_MD_SHA256   ? MBEDTLS_ECP_DP_SECP256R1
					     : md == MBEDTLS_MD_SHA384 ? MBEDTLS_ECP_DP_SECP384R1
								       : MBEDTLS_ECP_DP_SECP521R1),
		0);
	assert_int_equal(mbedtls_ecp_point_read_binary(&grp, &Q, q, q_len), 0);
	sshwire_reader_init(&sr, sig, sig_len);
	assert_int_equal(sshwire_get_mpint(&sr, 66, &rb, &r_len), 0);
	assert_int_equal(sshwire_get_mpint(&sr, 66, &sb, &s_len), 0);
	assert_int_equal(sr.left, 0);
	assert_int_equal(mbedtls_mpi_read_binary(&r, rb, r_len), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&s, sb, s_len), 0);
	hash_of(md, data, len, hash);
	assert_int_equal(
		mbedtls_ecdsa_verify(&grp, hash, mbedtls_md_get_size_from_type(md), &Q, &r, &s), 0);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_point_free(&Q);
	mbedtls_ecp_group_free(&grp);
}

static void verify_rsa(struct sshwire_reader *blob, const char *alg, const void *data, size_t len,
		       const unsigned char *sig, size_t sig_len)
{
	mbedtls_md_type_t md =
		strcmp(alg, "rsa-sha2-256") == 0 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA512;
	const unsigned char *e, *n;
	size_t e_len, n_len;
	unsigned char hash[64];
	mbedtls_rsa_context rsa;

	assert_int_equal(sshwire_get_mpint(blob, 1024, &e, &e_len), 0);
	assert_int_equal(sshwire_get_mpint(blob, 1024, &n, &n_len), 0);
	mbedtls_rsa_init(&rsa);
	assert_int_equal(
		mbedtls_rsa_import_raw(&rsa, n, n_len, NULL, 0, NULL, 0, NULL, 0, e, e_len), 0);
	assert_int_equal(mbedtls_rsa_complete(&rsa), 0);
	assert_int_equal(sig_len, mbedtls_rsa_get_len(&rsa));
	hash_of(md, data, len, hash);
	assert_int_equal(
		mbedtls_rsa_pkcs1_verify(&rsa, md, mbedtls_md_get_size_from_type(md), hash, sig),
		0);
	mbedtls_rsa_free(&rsa);
}

/* Check sig over data with nothing but the public blob. */
static void verify(const unsigned char *blob, size_t blob_len, const char *alg, const void *data,
		   size_t len, const unsigned char *sig, size_t sig_len)
{
	struct sshwire_reader r;
	const unsigned char *type, *pk;
	size_t type_len, pk_len;

	sshwire_reader_init(&r, blob, blob_len);
	get_string(&r, &type, &type_len);
	if (type_len == 11 && memcmp(type, "ssh-ed25519", 11) == 0) {
		get_string(&r, &pk, &pk_len);
		assert_int_equal(sig_len, 64);
		assert_int_equal(crypto_sign_ed25519_verify_detached(sig, data, len, pk), 0);
	} else if (type_len == 7 && memcmp(type, "ssh-rsa", 7) == 0) {
		verify_rsa(&r, alg, data, len, sig, sig_len);
	} else {
		verify_ecdsa(&r, data, len, sig, sig_len);
	}
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* PROTOCOL.sshsig: OpenSSH verifies "SSHSIG", namespace, reserved, hash alg, H(message) signed
 * with our raw signature wrapped as "string alg, string sig". */
static int sshsig_verify(struct sshkey *k, const char *alg, const char *msg, const char *checked)
{
	unsigned char h[64], tbs[256], inner[2048], outer[4096], b64[6000];
	struct sshwire_writer w, iw, ow;
	const unsigned char *blob;
	unsigned char *sig;
	size_t blob_len, sig_len, b64_len;
	char armour[7000];
	int n = 0;

	hash_of(MBEDTLS_MD_SHA512, msg, strlen(msg), h);
	sshwire_writer_init(&w, tbs, sizeof(tbs));
	sshwire_put_bytes(&w, "SSHSIG", 6);
	sshwire_put_cstring(&w, "tailpod");
	sshwire_put_cstring(&w, "");
	sshwire_put_cstring(&w, "sha512");
	sshwire_put_string(&w, h, sizeof(h));
	assert_int_equal(sshkey_sign(k, alg, tbs, w.len, &sig, &sig_len), 0);
	sshwire_writer_init(&iw, inner, sizeof(inner));
	sshwire_put_cstring(&iw, alg);
	sshwire_put_string(&iw, sig, sig_len);
	free(sig);
	blob = sshkey_public_blob(k, &blob_len);
	sshwire_writer_init(&ow, outer, sizeof(outer));
	sshwire_put_bytes(&ow, "SSHSIG", 6);
	sshwire_put_u32(&ow, 1);
	sshwire_put_string(&ow, blob, blob_len);
	sshwire_put_cstring(&ow, "tailpod");
	sshwire_put_cstring(&ow, "");
	sshwire_put_cstring(&ow, "sha512");
	sshwire_put_string(&ow, inner, iw.len);
	assert_false(ow.overflow || iw.overflow || w.overflow);
	assert_int_equal(mbedtls_base64_encode(b64, sizeof(b64), &b64_len, outer, ow.len), 0);
	n = snprintf(armour, sizeof(armour), "-----BEGIN SSH SIGNATURE-----\n");
	for (size_t i = 0; i < b64_len; i += 70)
		n += snprintf(armour + n, sizeof(armour) - (size_t)n, "%.70s\n", b64 + i);
	n += snprintf(armour + n, sizeof(armour) - (size_t)n, "-----END SSH SIGNATURE-----\n");
	write_file("msg.sig", armour, (size_t)n);
	write_file("msg", checked, strlen(checked));
	return sh("ssh-keygen -Y check-novalidate -n tailpod -s %s/msg.sig <%s/msg >/dev/null 2>&1",
		  dir, dir);
}

static void test_key(void **state)
{
	const struct keyfile *kf = *state;
	static const char *const rsa_algs[] = {"rsa-sha2-256", "rsa-sha2-512"};
	unsigned char want[2048], data[300], *sig;
	const unsigned char *blob;
	size_t want_len, blob_len, sig_len, nalg;
	const char *const *algs;
	struct sshkey *k = NULL;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dirfd >= 0);
	assert_int_equal(sshkey_load(dirfd, kf->name, getuid(), &k), 0);
	close(dirfd);
	assert_string_equal(sshkey_type_name(k), kf->type);
	assert_string_equal(sshkey_comment(k), kf->comment);
	want_len = keygen_public_blob(kf->name, want, sizeof(want));
	blob = sshkey_public_blob(k, &blob_len);
	assert_memory_equal(blob, want, want_len);
	assert_int_equal(blob_len, want_len);

	algs = sshkey_get_type(k) == SSHKEY_RSA ? rsa_algs : &kf->type;
	nalg = sshkey_get_type(k) == SSHKEY_RSA ? 2 : 1;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 1);
	for (size_t a = 0; a < nalg; a++) {
		for (size_t len = 0; len <= sizeof(data); len += 150) {
			assert_int_equal(sshkey_sign(k, algs[a], data, len, &sig, &sig_len), 0);
			verify(blob, blob_len, algs[a], data, len, sig, sig_len);
			free(sig);
		}
		assert_int_equal(sshkey_sign(k, algs[a], NULL, 0, &sig, &sig_len), 0);
		free(sig);
		assert_int_equal(sshsig_verify(k, algs[a], "tailpod\n", "tailpod\n"), 0);
		assert_int_not_equal(sshsig_verify(k, algs[a], "tailpod\n", "tailpoD\n"), 0);
	}
	assert_int_equal(sshkey_sign(k, "ssh-rsa", data, 10, &sig, &sig_len), -EOPNOTSUPP);
	assert_int_equal(sshkey_sign(k, "ssh-dss", data, 10, &sig, &sig_len), -EOPNOTSUPP);
	sshkey_free(k);
}

static size_t userauth_request(unsigned char *buf, size_t cap, const char *alg,
			       const unsigned char *blob, size_t blob_len)
{
	struct sshwire_writer w;
	unsigned char msg = 50, yes = 1;

	sshwire_writer_init(&w, buf, cap);
	sshwire_put_string(&w, "0123456789abcdef0123456789abcdef", 32);
	sshwire_put_bytes(&w, &msg, 1);
	sshwire_put_cstring(&w, "git");
	sshwire_put_cstring(&w, "ssh-connection");
	sshwire_put_cstring(&w, "publickey");
	sshwire_put_bytes(&w, &yes, 1);
	sshwire_put_cstring(&w, alg);
	sshwire_put_string(&w, blob, blob_len);
	assert_false(w.overflow);
	return w.len;
}

static struct sshkey *load(const char *name)
{
	struct sshkey *k = NULL;
	size_t len;
	char *text = read_text(name, &len);

	assert_int_equal(sshkey_parse(text, len, &k), 0);
	free(text);
	return k;
}

/* The hash follows the algorithm named in the request, as libssh2 negotiated it. */
static void test_userauth(void **state)
{
	static const char *const algs[] = {"rsa-sha2-256", "rsa-sha2-512"};
	struct sshkey *rsa = load("rsa"), *ed = load("ed25519");
	unsigned char req[4096], *sig;
	char long_alg[SSHKEY_ALG_MAX + 1];
	const unsigned char *blob;
	size_t blob_len, len, sig_len;

	(void)state;
	blob = sshkey_public_blob(rsa, &blob_len);
	for (size_t i = 0; i < 2; i++) {
		len = userauth_request(req, sizeof(req), algs[i], blob, blob_len);
		assert_int_equal(sshkey_sign_userauth(rsa, req, len, &sig, &sig_len), 0);
		verify(blob, blob_len, algs[i], req, len, sig, sig_len);
		free(sig);
		for (size_t cut = 0; cut < len; cut += 7)
			assert_int_equal(sshkey_sign_userauth(rsa, req, cut, &sig, &sig_len),
					 -EBADMSG);
	}
	len = userauth_request(req, sizeof(req), "ssh-rsa", blob, blob_len);
	assert_int_equal(sshkey_sign_userauth(rsa, req, len, &sig, &sig_len), -EOPNOTSUPP);
	/* Another key's blob in the request: not ours to sign. */
	assert_int_equal(sshkey_sign_userauth(ed, req, len, &sig, &sig_len), -EBADMSG);
	/* The algorithm name: empty is refused, SSHKEY_ALG_MAX - 1 bytes reach the signer (which
	 * knows no such algorithm), SSHKEY_ALG_MAX bytes are refused. */
	len = userauth_request(req, sizeof(req), "", blob, blob_len);
	assert_int_equal(sshkey_sign_userauth(rsa, req, len, &sig, &sig_len), -EBADMSG);
	memset(long_alg, 'a', SSHKEY_ALG_MAX - 1);
	long_alg[SSHKEY_ALG_MAX - 1] = '\0';
	long_alg[SSHKEY_ALG_MAX] = '\0';
	len = userauth_request(req, sizeof(req), long_alg, blob, blob_len);
	assert_int_equal(sshkey_sign_userauth(rsa, req, len, &sig, &sig_len), -EOPNOTSUPP);
	long_alg[SSHKEY_ALG_MAX - 1] = 'a';
	len = userauth_request(req, sizeof(req), long_alg, blob, blob_len);
	assert_int_equal(sshkey_sign_userauth(rsa, req, len, &sig, &sig_len), -EBADMSG);
	blob = sshkey_public_blob(ed, &blob_len);
	len = userauth_request(req, sizeof(req), "ssh-ed25519", blob, blob_len);
	assert_int_equal(sshkey_sign_userauth(ed, req, len, &sig, &sig_len), 0);
	verify(blob, blob_len, "ssh-ed25519", req, len, sig, sig_len);
	free(sig);
	sshkey_free(rsa);
	sshkey_free(ed);
}

static void expect_parse(const char *name, int want)
{
	struct sshkey *k = NULL;
	size_t len;
	char *text = read_text(name, &len);

	assert_int_equal(sshkey_parse(text, len, &k), want);
	assert_null(k);
	free(text);
}

static void test_refused(void **state)
{
	struct sshkey *k = NULL;

	(void)state;
	expect_parse("enc-openssh", -EKEYREJECTED);
	expect_parse("enc-pem", -EKEYREJECTED);
	expect_parse("enc-pkcs8", -EKEYREJECTED);
	expect_parse("dsa", -EOPNOTSUPP);
	expect_parse("dsa-pem", -EOPNOTSUPP);
	expect_parse("ed25519.pub", -EBADMSG);
	assert_int_equal(sshkey_parse("", 0, &k), -EBADMSG);
	assert_int_equal(sshkey_parse("-----BEGIN OPENSSH PRIVATE KEY-----\n", 36, &k), -EBADMSG);
	assert_int_equal(
		sshkey_parse("-----BEGIN NONSENSE-----\nAAAA\n-----END NONSENSE-----\n", 53, &k),
		-EBADMSG);
	assert_int_equal(sshkey_parse("x", SSHKEY_FILE_MAX + 1, &k), -EFBIG);
	assert_null(k);
	assert_non_null(strstr(sshkey_strerror(-EKEYREJECTED), "passphrase"));
}

static void test_file_checks(void **state)
{
	char path[256], big[SSHKEY_FILE_MAX + 2];
	struct sshkey *k = NULL;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(dirfd >= 0);
	assert_int_equal(sshkey_load(dirfd, "ed25519", getuid() + 1, &k), -EPERM);
	assert_int_equal(sh("cp %s/ed25519 %s/open && chmod 640 %s/open", dir, dir, dir), 0);
	assert_int_equal(sshkey_load(dirfd, "open", getuid(), &k), -EACCES);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("ed25519", path), 0);
	assert_int_equal(sshkey_load(dirfd, "link", getuid(), &k), -ELOOP);
	memset(big, ' ', sizeof(big));
	write_file("big", big, sizeof(big));
	assert_int_equal(sh("chmod 600 %s/big", dir), 0);
	assert_int_equal(sshkey_load(dirfd, "big", getuid(), &k), -EFBIG);
	assert_int_equal(sshkey_load(dirfd, "missing", getuid(), &k), -ENOENT);
	assert_int_equal(sshkey_load(dirfd, ".", getuid(), &k), -EISDIR);
	assert_null(k);
	close(dirfd);
}

/* Decode the armour of an OpenSSH key file into its binary. */
static size_t openssh_binary(const char *name, unsigned char *out, size_t cap)
{
	char b64[16384];
	size_t len, n = 0;
	char *text = read_text(name, &len), *p = strchr(text, '\n') + 1;

	for (; *p && *p != '-'; p++)
		if (*p != '\n')
			b64[n++] = *p;
	free(text);
	return b64_decode(b64, n, out, cap);
}

static int parse_binary(const unsigned char *bin, size_t len, struct sshkey **ret)
{
	static char text[16384];
	unsigned char b64[12000];
	size_t b64_len = 0;
	int n;

	assert_int_equal(mbedtls_base64_encode(b64, sizeof(b64), &b64_len, bin, len), 0);
	/* No NUL is written for empty input: print exactly b64_len bytes. */
	n = snprintf(text, sizeof(text),
		     "-----BEGIN OPENSSH PRIVATE KEY-----\n%.*s\n"
		     "-----END OPENSSH PRIVATE KEY-----\n",
		     (int)b64_len, (char *)b64);
	return sshkey_parse(text, (size_t)n, ret);
}

/* A damaged key either fails with a parse error or, where only the comment changed, is still
 * the same key: never a different key, a crash or a leak. */
static void expect_same_or_error(const unsigned char *bin, size_t len, const unsigned char *blob,
				 size_t blob_len)
{
	struct sshkey *k = NULL;
	const unsigned char *got;
	size_t got_len;
	int r = parse_binary(bin, len, &k);

	if (r == 0) {
		got = sshkey_public_blob(k, &got_len);
		assert_int_equal(got_len, blob_len);
		assert_memory_equal(got, blob, blob_len);
		sshkey_free(k);
		return;
	}
	if (r != -EBADMSG && r != -EKEYREJECTED && r != -EOPNOTSUPP && r != -ERANGE && r != -E2BIG)
		fail_msg("unexpected error %d", r);
}

static void test_damaged(void **state)
{
	static const unsigned char flips[] = {0x01, 0x80, 0xff};
	const struct keyfile *kf = *state;
	unsigned char orig[8192], bin[8192];
	struct sshkey *k = load(kf->name);
	const unsigned char *blob;
	size_t len, blob_len;

	blob = sshkey_public_blob(k, &blob_len);
	len = openssh_binary(kf->name, orig, sizeof(orig));
	for (size_t cut = 0; cut < len; cut++)
		if (parse_binary(orig, cut, &k) == 0)
			fail_msg("cut %zu of %zu parsed", cut, len);
	/* Every byte: xor flips everywhere; for the expensive big-number keys the other
	 * flips only where a length field or the headers can be. */
	for (size_t i = 0; i < len; i++) {
		for (size_t f = 0; f < sizeof(flips); f++) {
			if (f > 0 && sshkey_get_type(k) != SSHKEY_ED25519 && i > 64 &&
			    (orig[i] != 0 || i + 4 >= len))
				continue;
			memcpy(bin, orig, len);
			bin[i] ^= flips[f];
			expect_same_or_error(bin, len, blob, blob_len);
		}
	}
	sshkey_free(k);
}

/* The bounded reader: big-endian integers, text that fits with its NUL or is -E2BIG, and a
 * failed read that leaves the reader where it was. */
static void test_sshwire_reader(void **state)
{
	static const unsigned char in[] = {0x81, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 3, 'a', 'b', 'c',
					   0,	 0,    0,    2,	   'x',	 0, 0, 0, 0, 9,	  'y'};
	struct sshwire_reader r, before;
	uint32_t u32;
	uint8_t u8;
	char text[4];

	(void)state;
	sshwire_reader_init(&r, in, sizeof(in));
	assert_int_equal(sshwire_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x81);
	assert_int_equal(sshwire_get_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x01020304);
	before = r;
	assert_int_equal(sshwire_get_text(&r, text, 3), -E2BIG); /* "abc" needs 4 with its NUL */
	assert_ptr_equal(r.p, before.p);
	assert_int_equal(sshwire_get_text(&r, text, sizeof(text)), 0);
	assert_string_equal(text, "abc");
	before = r;
	assert_int_equal(sshwire_get_text(&r, text, sizeof(text)), -EBADMSG); /* "x\0" */
	assert_ptr_equal(r.p, before.p);
	assert_int_equal(sshwire_get_u32(&r, &u32), 0);
	assert_int_equal(sshwire_get_u8(&r, &u8), 0);
	assert_int_equal(sshwire_get_u8(&r, &u8), 0);
	before = r;
	/* A length of 9 with one byte after it: short. */
	assert_int_equal(sshwire_get_text(&r, text, sizeof(text)), -EBADMSG);
	assert_int_equal(sshwire_get_string_eq(&r, "y"), -EBADMSG);
	assert_ptr_equal(r.p, before.p);
	assert_int_equal(r.left, 5);
	sshwire_reader_init(&r, in, 3);
	u32 = 7;
	assert_int_equal(sshwire_get_u32(&r, &u32), -EBADMSG);
	assert_int_equal(u32, 7);
	assert_int_equal(r.left, 3);
	sshwire_reader_init(&r, in, 0);
	assert_int_equal(sshwire_get_u8(&r, &u8), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_key, (void *)&keys[0]),
		cmocka_unit_test_prestate(test_key, (void *)&keys[1]),
		cmocka_unit_test_prestate(test_key, (void *)&keys[2]),
		cmocka_unit_test_prestate(test_key, (void *)&keys[3]),
		cmocka_unit_test_prestate(test_key, (void *)&keys[4]),
		cmocka_unit_test_prestate(test_key, (void *)&keys[5]),
		cmocka_unit_test_prestate(test_key, (void *)&keys[6]),
		cmocka_unit_test_prestate(test_key, (void *)&keys[7]),
		cmocka_unit_test_prestate(test_key, (void *)&keys[8]),
		cmocka_unit_test(test_userauth),
		cmocka_unit_test(test_sshwire_reader),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_file_checks),
		cmocka_unit_test_prestate(test_damaged, (void *)&keys[0]),
		cmocka_unit_test_prestate(test_damaged, (void *)&keys[1]),
		cmocka_unit_test_prestate(test_damaged, (void *)&keys[3]),
		cmocka_unit_test_prestate(test_damaged, (void *)&keys[4]),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
