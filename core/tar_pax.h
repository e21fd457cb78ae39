/* tar_pax.h: the tar reader's parsers (tar_pax.c) — header numbers and pax records. */
#ifndef TAILPOD_TAR_PAX_H
#define TAILPOD_TAR_PAX_H

#include "tar_internal.h"

#include <stdbool.h>
#include <stdint.h>

/* The overrides one 'x' header carries for the member after it. */
struct tar_pax {
	char *path, *link;
	bool has_size, has_uid, has_gid, has_mtime;
	uint64_t size, uid, gid;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	struct tar_xattr *xattrs;
	size_t n_xattrs;
};

/* A numeric header field f[0..width): octal (leading spaces, NUL/space after) or base-256
 * (0x80 first byte; 0xff negative, only when allow_negative) → *out ≥ 0 unless negative. */
int tar_field_number(const unsigned char *f, size_t width, bool allow_negative, int64_t *out);

/* The records of one pax header data[0..len) into p: -EINVAL malformed, -EPERM beyond lim
 * (sparse files refused), with a short reason in *why. */
int tar_pax_parse(struct tar_pax *p, const char *data, size_t len, const struct tar_limits *lim,
		  const char **why);

/* Frees what p holds and zeroes it. */
void tar_pax_release(struct tar_pax *p);

#endif
