/* suggest.h: "did you mean" hints — the known name closest to a mistyped one, by a case-insensitive
 * optimal string alignment distance. Shared by the quadlet key checks and the config loader so that
 * every typo hint in tailpod follows one rule. */
#ifndef TAILPOD_SUGGEST_H
#define TAILPOD_SUGGEST_H

#include <stddef.h>

enum {
	SUGGEST_WORD_MAX = 64, /* longer words and candidates get no hint (and no allocation) */
};

/* The name of candidate i (0 <= i < n) of some caller-owned list. */
typedef const char *(*suggest_name_fn)(const void *ctx, size_t i);

/*
 * Case-insensitive optimal string alignment distance (Damerau-Levenshtein without repeated edits
 * of one substring) between the first la bytes of a and the first lb bytes of b: insertions,
 * deletions, substitutions and transpositions of adjacent bytes each cost 1. Only ASCII letters
 * fold. Both lengths must be at most SUGGEST_WORD_MAX; (size_t)-1 otherwise.
 */
size_t suggest_distance(const char *a, size_t la, const char *b, size_t lb);

/*
 * The first of the n candidates closest to word, if that distance is at most
 * max(1, strlen(word) / 3), so that a hint is a likely typo and not a guess. A word that only
 * differs in case gets the candidate's spelling. NULL when nothing is close, or word is NULL,
 * empty or longer than SUGGEST_WORD_MAX. The result is the candidate's own pointer.
 */
const char *suggest_closest(const char *word, suggest_name_fn name_at, const void *ctx, size_t n);

#endif
