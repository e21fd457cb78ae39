/*
 * gitrepo_tree.c: read the fetched commit's tree straight from the object database into the
 * in-memory repo model (core/repo.h) — no checkout, no working tree. The same layout rules as
 * repo_load_dir apply: the root and one directory below it, wanted extensions only, no hidden
 * entries; a symlink or a submodule where a spec could be is a diagnostic, never followed.
 * Blob sizes are checked before any content is read.
 */
#include "gitrepo.h"

#include "core.h"
#include "repo.h"

#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <string.h>

enum {
	GITREPO_TREE_DEPTH = 2, /* the root and one directory level, as quadsync read it */
};

struct tree_walk {
	git_repository *git;
	struct repo *repo;
	struct diag_list *diags;
	const char *label;
};

static int add_blob(struct tree_walk *w, const git_tree_entry *entry, const char *path)
{
	git_blob *blob = NULL;
	git_object_size_t size;
	int r;

	if (git_blob_lookup(&blob, w->git, git_tree_entry_id(entry)) < 0)
		return -EIO;
	size = git_blob_rawsize(blob);
	if (size > REPO_FILE_MAX) {
		r = diag_add(w->diags, w->label, path, 1,
			     "file larger than %d bytes (REPO_FILE_MAX)", REPO_FILE_MAX);
		git_blob_free(blob);
		return r;
	}
	r = repo_add(w->repo, path, git_blob_rawcontent(blob), (size_t)size);
	git_blob_free(blob);
	return r;
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
	char path[2 * REPO_NAME_MAX + 2];
	git_tree *sub = NULL;
	int r;

	if (name[0] == '.')
		return 0; /* hidden: .git*, .github, editor files */
	if (strlen(name) > REPO_NAME_MAX)
		return diag_add(w->diags, w->label, root, 1, "name longer than %d bytes, ignored",
				REPO_NAME_MAX);
	if (join_path(path, sizeof(path), root, name) < 0)
		return -ENAMETOOLONG;

	switch (git_tree_entry_filemode(entry)) {
	case GIT_FILEMODE_TREE:
		if (depth + 1 >= GITREPO_TREE_DEPTH)
			return 0; /* deeper directories are not part of the desired state */
		if (git_tree_lookup(&sub, w->git, git_tree_entry_id(entry)) < 0)
			return -EIO;
		r = walk_tree(w, sub, path, depth + 1);
		git_tree_free(sub);
		return r;
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return repo_path_wanted(path) ? add_blob(w, entry, path) : 0;
	case GIT_FILEMODE_LINK:
		return repo_path_wanted(path)
			       ? diag_add(w->diags, w->label, path, 1, "is a symlink, not followed")
			       : 0;
	default: /* a submodule (commit entry) */
		return repo_path_wanted(path)
			       ? diag_add(w->diags, w->label, path, 1, "is a submodule, ignored")
			       : 0;
	}
}

static int walk_tree(struct tree_walk *w, const git_tree *tree, const char *root, unsigned depth)
{
	size_t n = git_tree_entrycount(tree);

	for (size_t i = 0; i < n; i++) {
		int r = visit_entry(w, git_tree_entry_byindex(tree, i), root, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_commit_tree(git_repository *git, const char *commit_hex, git_tree **ret)
{
	git_commit *commit = NULL;
	git_oid oid;
	int r;

	if (git_oid_fromstr(&oid, commit_hex) < 0)
		return -EINVAL;
	if (git_commit_lookup(&commit, git, &oid) < 0)
		return -ENOENT;
	r = git_commit_tree(ret, commit) < 0 ? -EIO : 0;
	git_commit_free(commit);
	return r;
}

int gitrepo_read_tree(const char *repo_dir, const char *commit_hex, const char *label,
		      struct repo **ret, struct diag_list *diags)
{
	struct tree_walk w = {.diags = diags, .label = label};
	git_tree *tree = NULL;
	int r;

	if (gitrepo_runtime_init() < 0)
		return -EIO;
	r = git_repository_open_ext(&w.git, repo_dir,
				    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL);
	if (r < 0) {
		r = -ENOENT;
		goto out;
	}
	r = read_commit_tree(w.git, commit_hex, &tree);
	if (r >= 0)
		r = repo_new(&w.repo);
	if (r >= 0)
		r = walk_tree(&w, tree, "", 0);
	if (r >= 0)
		r = repo_sort(w.repo);
	if (r >= 0) {
		*ret = TAKE_PTR(w.repo);
		r = 0;
	}
out:
	repo_free(w.repo);
	git_tree_free(tree);
	git_repository_free(w.git);
	return r;
}
