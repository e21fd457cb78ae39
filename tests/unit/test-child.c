/* test-child.c: unit tests for core/child, the supervise-and-reap of exec, userfs and fetchjail:
 * a report read whole, end of file when the child leaves without one, the deadline and the kill
 * after it, the reap whatever the caller did with SIGCHLD (ignored, or a handler that reaps
 * everything), SIGPIPE blocked while the child lives, and the caller's signal mask given back
 * (and given to the child). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"

/* What the child is told to do. */
enum how { REPORT, LEAVE, HANG, REPORT_MASK };

static void run(const void *arg, int fd)
{
	enum how how = *(const enum how *)arg;
	sigset_t mask;
	int usr1;

	switch (how) {
	case REPORT:
		_exit(write(fd, "report!", 7) == 7 ? 0 : 1);
	case LEAVE:
		_exit(3);
	case HANG:
		for (;;)
			pause();
	case REPORT_MASK:
		sigprocmask(SIG_SETMASK, NULL, &mask);
		usr1 = sigismember(&mask, SIGUSR1) + 2 * sigismember(&mask, SIGCHLD);
		_exit(write(fd, &usr1, sizeof(usr1)) == (ssize_t)sizeof(usr1) ? 0 : 1);
	}
	_exit(99);
}

static int start(struct child *c, enum how how)
{
	static enum how arg;

	arg = how;
	return child_start(c, run, &arg);
}

static void test_report(void **state)
{
	struct child c;
	char buf[8] = {0};
	int status = -1;

	(void)state;
	assert_int_equal(start(&c, REPORT), 0);
	assert_int_equal(child_read(&c, buf, 7, clock_now_ms() + 5000), 0);
	assert_string_equal(buf, "report!");
	assert_int_equal(child_finish(&c, false, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(c.fd, -1);
}

static void test_leaves_without_report(void **state)
{
	struct child c;
	char buf[8];
	int status = -1;

	(void)state;
	assert_int_equal(start(&c, LEAVE), 0);
	assert_int_equal(child_read(&c, buf, sizeof(buf), clock_now_ms() + 5000), -EPIPE);
	assert_int_equal(child_finish(&c, false, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

static void test_deadline_and_kill(void **state)
{
	struct child c;
	char buf[8];
	uint64_t t0 = clock_now_ms();
	int status = -1;

	(void)state;
	assert_int_equal(start(&c, HANG), 0);
	assert_int_equal(child_read(&c, buf, sizeof(buf), t0 + 200), -ETIMEDOUT);
	assert_true(clock_now_ms() >= t0 + 200);
	assert_true(clock_now_ms() < t0 + 3000);
	assert_int_equal(child_finish(&c, true, &status), 0);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static volatile sig_atomic_t handler_reaped;

static void reap_everything(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		handler_reaped++;
}

/* A caller that ignores SIGCHLD (the kernel would reap) or reaps every child in a handler must not
 * take the status from us. */
static void test_caller_sigchld(void **state)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, reaper = {.sa_handler = reap_everything},
			 old;
	struct child c;
	char buf[8];
	int status = -1;

	(void)state;
	assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
	assert_int_equal(start(&c, LEAVE), 0);
	assert_int_equal(child_read(&c, buf, sizeof(buf), clock_now_ms() + 5000), -EPIPE);
	usleep(50 * 1000);
	assert_int_equal(child_finish(&c, false, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	assert_int_equal(sigaction(SIGCHLD, NULL, &ign), 0);
	assert_true(ign.sa_handler == SIG_IGN); /* given back */

	assert_int_equal(sigaction(SIGCHLD, &reaper, NULL), 0);
	handler_reaped = 0;
	assert_int_equal(start(&c, LEAVE), 0);
	assert_int_equal(child_read(&c, buf, sizeof(buf), clock_now_ms() + 5000), -EPIPE);
	usleep(50 * 1000);
	assert_int_equal(child_finish(&c, false, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	assert_int_equal(handler_reaped, 0);
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
}

/* While the child lives SIGCHLD and SIGPIPE are blocked here; the child itself gets the caller's
 * mask; afterwards the caller's mask is back and a SIGPIPE of our own is not delivered late. */
static void test_masks(void **state)
{
	sigset_t usr1, now;
	struct child c;
	int bits = -1, status;

	(void)state;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, NULL), 0);
	assert_int_equal(start(&c, REPORT_MASK), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, NULL, &now), 0);
	assert_true(sigismember(&now, SIGCHLD) && sigismember(&now, SIGPIPE));
	assert_int_equal(child_read(&c, &bits, sizeof(bits), clock_now_ms() + 5000), 0);
	assert_int_equal(bits, 1); /* SIGUSR1 blocked as by the caller, SIGCHLD not */
	assert_int_equal(raise(SIGPIPE), 0);
	assert_int_equal(child_finish(&c, false, &status), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, NULL, &now), 0);
	assert_true(sigismember(&now, SIGUSR1));
	assert_false(sigismember(&now, SIGCHLD) || sigismember(&now, SIGPIPE));
	assert_int_equal(sigprocmask(SIG_UNBLOCK, &usr1, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_leaves_without_report),
		cmocka_unit_test(test_deadline_and_kill),
		cmocka_unit_test(test_caller_sigchld),
		cmocka_unit_test(test_masks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
