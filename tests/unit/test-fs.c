/* test-fs.c: unit tests for core/fs: atomic writes (content, mode, owner, no temp left behind, old
 * content kept when the write or the rename fails), the *_beneath functions against planted
 * symlinks, ".." and magic links and (FS_BENEATH_NO_XDEV) mount points, each run twice (openat2,
 * then the forced O_NOFOLLOW walk) plus once with openat2 denied by seccomp, and bounded reads.
 * The mount tests mount only in the test process's own private mount namespace. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "scratch.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	TEST_SYS_OPENAT2 = 437,
	TEST_READ_MAX = 65536,
	TEST_SKIP_EXIT = 77 /* a forked check that cannot run here */
};

/* One scratch tree per test: root (the tree we work beneath) and outside (a symlink target). */
struct fixture {
	bool walk;
	char base[64];
	char root[96];
	char outside[96];
	int rootfd;
};

static struct fixture fx_openat2 = {.walk = false};
static struct fixture fx_walk = {.walk = true};

/* The absolute path of relpath beneath root, in one of two buffers used in turn: it lasts until
 * the next call but one, enough for both arguments of mount(2). */
static const char *test_mount_path(const struct fixture *fx, const char *relpath)
{
	static char path[2][192];
	static unsigned turn;
	char *p = path[turn++ % 2];

	snprintf(p, sizeof(path[0]), "%s/%s", fx->root, relpath);
	return p;
}

static int setup(void **state)
{
	struct fixture *fx = *state;

	fs_beneath_force_walk(fx->walk);
	snprintf(fx->base, sizeof(fx->base), "/tmp/test-fs.XXXXXX");
	if (!mkdtemp(fx->base))
		return -1;
	snprintf(fx->root, sizeof(fx->root), "%s/root", fx->base);
	snprintf(fx->outside, sizeof(fx->outside), "%s/outside", fx->base);
	if (mkdir(fx->root, 0755) < 0 || mkdir(fx->outside, 0755) < 0)
		return -1;
	fx->rootfd = open(fx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fx->rootfd < 0 ? -1 : 0;
}

/* Where the mount tests mount, beneath root (a tmpfs, a bind mount of a/b). */
static const char *const test_mounts[] = {"a/m", "a/bm"};

static int teardown(void **state)
{
	struct fixture *fx = *state;

	/* A failed mount test may leave its mounts: they would keep the scratch tree busy. */
	for (size_t i = 0; i < ARRAY_LEN(test_mounts); i++)
		(void)umount2(test_mount_path(fx, test_mounts[i]), MNT_DETACH);
	close(fx->rootfd);
	fs_beneath_force_walk(false);
	return scratch_remove(fx->base);
}

static void put_file(int dirfd, const char *name, const char *content)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void assert_file(int dirfd, const char *name, const char *content)
{
	char buf[256];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, content);
}

static int count_entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* root/a/b/file, root/a/file, root/a/etc -> /etc, root/a/out -> outside, root/a/in -> b. */
static void plant_tree(struct fixture *fx)
{
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "a/b", 0755), 1);
	put_file(fx->rootfd, "a/b/file", "inside");
	put_file(fx->rootfd, "a/file", "plain");
	assert_int_equal(symlinkat("/etc", fx->rootfd, "a/etc"), 0);
	assert_int_equal(symlinkat(fx->outside, fx->rootfd, "a/out"), 0);
	assert_int_equal(symlinkat("b", fx->rootfd, "a/in"), 0);
	assert_int_equal(symlinkat("/etc/passwd", fx->rootfd, "a/passwd"), 0);
	assert_int_equal(symlinkat("/nonexistent-tailpod-test", fx->rootfd, "a/dangling"), 0);
}

static void test_open_plain(void **state)
{
	struct fixture *fx = *state;
	char buf[16] = {0};
	int fd = -1;

	plant_tree(fx);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/b/file", O_RDONLY, 0, &fd), 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 6);
	assert_string_equal(buf, "inside");
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(fs_open_beneath(fx->rootfd, "./a//b/./file", O_RDONLY, 0, &fd), 0);
	close(fd);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/b", O_PATH | O_DIRECTORY, 0, &fd), 0);
	close(fd);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/missing", O_RDONLY, 0, &fd), -ENOENT);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/file/x", O_RDONLY, 0, &fd), -ENOTDIR);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/b/file", O_RDONLY, 0, NULL), -EINVAL);
}

static void test_open_create_mode(void **state)
{
	struct fixture *fx = *state;
	struct stat st;
	mode_t old = umask(022);
	int fd = -1;

	plant_tree(fx);
	assert_int_equal(
		fs_open_beneath(fx->rootfd, "a/b/new", O_WRONLY | O_CREAT | O_EXCL, 0640, &fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	close(fd);
	assert_int_equal(
		fs_open_beneath(fx->rootfd, "a/b/new", O_WRONLY | O_CREAT | O_EXCL, 0640, &fd),
		-EEXIST);
	umask(old);
}

static void test_symlink_mid_path(void **state)
{
	struct fixture *fx = *state;
	char planted[128];
	int fd = -1;

	plant_tree(fx);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/etc/passwd", O_RDONLY, 0, &fd), -ELOOP);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/etc/passwd", O_PATH, 0, &fd), -ELOOP);
	/* Even a link that stays inside the tree is refused. */
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/in/file", O_RDONLY, 0, &fd), -ELOOP);
	assert_int_equal(
		fs_open_beneath(fx->rootfd, "a/out/planted", O_WRONLY | O_CREAT, 0644, &fd),
		-ELOOP);
	snprintf(planted, sizeof(planted), "%s/planted", fx->outside);
	assert_int_equal(access(planted, F_OK), -1);
	assert_int_equal(fd, -1);
}

static void test_symlink_final(void **state)
{
	struct fixture *fx = *state;
	int fd = -1;

	plant_tree(fx);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/passwd", O_RDONLY, 0, &fd), -ELOOP);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/passwd", O_PATH, 0, &fd), -ELOOP);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/passwd", O_PATH | O_NOFOLLOW, 0, &fd),
			 -ELOOP);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/in", O_PATH | O_DIRECTORY, 0, &fd), -ELOOP);
	/* O_CREAT through a dangling link must not create its target. */
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/dangling", O_WRONLY | O_CREAT, 0644, &fd),
			 -ELOOP);
	assert_int_equal(access("/nonexistent-tailpod-test", F_OK), -1);
	assert_int_equal(fd, -1);
}

static void test_escape_attempts(void **state)
{
	struct fixture *fx = *state;
	char deep[FS_DEPTH_MAX * 2 + 8];
	char *longp = malloc(PATH_MAX + 2);
	int fd = -1;

	plant_tree(fx);
	assert_int_equal(fs_open_beneath(fx->rootfd, "../outside", O_RDONLY, 0, &fd), -EXDEV);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/../../outside", O_RDONLY, 0, &fd), -EXDEV);
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/b/..", O_PATH, 0, &fd), -EXDEV);
	/* ".." is refused even when it would stay inside. */
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/b/../file", O_RDONLY, 0, &fd), -EXDEV);
	assert_int_equal(fs_open_beneath(fx->rootfd, "/etc/passwd", O_RDONLY, 0, &fd), -EXDEV);
	assert_int_equal(fs_open_beneath(fx->rootfd, "", O_RDONLY, 0, &fd), -EINVAL);
	assert_int_equal(fs_open_beneath(fx->rootfd, "././/", O_RDONLY, 0, &fd), -EINVAL);
	assert_int_equal(fs_open_beneath(fx->rootfd, NULL, O_RDONLY, 0, &fd), -EINVAL);

	deep[0] = '\0';
	for (int i = 0; i <= FS_DEPTH_MAX; i++)
		strcat(deep, i ? "/a" : "a");
	assert_int_equal(fs_open_beneath(fx->rootfd, deep, O_RDONLY, 0, &fd), -ENAMETOOLONG);
	assert_non_null(longp);
	memset(longp, 'x', PATH_MAX + 1);
	longp[PATH_MAX + 1] = '\0';
	assert_int_equal(fs_open_beneath(fx->rootfd, longp, O_RDONLY, 0, &fd), -ENAMETOOLONG);
	free(longp);
	assert_int_equal(fd, -1);
}

/* /proc/PID/root is a magic link to "/": never crossed. */
static void test_magic_link(void **state)
{
	struct fixture *fx = *state;
	char path[64];
	int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = -1;

	(void)fx;
	assert_true(proc >= 0);
	snprintf(path, sizeof(path), "%d/root/etc/passwd", (int)getpid());
	assert_int_equal(fs_open_beneath(proc, path, O_RDONLY, 0, &fd), -ELOOP);
	snprintf(path, sizeof(path), "%d/exe", (int)getpid());
	assert_int_equal(fs_open_beneath(proc, path, O_RDONLY, 0, &fd), -ELOOP);
	snprintf(path, sizeof(path), "%d/status", (int)getpid());
	assert_int_equal(fs_open_beneath(proc, path, O_RDONLY, 0, &fd), 0);
	close(fd);
	close(proc);
}

static void test_mkdir_beneath(void **state)
{
	struct fixture *fx = *state;
	struct stat st;
	char victim[128];

	plant_tree(fx);
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "x/y/z", 0750), 1);
	assert_int_equal(fstatat(fx->rootfd, "x/y/z", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "x/y/z", 0750), 0);
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "x//y/./w/", 0750), 1);
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "a/out/planted", 0755), -ELOOP);
	snprintf(victim, sizeof(victim), "%s/planted", fx->outside);
	assert_int_equal(access(victim, F_OK), -1);
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "a/in", 0755), -ELOOP);
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "a/file/sub", 0755), -ENOTDIR);
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "a/../x", 0755), -EXDEV);
	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "/tmp/x", 0755), -EXDEV);
}

static void test_unlink_beneath(void **state)
{
	struct fixture *fx = *state;
	char victim[128];
	struct stat st;

	plant_tree(fx);
	snprintf(victim, sizeof(victim), "%s/victim", fx->outside);
	put_file(AT_FDCWD, victim, "keep me");

	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/out/victim", 0), -ELOOP);
	assert_file(AT_FDCWD, victim, "keep me");
	/* A final symlink is removed itself, never its target. */
	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/out", 0), 0);
	assert_int_equal(fstatat(fx->rootfd, "a/out", &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_file(AT_FDCWD, victim, "keep me");

	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/b/file", 0), 0);
	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/b/file", 0), -ENOENT);
	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/b", AT_REMOVEDIR), 0);
	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/file", AT_REMOVEDIR), -ENOTDIR);
	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/file", AT_SYMLINK_NOFOLLOW), -EINVAL);
	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/..", 0), -EXDEV);
	assert_int_equal(fs_unlink_beneath(fx->rootfd, "a/file", 0), 0);
}

/* root/a/m: a tmpfs holding f; root/a/bm: a bind mount of root/a/b (the same device). */
static void plant_mounts(struct fixture *fx)
{
	if (scratch_private_mounts() < 0)
		skip(); /* not root: no namespace of our own, and no mount outside one */
	plant_tree(fx);
	assert_int_equal(mkdirat(fx->rootfd, "a/m", 0755), 0);
	assert_int_equal(mkdirat(fx->rootfd, "a/bm", 0755), 0);
	assert_int_equal(mount("tailpod-test", test_mount_path(fx, "a/m"), "tmpfs", 0, "mode=0755"),
			 0);
	assert_int_equal(
		mount(test_mount_path(fx, "a/b"), test_mount_path(fx, "a/bm"), NULL, MS_BIND, NULL),
		0);
	put_file(fx->rootfd, "a/m/f", "mounted");
}

static void test_no_xdev(void **state)
{
	struct fixture *fx = *state;
	char buf[16] = {0};
	int fd = -1, mfd;

	plant_mounts(fx);
	/* Without the flag a mount is crossed, as /run/user/UID must be for mint-key. */
	assert_int_equal(fs_open_beneath(fx->rootfd, "a/m/f", O_RDONLY, 0, &fd), 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 7);
	assert_string_equal(buf, "mounted"); /* the tmpfs's f, not one beneath it */
	close(fd);
	fd = -1;
	assert_int_equal(
		fs_open_beneath_how(fx->rootfd, "a/m/f", O_RDONLY, 0, FS_BENEATH_NO_XDEV, &fd),
		-EXDEV);
	assert_int_equal(fs_open_beneath_how(fx->rootfd, "a/m", O_PATH | O_DIRECTORY, 0,
					     FS_BENEATH_NO_XDEV, &fd),
			 -EXDEV);
	assert_int_equal(fs_open_beneath_how(fx->rootfd, "a/m", O_RDONLY | O_DIRECTORY, 0,
					     FS_BENEATH_NO_XDEV, &fd),
			 -EXDEV);
	assert_int_equal(fs_mkdir_beneath_how(fx->rootfd, "a/m/x/y", 0700, FS_BENEATH_NO_XDEV),
			 -EXDEV);
	assert_int_equal(fs_unlink_beneath_how(fx->rootfd, "a/m/f", 0, FS_BENEATH_NO_XDEV), -EXDEV);
	assert_int_equal(fd, -1);
	mfd = openat(fx->rootfd, "a/m", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(mfd >= 0);
	assert_int_equal(count_entries(mfd), 1); /* f only: nothing created, nothing removed */
	assert_file(mfd, "f", "mounted");

	/* The root's own mount is no crossing, wherever the root is. */
	assert_int_equal(fs_open_beneath_how(mfd, "f", O_RDONLY, 0, FS_BENEATH_NO_XDEV, &fd), 0);
	close(fd);
	assert_int_equal(fs_mkdir_beneath_how(mfd, "x/y", 0700, FS_BENEATH_NO_XDEV), 1);
	assert_int_equal(fs_unlink_beneath_how(mfd, "x/y", AT_REMOVEDIR, FS_BENEATH_NO_XDEV), 0);
	close(mfd);
	assert_int_equal(
		fs_open_beneath_how(fx->rootfd, "a/b/file", O_RDONLY, 0, FS_BENEATH_NO_XDEV, &fd),
		0);
	close(fd);
	assert_int_equal(fs_mkdir_beneath_how(fx->rootfd, "a/b/c", 0700, FS_BENEATH_NO_XDEV), 1);
	assert_int_equal(
		fs_unlink_beneath_how(fx->rootfd, "a/b/c", AT_REMOVEDIR, FS_BENEATH_NO_XDEV), 0);
	assert_int_equal(fs_open_beneath_how(fx->rootfd, "a/b/file", O_RDONLY, 0, 1u << 7, &fd),
			 -EINVAL);

	/* A bind mount of the same file system: openat2 sees it; the walk compares devices only. */
	assert_int_equal(
		fs_open_beneath_how(fx->rootfd, "a/bm/file", O_RDONLY, 0, FS_BENEATH_NO_XDEV, &fd),
		fx->walk ? 0 : -EXDEV);
	if (fx->walk)
		close(fd);
	for (size_t i = 0; i < ARRAY_LEN(test_mounts); i++)
		assert_int_equal(umount2(test_mount_path(fx, test_mounts[i]), 0), 0);
}

static int deny_openat2(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_SYS_OPENAT2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = ARRAY_LEN(f), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* Without the hook: a kernel (or seccomp policy) without openat2 falls back by itself. */
static void test_openat2_denied(void **state)
{
	struct fixture *fx = *state;
	pid_t pid;
	int status;

	plant_tree(fx);
	fs_beneath_force_walk(false);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = -1;
		int ok;

		if (deny_openat2() < 0)
			_exit(TEST_SKIP_EXIT); /* no seccomp here: nothing to test */
		ok = syscall(TEST_SYS_OPENAT2, 0, "", NULL, 0) < 0 && errno == ENOSYS &&
		     fs_open_beneath(fx->rootfd, "a/b/file", O_RDONLY, 0, &fd) == 0 &&
		     fs_open_beneath(fx->rootfd, "a/etc/passwd", O_RDONLY, 0, &fd) == -ELOOP &&
		     fs_open_beneath(fx->rootfd, "a/passwd", O_RDONLY, 0, &fd) == -ELOOP &&
		     fs_unlink_beneath(fx->rootfd, "a/out/x", 0) == -ELOOP &&
		     fs_open_beneath_how(fx->rootfd, "a/b/file", O_RDONLY, 0, FS_BENEATH_NO_XDEV,
					 &fd) == 0;
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == TEST_SKIP_EXIT)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_write_atomic_new_and_replace(void **state)
{
	struct fixture *fx = *state;
	struct stat st1, st2;
	mode_t old = umask(077);

	assert_int_equal(fs_write_atomic(fx->rootfd, "f.conf", "one\n", 4, 0644), 0);
	assert_file(fx->rootfd, "f.conf", "one\n");
	assert_int_equal(fstatat(fx->rootfd, "f.conf", &st1, 0), 0);
	/* fchmod: the mode is exact, whatever the umask. */
	assert_int_equal(st1.st_mode & 07777, 0644);
	assert_int_equal(count_entries(fx->rootfd), 1);

	assert_int_equal(fs_write_atomic(fx->rootfd, "f.conf", "two\n", 4, 0600), 0);
	assert_file(fx->rootfd, "f.conf", "two\n");
	assert_int_equal(fstatat(fx->rootfd, "f.conf", &st2, 0), 0);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_true(st1.st_ino != st2.st_ino); /* replaced by rename, not rewritten in place */
	assert_int_equal(count_entries(fx->rootfd), 1);

	assert_int_equal(fs_write_atomic(fx->rootfd, "empty", NULL, 0, 0640), 0);
	assert_file(fx->rootfd, "empty", "");
	umask(old);
}

static void test_write_atomic_names(void **state)
{
	struct fixture *fx = *state;
	char name[NAME_MAX + 1];

	assert_int_equal(fs_write_atomic(fx->rootfd, "a/b", "x", 1, 0644), -EINVAL);
	assert_int_equal(fs_write_atomic(fx->rootfd, "", "x", 1, 0644), -EINVAL);
	assert_int_equal(fs_write_atomic(fx->rootfd, ".", "x", 1, 0644), -EINVAL);
	assert_int_equal(fs_write_atomic(fx->rootfd, "..", "x", 1, 0644), -EINVAL);
	assert_int_equal(fs_write_atomic(fx->rootfd, NULL, "x", 1, 0644), -EINVAL);
	assert_int_equal(fs_write_atomic(fx->rootfd, "f", NULL, 1, 0644), -EINVAL);
	assert_int_equal(fs_write_atomic(fx->rootfd, "f", "x", 1, 04755), -EINVAL);
	memset(name, 'n', sizeof(name));
	name[NAME_MAX - FS_TEMP_SUFFIX_LEN + 1] = '\0';
	assert_int_equal(fs_write_atomic(fx->rootfd, name, "x", 1, 0644), -ENAMETOOLONG);
	name[NAME_MAX - FS_TEMP_SUFFIX_LEN] = '\0';
	assert_int_equal(fs_write_atomic(fx->rootfd, name, "x", 1, 0644), 0);
	assert_int_equal(count_entries(fx->rootfd), 1);
}

/* The rename fails (a non-empty directory sits at the name): no temp may stay behind. */
static void test_write_atomic_rename_fails(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(fs_mkdir_beneath(fx->rootfd, "d", 0755), 1);
	put_file(fx->rootfd, "d/keep", "k");
	assert_int_equal(fs_write_atomic(fx->rootfd, "d", "x", 1, 0644), -EISDIR);
	assert_file(fx->rootfd, "d/keep", "k");
	assert_int_equal(count_entries(fx->rootfd), 1);
}

/* The write itself fails (RLIMIT_FSIZE in a child): the old content stays, no temp stays. */
static void test_write_atomic_write_fails(void **state)
{
	enum { BIG = 1024 * 1024 };
	struct fixture *fx = *state;
	pid_t pid;
	int status;

	put_file(fx->rootfd, "f", "old");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {.rlim_cur = 4096, .rlim_max = 4096};
		char *big = calloc(1, BIG);

		signal(SIGXFSZ, SIG_IGN);
		if (!big || setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		_exit(fs_write_atomic(fx->rootfd, "f", big, BIG, 0644) == -EFBIG ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_file(fx->rootfd, "f", "old");
	assert_int_equal(count_entries(fx->rootfd), 1);
}

/* A symlink at the name is replaced itself; its target is never written. */
static void test_write_atomic_over_symlink(void **state)
{
	struct fixture *fx = *state;
	char victim[128];
	struct stat st;

	snprintf(victim, sizeof(victim), "%s/victim", fx->outside);
	put_file(AT_FDCWD, victim, "keep me");
	assert_int_equal(symlinkat(victim, fx->rootfd, "link"), 0);
	assert_int_equal(fs_write_atomic(fx->rootfd, "link", "new", 3, 0644), 0);
	assert_int_equal(fstatat(fx->rootfd, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_file(fx->rootfd, "link", "new");
	assert_file(AT_FDCWD, victim, "keep me");
}

/* The directory fsync goes through a fresh fd: O_PATH dirfds and AT_FDCWD must work. */
static void test_write_atomic_dirfds(void **state)
{
	struct fixture *fx = *state;
	int opath = open(fx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	assert_true(opath >= 0);
	assert_true(cwd >= 0);
	assert_int_equal(fs_write_atomic(opath, "p", "o_path", 6, 0644), 0);
	assert_file(fx->rootfd, "p", "o_path");
	assert_int_equal(chdir(fx->root), 0);
	assert_int_equal(fs_write_atomic(AT_FDCWD, "c", "cwd", 3, 0644), 0);
	assert_int_equal(fchdir(cwd), 0);
	assert_file(fx->rootfd, "c", "cwd");
	assert_int_equal(count_entries(fx->rootfd), 2);
	assert_int_equal(fs_write_atomic(-1, "x", "x", 1, 0644), -EBADF);
	close(opath);
	close(cwd);
}

/* fs_write_all(): everything arrives through short writes; a socket whose peer left is -EPIPE,
 * not a SIGPIPE that would kill the test; a bad fd is -EBADF. */
static void test_write_all(void **state)
{
	enum { BIG = 1 << 20 };
	char *big = malloc(BIG), *got = malloc(BIG);
	size_t have = 0;
	int sv[2], p[2];
	pid_t pid;
	int status;

	(void)state;
	assert_non_null(big);
	assert_non_null(got);
	for (size_t i = 0; i < BIG; i++)
		big[i] = (char)(i * 7);
	/* A pipe holds 64 KiB: the writer must loop while a child drains it. */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(fs_write_all(p[1], big, BIG) == 0 ? 0 : 1);
	}
	close(p[1]);
	for (ssize_t n; (n = read(p[0], got + have, BIG - have)) > 0;)
		have += (size_t)n;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(have, BIG);
	assert_memory_equal(got, big, BIG);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(fs_write_all(sv[0], "x", 1), -EPIPE);
	close(sv[0]);
	assert_int_equal(fs_write_all(-1, "x", 1), -EBADF);
	assert_int_equal(fs_write_all(-1, "", 0), 0);
	free(big);
	free(got);
}

/* fs_open_parent() and fs_write_atomic_path(): the write beside the directory a path names. */
static void test_write_atomic_path(void **state)
{
	struct fixture *fx = *state;
	char path[192], longp[PATH_MAX + 16];
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *base = NULL;
	int dirfd = -1;
	struct stat st, want;

	assert_true(cwd >= 0);
	snprintf(path, sizeof(path), "%s/metrics.prom", fx->root);
	assert_int_equal(fs_write_atomic_path(path, "m 1\n", 4, 0640), 0);
	assert_file(fx->rootfd, "metrics.prom", "m 1\n");
	assert_int_equal(fstatat(fx->rootfd, "metrics.prom", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	assert_int_equal(fs_open_parent(path, &dirfd, &base), 0);
	assert_string_equal(base, "metrics.prom");
	assert_int_equal(fstat(dirfd, &st), 0);
	assert_int_equal(fstat(fx->rootfd, &want), 0);
	assert_true(st.st_ino == want.st_ino && st.st_dev == want.st_dev);
	close(dirfd);

	/* No '/': the current directory; "/x": the root directory. */
	assert_int_equal(chdir(fx->root), 0);
	assert_int_equal(fs_write_atomic_path("here", "h", 1, 0600), 0);
	assert_int_equal(fchdir(cwd), 0);
	assert_file(fx->rootfd, "here", "h");
	assert_int_equal(fs_open_parent("/etc", &dirfd, &base), 0);
	assert_string_equal(base, "etc");
	assert_int_equal(fstat(dirfd, &st), 0);
	assert_int_equal(stat("/", &want), 0);
	assert_true(st.st_ino == want.st_ino);
	close(dirfd);

	assert_int_equal(fs_open_parent("", &dirfd, &base), -EINVAL);
	assert_int_equal(fs_open_parent("/tmp/", &dirfd, &base), -EINVAL);
	assert_int_equal(fs_write_atomic_path("/nonexistent-dir/x", "x", 1, 0600), -ENOENT);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 3] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(fs_open_parent(longp, &dirfd, &base), -ENAMETOOLONG);
	close(cwd);
}

/* fs_atomic_*: the content given in pieces; until the commit the old file stays, and an abort
 * leaves nothing behind. */
static void test_atomic_file(void **state)
{
	struct fixture *fx = *state;
	struct fs_atomic_file f;
	char path[192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/status.json", fx->root);
	assert_int_equal(fs_write_atomic_path(path, "old", 3, 0600), 0);
	assert_int_equal(fs_atomic_begin(path, 0644, &f), 0);
	assert_int_equal(fs_atomic_write(&f, "{\"a\":", 5), 0);
	assert_int_equal(fs_atomic_write(&f, "1}", 2), 0);
	assert_file(fx->rootfd, "status.json", "old");
	assert_int_equal(count_entries(fx->rootfd), 2); /* and the temp */
	assert_int_equal(fs_atomic_commit(&f), 0);
	assert_file(fx->rootfd, "status.json", "{\"a\":1}");
	assert_int_equal(fstatat(fx->rootfd, "status.json", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_entries(fx->rootfd), 1);
	assert_int_equal(f.fd, -1);
	assert_int_equal(f.dirfd, -1);

	assert_int_equal(fs_atomic_begin(path, 0644, &f), 0);
	assert_int_equal(fs_atomic_write(&f, "half", 4), 0);
	fs_atomic_abort(&f);
	assert_file(fx->rootfd, "status.json", "{\"a\":1}");
	assert_int_equal(count_entries(fx->rootfd), 1);

	assert_int_equal(fs_atomic_begin(path, 04644, &f), -EINVAL);
	assert_int_equal(fs_atomic_begin("/nonexistent-dir/x", 0644, &f), -ENOENT);
	assert_int_equal(fs_atomic_write(&f, "x", 1), -EBADF);
}

static void test_write_atomic_owned(void **state)
{
	struct fixture *fx = *state;
	struct stat st;

	if (geteuid() != 0)
		skip();
	assert_int_equal(fs_write_atomic_owned(fx->rootfd, "o", "x", 1, 0600, 65534, 65534), 0);
	assert_int_equal(fstatat(fx->rootfd, "o", &st, 0), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fs_write_atomic_owned(fx->rootfd, "o", "y", 1, 0640, (uid_t)-1, 4242), 0);
	assert_int_equal(fstatat(fx->rootfd, "o", &st, 0), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 4242);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_read_bounded(void **state)
{
	struct fixture *fx = *state;
	char *buf = NULL;
	size_t len = 99;

	put_file(fx->rootfd, "f", "hello");
	put_file(fx->rootfd, "e", "");
	assert_int_equal(symlinkat("/etc/passwd", fx->rootfd, "l"), 0);
	assert_int_equal(mkfifoat(fx->rootfd, "fifo", 0600), 0);
	assert_int_equal(mkdirat(fx->rootfd, "d", 0755), 0);

	assert_int_equal(fs_read_bounded(fx->rootfd, "f", 5, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello");
	free(buf);
	buf = NULL;
	assert_int_equal(fs_read_bounded(fx->rootfd, "f", 4, &buf, &len), -EFBIG);
	assert_int_equal(fs_read_bounded(fx->rootfd, "e", 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	buf = NULL;
	assert_int_equal(fs_read_bounded(fx->rootfd, "l", 100, &buf, &len), -ELOOP);
	assert_int_equal(fs_read_bounded(fx->rootfd, "fifo", 100, &buf, &len), -EBADFD);
	assert_int_equal(fs_read_bounded(fx->rootfd, "d", 100, &buf, &len), -EISDIR);
	assert_int_equal(fs_read_bounded(fx->rootfd, "none", 100, &buf, &len), -ENOENT);
	assert_int_equal(fs_read_bounded(fx->rootfd, "f", (size_t)FS_READ_MAX + 1, &buf, &len),
			 -EINVAL);
	assert_null(buf);
}

/* procfs files say size 0: the buffer must grow, and the bound must still hold. */
static void test_read_bounded_unknown_size(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(fs_read_bounded(AT_FDCWD, "/proc/self/status", TEST_READ_MAX, &buf, &len),
			 0);
	assert_true(len > 100);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, "Pid:"));
	free(buf);
	buf = NULL;
	assert_int_equal(fs_read_bounded(AT_FDCWD, "/proc/self/status", 10, &buf, &len), -EFBIG);
	assert_null(buf);
}

/* Each *_beneath test twice, named after the path it takes. */
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
		BOTH(test_open_plain),
		BOTH(test_open_create_mode),
		BOTH(test_symlink_mid_path),
		BOTH(test_symlink_final),
		BOTH(test_escape_attempts),
		BOTH(test_magic_link),
		BOTH(test_mkdir_beneath),
		BOTH(test_unlink_beneath),
		BOTH(test_no_xdev),
		ONCE(test_openat2_denied),
		ONCE(test_write_atomic_new_and_replace),
		ONCE(test_write_atomic_names),
		ONCE(test_write_atomic_rename_fails),
		ONCE(test_write_atomic_write_fails),
		ONCE(test_write_atomic_over_symlink),
		ONCE(test_write_atomic_dirfds),
		ONCE(test_write_atomic_owned),
		ONCE(test_write_atomic_path),
		ONCE(test_atomic_file),
		ONCE(test_write_all),
		ONCE(test_read_bounded),
		ONCE(test_read_bounded_unknown_size),
	};

	/* First, before a fixture opens a directory: an fd opened in the host's namespace would not
	 * see the mounts made in ours. Not root: the mount tests skip. */
	(void)scratch_private_mounts();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
