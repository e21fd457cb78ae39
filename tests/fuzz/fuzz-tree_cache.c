/* fuzz-tree_cache.c: libFuzzer harness for STATE/tree.cache's parser. A random header is refused
 * at its first line, so the input is the body and its first byte the file count: the harness
 * writes the header the file would have (this build's rules and bounds, the count, the size, the
 * SHA-256 of the body), so every input reaches the body's parse. A file set that comes back holds
 * exactly that many files, each within the bounds and NUL-terminated, sorted. */
#include "fileset.h"
#include "hash.h"
#include "tree_cache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char head[512], hex[HASH_SHA256_HEX_SIZE], commit[GITREPO_OID_HEX_SIZE], *buf;
	struct fileset *set = NULL;
	struct hash_sha256 h;
	size_t n_files, total = 0;
	int n;

	if (size < 1 || size > 1024 * 1024)
		return 0;
	n_files = data[0] % 16;
	hash_sha256_init(&h);
	hash_sha256_update(&h, data + 1, size - 1);
	hash_sha256_final_hex(&h, hex);
	n = snprintf(head, sizeof(head),
		     "tailpod tree cache 1 rules %d limits %d %d %d %d %d %d\n"
		     "commit 0123456789abcdef0123456789abcdef01234567\n"
		     "files %zu\nbytes %zu\nsha256 %s\n",
		     TREE_CACHE_RULES, FILESET_FILES_MAX, FILESET_TOTAL_MAX, FILESET_FILE_MAX,
		     FILESET_PATH_MAX, FILESET_DEPTH_MAX, FILESET_ENTRIES_MAX, n_files, size - 1,
		     hex);
	buf = malloc((size_t)n + size - 1);
	if (!buf)
		return 0;
	memcpy(buf, head, (size_t)n);
	memcpy(buf + n, data + 1, size - 1);
	if (tree_cache_parse(buf, (size_t)n + size - 1, commit, &set) == 0) {
		if (set->n_files != n_files || !set->sorted ||
		    strcmp(commit, "0123456789abcdef0123456789abcdef01234567") != 0)
			abort();
		for (size_t i = 0; i < set->n_files; i++) {
			const struct fileset_file *f = &set->files[i];

			if (f->size > FILESET_FILE_MAX || f->data[f->size] != '\0' ||
			    strlen(f->path) > FILESET_PATH_MAX)
				abort();
			total += f->size;
		}
		if (total > size)
			abort();
		fileset_free(set);
	}
	free(buf);
	return 0;
}
