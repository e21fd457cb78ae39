/* manifest.c: the MANIFEST's escaping. Paths come from the user's files (any byte but NUL and
 * '/'), so each field is percent-escaped — bytes up to ' ', from 0x7f up, and '%' as %XX — and a
 * line is TAB-separated fields without any TAB or newline inside. */
#include "backup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool needs_escape(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '%';
}

bool backup_escape(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (o + 4 > size)
			return false;
		if (needs_escape(*p))
			o += (size_t)snprintf(buf + o, size - o, "%%%02X", *p);
		else
			buf[o++] = (char)*p;
	}
	if (o + 1 > size)
		return false;
	buf[o] = '\0';
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool backup_unescape(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s; s++) {
		int c = (unsigned char)*s;

		if (o + 1 >= size)
			return false;
		if (c == '%') {
			int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);

			if (lo < 0 || (hi << 4 | lo) == 0)
				return false;
			c = hi << 4 | lo;
			s += 2;
		}
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return true;
}

int backup_manifest_row(const struct tar_entry *e, const char *sha, char *line, size_t size)
{
	static const char *const types[] = {"file", "dir", "symlink", "hardlink"};
	char path[3 * PATH_MAX + 1], link[3 * PATH_MAX + 1] = "";
	int n;

	if (!backup_escape(e->path, path, sizeof(path)) ||
	    (e->link && !backup_escape(e->link, link, sizeof(link))))
		return -ENAMETOOLONG;
	n = snprintf(line, size,
		     "%s\t%04" PRIo32 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\t%s%s%s\n",
		     types[e->type], e->mode, e->uid, e->gid, e->size, sha, path,
		     e->link ? "\t" : "", link);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
