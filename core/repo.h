/* repo.h: the desired state as plain memory — a sorted list of (relative path, bytes) files that
 * the checks and the merge read, whatever the source: a directory (repo_load_dir, here) or a git
 * tree read without a checkout (the fetch code, through repo_add). Only what tailpod deploys is
 * kept: files at the root and one directory below it (quadsync's layout), whose extension is a
 * unit type (repo_path_wanted), never hidden entries (.git, .github) and never a symlink. Every
 * input is bounded: file count, bytes per file, bytes in all, name length; an error names the
 * bound. Holds no fds, so it outlives the source it was read from. */
#ifndef TAILPOD_REPO_H
#define TAILPOD_REPO_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum {
	REPO_FILES_MAX = 65536,		    /* files kept */
	REPO_FILE_MAX = 1024 * 1024,	    /* bytes in one file (= INI_FILE_MAX) */
	REPO_TOTAL_MAX = 256 * 1024 * 1024, /* bytes in all files together */
	REPO_NAME_MAX = 255,		    /* bytes in one path component */
	REPO_ENTRIES_MAX = 1024 * 1024,	    /* directory entries looked at, skipped ones included */
};

enum repo_load_flags {
	REPO_LOAD_FLAT = 1 << 0, /* the root only: subdirectories are skipped (transform dir) */
	REPO_LOAD_ALL = 1 << 1,	 /* every regular non-hidden file, whatever its extension */
};

struct repo_file {
	char *path; /* "web.container" or "apps/web.container": no leading "./", no "..", one '/' */
	char *data; /* the bytes, NUL-terminated (data[size] == 0) */
	size_t size;
};

/* Files sorted by directory ("" for the root, first), then by name, both by strcmp(): each
 * directory is one contiguous run. */
struct repo {
	struct repo_file *files;
	size_t n_files;
	size_t n_alloc;
	size_t total; /* sum of the sizes, for REPO_TOTAL_MAX */
	bool sorted;
};

int repo_new(struct repo **ret);
struct repo *repo_free(struct repo *repo);

/* Whether a file at path is one tailpod reads: a name ending in .container, .pod, .volume,
 * .network, .kube, .image, .build, .service or .timer, no hidden component, at most one '/'. */
bool repo_path_wanted(const char *path);

/* Add a copy of size bytes at path. -EINVAL for a path that is not "NAME" or "DIR/NAME" with
 * non-empty components that are not "." or "..", -ENAMETOOLONG past REPO_NAME_MAX, -EFBIG past
 * REPO_FILE_MAX, -E2BIG past REPO_FILES_MAX or REPO_TOTAL_MAX. The repo is no longer sorted
 * until repo_sort(), which also finds a path added twice. */
int repo_add(struct repo *repo, const char *path, const char *data, size_t size);

/* Sort (see struct repo); repo_find() and the spec code need it. -EEXIST when a path is there
 * twice (the repo is sorted all the same). */
int repo_sort(struct repo *repo);

/* The file at path in a sorted repo, or NULL. */
const struct repo_file *repo_find(const struct repo *repo, const char *path);

/* The directory part of a file's path ("" for the root) as a length: path[0..len). */
size_t repo_dir_len(const char *path);

/*
 * Read a directory into a new sorted repo. The root path itself is opened as given (it may be a
 * symlink the caller chose); beneath it nothing is followed: a symlink, a special file, a name
 * with control characters or not UTF-8, and a file larger than REPO_FILE_MAX are diagnostics
 * (label/path, line 1), and the rest is still read. Entries deeper than one directory are not
 * looked at (flags: enum repo_load_flags). Returns 0 with the repo, also when diagnostics were
 * added; -errno when the root cannot be read (nothing set); -E2BIG past REPO_FILES_MAX,
 * REPO_TOTAL_MAX or REPO_ENTRIES_MAX, with a diagnostic naming the bound and no repo, because a
 * partial desired state must never be applied.
 */
int repo_load_dir(const char *path, const char *label, unsigned flags, struct repo **ret,
		  struct diag_list *diags);

#endif
