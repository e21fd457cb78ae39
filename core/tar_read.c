/*
 * tar_read.c: the strict streaming tar reader. Headers are checked (checksum, magic, numbers)
 * before anything in them is used; pax 'x' records and GNU 'L'/'K' long names are bounded by
 * pax_max and path_max; member paths are normalised only by dropping a leading "./" and trailing
 * "/" (what GNU tar and bsdtar write) and must then be canonical and relative. Device nodes,
 * fifos, sockets and sparse files are refused, as are a hardlink to a path no earlier member had
 * and a path beneath an earlier symlink member (an extractor would write through the link). The
 * paths seen so far live in a set of 125-bit digests (two SipHash-2-4 runs under random keys:
 * crafted collisions can neither make it quadratic nor, but by chance, alias two paths), 16 bytes
 * a path instead of its copy: memory grows by at most 32 bytes per member. A refusal is sticky: the
 * reader stays failed and tar_reader_error() says why.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf on glibc (host unit tests); musl has it anyway */
#endif

#include "tar_pax.h"

#include "core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium/crypto_shorthash.h>
#include <sodium/randombytes.h>

enum { ERROR_MAX = 192, NAME_SHOWN = 96, SKIP_BUF = 16 * 1024, SEEN_MIN = 64, META_RUN_MAX = 8 };

/* A path's digest: h[0] whole, h[1] with its low 3 bits holding the type + 1 (0 0 = empty). */
struct seen_slot {
	uint64_t h[2];
};

struct tar_reader {
	struct source *in;
	struct tar_limits lim;
	struct tar_entry entry; /* owns path and link; xattrs are pax's */
	struct tar_pax pax;
	char *gnu_name, *gnu_link;
	uint64_t data_left, pad_left, total, members;
	int failed; /* sticky refusal */
	bool ended;
	char error[ERROR_MAX];
	struct seen_slot *seen;
	size_t seen_cap, seen_n;
	unsigned char seen_key[2][crypto_shorthash_KEYBYTES];
	unsigned char block[TAR_BLOCK];
	unsigned char scratch[SKIP_BUF];
};

static int fail(struct tar_reader *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->failed = rc;
	return rc;
}

/* A member name as it may appear in a reason: bounded, non-printable bytes as '?'. */
static const char *shown(const char *path, char out[NAME_SHOWN + 4])
{
	size_t i = 0;

	for (; path[i] != '\0' && i < NAME_SHOWN; i++)
		out[i] = path[i] >= 0x20 && path[i] < 0x7f ? path[i] : '?';
	strcpy(out + i, path[i] != '\0' ? "..." : "");
	return out;
}

static int read_exact(struct tar_reader *r, void *buf, size_t len, const char *what)
{
	for (size_t done = 0; done < len;) {
		size_t got;
		int rc = r->in->read(r->in, (unsigned char *)buf + done, len - done, &got);

		if (rc < 0)
			return fail(r, rc, "reading %s: %s", what, strerror(-rc));
		if (got == 0)
			return fail(r, -EBADMSG, "truncated archive (in %s)", what);
		done += got;
	}
	return 0;
}

static int skip(struct tar_reader *r, uint64_t n, const char *what)
{
	while (n > 0) {
		size_t step = n < sizeof(r->scratch) ? (size_t)n : sizeof(r->scratch);
		int rc = read_exact(r, r->scratch, step, what);

		if (rc < 0)
			return rc;
		n -= step;
	}
	return 0;
}

enum { SEEN_TYPE_BITS = 3 };

static struct seen_slot seen_digest(const struct tar_reader *r, const char *path, size_t len)
{
	struct seen_slot d;

	crypto_shorthash((unsigned char *)&d.h[0], (const unsigned char *)path, len,
			 r->seen_key[0]);
	crypto_shorthash((unsigned char *)&d.h[1], (const unsigned char *)path, len,
			 r->seen_key[1]);
	d.h[1] &= ~(uint64_t)((1u << SEEN_TYPE_BITS) - 1);
	return d;
}

static enum tar_type seen_type(const struct seen_slot *s)
{
	return (enum tar_type)((s->h[1] & ((1u << SEEN_TYPE_BITS) - 1)) - 1);
}

static bool seen_empty(const struct seen_slot *s)
{
	return s->h[0] == 0 && s->h[1] == 0;
}

/* The slot of digest d (its own, or the empty one it would take). */
static struct seen_slot *seen_slot(const struct tar_reader *r, const struct seen_slot *d)
{
	const uint64_t type_mask = (1u << SEEN_TYPE_BITS) - 1;

	for (size_t i = (size_t)d->h[0] & (r->seen_cap - 1);; i = (i + 1) & (r->seen_cap - 1)) {
		struct seen_slot *s = &r->seen[i];

		if (seen_empty(s) || (s->h[0] == d->h[0] && (s->h[1] & ~type_mask) == d->h[1]))
			return s;
	}
}

static int seen_grow(struct tar_reader *r)
{
	const uint64_t type_mask = (1u << SEEN_TYPE_BITS) - 1;
	struct seen_slot *old = r->seen;
	size_t old_cap = r->seen_cap, cap = old_cap ? old_cap * 2 : SEEN_MIN;

	r->seen = calloc(cap, sizeof(*r->seen));
	if (r->seen == NULL) {
		r->seen = old;
		return -ENOMEM;
	}
	r->seen_cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (!seen_empty(&old[i])) {
			struct seen_slot d = {{old[i].h[0], old[i].h[1] & ~type_mask}};

			*seen_slot(r, &d) = old[i];
		}
	free(old);
	return 0;
}

static int seen_put(struct tar_reader *r, const char *path, enum tar_type type)
{
	struct seen_slot d = seen_digest(r, path, strlen(path)), *s;

	if ((r->seen_n + 1) * 2 > r->seen_cap && seen_grow(r) < 0)
		return -ENOMEM;
	s = seen_slot(r, &d);
	if (seen_empty(s))
		r->seen_n++;
	s->h[0] = d.h[0];
	s->h[1] = d.h[1] | ((uint64_t)type + 1);
	return 0;
}

static const struct seen_slot *seen_get(const struct tar_reader *r, const char *path, size_t len)
{
	struct seen_slot d;
	const struct seen_slot *s;

	if (r->seen_cap == 0)
		return NULL;
	d = seen_digest(r, path, len);
	s = seen_slot(r, &d);
	return seen_empty(s) ? NULL : s;
}

int tar_reader_new(struct source *in, const struct tar_limits *lim, struct tar_reader **ret)
{
	struct tar_reader *r = calloc(1, sizeof(*r));

	*ret = NULL;
	if (r == NULL)
		return -ENOMEM;
	r->in = in;
	if (lim != NULL)
		r->lim = *lim;
	r->lim.path_max = r->lim.path_max ?: TAR_PATH_MAX_DEFAULT;
	r->lim.pax_max = r->lim.pax_max ?: TAR_PAX_MAX_DEFAULT;
	r->lim.xattrs_max = r->lim.xattrs_max ?: TAR_XATTRS_MAX_DEFAULT;
	r->lim.xattr_value_max = r->lim.xattr_value_max ?: TAR_XATTR_VALUE_MAX_DEFAULT;
	r->lim.member_max = r->lim.member_max ?: TAR_MEMBER_MAX_DEFAULT;
	r->lim.total_max = r->lim.total_max ?: TAR_TOTAL_MAX_DEFAULT;
	r->lim.members_max = r->lim.members_max ?: TAR_MEMBERS_MAX_DEFAULT;
	randombytes_buf(r->seen_key, sizeof(r->seen_key));
	*ret = r;
	return 0;
}

static void member_release(struct tar_reader *r)
{
	free(r->entry.path);
	free(r->entry.link);
	memset(&r->entry, 0, sizeof(r->entry));
	tar_pax_release(&r->pax);
	free(r->gnu_name);
	free(r->gnu_link);
	r->gnu_name = r->gnu_link = NULL;
}

void tar_reader_free(struct tar_reader *r)
{
	if (r == NULL)
		return;
	member_release(r);
	free(r->seen);
	free(r);
}

const char *tar_reader_error(const struct tar_reader *r)
{
	return r->error;
}

/* The data of a 'x', 'g', 'L' or 'K' header (size bytes, bounded by max) → *out, NUL-ended. */
static int read_meta(struct tar_reader *r, uint64_t size, uint64_t max, const char *what,
		     char **out)
{
	uint64_t pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
	int rc;

	if (size > max)
		return fail(r, -EPERM, "%s of %llu bytes (limit %llu)", what,
			    (unsigned long long)size, (unsigned long long)max);
	*out = malloc((size_t)size + 1);
	if (*out == NULL)
		return fail(r, -ENOMEM, "out of memory");
	rc = read_exact(r, *out, (size_t)size, what);
	if (rc == 0)
		rc = skip(r, pad, what);
	(*out)[size] = '\0';
	return rc;
}

static int field_number(struct tar_reader *r, size_t at, size_t width, const char *what,
			int64_t *out)
{
	if (tar_field_number(r->block + at, width, at == UST_MTIME, out) < 0)
		return fail(r, -EINVAL, "bad %s field", what);
	return 0;
}

/* Checksum and magic of the block just read. */
static int header_check(struct tar_reader *r)
{
	int64_t stored;
	unsigned sum = tar_header_checksum(r->block);
	int signed_sum = 0;

	for (size_t i = 0; i < TAR_BLOCK; i++)
		signed_sum += i >= UST_CHKSUM && i < UST_CHKSUM + UST_CHKSUM_LEN
				      ? ' '
				      : (signed char)r->block[i];
	if (tar_field_number(r->block + UST_CHKSUM, UST_CHKSUM_LEN, false, &stored) < 0 ||
	    (stored != (int64_t)sum && stored != signed_sum))
		return fail(r, -EINVAL, "header checksum mismatch");
	if (memcmp(r->block + UST_MAGIC, UST_MAGIC_POSIX, 8) != 0 &&
	    memcmp(r->block + UST_MAGIC, UST_MAGIC_GNU, 8) != 0)
		return fail(r, -EINVAL, "not a ustar header");
	return 0;
}

static bool block_is_zero(const unsigned char *b)
{
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* A zero block was read: the second must follow. */
static int end_of_archive(struct tar_reader *r)
{
	int rc = read_exact(r, r->block, TAR_BLOCK, "the end-of-archive blocks");

	if (rc < 0)
		return rc;
	if (!block_is_zero(r->block))
		return fail(r, -EINVAL, "a lone zero block inside the archive");
	if (r->pax.path != NULL || r->gnu_name != NULL || r->pax.n_xattrs > 0)
		return fail(r, -EINVAL, "an extended header without its member");
	r->ended = true;
	return 1;
}

static int meta_header(struct tar_reader *r, char type, uint64_t size)
{
	_cleanup_free_ char *data = NULL;
	const char *why;
	int rc;

	if (type == 'L' || type == 'K') {
		char **slot = type == 'L' ? &r->gnu_name : &r->gnu_link;

		rc = read_meta(r, size, r->lim.path_max + 1, "GNU long name", &data);
		if (rc < 0)
			return rc;
		free(*slot);
		*slot = TAKE_PTR(data);
		return 0;
	}
	rc = read_meta(r, size, r->lim.pax_max, "pax header", &data);
	if (rc < 0 || type == 'g')
		return rc; /* global headers: read (bounded) and ignored */
	rc = tar_pax_parse(&r->pax, data, (size_t)size, &r->lim, &why);
	return rc < 0 ? fail(r, rc, "%s", why) : 0;
}

/* Text of a NUL-padded header field. */
static char *field_text(const struct tar_reader *r, size_t at, size_t width)
{
	return strndup((const char *)r->block + at, width);
}

/* Drops a leading "./" (repeated) and trailing "/"; what was only "./" becomes "." (the
 * archive's root); an empty path stays empty (and is refused). */
static void path_normalise(char *path)
{
	size_t skip_len = 0, len;

	while (path[skip_len] == '.' && path[skip_len + 1] == '/')
		skip_len += 2;
	memmove(path, path + skip_len, strlen(path + skip_len) + 1);
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (len == 0 && skip_len > 0)
		strcpy(path, "."); /* room: the original had at least "./" */
}

/* The member's path: pax "path", else a GNU long name, else the ustar prefix and name. */
static int member_path(struct tar_reader *r, char **out)
{
	_cleanup_free_ char *name = NULL, *prefix = NULL;

	if (r->pax.path != NULL || r->gnu_name != NULL) {
		*out = strdup(r->pax.path != NULL ? r->pax.path : r->gnu_name);
		return *out != NULL ? 0 : -ENOMEM;
	}
	name = field_text(r, UST_NAME, UST_NAME_LEN);
	prefix = memcmp(r->block + UST_MAGIC, UST_MAGIC_POSIX, 8) == 0
			 ? field_text(r, UST_PREFIX, UST_PREFIX_LEN)
			 : strdup("");
	if (name == NULL || prefix == NULL)
		return -ENOMEM;
	if (prefix[0] == '\0') {
		*out = TAKE_PTR(name);
		return 0;
	}
	return asprintf(out, "%s/%s", prefix, name) < 0 ? -ENOMEM : 0;
}

static int member_type(struct tar_reader *r, char flag, const char *name)
{
	char show[NAME_SHOWN + 4];

	static const struct {
		char flag;
		enum tar_type type;
	} kinds[] = {
		{'0', TAR_FILE},     {'\0', TAR_FILE},
		{'7', TAR_FILE}, /* contiguous file: a regular file everywhere but a few old systems
				  */
		{'1', TAR_HARDLINK}, {'2', TAR_SYMLINK},
		{'5', TAR_DIR},
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (flag == kinds[i].flag) {
			r->entry.type = kinds[i].type;
			return 0;
		}
	switch (flag) {
	case '3':
	case '4':
		return fail(r, -EPERM, "%s: device node", shown(name, show));
	case '6':
		return fail(r, -EPERM, "%s: fifo", shown(name, show));
	default:
		return fail(r, -EPERM, "%s: unsupported member type '%c'", shown(name, show),
			    flag >= 0x20 && flag < 0x7f ? flag : '?');
	}
}

/* Mode, ids, size and mtime from the header, with the pax overrides. */
static int member_numbers(struct tar_reader *r)
{
	struct tar_entry *e = &r->entry;
	int64_t mode, uid, gid, size, mtime;
	int rc = field_number(r, UST_MODE, UST_ID_LEN, "mode", &mode);

	if (rc == 0)
		rc = field_number(r, UST_UID, UST_ID_LEN, "uid", &uid);
	if (rc == 0)
		rc = field_number(r, UST_GID, UST_ID_LEN, "gid", &gid);
	if (rc == 0)
		rc = field_number(r, UST_SIZE, UST_NUM12_LEN, "size", &size);
	if (rc == 0)
		rc = field_number(r, UST_MTIME, UST_NUM12_LEN, "mtime", &mtime);
	if (rc < 0)
		return rc;
	e->mode = (uint32_t)mode & 07777;
	e->uid = r->pax.has_uid ? r->pax.uid : (uint64_t)uid;
	e->gid = r->pax.has_gid ? r->pax.gid : (uint64_t)gid;
	e->size = r->pax.has_size ? r->pax.size : (uint64_t)size;
	e->mtime_sec = r->pax.has_mtime ? r->pax.mtime_sec : mtime;
	e->mtime_nsec = r->pax.has_mtime ? r->pax.mtime_nsec : 0;
	e->xattrs = r->pax.xattrs;
	e->n_xattrs = r->pax.n_xattrs;
	return 0;
}

/* The link target: pax "linkpath", a GNU long link, or the ustar field; hardlinks canonical. */
static int member_link(struct tar_reader *r, const char *show)
{
	struct tar_entry *e = &r->entry;
	const char *why;

	if (e->type != TAR_SYMLINK && e->type != TAR_HARDLINK)
		return 0;
	e->link = r->pax.link != NULL	? strdup(r->pax.link)
		  : r->gnu_link != NULL ? strdup(r->gnu_link)
					: field_text(r, UST_LINK, UST_NAME_LEN);
	if (e->link == NULL)
		return fail(r, -ENOMEM, "out of memory");
	if (e->link[0] == '\0')
		return fail(r, -EINVAL, "%s: empty link target", show);
	if (strlen(e->link) > r->lim.path_max)
		return fail(r, -EPERM, "%s: link target longer than %zu", show, r->lim.path_max);
	if (e->type == TAR_SYMLINK)
		return 0;
	path_normalise(e->link);
	why = tar_path_refusal(e->link, strlen(e->link));
	if (why != NULL)
		return fail(r, -EPERM, "%s: hardlink target: %s", show, why);
	return 0;
}

/* Limits, and what an extractor must not be led into. */
static int member_policy(struct tar_reader *r, const char *show)
{
	struct tar_entry *e = &r->entry;
	const struct seen_slot *target;

	if (e->type != TAR_FILE && e->size != 0)
		return fail(r, -EINVAL, "%s: data on a member that is not a file", show);
	if (e->type != TAR_DIR && strcmp(e->path, ".") == 0)
		return fail(r, -EPERM, "%s: the archive root is not a directory", show);
	if (++r->members > r->lim.members_max)
		return fail(r, -EPERM, "more than %llu members",
			    (unsigned long long)r->lim.members_max);
	if (e->size > r->lim.member_max)
		return fail(r, -EPERM, "%s: %llu bytes (limit %llu)", show,
			    (unsigned long long)e->size, (unsigned long long)r->lim.member_max);
	if (e->size > r->lim.total_max - r->total)
		return fail(r, -EPERM, "%s: archive data beyond %llu bytes", show,
			    (unsigned long long)r->lim.total_max);
	r->total += e->size;
	for (const char *slash = strchr(e->path, '/'); slash; slash = strchr(slash + 1, '/')) {
		const struct seen_slot *s = seen_get(r, e->path, (size_t)(slash - e->path));

		if (s != NULL && seen_type(s) == TAR_SYMLINK)
			return fail(r, -EPERM, "%s: beneath an earlier symlink member", show);
	}
	if (e->type != TAR_HARDLINK)
		return 0;
	target = seen_get(r, e->link, strlen(e->link));
	if (target == NULL)
		return fail(r, -EPERM, "%s: hardlink to a path not earlier in the archive", show);
	if (seen_type(target) == TAR_DIR)
		return fail(r, -EPERM, "%s: hardlink to a directory", show);
	return 0;
}

static int member_build(struct tar_reader *r)
{
	struct tar_entry *e = &r->entry;
	char show[NAME_SHOWN + 4];
	const char *why;
	int rc = member_path(r, &e->path);

	if (rc < 0)
		return fail(r, rc, "out of memory");
	path_normalise(e->path);
	shown(e->path, show);
	if (strlen(e->path) > r->lim.path_max)
		return fail(r, -EPERM, "%s: path longer than %zu", show, r->lim.path_max);
	why = tar_path_refusal(e->path, strlen(e->path));
	if (why != NULL)
		return fail(r, -EPERM, "%s: %s", show, why);
	rc = member_type(r, (char)r->block[UST_TYPE], e->path);
	if (rc == 0)
		rc = member_numbers(r);
	if (rc == 0)
		rc = member_link(r, show);
	if (rc == 0)
		rc = member_policy(r, show);
	if (rc == 0 && seen_put(r, e->path, e->type) < 0)
		rc = fail(r, -ENOMEM, "out of memory");
	if (rc < 0)
		return rc;
	r->data_left = e->type == TAR_FILE ? e->size : 0;
	r->pad_left = (TAR_BLOCK - r->data_left % TAR_BLOCK) % TAR_BLOCK;
	return 0;
}

int tar_read_header(struct tar_reader *r, const struct tar_entry **e)
{
	unsigned meta_run = 0;
	int rc;

	*e = NULL;
	if (r->failed)
		return r->failed;
	if (r->ended)
		return 1;
	rc = skip(r, r->data_left + r->pad_left, "member data");
	r->data_left = r->pad_left = 0;
	member_release(r);
	while (rc == 0) {
		int64_t size;
		char type;

		rc = read_exact(r, r->block, TAR_BLOCK, "a header");
		if (rc < 0)
			break;
		if (block_is_zero(r->block))
			return end_of_archive(r);
		rc = header_check(r);
		if (rc == 0)
			rc = field_number(r, UST_SIZE, UST_NUM12_LEN, "size", &size);
		if (rc < 0)
			break;
		type = (char)r->block[UST_TYPE];
		if (type != 'x' && type != 'g' && type != 'L' && type != 'K') {
			rc = member_build(r);
			if (rc == 0)
				*e = &r->entry;
			break;
		}
		if (++meta_run > META_RUN_MAX)
			return fail(r, -EPERM, "more than %d extended headers in a row",
				    META_RUN_MAX);
		rc = meta_header(r, type, (uint64_t)size);
	}
	return rc;
}

int tar_read_data(struct tar_reader *r, void *buf, size_t len, size_t *got)
{
	int rc;

	*got = 0;
	if (r->failed)
		return r->failed;
	if (r->data_left == 0 || len == 0)
		return 0;
	rc = r->in->read(r->in, buf, len < r->data_left ? len : (size_t)r->data_left, got);
	if (rc < 0)
		return fail(r, rc, "reading member data: %s", strerror(-rc));
	if (*got == 0)
		return fail(r, -EBADMSG, "truncated archive (in member data)");
	r->data_left -= *got;
	return 0;
}
