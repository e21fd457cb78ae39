/* log.h: the one place tailpod writes diagnostics — levels, journal priority prefixes, sanitized
 * output. */
#ifndef TAILPOD_LOG_H
#define TAILPOD_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* syslog priorities, so the journal prefix is the level itself. */
enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

enum {
	LOG_LINE_MAX = 4096, /* one message, after escaping; longer ones are cut and marked */
};

/* Remember the applet name for the prefix and detect whether stderr is the journal. */
void log_setup(const char *applet);
void log_set_max_level(int level);
int log_get_max_level(void);
bool log_to_journal(void);

/*
 * Print one message to stderr when level <= the maximum level. err is 0 or a negative errno
 * (core's return values, -errno); a non-zero err appends ": strerror(-err)". A positive err is a
 * caller's slip, normalised so the message is still right. Control characters in the formatted
 * text are escaped so hostile input cannot forge log lines. Returns err, or -EIO when err is 0,
 * so callers can "return log_error_errno(r, ...)".
 */
int log_emit(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As log_emit, but returns status, an applet's exit status:
 * "return log_error_status(EXIT_USAGE, "--via needs --output");". */
int log_emit_status(int status, int level, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_error(...)		      log_emit(LOG_LEVEL_ERR, 0, __VA_ARGS__)
#define log_error_errno(err, ...)     log_emit(LOG_LEVEL_ERR, (err), __VA_ARGS__)
#define log_error_status(status, ...) log_emit_status((status), LOG_LEVEL_ERR, 0, __VA_ARGS__)
#define log_error_errno_status(status, err, ...)                                                   \
	log_emit_status((status), LOG_LEVEL_ERR, (err), __VA_ARGS__)
#define log_warning(...)	    log_emit(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_warning_errno(err, ...) log_emit(LOG_LEVEL_WARNING, (err), __VA_ARGS__)
#define log_notice(...)		    log_emit(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...)		    log_emit(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...)		    log_emit(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)

/* Escape control bytes of src into dst (always NUL-terminated); returns bytes written. */
size_t log_escape(char *dst, size_t dst_size, const char *src);

#endif
