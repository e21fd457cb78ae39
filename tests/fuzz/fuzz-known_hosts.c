/* fuzz-known_hosts.c: libFuzzer harness for the known_hosts parser: the input is the file, looked
 * up for a plain name, for a [host]:port and for a 255-byte name (the glob's worst case), with an
 * ed25519 and an RSA-shaped key blob; notes go to the collector sync uses. */
#include "known_hosts.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "ssh-ed25519" + 32 bytes, and "ssh-rsa" with a short e and n: shapes, not real keys. */
static const unsigned char ed[] = {0,	0,   0,	 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5',
				   '1', '9', 0,	 0,  0,	  32,  1,   2,	 3,   4,   5,	6,   7,
				   8,	9,   10, 11, 12,  13,  14,  15,	 16,  17,  18,	19,  20,
				   21,	22,  23, 24, 25,  26,  27,  28,	 29,  30,  31,	32};
static const unsigned char rsa[] = {0, 0, 0, 7, 's', 's', 'h', '-', 'r', 's',  'a',
				    0, 0, 0, 1, 3,   0,	  0,   0,   2,	 0x00, 0xc5};

static void note(void *userdata, unsigned line, const char *what)
{
	(void)userdata;
	(void)line;
	(void)what;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct known_hosts_notes notes = {0};
	char longest[KNOWN_HOSTS_HOST_MAX + 1];

	memset(longest, 'a', KNOWN_HOSTS_HOST_MAX);
	longest[KNOWN_HOSTS_HOST_MAX] = '\0';
	known_hosts_lookup(text, size, "github.com", 22, ed, sizeof(ed), note, NULL);
	known_hosts_lookup(text, size, "127.0.0.1", 2222, rsa, sizeof(rsa), known_hosts_notes_add,
			   &notes);
	known_hosts_lookup(text, size, longest, 22, ed, sizeof(ed), known_hosts_notes_add, &notes);
	return 0;
}
