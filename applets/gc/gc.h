/* gc.h: what the pieces of `tailpod gc` share. The front end (applets/gc.c) asks its questions
 * once — state records, passwd and group, the desired state — and each category
 * (a file of applets/gc/) sweeps only when every question it depends on was answered: a failed or
 * timed-out query skips the whole category with its reason, it never reads as "nothing there"
 * (../shared/seeds/004: a GC that took a failed `docker ps` for "no containers" deleted live
 * data). report.c collects what each category removed, would remove, kept or failed to remove. */
#ifndef TAILPOD_GC_H
#define TAILPOD_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "desired.h"
#include "state.h"
#include "users.h"

enum {
	GC_TEMP_AGE_S = 3600,	 /* a temp file younger than this may belong to a running write */
	GC_ENTRIES_MAX = 65536,	 /* entries reported; more are counted, not listed */
	GC_WHAT_MAX = 4096 + 64, /* bytes of an entry's path or name */
	GC_WHY_MAX = 512,	 /* bytes of a reason */
	GC_PODMAN_OUT_MAX = 4 << 20, /* bytes of `podman images` or `podman ps` output kept */
};

/* The categories, in the order they run; gc_category_names[] spells them. */
enum gc_category {
	GC_TEMP,
	GC_RECORDS,
	GC_FILES,
	GC_IMAGES,
	GC_REPOS,
	GC_KEYS,
	GC_BACKUPS,
	GC_CATEGORIES
};
extern const char *const gc_category_names[GC_CATEGORIES];

enum gc_kind {
	GC_REMOVED, /* gone, bytes freed */
	GC_WOULD,   /* --dry-run: would be removed */
	GC_KEPT,    /* looked like garbage but a guard kept it (a note, not a failure) */
	GC_FAILED,  /* garbage that could not be removed: the run exits 1 */
};

struct gc_entry {
	enum gc_category cat;
	enum gc_kind kind;
	long long bytes; /* -1 when unknown (an image) */
	char what[GC_WHAT_MAX];
	char why[GC_WHY_MAX];
};

/* One workload whose record loaded and whose user is managed: still the recorded uid, in the
 * managed group. Its files and images are gc's to sweep; anything else of a user is not. */
struct gc_managed {
	const struct state_record *rec;
	const struct users_user *user;
};

struct gc_ctx {
	const struct config *config;
	bool dry_run;
	bool only[GC_CATEGORIES]; /* the categories to run */
	/* The answers, each NULL or -1 with its reason in *_why when the question failed. */
	int state_fd; /* STATE/workloads */
	struct state_record *recs;
	size_t n_recs;
	char state_why[GC_WHY_MAX];
	struct users_db *db;
	char db_why[GC_WHY_MAX];
	const struct desired *desired;
	char desired_why[GC_WHY_MAX];
	struct gc_managed *managed;
	size_t n_managed;
	/* The report. */
	char skipped[GC_CATEGORIES][GC_WHY_MAX]; /* "" when the category ran */
	struct gc_entry *entries;
	size_t n_entries, n_dropped;
	unsigned command_timeout_ms;
};

/* report.c. gc_skip: the category did not run, for why (logged as a warning). gc_note: one entry
 * (what and why are printf'd into it; kind GC_FAILED is also logged as an error). */
void gc_skip(struct gc_ctx *g, enum gc_category cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gc_note(struct gc_ctx *g, enum gc_category cat, enum gc_kind kind, long long bytes,
	     const char *what, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The removal or its dry-run twin: GC_REMOVED, or GC_WOULD with --dry-run. */
enum gc_kind gc_removal(const struct gc_ctx *g);
/* Print the report (text, or JSON with json); returns the exit status: 0 when every selected
 * category ran and nothing failed, 1 otherwise. */
int gc_report(const struct gc_ctx *g, bool json);

/* The workload that is desired under name, or NULL. Needs g->desired. */
const struct spec_workload *gc_desired_find(const struct gc_ctx *g, const char *name);

/* temp.c: remove HOME/dir/name of m's user as the user (core/userfs), noted under cat; one
 * file per job, so one that cannot go does not stop the rest. */
void gc_remove_as_user(struct gc_ctx *g, enum gc_category cat, const struct gc_managed *m,
		       int home_fd, const char *dir, const char *name, long long bytes);
/* The same below another directory of the user's, root_fd open on root (the path, for the
 * report): /run/user/UID for the keys. */
void gc_remove_below(struct gc_ctx *g, enum gc_category cat, const struct gc_managed *m,
		     int root_fd, const char *root, const char *dir, const char *name,
		     long long bytes);

/* What gc_scan_dir takes from a directory: names is_name accepts, regular files owned by owner
 * ((uid_t)-1: anyone) last written more than age_s ago; others of those names are noted as kept
 * under cat. */
struct gc_scan {
	enum gc_category cat;
	bool (*is_name)(const char *name);
	long age_s;
	uid_t owner;
};

/* One file found: its name and size. */
struct gc_found {
	char name[256];
	long long bytes;
};

enum { GC_SCAN_MAX = 1024 }; /* files taken from one directory per run */

/* temp.c: the files of scan in the directory open as dirfd (which is closed); what is the
 * directory for the report. 0 with *ret_n of them in out (GC_SCAN_MAX), or -errno. */
int gc_scan_dir(struct gc_ctx *g, const struct gc_scan *scan, int dirfd, const char *what,
		struct gc_found *out, size_t *ret_n);

/* restores.c, part of the temp category: restore's temp directories in m's home (open as
 * home_fd) that no restore holds any more. */
void gc_sweep_restores(struct gc_ctx *g, const struct gc_managed *m, int home_fd);

/* One category each: temp.c, records.c (records and files), images.c, repos.c, keys.c,
 * backups.c. */
void gc_sweep_temp(struct gc_ctx *g);
void gc_sweep_records(struct gc_ctx *g);
void gc_sweep_files(struct gc_ctx *g);
void gc_sweep_images(struct gc_ctx *g);
void gc_sweep_repos(struct gc_ctx *g);
void gc_sweep_keys(struct gc_ctx *g);
void gc_sweep_backups(struct gc_ctx *g);

#endif
