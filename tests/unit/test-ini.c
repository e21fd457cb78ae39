/* test-ini.c: unit tests of core/ini — byte-exact round trips, continuation rules, every error
 * with its line, every bound just under and just over, lookups, edits, and randomized round trips
 * of generated files and of random edits. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "ini.h"

static struct ini *parse_n(const char *buf, size_t n)
{
	struct ini_error err = {0};
	struct ini *ini = NULL;
	int r = ini_parse("test", buf, n, &ini, &err);

	if (r < 0)
		fail_msg("parse failed: %d at line %u: %s", r, err.line,
			 err.msg[0] ? err.msg : "-");
	return ini;
}

static struct ini *parse(const char *buf)
{
	return parse_n(buf, strlen(buf));
}

static char *serialize(const struct ini *ini)
{
	char *out = NULL;
	size_t n = 0;

	assert_int_equal(ini_serialize(ini, &out, &n), 0);
	assert_int_equal(n, strlen(out));
	return out;
}

static void assert_roundtrip_n(const char *buf, size_t n)
{
	struct ini *ini = parse_n(buf, n);
	char *out = NULL;
	size_t n_out = 0;

	assert_int_equal(ini_serialize(ini, &out, &n_out), 0);
	assert_int_equal(n_out, n);
	assert_memory_equal(out, buf, n);
	free(out);
	ini_free(ini);
}

static void assert_serializes_to(const struct ini *ini, const char *expected)
{
	char *out = serialize(ini);

	assert_string_equal(out, expected);
	free(out);
}

static void assert_same_model(const struct ini *a, const struct ini *b)
{
	assert_int_equal(a->n_sections, b->n_sections);
	assert_int_equal(a->preamble.n_lines, b->preamble.n_lines);
	assert_int_equal(a->n_entries, b->n_entries);
	for (size_t i = 0; i <= a->n_sections; i++) {
		const struct ini_section *sa = i ? &a->sections[i - 1] : &a->preamble;
		const struct ini_section *sb = i ? &b->sections[i - 1] : &b->preamble;

		if (i)
			assert_string_equal(sa->name, sb->name);
		assert_int_equal(sa->n_lines, sb->n_lines);
		for (size_t j = 0; j < sa->n_lines; j++) {
			assert_int_equal(sa->lines[j].type, sb->lines[j].type);
			if (sa->lines[j].type != INI_LINE_ENTRY)
				continue;
			assert_string_equal(sa->lines[j].key, sb->lines[j].key);
			assert_string_equal(sa->lines[j].value, sb->lines[j].value);
		}
	}
}

/* Serialize, parse the text again, and check both describe the same document. */
static void assert_reparses(const struct ini *ini)
{
	char *out = serialize(ini);
	struct ini *again = parse(out);

	assert_same_model(ini, again);
	ini_free(again);
	free(out);
}

static const char quadlet_web[] = "# web.container: managed by tailpod\n"
				  "; a semicolon comment\n"
				  "\n"
				  "[Unit]\n"
				  "Description=Web frontend\n"
				  "After=network-online.target\n"
				  "Wants=network-online.target\n"
				  "\n"
				  "[Container]\n"
				  "Image=docker.io/library/nginx:1.27\n"
				  "PublishPort=8080:80\n"
				  "PublishPort=8443:443\n"
				  "Environment=A=1 B=2\n"
				  "Exec=/usr/sbin/nginx \\\n"
				  "  -g \"daemon off;\" \\\n"
				  "  # a comment inside the continuation\n"
				  "  -c /etc/nginx/nginx.conf\n"
				  "Volume=/srv/web:/usr/share/nginx/html:Z,ro\n"
				  "Label=traefik.enable=true\n"
				  "\n"
				  "[Service]\n"
				  "Restart=always\n"
				  "TimeoutStartSec=900\n"
				  "\n"
				  "[Install]\n"
				  "WantedBy=multi-user.target default.target\n";

static void test_roundtrip_examples(void **state)
{
	static const char *const inputs[] = {
		"",
		"\n",
		"\n\n\n",
		"[Unit]\n",
		"[Unit]",
		quadlet_web,
		"  [Unit]  \n\t Key\t =\t value with  spaces \t\n   \n\t# indented comment\n",
		"[Unit]\r\nA=1\r\n\r\nB = 2 \\\r\n  more\r\n",
		"[S]\nA=foo \\",
		"[S]\nA=foo \\\n",
		"[S]\\",
		"[S]\n\\",
		"\xef\xbb\xbf# bom\n[Unit]\nA=1\n",
		"\xef\xbb\xbf[Unit]\nA=1\n",
		"[S]\nFoo Bar = baz\n",
		"[S]\nA=\nB= \n C =\t\n",
		"[A]\nx=1\n[B]\ny=2\n[A]\nx=3\n",
		"[S]\nA=b=c # not a comment ; nor this\n",
		"[Uni\\\nt]\nA=1\n",
		"[S]\nA=C:\\\\\nB=2\n",
		"[S]\nA=x\\ \nB=2\n",
		"[Container]\nExec=\"/some/binary file\" --arg1 \\ \n  \"arg "
		"2\"\nPublishPort=80:80\n",
		"[S]\nA=x \\\n\nB=2\n",
		"# only\n; comments\n\n",
		"[\xc3\x9cn\xc3\xaf"
		"code]\nKey=v\xc3\xa4lue \xe2\x9c\x93\n",
		"[ Unit ]\n",
		"# \xff\xfe not UTF-8, but a comment\n[S]\n",
		"[S]\n   \t\n",
		"[S]\n\\\n\nA=1\n",
		"[S]\nA=1\n# trailing comment without newline",
		"[S]\nA=1 \\\n# comment at the end of a continuation\n",
		"[S]\nA=1 \\\n  B=2 \\\n  [NotASection]\n",
		"[S]\nA=1\n\n\n\n[T]\n\n",
		"[S]\nKey=\"quoted value\" 'single' $VAR %i\n",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++)
		assert_roundtrip_n(inputs[i], strlen(inputs[i]));
}

static void test_quadlet_model(void **state)
{
	struct ini *ini = parse(quadlet_web);
	const struct ini_section *c;

	(void)state;
	assert_int_equal(ini->preamble.n_lines, 3);
	assert_int_equal(ini->preamble.lines[0].type, INI_LINE_COMMENT);
	assert_int_equal(ini->preamble.lines[2].type, INI_LINE_BLANK);
	assert_int_equal(ini->n_sections, 4);
	assert_string_equal(ini->sections[0].name, "Unit");
	assert_int_equal(ini->sections[0].line, 4);
	c = ini_section_find(ini, "Container");
	assert_non_null(c);
	assert_int_equal(c->line, 9);
	assert_string_equal(ini_get(ini, "Container", "Exec"),
			    "/usr/sbin/nginx    -g \"daemon off;\"    -c /etc/nginx/nginx.conf");
	assert_int_equal(c->lines[4].line, 14); /* Exec starts on line 14 */
	assert_int_equal(c->lines[5].line, 18); /* Volume follows the 4-line continuation */
	assert_string_equal(ini_get(ini, "Container", "Environment"), "A=1 B=2");
	assert_string_equal(ini_get(ini, "Container", "Label"), "traefik.enable=true");
	assert_string_equal(ini_get(ini, "Install", "WantedBy"),
			    "multi-user.target default.target");
	assert_int_equal(ini->n_entries, 13);
	assert_string_equal(ini->eol, "\n");
	ini_free(ini);
}

static void test_whitespace_trimming(void **state)
{
	struct ini *ini = parse("  [Unit]  \n\t Key\t =\t value with  spaces \t\n");

	(void)state;
	assert_string_equal(ini->sections[0].name, "Unit");
	assert_string_equal(ini->sections[0].lines[0].key, "Key");
	assert_string_equal(ini_get(ini, "Unit", "Key"), "value with  spaces");
	ini_free(ini);

	ini = parse("[ Unit ]\nFoo Bar = baz\nA=\n");
	assert_string_equal(ini->sections[0].name, " Unit ");
	assert_string_equal(ini_get(ini, " Unit ", "Foo Bar"), "baz");
	assert_string_equal(ini_get(ini, " Unit ", "A"), "");
	ini_free(ini);
}

static void test_continuation_rules(void **state)
{
	struct ini *ini;

	(void)state;
	/* The backslash becomes a space and the next line is appended with its blanks. */
	ini = parse("[S]\nA=a\\\n   b\n");
	assert_string_equal(ini_get(ini, "S", "A"), "a    b");
	assert_string_equal(ini->sections[0].lines[0].raw, "A=a\\\n   b\n");
	ini_free(ini);

	/* Comment lines inside a continuation are skipped; the continuation goes on. */
	ini = parse("[S]\nA=a \\\n# skipped\n; skipped\nb\nB=2\n");
	assert_string_equal(ini_get(ini, "S", "A"), "a  b");
	assert_string_equal(ini_get(ini, "S", "B"), "2");
	assert_int_equal(ini->sections[0].n_lines, 2);
	ini_free(ini);

	/* A blank line ends the continuation. */
	ini = parse("[S]\nA=x \\\n\nB=2\n");
	assert_string_equal(ini_get(ini, "S", "A"), "x");
	assert_string_equal(ini->sections[0].lines[0].raw, "A=x \\\n\n");
	assert_string_equal(ini_get(ini, "S", "B"), "2");
	ini_free(ini);

	/* An escaped backslash does not continue. */
	ini = parse("[S]\nA=C:\\\\\nB=2\n");
	assert_string_equal(ini_get(ini, "S", "A"), "C:\\\\");
	assert_string_equal(ini_get(ini, "S", "B"), "2");
	ini_free(ini);

	/* Blanks after the backslash are dropped and the line continues (Podman's rule). */
	ini = parse("[S]\nA=x\\ \t\n  y\nB=2\n");
	assert_string_equal(ini_get(ini, "S", "A"), "x   y");
	assert_string_equal(ini_get(ini, "S", "B"), "2");
	ini_free(ini);

	/* ...but an escaped backslash followed by blanks is still text. */
	ini = parse("[S]\nA=x\\\\ \nB=2\n");
	assert_string_equal(ini_get(ini, "S", "A"), "x\\\\");
	assert_string_equal(ini_get(ini, "S", "B"), "2");
	ini_free(ini);

	/* The end of the file ends a continuation. */
	ini = parse("[S]\nA=foo \\");
	assert_string_equal(ini_get(ini, "S", "A"), "foo");
	assert_true(ini->sections[0].lines[0].open);
	ini_free(ini);

	/* A continued line may hold what looks like a header or an assignment. */
	ini = parse("[S]\nA=1 \\\n[T]\n");
	assert_int_equal(ini->n_sections, 1);
	assert_string_equal(ini_get(ini, "S", "A"), "1  [T]");
	ini_free(ini);

	/* A header can be continued, too. */
	ini = parse("[Uni\\\nt]\n");
	assert_string_equal(ini->sections[0].name, "Uni t");
	ini_free(ini);

	/* CRLF line ends: the CR is not part of the value, and continuations work. */
	ini = parse("[S]\r\nA=1 \\\r\n  2\r\n");
	assert_string_equal(ini_get(ini, "S", "A"), "1    2");
	assert_string_equal(ini->eol, "\r\n");
	ini_free(ini);
}

static void test_bom(void **state)
{
	struct ini *ini = parse("\xef\xbb\xbf[Unit]\nA=1\n");

	(void)state;
	assert_string_equal(ini->sections[0].name, "Unit");
	assert_int_equal(ini_blank_insert(ini, &ini->preamble, 0), -EINVAL);
	ini_free(ini);

	ini = parse("\xef\xbb\xbf# comment\n[Unit]\n");
	assert_int_equal(ini->preamble.lines[0].type, INI_LINE_COMMENT);
	assert_int_equal(ini_blank_insert(ini, &ini->preamble, 0), -EINVAL);
	assert_int_equal(ini_blank_insert(ini, &ini->preamble, 1), 0);
	assert_reparses(ini);
	ini_free(ini);

	/* Only on line 1. */
	ini = parse("[S]\nA=\xef\xbb\xbf\n");
	assert_string_equal(ini_get(ini, "S", "A"), "\xef\xbb\xbf");
	ini_free(ini);
}

struct error_case {
	const char *input;
	size_t size; /* 0: strlen */
	int r;
	unsigned line;
	const char *msg;
};

static void test_errors(void **state)
{
	static const struct error_case cases[] = {
		{"A=1\n", 0, -EBADMSG, 1, "assignment outside of any section"},
		{"# c\n\nfoo\n", 0, -EBADMSG, 3,
		 "line is not a section header, assignment or comment"},
		{"[Unit\n", 0, -EBADMSG, 1, "invalid section header"},
		{"\n[Unit] x\n", 0, -EBADMSG, 2, "invalid section header"},
		{"[Unit]\n[\n", 0, -EBADMSG, 2, "invalid section header"},
		{"[]\n", 0, -EBADMSG, 1, "empty section name"},
		{"[a]b]\n", 0, -EBADMSG, 1, "invalid character in section name"},
		{"[a[b]\n", 0, -EBADMSG, 1, "invalid character in section name"},
		{"[a\"b]\n", 0, -EBADMSG, 1, "invalid character in section name"},
		{"[a'b]\n", 0, -EBADMSG, 1, "invalid character in section name"},
		{"[a\\b]\n", 0, -EBADMSG, 1, "invalid character in section name"},
		{"[a\x01"
		 "b]\n",
		 0, -EBADMSG, 1, "invalid character in section name"},
		{"[a\x7f]\n", 0, -EBADMSG, 1, "invalid character in section name"},
		{"[S]\nfoo\n", 0, -EBADMSG, 2, "missing '='"},
		{"[S]\n=foo\n", 0, -EBADMSG, 2, "missing key name before '='"},
		{"[S]\n \t= foo\n", 0, -EBADMSG, 2, "missing key name before '='"},
		{"[S]\nA\x01=1\n", 0, -EBADMSG, 2, "invalid character in key name"},
		{"[S]\nA\tB=1\n", 0, -EBADMSG, 2, "invalid character in key name"},
		{"[S]\nA=\xff\n", 0, -EBADMSG, 2, "invalid UTF-8"},
		{"[S]\nA=\xc0\xaf\n", 0, -EBADMSG, 2, "invalid UTF-8"},
		{"[S]\nA=\xe0\x80\xaf\n", 0, -EBADMSG, 2, "invalid UTF-8"},
		{"[S]\nA=\xed\xa0\x80\n", 0, -EBADMSG, 2, "invalid UTF-8"},
		{"[S]\nA=\xf4\x90\x80\x80\n", 0, -EBADMSG, 2, "invalid UTF-8"},
		{"[S]\nA=\xe2\x9c\n", 0, -EBADMSG, 2, "invalid UTF-8"},
		{"[\xff]\n", 0, -EBADMSG, 1, "invalid UTF-8"},
		{"[S]\nA=1\rB=2\n", 0, -EBADMSG, 2, "carriage return not followed by a newline"},
		{"[S]\nA=1\r", 0, -EBADMSG, 2, "carriage return not followed by a newline"},
		{"[S]\n\r\r\n", 0, -EBADMSG, 2, "carriage return not followed by a newline"},
		{"[S]\n\nA=\0x\n", 10, -EBADMSG, 3, "NUL byte"},
		{"\0", 1, -EBADMSG, 1, "NUL byte"},
		{"[S]\nA=1\nfoo \\\nbar\n", 0, -EBADMSG, 3, "missing '='"},
		{"[S]\nA=1\nfoo \\", 0, -EBADMSG, 3, "missing '='"},
		{"[S]\nA=1 \\\n# c\n\xff\n", 0, -EBADMSG, 2, "invalid UTF-8"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct error_case *c = &cases[i];
		struct ini *ini = (struct ini *)&cases; /* must stay untouched */
		struct ini_error err = {0};
		size_t n = c->size ? c->size : strlen(c->input);

		assert_int_equal(ini_parse("web.container", c->input, n, &ini, &err), c->r);
		assert_ptr_equal(ini, &cases);
		assert_string_equal(err.where, "web.container");
		assert_int_equal(err.line, c->line);
		assert_string_equal(err.msg, c->msg);
	}
}

static void assert_names_bound(const struct ini_error *err, long value, const char *name)
{
	char num[32];

	assert_true(err->msg[0]);
	snprintf(num, sizeof(num), "%ld", value);
	assert_non_null(strstr(err->msg, num));
	assert_non_null(strstr(err->msg, name));
}

/* A valid file of exactly size bytes: a header, then comment lines. */
static char *valid_file_of_size(size_t size)
{
	char *buf = malloc(size + 1);
	size_t off = 4;

	assert_non_null(buf);
	memcpy(buf, "[S]\n", 4);
	while (off < size) {
		size_t n = size - off > 60001 ? 60001 : size - off;

		memset(buf + off, 'x', n);
		buf[off] = '#';
		buf[off + n - 1] = '\n';
		off += n;
	}
	buf[size] = '\0';
	return buf;
}

static void test_bound_file_size(void **state)
{
	char *buf = valid_file_of_size(INI_FILE_MAX + 1);
	struct ini_error err = {0};
	struct ini *ini = NULL;

	(void)state;
	assert_roundtrip_n(buf, INI_FILE_MAX);
	assert_int_equal(ini_parse("t", buf, INI_FILE_MAX + 1, &ini, &err), -EFBIG);
	assert_null(ini);
	assert_int_equal(err.line, 0);
	assert_names_bound(&err, INI_FILE_MAX, "INI_FILE_MAX");
	free(buf);
}

/* A document of exactly size bytes (size >= 16): "[S]\n", then "K=vvv" entries of 64 bytes, the
 * last one 9 to 72, ending on "\\" so the source ends inside its continuation when open is set. */
static char *entries_of_size(size_t size, bool open)
{
	char *buf = malloc(size + 1);
	size_t off = 4;

	assert_non_null(buf);
	memcpy(buf, "[S]\n", 4);
	while (off < size) {
		size_t n = size - off > 72 ? 64 : size - off;

		memset(buf + off, 'v', n);
		buf[off] = 'K';
		buf[off + 1] = '=';
		buf[off + n - 1] = '\n';
		off += n;
	}
	if (open)
		buf[size - 1] = '\\';
	buf[size] = '\0';
	return buf;
}

/* ini_serialize writes on its stack up to 4 KiB, then emits again into the heap: every size on
 * both sides of that comes back byte for byte, and an edit after an open last line still closes it.
 */
static void test_serialize_around_stack(void **state)
{
	(void)state;
	for (size_t size = 4096 - 130; size <= 4096 + 130; size++) {
		for (int open = 0; open <= 1; open++) {
			char *buf = entries_of_size(size, open);
			struct ini *ini;
			char *out;

			assert_roundtrip_n(buf, size);
			ini = parse_n(buf, size);
			assert_int_equal(ini_entry_append(ini, "S", "Added", "1"), 0);
			out = serialize(ini);
			/* an open last line followed by more is written in its closed one-line form
			 */
			assert_memory_equal(out, buf, size - (size_t)open);
			assert_string_equal(out + strlen(out) - 8, "Added=1\n");
			free(out);
			ini_free(ini);
			free(buf);
		}
	}
}

static char *entry_with_value(size_t n_value, const char *prefix)
{
	size_t n_prefix = strlen(prefix);
	char *buf = malloc(n_prefix + 2 + n_value + 2);

	assert_non_null(buf);
	memcpy(buf, prefix, n_prefix);
	memcpy(buf + n_prefix, "A=", 2);
	memset(buf + n_prefix + 2, 'v', n_value);
	memcpy(buf + n_prefix + 2 + n_value, "\n", 2);
	return buf;
}

static void test_bound_line_length(void **state)
{
	char *ok = entry_with_value(INI_LINE_MAX - 2, "[S]\n");
	char *over = entry_with_value(INI_LINE_MAX - 1, "[S]\n");
	struct ini_error err = {0};
	struct ini *ini = NULL;

	(void)state;
	assert_roundtrip_n(ok, strlen(ok));
	assert_int_equal(ini_parse("t", over, strlen(over), &ini, &err), -E2BIG);
	assert_int_equal(err.line, 2);
	assert_names_bound(&err, INI_LINE_MAX, "INI_LINE_MAX");
	free(ok);
	free(over);
}

/* "A=" + a's + "\\\n" + b's: a logical line of n1 + 3 + n2 bytes over two physical lines. */
static char *continued(size_t n1, size_t n2)
{
	char *buf = malloc(6 + n1 + 2 + n2 + 2);

	assert_non_null(buf);
	memcpy(buf, "[S]\nA=", 6);
	memset(buf + 6, 'a', n1);
	memcpy(buf + 6 + n1, "\\\n", 2);
	memset(buf + 8 + n1, 'b', n2);
	memcpy(buf + 8 + n1 + n2, "\n", 2);
	return buf;
}

static void test_bound_continued_line(void **state)
{
	size_t half = INI_LINE_MAX / 2;
	char *ok = continued(half - 3, half);
	char *over = continued(half - 2, half);
	struct ini_error err = {0};
	struct ini *ini = NULL;

	(void)state;
	assert_roundtrip_n(ok, strlen(ok));
	assert_int_equal(ini_parse("t", over, strlen(over), &ini, &err), -E2BIG);
	assert_int_equal(err.line, 2);
	assert_names_bound(&err, INI_LINE_MAX, "INI_LINE_MAX");
	free(ok);
	free(over);
}

/* A header, then count copies of line. */
static char *repeated(const char *head, const char *line, size_t count)
{
	size_t n_head = strlen(head), n = strlen(line);
	char *buf = malloc(n_head + n * count + 1);

	assert_non_null(buf);
	memcpy(buf, head, n_head);
	for (size_t i = 0; i < count; i++)
		memcpy(buf + n_head + i * n, line, n);
	buf[n_head + n * count] = '\0';
	return buf;
}

static void assert_count_bound(const char *head, const char *line, size_t max, const char *name,
			       unsigned first_line)
{
	char *ok = repeated(head, line, max);
	char *over = repeated(head, line, max + 1);
	struct ini_error err = {0};
	struct ini *ini = NULL;

	assert_roundtrip_n(ok, strlen(ok));
	assert_int_equal(ini_parse("t", over, strlen(over), &ini, &err), -E2BIG);
	assert_int_equal(err.line, first_line + max);
	assert_names_bound(&err, (long)max, name);
	free(ok);
	free(over);
}

static void test_bound_counts(void **state)
{
	(void)state;
	assert_count_bound("[S]\n", "A=1\n", INI_ENTRIES_MAX, "INI_ENTRIES_MAX", 2);
	assert_count_bound("", "[S]\n", INI_SECTIONS_MAX, "INI_SECTIONS_MAX", 1);
	assert_count_bound("[S]\n", "#\n", INI_LINES_MAX, "INI_LINES_MAX", 2);
	assert_count_bound("", "\n", INI_LINES_MAX, "INI_LINES_MAX", 1);
}

static void test_bound_edits(void **state)
{
	char *full = repeated("[S]\n", "A=1\n", INI_ENTRIES_MAX);
	char *sections = repeated("", "[S]\n", INI_SECTIONS_MAX);
	struct ini *ini = parse(full);
	char *big = malloc(INI_LINE_MAX + 1);

	(void)state;
	assert_int_equal(ini_entry_append(ini, "S", "B", "2"), -E2BIG);
	assert_int_equal(ini_entry_append(ini, "T", "B", "2"), -E2BIG);
	assert_int_equal(ini->n_sections, 1); /* the new section was taken back */
	assert_int_equal(ini_set(ini, "S", "A", "2"), 0);
	assert_int_equal(ini_remove(ini, "S", "A"), INI_ENTRIES_MAX);
	assert_int_equal(ini->n_entries, 0);
	memset(big, 'v', INI_LINE_MAX);
	big[INI_LINE_MAX - 1] = '\0'; /* "B=" + value: INI_LINE_MAX + 1 bytes */
	assert_int_equal(ini_entry_append(ini, "S", "B", big), -E2BIG);
	big[INI_LINE_MAX - 2] = '\0';
	assert_int_equal(ini_entry_append(ini, "S", "B", big), 0);
	assert_reparses(ini);
	ini_free(ini);

	ini = parse(sections);
	assert_int_equal(ini_section_append(ini, "T", NULL), -E2BIG);
	assert_int_equal(ini_entry_append(ini, "T", "A", "1"), -E2BIG);
	ini_free(ini);
	free(big);
	free(full);
	free(sections);
}

static void test_lookups(void **state)
{
	struct ini *ini = parse("[A]\nx=1\nx=2\ny=\n[B]\nx=9\n[A]\nx=3\nz=a\nz=\nz=b\n");
	const char **values = NULL;
	size_t n = 99;

	(void)state;
	assert_string_equal(ini_get(ini, "A", "x"), "3");
	assert_string_equal(ini_get(ini, "B", "x"), "9");
	assert_string_equal(ini_get(ini, "A", "y"), "");
	assert_null(ini_get(ini, "A", "X"));
	assert_null(ini_get(ini, "a", "x"));
	assert_null(ini_get(ini, "C", "x"));
	assert_ptr_equal(ini_section_find(ini, "A"), &ini->sections[0]);
	assert_ptr_equal(ini_section_find_last(ini, "A"), &ini->sections[2]);
	assert_null(ini_section_find(ini, "C"));

	assert_int_equal(ini_get_all(ini, "A", "x", 0, &values, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(values[0], "1");
	assert_string_equal(values[1], "2");
	assert_string_equal(values[2], "3");
	free(values);

	assert_int_equal(ini_get_all(ini, "A", "z", 0, &values, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(values[1], "");
	free(values);
	assert_int_equal(ini_get_all(ini, "A", "z", INI_GET_ALL_RESET, &values, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(values[0], "b");
	free(values);
	assert_int_equal(ini_get_all(ini, "A", "y", INI_GET_ALL_RESET, &values, &n), 0);
	assert_int_equal(n, 0);
	assert_null(values);
	assert_int_equal(ini_get_all(ini, "C", "x", 0, &values, &n), 0);
	assert_int_equal(n, 0);
	assert_null(values);
	ini_free(ini);
}

static const char merge_base[] = "[Unit]\n"
				 "Description=x\n"
				 "\n"
				 "[Container]\n"
				 "# image first\n"
				 "Image=a\n"
				 "\n"
				 "# about the service\n"
				 "[Service]\n"
				 "Restart=always\n";

/* The shapes the transform merge needs: prepend, default-append, section-append. */
static void test_edits_merge_shapes(void **state)
{
	struct ini *ini = parse(merge_base);
	struct ini_section *c = ini_section_find(ini, "Container");

	(void)state;
	assert_int_equal(ini_section_end(c), 2);
	assert_int_equal(ini_entry_insert(ini, c, 0, "Label", "first"), 0);
	assert_int_equal(ini_entry_insert(ini, c, 1, "Label", "second"), 0);
	assert_int_equal(ini_entry_append(ini, "Container", "PublishPort", "80:80"), 0);
	if (!ini_get(ini, "Container", "Image"))
		fail();
	assert_int_equal(ini_entry_append(ini, "Install", "WantedBy", "default.target"), 0);
	assert_serializes_to(ini, "[Unit]\n"
				  "Description=x\n"
				  "\n"
				  "[Container]\n"
				  "Label=first\n"
				  "Label=second\n"
				  "# image first\n"
				  "Image=a\n"
				  "PublishPort=80:80\n"
				  "\n"
				  "# about the service\n"
				  "[Service]\n"
				  "Restart=always\n"
				  "[Install]\n"
				  "WantedBy=default.target\n");
	assert_int_equal(ini->n_entries, 7);
	assert_int_equal(ini->sections[1].lines[0].line, 0);
	assert_reparses(ini);
	ini_free(ini);
}

static void test_edits_set_remove(void **state)
{
	struct ini *ini = parse(merge_base);
	struct ini_section *s;

	(void)state;
	assert_int_equal(ini_set(ini, "Service", "Restart", "on-failure"), 0);
	assert_int_equal(ini_set(ini, "Service", "RestartSec", "5"), 0);
	assert_int_equal(ini_set(ini, "Unit", "Description", ""), 0);
	assert_int_equal(ini->sections[0].lines[0].line, 2);
	assert_int_equal(ini_remove(ini, "Container", "Image"), 1);
	assert_int_equal(ini_remove(ini, "Container", "Image"), 0);
	assert_int_equal(ini_remove(ini, "Nope", "Image"), 0);
	s = ini_section_find(ini, "Container");
	assert_int_equal(ini_section_end(s), 0);
	assert_int_equal(ini_blank_insert(ini, s, 0), 0);
	assert_int_equal(ini_line_remove(ini, s, 1), 0);
	assert_int_equal(ini_line_remove(ini, s, s->n_lines), -EINVAL);
	assert_int_equal(ini_section_append(ini, "Install", &s), 0);
	assert_string_equal(s->name, "Install");
	assert_serializes_to(ini, "[Unit]\n"
				  "Description=\n"
				  "\n"
				  "[Container]\n"
				  "\n"
				  "\n"
				  "# about the service\n"
				  "[Service]\n"
				  "Restart=on-failure\n"
				  "RestartSec=5\n"
				  "[Install]\n");
	assert_reparses(ini);
	ini_free(ini);

	/* set replaces the last of duplicates only, across same-named sections */
	ini = parse("[A]\nx=1\n[A]\nx=2\nx=3\n");
	assert_int_equal(ini_set(ini, "A", "x", "4"), 0);
	assert_serializes_to(ini, "[A]\nx=1\n[A]\nx=2\nx=4\n");
	assert_int_equal(ini_remove(ini, "A", "x"), 3);
	assert_serializes_to(ini, "[A]\n[A]\n");
	ini_free(ini);
}

static void test_edits_invalid(void **state)
{
	static const char *const bad_keys[] = {"",   "A=B", " A",   "A ",    "\tA",   "#A",
					       ";A", "[A",  "A\nB", "A\x01", "A\x7f", "\xff"};
	static const char *const bad_values[] = {" x",	"x ",	   "\tx", "a\nb", "a\rb",
						 "x\\", "x\\\\\\", "\\",  "\xff", "\xc0\x80"};
	static const char *const good_values[] = {"",	      "x\\\\",	      "a b", "a\tb",
						  "=#;[]\"'", "\xe2\x9c\x93", "\\x"};
	static const char *const bad_sections[] = {"",	   "a]b",   "a[b", "a\"b",
						   "a\\b", "a\x01", "\xff"};
	struct ini *ini = parse("[S]\nA=1\n");
	struct ini_section *s = &ini->sections[0];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_keys); i++) {
		assert_int_equal(ini_entry_insert(ini, s, 0, bad_keys[i], "v"), -EINVAL);
		assert_int_equal(ini_entry_append(ini, "S", bad_keys[i], "v"), -EINVAL);
		assert_int_equal(ini_set(ini, "S", bad_keys[i], "v"), -EINVAL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_values); i++) {
		assert_int_equal(ini_entry_insert(ini, s, 0, "K", bad_values[i]), -EINVAL);
		assert_int_equal(ini_set(ini, "S", "A", bad_values[i]), -EINVAL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_sections); i++) {
		assert_int_equal(ini_section_append(ini, bad_sections[i], NULL), -EINVAL);
		assert_int_equal(ini_entry_append(ini, bad_sections[i], "K", "v"), -EINVAL);
	}
	assert_int_equal(ini_entry_insert(ini, s, 2, "K", "v"), -EINVAL);
	assert_int_equal(ini_entry_insert(ini, &ini->preamble, 0, "K", "v"), -EINVAL);
	assert_int_equal(ini_blank_insert(ini, s, 2), -EINVAL);
	assert_int_equal(ini->n_sections, 1);
	assert_int_equal(ini->n_entries, 1);
	assert_serializes_to(ini, "[S]\nA=1\n");
	for (size_t i = 0; i < ARRAY_SIZE(good_values); i++) {
		assert_int_equal(ini_entry_append(ini, "S", "K", good_values[i]), 0);
		assert_reparses(ini);
		assert_string_equal(ini_get(ini, "S", "K"), good_values[i]);
	}
	ini_free(ini);
}

static void test_edits_after_odd_endings(void **state)
{
	struct ini *ini;

	(void)state;
	/* no final newline: one is added before the new line */
	ini = parse("[S]\nA=1");
	assert_int_equal(ini_entry_append(ini, "S", "B", "2"), 0);
	assert_serializes_to(ini, "[S]\nA=1\nB=2\n");
	ini_free(ini);

	ini = parse("[S]\n# end");
	assert_int_equal(ini_entry_append(ini, "T", "B", "2"), 0);
	assert_serializes_to(ini, "[S]\n# end\n[T]\nB=2\n");
	ini_free(ini);

	/* an open continuation would swallow what follows: it is written in one line */
	ini = parse("[S]\nA=foo \\");
	assert_int_equal(ini_entry_append(ini, "S", "B", "2"), 0);
	assert_serializes_to(ini, "[S]\nA=foo\nB=2\n");
	assert_reparses(ini);
	ini_free(ini);

	ini = parse("[S]\nA=foo \\\n");
	assert_int_equal(ini_entry_append(ini, "T", "B", "2"), 0);
	assert_serializes_to(ini, "[S]\nA=foo\n[T]\nB=2\n");
	ini_free(ini);

	ini = parse("[S]\\");
	assert_int_equal(ini_entry_append(ini, "S", "A", "1"), 0);
	assert_serializes_to(ini, "[S]\nA=1\n");
	ini_free(ini);

	ini = parse("[S]\n\\");
	assert_int_equal(ini_entry_append(ini, "T", "A", "1"), 0);
	assert_serializes_to(ini, "[S]\n\n[T]\nA=1\n");
	ini_free(ini);

	/* ...unless even the one-line form would continue: then a blank line closes it */
	ini = parse("[S]\nA=x\\ \\");
	assert_string_equal(ini_get(ini, "S", "A"), "x\\");
	assert_int_equal(ini_entry_append(ini, "S", "B", "2"), 0);
	assert_serializes_to(ini, "[S]\nA=x\\ \\\n\nB=2\n");
	assert_reparses(ini);
	ini_free(ini);

	/* CRLF documents get CRLF lines */
	ini = parse("[S]\r\nA=1\r\n");
	assert_int_equal(ini_set(ini, "S", "A", "2"), 0);
	assert_int_equal(ini_entry_append(ini, "T", "B", "3"), 0);
	assert_serializes_to(ini, "[S]\r\nA=2\r\n[T]\r\nB=3\r\n");
	ini_free(ini);

	/* an empty document */
	assert_int_equal(ini_new(&ini), 0);
	assert_serializes_to(ini, "");
	assert_int_equal(ini_blank_insert(ini, &ini->preamble, 0), 0);
	assert_int_equal(ini_entry_append(ini, "S", "A", "1"), 0);
	assert_serializes_to(ini, "\n[S]\nA=1\n");
	ini_free(ini);
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
	char dir[] = "/tmp/test-ini.XXXXXX";
	char path[64], link[64], sub[64], fifo[64], big[64];
	struct ini_error err = {0};
	struct ini *ini = NULL;
	char *buf;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web.container", dir);
	snprintf(link, sizeof(link), "%s/link.container", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(big, sizeof(big), "%s/big", dir);
	write_file(path, quadlet_web, strlen(quadlet_web));
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	buf = valid_file_of_size(INI_FILE_MAX + 1);
	write_file(big, buf, INI_FILE_MAX + 1);

	assert_int_equal(ini_parse_path(path, &ini, &err), 0);
	assert_string_equal(ini_get(ini, "Container", "Image"), "docker.io/library/nginx:1.27");
	ini = ini_free(ini);
	assert_int_equal(ini_parse_path(link, &ini, &err), -ELOOP);
	assert_string_equal(err.where, link);
	assert_string_equal(err.msg, "");
	assert_int_equal(ini_parse_path(sub, &ini, &err), -EISDIR);
	assert_int_equal(ini_parse_path(fifo, &ini, &err), -EBADFD);
	assert_int_equal(ini_parse_path("/nonexistent/x", &ini, &err), -ENOENT);
	assert_int_equal(ini_parse_path(big, &ini, &err), -EFBIG);
	assert_names_bound(&err, INI_FILE_MAX, "INI_FILE_MAX");
	assert_null(ini);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(ini_parse_fd("named", fd, &ini, &err), 0);
	close(fd);
	assert_int_equal(ini->n_sections, 4);
	ini_free(ini);

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

struct text {
	char *buf;
	size_t n;
	size_t cap;
};

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->n + n + 1 > t->cap) {
		t->cap = (t->n + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		assert_non_null(t->buf);
	}
	memcpy(t->buf + t->n, s, n + 1);
	t->n += n;
}

static void text_add_from(struct text *t, const char *const *alphabet, size_t n_alphabet,
			  size_t max)
{
	size_t n = pick(max + 1);

	for (size_t i = 0; i < n; i++)
		text_add(t, alphabet[pick(n_alphabet)]);
}

static const char *const blanks[] = {" ", "\t"};
static const char *const key_chars[] = {"A", "b", "Z", "0", "9", "_", "-", ".", "@", "%"};
static const char *const value_chars[] = {"a",
					  "Z",
					  "0",
					  " ",
					  "\t",
					  "=",
					  "#",
					  ";",
					  "\"",
					  "'",
					  "[",
					  "]",
					  "$",
					  "%",
					  "\\",
					  "\\\\",
					  "\xc3\xa9",
					  "\xe2\x9c\x93",
					  "\xf0\x9f\x99\x82",
					  "\x01",
					  "\x0b"};
static const char *const name_chars[] = {"Unit", "Container", "X-", "-", " ", ".", "\xc3\xbc"};

/* Text of a value piece that does not end the line escaped by accident. */
static void gen_value_piece(struct text *t)
{
	text_add_from(t, value_chars, ARRAY_SIZE(value_chars), 12);
	if (t->n > 0 && t->buf[t->n - 1] == '\\')
		text_add(t, "v");
}

static void gen_entry(struct text *t, const char *eol)
{
	text_add_from(t, blanks, ARRAY_SIZE(blanks), 2);
	text_add(t, key_chars[pick(ARRAY_SIZE(key_chars))]);
	text_add_from(t, key_chars, ARRAY_SIZE(key_chars), 6);
	if (pick(4) == 0)
		text_add(t, " x");
	text_add_from(t, blanks, ARRAY_SIZE(blanks), 2);
	text_add(t, "=");
	gen_value_piece(t);
	while (pick(4) == 0) {
		text_add(t, "\\");
		text_add(t, eol);
		if (pick(3) == 0) {
			text_add_from(t, blanks, ARRAY_SIZE(blanks), 2);
			text_add(t, pick(2) ? "# inside" : ";");
			text_add(t, eol);
		}
		gen_value_piece(t);
	}
	text_add(t, eol);
}

static void gen_line(struct text *t, const char *eol, bool entries)
{
	switch (pick(entries ? 6 : 2)) {
	case 0:
		text_add_from(t, blanks, ARRAY_SIZE(blanks), 3);
		text_add(t, eol);
		break;
	case 1:
		text_add_from(t, blanks, ARRAY_SIZE(blanks), 2);
		text_add(t, pick(2) ? "#" : ";");
		text_add_from(t, value_chars, ARRAY_SIZE(value_chars), 10);
		text_add(t, "\xff");
		text_add(t, eol);
		break;
	default:
		gen_entry(t, eol);
		break;
	}
}

static void gen_file(struct text *t)
{
	const char *eol = pick(4) ? "\n" : "\r\n";
	size_t n_sections = pick(5);

	t->n = 0;
	text_add(t, "");
	if (pick(8) == 0)
		text_add(t, "\xef\xbb\xbf");
	for (size_t i = pick(4); i > 0; i--)
		gen_line(t, eol, false);
	for (size_t i = 0; i < n_sections; i++) {
		text_add_from(t, blanks, ARRAY_SIZE(blanks), 2);
		text_add(t, "[");
		text_add(t, name_chars[pick(ARRAY_SIZE(name_chars))]);
		text_add_from(t, name_chars, ARRAY_SIZE(name_chars), 3);
		text_add(t, "]");
		text_add_from(t, blanks, ARRAY_SIZE(blanks), 2);
		text_add(t, eol);
		for (size_t j = pick(8); j > 0; j--)
			gen_line(t, eol, true);
		if (pick(3) == 0)
			eol = pick(2) ? "\n" : "\r\n";
	}
	/* Sometimes drop the final line end, or the final "\n" of a "\r\n" (a bare CR is an error,
	 * so only when the CR goes too). */
	if (pick(4) == 0 && t->n > 0 && t->buf[t->n - 1] == '\n') {
		t->n -= (t->n > 1 && t->buf[t->n - 2] == '\r') ? 2 : 1;
		t->buf[t->n] = '\0';
	}
}

static void gen_token(char *out, size_t size, const char *const *alphabet, size_t n_alphabet)
{
	struct text t = {0};

	text_add(&t, alphabet[pick(n_alphabet)]);
	text_add_from(&t, alphabet, n_alphabet, 4);
	snprintf(out, size, "%s", t.buf);
	free(t.buf);
}

static void random_edit(struct ini *ini)
{
	static const char *const safe_values[] = {"",	"v",	"a b",	    "x=y",
						  "#x", "\\\\", "\xc3\xa9", "\\x"};
	char key[64], name[64];
	const char *value = safe_values[pick(ARRAY_SIZE(safe_values))];
	struct ini_section *s = ini->n_sections ? &ini->sections[pick(ini->n_sections)] : NULL;

	gen_token(key, sizeof(key), key_chars, ARRAY_SIZE(key_chars));
	gen_token(name, sizeof(name), key_chars, ARRAY_SIZE(key_chars));
	switch (pick(7)) {
	case 0:
		if (s)
			assert_int_equal(ini_entry_insert(ini, s, pick(s->n_lines + 1), key, value),
					 0);
		break;
	case 1:
		assert_int_equal(ini_entry_append(ini, s ? s->name : name, key, value), 0);
		break;
	case 2:
		if (s && ini_section_end(s) > 0)
			assert_int_equal(
				ini_set(ini, s->name, s->lines[ini_section_end(s) - 1].key, value),
				0);
		break;
	case 3:
		if (s && s->n_lines > 0)
			assert_int_equal(ini_line_remove(ini, s, pick(s->n_lines)), 0);
		break;
	case 4:
		if (s)
			assert_int_equal(ini_blank_insert(ini, s, pick(s->n_lines + 1)), 0);
		break;
	case 5:
		assert_int_equal(ini_section_append(ini, name, NULL), 0);
		break;
	default:
		/* ini_remove frees the lines it matches: pass a copy, not a pointer into them */
		if (s && ini_section_end(s) > 0) {
			snprintf(key, sizeof(key), "%s", s->lines[ini_section_end(s) - 1].key);
			assert_true(ini_remove(ini, s->name, key) > 0);
		}
		break;
	}
}

static void test_random_roundtrip(void **state)
{
	struct text t = {0};

	(void)state;
	rng_state = 0x7a11b0d5eedULL;
	for (int i = 0; i < 3000; i++) {
		struct ini *ini;

		gen_file(&t);
		assert_roundtrip_n(t.buf, t.n);
		ini = parse_n(t.buf, t.n);
		for (size_t k = pick(6); k > 0; k--)
			random_edit(ini);
		assert_reparses(ini);
		ini_free(ini);
	}
	free(t.buf);
}

/* Random bytes: whatever the parser accepts must round-trip; refusals carry a line and message. */
static void test_random_bytes(void **state)
{
	static const char alphabet[] = "[]=#;\\ \t\r\nAz\xff\xc3\xa9";
	char buf[96];

	(void)state;
	rng_state = 0xfeedfaceULL;
	for (int i = 0; i < 50000; i++) {
		size_t n = pick(sizeof(buf));
		struct ini_error err = {0};
		struct ini *ini = NULL;
		int r;

		for (size_t k = 0; k < n; k++)
			buf[k] = alphabet[pick(sizeof(alphabet))]; /* includes the NUL */
		r = ini_parse("fuzz", buf, n, &ini, &err);
		if (r < 0) {
			assert_int_equal(r, -EBADMSG);
			assert_true(err.msg[0]);
			assert_true(err.line >= 1);
			continue;
		}
		assert_roundtrip_n(buf, n);
		ini_free(ini);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_examples),
		cmocka_unit_test(test_quadlet_model),
		cmocka_unit_test(test_whitespace_trimming),
		cmocka_unit_test(test_continuation_rules),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bound_file_size),
		cmocka_unit_test(test_serialize_around_stack),
		cmocka_unit_test(test_bound_line_length),
		cmocka_unit_test(test_bound_continued_line),
		cmocka_unit_test(test_bound_counts),
		cmocka_unit_test(test_bound_edits),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_edits_merge_shapes),
		cmocka_unit_test(test_edits_set_remove),
		cmocka_unit_test(test_edits_invalid),
		cmocka_unit_test(test_edits_after_odd_endings),
		cmocka_unit_test(test_parse_path_and_fd),
		cmocka_unit_test(test_random_roundtrip),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
