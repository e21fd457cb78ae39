/* test-http.c: unit tests of core/http without a network — URL parsing, CA bundles (the host's
 * own bundle, garbage, truncation, bounds) and the response reader fed from memory in slices of
 * every size: Content-Length, chunked, read-to-close, 1xx, keep-alive rules, Retry-After, and the
 * framing attacks (both lengths, conflicting lengths, bad chunk sizes, oversized heads and bodies).
 * TLS itself is tested against real servers in tests/peers/mint-key.test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "http.h"
#include "http_internal.h"

static void test_url_parse(void **state)
{
	struct http_url u;

	(void)state;
	assert_int_equal(http_url_parse("https://api.tailscale.com/api/v2/oauth/token", false, &u),
			 0);
	assert_true(u.tls);
	assert_string_equal(u.host, "api.tailscale.com");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.path, "/api/v2/oauth/token");
	assert_int_equal(http_url_parse("https://localhost:8443", false, &u), 0);
	assert_int_equal(u.port, 8443);
	assert_string_equal(u.path, "");
	assert_int_equal(http_url_parse("https://[::1]:9/x", false, &u), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 9);
	assert_int_equal(http_url_parse("http://proxy:3128", true, &u), 0);
	assert_false(u.tls);
	assert_int_equal(u.port, 3128);
}

static void test_url_refused(void **state)
{
	static const char *const bad[] = {
		"http://a/",	"ftp://a/",	    "https://",	     "https://:443/",
		"https://a:0/", "https://a:65536/", "https://a:x/",  "https://u@a/",
		"https://a/#f", "https://a /",	    "https://a/\n",  "https://-a/",
		"https://a_b/", "https://a?q=1",    "https://[zz]/", "https://a:/",
	};
	struct http_url u;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (http_url_parse(bad[i], false, &u) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
}

static void test_ca_host_bundle(void **state)
{
	static const char *const paths[] = {"/etc/ssl/certs/ca-certificates.crt",
					    "/etc/pki/tls/certs/ca-bundle.crt"};
	struct http_anchors a;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (access(paths[i], R_OK) != 0)
			continue;
		assert_int_equal(http_anchors_load(paths[i], &a, NULL), 0);
		assert_true(a.n > 10);
		for (size_t k = 0; k < a.n; k++)
			assert_true(a.v[k].flags & BR_X509_TA_CA);
		http_anchors_release(&a);
		return;
	}
	fail_msg("no system CA bundle on this machine (install ca-certificates)");
}

static void test_ca_refused(void **state)
{
	static const char junk[] = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
	static const char cut[] = "-----BEGIN CERTIFICATE-----\nMIIB\n";
	static const char other[] =
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	struct http_anchors a;
	struct http_error err = {0};

	(void)state;
	assert_int_equal(http_anchors_parse("", 0, &a, &err), -ENOKEY);
	assert_int_equal(http_anchors_parse("hello\n", 6, &a, &err), -ENOKEY);
	assert_int_equal(http_anchors_parse(other, strlen(other), &a, &err), -ENOKEY);
	assert_int_equal(http_anchors_parse(junk, strlen(junk), &a, &err), -EBADMSG);
	assert_int_equal(http_anchors_parse(cut, strlen(cut), &a, &err), -EBADMSG);
	assert_int_equal(http_anchors_load("/nonexistent/ca.pem", &a, &err), -ENOENT);
	assert_int_equal(http_anchors_load("/", &a, &err), -EISDIR);
}

struct mem_src {
	const char *data;
	size_t len, pos, slice;
};

static int mem_fill(void *ctx, unsigned char *buf, size_t len, const char **msg)
{
	struct mem_src *m = ctx;
	size_t n = m->len - m->pos;

	(void)msg;
	if (n > m->slice)
		n = m->slice;
	if (n > len)
		n = len;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (int)n;
}

/* Read one response from text, in slices of every size from 1 to 7 bytes and whole. */
static int read_resp(const char *text, size_t body_max, struct http_response *ret, bool *keep)
{
	int first = 0;

	for (size_t slice = 1; slice <= 8; slice++) {
		struct mem_src m = {text, strlen(text), 0, slice == 8 ? SIZE_MAX : slice};
		struct http_reader *rd = calloc(1, sizeof(*rd));
		struct http_response resp = {0};
		struct http_error err = {0};
		int r;

		assert_non_null(rd);
		rd->fill = mem_fill;
		rd->ctx = &m;
		r = http_response_read(rd, false, body_max, &resp, keep, &err);
		free(rd);
		if (slice == 1)
			first = r;
		assert_int_equal(r, first);
		if (r < 0) {
			assert_true(err.msg[0]);
			continue;
		}
		if (slice < 8)
			http_response_release(&resp);
		else
			*ret = resp;
	}
	return first;
}

static void test_content_length(void **state)
{
	struct http_response resp;
	bool keep;

	(void)state;
	assert_int_equal(
		read_resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 100, &resp, &keep),
		0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "hello");
	assert_int_equal(resp.retry_after_s, -1);
	assert_true(keep);
	http_response_release(&resp);
	assert_int_equal(read_resp("HTTP/1.1 429 Too Many\nRetry-After: 3\nConnection: close\n"
				   "Content-Length: 0\n\n",
				   100, &resp, &keep),
			 0);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.retry_after_s, 3);
	assert_false(keep);
	http_response_release(&resp);
}

static void test_chunked(void **state)
{
	struct http_response resp;
	bool keep;

	(void)state;
	assert_int_equal(read_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-Trailer: y\r\n\r\n",
				   100, &resp, &keep),
			 0);
	assert_string_equal(resp.body, "{\"a\":1}");
	assert_true(keep);
	http_response_release(&resp);
}

static void test_read_to_close_and_1xx(void **state)
{
	struct http_response resp;
	bool keep;

	(void)state;
	assert_int_equal(read_resp("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 500 Oops\r\nRetry-After: "
				   "Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\nbody until close",
				   100, &resp, &keep),
			 0);
	assert_int_equal(resp.status, 500);
	assert_int_equal(resp.retry_after_s, -1);
	assert_string_equal(resp.body, "body until close");
	assert_false(keep);
	http_response_release(&resp);
	assert_int_equal(read_resp("HTTP/1.1 204 No Content\r\n\r\n", 100, &resp, &keep), 0);
	assert_int_equal(resp.body_len, 0);
	assert_true(keep);
	http_response_release(&resp);
}

static void test_framing_refused(void **state)
{
	static const struct {
		const char *text;
		int r;
	} bad[] = {
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		 -EBADMSG},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
		 -EBADMSG},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
		 -EBADMSG},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
		 -EBADMSG},
		{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", -EBADMSG},
		{"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", -EBADMSG},
		{"HTTP/2 200 OK\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 20 OK\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 099 Low\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 101 Switching\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", -EBADMSG},
		{"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", -EFBIG},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", -EFBIG},
		{"HTTP/1.1 200 OK\r\n", -EBADMSG},
		{"", -EBADMSG},
	};
	struct http_response resp;
	bool keep;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (read_resp(bad[i].text, 100, &resp, &keep) != bad[i].r)
			fail_msg("case %zu: expected %d", i, bad[i].r);
}

static void test_read_to_close_limit(void **state)
{
	char text[300];
	struct http_response resp;
	bool keep;

	(void)state;
	snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n%0150d", 0);
	assert_int_equal(read_resp(text, 100, &resp, &keep), -EFBIG);
}

static void test_head_bounds(void **state)
{
	_cleanup_free_ char *big = malloc(HTTP_HEAD_MAX + 64);
	_cleanup_free_ char *many = malloc(HTTP_HEADERS_MAX * 8 + 64);
	struct http_response resp;
	bool keep;
	size_t n;

	(void)state;
	assert_non_null(big);
	assert_non_null(many);
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'a', HTTP_HEAD_MAX);
	strcpy(big + n + HTTP_HEAD_MAX, "\r\n\r\n");
	assert_int_equal(read_resp(big, 100, &resp, &keep), -E2BIG);
	n = (size_t)sprintf(many, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
		n += (size_t)sprintf(many + n, "X: a\r\n");
	strcpy(many + n, "\r\n");
	assert_int_equal(read_resp(many, 100, &resp, &keep), -E2BIG);
}

/* A source that fails after its bytes: the error and its message come through unchanged from
 * every place that refills (a head line, a sized body, a chunk, a body read to the close). */
static int failing_fill(void *ctx, unsigned char *buf, size_t len, const char **msg)
{
	int n = mem_fill(ctx, buf, len, msg);

	if (n == 0) {
		*msg = "source failed";
		return -ECONNRESET;
	}
	return n;
}

static void test_source_error(void **state)
{
	static const char *const texts[] = {
		"HTTP/1.1 200 OK\r\nContent-",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
		"HTTP/1.1 200 OK\r\n\r\nuntil close",
	};
	_cleanup_free_ struct http_reader *rd = calloc(1, sizeof(*rd));

	(void)state;
	assert_non_null(rd);
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct mem_src m = {texts[i], strlen(texts[i]), 0, 4};
		struct http_response resp = {0};
		struct http_error err = {0};
		bool keep;

		memset(rd, 0, sizeof(*rd));
		rd->fill = failing_fill;
		rd->ctx = &m;
		assert_int_equal(http_response_read(rd, false, 100, &resp, &keep, &err),
				 -ECONNRESET);
		assert_string_equal(err.msg, "source failed");
		assert_null(resp.body);
	}
}

static void test_proxy_answer(void **state)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	static const char extra[] = "HTTP/1.1 200 OK\r\n\r\n\x16\x03";
	struct mem_src m = {ok, strlen(ok), 0, SIZE_MAX};
	_cleanup_free_ struct http_reader *rd = calloc(1, sizeof(*rd));
	struct http_error err;
	int status = 0;

	(void)state;
	assert_non_null(rd);
	rd->fill = mem_fill;
	rd->ctx = &m;
	assert_int_equal(http_proxy_response_read(rd, &status, &err), 0);
	assert_int_equal(status, 200);
	m = (struct mem_src){extra, sizeof(extra) - 1, 0, SIZE_MAX};
	memset(rd, 0, sizeof(*rd));
	rd->fill = mem_fill;
	rd->ctx = &m;
	assert_int_equal(http_proxy_response_read(rd, &status, &err), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_url_refused),
		cmocka_unit_test(test_ca_host_bundle),
		cmocka_unit_test(test_ca_refused),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_read_to_close_and_1xx),
		cmocka_unit_test(test_framing_refused),
		cmocka_unit_test(test_read_to_close_limit),
		cmocka_unit_test(test_head_bounds),
		cmocka_unit_test(test_source_error),
		cmocka_unit_test(test_proxy_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
