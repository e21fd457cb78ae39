/* state_stamps.c: the [Stamps] section of a deployment record (issue 16, see state.h) — per file,
 * the fstat fields that prove it unwritten since sync last found it equal, so a no-op sync can
 * compare a file by one fstat instead of reading it:
 *
 *   [Stamps]
 *   File=2049 1835012 73 1796474713123456789 1796474713123456789
 *   File=-
 *
 * A stamp only spares a read: a section that does not parse, or whose count is not the files',
 * is dropped whole and every file is read as before. */
#include "state.h"
#include "core.h"
#include "ini.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC_STAMPS "Stamps"
#define KEY_FILE   "File"
#define NO_STAMP   "-"

enum {
	STAMP_TEXT_MAX =
		5 * 21 + 1, /* five decimal 64-bit fields, a space after each but the last */
};

/* "DEV INO SIZE MTIME CTIME", nothing else; or NO_STAMP (ret->set stays false). */
static int stamp_parse(const char *v, struct fs_stamp *ret)
{
	unsigned long long f[3];
	long long t[2];
	int used = -1;

	*ret = (struct fs_stamp){0};
	if (strcmp(v, NO_STAMP) == 0)
		return 0;
	if (strlen(v) >= STAMP_TEXT_MAX || strspn(v, "0123456789 ") != strlen(v) ||
	    sscanf(v, "%llu %llu %llu %lld %lld%n", &f[0], &f[1], &f[2], &t[0], &t[1], &used) !=
		    5 ||
	    used < 0 || v[used] != '\0')
		return -EBADMSG;
	*ret = (struct fs_stamp){.dev = f[0],
				 .ino = f[1],
				 .size = f[2],
				 .mtime_ns = t[0],
				 .ctime_ns = t[1],
				 .set = true};
	return 0;
}

static void stamps_clear(struct state_record *rec)
{
	for (size_t i = 0; i < rec->n_files; i++)
		rec->files[i].stamp = (struct fs_stamp){0};
}

void state_record_stamps_parse(const struct ini *ini, struct state_record *rec)
{
	size_t k = 0;

	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct ini_section *s = &ini->sections[i];

		if (strcmp(s->name, SEC_STAMPS) != 0)
			continue;
		for (size_t j = 0; j < s->n_lines; j++) {
			const struct ini_line *l = &s->lines[j];

			if (l->type != INI_LINE_ENTRY)
				continue;
			if (k >= rec->n_files || strcmp(l->key, KEY_FILE) != 0 ||
			    stamp_parse(l->value, &rec->files[k].stamp) < 0) {
				stamps_clear(rec);
				return;
			}
			k++;
		}
	}
	if (k != rec->n_files)
		stamps_clear(rec);
}

int state_record_stamps_build(const struct state_record *rec, struct ini *ini)
{
	struct ini_section *s = ini->n_sections ? &ini->sections[ini->n_sections - 1] : NULL;
	bool any = false;
	int r;

	for (size_t i = 0; i < rec->n_files; i++)
		any = any || rec->files[i].stamp.set;
	r = any && s ? ini_blank_insert(ini, s, s->n_lines) : 0;
	for (size_t i = 0; any && r >= 0 && i < rec->n_files; i++) {
		const struct fs_stamp *st = &rec->files[i].stamp;
		char v[STAMP_TEXT_MAX];

		if (st->set)
			snprintf(v, sizeof(v),
				 "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64,
				 st->dev, st->ino, st->size, st->mtime_ns, st->ctime_ns);
		else
			snprintf(v, sizeof(v), "%s", NO_STAMP);
		r = ini_entry_append(ini, SEC_STAMPS, KEY_FILE, v);
	}
	return r;
}

int state_record_restamp(int dirfd, const struct state_record *rec, const struct fs_stamp *stamps)
{
	struct state_record copy;
	int r;

	if (!rec || (rec->n_files && (!rec->files || !stamps)))
		return -EINVAL;
	copy = *rec;
	copy.files = rec->n_files ? calloc(rec->n_files, sizeof(*copy.files)) : NULL;
	if (rec->n_files && !copy.files)
		return -ENOMEM;
	for (size_t i = 0; i < rec->n_files; i++) {
		copy.files[i] = rec->files[i];
		copy.files[i].stamp = stamps[i];
	}
	r = state_record_store(dirfd, &copy);
	free(copy.files);
	return r;
}

const struct fs_stamp *state_record_stamp(const struct state_record *rec, size_t i,
					  enum spec_unit_dir dir, const char *name,
					  const char *hash)
{
	const struct state_file *f = rec && i < rec->n_files ? &rec->files[i] : NULL;

	if (!f || !f->stamp.set || f->dir != dir || strcmp(f->name, name) != 0 ||
	    strcmp(rec->hash, hash) != 0)
		return NULL;
	return &f->stamp;
}
