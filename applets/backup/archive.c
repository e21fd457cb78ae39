/* archive.c: one archive being written — a temp file beside its final name, the sink chain
 * (fd <- age when encrypted <- gzip <- tar), the MANIFEST spooled to an unnamed file so memory
 * does not grow with the data, and the commit: MANIFEST last, fsync, rename without replacing,
 * fsync of the directory. A crash or kill -9 leaves only the temp file, never a truncated
 * archive under the final name. */
#include "backup.h"

#include "core.h"
#include "fs.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

static int open_dir(const char *dir, int *ret)
{
	int fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

/* The final name NAME-YYYYmmddTHHMMSSZ.tar.gz[.age] and its temp twin ".FINAL.<16 hex>". */
static int make_names(struct backup_out *o, const char *name, bool encrypted)
{
	time_t now = time(NULL);
	struct tm tm;
	char ts[32];
	uint64_t rnd = 0;
	int n;

	if (!gmtime_r(&now, &tm) || !strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	n = snprintf(o->final, sizeof(o->final), "%s-%s.tar.gz%s", name, ts,
		     encrypted ? ".age" : "");
	if (n < 0 || (size_t)n >= sizeof(o->final))
		return -ENAMETOOLONG;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd ^= (uint64_t)getpid() << 32 ^ (uint64_t)now;
	n = snprintf(o->tmp, sizeof(o->tmp), ".%s.%016" PRIx64, o->final, rnd);
	return n < 0 || (size_t)n >= sizeof(o->tmp) ? -ENAMETOOLONG : 0;
}

static int open_chain(struct backup_out *o, const struct age_recipient *r, size_t n)
{
	struct sink *below;
	int rc = sink_fd_new(o->fd, &o->fd_sink);

	below = o->fd_sink;
	if (rc == 0 && n > 0) {
		rc = sink_age_new(o->fd_sink, r, n, &o->age_sink);
		below = o->age_sink;
	}
	if (rc == 0)
		rc = sink_gzip_new(below, BACKUP_GZIP_LEVEL, &o->gz_sink);
	if (rc == 0)
		rc = tar_writer_new(o->gz_sink, &o->tw);
	return rc;
}

int backup_out_open(struct backup_out *o, const char *dir, const char *name,
		    const struct age_recipient *r, size_t n)
{
	int rc;

	*o = (struct backup_out){.dirfd = -1, .fd = -1, .spool_fd = -1};
	rc = open_dir(dir, &o->dirfd);
	if (rc < 0)
		return log_error_errno(rc, "%s: cannot open the backup directory", dir), rc;
	rc = make_names(o, name, n > 0);
	if (rc < 0)
		return log_error_errno(rc, "%s: cannot name the archive", name), rc;
	if (faccessat(o->dirfd, o->final, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return log_error("%s/%s exists already", dir, o->final), -EEXIST;
	o->fd = openat(o->dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (o->fd < 0)
		return rc = -errno, log_error_errno(rc, "%s/%s: cannot create", dir, o->tmp), rc;
	o->spool_fd = openat(o->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (o->spool_fd < 0)
		return rc = -errno, log_error_errno(rc, "%s: cannot spool the manifest", dir), rc;
	o->links = backup_links_new();
	rc = o->links ? open_chain(o, r, n) : -ENOMEM;
	if (rc < 0)
		return log_error_errno(rc, "%s/%s: cannot start the archive", dir, o->tmp), rc;
	return 0;
}

/* Append one MANIFEST line: fields joined by tabs, each escaped but the last free text. */
static int spool_line(struct backup_out *o, const char *line)
{
	return fs_write_all(o->spool_fd, line, strlen(line));
}

int backup_out_note(struct backup_out *o, const char *kind, const char *path, const char *text)
{
	char esc[BACKUP_MANIFEST_LINE_MAX / 2], line[BACKUP_MANIFEST_LINE_MAX];

	if (!backup_escape(path, esc, sizeof(esc)))
		return -ENAMETOOLONG;
	snprintf(line, sizeof(line), "%s\t%s\t%.1000s\n", kind, esc, text);
	if (strcmp(kind, "excluded") == 0 || strcmp(kind, "skipped") == 0)
		o->excluded++;
	else
		o->warnings++;
	return spool_line(o, line);
}

/* The MANIFEST row of a member (manifest.c's format, which verify recomputes). */
static int spool_member(struct backup_out *o, const struct tar_entry *e, const char *sha)
{
	static char line[BACKUP_MANIFEST_LINE_MAX];
	int r = backup_manifest_row(e, sha, line, sizeof(line));

	if (r < 0)
		return r;
	o->members++;
	o->bytes += e->size;
	return spool_line(o, line);
}

int backup_out_text(struct backup_out *o, const char *path, const char *text, size_t len,
		    uint32_t mode, int64_t mtime)
{
	struct tar_entry e = {.path = (char *)path,
			      .type = TAR_FILE,
			      .mode = mode,
			      .mtime_sec = mtime,
			      .size = len};
	char sha[HASH_SHA256_HEX_SIZE];
	struct hash_sha256 h;
	int r = tar_write_header(o->tw, &e);

	if (r == 0)
		r = tar_write_data(o->tw, text, len);
	hash_sha256_init(&h);
	hash_sha256_update(&h, text, len);
	hash_sha256_final_hex(&h, sha);
	return r < 0 ? r : spool_member(o, &e, sha);
}

/* Owners through the map; an id outside the user's ranges is kept as it is, with a warning. */
static int map_owner(struct backup_out *o, const char *path, const struct stat *st,
		     struct tar_entry *e)
{
	char why[128];

	e->uid = st->st_uid, e->gid = st->st_gid;
	if (!o->map)
		return 0;
	if (backup_idmap_to_rel(o->map, false, st->st_uid, &e->uid) &&
	    backup_idmap_to_rel(o->map, true, st->st_gid, &e->gid))
		return 0;
	e->uid = st->st_uid, e->gid = st->st_gid;
	snprintf(why, sizeof(why), "owner %u:%u is outside the user's ids, stored as it is",
		 (unsigned)st->st_uid, (unsigned)st->st_gid);
	log_warning("%s: %s", path, why);
	return backup_out_note(o, "warning", path, why);
}

/* Copy exactly e->size bytes of fd, hashing them; a file that changed size under a --live copy
 * is cut or zero-padded to the size its header promised, with a warning. */
static int copy_data(struct backup_out *o, int fd, const struct tar_entry *e, char *sha)
{
	static unsigned char buf[BACKUP_BUF];
	struct hash_sha256 h;
	uint64_t left = e->size;
	bool shrank = false;
	int r = 0;

	hash_sha256_init(&h);
	while (left > 0 && r == 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t got = read(fd, buf, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0) {
			memset(buf, 0, want);
			got = (ssize_t)want;
			if (!shrank)
				r = backup_out_note(
					o, "warning", e->path,
					"the file shrank while it was read, zero-padded");
			shrank = true;
		}
		hash_sha256_update(&h, buf, (size_t)got);
		if (r == 0)
			r = tar_write_data(o->tw, buf, (size_t)got);
		left -= (uint64_t)got;
	}
	hash_sha256_final_hex(&h, sha);
	return r;
}

int backup_out_entry(struct backup_out *o, const char *path, const char *host_path,
		     const struct stat *st, int fd, const char *link_target)
{
	struct tar_entry e = {.path = (char *)path,
			      .mode = st->st_mode & 07777,
			      .mtime_sec = st->st_mtim.tv_sec,
			      .mtime_nsec = (uint32_t)st->st_mtim.tv_nsec};
	char sha[HASH_SHA256_HEX_SIZE] = "-";
	const char *first = NULL;
	int r = map_owner(o, path, st, &e);

	if (r < 0)
		return r;
	if (S_ISREG(st->st_mode) && st->st_nlink > 1)
		r = backup_links_seen(o->links, st->st_dev, st->st_ino, path, &first);
	if (r < 0)
		return r;
	if (first) {
		e.type = TAR_HARDLINK, e.link = (char *)first;
	} else if (S_ISREG(st->st_mode)) {
		e.type = TAR_FILE, e.size = (uint64_t)st->st_size;
	} else if (S_ISDIR(st->st_mode)) {
		e.type = TAR_DIR;
	} else {
		e.type = TAR_SYMLINK, e.link = (char *)link_target;
	}
	if (fd >= 0 && !first) {
		r = backup_xattrs_read(fd, &e.xattrs, &e.n_xattrs);
		if (r < 0)
			return log_error_errno(r, "%s: cannot read its xattrs", host_path), r;
	}
	r = tar_write_header(o->tw, &e);
	if (r == 0 && e.type == TAR_FILE)
		r = copy_data(o, fd, &e, sha);
	backup_xattrs_free(e.xattrs, e.n_xattrs);
	if (r < 0)
		return log_error_errno(r, "%s: cannot archive", host_path), r;
	return spool_member(o, &e, sha);
}

/* The spooled MANIFEST as the last member. */
static int write_manifest(struct backup_out *o)
{
	static char buf[BACKUP_BUF];
	struct tar_entry e = {
		.path = BACKUP_MANIFEST, .type = TAR_FILE, .mode = 0600, .mtime_sec = time(NULL)};
	off_t end = lseek(o->spool_fd, 0, SEEK_END);
	int r;

	if (end < 0 || lseek(o->spool_fd, 0, SEEK_SET) < 0)
		return -errno;
	e.size = (uint64_t)end;
	r = tar_write_header(o->tw, &e);
	for (uint64_t left = e.size; r == 0 && left > 0;) {
		ssize_t got = read(o->spool_fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		r = tar_write_data(o->tw, buf, (size_t)got);
		left -= (uint64_t)got;
	}
	return r;
}

int backup_out_commit(struct backup_out *o)
{
	int r = write_manifest(o);

	if (r == 0)
		r = tar_writer_finish(o->tw);
	if (r == 0 && fsync(o->fd) < 0)
		r = -errno;
	if (r == 0 &&
	    syscall(SYS_renameat2, o->dirfd, o->tmp, o->dirfd, o->final, RENAME_NOREPLACE) < 0)
		r = -errno;
	if (r == 0 && fsync(o->dirfd) < 0)
		r = -errno;
	if (r < 0) {
		log_error_errno(r, "%s: cannot finish the archive", o->final);
		backup_out_abort(o);
		return r;
	}
	o->tmp[0] = '\0';
	backup_out_abort(o);
	return 0;
}

void backup_out_abort(struct backup_out *o)
{
	tar_writer_free(o->tw);
	sink_free(o->gz_sink);
	sink_free(o->age_sink);
	sink_free(o->fd_sink);
	o->tw = NULL, o->gz_sink = o->age_sink = o->fd_sink = NULL;
	if (o->fd >= 0 && o->tmp[0])
		unlinkat(o->dirfd, o->tmp, 0);
	o->tmp[0] = '\0';
	if (o->fd >= 0)
		close(o->fd);
	if (o->spool_fd >= 0)
		close(o->spool_fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->fd = o->spool_fd = o->dirfd = -1;
	backup_links_free(o->links);
	o->links = NULL;
}
