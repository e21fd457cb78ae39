/* test-spec_secrets.c: unit tests of core/spec_secrets — quadsync's name folding (File= targets,
 * Podman secret names), [Secrets] in a spec turned into Secret= lines with no value in the
 * deployed file, pod members named by their own stem, the errors (collisions after folding,
 * plaintext, bad keys, names and values, [Secrets] where it does not belong), and the values
 * sync gets back: plaintext, and an age value decrypted with the identity. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "age.h"
#include "core.h"
#include "diag.h"
#include "diags_text.h"
#include "fileset.h"
#include "spec.h"

struct file {
	const char *path, *text;
};

static char *fold_file(const char *target)
{
	static char buf[64];

	assert_int_equal(spec_secret_file_var(target, buf, sizeof(buf)), 0);
	return buf;
}

static char *fold_name(const char *stem, const char *var)
{
	static char buf[64];

	assert_int_equal(spec_secret_podman_name(stem, var, buf, sizeof(buf)), 0);
	return buf;
}

static void test_folding(void **state)
{
	char small[5];

	(void)state;
	assert_string_equal(fold_file("/run/app/db.key"), "run_app_db_key");
	assert_string_equal(fold_file("9lives.txt"), "_9lives_txt");
	assert_string_equal(fold_file("__a-b__"), "a_b");
	assert_string_equal(fold_file("///"), "_");
	assert_string_equal(fold_file("/etc/Ca.PEM"), "etc_Ca_PEM");
	assert_string_equal(fold_name("web", "DB_PASS"), "web-db-pass");
	assert_string_equal(fold_name("grp-api", "_9lives_txt"), "grp-api--9lives-txt");
	assert_string_equal(fold_name("web", "Foo_Bar"), fold_name("web", "foo_bar"));
	assert_int_equal(spec_secret_file_var("/abcde", small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(spec_secret_podman_name("web", "x", small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(spec_secret_podman_name("we", "x", small, sizeof(small)), 0);
	assert_string_equal(small, "we-x");
}

static struct spec_set *build(const struct file *files, bool plaintext, const char *want)
{
	const struct spec_opts opts = {
		.repo_label = "R", .transform_label = "T", .allow_plaintext_secrets = plaintext};
	struct fileset *repo = NULL;
	struct diag_list diags = {0};
	struct spec_set *set = NULL;

	assert_int_equal(fileset_new(&repo), 0);
	for (; files->path; files++)
		assert_int_equal(fileset_add(repo, files->path, files->text, strlen(files->text)),
				 0);
	assert_int_equal(fileset_sort(repo), 0);
	assert_int_equal(spec_build(repo, NULL, &opts, &set, &diags), 0);
	assert_string_equal(diags_text(&diags), want);
	diag_list_release(&diags);
	fileset_free(repo);
	return set;
}

#define IMG "[Container]\nImage=docker.io/library/alpine:3\n"

static void test_render_plaintext(void **state)
{
	const struct file files[] = {
		{"web.container", IMG "[Secrets]\nEnvironment=DB_PASS=hunter2\n"
				      "File=/run/app/tls.key:c2VjcmV0IGJ5dGVz\n[Service]\nX=1\n"},
		{NULL, NULL},
	};
	struct spec_set *set = build(files, true, "");
	const struct spec_workload *w = spec_set_find(set, "web");
	uint8_t *v = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(w);
	assert_string_equal(w->units[0].data,
			    IMG "Secret=web-db-pass,type=env,target=DB_PASS\n"
				"Secret=web-run-app-tls-key,type=mount,target=/run/app/tls.key\n"
				"[Service]\nX=1\n");
	assert_int_equal(w->n_secrets, 2);
	assert_true(w->secrets[0].plaintext);
	assert_int_equal(w->secrets[0].line, 4);
	assert_string_equal(w->secrets[0].source, "R/web.container");
	assert_int_equal(spec_secret_value(&w->secrets[0], NULL, &v, &len), 0);
	assert_memory_equal(v, "hunter2", len);
	assert_int_equal(len, 7);
	age_free_secret(v, len);
	assert_int_equal(spec_secret_value(&w->secrets[1], NULL, &v, &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(v, "secret bytes", len);
	age_free_secret(v, len);
	spec_set_free(set);
}

static void test_errors(void **state)
{
	const struct file files[] = {
		{"a.container", IMG "[Secrets]\nEnvironment=FOO_BAR=x\nEnvironment=foo_bar=y\n"
				    "File=/foo/bar:eA==\nPassword=z\nEnvironment=9X=1\n"
				    "Environment=NOVALUE=\nFile=/a,b:eA==\nFile=/x:not base64\n"},
		{"b.container", IMG "[Secrets]\nEnvironment=TOKEN=plain\n"
				    "Environment=K=age:bm90IGFuIGFnZSBmaWxl\n"
				    "Environment=R=age:age1bogus:eA==\n"},
		{"p.pod", "[Pod]\n[Secrets]\nEnvironment=A=b\n"},
		{"p-m.container", IMG "[Secrets]\nEnvironment=A_B=x\n"},
		{"p-m-a.container", IMG "[Secrets]\nEnvironment=B=x\n"},
		{NULL, NULL},
	};
	const char *want =
		"R/a.container:5: secret 'a-foo-bar' is also made by R/a.container:4 (names are "
		"lower-cased, '_' read as '-')\n"
		"R/a.container:6: secret 'a-foo-bar' is also made by R/a.container:4 (names are "
		"lower-cased, '_' read as '-')\n"
		"R/a.container:7: unknown key 'Password' in [Secrets] "
		"(Environment=NAME=VALUE or File=TARGET:VALUE)\n"
		"R/a.container:8: secret name '9X' does not match [A-Za-z_][A-Za-z0-9_]*\n"
		"R/a.container:9: Environment= needs NAME=VALUE\n"
		"R/a.container:10: file target '/a,b' has a ',' (Secret= options cannot carry "
		"it)\n"
		"R/a.container:11: File= value is not standard base64 with padding\n"
		"R/b.container:5: Environment= value is not an age file with an X25519 "
		"recipient\n"
		"R/b.container:6: Environment= value is not an age1... recipient "
		"(age:RECIPIENT:BASE64)\n"
		"R/p-m-a.container:4: secret 'p-m-a-b' is also made by R/p-m.container:4 (names "
		"are lower-cased, '_' read as '-')\n"
		"R/p.pod:2: [Secrets] is read only from a repository's .container spec, not from a "
		"transform, a template, an app or a .pod file\n";

	(void)state;
	spec_set_free(build(files, true, want));
}

static void test_plaintext_refused(void **state)
{
	const struct file files[] = {
		{"web.container", IMG "[Secrets]\nEnvironment=TOKEN=hunter2\nFile=/k:eA==\n"},
		{NULL, NULL},
	};
	struct spec_set *set;

	(void)state;
	set = build(files, false,
		    "R/web.container:4: Environment= value is not encrypted "
		    "(age:...; `tailpod secret encrypt` makes one): plaintext "
		    "needs TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes\n"
		    "R/web.container:5: File= value is not encrypted (age:...; "
		    "`tailpod secret encrypt` makes one): plaintext needs "
		    "TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes\n");
	spec_set_free(set);
}

/* An age value of plain to id's recipient, in tailpod's encoding or quadsync's. */
static char *age_value(const struct age_identity *id, const char *plain, bool quadsync)
{
	uint8_t *file = NULL;
	size_t len = 0, n;
	char rcp[AGE_RECIPIENT_TEXT_MAX], *out;

	assert_int_equal(age_encrypt(&id->recipient, 1, plain, strlen(plain), &file, &len), 0);
	age_recipient_format(&id->recipient, rcp);
	n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	out = malloc(n + strlen(rcp) + 8);
	assert_non_null(out);
	n = (size_t)sprintf(out, "age:%s%s", quadsync ? rcp : "", quadsync ? ":" : "");
	sodium_bin2base64(out + n, sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL),
			  file, len, sodium_base64_VARIANT_ORIGINAL);
	free(file);
	return out;
}

static void test_age_values(void **state)
{
	struct age_identity id, other;
	_cleanup_free_ char *ours = NULL, *theirs = NULL, *spec = NULL;
	struct spec_set *set;
	const struct spec_workload *w;
	uint8_t *v = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(age_identity_generate(&id), 0);
	assert_int_equal(age_identity_generate(&other), 0);
	ours = age_value(&id, "s3cret", false);
	theirs = age_value(&id, "file bytes\n", true);
	assert_true(asprintf(&spec, IMG "[Secrets]\nEnvironment=API=%s\nFile=cert.pem:%s\n", ours,
			     theirs) > 0);
	set = build((const struct file[]){{"web.container", spec}, {NULL, NULL}}, false, "");
	w = spec_set_find(set, "web");
	assert_int_equal(w->n_secrets, 2);
	assert_false(w->secrets[0].plaintext);
	assert_null(strstr(w->units[0].data, "age:"));
	assert_int_equal(spec_secret_value(&w->secrets[0], &id, &v, &len), 0);
	assert_memory_equal(v, "s3cret", 6);
	age_free_secret(v, len);
	assert_int_equal(spec_secret_value(&w->secrets[1], &id, &v, &len), 0);
	assert_memory_equal(v, "file bytes\n", 11);
	age_free_secret(v, len);
	assert_int_equal(spec_secret_value(&w->secrets[1], &other, &v, &len), -ENOKEY);
	assert_int_equal(spec_secret_value(&w->secrets[1], NULL, &v, &len), -ENOKEY);
	age_identity_wipe(&id);
	age_identity_wipe(&other);
	spec_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folding),	   cmocka_unit_test(test_render_plaintext),
		cmocka_unit_test(test_errors),	   cmocka_unit_test(test_plaintext_refused),
		cmocka_unit_test(test_age_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
