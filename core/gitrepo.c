/*
 * gitrepo.c: the desired state arrives through libgit2 only. One fetch: open (or create) the
 * bare repository, connect, check that the branch is advertised, fetch it shallow with a forced
 * refspec (the remote is the truth), and verify that the local ref now names the advertised
 * tip. A repository that cannot be opened is rebuilt beside the old one and swapped in with one
 * atomic rename, so a failed rebuild leaves the old one in place. libgit2 is kept away from
 * the host's git configuration and from ~/.ssh: settings come from tailpod's config only.
 */
#define _GNU_SOURCE /* renameat2 flags */
#include "gitrepo.h"
#include "gitrepo_internal.h"

#include "bounds.h"
#include "clock.h"
#include "core.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

enum {
	GITREPO_CONNECT_TIMEOUT_MS_MAX = 30 * 1000, /* one TCP connect, within the whole timeout */
	GITREPO_REF_MAX = GITREPO_BRANCH_MAX + 64,
	GITREPO_TIMEOUT_MAX_S = 24 * 3600, /* keeps the millisecond settings within an int */
};

/* What the libgit2 callbacks share with the fetch that registered them. */
struct fetch_ctx {
	const struct gitrepo_fetch_opts *opts;
	uint64_t deadline_ms; /* clock_now_ms() */
	unsigned ssh_port;
	unsigned credential_calls;
	bool timed_out;
	bool too_big; /* the remote sent more than opts->max_bytes */
	bool hostkey_refused;
	bool no_credentials;
	char hostkey_msg[ERROR_MSG_MAX / 2];
};

int gitrepo_error_set(struct gitrepo_error *err, enum gitrepo_failure failure, int r,
		      const char *fmt, ...)
{
	va_list ap;

	err->failure = failure;
	va_start(ap, fmt);
	error_detail_vset(err, fmt, ap);
	va_end(ap);
	return r;
}

static const char *libgit2_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

/*
 * libgit2 is initialised once per process and shut down once, by gitrepo_runtime_release():
 * libgit2 1.9 frees its user-agent setting at shutdown without forgetting it, so a second
 * init/shutdown cycle in one process would free it twice.
 */
static bool runtime_ready;

int gitrepo_runtime_init(void)
{
	if (runtime_ready)
		return 0;
	if (git_libgit2_init() < 0)
		return -EIO;
	runtime_ready = true;
	return 0;
}

void gitrepo_runtime_release(void)
{
	if (!runtime_ready)
		return;
	git_libgit2_shutdown();
	runtime_ready = false;
}

static bool deadline_passed(struct fetch_ctx *ctx)
{
	if (clock_now_ms() >= ctx->deadline_ms)
		ctx->timed_out = true;
	return ctx->timed_out;
}

/* --- libgit2 callbacks ------------------------------------------------------------------------ */

static int ssh_sign_trampoline(LIBSSH2_SESSION *session, unsigned char **sig, size_t *sig_len,
			       const unsigned char *data, size_t data_len, void **abstract)
{
	struct fetch_ctx *ctx = *abstract;
	const struct gitrepo_ssh *ssh = ctx->opts->ssh;

	(void)session;
	return ssh->sign(sig, sig_len, data, data_len, ssh->payload) < 0 ? -1 : 0;
}

static int on_credentials(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	struct fetch_ctx *ctx = payload;
	const struct gitrepo_fetch_opts *o = ctx->opts;

	/* One offer only: libgit2 asks again after a refusal, and the answer would not change. */
	if (ctx->credential_calls++ > 0)
		return GIT_EAUTH;
	if ((allowed & GIT_CREDENTIAL_SSH_CUSTOM) && o->ssh)
		return git_credential_ssh_custom_new(out, user_from_url ? user_from_url : "git",
						     (const char *)o->ssh->public_key,
						     o->ssh->public_key_len, ssh_sign_trampoline,
						     ctx);
	/* The token goes to an https remote only (check_opts refuses http:// before any
	 * connection; libgit2 never follows a redirect from https down to http). */
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && o->token &&
	    strncasecmp(url, "https://", 8) == 0)
		return git_credential_userpass_plaintext_new(
			out, user_from_url ? user_from_url : "x-access-token", o->token);
	ctx->no_credentials = true;
	return GIT_EAUTH;
}

static int on_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	struct fetch_ctx *ctx = payload;
	const struct gitrepo_ssh *ssh = ctx->opts->ssh;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;

	if (cert->cert_type == GIT_CERT_X509) {
		if (valid)
			return 0;
		snprintf(ctx->hostkey_msg, sizeof(ctx->hostkey_msg),
			 "TLS certificate of '%s' is not trusted by the CA bundle", host);
		ctx->hostkey_refused = true;
		return GIT_ECERTIFICATE;
	}
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2 || !(hk->type & GIT_CERT_SSH_RAW) || !ssh ||
	    !ssh->check_hostkey) {
		snprintf(ctx->hostkey_msg, sizeof(ctx->hostkey_msg),
			 "no way to verify the host key of '%s'", host);
		ctx->hostkey_refused = true;
		return GIT_ECERTIFICATE;
	}
	if (ssh->check_hostkey(host, ctx->ssh_port, (const unsigned char *)hk->hostkey,
			       hk->hostkey_len, ctx->hostkey_msg, sizeof(ctx->hostkey_msg),
			       ssh->payload) < 0) {
		ctx->hostkey_refused = true;
		return GIT_ECERTIFICATE;
	}
	return 0;
}

/* Called every 100 KiB received and once more before the pack is committed: past max_bytes
 * the transfer stops and the pack is dropped, so the refs and objects stay as they were. */
static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	struct fetch_ctx *ctx = payload;

	if (stats->received_bytes > ctx->opts->max_bytes) {
		ctx->too_big = true;
		return GIT_EUSER;
	}
	return deadline_passed(ctx) ? GIT_EUSER : 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return deadline_passed(payload) ? GIT_EUSER : 0;
}

static void callbacks_init(git_remote_callbacks *cb, struct fetch_ctx *ctx)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = on_credentials;
	cb->certificate_check = on_certificate;
	cb->transfer_progress = on_transfer;
	cb->sideband_progress = on_sideband;
	cb->payload = ctx;
}

/* --- classification --------------------------------------------------------------------------- */

static void classify_failure(int code, const struct fetch_ctx *ctx, const char *step,
			     struct gitrepo_error *err)
{
	const git_error *e = git_error_last();
	int klass = e ? e->klass : GIT_ERROR_NONE;

	if (ctx->too_big)
		gitrepo_error_set(
			err, GITREPO_FAIL_PROTOCOL, 0,
			"%s: the remote sent more than %zu bytes (TAILPOD_GIT_MAX_BYTES), "
			"nothing was kept",
			step, ctx->opts->max_bytes);
	else if (ctx->timed_out)
		gitrepo_error_set(err, GITREPO_FAIL_TIMEOUT, 0, "%s: no answer within %u s", step,
				  ctx->opts->timeout_s);
	else if (ctx->hostkey_refused)
		gitrepo_error_set(err, GITREPO_FAIL_HOSTKEY, 0, "%s: %s", step, ctx->hostkey_msg);
	else if (ctx->no_credentials)
		gitrepo_error_set(err, GITREPO_FAIL_AUTH, 0,
				  "%s: the remote asks for credentials and none "
				  "are configured for this URL",
				  step);
	else if (code == GIT_EAUTH || ctx->credential_calls > 1)
		gitrepo_error_set(err, GITREPO_FAIL_AUTH, 0, "%s: credentials refused: %s", step,
				  libgit2_message());
	else if (code == GIT_ECERTIFICATE)
		gitrepo_error_set(err, GITREPO_FAIL_HOSTKEY, 0, "%s: %s", step, libgit2_message());
	else if (klass == GIT_ERROR_ODB || klass == GIT_ERROR_REPOSITORY ||
		 klass == GIT_ERROR_INDEX || klass == GIT_ERROR_FILESYSTEM ||
		 klass == GIT_ERROR_REFERENCE)
		gitrepo_error_set(err, GITREPO_FAIL_LOCAL, 0, "%s: local repository: %s", step,
				  libgit2_message());
	else if (klass == GIT_ERROR_NET || klass == GIT_ERROR_SSH || klass == GIT_ERROR_SSL ||
		 klass == GIT_ERROR_OS)
		gitrepo_error_set(err, GITREPO_FAIL_NETWORK, 0, "%s: %s", step, libgit2_message());
	else
		gitrepo_error_set(err, GITREPO_FAIL_PROTOCOL, 0, "%s: %s", step, libgit2_message());
}

/* --- the local repository --------------------------------------------------------------------- */

static int tip_of(git_repository *repo, const char *ref, char out[GITREPO_OID_HEX_SIZE])
{
	git_oid oid;

	if (git_reference_name_to_id(&oid, repo, ref) < 0)
		return -ENOENT;
	git_oid_tostr(out, GITREPO_OID_HEX_SIZE, &oid);
	return 0;
}

/* The commit and its root tree read back, each parsed only once its header shows it within
 * bounds (an oversized one counts as unreadable: the repository is rebuilt, never parsed). */
int gitrepo_tip_reads_back(git_repository *repo, const git_oid *tip)
{
	git_odb *odb = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int r = git_repository_odb(&odb, repo) < 0 ? -EIO : 0;

	if (r >= 0)
		r = gitrepo_object_fits(odb, tip, GIT_OBJECT_COMMIT, GITREPO_COMMIT_MAX, NULL);
	if (r >= 0 && git_commit_lookup(&commit, repo, tip) < 0)
		r = -EIO;
	if (r >= 0)
		r = gitrepo_object_fits(odb, git_commit_tree_id(commit), GIT_OBJECT_TREE,
					GITREPO_TREE_MAX, NULL);
	if (r >= 0 && git_commit_tree(&tree, commit) < 0)
		r = -EIO;
	git_tree_free(tree);
	git_commit_free(commit);
	git_odb_free(odb);
	return r;
}

/* A repository counts as healthy when it opens and its recorded tip, if any, reads back. */
static int repo_open_healthy(const char *dir, const char *ref, git_repository **ret)
{
	git_repository *repo = NULL;
	git_oid oid;
	int r;

	r = git_repository_open_ext(&repo, dir,
				    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL);
	if (r == GIT_ENOTFOUND)
		return -ENOENT;
	if (r < 0)
		return -EBADMSG;
	if (git_reference_name_to_id(&oid, repo, ref) == 0 &&
	    gitrepo_tip_reads_back(repo, &oid) < 0) {
		git_repository_free(repo);
		return -EBADMSG;
	}
	*ret = repo;
	return 0;
}

static int dir_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int repo_create(const char *dir, git_repository **ret)
{
	return git_repository_init(ret, dir, 1) < 0 ? -EIO : 0;
}

int gitrepo_remove_dir(const char *path)
{
	_cleanup_close_ int fd = -1;
	const char *base;
	int r = fs_open_parent(path, &fd, &base);

	if (r < 0)
		return r;
	return fs_remove_tree(fd, base);
}

/* Put the rebuilt repository in place with one atomic exchange, then drop the old one. */
static int repo_swap_in(const char *fresh, const char *dir)
{
	if (syscall(SYS_renameat2, AT_FDCWD, fresh, AT_FDCWD, dir, RENAME_EXCHANGE) < 0)
		return -errno;
	return gitrepo_remove_dir(fresh);
}

/* --- fetch ------------------------------------------------------------------------------------ */

/* Process-wide libgit2 settings for this fetch; a failure names the setting. */
static int set_global_options(const struct gitrepo_fetch_opts *o, struct gitrepo_error *err)
{
	int connect_ms = (int)(o->timeout_s * 1000u);
	int r = gitrepo_no_host_config(o->home_dir);

	if (connect_ms > GITREPO_CONNECT_TIMEOUT_MS_MAX)
		connect_ms = GITREPO_CONNECT_TIMEOUT_MS_MAX;
	if (r >= 0)
		r = git_libgit2_opts(GIT_OPT_SET_SERVER_CONNECT_TIMEOUT, connect_ms);
	if (r >= 0)
		r = git_libgit2_opts(GIT_OPT_SET_SERVER_TIMEOUT, (int)(o->timeout_s * 1000u));
	if (r >= 0)
		r = git_libgit2_opts(GIT_OPT_SET_USER_AGENT, "tailpod");
	/* git's safe.directory ownership rule guards against a repository's config running code
	 * (hooks, fsmonitor); libgit2 runs none, and the fetch process does not own a file://
	 * remote, which it must still read. */
	if (r >= 0)
		r = git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (r < 0) {
		gitrepo_error_set(err, GITREPO_FAIL_LOCAL, 0, "unable to configure libgit2: %s",
				  libgit2_message());
		return -EIO;
	}
	if (o->ca_bundle && strncmp(o->url, "https://", 8) == 0)
		return gitrepo_load_ca(o->ca_bundle, err);
	return 0;
}

/* Parsed here, so a broken bundle is named as such rather than as an untrusted server. */
int gitrepo_load_ca(const char *bundle, struct gitrepo_error *err)
{
	if (gitrepo_runtime_init() < 0) {
		gitrepo_error_set(err, GITREPO_FAIL_LOCAL, 0, "unable to initialise libgit2: %s",
				  libgit2_message());
		return -EIO;
	}
	if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, bundle,
			     bundle ? NULL : GITREPO_CA_DIR) < 0) {
		gitrepo_error_set(err, GITREPO_FAIL_CONFIG, 0, "cannot load the CA %s '%s': %s",
				  bundle ? "bundle" : "directory", bundle ? bundle : GITREPO_CA_DIR,
				  libgit2_message());
		return -EINVAL;
	}
	return 0;
}

/* The tip the remote advertises for ref, or -ENOENT when it has no such branch. */
static int advertised_tip(git_remote *remote, const char *ref, git_oid *ret)
{
	const git_remote_head **heads;
	size_t n;

	if (git_remote_ls(&heads, &n, remote) < 0)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, ref) == 0) {
			git_oid_cpy(ret, &heads[i]->oid);
			return 0;
		}
	return -ENOENT;
}

/* True when local_ref already names tip and the commit is in the object database. */
static bool local_tip_is(git_repository *repo, const char *local_ref, const git_oid *tip)
{
	git_commit *commit = NULL;
	git_oid have;

	if (git_reference_name_to_id(&have, repo, local_ref) < 0 || !git_oid_equal(&have, tip) ||
	    git_commit_lookup(&commit, repo, tip) < 0)
		return false;
	git_commit_free(commit);
	return true;
}

static int fetch_into(git_repository *repo, struct fetch_ctx *ctx, const char *head_ref,
		      const char *local_ref, struct gitrepo_fetch_result *res,
		      struct gitrepo_error *err)
{
	const struct gitrepo_fetch_opts *o = ctx->opts;
	git_fetch_options fetch;
	git_remote *remote = NULL;
	git_oid advertised, fetched;
	char refspec[2 * GITREPO_REF_MAX + 2];
	char *specs[] = {refspec};
	git_strarray refspecs = {specs, 1};
	int r;

	snprintf(refspec, sizeof(refspec), "+%s:%s", head_ref, local_ref);
	git_fetch_options_init(&fetch, GIT_FETCH_OPTIONS_VERSION);
	callbacks_init(&fetch.callbacks, ctx);
	/* Shallow where the transport supports it; libgit2's local transport does not. */
	fetch.depth = gitrepo_url_is_local(o->url) ? GIT_FETCH_DEPTH_FULL : 1;
	fetch.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fetch.update_fetchhead = 0;
	fetch.prune = GIT_FETCH_NO_PRUNE;
	fetch.follow_redirects = GIT_REMOTE_REDIRECT_INITIAL;

	r = git_remote_create_anonymous(&remote, repo, o->url);
	if (r < 0) {
		gitrepo_error_set(err, GITREPO_FAIL_CONFIG, 0, "invalid git URL: %s",
				  libgit2_message());
		return -EINVAL;
	}
	r = git_remote_connect(remote, GIT_DIRECTION_FETCH, &fetch.callbacks, NULL, NULL);
	if (r < 0) {
		classify_failure(r, ctx, "connect", err);
		r = -EIO;
		goto out;
	}
	if (advertised_tip(remote, head_ref, &advertised) < 0) {
		gitrepo_error_set(err, GITREPO_FAIL_BRANCH, 0,
				  "branch '%s' does not exist on the remote", o->branch);
		r = -ENOENT;
		goto out;
	}
	/* Tip unchanged: no fetch (a shallow one negotiates and gets a pack; issue 16). */
	if (local_tip_is(repo, local_ref, &advertised)) {
		git_oid_tostr(res->commit, sizeof(res->commit), &advertised);
		r = 0;
		goto out;
	}
	r = git_remote_fetch(remote, &refspecs, &fetch, NULL);
	if (r < 0) {
		classify_failure(r, ctx, "fetch", err);
		r = -EIO;
		goto out;
	}
	if (git_reference_name_to_id(&fetched, repo, local_ref) < 0 ||
	    !git_oid_equal(&fetched, &advertised)) {
		gitrepo_error_set(err, GITREPO_FAIL_PROTOCOL, 0,
				  "fetch: the fetched tip of '%s' is not the one "
				  "the remote advertised",
				  o->branch);
		r = -EBADMSG;
		goto out;
	}
	git_oid_tostr(res->commit, sizeof(res->commit), &fetched);
	r = 0;
out:
	git_remote_free(remote);
	return r;
}

static int check_opts(const struct gitrepo_fetch_opts *o, char *head_ref, char *local_ref,
		      struct gitrepo_error *err)
{
	int valid = 0;

	if (!o->url || !*o->url || strlen(o->url) >= GITREPO_URL_MAX) {
		gitrepo_error_set(err, GITREPO_FAIL_CONFIG, 0, "git URL is empty or too long");
		return -EINVAL;
	}
	if (!o->branch || strlen(o->branch) >= GITREPO_BRANCH_MAX || !o->repo_dir ||
	    !o->timeout_s || o->timeout_s > GITREPO_TIMEOUT_MAX_S || !o->max_bytes) {
		gitrepo_error_set(err, GITREPO_FAIL_CONFIG, 0,
				  "branch, repository, timeout or size limit missing");
		return -EINVAL;
	}
	/* Basic auth over plain http would hand the token to anyone on the path. */
	if (o->token && strncasecmp(o->url, "http://", 7) == 0) {
		gitrepo_error_set(err, GITREPO_FAIL_CONFIG, 0,
				  "a token is never sent over http:// (plain text): use https://");
		return -EINVAL;
	}
	snprintf(head_ref, GITREPO_REF_MAX, "refs/heads/%s", o->branch);
	snprintf(local_ref, GITREPO_REF_MAX, "refs/remotes/origin/%s", o->branch);
	if (git_reference_name_is_valid(&valid, head_ref) < 0 || !valid) {
		gitrepo_error_set(err, GITREPO_FAIL_CONFIG, 0, "invalid branch name '%s'",
				  o->branch);
		return -EINVAL;
	}
	if (gitrepo_url_is_ssh(o->url) && (!o->ssh || !o->ssh->sign || !o->ssh->check_hostkey)) {
		gitrepo_error_set(err, GITREPO_FAIL_CONFIG, 0,
				  "ssh URL but no deploy key is configured");
		return -EINVAL;
	}
	return 0;
}

/* Fetch into a fresh repository at repo_dir.new and swap it in. */
static int fetch_rebuilt(struct fetch_ctx *ctx, const char *head_ref, const char *local_ref,
			 struct gitrepo_fetch_result *res, struct gitrepo_error *err)
{
	char fresh[PATH_MAX];
	git_repository *repo = NULL;
	bool replacing;
	int r;

	if (snprintf(fresh, sizeof(fresh), "%s.new", ctx->opts->repo_dir) >= (int)sizeof(fresh))
		return -ENAMETOOLONG;
	r = gitrepo_remove_dir(fresh);
	if (r >= 0)
		r = repo_create(fresh, &repo);
	if (r < 0) {
		gitrepo_error_set(err, GITREPO_FAIL_LOCAL, 0, "unable to create '%s'", fresh);
		return r;
	}
	r = fetch_into(repo, ctx, head_ref, local_ref, res, err);
	git_repository_free(repo);
	if (r < 0) {
		gitrepo_remove_dir(fresh);
		return r;
	}
	replacing = dir_exists(ctx->opts->repo_dir);
	r = replacing ? repo_swap_in(fresh, ctx->opts->repo_dir)
		      : (rename(fresh, ctx->opts->repo_dir) < 0 ? -errno : 0);
	if (r < 0)
		gitrepo_error_set(err, GITREPO_FAIL_LOCAL, 0,
				  "unable to put the rebuilt repository in place");
	res->recreated = r >= 0 && replacing; /* the first fetch creates, it does not rebuild */
	return r;
}

/* keep (may be NULL): the repository fetched into, left open; NULL when it was rebuilt. */
static int fetch_or_rebuild(struct fetch_ctx *ctx, struct gitrepo_fetch_result *res,
			    struct gitrepo_error *err, git_repository **keep)
{
	char head_ref[GITREPO_REF_MAX], local_ref[GITREPO_REF_MAX];
	git_repository *repo = NULL;
	int r;

	r = check_opts(ctx->opts, head_ref, local_ref, err);
	if (r >= 0)
		r = set_global_options(ctx->opts, err);
	if (r < 0)
		return r;
	/* Missing, unreadable or corrupt: build beside it; the old one stays until the swap. */
	r = repo_open_healthy(ctx->opts->repo_dir, local_ref, &repo);
	if (r < 0)
		return fetch_rebuilt(ctx, head_ref, local_ref, res, err);
	if (tip_of(repo, local_ref, res->previous) < 0)
		res->previous[0] = '\0';
	r = fetch_into(repo, ctx, head_ref, local_ref, res, err);
	if (r >= 0 && keep) {
		*keep = repo;
		return r;
	}
	git_repository_free(repo);
	/* A local failure (objects, refs) means a broken repository, not a broken remote. */
	if (r < 0 && err->failure == GITREPO_FAIL_LOCAL) {
		*err = (struct gitrepo_error){0};
		return fetch_rebuilt(ctx, head_ref, local_ref, res, err);
	}
	return r;
}

int gitrepo_fetch_open(const struct gitrepo_fetch_opts *opts,
		       struct gitrepo_fetch_result *ret_result, struct gitrepo_error *err,
		       struct gitrepo_open **ret_open)
{
	struct gitrepo_fetch_result res = {0};
	struct fetch_ctx ctx = {.opts = opts};
	git_repository *kept = NULL;
	int r;

	*err = (struct gitrepo_error){0};
	if (ret_open)
		*ret_open = NULL;
	if (gitrepo_runtime_init() < 0) {
		gitrepo_error_set(err, GITREPO_FAIL_LOCAL, 0, "unable to initialise libgit2: %s",
				  libgit2_message());
		return -EIO;
	}
	ctx.deadline_ms = clock_now_ms() + (uint64_t)opts->timeout_s * 1000;
	ctx.ssh_port = opts->url ? gitrepo_url_ssh_port(opts->url) : SSH_PORT;
	r = fetch_or_rebuild(&ctx, &res, err, ret_open ? &kept : NULL);
	if (r < 0)
		return r;
	if (kept) {
		*ret_open = malloc(sizeof(**ret_open));
		if (*ret_open)
			(*ret_open)->git = kept;
		else
			git_repository_free(kept); /* the tree is read by its directory then */
	}
	*ret_result = res;
	return 0;
}

int gitrepo_fetch(const struct gitrepo_fetch_opts *opts, struct gitrepo_fetch_result *ret_result,
		  struct gitrepo_error *err)
{
	return gitrepo_fetch_open(opts, ret_result, err, NULL);
}

void gitrepo_open_free(struct gitrepo_open *open)
{
	if (!open)
		return;
	git_repository_free(open->git);
	free(open);
}
