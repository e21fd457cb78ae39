/* images.c: podman images that no container of a managed user uses, removed as that user with
 * `podman image rm` (no --force: podman itself refuses an image a container uses). Every
 * question is asked for every user before anything is removed, and any that fails or times out
 * skips the whole category: the cgroup tree (CGROUP_ROOT/user.slice), whether each user manager
 * runs (cgroup), `systemctl --user is-active` of the workload's service (a service that is
 * activating may be pulling its image: that user is left alone), `podman ps -a` (running and
 * stopped-but-defined containers) and `podman images`. Kept as well: an image named by an
 * Image= line of the workload's desired units, whose container quadlet creates at each start. */
#include "gc/gc.h"

#include "core.h"
#include "exec.h"
#include "log.h"
#include "systemd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

enum {
	IMAGE_ID_MIN = 12, /* hex digits of a short image ID */
	IMAGE_ID_MAX = 64,
	ENV_MAX = 4096 + 64,	/* bytes of HOME=... or XDG_RUNTIME_DIR=... */
	IMAGE_LINES_MAX = 4096, /* lines of one `podman images` or `podman ps -a` answer */
};

/* What the questions answered for one user: the outputs, kept for the second pass. */
struct user_answer {
	bool skip; /* its manager does not run, or its service is starting */
	char *ps, *images;
};

/* The length of the first line of a command's stderr, at most 200 bytes. */
static int first_line(const char *s)
{
	size_t n = strcspn(s, "\n");

	return n > 200 ? 200 : (int)n;
}

/* The hex of an image ID without "sha256:", or NULL when s is no image ID. len is s's. */
static const char *image_id(const char *s, size_t len, size_t *ret_len)
{
	if (len > 7 && strncmp(s, "sha256:", 7) == 0)
		s += 7, len -= 7;
	if (len < IMAGE_ID_MIN || len > IMAGE_ID_MAX || strspn(s, "0123456789abcdef") < len)
		return NULL;
	*ret_len = len;
	return s;
}

/* The next line of text after p, or NULL at the end. */
static const char *next_line(const char *p)
{
	p = strchr(p, '\n');
	return p && p[1] ? p + 1 : NULL;
}

/* Whether every line of text starts with an image ID and there are at most IMAGE_LINES_MAX:
 * an answer gc cannot read is no answer. */
static bool answer_valid(const char *text)
{
	size_t n_lines = 0, len;

	for (const char *p = *text ? text : NULL; p; p = next_line(p))
		if (++n_lines > IMAGE_LINES_MAX ||
		    (*p != '\n' && !image_id(p, strcspn(p, " \n"), &len)))
			return false;
	return true;
}

/* Run argv as m's user in its session environment; 0 with *ret_out (free it), or -1 with why. */
static int run_as_user(const struct gc_ctx *g, const struct gc_managed *m, const char *const *argv,
		       char **ret_out, char *why, size_t why_size)
{
	char home[ENV_MAX], runtime[ENV_MAX], how[EXEC_DESCRIBE_MAX];
	const char *envp[] = {"PATH=" EXEC_SAFE_PATH, "LANG=C.UTF-8", home, runtime, NULL};
	const struct exec_ids ids = {.uid = m->user->uid, .gid = m->user->gid};
	const struct exec_opts o = {.argv = argv,
				    .envp = envp,
				    .timeout_ms = g->command_timeout_ms,
				    .out_max = GC_PODMAN_OUT_MAX,
				    .err_max = 512,
				    .cwd = "/",
				    .ids = &ids};
	struct exec_result res = {0};
	int r;

	snprintf(home, sizeof(home), "HOME=%s", m->user->home);
	snprintf(runtime, sizeof(runtime), "XDG_RUNTIME_DIR=/run/user/%u", (unsigned)m->user->uid);
	r = exec_run(&o, &res);
	if (r < 0) {
		snprintf(why, why_size, "%s %s as %s: cannot run: %s", argv[0], argv[1],
			 m->user->name, strerror(-r));
		return -1;
	}
	if (!exec_result_ok(&res) || res.out_truncated) {
		snprintf(why, why_size, "%s %s as %s: %s: %.*s", argv[0], argv[1], m->user->name,
			 res.out_truncated ? "too much output"
					   : exec_status_describe(&res, how, sizeof(how)),
			 first_line(res.err), res.err);
		exec_result_release(&res);
		return -1;
	}
	*ret_out = res.out;
	res.out = NULL;
	exec_result_release(&res);
	return 0;
}

/* `systemctl --user -M NAME@ is-active SERVICE`: 1 starting (or stopping), 0 settled, -1 with
 * why when systemctl gave no answer (a run that failed otherwise, a timeout). */
static int service_starting(const struct gc_ctx *g, const struct gc_managed *m, char *why,
			    size_t why_size)
{
	char machine[USER_NAME_MAX + 2], how[EXEC_DESCRIBE_MAX];
	const char *argv[] = {"systemctl", "--user",	    "-M", machine,
			      "is-active", m->rec->service, NULL};
	const struct exec_opts o = {
		.argv = argv, .timeout_ms = g->command_timeout_ms, .out_max = 256, .err_max = 512};
	struct exec_result res = {0};
	int r, status;

	snprintf(machine, sizeof(machine), "%s@", m->user->name);
	r = exec_run(&o, &res);
	if (r < 0) {
		snprintf(why, why_size, "systemctl is-active as %s: cannot run: %s", m->user->name,
			 strerror(-r));
		return -1;
	}
	status = WIFEXITED(res.status) && !res.timed_out ? WEXITSTATUS(res.status) : -1;
	r = strncmp(res.out, "activating", 10) == 0 || strncmp(res.out, "deactivating", 12) == 0 ||
	    strncmp(res.out, "reloading", 9) == 0;
	if (!r && status != 0 &&
	    !(status == 3 &&
	      (strncmp(res.out, "inactive", 8) == 0 || strncmp(res.out, "failed", 6) == 0))) {
		snprintf(why, why_size, "systemctl is-active %s as %s: %s: %.*s", m->rec->service,
			 m->user->name, exec_status_describe(&res, how, sizeof(how)),
			 first_line(res.err), res.err);
		r = -1;
	}
	exec_result_release(&res);
	return r;
}

/* Ask every question for m; -1 with why when one failed. */
static int ask_user(const struct gc_ctx *g, const struct gc_managed *m, struct user_answer *a,
		    char *why, size_t why_size)
{
	const char *ps[] = {"podman", "ps", "-a", "--no-trunc", "--format", "{{.ImageID}}", NULL};
	const char *images[] = {
		"podman", "images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}",
		NULL};
	struct systemd_cmds cmds;
	int r;

	systemd_cmds_init(&cmds);
	r = systemd_manager_running(&cmds, m->user->uid);
	if (r < 0) {
		snprintf(why, why_size, "the manager of %s: %s", m->user->name, strerror(-r));
		return -1;
	}
	if (r == 0) {
		a->skip = true; /* podman answers only inside the user's session */
		return 0;
	}
	r = service_starting(g, m, why, why_size);
	if (r != 0) {
		a->skip = r > 0;
		return r < 0 ? -1 : 0;
	}
	if (run_as_user(g, m, ps, &a->ps, why, why_size) < 0 ||
	    run_as_user(g, m, images, &a->images, why, why_size) < 0)
		return -1;
	if (!answer_valid(a->ps) || !answer_valid(a->images)) {
		snprintf(why, why_size, "podman as %s: an answer that is not a list of image IDs",
			 m->user->name);
		return -1;
	}
	return 0;
}

/* Whether the list of lines (IDs first) in text has id; a short ID matches the long one. */
static bool listed(const char *text, const char *id, size_t len)
{
	for (const char *p = *text ? text : NULL; p; p = next_line(p)) {
		size_t n;
		const char *other = image_id(p, strcspn(p, " \n"), &n);

		if (other && memcmp(other, id, n < len ? n : len) == 0)
			return true;
	}
	return false;
}

/* Whether the image name (REPO:TAG) is what an Image= value names: the same, the value without
 * its registry and library path, or without its tag (":latest"). */
static bool names_image(const char *value, size_t vlen, const char *name, size_t nlen)
{
	char full[512];
	size_t flen;

	if (memchr(value, ':', vlen) && !memchr(value, '@', vlen))
		flen = (size_t)snprintf(full, sizeof(full), "%.*s", (int)vlen, value);
	else
		flen = (size_t)snprintf(full, sizeof(full), "%.*s:latest", (int)vlen, value);
	if (flen >= sizeof(full) || flen > nlen)
		return false;
	return memcmp(name + nlen - flen, full, flen) == 0 &&
	       (flen == nlen || name[nlen - flen - 1] == '/');
}

/* Whether a desired unit of the workload has an Image= line naming name. */
static bool named_by_desired(const struct gc_ctx *g, const struct gc_managed *m, const char *name,
			     size_t nlen)
{
	const struct spec_workload *w = gc_desired_find(g, m->rec->name);

	for (size_t i = 0; w && i < w->n_units; i++)
		for (const char *p = w->units[i].data; p && *p;
		     p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (strncmp(p, "Image=", 6) == 0 &&
			    names_image(p + 6, strcspn(p + 6, " \r\n"), name, nlen))
				return true;
	return false;
}

/* Whether any name of the image id (its lines in images) is named by the desired units. */
static bool image_wanted(const struct gc_ctx *g, const struct gc_managed *m, const char *images,
			 const char *id, size_t len)
{
	for (const char *p = images; p; p = next_line(p)) {
		size_t n, k = strcspn(p, " \n");
		const char *other = image_id(p, k, &n);
		const char *name = p + k + (p[k] == ' ');

		if (other && n == len && memcmp(other, id, len) == 0 &&
		    named_by_desired(g, m, name, strcspn(name, "\n")))
			return true;
	}
	return false;
}

/* Whether a line of images before line has id: an image with several names is one. */
static bool seen_before(const char *images, const char *line, const char *id, size_t len)
{
	for (const char *p = images; p && p < line; p = next_line(p)) {
		size_t n;
		const char *other = image_id(p, strcspn(p, " \n"), &n);

		if (other && n == len && memcmp(other, id, len) == 0)
			return true;
	}
	return false;
}

/* Remove each image of a's answer that no container uses and no desired unit names. */
static void sweep_user(struct gc_ctx *g, const struct gc_managed *m, const struct user_answer *a)
{
	for (const char *p = *a->images ? a->images : NULL; p; p = next_line(p)) {
		char id[IMAGE_ID_MAX + 1], what[GC_WHAT_MAX], why[GC_WHY_MAX];
		size_t n;
		const char *hex = image_id(p, strcspn(p, " \n"), &n);
		const char *rm[] = {"podman", "image", "rm", "--", id, NULL};
		const char *name;
		char *out = NULL;

		if (!hex || seen_before(a->images, p, hex, n))
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)n, hex);
		name = p + strcspn(p, " \n");
		name += *name == ' ';
		snprintf(what, sizeof(what), "%s: image %.12s %.*s", m->user->name, id,
			 (int)strcspn(name, "\n"), name);
		if (listed(a->ps, hex, n) || image_wanted(g, m, a->images, hex, n))
			continue;
		if (!g->dry_run && run_as_user(g, m, rm, &out, why, sizeof(why)) < 0)
			gc_note(g, GC_IMAGES, GC_FAILED, -1, what, "%s", why);
		else
			gc_note(g, GC_IMAGES, gc_removal(g), -1, what, "no container uses it");
		free(out);
	}
}

void gc_sweep_images(struct gc_ctx *g)
{
	char cgroup_root[PATH_MAX];
	struct systemd_cmds cmds;
	struct user_answer *answers;
	char why[GC_WHY_MAX] = "";
	struct stat st;

	if (g->state_why[0] || g->db_why[0] || g->desired_why[0]) {
		gc_skip(g, GC_IMAGES, "%s",
			g->state_why[0] ? g->state_why
			: g->db_why[0]	? g->db_why
					: g->desired_why);
		return;
	}
	systemd_cmds_init(&cmds);
	snprintf(cgroup_root, sizeof(cgroup_root), "%s/user.slice", cmds.cgroup_root);
	if (stat(cgroup_root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		gc_skip(g, GC_IMAGES, "no cgroup tree at %s: gc cannot tell which services run",
			cgroup_root);
		return;
	}
	answers = calloc(g->n_managed ? g->n_managed : 1, sizeof(*answers));
	if (!answers) {
		gc_skip(g, GC_IMAGES, "out of memory");
		return;
	}
	for (size_t i = 0; i < g->n_managed && !why[0]; i++)
		ask_user(g, &g->managed[i], &answers[i], why, sizeof(why));
	if (why[0])
		gc_skip(g, GC_IMAGES, "%s", why);
	for (size_t i = 0; i < g->n_managed && !why[0]; i++)
		if (answers[i].skip)
			gc_note(g, GC_IMAGES, GC_KEPT, -1, g->managed[i].user->name,
				"its manager does not run or its service is starting: its images "
				"are left alone");
		else
			sweep_user(g, &g->managed[i], &answers[i]);
	for (size_t i = 0; i < g->n_managed; i++) {
		free(answers[i].ps);
		free(answers[i].images);
	}
	free(answers);
}
