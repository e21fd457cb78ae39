/*
 * log.c: diagnostics for applets. Core modules return errors and never print; applets report
 * each error once, here. Format: "tailpod APPLET: LEVEL: message". When stderr is connected to
 * the journal (JOURNAL_STREAM names its device:inode) each line starts with "<N>" so the
 * journal records the right priority.
 */
#define _GNU_SOURCE /* secure_getenv */
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *log_applet = "tailpod";
static int log_max_level = LOG_LEVEL_INFO;
static bool log_journal;

static bool stderr_is_journal(void)
{
	const char *stream = secure_getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;

	if (!stream || sscanf(stream, "%ju:%ju", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void log_setup(const char *applet)
{
	log_applet = applet;
	log_journal = stderr_is_journal();
}

void log_set_max_level(int level)
{
	log_max_level = level;
}

int log_get_max_level(void)
{
	return log_max_level;
}

bool log_to_journal(void)
{
	return log_journal;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_LEVEL_ERR:
		return "error";
	case LOG_LEVEL_WARNING:
		return "warning";
	case LOG_LEVEL_NOTICE:
		return "notice";
	case LOG_LEVEL_INFO:
		return "info";
	default:
		return "debug";
	}
}

size_t log_escape(char *dst, size_t dst_size, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (dst_size == 0)
		return 0;
	for (; *src; src++) {
		unsigned char c = (unsigned char)*src;
		bool plain = c >= 0x20 && c != 0x7f;

		if (n + (plain ? 1 : 4) >= dst_size)
			break;
		if (plain) {
			dst[n++] = (char)c;
			continue;
		}
		dst[n++] = '\\';
		dst[n++] = 'x';
		dst[n++] = hex[c >> 4];
		dst[n++] = hex[c & 0xf];
	}
	dst[n] = '\0';
	return n;
}

static int log_emitv(int level, int err, const char *fmt, va_list ap)
{
	char raw[LOG_LINE_MAX], safe[LOG_LINE_MAX];
	int saved_errno = errno;
	int ret = err ? -abs(err) : -EIO;

	if (level > log_max_level)
		goto out;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(safe, sizeof(safe), raw);

	if (log_journal)
		fprintf(stderr, "<%d>", level);
	fprintf(stderr, "%s: %s: %s", log_applet, level_name(level), safe);
	if (err)
		fprintf(stderr, ": %s", strerror(abs(err)));
	fputc('\n', stderr);
out:
	errno = saved_errno;
	return ret;
}

int log_emit(int level, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = log_emitv(level, err, fmt, ap);
	va_end(ap);
	return r;
}

int log_emit_status(int status, int level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)log_emitv(level, err, fmt, ap);
	va_end(ap);
	return status;
}
