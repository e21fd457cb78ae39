/* tar.h: POSIX pax archives (ustar blocks + 'x' extended headers) — a streaming writer onto a
 * struct sink and a strict streaming reader from a struct source, in fixed buffers.
 *
 * The writer emits ustar headers, preceded by a pax 'x' header when a value does not fit ustar:
 * a path or link over the ustar fields, ids or a size over their octal fields, a mtime with
 * nanoseconds, or xattrs (SCHILY.xattr.NAME, what GNU tar and bsdtar read). uname/gname are empty.
 *
 * The reader accepts ustar, pax ('x' per member; 'g' global headers ignored but bounded) and GNU
 * 'L'/'K' long names (GNU tar's default format), numbers in octal or base-256. It refuses, with a
 * short reason in tar_reader_error():
 *   -EINVAL   malformed: header checksum, bad octal/base-256 number, a bad pax record
 *             ("LEN KEY=VALUE\n" with LEN exact), an unknown or contradictory header
 *   -EPERM    refused: absolute path, a ".." component, device, fifo, socket or other special
 *             type, a hardlink to a path not seen earlier, a
 * member/total/member-count/path/pax/xattr beyond the limits -EBADMSG  truncated: the source ends
 * inside a header, a member's data or its padding, or before the end-of-archive blocks Core module:
 * no printing; 0 / -errno. */
#ifndef TAILPOD_TAR_H
#define TAILPOD_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

enum tar_type { TAR_FILE, TAR_DIR, TAR_SYMLINK, TAR_HARDLINK };

struct tar_xattr {
	char *name;	/* "user.foo", "security.capability" */
	uint8_t *value; /* binary, len bytes */
	size_t len;
};

struct tar_entry {
	char *path; /* relative, no "..", no leading "/", dirs without trailing "/" */
	/* symlink target (any text) or hardlink target (an earlier member); NULL otherwise */
	char *link;
	enum tar_type type;
	uint32_t mode; /* permission bits incl. suid/sgid/sticky (07777) */
	uint64_t uid, gid;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint64_t size; /* data bytes: files only, 0 for the other types */
	struct tar_xattr *xattrs;
	size_t n_xattrs;
};

enum {
	TAR_BLOCK = 512,
	TAR_PATH_MAX_DEFAULT = 4096,
	TAR_PAX_MAX_DEFAULT = 64 * 1024,
	TAR_XATTRS_MAX_DEFAULT = 64,
	TAR_XATTR_VALUE_MAX_DEFAULT = 64 * 1024,
};
#define TAR_MEMBER_MAX_DEFAULT	(UINT64_C(64) << 30) /* 64 GiB per member */
#define TAR_TOTAL_MAX_DEFAULT	(UINT64_C(1) << 40)  /* 1 TiB of member data */
#define TAR_MEMBERS_MAX_DEFAULT UINT64_C(10000000)   /* ten million members */

/* Zero fields = the defaults above. */
struct tar_limits {
	size_t path_max;	/* bytes of a path or link target, default 4096 */
	size_t pax_max;		/* bytes of one pax (or GNU L/K) header's data, default 64 KiB */
	size_t xattrs_max;	/* xattrs per member, default 64 */
	size_t xattr_value_max; /* bytes of one xattr value, default 64 KiB */
	uint64_t member_max;	/* data bytes of one member */
	uint64_t total_max;	/* data bytes of all members */
	uint64_t members_max;	/* number of members */
};

struct tar_writer;
struct tar_reader;

/* A writer onto out (not owned: the caller frees the sink chain after tar_writer_free()). */
int tar_writer_new(struct sink *out, struct tar_writer **w);
/* The next member's header: a pax 'x' header when needed (long path/link, big ids/size, mtime
 * nsec, SCHILY.xattr.NAME), ustar otherwise. -EINVAL for an entry the reader would refuse
 * (absolute, "..", empty path), -EPROTO when the previous file's data was not written in full. */
int tar_write_header(struct tar_writer *w, const struct tar_entry *e);
/* Data of the current file: exactly e->size bytes in total over the calls (-EFBIG beyond). */
int tar_write_data(struct tar_writer *w, const void *buf, size_t len);
/* Pads the last member, writes the two zero blocks and finishes the sink. */
int tar_writer_finish(struct tar_writer *w);
void tar_writer_free(struct tar_writer *w);

/* A strict reader from in (not owned); lim NULL = defaults. */
int tar_reader_new(struct source *in, const struct tar_limits *lim, struct tar_reader **r);
/* The next member → *e (valid until the next call): 0 = a member, 1 = the end of the archive,
 * -errno as above with the reason in tar_reader_error(). Skips unread data of the previous member.
 */
int tar_read_header(struct tar_reader *r, const struct tar_entry **e);
/* Data of the current member; *got 0 = the member's end. */
int tar_read_data(struct tar_reader *r, void *buf, size_t len, size_t *got);
/* The reason of the last refusal ("" when none), e.g. "absolute path", "header checksum". */
const char *tar_reader_error(const struct tar_reader *r);
void tar_reader_free(struct tar_reader *r);

#endif
