/* fileset_read.c: a directory load's batch of files read on a few threads (module boundary: core,
 * libc, fs, parallel). Each reader writes only the items it claimed and its own region; the
 * threads are parallel_run()'s, every one joined before fileset_readq_read() returns. */
#include "fileset_read.h"
#include "core.h"
#include "fileset.h"
#include "fs.h"
#include "parallel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct reader {
	struct fileset_readq *q;
	int rootfd;
	char *region;
	size_t used;
};

/* The items are left as they are: zeroing them would fault in all their pages (80 KiB) for a tree
 * of a few files; fileset_readq_add() writes each item whole before anything reads it. */
void fileset_readq_init(struct fileset_readq *q)
{
	q->paths = NULL;
	q->paths_used = q->paths_size = 0;
	q->n = 0;
	q->regions = NULL;
	q->readers = parallel_threads(FILESET_READ_THREADS);
}

void fileset_readq_release(struct fileset_readq *q)
{
	free(q->paths);
	free(q->regions);
	fileset_readq_init(q);
}

int fileset_readq_add(struct fileset_readq *q, const char *relpath, bool strict)
{
	size_t len = strlen(relpath) + 1;

	if (q->n >= FILESET_READQ_ITEMS)
		return -E2BIG;
	if (len > q->paths_size - q->paths_used) {
		size_t size = q->paths_size ? q->paths_size * 2 : 64 * 1024;
		char *p;

		while (size - q->paths_used < len)
			size *= 2;
		p = realloc(q->paths, size);
		if (!p)
			return -ENOMEM;
		q->paths = p;
		q->paths_size = size;
	}
	memcpy(q->paths + q->paths_used, relpath, len);
	q->items[q->n++] = (struct fileset_readq_item){.path_at = q->paths_used, .strict = strict};
	q->paths_used += len;
	return 0;
}

bool fileset_readq_full(const struct fileset_readq *q)
{
	return q->n >= FILESET_READQ_ITEMS;
}

const char *fileset_readq_path(const struct fileset_readq *q, size_t i)
{
	return q->paths + q->items[i].path_at;
}

void fileset_readq_clear(struct fileset_readq *q)
{
	q->n = 0;
	q->paths_used = 0;
}

/* What the loader's one read would take (fs_read_fd_once's short read), else deferred to it; an
 * error of the open or the read is the item's, as the loader's read would give it. */
static void read_item(struct reader *rd, struct fileset_readq_item *it)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r;

	if (FILESET_READQ_REGION - rd->used < FILESET_READ_ONCE) {
		it->deferred = true;
		return;
	}
	r = fs_open_beneath(rd->rootfd, fileset_readq_path(rd->q, (size_t)(it - rd->q->items)),
			    O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &fd);
	if (r < 0) {
		it->err = r;
		return;
	}
	do
		n = read(fd, rd->region + rd->used, FILESET_READ_ONCE);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN)
		it->err = -errno;
	else if (n > 0 && n < FILESET_READ_ONCE) {
		it->data = rd->region + rd->used;
		it->size = (size_t)n;
		rd->used += (size_t)n;
	} else
		it->deferred = true;
}

static void read_one(void *arg, unsigned thread, size_t i)
{
	struct reader *readers = arg;

	read_item(&readers[thread], &readers[thread].q->items[i]);
}

void fileset_readq_read(struct fileset_readq *q, int rootfd)
{
	struct reader readers[FILESET_READ_THREADS];

	/* A few files, or no memory for the regions: the loader reads every file itself. */
	if (q->n < FILESET_READQ_PARALLEL_MIN || q->readers < 2 ||
	    (!q->regions && !(q->regions = malloc((size_t)q->readers * FILESET_READQ_REGION)))) {
		for (size_t i = 0; i < q->n; i++)
			q->items[i].deferred = true;
		return;
	}
	for (unsigned i = 0; i < q->readers; i++)
		readers[i] =
			(struct reader){.q = q,
					.rootfd = rootfd,
					.region = q->regions + (size_t)i * FILESET_READQ_REGION};
	parallel_run(q->n, q->readers, read_one, readers);
}
