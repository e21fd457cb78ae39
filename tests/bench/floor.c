/* floor.c: the floor `make bench` prints beside check — open, read and close every regular file
 * of a directory tree, nothing else (no parsing, no allocation per file); timed by rusage.c
 * like the command it is the floor of. What no checker of the same files can beat. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { DEPTH_MAX = 64 };

static char buf[1 << 16];

static int walk(int dirfd, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd;
		ssize_t n;

		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (e->d_type == DT_DIR && depth < DEPTH_MAX) {
			fd = openat(dirfd, e->d_name,
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (fd >= 0 && walk(fd, depth + 1) < 0) {
				closedir(d);
				return -1;
			}
			continue;
		}
		if (e->d_type != DT_REG)
			continue;
		fd = openat(dirfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		do
			n = read(fd, buf, sizeof(buf));
		while (n > 0);
		close(fd);
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: floor DIR...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || walk(fd, 0) < 0) {
			perror(argv[i]);
			return 1;
		}
	}
	return 0;
}
