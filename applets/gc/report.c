/* report.c: what gc did per category — removed, would remove (--dry-run), kept by a guard,
 * failed — and the bytes freed, as text lines or one JSON object; and the exit status. */
#include "gc/gc.h"

#include "core.h"
#include "json.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* clang-format off */
const char *const gc_category_names[GC_CATEGORIES] = {
	[GC_TEMP] = "temp",
	[GC_RECORDS] = "records",
	[GC_FILES] = "files",
	[GC_IMAGES] = "images",
	[GC_REPOS] = "repos",
	[GC_KEYS] = "keys",
	[GC_BACKUPS] = "backups",
};
/* clang-format on */

static const char *const kind_names[] = {
	[GC_REMOVED] = "removed",
	[GC_WOULD] = "would remove",
	[GC_KEPT] = "kept",
	[GC_FAILED] = "failed",
};

void gc_skip(struct gc_ctx *g, enum gc_category cat, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->skipped[cat], sizeof(g->skipped[cat]), fmt, ap);
	va_end(ap);
	if (!g->skipped[cat][0])
		snprintf(g->skipped[cat], sizeof(g->skipped[cat]), "skipped");
	log_warning("gc %s skipped: %s", gc_category_names[cat], g->skipped[cat]);
}

enum gc_kind gc_removal(const struct gc_ctx *g)
{
	return g->dry_run ? GC_WOULD : GC_REMOVED;
}

void gc_note(struct gc_ctx *g, enum gc_category cat, enum gc_kind kind, long long bytes,
	     const char *what, const char *fmt, ...)
{
	struct gc_entry *e;
	va_list ap;

	if (kind == GC_FAILED) {
		char why[GC_WHY_MAX];

		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		log_error("gc %s: %s: %s", gc_category_names[cat], what, why);
	}
	if (g->n_entries >= GC_ENTRIES_MAX ||
	    (!g->entries && g->n_dropped == 0 &&
	     !(g->entries = calloc(GC_ENTRIES_MAX, sizeof(*e))))) {
		g->n_dropped++;
		return;
	}
	e = &g->entries[g->n_entries++];
	*e = (struct gc_entry){.cat = cat, .kind = kind, .bytes = bytes};
	snprintf(e->what, sizeof(e->what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
}

/* What one category came to: entries of each kind and the bytes its removals freed. */
struct gc_tally {
	unsigned n[GC_FAILED + 1];
	long long bytes;
};

static struct gc_tally tally(const struct gc_ctx *g, enum gc_category cat)
{
	struct gc_tally t = {0};

	for (size_t i = 0; i < g->n_entries; i++) {
		const struct gc_entry *e = &g->entries[i];

		if (e->cat != cat)
			continue;
		t.n[e->kind]++;
		if ((e->kind == GC_REMOVED || e->kind == GC_WOULD) && e->bytes > 0)
			t.bytes += e->bytes;
	}
	return t;
}

static void print_text(const struct gc_ctx *g)
{
	for (size_t i = 0; i < g->n_entries; i++) {
		const struct gc_entry *e = &g->entries[i];

		printf("%s: %s %s", gc_category_names[e->cat], kind_names[e->kind], e->what);
		if (e->bytes >= 0 && e->kind != GC_KEPT)
			printf(" (%lld bytes)", e->bytes);
		printf(e->why[0] ? ": %s\n" : "\n", e->why);
	}
	if (g->n_dropped)
		printf("%zu more entries not listed\n", g->n_dropped);
	for (int c = 0; c < GC_CATEGORIES; c++) {
		struct gc_tally t = tally(g, c);

		if (!g->only[c])
			continue;
		if (g->skipped[c][0]) {
			printf("%s: skipped: %s\n", gc_category_names[c], g->skipped[c]);
			continue;
		}
		printf("%s: %u %s, %lld bytes%s, %u kept, %u failed\n", gc_category_names[c],
		       t.n[gc_removal(g)], kind_names[gc_removal(g)], t.bytes,
		       g->dry_run ? " to free" : " freed", t.n[GC_KEPT], t.n[GC_FAILED]);
	}
}

static void json_entries(struct json_writer *jw, const struct gc_ctx *g, enum gc_category cat)
{
	json_write_key(jw, "entries");
	json_begin_array(jw);
	for (size_t i = 0; i < g->n_entries; i++) {
		const struct gc_entry *e = &g->entries[i];

		if (e->cat != cat)
			continue;
		json_begin_object(jw);
		json_write_key(jw, "action");
		json_write_string(jw, kind_names[e->kind]);
		json_write_key(jw, "what");
		json_write_string(jw, e->what);
		json_write_key(jw, "bytes");
		json_write_int(jw, e->bytes);
		json_write_key(jw, "why");
		json_write_string(jw, e->why);
		json_end_object(jw);
	}
	json_end_array(jw);
}

static int print_json(const struct gc_ctx *g)
{
	_cleanup_free_ char *out = NULL;
	struct json_writer jw;
	int r;

	json_writer_init(&jw, 0, JSON_LOSSY);
	json_begin_object(&jw);
	json_write_key(&jw, "dry_run");
	json_write_bool(&jw, g->dry_run);
	json_write_key(&jw, "categories");
	json_begin_object(&jw);
	for (int c = 0; c < GC_CATEGORIES; c++) {
		struct gc_tally t = tally(g, c);

		if (!g->only[c])
			continue;
		json_write_key(&jw, gc_category_names[c]);
		json_begin_object(&jw);
		json_write_key(&jw, "skipped");
		if (g->skipped[c][0])
			json_write_string(&jw, g->skipped[c]);
		else
			json_write_null(&jw);
		json_write_key(&jw, "bytes");
		json_write_int(&jw, t.bytes);
		json_entries(&jw, g, c);
		json_end_object(&jw);
	}
	json_end_object(&jw);
	json_write_key(&jw, "not_listed");
	json_write_uint(&jw, g->n_dropped);
	json_end_object(&jw);
	r = json_writer_finish(&jw, &out, NULL);
	json_writer_release(&jw);
	if (r < 0)
		return log_error_errno(r, "cannot write the JSON report");
	puts(out);
	return 0;
}

int gc_report(const struct gc_ctx *g, bool json)
{
	bool clean = g->n_dropped == 0;

	for (int c = 0; c < GC_CATEGORIES; c++)
		if (g->only[c] && (g->skipped[c][0] || tally(g, c).n[GC_FAILED]))
			clean = false;
	if (json) {
		if (print_json(g) < 0)
			return EXIT_FAIL;
	} else {
		print_text(g);
	}
	return clean ? EXIT_OK : EXIT_FAIL;
}
