/* secrets.c: a workload's [Secrets] (issue 17) as rootless Podman secrets of its user. Before
 * anything of the workload changes, every value is decrypted with the host identity
 * (TAILPOD_AGE_KEY, root's, 0600): one that fails fails this workload only, nothing of it
 * changed. The deploy hash takes in a keyed MAC of the values (core/spec_secrets), never a value
 * or a plain hash of one. Once the user exists, `podman secret ls` as the user says which are
 * missing (drift, recreated); before the daemon-reload and restart every wanted secret is pushed
 * with `podman secret create --replace NAME /proc/self/fd/0`, its value on stdin, when the
 * content changed, and the missing ones otherwise; those the record lists and the spec no longer
 * wants are removed. */
#define _GNU_SOURCE 1 /* memmem */
#include "sync/apply.h"

#include "age.h"
#include "core.h"
#include "exec.h"
#include "fs.h"
#include "log.h"
#include "usercmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	LIST_OUT_MAX = SPEC_SECRETS_MAX * 2 * (SPEC_SECRET_NAME_MAX + 1), /* `secret ls` */
	SECRET_MASK_MIN = 4, /* bytes of a value (or a line of one) masked in a reason's text */
};

/* The host identity; -errno with why filled. */
static int load_identity(const struct sync_ctx *ctx, struct age_identity *id, const char **why)
{
	const struct fs_trust trust = {.owner = 0, .deny_mode = FS_DENY_SHARED};
	int r = age_identity_load(ctx->config->age_key, &trust, id);

	*why = r == -ENOENT		     ? "missing (tailpod secret keygen makes one)"
	       : r == -EPERM || r == -EACCES ? "not root's with mode 0600"
	       : r == -EBADMSG		     ? "not an age identity (AGE-SECRET-KEY-1...)"
					     : "unreadable";
	return r;
}

static void fail_value(const struct spec_secret *s, const struct age_identity *id, int r,
		       struct sync_outcome *out)
{
	char rcp[AGE_RECIPIENT_TEXT_MAX];

	age_recipient_format(&id->recipient, rcp);
	if (r == -ENOKEY || r == -EBADMSG)
		sync_outcome_fail(out, "secrets",
				  "%s:%u: the value of secret %s is not encrypted to this host's "
				  "recipient %s",
				  s->source, s->line, s->name, rcp);
	else
		sync_outcome_fail(out, "secrets", "%s:%u: the value of secret %s: %s", s->source,
				  s->line, s->name, strerror(-r));
}

/* The deploy hash with the values in: SHA-256 of the content hash and the values' MAC. */
static void mix_hash(char hash[HASH_SHA256_HEX_SIZE], const char mac[HASH_SHA256_HEX_SIZE])
{
	struct hash_sha256 h;

	hash_sha256_init(&h);
	hash_sha256_update(&h, hash, strlen(hash));
	hash_sha256_update(&h, "\nsecrets ", 9);
	hash_sha256_update(&h, mac, strlen(mac));
	hash_sha256_final_hex(&h, hash);
}

int sync_secrets_prepare(const struct sync_ctx *ctx, const struct spec_workload *w,
			 struct apply_plan *p, struct sync_outcome *out)
{
	struct sync_secrets *ss = &p->secrets;
	struct age_identity id;
	const char *why;
	char mac[HASH_SHA256_HEX_SIZE];
	int r;

	if (w->n_secrets == 0)
		return 0;
	r = load_identity(ctx, &id, &why);
	if (r < 0) {
		sync_outcome_fail(out, "secrets", "the host identity %s (TAILPOD_AGE_KEY) is %s",
				  ctx->config->age_key, why);
		return r;
	}
	ss->values = calloc(w->n_secrets, sizeof(*ss->values));
	ss->lens = calloc(w->n_secrets, sizeof(*ss->lens));
	ss->present = calloc(w->n_secrets, sizeof(*ss->present));
	r = ss->values && ss->lens && ss->present ? 0 : -ENOMEM;
	for (size_t i = 0; r >= 0 && i < w->n_secrets; i++) {
		r = spec_secret_value(&w->secrets[i], &id, &ss->values[i], &ss->lens[i]);
		if (r < 0)
			fail_value(&w->secrets[i], &id, r, out);
	}
	if (r >= 0)
		r = spec_secrets_mac(w, &id, ss->values, ss->lens, mac);
	if (r >= 0) {
		memcpy(p->files_hash, p->hash, sizeof(p->files_hash));
		mix_hash(p->hash, mac);
	}
	age_identity_wipe(&id);
	if (r == -ENOMEM)
		sync_outcome_fail(out, NULL, "out of memory");
	return r;
}

/* Run `podman ARGS` in the workload user's own manager, where its containers and its pause
 * process live (core/usercmd: sync's unit may not make a user namespace), in on its stdin; 0
 * with *ret (free it, may be NULL), or -errno with err. */
static int podman_as_user(const struct sync_ctx *ctx, const struct users_user *u,
			  const char *const *argv, const void *in, size_t in_len, char **ret,
			  char *err, size_t err_size)
{
	char how[EXEC_DESCRIBE_MAX];
	const struct usercmd c = {.user = u->name,
				  .uid = u->uid,
				  .gid = u->gid,
				  .run_user = ctx->cmds.run_user,
				  .argv = argv,
				  .stdin_data = in,
				  .stdin_len = in_len,
				  .out_max = ret ? LIST_OUT_MAX : 256, /* create prints an id */
				  .timeout_ms = ctx->config->command_timeout_s * 1000u};
	struct exec_result res = {0};
	int r = usercmd_run(&c, &res);

	if (r < 0) {
		snprintf(err, err_size, "cannot run in the user manager: %s", strerror(-r));
		return r;
	}
	if (!exec_result_ok(&res) || (ret && res.out_truncated)) {
		snprintf(err, err_size, "%s%s%.*s",
			 exec_result_ok(&res) ? "output too long"
					      : exec_status_describe(&res, how, sizeof(how)),
			 res.err_len ? ": " : "", (int)strcspn(res.err, "\n"), res.err);
		exec_result_release(&res);
		return -EPROTO;
	}
	if (ret)
		*ret = TAKE_PTR(res.out);
	exec_result_release(&res);
	return 0;
}

static bool wanted(const struct spec_workload *w, const char *name)
{
	for (size_t i = 0; i < w->n_secrets; i++)
		if (strcmp(w->secrets[i].name, name) == 0)
			return true;
	return false;
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p += strcspn(p, "\n"), p += *p == '\n')
		if (strncmp(p, name, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

int sync_secrets_plan(const struct sync_ctx *ctx, const struct spec_workload *w,
		      const struct sync_current *cur, struct apply_plan *p)
{
	static const char *const argv[] = {"podman", "secret", "ls", "--format", "{{.Name}}", NULL};
	struct sync_secrets *ss = &p->secrets;
	_cleanup_free_ char *list = NULL;
	char err[SYNC_ERROR_MAX];
	size_t n_rec = cur && cur->has_record ? cur->rec->n_secrets : 0;

	ss->stale = calloc(n_rec + 1, sizeof(*ss->stale));
	if (!ss->stale)
		return -ENOMEM;
	for (size_t i = 0; i < n_rec; i++)
		if (!wanted(w, cur->rec->secrets[i]))
			ss->stale[ss->n_stale++] = cur->rec->secrets[i];
	/* No secrets in the spec or the record: no child process. A manager that is down (started
	 * later in this run) cannot answer: the list is unknown, as when it fails. */
	if (!p->user || p->create_user || (w->n_secrets == 0 && ss->n_stale == 0) ||
	    p->manager_down)
		return 0;
	/* A failed list is "unknown", never "empty": nothing is recreated on its word. */
	if (podman_as_user(ctx, p->user, argv, NULL, 0, &list, err, sizeof(err)) < 0) {
		log_warning("%s: podman secret ls failed (%s): which secrets exist is unknown",
			    w->name, err);
		return 0;
	}
	ss->listed = true;
	for (size_t i = 0; i < w->n_secrets; i++) {
		ss->present[i] = listed(list, w->secrets[i].name);
		ss->n_missing += !ss->present[i];
	}
	/* A stale one already gone needs no rm. */
	for (size_t i = 0; i < ss->n_stale;)
		if (!listed(list, ss->stale[i]))
			ss->stale[i] = ss->stale[--ss->n_stale];
		else
			i++;
	return 0;
}

bool sync_secrets_drift(const struct apply_plan *p)
{
	return p->secrets.n_missing > 0 || p->secrets.n_stale > 0;
}

static bool push_wanted(const struct apply_plan *p, size_t i)
{
	return p->content_changed || p->create_user ||
	       (p->secrets.listed && !p->secrets.present[i]);
}

void sync_secrets_print(const struct spec_workload *w, const struct apply_plan *p, const char *act)
{
	for (size_t i = 0; i < w->n_secrets; i++)
		if (push_wanted(p, i))
			printf("%s %s: create podman secret %s\n", act, w->name,
			       w->secrets[i].name);
	for (size_t i = 0; i < p->secrets.n_stale; i++)
		printf("%s %s: remove podman secret %s\n", act, w->name, p->secrets.stale[i]);
}

int sync_secrets_apply(const struct sync_ctx *ctx, const struct spec_workload *w,
		       const struct apply_plan *p, struct sync_outcome *out)
{
	const struct sync_secrets *ss = &p->secrets;
	/* The value is podman's stdin (a file in the user's runtime dir: see core/usercmd), read
	 * through /proc/self/fd/0 — `podman secret create NAME -` refuses a stdin that is not a
	 * pipe
	 * ("if `-` is used, data must be passed into stdin"), and systemd-run cannot hand a pipe to
	 * a unit of a user's manager; any other path podman opens as a file. */
	const char *create[] = {"podman", "secret",	     "create", "--replace",
				NULL,	  "/proc/self/fd/0", NULL};
	const char *rm[] = {"podman", "secret", "rm", NULL, NULL};
	char err[SYNC_ERROR_MAX];
	int r = 0;

	for (size_t i = 0; r >= 0 && i < w->n_secrets; i++) {
		if (!push_wanted(p, i))
			continue;
		create[4] = w->secrets[i].name;
		r = podman_as_user(ctx, p->user, create, ss->values[i], ss->lens[i], NULL, err,
				   sizeof(err));
		if (r < 0)
			sync_outcome_fail(out, "podman secret create", "%s: %s", w->secrets[i].name,
					  err);
	}
	for (size_t i = 0; r >= 0 && i < ss->n_stale; i++) {
		rm[3] = ss->stale[i];
		r = podman_as_user(ctx, p->user, rm, NULL, 0, NULL, err, sizeof(err));
		if (r < 0)
			sync_outcome_fail(out, "podman secret rm", "%s: %s", ss->stale[i], err);
	}
	return r;
}

void sync_secrets_release(const struct spec_workload *w, struct apply_plan *p)
{
	struct sync_secrets *ss = &p->secrets;

	for (size_t i = 0; ss->values && i < w->n_secrets; i++)
		age_free_secret(ss->values[i], ss->lens[i]);
	free(ss->values);
	free(ss->lens);
	free(ss->present);
	free(ss->stale);
	*ss = (struct sync_secrets){0};
}

/* Overwrite every occurrence of the n bytes at v in text with '*'. */
static void mask_bytes(char *text, const uint8_t *v, size_t n)
{
	for (char *p = text; (p = memmem(p, strlen(p), v, n)); p += n)
		memset(p, '*', n);
}

int sync_secrets_mask(const struct sync_ctx *ctx, const struct spec_workload *w, char *text)
{
	struct age_identity id;
	const char *why;
	int r;

	if (w->n_secrets == 0 || !*text)
		return 0;
	r = load_identity(ctx, &id, &why);
	for (size_t i = 0; r >= 0 && i < w->n_secrets; i++) {
		uint8_t *v = NULL;
		size_t len = 0;

		r = spec_secret_value(&w->secrets[i], &id, &v, &len);
		/* Each line alone too: the journal's lines are joined with " | ". */
		for (size_t at = 0; r >= 0 && at < len;) {
			const uint8_t *nl = memchr(v + at, '\n', len - at);
			size_t k = nl ? (size_t)(nl - (v + at)) : len - at;

			if (k >= SECRET_MASK_MIN)
				mask_bytes(text, v + at, k);
			at += k + 1;
		}
		if (r >= 0 && len >= SECRET_MASK_MIN)
			mask_bytes(text, v, len);
		age_free_secret(v, len);
	}
	age_identity_wipe(&id);
	return r;
}
