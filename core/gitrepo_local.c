/*
 * gitrepo_local.c: what gitrepo does with the local repository alone, never the network. The last
 * fetched tip, for a reader that must not fetch (gc --dry-run). Compaction: libgit2 has no gc,
 * and every fetch adds a pack: a force-pushed branch leaves its old history unreachable in
 * repo.git for good. Compaction packs what the tracked tip needs
 * (its commit and tree, as a depth-1 fetch brings them) into a fresh bare repository beside the
 * old one, checks that the fresh one reads back, and only then swaps it in with one atomic
 * rename. Until the swap the old repository is never written. Core module: no printing.
 */
#define _GNU_SOURCE /* renameat2 flags */
#include "gitrepo.h"
#include "gitrepo_internal.h"

#include "core.h"
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

enum {
	COMPACT_REF_MAX = GITREPO_BRANCH_MAX + 64,
	COMPACT_DEPTH_MAX = 8,	  /* repo.git/objects/pack is three levels deep */
	COMPACT_FILE_MODE = 0600, /* the pack: the fetch user's alone, as its fetches write */
};

int gitrepo_no_host_config(const char *home_dir)
{
	int levels[] = {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL,
			GIT_CONFIG_LEVEL_PROGRAMDATA};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(levels) && r >= 0; i++)
		r = git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "");
	if (r >= 0 && home_dir)
		r = git_libgit2_opts(GIT_OPT_SET_HOMEDIR, home_dir);
	return r;
}

static int compact_fail(struct gitrepo_error *err, int r, const char *what, const char *path)
{
	const git_error *e = git_error_last();

	return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, r, "%s %s: %s", what, path,
				 e && e->message ? e->message : strerror(-r));
}

/* The tip's commit and everything its tree reaches, as one pack in fresh's objects/pack. */
static int pack_tip(git_repository *old, const git_oid *tip, const char *fresh, size_t *ret_n)
{
	char pack_dir[PATH_MAX];
	git_packbuilder *pb = NULL;
	int r = -EIO;

	if (snprintf(pack_dir, sizeof(pack_dir), "%s/objects/pack", fresh) >= (int)sizeof(pack_dir))
		return -ENAMETOOLONG;
	if (git_packbuilder_new(&pb, old) < 0)
		return -EIO;
	git_packbuilder_set_threads(pb, 1);
	if (git_packbuilder_insert_commit(pb, tip) == 0 &&
	    git_packbuilder_write(pb, pack_dir, COMPACT_FILE_MODE, NULL, NULL) == 0) {
		*ret_n = git_packbuilder_object_count(pb);
		r = 0;
	}
	git_packbuilder_free(pb);
	return r;
}

/* The tip is the history's edge: its parents are not in the fresh repository. */
static int write_shallow(const char *fresh, const git_oid *tip)
{
	char path[PATH_MAX], line[GITREPO_OID_HEX_SIZE + 1];

	if (snprintf(path, sizeof(path), "%s/shallow", fresh) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	git_oid_tostr(line, GITREPO_OID_HEX_SIZE, tip);
	strcat(line, "\n");
	return fs_write_atomic_path(path, line, strlen(line), COMPACT_FILE_MODE);
}

static int count_object(const git_oid *id, void *payload)
{
	(void)id;
	(*(size_t *)payload)++;
	return 0;
}

/* Opened anew, as the next fetch will: the ref names the tip, the tip and its tree read back,
 * and the object database holds every object packed. */
static int verify(const char *fresh, const char *ref, const git_oid *tip, size_t packed)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid have;
	size_t n = 0;
	int r = -EBADMSG;

	if (git_repository_open_ext(&repo, fresh,
				    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
				    NULL) < 0)
		return -EBADMSG;
	if (git_reference_name_to_id(&have, repo, ref) == 0 && git_oid_equal(&have, tip) &&
	    gitrepo_tip_reads_back(repo, tip) == 0 && git_repository_odb(&odb, repo) == 0 &&
	    git_odb_foreach(odb, count_object, &n) == 0 && n == packed)
		r = 0;
	git_odb_free(odb);
	git_repository_free(repo);
	return r;
}

int gitrepo_last_tip(const struct gitrepo_fetch_opts *opts, struct gitrepo_fetch_result *ret,
		     struct gitrepo_error *err)
{
	char ref[COMPACT_REF_MAX];
	git_repository *repo = NULL;
	git_oid tip;
	int r = 0;

	*err = (struct gitrepo_error){0};
	if (!opts->branch ||
	    snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", opts->branch) >= (int)sizeof(ref))
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, -EINVAL, "invalid branch");
	if (gitrepo_runtime_init() < 0 || gitrepo_no_host_config(opts->home_dir) < 0)
		return compact_fail(err, -EIO, "cannot initialise libgit2 for", opts->repo_dir);
	if (git_repository_open_ext(&repo, opts->repo_dir,
				    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
				    NULL) < 0)
		return compact_fail(err, -ENOENT, "nothing fetched yet in", opts->repo_dir);
	if (git_reference_name_to_id(&tip, repo, ref) < 0 || gitrepo_tip_reads_back(repo, &tip) < 0)
		r = gitrepo_error_set(err, GITREPO_FAIL_LOCAL, -EBADMSG,
				      "%s: no fetched tip of '%s' that reads back", opts->repo_dir,
				      opts->branch);
	git_repository_free(repo);
	if (r < 0)
		return r;
	*ret = (struct gitrepo_fetch_result){0};
	git_oid_tostr(ret->commit, sizeof(ret->commit), &tip);
	memcpy(ret->previous, ret->commit, sizeof(ret->previous));
	return 0;
}

/* Build fresh from old's tip and check it; fresh is removed again on failure. */
static int build_fresh(git_repository *old, const git_oid *tip, const char *ref, const char *fresh,
		       struct gitrepo_compact_result *res, struct gitrepo_error *err)
{
	git_repository *repo = NULL;
	git_reference *made = NULL;
	int r = gitrepo_remove_dir(fresh);

	if (r < 0 && r != -ENOENT)
		return compact_fail(err, r, "cannot remove the stale", fresh);
	if (git_repository_init(&repo, fresh, 1) < 0)
		return compact_fail(err, -EIO, "cannot create", fresh);
	r = pack_tip(old, tip, fresh, &res->objects);
	if (r < 0)
		compact_fail(err, r, "cannot pack the tip into", fresh);
	if (r >= 0 && git_reference_create(&made, repo, ref, tip, 1, "tailpod gc") < 0)
		r = compact_fail(err, -EIO, "cannot write the ref of", fresh);
	if (r >= 0) {
		r = write_shallow(fresh, tip);
		if (r < 0)
			compact_fail(err, r, "cannot write the shallow file of", fresh);
	}
	git_reference_free(made);
	git_repository_free(repo);
	if (r >= 0 && verify(fresh, ref, tip, res->objects) < 0)
		r = gitrepo_error_set(err, GITREPO_FAIL_LOCAL, -EBADMSG,
				      "%s does not read back: the old repository is kept", fresh);
	if (r < 0)
		(void)gitrepo_remove_dir(fresh);
	return r;
}

int gitrepo_compact(const char *repo_dir, const char *branch, struct gitrepo_compact_result *ret,
		    struct gitrepo_error *err)
{
	struct gitrepo_compact_result res = {0};
	char ref[COMPACT_REF_MAX], fresh[PATH_MAX];
	git_repository *old = NULL;
	git_oid tip;
	int r;

	*err = (struct gitrepo_error){0};
	if (snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", branch) >= (int)sizeof(ref) ||
	    snprintf(fresh, sizeof(fresh), "%s" GITREPO_COMPACT_SUFFIX, repo_dir) >=
		    (int)sizeof(fresh))
		return gitrepo_error_set(err, GITREPO_FAIL_CONFIG, -ENAMETOOLONG,
					 "branch or path too long");
	if (gitrepo_runtime_init() < 0 || gitrepo_no_host_config(NULL) < 0)
		return compact_fail(err, -EIO, "cannot initialise libgit2 for", repo_dir);
	if (git_repository_open_ext(&old, repo_dir,
				    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
				    NULL) < 0)
		return compact_fail(err, -EBADMSG, "cannot open", repo_dir);
	if (git_reference_name_to_id(&tip, old, ref) < 0 || gitrepo_tip_reads_back(old, &tip) < 0)
		r = gitrepo_error_set(err, GITREPO_FAIL_LOCAL, -EBADMSG,
				      "%s: no tip of '%s' that reads back (the next fetch rebuilds "
				      "it)",
				      repo_dir, branch);
	else
		r = build_fresh(old, &tip, ref, fresh, &res, err);
	git_repository_free(old);
	if (r < 0)
		return r;
	git_oid_tostr(res.commit, sizeof(res.commit), &tip);
	/* One atomic exchange: the fresh repository in place, the old one at its name. */
	if (syscall(SYS_renameat2, AT_FDCWD, fresh, AT_FDCWD, repo_dir, RENAME_EXCHANGE) < 0) {
		r = -errno;
		(void)gitrepo_remove_dir(fresh);
		return compact_fail(err, r, "cannot swap in", fresh);
	}
	res.old_left = gitrepo_remove_dir(fresh) < 0; /* the next compaction removes it */
	*ret = res;
	return 0;
}

static int dir_bytes_at(int dirfd, const char *name, dev_t dev, unsigned depth,
			unsigned long long *sum)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;
	struct dirent *de;
	struct stat st;
	DIR *dir;

	if (fd < 0)
		return -errno;
	if (depth > COMPACT_DEPTH_MAX)
		r = -ELOOP;
	else if (fstat(fd, &st) < 0)
		r = -errno;
	else if (st.st_dev != dev)
		r = -EXDEV;
	if (r < 0) {
		close(fd);
		return r;
	}
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r >= 0 && (de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			*sum += (unsigned long long)st.st_size;
		else if (S_ISDIR(st.st_mode))
			r = dir_bytes_at(fd, de->d_name, dev, depth + 1, sum);
	}
	closedir(dir);
	return r;
}

int gitrepo_dir_bytes(int dirfd, const char *name, unsigned long long *ret_bytes)
{
	unsigned long long sum = 0;
	struct stat st;
	int r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	r = dir_bytes_at(dirfd, name, st.st_dev, 0, &sum);
	if (r >= 0)
		*ret_bytes = sum;
	return r;
}
