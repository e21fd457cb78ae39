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

#endif
