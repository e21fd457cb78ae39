/* tar-tool.c: a host test program (never in the tailpod binary) that drives core/tar and
 * core/stream for tests/peers/tar.test:
 *   tar-tool create DIR [gzip] [age RECIPIENTS_FILE]  > ARCHIVE   members of DIR, sorted, relative
 *   tar-tool list [gunzip] [age IDENTITY_FILE]        < ARCHIVE   one line per member
 * create stores files, directories, symlinks, hardlinks (by device and inode) and the user.* and
 * security.* xattrs; list prints "TYPE MODE UID GID SIZE MTIME PATH[ -> LINK][ x:NAME=HEX]
 * sha256:HEX" and exits 0 at the archive's end, or prints "refused: ERRNO REASON" and exits 1. */
#define _GNU_SOURCE 1

#include "age.h"
#include "hash.h"
#include "stream.h"
#include "tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

enum { LINKS_MAX = 1024, XATTRS = 16, XATTR_LIST = 4096, VALUE_MAX = 4096 };

struct seen_inode {
	dev_t dev;
	ino_t ino;
	char *path;
};

static struct seen_inode inodes[LINKS_MAX];
static size_t n_inodes;

static void die(const char *what, int rc)
{
	fprintf(stderr, "tar-tool: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	exit(2);
}

static char *read_text(const char *path)
{
	static char text[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;

	if (n < 0)
		die(path, errno);
	text[n] = '\0';
	close(fd);
	return text;
}

static size_t read_xattrs(const char *path, struct tar_xattr *x)
{
	static char list[XATTR_LIST];
	static uint8_t values[XATTRS][VALUE_MAX];
	ssize_t len = llistxattr(path, list, sizeof(list));
	size_t n = 0;

	for (char *name = list; len > 0 && name < list + len; name += strlen(name) + 1) {
		ssize_t v;

		if (strncmp(name, "user.", 5) != 0 && strncmp(name, "security.", 9) != 0)
			continue;
		v = lgetxattr(path, name, values[n], VALUE_MAX);
		if (v < 0 || n == XATTRS)
			die(name, errno);
		x[n] = (struct tar_xattr){.name = name, .value = values[n], .len = (size_t)v};
		n++;
	}
	return n;
}

static void add_file_data(struct tar_writer *w, const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		die(path, errno);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (tar_write_data(w, buf, (size_t)n) != 0)
			die(path, EIO);
	close(fd);
}

/* A hardlink when an earlier member had this inode. */
static const char *earlier_link(const struct stat *st, const char *rel)
{
	for (size_t i = 0; i < n_inodes; i++)
		if (inodes[i].dev == st->st_dev && inodes[i].ino == st->st_ino)
			return inodes[i].path;
	if (n_inodes < LINKS_MAX)
		inodes[n_inodes++] = (struct seen_inode){st->st_dev, st->st_ino, strdup(rel)};
	return NULL;
}

static void add_tree(struct tar_writer *w, const char *root, const char *rel);

static void add_one(struct tar_writer *w, const char *root, const char *rel)
{
	char path[8192], target[4096];
	struct tar_xattr x[XATTRS];
	struct stat st;
	struct tar_entry e = {.path = (char *)rel, .xattrs = x};
	const char *hard;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (lstat(path, &st) != 0)
		die(path, errno);
	e.mode = st.st_mode & 07777;
	e.uid = st.st_uid;
	e.gid = st.st_gid;
	e.mtime_sec = st.st_mtim.tv_sec;
	e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	e.n_xattrs = read_xattrs(path, x);
	if (S_ISDIR(st.st_mode)) {
		e.type = TAR_DIR;
	} else if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			die(path, errno);
		target[n] = '\0';
		e.type = TAR_SYMLINK;
		e.link = target;
	} else if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (hard = earlier_link(&st, rel))) {
		e.type = TAR_HARDLINK;
		e.link = (char *)hard;
	} else if (S_ISREG(st.st_mode)) {
		e.type = TAR_FILE;
		e.size = (uint64_t)st.st_size;
	} else {
		die(path, EPERM);
	}
	if (tar_write_header(w, &e) != 0)
		die(path, EINVAL);
	if (e.type == TAR_FILE)
		add_file_data(w, path);
	if (e.type == TAR_DIR)
		add_tree(w, root, rel);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static void add_tree(struct tar_writer *w, const char *root, const char *rel)
{
	char path[8192], child[4096];
	struct dirent **names;
	int n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	n = scandir(path, &names, skip_dots, alphasort);
	if (n < 0)
		die(path, errno);
	for (int i = 0; i < n; i++) {
		snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "/" : "", names[i]->d_name);
		add_one(w, root, child);
		free(names[i]);
	}
	free(names);
}

static int create(int argc, char **argv)
{
	struct age_recipient rs[8];
	struct sink *chain[3] = {NULL, NULL, NULL}, *top;
	struct tar_writer *w;
	size_t n_rs = 0;
	int rc;

	if (sink_fd_new(1, &chain[0]) != 0)
		die("sink", ENOMEM);
	top = chain[0];
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "age") == 0 && i + 1 < argc) {
			for (char *line = strtok(read_text(argv[++i]), "\n"); line && n_rs < 8;
			     line = strtok(NULL, "\n"))
				if (age_recipient_parse(line, strlen(line), &rs[n_rs++]) != 0)
					die(line, EINVAL);
			if (sink_age_new(top, rs, n_rs, &chain[1]) != 0)
				die("age", EINVAL);
			top = chain[1];
		}
	}
	/* gzip inside age: the age file's plaintext is the .tar.gz. */
	for (int i = 3; i < argc; i++)
		if (strcmp(argv[i], "gzip") == 0) {
			if (sink_gzip_new(top, 6, &chain[2]) != 0)
				die("gzip", ENOMEM);
			top = chain[2];
		}
	if (tar_writer_new(top, &w) != 0)
		die("writer", ENOMEM);
	add_tree(w, argv[2], "");
	rc = tar_writer_finish(w);
	if (rc != 0)
		die("finish", rc);
	tar_writer_free(w);
	for (int i = 2; i >= 0; i--)
		sink_free(chain[i]);
	return 0;
}

static void print_entry(struct tar_reader *r, const struct tar_entry *e)
{
	static const char types[] = {
		[TAR_FILE] = 'f', [TAR_DIR] = 'd', [TAR_SYMLINK] = 'l', [TAR_HARDLINK] = 'h'};
	char hex[HASH_SHA256_HEX_SIZE], buf[65536];
	struct hash_sha256 h;
	size_t got;
	int rc;

	hash_sha256_init(&h);
	while ((rc = tar_read_data(r, buf, sizeof(buf), &got)) == 0 && got > 0)
		hash_sha256_update(&h, buf, got);
	if (rc < 0)
		return;
	hash_sha256_final_hex(&h, hex);
	printf("%c %04o %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 ".%09u %s", types[e->type],
	       e->mode, e->uid, e->gid, e->size, e->mtime_sec, e->mtime_nsec, e->path);
	if (e->link != NULL)
		printf(" -> %s", e->link);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		printf(" x:%s=", e->xattrs[i].name);
		for (size_t k = 0; k < e->xattrs[i].len; k++)
			printf("%02x", e->xattrs[i].value[k]);
	}
	printf(" sha256:%.12s\n", hex);
}

static int list(int argc, char **argv)
{
	struct source *chain[3] = {NULL, NULL, NULL}, *top;
	const struct tar_entry *e;
	struct tar_reader *r;
	int rc;

	if (source_fd_new(0, &chain[0]) != 0)
		die("source", ENOMEM);
	top = chain[0];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "age") == 0 && i + 1 < argc) {
			struct age_identity id;
			const char *text = read_text(argv[++i]);

			if (age_identity_parse(text, strlen(text), &id) != 0 ||
			    source_age_new(top, &id, &chain[1]) != 0)
				die("identity", EINVAL);
			age_identity_wipe(&id);
			top = chain[1];
		}
	}
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "gunzip") == 0) {
			if (source_gunzip_new(top, &chain[2]) != 0)
				die("gunzip", ENOMEM);
			top = chain[2];
		}
	if (tar_reader_new(top, NULL, &r) != 0)
		die("reader", ENOMEM);
	while ((rc = tar_read_header(r, &e)) == 0)
		print_entry(r, e);
	if (rc == 1 && top->read(top, (char[1]){0}, 1, &(size_t){0}) != 0)
		rc = -EBADMSG; /* the gzip/age stage checks its own end */
	if (rc < 0)
		printf("refused: %s: %s\n", strerrorname_np(-rc), tar_reader_error(r));
	tar_reader_free(r);
	for (int i = 2; i >= 0; i--)
		source_free(chain[i]);
	return rc == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "create") == 0)
		return create(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return list(argc, argv);
	fprintf(stderr,
		"usage: tar-tool create DIR [gzip] [age RECIPIENTS] | list [gunzip] [age ID]\n");
	return 2;
}
