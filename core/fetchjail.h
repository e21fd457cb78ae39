/*
 * fetchjail.h: the fetch of the desired state, and the read of its tree, in a forked child that
 * has become the unprivileged fetch user (TAILPOD_FETCH_USER, tailpod-fetch). libgit2, libssh2
 * and mbedTLS parse what the network sends there, never in root. The child inherits in memory
 * what root prepared for it (the token, the parsed deploy key, the known_hosts text, the CA
 * certificates) and cannot reopen any of it: before the first byte from the network it has
 * closed every other descriptor, dropped its groups and ids, set no_new_privs, become
 * non-dumpable and installed a seccomp filter (core/seccomp). It sends back the fetched commit,
 * the tree's files and diagnostics, a host key to record and the known_hosts notes, in a small
 * framed format that the parent checks against the same bounds as any other repo (core/repo). Core
 * module: no printing.
 */
#ifndef TAILPOD_FETCHJAIL_H
#define TAILPOD_FETCHJAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "diag.h"
#include "gitrepo.h"
#include "known_hosts.h"

enum {
	FETCHJAIL_HOST_MAX = 300,	   /* a DNS name, "[host]:port" included */
	FETCHJAIL_HOSTKEY_MAX = 16 * 1024, /* an ssh host key blob (16384-bit RSA fits) */
	FETCHJAIL_TREE_MARGIN_S = 60,	   /* reading the tree, after the fetch's own timeout */
	FETCHJAIL_DIR_MODE = 0700,	   /* the fetch directory: the fetch user's alone */
};

/* Address space of the fetch process: packs up to TAILPOD_GIT_MAX_BYTES (at most 1 GiB) are
 * indexed through mmap windows, so this bounds a decompression bomb libgit2 itself would
 * inflate (a delta against a huge base) without getting in a real fetch's way. */
#define FETCHJAIL_AS_MAX (3ULL << 30)

/* A host key the child accepted on first use (TAILPOD_SSH_ACCEPT_NEW): the parent records it,
 * since the child cannot write known_hosts. host[0] == '\0' when there is none. */
struct fetchjail_hostkey {
	char host[FETCHJAIL_HOST_MAX];
	unsigned port;
	unsigned char key[FETCHJAIL_HOSTKEY_MAX];
	size_t key_len;
};

struct fetchjail_opts {
	int dir_fd; /* the fetch directory (fetchjail_prepare_dir) */
	bool drop;  /* become uid/gid (the caller is root); false: stay who we are */
	uid_t uid;
	gid_t gid;
	const char *ca_bundle; /* loaded before the drop (the child may not be able to open it) */
	/* What gitrepo_fetch gets in the child: repo_dir and home_dir relative to dir_fd, and
	 * ca_bundle NULL (loaded already). Its callbacks run in the child. */
	const struct gitrepo_fetch_opts *fetch;
	/* Written in the child by the ssh host-key callback, carried back into the parent's copy:
	 * a key accepted on first use, and the known_hosts lines the check could not use. */
	struct fetchjail_hostkey *new_hostkey;
	struct known_hosts_notes *notes;
	/* The commit whose files the caller has (tree_cache.h), or NULL: when the fetch finds the
	 * branch at it, the child reads no tree and the result says so (tree_known). */
	const char *known_commit;
};

struct fetchjail_result {
	struct gitrepo_fetch_result fetch;
	struct fileset
		*repo; /* the commit's tree (gitrepo_read_tree), sorted; NULL if tree_known */
	/* The fetch found the branch at opts.known_commit and read no tree: the caller's files are
	 * the commit's. */
	bool tree_known;
	/* The kernel refused the seccomp filter with EINVAL (a kernel without it, or qemu-user,
	 * which keeps it from its guests): the fetch ran with the other restrictions only. */
	bool unfiltered;
};

/*
 * Make name below state_fd the fetch directory: a real directory (never a symlink) owned by
 * uid:gid with FETCHJAIL_DIR_MODE. One owned by anybody else (the setting changed, or a
 * directory left by an older layout) is removed and made anew. 0 with *ret_fd open on it.
 */
int fetchjail_prepare_dir(int state_fd, const char *name, uid_t uid, gid_t gid, int *ret_fd);

/*
 * Fork, jail the child, fetch and read the tree there; wait at most the fetch's timeout plus
 * FETCHJAIL_TREE_MARGIN_S. Returns 0 with *ret filled (and the tree's diagnostics in diags);
 * -errno with err filled when the fetch failed (gitrepo's failure class), when the tree could not
 * be read (GITREPO_FAIL_LOCAL, a diagnostic names the bound), or when the child broke the
 * protocol, died or ran late (GITREPO_FAIL_LOCAL or _TIMEOUT). Nothing is half-returned.
 */
int fetchjail_run(const struct fetchjail_opts *o, struct fetchjail_result *ret,
		  struct diag_list *diags, struct gitrepo_error *err);

#endif
