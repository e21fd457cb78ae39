/* test-exec.c: unit tests for core/exec with real child processes (sh, cat, env, id, sleep, head):
 * exit and signal decoding, capture limits, stdin, environment, ids, process-group timeouts and
 * exec failures reported as negative errno. Bounds on elapsed time are generous on purpose. */
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	TEST_TIMEOUT_MS = 10000, /* for commands expected to finish at once */
	TEST_SLOW_MS = 10000,	 /* upper bound for a run that must be cut short by a timeout */
	TEST_CAP = 65536,
	TEST_DEAD_WAIT_MS = 5000,
	TEST_SKIP_EXIT = 77 /* a forked check that cannot run here */
};

static const char *const sh_env[] = {"PATH=" EXEC_SAFE_PATH, NULL};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int run_sh(const char *script, struct exec_result *res)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct exec_opts o = {
		.argv = argv,
		.envp = sh_env,
		.timeout_ms = TEST_TIMEOUT_MS,
		.out_max = TEST_CAP,
		.err_max = TEST_CAP,
	};

	return exec_run(&o, res);
}

/* Dead means gone or a zombie: an orphan's reaper may be slow or absent in a container. */
static bool pid_dead(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;
	bool dead = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		dead = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return dead;
}

static bool pid_dies(pid_t pid)
{
	uint64_t end = now_ms() + TEST_DEAD_WAIT_MS;

	while (!pid_dead(pid)) {
		if (now_ms() > end)
			return false;
		usleep(10000);
	}
	return true;
}

static void test_exit_status(void **state)
{
	struct exec_result r = {0};
	char buf[EXEC_DESCRIBE_MAX];

	(void)state;
	assert_int_equal(run_sh("exit 3", &r), 0);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 3);
	assert_false(r.timed_out);
	assert_false(exec_result_ok(&r));
	assert_string_equal(exec_status_describe(&r, buf, sizeof(buf)), "exited with status 3");
	exec_result_release(&r);

	assert_int_equal(run_sh("true", &r), 0);
	assert_true(exec_result_ok(&r));
	assert_non_null(r.out);
	assert_non_null(r.err);
	assert_string_equal(r.out, "");
	assert_int_equal(r.out_len, 0);
	exec_result_release(&r);
}

static void test_signal_status(void **state)
{
	struct exec_result r = {0};
	char buf[EXEC_DESCRIBE_MAX];

	(void)state;
	assert_int_equal(run_sh("kill -9 $$", &r), 0);
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGKILL);
	assert_false(r.timed_out);
	assert_string_equal(exec_status_describe(&r, buf, sizeof(buf)), "killed by signal 9");
	exec_result_release(&r);
}

static void test_describe(void **state)
{
	struct exec_result r = {0};
	char buf[EXEC_DESCRIBE_MAX], tiny[8];

	(void)state;
	r.status = 0x0100; /* exited 1, as the kernel encodes it */
	assert_string_equal(exec_status_describe(&r, buf, sizeof(buf)), "exited with status 1");
	r.timed_out = true;
	r.timeout_ms = 5000;
	assert_string_equal(exec_status_describe(&r, buf, sizeof(buf)), "timed out after 5 s");
	r.timeout_ms = 300;
	assert_string_equal(exec_status_describe(&r, buf, sizeof(buf)), "timed out after 300 ms");
	assert_string_equal(exec_status_describe(&r, tiny, sizeof(tiny)), "timed o");
	assert_string_equal(exec_status_describe(NULL, buf, sizeof(buf)), "did not run");
	exec_result_release(NULL);
	exec_result_release(&r);
	assert_false(r.timed_out);
}

static void test_capture_both(void **state)
{
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(run_sh("echo out; echo err >&2; printf 'a\\0b'", &r), 0);
	assert_int_equal(r.out_len, 7);
	assert_memory_equal(r.out, "out\na\0b", 8);
	assert_string_equal(r.err, "err\n");
	assert_false(r.out_truncated);
	assert_false(r.err_truncated);
	exec_result_release(&r);
}

static void test_flood_truncated(void **state)
{
	const char *argv[] = {"/usr/bin/head", "-c", "10000000", "/dev/zero", NULL};
	struct exec_opts o = {.argv = argv, .timeout_ms = 60000, .out_max = TEST_CAP};
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(exec_result_ok(&r));
	assert_int_equal(r.out_len, TEST_CAP);
	assert_true(r.out_truncated);
	assert_int_equal(r.out[TEST_CAP], '\0');
	exec_result_release(&r);
}

static void test_yes_timeout_truncated(void **state)
{
	const char *argv[] = {"/usr/bin/yes", NULL};
	struct exec_opts o = {.argv = argv, .timeout_ms = 1000, .out_max = TEST_CAP};
	struct exec_result r = {0};
	uint64_t start = now_ms();

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(now_ms() - start < TEST_SLOW_MS);
	assert_true(r.timed_out);
	assert_true(r.out_truncated);
	assert_int_equal(r.out_len, TEST_CAP);
	assert_memory_equal(r.out, "y\ny\n", 4);
	exec_result_release(&r);
}

static void test_err_cap(void **state)
{
	const char *argv[] = {"/bin/sh", "-c", "head -c 100 /dev/zero >&2; echo hi", NULL};
	struct exec_opts o = {
		.argv = argv, .envp = sh_env, .timeout_ms = TEST_TIMEOUT_MS, .err_max = 10};
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_int_equal(r.err_len, 10);
	assert_true(r.err_truncated);
	/* out_max 0 keeps nothing but still drains, and says so. */
	assert_int_equal(r.out_len, 0);
	assert_string_equal(r.out, "");
	assert_true(r.out_truncated);
	assert_true(exec_result_ok(&r));
	exec_result_release(&r);
}

static void test_stdin_roundtrip(void **state)
{
	const char *argv[] = {"/bin/cat", NULL};
	static const char secret[] = "hunter2\nsecond line";
	struct exec_opts o = {.argv = argv,
			      .timeout_ms = TEST_TIMEOUT_MS,
			      .stdin_data = secret,
			      .stdin_len = sizeof(secret) - 1,
			      .out_max = TEST_CAP};
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(exec_result_ok(&r));
	assert_string_equal(r.out, secret);
	exec_result_release(&r);
}

static void test_stdin_large(void **state)
{
	enum { LEN = 3 * 1024 * 1024 + 7 };
	const char *argv[] = {"/bin/cat", NULL};
	char *data = malloc(LEN);
	struct exec_opts o = {.argv = argv,
			      .timeout_ms = 60000,
			      .stdin_data = data,
			      .stdin_len = LEN,
			      .out_max = LEN};
	struct exec_result r = {0};

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < LEN; i++)
		data[i] = (char)(i * 7 + i / 251);
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(exec_result_ok(&r));
	assert_int_equal(r.out_len, LEN);
	assert_false(r.out_truncated);
	assert_memory_equal(r.out, data, LEN);
	exec_result_release(&r);
	free(data);
}

static void test_stdin_not_read(void **state)
{
	enum { LEN = 1024 * 1024 };
	const char *argv[] = {"/bin/true", NULL};
	char *data = calloc(1, LEN);
	struct exec_opts o = {
		.argv = argv, .timeout_ms = TEST_TIMEOUT_MS, .stdin_data = data, .stdin_len = LEN};
	struct exec_result r = {0};
	sigset_t pending;

	(void)state;
	assert_non_null(data);
	/* The child never reads: we must get EPIPE, not die of SIGPIPE, and leave none pending. */
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(exec_result_ok(&r));
	assert_int_equal(sigpending(&pending), 0);
	assert_int_equal(sigismember(&pending, SIGPIPE), 0);
	exec_result_release(&r);
	free(data);
}

static void test_stdin_devnull(void **state)
{
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(run_sh("readlink /proc/self/fd/0; cat", &r), 0);
	assert_string_equal(r.out, "/dev/null\n");
	exec_result_release(&r);
}

static void test_env_exact(void **state)
{
	const char *argv[] = {"/usr/bin/env", NULL};
	const char *env[] = {"FOO=bar", "SPACED=a b", "EMPTY=", NULL};
	const char *none[] = {NULL};
	struct exec_opts o = {
		.argv = argv, .envp = env, .timeout_ms = TEST_TIMEOUT_MS, .out_max = TEST_CAP};
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(setenv("TAILPOD_TEST_LEAK", "1", 1), 0);
	assert_int_equal(exec_run(&o, &r), 0);
	assert_string_equal(r.out, "FOO=bar\nSPACED=a b\nEMPTY=\n");
	exec_result_release(&r);

	o.envp = NULL;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_string_equal(r.out, "PATH=" EXEC_SAFE_PATH "\nLANG=C.UTF-8\n");
	exec_result_release(&r);

	o.envp = none;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_string_equal(r.out, "");
	exec_result_release(&r);
	unsetenv("TAILPOD_TEST_LEAK");
}

static void test_bad_opts(void **state)
{
	const char *argv[] = {"/bin/true", NULL};
	const char *empty_argv[] = {NULL};
	const char *bad_env[] = {"NOEQUALS", NULL};
	const char *bad_env2[] = {"=value", NULL};
	struct exec_opts o = {.argv = argv, .timeout_ms = TEST_TIMEOUT_MS};
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(exec_run(NULL, &r), -EINVAL);
	assert_int_equal(exec_run(&o, NULL), -EINVAL);
	o.timeout_ms = 0;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	o.timeout_ms = EXEC_TIMEOUT_MS_MAX + 1U;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	o.timeout_ms = TEST_TIMEOUT_MS;
	o.argv = empty_argv;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	o.argv = argv;
	o.envp = bad_env;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	o.envp = bad_env2;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	o.envp = NULL;
	o.stdin_len = 3;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	o.stdin_len = 0;
	o.out_max = (size_t)EXEC_CAPTURE_MAX + 1;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	o.out_max = 0;
	o.grace_ms = EXEC_GRACE_MS_MAX + 1U;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	/* Nothing was written on failure. */
	assert_null(r.out);
}

static void test_too_many_args(void **state)
{
	const char **argv = calloc(EXEC_ARGV_MAX + 2, sizeof(*argv));
	struct exec_opts o = {.timeout_ms = TEST_TIMEOUT_MS};
	struct exec_result r = {0};

	(void)state;
	assert_non_null(argv);
	for (size_t i = 0; i <= EXEC_ARGV_MAX; i++)
		argv[i] = "/bin/true";
	o.argv = argv;
	assert_int_equal(exec_run(&o, &r), -E2BIG);
	argv[EXEC_ARGV_MAX] = NULL;
	assert_int_equal(exec_run(&o, &r), 0);
	exec_result_release(&r);
	free(argv);
}

static void test_enoent(void **state)
{
	const char *missing[] = {"/nonexistent/tailpod-prog", NULL};
	const char *bare[] = {"tailpod-no-such-program", NULL};
	const char *relative[] = {"./true", NULL};
	const char *dir[] = {"/tmp", NULL};
	struct exec_opts o = {.argv = missing, .timeout_ms = TEST_TIMEOUT_MS};
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(exec_run(&o, &r), -ENOENT);
	o.argv = bare;
	assert_int_equal(exec_run(&o, &r), -ENOENT);
	o.argv = relative;
	assert_int_equal(exec_run(&o, &r), -EINVAL);
	o.argv = dir;
	assert_int_equal(exec_run(&o, &r), -EACCES);
	assert_null(r.out);
}

/* The program passes the parent's checks; execve itself fails and the errno crosses the pipe. */
static void test_exec_fails_in_child(void **state)
{
	char dir[] = "/tmp/test-exec.XXXXXX";
	char path[64];
	const char *argv[] = {path, NULL};
	struct exec_opts o = {.argv = argv, .timeout_ms = TEST_TIMEOUT_MS};
	struct exec_result r = {0};
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/garbage", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x7f\x45\x4c\x46\x01", 5), 5);
	close(fd);
	assert_int_equal(exec_run(&o, &r), -ENOEXEC);

	/* A failing chdir in the child is reported the same way. */
	o.argv = (const char *[]){"/bin/true", NULL};
	o.cwd = "/nonexistent/dir";
	assert_int_equal(exec_run(&o, &r), -ENOENT);
	o.cwd = dir;
	assert_int_equal(exec_run(&o, &r), 0);
	exec_result_release(&r);

	unlink(path);
	rmdir(dir);
}

static void test_bare_name(void **state)
{
	const char *argv[] = {"sh", "-c", "echo $0", NULL};
	struct exec_opts o = {.argv = argv, .timeout_ms = TEST_TIMEOUT_MS, .out_max = TEST_CAP};
	struct exec_result r = {0};
	char *path = NULL;

	(void)state;
	assert_int_equal(exec_find_program("sh", &path), 0);
	assert_true(path[0] == '/');
	assert_true(strstr(path, "/sh") != NULL);
	free(path);
	assert_int_equal(exec_find_program("a/b", &path), -EINVAL);
	assert_int_equal(exec_find_program("", &path), -EINVAL);
	/* argv[0] reaches the program unchanged. */
	assert_int_equal(exec_run(&o, &r), 0);
	assert_string_equal(r.out, "sh\n");
	exec_result_release(&r);
}

static void test_cwd(void **state)
{
	const char *argv[] = {"/bin/pwd", NULL};
	struct exec_opts o = {
		.argv = argv, .timeout_ms = TEST_TIMEOUT_MS, .out_max = TEST_CAP, .cwd = "/usr"};
	struct exec_result r = {0};

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_string_equal(r.out, "/usr\n");
	exec_result_release(&r);
}

static void test_timeout_kills_group(void **state)
{
	const char *argv[] = {"/bin/sh", "-c", "sleep 30 & echo $!; sleep 30", NULL};
	struct exec_opts o = {
		.argv = argv, .envp = sh_env, .timeout_ms = 1000, .out_max = TEST_CAP};
	struct exec_result r = {0};
	char buf[EXEC_DESCRIBE_MAX];
	uint64_t start = now_ms();
	pid_t bg;

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(now_ms() - start < TEST_SLOW_MS);
	assert_true(r.timed_out);
	assert_false(exec_result_ok(&r));
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGTERM);
	assert_string_equal(exec_status_describe(&r, buf, sizeof(buf)), "timed out after 1 s");
	bg = (pid_t)atoi(r.out);
	assert_true(bg > 1);
	assert_true(pid_dies(bg));
	exec_result_release(&r);

	/* A plain sleep, as the program itself. */
	o.argv = (const char *[]){"/bin/sleep", "30", NULL};
	o.timeout_ms = 300;
	start = now_ms();
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(now_ms() - start < TEST_SLOW_MS);
	assert_true(r.timed_out);
	assert_string_equal(exec_status_describe(&r, buf, sizeof(buf)), "timed out after 300 ms");
	exec_result_release(&r);
}

static void test_timeout_escalates_to_kill(void **state)
{
	/* SIGTERM ignored (and inherited ignored by sleep): only SIGKILL ends it. */
	const char *argv[] = {"/bin/sh", "-c", "trap '' TERM; echo $$; sleep 30; sleep 30", NULL};
	struct exec_opts o = {.argv = argv,
			      .envp = sh_env,
			      .timeout_ms = 1000, /* time for sh to set the trap */
			      .grace_ms = 200,
			      .out_max = TEST_CAP};
	struct exec_result r = {0};
	uint64_t start = now_ms();

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(now_ms() - start < TEST_SLOW_MS);
	assert_true(r.timed_out);
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGKILL);
	exec_result_release(&r);
}

/* Output closed early but the process goes on: the deadline still applies to the exit. */
static void test_closed_pipes_still_timed(void **state)
{
	struct exec_result r = {0};
	const char *argv[] = {"/bin/sh", "-c", "exec >&- 2>&-; sleep 30", NULL};
	struct exec_opts o = {.argv = argv, .envp = sh_env, .timeout_ms = 300};
	uint64_t start = now_ms();

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(now_ms() - start < TEST_SLOW_MS);
	assert_true(r.timed_out);
	exec_result_release(&r);

	assert_int_equal(run_sh("exec >&- 2>&-; sleep 0.2; exit 4", &r), 0);
	assert_false(r.timed_out);
	assert_int_equal(WEXITSTATUS(r.status), 4);
	exec_result_release(&r);
}

/* A straggler that does not hold our pipes is not waited for (and not killed) on a normal exit. */
static void test_background_straggler(void **state)
{
	struct exec_result r = {0};
	uint64_t start = now_ms();
	pid_t bg;

	(void)state;
	assert_int_equal(run_sh("sleep 30 >/dev/null 2>&1 & echo $!", &r), 0);
	assert_true(now_ms() - start < TEST_SLOW_MS);
	assert_true(exec_result_ok(&r));
	bg = (pid_t)atoi(r.out);
	assert_true(bg > 1);
	assert_false(pid_dead(bg));
	assert_int_equal(kill(bg, SIGKILL), 0);
	assert_true(pid_dies(bg));
	exec_result_release(&r);
}

static void test_own_process_group(void **state)
{
	const char *argv[] = {"/bin/cat", "/proc/self/stat", NULL};
	struct exec_opts o = {.argv = argv, .timeout_ms = TEST_TIMEOUT_MS, .out_max = TEST_CAP};
	struct exec_result r = {0};
	int pid, ppid, pgrp;
	char st;
	const char *p;

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	p = strrchr(r.out, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(r.out, "%d", &pid), 1);
	assert_int_equal(sscanf(p + 1, " %c %d %d", &st, &ppid, &pgrp), 3);
	assert_int_equal(pgrp, pid);
	assert_int_equal(ppid, getpid());
	assert_int_not_equal(pgrp, getpgrp());
	exec_result_release(&r);
}

static void test_fds_and_signals_reset(void **state)
{
	const char *argv[] = {"/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL};
	struct exec_opts o = {.argv = argv, .timeout_ms = TEST_TIMEOUT_MS, .out_max = TEST_CAP};
	struct exec_result r = {0};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int;
	unsigned long reserved_ign[4] = {(unsigned long)SIG_IGN}, reserved_old[4];
	sigset_t block, old_mask;
	char script[128];
	int leak;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old_mask), 0);
	assert_int_equal(sigaction(SIGINT, &ign, &old_int), 0);
	/* libc-reserved signal 33 ignored behind libc's back (the kernel struct starts with the
	 * handler on every architecture): the child must still start with it at default. */
	assert_int_equal(syscall(SYS_rt_sigaction, 33, reserved_ign, reserved_old, 8), 0);
	assert_int_equal(exec_run(&o, &r), 0);
	assert_int_equal(syscall(SYS_rt_sigaction, 33, reserved_old, NULL, 8), 0);
	assert_string_equal(r.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	exec_result_release(&r);
	assert_int_equal(sigaction(SIGINT, &old_int, NULL), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);

	/* An fd the caller leaked without O_CLOEXEC does not reach the child. */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	snprintf(script, sizeof(script), "[ -e /proc/$$/fd/%d ] && echo open || echo closed", leak);
	assert_int_equal(run_sh(script, &r), 0);
	assert_string_equal(r.out, "closed\n");
	exec_result_release(&r);
	close(leak);
}

static int reaped_by_handler;

static void sigchld_reaper(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped_by_handler++;
}

static void test_sigchld_dispositions(void **state)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, reap = {.sa_handler = sigchld_reaper}, old,
			 now;
	struct exec_result r = {0};

	(void)state;
	sigemptyset(&reap.sa_mask);
	assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
	assert_int_equal(run_sh("exit 5", &r), 0);
	assert_int_equal(WEXITSTATUS(r.status), 5);
	exec_result_release(&r);
	assert_int_equal(sigaction(SIGCHLD, NULL, &now), 0);
	assert_true(now.sa_handler == SIG_IGN);

	/* A reaping handler must not steal the status either. */
	assert_int_equal(sigaction(SIGCHLD, &reap, NULL), 0);
	assert_int_equal(run_sh("exit 6", &r), 0);
	assert_int_equal(WEXITSTATUS(r.status), 6);
	exec_result_release(&r);
	assert_int_equal(reaped_by_handler, 0);
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
}

/* The supplementary groups from /proc status text, without the tab and trailing blanks that
 * different kernels print differently. */
static const char *groups_line(const char *status, char *buf, size_t size)
{
	const char *p = strstr(status, "Groups:\t");
	size_t n;

	if (!p)
		return NULL;
	p += strlen("Groups:\t");
	n = strcspn(p, "\n");
	while (n > 0 && p[n - 1] == ' ')
		n--;
	snprintf(buf, size, "%.*s", (int)n, p);
	return buf;
}

static void test_drop_ids(void **state)
{
	const char *argv[] = {"/usr/bin/id", "-u", NULL};
	struct exec_ids nobody = {.uid = 65534, .gid = 65534};
	gid_t extra[] = {4242, 65534};
	struct exec_ids with_groups = {.uid = 65534, .gid = 65534, .groups = extra, .n_groups = 2};
	struct exec_opts o = {
		.argv = argv, .timeout_ms = TEST_TIMEOUT_MS, .out_max = TEST_CAP, .ids = &nobody};
	struct exec_result r = {0};
	char dir[] = "/tmp/test-exec.XXXXXX";
	char line[128];

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(exec_run(&o, &r), 0);
	assert_string_equal(r.out, "65534\n");
	exec_result_release(&r);

	o.argv =
		(const char *[]){"/bin/grep", "-E", "^(Uid|Gid|Groups)", "/proc/self/status", NULL};
	assert_int_equal(exec_run(&o, &r), 0);
	assert_non_null(strstr(r.out, "Uid:\t65534\t65534\t65534\t65534\n"));
	assert_non_null(strstr(r.out, "Gid:\t65534\t65534\t65534\t65534\n"));
	assert_string_equal(groups_line(r.out, line, sizeof(line)), "");
	exec_result_release(&r);

	o.ids = &with_groups;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_string_equal(groups_line(r.out, line, sizeof(line)), "4242 65534");
	exec_result_release(&r);

	/* cwd is entered as the target user: a root-only directory is refused. */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0700), 0);
	o.ids = &nobody;
	o.cwd = dir;
	assert_int_equal(exec_run(&o, &r), -EACCES);
	rmdir(dir);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/* Every path, failures included, closes what it opened. */
static void test_no_fd_leak(void **state)
{
	const char *missing[] = {"/nonexistent/prog", NULL};
	const char *cat[] = {"/bin/cat", NULL};
	struct exec_opts o = {
		.argv = cat, .timeout_ms = TEST_TIMEOUT_MS, .stdin_data = "x", .stdin_len = 1};
	struct exec_result r = {0};
	int before = count_fds();

	(void)state;
	assert_int_equal(exec_run(&o, &r), 0);
	exec_result_release(&r);
	o.cwd = "/nonexistent";
	assert_int_equal(exec_run(&o, &r), -ENOENT);
	o.cwd = NULL;
	o.argv = missing;
	assert_int_equal(exec_run(&o, &r), -ENOENT);
	assert_int_equal(run_sh("echo out; echo err >&2", &r), 0);
	exec_result_release(&r);
	o.argv = (const char *[]){"/bin/sleep", "30", NULL};
	o.timeout_ms = 100;
	assert_int_equal(exec_run(&o, &r), 0);
	assert_true(r.timed_out);
	exec_result_release(&r);
	assert_int_equal(count_fds(), before);
}

/* In a forked child, make pidfd_open and close_range fail with ENOSYS (as on kernels before 5.3
 * and 5.9); both numbers are the same on every architecture. */
static int deny_new_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	struct sock_fprog prog = {.len = ARRAY_LEN(f), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

#define CHILD_CHECK(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

static void fallback_child(void)
{
	struct exec_result r = {0};
	const char *argv[] = {"/bin/sh", "-c", "sleep 30", NULL};
	struct exec_opts o = {.argv = argv, .envp = sh_env, .timeout_ms = 300};
	uint64_t start;
	char script[128];
	int leak;

	if (deny_new_syscalls() < 0)
		_exit(TEST_SKIP_EXIT); /* no seccomp here: nothing to test */
	CHILD_CHECK(syscall(SYS_pidfd_open, getpid(), 0) < 0 && errno == ENOSYS);

	/* Exit noticed by polling ticks, after the pipes are already closed. */
	CHILD_CHECK(run_sh("exec >&- 2>&-; sleep 0.2; exit 4", &r) == 0);
	CHILD_CHECK(!r.timed_out && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 4);
	exec_result_release(&r);

	start = now_ms();
	CHILD_CHECK(exec_run(&o, &r) == 0);
	CHILD_CHECK(r.timed_out && now_ms() - start < TEST_SLOW_MS);
	exec_result_release(&r);

	/* fds closed by the bounded loop. */
	leak = open("/dev/null", O_RDONLY);
	CHILD_CHECK(leak > 2);
	snprintf(script, sizeof(script), "[ -e /proc/$$/fd/%d ] && echo open || echo closed", leak);
	CHILD_CHECK(run_sh(script, &r) == 0);
	CHILD_CHECK(strcmp(r.out, "closed\n") == 0);
	exec_result_release(&r);
	close(leak);
	_exit(0);
}

static void test_fallbacks_without_new_syscalls(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		fallback_child();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == TEST_SKIP_EXIT)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_signal_status),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_capture_both),
		cmocka_unit_test(test_flood_truncated),
		cmocka_unit_test(test_yes_timeout_truncated),
		cmocka_unit_test(test_err_cap),
		cmocka_unit_test(test_stdin_roundtrip),
		cmocka_unit_test(test_stdin_large),
		cmocka_unit_test(test_stdin_not_read),
		cmocka_unit_test(test_stdin_devnull),
		cmocka_unit_test(test_env_exact),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_too_many_args),
		cmocka_unit_test(test_enoent),
		cmocka_unit_test(test_exec_fails_in_child),
		cmocka_unit_test(test_bare_name),
		cmocka_unit_test(test_cwd),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_timeout_escalates_to_kill),
		cmocka_unit_test(test_closed_pipes_still_timed),
		cmocka_unit_test(test_background_straggler),
		cmocka_unit_test(test_own_process_group),
		cmocka_unit_test(test_fds_and_signals_reset),
		cmocka_unit_test(test_sigchld_dispositions),
		cmocka_unit_test(test_drop_ids),
		cmocka_unit_test(test_no_fd_leak),
		cmocka_unit_test(test_fallbacks_without_new_syscalls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
