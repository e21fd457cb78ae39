/*
 * desired.c: one call from configuration to a validated desired state. As root it prepares what
 * the fetch needs — the credentials from tailpod's own files (desired_creds.c), the fetch user's
 * ids and directory — then hands the fetch and the read of the commit's tree to a process that
 * has become the fetch user (core/fetchjail), records a host key that process accepted on first
 * use (desired_creds.c), and runs the same validation as `tailpod check` on the files it sent
 * back.
 */
#include "desired_internal.h"

#include "bounds.h"
#include "core.h"
#include "fetchjail.h"
#include "fs.h"
#include "known_hosts.h"
#include "sshkey.h"
#include "tree_cache.h"
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	DESIRED_DIR_MODE = 0700, /* the state directory: root only */
};

#define DESIRED_HOME_DIR "home" /* an empty $HOME for libgit2 */

static int ensure_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, DESIRED_DIR_MODE) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* The fetch user's ids; when tailpod does not run as root there is nothing to drop. One scan of
 * each passwd file, no db: none is held while the desired state is built (issue 16). */
static int fetch_user(const struct config *c, struct fetchjail_opts *jail,
		      struct gitrepo_error *err)
{
	const char *sources[] = {USERS_PASSWD, USERS_ALT_PASSWD};
	int r = -ENOENT;

	jail->uid = geteuid();
	jail->gid = getegid();
	jail->drop = jail->uid == 0;
	if (!jail->drop)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(sources) && r < 0; i++)
		r = users_passwd_find_user(NULL, sources[i], c->fetch_user, &jail->uid, &jail->gid);
	if (r < 0)
		return gitrepo_error_set(
			err, GITREPO_FAIL_CONFIG, r,
			"the fetch user '%s' (TAILPOD_FETCH_USER) does not exist: run "
			"systemd-sysusers (tailpod's sysusers.d/tailpod.conf creates it)",
			c->fetch_user);
	if (jail->uid == 0 || jail->gid == 0)
		return gitrepo_error_set(
			err, GITREPO_FAIL_CONFIG, -EPERM,
			"the fetch user '%s' (TAILPOD_FETCH_USER) must not be root", c->fetch_user);
	return 0;
}

/*
 * The fetch process's directory: STATE-fetch beside the state directory (/var/lib/tailpod-fetch),
 * not inside it, because the state directory is root's alone (0700) and libgit2 opens the
 * repository by absolute path, which the fetch user must be able to walk.
 */
static int prepare_fetch_dir(const struct config *c, const struct fetchjail_opts *jail, int *ret_fd,
			     struct gitrepo_error *err)
{
	char path[PATH_MAX];
	_cleanup_close_ int parent_fd = -1;
	const char *name;
	int r = -ENAMETOOLONG;

	if (snprintf(path, sizeof(path), "%s%s", c->state_dir, DESIRED_FETCH_SUFFIX) <
	    (int)sizeof(path))
		r = fs_open_parent(path, &parent_fd, &name);
	if (r >= 0)
		r = fetchjail_prepare_dir(parent_fd, name, jail->uid, jail->gid, ret_fd);
	if (r < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, r,
					 "%s: cannot prepare the fetch directory: %s", path,
					 strerror(-r));
	return 0;
}

/* Before the fetch moved into its own process, root kept the repository in the state directory;
 * nothing reads it any more. */
static void remove_old_layout(const struct config *c)
{
	_cleanup_close_ int state_fd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (state_fd < 0)
		return;
	(void)fs_remove_tree(state_fd, "repo.git");
	(void)fs_remove_tree(state_fd, "git-home");
}

/* The files of the commit the last fetch read (tree_cache.h), for jail->known_commit; none when
 * the cache is missing or fails a check (the tree is read, and the cache written again). */
static struct fileset *cached_tree(int state_fd, char commit[GITREPO_OID_HEX_SIZE],
				   struct fetchjail_opts *jail)
{
	struct fileset *files = NULL;

	if (state_fd < 0 || tree_cache_load(state_fd, commit, &files) < 0)
		return NULL;
	jail->known_commit = commit;
	return files;
}

static int fetch_jailed(const struct config *c, struct fetchjail_opts *jail, bool keep,
			struct desired *d, struct diag_list *diags, struct gitrepo_error *err)
{
	_cleanup_close_ int state_fd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char known[GITREPO_OID_HEX_SIZE];
	struct fileset *cached = cached_tree(state_fd, known, jail);
	struct fetchjail_result res = {0};
	size_t n_diags = diag_list_count(diags);
	struct gitrepo_error gerr;
	int r = fetchjail_run(jail, &res, diags, &gerr);

	if (r >= 0 && res.tree_known) {
		res.repo = TAKE_PTR(cached);
	} else if (r >= 0 && keep && state_fd >= 0 && diag_list_count(diags) == n_diags) {
		/* A read with nothing to report is kept for the next fetch that finds this commit;
		 * one that cannot be kept is read again then. */
		(void)tree_cache_save(state_fd, res.fetch.commit, res.repo);
	}
	fileset_free(cached);
	if (r < 0)
		return gitrepo_error_set(err, gerr.failure, r, "%s", gerr.msg);
	if (jail->new_hostkey->host[0]) {
		r = desired_record_new_host(c, jail->new_hostkey, d, err);
		if (r < 0) {
			fileset_free(res.repo);
			return r;
		}
	}
	memcpy(d->commit, res.fetch.commit, sizeof(d->commit));
	memcpy(d->previous, res.fetch.previous, sizeof(d->previous));
	d->repo_recreated = res.fetch.recreated;
	d->fetch_unfiltered = res.unfiltered;
	d->repo = res.repo;
	return 0;
}

/* How desired_get() reads the commit: fetched or the last one, the tree's files kept or not. */
enum get_mode {
	GET_FETCH,     /* fetch, and keep the files of a commit read (tree_cache.h) */
	GET_FETCH_DRY, /* fetch, and write nothing in the state directory (a dry run) */
	GET_LAST,      /* the commit the last fetch left, nothing written */
};

static int fetch_commit(const struct config *c, enum get_mode mode, struct desired *d,
			struct diag_list *diags, struct gitrepo_error *err)
{
	bool no_fetch = mode == GET_LAST;
	static struct fetchjail_hostkey new_hostkey; /* 16 KiB: not on the stack */
	struct desired_ssh ssh_ctx = {
		.c = c, .new_hostkey = &new_hostkey, .notes = &d->host_key_notes};
	struct gitrepo_ssh ssh = {0};
	struct gitrepo_fetch_opts o = {
		.url = c->git_url,
		.branch = c->git_branch,
		.repo_dir = DESIRED_REPO_DIR,
		.home_dir = DESIRED_HOME_DIR,
		.timeout_s = c->git_timeout_s,
		.max_bytes = c->git_max_bytes,
		.no_fetch = no_fetch,
	};
	struct fetchjail_opts jail = {
		.fetch = &o, .new_hostkey = &new_hostkey, .notes = &d->host_key_notes};
	_cleanup_close_ int fetch_fd = -1;
	char *token = NULL;
	int r;

	r = fetch_user(c, &jail, err);
	if (r >= 0) {
		r = ensure_dir(c->state_dir);
		if (r < 0)
			gitrepo_error_set(err, GITREPO_FAIL_LOCAL, r,
					  "%s: cannot prepare the state directory: %s",
					  c->state_dir, strerror(-r));
	}
	if (r >= 0)
		r = prepare_fetch_dir(c, &jail, &fetch_fd, err);
	if (r >= 0 && !no_fetch)
		r = desired_load_token(c, &token, err);
	if (r >= 0 && !no_fetch && gitrepo_url_is_ssh(c->git_url)) {
		r = desired_load_ssh(c, &ssh_ctx, &ssh, err);
		o.ssh = &ssh;
	}
	if (r < 0)
		goto out;
	o.token = token;
	jail.dir_fd = fetch_fd;
	if (strncmp(c->git_url, "https://", 8) == 0)
		jail.ca_bundle = c->ca_bundle;
	r = fetch_jailed(c, &jail, mode == GET_FETCH, d, diags, err);
	if (r >= 0 && !no_fetch)
		remove_old_layout(c);
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	free(ssh_ctx.known_hosts);
	sshkey_free(ssh_ctx.key);
	return r;
}

static int load_transforms(const struct config *c, struct desired *d, struct diag_list *diags)
{
	int r = fileset_load_dir(c->transform_dir, c->transform_dir,
				 FILESET_LOAD_FLAT | FILESET_LOAD_ALL, &d->transforms, diags);

	return r == -ENOENT ? 0 : r; /* a host without transforms has none */
}

static int desired_get(const struct config *c, enum get_mode mode, struct desired *d,
		       struct diag_list *diags, struct gitrepo_error *err)
{
	struct desired out = {0};
	struct spec_opts opts = {
		.repo_label = "",
		.transform_label = c->transform_dir,
		.podman = podman_version_is_set(&c->podman_version) ? &c->podman_version : NULL,
		.allow_plaintext_secrets = c->allow_plaintext_secrets,
	};
	int r;

	*err = (struct gitrepo_error){0};
	r = fetch_commit(c, mode, &out, diags, err);
	d->host_key_notes = out.host_key_notes; /* for the log, also when the fetch failed */
	if (r < 0)
		return r;
	r = load_transforms(c, &out, diags);
	if (r >= 0)
		r = spec_build(out.repo, out.transforms, &opts, &out.set, diags);
	if (r < 0) {
		desired_release(&out);
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, r,
					 "cannot read the desired state of commit "
					 "%.12s: %s",
					 out.commit, strerror(-r));
	}
	diag_list_sort(diags);
	if (diag_list_count(diags)) {
		out.set = spec_set_free(out.set);
	} else { /* the set owns copies of what it needs of the files: a sync keeps it alone */
		out.repo = fileset_free(out.repo);
		out.transforms = fileset_free(out.transforms);
	}
	*d = out;
	return 0;
}

int desired_fetch(const struct config *c, struct desired *d, struct diag_list *diags,
		  struct gitrepo_error *err)
{
	return desired_get(c, GET_FETCH, d, diags, err);
}

int desired_fetch_dry(const struct config *c, struct desired *d, struct diag_list *diags,
		      struct gitrepo_error *err)
{
	return desired_get(c, GET_FETCH_DRY, d, diags, err);
}

int desired_read_last(const struct config *c, struct desired *d, struct diag_list *diags,
		      struct gitrepo_error *err)
{
	return desired_get(c, GET_LAST, d, diags, err);
}

void desired_release(struct desired *d)
{
	d->set = spec_set_free(d->set);
	d->transforms = fileset_free(d->transforms);
	d->repo = fileset_free(d->repo);
}

void desired_workload_hash(const struct spec_workload *w, char out[HASH_SHA256_HEX_SIZE])
{
	struct hash_sha256 h;
	char size[32];

	hash_sha256_init(&h);
	for (size_t i = 0; i < w->n_units; i++) {
		const struct spec_unit *u = &w->units[i];
		int n = snprintf(size, sizeof(size), "%zu", u->size);

		hash_sha256_update(&h, u->name, strlen(u->name) + 1);
		hash_sha256_update(&h, size, (size_t)n + 1);
		hash_sha256_update(&h, u->data, u->size);
	}
	hash_sha256_final_hex(&h, out);
}
