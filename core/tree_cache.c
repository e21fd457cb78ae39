/* tree_cache.c: STATE/tree.cache, the files of the last commit read (module boundary: core; uses
 * fs, fileset, hash). See tree_cache.h.
 *
 * The file: a header of text lines, then the body, each file as "PATH\0SIZE\nDATA":
 *   tailpod tree cache 1 rules R limits FILES TOTAL FILE PATH DEPTH ENTRIES
 *   commit 40-HEX
 *   files N
 *   bytes BODY-BYTES
 *   sha256 64-HEX (of the body)
 */
#include "tree_cache.h"
#include "core.h"
#include "fs.h"
#include "hash.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	HEADER_MAX = 512,    /* bytes of the header, all its lines */
	SIZE_DIGITS_MAX = 8, /* of a file's size: FILESET_FILE_MAX has 7 */
	CACHE_MODE = 0600,
};

/* The first line, which names the format, the rules and the bounds the files were read under. */
static int format_line(char *buf, size_t size)
{
	return snprintf(buf, size, "tailpod tree cache 1 rules %d limits %d %d %d %d %d %d\n",
			TREE_CACHE_RULES, FILESET_FILES_MAX, FILESET_TOTAL_MAX, FILESET_FILE_MAX,
			FILESET_PATH_MAX, FILESET_DEPTH_MAX, FILESET_ENTRIES_MAX);
}

static bool hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The decimal number at *p, up to its terminator end (which is passed), at most max. */
static bool take_number(const char **p, const char *limit, char end, size_t max, size_t *ret)
{
	size_t v = 0, digits = 0;
	const char *s = *p;

	while (s < limit && *s >= '0' && *s <= '9' && digits < SIZE_DIGITS_MAX + 4) {
		v = v * 10 + (size_t)(*s++ - '0');
		digits++;
	}
	if (digits == 0 || (digits > 1 && **p == '0') || s == limit || *s != end || v > max)
		return false;
	*p = s + 1;
	*ret = v;
	return true;
}

/* "WORD VALUE\n" at *p, VALUE n lowercase hex digits, copied into out (n + 1 bytes). */
static bool take_hex_line(const char **p, const char *limit, const char *word, size_t n, char *out)
{
	size_t w = strlen(word);
	const char *s = *p;

	if ((size_t)(limit - s) < w + 1 + n + 1 || memcmp(s, word, w) != 0 || s[w] != ' ' ||
	    !hex_lower(s + w + 1, n) || s[w + 1 + n] != '\n')
		return false;
	memcpy(out, s + w + 1, n);
	out[n] = '\0';
	*p = s + w + 1 + n + 1;
	return true;
}

/* "WORD NUMBER\n" at *p, the number at most max. */
static bool take_number_line(const char **p, const char *limit, const char *word, size_t max,
			     size_t *ret)
{
	size_t w = strlen(word);
	const char *s = *p;

	if ((size_t)(limit - s) < w + 2 || memcmp(s, word, w) != 0 || s[w] != ' ')
		return false;
	s += w + 1;
	if (!take_number(&s, limit, '\n', max, ret))
		return false;
	*p = s;
	return true;
}

struct header {
	char commit[GITREPO_OID_HEX_SIZE];
	size_t files, bytes;
	char sha256[HASH_SHA256_HEX_SIZE];
};

/* The header at the start of buf (len bytes): true with h filled and *ret_body at the body. */
static bool parse_header(const char *buf, size_t len, struct header *h, const char **ret_body)
{
	char first[HEADER_MAX];
	const char *p = buf, *limit = buf + (len < HEADER_MAX ? len : HEADER_MAX);
	int n = format_line(first, sizeof(first));

	if (n < 0 || (size_t)n >= sizeof(first) || (size_t)(limit - p) < (size_t)n ||
	    memcmp(p, first, (size_t)n) != 0)
		return false;
	p += n;
	if (!take_hex_line(&p, limit, "commit", GITREPO_OID_HEX_SIZE - 1, h->commit) ||
	    !take_number_line(&p, limit, "files", FILESET_FILES_MAX, &h->files) ||
	    !take_number_line(&p, limit, "bytes", SIZE_MAX, &h->bytes) ||
	    !take_hex_line(&p, limit, "sha256", HASH_SHA256_HEX_SIZE - 1, h->sha256))
		return false;
	*ret_body = p;
	return true;
}

/* Each "PATH\0SIZE\nDATA" of the body into set, exactly n of them filling it. */
static int parse_body(const char *body, size_t len, size_t n, struct fileset *set)
{
	const char *p = body, *end = body + len;

	for (size_t i = 0; i < n; i++) {
		size_t room = (size_t)(end - p), size;
		size_t scan = room < FILESET_PATH_MAX + 1 ? room : FILESET_PATH_MAX + 1;
		const char *path = p, *nul = memchr(p, '\0', scan);
		int r;

		if (!nul)
			return -EBADMSG;
		p = nul + 1;
		if (!take_number(&p, end, '\n', FILESET_FILE_MAX, &size) ||
		    size > (size_t)(end - p))
			return -EBADMSG;
		r = fileset_add(set, path, p, size);
		if (r < 0)
			return r == -ENOMEM ? r : -EBADMSG;
		p += size;
	}
	return p == end ? 0 : -EBADMSG;
}

int tree_cache_parse(const char *buf, size_t len, char commit[GITREPO_OID_HEX_SIZE],
		     struct fileset **ret)
{
	struct hash_sha256 h;
	char sha256[HASH_SHA256_HEX_SIZE];
	struct header hd;
	struct fileset *set = NULL;
	const char *body;
	int r;

	if (!parse_header(buf, len, &hd, &body) || hd.bytes != len - (size_t)(body - buf))
		return -EBADMSG;
	hash_sha256_init(&h);
	hash_sha256_update(&h, body, hd.bytes);
	hash_sha256_final_hex(&h, sha256);
	if (strcmp(sha256, hd.sha256) != 0)
		return -EBADMSG;
	r = fileset_new(&set);
	if (r >= 0)
		r = parse_body(body, hd.bytes, hd.files, set);
	if (r >= 0)
		r = fileset_sort(set);
	if (r < 0) {
		fileset_free(set);
		return r;
	}
	memcpy(commit, hd.commit, GITREPO_OID_HEX_SIZE);
	*ret = set;
	return 0;
}

int tree_cache_load(int state_fd, char commit[GITREPO_OID_HEX_SIZE], struct fileset **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = fs_read_bounded(state_fd, TREE_CACHE_FILE, TREE_CACHE_MAX, &buf, &len);

	if (r < 0)
		return r == -EFBIG ? -EBADMSG : r;
	return tree_cache_parse(buf, len, commit, ret);
}

/* The body's bytes: -EFBIG past what a load would read. */
static int body_size(const struct fileset *repo, size_t *ret)
{
	char digits[SIZE_DIGITS_MAX + 2];
	size_t n = 0;

	for (size_t i = 0; i < repo->n_files; i++) {
		const struct fileset_file *f = &repo->files[i];
		int d = snprintf(digits, sizeof(digits), "%zu", f->size);

		n += strlen(f->path) + 1 + (size_t)d + 1 + f->size;
		if (n > TREE_CACHE_MAX - HEADER_MAX)
			return -EFBIG;
	}
	*ret = n;
	return 0;
}

static void write_body(const struct fileset *repo, char *out)
{
	for (size_t i = 0; i < repo->n_files; i++) {
		const struct fileset_file *f = &repo->files[i];
		size_t n = strlen(f->path) + 1;

		memcpy(out, f->path, n);
		out += n;
		out += sprintf(out, "%zu\n", f->size);
		memcpy(out, f->data, f->size);
		out += f->size;
	}
}

int tree_cache_save(int state_fd, const char *commit, const struct fileset *repo)
{
	struct hash_sha256 h;
	char header[HEADER_MAX], sha256[HASH_SHA256_HEX_SIZE];
	_cleanup_free_ char *buf = NULL;
	size_t body = 0;
	int n, m, r;

	if (strlen(commit) != GITREPO_OID_HEX_SIZE - 1 ||
	    !hex_lower(commit, GITREPO_OID_HEX_SIZE - 1) || !repo->sorted)
		return -EINVAL;
	r = body_size(repo, &body);
	if (r < 0)
		return r;
	buf = malloc(HEADER_MAX + body + 1);
	if (!buf)
		return -ENOMEM;
	write_body(repo, buf + HEADER_MAX);
	hash_sha256_init(&h);
	hash_sha256_update(&h, buf + HEADER_MAX, body);
	hash_sha256_final_hex(&h, sha256);
	n = format_line(header, sizeof(header));
	m = n < 0 ? -1
		  : snprintf(header + n, sizeof(header) - (size_t)n,
			     "commit %s\nfiles %zu\nbytes %zu\nsha256 %s\n", commit, repo->n_files,
			     body, sha256);
	if (m < 0 || (size_t)(n + m) >= sizeof(header))
		return -ENAMETOOLONG;
	/* The header goes right before the body, in the room left for it. */
	memcpy(buf + HEADER_MAX - (n + m), header, (size_t)(n + m));
	return fs_write_atomic(state_fd, TREE_CACHE_FILE, buf + HEADER_MAX - (n + m),
			       (size_t)(n + m) + body, CACHE_MODE);
}
