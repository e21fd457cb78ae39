/* users.h: user and group facts without NSS — a static musl binary has no NSS modules, so tailpod
 * reads the files itself: passwd and group (struct users_db), login.defs (UID_MIN and the other
 * allocation limits, with shadow-utils' defaults for what is missing) and subuid/subgid (ranges
 * for rootless Podman). Every path is taken below a root prefix (NULL or "/" for the real one) so
 * tests and the sandbox point it elsewhere. Fedora CoreOS keeps its system users in
 * /usr/lib/passwd and /usr/lib/group, read by glibc's NSS "altfiles" module only: users tailpod
 * creates land in /etc/passwd, but `core` and the system accounts do not, so lookups for those go
 * to the altfiles database (USERS_SOURCE_ALTFILES) as a fallback that doctor can report. Every
 * input is bounded (file size, line length, entries); a hostile or malformed line is skipped with
 * a diagnostic ("PATH:LINE: MESSAGE, ignoring") and never stops the load. Core module: no
 * printing; 0 or a negative errno. */
#ifndef TAILPOD_USERS_H
#define TAILPOD_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"
#include "diag.h"
#include "users_index.h"

#define USERS_PASSWD	 "/etc/passwd"
#define USERS_GROUP	 "/etc/group"
#define USERS_ALT_PASSWD "/usr/lib/passwd"
#define USERS_ALT_GROUP	 "/usr/lib/group"
#define USERS_LOGIN_DEFS "/etc/login.defs"
#define USERS_SUBUID	 "/etc/subuid"
#define USERS_SUBGID	 "/etc/subgid"

enum {
	USERS_FILE_MAX = 16 * 1024 * 1024, /* bytes in one database file */
	/* bytes in one line: the managed group's line lists every workload user */
	USERS_LINE_MAX = 256 * 1024,
	USERS_ENTRIES_MAX = 65536, /* users, groups or subid lines kept per file */
	USERS_MEMBERS_MAX = 16384, /* members listed in one group line */
};

/* Which pair of files a users_db is read from. */
enum users_source {
	USERS_SOURCE_ETC,      /* /etc/passwd and /etc/group: what tailpod creates and manages */
	USERS_SOURCE_ALTFILES, /* /usr/lib/passwd and /usr/lib/group (Fedora CoreOS altfiles) */
};

struct users_user {
	const char *name;
	uid_t uid;
	gid_t gid;
	const char *home; /* from the entry, never assumed to be /home/NAME */
	const char *shell;
};

struct users_group {
	const char *name;
	gid_t gid;
	const char *const *members; /* supplementary members, as listed */
	size_t n_members;
};

/* A snapshot of one passwd and group pair. Strings point into private buffers. */
struct users_db {
	enum users_source source;
	struct users_user *users; /* file order; the first of duplicate names wins */
	size_t n_users;
	struct users_group *groups;
	size_t n_groups;
	struct diag_list diags; /* skipped lines, each ending in ", ignoring" */
	/* private: the file while it is parsed, then only the strings kept (users_compact.c) */
	char *passwd_buf;
	char *group_buf;
	/* private: users and groups by name, and the members of each group of at least
	 * MEMBERS_SCAN_MAX members (users_index.h; one per group, unused for short lists) */
	struct users_index user_index, group_index, *member_index;
};

/* The allocation limits of login.defs; missing keys keep shadow-utils' defaults. */
struct users_defs {
	uid_t uid_min;					  /* 1000 */
	uid_t uid_max;					  /* 60000 */
	uid_t sys_uid_min;				  /* 101 */
	uid_t sys_uid_max;				  /* uid_min - 1 */
	gid_t gid_min;					  /* 1000 */
	gid_t gid_max;					  /* 60000 */
	uint32_t sub_uid_min, sub_uid_max, sub_uid_count; /* 100000, 600100000, 65536 */
	uint32_t sub_gid_min, sub_gid_max, sub_gid_count; /* the same */
};

/* One line of /etc/subuid or /etc/subgid. */
struct users_subid_range {
	uint32_t start;
	uint32_t count;
};

/* root + path into buf (root NULL, "" or "/" is the real root): 0, or -ENAMETOOLONG. */
int users_path_below(const char *root, const char *path, char *buf, size_t size);

/* True for a name tailpod accepts in these files and as a workload: 1..USER_NAME_MAX bytes of
 * [A-Za-z0-9_.-], an optional final '$', not starting with '-', not "." or "..", not all digits
 * (useradd and systemd refuse those: they read as uids). */
bool users_name_valid(const char *name);

/* Read the source's passwd and group below root. Returns 0, or -ENOENT (a file is missing),
 * -EFBIG (past USERS_FILE_MAX), -E2BIG (past USERS_ENTRIES_MAX entries), -ENOMEM, or the errno
 * of the open or read. Bad lines go to (*ret)->diags and are skipped. */
int users_db_load(const char *root, enum users_source source, struct users_db **ret);

/* Accepts NULL; returns NULL. */
struct users_db *users_db_free(struct users_db *db);

/* Look a user up by name or uid, a group by name or gid: 0 with *ret set, -ENOENT, or -EINVAL
 * for a name that users_name_valid() refuses. */
int users_db_find_user(const struct users_db *db, const char *name, const struct users_user **ret);
int users_db_find_uid(const struct users_db *db, uid_t uid, const struct users_user **ret);
int users_db_find_group(const struct users_db *db, const char *name,
			const struct users_group **ret);
int users_db_find_gid(const struct users_db *db, gid_t gid, const struct users_group **ret);

/* 1 when user is in group, as its primary group or a listed member, 0 when not; -ENOENT when
 * the user or the group is not in db, -EINVAL for an invalid name. */
int users_db_user_in_group(const struct users_db *db, const char *user, const char *group);

/* Does a line of the passwd-format file path (USERS_PASSWD, USERS_ALT_PASSWD) below root carry
 * uid? 1 (its name copied to ret_name when not NULL, "" for a name users_name_valid() refuses),
 * 0 when no line does, -ENOENT when the file is missing, other errors as users_db_load(). Unlike
 * the db lookups it fails closed: any line whose third field is uid counts, however malformed
 * the rest, since the question is whether some account could be known by that uid. */
int users_passwd_has_uid(const char *root, const char *path, uid_t uid,
			 char ret_name[USER_NAME_MAX + 1]);

/* The ids of user name in the passwd-format file path below root, as users_db_load() and
 * users_db_find_user() would give them, without keeping a db: 0, -ENOENT when no valid line has
 * that name (or the file is missing), other errors as users_db_load(). */
int users_passwd_find_user(const char *root, const char *path, const char *name, uid_t *ret_uid,
			   gid_t *ret_gid);

/* Read login.defs below root into *ret. A missing file gives the defaults (and 0). Lines that are
 * not "KEY VALUE" with a known key and a valid number are skipped; a malformed value of a key
 * this module uses gets a diagnostic in diags (which may be NULL). An inconsistent result
 * (uid_min > uid_max, ...) is -ERANGE. */
int users_defs_load(const char *root, struct users_defs *ret, struct diag_list *diags);

/* Find the first range of name (or of its uid written as a number, as shadow allows) in path
 * (USERS_SUBUID or USERS_SUBGID) below root. 0 with *ret set, -ENOENT when the file or a range is
 * missing; other errors as users_db_load(). Lines with a zero count or start + count past 2^32
 * are skipped with a diagnostic in diags (which may be NULL). */
int users_subid_find(const char *root, const char *path, const char *name, uid_t uid,
		     struct users_subid_range *ret, struct diag_list *diags);

/* The same, for many lookups: path below root read once into an index (bad lines into diags,
 * which may be NULL), then users_subids_find() answers as users_subid_find() in O(1): 0 with
 * *ret set, -ENOENT, -EINVAL for an invalid name. Load errors as users_db_load(). */
struct users_subids;
int users_subids_load(const char *root, const char *path, struct users_subids **ret,
		      struct diag_list *diags);
int users_subids_find(const struct users_subids *ids, const char *name, uid_t uid,
		      struct users_subid_range *ret);
/* Accepts NULL; returns NULL. */
struct users_subids *users_subids_free(struct users_subids *ids);

#endif
