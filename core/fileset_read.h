/* fileset_read.h: the file reads of a directory load, on the CPUs the process may use (issue 16:
 * check is mostly openat2, read and close, which scale across CPUs, while one thread waits for
 * each in turn). For fileset_load.c only. The walk queues the regular files it finds, in its
 * order; fileset_readq_read() reads the queue on up to FILESET_READ_THREADS threads, each result
 * in its item, and returns only when every thread it started has been joined; the loader then
 * takes the results in the walk's order, so what is kept and what is reported does not depend on
 * the threads. A reader reads what the loader's own read would take in one call (a file shorter
 * than FILESET_READ_ONCE) into its region; anything else — empty, full, EAGAIN, no room left — is
 * left to the loader's own read, in order, so the fstat, the type check and every bound apply as
 * before. Memory is bounded: FILESET_READQ_ITEMS paths a batch, a region of FILESET_READQ_REGION
 * bytes a reader (one block for all, touched only as far as it is filled). A batch of fewer than
 * FILESET_READQ_PARALLEL_MIN files, or a process on one CPU, is read by the loader alone. */
#ifndef TAILPOD_FILESET_READ_H
#define TAILPOD_FILESET_READ_H

#include <stdbool.h>
#include <stddef.h>

enum {
	FILESET_READ_ONCE = 64 * 1024,	   /* a file shorter than this is read in one read */
	FILESET_READ_THREADS = 4,	   /* readers at most, the caller's thread one of them */
	FILESET_READQ_ITEMS = 2048,	   /* files a batch */
	FILESET_READQ_REGION = 512 * 1024, /* bytes a reader keeps for a batch */
	FILESET_READQ_PARALLEL_MIN = 64,   /* fewer files are read on the caller's thread */
};

struct fileset_readq_item {
	size_t path_at;	  /* offset of the NUL-terminated relative path in the queue's paths */
	bool strict;	  /* the loader's flag, kept for it */
	bool deferred;	  /* not read here: the loader reads it itself */
	int err;	  /* the open's or the read's error (negative errno), 0 if none */
	const char *data; /* size bytes in a reader's region (not NUL-terminated) */
	size_t size;
};

struct fileset_readq {
	char *paths;
	size_t paths_used, paths_size;
	struct fileset_readq_item items[FILESET_READQ_ITEMS];
	size_t n;
	char *regions; /* readers * FILESET_READQ_REGION bytes, made at the first parallel batch */
	unsigned readers; /* how many may run: min(CPUs, FILESET_READ_THREADS) */
};

/* An empty queue; readers from the CPUs the process may run on. */
void fileset_readq_init(struct fileset_readq *q);
void fileset_readq_release(struct fileset_readq *q);

/* Queue relpath; -ENOMEM. The caller reads the batch when fileset_readq_full(). */
int fileset_readq_add(struct fileset_readq *q, const char *relpath, bool strict);
bool fileset_readq_full(const struct fileset_readq *q);
const char *fileset_readq_path(const struct fileset_readq *q, size_t i);

/* Read the batch beneath rootfd (fs_open_beneath's rules); every thread joined on return. */
void fileset_readq_read(struct fileset_readq *q, int rootfd);

/* Empty the batch for the next one (the regions are kept). */
void fileset_readq_clear(struct fileset_readq *q);

#endif
