/*
 * hash.c: SHA-256 for content hashes (deployed state, archive manifests). BearSSL's
 * implementation is linked anyway for TLS, so it is the one hash in the binary. Files stream
 * through a fixed buffer; nothing is read whole.
 */
#include "hash.h"

#include "core.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

void hash_sha256_init(struct hash_sha256 *h)
{
	br_sha256_init(&h->ctx);
}

void hash_sha256_update(struct hash_sha256 *h, const void *data, size_t len)
{
	br_sha256_update(&h->ctx, data, len);
}

void hash_sha256_final(struct hash_sha256 *h, unsigned char out[HASH_SHA256_SIZE])
{
	br_sha256_out(&h->ctx, out);
}

void hash_to_hex(const unsigned char *bin, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void hash_sha256_final_hex(struct hash_sha256 *h, char out[HASH_SHA256_HEX_SIZE])
{
	unsigned char bin[HASH_SHA256_SIZE];

	hash_sha256_final(h, bin);
	hash_to_hex(bin, sizeof(bin), out);
}

long long hash_sha256_fd(struct hash_sha256 *h, int fd)
{
	static _Thread_local unsigned char chunk[HASH_FILE_CHUNK];
	long long total = 0;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return total;
		hash_sha256_update(h, chunk, (size_t)n);
		total += n;
	}
}

int hash_file_sha256_hex(int dirfd, const char *path, char ret_hex[HASH_SHA256_HEX_SIZE])
{
	_cleanup_close_ int fd = -1;
	struct hash_sha256 h;
	long long n;
	int r = fs_open_regular_at(dirfd, path, &fd);

	if (r < 0)
		return r;
	hash_sha256_init(&h);
	n = hash_sha256_fd(&h, fd);
	if (n < 0)
		return (int)n;
	hash_sha256_final_hex(&h, ret_hex);
	return 0;
}
