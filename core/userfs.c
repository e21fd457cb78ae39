/* userfs.c: a workload's files in its home (see userfs.h). Root only compares, beneath the home fd
 * and through core/fs; every write and remove happens in a forked child that has become the user.
 * The child sends one fixed-size report (errno, step, index) over a pipe and the parent writes the
 * message, so the child needs no allocation and no formatting; the parent bounds the whole job by
 * a CLOCK_MONOTONIC deadline and kills the child when it passes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "userfs.h"
#include "child.h"
#include "clock.h"
#include "core.h"
#include "exec.h"
#include "fs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	USERFS_CHUNK = 64 * 1024, /* one read() of a compared file, into a stack buffer */
	USERFS_REASON_MAX = 128,  /* an errno as text */
	USERFS_ERRNO_MAX = 4095,  /* the largest errno a report may carry */
};

/* Where the child stopped; the parent turns it into a message naming the file. */
enum userfs_step {
	USERFS_STEP_DONE,
	USERFS_STEP_IDS,
	USERFS_STEP_DIR,
	USERFS_STEP_WRITE,
	USERFS_STEP_REMOVE,
};

/* The child's one write to the pipe, its last act: far below PIPE_BUF, so it arrives whole. */
struct userfs_report {
	int err;	/* 0 or a negative errno */
	uint32_t step;	/* enum userfs_step */
	uint32_t index; /* into job->writes or job->removes */
};

static int userfs_fail(struct userfs_error *err, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int userfs_fail(struct userfs_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return r;
	err->err = r;
	va_start(ap, fmt);
	error_detail_vset(err, fmt, ap);
	va_end(ap);
	return r;
}

/* r as the messages say it: lowercase, no final period. */
static const char *userfs_reason(int r, char *buf, size_t size)
{
	if (r == -ELOOP)
		return "a symlink is in the way";
	if (r == -EBADFD)
		return "not a regular file";
	if (r == -EXDEV)
		return "a mount point is in the way";
	snprintf(buf, size, "%s", strerror(-r));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* "DIR/NAME: why", or "DIR: why" when name is NULL. */
static int userfs_fail_file(struct userfs_error *err, int r, const char *dir, const char *name)
{
	char why[USERFS_REASON_MAX];

	if (name)
		return userfs_fail(err, r, "%s/%s: %s", dir, name,
				   userfs_reason(r, why, sizeof(why)));
	return userfs_fail(err, r, "%s: %s", dir, userfs_reason(r, why, sizeof(why)));
}

/* One component, or a relative path of them below dir (an app's tree): none empty, "." or "..",
 * none longer than NAME_MAX. */
static bool userfs_name_ok(const char *name)
{
	if (!name || !*name || strlen(name) > PATH_MAX / 2)
		return false;
	for (const char *c = name;; c++) {
		size_t n = strcspn(c, "/");

		if (n == 0 || n > NAME_MAX || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[n])
			return true;
		c += n;
	}
}

/* Relative, no "..", at least one component that is not "." (the home itself is no target), and
 * short enough that "DIR/NAME" fits PATH_MAX. */
static bool userfs_dir_ok(const char *dir)
{
	bool any = false;

	if (!dir || dir[0] == '/' || strlen(dir) >= PATH_MAX / 2 - 1)
		return false;
	for (const char *s = dir; *s;) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return false;
		if (n > 1 || (n == 1 && s[0] != '.'))
			any = true;
		s += n;
		while (*s == '/')
			s++;
	}
	return any;
}

static int userfs_target_check(const char *dir, const char *name, struct userfs_error *err)
{
	if (!userfs_dir_ok(dir))
		return userfs_fail(err, -EINVAL,
				   "invalid directory '%s': a relative path without '..' expected",
				   dir ? dir : "");
	if (!userfs_name_ok(name))
		return userfs_fail(
			err, -EINVAL,
			"%s: invalid file name '%s': a relative path without '.' or '..' expected",
			dir, name ? name : "");
	return 0;
}

static int userfs_data_check(const char *dir, const char *name, const char *data, size_t size,
			     struct userfs_error *err)
{
	int r = userfs_target_check(dir, name, err);

	if (r < 0)
		return r;
	if (!data && size > 0)
		return userfs_fail(err, -EINVAL, "%s/%s: no data", dir, name);
	if (size > USERFS_FILE_MAX)
		return userfs_fail(err, -EFBIG, "%s/%s: %zu bytes, more than the limit of %d", dir,
				   name, size, USERFS_FILE_MAX);
	return 0;
}

/* "DIR/NAME" into buf (PATH_MAX bytes); it fits, as checked by userfs_target_check(). Plain
 * copies: the child calls this too. */
static void userfs_join(const char *dir, const char *name, char *buf)
{
	size_t d = strlen(dir), n = strlen(name);

	memcpy(buf, dir, d);
	buf[d] = '/';
	memcpy(buf + d + 1, name, n + 1);
}

static int userfs_home_error(const char *home, int r, struct userfs_error *err)
{
	char why[USERFS_REASON_MAX];
	struct stat st;

	/* O_DIRECTORY|O_NOFOLLOW on a symlink may say ENOTDIR: name it as what it is. */
	if ((r == -ENOTDIR || r == -ELOOP) && lstat(home, &st) == 0 && S_ISLNK(st.st_mode))
		return userfs_fail(err, -ELOOP, "home %s is a symlink", home);
	if (r == -ENOTDIR)
		return userfs_fail(err, r, "home %s is not a directory", home);
	return userfs_fail(err, r, "home %s: %s", home, userfs_reason(r, why, sizeof(why)));
}

int userfs_home_open(const char *home, uid_t uid, int *ret_fd, struct userfs_error *err)
{
	return userfs_home_open_private(home, uid, ret_fd, NULL, err);
}

int userfs_home_open_private(const char *home, uid_t uid, int *ret_fd, bool *ret_private,
			     struct userfs_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!home || home[0] != '/' || !ret_fd)
		return userfs_fail(err, -EINVAL, "home '%s' is not an absolute path",
				   home ? home : "");
	/* openat, not open: musl's open adds an fcntl(FD_CLOEXEC) for kernels older than 2.6.23. */
	fd = openat(AT_FDCWD, home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return userfs_home_error(home, -errno, err);
	if (fstat(fd, &st) < 0)
		return userfs_home_error(home, -errno, err);
	if (st.st_uid != uid)
		return userfs_fail(err, -EPERM, "home %s is owned by uid %" PRIu32 ", not %" PRIu32,
				   home, (uint32_t)st.st_uid, (uint32_t)uid);
	if (ret_private)
		*ret_private = (st.st_mode & 077) == 0; /* the same fstat (issue 16) */
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int userfs_home_is_private(int home_fd)
{
	struct stat st;

	if (fstat(home_fd, &st) < 0)
		return -errno;
	return (st.st_mode & 077) == 0;
}

int userfs_home_make_private(int home_fd, const char *home, struct userfs_error *err)
{
	char why[USERFS_REASON_MAX];
	int r;

	/* As root on the fd whose owner userfs_home_open() checked: nothing to follow, no race. */
	if (fchmod(home_fd, USERFS_HOME_MODE) == 0)
		return 0;
	r = -errno;
	return userfs_fail(err, r, "home %s: cannot set mode %04o: %s", home ? home : "",
			   (unsigned)USERFS_HOME_MODE, userfs_reason(r, why, sizeof(why)));
}

/* 1 when the rest of fd is exactly data[0..size), 0 when not (shorter, longer or other bytes). */
static int userfs_compare(int fd, const char *data, size_t size)
{
	char buf[USERFS_CHUNK];
	size_t off = 0;

	for (;;) {
		/* Ask for one byte more than is left: a file that grew since fstat is different,
		 * and a short read that ends at size is the end (issue 16: one read a small file).
		 */
		size_t want = size - off < sizeof(buf) ? size - off + 1 : sizeof(buf);
		ssize_t n;

		n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return off == size;
		if ((size_t)n > size - off || memcmp(buf, data + off, (size_t)n) != 0)
			return 0;
		off += (size_t)n;
		if (off == size && (size_t)n < want)
			return 1;
	}
}

/* Whether a file fstat'ed as st had settled when seen: its ctime at least
 * USERFS_STAMP_SETTLE_MS older than the clock, so a write from now on gets a later one. */
static bool userfs_settled(const struct fs_stamp *st, unsigned settle_ms)
{
	struct timespec now;
	int64_t now_ns;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return false;
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	return st->ctime_ns < now_ns - (int64_t)settle_ms * 1000000;
}

int userfs_file_matches(int home_fd, const char *dir, const char *name, const char *data,
			size_t size, struct userfs_error *err)
{
	return userfs_file_matches_stamp(home_fd, dir, name, data, size, NULL, NULL, err);
}

int userfs_file_matches_stamp(int home_fd, const char *dir, const char *name, const char *data,
			      size_t size, const struct fs_stamp *known,
			      struct userfs_stamp_seen *seen, struct userfs_error *err)
{
	return userfs_file_matches_stamp_at(home_fd, NULL, dir, name, data, size, known, seen, err);
}

/* "BASE/DIR/NAME", or "DIR/NAME" for base NULL, into path (PATH_MAX bytes). */
static int userfs_join_at(const char *base, const char *dir, const char *name, char *path)
{
	char rel[PATH_MAX];
	int n;

	if (!base) {
		userfs_join(dir, name, path);
		return 0;
	}
	userfs_join(dir, name, rel);
	n = snprintf(path, PATH_MAX, "%s/%s", base, rel);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int userfs_file_matches_stamp_at(int dirfd, const char *base, const char *dir, const char *name,
				 const char *data, size_t size, const struct fs_stamp *known,
				 struct userfs_stamp_seen *seen, struct userfs_error *err)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct fs_stamp now;
	struct stat st;
	int r;

	if (seen)
		seen->stamp = (struct fs_stamp){0};

	r = userfs_data_check(dir, name, data, size, err);
	if (r >= 0)
		r = userfs_join_at(base, dir, name, path);
	if (r < 0)
		return r == -ENAMETOOLONG ? userfs_fail_file(err, r, dir, name) : r;
	/* O_NONBLOCK: a FIFO planted there must not hang us before the type check. */
	/* Never onto another mount: a FUSE file system the user mounted there could stall root. */
	r = fs_open_beneath_how(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0,
				FS_BENEATH_NO_XDEV, &fd);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	/* A socket, or a device without a driver (an overlay whiteout is 0:0), cannot be opened. */
	if (r == -ENXIO || r == -ENODEV)
		r = -EBADFD;
	if (r < 0)
		return userfs_fail_file(err, r, dir, name);
	if (fstat(fd, &st) < 0)
		return userfs_fail_file(err, -errno, dir, name);
	if (!S_ISREG(st.st_mode))
		return userfs_fail_file(err, -EBADFD, dir, name);
	if ((uint64_t)st.st_size != (uint64_t)size)
		return 0;
	fs_stamp_of(&st, &now);
	/* The inode found equal then, not written since: no read (issue 16). */
	if (known && fs_stamp_equal(known, &now)) {
		if (seen)
			seen->stamp = now;
		return 1;
	}
	r = userfs_compare(fd, data, size);
	if (r < 0)
		return userfs_fail_file(err, r, dir, name);
	if (r == 1 && seen && userfs_settled(&now, seen->settle_ms))
		seen->stamp = now;
	return r;
}

static int userfs_job_check(const struct userfs_job *job, struct userfs_error *err)
{
	int r;

	if (!job || job->home_fd < 0 || (job->n_writes && !job->writes) ||
	    (job->n_removes && !job->removes))
		return userfs_fail(err, -EINVAL, "invalid job");
	/* Root, or -1 (which setresuid reads as "unchanged"), would make the child root. */
	if (job->uid == 0 || job->uid == (uid_t)-1 || job->gid == 0 || job->gid == (gid_t)-1)
		return userfs_fail(err, -EINVAL,
				   "refusing to write as uid %" PRIu32 " gid %" PRIu32
				   ": not a workload user",
				   (uint32_t)job->uid, (uint32_t)job->gid);
	if (job->n_writes > USERFS_OPS_MAX || job->n_removes > USERFS_OPS_MAX - job->n_writes)
		return userfs_fail(
			err, -EINVAL,
			"%zu writes and %zu removes, more than the limit of %d operations",
			job->n_writes, job->n_removes, USERFS_OPS_MAX);
	for (size_t i = 0; i < job->n_writes; i++) {
		const struct userfs_write *w = &job->writes[i];

		r = userfs_data_check(w->dir, w->name, w->data, w->size, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < job->n_removes; i++) {
		r = userfs_target_check(job->removes[i].dir, job->removes[i].name, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* In the child: create the file's directory (dir and the name's own sub-directories), then
 * replace the file atomically beneath it. */
static int userfs_child_write(int home_fd, const struct userfs_write *w, uint32_t *step)
{
	_cleanup_close_ int dirfd = -1;
	char path[PATH_MAX];
	char *slash;
	int r;

	userfs_join(w->dir, w->name, path);
	slash = strrchr(path, '/');
	*slash = '\0';
	*step = USERFS_STEP_DIR;
	r = fs_mkdir_beneath_how(home_fd, path, USERFS_DIR_MODE, FS_BENEATH_NO_XDEV);
	if (r >= 0)
		r = fs_open_beneath_how(home_fd, path, O_RDONLY | O_DIRECTORY, 0,
					FS_BENEATH_NO_XDEV, &dirfd);
	if (r < 0)
		return r;
	*step = USERFS_STEP_WRITE;
	return fs_write_atomic(dirfd, slash + 1, w->data, w->size, USERFS_FILE_MODE);
}

/* Remove the file, then the sub-directories of its name that it leaves empty, deepest first; dir
 * itself stays. A directory that is not empty stops the climb: that is not an error. */
static int userfs_child_remove(int home_fd, const struct userfs_remove *rm)
{
	size_t keep = strlen(rm->dir) + 1;
	char path[PATH_MAX], *slash;
	int r;

	userfs_join(rm->dir, rm->name, path);
	r = fs_unlink_beneath_how(home_fd, path, 0, FS_BENEATH_NO_XDEV);
	if (r == -ENOENT || r == -ENOTDIR)
		r = 0;
	while (r == 0 && (slash = strrchr(path, '/')) && (size_t)(slash - path) >= keep) {
		*slash = '\0';
		if (fs_unlink_beneath_how(home_fd, path, AT_REMOVEDIR, FS_BENEATH_NO_XDEV) < 0)
			break;
	}
	return r;
}

static int userfs_child_work(const struct userfs_job *job, struct userfs_report *rep)
{
	const struct exec_ids ids = {.uid = job->uid, .gid = job->gid, .n_groups = 0};
	int r;

	rep->step = USERFS_STEP_IDS;
	r = exec_drop_ids(&ids);
	if (r < 0)
		return r;
	/* The user we became may signal us, but must not ptrace us: our memory and fds are a copy
	 * of root's. The drop set dumpable from fs.suid_dumpable (0 by default); make sure. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	/* Private to the user whatever root's umask was; the modes asked for are kept exactly. */
	umask(077);
	for (size_t i = 0; i < job->n_writes; i++) {
		rep->index = (uint32_t)i;
		r = userfs_child_write(job->home_fd, &job->writes[i], &rep->step);
		if (r < 0)
			return r;
	}
	rep->step = USERFS_STEP_REMOVE;
	for (size_t i = 0; i < job->n_removes; i++) {
		rep->index = (uint32_t)i;
		r = userfs_child_remove(job->home_fd, &job->removes[i]);
		if (r < 0)
			return r;
	}
	rep->step = USERFS_STEP_DONE;
	return 0;
}

__attribute__((noreturn)) static void userfs_child(const void *arg, int fd)
{
	const struct userfs_job *job = arg;
	struct userfs_report rep = {0};

	rep.err = userfs_child_work(job, &rep);
	/* _exit: no atexit handlers, no second flush of the parent's stdio buffers. */
	_exit(fs_write_all(fd, &rep, sizeof(rep)) == 0 ? 0 : 1);
}

/* The report as a result; its step and index are checked, since they index the job. */
static int userfs_report_outcome(const struct userfs_job *job, const struct userfs_report *rep,
				 struct userfs_error *err)
{
	char why[USERFS_REASON_MAX];
	int r = rep->err;

	if (r == 0 && rep->step == USERFS_STEP_DONE)
		return 0;
	if (r >= 0 || r < -USERFS_ERRNO_MAX)
		return userfs_fail(err, -EPROTO, "writer sent a bad report");
	if (rep->step == USERFS_STEP_IDS)
		return userfs_fail(err, r, "cannot become uid %" PRIu32 " gid %" PRIu32 ": %s",
				   (uint32_t)job->uid, (uint32_t)job->gid,
				   userfs_reason(r, why, sizeof(why)));
	if (rep->step == USERFS_STEP_DIR && rep->index < job->n_writes)
		return userfs_fail_file(err, r, job->writes[rep->index].dir, NULL);
	if (rep->step == USERFS_STEP_WRITE && rep->index < job->n_writes)
		return userfs_fail_file(err, r, job->writes[rep->index].dir,
					job->writes[rep->index].name);
	if (rep->step == USERFS_STEP_REMOVE && rep->index < job->n_removes)
		return userfs_fail_file(err, r, job->removes[rep->index].dir,
					job->removes[rep->index].name);
	return userfs_fail(err, -EPROTO, "writer sent a bad report");
}

/* The child closed the pipe without a report: say how it ended. */
static int userfs_died(int k, int status, struct userfs_error *err)
{
	char why[USERFS_REASON_MAX];

	if (k < 0)
		return userfs_fail(err, -EPROTO, "writer died: %s",
				   userfs_reason(k, why, sizeof(why)));
	if (WIFSIGNALED(status))
		return userfs_fail(err, -EPROTO, "writer died: killed by signal %d",
				   WTERMSIG(status));
	return userfs_fail(err, -EPROTO, "writer died: exited with status %d", WEXITSTATUS(status));
}

static int userfs_timed_out(unsigned timeout_ms, struct userfs_error *err)
{
	if (timeout_ms % 1000 == 0)
		return userfs_fail(err, -ETIMEDOUT, "writer timed out after %u s",
				   timeout_ms / 1000);
	return userfs_fail(err, -ETIMEDOUT, "writer timed out after %u ms", timeout_ms);
}

/* Parent side: wait for the report, then always reap, whatever went wrong. */
static int userfs_supervise(const struct userfs_job *job, struct child *c, struct userfs_error *err)
{
	unsigned timeout_ms = job->timeout_ms ? job->timeout_ms : USERFS_TIMEOUT_MS;
	struct userfs_report rep = {0};
	char why[USERFS_REASON_MAX];
	int r, k, status = 0;

	r = child_read(c, &rep, sizeof(rep), clock_now_ms() + timeout_ms);
	/* After its report the child has nothing left to do, and the user it became may have
	 * stopped it (a user may signal its own processes): kill it rather than wait. At end of
	 * file it has exited already; keep its status. */
	k = child_finish(c, r != -EPIPE, &status);
	if (r == 0)
		return userfs_report_outcome(job, &rep, err);
	if (r == -EPIPE)
		return userfs_died(k, status, err);
	if (r == -ETIMEDOUT)
		return userfs_timed_out(timeout_ms, err);
	return userfs_fail(err, r, "writer: %s", userfs_reason(r, why, sizeof(why)));
}

int userfs_apply(const struct userfs_job *job, struct userfs_error *err)
{
	char why[USERFS_REASON_MAX];
	struct child c;
	int r;

	r = userfs_job_check(job, err);
	if (r < 0)
		return r;
	if (job->n_writes + job->n_removes == 0)
		return 0;
	r = child_start(&c, userfs_child, job);
	if (r < 0)
		return userfs_fail(err, r, "cannot start the writer: %s",
				   userfs_reason(r, why, sizeof(why)));
	return userfs_supervise(job, &c, err);
}
