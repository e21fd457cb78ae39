/* http_sock.c: the sockets of core/http — non-blocking from birth, every wait a poll() bounded by
 * an absolute deadline (and the connect timeout while connecting), so no connect, read or write
 * can hang. Shared by the HTTPS client (http.c) and the loopback health probe (http_probe.c). */
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
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		uint64_t now = clock_now_ms(), left;
		struct pollfd p = {.fd = fd, .events = events};
		int n;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		left = deadline_ms - now;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

/* One read (POLLIN) or send (POLLOUT) of up to len bytes, waiting for the socket until
 * deadline_ms: > 0 bytes, 0 at end of stream, or -errno. */
static ssize_t sock_io(int fd, short events, void *buf, size_t len, uint64_t deadline_ms)
{
	for (;;) {
		ssize_t n =
			events == POLLIN ? read(fd, buf, len) : send(fd, buf, len, MSG_NOSIGNAL);
		int r;

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = wait_fd(fd, events, deadline_ms);
		if (r < 0)
			return r;
	}
}

ssize_t http_sock_read(int fd, void *buf, size_t len, uint64_t deadline_ms)
{
	return sock_io(fd, POLLIN, buf, len, deadline_ms);
}

/* send() only reads buf; sock_io's one pointer type serves both directions. */
ssize_t http_sock_write(int fd, const void *buf, size_t len, uint64_t deadline_ms)
{
	return sock_io(fd, POLLOUT, (void *)buf, len, deadline_ms);
}

int http_sock_write_all(int fd, const char *buf, size_t len, uint64_t deadline_ms)
{
	while (len > 0) {
		ssize_t n = http_sock_write(fd, buf, len, deadline_ms);
		if (n < 0)
			return (int)n;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int connect_one(const struct addrinfo *ai, uint64_t deadline_ms, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	int soerr = 0, one = 1, r;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline_ms);
		if (r < 0)
			return r;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return -errno;
		if (soerr)
			return -soerr;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int http_tcp_connect(const char *host, unsigned port, uint64_t deadline_ms, int *ret_fd,
		     struct http_error *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char service[8];
	int r = -EHOSTUNREACH;

	snprintf(service, sizeof(service), "%u", port);
	/* The resolver has its own timeouts (resolv.conf); it cannot take our deadline. */
	if (getaddrinfo(host, service, &hints, &res) != 0 || !res)
		return http_fail(err, -EHOSTUNREACH, "cannot resolve the host name");
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		r = connect_one(ai, deadline_ms, ret_fd);
		if (r >= 0 || r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (r == -ETIMEDOUT)
		return http_fail(err, r, "connect timed out");
	return r < 0 ? http_fail(err, r, "cannot connect") : 0;
}

int http_sock_fill(void *ctx, unsigned char *buf, size_t len, const char **msg)
{
	struct http_sock_src *s = ctx;
	ssize_t n = http_sock_read(s->fd, buf, len, s->deadline_ms);

	if (n == -ETIMEDOUT)
		*msg = s->timeout_msg;
	return (int)n;
}
