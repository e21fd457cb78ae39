/* hash.h: streaming SHA-256 on BearSSL with lowercase hex output. */
#ifndef TAILPOD_HASH_H
#define TAILPOD_HASH_H

#include <bearssl_hash.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	HASH_SHA256_SIZE = 32,
	HASH_SHA256_HEX_SIZE = 65,   /* 64 hex digits and a NUL */
	HASH_FILE_CHUNK = 16 * 1024, /* on the stack: files are streamed, never read whole */
};

struct hash_sha256 {
	br_sha256_context ctx;
};

void hash_sha256_init(struct hash_sha256 *h);
void hash_sha256_update(struct hash_sha256 *h, const void *data, size_t len);
void hash_sha256_final(struct hash_sha256 *h, unsigned char out[HASH_SHA256_SIZE]);
void hash_sha256_final_hex(struct hash_sha256 *h, char out[HASH_SHA256_HEX_SIZE]);

/* Use the CPU's SHA instructions when it has them (the default) or BearSSL's portable rounds
 * (a test's hook: both paths checked on one machine); returns whether the instructions are used. */
int hash_sha256_set_hw(bool want);

/* Write the lowercase hex of len bytes; out must hold 2 * len + 1 bytes. */
void hash_to_hex(const unsigned char *bin, size_t len, char *out);

/* Feed everything readable from fd into h (streaming, EINTR-safe); returns bytes or -errno. */
long long hash_sha256_fd(struct hash_sha256 *h, int fd);

/* SHA-256 of a regular file below dirfd, opened with fs_open_regular_at() (-ELOOP, -EISDIR,
 * -EBADFD as fs.h says), as hex. */
int hash_file_sha256_hex(int dirfd, const char *path, char ret_hex[HASH_SHA256_HEX_SIZE]);

#endif
