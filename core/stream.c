/*
 * stream.c: the plain pipeline stages — an fd sink and source, and the SHA-256 pass-through sink.
 * The gzip stages are in stream_gz.c, the age ones in age_stream.c. Each stage is a struct whose
 * first member is the public struct sink/source, so the callbacks cast back to their own state.
 */
#include "stream.h"

#include "core.h"
#include "fs.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define VERSION_LINE "age-encryption.org/v1\n"

struct fd_sink {
	struct sink sink;
	int fd;
};

struct fd_source {
	struct source source;
	int fd;
};

struct sha256_sink {
	struct sink sink;
	struct sink *next;
	struct hash_sha256 hash;
	char hex[HASH_SHA256_HEX_SIZE];
	bool finished;
};

void sink_free(struct sink *s)
{
	if (s != NULL)
		s->free(s);
}

void source_free(struct source *s)
{
	if (s != NULL)
		s->free(s);
}

static int fd_sink_write(struct sink *s, const void *buf, size_t len)
{
	return fs_write_all(((struct fd_sink *)s)->fd, buf, len);
}

static int fd_sink_finish(struct sink *s)
{
	(void)s;
	return 0;
}

static void plain_free(struct sink *s)
{
	free(s);
}

int sink_fd_new(int fd, struct sink **out)
{
	struct fd_sink *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (fd < 0)
		return -EBADF;
	if (f == NULL)
		return -ENOMEM;
	f->sink =
		(struct sink){.write = fd_sink_write, .finish = fd_sink_finish, .free = plain_free};
	f->fd = fd;
	*out = &f->sink;
	return 0;
}

static int fd_source_read(struct source *s, void *buf, size_t len, size_t *got)
{
	*got = 0;
	for (;;) {
		ssize_t n = read(((struct fd_source *)s)->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		*got = (size_t)n;
		return 0;
	}
}

static void fd_source_free(struct source *s)
{
	free(s);
}

int source_fd_new(int fd, struct source **out)
{
	struct fd_source *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (fd < 0)
		return -EBADF;
	if (f == NULL)
		return -ENOMEM;
	f->source = (struct source){.read = fd_source_read, .free = fd_source_free};
	f->fd = fd;
	*out = &f->source;
	return 0;
}

static int sha256_write(struct sink *s, const void *buf, size_t len)
{
	struct sha256_sink *h = (struct sha256_sink *)s;

	hash_sha256_update(&h->hash, buf, len);
	return h->next->write(h->next, buf, len);
}

static int sha256_finish(struct sink *s)
{
	struct sha256_sink *h = (struct sha256_sink *)s;

	if (!h->finished) {
		hash_sha256_final_hex(&h->hash, h->hex);
		h->finished = true;
	}
	return h->next->finish(h->next);
}

int sink_sha256_new(struct sink *next, struct sink **out)
{
	struct sha256_sink *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL)
		return -ENOMEM;
	h->sink = (struct sink){.write = sha256_write, .finish = sha256_finish, .free = plain_free};
	h->next = next;
	hash_sha256_init(&h->hash);
	*out = &h->sink;
	return 0;
}

int sink_sha256_hex(struct sink *s, char out[HASH_SHA256_HEX_SIZE])
{
	const struct sha256_sink *h = (const struct sha256_sink *)s;

	if (s == NULL || s->write != sha256_write || !h->finished)
		return -EINVAL;
	memcpy(out, h->hex, HASH_SHA256_HEX_SIZE);
	return 0;
}

bool source_is_age(const void *first_bytes, size_t len)
{
	return len >= strlen(VERSION_LINE) &&
	       memcmp(first_bytes, VERSION_LINE, strlen(VERSION_LINE)) == 0;
}
