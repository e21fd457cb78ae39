/* xattrs.c: the extended attributes rootless volumes carry (user.*, security.capability) read from
 * an open file and set back on restore, bounded as core/tar's reader bounds them. */
#include "backup.h"

#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

enum { XATTR_LIST_MAX_BYTES = 64 * 1024 };

void backup_xattrs_free(struct tar_xattr *x, size_t n)
{
	for (size_t i = 0; x && i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

static int read_one(int fd, const char *name, struct tar_xattr *x)
{
	ssize_t len = fgetxattr(fd, name, NULL, 0);

	if (len < 0)
		return errno == ENODATA ? 1 : -errno;
	if ((size_t)len > TAR_XATTR_VALUE_MAX_DEFAULT)
		return -E2BIG;
	x->name = strdup(name);
	x->value = malloc(len ? (size_t)len : 1);
	if (!x->name || !x->value)
		return -ENOMEM;
	len = fgetxattr(fd, name, x->value, (size_t)len);
	if (len < 0)
		return errno == ENODATA ? 1 : -errno;
	x->len = (size_t)len;
	return 0;
}

int backup_xattrs_read(int fd, struct tar_xattr **ret, size_t *ret_n)
{
	static char list[XATTR_LIST_MAX_BYTES];
	ssize_t len = flistxattr(fd, list, sizeof(list));
	struct tar_xattr *x;
	size_t n = 0;

	*ret = NULL, *ret_n = 0;
	if (len < 0)
		return errno == ENOTSUP ? 0 : -errno;
	x = calloc(TAR_XATTRS_MAX_DEFAULT, sizeof(*x));
	if (!x)
		return -ENOMEM;
	for (ssize_t pos = 0; pos < len; pos += (ssize_t)strlen(list + pos) + 1) {
		int r;

		if (n == TAR_XATTRS_MAX_DEFAULT) {
			backup_xattrs_free(x, n);
			return -E2BIG;
		}
		r = read_one(fd, list + pos, &x[n]);
		if (r < 0) {
			backup_xattrs_free(x, n + 1);
			return r;
		}
		if (r == 0)
			n++;
		else
			free(x[n].name), free(x[n].value), x[n] = (struct tar_xattr){0};
	}
	*ret = x, *ret_n = n;
	return 0;
}

int backup_xattrs_write(int fd, const struct tar_xattr *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fsetxattr(fd, x[i].name, x[i].value, x[i].len, 0) < 0)
			return -errno;
	return 0;
}
