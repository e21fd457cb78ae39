/* state_rollout.c: what the health gate of issue 21 keeps — the [Rollout] section of a deployment
 * record (the deploy that failed, held until the desired files change) and the last good files
 * of each workload under STATE/good, the bytes a rollback writes back.
 *
 *   [Rollout]
 *   FailedHash=<64 hex: desired_workload_hash of the merged files that failed>
 *   FailedCommit=<40 hex>
 *   Reason=restart failed: systemctl: exited with status 1
 *   Pending=yes                  (the good files were being written back: the next run redoes it)
 *
 * A good copy (STATE/good/NAME, 0600) is a header line, then for each file a line
 * "Q|S SIZE PATH" and SIZE bytes and a newline. */
#include "state.h"
#include "core.h"
#include "fs.h"
#include "ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC_ROLLOUT "Rollout"
#define GOOD_HEADER "# tailpod sync: the last good files of this workload; do not edit\n"

enum {
	GOOD_MODE = 0600,      /* root only, as the records */
	GOOD_LINE_MAX = 600,   /* bytes of a file's header line */
	GOOD_SIZE_DIGITS = 10, /* of a file's size: below STATE_GOOD_MAX */
};

void state_reason_set(char dst[STATE_REASON_MAX + 1], const char *reason)
{
	size_t n = 0;

	for (; reason && *reason && n < STATE_REASON_MAX; reason++) {
		unsigned char c = (unsigned char)*reason;

		dst[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static bool reason_valid(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return n <= STATE_REASON_MAX && (n == 0 || (s[0] != ' ' && s[n - 1] != ' '));
}

static bool commit_hex_valid(const char *s)
{
	size_t n = strlen(s);

	return n == STATE_COMMIT_HEX_SIZE - 1 && strspn(s, "0123456789abcdef") == n;
}

int state_record_rollout_parse(const struct ini *ini, struct state_record *rec)
{
	const char *hash = ini_get(ini, SEC_ROLLOUT, "FailedHash");
	const char *commit = ini_get(ini, SEC_ROLLOUT, "FailedCommit");
	const char *reason = ini_get(ini, SEC_ROLLOUT, "Reason");
	const char *pending = ini_get(ini, SEC_ROLLOUT, "Pending");

	if (!hash)
		return 0;
	if (!state_hash_valid(hash) || (commit && !commit_hex_valid(commit)) ||
	    (reason && !reason_valid(reason)) || (pending && strcmp(pending, "yes") != 0))
		return -EBADMSG;
	snprintf(rec->failed_hash, sizeof(rec->failed_hash), "%s", hash);
	snprintf(rec->failed_commit, sizeof(rec->failed_commit), "%s", commit ? commit : "");
	snprintf(rec->failed_reason, sizeof(rec->failed_reason), "%s", reason ? reason : "");
	rec->rollback_pending = pending != NULL;
	return 0;
}

int state_record_rollout_check(const struct state_record *rec)
{
	if (!rec->failed_hash[0])
		return 0;
	if (!memchr(rec->failed_hash, '\0', sizeof(rec->failed_hash)) ||
	    !state_hash_valid(rec->failed_hash) ||
	    !memchr(rec->failed_commit, '\0', sizeof(rec->failed_commit)) ||
	    (rec->failed_commit[0] && !commit_hex_valid(rec->failed_commit)) ||
	    !memchr(rec->failed_reason, '\0', sizeof(rec->failed_reason)) ||
	    !reason_valid(rec->failed_reason))
		return -EINVAL;
	return 0;
}

int state_record_rollout_build(const struct state_record *rec, struct ini *ini)
{
	struct ini_section *s = ini->n_sections ? &ini->sections[ini->n_sections - 1] : NULL;
	int r;

	if (!rec->failed_hash[0])
		return 0;
	r = s ? ini_blank_insert(ini, s, s->n_lines) : 0;
	if (r >= 0)
		r = ini_entry_append(ini, SEC_ROLLOUT, "FailedHash", rec->failed_hash);
	if (r >= 0 && rec->failed_commit[0])
		r = ini_entry_append(ini, SEC_ROLLOUT, "FailedCommit", rec->failed_commit);
	if (r >= 0 && rec->failed_reason[0])
		r = ini_entry_append(ini, SEC_ROLLOUT, "Reason", rec->failed_reason);
	if (r >= 0 && rec->rollback_pending)
		r = ini_entry_append(ini, SEC_ROLLOUT, "Pending", "yes");
	return r;
}

/* The good copy's text: the header, then each file's line and bytes. */
static int good_text(const struct spec_workload *w, char **ret, size_t *ret_len)
{
	size_t cap = sizeof(GOOD_HEADER), len;
	char *buf;

	for (size_t i = 0; i < w->n_units; i++) {
		if (w->units[i].size > STATE_GOOD_MAX)
			return -EFBIG;
		cap += GOOD_LINE_MAX + w->units[i].size + 1;
	}
	if (cap > STATE_GOOD_MAX)
		return -EFBIG;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	len = (size_t)snprintf(buf, cap, "%s", GOOD_HEADER);
	for (size_t i = 0; i < w->n_units; i++) {
		const struct spec_unit *u = &w->units[i];
		int n = snprintf(buf + len, cap - len, "%c %zu %s\n",
				 u->dir == SPEC_UNIT_QUADLET ? 'Q' : 'S', u->size, u->name);

		if (n < 0 || n >= GOOD_LINE_MAX || !state_file_name_valid(u->name, u->dir)) {
			free(buf);
			return -EINVAL;
		}
		len += (size_t)n;
		memcpy(buf + len, u->data, u->size);
		len += u->size;
		buf[len++] = '\n';
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

int state_good_store(int dirfd, const struct spec_workload *w)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	if (!w || w->name[0] == '.' || strchr(w->name, '/'))
		return -EINVAL;
	r = good_text(w, &text, &len);
	return r < 0 ? r : fs_write_atomic(dirfd, w->name, text, len, GOOD_MODE);
}

/* One file's header line at *pos: its kind, size and path (made a C string in place). */
static int good_parse_line(char *buf, size_t len, size_t *pos, struct state_good_file *f)
{
	char *line = buf + *pos, *nl = memchr(line, '\n', len - *pos), *end;
	unsigned long long size = 0;
	size_t digits;

	if (!nl || nl - line > GOOD_LINE_MAX || nl - line < 5 || line[1] != ' ' ||
	    (line[0] != 'Q' && line[0] != 'S'))
		return -EBADMSG;
	*nl = '\0';
	f->dir = line[0] == 'Q' ? SPEC_UNIT_QUADLET : SPEC_UNIT_SYSTEMD;
	digits = strspn(line + 2, "0123456789");
	if (digits == 0 || digits > GOOD_SIZE_DIGITS || line[2 + digits] != ' ')
		return -EBADMSG;
	for (end = line + 2; end < line + 2 + digits; end++)
		size = size * 10 + (unsigned)(*end - '0');
	f->name = end + 1;
	if (!state_file_name_valid(f->name, f->dir))
		return -EBADMSG;
	*pos = (size_t)(nl - buf) + 1;
	if (size > len - *pos || len - *pos - size < 1 || buf[*pos + size] != '\n')
		return -EBADMSG;
	f->data = buf + *pos;
	f->size = (size_t)size;
	*pos += f->size + 1;
	return 0;
}

int state_good_load(int dirfd, const char *name, struct state_good *ret)
{
	struct state_good g = {0};
	size_t len, pos = sizeof(GOOD_HEADER) - 1, n = 0;
	int r;

	if (!name || !ret || name[0] == '.' || strchr(name, '/'))
		return -EINVAL;
	r = fs_read_bounded(dirfd, name, STATE_GOOD_MAX, &g.buf, &len);
	if (r < 0)
		return r;
	if (len < pos || memcmp(g.buf, GOOD_HEADER, pos) != 0)
		r = -EBADMSG;
	for (size_t i = pos; r >= 0 && i < len; i++)
		n += g.buf[i] == '\n'; /* at least one per file */
	g.files = r >= 0 ? calloc(n + 1, sizeof(*g.files)) : NULL;
	if (r >= 0 && !g.files)
		r = -ENOMEM;
	while (r >= 0 && pos < len && g.n_files < STATE_FILES_MAX && g.n_files < n)
		r = good_parse_line(g.buf, len, &pos, &g.files[g.n_files++]);
	if (r >= 0 && pos != len)
		r = -EBADMSG;
	if (r < 0) {
		state_good_release(&g);
		return r;
	}
	*ret = g;
	return 0;
}

int state_good_remove(int dirfd, const char *name)
{
	if (!name || name[0] == '.' || strchr(name, '/'))
		return -EINVAL;
	if (unlinkat(dirfd, name, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

void state_good_release(struct state_good *g)
{
	if (!g)
		return;
	free(g->buf);
	free(g->files);
	*g = (struct state_good){0};
}
