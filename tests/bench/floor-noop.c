/* floor-noop.c: the floor `make bench` prints beside the no-op sync — for each record in STATE's
 * workloads directory, the calls issue 16 says a healthy workload's check needs and nothing else:
 * its record opened, read and closed, each file of its [Files] stat'ed below its home, its
 * service's cgroup.events opened, read and closed, its linger flag stat'ed. No parsing beyond
 * finding UID= and the file names in the record, no allocation per workload; no fetch and no
 * build (sync.sh prints those apart). Run in the sandbox, whose /home, /sys/fs/cgroup and
 * /var/lib/systemd/linger are the healthy host's. Usage: floor-noop STATE. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char record[1 << 16];

/* The value of KEY= on a line of the record, cut at its newline in place; NULL if absent. */
static char *value_of(char *text, const char *key, char **next)
{
	size_t klen = strlen(key);

	for (char *line = text; line && *line;) {
		char *end = strchr(line, '\n');

		if (end)
			*end = '\0';
		if (strncmp(line, key, klen) == 0) {
			*next = end ? end + 1 : NULL;
			return line + klen;
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

static void check_workload(int records_fd, const char *name)
{
	char path[4096], *next = NULL, *uid, *file;
	struct stat st;
	ssize_t n;
	int fd = openat(records_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return;
	n = read(fd, record, sizeof(record) - 1);
	close(fd);
	if (n <= 0)
		return;
	record[n] = '\0';
	uid = value_of(record, "UID=", &next);
	if (!uid || !next)
		return;
	for (char *rest = next; (file = value_of(rest, "Quadlet=", &rest));) {
		snprintf(path, sizeof(path), "/home/%s/.config/containers/systemd/%s", name, file);
		(void)fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
		if (!rest)
			break;
	}
	snprintf(path, sizeof(path),
		 "/sys/fs/cgroup/user.slice/user-%s.slice/user@%s.service/app.slice/%s.service/"
		 "cgroup.events",
		 uid, uid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)read(fd, path, sizeof(path));
		close(fd);
	}
	snprintf(path, sizeof(path), "/var/lib/systemd/linger/%s", name);
	(void)fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
}

int main(int argc, char **argv)
{
	char dir[4096];
	struct dirent *e;
	DIR *d;

	if (argc != 2) {
		fprintf(stderr, "usage: floor-noop STATE\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/workloads", argv[1]);
	d = opendir(dir);
	if (!d) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)))
		if (e->d_type == DT_REG && e->d_name[0] != '.')
			check_workload(dirfd(d), e->d_name);
	closedir(d);
	return 0;
}
