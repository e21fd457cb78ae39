/*
 * tar_pax.c: the reader's parsers for header numbers (octal, or GNU base-256 when the first byte
 * has its high bit set) and pax extended-header records ("LEN KEY=VALUE\n", LEN the record's
 * exact decimal length, no leading zeros). Records are parsed into a struct tar_pax; keys tailpod
 * does not use (atime, ctime, uname, gname, comment, charset, LIBARCHIVE.*, ...) are ignored as
 * POSIX asks, but each record must still be well-formed and the whole header is bounded.
 */
#include "tar_pax.h"

#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define XATTR_PREFIX "SCHILY.xattr."

enum { XATTR_NAME_MAX_LEN = 255 /* XATTR_NAME_MAX of Linux */, NSEC_DIGITS = 9 };

static int parse_base256(const unsigned char *f, size_t width, bool allow_negative, int64_t *out)
{
	bool negative = f[0] == 0xff;
	uint64_t v = negative ? UINT64_MAX : 0;

	if (f[0] != 0x80 && !(negative && allow_negative))
		return -EINVAL;
	for (size_t i = 1; i < width; i++) {
		if ((v >> 55) != (negative ? 0x1ff : 0))
			return -EINVAL; /* would not fit in 63 bits */
		v = v << 8 | f[i];
	}
	if (negative ? (int64_t)v >= 0 : v > INT64_MAX)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int tar_field_number(const unsigned char *f, size_t width, bool allow_negative, int64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;

	if (f[0] & 0x80)
		return parse_base256(f, width, allow_negative, out);
	while (i < width && f[i] == ' ')
		i++;
	if (i == width || f[i] < '0' || f[i] > '7')
		return -EINVAL;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (uint64_t)INT64_MAX >> 3)
			return -EINVAL;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

/* Decimal digits text[0..len), no sign, no leading "+", within INT64_MAX. */
static int parse_decimal(const char *text, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9' || v > ((uint64_t)INT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	*out = v;
	return 0;
}

/* "[-]SEC[.FRACTION]": fraction digits beyond nanoseconds are dropped (truncated toward zero
 * before the sign is applied, so -1.5 is sec -2, nsec 500000000). */
static int parse_pax_time(const char *text, size_t len, int64_t *sec, uint32_t *nsec)
{
	bool negative = len > 0 && text[0] == '-';
	const char *dot = memchr(text, '.', len);
	size_t int_len = dot != NULL ? (size_t)(dot - text) : len;
	uint64_t whole, frac = 0;
	size_t digits = 0;

	if (parse_decimal(text + negative, int_len - negative, &whole) < 0)
		return -EINVAL;
	if (dot != NULL) {
		if (dot + 1 == text + len)
			return -EINVAL;
		for (const char *p = dot + 1; p < text + len; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			if (digits < NSEC_DIGITS) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				digits++;
			}
		}
	}
	for (; digits < NSEC_DIGITS; digits++)
		frac *= 10;
	*sec = negative ? -(int64_t)whole : (int64_t)whole;
	*nsec = (uint32_t)frac;
	if (negative && frac > 0) {
		*sec -= 1;
		*nsec = (uint32_t)(1000000000 - frac);
	}
	return 0;
}

static int dup_text(const char *value, size_t len, char **out)
{
	char *copy;

	if (memchr(value, '\0', len) != NULL)
		return -EINVAL;
	copy = strndup(value, len);
	if (copy == NULL)
		return -ENOMEM;
	free(*out);
	*out = copy;
	return 0;
}

static int pax_xattr(struct tar_pax *p, const char *name, size_t name_len, const char *value,
		     size_t len, const struct tar_limits *lim, const char **why)
{
	struct tar_xattr *x;

	if (name_len == 0 || name_len > XATTR_NAME_MAX_LEN || memchr(name, '\0', name_len)) {
		*why = "bad xattr name";
		return -EINVAL;
	}
	if (p->n_xattrs >= lim->xattrs_max || len > lim->xattr_value_max) {
		*why = p->n_xattrs >= lim->xattrs_max ? "too many xattrs" : "xattr value too long";
		return -EPERM;
	}
	for (size_t i = 0; i < p->n_xattrs; i++)
		if (strlen(p->xattrs[i].name) == name_len &&
		    memcmp(p->xattrs[i].name, name, name_len) == 0) {
			*why = "duplicate xattr";
			return -EINVAL;
		}
	x = realloc(p->xattrs, (p->n_xattrs + 1) * sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	p->xattrs = x;
	x = &x[p->n_xattrs];
	x->name = strndup(name, name_len);
	x->value = malloc(len ? len : 1);
	x->len = len;
	if (x->name == NULL || x->value == NULL) {
		free(x->name);
		free(x->value);
		return -ENOMEM;
	}
	memcpy(x->value, value, len);
	p->n_xattrs++;
	return 0;
}

static int pax_number(const char *value, size_t len, bool *has, uint64_t *out)
{
	*has = len > 0;
	return len > 0 ? parse_decimal(value, len, out) : 0;
}

/* One KEY=VALUE (an empty value removes the key's override, as POSIX says). */
static int pax_keyword(struct tar_pax *p, const char *key, size_t key_len, const char *value,
		       size_t len, const struct tar_limits *lim, const char **why)
{
	int rc = 0;

#define KEY_IS(k) (key_len == strlen(k) && memcmp(key, k, key_len) == 0)
	if (KEY_IS("path") || KEY_IS("linkpath")) {
		char **slot = KEY_IS("path") ? &p->path : &p->link;

		if (len > lim->path_max) {
			*why = "pax path too long";
			return -EPERM;
		}
		if (len == 0) {
			free(*slot);
			*slot = NULL;
		} else {
			rc = dup_text(value, len, slot);
		}
	} else if (KEY_IS("size")) {
		rc = pax_number(value, len, &p->has_size, &p->size);
	} else if (KEY_IS("uid")) {
		rc = pax_number(value, len, &p->has_uid, &p->uid);
	} else if (KEY_IS("gid")) {
		rc = pax_number(value, len, &p->has_gid, &p->gid);
	} else if (KEY_IS("mtime")) {
		p->has_mtime = len > 0;
		if (len > 0)
			rc = parse_pax_time(value, len, &p->mtime_sec, &p->mtime_nsec);
	} else if (key_len > strlen(XATTR_PREFIX) &&
		   memcmp(key, XATTR_PREFIX, strlen(XATTR_PREFIX)) == 0) {
		return pax_xattr(p, key + strlen(XATTR_PREFIX), key_len - strlen(XATTR_PREFIX),
				 value, len, lim, why);
	} else if (key_len >= 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
		*why = "sparse file";
		return -EPERM;
	}
#undef KEY_IS
	if (rc == -EINVAL)
		*why = "bad pax value";
	return rc;
}

int tar_pax_parse(struct tar_pax *p, const char *data, size_t len, const struct tar_limits *lim,
		  const char **why)
{
	size_t pos = 0;

	*why = "bad pax record";
	while (pos < len) {
		const char *rec = data + pos, *space, *eq;
		uint64_t rec_len;
		size_t digits;
		int rc;

		space = memchr(rec, ' ', len - pos < 21 ? len - pos : 21);
		if (space == NULL)
			return -EINVAL;
		digits = (size_t)(space - rec);
		if (digits == 0 || (rec[0] == '0') ||
		    parse_decimal(rec, digits, &rec_len) < 0 || rec_len > len - pos ||
		    rec_len < digits + 4 || rec[rec_len - 1] != '\n')
			return -EINVAL;
		eq = memchr(space + 1, '=', rec_len - digits - 2);
		if (eq == NULL || eq == space + 1)
			return -EINVAL;
		rc = pax_keyword(p, space + 1, (size_t)(eq - space - 1), eq + 1,
				 (size_t)(rec + rec_len - 1 - (eq + 1)), lim, why);
		if (rc < 0)
			return rc;
		pos += rec_len;
	}
	return 0;
}

void tar_pax_release(struct tar_pax *p)
{
	free(p->path);
	free(p->link);
	for (size_t i = 0; i < p->n_xattrs; i++) {
		free(p->xattrs[i].name);
		free(p->xattrs[i].value);
	}
	free(p->xattrs);
	memset(p, 0, sizeof(*p));
}
