/* check_json.h: check's result as one JSON document on stdout (check_json.c). */
#ifndef TAILPOD_CHECK_JSON_H
#define TAILPOD_CHECK_JSON_H

#include "diag.h"
#include "spec.h"

/* The diagnostics and either every workload of set (none when set is NULL) or render alone, with
 * its files' contents. -errno when the document cannot be built (logged). */
int check_print_json(const struct spec_set *set, const struct spec_workload *render,
		     const struct diag_list *diags);

#endif
