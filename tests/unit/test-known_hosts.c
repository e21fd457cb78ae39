/* test-known_hosts.c: known_hosts lookups on what real OpenSSH writes (ssh-keygen, plain and
 * hashed, against a throwaway sshd on a loopback port), markers, comments, limits; host patterns
 * checked line by line against OpenSSH's own matching (ssh-keygen -F); every unusable line
 * reported once with its number; and appended entries checked by OpenSSH itself (ssh-keygen -F,
 * and the ssh client's host-key check with StrictHostKeyChecking=yes against that sshd). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "known_hosts.h"

static const char *const types[] = {"ed25519", "ecdsa", "rsa"};

enum {
	PATTERN_CASE_LONG = 1022, /* the longest pattern item OpenSSH's match_pattern_list reads */
};

static char dir[] = "/tmp/tailpod-test-known_hosts.XXXXXX";
static unsigned port;
static pid_t sshd = -1;
static unsigned char blobs[3][1024], other[3][1024];
static size_t blob_lens[3], other_lens[3];
static char *plain, *hashed;
static size_t plain_len, hashed_len;
static unsigned notes;
static char last_note[200];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static char *slurp(const char *name, size_t *ret_len)
{
	char path[256], *buf = calloc(1, 1 << 16);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f || !buf) {
		free(buf);
		if (f)
			fclose(f);
		return NULL;
	}
	*ret_len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

/* The blob of NAME.pub: its second field, base64-decoded. */
static int pub_blob(const char *name, unsigned char *out, size_t *ret_len)
{
	char file[64], *text, *b64, *end;
	size_t len;
	int r;

	snprintf(file, sizeof(file), "%s.pub", name);
	text = slurp(file, &len);
	if (!text)
		return -1;
	b64 = strchr(text, ' ') + 1;
	end = strchr(b64, ' ');
	r = mbedtls_base64_decode(out, 1024, ret_len, (unsigned char *)b64,
				  end ? (size_t)(end - b64) : strlen(b64));
	free(text);
	return r;
}

static unsigned free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned p = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		p = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return p;
}

/* sshd refuses to start as root without its privilege-separation directory (Debian's unit
 * creates it at boot). */
static int start_sshd(void)
{
	char listen[64], keys[3][128], log[128];
	char *argv[] = {"/usr/sbin/sshd", "-D", "-e",		"-f", "/dev/null", "-o",
			listen,		  "-o", "PidFile=none", "-E", log,	   "-h",
			keys[0],	  "-h", keys[1],	"-h", keys[2],	   NULL};

	port = free_port();
	snprintf(listen, sizeof(listen), "ListenAddress=127.0.0.1:%u", port);
	snprintf(log, sizeof(log), "%s/sshd.log", dir);
	for (int i = 0; i < 3; i++)
		snprintf(keys[i], sizeof(keys[i]), "%s/host_%s", dir, types[i]);
	if (geteuid() == 0 && sh("mkdir -p -m 755 /run/sshd") != 0)
		return -1;
	if (port == 0 || posix_spawn(&sshd, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	/* Scan until all three keys come back: sshd may still be starting. */
	for (int tries = 0; tries < 50; tries++) {
		if (sh("ssh-keyscan -p %u 127.0.0.1 >%s/plain 2>/dev/null && "
		       "[ $(grep -c . %s/plain) = 3 ]",
		       port, dir, dir) == 0)
			return sh("ssh-keyscan -H -p %u 127.0.0.1 >%s/hashed 2>/dev/null", port,
				  dir);
		usleep(100 * 1000);
	}
	return -1;
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	for (int i = 0; i < 3; i++) {
		char name[32];

		if (sh("ssh-keygen -q -t %s -N '' -f %s/host_%s && ssh-keygen -q -t %s -N '' -f "
		       "%s/other_%s",
		       types[i], dir, types[i], types[i], dir, types[i]) != 0)
			return -1;
		snprintf(name, sizeof(name), "host_%s", types[i]);
		if (pub_blob(name, blobs[i], &blob_lens[i]) != 0)
			return -1;
		snprintf(name, sizeof(name), "other_%s", types[i]);
		if (pub_blob(name, other[i], &other_lens[i]) != 0)
			return -1;
	}
	if (start_sshd() != 0)
		return -1;
	plain = slurp("plain", &plain_len);
	hashed = slurp("hashed", &hashed_len);
	return plain && hashed ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (sshd > 0) {
		kill(sshd, SIGTERM);
		waitpid(sshd, NULL, 0);
	}
	free(plain);
	free(hashed);
	return sh("rm -rf %s", dir) == 0 ? 0 : -1;
}

static void on_note(void *userdata, unsigned line, const char *what)
{
	(void)userdata;
	notes++;
	snprintf(last_note, sizeof(last_note), "%u: %s", line, what);
}

static int lookup(const char *text, const char *host, unsigned p, const unsigned char *blob,
		  size_t len)
{
	notes = 0;
	last_note[0] = '\0';
	return known_hosts_lookup(text, strlen(text), host, p, blob, len, on_note, NULL);
}

static void check_scanned(const char *text)
{
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lookup(text, "127.0.0.1", port, blobs[i], blob_lens[i]),
				 KNOWN_HOSTS_MATCH);
		assert_int_equal(lookup(text, "127.0.0.1", port, other[i], other_lens[i]),
				 KNOWN_HOSTS_MISMATCH);
		assert_int_equal(lookup(text, "127.0.0.1", 22, blobs[i], blob_lens[i]),
				 KNOWN_HOSTS_UNKNOWN);
		assert_int_equal(lookup(text, "127.0.0.2", port, blobs[i], blob_lens[i]),
				 KNOWN_HOSTS_UNKNOWN);
		assert_int_equal(notes, 0);
	}
}

static void test_keyscan_plain(void **state)
{
	(void)state;
	assert_non_null(strstr(plain, "[127.0.0.1]:"));
	check_scanned(plain);
}

static void test_keyscan_hashed(void **state)
{
	(void)state;
	assert_int_equal(strncmp(hashed, "|1|", 3), 0);
	check_scanned(hashed);
}

/* Only the ecdsa line kept: an ed25519 key for the same host is another type, not a new host. */
static void test_other_type(void **state)
{
	char *line = strstr(plain, "ecdsa-sha2-nistp256"), text[2048];
	char *start = line, *end = strchr(line, '\n');

	(void)state;
	while (start > plain && start[-1] != '\n')
		start--;
	snprintf(text, sizeof(text), "%.*s\n", (int)(end - start), start);
	assert_int_equal(lookup(text, "127.0.0.1", port, blobs[0], blob_lens[0]),
			 KNOWN_HOSTS_OTHER_TYPE);
	assert_int_equal(lookup(text, "127.0.0.1", port, blobs[1], blob_lens[1]),
			 KNOWN_HOSTS_MATCH);
}

/* "host keytype base64" for blob i, with prefix before the host field. */
static void entry(char *out, size_t cap, const char *prefix, const char *host, int i,
		  const unsigned char *blob, size_t len)
{
	unsigned char b64[2048];
	size_t n;
	const char *type = i == 0 ? "ssh-ed25519" : i == 1 ? "ecdsa-sha2-nistp256" : "ssh-rsa";

	assert_int_equal(mbedtls_base64_encode(b64, sizeof(b64), &n, blob, len), 0);
	snprintf(out, cap, "%s%s %s %s", prefix, host, type, (char *)b64);
}

static void test_syntax(void **state)
{
	char e[2048], text[8192];

	(void)state;
	entry(e, sizeof(e), "", "Git.Example.COM,alias", 0, blobs[0], blob_lens[0]);
	snprintf(text, sizeof(text), "# comment\n\n   \t\r\n  %s trailing comment\r\n", e);
	assert_int_equal(lookup(text, "git.example.com", 22, blobs[0], blob_lens[0]),
			 KNOWN_HOSTS_MATCH);
	assert_int_equal(lookup(text, "ALIAS", 22, blobs[0], blob_lens[0]), KNOWN_HOSTS_MATCH);
	assert_int_equal(lookup(text, "git.example", 22, blobs[0], blob_lens[0]),
			 KNOWN_HOSTS_UNKNOWN);
	assert_int_equal(notes, 0);
	/* A match anywhere wins over a different key elsewhere. */
	entry(e, sizeof(e), "", "h", 0, other[0], other_lens[0]);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n", e);
	entry(e, sizeof(e), "", "h", 0, blobs[0], blob_lens[0]);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n", e);
	assert_int_equal(lookup(text, "h", 22, blobs[0], blob_lens[0]), KNOWN_HOSTS_MATCH);
	assert_int_equal(lookup(text, "h", 22, other[0], other_lens[0]), KNOWN_HOSTS_MATCH);
	assert_int_equal(lookup(text, "h", 2222, blobs[0], blob_lens[0]), KNOWN_HOSTS_UNKNOWN);
	assert_int_equal(lookup("h ssh-ed25519\n", "h", 22, blobs[0], blob_lens[0]),
			 KNOWN_HOSTS_UNKNOWN);
	assert_string_equal(last_note,
			    "1: missing fields (expected: host keytype key), ignoring the "
			    "line");
	/* An entry for the host that cannot be decoded fails closed. */
	assert_int_equal(lookup("h ssh-ed25519 !!!!\n", "h", 22, blobs[0], blob_lens[0]),
			 KNOWN_HOSTS_MISMATCH);
	assert_int_equal(notes, 1);
	/* The type field must be the blob's. */
	entry(e, sizeof(e), "", "h", 0, blobs[1], blob_lens[1]);
	assert_int_equal(lookup(e, "h", 22, blobs[0], blob_lens[0]), KNOWN_HOSTS_MISMATCH);
}

static void test_markers(void **state)
{
	char e[2048], text[8192];

	(void)state;
	entry(e, sizeof(e), "@cert-authority ", "h", 0, blobs[0], blob_lens[0]);
	assert_int_equal(lookup(e, "h", 22, blobs[0], blob_lens[0]), KNOWN_HOSTS_UNKNOWN);
	assert_string_equal(last_note, "1: @cert-authority lines are not supported (tailpod checks "
				       "plain host keys), ignoring the line");
	entry(e, sizeof(e), "@nonsense ", "h", 0, blobs[0], blob_lens[0]);
	assert_int_equal(lookup(e, "h", 22, blobs[0], blob_lens[0]), KNOWN_HOSTS_UNKNOWN);
	assert_int_equal(notes, 1);
	/* @revoked wins over a plain match, for any host, whatever its host field. */
	entry(e, sizeof(e), "", "h", 0, blobs[0], blob_lens[0]);
	snprintf(text, sizeof(text), "%s\n", e);
	entry(e, sizeof(e), "@revoked ", "!h", 0, blobs[0], blob_lens[0]);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n", e);
	assert_int_equal(lookup(text, "h", 22, blobs[0], blob_lens[0]), KNOWN_HOSTS_REVOKED);
	assert_int_equal(lookup(text, "elsewhere", 22, blobs[0], blob_lens[0]),
			 KNOWN_HOSTS_REVOKED);
	assert_int_equal(lookup(text, "h", 22, other[0], other_lens[0]), KNOWN_HOSTS_MISMATCH);
}

struct pattern_case {
	const char *field, *host;
	unsigned port;
	bool applies;
};

/* The case as a one-line file for OpenSSH, which prints "# Host NAME found: line 1" when the line
 * applies to the host. */
static bool keygen_applies(const char *field, const char *host, unsigned p)
{
	char name[300], path[256], e[4096];
	FILE *f;

	entry(e, sizeof(e), "", field, 0, blobs[0], blob_lens[0]);
	snprintf(path, sizeof(path), "%s/pattern", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", e);
	assert_int_equal(fclose(f), 0);
	if (p == 22)
		snprintf(name, sizeof(name), "%s", host);
	else
		snprintf(name, sizeof(name), "[%s]:%u", host, p);
	return sh("ssh-keygen -F '%s' -f %s 2>/dev/null | grep -q 'found: line 1'", name, path) ==
	       0;
}

/* Patterns as sshd(8) documents them; every expectation is also OpenSSH's (ssh-keygen -F). */
static void test_patterns(void **state)
{
	static char long_item[PATTERN_CASE_LONG + 3], too_long[PATTERN_CASE_LONG + 4];
	static const char *const slow = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
	const struct pattern_case cases[] = {
		{"*.example.com", "git.example.com", 22, true},
		{"*.example.com", "a.b.example.com", 22, true},
		{"*.example.com", "example.com", 22, false},
		{"*.example.com", "git.example.com.evil", 22, false},
		{"git.example.co?", "git.example.com", 22, true},
		{"git.example.co?", "git.example.co", 22, false},
		{"git.example.co?", "git.example.coms", 22, false},
		{"g??.example.com", "git.example.com", 22, true},
		{"*.EXAMPLE.com", "Git.Example.COM", 22, true},
		{"other,*.example.com", "git.example.com", 22, true},
		{"a,,b", "b", 22, true},
		{"*.example.com,!bad.example.com", "bad.example.com", 22, false},
		{"!bad.example.com,*.example.com", "bad.example.com", 22, false},
		{"*.example.com,!bad.example.com", "good.example.com", 22, true},
		{"!bad.example.com", "good.example.com", 22, false},
		{"!*", "h", 22, false},
		{"!!h,h", "h", 22, true},
		{"[*.example.com]:2222", "git.example.com", 2222, true},
		{"[*.example.com]:2222", "git.example.com", 22, false},
		{"[*.example.com]:2222", "git.example.com", 2223, false},
		{"[git.example.com]:*", "git.example.com", 2222, true},
		{"[git.example.com]:22?2", "git.example.com", 2232, true},
		{"*.example.com", "git.example.com", 2222, false},
		{"git.example.com", "git.example.com", 2222, false},
		{"*", "git.example.com", 2222, true},
		{"**", "h", 22, true},
		{"?", "h", 22, true},
		{"?", "hh", 22, false},
		{slow, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 22, false},
		{"*a*a*b", "aaaaaab", 22, true},
		{"*a*a*b", "aaaaaaba", 22, false},
		{long_item, "h", 22, true},
		{too_long, "h", 22, false},
	};
	char e[4096];

	(void)state;
	/* "h," and 1022 stars: the longest item OpenSSH reads; one more and the list matches
	 * nothing, even the "h" before it. */
	memcpy(long_item, "h,", 2);
	memset(long_item + 2, '*', PATTERN_CASE_LONG);
	memcpy(too_long, "h,", 2);
	memset(too_long + 2, '*', PATTERN_CASE_LONG + 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pattern_case *c = &cases[i];
		int want = c->applies ? KNOWN_HOSTS_MATCH : KNOWN_HOSTS_UNKNOWN, got;
		bool openssh;

		entry(e, sizeof(e), "", c->field, 0, blobs[0], blob_lens[0]);
		got = lookup(e, c->host, c->port, blobs[0], blob_lens[0]);
		/* Debian's ssh-keygen 9.2 globs recursively: exponential time on slow. */
		openssh =
			c->field == slow ? c->applies : keygen_applies(c->field, c->host, c->port);
		if (got != want || openssh != c->applies)
			fail_msg("case %zu: '%.40s' for %s port %u: tailpod %d, ssh-keygen -F %d, "
				 "want %d",
				 i, c->field, c->host, c->port, got, openssh, want);
		/* A line that applies with another key of the type is a changed key. */
		entry(e, sizeof(e), "", c->field, 0, other[0], other_lens[0]);
		assert_int_equal(lookup(e, c->host, c->port, blobs[0], blob_lens[0]),
				 c->applies ? KNOWN_HOSTS_MISMATCH : KNOWN_HOSTS_UNKNOWN);
		assert_int_equal(notes, c->field == too_long ? 1 : 0);
	}
}

/* Every line tailpod cannot use is reported once, with its number, through the note callback
 * and the collector desired.c hands to sync. */
static void test_notes(void **state)
{
	static const char *const want[][2] = {
		{"2", "@cert-authority lines are not supported"},
		{"3", "missing fields"},
		{"4", "unknown marker"},
		{"5", "unknown host name hash"},
		{"6", "malformed hashed host name"},
		{"7", "cannot decode the key, ignoring the line"},
		{"9", "a host pattern is longer than 1022 bytes"},
		{"10", "cannot decode the key, counting it as a different key"},
	};
	struct known_hosts_notes kept = {0};
	static char text[16384];
	char e[2048], stars[1100];
	size_t n = 0;

	(void)state;
	memset(stars, '*', 1023);
	stars[1023] = '\0';
	entry(e, sizeof(e), "", "h", 0, blobs[0], blob_lens[0]);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "# a comment\n");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "@cert-authority *.example.com %s\n",
			      e + 2);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "h ssh-ed25519\n");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "@nonsense %s\n", e);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "|2|c2FsdA==|aGFzaA== %s\n", e + 2);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "|1|!!!|??? %s\n", e + 2);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "elsewhere ssh-ed25519 AAAA!!!!\n");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", e);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "h,%s %s\n", stars, e + 2);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "h ssh-ed25519 AAAA!!!!\n");
	for (int round = 0; round < 2; round++) {
		notes = 0;
		assert_int_equal(known_hosts_lookup(text, n, "h", 22, blobs[0], blob_lens[0],
						    known_hosts_notes_add, &kept),
				 KNOWN_HOSTS_MATCH);
		/* The same file looked up again (libgit2 may connect twice) adds nothing. */
		assert_int_equal(kept.n, sizeof(want) / sizeof(want[0]));
		assert_int_equal(kept.dropped, 0);
	}
	for (size_t i = 0; i < kept.n; i++) {
		assert_int_equal(kept.items[i].line, (unsigned)atoi(want[i][0]));
		assert_non_null(strstr(kept.items[i].what, want[i][1]));
	}
	/* The plain callback sees each line once too, in order. */
	assert_int_equal(lookup(text, "h", 22, blobs[0], blob_lens[0]), KNOWN_HOSTS_MATCH);
	assert_int_equal(notes, sizeof(want) / sizeof(want[0]));
	assert_non_null(strstr(last_note, "10: cannot decode the key, counting"));
	/* Past KNOWN_HOSTS_NOTES_MAX lines only a count is kept. */
	n = 0;
	for (int i = 0; i < KNOWN_HOSTS_NOTES_MAX + 4; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "@cert-authority * %s\n", e + 2);
	kept = (struct known_hosts_notes){0};
	assert_int_equal(known_hosts_lookup(text, n, "h", 22, blobs[0], blob_lens[0],
					    known_hosts_notes_add, &kept),
			 KNOWN_HOSTS_UNKNOWN);
	assert_int_equal(kept.n, KNOWN_HOSTS_NOTES_MAX);
	assert_int_equal(kept.dropped, 4);
	assert_int_equal(kept.items[KNOWN_HOSTS_NOTES_MAX - 1].line, KNOWN_HOSTS_NOTES_MAX);
}

static void test_limits(void **state)
{
	size_t big = KNOWN_HOSTS_FILE_MAX + 1;
	char *text = malloc(big + 1);

	(void)state;
	assert_non_null(text);
	memset(text, '\n', big);
	text[big] = '\0';
	assert_int_equal(known_hosts_lookup(text, big, "h", 22, blobs[0], blob_lens[0], NULL, NULL),
			 -EFBIG);
	assert_int_equal(known_hosts_lookup(text, KNOWN_HOSTS_LINES_MAX, "h", 22, blobs[0],
					    blob_lens[0], NULL, NULL),
			 KNOWN_HOSTS_UNKNOWN);
	assert_int_equal(known_hosts_lookup(text, KNOWN_HOSTS_LINES_MAX + 1, "h", 22, blobs[0],
					    blob_lens[0], NULL, NULL),
			 -ERANGE);
	memset(text, '#', KNOWN_HOSTS_LINE_MAX + 1);
	assert_int_equal(known_hosts_lookup(text, KNOWN_HOSTS_LINE_MAX, "h", 22, blobs[0],
					    blob_lens[0], NULL, NULL),
			 KNOWN_HOSTS_UNKNOWN);
	assert_int_equal(known_hosts_lookup(text, KNOWN_HOSTS_LINE_MAX + 1, "h", 22, blobs[0],
					    blob_lens[0], NULL, NULL),
			 -E2BIG);
	free(text);
	assert_int_equal(lookup("", "", 22, blobs[0], blob_lens[0]), -EINVAL);
	assert_int_equal(lookup("", "a b", 22, blobs[0], blob_lens[0]), -EINVAL);
	assert_int_equal(lookup("", "a,b", 22, blobs[0], blob_lens[0]), -EINVAL);
	assert_int_equal(lookup("", "a*", 22, blobs[0], blob_lens[0]), -EINVAL);
	assert_int_equal(lookup("", "h", 0, blobs[0], blob_lens[0]), -EINVAL);
	assert_int_equal(lookup("", "h", 65536, blobs[0], blob_lens[0]), -EINVAL);
	assert_int_equal(lookup("", "h", 22, blobs[0], 3), -EINVAL);
}

/* OpenSSH's own lookup must find our entries: prints one "found: line N" per match. */
static int keygen_finds(const char *host)
{
	return sh("[ $(ssh-keygen -F '%s' -f %s/kh | grep -c 'found: line') = 3 ]", host, dir);
}

/* The ssh client refuses at the host key with "Host key verification failed" and otherwise gets
 * as far as authentication, which fails: no user key is offered. */
static int ssh_trusts(void)
{
	return sh("ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes "
		  "-o UserKnownHostsFile=%s/kh -o GlobalKnownHostsFile=/dev/null -o "
		  "IdentityFile=/dev/null -o IdentitiesOnly=yes -p %u t@127.0.0.1 true 2>&1 | "
		  "grep -q 'Permission denied'",
		  dir, port);
}

static void test_append(void **state)
{
	char name[64];
	struct stat st;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(dirfd >= 0);
	assert_int_not_equal(ssh_trusts(), 0);
	assert_int_equal(known_hosts_lookup_file(dirfd, "kh", "127.0.0.1", port, blobs[0],
						 blob_lens[0], NULL, NULL),
			 KNOWN_HOSTS_UNKNOWN);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(known_hosts_append(dirfd, "kh", "127.0.0.1", port, blobs[i],
						    blob_lens[i], i == 1),
				 0);
		assert_int_equal(known_hosts_lookup_file(dirfd, "kh", "127.0.0.1", port, blobs[i],
							 blob_lens[i], NULL, NULL),
				 KNOWN_HOSTS_MATCH);
	}
	snprintf(name, sizeof(name), "[127.0.0.1]:%u", port);
	assert_int_equal(keygen_finds(name), 0);
	assert_int_equal(ssh_trusts(), 0);
	assert_int_equal(fstatat(dirfd, "kh", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* A file without a final newline gets one before the new line; names are lowercased. */
	assert_int_equal(sh("printf '# no newline' >%s/kh", dir), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(known_hosts_append(dirfd, "kh", "Git.Example.COM", 22, blobs[i],
						    blob_lens[i], i == 2),
				 0);
	assert_int_equal(keygen_finds("git.example.com"), 0);
	assert_int_equal(known_hosts_lookup_file(dirfd, "kh", "GIT.example.com", 22, blobs[2],
						 blob_lens[2], NULL, NULL),
			 KNOWN_HOSTS_MATCH);
	assert_int_equal(sh("head -n1 %s/kh | grep -qx '# no newline'", dir), 0);
	assert_int_equal(known_hosts_append(dirfd, "kh", "a b", 22, blobs[0], blob_lens[0], false),
			 -EINVAL);
	assert_int_equal(symlinkat("kh", dirfd, "link"), 0);
	assert_int_equal(
		known_hosts_lookup_file(dirfd, "link", "h", 22, blobs[0], blob_lens[0], NULL, NULL),
		-ELOOP);
	close(dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyscan_plain), cmocka_unit_test(test_keyscan_hashed),
		cmocka_unit_test(test_other_type),    cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_markers),	      cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_notes),	      cmocka_unit_test(test_limits),
		cmocka_unit_test(test_append),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
