/* test-usercmd.c: unit tests for core/usercmd against a fake systemd-run (a shell script in a
 * scratch directory that stands in for RUN_USER): the words it gets, stdin through a file and
 * never in argv, stdout and stderr read back, the exit status, every file removed on success and
 * failure, and the refusals (no runtime dir, a link in its place, another owner's, a '$' word, a
 * name that could be an option). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch.h"
#include "usercmd.h"

static const char fake_run[] = "#!/bin/sh\n"
			       "d=${0%/*}\n"
			       "printf '%s\\n' \"$@\" >\"$d/argv\"\n"
			       "in=/dev/null out= err=\n"
			       "while [ $# -gt 0 ]; do\n"
			       "  case $1 in\n"
			       "  -p) case $2 in\n"
			       "      StandardInput=file:*) in=${2#*=file:} ;;\n"
			       "      StandardOutput=file:*) out=${2#*=file:} ;;\n"
			       "      StandardError=file:*) err=${2#*=file:} ;;\n"
			       "      esac; shift 2 ;;\n"
			       "  --) shift; break ;;\n"
			       "  *) shift ;;\n"
			       "  esac\n"
			       "done\n"
			       "cat \"$in\" >\"$d/seen-in\"\n"
			       "ls -A \"${out%/*}\" | wc -l >\"$d/during\"\n"
			       "printf 'listed\\n' >>\"$out\"\n"
			       "printf 'warn\\n' >>\"$err\"\n"
			       "exit $(cat \"$d/status\" 2>/dev/null || echo 0)\n";

struct fixture {
	char dir[64];	   /* the scratch dir: RUN_USER, the fake and what it recorded */
	char runtime[128]; /* dir/UID */
	char fake[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *fp;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/tp-usercmd.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->runtime, sizeof(f->runtime), "%s/%u", f->dir, (unsigned)getuid());
	assert_int_equal(mkdir(f->runtime, 0700), 0);
	snprintf(f->fake, sizeof(f->fake), "%s/systemd-run", f->dir);
	fp = fopen(f->fake, "w");
	assert_non_null(fp);
	fputs(fake_run, fp);
	fclose(fp);
	assert_int_equal(chmod(f->fake, 0755), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	scratch_remove(f->dir);
	free(f);
	return 0;
}

static char *slurp(const struct fixture *f, const char *name)
{
	char path[256], *buf = calloc(1, 4096);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(buf);
	(void)!fread(buf, 1, 4095, fp);
	fclose(fp);
	return buf;
}

static int entries(const char *dir)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static int run(const struct fixture *f, const char *user, const char *const *argv, const char *in,
	       struct exec_result *res)
{
	const struct usercmd c = {.user = user,
				  .uid = getuid(),
				  .gid = getgid(),
				  .run_user = f->dir,
				  .systemd_run = f->fake,
				  .argv = argv,
				  .stdin_data = in,
				  .stdin_len = in ? strlen(in) : 0,
				  .out_max = 4096,
				  .timeout_ms = 5000};

	return usercmd_run(&c, res);
}

static const char *const ls_argv[] = {"podman", "secret", "ls", "--format", "{{.Name}}", NULL};

static void test_roundtrip(void **state)
{
	const struct fixture *f = *state;
	const char *const create[] = {"podman", "secret", "create", "--replace",
				      "web-pw", "-",	  NULL};
	struct exec_result res;
	char *argv, *seen, *during;

	assert_int_equal(run(f, "web", create, "s3cret-value", &res), 0);
	assert_true(exec_result_ok(&res));
	assert_string_equal(res.out, "listed\n");
	assert_string_equal(res.err, "warn\n");
	exec_result_release(&res);
	argv = slurp(f, "argv"), seen = slurp(f, "seen-in"), during = slurp(f, "during");
	assert_non_null(strstr(argv, "--user\n-M\nweb@\n--wait\n--collect\n--quiet\n"));
	assert_non_null(strstr(argv, "-p\nRuntimeMaxSec=5s\n"));
	assert_non_null(strstr(argv, "\n--\npodman\nsecret\ncreate\n--replace\nweb-pw\n-\n"));
	assert_null(strstr(argv, "s3cret"));
	assert_string_equal(seen, "s3cret-value");
	assert_string_equal(during, "3\n"); /* in, out, err */
	assert_int_equal(entries(f->runtime), 0);
	free(argv), free(seen), free(during);
}

static void test_no_stdin_failure_cleans_up(void **state)
{
	const struct fixture *f = *state;
	struct exec_result res;
	char path[256], *argv;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/status", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("3\n", fp);
	fclose(fp);
	assert_int_equal(run(f, "web", ls_argv, NULL, &res), 0);
	assert_false(exec_result_ok(&res));
	assert_true(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 3);
	assert_string_equal(res.err, "warn\n");
	exec_result_release(&res);
	argv = slurp(f, "argv");
	assert_null(strstr(argv, "StandardInput"));
	free(argv);
	assert_int_equal(entries(f->runtime), 0);
}

static void test_refusals(void **state)
{
	const struct fixture *f = *state;
	const char *const dollar[] = {"podman", "secret", "rm", "$HOME", NULL};
	struct exec_result res;
	char other[160];

	assert_int_equal(run(f, "-web", ls_argv, NULL, &res), -EINVAL);
	assert_int_equal(run(f, "web", dollar, NULL, &res), -EINVAL);
	/* A link in place of the runtime dir is not followed. */
	snprintf(other, sizeof(other), "%s/elsewhere", f->dir);
	assert_int_equal(rename(f->runtime, other), 0);
	assert_int_equal(run(f, "web", ls_argv, NULL, &res), -ENOENT);
	assert_int_equal(symlink(other, f->runtime), 0);
	assert_int_equal(run(f, "web", ls_argv, NULL, &res), -ENOTDIR);
	assert_int_equal(entries(other), 0);
	assert_int_equal(unlink(f->runtime), 0);
	assert_int_equal(rename(other, f->runtime), 0);
	/* Another user's directory (root can make one). */
	if (getuid() == 0) {
		assert_int_equal(chown(f->runtime, 4242, 4242), 0);
		assert_int_equal(run(f, "web", ls_argv, NULL, &res), -EPERM);
		assert_int_equal(entries(f->runtime), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_stdin_failure_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
