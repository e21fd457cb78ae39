/*
 * gitrepo.h: fetch the desired state into a bare repository with libgit2 (https, ssh, file),
 * never a git binary and never a working tree. The remote is the truth: a force-pushed branch
 * replaces the old tip, a missing branch is an error that changes nothing.
 */
#ifndef TAILPOD_GITREPO_H
#define TAILPOD_GITREPO_H

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include "error.h"

enum {
	GITREPO_OID_HEX_SIZE = 41, /* 40 hex digits of a SHA-1 object id and a NUL */
	GITREPO_BRANCH_MAX = 200,
	GITREPO_URL_MAX = 2048,
	/* Objects are parsed whole, so their sizes are read from the object header first. */
	GITREPO_COMMIT_MAX = 1024 * 1024,    /* bytes in one commit object */
	GITREPO_TREE_MAX = 16 * 1024 * 1024, /* bytes in one tree object (one directory) */
};

/* Why a fetch failed, so the caller can choose the exit status (75 for the temporary ones). */
enum gitrepo_failure {
	GITREPO_FAIL_NONE = 0,
	GITREPO_FAIL_NETWORK,  /* cannot reach the remote: temporary */
	GITREPO_FAIL_TIMEOUT,  /* the whole fetch ran past its deadline: temporary */
	GITREPO_FAIL_AUTH,     /* credentials refused */
	GITREPO_FAIL_HOSTKEY,  /* certificate or ssh host key not trusted */
	GITREPO_FAIL_BRANCH,   /* the branch does not exist on the remote */
	GITREPO_FAIL_LOCAL,    /* the local repository could not be opened or written */
	GITREPO_FAIL_CONFIG,   /* bad URL, branch name or option */
	GITREPO_FAIL_PROTOCOL, /* anything else the remote or libgit2 reported */
};

struct gitrepo_error {
	ERROR_DETAIL_MEMBERS;
	enum gitrepo_failure failure;
};

/* Set err's failure class and message (cut to fit); returns r, so a caller can
 * "return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, -EINVAL, ...)". Used by every layer that
 * reports a fetch: gitrepo, fetchjail and desired. */
int gitrepo_error_set(struct gitrepo_error *err, enum gitrepo_failure failure, int r,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Signs data for ssh public-key authentication: a malloc'd raw signature, as libssh2 wants. */
typedef int (*gitrepo_ssh_sign_fn)(unsigned char **ret_sig, size_t *ret_sig_len,
				   const unsigned char *data, size_t data_len, void *payload);

/* Decides about an ssh host key: 0 trusted, <0 refused (with a message in msg). */
typedef int (*gitrepo_hostkey_fn)(const char *host, unsigned port, const unsigned char *key,
				  size_t key_len, char *msg, size_t msg_size, void *payload);

struct gitrepo_ssh {
	const unsigned char *public_key; /* SSH wire-format public key blob */
	size_t public_key_len;
	gitrepo_ssh_sign_fn sign;
	gitrepo_hostkey_fn check_hostkey;
	void *payload;
};

struct gitrepo_fetch_opts {
	const char *url;
	const char *branch;
	const char *repo_dir;  /* the bare repository, created when missing */
	const char *home_dir;  /* an empty directory libgit2 may treat as $HOME (no ~/.ssh, no
				  ~/.gitconfig) */
	const char *ca_bundle; /* PEM file for https, or NULL */
	const char *token;     /* https password (sent as basic auth), or NULL; never logged, never
				  offered to anything but an https:// URL */
	const struct gitrepo_ssh *ssh; /* required for ssh URLs */
	unsigned timeout_s;	       /* the whole fetch, connect included */
	size_t max_bytes; /* the transfer is aborted once the remote sent more (not 0) */
	bool no_fetch;	  /* fetchjail: gitrepo_last_tip instead, never the network */
};

struct gitrepo_fetch_result {
	char commit[GITREPO_OID_HEX_SIZE];   /* the fetched branch tip */
	char previous[GITREPO_OID_HEX_SIZE]; /* the tip before, or "" on the first fetch */
	bool recreated;			     /* the local repository was corrupt and rebuilt */
};

/* Initialise libgit2 for this process (every gitrepo call does it on first use); release it
 * once, at the end of the applet. Never init again after the release (libgit2 1.9 double-frees
 * a setting on a second shutdown). */
int gitrepo_runtime_init(void);
void gitrepo_runtime_release(void);

/* Load the PEM CA bundle for https now (libgit2 parses it at once), e.g. before dropping the
 * rights to open it; a fetch with opts->ca_bundle NULL then uses it. bundle NULL: every file of
 * GITREPO_CA_DIR, what libgit2 loaded by itself at init before issue 16 (the library is built
 * to load nothing then, see third_party/recipes/libgit2.sh). */
#define GITREPO_CA_DIR "/etc/ssl/certs"
int gitrepo_load_ca(const char *bundle, struct gitrepo_error *err);

/* Fetch branch of url into repo_dir (shallow). On failure nothing the caller relies on changed. */
int gitrepo_fetch(const struct gitrepo_fetch_opts *opts, struct gitrepo_fetch_result *ret_result,
		  struct gitrepo_error *err);

/* gitrepo_fetch(), leaving the repository it fetched into open in *ret_open for
 * gitrepo_read_open_tree(): NULL when it had to be rebuilt (or no memory), and the tree is read by
 * its directory then. Opened once, not twice (issue 16: opening it again read its config, refs
 * and pack index anew, and freeing it first unmapped its pack and caches). Free it with
 * gitrepo_open_free(), or leave it to the process's exit, as the fetch child does. */
struct gitrepo_open;
int gitrepo_fetch_open(const struct gitrepo_fetch_opts *opts,
		       struct gitrepo_fetch_result *ret_result, struct gitrepo_error *err,
		       struct gitrepo_open **ret_open);
void gitrepo_open_free(struct gitrepo_open *open);

/* The tip of opts->branch the last fetch left in opts->repo_dir (previous = commit), without
 * connecting: -ENOENT when nothing was fetched yet, -EBADMSG when it does not read back
 * (gitrepo_local.c). Only branch, repo_dir and home_dir of opts are used. */
int gitrepo_last_tip(const struct gitrepo_fetch_opts *opts, struct gitrepo_fetch_result *ret,
		     struct gitrepo_error *err);

/* URL facts (gitrepo_url.c). Whether url is reached over ssh: ssh://, ssh+git://, git+ssh:// or
 * scp-like user@host:path. */
bool gitrepo_url_is_ssh(const char *url);
/* A file:// URL or a plain path: fetched in full, not shallow. */
bool gitrepo_url_is_local(const char *url);
/* The port of an ssh URL: explicit in ssh://host:port/..., else SSH_PORT. */
unsigned gitrepo_url_ssh_port(const char *url);

struct fileset;
struct diag_list;

/*
 * Read the tree of commit_hex in repo_dir into a new sorted repo (core/repo.h), without a
 * checkout: every non-hidden file down to FILESET_DEPTH_MAX. Every object's size is
 * read from its header before the object is: a blob over FILESET_FILE_MAX is a diagnostic and never
 * inflated. Symlinks and submodules become diagnostics under label. Past a bound of the whole
 * tree (FILESET_ENTRIES_MAX entries looked at, FILESET_FILES_MAX, FILESET_TOTAL_MAX, a tree object
 * over GITREPO_TREE_MAX, a commit over GITREPO_COMMIT_MAX) the walk stops at once with a diagnostic
 * naming the bound and the repo comes back empty: with that diagnostic the desired state is
 * invalid and nothing of it is applied. Implemented in gitrepo_tree.c.
 */
int gitrepo_read_tree(const char *repo_dir, const char *commit_hex, const char *label,
		      struct fileset **ret, struct diag_list *diags);
/* The same read, in a repository gitrepo_fetch_open() left open (which stays open). */
int gitrepo_read_open_tree(struct gitrepo_open *open, const char *commit_hex, const char *label,
			   struct fileset **ret, struct diag_list *diags);

/* Compaction (gitrepo_local.c): libgit2 has no gc, so a repository that grew (force-pushed
 * history, unreachable objects, one pack per fetch) is rebuilt. */
#define GITREPO_COMPACT_SUFFIX ".gc" /* the rebuilt repository beside repo_dir until the swap */

struct gitrepo_compact_result {
	char commit[GITREPO_OID_HEX_SIZE]; /* the tip the rebuilt repository holds */
	size_t objects;			   /* objects it holds */
	bool old_left;			   /* swapped in, but the old one (repo_dir.gc) stayed */
};

/*
 * Rebuild the bare repository repo_dir holding only the tip of refs/remotes/origin/BRANCH: its
 * commit (recorded as shallow, as a depth-1 fetch leaves it) and that commit's tree, packed
 * into a fresh repository at repo_dir.gc, verified (the tip resolves and reads back, every object
 * packed is there), then swapped in with one atomic rename and the old one removed. Any failure
 * before the swap leaves repo_dir untouched and removes the fresh one. A repository that does
 * not open or whose tip does not read back is refused (-EBADMSG): the next fetch rebuilds it.
 */
int gitrepo_compact(const char *repo_dir, const char *branch, struct gitrepo_compact_result *ret,
		    struct gitrepo_error *err);

/* The bytes of the regular files beneath name (below dirfd), never following a symlink nor
 * leaving the file system; at most a few levels, as a repository has (-ELOOP beyond). */
int gitrepo_dir_bytes(int dirfd, const char *name, unsigned long long *ret_bytes);

#endif
