/* sshkey.h: SSH deploy keys without an ssh binary: parse an unencrypted private key, give its
 * public key blob (SSH wire format, what libssh2_userauth_publickey() wants) and sign what libssh2
 * asks to have signed. Formats: OpenSSH's "openssh-key-v1" (BEGIN OPENSSH PRIVATE KEY) with
 * ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa; PEM through mbedTLS's parser for RSA and
 * ECDSA (BEGIN RSA PRIVATE KEY, BEGIN EC PRIVATE KEY, unencrypted PKCS#8 BEGIN PRIVATE KEY).
 * Encrypted keys are refused (-EKEYREJECTED). Ed25519 signs with libsodium, ECDSA (RFC 6979
 * deterministic nonces) and RSA (PKCS#1 v1.5) with mbedTLS. Core module: no printing; 0 or
 * negative errno. Private material lives only in the struct sshkey and is wiped when freed.
 *
 * Use with libgit2 (git_credential_ssh_custom_new(..., blob, blob_len, sign_cb, key)): the
 * callback gets void **abstract pointing at the payload and must return a malloc'd raw signature
 * (libssh2 wraps it in "string alg, string sig" and frees it with the session's allocator, which
 * is free() for libgit2's libssh2_session_init() sessions):
 *
 *	static int sign_cb(LIBSSH2_SESSION *s, unsigned char **sig, size_t *sig_len,
 *			   const unsigned char *data, size_t data_len, void **abstract)
 *	{
 *		int r = sshkey_sign_userauth(*abstract, data, data_len, sig, sig_len);
 *
 *		(void)s;
 *		return r == -EOPNOTSUPP ? LIBSSH2_ERROR_ALGO_UNSUPPORTED : r < 0 ? -1 : 0;
 *	}
 *
 * Which RSA hash to use is read from the data: libssh2 signs its own SSH_MSG_USERAUTH_REQUEST,
 * which names the algorithm it chose from the server's server-sig-algs (rsa-sha2-512 first, then
 * rsa-sha2-256), and it sends the signature under that same name. SHA-1 "ssh-rsa" signatures are
 * refused with -EOPNOTSUPP, as OpenSSH ≥ 8.8 does by default. */
#ifndef TAILPOD_SSHKEY_H
#define TAILPOD_SSHKEY_H

#include <stddef.h>
#include <sys/types.h>

enum sshkey_type {
	SSHKEY_ED25519 = 1,
	SSHKEY_ECDSA_P256,
	SSHKEY_ECDSA_P384,
	SSHKEY_ECDSA_P521,
	SSHKEY_RSA,
};

enum {
	SSHKEY_FILE_MAX = 16 * 1024, /* an 8192-bit RSA key in OpenSSH format is about 6.5 KiB */
	SSHKEY_COMMENT_MAX = 1024,
	SSHKEY_RSA_BITS_MIN = 1024, /* OpenSSH's minimum */
	SSHKEY_RSA_BITS_MAX = 8192, /* mbedTLS's MBEDTLS_MPI_MAX_SIZE (1024 bytes) */
	SSHKEY_BLOB_MAX = 2048,	    /* public blob: 8192-bit RSA is about 1 KiB */
	SSHKEY_ALG_MAX = 64,	    /* longest algorithm name accepted */
};

struct sshkey;

/* Parse a private key from text (need not be NUL-terminated). -EBADMSG for anything malformed
 * (lengths, check ints, padding, a public key that does not match the private one),
 * -EKEYREJECTED for an encrypted key, -EOPNOTSUPP for another key type or curve (and DSA),
 * -EFBIG above SSHKEY_FILE_MAX, -ERANGE for an RSA size outside the limits. */
int sshkey_parse(const void *text, size_t len, struct sshkey **ret);

/* Read and parse path below dirfd (or AT_FDCWD) with fs_read_trusted(): the last component must
 * not be a symlink (-ELOOP), the file must be regular (-EISDIR, -EBADFD), owned by owner (-EPERM)
 * and have no group or other permission bits (-EACCES), at most SSHKEY_FILE_MAX bytes (-EFBIG).
 * The file's bytes are wiped from memory after parsing. */
int sshkey_load(int dirfd, const char *path, uid_t owner, struct sshkey **ret);

/* Wipes the private key; accepts NULL. */
void sshkey_free(struct sshkey *k);

enum sshkey_type sshkey_get_type(const struct sshkey *k);

/* "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa": the key type inside the public blob. */
const char *sshkey_type_name(const struct sshkey *k);

/* The public key blob; valid until sshkey_free(). */
const unsigned char *sshkey_public_blob(const struct sshkey *k, size_t *ret_len);

/* The comment stored in an OpenSSH key ("" for PEM keys). */
const char *sshkey_comment(const struct sshkey *k);

/* Sign data for algorithm alg: the key's type name, or for RSA "rsa-sha2-256" or "rsa-sha2-512".
 * *ret_sig is the raw signature from malloc: 64 bytes for Ed25519, "mpint r, mpint s" for ECDSA
 * (SHA-256/384/512 by curve), the PKCS#1 v1.5 signature (modulus size) for RSA. -EOPNOTSUPP when
 * alg does not fit the key (or is "ssh-rsa"). */
int sshkey_sign(struct sshkey *k, const char *alg, const void *data, size_t len,
		unsigned char **ret_sig, size_t *ret_len);

/* Sign a publickey SSH_MSG_USERAUTH_REQUEST as libssh2 hands it to its sign callback (string
 * session id, the request with "publickey", TRUE, algorithm, key blob): the algorithm comes from
 * the request, and the blob in it must be this key's (-EBADMSG otherwise). */
int sshkey_sign_userauth(struct sshkey *k, const void *data, size_t len, unsigned char **ret_sig,
			 size_t *ret_len);

/* Human words for the errors above, for the caller's log line ("encrypted keys are not
 * supported"); strerror() for the others. */
const char *sshkey_strerror(int err);

#endif
