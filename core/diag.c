/* diag.c: the bounded, sortable list of (path, line, message) diagnostics (module boundary: core,
 * libc only). Messages are formatted once, cut at DIAG_MSG_MAX; nothing here escapes them, since
 * the applet's output form (terminal or JSON) decides the escaping. */
#include "diag.h"
#include "core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lengths of the n pieces (n <= 3) cut at PATH_MAX - 1 bytes in all, as snprintf would cut
 * them; returns their sum. */
static size_t cut_lengths(size_t len[3], size_t n)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		size_t room = PATH_MAX - 1 - total;

		if (len[i] > room)
			len[i] = room;
		total += len[i];
	}
	return total;
}

static void put_pieces(char *out, const char *const pieces[3], size_t n, const size_t len[3])
{
	for (size_t i = 0; i < n; i++) {
		memcpy(out, pieces[i], len[i]);
		out += len[i];
	}
	*out = '\0';
}

/* The pieces label/relpath is made of, by diag_add's rules, and their lengths (each measured
 * once); returns how many. */
static size_t path_pieces(const char *label, const char *relpath, const char *pieces[3],
			  size_t len[3])
{
	size_t n_label = label ? strlen(label) : 0;

	if (n_label == 0 || (n_label == 1 && label[0] == '.')) {
		pieces[0] = relpath ? relpath : "";
		len[0] = strlen(pieces[0]);
		return 1;
	}
	pieces[0] = label;
	len[0] = n_label;
	if (!relpath || !*relpath)
		return 1;
	pieces[1] = label[n_label - 1] == '/' ? "" : "/";
	len[1] = strlen(pieces[1]);
	pieces[2] = relpath;
	len[2] = strlen(relpath);
	return 3;
}

/* In one allocation of its length (issue 16: a PATH_MAX buffer filled, then strdup'ed, for
 * every unit check builds). */
char *diag_path_join(const char *label, const char *relpath)
{
	const char *pieces[3];
	size_t len[3], n = path_pieces(label, relpath, pieces, len);
	char *out = malloc(cut_lengths(len, n) + 1);

	if (out)
		put_pieces(out, pieces, n, len);
	return out;
}

char *diag_path_join_buf(char buf[PATH_MAX], const char *label, const char *relpath)
{
	const char *pieces[3];
	size_t len[3], n = path_pieces(label, relpath, pieces, len);

	cut_lengths(len, n);
	put_pieces(buf, pieces, n, len);
	return buf;
}

static int diag_fail(struct diag_list *list, int r)
{
	if (!list->error)
		list->error = r;
	return r;
}

int diag_add(struct diag_list *list, const char *label, const char *relpath, unsigned line,
	     const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	struct diag *d;
	va_list ap;

	if (list->n >= DIAG_MAX) {
		list->n_dropped++;
		return 0;
	}
	if (list->n == list->n_alloc) {
		size_t n = list->n_alloc ? list->n_alloc * 2 : 16;
		struct diag *items = reallocarray(list->items, n, sizeof(*items));

		if (!items)
			return diag_fail(list, -ENOMEM);
		list->items = items;
		list->n_alloc = n;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d = &list->items[list->n];
	*d = (struct diag){
		.path = diag_path_join(label, relpath), .line = line, .msg = strdup(msg)};
	if (!d->path || !d->msg) {
		free(d->path);
		free(d->msg);
		return diag_fail(list, -ENOMEM);
	}
	list->n++;
	return 0;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

void diag_list_sort(struct diag_list *list)
{
	size_t out = 0;

	if (list->n == 0)
		return;
	qsort(list->items, list->n, sizeof(*list->items), diag_cmp);
	for (size_t i = 0; i < list->n; i++) {
		if (out > 0 && diag_cmp(&list->items[out - 1], &list->items[i]) == 0) {
			free(list->items[i].path);
			free(list->items[i].msg);
			continue;
		}
		list->items[out++] = list->items[i];
	}
	list->n = out;
}

size_t diag_list_count(const struct diag_list *list)
{
	return list->n + list->n_dropped;
}

void diag_list_truncate(struct diag_list *list, size_t n, size_t dropped)
{
	for (size_t i = n; i < list->n; i++) {
		free(list->items[i].path);
		free(list->items[i].msg);
	}
	if (n < list->n)
		list->n = n;
	list->n_dropped = dropped;
}

int diag_list_move(struct diag_list *to, struct diag_list *from, size_t start, size_t end)
{
	for (size_t i = start; i < end; i++) {
		struct diag *d = &from->items[i];

		if (to->n >= DIAG_MAX) {
			free(d->path);
			free(d->msg);
			*d = (struct diag){0};
			to->n_dropped++;
			continue;
		}
		if (to->n == to->n_alloc) {
			size_t n = to->n_alloc ? to->n_alloc * 2 : 16;
			struct diag *items = reallocarray(to->items, n, sizeof(*items));

			if (!items) /* the rest stays from's, freed with it */
				return diag_fail(to, -ENOMEM);
			to->items = items;
			to->n_alloc = n;
		}
		to->items[to->n++] = *d;
		*d = (struct diag){0}; /* from's release frees nothing of it */
	}
	return 0;
}

void diag_list_moved(struct diag_list *to, struct diag_list *from)
{
	to->n_dropped += from->n_dropped;
	if (!to->error)
		to->error = from->error;
	diag_list_release(from);
}

void diag_list_release(struct diag_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++) {
		free(list->items[i].path);
		free(list->items[i].msg);
	}
	free(list->items);
	*list = (struct diag_list){0};
}
