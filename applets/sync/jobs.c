/* jobs.c: a first boot that converges fast (issue 16) — the workloads that are new to this host
 * (no record, no user) are deployed concurrently before the name-ordered run, at most
 * TAILPOD_JOBS at a time, each in a child process that runs apply.c's steps for it in their
 * order, exactly as the serial run would, its user created by the parent just before it starts
 * (create_user). The child's log lines go to a memory file and come back with its outcome
 * through a pipe, so the parent prints them, and status.json lists the outcomes, in name order.
 * A failing workload fails in its own process; shadow commands take a lock (core/shadow) so two
 * never edit /etc/passwd at once. A deploy process killed by a signal interrupts the whole run,
 * as the signal would have a serial one: the others finish, no more start (nor users made), and
 * the parent dies of the same signal (nothing unfinished is recorded, the next run redoes it).
 * With TAILPOD_JOBS=1, a dry run, or fewer than two new workloads nothing is forked. */
#define _GNU_SOURCE 1
#include "sync/sync.h"

#include "core.h"
#include "fs.h"
#include "log.h"
#include "shadow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	JOB_LOG_MAX = 32 * 1024, /* bytes of one workload's log lines carried back */
	JOB_MAGIC = 0x74706a62,	 /* "tpjb": a whole report, not a torn one */
};

/* A struct sync_outcome as it crosses the pipe: its texts in arrays of their bounds. */
struct wire_outcome {
	char name[USER_NAME_MAX + 1];
	enum sync_action action;
	enum sync_result result;
	unsigned n_written, n_removed;
	bool up, rolled_back;
	long long duration_ms;
	char error[SYNC_ERROR_MAX];
	char repairs[SYNC_REPAIRS_MAX];
	char held_commit[STATE_COMMIT_HEX_SIZE];
};

/* What a deploy process sends back: this, then log_len bytes of its log lines. */
struct job_report {
	uint32_t magic;
	uint32_t log_len;
	struct wire_outcome outcome;
};

enum { JOB_REPORT_MAX = sizeof(struct job_report) + JOB_LOG_MAX };

struct job {
	const struct spec_workload *w;
	bool started;
	pid_t pid;
	int fd;	   /* the pipe's read end while the process runs, else -1 */
	char *buf; /* JOB_REPORT_MAX bytes: what it sent */
	size_t got;
	int status;		      /* waitpid's */
	bool user_made;		      /* the parent created its user */
	struct systemd_error useradd; /* why the parent could not create its user */
};

/* A workload nothing of is on this host yet, the kind a first boot deploys. */
static bool is_new(const struct sync_ctx *ctx, const struct spec_workload *w,
		   const struct sync_current *cur, size_t n_cur)
{
	const struct users_user *u;

	if ((ctx->args->only && strcmp(ctx->args->only, w->name) != 0) ||
	    sync_current_find(cur, n_cur, w->name) || sync_name_reserved(ctx, w->name))
		return false;
	return users_db_find_user(ctx->db, w->name, &u) == -ENOENT &&
	       (!ctx->alt_db || users_db_find_user(ctx->alt_db, w->name, &u) == -ENOENT);
}

static void outcome_pack(const struct sync_outcome *o, struct wire_outcome *wire)
{
	*wire = (struct wire_outcome){
		.action = o->action,
		.result = o->result,
		.n_written = o->n_written,
		.n_removed = o->n_removed,
		.up = o->up,
		.rolled_back = o->rolled_back,
		.duration_ms = o->duration_ms,
	};
	snprintf(wire->name, sizeof(wire->name), "%s", o->name);
	snprintf(wire->error, sizeof(wire->error), "%s", sync_outcome_text(o->error));
	snprintf(wire->repairs, sizeof(wire->repairs), "%s", sync_outcome_text(o->repairs));
	snprintf(wire->held_commit, sizeof(wire->held_commit), "%s",
		 sync_outcome_text(o->held_commit));
}

/* The texts a process sent, cut at their last byte if they were not. */
static void wire_terminate(struct wire_outcome *wire)
{
	wire->name[sizeof(wire->name) - 1] = '\0';
	wire->error[sizeof(wire->error) - 1] = '\0';
	wire->repairs[sizeof(wire->repairs) - 1] = '\0';
	wire->held_commit[sizeof(wire->held_commit) - 1] = '\0';
}

/* Into out, a fresh outcome of the same name. */
static void outcome_unpack(const struct wire_outcome *wire, struct sync_outcome *out)
{
	out->action = wire->action;
	out->result = wire->result;
	out->n_written = wire->n_written;
	out->n_removed = wire->n_removed;
	out->up = wire->up;
	out->rolled_back = wire->rolled_back;
	out->duration_ms = wire->duration_ms;
	if (wire->error[0])
		sync_outcome_set_error(out, "%s", wire->error);
	if (wire->repairs[0])
		sync_outcome_add_repair(out, wire->repairs);
	if (wire->held_commit[0])
		sync_outcome_set_held(out, wire->held_commit);
}

/* In the child: today's steps for j's workload, in order, its log lines (fd 2) kept in a memory
 * file; then the report, whole, through out_fd. */
__attribute__((noreturn)) static void job_main(struct sync_ctx *ctx, const struct job *j,
					       int out_fd)
{
	struct job_report *r = (struct job_report *)j->buf;
	int log_fd = memfd_create("tailpod-job-log", MFD_CLOEXEC);
	long long t0 = sync_now_ms();
	struct sync_outcome o = {0};
	ssize_t n = 0;

	if (log_fd >= 0)
		(void)dup2(log_fd, STDERR_FILENO);
	o.name = j->w->name;
	ctx->created_user = j->w->name;
	sync_apply_workload(ctx, j->w, NULL, NULL, &o);
	sync_gate_run(ctx); /* its health gate; the other deploy processes wait for theirs */
	o.duration_ms = sync_now_ms() - t0;
	*r = (struct job_report){.magic = JOB_MAGIC};
	outcome_pack(&o, &r->outcome);
	if (log_fd >= 0)
		n = pread(log_fd, j->buf + sizeof(*r), JOB_LOG_MAX, 0);
	r->log_len = n > 0 ? (uint32_t)n : 0;
	_exit(fs_write_all(out_fd, j->buf, sizeof(*r) + r->log_len) < 0);
}

static int job_start(struct sync_ctx *ctx, struct job *j)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL); /* nothing buffered is written twice */
	j->pid = fork();
	if (j->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (j->pid == 0) {
		close(p[0]);
		job_main(ctx, j, p[1]);
	}
	close(p[1]);
	j->fd = p[0];
	j->started = true;
	return 0;
}

/* Take what j sent (more than a report holds is dropped, and fails it); at its end, reap it. */
static void job_read(struct job *j)
{
	char sink[512];
	ssize_t n = j->got < JOB_REPORT_MAX ? read(j->fd, j->buf + j->got, JOB_REPORT_MAX - j->got)
					    : read(j->fd, sink, sizeof(sink));

	if (n < 0 && errno == EINTR)
		return;
	if (n > 0) {
		j->got += j->got < JOB_REPORT_MAX ? (size_t)n : 1;
		return;
	}
	close(j->fd);
	j->fd = -1;
	while (waitpid(j->pid, &j->status, 0) < 0 && errno == EINTR)
		;
}

/* Its outcome, or a failure when the process ended without a whole report. */
static void job_outcome(const struct job *j, struct sync_outcome *out)
{
	struct job_report r = {0};

	if (j->useradd.msg[0]) {
		sync_outcome_fail(out, "useradd", "%s", j->useradd.msg);
		return;
	}
	if (j->got >= sizeof(r))
		memcpy(&r, j->buf, sizeof(r));
	wire_terminate(&r.outcome);
	if (r.magic == JOB_MAGIC && r.log_len <= JOB_LOG_MAX && j->got == sizeof(r) + r.log_len &&
	    WIFEXITED(j->status) && WEXITSTATUS(j->status) == 0 &&
	    strcmp(r.outcome.name, j->w->name) == 0) {
		outcome_unpack(&r.outcome, out);
		fwrite(j->buf + sizeof(r), 1, r.log_len, stderr);
		return;
	}
	out->action = SYNC_CREATE;
	sync_outcome_fail(out, NULL, "the deploy process ended without a result (%s %d)",
			  WIFEXITED(j->status) ? "exit status" : "signal",
			  WIFEXITED(j->status) ? WEXITSTATUS(j->status) : WTERMSIG(j->status));
}

/* A deploy process killed by a signal: the run was interrupted, as the signal would have
 * interrupted a serial one. The others were let finish (a command killed half way could leave a
 * user in /etc/passwd and not in its group); now this process dies of the same signal. */
__attribute__((noreturn)) static void interrupted(int sig)
{
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* j's user, created by this process (once) before j's deploy process starts, while the deploys
 * started before it go on: one useradd after the other in name order, as the serial run creates
 * them, so the uids and subordinate ids do not depend on which deploy ends first. The users db is
 * read again, so that the deploy process finds its user. Issue 16: every user first, then the
 * deploys, kept the first deploy waiting for the last useradd (200 of them: a third of the first
 * deploy of `make bench`). False when useradd failed: the workload is not deployed, its error
 * reported in its turn. */
static bool create_user(struct sync_ctx *ctx, struct job *j)
{
	if (j->user_made || j->useradd.msg[0])
		return j->user_made;
	if (shadow_user_add(&ctx->cmds, j->w->name, ctx->config->user_group, &j->useradd) < 0) {
		if (!j->useradd.msg[0])
			snprintf(j->useradd.msg, sizeof(j->useradd.msg), "useradd %s failed",
				 j->w->name);
		return false;
	}
	if (sync_users_reload(ctx) < 0)
		log_warning("cannot reread %s after useradd, ignoring", USERS_PASSWD);
	j->user_made = true;
	return true;
}

/* Run jobs->items, at most max at once, until every one has ended: 0, or the signal that killed
 * one (no other is started after it). */
static int run_all(struct sync_ctx *ctx, struct sync_jobs *jobs, unsigned max)
{
	size_t next = 0, running = 0;
	struct pollfd pfd[CONFIG_JOBS_MAX];
	struct job *polled[CONFIG_JOBS_MAX];
	int sig = 0;

	while ((next < jobs->n && !sig) || running > 0) {
		size_t np = 0;

		for (; next < jobs->n && running < max && !sig; next++)
			running += create_user(ctx, &jobs->items[next]) &&
				   job_start(ctx, &jobs->items[next]) == 0;
		/* Every slot taken: the next one's user made while they work, so that its deploy
		 * starts as soon as one of them ends. */
		if (next < jobs->n && !sig)
			(void)create_user(ctx, &jobs->items[next]);
		for (size_t i = 0; i < next && np < CONFIG_JOBS_MAX; i++)
			if (jobs->items[i].fd >= 0) {
				pfd[np] =
					(struct pollfd){.fd = jobs->items[i].fd, .events = POLLIN};
				polled[np++] = &jobs->items[i];
			}
		if (np == 0 || (poll(pfd, np, -1) < 0 && errno != EINTR))
			break;
		for (size_t i = 0; i < np; i++) {
			if (!pfd[i].revents)
				continue;
			job_read(polled[i]);
			if (polled[i]->fd >= 0)
				continue;
			running--;
			if (WIFSIGNALED(polled[i]->status) && !sig)
				sig = WTERMSIG(polled[i]->status);
		}
	}
	return sig;
}

void sync_jobs_deploy_new(struct sync_ctx *ctx, const struct sync_current *cur, size_t n_cur,
			  struct sync_jobs *jobs)
{
	const struct spec_set *set = ctx->desired->set;
	unsigned max = ctx->config->jobs;
	size_t n = 0;
	int sig;

	*jobs = (struct sync_jobs){0};
	for (size_t i = 0; !ctx->dry_run && max > 1 && i < set->n_workloads; i++)
		n += is_new(ctx, &set->workloads[i], cur, n_cur);
	if (n < 2)
		return;
	jobs->items = calloc(n, sizeof(*jobs->items));
	jobs->bufs = malloc(n * (size_t)JOB_REPORT_MAX);
	if (!jobs->items || !jobs->bufs) {
		sync_jobs_release(jobs);
		return; /* the serial run deploys them */
	}
	ctx->cmds.shadow_lock_fd = memfd_create("tailpod-shadow-lock", MFD_CLOEXEC);
	if (ctx->cmds.shadow_lock_fd < 0) {
		ctx->cmds.shadow_lock_fd = 0;
		sync_jobs_release(jobs);
		return;
	}
	for (size_t i = 0; i < set->n_workloads; i++) {
		if (!is_new(ctx, &set->workloads[i], cur, n_cur))
			continue;
		jobs->items[jobs->n] = (struct job){
			.w = &set->workloads[i],
			.fd = -1,
			.buf = jobs->bufs + jobs->n * (size_t)JOB_REPORT_MAX,
		};
		jobs->n++;
	}
	sig = run_all(ctx, jobs, max > CONFIG_JOBS_MAX ? CONFIG_JOBS_MAX : max);
	if (sig)
		interrupted(sig);
	close(ctx->cmds.shadow_lock_fd);
	ctx->cmds.shadow_lock_fd = 0;
	if (sync_users_reload(ctx) < 0)
		log_warning("cannot reread %s after the concurrent deploys, ignoring",
			    USERS_PASSWD);
}

bool sync_jobs_take(struct sync_jobs *jobs, const char *name, struct sync_outcome *out)
{
	for (; jobs->next < jobs->n; jobs->next++) {
		const struct job *j = &jobs->items[jobs->next];
		int cmp = strcmp(j->w->name, name);

		if (cmp > 0)
			return false;
		if (cmp == 0) {
			jobs->next++;
			if (!j->started && !j->useradd.msg[0])
				return false; /* fork failed: the serial run deploys it */
			job_outcome(j, out);
			return true;
		}
	}
	return false;
}

void sync_jobs_release(struct sync_jobs *jobs)
{
	free(jobs->items);
	free(jobs->bufs);
	*jobs = (struct sync_jobs){0};
}
