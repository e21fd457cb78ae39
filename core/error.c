/* error.c: the setter behind error_detail_set(). */
#include "error.h"

#include <stdio.h>

void error_msg_vformat(char msg[ERROR_MSG_MAX], const char *fmt, va_list ap)
{
	if (!msg)
		return;
	vsnprintf(msg, ERROR_MSG_MAX, fmt, ap);
}

void error_msg_format(char msg[ERROR_MSG_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_msg_vformat(msg, fmt, ap);
	va_end(ap);
}
