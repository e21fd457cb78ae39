/* doctor.h: the rows of `tailpod doctor` and what every category reads them from. A category is
 * one file of applets/doctor/ and adds rows (name, status, one-line detail, hint); doctor.c picks
 * the categories, report.c prints them. Everything here only reads: no lock, no write, no command
 * that changes state. */
#ifndef TAILPOD_DOCTOR_H
#define TAILPOD_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config.h"
#include "spec.h"
#include "state.h"
#include "systemd.h"
#include "users.h"

enum doctor_status {
	DOCTOR_PASS,
	DOCTOR_WARN,
	DOCTOR_FAIL,
	DOCTOR_SKIP,
};

enum {
	DOCTOR_NAME_MAX = 32,	 /* bytes of a row's name */
	DOCTOR_DETAIL_MAX = 320, /* bytes of a detail: room for a path and a reason */
	DOCTOR_HINT_MAX = 200,
	DOCTOR_ROWS_MAX = 256, /* rows one run keeps: a few per category, never one per workload */
	DOCTOR_STALE_S = 30 * 60, /* status.json older than this: the sync timer stopped */
};

struct doctor_row {
	const char *category;
	char name[DOCTOR_NAME_MAX];
	enum doctor_status status;
	char detail[DOCTOR_DETAIL_MAX];
	char hint[DOCTOR_HINT_MAX];
};

/* One workload sync recorded, with its user as passwd knows it (user NULL when it does not). */
struct doctor_workload {
	struct state_record rec;
	const struct users_user *user;
};

struct doctor {
	const struct config *config; /* the settings, or the defaults when they did not load */
	const char *config_error;    /* "FILE:LINE: why" when they did not load, else NULL */
	const char *only;	     /* --only CATEGORY, or NULL */
	const char *workload;	     /* --workload NAME, or NULL */
	bool systemd;		     /* systemd runs as the system manager (/run/systemd/system) */
	struct systemd_cmds cmds;
	struct users_db *etc; /* /etc/passwd and /etc/group; NULL when unreadable */
	struct users_db *alt; /* /usr/lib/passwd and /usr/lib/group; NULL when absent */
	struct doctor_workload *workloads; /* the records in name order (--workload: that one) */
	size_t n_workloads;
	char *records_error;  /* why the records could not be listed, or NULL */
	const char *category; /* the category adding rows */
	struct doctor_row rows[DOCTOR_ROWS_MAX];
	size_t n_rows;
};

/* Names in a detail: the first DOCTOR_NAMES_SHOWN, comma-separated, then " and more". */
enum { DOCTOR_NAMES_SHOWN = 4 };
struct doctor_names {
	char text[DOCTOR_DETAIL_MAX];
	size_t n; /* names added, shown or not */
};
void doctor_names_add(struct doctor_names *l, const char *name);

/* Add a row to the running category; hint may be NULL (a PASS needs none). */
void doctor_row(struct doctor *d, const char *name, enum doctor_status status, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The categories, each adding its rows (install.c, config.c, ...). */
void doctor_install(struct doctor *d);
void doctor_config(struct doctor *d);
void doctor_secrets(struct doctor *d);
void doctor_accounts(struct doctor *d);
void doctor_accounts_users(struct doctor *d); /* users.c: the per-workload user rows */
void doctor_homes(struct doctor *d);
void doctor_workloads(struct doctor *d);
void doctor_host(struct doctor *d);

/* One row for the hardening of a shipped unit with its drop-ins (install.c): rules as units.h. */
struct unit_rule;
void doctor_hardening_row(struct doctor *d, const char *name, const char *unit,
			  const struct unit_rule *rules, size_t n_rules);

/* homes.c: the home of a workload's user as a directory fd (userfs_home_open: owned by the user,
 * never reached through a link), and one recorded file beneath it opened for reading without
 * following a symlink or blocking on a FIFO: 0 or -errno. */
int doctor_home_open(const struct doctor_workload *w, int *ret_fd);
int doctor_recorded_open(int home_fd, const struct state_file *f, int *ret_fd);

/* lstat path into *st: 0, or -errno. Never follows a final symlink. */
int doctor_lstat(const char *path, struct stat *st);

/* "mode 0755, owner 1000" problems of a path that must be a file or directory (dir) owned by
 * root (owner) with none of the deny bits: "" when it is fine, else a reason in buf. */
const char *doctor_owned_mode(const struct stat *st, bool dir, uid_t owner, mode_t deny, char *buf,
			      size_t size);

/* report.c: print the table (colour on a tty) or the JSON document; the count of FAIL rows. */
int doctor_print_table(const struct doctor *d, bool colour);
int doctor_print_json(const struct doctor *d);
size_t doctor_count(const struct doctor *d, enum doctor_status status);

#endif
