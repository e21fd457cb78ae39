/* config_file.c: reading one configuration file the way C4 says — a trusted, root-owned file that
 * steers what root runs — and the error shape every config message uses (config_fail). */
#include "config_internal.h"

#include "core.h"
#include "envfile.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int config_fail(struct config_error *err, const struct origin *o, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return r;
	*err = (struct config_error){.where = o->path, .line = o->line};
	snprintf(err->key, sizeof(err->key), "%s", o->key ? o->key : "");
	va_start(ap, fmt);
	error_detail_vset(err, fmt, ap);
	va_end(ap);
	return r;
}

/* Why fs_open_trusted() refused path, in the words of C4. */
static int refused(struct config_error *err, const struct origin *o, int r, const struct stat *st,
		   uid_t owner)
{
	if (r == -ELOOP)
		return config_fail(err, o, r, "is a symbolic link, refusing it");
	if (r == -EISDIR || r == -EBADFD)
		return config_fail(err, o, r, "%s",
				   r == -EISDIR ? "is a directory" : "is not a regular file");
	if (r == -EPERM)
		return config_fail(
			err, o, r,
			"owned by uid %u, not %u: refusing a file that steers what root runs",
			(unsigned)st->st_uid, (unsigned)owner);
	/* -EACCES with a mode: the file's bits; without one, open(2) itself was denied. */
	if (r == -EACCES && (st->st_mode & FS_DENY_SHARED_WRITE))
		return config_fail(
			err, o, r,
			"writable by group or others (mode %04o): refusing a file that steers "
			"what root runs (chmod go-w)",
			(unsigned)(st->st_mode & 07777));
	return config_fail(err, o, r, "cannot open: %s", strerror(-r));
}

/* Open and parse path with the checks of C4; -ENOENT is returned without touching err. */
int config_read_checked(const char *path, uid_t owner, struct envfile **ret,
			struct config_error *err)
{
	const struct fs_trust trust = {.owner = owner, .deny_mode = FS_DENY_SHARED_WRITE};
	struct origin o = {.path = path};
	struct envfile_error eerr = {0};
	_cleanup_close_ int fd = -1;
	struct stat st = {0};
	int r;

	r = fs_open_trusted(AT_FDCWD, path, &trust, &fd, &st);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return refused(err, &o, r, &st, owner);
	r = envfile_parse_fd(path, fd, ret, &eerr);
	if (r < 0) {
		o.line = eerr.line;
		return config_fail(err, &o, r, "%s", eerr.msg[0] ? eerr.msg : strerror(-r));
	}
	return 0;
}

/* envfile's own diagnostics (dropped lines), under the file's path. */
int config_copy_envfile_diags(struct config *c, const char *path, const struct envfile *ef)
{
	for (size_t i = 0; i < ef->n_diags; i++)
		if (diag_add(&c->diags, path, NULL, ef->diags[i].line, "%s", ef->diags[i].msg) < 0)
			return -ENOMEM;
	if (ef->n_diags_dropped &&
	    diag_add(&c->diags, path, NULL, 1, "%zu more problems not listed (ENVFILE_DIAGS_MAX)",
		     ef->n_diags_dropped) < 0)
		return -ENOMEM;
	return 0;
}
