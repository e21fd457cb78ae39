/* test-userfs.c: unit tests for core/userfs: the home's owner check and mode (private, 0700),
 * comparisons that never follow a symlink, cross a mount point nor hang on a FIFO, and writes and
 * removes done as an unprivileged user (uid 4242) in private modes (0700 directories, 0600 files)
 * against planted symlinks, hard links and mounts, with the symlink and mount cases run twice
 * (openat2, then the forced O_NOFOLLOW walk). The writer's timeout and death are provoked by a
 * fork handler that stops or kills the child, as its user could. Needs root for everything that
 * changes users or mounts (a tmpfs, in the test process's own mount namespace only). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "fs.h"
#include "userfs.h"
#include "scratch.h"

enum {
	TEST_UID = 4242,
	TEST_BIG = 200 * 1024 + 7, /* spans several compare chunks */
};

#define UNITS ".config/containers/systemd"

/* What the fork handler does in the writer child, before userfs's code runs. */
enum fork_mode { FORK_PLAIN, FORK_STOP, FORK_KILL };
static volatile enum fork_mode fork_mode;

struct fixture {
	bool walk;
	uid_t uid; /* owner of home and outside: TEST_UID as root, else ourselves */
	char base[64];
	char home[96];
	char outside[96];
	int home_fd;
};

static struct fixture fx_openat2 = {.walk = false};
static struct fixture fx_walk = {.walk = true};

static void fork_child_hook(void)
{
	if (fork_mode == FORK_STOP)
		raise(SIGSTOP);
	else if (fork_mode == FORK_KILL)
		raise(SIGKILL);
}

static int setup(void **state)
{
	struct fixture *fx = *state;

	fork_mode = FORK_PLAIN;
	fs_beneath_force_walk(fx->walk);
	fx->uid = geteuid() == 0 ? TEST_UID : geteuid();
	snprintf(fx->base, sizeof(fx->base), "/tmp/test-userfs.XXXXXX");
	if (!mkdtemp(fx->base))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->base);
	snprintf(fx->outside, sizeof(fx->outside), "%s/outside", fx->base);
	if (mkdir(fx->home, 0755) < 0 || mkdir(fx->outside, 0755) < 0)
		return -1;
	/* outside belongs to the user too: a followed symlink would have let the write through. */
	if (chown(fx->home, fx->uid, fx->uid) < 0 || chown(fx->outside, fx->uid, fx->uid) < 0)
		return -1;
	fx->home_fd = open(fx->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fx->home_fd < 0 ? -1 : 0;
}

/* Where the mount tests mount a tmpfs: over the quadlet directory. */
static const char *mount_path(const struct fixture *fx)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s/%s", fx->home, UNITS);
	return path;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fork_mode = FORK_PLAIN;
	(void)umount2(mount_path(fx), MNT_DETACH); /* left by a failed mount test */
	close(fx->home_fd);
	fs_beneath_force_walk(false);
	return scratch_remove(fx->base);
}

static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* mkdir -p of relpath beneath dirfd, every new directory owned by uid. */
static void mkdir_owned(int dirfd, const char *relpath, uid_t uid)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/", relpath);
	for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(dirfd, path, 0755) == 0)
			assert_int_equal(fchownat(dirfd, path, uid, uid, AT_SYMLINK_NOFOLLOW), 0);
		else
			assert_int_equal(errno, EEXIST);
		*s = '/';
	}
}

static void put_file(int dirfd, const char *name, const char *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void assert_file(int dirfd, const char *name, const char *content)
{
	char buf[256];
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, content);
}

static void assert_owned(int dirfd, const char *name, uid_t uid, mode_t mode)
{
	struct stat st;

	assert_int_equal(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, uid);
	assert_int_equal(st.st_mode & 07777, mode);
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static struct userfs_job job_of(const struct fixture *fx, const struct userfs_write *w, size_t n_w,
				const struct userfs_remove *rm, size_t n_rm)
{
	return (struct userfs_job){
		.home_fd = fx->home_fd,
		.uid = fx->uid,
		.gid = fx->uid,
		.writes = w,
		.n_writes = n_w,
		.removes = rm,
		.n_removes = n_rm,
	};
}

static void test_home_open(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	struct stat a, b;
	int fd = -1;

	assert_int_equal(userfs_home_open(fx->home, fx->uid, &fd, &err), 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(fx->home_fd, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	close(fd);
	assert_int_equal(userfs_home_open(fx->home, fx->uid, &fd, NULL), 0);
	close(fd);
}

static void test_home_open_other_owner(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	char want[ERROR_MSG_MAX];
	int fd = -1;

	assert_int_equal(userfs_home_open(fx->home, 1001, &fd, &err), -EPERM);
	assert_int_equal(err.err, -EPERM);
	snprintf(want, sizeof(want), "home %s is owned by uid %u, not 1001", fx->home,
		 (unsigned)fx->uid);
	assert_string_equal(err.msg, want);
	assert_int_equal(fd, -1);
}

static void test_home_open_symlink(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	char link[128], want[ERROR_MSG_MAX];
	int fd = -1;

	snprintf(link, sizeof(link), "%s/link", fx->base);
	assert_int_equal(symlink(fx->home, link), 0);
	assert_int_equal(userfs_home_open(link, fx->uid, &fd, &err), -ELOOP);
	snprintf(want, sizeof(want), "home %s is a symlink", link);
	assert_string_equal(err.msg, want);
	assert_int_equal(fd, -1);
}

static void test_home_open_errors(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	char path[128], want[ERROR_MSG_MAX];
	int fd = -1;

	snprintf(path, sizeof(path), "%s/file", fx->base);
	put_file(AT_FDCWD, path, "x", 1);
	assert_int_equal(userfs_home_open(path, fx->uid, &fd, &err), -ENOTDIR);
	snprintf(want, sizeof(want), "home %s is not a directory", path);
	assert_string_equal(err.msg, want);
	snprintf(path, sizeof(path), "%s/missing", fx->base);
	assert_int_equal(userfs_home_open(path, fx->uid, &fd, &err), -ENOENT);
	snprintf(want, sizeof(want), "home %s: no such file or directory", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(userfs_home_open("home/web", fx->uid, &fd, &err), -EINVAL);
	assert_string_equal(err.msg, "home 'home/web' is not an absolute path");
	assert_int_equal(userfs_home_open(NULL, fx->uid, &fd, NULL), -EINVAL);
	assert_int_equal(fd, -1);
}

static void test_home_private(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	char want[ERROR_MSG_MAX];
	struct stat st;
	int path_fd;

	/* The fixture's home is 0755, as useradd leaves it with HOME_MODE unset and UMASK 022. */
	assert_int_equal(userfs_home_is_private(fx->home_fd), 0);
	assert_int_equal(userfs_home_make_private(fx->home_fd, fx->home, &err), 0);
	assert_int_equal(fstat(fx->home_fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, fx->uid);
	assert_int_equal(userfs_home_is_private(fx->home_fd), 1);
	/* Any bit for group or others is drift: the user may chmod its own home. */
	for (mode_t bit = 01; bit <= 040; bit <<= 1) {
		assert_int_equal(fchmod(fx->home_fd, 0700 | bit), 0);
		assert_int_equal(userfs_home_is_private(fx->home_fd), 0);
	}
	assert_int_equal(fchmod(fx->home_fd, 0500), 0);
	assert_int_equal(userfs_home_is_private(fx->home_fd), 1);

	/* On the fd, never a path: an O_PATH fd cannot be fchmod'ed, and says so. */
	path_fd = open(fx->home, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(path_fd >= 0);
	assert_int_equal(userfs_home_make_private(path_fd, fx->home, &err), -EBADF);
	snprintf(want, sizeof(want), "home %s: cannot set mode 0700: bad file descriptor",
		 fx->home);
	assert_string_equal(err.msg, want);
	close(path_fd);
	assert_int_equal(userfs_home_is_private(-1), -EBADF);
}

/* A tmpfs owned by the user over the quadlet directory, as its own FUSE mount would be, holding
 * the same file the home would. */
static void mount_over_units(struct fixture *fx, const char *content)
{
	char opts[64];
	int fd;

	if (scratch_private_mounts() < 0)
		skip(); /* not root: no namespace of our own, and no mount outside one */
	mkdir_owned(fx->home_fd, UNITS, fx->uid);
	snprintf(opts, sizeof(opts), "uid=%u,gid=%u,mode=0700", (unsigned)fx->uid,
		 (unsigned)fx->uid);
	assert_int_equal(mount("tailpod-test", mount_path(fx), "tmpfs", 0, opts), 0);
	fd = open(mount_path(fx), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	put_file(fd, "web.container", content, strlen(content));
	close(fd);
}

static void test_matches_mount(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};

	mount_over_units(fx, "same");
	assert_int_equal(userfs_file_matches(fx->home_fd, UNITS, "web.container", "same", 4, &err),
			 -EXDEV);
	assert_int_equal(err.err, -EXDEV);
	assert_string_equal(err.msg, UNITS "/web.container: a mount point is in the way");
	assert_int_equal(umount2(mount_path(fx), 0), 0);
}

/* The writer neither writes into nor removes from a mount over its directory. */
static void test_apply_mount(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{UNITS, "web.container", "new", 3}};
	const struct userfs_remove rm[] = {{UNITS, "web.container"}};
	struct userfs_job job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);

	need_root();
	mount_over_units(fx, "old");
	assert_int_equal(userfs_apply(&job, &err), -EXDEV);
	assert_string_equal(err.msg, UNITS ": a mount point is in the way");
	job = job_of(fx, NULL, 0, rm, ARRAY_SIZE(rm));
	assert_int_equal(userfs_apply(&job, &err), -EXDEV);
	assert_string_equal(err.msg, UNITS "/web.container: a mount point is in the way");
	assert_int_equal(count_entries(mount_path(fx)), 1);
	assert_file(fx->home_fd, UNITS "/web.container", "old");
	assert_int_equal(umount2(mount_path(fx), 0), 0);
	/* The same job once the mount is gone: only the mount was in the way. */
	job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);
	assert_int_equal(userfs_apply(&job, &err), 0);
	assert_file(fx->home_fd, UNITS "/web.container", "new");
}

static void test_matches_plain(void **state)
{
	static const char unit[] = "[Container]\nImage=x\n";
	struct fixture *fx = *state;
	struct userfs_error err = {.err = 1, .msg = "untouched"};
	size_t n = strlen(unit);

	mkdir_owned(fx->home_fd, UNITS, fx->uid);
	put_file(fx->home_fd, UNITS "/web.container", unit, n);
	put_file(fx->home_fd, UNITS "/empty", "", 0);
	assert_int_equal(userfs_file_matches(fx->home_fd, UNITS, "web.container", unit, n, &err),
			 1);
	assert_int_equal(userfs_file_matches(fx->home_fd, UNITS, "web.container",
					     "[Container]\nImage=y\n", n, &err),
			 0);
	assert_int_equal(
		userfs_file_matches(fx->home_fd, UNITS, "web.container", unit, n - 1, &err), 0);
	assert_int_equal(userfs_file_matches(fx->home_fd, UNITS, "empty", NULL, 0, &err), 1);
	assert_int_equal(userfs_file_matches(fx->home_fd, UNITS, "empty", "x", 1, &err), 0);
	assert_int_equal(userfs_file_matches(fx->home_fd, UNITS, "missing", unit, n, &err), 0);
	assert_int_equal(userfs_file_matches(fx->home_fd, ".config/nowhere", "a", unit, n, &err),
			 0);
	/* A file where a directory should be: missing, as far as this file is concerned. */
	assert_int_equal(
		userfs_file_matches(fx->home_fd, UNITS "/web.container", "a", unit, n, &err), 0);
	assert_int_equal(
		userfs_file_matches(fx->home_fd, "./" UNITS "/", "web.container", unit, n, NULL),
		1);
	assert_int_equal(err.err, 1);
	assert_string_equal(err.msg, "untouched");
}

/* A stamp (issue 16): the file as found equal, once settled; an equal fstat later is the proof,
 * with no read — so other bytes of the same size still "match" — and a write behind sync's back
 * with size and mtime put back still changes ctime, which sends the compare back to reading. */
static void test_matches_stamp(void **state)
{
	struct fixture *fx = *state;
	struct userfs_stamp_seen seen = {.settle_ms = 3600 * 1000};
	struct fs_stamp known;
	struct timespec times[2], pause = {0, 30 * 1000 * 1000};
	struct stat st;
	int fd;

	mkdir_owned(fx->home_fd, UNITS, fx->uid);
	put_file(fx->home_fd, UNITS "/web.container", "A=1\n", 4);
	/* Just written: not settled, nothing to record. */
	assert_int_equal(userfs_file_matches_stamp(fx->home_fd, UNITS, "web.container", "A=1\n", 4,
						   NULL, &seen, NULL),
			 1);
	assert_false(seen.stamp.set);
	seen.settle_ms = 0;
	assert_int_equal(userfs_file_matches_stamp(fx->home_fd, UNITS, "web.container", "A=1\n", 4,
						   NULL, &seen, NULL),
			 1);
	assert_true(seen.stamp.set);
	assert_int_equal(seen.stamp.size, 4);
	known = seen.stamp;
	/* Different bytes, equal fstat: the stamp answers, the file is not read. */
	assert_int_equal(userfs_file_matches_stamp(fx->home_fd, UNITS, "web.container", "B=2\n", 4,
						   &known, &seen, NULL),
			 1);
	assert_true(fs_stamp_equal(&seen.stamp, &known));
	/* A size that differs is never a match. */
	assert_int_equal(userfs_file_matches_stamp(fx->home_fd, UNITS, "web.container", "A=12\n", 5,
						   &known, NULL, NULL),
			 0);
	/* Rewritten in place, same size, mtime restored (touch -d): only ctime tells. */
	assert_int_equal(fstatat(fx->home_fd, UNITS "/web.container", &st, 0), 0);
	nanosleep(&pause, NULL); /* past a coarse clock's tick */
	put_file(fx->home_fd, UNITS "/web.container", "B=2\n", 4);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(fx->home_fd, UNITS "/web.container", times, 0), 0);
	fd = openat(fx->home_fd, UNITS "/web.container", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(st.st_ino, known.ino);
	assert_int_equal((int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
			 known.mtime_ns);
	assert_int_equal(userfs_file_matches_stamp(fx->home_fd, UNITS, "web.container", "A=1\n", 4,
						   &known, &seen, NULL),
			 0);
	assert_false(seen.stamp.set);
	assert_int_equal(userfs_file_matches_stamp(fx->home_fd, UNITS, "web.container", "B=2\n", 4,
						   &known, &seen, NULL),
			 1);
	assert_true(seen.stamp.set && !fs_stamp_equal(&seen.stamp, &known));
}

/* The owner check's fstat also says whether the home is private. */
static void test_home_open_private(void **state)
{
	struct fixture *fx = *state;
	bool private = true;
	int fd = -1;

	assert_int_equal(userfs_home_open_private(fx->home, fx->uid, &fd, &private, NULL), 0);
	assert_false(private); /* the fixture's 0755 */
	close(fd);
	assert_int_equal(chmod(fx->home, 0700), 0);
	assert_int_equal(userfs_home_open_private(fx->home, fx->uid, &fd, &private, NULL), 0);
	assert_true(private);
	close(fd);
	assert_int_equal(userfs_home_open_private(fx->home, 1001, &fd, &private, NULL), -EPERM);
}

static void test_matches_large(void **state)
{
	struct fixture *fx = *state;
	char *data = malloc(TEST_BIG);

	assert_non_null(data);
	for (size_t i = 0; i < TEST_BIG; i++)
		data[i] = (char)(i * 7 + i / 251);
	mkdir_owned(fx->home_fd, "d", fx->uid);
	put_file(fx->home_fd, "d/big", data, TEST_BIG);
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "big", data, TEST_BIG, NULL), 1);
	data[TEST_BIG - 1] ^= 1;
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "big", data, TEST_BIG, NULL), 0);
	data[TEST_BIG - 1] ^= 1;
	data[70000] ^= 1;
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "big", data, TEST_BIG, NULL), 0);
	free(data);
}

static void test_matches_symlinks(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	int out = open(fx->outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* The same content outside, reachable only through a planted .config link. */
	assert_true(out >= 0);
	mkdir_owned(out, "containers/systemd", fx->uid);
	put_file(out, "containers/systemd/web.container", "same", 4);
	close(out);
	assert_int_equal(symlinkat(fx->outside, fx->home_fd, ".config"), 0);
	assert_int_equal(userfs_file_matches(fx->home_fd, UNITS, "web.container", "same", 4, &err),
			 -ELOOP);
	assert_int_equal(err.err, -ELOOP);
	assert_string_equal(err.msg, UNITS "/web.container: a symlink is in the way");

	/* A final symlink, even to an identical file beside it. */
	mkdir_owned(fx->home_fd, "d", fx->uid);
	put_file(fx->home_fd, "d/real", "same", 4);
	assert_int_equal(symlinkat("real", fx->home_fd, "d/link"), 0);
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "link", "same", 4, &err), -ELOOP);
	assert_string_equal(err.msg, "d/link: a symlink is in the way");
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "real", "same", 4, &err), 1);
}

static void test_matches_special(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int sock;

	mkdir_owned(fx->home_fd, "d/sub", fx->uid);
	assert_int_equal(mkfifoat(fx->home_fd, "d/fifo", 0644), 0);
	/* A FIFO without a writer would block a plain open: must return at once. */
	alarm(10);
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "fifo", "x", 1, &err), -EBADFD);
	alarm(0);
	assert_string_equal(err.msg, "d/fifo: not a regular file");
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "sub", "x", 1, &err), -EBADFD);
	assert_string_equal(err.msg, "d/sub: not a regular file");

	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sock >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/d/sock", fx->home);
	assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "sock", "x", 1, &err), -EBADFD);
	assert_string_equal(err.msg, "d/sock: not a regular file");
	close(sock);
}

static void test_matches_invalid(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	static const char *const bad_names[] = {"a/../b", "a/./b", "a//b", "/a",
						"a/",	  "..",	   ".",	   ""};
	static const char *const bad_dirs[] = {"../x", "a/../b", "/etc", "", ".", "./"};

	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++)
		assert_int_equal(userfs_file_matches(fx->home_fd, "d", bad_names[i], "x", 1, &err),
				 -EINVAL);
	assert_string_equal(
		err.msg, "d: invalid file name '': a relative path without '.' or '..' expected");
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", NULL, "x", 1, NULL), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad_dirs); i++)
		assert_int_equal(userfs_file_matches(fx->home_fd, bad_dirs[i], "f", "x", 1, &err),
				 -EINVAL);
	assert_int_equal(userfs_file_matches(fx->home_fd, "../x", "f", "x", 1, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "invalid directory '../x': a relative path without '..' expected");
	/* Not read: the size alone is refused. */
	assert_int_equal(userfs_file_matches(fx->home_fd, "d", "f", "x", USERFS_FILE_MAX + 1, &err),
			 -EFBIG);
	assert_string_equal(err.msg, "d/f: 4194305 bytes, more than the limit of 4194304");
}

static void test_apply_creates(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {
		{UNITS, "web.container", "[Container]\n", 12},
		{UNITS, "web.env", "A=1\n", 4},
		{"a/b", "empty", NULL, 0},
	};
	struct userfs_job job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);
	mode_t old = umask(0);

	need_root();
	assert_int_equal(userfs_apply(&job, &err), 0);
	umask(old);
	assert_file(fx->home_fd, UNITS "/web.container", "[Container]\n");
	assert_file(fx->home_fd, UNITS "/web.env", "A=1\n");
	assert_file(fx->home_fd, "a/b/empty", "");
	/* Private to the user, whatever our umask is: 0600 files, 0700 directories. */
	assert_owned(fx->home_fd, UNITS "/web.container", TEST_UID, 0600);
	assert_owned(fx->home_fd, UNITS "/web.env", TEST_UID, 0600);
	assert_owned(fx->home_fd, "a/b/empty", TEST_UID, 0600);
	assert_owned(fx->home_fd, ".config", TEST_UID, 0700);
	assert_owned(fx->home_fd, ".config/containers", TEST_UID, 0700);
	assert_owned(fx->home_fd, UNITS, TEST_UID, 0700);
	assert_owned(fx->home_fd, "a", TEST_UID, 0700);
	assert_owned(fx->home_fd, "a/b", TEST_UID, 0700);
	assert_int_equal(
		userfs_file_matches(fx->home_fd, UNITS, "web.container", "[Container]\n", 12, &err),
		1);
}

/* Replaced by rename: a new inode, and a symlink at the name is replaced, never followed. */
static void test_apply_replaces(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{"d", "f", "new", 3}, {"d", "link", "mine", 4}};
	struct userfs_job job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);
	char victim[128];
	struct stat before, after;

	need_root();
	mkdir_owned(fx->home_fd, "d", TEST_UID);
	put_file(fx->home_fd, "d/f", "old", 3);
	snprintf(victim, sizeof(victim), "%s/victim", fx->outside);
	put_file(AT_FDCWD, victim, "keep me", 7);
	assert_int_equal(chown(victim, TEST_UID, TEST_UID), 0);
	assert_int_equal(symlinkat(victim, fx->home_fd, "d/link"), 0);
	assert_int_equal(fstatat(fx->home_fd, "d/f", &before, 0), 0);

	assert_int_equal(userfs_apply(&job, &err), 0);
	assert_int_equal(fstatat(fx->home_fd, "d/f", &after, 0), 0);
	assert_true(before.st_ino != after.st_ino);
	assert_file(fx->home_fd, "d/f", "new");
	assert_owned(fx->home_fd, "d/f", TEST_UID, 0600);
	assert_file(fx->home_fd, "d/link", "mine");
	assert_file(AT_FDCWD, victim, "keep me");
}

static void test_apply_symlink_dir(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{UNITS, "web.container", "[Container]\n", 12}};
	struct userfs_job job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);

	need_root();
	assert_int_equal(symlinkat(fx->outside, fx->home_fd, ".config"), 0);
	assert_int_equal(userfs_apply(&job, &err), -ELOOP);
	assert_int_equal(err.err, -ELOOP);
	assert_string_equal(err.msg, UNITS ": a symlink is in the way");
	assert_int_equal(count_entries(fx->outside), 0);

	/* Deeper down, and dangling: mkdir must not create the target either. */
	assert_int_equal(unlinkat(fx->home_fd, ".config", 0), 0);
	mkdir_owned(fx->home_fd, ".config", TEST_UID);
	assert_int_equal(symlinkat(fx->outside, fx->home_fd, ".config/containers"), 0);
	assert_int_equal(userfs_apply(&job, &err), -ELOOP);
	assert_int_equal(count_entries(fx->outside), 0);
	assert_int_equal(unlinkat(fx->home_fd, ".config/containers", 0), 0);
	assert_int_equal(
		symlinkat("/nonexistent-tailpod-userfs", fx->home_fd, ".config/containers"), 0);
	assert_int_equal(userfs_apply(&job, &err), -ELOOP);
	assert_int_equal(access("/nonexistent-tailpod-userfs", F_OK), -1);
}

/* A hard link planted at the name (as root here; protected_hardlinks stops a user doing it to a
 * file not theirs): the rename replaces the link, the other inode keeps its content. */
static void test_apply_hard_link(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{UNITS, "web.container", "[Container]\n", 12}};
	struct userfs_job job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);
	char victim[128], target[160];
	struct stat st;

	need_root();
	mkdir_owned(fx->home_fd, UNITS, TEST_UID);
	snprintf(victim, sizeof(victim), "%s/victim", fx->outside);
	snprintf(target, sizeof(target), "%s/" UNITS "/web.container", fx->home);
	put_file(AT_FDCWD, victim, "keep me", 7);
	assert_int_equal(link(victim, target), 0);

	assert_int_equal(userfs_apply(&job, &err), 0);
	assert_file(AT_FDCWD, victim, "keep me");
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_uid, 0);
	assert_file(fx->home_fd, UNITS "/web.container", "[Container]\n");
	assert_owned(fx->home_fd, UNITS "/web.container", TEST_UID, 0600);
}

/* A root-owned directory in the way stops the user: proof that the writer is not root. */
static void test_apply_as_user(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{UNITS, "web.container", "x", 1}};
	struct userfs_job job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);

	need_root();
	mkdir_owned(fx->home_fd, ".config", 0);
	assert_int_equal(userfs_apply(&job, &err), -EACCES);
	assert_string_equal(err.msg, UNITS ": permission denied");
	assert_int_equal(faccessat(fx->home_fd, ".config/containers", F_OK, 0), -1);

	/* The same for a file: a root-owned 0755 directory holding the target. */
	mkdir_owned(fx->home_fd, UNITS, 0);
	assert_int_equal(userfs_apply(&job, &err), -EACCES);
	assert_string_equal(err.msg, UNITS "/web.container: permission denied");
}

static void test_apply_removes(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{"d", "gone", "1", 1}, {"d", "kept", "2", 1}};
	const struct userfs_remove rm[] = {
		{"d", "gone"}, {"d", "missing"}, {"nodir/x", "y"}, {"d/kept", "y"}};
	const struct userfs_remove rm_link[] = {{"lnk", "victim"}};
	struct userfs_job job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);
	char victim[128];

	need_root();
	assert_int_equal(userfs_apply(&job, &err), 0);
	job = job_of(fx, NULL, 0, rm, ARRAY_SIZE(rm));
	assert_int_equal(userfs_apply(&job, &err), 0);
	assert_int_equal(faccessat(fx->home_fd, "d/gone", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_file(fx->home_fd, "d/kept", "2");

	snprintf(victim, sizeof(victim), "%s/victim", fx->outside);
	put_file(AT_FDCWD, victim, "keep me", 7);
	assert_int_equal(chown(victim, TEST_UID, TEST_UID), 0);
	assert_int_equal(symlinkat(fx->outside, fx->home_fd, "lnk"), 0);
	job = job_of(fx, NULL, 0, rm_link, ARRAY_SIZE(rm_link));
	assert_int_equal(userfs_apply(&job, &err), -ELOOP);
	assert_string_equal(err.msg, "lnk/victim: a symlink is in the way");
	assert_file(AT_FDCWD, victim, "keep me");
}

/* An app's tree (issue 22): a name with sub-directories creates them, 0700, as the user; its
 * removal takes the directories it empties along, deepest first, and never dir itself. */
static void test_apply_tree(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{UNITS, "app/conf/nginx/site.conf", "s", 1},
					 {UNITS, "app/conf/app.env", "A=1\n", 4},
					 {UNITS, "app/web.container", "[Container]\n", 12}};
	const struct userfs_remove rm_site[] = {{UNITS, "app/conf/nginx/site.conf"}};
	const struct userfs_remove rm_rest[] = {{UNITS, "app/conf/app.env"},
						{UNITS, "app/web.container"}};
	struct userfs_job job = job_of(fx, w, ARRAY_SIZE(w), NULL, 0);

	need_root();
	assert_int_equal(userfs_apply(&job, &err), 0);
	assert_file(fx->home_fd, UNITS "/app/conf/nginx/site.conf", "s");
	assert_owned(fx->home_fd, UNITS "/app/conf/nginx", TEST_UID, 0700);
	assert_owned(fx->home_fd, UNITS "/app/conf/app.env", TEST_UID, 0600);
	assert_int_equal(
		userfs_file_matches(fx->home_fd, UNITS, "app/conf/app.env", "A=1\n", 4, &err), 1);
	job = job_of(fx, NULL, 0, rm_site, 1);
	assert_int_equal(userfs_apply(&job, &err), 0);
	assert_int_equal(faccessat(fx->home_fd, UNITS "/app/conf/nginx", F_OK, AT_SYMLINK_NOFOLLOW),
			 -1);
	assert_file(fx->home_fd, UNITS "/app/conf/app.env", "A=1\n");
	job = job_of(fx, NULL, 0, rm_rest, ARRAY_SIZE(rm_rest));
	assert_int_equal(userfs_apply(&job, &err), 0);
	assert_int_equal(faccessat(fx->home_fd, UNITS "/app", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(faccessat(fx->home_fd, UNITS, F_OK, AT_SYMLINK_NOFOLLOW), 0);
}

/* Writes run first, removes after; the first failure stops the job. */
static void test_apply_order(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{"d", "f", "1", 1}, {"d/f", "g", "2", 1}};
	const struct userfs_remove rm[] = {{"d", "f"}};
	struct userfs_job job = job_of(fx, w, 1, rm, 1);

	need_root();
	assert_int_equal(userfs_apply(&job, &err), 0);
	assert_int_equal(faccessat(fx->home_fd, "d/f", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	job = job_of(fx, w, 2, rm, 1);
	assert_int_equal(userfs_apply(&job, &err), -ENOTDIR);
	assert_string_equal(err.msg, "d/f: not a directory");
	assert_file(fx->home_fd, "d/f", "1");
}

static void test_apply_invalid(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write ok[] = {{"d", "f", "x", 1}};
	const struct userfs_write bad_name[] = {{"d", "a/../b", "x", 1}};
	const struct userfs_write dotdot[] = {{"d", "..", "x", 1}};
	const struct userfs_write bad_dir[] = {{"a/../b", "f", "x", 1}};
	const struct userfs_write abs_dir[] = {{"/etc", "passwd", "x", 1}};
	const struct userfs_write no_data[] = {{"d", "f", NULL, 1}};
	const struct userfs_write too_big[] = {{"d", "f", "x", USERFS_FILE_MAX + 1}};
	const struct userfs_remove bad_rm[] = {{"d", ".."}};
	struct userfs_job job = job_of(fx, ok, 1, NULL, 0);
	char want[ERROR_MSG_MAX];

	job.uid = 0;
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	snprintf(want, sizeof(want), "refusing to write as uid 0 gid %u: not a workload user",
		 (unsigned)fx->uid);
	assert_string_equal(err.msg, want);
	job = job_of(fx, ok, 1, NULL, 0);
	job.gid = 0;
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	job = job_of(fx, ok, 1, NULL, 0);
	job.uid = (uid_t)-1;
	assert_int_equal(userfs_apply(&job, NULL), -EINVAL);

	job = job_of(fx, bad_name, 1, NULL, 0);
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "d: invalid file name 'a/../b': a relative path without '.' or '..' "
			    "expected");
	job = job_of(fx, dotdot, 1, NULL, 0);
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	job = job_of(fx, bad_dir, 1, NULL, 0);
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	job = job_of(fx, abs_dir, 1, NULL, 0);
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	job = job_of(fx, no_data, 1, NULL, 0);
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	job = job_of(fx, too_big, 1, NULL, 0);
	assert_int_equal(userfs_apply(&job, &err), -EFBIG);
	job = job_of(fx, ok, 1, bad_rm, 1);
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);

	/* The count is checked before any entry is looked at. */
	job = job_of(fx, ok, USERFS_OPS_MAX, bad_rm, 1);
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	assert_string_equal(err.msg, "4096 writes and 1 removes, more than the limit of 4096 "
				     "operations");
	job = job_of(fx, ok, 1, NULL, 0);
	job.home_fd = -1;
	assert_int_equal(userfs_apply(&job, &err), -EINVAL);
	assert_int_equal(userfs_apply(NULL, &err), -EINVAL);
	assert_int_equal(count_entries(fx->home), 0);

	job = job_of(fx, NULL, 0, NULL, 0);
	assert_int_equal(userfs_apply(&job, &err), 0);
}

/* The writer's user stops it: the parent kills it at the deadline. */
static void test_apply_timeout(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{"d", "f", "x", 1}};
	struct userfs_job job = job_of(fx, w, 1, NULL, 0);

	need_root();
	fork_mode = FORK_STOP;
	job.timeout_ms = 1000;
	assert_int_equal(userfs_apply(&job, &err), -ETIMEDOUT);
	assert_string_equal(err.msg, "writer timed out after 1 s");
	job.timeout_ms = 150;
	assert_int_equal(userfs_apply(&job, &err), -ETIMEDOUT);
	assert_string_equal(err.msg, "writer timed out after 150 ms");
	assert_int_equal(count_entries(fx->home), 0);
}

static void test_apply_writer_died(void **state)
{
	struct fixture *fx = *state;
	struct userfs_error err = {0};
	const struct userfs_write w[] = {{"d", "f", "x", 1}};
	struct userfs_job job = job_of(fx, w, 1, NULL, 0);

	need_root();
	fork_mode = FORK_KILL;
	assert_int_equal(userfs_apply(&job, &err), -EPROTO);
	assert_string_equal(err.msg, "writer died: killed by signal 9");
	assert_int_equal(count_entries(fx->home), 0);
}

#define BOTH(t)                                                                                    \
	{#t "/openat2", t, setup, teardown, &fx_openat2},                                          \
	{                                                                                          \
#t "/walk", t, setup, teardown, &fx_walk                                           \
	}
#define ONCE(t)                                                                                    \
	{                                                                                          \
#t, t, setup, teardown, &fx_openat2                                                \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ONCE(test_home_open),	      ONCE(test_home_open_other_owner),
		ONCE(test_home_open_symlink), ONCE(test_home_open_errors),
		ONCE(test_home_private),      BOTH(test_matches_mount),
		BOTH(test_apply_mount),	      BOTH(test_matches_plain),
		ONCE(test_matches_large),     BOTH(test_matches_symlinks),
		ONCE(test_matches_special),   ONCE(test_matches_invalid),
		ONCE(test_apply_creates),     ONCE(test_apply_replaces),
		BOTH(test_apply_symlink_dir), ONCE(test_apply_hard_link),
		ONCE(test_apply_as_user),     BOTH(test_apply_removes),
		ONCE(test_apply_tree),	      ONCE(test_apply_order),
		ONCE(test_apply_invalid),     ONCE(test_apply_timeout),
		ONCE(test_apply_writer_died), BOTH(test_matches_stamp),
		ONCE(test_home_open_private),
	};

	/* First, before a fixture opens a directory: an fd opened in the host's namespace would not
	 * see the mounts made in ours. Not root: the mount tests skip. */
	(void)scratch_private_mounts();
	if (pthread_atfork(NULL, NULL, fork_child_hook) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
