/* test-opt.c: the table-driven option parser and its generated help. */
#include "opt.h"

#include "capture.h"
#include "core.h"
#include "log.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static bool arg_dry_run;
static const char *arg_config;
static long arg_timeout;

static const struct opt test_opts[] = {
	OPT_BOOL('n', "dry-run", &arg_dry_run, "show what would change"),
	OPT_STRING('c', "config", &arg_config, "FILE", "read settings from FILE"),
	OPT_INT(0, "timeout", &arg_timeout, "SECONDS", "give up after SECONDS\n(1 to 3600)", 1,
		3600),
	OPT_END,
};

static const struct applet_cli test_cli = {
	.name = "demo",
	.synopsis = "[OPTIONS] [DIR]",
	.summary = "Demonstrate the parser.",
	.opts = test_opts,
	.min_args = 0,
	.max_args = 1,
};

static int reset(void **state)
{
	(void)state;
	arg_dry_run = false;
	arg_config = NULL;
	arg_timeout = 0;
	log_setup("tailpod demo");
	log_set_max_level(LOG_LEVEL_INFO);
	return 0;
}

/* Parse a NULL-terminated list; stderr is captured and returned through ret_err. */
static int parse(char **args, int *ret_nargs, char **ret_err)
{
	struct capture c;
	int argc = 0, r;

	while (args[argc])
		argc++;
	capture_begin(&c, STDERR_FILENO);
	r = opt_parse(&test_cli, argc, args, ret_nargs);
	*ret_err = capture_end(&c);
	return r;
}

static void test_mixed_options_and_args(void **state)
{
	char *args[] = {"demo", "-n", "repo", "--config=/etc/x", "--timeout", "30", NULL};
	char *err;
	int nargs = -1;

	(void)state;
	assert_int_equal(parse(args, &nargs, &err), OPT_RESULT_RUN);
	assert_string_equal(err, "");
	assert_true(arg_dry_run);
	assert_string_equal(arg_config, "/etc/x");
	assert_int_equal(arg_timeout, 30);
	assert_int_equal(nargs, 1);
	assert_string_equal(args[0], "repo");
	free(err);
}

static void test_short_forms(void **state)
{
	char *args[] = {"demo", "-nc", "file", NULL};
	char *args2[] = {"demo", "-cinline", "-v", NULL};
	char *err;
	int nargs;

	(void)state;
	assert_int_equal(parse(args, &nargs, &err), OPT_RESULT_RUN);
	assert_true(arg_dry_run);
	assert_string_equal(arg_config, "file");
	free(err);
	assert_int_equal(parse(args2, &nargs, &err), OPT_RESULT_RUN);
	assert_string_equal(arg_config, "inline");
	assert_int_equal(log_get_max_level(), LOG_LEVEL_DEBUG);
	assert_int_equal(nargs, 0);
	free(err);
}

static void test_double_dash_ends_options(void **state)
{
	char *args[] = {"demo", "--", "-n", NULL};
	char *err;
	int nargs;

	(void)state;
	assert_int_equal(parse(args, &nargs, &err), OPT_RESULT_RUN);
	assert_false(arg_dry_run);
	assert_int_equal(nargs, 1);
	assert_string_equal(args[0], "-n");
	free(err);
}

static void expect_usage_error(char **args, const char *message)
{
	char *err;
	int nargs = 42;

	assert_int_equal(parse(args, &nargs, &err), -EINVAL);
	assert_int_equal(nargs, 42);
	assert_string_equal(err, message);
	assert_int_equal(opt_exit_status(-EINVAL), EXIT_USAGE);
	free(err);
}

static void test_unknown_options(void **state)
{
	char *a[] = {"demo", "--bogus", NULL};
	char *b[] = {"demo", "-x", NULL};
	char *c[] = {"demo", "--dry-run=yes", NULL};

	(void)state;
	expect_usage_error(a, "tailpod demo: error: unknown option '--bogus'; "
			      "try 'tailpod demo --help'\n");
	expect_usage_error(b,
			   "tailpod demo: error: unknown option '-x'; try 'tailpod demo --help'\n");
	expect_usage_error(c, "tailpod demo: error: option takes no value '--dry-run=yes'; "
			      "try 'tailpod demo --help'\n");
}

static void test_missing_value_and_bad_int(void **state)
{
	char *a[] = {"demo", "--config", NULL};
	char *b[] = {"demo", "--timeout=0", NULL};
	char *c[] = {"demo", "--timeout=12abc", NULL};
	char *d[] = {"demo", "--timeout=99999999999999999999999", NULL};

	(void)state;
	expect_usage_error(a, "tailpod demo: error: option needs a value '--config'; "
			      "try 'tailpod demo --help'\n");
	expect_usage_error(b, "tailpod demo: error: invalid value '0' for --timeout (expected an "
			      "integer from 1 to 3600); try 'tailpod demo --help'\n");
	expect_usage_error(c, "tailpod demo: error: invalid value '12abc' for --timeout (expected "
			      "an integer from 1 to 3600); try 'tailpod demo --help'\n");
	expect_usage_error(d, "tailpod demo: error: invalid value '99999999999999999999999' for "
			      "--timeout (expected an integer from 1 to 3600); try 'tailpod demo "
			      "--help'\n");
}

static void test_argument_count(void **state)
{
	char *a[] = {"demo", "one", "two", NULL};

	(void)state;
	expect_usage_error(a, "tailpod demo: error: unexpected argument 'two'; "
			      "try 'tailpod demo --help'\n");
}

static void test_help_is_generated_from_table(void **state)
{
	char *help_args[] = {"demo", "-h", NULL};
	struct capture c;
	char *out, *err;
	int nargs;

	(void)state;
	capture_begin(&c, STDOUT_FILENO);
	assert_int_equal(parse(help_args, &nargs, &err), OPT_RESULT_HELP);
	out = capture_end(&c);
	assert_int_equal(opt_exit_status(OPT_RESULT_HELP), EXIT_OK);
	assert_non_null(
		strstr(out, "Usage: tailpod demo [OPTIONS] [DIR]\n\nDemonstrate the parser."));
	assert_non_null(strstr(out, "  -n, --dry-run "));
	assert_non_null(strstr(out, "  -c, --config=FILE "));
	assert_non_null(strstr(out, "      --timeout=SECONDS "));
	/* A second help line stays in the help column. */
	assert_non_null(
		strstr(out, "give up after SECONDS\n                               (1 to 3600)\n"));
	assert_non_null(strstr(out, "  -h, --help "));
	assert_non_null(strstr(out, "75 busy or temporary"));
	free(out);
	free(err);
}

static void test_quiet_level(void **state)
{
	char *args[] = {"demo", "--quiet", NULL};
	char *err;
	int nargs;

	(void)state;
	assert_int_equal(parse(args, &nargs, &err), OPT_RESULT_RUN);
	assert_int_equal(log_get_max_level(), LOG_LEVEL_WARNING);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mixed_options_and_args, reset),
		cmocka_unit_test_setup(test_short_forms, reset),
		cmocka_unit_test_setup(test_double_dash_ends_options, reset),
		cmocka_unit_test_setup(test_unknown_options, reset),
		cmocka_unit_test_setup(test_missing_value_and_bad_int, reset),
		cmocka_unit_test_setup(test_argument_count, reset),
		cmocka_unit_test_setup(test_help_is_generated_from_table, reset),
		cmocka_unit_test_setup(test_quiet_level, reset),
	};

	return cmocka_run_group_tests_name("opt", tests, NULL, NULL);
}
