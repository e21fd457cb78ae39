/* test-seccomp.c: unit tests for core/seccomp with real processes: each case forks a child that
 * installs the fetch filter and then tries one thing. What a fetch does (files, sockets of the
 * three families, threads) works; exec, fork, ptrace, namespaces, id changes and mounts kill the
 * child with SIGSYS; a netlink socket fails with EAFNOSUPPORT; clone3 fails with ENOSYS so that a
 * C library falls back to clone(), whose flags the filter can see. */
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
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp.h"

enum { CHILD_OK = 0, CHILD_WRONG = 3, CHILD_NO_FILTER = 4 };

typedef int (*attempt_fn)(void);

/* The wait status of a child that installed the filter and ran attempt. */
static int run_filtered(attempt_fn attempt)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    seccomp_install_fetch_filter() < 0)
			_exit(CHILD_NO_FILTER);
		_exit(attempt());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_exit_ok(int status)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CHILD_OK);
}

static void assert_killed(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static int files(void)
{
	char buf[4];
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf)) != 0 || write(fd, "ok", 2) != 2 || close(fd) < 0)
		return CHILD_WRONG;
	return CHILD_OK;
}

static int inet_sockets(void)
{
	int families[] = {AF_UNIX, AF_INET, AF_INET6};

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		int fd = socket(families[i], SOCK_STREAM | SOCK_CLOEXEC, 0);

		/* A kernel without IPv6 says so; the filter must not be why. */
		if (fd < 0 && !(families[i] == AF_INET6 && errno == EAFNOSUPPORT))
			return CHILD_WRONG;
		if (fd >= 0)
			close(fd);
	}
	return CHILD_OK;
}

static int netlink_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);

	return fd < 0 && errno == EAFNOSUPPORT ? CHILD_OK : CHILD_WRONG;
}

static void *thread_body(void *arg)
{
	return arg;
}

static int a_thread(void)
{
	pthread_t t;
	void *ret = NULL;

	if (pthread_create(&t, NULL, thread_body, (void *)1) != 0 || pthread_join(t, &ret) != 0)
		return CHILD_WRONG;
	return ret == (void *)1 ? CHILD_OK : CHILD_WRONG;
}

static int raw_clone3(void)
{
	long r = syscall(SYS_clone3, NULL, 0);

	return r < 0 && errno == ENOSYS ? CHILD_OK : CHILD_WRONG;
}

static int an_exec(void)
{
	char *argv[] = {"true", NULL}, *envp[] = {NULL};

	execve("/bin/true", argv, envp);
	return CHILD_WRONG;
}

static int a_fork(void)
{
	/* what fork() is: clone() without CLONE_THREAD */
	syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	return CHILD_WRONG;
}

static int a_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	return CHILD_WRONG;
}

static int an_unshare(void)
{
	unshare(CLONE_NEWUSER);
	return CHILD_WRONG;
}

static int a_setuid(void)
{
	syscall(SYS_setresuid, -1, -1, -1);
	return CHILD_WRONG;
}

static int a_mount(void)
{
	mount("none", "/", NULL, MS_REMOUNT, NULL);
	return CHILD_WRONG;
}

static void test_fetch_needs_work(void **state)
{
	(void)state;
	assert_exit_ok(run_filtered(files));
	assert_exit_ok(run_filtered(inet_sockets));
	assert_exit_ok(run_filtered(a_thread));
}

static void test_other_socket_families_fail(void **state)
{
	(void)state;
	assert_exit_ok(run_filtered(netlink_socket));
}

static void test_clone3_falls_back(void **state)
{
	(void)state;
	assert_exit_ok(run_filtered(raw_clone3));
}

static void test_escapes_kill(void **state)
{
	attempt_fn escapes[] = {an_exec, a_fork, a_ptrace, an_unshare, a_setuid, a_mount};

	(void)state;
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++)
		assert_killed(run_filtered(escapes[i]));
}

/* Without the filter the same attempts do not die: the kills above are the filter's. */
static void test_unfiltered_control(void **state)
{
	int status = 0;
	pid_t pid = fork();

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(a_setuid() == CHILD_WRONG ? CHILD_OK : CHILD_WRONG);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_exit_ok(status);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_needs_work),
		cmocka_unit_test(test_other_socket_families_fail),
		cmocka_unit_test(test_clone3_falls_back),
		cmocka_unit_test(test_escapes_kill),
		cmocka_unit_test(test_unfiltered_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
