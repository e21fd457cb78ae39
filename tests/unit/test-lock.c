/* test-lock.c: unit tests for core/lock with real processes: a forked holder makes the parent's
 * attempt busy with the holder's pid, the lock frees itself when the holder exits (even by
 * SIGKILL), and bad paths (missing directory, symlink, hard link, directory, FIFO) are errors. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-lock.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/lock", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char p[128];

	unlink(fx->path);
	snprintf(p, sizeof(p), "%s/link", fx->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/fifo", fx->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub", fx->dir);
	rmdir(p);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
}

static void put_victim(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "victim\n", 7), 7);
	close(fd);
}

/* Fork a child that takes the lock, tells us through a pipe, and waits for us to close it. */
static pid_t spawn_holder(const char *path, int *ret_release)
{
	int ready[2], release[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(release, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lock l = LOCK_INIT;
		int r = lock_acquire(path, &l, NULL);

		c = r == 1 ? 'L' : 'E';
		close(ready[0]);
		close(release[1]);
		if (write(ready[1], &c, 1) != 1)
			_exit(3);
		/* Block until the parent closes its end (or dies). */
		while (read(release[0], &c, 1) > 0)
			;
		_exit(r == 1 ? 0 : 2);
	}
	close(ready[1]);
	close(release[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'L');
	close(ready[0]);
	*ret_release = release[1];
	return pid;
}

static void test_acquire_release(void **state)
{
	struct fixture *fx = *state;
	struct lock l = LOCK_INIT;
	pid_t holder = -1;
	char buf[64], want[32];
	struct stat st;
	mode_t old = umask(022);

	assert_int_equal(lock_acquire(fx->path, &l, &holder), 1);
	umask(old);
	assert_true(l.fd >= 0);
	assert_int_equal(holder, 0);
	assert_true(fcntl(l.fd, F_GETFD) & FD_CLOEXEC);
	read_file(fx->path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(buf, want);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	lock_release(&l);
	assert_int_equal(l.fd, -1);
	/* Not unlinked, but no longer names a holder. */
	read_file(fx->path, buf, sizeof(buf));
	assert_string_equal(buf, "");
	lock_release(&l);
	lock_release(NULL);

	assert_int_equal(lock_acquire(fx->path, &l, NULL), 1);
	lock_release(&l);
}

/* flock belongs to the open file: a second open in the same process is busy too. */
static void test_busy_same_process(void **state)
{
	struct fixture *fx = *state;
	struct lock a = LOCK_INIT, b = LOCK_INIT;
	pid_t holder = -1;

	assert_int_equal(lock_acquire(fx->path, &a, NULL), 1);
	assert_int_equal(lock_acquire(fx->path, &b, &holder), 0);
	assert_int_equal(b.fd, -1);
	assert_int_equal(holder, getpid());
	lock_release(&a);
	assert_int_equal(lock_acquire(fx->path, &b, &holder), 1);
	lock_release(&b);
}

static void test_busy_other_process(void **state)
{
	struct fixture *fx = *state;
	struct lock l = LOCK_INIT;
	pid_t holder = -1, pid;
	int release, status;

	pid = spawn_holder(fx->path, &release);
	assert_int_equal(lock_acquire(fx->path, &l, &holder), 0);
	assert_int_equal(holder, pid);
	assert_int_equal(l.fd, -1);
	/* Busy without asking who. */
	assert_int_equal(lock_acquire(fx->path, &l, NULL), 0);

	close(release);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(lock_acquire(fx->path, &l, &holder), 1);
	assert_int_equal(holder, 0);
	lock_release(&l);
}

/* SIGKILL gives no chance to clean up: the kernel still drops the lock with the fd. */
static void test_freed_when_holder_killed(void **state)
{
	struct fixture *fx = *state;
	struct lock l = LOCK_INIT;
	pid_t holder = -1, pid;
	int release, status;
	char buf[64], want[32];

	pid = spawn_holder(fx->path, &release);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	close(release);
	assert_int_equal(lock_acquire(fx->path, &l, &holder), 1);
	/* The stale pid is overwritten by the new holder. */
	read_file(fx->path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(buf, want);
	lock_release(&l);
}

/* A longer stale record with a shorter new pid: only the first line counts. */
static void test_holder_parse(void **state)
{
	struct fixture *fx = *state;
	struct lock a = LOCK_INIT, b = LOCK_INIT;
	pid_t holder = -1;
	int fd;

	fd = open(fx->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "999999999\ntrailing junk", 23), 23);
	close(fd);
	assert_int_equal(lock_acquire(fx->path, &a, NULL), 1);
	assert_int_equal(lock_acquire(fx->path, &b, &holder), 0);
	assert_int_equal(holder, getpid());
	lock_release(&a);

	/* Garbage in an unlocked file: busy callers get 0, not a wrong pid. */
	fd = open(fx->path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage\n", 8), 8);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(lock_acquire(fx->path, &b, &holder), 0);
	assert_int_equal(holder, 0);
	close(fd);
}

/* The holder's name: recorded by lock_acquire_as, read back by a busy caller; a name that is no
 * applet name is neither written nor believed. */
static void test_holder_name(void **state)
{
	struct fixture *fx = *state;
	struct lock a = LOCK_INIT, b = LOCK_INIT;
	struct lock_holder h;
	char buf[64], want[64];
	int fd;

	assert_int_equal(lock_acquire_as(fx->path, "gc", &a, &h), 1);
	assert_int_equal(h.pid, 0);
	read_file(fx->path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%ld\ngc\n", (long)getpid());
	assert_string_equal(buf, want);
	assert_int_equal(lock_acquire_as(fx->path, "sync", &b, &h), 0);
	assert_int_equal(h.pid, getpid());
	assert_string_equal(h.name, "gc");
	lock_release(&a);

	assert_int_equal(lock_acquire_as(fx->path, "no/such name", &a, NULL), 1);
	read_file(fx->path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(buf, want);
	lock_release(&a);

	/* A forged name, or one without its newline (cut short), is not believed. */
	fd = open(fx->path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "42\nEvil\x1b[1m\n", 12), 12);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(lock_acquire_as(fx->path, "gc", &b, &h), 0);
	assert_int_equal(h.pid, 42);
	assert_string_equal(h.name, "");
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "42\nsync", 7, 0), 7);
	assert_int_equal(lock_acquire_as(fx->path, "gc", &b, &h), 0);
	assert_string_equal(h.name, "");
	close(fd);
}

static void test_bad_paths(void **state)
{
	struct fixture *fx = *state;
	struct lock l = LOCK_INIT;
	char p[128], buf[64];

	snprintf(p, sizeof(p), "%s/missing/lock", fx->dir);
	assert_int_equal(lock_acquire(p, &l, NULL), -ENOENT);

	snprintf(p, sizeof(p), "%s/link", fx->dir);
	assert_int_equal(symlink(fx->path, p), 0);
	assert_int_equal(lock_acquire(p, &l, NULL), -ELOOP);
	/* Refused before anything was created at the target. */
	assert_int_equal(access(fx->path, F_OK), -1);

	snprintf(p, sizeof(p), "%s/sub", fx->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(lock_acquire(p, &l, NULL), -EISDIR);

	snprintf(p, sizeof(p), "%s/fifo", fx->dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(lock_acquire(p, &l, NULL), -EINVAL);

	/* A hard link to another file is refused before anything is written to it. */
	put_victim(fx->path);
	snprintf(p, sizeof(p), "%s/hard", fx->dir);
	assert_int_equal(link(fx->path, p), 0);
	assert_int_equal(lock_acquire(p, &l, NULL), -EMLINK);
	read_file(fx->path, buf, sizeof(buf));
	assert_string_equal(buf, "victim\n");
	unlink(p);

	assert_int_equal(lock_acquire("", &l, NULL), -EINVAL);
	assert_int_equal(lock_acquire(NULL, &l, NULL), -EINVAL);
	assert_int_equal(lock_acquire(fx->path, NULL, NULL), -EINVAL);
	assert_int_equal(l.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_acquire_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_same_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freed_when_holder_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holder_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holder_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
