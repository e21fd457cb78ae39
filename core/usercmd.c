/* usercmd.c: a command in a user's systemd manager through `systemd-run --user -M NAME@ --wait`,
 * its stdin, stdout and stderr files in the user's runtime directory (see usercmd.h). */
#include "usercmd.h"

#include "core.h"
#include "fs.h"
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	SYSTEMD_RUN_WORDS = 17, /* systemd-run and its options, "--" included */
	PROP_MAX = sizeof("StandardOutput=file:") + PATH_MAX, /* one -p value */
	OWN_OUT_MAX = 256, /* systemd-run's own stdout (--quiet: none) */
};

/* One of the command's stdio files: the fd we created it with, its name in the runtime dir, the
 * inode (read back through it only) and the -p property naming it. */
struct io_file {
	int fd;
	char name[NAME_MAX + 1];
	struct stat st;
	char prop[PROP_MAX];
};

struct io_files {
	int dirfd;
	char dir[PATH_MAX];
	struct io_file in, out, err;
};

/* RUN_USER/UID, not followed if a link, a directory of the user's (or root's, not writable by
 * others): where the user's manager can open our files and nobody else can swap them. */
static int open_runtime_dir(const struct usercmd *c, struct io_files *f)
{
	struct stat st;
	int n = snprintf(f->dir, sizeof(f->dir), "%s/%u", c->run_user ? c->run_user : "/run/user",
			 (unsigned)c->uid);

	if (n < 0 || (size_t)n >= sizeof(f->dir))
		return -ENAMETOOLONG;
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (f->dirfd < 0)
		return -errno;
	if (fstat(f->dirfd, &st) < 0)
		return -errno;
	if (st.st_uid != c->uid && (st.st_uid != 0 || (st.st_mode & 022)))
		return -EPERM;
	return 0;
}

/* A new file of ours in the runtime dir, data written, then given to the user; prop names it. */
static int make_file(struct io_files *f, const struct usercmd *c, const char *stream,
		     const char *tag, const void *data, size_t len, struct io_file *io)
{
	int r = fs_temp_create(f->dirfd, tag, io->name, &io->fd), n;

	if (r < 0)
		return r;
	if (fstat(io->fd, &io->st) < 0)
		return -errno;
	if (len && (r = fs_write_all(io->fd, data, len)) < 0)
		return r;
	if (fchown(io->fd, c->uid, c->gid) < 0)
		return -errno;
	n = snprintf(io->prop, sizeof(io->prop), "%s=file:%s/%s", stream, f->dir, io->name);
	return n < 0 || (size_t)n >= sizeof(io->prop) ? -ENAMETOOLONG : 0;
}

/* Empty the file (a secret's bytes leave the tmpfs at once), close it, remove its name. */
static void drop_file(const struct io_files *f, struct io_file *io)
{
	if (io->fd < 0)
		return;
	(void)ftruncate(io->fd, 0);
	close(io->fd);
	io->fd = -1;
	(void)unlinkat(f->dirfd, io->name, 0);
}

/* The first max bytes of io's file, NUL-terminated, read through the inode we created (a name
 * the user swapped is refused with -ESTALE, never followed). */
static int read_back(const struct io_files *f, const struct io_file *io, size_t max, char **ret,
		     size_t *ret_len, bool *ret_truncated)
{
	_cleanup_close_ int fd = openat(f->dirfd, io->name,
					O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	size_t len = 0;
	char *buf;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (st.st_dev != io->st.st_dev || st.st_ino != io->st.st_ino)
		return -ESTALE;
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	while (len < max) {
		ssize_t n = read(fd, buf + len, max - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_truncated = (off_t)len < st.st_size;
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int check_opts(const struct usercmd *c, size_t *ret_argc)
{
	size_t n = 0;

	if (!c->user || !users_name_valid(c->user) || !c->argv || !c->argv[0] || !*c->argv[0] ||
	    c->timeout_ms < USERCMD_TIMEOUT_MS_MIN ||
	    c->timeout_ms > EXEC_TIMEOUT_MS_MAX - 2 * USERCMD_GRACE_MS ||
	    c->stdin_len > USERCMD_INPUT_MAX || c->out_max > EXEC_CAPTURE_MAX)
		return -EINVAL;
	/* systemd expands $VAR in a command's words: none may carry one. */
	for (; c->argv[n]; n++)
		if (n == USERCMD_ARGV_MAX || strchr(c->argv[n], '$'))
			return -EINVAL;
	*ret_argc = n;
	return 0;
}

/* systemd-run's words: the manager, the waiting, the deadline, the stdio files, the command. */
static void build_argv(const struct usercmd *c, const struct io_files *f, size_t argc,
		       char machine[USER_NAME_MAX + 2], char runtime_max[64], const char **argv)
{
	size_t n = 0;

	snprintf(machine, USER_NAME_MAX + 2, "%s@", c->user);
	snprintf(runtime_max, 64, "RuntimeMaxSec=%us", (c->timeout_ms + 999) / 1000);
	argv[n++] = c->systemd_run ? c->systemd_run : "systemd-run";
	argv[n++] = "--user";
	argv[n++] = "-M";
	argv[n++] = machine;
	argv[n++] = "--wait";
	argv[n++] = "--collect";
	argv[n++] = "--quiet";
	argv[n++] = "--service-type=exec";
	argv[n++] = "-p";
	argv[n++] = runtime_max;
	if (f->in.fd >= 0) {
		argv[n++] = "-p";
		argv[n++] = f->in.prop;
	}
	argv[n++] = "-p";
	argv[n++] = f->out.prop;
	argv[n++] = "-p";
	argv[n++] = f->err.prop;
	argv[n++] = "--";
	for (size_t i = 0; i < argc; i++)
		argv[n++] = c->argv[i];
	argv[n] = NULL;
}

/* The command's stdout and stderr into res in place of systemd-run's (whose stderr stays when the
 * command wrote none: it says why the unit never ran). */
static int collect(const struct usercmd *c, const struct io_files *f, struct exec_result *res)
{
	char *out = NULL, *err = NULL;
	size_t out_len, err_len;
	bool out_cut, err_cut;
	int r = read_back(f, &f->out, c->out_max, &out, &out_len, &out_cut);

	if (r >= 0)
		r = read_back(f, &f->err, USERCMD_ERR_MAX, &err, &err_len, &err_cut);
	if (r < 0) {
		free(out);
		return r;
	}
	free(res->out);
	res->out = out, res->out_len = out_len, res->out_truncated = out_cut;
	if (err_len) {
		free(res->err);
		res->err = err, res->err_len = err_len, res->err_truncated = err_cut;
	} else
		free(err);
	return 0;
}

int usercmd_run(const struct usercmd *c, struct exec_result *res)
{
	struct io_files f = {.dirfd = -1, .in.fd = -1, .out.fd = -1, .err.fd = -1};
	char machine[USER_NAME_MAX + 2], runtime_max[64];
	const char *argv[SYSTEMD_RUN_WORDS + USERCMD_ARGV_MAX + 1];
	size_t argc = 0;
	int r = check_opts(c, &argc);

	*res = (struct exec_result){0};
	if (r >= 0)
		r = open_runtime_dir(c, &f);
	if (r >= 0 && c->stdin_data)
		r = make_file(&f, c, "StandardInput", "tailpod-in", c->stdin_data, c->stdin_len,
			      &f.in);
	if (r >= 0)
		r = make_file(&f, c, "StandardOutput", "tailpod-out", NULL, 0, &f.out);
	if (r >= 0)
		r = make_file(&f, c, "StandardError", "tailpod-err", NULL, 0, &f.err);
	if (r >= 0) {
		const struct exec_opts o = {
			.argv = argv,
			.timeout_ms = (c->timeout_ms + 999) / 1000 * 1000 + USERCMD_GRACE_MS,
			.out_max = OWN_OUT_MAX,
			.err_max = USERCMD_ERR_MAX,
			.cwd = "/",
		};

		build_argv(c, &f, argc, machine, runtime_max, argv);
		r = exec_run(&o, res);
	}
	if (r >= 0 && (r = collect(c, &f, res)) < 0)
		exec_result_release(res);
	drop_file(&f, &f.in);
	drop_file(&f, &f.out);
	drop_file(&f, &f.err);
	if (f.dirfd >= 0)
		close(f.dirfd);
	return r;
}
