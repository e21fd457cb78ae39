/* homes.c: the homes category — every workload's home is a directory of its own user closed to
 * others (0700), and every quadlet or unit file sync recorded there is a regular file of that user
 * closed to others (0600): others could read a workload's configuration or, writable, change what
 * its user manager runs. */
#include "doctor/doctor.h"

#include "fs.h"
#include "userfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int doctor_home_open(const struct doctor_workload *w, int *ret_fd)
{
	if (!w->user)
		return -ENOENT;
	return userfs_home_open(w->user->home, w->user->uid, ret_fd, NULL);
}

int doctor_recorded_open(int home_fd, const struct state_file *f, int *ret_fd)
{
	char rel[STATE_PATH_MAX + 64];

	snprintf(rel, sizeof(rel), "%s/%s",
		 f->dir == SPEC_UNIT_QUADLET ? ".config/containers/systemd"
					     : ".config/systemd/user",
		 f->name);
	return fs_open_beneath(home_fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, ret_fd);
}

/* The first problem of w's home and files, into why; 0 when there is none. */
static int home_problem(const struct doctor_workload *w, char *why, size_t size)
{
	char reason[160];
	struct stat st;
	int home_fd, fd, r = doctor_home_open(w, &home_fd);

	if (r < 0)
		return snprintf(why, size, "%s: home %.100s: %s", w->rec.name,
				w->user ? w->user->home : "(no user)", strerror(-r)),
		       -1;
	if (fstat(home_fd, &st) == 0 &&
	    *doctor_owned_mode(&st, true, w->user->uid, 077, reason, sizeof(reason))) {
		snprintf(why, size, "%s: %.100s %s", w->rec.name, w->user->home, reason);
		close(home_fd);
		return -1;
	}
	for (size_t i = 0; r == 0 && i < w->rec.n_files; i++) {
		bool bad;

		fd = -1;
		r = doctor_recorded_open(home_fd, &w->rec.files[i], &fd);
		if (r == -ENOENT) {
			r = 0; /* a missing file is drift: the workloads row */
			continue;
		}
		bad = r < 0 || fstat(fd, &st) < 0 ||
		      *doctor_owned_mode(&st, false, w->user->uid, 077, reason, sizeof(reason));
		if (bad) {
			snprintf(why, size, "%s: %.100s %.120s", w->rec.name, w->rec.files[i].name,
				 r < 0 ? strerror(-r) : reason);
			r = -1;
		}
		if (fd >= 0)
			close(fd);
	}
	close(home_fd);
	return r < 0 ? -1 : 0;
}

void doctor_homes(struct doctor *d)
{
	char why[DOCTOR_DETAIL_MAX], first[DOCTOR_DETAIL_MAX] = "";
	size_t bad = 0, checked = 0;

	for (size_t i = 0; i < d->n_workloads; i++) {
		if (!d->workloads[i].user)
			continue; /* the passwd row names it */
		checked++;
		if (home_problem(&d->workloads[i], why, sizeof(why)) < 0 && bad++ == 0)
			snprintf(first, sizeof(first), "%s", why);
	}
	if (bad)
		doctor_row(
			d, "homes", DOCTOR_FAIL,
			"chmod 0700 the home and 0600 its files, owned by the user (sync repairs "
			"the mode of the home)",
			"%s%s", first, bad > 1 ? " (and other workloads)" : "");
	else
		doctor_row(d, "homes", DOCTOR_PASS, NULL,
			   "%zu home(s) and their recorded files closed to others", checked);
}
