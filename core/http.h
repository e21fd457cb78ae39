/* http.h: a small HTTPS/1.1 client on BearSSL for talking to HTTP APIs: TLS 1.2 only, SNI, the
 * server's chain and host name verified against a PEM CA bundle, an optional HTTP proxy reached
 * with CONNECT, a connect timeout and one absolute deadline over every read and write of a
 * request, Content-Length, chunked and read-to-close bodies with a size bound, and one connection
 * kept alive across requests to the same host and re-opened when the server has closed it. Core
 * module: no printing; 0 on success, negative errno on failure with a static message. */
#ifndef TAILPOD_HTTP_H
#define TAILPOD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Bounds. Each error message names the bound it hit. */
enum {
	HTTP_CA_FILE_MAX = 4 * 1024 * 1024, /* bytes in a CA bundle */
	HTTP_CA_ANCHORS_MAX = 1024,	    /* certificates taken from a CA bundle */
	HTTP_CERT_MAX = 64 * 1024,	    /* bytes in one DER certificate of the bundle */
	HTTP_HOST_MAX = 253,		    /* bytes in a host name */
	HTTP_URL_MAX = 4096,		    /* bytes in a URL */
	HTTP_HEAD_MAX = 16 * 1024,	    /* bytes in a response's status line and headers */
	HTTP_HEADERS_MAX = 128,		    /* header fields in one response */
	HTTP_REQUEST_HEAD_MAX = 16 * 1024,  /* bytes in a request's line and headers */
	HTTP_BODY_MAX = 16 * 1024 * 1024,   /* largest body_max accepted */
	HTTP_PORT_HTTPS = 443,		    /* a https:// URL's port when it names none */
	HTTP_PORT_PLAIN = 80,		    /* an http:// one's */
	HTTP_INFORMATIONAL_MAX = 8,	    /* 1xx answers skipped before the final one */
};

/* Why a call failed: msg "" when the errno says it all. */
struct http_error {
	ERROR_DETAIL_MEMBERS;
};

/* A parsed https:// (or, for proxies, http://) URL; host without brackets. */
struct http_url {
	bool tls;
	char host[HTTP_HOST_MAX + 1];
	unsigned port;
	const char *path; /* points into the parsed string: "/..." or "" for none */
};

/* Parse "https://host[:port][/path]" (or "http://" when allow_plain). User info, fragments,
 * spaces and control characters are refused with -EINVAL; a host is a DNS name or a bracketed
 * IPv6 address or an IPv4 literal. */
int http_url_parse(const char *url, bool allow_plain, struct http_url *ret);

struct http_client_opts {
	const char *ca_file;	     /* PEM bundle of trust anchors, required */
	const char *proxy;	     /* "http://host:port" or NULL/"" for none */
	unsigned connect_timeout_ms; /* per TCP connect, within the request's deadline */
	size_t body_max;	     /* largest response body kept, 1..HTTP_BODY_MAX */
};

struct http_request {
	const char *method; /* "GET", "POST" */
	const char *url;    /* https:// only */
	/* Extra header lines "Name: value" (NULL-terminated array, may be NULL). They may hold
	 * secrets (Authorization): every copy is wiped. CR and LF are refused (-EINVAL). */
	const char *const *headers;
	const char *content_type; /* with a body */
	const void *body;	  /* may hold secrets: copies are wiped */
	size_t body_len;
	uint64_t deadline_ms; /* absolute, on the clock_now_ms() clock (clock.h) */
};

struct http_response {
	int status;
	char *body; /* NUL-terminated, body_len bytes before the NUL; wiped on release */
	size_t body_len;
	long retry_after_s; /* Retry-After in delay-seconds, -1 when absent or a date */
	bool reused;	    /* sent over a kept-alive connection */
};

struct http_client;

/* Loads the CA bundle (every CERTIFICATE block; -ENOENT/-EACCES from open, -EBADMSG on a
 * malformed one, -ENOKEY when none is usable) and seeds the TLS random generator from
 * getrandom(). */
int http_client_new(const struct http_client_opts *opts, struct http_client **ret,
		    struct http_error *err);
struct http_client *http_client_free(struct http_client *c);

/* Send req and read the whole answer, whatever its status. Errors: -EINVAL (bad request),
 * -ETIMEDOUT (deadline), -ECONNREFUSED and other socket errors, -EHOSTUNREACH (name not resolved),
 * -EKEYREJECTED (certificate not trusted, expired or for another name), -EPROTO (TLS failure),
 * -EBADMSG (malformed HTTP), -EFBIG (body over body_max), -E2BIG (a head bound). A request on a
 * kept-alive connection the server has closed is sent again once on a new one. */
int http_client_request(struct http_client *c, const struct http_request *req,
			struct http_response *ret, struct http_error *err);

void http_response_release(struct http_response *resp);

/* TLS handshakes done so far (a measure for keep-alive). */
unsigned http_client_handshakes(const struct http_client *c);

/* How many trust anchors the PEM bundle at path gives, parsed exactly as the client parses it
 * (doctor's check that a bundle is usable): 0 with *ret_count, or -errno with err. */
int http_ca_bundle_count(const char *path, size_t *ret_count, struct http_error *err);

/* The loopback health probe (http_probe.c; sync's `[X-Tailpod] HealthURL=`). A URL it accepts is
 * http://HOST[:PORT][/PATH] with HOST in 127.0.0.0/8, [::1] or localhost (connected to as
 * 127.0.0.1, never resolved); anything else is -EINVAL with the reason in err. */
int http_loopback_url_parse(const char *url, struct http_url *ret, struct http_error *err);

/* One GET of such a URL by deadline_ms (absolute, clock_now_ms()): the final status in
 * *ret_status, the body never read. Errors as http_client_request's. */
int http_probe(const char *url, uint64_t deadline_ms, int *ret_status, struct http_error *err);

#endif
