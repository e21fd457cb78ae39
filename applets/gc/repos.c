/* repos.c: repo.git growth. libgit2 has no gc: force-pushed history and the pack of every fetch
 * stay in the fetch user's repository (STATE-fetch/repo.git) for good. Above
 * TAILPOD_GC_REPO_MAX_MB it is rebuilt holding only the tracked branch's tip (core/gitrepo:
 * packed into repo.git.gc beside it, verified, swapped in with one atomic rename), in a child
 * that has become the fetch user — the owner of the repository, whose fetches must still write
 * it — under the sync lock gc holds. Any failure leaves the old repository as it was and fails
 * the category. Needs passwd (who the fetch user is). */
#include "gc/gc.h"

#include "child.h"
#include "clock.h"
#include "core.h"
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { REPOS_CHILD_FD = 3 }; /* the pipe, in the child; every other descriptor is closed */

/* What the child is given, and what it sends back. */
struct compact_job {
	int fetch_fd; /* STATE-fetch */
	bool drop;
	uid_t uid;
	gid_t gid;
	const char *branch;
};

struct compact_wire {
	int r;
	struct gitrepo_compact_result res;
	char msg[ERROR_MSG_MAX];
};

static void compact_child(const void *arg, int fd)
{
	const struct compact_job *job = arg;
	const struct exec_ids ids = {.uid = job->uid, .gid = job->gid, .n_groups = 0};
	struct compact_wire w = {0};
	struct gitrepo_error err = {0};

	/* Nothing of root's (the sync lock, the configuration) stays open in the fetch user. */
	if (fchdir(job->fetch_fd) < 0 || dup2(fd, REPOS_CHILD_FD) < 0 ||
	    syscall(SYS_close_range, REPOS_CHILD_FD + 1, ~0U, 0) < 0)
		_exit(1);
	umask(0077); /* the repository is the fetch user's alone */
	w.r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
	if (w.r >= 0 && job->drop)
		w.r = exec_drop_ids(&ids);
	if (w.r < 0)
		snprintf(w.msg, sizeof(w.msg), "cannot become the fetch user (uid %u): %s",
			 (unsigned)job->uid, strerror(-w.r));
	else
		w.r = gitrepo_compact(DESIRED_REPO_DIR, job->branch, &w.res, &err);
	if (w.r < 0 && err.msg[0])
		memcpy(w.msg, err.msg, sizeof(w.msg));
	_exit(write(REPOS_CHILD_FD, &w, sizeof(w)) == (ssize_t)sizeof(w) ? 0 : 1);
}

static int run_compaction(const struct gc_ctx *g, const struct compact_job *job,
			  struct compact_wire *w)
{
	uint64_t deadline = clock_now_ms() + (uint64_t)g->config->git_timeout_s * 1000u;
	struct child c;
	int status, r = child_start(&c, compact_child, job);

	if (r < 0) {
		snprintf(w->msg, sizeof(w->msg), "cannot start the compaction: %s", strerror(-r));
		return r;
	}
	r = child_read(&c, w, sizeof(*w), deadline);
	child_finish(&c, r < 0, &status);
	if (r < 0)
		snprintf(w->msg, sizeof(w->msg), "the compaction %s",
			 r == -ETIMEDOUT ? "ran past TAILPOD_GIT_TIMEOUT and was killed"
					 : "died without an answer");
	else if (w->r < 0)
		r = w->r;
	w->msg[sizeof(w->msg) - 1] = '\0';
	return r;
}

/* The fetch user, from passwd as gc read it; its directory must be that user's. */
static int fetch_owner(struct gc_ctx *g, int fetch_fd, struct compact_job *job)
{
	const struct users_user *u;
	struct stat st;

	job->drop = geteuid() == 0;
	if (!job->drop)
		return 0;
	if (users_db_find_user(g->db, g->config->fetch_user, &u) < 0) {
		gc_skip(g, GC_REPOS, "the fetch user '%s' is not in /etc/passwd",
			g->config->fetch_user);
		return -ENOENT;
	}
	if (fstat(fetch_fd, &st) < 0 || st.st_uid != u->uid || st.st_gid != u->gid || u->uid == 0) {
		gc_skip(g, GC_REPOS, "%s" DESIRED_FETCH_SUFFIX " is not the fetch user '%s''s",
			g->config->state_dir, g->config->fetch_user);
		return -EPERM;
	}
	job->uid = u->uid;
	job->gid = u->gid;
	return 0;
}

static void compact(struct gc_ctx *g, struct compact_job *job, const char *what,
		    unsigned long long before)
{
	struct compact_wire w = {0};
	unsigned long long after = before;
	int r = run_compaction(g, job, &w);

	if (r < 0) {
		gc_note(g, GC_REPOS, GC_FAILED, -1, what, "%s (the old repository is kept)", w.msg);
		return;
	}
	(void)gitrepo_dir_bytes(job->fetch_fd, DESIRED_REPO_DIR, &after);
	gc_note(g, GC_REPOS, GC_REMOVED, before > after ? (long long)(before - after) : 0, what,
		"rebuilt holding tip %.12s only (%zu objects): %llu bytes, were %llu%s",
		w.res.commit, w.res.objects, after, before,
		w.res.old_left ? "; the old copy stayed as " DESIRED_REPO_DIR GITREPO_COMPACT_SUFFIX
			       : "");
}

void gc_sweep_repos(struct gc_ctx *g)
{
	struct compact_job job = {.branch = g->config->git_branch};
	unsigned long long bytes = 0, max = (unsigned long long)g->config->gc_repo_max_mb << 20;
	char fetch_dir[PATH_MAX], what[GC_WHAT_MAX];
	int r;

	if (g->db_why[0]) {
		gc_skip(g, GC_REPOS, "%s", g->db_why);
		return;
	}
	snprintf(fetch_dir, sizeof(fetch_dir), "%s" DESIRED_FETCH_SUFFIX, g->config->state_dir);
	snprintf(what, sizeof(what), "%s/" DESIRED_REPO_DIR, fetch_dir);
	job.fetch_fd = open(fetch_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = job.fetch_fd < 0 ? -errno : gitrepo_dir_bytes(job.fetch_fd, DESIRED_REPO_DIR, &bytes);
	if (r == -ENOENT)
		goto out; /* nothing fetched yet */
	if (r < 0) {
		gc_skip(g, GC_REPOS, "cannot measure %s: %s", what, strerror(-r));
		goto out;
	}
	if (bytes <= max)
		gc_note(g, GC_REPOS, GC_KEPT, (long long)bytes, what,
			"%llu bytes, within TAILPOD_GC_REPO_MAX_MB=%u", bytes,
			g->config->gc_repo_max_mb);
	else if (fetch_owner(g, job.fetch_fd, &job) < 0)
		;
	else if (g->dry_run)
		gc_note(g, GC_REPOS, GC_WOULD, -1, what,
			"rebuild holding the tip only: %llu bytes, over "
			"TAILPOD_GC_REPO_MAX_MB=%u",
			bytes, g->config->gc_repo_max_mb);
	else
		compact(g, &job, what, bytes);
out:
	if (job.fetch_fd >= 0)
		close(job.fetch_fd);
}
