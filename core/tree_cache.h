/* tree_cache.h: the files of the commit the last fetch read, kept in the state directory, so that a
 * fetch that finds the branch where it was reads no tree (issue 16: reading the tree of 1 000
 * workloads was ~6 ms of the fetch process's ~10, every no-op sync).
 *
 * A commit id names its tree, and so its files, for good: the files read once for it are the
 * files of every later read, as long as the rules of the read are the same (TREE_CACHE_RULES and
 * the fileset bounds, both in the file's header). Only a read that found nothing to report is
 * kept, so a commit whose tree has a problem is read again, and reported, each time.
 *
 * The file is root's (STATE/tree.cache, 0600, written atomically) and is checked before its
 * files are taken: its header names this format, these rules, the commit, the count of files and
 * bytes, and the SHA-256 of what follows; each file goes into the set through fileset_add(), with
 * the bounds of any other read. A file that fails any check is not used (and is replaced after
 * the next read). */
#ifndef TAILPOD_TREE_CACHE_H
#define TAILPOD_TREE_CACHE_H

#include "fileset.h"
#include "gitrepo.h"

#define TREE_CACHE_FILE "tree.cache"

enum {
	/* The version of the rules the fetch process reads a tree by (core/gitrepo_tree.c: which
	 * entries are kept, how paths are made): raise it with any change to them, and the files
	 * kept by an older tailpod are read again. */
	TREE_CACHE_RULES = 1,
	/* Bytes of the file at most: a larger tree is read each time (its copy, made whole before
	 * it is written, would double the memory of a fetch near FILESET_TOTAL_MAX). */
	TREE_CACHE_MAX = 32 * 1024 * 1024,
};

/* The commit and the files kept in STATE/tree.cache below state_fd: 0 with commit (40 hex
 * digits) and *ret (a sorted set) filled; -ENOENT when there is none, -EBADMSG when it fails a
 * check, or another -errno. */
int tree_cache_load(int state_fd, char commit[GITREPO_OID_HEX_SIZE], struct fileset **ret);

/* The same from the file's len bytes in buf (tests/fuzz/fuzz-tree_cache.c). */
int tree_cache_parse(const char *buf, size_t len, char commit[GITREPO_OID_HEX_SIZE],
		     struct fileset **ret);

/* Keep repo (sorted) as the files of commit, replacing what was kept: 0 or -errno (-EFBIG past
 * TREE_CACHE_MAX, and what was kept is left). */
int tree_cache_save(int state_fd, const char *commit, const struct fileset *repo);

#endif
