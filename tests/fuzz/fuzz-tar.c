/* fuzz-tar.c: libFuzzer harness for core/tar's strict reader (tar_read.c, tar_pax.c) over raw,
 * uncompressed input read in uneven pieces. Every member the reader accepts must have a canonical
 * path, stay within the limits and yield exactly its size in data; and whatever it accepts, the
 * writer must write and the reader read back to the same entries (a summary of each compared). */
#include "tar_internal.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MEMBER_MAX = 1 << 20 };

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

struct buf_sink {
	struct sink sink;
	struct buf out;
};

static int buf_sink_write(struct sink *s, const void *p, size_t len)
{
	buf_add(&((struct buf_sink *)s)->out, p, len);
	return 0;
}

static int buf_sink_finish(struct sink *s)
{
	(void)s;
	return 0;
}

struct piece_source {
	struct source source;
	const uint8_t *p;
	size_t len, pos;
};

static int piece_read(struct source *s, void *out, size_t len, size_t *got)
{
	struct piece_source *m = (struct piece_source *)s;
	size_t n = m->len - m->pos, cap = 1 + m->pos % 700;

	n = n < len ? n : len;
	n = n < cap ? n : cap;
	memcpy(out, m->p + m->pos, n);
	m->pos += n;
	*got = n;
	return 0;
}

static void summarize(struct buf *sum, const struct tar_entry *e)
{
	char nums[160];

	buf_add(sum, e->path, strlen(e->path) + 1);
	if (e->link != NULL)
		buf_add(sum, e->link, strlen(e->link) + 1);
	snprintf(nums, sizeof(nums), "%d %o %" PRIu64 " %" PRIu64 " %" PRId64 " %u %" PRIu64 " %zu",
		 (int)e->type, e->mode, e->uid, e->gid, e->mtime_sec, e->mtime_nsec, e->size,
		 e->n_xattrs);
	buf_add(sum, nums, strlen(nums) + 1);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		buf_add(sum, e->xattrs[i].name, strlen(e->xattrs[i].name) + 1);
		buf_add(sum, e->xattrs[i].value, e->xattrs[i].len);
	}
}

/* Reads input through; with w, writes every member again. 1 when it read to the end. */
static int read_through(const uint8_t *data, size_t size, struct tar_writer *w, struct buf *sum)
{
	static const struct tar_limits lim = {.member_max = MEMBER_MAX,
					      .total_max = 4 * MEMBER_MAX,
					      .members_max = 4096,
					      .pax_max = 16384};
	struct piece_source src = {.source = {.read = piece_read}, .p = data, .len = size};
	struct tar_reader *r;
	const struct tar_entry *e;
	uint8_t chunk[4096];
	int rc;

	if (tar_reader_new(&src.source, &lim, &r) != 0)
		abort();
	while ((rc = tar_read_header(r, &e)) == 0) {
		uint64_t seen = 0;
		size_t got;

		if (tar_path_refusal(e->path, strlen(e->path)) != NULL || e->size > MEMBER_MAX ||
		    (e->type != TAR_FILE && e->size != 0) || e->mode > 07777)
			abort();
		summarize(sum, e);
		if (w != NULL && tar_write_header(w, e) != 0)
			abort();
		while ((rc = tar_read_data(r, chunk, sizeof(chunk), &got)) == 0 && got > 0) {
			seen += got;
			if (w != NULL && tar_write_data(w, chunk, got) != 0)
				abort();
		}
		if (rc < 0)
			break;
		if (seen != e->size)
			abort();
	}
	if (rc < 0 && tar_reader_error(r)[0] == '\0')
		abort(); /* every refusal says why */
	tar_reader_free(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf_sink out = {.sink = {.write = buf_sink_write, .finish = buf_sink_finish}};
	struct buf first = {0}, again = {0};
	struct tar_writer *w;

	if (tar_writer_new(&out.sink, &w) != 0)
		abort();
	if (read_through(data, size, w, &first) == 1) {
		if (tar_writer_finish(w) != 0 ||
		    read_through(out.out.p, out.out.len, NULL, &again) != 1 ||
		    first.len != again.len ||
		    (first.len > 0 && memcmp(first.p, again.p, first.len) != 0))
			abort();
	}
	tar_writer_free(w);
	free(out.out.p);
	free(first.p);
	free(again.p);
	return 0;
}
