/* suggest.c: did-you-mean hints by optimal string alignment distance (module boundary: core, libc
 * only). Moved here from quadlet_keys.c so that config and quadlet checks share one rule. */
#include "suggest.h"

#include <string.h>

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Both lengths are at most SUGGEST_WORD_MAX, so three rows on the stack suffice. */
size_t suggest_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t rows[3][SUGGEST_WORD_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > SUGGEST_WORD_MAX || lb > SUGGEST_WORD_MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		unsigned char ca = ascii_lower((unsigned char)a[i - 1]);

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned char cb = ascii_lower((unsigned char)b[j - 1]);
			size_t d = prev[j - 1] + (ca != cb);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == ascii_lower((unsigned char)b[j - 2]) &&
			    ascii_lower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *suggest_closest(const char *word, suggest_name_fn name_at, const void *ctx, size_t n)
{
	const char *best = NULL;
	size_t len, limit, best_d;

	if (!word)
		return NULL;
	len = strnlen(word, SUGGEST_WORD_MAX + 1);
	if (len == 0 || len > SUGGEST_WORD_MAX)
		return NULL;
	limit = len / 3 > 1 ? len / 3 : 1;
	best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		const char *cand = name_at(ctx, i);
		size_t lc = strlen(cand), d;

		/* The length difference is a lower bound of the distance. */
		if (lc > SUGGEST_WORD_MAX || (lc > len ? lc - len : len - lc) >= best_d)
			continue;
		d = suggest_distance(word, len, cand, lc);
		if (d < best_d) {
			best_d = d;
			best = cand;
		}
	}
	return best;
}
