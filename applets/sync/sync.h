/* sync.h: what the pieces of `tailpod sync` share — the run's context (settings, user databases,
 * system commands, state directory), the per-workload outcome that status.json, the metrics file
 * and the summary report, and the phases: plan (guards), apply (one workload), remove (one
 * workload), report. The front end is applets/sync.c. */
#ifndef TAILPOD_SYNC_H
#define TAILPOD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "desired.h"
#include "names.h"
#include "opt.h"
#include "state.h"
#include "systemd.h"
#include "users.h"
#include "userfs.h"

enum {
	SYNC_ERROR_MAX = 512,  /* bytes of one workload's error */
	SYNC_REPAIRS_MAX = 256 /* bytes of one workload's list of repairs */
};

/* What sync did, or with --dry-run would do, to a workload. */
enum sync_action {
	SYNC_NONE,   /* converged already: nothing ran */
	SYNC_CREATE, /* new workload: user, files, service */
	SYNC_UPDATE, /* the desired content changed: files rewritten, service restarted */
	SYNC_REPAIR, /* content unchanged but the host drifted: files, linger, manager, service */
	SYNC_ADOPT,  /* deployed by quadsync: recorded without a restart */
	SYNC_REMOVE, /* no longer desired: service stopped, user and files removed */
};

enum sync_result {
	SYNC_OK,
	SYNC_FAILED,  /* a step failed: the error says which */
	SYNC_REFUSED, /* a guard kept sync from acting on it */
};

struct sync_outcome {
	/* Borrowed: the desired workload's name, or the deployed one's (struct sync_current), both
	 * kept until the report is written; not a copy, which with wider fields made an outcome 88
	 * bytes, not 56 (issue 16: a no-op of 10 000 workloads keeps 10 000 of them). */
	const char *name;
	/* A byte each, beside the flags: with the counts they fill 12 bytes, not 20 (56 in all). */
	enum sync_action action : 8;
	enum sync_result result : 8;
	bool up : 1; /* its service runs after this run (metrics) */
	/* issue 21 (gate.c): rolled back to its good files in this run */
	bool rolled_back : 1;
	unsigned n_written, n_removed;
	long long duration_ms;
	/* Texts, NULL when empty (outcome.c sets them; read them through sync_outcome_text):
	 * error: "restart failed: systemctl: exited with status 1: ..."; repairs: "files, service"
	 * for SYNC_REPAIR; held_commit: the commit whose files failed the health gate, held (rolled
	 * back now or before). */
	char *error;
	char *repairs;
	char *held_commit;
};

/* The command line, parsed into sync_main's frame (applets/sync.c). */
struct sync_args {
	bool dry_run, fetch_only, json, allow_empty, allow_mass_delete;
	const char *config;	     /* --config FILE, or NULL for CONFIG_PATH */
	const char *only;	     /* --only NAME, or NULL */
	struct opt_strings redeploy; /* --redeploy NAME, repeatable */
};

struct sync_ctx;

/* ahead.c: the checks of a window of turns asked ahead, on up to config->jobs threads (see
 * ahead.c). */
enum {
	SYNC_AHEAD_WINDOW = 128, /* turns a window: the records it holds at most */
	SYNC_AHEAD_UNITS = 4,	 /* files of a workload asked ahead (a slot is ~1.8 KiB) */
	SYNC_AHEAD_MIN = 32,	 /* workloads in a window worth the threads */
};
struct sync_ahead_slot;
struct sync_ahead {
	struct sync_ctx *ctx;
	struct sync_ahead_slot *slots; /* [SYNC_AHEAD_WINDOW], made at the first window */
	/* The slots' records' files, [SYNC_AHEAD_WINDOW * SYNC_AHEAD_UNITS] made with the slots:
	 * taken in turn, files_used of them this window, so that only the pages the window's
	 * files fill are touched (issue 16: in each slot, room for SYNC_AHEAD_UNITS files made a
	 * slot a page, and each page a fault, ~15 us on this hypervisor, for a file or two). */
	struct state_file *files;
	size_t files_used;
	unsigned threads;
	size_t first, n;     /* the window: desired workloads [first, first + n) */
	unsigned generation; /* ctx->users_generation it was asked with */
	bool pinned;	     /* a slot's record could not leave it: no later window */
};
/* The run. Pointers are borrowed from sync_main. */
struct sync_ctx {
	const struct sync_args *args;
	const struct config *config;
	const struct desired *desired;
	struct systemd_cmds cmds;
	const char *root;	 /* where /etc is read from: NULL for the real one */
	struct users_db *db;	 /* /etc/passwd and /etc/group; reloaded after useradd */
	struct users_db *alt_db; /* /usr/lib/passwd and group (Fedora CoreOS), or NULL */
	struct users_defs defs;	 /* login.defs */
	/* /etc/subuid and /etc/subgid, read once (issue 16) and again after useradd; NULL with
	 * the load's error in subids_error when it failed */
	struct users_subids *subids[2];
	int subids_error[2];
	int state_fd; /* STATE/workloads */
	/* The homes' parent, open for the run: a healthy home checked by its name (issue 16) */
	struct userfs_homes homes;
	/* What the host uses, never a workload's name (core/names). */
	struct names_host *names;
	bool dry_run;			    /* args->dry_run */
	const struct opt_strings *redeploy; /* &args->redeploy */
	long long started_ms;		    /* sync_now_ms() when the run began */
	struct sync_outcome *outcomes;
	size_t n_outcomes;
	/* In a deploy process of jobs.c: the workload whose user the parent has just created, so
	 * apply.c plans it as a creation. */
	const char *created_user;
	struct sync_gate *gate;	   /* gate.c: the workloads waiting for the health gate */
	unsigned users_generation; /* counts the reloads of db (ahead.c's answers are of one) */
	struct sync_ahead ahead;   /* ahead.c: released with the ctx, after the records */
};

/* A workload sync knows was deployed: a tailpod record, or quadsync's hashes/NAME only. The
 * record is read in the workload's turn (sync_current_open), not all of them up front: a no-op of
 * 10 000 workloads held 16 MiB of records (issue 16). */
struct sync_current {
	char name[USER_NAME_MAX + 1];
	bool unread;	    /* STATE/workloads has its record, not read yet */
	bool has_record;    /* rec is loaded */
	bool from_quadsync; /* quadsync deployed it; no tailpod record yet */
	bool rec_borrowed;  /* rec and its files lie in a slot of ahead.c (no secrets) */
	struct state_record *rec;
};

/* reconcile.c: every workload of ctx->desired (valid), then the removals, and the report; the
 * exit status. Releases what it opened in ctx. */
int sync_reconcile(struct sync_ctx *ctx);

/* plan.c: the workloads deployed now and the guards of this run. */
int sync_current_load(const struct sync_ctx *ctx, struct sync_current **ret, size_t *ret_n);
void sync_current_free(struct sync_current *cur, size_t n);
/* Read cur's record if it has one not read yet; one that cannot be read is logged and leaves the
 * workload deployed without a file list (has_record false). -ENOMEM is the only error. */
int sync_current_open(const struct sync_ctx *ctx, struct sync_current *cur);
/* Drop cur's record again (the gate keeps pointers to those of created and updated workloads:
 * release only the others before it ran). */
void sync_current_close(struct sync_current *cur);
/* Move a record read ahead out of its slot, which the next window reuses; -ENOMEM. */
int sync_current_detach(struct sync_current *cur);
const struct sync_current *sync_current_find(const struct sync_current *cur, size_t n,
					     const char *name);
/* EXIT_OK, or EXIT_REFUSED with the reason logged: the workload-count (TAILPOD_MAX_WORKLOADS),
 * the empty-state and the mass-delete guard. */
int sync_check_guards(const struct sync_ctx *ctx, size_t n_current, size_t n_remove,
		      bool allow_empty, bool allow_mass_delete);
/* ctx->names from ctx->db, ctx->alt_db and the host's units; warnings logged. */
int sync_names_load(struct sync_ctx *ctx);
/* True (out filled: refused, the reason logged) when w's name is reserved (core/names): no
 * command runs for it, the other workloads go on. deployed: a record or user exists. */
bool sync_name_refused(const struct sync_ctx *ctx, const struct spec_workload *w, bool deployed,
		       struct sync_outcome *out);
/* The same question, quietly. */
bool sync_name_reserved(const struct sync_ctx *ctx, const char *name);
/* plan.c: reload ctx->db and ctx->subids after useradd. */
int sync_users_reload(struct sync_ctx *ctx);
/* plan.c: (re)read ctx->subids; a failure is kept in ctx->subids_error for each workload. */
void sync_subids_load(struct sync_ctx *ctx);
extern const char *const sync_subid_files[2];

/* jobs.c: the new workloads (no record, no user), deployed concurrently before the run in name
 * order, at most config->jobs at a time, each in a child process (see jobs.c). */
struct job;
struct sync_jobs {
	struct job *items; /* in name order */
	size_t n, next;
	char *bufs; /* what each process sent back */
};
void sync_jobs_deploy_new(struct sync_ctx *ctx, const struct sync_current *cur, size_t n_cur,
			  struct sync_jobs *jobs);
/* True (out filled, its log lines printed) when jobs deployed name; asked in name order. */
bool sync_jobs_take(struct sync_jobs *jobs, const char *name, struct sync_outcome *out);
void sync_jobs_release(struct sync_jobs *jobs);

void sync_ahead_init(struct sync_ahead *a, struct sync_ctx *ctx);
/* Ask the window of desired workloads from first on; the records read ahead are borrowed by cur
 * (rec_borrowed) until the turns close or detach them. */
void sync_ahead_window(struct sync_ahead *a, struct sync_current *cur, size_t n_cur, size_t first);
/* Desired workload i's answers, or NULL when its turn must ask itself. */
const struct sync_ahead_slot *sync_ahead_slot(const struct sync_ahead *a, size_t i);
/* A record of a slot stays there (sync_current_detach() failed): no later window reuses them. */
void sync_ahead_pin(struct sync_ahead *a);

/* apply.c: bring one desired workload in line, taking ahead's answers when it has them (NULL:
 * none); fills out. */
void sync_apply_workload(struct sync_ctx *ctx, const struct spec_workload *w,
			 const struct sync_current *cur, const struct sync_ahead_slot *ahead,
			 struct sync_outcome *out);

/* gate.c: the health gate, after every desired workload was applied: the records of those
 * that passed, the rollbacks of those that failed (see gate.c); then its memory freed. */
void sync_gate_run(struct sync_ctx *ctx);
/* held.c: remove the good copy of a workload that goes (a missing one is success). */
int sync_good_drop(const struct sync_ctx *ctx, const char *name);
void sync_gate_free(struct sync_ctx *ctx);
/* steps.c: store w's record (the good one: no failed deploy noted), with the stamps of its files
 * when they are known to be settled (NULL: none, the next no-op reads the files). */
int sync_record_store(struct sync_ctx *ctx, const struct spec_workload *w, uid_t uid,
		      const char *hash, const char *files_hash, const struct fs_stamp *stamps,
		      struct sync_outcome *out);

/* mintgroup.c: whether a unit of w runs `tailpod mint-key` before its start (an ExecStartPre=
 * whose binary is tailpod or its mint-key link and that dispatches to mint-key); such a
 * workload must be in the mint group. A command that merely mentions mint-key grants nothing. */
bool sync_uses_mint_key(const struct spec_workload *w);

/* podman.c: when TAILPOD_PODMAN_VERSION is not set, set c->podman_version to the installed
 * podman's (`podman --version`, cached in STATE/podman-version by the binary's inode, size and
 * mtime; not written with dry_run). No podman, or no answer: left unset (every known key passes),
 * logged; never an error of the run. */
void sync_podman_target(struct config *c, bool dry_run);

/* remove.c: remove one workload that is no longer desired, if every guard allows it. */
void sync_remove_workload(struct sync_ctx *ctx, const struct sync_current *cur,
			  struct sync_outcome *out);

/* report.c: status.json (STATE/status.json), the metrics file, the summary. result is "ok",
 * "failed", "refused", "invalid" (validation), "fetch-failed" or "busy"; message says why when
 * it is not "ok". ctx->desired may be NULL (the fetch failed). With json, the status document
 * also goes to stdout. A dry run writes no file. */
const char *sync_action_name(enum sync_action action);
int sync_report(const struct sync_ctx *ctx, const char *result, const char *message, bool json);
void sync_print_summary(const struct sync_ctx *ctx);

/* Helpers of the phases. */
/* Whether --redeploy named name. */
bool sync_redeploy_named(const struct sync_ctx *ctx, const char *name);
/* outcome.c. Fail out (a refused one stays refused), its error "STEP failed: " (when step is not
 * NULL) and fmt's text; logged. */
void sync_outcome_fail(struct sync_outcome *out, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set out's error alone (result untouched, nothing logged). */
void sync_outcome_set_error(struct sync_outcome *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append what to out's list of repairs, ", " between two. */
void sync_outcome_add_repair(struct sync_outcome *out, const char *what);
void sync_outcome_set_held(struct sync_outcome *out, const char *commit);
/* A text of an outcome: "" for NULL. */
const char *sync_outcome_text(const char *text);
long long sync_now_ms(void);
/* Where a file of kind dir lives, relative to the home: ".config/containers/systemd" or
 * ".config/systemd/user". */
const char *sync_unit_dir(enum spec_unit_dir dir);
bool sync_is_timer(const char *unit);

#endif
