/* stream.h: byte pipelines for archives — sinks (fd, gzip, age, SHA-256 pass-through) and sources
 * (fd, gunzip, age) chained stage by stage. Every stage works in fixed buffers: memory never grows
 * with the size of the data. The gzip stages are in stream_gz.c, the age ones in age_stream.c.
 *
 * Core module: no printing; 0 on success, negative errno on failure:
 *   -EBADMSG  a source ends without a proper end (truncated gzip, age without its last chunk),
 *             a gzip CRC/length mismatch, trailing bytes after the gzip member, a tampered age
 * chunk -EINVAL   malformed input (not gzip, a bad age header), bad arguments -ENOKEY   an age
 * header with no stanza for the identity -ENOMEM, and the errno of a failed read(2)/write(2). */
#ifndef TAILPOD_STREAM_H
#define TAILPOD_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "age.h"
#include "hash.h"

/* A stage that takes bytes and passes them (transformed) to the next stage. */
struct sink {
	/* All len bytes, or -errno. */
	int (*write)(struct sink *s, const void *buf, size_t len);
	/* Flush trailers (gzip footer, age last chunk) down the chain, then finish the next sink;
	 * the fd at the end of the chain is not closed. */
	int (*finish)(struct sink *s);
	/* Frees this stage only, wiping secret state (NULL-safe through sink_free()). */
	void (*free)(struct sink *s);
};

/* A stage that yields bytes read (and transformed) from the next stage. */
struct source {
	/* Up to len bytes into buf; *got 0 = the proper end. An end that is not a proper end
	 * (truncated gzip, age without its last chunk) is -EBADMSG. */
	int (*read)(struct source *s, void *buf, size_t len, size_t *got);
	/* Frees this stage only (wipes secret state). */
	void (*free)(struct source *s);
};

/* s->free(s) when s is not NULL. */
void sink_free(struct sink *s);
void source_free(struct source *s);

/* Writes to fd with a write(2) loop, EINTR-safe; finish is fsync-free and does not close fd. */
int sink_fd_new(int fd, struct sink **out);

/* gzip (RFC 1952 wrapper, zlib deflate) at level 0–9 (-1 = zlib's default) into next. */
int sink_gzip_new(struct sink *next, int level, struct sink **out);

/* age v1 (same format as age_encrypt(): header, 64 KiB STREAM chunks) to n recipients
 * (1 ≤ n ≤ AGE_RECIPIENTS_MAX) into next. The header is written by the first write or finish. */
int sink_age_new(struct sink *next, const struct age_recipient *r, size_t n, struct sink **out);

/* Passes bytes unchanged to next and hashes them; the digest is ready after finish. */
int sink_sha256_new(struct sink *next, struct sink **out);
/* The lowercase hex SHA-256 of everything written, valid after s (a sink_sha256_new() stage)
 * finished; -EINVAL before. */
int sink_sha256_hex(struct sink *s, char out[HASH_SHA256_HEX_SIZE]);

/* Reads fd with an EINTR-safe read(2); does not close fd. */
int source_fd_new(int fd, struct source **out);

/* One gzip member from next, CRC-32 and length checked at its end; bytes after it = -EBADMSG. */
int source_gunzip_new(struct source *next, struct source **out);

/* An age v1 file from next, opened with id (-ENOKEY, -EINVAL, -EBADMSG at the first read). STREAM:
 * each 64 KiB chunk is authenticated before its bytes are returned; -EBADMSG on tamper or
 * truncation (a file cut at a chunk boundary lacks the last-chunk flag and is refused). */
int source_age_new(struct source *next, const struct age_identity *id, struct source **out);

/* next read on a thread of its own (stream_thread.c) into a ring of fixed buffers, so that the
 * stages below run beside the caller; their end and errors are returned as they were. Freeing it
 * stops and joins the thread (free it before next). -ENOMEM, or pthread_create's -errno. */
int source_thread_new(struct source *next, struct source **out);

/* first_bytes starts with the age v1 version line "age-encryption.org/v1\n". */
bool source_is_age(const void *first_bytes, size_t len);

#endif
