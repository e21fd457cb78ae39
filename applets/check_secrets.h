/* check_secrets.h: check's output about [Secrets] (check_secrets.c). */
#ifndef TAILPOD_CHECK_SECRETS_H
#define TAILPOD_CHECK_SECRETS_H

#include "json.h"
#include "spec.h"

/* "secrets": [names] of a workload that has any. */
void check_json_secrets(struct json_writer *w, const struct spec_workload *wl);
/* Each plaintext value (a warning) and how many encrypted ones were read for form only. */
void check_log_secrets(const struct spec_set *set);

#endif
