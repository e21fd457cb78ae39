/* http_probe.c: the loopback health probe of sync's gate (issue 21, `[X-Tailpod] HealthURL=`).
 * A repository names the URL, so only plain http:// to a loopback address is ever reached —
 * 127.0.0.0/8, ::1 or the name localhost (taken as 127.0.0.1, never resolved) — and only the
 * status line is read: one GET, "Connection: close", the head bounded like every response of
 * core/http, the body never read, every step within one absolute deadline. */
#include "http.h"
#include "http_internal.h"

#include "clock.h"
#include "core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	PROBE_REQUEST_MAX = HTTP_URL_MAX + 256, /* the request line, Host and the fixed headers */
};

/* The address to connect to for a loopback host, or NULL when host is not one. */
static const char *loopback_addr(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcmp(host, "localhost") == 0)
		return "127.0.0.1";
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127 ? host : NULL;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ? host : NULL;
	return NULL;
}

int http_loopback_url_parse(const char *url, struct http_url *ret, struct http_error *err)
{
	struct http_url u;

	if (http_url_parse(url, true, &u) < 0 || u.tls)
		return http_fail(err, -EINVAL, "not an http://HOST[:PORT][/PATH] URL");
	if (!loopback_addr(u.host))
		return http_fail(err, -EINVAL,
				 "not a loopback host (127.0.0.0/8, [::1] or localhost)");
	if (u.port == 0)
		return http_fail(err, -EINVAL, "port 0");
	*ret = u;
	return 0;
}

static int probe_request(const struct http_url *u, char *buf, size_t size, size_t *ret_len)
{
	bool v6 = strchr(u->host, ':') != NULL;
	int n = snprintf(buf, size,
			 "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\nUser-Agent: tailpod-health\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n",
			 *u->path ? u->path : "/", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);

	if (n < 0 || (size_t)n >= size)
		return -E2BIG;
	*ret_len = (size_t)n;
	return 0;
}

int http_probe(const char *url, uint64_t deadline_ms, int *ret_status, struct http_error *err)
{
	_cleanup_free_ struct http_reader *rd = calloc(1, sizeof(*rd));
	_cleanup_free_ char *req = malloc(PROBE_REQUEST_MAX);
	_cleanup_close_ int fd = -1;
	struct http_response resp = {0};
	struct http_error dummy;
	struct http_sock_src src;
	struct http_url u;
	size_t len = 0;
	bool keep;
	int r;

	err = err ? err : &dummy;
	*err = (struct http_error){0};
	if (!rd || !req)
		return -ENOMEM;
	r = http_loopback_url_parse(url, &u, err);
	if (r >= 0 && probe_request(&u, req, PROBE_REQUEST_MAX, &len) < 0)
		r = http_fail(err, -E2BIG, "request longer than its bound");
	if (r >= 0)
		r = http_tcp_connect(loopback_addr(u.host), u.port, deadline_ms, &fd, err);
	if (r >= 0 && (r = http_sock_write_all(fd, req, len, deadline_ms)) < 0)
		r = http_fail(err, r, "cannot send the request");
	if (r < 0)
		return r;
	src = (struct http_sock_src){fd, deadline_ms, "timed out waiting for the answer"};
	rd->fill = http_sock_fill;
	rd->ctx = &src;
	r = http_response_read(rd, true, 1, &resp, &keep, err);
	if (r < 0)
		return r;
	*ret_status = resp.status;
	free(resp.body); /* head only: the empty body */
	return 0;
}
