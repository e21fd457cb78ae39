/* users.c: the accounts rows about each workload's user — in /etc/passwd (the static binary
 * reads no NSS module, so a name only another database resolves is a finding), subuid and subgid
 * ranges for rootless Podman, linger, and a running user manager (when systemd runs). One row per
 * check, naming the first workloads that fail it. */
#include "doctor/doctor.h"

#include <stdio.h>
#include <string.h>

static void failing_row(struct doctor *d, const char *row, const struct doctor_names *f,
			enum doctor_status status, const char *hint, const char *what,
			const char *pass)
{
	if (f->n)
		doctor_row(d, row, status, hint, "%s: %s", what, f->text);
	else
		doctor_row(d, row, DOCTOR_PASS, NULL, "%zu workload user(s) %s", d->n_workloads,
			   pass);
}

static void check_passwd(struct doctor *d)
{
	struct doctor_names missing = {0}, nss = {0};
	const struct users_user *u;

	for (size_t i = 0; i < d->n_workloads; i++) {
		const char *name = d->workloads[i].rec.name;

		if (d->workloads[i].user)
			continue;
		if (d->alt && users_db_find_user(d->alt, name, &u) == 0)
			doctor_names_add(&nss, name);
		else
			doctor_names_add(&missing, name);
	}
	if (nss.n)
		doctor_row(d, "passwd", DOCTOR_WARN,
			   "tailpod reads /etc/passwd only: move the user there or remove it",
			   "only in %s: %s", USERS_ALT_PASSWD, nss.text);
	else
		failing_row(d, "passwd", &missing, DOCTOR_FAIL, "run tailpod sync to recreate them",
			    "recorded workloads without a user in " USERS_PASSWD,
			    "in " USERS_PASSWD);
}

static void check_subids(struct doctor *d, const char *row, const char *path)
{
	struct users_subids *ids = NULL;
	struct users_subid_range range;
	struct doctor_names f = {0};
	char what[96];

	if (users_subids_load(NULL, path, &ids, NULL) < 0)
		ids = NULL;
	for (size_t i = 0; i < d->n_workloads; i++) {
		const struct users_user *u = d->workloads[i].user;

		if (u && (!ids || users_subids_find(ids, u->name, u->uid, &range) < 0))
			doctor_names_add(&f, u->name);
	}
	users_subids_free(ids);
	snprintf(what, sizeof(what), "no range in %s (rootless Podman fails)", path);
	failing_row(
		d, row, &f, DOCTOR_FAIL,
		"add a range (usermod --add-subuids/--add-subgids), or let sync recreate the user",
		what, "have ranges");
}

static void check_linger(struct doctor *d)
{
	struct doctor_names f = {0};

	for (size_t i = 0; i < d->n_workloads; i++)
		if (d->workloads[i].user &&
		    systemd_linger_enabled(&d->cmds, d->workloads[i].rec.name) != 1)
			doctor_names_add(&f, d->workloads[i].rec.name);
	failing_row(d, "linger", &f, DOCTOR_FAIL, "loginctl enable-linger NAME (sync does it too)",
		    "linger off: services stop at logout and do not start at boot", "linger");
}

static void check_managers(struct doctor *d)
{
	struct doctor_names f = {0};

	if (!d->systemd) {
		doctor_row(d, "user-managers", DOCTOR_SKIP, NULL,
			   "systemd is not running (rescue shell?): no user manager to check");
		return;
	}
	for (size_t i = 0; i < d->n_workloads; i++)
		if (d->workloads[i].user &&
		    systemd_manager_running(&d->cmds, d->workloads[i].user->uid) != 1)
			doctor_names_add(&f, d->workloads[i].rec.name);
	failing_row(d, "user-managers", &f, DOCTOR_FAIL,
		    "systemctl start user@UID.service; check its journal",
		    "user manager not running", "have a running user manager");
}

void doctor_accounts_users(struct doctor *d)
{
	check_passwd(d);
	check_subids(d, "subuid", USERS_SUBUID);
	check_subids(d, "subgid", USERS_SUBGID);
	check_linger(d);
	check_managers(d);
}
