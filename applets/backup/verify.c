/* verify.c: `backup verify FILE` and restore's first pass — the whole archive read once: the
 * reader's structural checks, TAILPOD-BACKUP first, MANIFEST last, and every member's row (type,
 * mode, owner, size, SHA-256 of its data, path, link) recomputed and compared, row by row, with
 * the MANIFEST's. Both sides are spooled to unnamed files: memory does not grow with the data. */
#include "backup.h"

#include "core.h"
#include "fs.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void parse_info(struct backup_check *c)
{
	for (char *line = c->info; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len > 6 && strncmp(line, "Scope=", 6) == 0)
			snprintf(c->scope, sizeof(c->scope), "%.*s", (int)(len - 6), line + 6);
		else if (len > 9 && strncmp(line, "Workload=", 9) == 0)
			snprintf(c->workload, sizeof(c->workload), "%.*s", (int)(len - 9),
				 line + 9);
		else if (len == 8 && strncmp(line, "Live=yes", 8) == 0)
			c->live = true;
		line = nl ? nl + 1 : NULL;
	}
}

/* The MANIFEST's member rows into spool; its excluded/skipped/warning rows counted. */
static int spool_manifest(struct backup_in *in, struct backup_check *c, int spool)
{
	static char line[BACKUP_MANIFEST_LINE_MAX + 1];
	static unsigned char chunk[BACKUP_BUF];
	size_t len = 0, got;
	int r;

	while ((r = tar_read_data(in->tr, chunk, sizeof(chunk), &got)) == 0 && got > 0)
		for (size_t i = 0; i < got; i++) {
			if (len >= BACKUP_MANIFEST_LINE_MAX)
				return -E2BIG;
			line[len++] = (char)chunk[i];
			if (chunk[i] != '\n')
				continue;
			if (strncmp(line, "excluded\t", 9) == 0 ||
			    strncmp(line, "skipped\t", 8) == 0)
				c->excluded++;
			else if (strncmp(line, "warning\t", 8) == 0)
				c->warnings++;
			else if ((r = fs_write_all(spool, line, len)) < 0)
				return r;
			len = 0;
		}
	return r < 0 ? r : len ? -EBADMSG : 0;
}

static int same_files(int a, int b)
{
	static char x[BACKUP_BUF], y[BACKUP_BUF];
	off_t na = lseek(a, 0, SEEK_END), nb = lseek(b, 0, SEEK_END);

	if (na < 0 || nb < 0 || na != nb || lseek(a, 0, SEEK_SET) < 0 || lseek(b, 0, SEEK_SET) < 0)
		return 0;
	for (off_t left = na; left > 0;) {
		size_t want = left < (off_t)sizeof(x) ? (size_t)left : sizeof(x);

		if (read(a, x, want) != (ssize_t)want || read(b, y, want) != (ssize_t)want ||
		    memcmp(x, y, want) != 0)
			return 0;
		left -= (off_t)want;
	}
	return 1;
}

/* One member: its recomputed row spooled; TAILPOD-BACKUP kept; MANIFEST must be last. */
static int check_member(struct backup_in *in, const struct tar_entry *e, struct backup_check *c,
			int manifest_spool, const char *file)
{
	static char row[BACKUP_MANIFEST_LINE_MAX];
	char sha[HASH_SHA256_HEX_SIZE] = "-";
	size_t len = 0;
	bool first = c->members == 0;
	int r = 0;

	if (first != (strcmp(e->path, BACKUP_INFO) == 0) || (first && e->type != TAR_FILE))
		return log_error("%s: %s: the first member must be " BACKUP_INFO, file, e->path),
		       -EBADMSG;
	if (strcmp(e->path, BACKUP_MANIFEST) == 0 && e->type == TAR_FILE) {
		r = spool_manifest(in, c, manifest_spool);
		if (r < 0)
			return log_error_errno(r, "%s: " BACKUP_MANIFEST " does not read", file), r;
		r = tar_read_header(in->tr, &e);
		c->manifest = true;
		if (r == 1)
			return 1;
		return log_error("%s: " BACKUP_MANIFEST " is not the last member", file),
		       r < 0 ? r : -EBADMSG;
	}
	if (e->type == TAR_FILE)
		r = backup_in_hash(in, sha, first ? c->info : NULL, BACKUP_INFO_MAX, &len);
	if (r < 0)
		return log_error_errno(r, "%s: %s: %s", file, e->path, tar_reader_error(in->tr)), r;
	if (first)
		c->info[len] = '\0', parse_info(c);
	r = backup_manifest_row(e, sha, row, sizeof(row));
	if (r == 0)
		r = fs_write_all(c->rows_fd, row, strlen(row));
	c->members++;
	c->bytes += e->size;
	return r;
}

int backup_verify(int fd, const char *file, const struct backup_keys *k, struct backup_check *ret)
{
	_cleanup_close_ int manifest_spool = backup_spool_open();
	struct backup_in in;
	const struct tar_entry *e;
	int r;

	*ret = (struct backup_check){.rows_fd = backup_spool_open()};
	if (ret->rows_fd < 0 || manifest_spool < 0)
		return log_error_errno(-ENOSPC, "cannot make a spool file"), -ENOSPC;
	r = backup_in_open(&in, fd, k, file);
	while (r == 0 && (r = tar_read_header(in.tr, &e)) == 0)
		r = check_member(&in, e, ret, manifest_spool, file);
	if (r < 0 && in.tr && *tar_reader_error(in.tr))
		log_error("%s: refused: %s", file, tar_reader_error(in.tr));
	if (in.tr)
		backup_in_close(&in);
	if (r != 1)
		return r == 0 ? -EBADMSG : r;
	/* 1: the end, right after MANIFEST (check_member) or without it (tar_read_header). */
	if (!ret->manifest)
		log_error("%s: the last member must be " BACKUP_MANIFEST, file);
	else if (!*ret->scope)
		log_error("%s: " BACKUP_INFO " names no scope", file);
	else if (!same_files(ret->rows_fd, manifest_spool))
		log_error("%s: the members differ from " BACKUP_MANIFEST
			  " (a hash, size, mode, owner or path)",
			  file);
	else if (lseek(ret->rows_fd, 0, SEEK_SET) == 0)
		return 0;
	return -EBADMSG;
}

void backup_check_release(struct backup_check *c)
{
	if (c->rows_fd >= 0)
		close(c->rows_fd);
	c->rows_fd = -1;
}
