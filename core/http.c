/*
 * http.c: the HTTPS client of core/http — sockets, proxy tunnel, TLS session and the request
 * loop. Sockets are non-blocking from birth; every wait is a poll() bounded by the request's
 * absolute deadline (and the connect timeout while connecting), so no read, write or handshake
 * can hang. BearSSL's full client profile is restricted to TLS 1.2 and verifies the chain and the
 * host name with its X.509 minimal engine; its generator is seeded from getrandom(). One
 * connection is kept for the next request to the same host; before reuse the socket is polled,
 * and a server that closed it (or speaks unasked) gets a fresh connection, and a request whose
 * kept-alive connection dies before any answer byte is sent once more on a new one. Request heads
 * carry Authorization headers, so they are built in one buffer and wiped.
 */
#define _GNU_SOURCE /* getrandom */
#include "http.h"
#include "http_internal.h"

#include "clock.h"
#include "core.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct http_conn {
	int fd;
	bool tls_up;
	char host[HTTP_HOST_MAX + 1];
	unsigned port;
	uint64_t deadline_ms;
	int io_err; /* errno of the last socket failure under BearSSL */
	bool eof;   /* the peer closed the TCP stream */
	size_t bytes_in;
	br_ssl_client_context sc;
	br_x509_minimal_context xc;
	br_sslio_context io;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

struct http_client {
	struct http_anchors anchors;
	struct http_url proxy;
	bool has_proxy;
	unsigned connect_timeout_ms;
	size_t body_max;
	unsigned handshakes;
	struct http_conn conn;
};

/* --- Proxy tunnel ------------------------------------------------------------------------ */

static int proxy_connect(const char *host, unsigned port, int fd, uint64_t deadline_ms,
			 struct http_error *err)
{
	_cleanup_free_ struct http_reader *rd = calloc(1, sizeof(*rd));
	struct http_sock_src src = {fd, deadline_ms, "timed out waiting for the proxy"};
	char req[2 * HTTP_HOST_MAX + 64];
	bool v6 = strchr(host, ':') != NULL;
	int status, r;

	if (!rd)
		return -ENOMEM;
	snprintf(req, sizeof(req), "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n\r\n",
		 v6 ? "[" : "", host, v6 ? "]" : "", port, v6 ? "[" : "", host, v6 ? "]" : "",
		 port);
	r = http_sock_write_all(fd, req, strlen(req), deadline_ms);
	if (r < 0)
		return http_fail(err, r, "cannot send CONNECT to the proxy");
	rd->fill = http_sock_fill;
	rd->ctx = &src;
	r = http_proxy_response_read(rd, &status, err);
	if (r < 0)
		return r;
	if (status / 100 != 2)
		return http_fail(err, -ECONNREFUSED, "the proxy refused the CONNECT request");
	return 0;
}

/* --- TLS --------------------------------------------------------------------------------- */

static int tls_low_read(void *ctx, unsigned char *buf, size_t len)
{
	struct http_conn *c = ctx;
	ssize_t n = http_sock_read(c->fd, buf, len, c->deadline_ms);

	if (n > 0)
		return (int)n;
	c->eof = n == 0;
	c->io_err = n == 0 ? ECONNRESET : (int)-n;
	return -1;
}

static int tls_low_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct http_conn *c = ctx;
	ssize_t n = http_sock_write(c->fd, buf, len, c->deadline_ms);

	if (n > 0)
		return (int)n;
	c->io_err = n == 0 ? EPIPE : (int)-n;
	return -1;
}

static int x509_error(int e, const char **msg)
{
	switch (e) {
	case BR_ERR_X509_BAD_SERVER_NAME:
		*msg = "server certificate is not valid for the host name";
		break;
	case BR_ERR_X509_EXPIRED:
		*msg = "server certificate expired or not yet valid";
		break;
	case BR_ERR_X509_NOT_TRUSTED:
	case BR_ERR_X509_NOT_CA:
		*msg = "server certificate is not signed by a trusted CA";
		break;
	default:
		*msg = "server certificate rejected";
	}
	return -EKEYREJECTED;
}

/* The error behind a failed BearSSL call. */
static int tls_error(struct http_conn *c, const char **msg)
{
	int e = br_ssl_engine_last_error(&c->sc.eng);

	if (e == BR_ERR_IO || (e == BR_ERR_OK && c->io_err)) {
		if (c->io_err == ETIMEDOUT)
			*msg = "timed out";
		else if (c->eof)
			*msg = "connection closed by the server";
		return -(c->io_err ? c->io_err : EIO);
	}
	if (e >= BR_ERR_X509_OK && e < BR_ERR_RECV_FATAL_ALERT)
		return x509_error(e, msg);
	if (e == BR_ERR_UNSUPPORTED_VERSION || e == BR_ERR_BAD_VERSION)
		*msg = "the server does not speak TLS 1.2";
	else if (e & BR_ERR_RECV_FATAL_ALERT)
		*msg = "the server sent a TLS alert";
	else
		*msg = "TLS protocol error";
	return -EPROTO;
}

static int tls_fail(struct http_conn *c, struct http_error *err)
{
	const char *msg = NULL;
	int r = tls_error(c, &msg);

	if (msg)
		error_detail_set(err, "%s", msg);
	return r;
}

static int tls_fill(void *ctx, unsigned char *buf, size_t len, const char **msg)
{
	struct http_conn *c = ctx;
	int n = br_sslio_read(&c->io, buf, len);

	if (n > 0) {
		c->bytes_in += (size_t)n;
		return n;
	}
	/* A clean close_notify, or a TCP close without it: framing decides if it came early. */
	if (br_ssl_engine_last_error(&c->sc.eng) == BR_ERR_OK ||
	    (br_ssl_engine_last_error(&c->sc.eng) == BR_ERR_IO && c->eof))
		return 0;
	return tls_error(c, msg);
}

static int tls_start(struct http_client *cl, struct http_conn *c, struct http_error *err)
{
	unsigned char seed[32];

	br_ssl_client_init_full(&c->sc, &c->xc, cl->anchors.v, cl->anchors.n);
	br_ssl_engine_set_versions(&c->sc.eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(&c->sc.eng, c->iobuf, sizeof(c->iobuf), 1);
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		return http_fail(err, -EIO, "getrandom failed");
	br_ssl_engine_inject_entropy(&c->sc.eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	/* The name is both the SNI and what the certificate must match. */
	if (!br_ssl_client_reset(&c->sc, c->host, 0))
		return http_fail(err, -EPROTO, "TLS setup failed");
	br_sslio_init(&c->io, &c->sc.eng, tls_low_read, c, tls_low_write, c);
	cl->handshakes++;
	if (br_sslio_flush(&c->io) < 0)
		return tls_fail(c, err);
	c->tls_up = true;
	return 0;
}

/* --- Connections ------------------------------------------------------------------------- */

static void conn_close(struct http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->tls_up = false;
	c->host[0] = '\0';
	/* The engine holds session keys. */
	explicit_bzero(&c->sc, sizeof(c->sc));
	explicit_bzero(c->iobuf, sizeof(c->iobuf));
}

/* A kept connection is worth a request only while the server has said nothing on it. */
static bool conn_reusable(const struct http_conn *c, const struct http_url *u)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	if (c->fd < 0 || !c->tls_up || c->port != u->port || strcmp(c->host, u->host) != 0)
		return false;
	return poll(&p, 1, 0) == 0;
}

static int conn_open(struct http_client *cl, const struct http_url *u, uint64_t deadline_ms,
		     struct http_error *err)
{
	struct http_conn *c = &cl->conn;
	uint64_t connect_deadline = clock_now_ms() + cl->connect_timeout_ms;
	int r;

	conn_close(c);
	if (connect_deadline > deadline_ms)
		connect_deadline = deadline_ms;
	if (cl->has_proxy)
		r = http_tcp_connect(cl->proxy.host, cl->proxy.port, connect_deadline, &c->fd, err);
	else
		r = http_tcp_connect(u->host, u->port, connect_deadline, &c->fd, err);
	if (r >= 0 && cl->has_proxy)
		r = proxy_connect(u->host, u->port, c->fd, deadline_ms, err);
	if (r < 0) {
		conn_close(c);
		return r;
	}
	snprintf(c->host, sizeof(c->host), "%s", u->host);
	c->port = u->port;
	c->deadline_ms = deadline_ms;
	c->io_err = 0;
	c->eof = false;
	r = tls_start(cl, c, err);
	if (r < 0)
		conn_close(c);
	return r;
}

/* --- Requests ---------------------------------------------------------------------------- */

static bool header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	return colon && colon != h && !strpbrk(h, "\r\n") &&
	       strcspn(h, " \t") > (size_t)(colon - h);
}

static int request_head(const struct http_request *req, const struct http_url *u, char *buf,
			size_t size, size_t *ret_len)
{
	size_t n = 0;
	int k;

	k = snprintf(buf, size, "%s %s HTTP/1.1\r\nHost: %s%s%s", req->method,
		     *u->path ? u->path : "/", strchr(u->host, ':') ? "[" : "", u->host,
		     strchr(u->host, ':') ? "]" : "");
	if (k < 0 || (size_t)k >= size)
		return -E2BIG;
	n = (size_t)k;
	if (u->port != HTTP_PORT_HTTPS)
		n += (size_t)snprintf(buf + n, size - n, ":%u", u->port);
	n += (size_t)snprintf(buf + n, size - n, "\r\nUser-Agent: tailpod\r\nAccept: */*\r\n");
	if (n < size && (req->body || req->content_type))
		n += (size_t)snprintf(
			buf + n, size - n, "Content-Type: %s\r\nContent-Length: %zu\r\n",
			req->content_type ? req->content_type : "text/plain", req->body_len);
	for (const char *const *h = req->headers; h && *h && n < size; h++)
		n += (size_t)snprintf(buf + n, size - n, "%s\r\n", *h);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "\r\n");
	if (n >= size)
		return -E2BIG;
	*ret_len = n;
	return 0;
}

static int request_check(const struct http_request *req, struct http_url *u, struct http_error *err)
{
	if (!req->method || !*req->method ||
	    strspn(req->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(req->method))
		return http_fail(err, -EINVAL, "invalid request method");
	if (!req->url || http_url_parse(req->url, false, u) < 0)
		return http_fail(err, -EINVAL, "invalid https:// URL");
	for (const char *const *h = req->headers; h && *h; h++)
		if (!header_ok(*h))
			return http_fail(err, -EINVAL, "invalid request header");
	if (req->content_type && strpbrk(req->content_type, "\r\n"))
		return http_fail(err, -EINVAL, "invalid content type");
	return 0;
}

static int exchange(struct http_client *cl, const struct http_request *req, const char *head,
		    size_t head_len, struct http_response *ret, bool *ret_keep,
		    struct http_error *err)
{
	struct http_conn *c = &cl->conn;
	_cleanup_free_ struct http_reader *rd = calloc(1, sizeof(*rd));

	if (!rd)
		return -ENOMEM;
	c->deadline_ms = req->deadline_ms;
	c->bytes_in = 0;
	c->io_err = 0;
	c->eof = false;
	if (br_sslio_write_all(&c->io, head, head_len) < 0 ||
	    (req->body_len && br_sslio_write_all(&c->io, req->body, req->body_len) < 0) ||
	    br_sslio_flush(&c->io) < 0)
		return tls_fail(c, err);
	rd->fill = tls_fill;
	rd->ctx = c;
	return http_response_read(rd, strcmp(req->method, "HEAD") == 0, cl->body_max, ret, ret_keep,
				  err);
}

/* Did a kept-alive connection die before the server said anything? Then the request is sent
 * once more; the server cannot have acted on a request it never answered on a dead socket. */
static bool worth_retry(const struct http_conn *c, bool reused, int r)
{
	return reused && c->bytes_in == 0 && (c->eof || r == -ECONNRESET || r == -EPIPE);
}

int http_client_request(struct http_client *cl, const struct http_request *req,
			struct http_response *ret, struct http_error *err)
{
	struct http_error dummy;
	struct http_url u;
	_cleanup_free_ char *head = NULL;
	size_t head_len = 0;
	bool keep = false, reused = false;
	int r;

	err = err ? err : &dummy;
	*err = (struct http_error){0};
	r = request_check(req, &u, err);
	if (r < 0)
		return r;
	head = malloc(HTTP_REQUEST_HEAD_MAX);
	if (!head)
		return -ENOMEM;
	r = request_head(req, &u, head, HTTP_REQUEST_HEAD_MAX, &head_len);
	if (r < 0) {
		explicit_bzero(head, HTTP_REQUEST_HEAD_MAX);
		return http_fail(err, r, "request head longer than HTTP_REQUEST_HEAD_MAX bytes");
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		reused = conn_reusable(&cl->conn, &u);
		r = reused ? 0 : conn_open(cl, &u, req->deadline_ms, err);
		if (r < 0)
			break;
		r = exchange(cl, req, head, head_len, ret, &keep, err);
		if (r >= 0 || !worth_retry(&cl->conn, reused, r))
			break;
		conn_close(&cl->conn);
	}
	explicit_bzero(head, HTTP_REQUEST_HEAD_MAX);
	if (r < 0 || !keep)
		conn_close(&cl->conn);
	if (r >= 0)
		ret->reused = reused;
	return r;
}

void http_response_release(struct http_response *resp)
{
	if (!resp)
		return;
	if (resp->body)
		explicit_bzero(resp->body, resp->body_len);
	free(resp->body);
	*resp = (struct http_response){.retry_after_s = -1};
}

unsigned http_client_handshakes(const struct http_client *c)
{
	return c->handshakes;
}

static int client_proxy(struct http_client *cl, const char *proxy, struct http_error *err)
{
	if (!proxy || !*proxy)
		return 0;
	if (http_url_parse(proxy, true, &cl->proxy) < 0 || cl->proxy.tls ||
	    (*cl->proxy.path && strcmp(cl->proxy.path, "/") != 0))
		return http_fail(err, -EINVAL, "proxy is not an http://host:port URL");
	cl->has_proxy = true;
	return 0;
}

int http_client_new(const struct http_client_opts *opts, struct http_client **ret,
		    struct http_error *err)
{
	struct http_client *cl;
	struct http_error dummy;
	int r;

	err = err ? err : &dummy;
	*err = (struct http_error){0};
	if (!opts->ca_file || opts->body_max == 0 || opts->body_max > HTTP_BODY_MAX ||
	    opts->connect_timeout_ms == 0)
		return http_fail(err, -EINVAL, "invalid HTTP client options");
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	cl->conn.fd = -1;
	cl->connect_timeout_ms = opts->connect_timeout_ms;
	cl->body_max = opts->body_max;
	r = client_proxy(cl, opts->proxy, err);
	if (r >= 0)
		r = http_anchors_load(opts->ca_file, &cl->anchors, err);
	if (r < 0) {
		http_client_free(cl);
		return r;
	}
	*ret = cl;
	return 0;
}

struct http_client *http_client_free(struct http_client *cl)
{
	if (!cl)
		return NULL;
	conn_close(&cl->conn);
	http_anchors_release(&cl->anchors);
	free(cl);
	return NULL;
}
