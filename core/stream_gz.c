/*
 * stream_gz.c: gzip (RFC 1952) sink and source on zlib, in fixed 64 KiB buffers. The source
 * reads exactly one gzip member: zlib checks the CRC-32 and length in its trailer, and a source
 * that ends before the trailer, or has bytes after it, is -EBADMSG (a backup is one member; a
 * concatenation or trailing junk means it is not the file that was written).
 */
#include "stream.h"

#include "core.h"

#include <errno.h>
#include <string.h>

#include <zlib.h>

enum {
	GZ_BUF = 64 * 1024,
	GZ_WINDOW = 15 + 16, /* 32 KiB window, gzip wrapper */
	GZ_MEM_LEVEL = 8,
};

struct gzip_sink {
	struct sink sink;
	struct sink *next;
	z_stream z;
	bool finished;
	uint8_t out[GZ_BUF];
};

struct gunzip_source {
	struct source source;
	struct source *next;
	z_stream z;
	bool ended; /* the member's trailer was checked */
	uint8_t in[GZ_BUF];
};

/* Deflate what z holds (flush = Z_NO_FLUSH or Z_FINISH) and pass the output on. */
static int gzip_pump(struct gzip_sink *g, int flush)
{
	int zrc;

	do {
		g->z.next_out = g->out;
		g->z.avail_out = sizeof(g->out);
		zrc = deflate(&g->z, flush);
		if (zrc == Z_STREAM_ERROR)
			return -EINVAL;
		if (g->z.avail_out < sizeof(g->out)) {
			int rc = g->next->write(g->next, g->out, sizeof(g->out) - g->z.avail_out);

			if (rc < 0)
				return rc;
		}
	} while (g->z.avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
	return 0;
}

static int gzip_write(struct sink *s, const void *buf, size_t len)
{
	struct gzip_sink *g = (struct gzip_sink *)s;

	if (g->finished)
		return -EINVAL;
	while (len > 0) {
		uInt step = len > GZ_BUF ? GZ_BUF : (uInt)len;
		int rc;

		g->z.next_in = (Bytef *)(uintptr_t)buf;
		g->z.avail_in = step;
		rc = gzip_pump(g, Z_NO_FLUSH);
		if (rc < 0)
			return rc;
		buf = (const uint8_t *)buf + step;
		len -= step;
	}
	return 0;
}

static int gzip_finish(struct sink *s)
{
	struct gzip_sink *g = (struct gzip_sink *)s;
	int rc;

	if (!g->finished) {
		g->z.next_in = NULL;
		g->z.avail_in = 0;
		rc = gzip_pump(g, Z_FINISH);
		if (rc < 0)
			return rc;
		g->finished = true;
	}
	return g->next->finish(g->next);
}

static void gzip_free(struct sink *s)
{
	struct gzip_sink *g = (struct gzip_sink *)s;

	deflateEnd(&g->z);
	free(g);
}

int sink_gzip_new(struct sink *next, int level, struct sink **out)
{
	struct gzip_sink *g;

	*out = NULL;
	if (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	if (deflateInit2(&g->z, level, Z_DEFLATED, GZ_WINDOW, GZ_MEM_LEVEL, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		free(g);
		return -ENOMEM;
	}
	g->sink = (struct sink){.write = gzip_write, .finish = gzip_finish, .free = gzip_free};
	g->next = next;
	*out = &g->sink;
	return 0;
}

/* After the trailer: the next stage must be at its end too. */
static int gunzip_check_end(struct gunzip_source *g)
{
	uint8_t probe[1];
	size_t got;
	int rc;

	if (g->z.avail_in > 0)
		return -EBADMSG;
	rc = g->next->read(g->next, probe, sizeof(probe), &got);
	if (rc < 0)
		return rc;
	return got == 0 ? 0 : -EBADMSG;
}

static int gunzip_refill(struct gunzip_source *g)
{
	size_t got;
	int rc = g->next->read(g->next, g->in, sizeof(g->in), &got);

	if (rc < 0)
		return rc;
	if (got == 0)
		return -EBADMSG; /* ended before the gzip trailer */
	g->z.next_in = g->in;
	g->z.avail_in = (uInt)got;
	return 0;
}

static int gunzip_read(struct source *s, void *buf, size_t len, size_t *got)
{
	struct gunzip_source *g = (struct gunzip_source *)s;

	*got = 0;
	if (g->ended || len == 0)
		return 0;
	g->z.next_out = buf;
	g->z.avail_out = len > GZ_BUF ? GZ_BUF : (uInt)len;
	while (g->z.next_out == buf) {
		int zrc, rc;

		if (g->z.avail_in == 0) {
			rc = gunzip_refill(g);
			if (rc < 0)
				return rc;
		}
		zrc = inflate(&g->z, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END) {
			g->ended = true;
			rc = gunzip_check_end(g);
			if (rc < 0)
				return rc;
			break;
		}
		if (zrc == Z_MEM_ERROR)
			return -ENOMEM;
		if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return -EBADMSG; /* not gzip, corrupt data, CRC or length mismatch */
	}
	*got = (size_t)(g->z.next_out - (Bytef *)buf);
	return 0;
}

static void gunzip_free(struct source *s)
{
	struct gunzip_source *g = (struct gunzip_source *)s;

	inflateEnd(&g->z);
	free(g);
}

int source_gunzip_new(struct source *next, struct source **out)
{
	struct gunzip_source *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (g == NULL)
		return -ENOMEM;
	if (inflateInit2(&g->z, GZ_WINDOW) != Z_OK) {
		free(g);
		return -ENOMEM;
	}
	g->source = (struct source){.read = gunzip_read, .free = gunzip_free};
	g->next = next;
	*out = &g->source;
	return 0;
}
