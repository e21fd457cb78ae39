/* fuzz-kube_yaml.c: libFuzzer harness for the structural YAML check of .kube files: both roles
 * return 0 or 1 in one pass, a problem names a line of the input and a NUL-terminated message. */
#include "kube_yaml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';
	for (int role = KUBE_YAML_PLAY; role <= KUBE_YAML_CONFIGMAP; role++) {
		struct kube_yaml_problem p;
		int r;

		memset(&p, 0xff, sizeof(p));
		r = kube_yaml_check(text, size, (enum kube_yaml_role)role, &p);
		if (r != 0 && r != 1)
			abort();
		if (r == 1 && (p.line == 0 || p.line > lines || !memchr(p.msg, 0, sizeof(p.msg))))
			abort();
	}
	return 0;
}
