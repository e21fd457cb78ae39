/* check_secrets.c: what `tailpod check` says of [Secrets] (issue 17): the secret names in
 * --json (never a value), a warning for each plaintext value the host allows, and once that the
 * encrypted ones were read for their form only. */
#include "check_secrets.h"

#include "log.h"

void check_json_secrets(struct json_writer *w, const struct spec_workload *wl)
{
	if (!wl->n_secrets)
		return;
	json_write_key(w, "secrets");
	json_begin_array(w);
	for (size_t i = 0; i < wl->n_secrets; i++)
		json_write_string(w, wl->secrets[i].name);
	json_end_array(w);
}

/* Plaintext values the host allows, each; and, once, that check reads the encrypted ones for
 * their form only: decrypting needs the host identity, which only sync reads. */
void check_log_secrets(const struct spec_set *set)
{
	size_t n_encrypted = 0;

	for (size_t i = 0; set && i < set->n_workloads; i++)
		for (size_t j = 0; j < set->workloads[i].n_secrets; j++) {
			const struct spec_secret *x = &set->workloads[i].secrets[j];

			n_encrypted += !x->plaintext;
			if (x->plaintext)
				log_warning("%s:%u: secret %s is not encrypted "
					    "(TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes lets it pass)",
					    x->source, x->line, x->name);
		}
	if (n_encrypted)
		log_info("%zu encrypted secret value%s checked for form only (base64, age header): "
			 "check does not decrypt, sync does with the host identity",
			 n_encrypted, n_encrypted == 1 ? "" : "s");
}
