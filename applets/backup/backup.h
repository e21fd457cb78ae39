/* backup.h: what the pieces of `tailpod backup` share (issue 20). The front end (applets/backup.c)
 * parses the command line; create.c makes one archive per NAME (a workload, or "host") through
 * archive.c (temp file, sink chain, tar writer, MANIFEST spool, atomic rename) and walk.c (a tree
 * read as root beneath an fd, no symlink followed, no mount crossed, every path asked of
 * core/backup_exclude); idmap.c maps owners to and from container-relative ids; service.c stops
 * and starts a workload's service; list.c, verify.c and restore.c read archives back through
 * reader.c. Conventions (api-backup.md): NAME-YYYYmmddTHHMMSSZ.tar.gz[.age], 0600, first member
 * TAILPOD-BACKUP, last member MANIFEST. */
#ifndef TAILPOD_BACKUP_H
#define TAILPOD_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "age.h"
#include "backup_exclude.h"
#include "config.h"
#include "hash.h"
#include "stream.h"
#include "systemd.h"
#include "tar.h"
#include "users.h"

#define BACKUP_DIR_DEFAULT "/var/lib/tailpod/backups"
#define BACKUP_INFO	   "TAILPOD-BACKUP"
#define BACKUP_MANIFEST	   "MANIFEST"
#define BACKUP_FORMAT	   "1"
/* Below a workload's home. */
#define QUADLET_DIR ".config/containers/systemd"
#define SYSTEMD_DIR ".config/systemd/user"
#define VOLUMES_DIR ".local/share/containers/storage/volumes"

enum {
	BACKUP_DEPTH_MAX = 256,			       /* directory levels walked below a root */
	BACKUP_BUF = 64 * 1024,			       /* the copy buffer */
	BACKUP_WRITEBACK_CHUNK = 8 << 20,	       /* restored bytes per writeback start */
	BACKUP_INFO_MAX = 4096,			       /* bytes of the TAILPOD-BACKUP member */
	BACKUP_MANIFEST_LINE_MAX = 6 * PATH_MAX + 512, /* bytes of one MANIFEST line */
	BACKUP_LINKS_MAX = 1 << 20,	      /* hard-linked inodes remembered in one archive */
	BACKUP_NAME_MAX = USER_NAME_MAX + 32, /* NAME-YYYYmmddTHHMMSSZ.tar.gz.age */
	BACKUP_GZIP_LEVEL = 6,
	BACKUP_ROOTS_MAX = 1024 + 64, /* walk roots of a workload: its files, binds, volumes */
};

/* Owners of one workload: its user's uid and gid, and its subuid/subgid ranges. */
struct backup_idmap {
	uint64_t uid, gid;
	struct users_subid_range subuid, subgid; /* count 0: none */
};

/* The archive being written (archive.c). */
struct backup_out {
	int dirfd;
	char tmp[BACKUP_NAME_MAX + 32], final[BACKUP_NAME_MAX];
	int fd, spool_fd; /* the temp file; the MANIFEST spool (O_TMPFILE) */
	struct sink *fd_sink, *age_sink, *gz_sink;
	struct tar_writer *tw;
	const struct backup_idmap *map; /* NULL: owners stored as they are (host scope) */
	const struct backup_exclude *excl;
	const char *home; /* the workload's home: its image storage and caches are skipped */
	struct backup_links *links; /* hard links seen: (dev, ino) -> first member */
	uint64_t members, bytes, excluded, warnings;
};

/* The identity and recipients of this host (keys.c). */
struct backup_keys {
	struct age_recipient recipients[AGE_RECIPIENTS_MAX];
	size_t n_recipients;
	struct age_identity id;
	bool have_id;
};

/* idmap.c */
int backup_idmap_load(const struct users_user *u, struct backup_idmap *ret);
/* host id -> container-relative id; false when host is outside the user's ids. */
bool backup_idmap_to_rel(const struct backup_idmap *m, bool gid, uint64_t host, uint64_t *rel);
/* container-relative id -> host id of m's user; false when rel is beyond its ranges. */
bool backup_idmap_to_host(const struct backup_idmap *m, bool gid, uint64_t rel, uint64_t *host);
/* "UID=1002\nGID=1002\nSubUID=100000:65536\nSubGID=100000:65536\n" into buf. */
int backup_idmap_format(const struct backup_idmap *m, char *buf, size_t size);

/* archive.c: open dir/NAME-TS.tar.gz(.age) as a temp file (n recipients: encrypted) */
int backup_out_open(struct backup_out *o, const char *dir, const char *name,
		    const struct age_recipient *r, size_t n);
/* A member from memory (TAILPOD-BACKUP, the state record), root-owned 0600 as given. */
int backup_out_text(struct backup_out *o, const char *path, const char *text, size_t len,
		    uint32_t mode, int64_t mtime);
/* The walked entry at host_path (lstat st; fd open for a file or dir, -1 otherwise), archived as
 * path. Ownership mapped through o->map; out-of-range owners stored as-is with a warning. */
int backup_out_entry(struct backup_out *o, const char *path, const char *host_path,
		     const struct stat *st, int fd, const char *link_target);
/* One MANIFEST line "excluded\tPATH\tREASON" / "warning\tPATH\tTEXT". */
int backup_out_note(struct backup_out *o, const char *kind, const char *path, const char *text);
/* MANIFEST, end of archive, fsync, rename to the final name, fsync the directory, 0600. */
int backup_out_commit(struct backup_out *o);
/* Remove the temp file (nothing under the final name) and free everything. */
void backup_out_abort(struct backup_out *o);

/* links.c: hard-linked inodes already archived. seen: *ret_first is the member that holds
 * (dev, ino) (then it is a hard link to it), or NULL after remembering path as its first. */
struct backup_links;
struct backup_links *backup_links_new(void);
int backup_links_seen(struct backup_links *l, dev_t dev, ino_t ino, const char *path,
		      const char **ret_first);
void backup_links_free(struct backup_links *l);

/* xattrs.c: the xattrs of fd (bounded as core/tar's reader bounds them), and setting them back. */
int backup_xattrs_read(int fd, struct tar_xattr **ret, size_t *ret_n);
void backup_xattrs_free(struct tar_xattr *x, size_t n);
int backup_xattrs_write(int fd, const struct tar_xattr *x, size_t n);

/* walk.c: archive base_path/rel (a directory tree, a file or a symlink) as prefix, reached beneath
 * base_fd (base_path's fd, for the messages and core/backup_exclude) without following a symlink.
 * A path core/backup_exclude calls a secret is noted as excluded and never opened. 0, 1 when rel
 * does not exist, or -errno (logged). */
int backup_walk_beneath(struct backup_out *o, int base_fd, const char *base_path, const char *rel,
			const char *prefix);

/* manifest.c: percent-escape s (bytes <= ' ', >= 0x7f, '%') into buf; false when it does not fit.
 */
bool backup_escape(const char *s, char *buf, size_t size);
bool backup_unescape(const char *s, char *buf, size_t size);
/* The MANIFEST row of a member, newline-terminated: TYPE MODE UID GID SIZE SHA256|- PATH [LINK],
 * TAB-separated, TYPE file/dir/symlink/hardlink, MODE 4 octal digits; -ENAMETOOLONG. */
int backup_manifest_row(const struct tar_entry *e, const char *sha, char *line, size_t size);

/* keys.c: this host's identity (TAILPOD_AGE_KEY, when it exists), the recipients
 * (TAILPOD_AGE_RECIPIENTS plus the identity's own). identity_path overrides the key. */
int backup_keys_load(const struct config *c, const char *identity_path, struct backup_keys *k);
void backup_keys_release(struct backup_keys *k);

/* An archive being read (reader.c): fd [-> age] -> gunzip -> tar. */
struct backup_in {
	struct source *fd_src, *age_src, *gz_src, *thread_src;
	struct tar_reader *tr;
	bool encrypted;
};

/* What verify found (verify.c). rows and listed: running SHA-256s of the members' rows as
 * recomputed and of the MANIFEST's member rows, in order. member (restore's hook, NULL for
 * verify): called for each member between the first and MANIFEST, its data read from in, sha
 * set to its data's SHA-256 ("-" but for a file); a -errno it returns (logged by it) stops. */
struct backup_check;
typedef int backup_member_fn(void *ctx, const struct backup_check *c, struct backup_in *in,
			     const struct tar_entry *e, char sha[HASH_SHA256_HEX_SIZE]);
struct backup_check {
	char info[BACKUP_INFO_MAX + 1];
	char scope[16];
	char workload[USER_NAME_MAX + 1];
	bool live, manifest;
	uint64_t members, bytes, excluded, warnings;
	struct hash_sha256 rows, listed;
	backup_member_fn *member;
	void *ctx;
};

/* reader.c: the archive file fd (read from its start) opened for its members; an age file needs
 * k's identity. 0 or -errno, logged with file. */
int backup_in_open(struct backup_in *in, int fd, const struct backup_keys *k, const char *file);
void backup_in_close(struct backup_in *in);
/* All of a member's data into its hash (and buf, up to cap bytes, when buf is not NULL). */
int backup_in_hash(struct backup_in *in, char sha[HASH_SHA256_HEX_SIZE], char *buf, size_t cap,
		   size_t *ret_len);

/* verify.c: structure (first member TAILPOD-BACKUP, last MANIFEST, the reader's checks), the
 * MANIFEST against every member's recomputed row and SHA-256. 0, -EBADMSG (logged: what differs)
 * or the reader's -errno (logged with its reason). backup_check_run keeps c's member and ctx. */
int backup_verify(int fd, const char *file, const struct backup_keys *k, struct backup_check *ret);
int backup_check_run(int fd, const char *file, const struct backup_keys *k, struct backup_check *c);
void backup_check_release(struct backup_check *c);

/* The settings of one `backup create` run (create.c). */
struct backup_create {
	const struct config *config;
	const char *dir; /* --output, else TAILPOD_BACKUP_DIR */
	bool live;
	struct backup_exclude excl;
	const struct age_recipient *recipients; /* NULL, n 0: not encrypted */
	size_t n_recipients;
	struct users_db *db;
	int state_fd; /* STATE/workloads */
};

/* create.c: NAME-TS.tar.gz(.age) of one workload, or of the host's tailpod files; 0 or -errno
 * (logged), the workload's service started again on every path. */
int backup_create_workload(struct backup_create *bc, const char *name);
int backup_create_host(struct backup_create *bc);
/* The home-relative directories rec's deployed .container files bind-mount (Volume=%h/X:... or
 * Volume=HOME/X:...), appended to roots (*n of BACKUP_ROOTS_MAX used). */
struct state_record;
void backup_bind_roots(int home_fd, const char *home, const struct state_record *rec, char **roots,
		       size_t *n);
/* mint-key.conf's OAuthFile= paths into x. */
int backup_exclude_mint_policy(struct backup_exclude *x, const char *policy);

/* extract.c: members written beneath a fresh temp directory (tmp_fd), every lookup beneath it
 * without following a symlink (core/fs), every file created O_EXCL|O_NOFOLLOW: a link an earlier
 * member planted is never followed, a member written twice is refused. Owners mapped onto map's
 * user; setuid/setgid stripped with a warning. */
struct backup_extract {
	int tmp_fd;
	const struct backup_idmap *map;
	const char *file;	      /* for messages */
	struct backup_dir_time *dirs; /* directories whose mtime is set last, deepest first */
	size_t n_dirs, cap_dirs;
	uint64_t warnings;
	int parent_fd;		   /* the last member's directory, open; -1 when none */
	char parent_dir[PATH_MAX]; /* its path below the temp dir ("" the temp dir itself) */
};
/* rel (below the temp dir) of member e, its data read from in; sha gets its data's SHA-256. */
int backup_extract_member(struct backup_extract *x, struct backup_in *in, const struct tar_entry *e,
			  const char *rel, char sha[HASH_SHA256_HEX_SIZE]);
/* The directories' mtimes, then the list freed. */
int backup_extract_finish(struct backup_extract *x);

/* list.c: whether file is NAME-YYYYmmddTHHMMSSZ.tar.gz[.age] (NAME a user name or "host"):
 * name and ts (15 chars + 'Z') filled. */
bool backup_name_parse(const char *file, char name[USER_NAME_MAX + 1], char ts[17], bool *ret_age);
/* `backup list DIR`, `backup verify FILE`, `backup restore FILE`: exit statuses. */
int backup_list(const char *dir, const struct backup_keys *k);
int backup_verify_main(const char *file, const struct backup_keys *k);
int backup_restore(const char *file, const char *workload, bool force, const struct backup_keys *k,
		   const struct config *c);

/* tmpdir.c: restore's temp dir. backup_tmp_make: BACKUP_TMP_PREFIX and 16 random hex digits in
 * name (cap bytes), made 0700 below home_fd, opened into *ret_fd and flock'ed (gc reaps only an
 * unlocked one); -errno. backup_tmp_remove: the dir removed without following a link and fd
 * closed; in_background (after a swap: it holds the replaced trees) by a child that keeps the
 * flock, the exit waiting for it only about a second. */
#define BACKUP_TMP_PREFIX ".tailpod-restore."
int backup_tmp_make(int home_fd, char *name, size_t cap, int *ret_fd);
void backup_tmp_remove(int home_fd, const char *name, int fd, bool in_background);

/* service.c: whether the service runs, stop it, start it again. */
int backup_service_stop(const char *user, uid_t uid, const char *service, bool *ret_was_running);
int backup_service_start(const char *user, const char *service);

#endif
