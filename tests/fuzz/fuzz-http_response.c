/* fuzz-http_response.c: libFuzzer harness for the HTTP/1.1 response reader (core/http_response.c),
 * the code that reads the network's bytes before any authentication. The first byte picks the
 * mode (a GET, a HEAD, a proxy's CONNECT answer), the slice size the byte source hands out (so
 * lines and chunks cross buffer fills) and the body bound; the rest is the server's answer. */
#include "http_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct source {
	const uint8_t *p;
	size_t left;
	size_t slice;
};

static int source_fill(void *ctx, unsigned char *buf, size_t len, const char **msg)
{
	struct source *s = ctx;
	size_t n = s->left < len ? s->left : len;

	(void)msg;
	if (n > s->slice)
		n = s->slice;
	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t body_max[] = {1, 16, 4096, 65536};
	static const size_t slices[] = {1, 7, 512, 4096};
	struct http_reader r = {.fill = source_fill};
	struct source src;
	struct http_error err = {0};
	struct http_response resp;
	bool keep_alive = false;
	int status = 0;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0];
	src = (struct source){.p = data + 1, .left = size - 1, .slice = slices[(mode >> 2) & 3]};
	r.ctx = &src;
	if ((mode & 3) == 3) {
		(void)http_proxy_response_read(&r, &status, &err);
		return 0;
	}
	memset(&resp, 0, sizeof(resp));
	if (http_response_read(&r, (mode & 3) == 1, body_max[(mode >> 4) & 3], &resp, &keep_alive,
			       &err) == 0) {
		if (resp.body_len > body_max[(mode >> 4) & 3] ||
		    (resp.body && resp.body[resp.body_len]))
			abort();
		http_response_release(&resp);
	}
	return 0;
}
