/* memstream.h: a growing memory sink and a memory source that returns at most `step` bytes per
 * read (so stages see short reads), for the stream and tar unit tests. */
#ifndef TAILPOD_TEST_MEMSTREAM_H
#define TAILPOD_TEST_MEMSTREAM_H

#include "stream.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>

struct mem_sink {
	struct sink sink;
	unsigned char *buf;
	size_t len, cap;
	int finished;
};

struct mem_source {
	struct source source;
	const unsigned char *buf;
	size_t len, pos, step;
};

static int mem_sink_write(struct sink *s, const void *buf, size_t len)
{
	struct mem_sink *m = (struct mem_sink *)s;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2 + 64;
		m->buf = realloc(m->buf, m->cap);
		if (m->buf == NULL)
			return -ENOMEM;
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

static int mem_sink_finish(struct sink *s)
{
	((struct mem_sink *)s)->finished++;
	return 0;
}

static void mem_sink_free(struct sink *s)
{
	(void)s; /* on the caller's stack; the caller frees buf */
}

static inline void mem_sink_init(struct mem_sink *m)
{
	memset(m, 0, sizeof(*m));
	m->sink = (struct sink){
		.write = mem_sink_write, .finish = mem_sink_finish, .free = mem_sink_free};
}

static int mem_source_read(struct source *s, void *buf, size_t len, size_t *got)
{
	struct mem_source *m = (struct mem_source *)s;
	size_t n = m->len - m->pos;

	if (n > len)
		n = len;
	if (m->step && n > m->step)
		n = m->step;
	memcpy(buf, m->buf + m->pos, n);
	m->pos += n;
	*got = n;
	return 0;
}

static void mem_source_free(struct source *s)
{
	(void)s;
}

static inline void mem_source_init(struct mem_source *m, const void *buf, size_t len, size_t step)
{
	memset(m, 0, sizeof(*m));
	m->source = (struct source){.read = mem_source_read, .free = mem_source_free};
	m->buf = buf;
	m->len = len;
	m->step = step;
}

/* Everything src yields into a malloc'ed buffer (*len bytes); the read's return code. */
static inline int drain(struct source *src, unsigned char **out, size_t *len)
{
	size_t cap = 4096, got;
	int rc;

	*out = malloc(cap);
	*len = 0;
	for (;;) {
		size_t want = 1000 + (*len % 7) * 3000; /* uneven read sizes */

		while (*len + want > cap)
			*out = realloc(*out, cap *= 2);
		rc = src->read(src, *out + *len, want, &got);
		if (rc < 0 || got == 0)
			return rc;
		*len += got;
	}
}

#endif
