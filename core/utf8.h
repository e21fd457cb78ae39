/* utf8.h: UTF-8 well-formedness, the one check the unit-file and environment-file parsers share. */
#ifndef TAILPOD_UTF8_H
#define TAILPOD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes at s are well-formed UTF-8 (Unicode, Table 3-7): no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing past U+10FFFF and no sequence cut short by the end. A NUL
 * byte is U+0000 and passes; n == 0 is valid. */
bool utf8_is_valid(const char *s, size_t n);

#endif
