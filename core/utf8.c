/* utf8.c: UTF-8 validation for the parsers of untrusted text (module boundary: core, libc only).
 * Each sequence is decoded from its lead byte; the check fails on a stray continuation byte, the
 * lead bytes 0xc0, 0xc1 and 0xf5..0xff, a sequence with too few continuation bytes or cut off by
 * the end, an overlong form, a surrogate, or a code point past U+10FFFF. Nothing is allocated. */

#include <stdint.h>
#include <string.h>

#include "utf8.h"

bool utf8_is_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t len;
		uint64_t word;

		/* Eight ASCII bytes at a time: unit files are almost all ASCII, and this runs on
		 * every line parsed and every entry the transform merge writes (issue 16). */
		if (n - i >= sizeof(word)) {
			memcpy(&word, s + i, sizeof(word));
			if (!(word & UINT64_C(0x8080808080808080))) {
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
