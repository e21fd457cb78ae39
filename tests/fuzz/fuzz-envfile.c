/* fuzz-envfile.c: libFuzzer harness for the EnvironmentFile= parser (config.env): every parse is
 * bounded, every entry is a NUL-terminated key and value, and the free wipes without a report. */
#include "envfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envfile *ef = NULL;
	struct envfile_error err = {0};

	if (envfile_parse("fuzz", (const char *)data, size, &ef, &err) < 0)
		return 0;
	if (ef->n_entries > ENVFILE_ENTRIES_MAX || ef->n_diags > ENVFILE_DIAGS_MAX)
		abort();
	for (size_t i = 0; i < ef->n_entries; i++) {
		/* A key found by its own name gives the value in effect. */
		if (envfile_get(ef, ef->entries[i].key) != ef->entries[i].value)
			abort();
		if (strlen(ef->entries[i].value) > ENVFILE_VALUE_MAX)
			abort();
	}
	(void)envfile_get(ef, "TAILPOD_GIT_URL");
	envfile_free(ef);
	return 0;
}
