/* gitrepo_url.c: the facts about a git URL that libgit2 does not hand to its callbacks (split
 * from gitrepo.c; string work only, no libgit2, so the host unit tests reach it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memrchr */
#endif

#include "bounds.h"
#include "gitrepo.h"

#include <stdlib.h>
#include <string.h>

bool gitrepo_url_is_ssh(const char *url)
{
	const char *scheme_end = strstr(url, "://");
	const char *colon = strchr(url, ':');

	if (scheme_end)
		return strncmp(url, "ssh://", 6) == 0 || strncmp(url, "ssh+git://", 10) == 0 ||
		       strncmp(url, "git+ssh://", 10) == 0;
	/* scp-like "user@host:path": a colon before any slash */
	return colon && (!strchr(url, '/') || colon < strchr(url, '/'));
}

bool gitrepo_url_is_local(const char *url)
{
	return strncmp(url, "file://", 7) == 0 || (!strstr(url, "://") && !gitrepo_url_is_ssh(url));
}

unsigned gitrepo_url_ssh_port(const char *url)
{
	const char *authority = strstr(url, "://"), *end, *colon;
	unsigned long port;
	char *stop;

	if (!authority)
		return SSH_PORT;
	authority += 3;
	end = strchr(authority, '/');
	if (!end)
		end = authority + strlen(authority);
	colon = memrchr(authority, ':', (size_t)(end - authority));
	if (!colon || (memchr(authority, ']', (size_t)(end - authority)) &&
		       colon < (const char *)memrchr(authority, ']', (size_t)(end - authority))))
		return SSH_PORT;
	port = strtoul(colon + 1, &stop, 10);
	if (stop != end || port == 0 || port > PORT_MAX)
		return SSH_PORT;
	return (unsigned)port;
}
