/*
 * tar.c: the pax writer — one ustar header per member, preceded by a pax 'x' header holding
 * what ustar cannot (a path over 100 bytes, a link over 100, ids or a size over their octal
 * fields, a mtime outside the octal field or with nanoseconds, SCHILY.xattr.NAME records), the
 * data padded to 512-byte blocks, two zero blocks at the end. Paths are written without a ustar
 * prefix split: the pax record is the one place a long path lives. Directories get the trailing
 * "/" GNU tar and bsdtar write. Also the pieces the reader shares (checksum, the path rule).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf on glibc (host unit tests); musl has it anyway */
#endif

#include "tar_internal.h"

#include "core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define OCTAL7_MAX  UINT64_C(07777777)	   /* an 8-byte octal field */
#define OCTAL11_MAX UINT64_C(077777777777) /* a 12-byte octal field */

enum { PAX_NUM_MAX = 32 /* a decimal number with sign, dot and 9 digits of fraction */ };

struct tar_writer {
	struct sink *out;
	uint64_t data_left; /* bytes of the current file still to come */
	uint64_t pad;	    /* zero bytes after the current file's data */
	bool failed;	    /* a failed write leaves the archive unusable */
	unsigned char block[TAR_BLOCK];
	char *pax; /* the pax records of the current member */
	size_t pax_len, pax_cap;
};

unsigned tar_header_checksum(const unsigned char block[TAR_BLOCK])
{
	unsigned sum = 0;

	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += i >= UST_CHKSUM && i < UST_CHKSUM + UST_CHKSUM_LEN ? ' ' : block[i];
	return sum;
}

const char *tar_path_refusal(const char *path, size_t len)
{
	if (len == 0)
		return "empty path";
	if (path[0] == '/')
		return "absolute path";
	if (len == 1 && path[0] == '.')
		return NULL;
	for (size_t start = 0; start <= len;) {
		const char *slash = memchr(path + start, '/', len - start);
		size_t end = slash != NULL ? (size_t)(slash - path) : len;

		if (end == start)
			return "empty path component";
		if (end - start == 2 && path[start] == '.' && path[start + 1] == '.')
			return "\"..\" in path";
		if (end - start == 1 && path[start] == '.')
			return "\".\" in path";
		start = end + 1;
	}
	return NULL;
}

int tar_writer_new(struct sink *out, struct tar_writer **w)
{
	*w = calloc(1, sizeof(**w));
	if (*w == NULL)
		return -ENOMEM;
	(*w)->out = out;
	return 0;
}

void tar_writer_free(struct tar_writer *w)
{
	if (w == NULL)
		return;
	free(w->pax);
	free(w);
}

static int writer_out(struct tar_writer *w, const void *buf, size_t len)
{
	int rc;

	if (w->failed)
		return -EIO;
	rc = w->out->write(w->out, buf, len);
	if (rc < 0)
		w->failed = true;
	return rc;
}

/* The previous file's data complete, then its padding. */
static int writer_end_member(struct tar_writer *w)
{
	static const unsigned char zeros[TAR_BLOCK];
	int rc = 0;

	if (w->data_left > 0)
		return -EPROTO;
	if (w->pad > 0)
		rc = writer_out(w, zeros, (size_t)w->pad);
	w->pad = 0;
	return rc;
}

/* One "LEN KEY=VALUE\n" record; LEN counts itself. */
static int pax_add(struct tar_writer *w, const char *key, const void *value, size_t value_len)
{
	size_t body = 1 + strlen(key) + 1 + value_len + 1, len = body, digits = 1;
	char len_text[24];

	for (;;) {
		digits = (size_t)snprintf(len_text, sizeof(len_text), "%zu", len);
		if (body + digits == len)
			break;
		len = body + digits;
	}
	if (len > SIZE_MAX / 2 - w->pax_len)
		return -EFBIG;
	if (w->pax_len + len > w->pax_cap) {
		size_t cap = (w->pax_len + len) * 2;
		char *grown = realloc(w->pax, cap);

		if (grown == NULL)
			return -ENOMEM;
		w->pax = grown;
		w->pax_cap = cap;
	}
	w->pax_len += (size_t)sprintf(w->pax + w->pax_len, "%s %s=", len_text, key);
	memcpy(w->pax + w->pax_len, value, value_len);
	w->pax_len += value_len;
	w->pax[w->pax_len++] = '\n';
	return 0;
}

static int pax_add_u64(struct tar_writer *w, const char *key, uint64_t v)
{
	char text[PAX_NUM_MAX];

	return pax_add(w, key, text, (size_t)snprintf(text, sizeof(text), "%" PRIu64, v));
}

/* sec + nsec/1e9 in decimal: -1.5 is sec -2, nsec 500000000. */
static int pax_add_mtime(struct tar_writer *w, int64_t sec, uint32_t nsec)
{
	char text[PAX_NUM_MAX];
	int n;

	if (nsec == 0)
		n = snprintf(text, sizeof(text), "%" PRId64, sec);
	else if (sec >= 0)
		n = snprintf(text, sizeof(text), "%" PRId64 ".%09" PRIu32, sec, nsec);
	else
		n = snprintf(text, sizeof(text), "-%" PRIu64 ".%09" PRIu32, (uint64_t)(-(sec + 1)),
			     1000000000 - nsec);
	return pax_add(w, "mtime", text, (size_t)n);
}

static int pax_add_xattrs(struct tar_writer *w, const struct tar_entry *e)
{
	char key[16 + 256];

	for (size_t i = 0; i < e->n_xattrs; i++) {
		const char *name = e->xattrs[i].name;
		int rc;

		if (name[0] == '\0' || strchr(name, '=') != NULL || strlen(name) > 255)
			return -EINVAL;
		snprintf(key, sizeof(key), "SCHILY.xattr.%s", name);
		rc = pax_add(w, key, e->xattrs[i].value, e->xattrs[i].len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The records this entry needs (none for a plain short one). */
static int pax_collect(struct tar_writer *w, const struct tar_entry *e, size_t path_len)
{
	int rc = 0;

	w->pax_len = 0;
	if (path_len > UST_NAME_LEN)
		rc = pax_add(w, "path", e->path, strlen(e->path));
	if (rc == 0 && e->link != NULL && strlen(e->link) > UST_NAME_LEN)
		rc = pax_add(w, "linkpath", e->link, strlen(e->link));
	if (rc == 0 && e->size > OCTAL11_MAX)
		rc = pax_add_u64(w, "size", e->size);
	if (rc == 0 && e->uid > OCTAL7_MAX)
		rc = pax_add_u64(w, "uid", e->uid);
	if (rc == 0 && e->gid > OCTAL7_MAX)
		rc = pax_add_u64(w, "gid", e->gid);
	if (rc == 0 &&
	    (e->mtime_nsec != 0 || e->mtime_sec < 0 || (uint64_t)e->mtime_sec > OCTAL11_MAX))
		rc = pax_add_mtime(w, e->mtime_sec, e->mtime_nsec);
	if (rc == 0)
		rc = pax_add_xattrs(w, e);
	return rc;
}

/* An octal number filling width-1 digits and a NUL; 0 when it does not fit (pax holds it). */
static void put_octal(unsigned char *field, size_t width, uint64_t v, uint64_t max)
{
	char text[24];

	snprintf(text, sizeof(text), "%0*" PRIo64, (int)(width - 1), v <= max ? v : 0);
	memcpy(field, text, width - 1);
	field[width - 1] = '\0';
}

struct ustar_fields {
	const char *name, *link;
	size_t name_len;
	char type;
	uint32_t mode;
	uint64_t uid, gid, size;
	int64_t mtime;
};

static int put_ustar(struct tar_writer *w, const struct ustar_fields *f)
{
	unsigned char *b = w->block;
	unsigned sum;

	memset(b, 0, TAR_BLOCK);
	memcpy(b + UST_NAME, f->name, f->name_len < UST_NAME_LEN ? f->name_len : UST_NAME_LEN);
	put_octal(b + UST_MODE, UST_ID_LEN, f->mode & 07777, OCTAL7_MAX);
	put_octal(b + UST_UID, UST_ID_LEN, f->uid, OCTAL7_MAX);
	put_octal(b + UST_GID, UST_ID_LEN, f->gid, OCTAL7_MAX);
	put_octal(b + UST_SIZE, UST_NUM12_LEN, f->size, OCTAL11_MAX);
	put_octal(b + UST_MTIME, UST_NUM12_LEN, f->mtime < 0 ? 0 : (uint64_t)f->mtime, OCTAL11_MAX);
	b[UST_TYPE] = (unsigned char)f->type;
	if (f->link != NULL)
		memcpy(b + UST_LINK, f->link,
		       strlen(f->link) < UST_NAME_LEN ? strlen(f->link) : UST_NAME_LEN);
	memcpy(b + UST_MAGIC, UST_MAGIC_POSIX, 8);
	sum = tar_header_checksum(b);
	snprintf((char *)b + UST_CHKSUM, UST_CHKSUM_LEN, "%06o", sum);
	b[UST_CHKSUM + 7] = ' ';
	return writer_out(w, b, TAR_BLOCK);
}

/* The 'x' header and its records, padded; named "PaxHeaders/BASENAME" as GNU tar does. */
static int put_pax(struct tar_writer *w, const struct tar_entry *e)
{
	static const unsigned char zeros[TAR_BLOCK];
	char name[UST_NAME_LEN + 1];
	const char *base = strrchr(e->path, '/');
	struct ustar_fields f = {.type = 'x', .mode = 0644, .size = w->pax_len};
	int rc;

	f.name_len = (size_t)snprintf(name, sizeof(name), "PaxHeaders/%s",
				      base != NULL ? base + 1 : e->path);
	f.name = name;
	f.name_len = f.name_len < UST_NAME_LEN ? f.name_len : UST_NAME_LEN;
	f.mtime = e->mtime_sec;
	rc = put_ustar(w, &f);
	if (rc == 0)
		rc = writer_out(w, w->pax, w->pax_len);
	if (rc == 0 && w->pax_len % TAR_BLOCK != 0)
		rc = writer_out(w, zeros, TAR_BLOCK - w->pax_len % TAR_BLOCK);
	return rc;
}

static int entry_check(const struct tar_entry *e)
{
	if (e->path == NULL || tar_path_refusal(e->path, strlen(e->path)) != NULL)
		return -EINVAL;
	if (e->type != TAR_FILE && e->size != 0)
		return -EINVAL;
	if ((e->type == TAR_SYMLINK || e->type == TAR_HARDLINK) &&
	    (e->link == NULL || e->link[0] == '\0'))
		return -EINVAL;
	if (e->type == TAR_HARDLINK && tar_path_refusal(e->link, strlen(e->link)) != NULL)
		return -EINVAL;
	if (e->mtime_nsec >= 1000000000)
		return -EINVAL;
	return e->type <= TAR_HARDLINK ? 0 : -EINVAL;
}

int tar_write_header(struct tar_writer *w, const struct tar_entry *e)
{
	static const char type_flag[] = {
		[TAR_FILE] = '0', [TAR_DIR] = '5', [TAR_SYMLINK] = '2', [TAR_HARDLINK] = '1'};
	_cleanup_free_ char *dir_name = NULL;
	struct ustar_fields f = {.name = e->path, .link = NULL};
	struct tar_entry named;
	int rc = entry_check(e);

	if (rc == 0)
		rc = writer_end_member(w);
	if (rc < 0)
		return rc;
	f.name_len = strlen(e->path);
	if (e->type == TAR_DIR) {
		if (asprintf(&dir_name, "%s/", e->path) < 0)
			return -ENOMEM;
		f.name = dir_name;
		f.name_len++;
	}
	if (e->type == TAR_SYMLINK || e->type == TAR_HARDLINK)
		f.link = e->link;
	f.type = type_flag[e->type];
	f.mode = e->mode;
	f.uid = e->uid;
	f.gid = e->gid;
	f.size = e->size;
	f.mtime = e->mtime_sec;
	named = *e; /* with the name as ustar has it ("dir/") */
	named.path = (char *)f.name;
	named.link = (char *)f.link;
	rc = pax_collect(w, &named, f.name_len);
	if (rc == 0 && w->pax_len > 0)
		rc = put_pax(w, e);
	if (rc == 0)
		rc = put_ustar(w, &f);
	if (rc < 0)
		return rc;
	w->data_left = e->type == TAR_FILE ? e->size : 0;
	w->pad = (TAR_BLOCK - w->data_left % TAR_BLOCK) % TAR_BLOCK;
	return 0;
}

int tar_write_data(struct tar_writer *w, const void *buf, size_t len)
{
	int rc;

	if (len > w->data_left)
		return -EFBIG;
	rc = writer_out(w, buf, len);
	if (rc == 0)
		w->data_left -= len;
	return rc;
}

int tar_writer_finish(struct tar_writer *w)
{
	static const unsigned char end[2 * TAR_BLOCK];
	int rc = writer_end_member(w);

	if (rc == 0)
		rc = writer_out(w, end, sizeof(end));
	if (rc == 0)
		rc = w->out->finish(w->out);
	return rc;
}
