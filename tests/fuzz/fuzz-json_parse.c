/* fuzz-json_parse.c: libFuzzer harness for the JSON reader of HTTP API answers: validation, and
 * the decoding of the members mint-key reads from Tailscale's answers. A document that validates
 * as an object must also be readable by json_parse_strings unless a wanted member is bad. */
#include "json_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct json_parse_error err = {0};
	struct json_parse_field fields[] = {
		{.key = "access_token"}, {.key = "key"}, {.key = "id"}, {.key = ""},
		{.key = "a\xc3\xa9"},
	};
	size_t n = sizeof(fields) / sizeof(fields[0]);

	(void)json_parse_validate(buf, size, &err);
	if (json_parse_strings(buf, size, fields, n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			if (fields[i].value && strlen(fields[i].value) != fields[i].value_len)
				abort(); /* U+0000 inside a decoded value must be refused */
		json_parse_fields_release(fields, n);
	} else {
		for (size_t i = 0; i < n; i++)
			if (fields[i].value)
				abort(); /* on failure no field is set */
	}
	return 0;
}
