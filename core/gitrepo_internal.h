/* gitrepo_internal.h: what gitrepo.c and gitrepo_tree.c share — the size check every object
 * passes before libgit2 inflates and parses it whole. Not for applets. */
#ifndef TAILPOD_GITREPO_INTERNAL_H
#define TAILPOD_GITREPO_INTERNAL_H

#include <git2.h>
#include <stddef.h>

/* Read only the header of object id: 0 (and its size in ret_size, which may be NULL) when it is
 * a want of at most max bytes; -EFBIG over max, -EBADMSG for another type, -ENOENT when it is
 * missing, -EIO when it cannot be read. */
int gitrepo_object_fits(git_odb *odb, const git_oid *id, git_object_t want, size_t max,
			size_t *ret_size);

/* What gitrepo_fetch_open() leaves open for the tree read (gitrepo.h). */
struct gitrepo_open {
	git_repository *git;
};

/* The commit tip and its root tree read back, each within its bound (gitrepo.c). */
int gitrepo_tip_reads_back(git_repository *repo, const git_oid *tip);
/* No system, global or XDG git configuration, and home_dir (a $HOME with nothing in it) unless
 * NULL: libgit2's setting (gitrepo_local.c). <0 from git_libgit2_opts. */
int gitrepo_no_host_config(const char *home_dir);
/* Remove the directory tree at path, never following a symlink; a missing one is success. */
int gitrepo_remove_dir(const char *path);

#endif
