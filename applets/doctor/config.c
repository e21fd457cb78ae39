/* config.c: the config category — config.env loads (no unknown keys, valid values, root-owned,
 * writable by root only), quadsync's migration state, the transform directory, and the mint-key
 * policy with the mint-group members it would refuse. */
#include "doctor/doctor.h"

#include "ini.h"
#include "mint-key/mint-key.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void check_settings(struct doctor *d)
{
	const struct config *c = d->config;
	const struct diag *first = c->diags.n ? &c->diags.items[0] : NULL;

	if (d->config_error)
		doctor_row(d, "config.env", DOCTOR_FAIL,
			   "fix the line named (keys and values: README \"Configuration\"); sync "
			   "refuses to run until then",
			   "%s", d->config_error);
	else if (first)
		doctor_row(d, "config.env", DOCTOR_WARN, "fix or remove the line named",
			   "%s:%u: %s (%zu warnings)", first->path, first->line, first->msg,
			   diag_list_count(&c->diags));
	else if (c->source == CONFIG_SOURCE_DEFAULTS)
		doctor_row(d, "config.env", DOCTOR_WARN,
			   "write /etc/tailpod/config.env with TAILPOD_GIT_URL (README)",
			   "%s does not exist: built-in defaults, no repository", c->source_path);
	else
		doctor_row(d, "config.env", DOCTOR_PASS, NULL, "%s loads, %s", c->source_path,
			   c->git_url ? "repository set" : "no TAILPOD_GIT_URL");
	if (c->source == CONFIG_SOURCE_QUADSYNC)
		doctor_row(d, "quadsync", DOCTOR_WARN,
			   "move the settings to /etc/tailpod/config.env (README \"Migrating\")",
			   "settings migrated from %s at every run", c->source_path);
	else
		doctor_row(d, "quadsync", DOCTOR_PASS, NULL, "no quadsync migration in use");
	/* A migration aid: plaintext in git is readable by everyone who can read the repository. */
	if (c->allow_plaintext_secrets)
		doctor_row(d, "plaintext-secrets", DOCTOR_WARN,
			   "encrypt the values (tailpod secret rekey FILE...), then remove "
			   "TAILPOD_ALLOW_PLAINTEXT_SECRETS",
			   "TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes: [Secrets] values may be plaintext "
			   "in git");
	else
		doctor_row(d, "plaintext-secrets", DOCTOR_PASS, NULL,
			   "[Secrets] values must be age-encrypted");
}

static void check_transforms(struct doctor *d)
{
	const char *dir = d->config->transform_dir;
	char why[160];
	struct stat st;
	int r = doctor_lstat(dir, &st);

	if (r == -ENOENT)
		doctor_row(d, "transforms", DOCTOR_PASS, NULL, "%s: none (optional)", dir);
	else if (r < 0)
		doctor_row(d, "transforms", DOCTOR_FAIL, "make it readable by root", "%s: %s", dir,
			   strerror(-r));
	else if (*doctor_owned_mode(&st, true, 0, 022, why, sizeof(why)))
		doctor_row(d, "transforms", DOCTOR_FAIL,
			   "chown root and chmod go-w: transforms steer what root deploys", "%s %s",
			   dir, why);
	else
		doctor_row(d, "transforms", DOCTOR_PASS, NULL, "%s: root-owned directory", dir);
}

/* Members of the mint group that the policy refuses: no [User NAME] and DefaultGrant=no. */
static void check_mint_users(struct doctor *d, const struct mint_policy *p)
{
	const struct users_group *g = NULL;
	char section[USER_NAME_MAX + 8], names[DOCTOR_DETAIL_MAX] = "";
	size_t n = 0;

	if (p->default_grant || !d->etc ||
	    users_db_find_group(d->etc, d->config->mint_group, &g) < 0)
		return;
	for (size_t i = 0; i < g->n_members; i++) {
		snprintf(section, sizeof(section), "User %s", g->members[i]);
		if (ini_section_find(p->ini, section) || n++ >= 4)
			continue;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? ", " : "", g->members[i]);
	}
	if (n)
		doctor_row(d, "mint-key-users", DOCTOR_WARN,
			   "add a [User NAME] section for each, or DefaultGrant=yes",
			   "%zu member(s) of %s without [User NAME] are refused: %s", n,
			   d->config->mint_group, names);
	else
		doctor_row(d, "mint-key-users", DOCTOR_PASS, NULL,
			   "every member of %s has a [User NAME] section", d->config->mint_group);
}

static void check_policy(struct doctor *d)
{
	struct mint_policy p;
	struct stat st;
	int r;

	if (doctor_lstat(MINT_POLICY_DEFAULT, &st) == -ENOENT) {
		doctor_row(d, "mint-key.conf", DOCTOR_SKIP, NULL,
			   "%s does not exist: mint-key unused", MINT_POLICY_DEFAULT);
		return;
	}
	r = mint_policy_load(MINT_POLICY_DEFAULT, &p);
	if (r < 0) {
		doctor_row(
			d, "mint-key.conf", DOCTOR_FAIL,
			"fix the policy (the line is logged above); mint-key refuses every caller",
			"%s: %s", MINT_POLICY_DEFAULT, strerror(-r));
		return;
	}
	if (p.group && strcmp(p.group, d->config->mint_group) != 0)
		doctor_row(d, "mint-key.conf", DOCTOR_WARN,
			   "make Group= and TAILPOD_MINT_GROUP name the same group",
			   "Group=%s but sync manages %s", p.group, d->config->mint_group);
	else
		doctor_row(d, "mint-key.conf", DOCTOR_PASS, NULL, "%s loads, %zu tag(s)",
			   MINT_POLICY_DEFAULT, p.n_tags);
	check_mint_users(d, &p);
	mint_policy_release(&p);
}

void doctor_config(struct doctor *d)
{
	check_settings(d);
	check_transforms(d);
	check_policy(d);
}
