/* fuzz-sshkey.c: libFuzzer harness for the SSH private-key parser. The first byte picks the
 * input's form: odd means the rest is the openssh-key-v1 binary, armoured here so the fuzzer
 * works on the structure rather than on base64; even means raw file text (PEM through mbedTLS,
 * armour parsing). A key that parses is used to sign, as tailpod would. */
#include "sshkey.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t armour(const uint8_t *bin, size_t len, char *out, size_t cap)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
	static const char end[] = "\n-----END OPENSSH PRIVATE KEY-----\n";
	size_t n = 0;

	if (cap < sizeof(begin) + sizeof(end))
		return 0;
	memcpy(out, begin, sizeof(begin) - 1);
	if (mbedtls_base64_encode((unsigned char *)out + sizeof(begin) - 1,
				  cap - sizeof(begin) - sizeof(end), &n, bin, len) != 0)
		return 0;
	memcpy(out + sizeof(begin) - 1 + n, end, sizeof(end) - 1);
	return sizeof(begin) - 1 + n + sizeof(end) - 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[SSHKEY_FILE_MAX + 1];
	struct sshkey *k = NULL;
	unsigned char *sig = NULL;
	size_t len, sig_len;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		len = armour(data + 1, size - 1, text, sizeof(text));
		if (len == 0)
			return 0;
	} else {
		len = size - 1 > SSHKEY_FILE_MAX ? SSHKEY_FILE_MAX : size - 1;
		memcpy(text, data + 1, len);
	}
	if (sshkey_parse(text, len, &k) < 0)
		return 0;
	if (sshkey_get_type(k) == SSHKEY_RSA) {
		if (sshkey_sign(k, "rsa-sha2-256", data, size, &sig, &sig_len) == 0)
			free(sig);
	} else if (sshkey_sign(k, sshkey_type_name(k), data, size, &sig, &sig_len) == 0) {
		free(sig);
	}
	sshkey_free(k);
	return 0;
}
