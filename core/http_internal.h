/* http_internal.h: the pieces of core/http shared between its files and with its unit tests —
 * trust anchors from a PEM bundle (http_ca.c) and the response reader over any byte source
 * (http_response.c), so that framing can be tested without a socket. Not for applets. */
#ifndef TAILPOD_HTTP_INTERNAL_H
#define TAILPOD_HTTP_INTERNAL_H

#include "http.h"

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct http_anchors {
	br_x509_trust_anchor *v; /* each v[i].dn.data is one allocation holding its key too */
	size_t n;
	size_t skipped; /* certificates BearSSL could not decode (unsupported key type, ...) */
};

/* Trust anchors from a PEM bundle: a file (followed if a symlink, as distributions ship
 * them), or a buffer. */
int http_anchors_load(const char *path, struct http_anchors *ret, struct http_error *err);
int http_anchors_parse(const void *buf, size_t len, struct http_anchors *ret,
		       struct http_error *err);
void http_anchors_release(struct http_anchors *a);

/* Fill err with msg (NULL: "") and return r, the one failure path of every http file. */
int http_fail(struct http_error *err, int r, const char *msg);

/* A buffered byte source. fill returns the number of bytes read (> 0), 0 at a clean end of
 * stream, or a negative errno; it sets *msg for errors it can explain. */
struct http_reader {
	int (*fill)(void *ctx, unsigned char *buf, size_t len, const char **msg);
	void *ctx;
	unsigned char buf[4096];
	size_t pos, len;
};

/* Read one response to a request (head_only for HEAD) from r. ret_keep_alive says whether the
 * connection may carry another request. On failure nothing is returned in ret. */
int http_response_read(struct http_reader *r, bool head_only, size_t body_max,
		       struct http_response *ret, bool *ret_keep_alive, struct http_error *err);

/* The status line and headers of a proxy's answer to CONNECT; only the status is kept. Bytes
 * after the blank line are -EBADMSG: the server speaks only after our TLS hello. */
int http_proxy_response_read(struct http_reader *r, int *ret_status, struct http_error *err);

/* Sockets (http_sock.c): one read or send of up to len bytes, waiting until deadline_ms
 * (absolute, clock_now_ms()): > 0 bytes, 0 at end of stream, or -errno (-ETIMEDOUT). */
ssize_t http_sock_read(int fd, void *buf, size_t len, uint64_t deadline_ms);
ssize_t http_sock_write(int fd, const void *buf, size_t len, uint64_t deadline_ms);
int http_sock_write_all(int fd, const char *buf, size_t len, uint64_t deadline_ms);

/* A plain socket as the byte source of a struct http_reader (fill = http_sock_fill, ctx = the
 * source): reads until deadline_ms; a timeout's message is timeout_msg. */
struct http_sock_src {
	int fd;
	uint64_t deadline_ms;
	const char *timeout_msg;
};
int http_sock_fill(void *ctx, unsigned char *buf, size_t len, const char **msg);

/* A non-blocking TCP connection to host:port (resolved with getaddrinfo, every address tried)
 * by deadline_ms; *ret_fd on success, -errno with err's message otherwise. */
int http_tcp_connect(const char *host, unsigned port, uint64_t deadline_ms, int *ret_fd,
		     struct http_error *err);

#endif
