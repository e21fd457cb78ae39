/* test-http_probe.c: unit tests of core/http's loopback health probe — which URLs it accepts
 * (plain http:// to 127.0.0.0/8, [::1], localhost; nothing else), and one GET against a server on
 * 127.0.0.1 in a child process: the status of a 200, a 503 and a 1xx before a 204, the request
 * line and Host it sends, a refused connection, a server that never answers (the deadline), and
 * a head beyond its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "core.h"
#include "http.h"

static void test_urls(void **state)
{
	static const char *const good[] = {
		"http://127.0.0.1:8080/healthz", "http://127.1.2.3/", "http://[::1]:9/x",
		"http://localhost:80",		 "http://127.0.0.1",  "http://127.0.0.1/a?q=1",
	};
	static const char *const bad[] = {
		"https://127.0.0.1/",
		"http://10.0.0.1/",
		"http://128.0.0.1/",
		"http://example.com/",
		"http://[::2]/",
		"http://localhost.evil/",
		"http://0.0.0.0:80/",
		"http://127.0.0.1:0/",
		"http://u@127.0.0.1/",

		"http://127.0.0.1/a b",
		"file:///etc/passwd",
		"http://[::ffff:127.0.0.1]/",
		"",
	};
	struct http_error err;
	struct http_url u;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (http_loopback_url_parse(good[i], &u, &err) != 0)
			fail_msg("refused: %s (%s)", good[i], err.msg);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (http_loopback_url_parse(bad[i], &u, &err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
}

/* A server on 127.0.0.1 answering one connection with answer (NULL: never answers), writing
 * what it read into req_out; its port in *port, its pid returned. */
static pid_t serve_once(const char *answer, int req_pipe, unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[8192];
		int c = accept(ls, NULL, NULL);
		ssize_t n = c < 0 ? -1 : read(c, buf, sizeof(buf));

		if (n > 0 && req_pipe >= 0 && write(req_pipe, buf, (size_t)n) < 0)
			_exit(1);
		if (!answer)
			pause();
		if (c >= 0 && write(c, answer, strlen(answer)) < 0)
			_exit(1);
		_exit(0);
	}
	close(ls);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The status one probe of http://127.0.0.1:PORT/healthz gets from a server saying answer. */
static int probe_answer(const char *answer, unsigned timeout_ms, int *status, char *req,
			size_t req_size)
{
	int p[2];
	unsigned port;
	char url[64];
	struct http_error err;
	pid_t pid;
	int r;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = serve_once(answer, p[1], &port);
	close(p[1]);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", port);
	r = http_probe(url, clock_now_ms() + timeout_ms, status, &err);
	reap(pid);
	n = read(p[0], req, req_size - 1);
	req[n > 0 ? n : 0] = '\0';
	close(p[0]);
	return r;
}

static void test_status(void **state)
{
	char req[8192], host[64];
	int status = 0;

	(void)state;
	assert_int_equal(probe_answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 5000,
				      &status, req, sizeof(req)),
			 0);
	assert_int_equal(status, 200);
	assert_true(strncmp(req, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:", 39) == 0);
	assert_non_null(strstr(req, "\r\nConnection: close\r\n"));
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(req + 39, "\r"), req + 39);
	assert_true(atoi(host) > 0);
	assert_int_equal(probe_answer("HTTP/1.1 503 Service Unavailable\r\n\r\nnot yet", 5000,
				      &status, req, sizeof(req)),
			 0);
	assert_int_equal(status, 503);
	assert_int_equal(
		probe_answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 5000,
			     &status, req, sizeof(req)),
		0);
	assert_int_equal(status, 204);
}

static void test_failures(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	char req[8192], url[64], *big;
	struct http_error err;
	int status = 0, s;
	uint64_t t0;

	(void)state;
	/* A port nobody listens on: bound, then closed. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(a.sin_port));
	assert_int_equal(http_probe(url, clock_now_ms() + 2000, &status, &err), -ECONNREFUSED);
	/* A server that never answers: the deadline, not a hang. */
	t0 = clock_now_ms();
	assert_int_equal(probe_answer(NULL, 300, &status, req, sizeof(req)), -ETIMEDOUT);
	assert_true(clock_now_ms() - t0 < 3000);
	/* Garbage and a head beyond HTTP_HEAD_MAX. */
	assert_int_equal(probe_answer("SSH-2.0-OpenSSH\r\n", 2000, &status, req, sizeof(req)),
			 -EBADMSG);
	big = malloc(HTTP_HEAD_MAX + 64);
	assert_non_null(big);
	memset(big, 'a', HTTP_HEAD_MAX + 63);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	big[HTTP_HEAD_MAX + 63] = '\0';
	assert_true(probe_answer(big, 2000, &status, req, sizeof(req)) < 0);
	free(big);
	/* Not loopback: refused before any socket. */
	assert_int_equal(http_probe("http://192.0.2.1/", clock_now_ms() + 100, &status, &err),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_failures),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
