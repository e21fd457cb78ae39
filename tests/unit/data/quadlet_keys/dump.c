/* dump.c: print every quadlet key table as "Section Key [multi] [deprecated]" lines, for
 * verify-against-podman.sh. Not part of the build: see README beside this file. */
#include "quadlet_keys.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	bool flags = argc > 1 && strcmp(argv[1], "--flags") == 0;

	printf("# podman %s\n", QUADLET_KEYS_PODMAN_VERSION);
	for (size_t i = 0; i < QUADLET_SECTION_COUNT; i++) {
		const struct quadlet_section *s = quadlet_section_at(i);

		for (size_t j = 0; j < s->n_keys; j++) {
			printf("%s %s", s->name, s->keys[j].name);
			if (flags && (s->keys[j].flags & QUADLET_KEY_MULTI))
				printf(" multi");
			if (flags && (s->keys[j].flags & QUADLET_KEY_DEPRECATED))
				printf(" deprecated");
			putchar('\n');
		}
	}
	return ferror(stdout) || fflush(stdout) != 0;
}
