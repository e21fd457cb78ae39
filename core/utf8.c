/* utf8.c: UTF-8 validation for the parsers of untrusted text (module boundary: core, libc only).
 * Each sequence is decoded from its lead byte; the check fails on a stray continuation byte, the
 * lead bytes 0xc0, 0xc1 and 0xf5..0xff, a sequence with too few continuation bytes or cut off by
 * the end, an overlong form, a surrogate, or a code point past U+10FFFF. Nothing is allocated. */

#include <stdint.h>
#include <string.h>

#include "utf8.h"

#define BYTES_HIGH UINT64_C(0x8080808080808080)

/* No byte of s[0..n) has bit 7 set. Unit files are almost all ASCII and most strings checked are
 * a key or a value a few words long, so the whole string is tested before anything is decoded:
 * a word at a time, the last word read where it ends (overlapping the one before), and a short
 * string a byte at a time. */
static bool all_ascii(const char *s, size_t n)
{
	uint64_t word, bits = 0;

	if (n < sizeof(word)) {
		for (size_t i = 0; i < n; i++)
			bits |= (unsigned char)s[i];
		return !(bits & 0x80);
	}
	for (size_t i = 0; n - i > sizeof(word); i += sizeof(word)) {
		memcpy(&word, s + i, sizeof(word));
		bits |= word;
	}
	memcpy(&word, s + n - sizeof(word), sizeof(word));
	return !((bits | word) & BYTES_HIGH);
}

bool utf8_is_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (all_ascii(s, n))
		return true;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t len;
		uint64_t word;

		/* Eight ASCII bytes at a time: unit files are almost all ASCII, and this runs on
		 * every line parsed and every entry the transform merge writes (issue 16). */
		if (n - i >= sizeof(word)) {
			memcpy(&word, s + i, sizeof(word));
			if (!(word & BYTES_HIGH)) {
				i += sizeof(word);
				continue;
			}
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return false;
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | ((unsigned char)s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (len == 4 && cp < 0x10000))
			return false;
		i += len;
	}
	return true;
}
