/* bounds.h: the limits more than one module shares, one name each (a module's own limits stay in
 * its header). Not "limits.h": with -Icore that name would hide libc's <limits.h>. */
#ifndef TAILPOD_BOUNDS_H
#define TAILPOD_BOUNDS_H

/* PATH_MAX (4096 on Linux, NUL included) sizes every path buffer tailpod builds (root + path,
 * directory + name, a diagnostic's label + path); NAME_MAX bounds one path component. */
#include <limits.h>

enum {
	/* Bytes in a user or group name, NUL not included: UT_NAMESIZE, what useradd accepts. A
	 * workload name is a user name. */
	USER_NAME_MAX = 32,
	PORT_MAX = 65535, /* the largest TCP port: a URL's, a known_hosts "[host]:port"'s */
	SSH_PORT = 22,	  /* the port ssh and known_hosts leave unsaid */
};

#endif
