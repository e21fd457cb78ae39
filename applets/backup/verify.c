/* verify.c: `backup verify FILE` and restore's one pass — the whole archive read once: the
 * reader's structural checks, TAILPOD-BACKUP first, MANIFEST last, and every member's row (type,
 * mode, owner, size, SHA-256 of its data, path, link) recomputed. The rows in order and the
 * MANIFEST's member rows in order each go into a running SHA-256, compared at the end: equal
 * digests are equal lists, and memory grows neither with the data nor with the member count.
 * Restore's hook writes each member out while its hash is taken. */
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

/* The MANIFEST's member rows into c->listed; its excluded/skipped/warning rows counted. */
static int hash_manifest(struct backup_in *in, struct backup_check *c)
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
			else
				hash_sha256_update(&c->listed, line, len);
			len = 0;
		}
	return r < 0 ? r : len ? -EBADMSG : 0;
}

/* One member's data: restore's hook (written out while hashed) or only hashed. */
static int member_data(struct backup_in *in, const struct tar_entry *e, struct backup_check *c,
		       char sha[HASH_SHA256_HEX_SIZE])
{
	if (c->member)
		return c->member(c->ctx, c, in, e, sha);
	return e->type == TAR_FILE ? backup_in_hash(in, sha, NULL, 0, NULL) : 0;
}

/* One member: its recomputed row hashed; TAILPOD-BACKUP kept; MANIFEST must be last. */
static int check_member(struct backup_in *in, const struct tar_entry *e, struct backup_check *c,
			const char *file)
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
		r = hash_manifest(in, c);
		if (r < 0)
			return log_error_errno(r, "%s: " BACKUP_MANIFEST " does not read", file), r;
		r = tar_read_header(in->tr, &e);
		c->manifest = true;
		if (r == 1)
			return 1;
		return log_error("%s: " BACKUP_MANIFEST " is not the last member", file),
		       r < 0 ? r : -EBADMSG;
	}
	if (first)
		r = backup_in_hash(in, sha, c->info, BACKUP_INFO_MAX, &len);
	else
		r = member_data(in, e, c, sha);
	if (r < 0 && (first || !c->member))
		return log_error_errno(r, "%s: %s: %s", file, e->path, tar_reader_error(in->tr)), r;
	if (r < 0)
		return r; /* the hook said why */
	if (first)
		c->info[len] = '\0', parse_info(c);
	r = backup_manifest_row(e, sha, row, sizeof(row));
	if (r == 0)
		hash_sha256_update(&c->rows, row, strlen(row));
	c->members++;
	c->bytes += e->size;
	return r;
}

int backup_check_run(int fd, const char *file, const struct backup_keys *k, struct backup_check *c)
{
	char rows[HASH_SHA256_HEX_SIZE], listed[HASH_SHA256_HEX_SIZE];
	struct backup_in in;
	const struct tar_entry *e;
	int r;

	hash_sha256_init(&c->rows);
	hash_sha256_init(&c->listed);
	r = backup_in_open(&in, fd, k, file);
	while (r == 0 && (r = tar_read_header(in.tr, &e)) == 0)
		r = check_member(&in, e, c, file);
	if (r < 0 && in.tr && *tar_reader_error(in.tr))
		log_error("%s: refused: %s", file, tar_reader_error(in.tr));
	if (in.tr)
		backup_in_close(&in);
	if (r != 1)
		return r == 0 ? -EBADMSG : r;
	/* 1: the end, right after MANIFEST (check_member) or without it (tar_read_header). */
	hash_sha256_final_hex(&c->rows, rows);
	hash_sha256_final_hex(&c->listed, listed);
	if (!c->manifest)
		log_error("%s: the last member must be " BACKUP_MANIFEST, file);
	else if (!*c->scope)
		log_error("%s: " BACKUP_INFO " names no scope", file);
	else if (strcmp(rows, listed) != 0)
		log_error("%s: the members differ from " BACKUP_MANIFEST
			  " (a hash, size, mode, owner or path)",
			  file);
	else
		return 0;
	return -EBADMSG;
}

int backup_verify(int fd, const char *file, const struct backup_keys *k, struct backup_check *ret)
{
	*ret = (struct backup_check){0};
	return backup_check_run(fd, file, k, ret);
}

void backup_check_release(struct backup_check *c)
{
	(void)c; /* nothing held since the rows are hashed, not spooled; kept for the callers */
}
