/* report.c: doctor's output — the aligned table (status, category/name, detail, and the hint
 * under every row that is not a PASS), coloured only on a tty, with the summary line; or the
 * same rows as one JSON document for monitoring. Also the row list itself. */
#include "doctor/doctor.h"

#include "json.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const status_names[] = {
	[DOCTOR_PASS] = "PASS",
	[DOCTOR_WARN] = "WARN",
	[DOCTOR_FAIL] = "FAIL",
	[DOCTOR_SKIP] = "SKIP",
};

/* SGR colours of the statuses on a tty: green, yellow, red, dim. */
static const char *const status_colours[] = {
	[DOCTOR_PASS] = "\033[32m",
	[DOCTOR_WARN] = "\033[33m",
	[DOCTOR_FAIL] = "\033[31m",
	[DOCTOR_SKIP] = "\033[2m",
};

void doctor_row(struct doctor *d, const char *name, enum doctor_status status, const char *hint,
		const char *fmt, ...)
{
	struct doctor_row *row;
	va_list ap;

	if (d->n_rows == DOCTOR_ROWS_MAX)
		return; /* a fixed set of rows per category: never reached */
	row = &d->rows[d->n_rows++];
	row->category = d->category;
	snprintf(row->name, sizeof(row->name), "%s", name);
	row->status = status;
	snprintf(row->hint, sizeof(row->hint), "%s",
		 (status == DOCTOR_WARN || status == DOCTOR_FAIL) && hint ? hint : "");
	va_start(ap, fmt);
	vsnprintf(row->detail, sizeof(row->detail), fmt, ap);
	va_end(ap);
}

void doctor_names_add(struct doctor_names *l, const char *name)
{
	size_t len = strlen(l->text);

	if (l->n++ < DOCTOR_NAMES_SHOWN)
		snprintf(l->text + len, sizeof(l->text) - len, "%s%s", len ? ", " : "", name);
	else if (l->n == DOCTOR_NAMES_SHOWN + 1)
		snprintf(l->text + len, sizeof(l->text) - len, " and more");
}

int doctor_lstat(const char *path, struct stat *st)
{
	return lstat(path, st) < 0 ? -errno : 0;
}

const char *doctor_owned_mode(const struct stat *st, bool dir, uid_t owner, mode_t deny, char *buf,
			      size_t size)
{
	buf[0] = '\0';
	if (S_ISLNK(st->st_mode))
		snprintf(buf, size, "is a symbolic link");
	else if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		snprintf(buf, size, "is not a %s", dir ? "directory" : "regular file");
	else if (st->st_uid != owner)
		snprintf(buf, size, "is owned by uid %u, not %u", (unsigned)st->st_uid,
			 (unsigned)owner);
	else if (st->st_mode & deny)
		snprintf(buf, size, "has mode %04o (%04o must be clear)",
			 (unsigned)(st->st_mode & 07777), (unsigned)deny);
	return buf;
}

size_t doctor_count(const struct doctor *d, enum doctor_status status)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_rows; i++)
		n += d->rows[i].status == status;
	return n;
}

static int print_summary(const struct doctor *d)
{
	printf("%zu pass, %zu warn, %zu fail", doctor_count(d, DOCTOR_PASS),
	       doctor_count(d, DOCTOR_WARN), doctor_count(d, DOCTOR_FAIL));
	if (doctor_count(d, DOCTOR_SKIP))
		printf(", %zu skipped", doctor_count(d, DOCTOR_SKIP));
	printf("\n");
	return (int)doctor_count(d, DOCTOR_FAIL);
}

int doctor_print_table(const struct doctor *d, bool colour)
{
	int width = 0;

	for (size_t i = 0; i < d->n_rows; i++) {
		int w = (int)(strlen(d->rows[i].category) + 1 + strlen(d->rows[i].name));

		width = w > width ? w : width;
	}
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct doctor_row *r = &d->rows[i];
		int pad = width - (int)(strlen(r->category) + 1 + strlen(r->name));

		printf("%s%s%s  %s/%s%*s  %s\n", colour ? status_colours[r->status] : "",
		       status_names[r->status], colour ? "\033[0m" : "", r->category, r->name, pad,
		       "", r->detail);
		if (r->hint[0])
			printf("%*s  -> %s\n", 4 + 2 + width, "", r->hint);
	}
	return print_summary(d);
}

static void json_member(struct json_writer *jw, const char *key, const char *value)
{
	json_write_key(jw, key);
	json_write_string(jw, value);
}

int doctor_print_json(const struct doctor *d)
{
	struct json_writer jw;
	char *doc = NULL;
	int r;

	json_writer_init(&jw, 0, JSON_LOSSY);
	json_begin_object(&jw);
	json_write_key(&jw, "rows");
	json_begin_array(&jw);
	for (size_t i = 0; i < d->n_rows; i++) {
		json_begin_object(&jw);
		json_member(&jw, "category", d->rows[i].category);
		json_member(&jw, "name", d->rows[i].name);
		json_member(&jw, "status", status_names[d->rows[i].status]);
		json_member(&jw, "detail", d->rows[i].detail);
		json_member(&jw, "hint", d->rows[i].hint);
		json_end_object(&jw);
	}
	json_end_array(&jw);
	for (enum doctor_status s = DOCTOR_PASS; s <= DOCTOR_SKIP; s++) {
		char key[8];

		for (size_t k = 0; k < sizeof(key); k++)
			key[k] = (char)(k < 4 ? status_names[s][k] | 0x20 : '\0');
		json_write_key(&jw, key);
		json_write_uint(&jw, doctor_count(d, s));
	}
	json_end_object(&jw);
	r = json_writer_finish(&jw, &doc, NULL);
	json_writer_release(&jw);
	if (r < 0)
		return log_error_errno(r, "cannot build the JSON report");
	printf("%s\n", doc);
	free(doc);
	return (int)doctor_count(d, DOCTOR_FAIL);
}
