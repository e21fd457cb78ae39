/* backups.c: archives of `tailpod backup create` beyond the retention policy, in
 * TAILPOD_BACKUP_DIR. Per NAME (a workload, or "host"), ranked newest first by the time in the
 * file name: the TAILPOD_BACKUP_KEEP newest are kept, and one beyond them goes only when it is
 * older than TAILPOD_BACKUP_MAX_AGE_DAYS by both its name and its mtime (the README's reading:
 * keep N, drop those beyond N that are also old). Never the newest backup of a NAME that passes
 * `backup verify` whole (applets/backup/verify.c, called as is): a corrupt newest one does not
 * make an older good one garbage. Only regular, root-owned files of the exact name pattern whose
 * first member TAILPOD-BACKUP proves them ours; an .age one needs the host identity
 * (TAILPOD_AGE_KEY) to be read: without it, or when it does not open, unproven and kept. Temp
 * files of an interrupted create (".FINAL.<16 hex>") older than an hour go too (the temp
 * category does not look here). The directory is opened without following a symlink; missing:
 * nothing to do; not openable or not root's: the category is skipped. Needs no other answer. */
#include "gc/gc.h"

#include "backup/backup.h"
#include "core.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { DAY_S = 86400 };
#define EVERY_AGE_S (-100L * 366 * DAY_S) /* gc_scan_dir's bound in the future: every age */

/* One archive found: its file, NAME and name time, and what the sweep learnt of it. */
struct archive {
	const struct gc_found *f;
	char name[USER_NAME_MAX + 1];
	char ts[17];
	bool age;    /* an .age name */
	time_t when; /* the newer of the name's time and the mtime */
};

/* A directory fd of its own (a dup would share the offset: a second listing would be empty). */
static int reopen(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static bool is_archive_name(const char *file)
{
	char name[USER_NAME_MAX + 1], ts[17];

	return backup_name_parse(file, name, ts, NULL);
}

/* ".NAME-YYYYmmddTHHMMSSZ.tar.gz[.age].<16 lowercase hex>", archive.c's temp twin. */
static bool is_archive_temp(const char *file)
{
	char final[BACKUP_NAME_MAX + 1];
	size_t n = strlen(file);

	if (n < 1 + 17 + 1 + 16 || file[0] != '.' || file[n - 17] != '.' ||
	    n - 1 - 17 > BACKUP_NAME_MAX)
		return false;
	for (size_t i = n - 16; i < n; i++)
		if (!((file[i] >= '0' && file[i] <= '9') || (file[i] >= 'a' && file[i] <= 'f')))
			return false;
	memcpy(final, file + 1, n - 1 - 17);
	final[n - 1 - 17] = '\0';
	return is_archive_name(final);
}

/* "YYYYmmddTHHMMSSZ" as seconds since the epoch (UTC). */
static time_t name_time(const char *ts)
{
	struct tm tm = {0};

	if (sscanf(ts, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* NAME ascending, then newest first. */
static int archive_order(const void *pa, const void *pb)
{
	const struct archive *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	return c ? c : -strcmp(a->ts, b->ts);
}

/* 0 when fd's first member is our TAILPOD-BACKUP; -ENOKEY when it is encrypted (an .age name, or
 * age's header) and cannot be opened here; -EBADMSG when it is not ours. Quiet: the report says
 * why. */
static int prove_ours(int fd, bool age, const struct backup_keys *k)
{
	static const char head[] = "# tailpod backup: ", format[] = "\nFormat=" BACKUP_FORMAT "\n";
	char info[BACKUP_INFO_MAX + 1], sha[HASH_SHA256_HEX_SIZE];
	const struct tar_entry *e;
	struct backup_in in;
	size_t len = 0;
	int lvl = log_get_max_level(), r;

	log_set_max_level(-1);
	r = backup_in_open(&in, fd, k, "archive");
	log_set_max_level(lvl);
	if (r < 0)
		return r == -ENOKEY || age ? -ENOKEY : -EBADMSG;
	r = tar_read_header(in.tr, &e);
	if (r < 0 && in.encrypted) /* the identity's stanza did not unwrap, or age's MAC failed */
		r = -ENOKEY;
	else if (r != 0 || e->type != TAR_FILE || strcmp(e->path, BACKUP_INFO) != 0 ||
		 backup_in_hash(&in, sha, info, BACKUP_INFO_MAX, &len))
		r = -EBADMSG;
	info[len] = '\0';
	if (r == 0 && (strncmp(info, head, sizeof(head) - 1) != 0 || !strstr(info, format)))
		r = -EBADMSG;
	backup_in_close(&in);
	return r;
}

/* Whether the archive verifies whole: 0, 1 when it does not (or cannot be opened here), or
 * -errno when the check itself could not run (a spool, memory, I/O): then nothing is known. */
static int verifies(int fd, const char *file, const struct backup_keys *k)
{
	struct backup_check c;
	int lvl = log_get_max_level(), r;

	log_set_max_level(-1);
	r = backup_verify(fd, file, k, &c);
	log_set_max_level(lvl);
	backup_check_release(&c);
	if (r == -ENOSPC || r == -ENOMEM || r == -EIO || r == -EMFILE || r == -ENFILE)
		return r;
	return r == 0 ? 0 : 1;
}

/* The per-sweep settings a NAME's archives are judged by. */
struct retention {
	int dirfd;
	const char *dir;
	const struct backup_keys *keys;
	time_t bound; /* older than this: old */
	unsigned keep;
};

static void drop(struct gc_ctx *g, const struct retention *rt, const struct archive *a,
		 const char *what)
{
	if (!g->dry_run && unlinkat(rt->dirfd, a->f->name, 0) < 0 && errno != ENOENT)
		gc_note(g, GC_BACKUPS, GC_FAILED, a->f->bytes, what, "%s", strerror(errno));
	else
		gc_note(g, GC_BACKUPS, gc_removal(g), a->f->bytes, what,
			"beyond %u, older than "
			"%u days",
			rt->keep, g->config->backup_max_age_days);
}

/* One archive beyond KEEP and old, not the newest good one: proven ours, it goes. unsure: a
 * newer one could not be checked, so this one may be the newest good one. */
static void judge(struct gc_ctx *g, const struct retention *rt, const struct archive *a,
		  const char *what, bool unsure)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (unsure) {
		gc_note(g, GC_BACKUPS, GC_KEPT, -1, what,
			"a backup of %s as new could not be verified: its newest good one is "
			"unknown",
			a->name);
		return;
	}
	fd = openat(rt->dirfd, a->f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	r = fd < 0 ? -errno : prove_ours(fd, a->age, rt->keys);
	if (r == -ENOKEY)
		gc_note(g, GC_BACKUPS, GC_KEPT, -1, what,
			"encrypted, and the host identity does not open it: not proven ours");
	else if (r < 0)
		gc_note(g, GC_BACKUPS, GC_KEPT, -1, what,
			"its first member is not tailpod's " BACKUP_INFO ": not proven ours");
	else
		drop(g, rt, a, what);
}

/* The newest of a[0, n) that verifies (n: none), or at *ret_unsure the first whose check could
 * not run (n: none such). */
static size_t newest_good(struct gc_ctx *g, const struct retention *rt, const struct archive *a,
			  size_t n, size_t *ret_unsure)
{
	*ret_unsure = n;
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int fd =
			openat(rt->dirfd, a[i].f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int r = fd < 0 ? -errno : verifies(fd, a[i].f->name, rt->keys);

		if (r == 0)
			return i;
		if (r < 0) {
			gc_note(g, GC_BACKUPS, GC_FAILED, -1, a[i].f->name,
				"cannot be verified: %s; nothing as old of %s removed",
				strerror(-r), a[i].name);
			*ret_unsure = i;
			return n;
		}
	}
	return n;
}

/* The archives [0, n) of one NAME, newest first. The verify pass (a full read) runs only when
 * one of them is a candidate. */
static void sweep_name(struct gc_ctx *g, const struct retention *rt, const struct archive *a,
		       size_t n)
{
	size_t good, unsure;
	bool any_old = false;

	for (size_t i = rt->keep; i < n; i++)
		any_old |= a[i].when < rt->bound;
	if (!any_old)
		return;
	good = newest_good(g, rt, a, n, &unsure);
	for (size_t i = rt->keep; i < n; i++) {
		char what[GC_WHAT_MAX];

		snprintf(what, sizeof(what), "%.3800s/%.255s", rt->dir, a[i].f->name);
		if (a[i].when >= rt->bound)
			gc_note(g, GC_BACKUPS, GC_KEPT, -1, what,
				"beyond the %u newest of %s, but younger than %u days", rt->keep,
				a[i].name, g->config->backup_max_age_days);
		else if (i == good)
			gc_note(g, GC_BACKUPS, GC_KEPT, -1, what,
				"the newest backup of %s that verifies", a[i].name);
		else
			judge(g, rt, &a[i], what, i >= unsure);
	}
}

/* The archives of found[0, n), parsed and ordered; their mtimes read (NOFOLLOW). */
static struct archive *rank(int dirfd, const struct gc_found *found, size_t n)
{
	struct archive *a = calloc(n ? n : 1, sizeof(*a));

	for (size_t i = 0; a && i < n; i++) {
		struct stat st;
		time_t named;

		a[i].f = &found[i];
		backup_name_parse(found[i].name, a[i].name, a[i].ts, &a[i].age);
		named = name_time(a[i].ts);
		/* The newer of the two: old only when both say so. */
		a[i].when = fstatat(dirfd, found[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
					    st.st_mtime > named
				    ? st.st_mtime
				    : named;
	}
	if (a)
		qsort(a, n, sizeof(*a), archive_order);
	return a;
}

static void sweep_archives(struct gc_ctx *g, int dirfd, const char *dir)
{
	static const struct gc_scan scan = {GC_BACKUPS, is_archive_name, EVERY_AGE_S, 0};
	static struct gc_found found[GC_SCAN_MAX];
	struct backup_keys keys;
	struct config c = *g->config;
	struct retention rt = {dirfd, dir, &keys,
			       time(NULL) - (time_t)g->config->backup_max_age_days * DAY_S,
			       g->config->backup_keep};
	_cleanup_free_ struct archive *a = NULL;
	size_t n = 0;
	int r = gc_scan_dir(g, &scan, reopen(dirfd), dir, found, &n);

	if (r < 0 || n == GC_SCAN_MAX) {
		gc_skip(g, GC_BACKUPS, "%s: %s", dir,
			r < 0 ? strerror(-r) : "more archives than gc ranks in one run");
		return;
	}
	a = rank(dirfd, found, n);
	if (!a) {
		gc_skip(g, GC_BACKUPS, "out of memory");
		return;
	}
	c.age_recipients = NULL; /* only the identity is needed, to read */
	if (backup_keys_load(&c, NULL, &keys) < 0)
		keys = (struct backup_keys){0};
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(a[j].name, a[i].name) == 0; j++)
			;
		sweep_name(g, &rt, a + i, j - i);
	}
	backup_keys_release(&keys);
}

static void sweep_temps(struct gc_ctx *g, int dirfd, const char *dir)
{
	static const struct gc_scan scan = {GC_BACKUPS, is_archive_temp, GC_TEMP_AGE_S, 0};
	static struct gc_found found[GC_SCAN_MAX];
	size_t n = 0;
	int r = gc_scan_dir(g, &scan, reopen(dirfd), dir, found, &n);

	if (r < 0)
		gc_note(g, GC_BACKUPS, GC_FAILED, -1, dir, "cannot list it: %s", strerror(-r));
	for (size_t i = 0; i < n; i++) {
		char what[GC_WHAT_MAX];

		snprintf(what, sizeof(what), "%.3800s/%.255s", dir, found[i].name);
		if (!g->dry_run && unlinkat(dirfd, found[i].name, 0) < 0 && errno != ENOENT)
			gc_note(g, GC_BACKUPS, GC_FAILED, found[i].bytes, what, "%s",
				strerror(errno));
		else
			gc_note(g, GC_BACKUPS, gc_removal(g), found[i].bytes, what,
				"temp file of an interrupted backup");
	}
}

void gc_sweep_backups(struct gc_ctx *g)
{
	const char *dir = g->config->backup_dir;
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (dirfd < 0 && errno == ENOENT)
		return; /* no backup was ever made here */
	if (dirfd < 0 || fstat(dirfd, &st) < 0 || st.st_uid != 0) {
		gc_skip(g, GC_BACKUPS, "%s: %s", dir,
			dirfd < 0 ? (errno == ELOOP || errno == ENOTDIR
					     ? "not a directory (a symlink is never followed)"
					     : strerror(errno))
				  : "not root's");
		return;
	}
	sweep_temps(g, dirfd, dir);
	sweep_archives(g, dirfd, dir);
}
