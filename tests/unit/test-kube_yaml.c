/* test-kube_yaml.c: unit tests of core/kube_yaml — real kube play files pass (several documents,
 * block scalars, flow collections, quoted strings, comments, CRLF); each refusal names its line:
 * no kind or apiVersion, a kind kube play skips, a ConfigMap-only Yaml=, a Pod in ConfigMap=, and
 * the YAML-bomb guards (aliases, deep block or flow nesting, a huge line, deep indentation, too
 * many documents, a file over the size bound, control bytes, invalid UTF-8, tabs, open quotes). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_yaml.h"

#define POD_HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"

/* "LINE: message" of the first problem, or "ok"; the text is checked in an exact allocation. */
static const char *check_role(const char *text, size_t n, enum kube_yaml_role role)
{
	static char out[KUBE_YAML_MSG_MAX + 32];
	struct kube_yaml_problem p = {0};
	char *copy = malloc(n ? n : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, n);
	r = kube_yaml_check(copy, n, role, &p);
	free(copy);
	if (r == 0)
		return "ok";
	assert_int_equal(r, 1);
	snprintf(out, sizeof(out), "%u: %s", p.line, p.msg);
	return out;
}

static const char *check(const char *text)
{
	return check_role(text, strlen(text), KUBE_YAML_PLAY);
}

static void test_accepts(void **state)
{
	(void)state;
	assert_string_equal(check(POD_HEAD "spec:\n"
					   "  containers:\n"
					   "    - name: web # the server\n"
					   "      image: \"quay.io/x/y:1\"\n"
					   "      command: [\"sh\", \"-c\", 'echo *; exec httpd']\n"
					   "      args:\n"
					   "        - |\n"
					   "          kind: NotAKind\n"
					   "          *alias: [[[[ not YAML here\n"
					   "        - >-\n"
					   "          folded *text\n"
					   "      env: {name: A, value: \"b\\\"c\"}\n"),
			    "ok");
	assert_string_equal(check("# leading comment\n---\n" POD_HEAD "...\n---\n"
				  "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n---\n"
				  "apiVersion: apps/v1\nkind: 'Deployment'\n---\n# empty\n"),
			    "ok");
	assert_string_equal(check("apiVersion: v1\r\nkind: Secret\r\ndata:\r\n  k: dmFs\r\n"),
			    "ok");
	assert_string_equal(check("%YAML 1.2\n---\n" POD_HEAD "  labels: {a: \"x\n  y\"}\n"), "ok");
	assert_string_equal(
		check_role("apiVersion: v1\nkind: ConfigMap\n", 31, KUBE_YAML_CONFIGMAP), "ok");
}

static void test_kinds(void **state)
{
	(void)state;
	assert_string_equal(check("metadata:\n  name: x\napiVersion: v1\n"),
			    "1: document has no top-level kind:");
	assert_string_equal(check("kind: Pod\n"), "1: document has no top-level apiVersion:");
	assert_string_equal(check(POD_HEAD "---\napiVersion: v1\nspec:\n  kind: Pod\n"),
			    "5: document has no top-level kind:");
	assert_string_equal(check("apiVersion: v1\nkind: Service\n"),
			    "2: kind: Service is not one podman kube play runs (Pod, Deployment, "
			    "DaemonSet, Job, PersistentVolumeClaim, ConfigMap, Secret)");
	assert_string_equal(check("apiVersion: v1\nkind: ConfigMap\n"),
			    "1: no document of a kind kube play runs (Pod, Deployment, DaemonSet, "
			    "Job, PersistentVolumeClaim, Secret)");
	assert_string_equal(check(""), "1: no document of a kind kube play runs (Pod, Deployment, "
				       "DaemonSet, Job, PersistentVolumeClaim, Secret)");
	assert_string_equal(check_role(POD_HEAD, strlen(POD_HEAD), KUBE_YAML_CONFIGMAP),
			    "2: kind: Pod in a ConfigMap= file (only ConfigMap)");
	assert_string_equal(check_role("", 0, KUBE_YAML_CONFIGMAP), "1: no ConfigMap document");
	assert_string_equal(check("apiVersion: v1\nkind: \"\"\n"),
			    "2: kind: is empty or longer than 63 bytes");
}

static void test_syntax(void **state)
{
	(void)state;
	assert_string_equal(check(POD_HEAD "spec:\n\tcontainers: []\n"),
			    "6: a tab in the indentation");
	assert_string_equal(check(POD_HEAD "  a: [1, 2\n"),
			    "1: a flow collection or quoted string is not closed");
	assert_string_equal(check(POD_HEAD "  a: \"open\n"),
			    "1: a flow collection or quoted string is not closed");
	assert_string_equal(
		check_role(POD_HEAD "  a: \x01\n", strlen(POD_HEAD) + 7, KUBE_YAML_PLAY),
		"5: a control character (byte 0x01)");
	assert_string_equal(
		check_role(POD_HEAD "  a: b\0c\n", strlen(POD_HEAD) + 9, KUBE_YAML_PLAY),
		"5: a control character (byte 0x00)");
	assert_string_equal(check(POD_HEAD "  a: \xc3\x28\n"), "5: not UTF-8");
	/* The last line has no newline and the text no NUL: nothing is read past it. */
	assert_string_equal(check(POD_HEAD "    "), "ok");
	assert_string_equal(check(POD_HEAD "  a: |+9"), "ok");
}

static void test_bombs(void **state)
{
	size_t n = 4 * 1024 * 1024;
	char *big = malloc(n), *p;

	(void)state;
	assert_non_null(big);
	assert_string_equal(check(POD_HEAD "  a: &x [1]\n  b: *x\n"),
			    "6: an alias (*name): kube play files do not need aliases, and they "
			    "make YAML bombs");
	assert_string_equal(check(POD_HEAD "  b: [*x, 1]\n"),
			    "5: an alias (*name): kube play files do not need aliases, and they "
			    "make YAML bombs");
	/* Flow nesting, block nesting, "- " nesting. */
	p = big + sprintf(big, POD_HEAD "  a: ");
	p += sprintf(p, "%s", "");
	memset(p, '[', 100);
	memset(p + 100, ']', 100);
	strcpy(p + 200, "\n");
	assert_string_equal(check(big), "5: nested deeper than 64 levels");
	p = big + sprintf(big, POD_HEAD);
	for (int i = 0; i < 70; i++)
		p += sprintf(p, "%*sk%d:\n", i + 1, "", i);
	assert_string_equal(check(big), "68: nested deeper than 64 levels");
	p = big + sprintf(big, POD_HEAD "  a:\n    ");
	for (int i = 0; i < 70; i++)
		p += sprintf(p, "- ");
	strcpy(p, "x\n");
	assert_string_equal(check(big), "6: nested deeper than 64 levels");
	/* Indentation, a line, many documents, the whole file. */
	sprintf(big, POD_HEAD "  a:\n%600s\n", "b: c");
	assert_string_equal(check(big), "6: indented more than 512 columns");
	p = big + sprintf(big, POD_HEAD "  a: ");
	memset(p, 'x', 70000);
	strcpy(p + 70000, "\n");
	assert_string_equal(check(big), "5: line longer than 65536 bytes (KUBE_YAML_LINE_MAX)");
	p = big;
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "---\n" POD_HEAD);
	assert_string_equal(check(big), "1281: more than 256 documents (KUBE_YAML_DOCS_MAX)");
	memset(big, '#', n);
	assert_string_equal(check_role(big, KUBE_YAML_FILE_MAX + 1, KUBE_YAML_PLAY),
			    "1: larger than 1048576 bytes (KUBE_YAML_FILE_MAX)");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_bombs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
