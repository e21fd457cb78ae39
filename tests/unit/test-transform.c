/* test-transform.c: unit tests of core/transform — the merge rules (section order and append,
 * "+Key" before the spec, defaults only for keys the spec does not set, the review's
 * EnvironmentFile case, chained transforms, duplicate sections, the spec's bytes kept), the
 * "{{.Name}}" substitution and its bound, origin lookup, and loading a transform directory. */

#define _GNU_SOURCE /* memmem, the reference for transform_find_name_var */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "diag.h"
#include "ini.h"
#include "fileset.h"
#include "transform.h"

static struct ini *parse(const char *text)
{
	struct ini_error err = {0};
	struct ini *ini = NULL;

	if (ini_parse("t", text, strlen(text), &ini, &err) < 0)
		fail_msg("parse failed at line %u: %s", err.line, err.msg[0] ? err.msg : "-");
	return ini;
}

/* Merge the transforms (NULL-terminated) into spec, their lines made per insert or made once
 * (transform_merge_made), and compare the text with want. */
static void assert_merge_as(const char *spec, const char *const *transforms, const char *want,
			    bool made_once)
{
	struct ini *doc = parse(spec), *ts[8] = {0};
	struct transform_made *made[8] = {0};
	_cleanup_free_ char *out = NULL;
	size_t n, k = 0;

	for (; *transforms; transforms++, k++) {
		assert_true(k < ARRAY_SIZE(ts));
		ts[k] = parse(*transforms);
		if (made_once)
			assert_int_equal(transform_made_new(ts[k], &made[k]), 0);
		assert_int_equal(transform_merge_made(doc, ts[k], made[k]), 0);
	}
	assert_int_equal(ini_serialize(doc, &out, &n), 0);
	assert_string_equal(out, want);
	/* The merged document borrows the made lines: the transforms go after it. */
	ini_free(doc);
	for (size_t i = 0; i < k; i++) {
		transform_made_free(made[i]);
		ini_free(ts[i]);
	}
}

static void assert_merge(const char *spec, const char *const *transforms, const char *want)
{
	assert_merge_as(spec, transforms, want, false);
	assert_merge_as(spec, transforms, want, true);
}

static void assert_merge1(const char *spec, const char *t, const char *want)
{
	const char *const ts[] = {t, NULL};

	assert_merge(spec, ts, want);
}

static void test_section_order_and_append(void **state)
{
	(void)state;
	/* Spec sections [A, B, C], transform [B, C, D]: [A, B, C, D]. */
	assert_merge1("[A]\na=1\n[B]\nb=1\n[C]\nc=1\n", "[D]\nd=1\n[C]\nc2=2\n[B]\nb2=2\n",
		      "[A]\na=1\n[B]\nb=1\nb2=2\n[C]\nc=1\nc2=2\n\n[D]\nd=1\n");
	/* Appended: a blank line before, '+' dropped, comments of the transform not carried. */
	assert_merge1("[Container]\nImage=x\n",
		      "# c\n[Service]\n# why\n+ExecStartPre=a\nRestart=no\n",
		      "[Container]\nImage=x\n\n[Service]\nExecStartPre=a\nRestart=no\n");
	/* No blank added when the spec already ends in one; each transform-only section kept. */
	assert_merge1("[Container]\nImage=x\n\n", "[X-A]\na=1\n[X-A]\nb=2\n",
		      "[Container]\nImage=x\n\n[X-A]\na=1\n\n[X-A]\nb=2\n");
	/* An empty spec gets the transform's sections. */
	assert_merge1("", "[Unit]\nA=1\n", "[Unit]\nA=1\n");
	/* A spec without a final newline, and CRLF line ends kept for new lines. */
	assert_merge1("[Container]\nImage=x", "[Container]\nPull=never\n",
		      "[Container]\nImage=x\nPull=never\n");
	assert_merge1("[Container]\r\nImage=x\r\n", "[Container]\n+Label=a\n[Install]\nW=d\n",
		      "[Container]\r\nLabel=a\r\nImage=x\r\n\r\n[Install]\r\nW=d\r\n");
}

static void test_prepend(void **state)
{
	(void)state;
	/* "+Key" entries first, in the transform's order, even for keys the spec sets. */
	assert_merge1("[Container]\nImage=x\nVolume=/s:/s\n",
		      "[Container]\n+Volume=/a:/a\n+Label=l\n+Volume=/b:/b\n",
		      "[Container]\nVolume=/a:/a\nLabel=l\nVolume=/b:/b\nImage=x\nVolume=/s:/s\n");
}

static void test_defaults(void **state)
{
	(void)state;
	/* A default only for a key the spec does not set, appended after the spec's entries and
	 * before the comments and blank lines that lead into the next section. */
	assert_merge1("[Container]\nImage=x\nNetwork=host\n# next\n\n[Service]\nRestart=no\n",
		      "[Container]\nNetwork=bridge\nPull=newer\n[Service]\nRestart=always\n"
		      "TimeoutStartSec=60\n",
		      "[Container]\nImage=x\nNetwork=host\nPull=newer\n# next\n\n[Service]\n"
		      "Restart=no\nTimeoutStartSec=60\n");
	/* Two defaults of one key both apply; neither the prepends nor the first hide them. */
	assert_merge1("[Container]\nImage=x\n",
		      "[Container]\n+Label=p\nLabel=d1\nLabel=d2\nVolume=a:/a\nVolume=b:/b\n",
		      "[Container]\nLabel=p\nImage=x\nLabel=d1\nLabel=d2\nVolume=a:/a\n"
		      "Volume=b:/b\n");
	/* An empty value in the spec sets the key too. */
	assert_merge1("[Container]\nImage=x\nVolume=\n", "[Container]\nVolume=a:/a\n",
		      "[Container]\nImage=x\nVolume=\n");
}

/* Review P1.5: a spec's own EnvironmentFile= must not drop the host's key file. */
static void test_environment_file(void **state)
{
	(void)state;
	/* As a plain default it is dropped (the spec sets the key)... */
	assert_merge1("[Service]\nEnvironmentFile=/etc/app.env\n",
		      "[Service]\nEnvironmentFile=-%t/ts-authkeys/%N.env\n",
		      "[Service]\nEnvironmentFile=/etc/app.env\n");
	/* ...so the transform uses "+": both are kept, the host's first. */
	assert_merge1("[Service]\nEnvironmentFile=/etc/app.env\n",
		      "[Service]\n+EnvironmentFile=-%t/ts-authkeys/%N.env\n",
		      "[Service]\nEnvironmentFile=-%t/ts-authkeys/%N.env\n"
		      "EnvironmentFile=/etc/app.env\n");
	/* And with a spec that has no [Service] at all, the section is appended. */
	assert_merge1(
		"[Container]\nImage=x\n", "[Service]\n+EnvironmentFile=-%t/ts-authkeys/%N.env\n",
		"[Container]\nImage=x\n\n[Service]\nEnvironmentFile=-%t/ts-authkeys/%N.env\n");
}

static void test_chained(void **state)
{
	const char *const ts[] = {"[Container]\n+Label=base\nPull=base\n",
				  "[Container]\n+Label=dir\nPull=dir\nAutoUpdate=registry\n", NULL};

	(void)state;
	/* _base first, then the directory's: the base's entries count as set for the second. */
	assert_merge(
		"[Container]\nImage=x\n", ts,
		"[Container]\nLabel=dir\nLabel=base\nImage=x\nPull=base\nAutoUpdate=registry\n");
}

static void test_duplicate_sections(void **state)
{
	(void)state;
	/* Prepends go to the first section of the name, defaults to the last; the key counts as
	 * set when any section of the name sets it; every transform section of the name counts. */
	assert_merge1("[Container]\nImage=x\n[Unit]\nA=1\n[Container]\nPull=never\n",
		      "[Container]\n+Label=a\nPull=always\n[Container]\nAutoUpdate=registry\n",
		      "[Container]\nLabel=a\nImage=x\n[Unit]\nA=1\n[Container]\nPull=never\n"
		      "AutoUpdate=registry\n");
	/* Prepends of every transform section of the name, in their order; "+=" is skipped. */
	assert_merge1("[Container]\nImage=x\n",
		      "[Container]\n+Label=a\n+=\n[Unit]\nA=1\n[Container]\n+Label=b\nPull=b\n",
		      "[Container]\nLabel=a\nLabel=b\nImage=x\nPull=b\n\n[Unit]\nA=1\n");
}

static void test_spec_bytes_kept(void **state)
{
	(void)state;
	/* Comments, odd spacing and continuations of the spec come through byte for byte. */
	assert_merge1("; top\n[Container]\n  Image = x  \nExec=a \\\n  b\n# end\n",
		      "[Container]\n+Label=t\n",
		      "; top\n[Container]\nLabel=t\n  Image = x  \nExec=a \\\n  b\n# end\n");
}

static void test_substitute(void **state)
{
	char *out = NULL;
	size_t n;

	(void)state;
	assert_int_equal(transform_substitute_name("a{{.Name}}b{{.Name}}{{.Name}}", 29, "web", 100,
						   &out, &n),
			 0);
	assert_string_equal(out, "awebbwebweb");
	assert_int_equal(n, 11);
	free(out);
	/* Other templates are left alone, as quadsync's plain replacement does. */
	assert_int_equal(
		transform_substitute_name("{{.name}} {{ .Name }} {{.Name", 29, "w", 100, &out, &n),
		0);
	assert_string_equal(out, "{{.name}} {{ .Name }} {{.Name");
	free(out);
	/* The bound: exactly max fits, one more does not. */
	assert_int_equal(transform_substitute_name("{{.Name}}{{.Name}}", 18, "abcde", 10, &out, &n),
			 0);
	free(out);
	assert_int_equal(
		transform_substitute_name("{{.Name}}{{.Name}}", 18, "abcdef", 11, &out, &n),
		-E2BIG);
	assert_int_equal(transform_substitute_name("", 0, "x", 0, &out, &n), 0);
	assert_string_equal(out, "");
	free(out);
}

/* The token is found where memmem would find it, and never past size. */
static void test_find_name_var(void **state)
{
	static const char *const texts[] = {
		"",
		"{",
		"{{.Name}",
		"{{.Name}}",
		"x{{.Name}}",
		"{{{.Name}}",
		"{{.Name{{.Name}}",
		"Image=a\nName={{.name}}\n{{ .Name }}",
		"a{{.Name}}b{{.Name}}",
		"{{.Name}}}}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		size_t len = strlen(texts[i]);

		for (size_t size = 0; size <= len; size++)
			assert_ptr_equal(transform_find_name_var(texts[i], size),
					 memmem(texts[i], size, TRANSFORM_NAME_VAR,
						strlen(TRANSFORM_NAME_VAR)));
	}
}

static void test_find_line(void **state)
{
	struct ini *t = parse("# c\n[Container]\n+Label=a\nPull=never\n\n[Service]\nX=1\n");

	(void)state;
	assert_int_equal(transform_find_line(t, "Container", "Label", "a"), 3);
	assert_int_equal(transform_find_line(t, "Container", "Pull", "never"), 4);
	assert_int_equal(transform_find_line(t, "Container", "Pull", "always"), 0);
	assert_int_equal(transform_find_line(t, "Service", NULL, NULL), 6);
	assert_int_equal(transform_find_line(t, "Unit", NULL, NULL), 0);
	ini_free(t);
	/* Entries are looked for in every section of the name, past comments and blank lines. */
	t = parse("[Container]\nPull=never\n[Unit]\nA=1\n[Container]\n# c\n\n+Label=b\n");
	assert_int_equal(transform_find_line(t, "Container", "Label", "b"), 8);
	assert_int_equal(transform_find_line(t, "Container", "+Label", "b"), 0);
	assert_int_equal(transform_find_line(t, "Container", "A", "1"), 0);
	assert_int_equal(transform_find_line(t, "Container", NULL, NULL), 1);
	assert_int_equal(transform_find_line(NULL, "Container", "Pull", "never"), 0);
	ini_free(t);
}

/* The merge's result with t's lines made per insert and made once: the same code. */
static int merge_both(const char *spec, const char *transform)
{
	struct ini *a = parse(spec), *b = parse(spec), *t = parse(transform);
	struct transform_made *made = NULL;
	int r = transform_merge(a, t), r_made;

	assert_int_equal(transform_made_new(t, &made), 0);
	r_made = transform_merge_made(b, t, made);
	assert_int_equal(r_made, r);
	ini_free(a);
	ini_free(b);
	transform_made_free(made);
	ini_free(t);
	return r;
}

static void test_merge_refused(void **state)
{
	(void)state;
	/* "+#x" is a key, "#x" would read back as a comment: refused, not written; so is a prepend
	 * that leaves a blank first, or one that reads back as a header. */
	assert_int_equal(merge_both("[Container]\nImage=x\n", "[Container]\n+#x=1\n"), -EINVAL);
	assert_int_equal(merge_both("[Container]\nImage=x\n", "[Container]\n+ x=1\n"), -EINVAL);
	assert_int_equal(merge_both("[Container]\nImage=x\n", "[Container]\n+[x=1\n"), -EINVAL);
	/* In an appended section too, and with CRLF documents (merged without the made lines). */
	assert_int_equal(merge_both("[Container]\nImage=x\n", "[Service]\n+;x=1\n"), -EINVAL);
	assert_int_equal(merge_both("[Container]\r\nImage=x\r\n", "[Service]\n+;x=1\n"), -EINVAL);
	/* A value that would continue onto the next line. */
	assert_int_equal(merge_both("[Container]\nImage=x\n", "[Container]\nA=b\\\\\\\n\n"), 0);
	assert_int_equal(merge_both("[Container]\nImage=x\n", "[Unit]\nA=1\nB=ok\n"), 0);
}

/* A made line goes only into a document with the line end it was made with. */
static void test_made_line_end(void **state)
{
	struct ini *lf = parse("[A]\nx=1\n"), *crlf = parse("[A]\r\nx=1\r\n");
	struct ini *owner = parse("");
	struct ini_made_entry line;
	struct ini_made_header header;

	(void)state;
	assert_int_equal(ini_entry_make(owner, "K", "v", "\n", &line), 0);
	assert_string_equal(line.line.raw, "K=v\n");
	assert_int_equal(ini_entry_insert_made(crlf, &crlf->sections[0], 0, &line), -EINVAL);
	assert_int_equal(ini_entry_insert_made(lf, &lf->sections[0], 0, &line), 0);
	assert_int_equal(ini_entry_insert_made(lf, &lf->preamble, 0, &line), -EINVAL);
	assert_int_equal(ini_section_make(owner, "B", "\r\n", &header), 0);
	assert_string_equal(header.raw, "[B]\r\n");
	assert_int_equal(ini_section_append_made(lf, &header, NULL), -EINVAL);
	assert_int_equal(ini_section_append_made(crlf, &header, NULL), 0);
	assert_int_equal(ini_entry_make(owner, "K", "v", "\r", &line), -EINVAL);
	assert_int_equal(ini_entry_make(owner, "K=", "v", "\n", &line), -EINVAL);
	assert_int_equal(ini_section_make(owner, "a]b", "\n", &header), -EINVAL);
	assert_string_equal(ini_get(lf, "A", "K"), "v");
	assert_int_equal(lf->n_entries, 2);
	assert_int_equal(crlf->n_sections, 2);
	ini_free(lf);
	ini_free(crlf);
	ini_free(owner);
}

static void test_set_load(void **state)
{
	static const char *const files[][2] = {
		{"_base.container", "[Container]\nPull=newer\n"},
		{"_base.pod", "[Pod]\n"},
		{"web.container", "[Container]\n+Label=web\n"},
		{"web.pod", "[Pod]\n"},
		{"bad.container", "[Container\n"},
		{"_base-data.volume", "[Volume]\nLabel=for={{.Name}}\n"},
		{"_base-ls.container", "# quadsync:no-pod\n[Container]\nImage=x\n"},
		{"_base-x.kube", "[Kube]\n"},
		{"_base-.volume", "[Volume]\n"},
		{"notes.txt", "hello"},
		{".container", ""},
	};
	struct diag_list diags = {0};
	struct transform_set *set = NULL;
	struct fileset *dir = NULL;

	(void)state;
	assert_int_equal(fileset_new(&dir), 0);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		assert_int_equal(fileset_add(dir, files[i][0], files[i][1], strlen(files[i][1])),
				 0);
	fileset_sort(dir);
	assert_int_equal(transform_set_load(dir, "T", &set, &diags), 0);
	assert_int_equal(set->n_files, 5);
	assert_non_null(transform_set_find(set, "_base", "container"));
	assert_non_null(transform_set_find(set, "_base", "pod"));
	assert_string_equal(transform_set_find(set, "web", "container")->path, "web.container");
	assert_non_null(transform_set_find(set, "web", "pod"));
	assert_null(transform_set_find(set, "bad", "container")->ini);
	assert_null(transform_set_find(set, "nope", "container"));
	assert_int_equal(set->n_companions, 2);
	assert_string_equal(set->companions[0].suffix, "-data.volume");
	assert_false(set->companions[0].no_pod);
	assert_string_equal(set->companions[1].suffix, "-ls.container");
	assert_true(set->companions[1].no_pod);
	diag_list_sort(&diags);
	assert_int_equal(diags.n, 5);
	assert_string_equal(diags.items[0].path, "T/.container");
	assert_string_equal(diags.items[1].path, "T/_base-.volume");
	assert_string_equal(diags.items[2].path, "T/_base-x.kube");
	assert_string_equal(diags.items[3].path, "T/bad.container");
	assert_string_equal(diags.items[3].msg, "invalid section header");
	assert_string_equal(diags.items[4].path, "T/notes.txt");
	transform_set_free(set);
	fileset_free(dir);
	diag_list_release(&diags);
	transform_set_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_section_order_and_append),
		cmocka_unit_test(test_prepend),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_environment_file),
		cmocka_unit_test(test_chained),
		cmocka_unit_test(test_duplicate_sections),
		cmocka_unit_test(test_spec_bytes_kept),
		cmocka_unit_test(test_substitute),
		cmocka_unit_test(test_find_name_var),
		cmocka_unit_test(test_find_line),
		cmocka_unit_test(test_merge_refused),
		cmocka_unit_test(test_made_line_end),
		cmocka_unit_test(test_set_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
