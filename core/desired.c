/*
 * desired.c: one call from configuration to a validated desired state. It prepares what the
 * fetch needs from tailpod's own files — the https token (root-only file, wiped after use), the
 * ssh deploy key (root-only, parsed and signed with in-process, core/sshkey) and tailpod's own
 * known_hosts (checked in libgit2's certificate callback; an unknown host is refused unless
 * TAILPOD_SSH_ACCEPT_NEW=yes records it, a changed key always; lines the check could not use are
 * handed up in desired->host_key_notes) — then fetches, reads the commit's tree and runs the same
 * validation as `tailpod check`.
 */
#include "desired.h"

#include "core.h"
#include "fs.h"
#include "known_hosts.h"
#include "sshkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	DESIRED_DIR_MODE = 0700, /* the state directory holds the fetched repository: root only */
};

struct ssh_ctx {
	const struct config *c;
	struct sshkey *key;
	char *recorded;			 /* desired->host_key_recorded */
	struct known_hosts_notes *notes; /* desired->host_key_notes */
};

static int fail(struct desired_error *err, enum gitrepo_failure failure, int r, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static int fail(struct desired_error *err, enum gitrepo_failure failure, int r, const char *fmt,
		...)
{
	va_list ap;

	err->failure = failure;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return r;
}

static int ensure_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, DESIRED_DIR_MODE) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* A secret file: regular, owned by root, no access for group or others. */
static int read_secret_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if (st.st_uid != 0 || (st.st_mode & 077))
		return -EPERM;
	return fs_read_fd_bounded(fd, DESIRED_TOKEN_MAX, ret, ret_len);
}

static int load_token(const struct config *c, char **ret, struct desired_error *err)
{
	char *token = NULL;
	size_t len = 0;
	int r;

	if (!c->git_token_file) {
		*ret = NULL;
		return 0;
	}
	r = read_secret_file(c->git_token_file, &token, &len);
	if (r == -EPERM)
		return fail(err, GITREPO_FAIL_CONFIG, r,
			    "%s: must be owned by root with mode 0600 "
			    "or stricter",
			    c->git_token_file);
	if (r < 0)
		return fail(err, GITREPO_FAIL_CONFIG, r, "%s: cannot read the token: %s",
			    c->git_token_file, strerror(-r));
	while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
		token[--len] = '\0';
	if (len == 0 || memchr(token, '\n', len) || strlen(token) != len) {
		explicit_bzero(token, len);
		free(token);
		return fail(err, GITREPO_FAIL_CONFIG, -EINVAL, "%s: the token must be one line",
			    c->git_token_file);
	}
	*ret = token;
	return 0;
}

static int ssh_sign(unsigned char **ret_sig, size_t *ret_len, const unsigned char *data, size_t len,
		    void *payload)
{
	struct ssh_ctx *ctx = payload;

	return sshkey_sign_userauth(ctx->key, data, len, ret_sig, ret_len);
}

static void split_path(const char *path, char *dir, size_t dir_size, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;

	if (!slash || n == 0)
		n = 1;
	snprintf(dir, dir_size, "%.*s", (int)n, slash ? path : ".");
	*base = slash ? slash + 1 : path;
}

static int record_host(struct ssh_ctx *ctx, int dirfd, const char *name, const char *host,
		       unsigned port, const unsigned char *key, size_t len, char *msg,
		       size_t msg_size)
{
	int r;

	if (!ctx->c->ssh_accept_new) {
		char port_opt[16] = "";

		if (port != 22)
			snprintf(port_opt, sizeof(port_opt), "-p %u ", port);
		/* Short: gitrepo keeps GITREPO_ERROR_MAX / 2 bytes of it. */
		snprintf(msg, msg_size,
			 "host '%s' is not in %s and TAILPOD_SSH_ACCEPT_NEW=no: add its keys as "
			 "'ssh-keyscan %s-t ecdsa,rsa %s' prints them, fingerprints checked",
			 host, ctx->c->ssh_known_hosts, port_opt, host);
		return -EPERM;
	}
	r = known_hosts_append(dirfd, name, host, port, key, len, false);
	if (r < 0) {
		snprintf(msg, msg_size, "cannot record the host key of '%s' in %s: %s", host,
			 ctx->c->ssh_known_hosts, known_hosts_strerror(r));
		return r;
	}
	snprintf(ctx->recorded, DESIRED_HOST_MAX, "%s", host);
	return 0;
}

static int check_hostkey(const char *host, unsigned port, const unsigned char *key, size_t len,
			 char *msg, size_t msg_size, void *payload)
{
	struct ssh_ctx *ctx = payload;
	const char *file = ctx->c->ssh_known_hosts, *name;
	char dir[4096];
	_cleanup_close_ int dirfd = -1;
	int r;

	split_path(file, dir, sizeof(dir), &name);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(msg, msg_size, "cannot open the directory of %s: %s", file,
			 strerror(errno));
		return -errno;
	}
	r = known_hosts_lookup_file(dirfd, name, host, port, key, len, known_hosts_notes_add,
				    ctx->notes);
	if (r == -ENOENT)
		r = KNOWN_HOSTS_UNKNOWN;
	switch (r) {
	case KNOWN_HOSTS_MATCH:
		return 0;
	case KNOWN_HOSTS_UNKNOWN:
		return record_host(ctx, dirfd, name, host, port, key, len, msg, msg_size);
	case KNOWN_HOSTS_MISMATCH:
		snprintf(msg, msg_size,
			 "host key of '%s' CHANGED: refusing to connect (if the "
			 "change is expected, replace its entry in %s)",
			 host, file);
		return -EPERM;
	case KNOWN_HOSTS_OTHER_TYPE:
		snprintf(msg, msg_size,
			 "'%s' offers a key of a type %s has no entry for; "
			 "refusing (add it with ssh-keyscan if expected)",
			 host, file);
		return -EPERM;
	case KNOWN_HOSTS_REVOKED:
		snprintf(msg, msg_size, "host key of '%s' is marked @revoked in %s", host, file);
		return -EPERM;
	default:
		snprintf(msg, msg_size, "cannot read %s: %s", file, known_hosts_strerror(r));
		return r < 0 ? r : -EIO;
	}
}

static int load_ssh(const struct config *c, struct ssh_ctx *ctx, struct gitrepo_ssh *ssh,
		    struct desired_error *err)
{
	int r = sshkey_load(AT_FDCWD, c->ssh_key, 0, &ctx->key);

	if (r < 0)
		return fail(err, GITREPO_FAIL_CONFIG, r, "%s: cannot use the deploy key: %s",
			    c->ssh_key, sshkey_strerror(r));
	ssh->public_key = sshkey_public_blob(ctx->key, &ssh->public_key_len);
	ssh->sign = ssh_sign;
	ssh->check_hostkey = check_hostkey;
	ssh->payload = ctx;
	return 0;
}

static int fetch_commit(const struct config *c, struct desired *d, struct desired_error *err)
{
	char repo_dir[4096], home[4096];
	struct ssh_ctx ssh_ctx = {
		.c = c, .recorded = d->host_key_recorded, .notes = &d->host_key_notes};
	struct gitrepo_ssh ssh = {0};
	struct gitrepo_fetch_opts o = {
		.url = c->git_url,
		.branch = c->git_branch,
		.repo_dir = repo_dir,
		.home_dir = home,
		.ca_bundle = c->ca_bundle,
		.timeout_s = c->git_timeout_s,
		.max_bytes = c->git_max_bytes,
	};
	struct gitrepo_fetch_result res;
	struct gitrepo_error gerr;
	char *token = NULL;
	int r;

	snprintf(repo_dir, sizeof(repo_dir), "%s/repo.git", c->state_dir);
	snprintf(home, sizeof(home), "%s/git-home", c->state_dir);
	r = ensure_dir(c->state_dir);
	if (r >= 0)
		r = ensure_dir(home);
	if (r < 0)
		return fail(err, GITREPO_FAIL_LOCAL, r,
			    "%s: cannot prepare the state directory: %s", c->state_dir,
			    strerror(-r));
	r = load_token(c, &token, err);
	if (r >= 0 && gitrepo_url_is_ssh(c->git_url)) {
		r = load_ssh(c, &ssh_ctx, &ssh, err);
		o.ssh = &ssh;
	}
	if (r < 0)
		goto out;
	o.token = token;
	r = gitrepo_fetch(&o, &res, &gerr);
	if (r < 0) {
		fail(err, gerr.failure, r, "%s", gerr.message);
		goto out;
	}
	memcpy(d->commit, res.commit, sizeof(d->commit));
	memcpy(d->previous, res.previous, sizeof(d->previous));
	d->repo_recreated = res.recreated;
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	sshkey_free(ssh_ctx.key);
	return r;
}

static int load_transforms(const struct config *c, struct desired *d, struct diag_list *diags)
{
	int r = repo_load_dir(c->transform_dir, c->transform_dir, REPO_LOAD_FLAT | REPO_LOAD_ALL,
			      &d->transforms, diags);

	return r == -ENOENT ? 0 : r; /* a host without transforms has none */
}

int desired_fetch(const struct config *c, struct desired *d, struct diag_list *diags,
		  struct desired_error *err)
{
	struct desired out = {0};
	struct spec_opts opts = {
		.repo_label = "",
		.transform_label = c->transform_dir,
	};
	char repo_dir[4096];
	int r;

	*err = (struct desired_error){0};
	r = fetch_commit(c, &out, err);
	d->host_key_notes = out.host_key_notes;
	if (r < 0)
		return r;
	snprintf(repo_dir, sizeof(repo_dir), "%s/repo.git", c->state_dir);
	r = gitrepo_read_tree(repo_dir, out.commit, "", &out.repo, diags);
	if (r >= 0)
		r = load_transforms(c, &out, diags);
	if (r >= 0)
		r = spec_build(out.repo, out.transforms, &opts, &out.set, diags);
	if (r < 0) {
		desired_release(&out);
		return fail(err, GITREPO_FAIL_LOCAL, r,
			    "cannot read the desired state of commit "
			    "%.12s: %s",
			    out.commit, strerror(-r));
	}
	diag_list_sort(diags);
	if (diag_list_count(diags))
		out.set = spec_set_free(out.set);
	*d = out;
	return 0;
}

void desired_release(struct desired *d)
{
	d->set = spec_set_free(d->set);
	d->transforms = repo_free(d->transforms);
	d->repo = repo_free(d->repo);
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
