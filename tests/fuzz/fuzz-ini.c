/* fuzz-ini.c: libFuzzer harness for the unit-file parser: whatever parses must serialize back to
 * the input byte for byte (the model's promise), and the lookups and edits the transform merge
 * uses must work on it without a sanitizer report. */
#include "ini.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void edit(struct ini *ini)
{
	const char **values = NULL;
	size_t n = 0;

	(void)ini_get(ini, "Container", "Image");
	if (ini_get_all(ini, "Service", "ExecStart", INI_GET_ALL_RESET, &values, &n) == 0)
		free(values);
	(void)ini_set(ini, "Container", "Image", "example.org/fuzz:1");
	(void)ini_entry_append(ini, "Install", "WantedBy", "default.target");
	(void)ini_remove(ini, "Unit", "Description");
	if (ini->n_sections > 0) {
		struct ini_section *s = &ini->sections[0];

		(void)ini_entry_insert(ini, s, ini_section_end(s), "Label", "fuzz=1");
		(void)ini_blank_insert(ini, s, 0);
		if (s->n_lines > 0)
			(void)ini_line_remove(ini, s, s->n_lines - 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ini *ini = NULL;
	struct ini_error err = {0};
	char *text = NULL;
	size_t len = 0;

	if (ini_parse("fuzz", (const char *)data, size, &ini, &err) < 0)
		return 0;
	if (ini_serialize(ini, &text, &len) == 0) {
		/* The round trip is the contract: a difference is a bug, so make it a crash. */
		if (len != size || memcmp(text, data, size) != 0)
			abort();
		free(text);
	}
	edit(ini);
	if (ini_serialize(ini, &text, &len) == 0)
		free(text);
	ini_free(ini);
	return 0;
}
