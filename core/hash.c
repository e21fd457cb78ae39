/*
 * hash.c: SHA-256 for content hashes (deployed state, archive manifests). BearSSL's
 * implementation is linked anyway for TLS and keeps the running state, the buffered tail and the
 * padding; where the CPU has SHA instructions (core/sha256_hw) the whole blocks of each update
 * go through them instead of BearSSL's portable rounds (a quarter of restore's CPU). Files
 * stream through a fixed buffer; nothing is read whole.
 */
#include "hash.h"

#include "core.h"
#include "fs.h"
#include "sha256_hw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void hash_sha256_init(struct hash_sha256 *h)
{
	br_sha256_init(&h->ctx);
}

enum { SHA256_BLOCK = 64 };

/* -1 not asked yet, 0 portable, 1 the CPU's instructions; the same answer from every thread. */
static atomic_int sha256_use_hw = -1;

int hash_sha256_set_hw(bool want)
{
	int hw = want && sha256_hw_available();

	atomic_store_explicit(&sha256_use_hw, hw, memory_order_relaxed);
	return hw;
}

static bool use_hw(void)
{
	int hw = atomic_load_explicit(&sha256_use_hw, memory_order_relaxed);

	return hw < 0 ? hash_sha256_set_hw(true) : hw;
}

/* Whole blocks through the CPU's instructions: BearSSL's state is taken out and put back at a
 * block boundary (where it holds no buffered bytes) as big-endian words. */
static void update_blocks_hw(br_sha256_context *ctx, const unsigned char *p, size_t n)
{
	unsigned char be[32];
	uint32_t st[8];
	uint64_t count = br_sha256_state(ctx, be);

	for (int i = 0; i < 8; i++)
		st[i] = (uint32_t)be[4 * i] << 24 | (uint32_t)be[4 * i + 1] << 16 |
			(uint32_t)be[4 * i + 2] << 8 | be[4 * i + 3];
	sha256_hw_blocks(st, p, n);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			be[4 * i + j] = (unsigned char)(st[i] >> (24 - 8 * j));
	br_sha256_set_state(ctx, be, count + (uint64_t)n * SHA256_BLOCK);
}

void hash_sha256_update(struct hash_sha256 *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned char state[32];
	size_t fill, whole;

	if (len < SHA256_BLOCK || !use_hw()) {
		br_sha256_update(&h->ctx, data, len);
		return;
	}
	/* Complete a partly buffered block the portable way, then the rest from a boundary. */
	fill = (SHA256_BLOCK - (size_t)(br_sha256_state(&h->ctx, state) % SHA256_BLOCK)) %
	       SHA256_BLOCK;
	br_sha256_update(&h->ctx, p, fill);
	p += fill, len -= fill;
	whole = len / SHA256_BLOCK;
	if (whole)
		update_blocks_hw(&h->ctx, p, whole);
	br_sha256_update(&h->ctx, p + whole * SHA256_BLOCK, len % SHA256_BLOCK);
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

/* The chunk is the caller's stack, not thread-local storage: a thread-local 64 KiB was a block of
 * every thread of every applet, which musl mapped for each thread started and unmapped at its
 * join, with page faults each time (issue 16: sync starts threads for each window of checks). */
long long hash_sha256_fd(struct hash_sha256 *h, int fd)
{
	unsigned char chunk[HASH_FILE_CHUNK];
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
