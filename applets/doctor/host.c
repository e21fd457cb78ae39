/* host.c: the host category — cgroup v2 (rootless Podman and doctor's own liveness reads need
 * it), Podman with its quadlet generator, the clock synchronised (TLS and tokens need it), free
 * space where state and homes live, and the sync lock (who holds it, read from its pid record:
 * doctor never takes it). */
#include "doctor/doctor.h"

#include "exec.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <unistd.h>

enum {
	SPACE_FAIL_MB = 64,  /* below this a write of the state or a pull fails */
	SPACE_WARN_MB = 512, /* below this the next image pull may */
	LOCK_RECORD_MAX = 32,
};

/* Where Podman installs the quadlet generator for user managers. */
static const char *const quadlet_generators[] = {
	"/usr/lib/systemd/user-generators/podman-user-generator",
	"/usr/libexec/podman/quadlet",
	"/usr/local/libexec/podman/quadlet",
};

static void check_cgroup(struct doctor *d)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/cgroup.controllers", d->cmds.cgroup_root);
	if (access(path, R_OK) == 0)
		doctor_row(d, "cgroup-v2", DOCTOR_PASS, NULL, "%s: unified hierarchy",
			   d->cmds.cgroup_root);
	else
		doctor_row(d, "cgroup-v2", DOCTOR_FAIL,
			   "boot with systemd.unified_cgroup_hierarchy=1 (the CoreOS default)",
			   "%s: no cgroup v2 (%s)", d->cmds.cgroup_root, strerror(errno));
}

static void check_podman(struct doctor *d)
{
	char *podman = NULL;
	const char *generator = NULL;
	char version[32] = "";

	for (size_t i = 0; i < sizeof(quadlet_generators) / sizeof(quadlet_generators[0]); i++)
		if (!generator && access(quadlet_generators[i], X_OK) == 0)
			generator = quadlet_generators[i];
	if (podman_version_is_set(&d->config->podman_version))
		podman_version_format(&d->config->podman_version, version, sizeof(version));
	if (exec_find_program("podman", &podman) < 0)
		doctor_row(d, "podman", DOCTOR_FAIL, "install Podman (Fedora CoreOS ships it)",
			   "podman not found in %s", EXEC_SAFE_PATH);
	else if (!generator)
		doctor_row(d, "podman", DOCTOR_FAIL, "install Podman 4.4 or later (quadlet)",
			   "%s, but no quadlet generator (%s)", podman, quadlet_generators[0]);
	else
		doctor_row(d, "podman", DOCTOR_PASS, NULL, "%s, quadlet at %s%s%s", podman,
			   generator, version[0] ? ", keys of Podman " : "", version);
	free(podman);
}

/* adjtimex with no mode bits reads the kernel's NTP state and changes nothing. */
static void check_clock(struct doctor *d)
{
	struct timex tx = {.modes = 0};
	int state = adjtimex(&tx);

	if (state < 0)
		doctor_row(d, "clock", DOCTOR_WARN, NULL, "cannot read the clock state: %s",
			   strerror(errno));
	else if (state == TIME_ERROR || (tx.status & STA_UNSYNC))
		doctor_row(
			d, "clock", DOCTOR_WARN,
			"check chronyd (chronyc tracking): TLS and auth keys need the right time",
			"the clock is not synchronised");
	else
		doctor_row(d, "clock", DOCTOR_PASS, NULL, "synchronised (offset %ld us)",
			   (long)tx.offset);
}

static void check_space(struct doctor *d, const char *row, const char *path)
{
	struct statvfs vfs;
	unsigned long long mb;

	if (statvfs(path, &vfs) < 0) {
		doctor_row(d, row, DOCTOR_WARN, NULL, "%s: %s", path, strerror(errno));
		return;
	}
	mb = (unsigned long long)vfs.f_bavail * vfs.f_frsize / (1024 * 1024);
	if (mb < SPACE_FAIL_MB || mb < SPACE_WARN_MB)
		doctor_row(d, row, mb < SPACE_FAIL_MB ? DOCTOR_FAIL : DOCTOR_WARN,
			   "free space: podman image prune as each workload user, tailpod gc",
			   "%s: %llu MiB free", path, mb);
	else
		doctor_row(d, row, DOCTOR_PASS, NULL, "%s: %llu MiB free", path, mb);
}

/* Who holds STATE/sync.lock: lock_release() empties the pid record, so a pid there whose
 * process lives is the holder (a crashed one leaves a dead pid). */
static void check_lock(struct doctor *d)
{
	char path[PATH_MAX], proc[64], *text = NULL;
	size_t len;
	long pid = 0;
	int r;

	snprintf(path, sizeof(path), "%s/sync.lock", d->config->state_dir);
	r = fs_read_bounded(AT_FDCWD, path, LOCK_RECORD_MAX, &text, &len);
	if (r >= 0)
		pid = strtol(text, NULL, 10);
	free(text);
	snprintf(proc, sizeof(proc), "/proc/%ld", pid);
	if (r < 0 && r != -ENOENT)
		doctor_row(d, "sync-lock", DOCTOR_WARN, "remove it: sync recreates it", "%s: %s",
			   path, strerror(-r));
	else if (pid > 0 && access(proc, F_OK) == 0)
		doctor_row(d, "sync-lock", DOCTOR_PASS, NULL, "held by pid %ld (a sync is running)",
			   pid);
	else
		doctor_row(d, "sync-lock", DOCTOR_PASS, NULL, "free");
}

void doctor_host(struct doctor *d)
{
	check_cgroup(d);
	check_podman(d);
	check_clock(d);
	check_space(d, "space-state", d->config->state_dir);
	check_space(d, "space-home", "/home");
	check_lock(d);
}
