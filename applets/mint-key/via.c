/* via.c: mint-key's client side (--via): ask the service over its socket, check the answer
 * again, and write the env file atomically beside its directory. */
#include "mint-key.h"

#include "core.h"
#include "fs.h"
#include "log.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int via_connect(const char *path, unsigned timeout_s, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		return log_error_status(-EINVAL, "socket path %s is too long", path);
	if (fd < 0)
		return log_error_errno(-errno, "cannot create a socket");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	mint_socket_timeouts(fd, timeout_s);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return log_error_errno(-errno, "cannot connect to %s", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* "OK\nTS_AUTHKEY=K\nTS_HOSTNAME=H\n", each value checked again here. */
static int via_parse(char *reply, char **ret_key, char **ret_host)
{
	char *key, *host, *end;

	if (strncmp(reply, "OK\nTS_AUTHKEY=", 14) != 0)
		return -EBADMSG;
	key = reply + 14;
	end = strchr(key, '\n');
	if (!end || strncmp(end + 1, "TS_HOSTNAME=", 12) != 0)
		return -EBADMSG;
	*end = '\0';
	host = end + 13;
	end = strchr(host, '\n');
	if (!end || end[1] != '\0')
		return -EBADMSG;
	*end = '\0';
	if (!mint_key_valid(key) || !mint_hostname_valid(host))
		return -EBADMSG;
	*ret_key = key;
	*ret_host = host;
	return 0;
}

static int via_status(const char *reply)
{
	int status = 0;
	char why[160] = "";

	if (sscanf(reply, "ERROR %d %159[^\n]", &status, why) < 1 ||
	    (status != EXIT_FAIL && status != EXIT_USAGE && status != EXIT_TEMPFAIL))
		return log_error_status(EXIT_TEMPFAIL,
					"malformed answer from the mint-key service");
	log_error("the mint-key service refused: %s", why);
	return status;
}

static int via_write(const char *output, const char *key, const char *host)
{
	_cleanup_free_ char *d = strdup(output);
	char *text = NULL;
	size_t len;
	int r;

	if (!d)
		return -ENOMEM;
	const char *dir = dirname(d);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "cannot create %s", dir);
	r = mint_env_format(key, host, &text, &len);
	if (r >= 0)
		r = fs_write_atomic_path(output, text, len, 0600);
	mint_wipe_free(text);
	if (r < 0)
		return log_error_errno(r, "cannot write %s", output);
	return 0;
}

int mint_via(const char *socket_path, const char *output, unsigned timeout_s)
{
	_cleanup_close_ int fd = -1;
	char reply[MINT_REPLY_MAX], *key = NULL, *host = NULL;
	size_t n;
	int r = via_connect(socket_path, timeout_s + 2 * MINT_REQUEST_TIMEOUT_S, &fd);

	if (r < 0)
		return EXIT_TEMPFAIL;
	r = fs_write_all(fd, "MINT\n", 5);
	if (r >= 0)
		r = mint_read_text(fd, reply, sizeof(reply), false, &n);
	if (r < 0)
		return log_error_errno_status(EXIT_TEMPFAIL, r,
					      "no answer from the mint-key service");
	if (strncmp(reply, "ERROR ", 6) == 0)
		return via_status(reply);
	r = via_parse(reply, &key, &host);
	if (r >= 0)
		r = via_write(output, key, host);
	else
		log_error("malformed answer from the mint-key service");
	explicit_bzero(reply, sizeof(reply));
	return r < 0 ? EXIT_TEMPFAIL : EXIT_OK;
}
