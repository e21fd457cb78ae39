/* test-log.c: message format, level filtering, escaping of hostile text, journal detection. */
#include "log.h"

#include "capture.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

static int reset(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_setup("tailpod test");
	log_set_max_level(LOG_LEVEL_INFO);
	return 0;
}

static void test_format_and_return(void **state)
{
	struct capture c;
	char *text;
	int r;

	(void)state;
	capture_begin(&c, STDERR_FILENO);
	r = log_error_errno(-ENOENT, "unable to open '%s'", "x.container");
	text = capture_end(&c);
	assert_int_equal(r, -ENOENT);
	assert_string_equal(text, "tailpod test: error: unable to open 'x.container': "
				  "No such file or directory\n");
	free(text);
}

static void test_positive_errno_and_plain_error(void **state)
{
	struct capture c;
	char *text;

	(void)state;
	capture_begin(&c, STDERR_FILENO);
	assert_int_equal(log_warning_errno(EACCES, "w"), -EACCES);
	assert_int_equal(log_error("plain"), -EIO);
	text = capture_end(&c);
	assert_string_equal(text, "tailpod test: warning: w: Permission denied\n"
				  "tailpod test: error: plain\n");
	free(text);
}

/* The applet shape "return log_error_status(EXIT_USAGE, ...)": the status comes back, errno and
 * the message are as log_error_errno's, and a filtered message still returns the status. */
static void test_error_status(void **state)
{
	struct capture c;
	char *text;

	(void)state;
	capture_begin(&c, STDERR_FILENO);
	errno = EAGAIN;
	assert_int_equal(log_error_status(2, "bad %s", "flag"), 2);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(log_error_errno_status(75, -ETIMEDOUT, "no answer"), 75);
	log_set_max_level(LOG_LEVEL_ERR - 1);
	assert_int_equal(log_error_status(1, "hidden"), 1);
	text = capture_end(&c);
	assert_string_equal(text, "tailpod test: error: bad flag\n"
				  "tailpod test: error: no answer: Connection timed out\n");
	free(text);
}

static void test_level_filter(void **state)
{
	struct capture c;
	char *text;

	(void)state;
	capture_begin(&c, STDERR_FILENO);
	log_debug("hidden");
	log_info("shown");
	log_set_max_level(LOG_LEVEL_WARNING);
	log_info("hidden too");
	log_warning("kept");
	text = capture_end(&c);
	assert_string_equal(text, "tailpod test: info: shown\ntailpod test: warning: kept\n");
	free(text);
}

/* A newline in a repo file name must not start a forged log line. */
static void test_control_characters_escaped(void **state)
{
	struct capture c;
	char *text;

	(void)state;
	capture_begin(&c, STDERR_FILENO);
	log_error("bad name '%s'", "a\ntailpod sync: info: all good\x1b[0m");
	text = capture_end(&c);
	assert_string_equal(text, "tailpod test: error: bad name "
				  "'a\\x0atailpod sync: info: all good\\x1b[0m'\n");
	free(text);
}

static void test_escape_bounds(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(log_escape(out, sizeof(out), "abcdefghij"), 7);
	assert_string_equal(out, "abcdefg");
	/* An escape that would not fit whole is dropped, never cut in half. */
	assert_int_equal(log_escape(out, sizeof(out), "abcd\n"), 4);
	assert_string_equal(out, "abcd");
	assert_int_equal(log_escape(out, 0, "x"), 0);
}

static void test_long_message_is_bounded(void **state)
{
	char *big = malloc(3 * LOG_LINE_MAX), *text;
	struct capture c;

	(void)state;
	memset(big, 'x', 3 * LOG_LINE_MAX - 1);
	big[3 * LOG_LINE_MAX - 1] = '\0';
	capture_begin(&c, STDERR_FILENO);
	log_error("%s", big);
	text = capture_end(&c);
	assert_true(strlen(text) < LOG_LINE_MAX + 64);
	free(text);
	free(big);
}

/* JOURNAL_STREAM names stderr's device:inode, so "<N>" prefixes are used. */
static void test_journal_prefix(void **state)
{
	struct capture c;
	struct stat st;
	char stream[64], *text;

	(void)state;
	capture_begin(&c, STDERR_FILENO);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(stream, sizeof(stream), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", stream, 1);
	log_setup("tailpod test");
	assert_true(log_to_journal());
	log_warning("to the journal");
	text = capture_end(&c);
	assert_string_equal(text, "<4>tailpod test: warning: to the journal\n");
	free(text);
}

/* A JOURNAL_STREAM inherited from elsewhere (stderr redirected since) is ignored. */
static void test_journal_stream_mismatch(void **state)
{
	(void)state;
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_setup("tailpod test");
	assert_false(log_to_journal());
	setenv("JOURNAL_STREAM", "garbage", 1);
	log_setup("tailpod test");
	assert_false(log_to_journal());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_format_and_return, reset),
		cmocka_unit_test_setup(test_positive_errno_and_plain_error, reset),
		cmocka_unit_test_setup(test_error_status, reset),
		cmocka_unit_test_setup(test_level_filter, reset),
		cmocka_unit_test_setup(test_control_characters_escaped, reset),
		cmocka_unit_test_setup(test_escape_bounds, reset),
		cmocka_unit_test_setup(test_long_message_is_bounded, reset),
		cmocka_unit_test_setup(test_journal_prefix, reset),
		cmocka_unit_test_setup(test_journal_stream_mismatch, reset),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
