/* fileset.c: the in-memory desired state — paths checked and bounded, the files' memory, the sort,
 * the lookups (module boundary: core, libc; the directory loader is fileset_load.c). */
#include "fileset.h"
#include "core.h"
#include "sort.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* With their lengths: a name's extension is compared only to those of its length. */
#define UNIT_EXT(s) s, sizeof(s) - 1
static const struct {
	const char *s;
	size_t n;
} unit_exts[] = {
	{UNIT_EXT(".container")}, {UNIT_EXT(".pod")},	   {UNIT_EXT(".volume")},
	{UNIT_EXT(".network")},	  {UNIT_EXT(".kube")},	   {UNIT_EXT(".image")},
	{UNIT_EXT(".build")},	  {UNIT_EXT(".artifact")}, {UNIT_EXT(".service")},
	{UNIT_EXT(".timer")},	  {UNIT_EXT(".target")},   {UNIT_EXT(".socket")},
	{UNIT_EXT(".path")},
};
#undef UNIT_EXT

/* Paths and bytes are packed into chunks the set owns (issue 16): one malloc a file cost the load
 * thousands of small allocations and fileset_free() an munmap a few dozen files, and an munmap is
 * a cross-CPU TLB flush. A file too large for a chunk's tail to be worth keeping gets a block of
 * its own, linked the same way, so no chunk wastes more than a quarter of itself. */
enum {
	CHUNK_BYTES = 256 * 1024 - 64, /* with malloc's header, 64 pages mapped */
	CHUNK_OWN_MIN = CHUNK_BYTES / 4,
};

struct fileset_chunk {
	struct fileset_chunk *next;
	size_t used, cap;
	char bytes[];
};

static struct fileset_chunk *chunk_new(size_t cap)
{
	struct fileset_chunk *c = malloc(sizeof(*c) + cap);

	if (c)
		*c = (struct fileset_chunk){.cap = cap};
	return c;
}

/* n bytes (unaligned: paths and file bytes) that live as long as the set. The head of the list is
 * the chunk being filled; a block of its own goes behind it. */
static char *chunk_alloc(struct fileset *set, size_t n)
{
	struct fileset_chunk *head = set->chunks, *c;
	char *p;

	if (n >= CHUNK_OWN_MIN || !head || head->cap - head->used < n) {
		c = chunk_new(n >= CHUNK_OWN_MIN ? n : CHUNK_BYTES - sizeof(*c));
		if (!c)
			return NULL;
		if (n >= CHUNK_OWN_MIN && head) {
			c->next = head->next;
			head->next = c;
		} else {
			c->next = head;
			set->chunks = c;
		}
	} else
		c = head;
	p = c->bytes + c->used;
	c->used += n;
	return p;
}

int fileset_new(struct fileset **ret)
{
	struct fileset *set = calloc(1, sizeof(*set));

	if (!set)
		return -ENOMEM;
	set->sorted = true;
	*ret = set;
	return 0;
}

struct fileset *fileset_free(struct fileset *set)
{
	if (!set)
		return NULL;
	for (struct fileset_chunk *c = set->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(set->files);
	free(set);
	return NULL;
}

size_t fileset_dir_len(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash ? (size_t)(slash - path) : 0;
}

/* The length and the last byte are compared first, so that nearly every entry of the table is
 * passed over in a few instructions (issue 16: a strlen and a strcmp per entry, for every file
 * of the repo). */
bool fileset_is_unit_name(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(unit_exts); i++) {
		const char *ext = unit_exts[i].s;
		size_t e = unit_exts[i].n;

		/* ".container" alone is a hidden file, not a unit named "". */
		if (n > e && name[n - 1] == ext[e - 1] && memcmp(name + n - e, ext, e - 1) == 0)
			return true;
	}
	return false;
}

bool fileset_path_wanted(const char *path)
{
	unsigned depth = 1;

	if (path[0] == '.' || path[0] == '/')
		return false;
	for (const char *p = path; (p = strchr(p, '/')); p++)
		if (p[1] == '.' || ++depth > FILESET_DEPTH_MAX)
			return false;
	return true;
}

static bool component_ok(const char *s, size_t n)
{
	return n > 0 && !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

/* The path's length and fileset_dir_len() found on the way (issue 16: measured again after). */
static int path_check(const char *path, size_t *ret_len, size_t *ret_dir_len)
{
	size_t len = strlen(path);
	unsigned depth = 0;

	if (len > FILESET_PATH_MAX)
		return -ENAMETOOLONG;
	*ret_len = len;
	*ret_dir_len = 0;
	for (const char *c = path;; c++) {
		size_t n = strcspn(c, "/");
		const char *end = c + n;

		if (n > FILESET_NAME_MAX)
			return -ENAMETOOLONG;
		if (!component_ok(c, n) || ++depth > FILESET_DEPTH_MAX)
			return -EINVAL;
		if (!*end)
			return 0;
		if (depth == 1)
			*ret_dir_len = n;
		c = end;
	}
}

static int files_grow(struct fileset *set)
{
	size_t n = set->n_alloc ? set->n_alloc * 2 : 64;
	struct fileset_file *f = reallocarray(set->files, n, sizeof(*f));

	if (!f)
		return -ENOMEM;
	set->files = f;
	set->n_alloc = n;
	return 0;
}

int fileset_add(struct fileset *set, const char *path, const char *data, size_t size)
{
	struct fileset_file *f;
	size_t path_size, dir_len;
	char *mem;
	int r;

	if (size > FILESET_FILE_MAX)
		return -EFBIG;
	r = path_check(path, &path_size, &dir_len);
	if (r < 0)
		return r;
	if (set->n_files >= FILESET_FILES_MAX || size > FILESET_TOTAL_MAX - set->total)
		return -E2BIG;
	if (set->n_files == set->n_alloc && (r = files_grow(set)) < 0)
		return r;
	path_size++; /* the NUL: path_check() bounded the length */
	mem = chunk_alloc(set, path_size + size + 1);
	if (!mem)
		return -ENOMEM;
	memcpy(mem, path, path_size);
	memcpy(mem + path_size, data, size);
	mem[path_size + size] = '\0';
	f = &set->files[set->n_files++];
	*f = (struct fileset_file){.path = mem,
				   .data = mem + path_size,
				   .size = size,
				   .dir_len = dir_len,
				   .key = sort_prefix_key(mem + dir_len + (dir_len > 0), SIZE_MAX)};
	set->total += size;
	set->sorted = false;
	return 0;
}

static bool has_dir_from(const char *s)
{
	return strchr(s, '/') != NULL;
}

/* One pass to where the paths part, then only the rest is looked at: the sort's hot loop. */
static int path_cmp(const char *a, const char *b)
{
	size_t i = 0;
	unsigned char ca, cb;
	bool dir_a, dir_b;

	while (a[i] && a[i] == b[i] && a[i] != '/')
		i++;
	if (a[i] == '/' && b[i] == '/')
		return strcmp(a + i + 1, b + i + 1);
	dir_a = has_dir_from(a + i);
	dir_b = has_dir_from(b + i);
	/* The root's files ("" directory) first, then each directory's run. */
	if (dir_a != dir_b)
		return dir_a ? 1 : -1;
	if (dir_a && (a[i] == '/' || b[i] == '/'))
		return a[i] == '/' ? -1 : 1; /* one directory's name is a prefix of the other's */
	ca = (unsigned char)a[i];
	cb = (unsigned char)b[i];
	return (ca > cb) - (ca < cb);
}

/* path_cmp()'s order from each file's directory length and key, found when it was added (issue
 * 16: the search for '/' in every comparison, then the byte-by-byte compare of names that share
 * a prefix, were most of the sort): the root's files first, then the directories by name (a name
 * that is a prefix of another first), then the rest of the path, its first 8 bytes at once. */
static int file_cmp(const void *a, const void *b)
{
	const struct fileset_file *fa = a, *fb = b;
	size_t n = fa->dir_len < fb->dir_len ? fa->dir_len : fb->dir_len;
	int c;

	if ((fa->dir_len == 0) != (fb->dir_len == 0))
		return fa->dir_len == 0 ? -1 : 1;
	c = n > 0 ? memcmp(fa->path, fb->path, n) : 0;
	if (c != 0)
		return c;
	if (fa->dir_len != fb->dir_len)
		return fa->dir_len < fb->dir_len ? -1 : 1;
	if (fa->key != fb->key)
		return fa->key < fb->key ? -1 : 1;
	return strcmp(fa->path + n, fb->path + n);
}

/* file_cmp()'s order in a number, for sort_stable_keyed(): the root's files (0) before the
 * directories' (1), then the first 7 bytes of a root file's name or of a directory's, NUL-padded
 * (a directory whose name is a prefix of another's first); the files of one directory tie. */
static uint64_t file_key(const void *elem)
{
	const struct fileset_file *f = elem;

	if (f->dir_len == 0)
		return sort_prefix_key(f->path, 7) >> 8;
	return (uint64_t)1 << 56 | sort_prefix_key(f->path, f->dir_len) >> 8;
}

static bool same_path(const struct fileset_file *a, const struct fileset_file *b)
{
	return a->key == b->key && a->dir_len == b->dir_len && strcmp(a->path, b->path) == 0;
}

int fileset_sort(struct fileset *set)
{
	/* Paths are unique but for the duplicate reported below, which is an error either way. */
	sort_stable_keyed(set->files, set->n_files, sizeof(*set->files), file_cmp, file_key);
	set->sorted = true;
	for (size_t i = 1; i < set->n_files; i++)
		if (same_path(&set->files[i - 1], &set->files[i]))
			return -EEXIST;
	return 0;
}

static int key_cmp(const void *key, const void *elem)
{
	return path_cmp(key, ((const struct fileset_file *)elem)->path);
}

const struct fileset_file *fileset_find(const struct fileset *set, const char *path)
{
	if (!set->sorted || set->n_files == 0)
		return NULL;
	return bsearch(path, set->files, set->n_files, sizeof(*set->files), key_cmp);
}
