/* install.c: the install category — the binary (a regular root-owned file nobody else can write,
 * not a symlink), its version, the shipped units present and enabled, and the mint-key service's
 * hardening with every drop-in applied. */
#include "doctor/doctor.h"
#include "doctor/units.h"

#include "buildinfo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What initramfs/units/tailpod-mint-key@.service promises (README "Security"). */
static const struct unit_rule mint_key_rules[] = {
	{"DynamicUser", UNIT_RULE_YES, "yes"},
	{"NoNewPrivileges", UNIT_RULE_YES, "yes"},
	{"ProtectSystem", UNIT_RULE_ONE_OF, "strict"},
	{"ProtectHome", UNIT_RULE_YES, "yes"},
	{"PrivateTmp", UNIT_RULE_YES, "yes"},
	{"RestrictSUIDSGID", UNIT_RULE_YES, "yes"},
	{"CapabilityBoundingSet", UNIT_RULE_CAPS, ""},
	{"LoadCredential", UNIT_RULE_PREFIX, "oauth.env:"},
};

/* Units tailpod ships, and the .wants directory that enables the ones with an [Install]. */
static const struct {
	const char *unit;
	const char *wanted_by; /* NULL: started by another unit */
} shipped_units[] = {
	{"tailpod-sync.service", NULL},
	{"tailpod-sync.timer", "timers.target"},
	{"tailpod-mint-key@.service", NULL},
	{"tailpod-mint-key.socket", "sockets.target"},
};

static void check_binary(struct doctor *d)
{
	char path[PATH_MAX], why[160];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	struct stat st;
	int r;

	if (n < 0) {
		doctor_row(d, "binary", DOCTOR_WARN, "mount /proc",
			   "cannot resolve /proc/self/exe: %s", strerror(errno));
		return;
	}
	path[n] = '\0';
	r = doctor_lstat(path, &st);
	if (r < 0)
		doctor_row(d, "binary", DOCTOR_FAIL, "reinstall tailpod", "%s: %s", path,
			   strerror(-r));
	else if (*doctor_owned_mode(&st, false, 0, 022, why, sizeof(why)))
		doctor_row(d, "binary", DOCTOR_FAIL,
			   "chown root:root and chmod 0755 the binary; find out who changed it",
			   "%s %s", path, why);
	else
		doctor_row(d, "binary", DOCTOR_PASS, NULL, "%s, root, mode %04o, version %s", path,
			   (unsigned)(st.st_mode & 07777), TAILPOD_VERSION);
}

static void check_units(struct doctor *d)
{
	char path[PATH_MAX], missing[DOCTOR_DETAIL_MAX] = "", disabled[DOCTOR_DETAIL_MAX] = "";
	struct stat st;
	int r;

	for (size_t i = 0; i < sizeof(shipped_units) / sizeof(shipped_units[0]); i++) {
		const char *unit = shipped_units[i].unit;

		r = doctor_unit_find(unit, path, sizeof(path));
		if (r < 0) {
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s%s", missing[0] ? ", " : "", unit,
				 r == -ENOEXEC ? " (masked)" : "");
			continue;
		}
		if (!shipped_units[i].wanted_by)
			continue;
		snprintf(path, sizeof(path), "/etc/systemd/system/%s.wants/%s",
			 shipped_units[i].wanted_by, unit);
		if (doctor_lstat(path, &st) < 0)
			snprintf(disabled + strlen(disabled), sizeof(disabled) - strlen(disabled),
				 "%s%s", disabled[0] ? ", " : "", unit);
	}
	if (missing[0])
		doctor_row(d, "units", DOCTOR_FAIL,
			   "install the units of initramfs/units (README \"Deploy\")",
			   "missing: %s", missing);
	else
		doctor_row(d, "units", DOCTOR_PASS, NULL, "all %zu shipped units installed",
			   sizeof(shipped_units) / sizeof(shipped_units[0]));
	if (disabled[0])
		doctor_row(d, "enabled", DOCTOR_FAIL, "systemctl enable --now the unit",
			   "not enabled: %s", disabled);
	else if (!missing[0])
		doctor_row(d, "enabled", DOCTOR_PASS, NULL,
			   "tailpod-sync.timer and tailpod-mint-key.socket enabled");
}

void doctor_hardening_row(struct doctor *d, const char *name, const char *unit,
			  const struct unit_rule *rules, size_t n_rules)
{
	struct doctor_unit u;
	char why[DOCTOR_DETAIL_MAX], first[DOCTOR_DETAIL_MAX] = "";
	size_t bad = 0;
	int r = doctor_unit_load(unit, &u);

	if (r == -ENOENT || r == -ENOEXEC)
		doctor_row(d, name, DOCTOR_SKIP, NULL, "%s is not installed%s", unit,
			   r == -ENOEXEC ? " (masked)" : "");
	else if (r < 0)
		doctor_row(d, name, DOCTOR_WARN, "make the drop-in a regular root-owned file",
			   "cannot read %s: %s", u.files[u.bad_file] ? u.files[u.bad_file] : unit,
			   strerror(-r));
	for (size_t i = 0; r >= 0 && i < n_rules; i++)
		if (doctor_unit_check(&u, &rules[i], why, sizeof(why)) < 0 && bad++ == 0)
			snprintf(first, sizeof(first), "%s", why);
	if (r >= 0 && bad > 1)
		snprintf(first + strlen(first), sizeof(first) - strlen(first), "; %zu more",
			 bad - 1);
	if (r >= 0 && bad)
		doctor_row(d, name, DOCTOR_FAIL,
			   "remove the drop-in (or line) that weakens the shipped unit", "%s",
			   first);
	else if (r >= 0)
		doctor_row(d, name, DOCTOR_PASS, NULL,
			   "%zu settings as shipped (%zu drop-ins read)", n_rules, u.n_files - 1);
	doctor_unit_release(&u);
}

void doctor_install(struct doctor *d)
{
	check_binary(d);
	check_units(d);
	doctor_hardening_row(d, "mint-key-hardening", "tailpod-mint-key@.service", mint_key_rules,
			     sizeof(mint_key_rules) / sizeof(mint_key_rules[0]));
}
