/* state.h: sync's record of what it deployed, one file per workload under STATE/workloads/NAME
 * (DESIGN.md §6), written atomically 0600 after a workload was applied, read by sync (what to
 * compare with, what it may remove), and later by doctor, gc and backup. The record is INI text
 * read with core/ini:
 *
 *   # tailpod sync: what was deployed for this workload; do not edit
 *
 *   [Workload]
 *   Name=web
 *   Hash=<64 hex: desired_workload_hash>
 *   Commit=<40 hex, or empty for a record migrated from quadsync>
 *   Service=web.service
 *   UID=1001
 *   DeployedAt=<unix seconds>
 *
 *   [Files]
 *   Quadlet=web.container        (~/.config/containers/systemd/)
 *   Systemd=web-backup.timer     (~/.config/systemd/user/)
 *   Quadlet=app/conf/app.env     (an app's file, its tree kept: a relative path below the
 *                                 directory, at most STATE_PATH_MAX bytes, no "." or ".."
 *                                 component and none that starts with '.'; Systemd= names
 *                                 stay one component)
 *
 *   [Secrets]                    (core/state_secrets.c: the Podman secrets sync created)
 *   Podman=web-db-pass
 *
 *   [Stamps]                     (core/state_stamps.c, issue 16: one line per [Files] entry, in
 *   File=DEV INO SIZE MTIME CTIME its order, decimal, times in ns since the epoch; "File=-" for
 *                                a file without one. The fstat of the file when sync last found
 *                                it equal to the desired bytes of Hash=, taken once its ctime
 *                                had settled: equal fields prove it unwritten since. A record
 *                                without the section, or with a malformed one, has no stamps:
 *                                every file is read.)
 *
 * Hashes and commits are lowercase hex. Unknown [Workload] keys and unknown sections are ignored
 * (a newer tailpod may add them); every [Files] key must be Quadlet or Systemd, since a file of an
 * unknown kind could not be removed safely.
 *
 * Also the other way into a host's history: quadsync's STATE/hashes/NAME files (one hex SHA-256
 * per deployed workload), which tell sync which workloads a quadsync host had deployed. Core
 * module: no printing; 0 or a negative errno. */
#ifndef TAILPOD_STATE_H
#define TAILPOD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"
#include "fs.h"
#include "spec.h"

enum {
	STATE_HASH_HEX_SIZE = 65,	    /* 64 hex digits and a NUL */
	STATE_COMMIT_HEX_SIZE = 41,	    /* 40 hex digits and a NUL */
	STATE_UNIT_MAX = 255,		    /* bytes of a unit or file name */
	STATE_PATH_MAX = SPEC_APP_PATH_MAX, /* bytes of a file's path below its unit directory */
	STATE_FILES_MAX = 1024,		    /* files in one record */
	STATE_RECORD_MAX = 1024 * 1024,	    /* bytes of one record file (= INI_FILE_MAX) */
	STATE_WORKLOADS_MAX = 16384,	    /* records listed in one directory */
	STATE_REASON_MAX = 400,		    /* bytes of a failed deploy's reason (issue 21) */
	STATE_GOOD_MAX = 64 * 1024 * 1024,  /* bytes of one workload's good copy (issue 21) */
};

struct state_file {
	char name[STATE_PATH_MAX + 1]; /* "web.container", or an app's "web/conf/app.env" */
	enum spec_unit_dir dir;
	struct fs_stamp stamp; /* [Stamps]: when set, the file as last found equal (issue 16) */
};

struct state_record {
	char name[USER_NAME_MAX + 1];
	char hash[STATE_HASH_HEX_SIZE];
	char commit[STATE_COMMIT_HEX_SIZE];
	char service[STATE_UNIT_MAX + 1];
	uid_t uid;
	long long deployed_at;
	struct state_file *files; /* in record order */
	size_t n_files;
	char **secrets; /* the Podman secrets sync created for it: names, never values */
	/* With secrets, hash mixes in a keyed MAC of their values: this is the deployed files' own
	 * desired_workload_hash, what doctor can recompute without the host identity; else "". */
	char files_hash[STATE_HASH_HEX_SIZE];
	size_t n_secrets;
	/* [Rollout] (core/state_rollout.c, issue 21): a deploy that failed the health gate. hash
	 * and commit stay the good ones; failed_hash is the desired_workload_hash of the merged
	 * files that failed ("" when none did), held until the desired files change. */
	char failed_hash[STATE_HASH_HEX_SIZE];
	char failed_commit[STATE_COMMIT_HEX_SIZE];
	char failed_reason[STATE_REASON_MAX + 1]; /* printable ASCII, one line */
	bool rollback_pending; /* the good files were being written back: redo that */
};

/* Open (creating with mode 0700 where missing) STATE_DIR/workloads and return its fd. STATE_DIR
 * itself may be reached through a symlink; workloads may not (-ELOOP). */
int state_dir_open(const char *state_dir, int *ret_fd);

/* Load the record of name from the workloads directory fd: -ENOENT when there is none, -EBADMSG
 * when it is malformed (missing or invalid Name (must equal name), Hash, Commit, Service or UID, a
 * file name that is not one path component, too many files), -EFBIG past STATE_RECORD_MAX, -ELOOP
 * for a symlink, -EISDIR or -EBADFD for what is not a regular file (a FIFO never blocks), -EINVAL
 * for a name that is not a valid workload name. *ret is set only on success; release it with
 * state_record_release(). */
int state_record_load(int dirfd, const char *name, struct state_record *ret);
/* The same, its files into the caller's files[n_files_max] rather than a block of their own
 * (-E2BIG for more): ret->files points there, and the caller sets it NULL before
 * state_record_release(). For sync's checks asked ahead (issue 16): the block, made and freed on
 * a thread for every workload, had musl map and unmap a group for each at 300 workloads. */
int state_record_load_in(int dirfd, const char *name, struct state_record *ret,
			 struct state_file *files, size_t n_files_max);

/* Write rec as dirfd/NAME, atomically (temp + fsync + rename + fsync of the directory), 0600.
 * -EINVAL for an invalid name, hash, commit, service, uid ((uid_t)-1), negative deployed_at or
 * file name: what load would refuse is never written. -E2BIG past STATE_FILES_MAX files. */
int state_record_store(int dirfd, const struct state_record *rec);

/* Remove the record of name and fsync the directory; a missing one is success. */
int state_record_remove(int dirfd, const char *name);

void state_record_release(struct state_record *rec);

/* state_secrets.c, for state.c: the [Secrets] of a record read (-EBADMSG: a bad name, too many),
 * checked before a store (-EINVAL, -E2BIG), written, released; whether s is a name Podman takes. */
struct ini;
int state_record_secrets_parse(const struct ini *ini, struct state_record *rec);
int state_record_secrets_check(const struct state_record *rec);
int state_record_secrets_build(const struct state_record *rec, struct ini *ini);
void state_record_secrets_release(struct state_record *rec);

/* state_stamps.c: the [Stamps] of a record read (what does not parse leaves every file without
 * a stamp: never an error) and written; and rec stored again with the stamps given (stamps[i]
 * for rec->files[i]; n_files of them), every other field as read, so a no-op sync can keep the
 * stamps it found without touching what was deployed when. */
void state_record_stamps_parse(const struct ini *ini, struct state_record *rec);
int state_record_stamps_build(const struct state_record *rec, struct ini *ini);
int state_record_restamp(int dirfd, const struct state_record *rec, const struct fs_stamp *stamps);
/* The stamp of rec->files[i] when that is the file dir/name and rec was recorded for the desired
 * bytes whose hash is hash (a stamp proves the file unchanged since it equalled those); else
 * NULL. */
const struct fs_stamp *state_record_stamp(const struct state_record *rec, size_t i,
					  enum spec_unit_dir dir, const char *name,
					  const char *hash);
bool state_secret_name_valid(const char *s);
bool state_hash_valid(const char *s); /* 64 lowercase hex digits */

/* state_rollout.c, for state.c: the [Rollout] of a record read (-EBADMSG), checked before a
 * store (-EINVAL), written. state_reason_set: reason made one line of printable ASCII. */
int state_record_rollout_parse(const struct ini *ini, struct state_record *rec);
int state_record_rollout_check(const struct state_record *rec);
int state_record_rollout_build(const struct state_record *rec, struct ini *ini);
void state_reason_set(char dst[STATE_REASON_MAX + 1], const char *reason);

/* Open (creating with mode 0700 where missing) STATE_DIR/SUB, never through a symlink (-ELOOP). */
int state_subdir_open(const char *state_dir, const char *sub, int *ret_fd);
/* Whether s is a file name a record may hold for dir. */
bool state_file_name_valid(const char *s, enum spec_unit_dir dir);

/* The last good files of a workload (issue 21): STATE/good/NAME, root 0600, the exact bytes of
 * every file a deploy that passed the health gate wrote, so that a later deploy that fails it
 * can be rolled back byte for byte. Written atomically; read bounded by STATE_GOOD_MAX. */
struct state_good_file {
	enum spec_unit_dir dir;
	const char *name; /* into buf */
	const char *data; /* into buf, size bytes */
	size_t size;
};
struct state_good {
	char *buf;
	struct state_good_file *files;
	size_t n_files;
};
#define STATE_GOOD_DIR "good"
int state_good_store(int dirfd, const struct spec_workload *w);
/* -ENOENT when there is none, -EBADMSG when malformed, -EFBIG past STATE_GOOD_MAX. */
int state_good_load(int dirfd, const char *name, struct state_good *ret);
int state_good_remove(int dirfd, const char *name);
void state_good_release(struct state_good *g);

/* The names that have a record, sorted; temp files (".NAME.xxxx") and names that are not valid
 * workload names are left out; the file type is left to state_record_load(). *ret_names is one
 * allocation holding the pointers and strings; free() it. With no names it is NULL and *ret_n 0.
 * -E2BIG past STATE_WORKLOADS_MAX names. */
int state_list(int dirfd, char ***ret_names, size_t *ret_n);

/* The same for quadsync's QUADSYNC_STATE_DIR/hashes: names with a hash file. A missing directory
 * is 0 names (*ret_names NULL); a symlink there is -ELOOP. */
int state_quadsync_list(const char *quadsync_state_dir, char ***ret_names, size_t *ret_n);

/* Read QUADSYNC_STATE_DIR/hashes/NAME (64 lowercase hex digits, surrounding white space ignored):
 * -ENOENT, -EBADMSG (also for a file of several KiB), -ELOOP for a symlink, -EBADFD or -EISDIR for
 * what is not a regular file, -EINVAL for an invalid name. */
int state_quadsync_hash(const char *quadsync_state_dir, const char *name,
			char ret_hex[STATE_HASH_HEX_SIZE]);

/* quadsync's composite hash of a workload as tailpod would deploy it: SHA-256 over each file's
 * name then bytes, in name order (quadsync's compositeHash without secrets). Equal to the recorded
 * quadsync hash exactly when quadsync deployed the same bytes. */
void state_quadsync_hash_of(const struct spec_workload *w, char ret_hex[STATE_HASH_HEX_SIZE]);

#endif
