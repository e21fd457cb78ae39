/* workloads.c: the workloads category — the records are readable, the deployed files still hash
 * to what sync recorded (drift: someone edited or removed a file), every workload's service runs
 * (its cgroup, no systemctl), the last sync's result and age (STATE/status.json) and the local
 * repository sync fetches into. */
#include "doctor/doctor.h"

#include "fs.h"
#include "hash.h"
#include "json_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	STATUS_FILE_MAX = 4 * 1024 * 1024, /* status.json: one line per workload */
};

static void check_records(struct doctor *d)
{
	struct doctor_names bad = {0};

	for (size_t i = 0; i < d->n_workloads; i++)
		if (d->workloads[i].rec.uid == (uid_t)-1)
			doctor_names_add(&bad, d->workloads[i].rec.name);
	if (d->records_error)
		doctor_row(d, "records", DOCTOR_FAIL, "check the state directory's permissions",
			   "%s", d->records_error);
	else if (bad.n)
		doctor_row(d, "records", DOCTOR_FAIL,
			   "run tailpod sync: it rewrites the record of a workload it deploys",
			   "unreadable record(s) in %s/workloads: %s", d->config->state_dir,
			   bad.text);
	else if (d->workload && d->n_workloads == 0)
		doctor_row(d, "records", DOCTOR_FAIL, "check the name (tailpod doctor lists them)",
			   "no record for workload %s", d->workload);
	else
		doctor_row(d, "records", DOCTOR_PASS, NULL, "%zu workload(s) recorded",
			   d->n_workloads);
}

/* desired_workload_hash() of the files as deployed: 1 when it is the recorded one, 0 when not
 * (or a file is missing), negative errno when the home cannot be read. */
static int workload_intact(const struct doctor_workload *w)
{
	struct hash_sha256 h;
	char hex[HASH_SHA256_HEX_SIZE], size[32];
	int home_fd, r = doctor_home_open(w, &home_fd);

	if (r < 0)
		return r;
	hash_sha256_init(&h);
	for (size_t i = 0; r >= 0 && i < w->rec.n_files; i++) {
		const struct state_file *f = &w->rec.files[i];
		struct stat st;
		int fd, n;

		r = doctor_recorded_open(home_fd, f, &fd);
		if (r == -ENOENT)
			break;
		if (r < 0)
			continue;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			r = -EBADFD;
		n = snprintf(size, sizeof(size), "%lld", (long long)st.st_size);
		hash_sha256_update(&h, f->name, strlen(f->name) + 1);
		hash_sha256_update(&h, size, (size_t)n + 1);
		if (r >= 0 && hash_sha256_fd(&h, fd) != (long long)st.st_size)
			r = -EIO;
		close(fd);
	}
	close(home_fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	hash_sha256_final_hex(&h, hex);
	/* With secrets, Hash= mixes in the values' MAC: the files' own hash is kept beside it. */
	return strcmp(hex, w->rec.files_hash[0] ? w->rec.files_hash : w->rec.hash) == 0;
}

static void check_drift(struct doctor *d)
{
	struct doctor_names bad = {0};
	size_t checked = 0;

	for (size_t i = 0; i < d->n_workloads; i++) {
		const struct doctor_workload *w = &d->workloads[i];

		if (!w->user || !w->rec.hash[0])
			continue; /* no user: the passwd row; no hash: migrated from quadsync */
		checked++;
		if (workload_intact(w) != 1)
			doctor_names_add(&bad, w->rec.name);
	}
	if (bad.n)
		doctor_row(d, "drift", DOCTOR_FAIL,
			   "run tailpod sync to restore them; change workloads in git, not on the "
			   "host",
			   "deployed files differ from what sync recorded: %s", bad.text);
	else
		doctor_row(d, "drift", DOCTOR_PASS, NULL, "%zu workload(s) as deployed", checked);
}

static void check_services(struct doctor *d)
{
	struct doctor_names bad = {0};

	if (!d->systemd) {
		doctor_row(d, "services", DOCTOR_SKIP, NULL,
			   "systemd is not running (rescue shell?): no service to check");
		return;
	}
	for (size_t i = 0; i < d->n_workloads; i++) {
		const struct doctor_workload *w = &d->workloads[i];

		if (w->user && w->rec.service[0] &&
		    systemd_unit_running(&d->cmds, w->user->uid, w->rec.service) != 1)
			doctor_names_add(&bad, w->rec.service);
	}
	if (bad.n)
		doctor_row(d, "services", DOCTOR_FAIL,
			   "systemctl --user -M NAME@ status UNIT, and its journal",
			   "not running: %s", bad.text);
	else
		doctor_row(d, "services", DOCTOR_PASS, NULL, "%zu service(s) running",
			   d->n_workloads);
}

/* Issue 21: workloads whose desired files failed sync's health gate run their good files until
 * the desired ones change; one whose rollback did not finish is not running them. */
static void check_held(struct doctor *d)
{
	struct doctor_names held = {0}, pending = {0};
	char item[USER_NAME_MAX + STATE_COMMIT_HEX_SIZE + STATE_REASON_MAX + 32];

	for (size_t i = 0; i < d->n_workloads; i++) {
		const struct state_record *rec = &d->workloads[i].rec;

		if (!rec->failed_hash[0])
			continue;
		snprintf(item, sizeof(item), "%s (%.12s failed: %s)", rec->name, rec->failed_commit,
			 rec->failed_reason);
		doctor_names_add(rec->rollback_pending ? &pending : &held, item);
	}
	if (pending.n)
		doctor_row(d, "held", DOCTOR_FAIL, "run tailpod sync: it finishes the rollback",
			   "rollback not finished: %s", pending.text);
	else if (held.n)
		doctor_row(
			d, "held", DOCTOR_WARN,
			"fix the workload in git, or tailpod sync --redeploy NAME once the cause "
			"is gone",
			"held at the last good files: %s", held.text);
	else
		doctor_row(d, "held", DOCTOR_PASS, NULL, "no workload held by the health gate");
}

/* STATE/status.json: the last sync's result, message and commit, its age from the file's mtime
 * (sync replaces it after every run). */
static void check_status(struct doctor *d)
{
	struct json_parse_field f[] = {
		{"result", NULL, 0}, {"message", NULL, 0}, {"commit", NULL, 0}};
	char path[PATH_MAX], *text = NULL;
	size_t len;
	struct stat st;
	int fd = -1, r;
	long long age;

	snprintf(path, sizeof(path), "%s/status.json", d->config->state_dir);
	r = fs_open_trusted(AT_FDCWD, path, NULL, &fd, &st);
	if (r >= 0)
		r = fs_read_fd_full(fd, STATUS_FILE_MAX, 0, &text, &len);
	if (fd >= 0)
		close(fd);
	if (r == -ENOENT) {
		doctor_row(d, "last-sync", DOCTOR_WARN, "systemctl start tailpod-sync.service",
			   "%s does not exist: sync never ran", path);
		return;
	}
	if (r >= 0)
		r = json_parse_strings(text, len, f, 3, NULL);
	free(text);
	if (r < 0) {
		doctor_row(d, "last-sync", DOCTOR_FAIL, "run tailpod sync: it rewrites the file",
			   "%s: %s", path, r == -EBADMSG ? "not valid JSON" : strerror(-r));
		return;
	}
	age = (long long)time(NULL) - (long long)st.st_mtime;
	if (!f[0].value || strcmp(f[0].value, "ok") != 0)
		doctor_row(d, "last-sync", DOCTOR_FAIL, "journalctl -u tailpod-sync.service",
			   "last sync %s %lld s ago: %s", f[0].value ? f[0].value : "(no result)",
			   age, f[1].value ? f[1].value : "");
	else if (age > DOCTOR_STALE_S)
		doctor_row(
			d, "last-sync", DOCTOR_WARN,
			"is tailpod-sync.timer running? systemctl list-timers tailpod-sync.timer",
			"last sync ok but %lld min ago (stale; the timer runs every 2 min)",
			age / 60);
	else
		doctor_row(d, "last-sync", DOCTOR_PASS, NULL, "ok %lld s ago, commit %.12s", age,
			   f[2].value && f[2].value[0] ? f[2].value : "(none)");
	json_parse_fields_release(f, 3);
}

static void check_repo(struct doctor *d)
{
	char path[PATH_MAX];
	int r;

	/* desired.c keeps it beside the state directory, owned by the fetch user */
	snprintf(path, sizeof(path), "%s-fetch/repo.git/HEAD", d->config->state_dir);
	r = access(path, R_OK) < 0 ? -errno : 0;
	if (r == -ENOENT)
		doctor_row(d, "repo.git", DOCTOR_WARN, "run tailpod sync (or sync --fetch-only)",
			   "%s-fetch/repo.git: nothing fetched yet", d->config->state_dir);
	else if (r < 0)
		doctor_row(d, "repo.git", DOCTOR_FAIL,
			   "remove it: the next sync fetches a fresh copy", "%s: %s", path,
			   strerror(-r));
	else
		doctor_row(d, "repo.git", DOCTOR_PASS, NULL, "%s-fetch/repo.git readable",
			   d->config->state_dir);
}

void doctor_workloads(struct doctor *d)
{
	check_records(d);
	check_drift(d);
	check_services(d);
	check_held(d);
	check_status(d);
	check_repo(d);
}
