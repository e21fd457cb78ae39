/* ini_scan.c: the byte scans of the unit-file parser, eight bytes at a time (module boundary:
 * core, libc only). Why (issue 16): check parses every spec of a repository, and memchr() calls
 * per physical line (one to count it before the parse, one to find its end, one for a stray
 * '\r') and a pass for NUL bytes cost more than the rest of the parse. Here the file is read
 * once to size the parse and to learn whether it holds a NUL or a '\r' at all, and a line's end
 * is found without a call into libc.
 *
 * A word is loaded with memcpy() (no alignment needed, no read past the n bytes given) and the
 * bytes that match are marked by bit 7 of their byte, exactly: a byte is marked only when it
 * matches, so the marks can be counted and the first one taken as the first match. */
#include <stdint.h>
#include <string.h>

#include "ini_internal.h"

#define BYTES_ONE     UINT64_C(0x0101010101010101)
#define BYTES_LOW7    UINT64_C(0x7f7f7f7f7f7f7f7f)
#define BYTES_HIGH    UINT64_C(0x8080808080808080)
#define BYTES_LOW8_16 UINT64_C(0x00ff00ff00ff00ff)
#define LANES_16      UINT64_C(0x0001000100010001)

enum {
	WORD = sizeof(uint64_t),
	COUNT_WORDS_MAX = 255, /* words a per-byte counter adds up before it would wrap */
};

static uint64_t word_at(const char *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof(w));
	return w;
}

/* Bit 7 of each byte of w that equals c, and no other bit. A byte of x = w ^ c is zero exactly
 * when neither its low seven bits (which carry into bit 7 when added to 0x7f) nor its bit 7 is
 * set; no carry crosses into the next byte. */
static uint64_t bytes_equal(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (BYTES_ONE * c);

	return ~(((x & BYTES_LOW7) + BYTES_LOW7) | x | BYTES_LOW7);
}

/* Bit 7 set in some byte when w holds a zero byte (the usual test: not only in that byte, so it
 * says whether there is one, not where); the caller masks with BYTES_HIGH. */
static uint64_t has_zero(uint64_t w)
{
	return (w - BYTES_ONE) & ~w;
}

/* The sum of the eight byte counters of acc (each at most COUNT_WORDS_MAX). */
static size_t counters_sum(uint64_t acc)
{
	uint64_t pairs = (acc & BYTES_LOW8_16) + ((acc >> 8) & BYTES_LOW8_16);

	return (size_t)((pairs * LANES_16) >> 48);
}

/* The index in its word of the first byte marked in m (non-zero), in memory order. */
static size_t first_marked(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) / 8;
#else
	return (size_t)__builtin_clzll(m) / 8;
#endif
}

/* The counts over COUNT_WORDS_MAX words or fewer: each byte of a counter adds its own matches. */
static void scan_words(const char *s, size_t words, struct ini_scan *scan)
{
	uint64_t newlines = 0, brackets = 0, odd = 0;

	for (size_t i = 0; i < words; i++, s += WORD) {
		uint64_t w = word_at(s);

		newlines += bytes_equal(w, '\n') >> 7;
		brackets += bytes_equal(w, '[') >> 7;
		odd |= has_zero(w) | has_zero(w ^ (BYTES_ONE * '\r'));
	}
	scan->newlines += counters_sum(newlines);
	scan->brackets += counters_sum(brackets);
	scan->nul_or_cr |= (odd & BYTES_HIGH) != 0;
}

void ini_scan_file(const char *buf, size_t n, struct ini_scan *ret)
{
	size_t i = 0;

	*ret = (struct ini_scan){0};
	while (n - i >= WORD) {
		size_t words = (n - i) / WORD;

		if (words > COUNT_WORDS_MAX)
			words = COUNT_WORDS_MAX;
		scan_words(buf + i, words, ret);
		i += words * WORD;
	}
	for (; i < n; i++) {
		ret->newlines += buf[i] == '\n';
		ret->brackets += buf[i] == '[';
		ret->nul_or_cr |= buf[i] == '\0' || buf[i] == '\r';
	}
}

size_t ini_scan_eol(const char *s, size_t n)
{
	size_t i = 0;

	for (; n - i >= WORD; i += WORD) {
		uint64_t m = bytes_equal(word_at(s + i), '\n');

		if (m)
			return i + first_marked(m);
	}
	while (i < n && s[i] != '\n')
		i++;
	return i;
}
