/* sha256_hw.h: SHA-256's compression function on the CPU's SHA instructions (x86 SHA-NI,
 * ARMv8 SHA2), for core/hash; absent elsewhere. */
#ifndef TAILPOD_SHA256_HW_H
#define TAILPOD_SHA256_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether this CPU has the instructions (asked once at run time: the binary runs on any). */
bool sha256_hw_available(void);

/* Run n 64-byte blocks through the compression function; state is H0..H7 as numbers. Only
 * after sha256_hw_available() said true. */
void sha256_hw_blocks(uint32_t state[8], const unsigned char *blocks, size_t n);

#endif
