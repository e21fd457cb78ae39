/*
 * gitrepo_tree.c: read the fetched commit's tree straight from the object database into the
 * in-memory file set (core/fileset.h) — no checkout, no working tree. The same layout rules as
 * fileset_load_dir apply: every file down to FILESET_DEPTH_MAX, no hidden entries; a unit file that
 * is a symlink, a submodule or too big is a diagnostic, any other such entry is left out.
 * The repository is hostile: libgit2 inflates and parses an object whole, and a few hundred
 * KiB of pack can hold a blob or a tree of hundreds of MiB, so every object's size is read from
 * its header before the object itself, and entries are counted as they are walked.
 * What a read gives is kept per commit (tree_cache.h): a change to which entries are kept or how
 * their paths are made must raise TREE_CACHE_RULES there.
 */
#include "gitrepo.h"
#include "gitrepo_internal.h"

#include "core.h"
#include "fileset.h"

#include <errno.h>
#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct tree_walk {
	git_repository *git;
	git_odb *odb;
	struct fileset *repo;
	struct diag_list *diags;
	const char *label;
	size_t n_entries; /* looked at so far, skipped ones included: FILESET_ENTRIES_MAX */
	bool stopped;	  /* a bound of the whole tree stopped the walk */
};

int gitrepo_object_fits(git_odb *odb, const git_oid *id, git_object_t want, size_t max,
			size_t *ret_size)
{
	git_object_t type;
	size_t size;
	int r = git_odb_read_header(&size, &type, odb, id);

	if (r == GIT_ENOTFOUND)
		return -ENOENT;
	if (r < 0)
		return -EIO;
	if (type != want)
		return -EBADMSG;
	if (size > max)
		return -EFBIG;
	if (ret_size)
		*ret_size = size;
	return 0;
}

/* A bound of the whole tree: named on the directory (or the commit) where it was hit; the walk
 * stops, and walk_commit() drops what was read. */
static int bound_hit(struct tree_walk *w, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bound_hit(struct tree_walk *w, const char *where, const char *fmt, ...)
{
	char what[DIAG_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	w->stopped = true;
	if (diag_add(w->diags, w->label, *where ? where : ".", 1, "%s; nothing is read", what) < 0)
		return -ENOMEM;
	return -E2BIG;
}

static int add_blob(struct tree_walk *w, const git_tree_entry *entry, const char *path, bool unit)
{
	git_odb_object *blob = NULL;
	int r;

	/* The header only: a blob over the bound is never inflated. */
	r = gitrepo_object_fits(w->odb, git_tree_entry_id(entry), GIT_OBJECT_BLOB, FILESET_FILE_MAX,
				NULL);
	if (r == -EFBIG && !unit)
		return 0; /* a data file too big to deploy: a unit that needs it finds it missing */
	if (r == -EFBIG)
		return diag_add(w->diags, w->label, path, 1,
				"file larger than %d bytes (FILESET_FILE_MAX)", FILESET_FILE_MAX);
	if (r < 0)
		return -EIO;
	/* From the object database itself, hash verified as git_blob_lookup() would: its object
	 * and cache lookup were a lock and an allocation a blob more (issue 16). */
	if (git_odb_read(&blob, w->odb, git_tree_entry_id(entry)) < 0)
		return -EIO;
	r = git_odb_object_type(blob) != GIT_OBJECT_BLOB
		    ? -EIO
		    : fileset_add(w->repo, path, git_odb_object_data(blob),
				  git_odb_object_size(blob));
	git_odb_object_free(blob);
	if (r == -E2BIG && w->repo->n_files >= FILESET_FILES_MAX)
		return bound_hit(w, "", "more than %d files (FILESET_FILES_MAX)",
				 FILESET_FILES_MAX);
	if (r == -E2BIG)
		return bound_hit(w, "", "more than %d bytes in all files (FILESET_TOTAL_MAX)",
				 FILESET_TOTAL_MAX);
	return r;
}

/* A tree object, once its header says it is within GITREPO_TREE_MAX. */
static int lookup_tree(struct tree_walk *w, const git_oid *id, const char *path, git_tree **ret)
{
	int r = gitrepo_object_fits(w->odb, id, GIT_OBJECT_TREE, GITREPO_TREE_MAX, NULL);

	if (r == -EFBIG)
		return bound_hit(w, path, "tree object larger than %d bytes (GITREPO_TREE_MAX)",
				 GITREPO_TREE_MAX);
	if (r < 0)
		return -EIO;
	return git_tree_lookup(ret, w->git, id) < 0 ? -EIO : 0;
}

/* Paths are "NAME" or "DIR/NAME"; root is "" for the tree at the top. */
static int join_path(char *out, size_t size, const char *root, const char *name)
{
	int n = *root ? snprintf(out, size, "%s/%s", root, name) : snprintf(out, size, "%s", name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int walk_tree(struct tree_walk *w, const git_tree *tree, const char *root, unsigned depth);

static int visit_entry(struct tree_walk *w, const git_tree_entry *entry, const char *root,
		       unsigned depth)
{
	const char *name = git_tree_entry_name(entry);
	char path[FILESET_PATH_MAX + 1];
	bool unit = fileset_is_unit_name(name);
	git_tree *sub = NULL;
	int r;

	if (name[0] == '.')
		return 0; /* hidden: .git*, .github, editor files */
	if (strlen(name) > FILESET_NAME_MAX)
		return diag_add(w->diags, w->label, root, 1, "name longer than %d bytes, ignored",
				FILESET_NAME_MAX);
	if (join_path(path, sizeof(path), root, name) < 0)
		return 0; /* deeper than any unit is read: not part of the desired state */

	switch (git_tree_entry_filemode(entry)) {
	case GIT_FILEMODE_TREE:
		if (depth + 1 >= FILESET_DEPTH_MAX)
			return 0; /* deeper directories are not part of the desired state */
		r = lookup_tree(w, git_tree_entry_id(entry), path, &sub);
		if (r >= 0)
			r = walk_tree(w, sub, path, depth + 1);
		git_tree_free(sub);
		return r;
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return add_blob(w, entry, path, unit);
	case GIT_FILEMODE_LINK:
		return unit ? diag_add(w->diags, w->label, path, 1, "is a symlink, not followed")
			    : 0;
	default: /* a submodule (commit entry) */
		return unit ? diag_add(w->diags, w->label, path, 1, "is a submodule, ignored") : 0;
	}
}

/* Each entry is counted before it is looked at, so a bomb of entries stops at the bound. */
static int walk_tree(struct tree_walk *w, const git_tree *tree, const char *root, unsigned depth)
{
	size_t n = git_tree_entrycount(tree);

	for (size_t i = 0; i < n; i++) {
		int r;

		if (++w->n_entries > FILESET_ENTRIES_MAX)
			return bound_hit(w, root, "more than %d tree entries (FILESET_ENTRIES_MAX)",
					 FILESET_ENTRIES_MAX);
		r = visit_entry(w, git_tree_entry_byindex(tree, i), root, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_commit_tree(struct tree_walk *w, const char *commit_hex, git_tree **ret)
{
	git_commit *commit = NULL;
	git_oid oid;
	int r;

	if (git_oid_fromstr(&oid, commit_hex) < 0)
		return -EINVAL;
	r = gitrepo_object_fits(w->odb, &oid, GIT_OBJECT_COMMIT, GITREPO_COMMIT_MAX, NULL);
	if (r == -EFBIG)
		return bound_hit(w, "", "commit %.12s larger than %d bytes (GITREPO_COMMIT_MAX)",
				 commit_hex, GITREPO_COMMIT_MAX);
	if (r == -ENOENT)
		return r;
	if (r < 0 || git_commit_lookup(&commit, w->git, &oid) < 0)
		return -EIO;
	r = lookup_tree(w, git_commit_tree_id(commit), "", ret);
	git_commit_free(commit);
	return r;
}

/* Past a bound the walk stopped part-way: the diagnostic stays, the files read go. */
static int walk_commit(struct tree_walk *w, const char *commit_hex)
{
	git_tree *tree = NULL;
	int r;

	r = fileset_new(&w->repo);
	if (r >= 0)
		r = read_commit_tree(w, commit_hex, &tree);
	if (r >= 0)
		r = walk_tree(w, tree, "", 0);
	git_tree_free(tree);
	if (r == -E2BIG && w->stopped) {
		w->repo = fileset_free(w->repo);
		r = fileset_new(&w->repo);
	}
	return r;
}

int gitrepo_read_open_tree(struct gitrepo_open *open, const char *commit_hex, const char *label,
			   struct fileset **ret, struct diag_list *diags)
{
	struct tree_walk w = {.git = open->git, .diags = diags, .label = label};
	int r;

	if (git_repository_odb(&w.odb, w.git) < 0)
		return -EIO;
	r = walk_commit(&w, commit_hex);
	if (r >= 0)
		r = fileset_sort(w.repo);
	if (r >= 0) {
		*ret = TAKE_PTR(w.repo);
		r = 0;
	}
	fileset_free(w.repo);
	git_odb_free(w.odb);
	return r;
}

int gitrepo_read_tree(const char *repo_dir, const char *commit_hex, const char *label,
		      struct fileset **ret, struct diag_list *diags)
{
	struct gitrepo_open open = {0};
	int r;

	if (gitrepo_runtime_init() < 0)
		return -EIO;
	if (git_repository_open_ext(&open.git, repo_dir,
				    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
				    NULL) < 0)
		return -ENOENT;
	r = gitrepo_read_open_tree(&open, commit_hex, label, ret, diags);
	git_repository_free(open.git);
	return r;
}
