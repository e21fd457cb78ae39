/* tar_internal.h: what the pax writer (tar.c) and the strict reader (tar_read.c, tar_pax.c)
 * share — the ustar header layout and the one rule for a member's path. */
#ifndef TAILPOD_TAR_INTERNAL_H
#define TAILPOD_TAR_INTERNAL_H

#include "tar.h"

#include <stdbool.h>
#include <stddef.h>

/* Offsets and widths of the ustar header fields (POSIX.1-2001 pax, "ustar Interchange Format"). */
enum {
	UST_NAME = 0,
	UST_NAME_LEN = 100,
	UST_MODE = 100,
	UST_UID = 108,
	UST_GID = 116,
	UST_ID_LEN = 8,
	UST_SIZE = 124,
	UST_MTIME = 136,
	UST_NUM12_LEN = 12,
	UST_CHKSUM = 148,
	UST_CHKSUM_LEN = 8,
	UST_TYPE = 156,
	UST_LINK = 157,
	UST_MAGIC = 257,
	UST_VERSION = 263,
	UST_UNAME = 265,
	UST_PREFIX = 345,
	UST_PREFIX_LEN = 155,
};

#define UST_MAGIC_POSIX                                                                            \
	"ustar\0"                                                                                  \
	"00"			  /* magic and version of a POSIX ustar/pax header */
#define UST_MAGIC_GNU "ustar  \0" /* GNU tar's (old GNU format) */

/* The unsigned byte sum of a header with its checksum field counted as spaces. */
unsigned tar_header_checksum(const unsigned char block[TAR_BLOCK]);

/* path is a member path tailpod writes and accepts: non-empty, relative, no "." or ".."
 * component, no empty component, no trailing "/" ("." alone names the archive's root). A reason
 * on failure, NULL when it is fine. */
const char *tar_path_refusal(const char *path, size_t len);

#endif
