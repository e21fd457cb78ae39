/* fuzz-age.c: libFuzzer harness for core/age's parsers: the input is tried as an age file (with the
 * CCTV vectors' identity, so seeds from tests/fixtures/age reach the MAC and the payload), as an
 * identity file and as a recipient. Parsed keys must format back to what was read; a decrypted
 * payload is never larger than the file. */
#define _GNU_SOURCE 1 /* memmem */

#include "age.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cctv_identity[] =
	"AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

static void try_keys(const uint8_t *data, size_t size)
{
	char text[AGE_IDENTITY_TEXT_MAX];
	struct age_recipient r;
	struct age_identity id;

	if (age_recipient_parse((const char *)data, size, &r) == 0) {
		age_recipient_format(&r, text);
		if (strlen(text) != size || memcmp(text, data, size) != 0)
			abort();
	}
	if (age_identity_parse((const char *)data, size, &id) == 0) {
		age_identity_format(&id, text);
		if (memmem(data, size, text, strlen(text)) == NULL)
			abort();
		age_identity_wipe(&id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct age_identity id;
	uint8_t *plain;
	size_t plain_len, count;

	if (age_identity_parse(cctv_identity, strlen(cctv_identity), &id) != 0)
		abort();
	if (age_count_stanzas(data, size, &count) == 0 && count > AGE_RECIPIENTS_MAX)
		abort();
	if (age_decrypt(&id, data, size, &plain, &plain_len) == 0) {
		if (plain_len >= size || plain[plain_len] != '\0')
			abort();
		age_free_secret(plain, plain_len);
	} else if (plain != NULL) {
		abort();
	}
	age_identity_wipe(&id);
	try_keys(data, size);
	return 0;
}
