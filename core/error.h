/* error.h: the one shape of a core module's error detail. Every module error struct (config_error,
 * ini_error, http_error, ...) starts with ERROR_DETAIL_MEMBERS, so an applet reads err.where,
 * err.line and err.msg the same way whatever module failed; a module adds its own extra after
 * them (gitrepo's failure class, systemd's exit status). Core never prints: the detail is for the
 * applet to log. */
#ifndef TAILPOD_ERROR_H
#define TAILPOD_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum {
	ERROR_MSG_MAX = 512, /* bytes of an error message; longer ones are cut */
};

/* where: the path or name the error is about, NULL when none (it points at the caller's string or
 * the module's own, never at freed memory); line: 1-based line in it, 0 when none; msg: why,
 * lowercase, no final period, "" when nothing more than the returned errno is known. */
#define ERROR_DETAIL_MEMBERS                                                                       \
	const char *where;                                                                         \
	unsigned line;                                                                             \
	char msg[ERROR_MSG_MAX]

/* Format e->msg (cut to fit) for any struct with ERROR_DETAIL_MEMBERS; e may be NULL. */
#define error_detail_set(e, ...)      error_msg_format((e) ? (e)->msg : NULL, __VA_ARGS__)
#define error_detail_vset(e, fmt, ap) error_msg_vformat((e) ? (e)->msg : NULL, (fmt), (ap))

void error_msg_format(char msg[ERROR_MSG_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void error_msg_vformat(char msg[ERROR_MSG_MAX], const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
