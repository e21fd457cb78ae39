/* fileset.h: the desired state as plain memory — a file set, a sorted list of (relative path,
 * bytes) files (gitrepo is the git repository one may come from) that the checks and the merge
 * read, whatever the source: a directory (fileset_load_dir, here) or a git tree read without a
 * checkout (the fetch code, through fileset_add). Every regular file up to FILESET_DEPTH_MAX path
 * components deep is kept (fileset_path_wanted): unit files at the root and in directories, and
 * the data files units refer to (env files, YAML, config trees, build contexts); never a hidden
 * entry (.git, .github) and never a symlink. What is deployed is the spec model's choice
 * (core/spec). A unit file (fileset_is_unit_name) that cannot be kept — a symlink, a special file,
 * too big, a name that is not printable UTF-8 — is a diagnostic; any other such file is left out
 * silently, so that a picture in docs/ never blocks a deployment (a unit that refers to it finds it
 * missing). Every input is bounded: file count, bytes per file, bytes in all, name and path length,
 * depth; an error names the bound. Holds no fds, so it outlives the source it was read from. */
#ifndef TAILPOD_FILESET_H
#define TAILPOD_FILESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum {
	FILESET_FILES_MAX = 65536,	       /* files kept */
	FILESET_FILE_MAX = 1024 * 1024,	       /* bytes in one file (= INI_FILE_MAX) */
	FILESET_TOTAL_MAX = 256 * 1024 * 1024, /* bytes in all files together */
	FILESET_NAME_MAX = 255,		       /* bytes in one path component */
	FILESET_PATH_MAX = 1024,	       /* bytes in a whole relative path */
	FILESET_DEPTH_MAX = 8,		       /* path components: seven directories and a file */
	FILESET_ENTRIES_MAX = 1024 * 1024, /* directory entries looked at, skipped ones included */
};

enum fileset_load_flags {
	FILESET_LOAD_FLAT = 1 << 0, /* the root only: subdirectories are skipped (transform dir) */
	FILESET_LOAD_ALL = 1 << 1,  /* every regular non-hidden file, whatever its extension */
};

/* A file's path and bytes live in its set's chunks (fileset.c): freed with the set, never alone. */
struct fileset_file {
	char *path; /* "web.container", "apps/web.container", "immich/conf/app.env": no leading
		     * "./", no "." or ".." component, at most FILESET_DEPTH_MAX components */
	char *data; /* the bytes, NUL-terminated (data[size] == 0) */
	size_t size;
	size_t dir_len; /* fileset_dir_len(path), found once: the sort compares it, not the path */
	/* The first 8 bytes of the path below its top-level directory, NUL-padded, big-endian: an
	 * integer that orders as the bytes do, which ends most of the sort's comparisons. */
	uint64_t key;
};

struct fileset_chunk;

/* Files sorted by top-level directory ("" for the root, first), then by the rest of the path, both
 * by strcmp(): each top-level directory, with everything below it, is one contiguous run. */
struct fileset {
	struct fileset_file *files;
	size_t n_files;
	size_t n_alloc;
	size_t total;		      /* sum of the sizes, for FILESET_TOTAL_MAX */
	struct fileset_chunk *chunks; /* the files' paths and bytes (fileset.c), freed together */
	bool sorted;
};

int fileset_new(struct fileset **ret);
struct fileset *fileset_free(struct fileset *set);

/* Whether a file at path is part of the desired state: no hidden component (".git/x", "a/.b"), at
 * most FILESET_DEPTH_MAX components. */
bool fileset_path_wanted(const char *path);

/* Whether a file name (the last component) is a unit file tailpod reads: .container, .pod,
 * .volume, .network, .kube, .image, .build, .artifact, .service, .timer, .target, .socket, .path.
 */
bool fileset_is_unit_name(const char *name);

/* Add a copy of size bytes at path. -EINVAL for a path that is not relative with non-empty
 * components that are not "." or "..", or deeper than FILESET_DEPTH_MAX; -ENAMETOOLONG past
 * FILESET_NAME_MAX in a component or FILESET_PATH_MAX in all, -EFBIG past
 * FILESET_FILE_MAX, -E2BIG past FILESET_FILES_MAX or FILESET_TOTAL_MAX. The set is no longer sorted
 * until fileset_sort(), which also finds a path added twice. */
int fileset_add(struct fileset *set, const char *path, const char *data, size_t size);

/* Sort (see struct fileset); fileset_find() and the spec code need it. -EEXIST when a path is there
 * twice (the set is sorted all the same). */
int fileset_sort(struct fileset *set);

/* The file at path in a sorted set, or NULL. */
const struct fileset_file *fileset_find(const struct fileset *set, const char *path);

/* The top-level directory of a file's path ("" for the root) as a length: path[0..len). */
size_t fileset_dir_len(const char *path);

/*
 * Read a directory into a new sorted set. The root path itself is opened as given (it may be a
 * symlink the caller chose); beneath it nothing is followed: a unit file (or, with
 * FILESET_LOAD_ALL, any file) that is a symlink, a special file, a name with control characters or
 * not UTF-8, or larger than FILESET_FILE_MAX is a diagnostic (label/path, line 1), and the rest is
 * still read. Entries deeper than FILESET_DEPTH_MAX are not looked at (flags: enum
 * fileset_load_flags). Returns 0 with the set, also when diagnostics were added; -errno when the
 * root cannot be read (nothing set); -E2BIG past FILESET_FILES_MAX, FILESET_TOTAL_MAX or
 * FILESET_ENTRIES_MAX, with a diagnostic naming the bound and no set, because a partial desired
 * state must never be applied.
 */
int fileset_load_dir(const char *path, const char *label, unsigned flags, struct fileset **ret,
		     struct diag_list *diags);

#endif
