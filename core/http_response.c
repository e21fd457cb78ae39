/*
 * http_response.c: the parts of core/http that read hostile bytes — URLs and HTTP/1.1 answers
 * (RFC 9112) from any byte source. Framing follows the RFC's order: 1xx, 204 and 304 have no
 * body; Transfer-Encoding wins and must be exactly "chunked" (with Content-Length too it is
 * refused, the request-smuggling ambiguity); else Content-Length, which must be digits and agree
 * when repeated; else the body runs to the end of the connection. Every line, the head, the
 * header count and the body are bounded, and the body buffer is allocated once at its bound so
 * no realloc leaves copies of a secret behind.
 */
#include "http_internal.h"

#include "bounds.h"
#include "core.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	CHUNK_LINE_MAX = 1024, /* a chunk-size line with its extensions */
	RETRY_AFTER_MAX = 86400,
};

struct head {
	int status;
	bool http10;
	bool chunked;
	bool has_length;
	size_t length;
	bool conn_close;
	bool conn_keep_alive;
	long retry_after_s;
	size_t bytes, fields;
};

int http_fail(struct http_error *err, int r, const char *msg)
{
	error_detail_set(err, "%s", msg ? msg : "");
	return r;
}

/* --- URLs -------------------------------------------------------------------------------- */

static bool host_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.';
}

static int url_host(const char *s, size_t n, struct http_url *u)
{
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
		if (n == 0 || strspn(s, "0123456789abcdefABCDEF:.") < n)
			return -EINVAL;
	} else {
		if (n == 0 || s[0] == '.' || s[0] == '-')
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			if (!host_char_ok(s[i]))
				return -EINVAL;
	}
	if (n > HTTP_HOST_MAX)
		return -EINVAL;
	memcpy(u->host, s, n);
	u->host[n] = '\0';
	return 0;
}

static int url_port(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > PORT_MAX)
		return -EINVAL;
	*ret = v;
	return 0;
}

int http_url_parse(const char *url, bool allow_plain, struct http_url *ret)
{
	struct http_url u = {0};
	const char *auth, *end, *colon;
	int r;

	if (strnlen(url, HTTP_URL_MAX + 1) > HTTP_URL_MAX)
		return -EINVAL;
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '#')
			return -EINVAL;
	if (strncmp(url, "https://", 8) == 0) {
		u.tls = true;
		u.port = HTTP_PORT_HTTPS;
		auth = url + 8;
	} else if (allow_plain && strncmp(url, "http://", 7) == 0) {
		u.port = HTTP_PORT_PLAIN;
		auth = url + 7;
	} else {
		return -EINVAL;
	}
	end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(end - auth)))
		return -EINVAL;
	colon = end;
	for (const char *c = end; c > auth; c--)
		if (c[-1] == ':' || c[-1] == ']') {
			colon = c[-1] == ':' ? c - 1 : end;
			break;
		}
	r = url_host(auth, (size_t)(colon - auth), &u);
	if (r >= 0 && colon != end)
		r = url_port(colon + 1, (size_t)(end - colon - 1), &u.port);
	if (r < 0)
		return r;
	if (*end == '?')
		return -EINVAL;
	u.path = end;
	*ret = u;
	return 0;
}

/* --- Reading ----------------------------------------------------------------------------- */

/* How many bytes r holds, refilled from its source when it holds none: > 0, 0 at a clean end of
 * stream, or -errno. With eof_msg, the end of the stream is not clean here but -EBADMSG. */
static int reader_avail(struct http_reader *r, const char *eof_msg, struct http_error *err)
{
	const char *msg = NULL;
	int n;

	if (r->pos < r->len)
		return (int)(r->len - r->pos);
	n = r->fill(r->ctx, r->buf, sizeof(r->buf), &msg);
	if (n < 0)
		return http_fail(err, n, msg);
	r->pos = 0;
	r->len = (size_t)n;
	if (n == 0 && eof_msg)
		return http_fail(err, -EBADMSG, eof_msg);
	return n;
}

/* One line without its CR LF (a bare LF is accepted, as RFC 9112 allows), NUL-terminated. */
static int read_line(struct http_reader *r, char *line, size_t max, const char *too_long,
		     size_t *ret_len, struct http_error *err)
{
	size_t n = 0;

	for (;;) {
		int k = reader_avail(r, "connection closed in the middle of a line", err);
		if (k < 0)
			return k;
		char c = (char)r->buf[r->pos++];
		if (c == '\n')
			break;
		if (n + 1 >= max)
			return http_fail(err, -E2BIG, too_long);
		line[n++] = c;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	if (memchr(line, '\0', n) || memchr(line, '\r', n))
		return http_fail(err, -EBADMSG, "NUL or bare CR in response head");
	*ret_len = n;
	return 0;
}

static int parse_status(const char *line, struct head *h, struct http_error *err)
{
	if (strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') ||
	    line[8] != ' ' || !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) || !isdigit((unsigned char)line[11]) ||
	    (line[12] != ' ' && line[12] != '\0'))
		return http_fail(err, -EBADMSG, "malformed HTTP status line");
	h->http10 = line[7] == '0';
	h->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (h->status < 100 || h->status > 599)
		return http_fail(err, -EBADMSG, "HTTP status out of range");
	return 0;
}

static int parse_decimal(const char *v, size_t *ret)
{
	size_t n = 0;

	if (!*v)
		return -EBADMSG;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -EBADMSG;
		if (n > (SIZE_MAX - 9) / 10)
			return -EOVERFLOW;
		n = n * 10 + (size_t)(*v - '0');
	}
	*ret = n;
	return 0;
}

/* Does the comma-separated list v contain token (case-insensitive)? */
static bool has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);

	while (*v) {
		v += strspn(v, " \t,");
		size_t n = strcspn(v, " \t,");
		if (n == tl && strncasecmp(v, token, tl) == 0)
			return true;
		v += n;
	}
	return false;
}

static int header_field(char *line, struct head *h, struct http_error *err)
{
	char *colon = strchr(line, ':'), *v;
	size_t len;

	if (line[0] == ' ' || line[0] == '\t')
		return http_fail(err, -EBADMSG, "obsolete header line folding");
	if (!colon || colon == line || strcspn(line, " \t") < (size_t)(colon - line))
		return http_fail(err, -EBADMSG, "malformed header field");
	*colon = '\0';
	v = colon + 1 + strspn(colon + 1, " \t");
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		v[--len] = '\0';
	if (strcasecmp(line, "Content-Length") == 0) {
		size_t n;
		if (parse_decimal(v, &n) < 0)
			return http_fail(err, -EBADMSG, "invalid Content-Length");
		if (h->has_length && n != h->length)
			return http_fail(err, -EBADMSG, "conflicting Content-Length headers");
		h->has_length = true;
		h->length = n;
	} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
		if (strcasecmp(v, "chunked") != 0 || h->chunked)
			return http_fail(err, -EBADMSG, "unsupported Transfer-Encoding");
		h->chunked = true;
	} else if (strcasecmp(line, "Connection") == 0) {
		h->conn_close |= has_token(v, "close");
		h->conn_keep_alive |= has_token(v, "keep-alive");
	} else if (strcasecmp(line, "Retry-After") == 0) {
		size_t n;
		h->retry_after_s = parse_decimal(v, &n) < 0 ? -1
				   : n > RETRY_AFTER_MAX    ? RETRY_AFTER_MAX
							    : (long)n;
	}
	return 0;
}

static int read_head(struct http_reader *r, struct head *h, struct http_error *err)
{
	_cleanup_free_ char *line = malloc(HTTP_HEAD_MAX);
	size_t len;
	int k;

	if (!line)
		return -ENOMEM;
	*h = (struct head){.retry_after_s = -1};
	k = read_line(r, line, HTTP_HEAD_MAX, "response head longer than HTTP_HEAD_MAX bytes", &len,
		      err);
	if (k < 0)
		return k;
	h->bytes = len + 2;
	k = parse_status(line, h, err);
	for (;;) {
		if (k < 0)
			return k;
		k = read_line(r, line, HTTP_HEAD_MAX - h->bytes,
			      "response head longer than HTTP_HEAD_MAX bytes", &len, err);
		if (k < 0)
			return k;
		h->bytes += len + 2;
		if (len == 0)
			return 0;
		if (++h->fields > HTTP_HEADERS_MAX)
			return http_fail(err, -E2BIG,
					 "more than HTTP_HEADERS_MAX response header fields");
		k = header_field(line, h, err);
	}
}

/* Copy n bytes of body into out (capacity cap) at *len. */
static int read_exact(struct http_reader *r, char *out, size_t *len, size_t n,
		      struct http_error *err)
{
	while (n > 0) {
		int k = reader_avail(r, "connection closed before the end of the body", err);
		if (k < 0)
			return k;
		size_t take = (size_t)k < n ? (size_t)k : n;
		memcpy(out + *len, r->buf + r->pos, take);
		r->pos += take;
		*len += take;
		n -= take;
	}
	return 0;
}

static int read_chunked(struct http_reader *r, char *out, size_t cap, size_t *len,
			struct http_error *err)
{
	char line[CHUNK_LINE_MAX];
	size_t n, ll;
	int k;

	for (;;) {
		k = read_line(r, line, sizeof(line), "chunk-size line longer than 1024 bytes", &ll,
			      err);
		if (k < 0)
			return k;
		char *end;
		line[strcspn(line, "; \t")] = '\0';
		if (!isxdigit((unsigned char)line[0]) || strlen(line) > 15)
			return http_fail(err, -EBADMSG, "invalid chunk size");
		n = strtoul(line, &end, 16);
		if (*end)
			return http_fail(err, -EBADMSG, "invalid chunk size");
		if (n == 0)
			break;
		if (n > cap - *len)
			return http_fail(err, -EFBIG, "response body larger than the limit");
		k = read_exact(r, out, len, n, err);
		if (k >= 0)
			k = read_line(r, line, sizeof(line),
				      "chunk-size line longer than 1024 bytes", &ll, err);
		if (k < 0)
			return k;
		if (ll != 0)
			return http_fail(err, -EBADMSG, "chunk data longer than its size");
	}
	/* Trailer fields are read and dropped, within the head bounds. */
	for (size_t total = 0, fields = 0;; fields++) {
		k = read_line(r, line, sizeof(line), "trailer line longer than 1024 bytes", &ll,
			      err);
		if (k < 0)
			return k;
		if (ll == 0)
			return 0;
		total += ll;
		if (total > HTTP_HEAD_MAX || fields >= HTTP_HEADERS_MAX)
			return http_fail(err, -E2BIG, "trailer longer than HTTP_HEAD_MAX bytes");
	}
}

static int read_to_close(struct http_reader *r, char *out, size_t cap, size_t *len,
			 struct http_error *err)
{
	for (;;) {
		int k = reader_avail(r, NULL, err);
		if (k <= 0)
			return k;
		size_t avail = (size_t)k;
		if (avail > cap - *len)
			return http_fail(err, -EFBIG, "response body larger than the limit");
		memcpy(out + *len, r->buf + r->pos, avail);
		*len += avail;
		r->pos = r->len;
	}
}

static int read_body(struct http_reader *r, const struct head *h, size_t body_max,
		     struct http_response *resp, struct http_error *err)
{
	size_t cap = h->has_length && !h->chunked && h->length < body_max ? h->length : body_max;
	char *out;
	size_t len = 0;
	int k;

	if (h->has_length && !h->chunked && h->length > body_max)
		return http_fail(err, -EFBIG, "response body larger than the limit");
	out = malloc(cap + 1);
	if (!out)
		return -ENOMEM;
	if (h->chunked)
		k = read_chunked(r, out, cap, &len, err);
	else if (h->has_length)
		k = read_exact(r, out, &len, h->length, err);
	else
		k = read_to_close(r, out, cap, &len, err);
	if (k < 0) {
		explicit_bzero(out, len);
		free(out);
		return k;
	}
	out[len] = '\0';
	resp->body = out;
	resp->body_len = len;
	return 0;
}

static bool has_body(const struct head *h, bool head_only)
{
	return !head_only && h->status >= 200 && h->status != 204 && h->status != 304;
}

int http_response_read(struct http_reader *r, bool head_only, size_t body_max,
		       struct http_response *ret, bool *ret_keep_alive, struct http_error *err)
{
	struct http_response resp = {0};
	struct head h;
	int k;

	for (int i = 0;; i++) {
		k = read_head(r, &h, err);
		if (k < 0)
			return k;
		if (h.status >= 200)
			break;
		if (h.status == 101 || i >= HTTP_INFORMATIONAL_MAX)
			return http_fail(err, -EBADMSG, "unexpected informational responses");
	}
	if (h.chunked && h.has_length)
		return http_fail(err, -EBADMSG, "both Transfer-Encoding and Content-Length");
	if (has_body(&h, head_only)) {
		k = read_body(r, &h, body_max, &resp, err);
		if (k < 0)
			return k;
	} else {
		resp.body = calloc(1, 1);
		if (!resp.body)
			return -ENOMEM;
	}
	resp.status = h.status;
	resp.retry_after_s = h.retry_after_s;
	*ret_keep_alive = !h.conn_close && (!h.http10 || h.conn_keep_alive) &&
			  (!has_body(&h, head_only) || h.chunked || h.has_length);
	*ret = resp;
	return 0;
}

int http_proxy_response_read(struct http_reader *r, int *ret_status, struct http_error *err)
{
	struct head h;
	int k = read_head(r, &h, err);

	if (k < 0)
		return k;
	if (h.status / 100 == 2 && r->pos != r->len)
		return http_fail(err, -EBADMSG, "proxy sent data after its answer to CONNECT");
	*ret_status = h.status;
	return 0;
}
