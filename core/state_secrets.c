/* state_secrets.c: the [Secrets] section of a deployment record (issue 17) — the names of the
 * Podman secrets sync created for the workload, so that it can remove the ones no longer wanted.
 * Names only: a value, or a hash of one, is never written here.
 *
 *   [Secrets]
 *   Podman=web-db-pass
 *   Files=<64 hex: the deployed files' hash, without the values' MAC that Hash= mixes in>
 */
#include "state.h"
#include "core.h"
#include "ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC_SECRETS "Secrets"
#define KEY_PODMAN  "Podman"
#define KEY_FILES   "Files"

/* What Podman accepts as a secret name, and what spec_secret_podman_name makes. */
bool state_secret_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > SPEC_SECRET_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int state_record_secrets_parse(const struct ini *ini, struct state_record *rec)
{
	const char **v = NULL, *files = ini_get(ini, SEC_SECRETS, KEY_FILES);
	size_t n = 0;
	int r = ini_get_all(ini, SEC_SECRETS, KEY_PODMAN, 0, &v, &n);

	if (files && !state_hash_valid(files))
		r = -EBADMSG;
	else if (files)
		snprintf(rec->files_hash, sizeof(rec->files_hash), "%s", files);
	if (r < 0 || n == 0) {
		free(v);
		return r;
	}
	if (n > SPEC_SECRETS_MAX) {
		free(v);
		return -EBADMSG;
	}
	rec->secrets = calloc(n, sizeof(*rec->secrets));
	for (size_t i = 0; rec->secrets && i < n; i++) {
		if (!state_secret_name_valid(v[i])) {
			free(v);
			return -EBADMSG;
		}
		rec->secrets[i] = strdup(v[i]);
		if (!rec->secrets[i])
			break;
		rec->n_secrets = i + 1;
	}
	free(v);
	return rec->n_secrets == n ? 0 : -ENOMEM;
}

int state_record_secrets_check(const struct state_record *rec)
{
	if (rec->n_secrets > SPEC_SECRETS_MAX)
		return -E2BIG;
	if (rec->files_hash[0] && !state_hash_valid(rec->files_hash))
		return -EINVAL;
	for (size_t i = 0; i < rec->n_secrets; i++)
		if (!state_secret_name_valid(rec->secrets[i]))
			return -EINVAL;
	return 0;
}

int state_record_secrets_build(const struct state_record *rec, struct ini *ini)
{
	struct ini_section *s = ini->n_sections ? &ini->sections[ini->n_sections - 1] : NULL;
	bool any = rec->n_secrets || rec->files_hash[0];
	int r = any && s ? ini_blank_insert(ini, s, s->n_lines) : 0;

	for (size_t i = 0; r >= 0 && i < rec->n_secrets; i++)
		r = ini_entry_append(ini, SEC_SECRETS, KEY_PODMAN, rec->secrets[i]);
	if (r >= 0 && rec->files_hash[0])
		r = ini_entry_append(ini, SEC_SECRETS, KEY_FILES, rec->files_hash);
	return r;
}

void state_record_secrets_release(struct state_record *rec)
{
	for (size_t i = 0; i < rec->n_secrets; i++)
		free(rec->secrets[i]);
	free(rec->secrets);
	rec->secrets = NULL;
	rec->n_secrets = 0;
}
