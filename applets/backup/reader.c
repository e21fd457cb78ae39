/* reader.c: an archive file opened for reading — an age file (its version line) is decrypted
 * with the identity, then gunzip, both on a thread of their own (core/stream_thread), then
 * core/tar's strict reader with its default bounds. */
#include "backup.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int backup_in_open(struct backup_in *in, int fd, const struct backup_keys *k, const char *file)
{
	char head[32];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	struct source *below;
	int r;

	*in = (struct backup_in){0};
	if (n < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return r = -errno, log_error_errno(r, "%s: cannot read", file), r;
	in->encrypted = source_is_age(head, (size_t)n);
	if (in->encrypted && (!k || !k->have_id))
		return log_error("%s: encrypted, and no identity to open it (TAILPOD_AGE_KEY or "
				 "--identity FILE)",
				 file),
		       -ENOKEY;
	r = source_fd_new(fd, &in->fd_src);
	below = in->fd_src;
	if (r == 0 && in->encrypted) {
		r = source_age_new(in->fd_src, &k->id, &in->age_src);
		below = in->age_src;
	}
	if (r == 0)
		r = source_gunzip_new(below, &in->gz_src);
	if (r == 0) /* inflate (and decrypt, read) beside parsing, hashing and writing */
		r = source_thread_new(in->gz_src, &in->thread_src);
	if (r == 0)
		r = tar_reader_new(in->thread_src, NULL, &in->tr);
	if (r < 0) {
		backup_in_close(in);
		return log_error_errno(r, "%s: cannot open the archive", file), r;
	}
	return 0;
}

void backup_in_close(struct backup_in *in)
{
	tar_reader_free(in->tr);
	source_free(in->thread_src); /* the thread stopped before what it reads goes */
	source_free(in->gz_src);
	source_free(in->age_src);
	source_free(in->fd_src);
	*in = (struct backup_in){0};
}

int backup_in_hash(struct backup_in *in, char sha[HASH_SHA256_HEX_SIZE], char *buf, size_t cap,
		   size_t *ret_len)
{
	static unsigned char chunk[BACKUP_BUF];
	struct hash_sha256 h;
	size_t got, len = 0;
	int r;

	hash_sha256_init(&h);
	while ((r = tar_read_data(in->tr, chunk, sizeof(chunk), &got)) == 0 && got > 0) {
		hash_sha256_update(&h, chunk, got);
		for (size_t i = 0; buf && i < got && len < cap; i++)
			buf[len++] = (char)chunk[i];
	}
	hash_sha256_final_hex(&h, sha);
	if (ret_len)
		*ret_len = len;
	return r;
}
