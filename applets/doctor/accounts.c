/* accounts.c: the accounts category — service accounts (no static user under a DynamicUser=
 * name, no workload under a reserved one, the sync unit's hardening with its drop-ins) and the
 * groups and users (the managed and mint groups exist, differ and grant no privilege, no sudoers
 * rule for them beyond the documented mint-key line, no orphans or protected users in the managed
 * group, every workload user in /etc/passwd with subuid/subgid ranges and linger). */
#include "doctor/doctor.h"
#include "doctor/units.h"

#include "fs.h"
#include "names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	SUDOERS_FILE_MAX = 1024 * 1024,
	SUDOERS_FILES_MAX = 256,
};

/* Groups whose members hold privilege on a Fedora CoreOS host. */
static const char *const privileged_groups[] = {
	"root", "wheel", "sudo", "adm", "admin", "disk", "shadow", "systemd-journal", "docker",
};

/* What initramfs/units/tailpod-sync.service ships. */
static const struct unit_rule sync_rules[] = {
	{"ProtectSystem", UNIT_RULE_ONE_OF, "yes true full strict"},
	{"PrivateTmp", UNIT_RULE_YES, "yes"},
	{"RestrictSUIDSGID", UNIT_RULE_YES, "yes"},
	{"ProtectKernelModules", UNIT_RULE_YES, "yes"},
	{"CapabilityBoundingSet", UNIT_RULE_CAPS,
	 "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_SETUID "
	 "CAP_SETGID CAP_KILL CAP_AUDIT_WRITE"},
};

static bool is_workload(const struct doctor *d, const char *name)
{
	for (size_t i = 0; i < d->n_workloads; i++)
		if (strcmp(d->workloads[i].rec.name, name) == 0)
			return true;
	return false;
}

static void check_dynamic_user(struct doctor *d)
{
	static const char dyn[] = "tailpod-mint-key"; /* DynamicUser= of the mint-key service */
	const struct users_user *u = NULL;
	const char *file = USERS_PASSWD;

	if ((!d->etc || users_db_find_user(d->etc, dyn, &u) < 0) &&
	    (file = USERS_ALT_PASSWD, !d->alt || users_db_find_user(d->alt, dyn, &u) < 0))
		u = NULL;
	if (u)
		doctor_row(d, "dynamic-user", DOCTOR_FAIL,
			   "remove the user (userdel): systemd runs the DynamicUser= service as it",
			   "static user %s (uid %u) in %s would own mint-key's OAuth credential",
			   dyn, (unsigned)u->uid, file);
	else
		doctor_row(d, "dynamic-user", DOCTOR_PASS, NULL, "no static user named %s", dyn);
}

static void check_reserved(struct doctor *d)
{
	const struct names_rules rules = {d->config->protected_users, d->config->n_protected_users,
					  NULL};
	char why[NAMES_WHY_MAX];
	struct doctor_names bad = {0};

	for (size_t i = 0; i < d->n_workloads; i++)
		if (names_reserved(d->workloads[i].rec.name, &rules, why, sizeof(why)))
			doctor_names_add(&bad, d->workloads[i].rec.name);
	if (bad.n)
		doctor_row(d, "reserved-names", DOCTOR_FAIL,
			   "rename the workload in the repository",
			   "workloads under reserved names: %s", bad.text);
	else
		doctor_row(d, "reserved-names", DOCTOR_PASS, NULL,
			   "no workload has a reserved name");
}

static bool privileged(const struct users_group *g)
{
	if (g->gid == 0)
		return true;
	for (size_t i = 0; i < sizeof(privileged_groups) / sizeof(privileged_groups[0]); i++)
		if (strcmp(g->name, privileged_groups[i]) == 0)
			return true;
	return false;
}

static void check_groups(struct doctor *d)
{
	const char *managed = d->config->user_group, *mint = d->config->mint_group;
	const struct users_group *gm = NULL, *gt = NULL;

	if (!d->etc) {
		doctor_row(d, "groups", DOCTOR_FAIL, "restore /etc/group", "cannot read %s",
			   USERS_GROUP);
		return;
	}
	(void)users_db_find_group(d->etc, managed, &gm);
	(void)users_db_find_group(d->etc, mint, &gt);
	if (!gm || !gt)
		doctor_row(d, "groups", DOCTOR_FAIL,
			   "create it (systemd-sysusers, README \"Deploy\")",
			   "group %s missing from %s", !gm ? managed : mint, USERS_GROUP);
	else if (gm == gt || gm->gid == gt->gid)
		doctor_row(d, "groups", DOCTOR_FAIL,
			   "give TAILPOD_USER_GROUP and TAILPOD_MINT_GROUP two distinct groups",
			   "managed group %s and mint group %s are the same group (gid %u)",
			   managed, mint, (unsigned)gm->gid);
	else if (privileged(gm) || privileged(gt))
		doctor_row(d, "groups", DOCTOR_FAIL,
			   "use unprivileged groups for TAILPOD_USER_GROUP and TAILPOD_MINT_GROUP",
			   "group %s (gid %u) grants privilege to every workload",
			   privileged(gm) ? gm->name : gt->name,
			   (unsigned)(privileged(gm) ? gm->gid : gt->gid));
	else
		doctor_row(d, "groups", DOCTOR_PASS, NULL, "%s (gid %u) and %s (gid %u): distinct",
			   managed, (unsigned)gm->gid, mint, (unsigned)gt->gid);
}

/* Whether a sudoers line gives group (%NAME) anything beyond the documented mint-key command. */
static bool sudoers_line_grants(const char *line, const char *group)
{
	size_t n = strlen(group);
	const char *cmd;

	line += strspn(line, " \t");
	if (line[0] != '%' || strncmp(line + 1, group, n) != 0 || !strchr(" \t", line[n + 1]))
		return false;
	cmd = strstr(line, "NOPASSWD:");
	cmd = cmd ? cmd + 9 + strspn(cmd + 9, " \t") : NULL;
	return !cmd || strncmp(cmd, "/usr/local/bin/tailpod mint-key ", 32) != 0 ||
	       strchr(cmd, ',') != NULL;
}

/* The first line of path granting group (managed or mint) a rule, into where. */
static bool sudoers_file_grants(const char *path, const struct config *c, char *where, size_t size)
{
	char *text = NULL, *line, *next;
	size_t len;
	unsigned n = 0;
	bool found = false;

	if (fs_read_bounded(AT_FDCWD, path, SUDOERS_FILE_MAX, &text, &len) < 0)
		return false;
	for (line = text; line && !found; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n++;
		found = sudoers_line_grants(line, c->user_group) ||
			sudoers_line_grants(line, c->mint_group);
	}
	if (found)
		snprintf(where, size, "%s:%u", path, n);
	free(text);
	return found;
}

static void check_sudoers(struct doctor *d)
{
	char where[PATH_MAX + 16], path[PATH_MAX];
	bool found = sudoers_file_grants("/etc/sudoers", d->config, where, sizeof(where));
	DIR *dp = found ? NULL : opendir("/etc/sudoers.d");
	struct dirent *e;
	size_t seen = 0;

	while (dp && !found && (e = readdir(dp)) && seen++ < SUDOERS_FILES_MAX) {
		if (e->d_name[0] == '.' || strchr(e->d_name, '~'))
			continue; /* sudo skips these too */
		snprintf(path, sizeof(path), "/etc/sudoers.d/%s", e->d_name);
		found = sudoers_file_grants(path, d->config, where, sizeof(where));
	}
	if (dp)
		closedir(dp);
	if (found)
		doctor_row(
			d, "sudoers", DOCTOR_FAIL,
			"remove the rule: only the documented mint-key line may name these groups",
			"%s gives %s or %s a sudo rule", where, d->config->user_group,
			d->config->mint_group);
	else
		doctor_row(d, "sudoers", DOCTOR_PASS, NULL,
			   "no sudo rule for %s or %s beyond the mint-key line",
			   d->config->user_group, d->config->mint_group);
}

static bool is_protected(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_protected_users; i++)
		if (strcmp(c->protected_users[i], name) == 0)
			return true;
	return false;
}

/* Users in the managed group that no record knows (orphans), and protected ones. */
static void check_members(struct doctor *d)
{
	const struct users_group *g = NULL;
	struct doctor_names orphans = {0}, protected = {0};

	if (!d->etc || users_db_find_group(d->etc, d->config->user_group, &g) < 0)
		return; /* the groups row says so */
	for (size_t i = 0; i < g->n_members; i++)
		if (is_protected(d->config, g->members[i]))
			doctor_names_add(&protected, g->members[i]);
		else if (!is_workload(d, g->members[i]))
			doctor_names_add(&orphans, g->members[i]);
	for (size_t i = 0; i < d->etc->n_users; i++)
		if (d->etc->users[i].gid == g->gid && !is_workload(d, d->etc->users[i].name))
			doctor_names_add(is_protected(d->config, d->etc->users[i].name) ? &protected
											: &orphans,
					 d->etc->users[i].name);
	if (protected.n)
		doctor_row(d, "members", DOCTOR_FAIL,
			   "take them out of the group by hand (gpasswd -d USER GROUP): sync never "
			   "touches them",
			   "protected users in %s: %s", g->name, protected.text);
	else if (orphans.n && !d->workload)
		doctor_row(
			d, "members", DOCTOR_WARN,
			"remove the user, or the group membership, by hand: sync does not know it",
			"users in %s without a state record (orphans): %s", g->name, orphans.text);
	else
		doctor_row(d, "members", DOCTOR_PASS, NULL,
			   "every member of %s is a workload tailpod recorded", g->name);
}

void doctor_accounts(struct doctor *d)
{
	check_dynamic_user(d);
	check_reserved(d);
	doctor_hardening_row(d, "sync-hardening", "tailpod-sync.service", sync_rules,
			     sizeof(sync_rules) / sizeof(sync_rules[0]));
	check_groups(d);
	check_sudoers(d);
	check_members(d);
	doctor_accounts_users(d);
}
