/* transform.h: the host's transforms and the merge that applies them to a spec (quadsync's rules,
 * on core/ini's model). A transform directory holds _base.container, _base.pod and _base.kube
 * (applied to every container, pod or kube first), DIR.container, DIR.pod and DIR.kube (applied
 * to the specs in repository directory DIR), and companion templates _base-SUFFIX.EXT (a file
 * NAME-SUFFIX.EXT generated for every container NAME). The merge of a transform into a document:
 * sections keep the document's order and transform-only sections are appended; inside a section the
 * transform's "+Key=" entries come first, then the document's entries, then the transform's plain
 * "Key=" entries, but only for keys the document did not set before this merge. "{{.Name}}" is
 * replaced last, by plain text substitution, as quadsync does. */
#ifndef TAILPOD_TRANSFORM_H
#define TAILPOD_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "ini.h"
#include "fileset.h"

#define TRANSFORM_BASE	   "_base"
#define TRANSFORM_NAME_VAR "{{.Name}}"

struct transform_made;

/* One transform file, by the name it is looked up with. */
struct transform_file {
	char *name;		     /* "_base" or the directory name */
	const char *ext;	     /* "container", "pod" or "kube" (static) */
	const char *path;	     /* its path in the transform repo, for diagnostics */
	struct ini *ini;	     /* NULL when it did not parse (already diagnosed) */
	struct transform_made *made; /* its lines made for the merge, with ini */
};

/* A companion template, _base-SUFFIX.EXT. */
struct transform_companion {
	const char *suffix; /* "-data.volume": NAME + suffix is the generated file's name */
	const char *path;
	const char *text; /* the template, borrowed from the transform repo */
	size_t size;
	bool no_pod; /* a "# quadsync:no-pod" or "# tailpod:no-pod" line: keeps its own network */
	bool parsed; /* it parses as a unit file (otherwise already diagnosed and never used) */
};

struct transform_set {
	const char *label;	      /* how diagnostics name the transform directory */
	struct transform_file *files; /* sorted by (name, ext) */
	size_t n_files;
	struct transform_companion *companions; /* sorted by suffix */
	size_t n_companions;
};

/* Classify and parse the files of a transform directory (read with FILESET_LOAD_FLAT |
 * FILESET_LOAD_ALL). A file that fits no pattern, a bad name or a parse error is a diagnostic under
 * label; the rest still loads. The set borrows dir's strings: dir must outlive it. 0 or -ENOMEM. */
int transform_set_load(const struct fileset *dir, const char *label, struct transform_set **ret,
		       struct diag_list *diags);
struct transform_set *transform_set_free(struct transform_set *set);

/* The transform NAME.EXT (name "_base" or a directory; ext "container", "pod" or "kube"), or
 * NULL. */
const struct transform_file *transform_set_find(const struct transform_set *set, const char *name,
						const char *ext);

/* Merge t into doc, in place, by the rules above. Comments of t are not carried over. -E2BIG
 * when the result passes an ini bound, -EINVAL when an entry of t cannot be written back (a key
 * or value ini refuses), -ENOMEM. On failure doc may be half-merged: throw it away. */
int transform_merge(struct ini *doc, const struct ini *t);
/* The same merge with t's entries and headers made once (issue 16): transform_made_new makes
 * them in t's memory, for documents whose lines end in "\n" (others are merged as above). The
 * merged document borrows that text: t must outlive it. The result is transform_merge's. */
int transform_made_new(struct ini *t, struct transform_made **ret);
struct transform_made *transform_made_free(struct transform_made *made);
int transform_merge_made(struct ini *doc, const struct ini *t, const struct transform_made *made);

/* Where a line that a merge added to a document came from: the line in t of the entry with this
 * section, key (with or without the '+') and value, or 0. For a section header (key NULL): the
 * first header of that name in t. */
unsigned transform_find_line(const struct ini *t, const char *section, const char *key,
			     const char *value);

/* The first "{{.Name}}" in text[0..size), or NULL: memchr for its '{' and a memcmp, not memmem
 * (issue 16: musl's memmem sets up a two-way search at every call, and a merge calls it per
 * occurrence). */
const char *transform_find_name_var(const char *text, size_t size);

/* Replace every "{{.Name}}" in text[0..size) with name, into a new NUL-terminated buffer of at
 * most max bytes (-E2BIG beyond). Lines keep their numbers, since name has no line break. */
int transform_substitute_name(const char *text, size_t size, const char *name, size_t max,
			      char **ret, size_t *ret_size);
/* The same in two steps, into a buffer the caller reuses: the size the result will have (not
 * counting its NUL; -E2BIG beyond max), then the result written into out, which holds that
 * size + 1 bytes. */
int transform_substitute_size(const char *text, size_t size, const char *name, size_t max,
			      size_t *ret_size);
void transform_substitute_to(const char *text, size_t size, const char *name, char *out);

#endif
