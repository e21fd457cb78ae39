/* test-envfile.c: unit tests of core/envfile — one test per rule R1..R18 of envfile.c, every
 * bound just under and just over, the path and fd entry points, and a comparison with systemd's
 * own parser: the environment.d generator runs the same parse_env_file_internal() state machine,
 * so where it is installed its output is the reference for fixed and randomized inputs. */

#define _GNU_SOURCE /* pipe2 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"
#include "envfile.h"

static struct envfile *parse_n(const char *buf, size_t n)
{
	struct envfile_error err = {0};
	struct envfile *ef = NULL;
	int r = envfile_parse("test.env", buf, n, &ef, &err);

	if (r < 0)
		fail_msg("parse failed: %d at line %u: %s", r, err.line,
			 err.msg[0] ? err.msg : "-");
	return ef;
}

static struct envfile *parse(const char *buf)
{
	return parse_n(buf, strlen(buf));
}

static void assert_value(const struct envfile *ef, const char *key, const char *value)
{
	const char *v = envfile_get(ef, key);

	if (!v)
		fail_msg("%s is not set", key);
	assert_string_equal(v, value);
}

static void assert_line(const struct envfile *ef, const char *key, unsigned line)
{
	for (size_t i = 0; i < ef->n_entries; i++)
		if (strcmp(ef->entries[i].key, key) == 0) {
			assert_int_equal(ef->entries[i].line, line);
			return;
		}
	fail_msg("%s is not set", key);
}

static void assert_diag(const struct envfile *ef, size_t i, unsigned line, const char *msg)
{
	assert_true(i < ef->n_diags);
	assert_int_equal(ef->diags[i].line, line);
	assert_string_equal(ef->diags[i].msg, msg);
}

static void assert_parse_error(const char *buf, size_t n, int r, unsigned line, const char *msg)
{
	struct envfile *ef = (struct envfile *)&assert_parse_error; /* must stay untouched */
	struct envfile_error err = {0};

	assert_int_equal(envfile_parse("test.env", buf, n, &ef, &err), r);
	assert_ptr_equal(ef, (struct envfile *)&assert_parse_error);
	assert_string_equal(err.where, "test.env");
	assert_int_equal(err.line, line);
	if (msg)
		assert_string_equal(err.msg, msg);
}

static void test_r01_comments(void **state)
{
	struct envfile *ef = parse("# comment\n; comment\n  \t# indented\nA=1\n# c \\\nB=2\n");

	(void)state;
	assert_int_equal(ef->n_entries, 2);
	assert_value(ef, "A", "1");
	assert_value(ef, "B", "2"); /* a backslash does not continue a comment */
	assert_int_equal(ef->n_diags, 0);
	envfile_free(ef);
}

static void test_r02_blank_lines(void **state)
{
	struct envfile *ef = parse("\n\n  \t\n\r\n  \tA=1\n\n");

	(void)state;
	assert_int_equal(ef->n_entries, 1);
	assert_value(ef, "A", "1");
	assert_line(ef, "A", 5);
	envfile_free(ef);
}

static void test_r03_keys(void **state)
{
	struct envfile *ef = parse("A \t=1\nFOO\nB=2\n  BAR  ");

	(void)state;
	assert_int_equal(ef->n_entries, 2);
	assert_value(ef, "A", "1");
	assert_value(ef, "B", "2");
	assert_int_equal(ef->n_diags, 2);
	assert_diag(ef, 0, 2, "missing '=', ignoring");
	assert_diag(ef, 1, 4, "missing '=', ignoring");
	envfile_free(ef);

	ef = parse("A=b=c\n");
	assert_value(ef, "A", "b=c");
	envfile_free(ef);
}

static void test_r04_empty_values(void **state)
{
	struct envfile *ef = parse("A=\nB=   \nC=\t x\nD=");

	(void)state;
	assert_value(ef, "A", "");
	assert_value(ef, "B", "");
	assert_value(ef, "C", "x");
	assert_value(ef, "D", "");
	envfile_free(ef);
}

static void test_r05_unquoted(void **state)
{
	struct envfile *ef = parse("A=  foo  bar  \n"
				   "B=a\\nb\n"
				   "C=a\\ \n"
				   "D=a \\\n"
				   "   b  \n"
				   "E=\\\\x\n"
				   "F=\\ lead\n"
				   "G=x  \\\n"
				   "\n"
				   "H=a\\\n"
				   "#not a comment\n");

	(void)state;
	assert_value(ef, "A", "foo  bar");
	assert_value(ef, "B", "anb");
	assert_value(ef, "C", "a ");
	assert_value(ef, "D", "a    b");
	assert_line(ef, "E", 6);
	assert_value(ef, "E", "\\x");
	assert_value(ef, "F", " lead");
	assert_value(ef, "G", "x  "); /* blanks before a continuation's backslash stay */
	assert_value(ef, "H", "a#not a comment");
	envfile_free(ef);

	ef = parse("A=x  \\"); /* a backslash at the end of the file */
	assert_value(ef, "A", "x  ");
	envfile_free(ef);
}

static void test_r06_single_quotes(void **state)
{
	struct envfile *ef = parse("A='a \\n \"b\" $c `d`\n  e # f'\nB='' \nC='\\'\n");

	(void)state;
	assert_value(ef, "A", "a \\n \"b\" $c `d`\n  e # f");
	assert_value(ef, "B", "");
	assert_value(ef, "C", "\\");
	envfile_free(ef);
}

static void test_r07_double_quotes(void **state)
{
	struct envfile *ef = parse("A=\"a\\\"b\\\\c\\`d\\$e\\nf\\xg\\'h\"\n"
				   "B=\"a\\\nb\"\n"
				   "C=\"multi\n  line  \"\n"
				   "D=\"'single' inside\"\n");

	(void)state;
	assert_value(ef, "A", "a\"b\\c`d$e\\nf\\xg\\'h");
	assert_value(ef, "B", "ab");
	assert_value(ef, "C", "multi\n  line  ");
	assert_value(ef, "D", "'single' inside");
	envfile_free(ef);
}

static void test_r08_concatenation(void **state)
{
	struct envfile *ef = parse("A=\"a\" 'b' c\n"
				   "B=a\"b\" 'c'\n"
				   "C=\"a\"b c  \n"
				   "D='a'  \n"
				   "E=\"x\"\\ y\n");

	(void)state;
	assert_value(ef, "A", "abc");
	assert_value(ef, "B", "a\"b\" 'c'");
	assert_value(ef, "C", "ab c");
	assert_value(ef, "D", "a");
	assert_value(ef, "E", "x y");
	envfile_free(ef);
}

static void test_r09_no_trailing_comments(void **state)
{
	struct envfile *ef = parse("A=b # c\nB=\"b\" # c\nC=x;y\n");

	(void)state;
	assert_value(ef, "A", "b # c");
	assert_value(ef, "B", "b# c");
	assert_value(ef, "C", "x;y");
	envfile_free(ef);
}

static void test_r10_unterminated_quote(void **state)
{
	struct envfile *ef = parse("X=1\nA=\"abc\nB=1\n");

	(void)state;
	assert_int_equal(ef->n_entries, 2);
	assert_value(ef, "A", "abc\nB=1\n");
	assert_null(envfile_get(ef, "B"));
	assert_int_equal(ef->n_diags, 1);
	assert_diag(ef, 0, 2, "unterminated quote, value runs to the end of the file");
	envfile_free(ef);

	ef = parse("A='x");
	assert_value(ef, "A", "x");
	assert_int_equal(ef->n_diags, 1);
	envfile_free(ef);

	ef = parse("A=\"x\\");
	assert_value(ef, "A", "x");
	envfile_free(ef);
}

static void test_r11_carriage_returns(void **state)
{
	struct envfile *ef =
		parse("A=1\r\nB= 2 \r\nC='x\r\ny'\r\nD=x\\\r\nE=5\r\nF\r\nG=\"\\\r\"\r\n");

	(void)state;
	assert_value(ef, "A", "1");
	assert_value(ef, "B", "2");
	assert_value(ef, "C", "x\r\ny");
	assert_value(ef, "D", "x");
	assert_value(ef, "E", "5");
	assert_line(ef, "E", 6);
	assert_diag(ef, 0, 7, "missing '=', ignoring");
	assert_value(ef, "G", "\\\r");
	envfile_free(ef);
}

static void test_r12_no_export(void **state)
{
	struct envfile *ef = parse("export A=1\nexport\tB=2\nexport=3\nexport C-D=4\n");

	(void)state;
	assert_null(envfile_get(ef, "A"));
	assert_null(envfile_get(ef, "B"));
	assert_value(ef, "export", "3");
	assert_int_equal(ef->n_diags, 3);
	assert_diag(ef, 0, 1, "'export' is not supported, ignoring");
	assert_diag(ef, 1, 2, "'export' is not supported, ignoring");
	assert_diag(ef, 2, 4, "invalid variable name, ignoring");
	envfile_free(ef);
}

static void test_r13_names(void **state)
{
	struct envfile *ef = parse("1A=x\nA-B=x\nA.B=x\n\xc3\xa9=x\n_a1=ok\nabc=ok\nA B=x\n"
				   "\"Q\"=x\n=x\nZ9=ok\n");

	(void)state;
	assert_int_equal(ef->n_entries, 3);
	assert_value(ef, "_a1", "ok");
	assert_value(ef, "abc", "ok");
	assert_value(ef, "Z9", "ok");
	assert_int_equal(ef->n_diags, 7);
	for (size_t i = 0; i < 6; i++)
		assert_diag(ef, i, (unsigned)(i < 4 ? i + 1 : i + 3),
			    "invalid variable name, ignoring");
	/* "=x": '=' cannot start a key, so systemd reads the key "=x" with no '=' after it */
	assert_diag(ef, 6, 9, "missing '=', ignoring");
	envfile_free(ef);
}

static void test_r14_utf8(void **state)
{
	struct envfile *ef = parse("A='\xc3\xa9\xe2\x9c\x93'\nB=\xf0\x9f\x99\x82\n");

	(void)state;
	assert_value(ef, "A", "\xc3\xa9\xe2\x9c\x93");
	assert_value(ef, "B", "\xf0\x9f\x99\x82");
	envfile_free(ef);
	assert_parse_error("A=1\nB=\xff\n", 8, -EBADMSG, 2, "invalid UTF-8");
	assert_parse_error("A=1\n\n\xff=1\n", 9, -EBADMSG, 3, "invalid UTF-8");
	assert_parse_error("A=\"\xc0\xaf\"", 6, -EBADMSG, 1, "invalid UTF-8");
	assert_parse_error("A=\xed\xa0\x80", 5, -EBADMSG, 1, "invalid UTF-8");
	assert_parse_error("A='\xf4\x90\x80\x80'", 8, -EBADMSG, 1, "invalid UTF-8");
	assert_parse_error("# \xff is fine in a comment\nA=\xe2\x9c", 29, -EBADMSG, 2,
			   "invalid UTF-8");
}

static void test_r15_duplicates(void **state)
{
	struct envfile *ef = parse("A=1\nB=2\nA=3\nB-x=4\n");

	(void)state;
	assert_int_equal(ef->n_entries, 2);
	assert_string_equal(ef->entries[0].key, "A");
	assert_string_equal(ef->entries[0].value, "3");
	assert_int_equal(ef->entries[0].line, 3);
	assert_string_equal(ef->entries[1].key, "B");
	envfile_free(ef);
}

static void test_r16_no_expansion(void **state)
{
	struct envfile *ef = parse("A=1\nB=$A ${A} \"$A\" '${A:-x}'\n");

	(void)state;
	assert_value(ef, "B", "$A ${A} \"$A\" '${A:-x}'");
	envfile_free(ef);
	ef = parse("A=1\nB=\"$A\"'${A}'\n");
	assert_value(ef, "B", "$A${A}");
	envfile_free(ef);
}

static void test_r17_nul(void **state)
{
	(void)state;
	assert_parse_error("A=1\n\0B=2\n", 9, -EBADMSG, 2, "NUL byte");
	assert_parse_error("A='x\n\n\0'", 8, -EBADMSG, 3, "NUL byte");
}

static void test_r18_line_numbers(void **state)
{
	struct envfile *ef = parse("A=1\n\n  B=2\nC='x\ny'\nD=\\\n4\nE=5");

	(void)state;
	assert_line(ef, "A", 1);
	assert_line(ef, "B", 3);
	assert_line(ef, "C", 4);
	assert_line(ef, "D", 6);
	assert_line(ef, "E", 8);
	envfile_free(ef);
}

static void assert_names_bound(const struct envfile_error *err, long value, const char *name)
{
	char num[32];

	assert_true(err->msg[0]);
	snprintf(num, sizeof(num), "%ld", value);
	assert_non_null(strstr(err->msg, num));
	assert_non_null(strstr(err->msg, name));
}

/* head + count bytes of fill + tail */
static char *filled(const char *head, char fill, size_t count, const char *tail)
{
	size_t n_head = strlen(head), n_tail = strlen(tail);
	char *buf = malloc(n_head + count + n_tail + 1);

	assert_non_null(buf);
	memcpy(buf, head, n_head);
	memset(buf + n_head, fill, count);
	memcpy(buf + n_head + count, tail, n_tail + 1);
	return buf;
}

static void assert_bound(const char *head, char fill, size_t max, const char *tail,
			 const char *name, unsigned line)
{
	char *ok = filled(head, fill, max, tail);
	char *over = filled(head, fill, max + 1, tail);
	struct envfile_error err = {0};
	struct envfile *ef = NULL;

	envfile_free(parse(ok));
	assert_int_equal(envfile_parse("t", over, strlen(over), &ef, &err), -E2BIG);
	assert_null(ef);
	assert_int_equal(err.line, line);
	assert_names_bound(&err, (long)max, name);
	free(ok);
	free(over);
}

static void test_bounds(void **state)
{
	char *big = filled("#", 'x', ENVFILE_FILE_MAX, "");
	struct envfile_error err = {0};
	struct envfile *ef = NULL;

	(void)state;
	envfile_free(parse_n(big, ENVFILE_FILE_MAX));
	assert_int_equal(envfile_parse("t", big, ENVFILE_FILE_MAX + 1, &ef, &err), -EFBIG);
	assert_int_equal(err.line, 0);
	assert_names_bound(&err, ENVFILE_FILE_MAX, "ENVFILE_FILE_MAX");
	free(big);

	assert_bound("\nA=", 'v', ENVFILE_VALUE_MAX, "\n", "ENVFILE_VALUE_MAX", 2);
	assert_bound("\nA='", 'v', ENVFILE_VALUE_MAX, "'\n", "ENVFILE_VALUE_MAX", 2);
	assert_bound("\n\n", 'K', ENVFILE_KEY_MAX, "=1\n", "ENVFILE_KEY_MAX", 3);

	/* a long line without '=' is only dropped, as systemd drops it */
	big = filled("A=1\n", 'K', ENVFILE_KEY_MAX * 4, "\nB=2\n");
	ef = parse(big);
	assert_value(ef, "A", "1");
	assert_value(ef, "B", "2");
	assert_int_equal(ef->n_diags, 1);
	assert_diag(ef, 0, 2, "missing '=', ignoring");
	envfile_free(ef);
	free(big);
}

static void test_bound_entries(void **state)
{
	char *buf = malloc((ENVFILE_ENTRIES_MAX + 2) * 16), *p = buf;
	struct envfile_error err = {0};
	struct envfile *ef;
	size_t n_ok = 0;

	(void)state;
	p += sprintf(p, "V0=first\n");
	for (size_t i = 0; i <= ENVFILE_ENTRIES_MAX; i++) {
		if (i == ENVFILE_ENTRIES_MAX)
			n_ok = (size_t)(p - buf);
		p += sprintf(p, "V%zu=%zu\n", i, i); /* V0 again: a repeat is not a new variable */
	}
	ef = parse_n(buf, n_ok);
	assert_int_equal(ef->n_entries, ENVFILE_ENTRIES_MAX);
	assert_value(ef, "V0", "0");
	envfile_free(ef);
	ef = NULL;
	assert_int_equal(envfile_parse("t", buf, strlen(buf), &ef, &err), -E2BIG);
	assert_int_equal(err.line, ENVFILE_ENTRIES_MAX + 2);
	assert_names_bound(&err, ENVFILE_ENTRIES_MAX, "ENVFILE_ENTRIES_MAX");
	free(buf);
}

static void test_bound_diags(void **state)
{
	size_t n = ENVFILE_DIAGS_MAX + 8;
	char *buf = malloc(n * 8 + 1);
	struct envfile *ef;

	(void)state;
	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * 8, "bad-x=1\n", 8);
	buf[n * 8] = '\0';
	ef = parse(buf);
	assert_int_equal(ef->n_diags, ENVFILE_DIAGS_MAX);
	assert_int_equal(ef->n_diags_dropped, 8);
	assert_int_equal(ef->diags[ENVFILE_DIAGS_MAX - 1].line, ENVFILE_DIAGS_MAX);
	envfile_free(ef);
	free(buf);
	assert_null(envfile_free(NULL));
}

static void write_file(const char *path, const char *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void test_parse_path_and_fd(void **state)
{
	char dir[] = "/tmp/test-envfile.XXXXXX";
	char path[64], link[64], sub[64], fifo[64], big[64];
	struct envfile_error err = {0};
	struct envfile *ef = NULL;
	char *buf;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.env", dir);
	snprintf(link, sizeof(link), "%s/link.env", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(big, sizeof(big), "%s/big", dir);
	write_file(path, "TOKEN='s3cret'\n", 15);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	buf = filled("#", 'x', ENVFILE_FILE_MAX, "");
	write_file(big, buf, ENVFILE_FILE_MAX + 1);

	assert_int_equal(envfile_parse_path(path, &ef, &err), 0);
	assert_value(ef, "TOKEN", "s3cret");
	ef = envfile_free(ef);
	assert_int_equal(envfile_parse_path(link, &ef, &err), -ELOOP);
	assert_string_equal(err.where, link);
	assert_string_equal(err.msg, "");
	assert_int_equal(envfile_parse_path(sub, &ef, &err), -EISDIR);
	assert_int_equal(envfile_parse_path(fifo, &ef, &err), -EBADFD);
	assert_int_equal(envfile_parse_path("/nonexistent/x", &ef, &err), -ENOENT);
	assert_int_equal(envfile_parse_path(big, &ef, &err), -EFBIG);
	assert_names_bound(&err, ENVFILE_FILE_MAX, "ENVFILE_FILE_MAX");
	assert_null(ef);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(envfile_parse_fd("named", fd, &ef, &err), 0);
	close(fd);
	assert_value(ef, "TOKEN", "s3cret");
	envfile_free(ef);

	unlink(path);
	unlink(link);
	unlink(fifo);
	unlink(big);
	rmdir(sub);
	rmdir(dir);
	free(buf);
}

/* A deterministic generator (xorshift64*), the same on every libc. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t pick(size_t n)
{
	return (size_t)(rng() % n);
}

static void test_random_bytes(void **state)
{
	static const char alphabet[] = "A_=#;'\"\\ \t\r\n`$x\xff\xc3\xa9";
	char buf[64];

	(void)state;
	rng_state = 0xabad1deaULL;
	for (int i = 0; i < 100000; i++) {
		size_t n = pick(sizeof(buf));
		struct envfile_error err = {0};
		struct envfile *ef = NULL;
		int r;

		for (size_t k = 0; k < n; k++)
			buf[k] = alphabet[pick(sizeof(alphabet))]; /* includes the NUL */
		r = envfile_parse("fuzz", buf, n, &ef, &err);
		if (r < 0) {
			assert_int_equal(r, -EBADMSG);
			assert_true(err.line >= 1);
			continue;
		}
		for (size_t k = 0; k < ef->n_entries; k++)
			assert_ptr_equal(envfile_get(ef, ef->entries[k].key), ef->entries[k].value);
		envfile_free(ef);
	}
}

/* --- Comparison with systemd's parser ------------------------------------------------------ */

static const char generator[] = "/usr/lib/systemd/user-environment-generators/"
				"30-systemd-environment-d-generator";

struct text {
	char *buf;
	size_t n;
	size_t cap;
};

static void text_addn(struct text *t, const char *s, size_t n)
{
	if (t->n + n + 1 > t->cap) {
		t->cap = (t->n + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		assert_non_null(t->buf);
	}
	memcpy(t->buf + t->n, s, n);
	t->n += n;
	t->buf[t->n] = '\0';
}

static void text_add(struct text *t, const char *s)
{
	text_addn(t, s, strlen(s));
}

/* Run the generator on dir/environment.d and return its stdout. */
static char *run_generator(const char *dir)
{
	char home[96];
	char *const argv[] = {(char *)generator, NULL};
	char *const envp[] = {home, NULL};
	posix_spawn_file_actions_t fa;
	struct text out = {0};
	int pipefd[2], status;
	char buf[4096];
	ssize_t k;
	pid_t pid;

	snprintf(home, sizeof(home), "XDG_CONFIG_HOME=%s", dir);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	assert_int_equal(posix_spawn(&pid, generator, &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	text_add(&out, "");
	while ((k = read(pipefd[0], buf, sizeof(buf))) > 0)
		text_addn(&out, buf, (size_t)k);
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return out.buf;
}

static int hexval(char c)
{
	return c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';
}

/* Undo shell_maybe_quote(): "..." with C escapes, or the bare value. */
static char *unquote(const char *s, size_t n)
{
	static const char from[] = "abfnrtv", to[] = "\a\b\f\n\r\t\v";
	struct text t = {0};

	text_add(&t, "");
	if (n < 2 || s[0] != '"') {
		text_addn(&t, s, n);
		return t.buf;
	}
	for (size_t i = 1; i + 1 < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 2 < n) {
			const char *m;

			c = s[++i];
			m = strchr(from, c);
			if (m)
				c = to[m - from];
			else if (c == 'x' && i + 3 < n) {
				c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
				i += 2;
			}
		}
		text_addn(&t, &c, 1);
	}
	return t.buf;
}

/* The generator's value for key, or NULL. */
static char *oracle_get(const char *out, const char *key)
{
	size_t n = strlen(key);

	for (const char *l = out, *end; (end = strchr(l, '\n')); l = end + 1)
		if (strncmp(l, key, n) == 0 && l[n] == '=')
			return unquote(l + n + 1, (size_t)(end - l) - n - 1);
	return NULL;
}

/* Compare our parse of each file with the generator's. Differences of the generator, which runs
 * merge_env_file() rather than load_env_file(): it skips empty values, so keys we read as "" are
 * not compared; the inputs avoid '$' (it expands variables) and comments ending in a backslash
 * (systemd before v254 continued those; the generator here may be older). */
static void compare_with_systemd(char **files, size_t n_files, const char *prefix_fmt)
{
	char dir[] = "/tmp/test-envfile-oracle.XXXXXX";
	char sub[96], path[128], prefix[32];
	struct envfile **ours = calloc(n_files, sizeof(*ours));
	char *out;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/environment.d", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	for (size_t i = 0; i < n_files; i++) {
		snprintf(path, sizeof(path), "%s/%04zu.conf", sub, i);
		write_file(path, files[i], strlen(files[i]));
		ours[i] = parse(files[i]);
	}
	out = run_generator(dir);
	for (size_t i = 0; i < n_files; i++) {
		snprintf(prefix, sizeof(prefix), prefix_fmt, i);
		for (size_t k = 0; k < ours[i]->n_entries; k++) {
			const struct envfile_entry *e = &ours[i]->entries[k];
			char *theirs;

			/* other keys may be set by several files of the batch */
			if (e->value[0] == '\0' || strncmp(e->key, prefix, strlen(prefix)) != 0)
				continue;
			theirs = oracle_get(out, e->key);
			if (!theirs || strcmp(theirs, e->value) != 0)
				fail_msg("file %zu:\n%s\nkey %s: ours '%s', systemd '%s'", i,
					 files[i], e->key, e->value, theirs ? theirs : "(unset)");
			free(theirs);
		}
		/* and nothing the generator set from this file is missing here */
		for (const char *l = out, *end; (end = strchr(l, '\n')); l = end + 1) {
			size_t n = strcspn(l, "=");
			char key[256];

			if (strncmp(l, prefix, strlen(prefix)) != 0 || n >= sizeof(key))
				continue;
			memcpy(key, l, n);
			key[n] = '\0';
			if (!envfile_get(ours[i], key))
				fail_msg("file %zu:\n%s\nsystemd sets %s, we do not", i, files[i],
					 key);
		}
		envfile_free(ours[i]);
		snprintf(path, sizeof(path), "%s/%04zu.conf", sub, i);
		unlink(path);
	}
	rmdir(sub);
	rmdir(dir);
	free(out);
	free(ours);
}

static void test_systemd_fixed(void **state)
{
	static const char *const cases[] = {
		"T0_A=1\nT0_B='two words'\nT0_C=\"three \\\"q\\\"\"\n",
		"  T1_A  =   spaced value   \n\tT1_B=\ttab\t\n",
		"T2_A=a\\\n  b\nT2_B=\"x\\\ny\"\nT2_C='p\nq'\n",
		"T3_A=\"a\" 'b' c\nT3_B=a\"b\"c\nT3_C=\"a\"b c  \n",
		"T4_A=x # y\nT4_B=\"\\n\\t\\\\\\`\"\n",
		"T5_A=1\r\nT5_B=' x '\r\nT5_C=y\\\r\nT5_D=z\r\n",
		"export T6_A=1\nT6_B-C=2\n6T6_D=3\nT6_E=ok\nNOEQUALS\n",
		"T7_A=1\nT7_A=2\nT7_B='\xc3\xa9'\n",
		"; c\n# c\nT8_A='open quote\nT8_B=2\n",
		"T9_A=\\\\\\'\\\"\nT9_B=\"\\\\'\"\n",
	};
	char *files[ARRAY_SIZE(cases)];

	(void)state;
	if (access(generator, X_OK) != 0)
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		files[i] = (char *)cases[i];
	compare_with_systemd(files, ARRAY_SIZE(cases), "T%zu_");
}

static void gen_piece(struct text *t)
{
	static const char *const chars[] = {"a",  "Z", " ",  "\t", "=",	       "'",    "\"",
					    "\\", "`", "\n", "\r", "\xc3\xa9", "\\\n", "\\\\"};

	for (size_t n = pick(10); n > 0; n--)
		text_add(t, chars[pick(ARRAY_SIZE(chars))]);
}

static char *gen_env_file(size_t index)
{
	struct text t = {0};
	char key[32];

	text_add(&t, "");
	for (size_t n = pick(6); n > 0; n--) {
		switch (pick(6)) {
		case 0:
			text_add(&t, pick(2) ? "# comment" : "  ; comment");
			break;
		case 1:
			text_add(&t, pick(2) ? "" : " \t");
			break;
		default:
			snprintf(key, sizeof(key), "%sR%zu_%zu", pick(8) ? "" : "export ", index,
				 pick(4));
			text_add(&t, pick(4) ? "" : "  ");
			text_add(&t, key);
			text_add(&t, pick(4) ? "" : " ");
			text_add(&t, "=");
			gen_piece(&t);
			break;
		}
		text_add(&t, pick(6) ? "\n" : "\r\n");
	}
	return t.buf;
}

static void test_systemd_random(void **state)
{
	enum { BATCH = 100, BATCHES = 10 };
	char *files[BATCH];

	(void)state;
	if (access(generator, X_OK) != 0)
		skip();
	rng_state = 0x5eedULL;
	for (size_t b = 0; b < BATCHES; b++) {
		for (size_t i = 0; i < BATCH; i++)
			files[i] = gen_env_file(i);
		compare_with_systemd(files, BATCH, "R%zu_");
		for (size_t i = 0; i < BATCH; i++)
			free(files[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_r01_comments),
		cmocka_unit_test(test_r02_blank_lines),
		cmocka_unit_test(test_r03_keys),
		cmocka_unit_test(test_r04_empty_values),
		cmocka_unit_test(test_r05_unquoted),
		cmocka_unit_test(test_r06_single_quotes),
		cmocka_unit_test(test_r07_double_quotes),
		cmocka_unit_test(test_r08_concatenation),
		cmocka_unit_test(test_r09_no_trailing_comments),
		cmocka_unit_test(test_r10_unterminated_quote),
		cmocka_unit_test(test_r11_carriage_returns),
		cmocka_unit_test(test_r12_no_export),
		cmocka_unit_test(test_r13_names),
		cmocka_unit_test(test_r14_utf8),
		cmocka_unit_test(test_r15_duplicates),
		cmocka_unit_test(test_r16_no_expansion),
		cmocka_unit_test(test_r17_nul),
		cmocka_unit_test(test_r18_line_numbers),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_bound_entries),
		cmocka_unit_test(test_bound_diags),
		cmocka_unit_test(test_parse_path_and_fd),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_systemd_fixed),
		cmocka_unit_test(test_systemd_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
