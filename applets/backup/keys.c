/* keys.c: whom a backup is encrypted to and what opens it — TAILPOD_AGE_RECIPIENTS (a file of
 * age1... lines) plus the host's own recipient when TAILPOD_AGE_KEY exists, so restore and gc on
 * this host can open what it wrote; --identity FILE (or the host's key) decrypts. */
#include "backup.h"

#include "core.h"
#include "fs.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

enum { RECIPIENTS_FILE_MAX = 64 * 1024 };

static int add_recipient_lines(struct backup_keys *k, const char *path, const char *text,
			       size_t len)
{
	size_t line_no = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		line_no++;
		if (end > pos && text[pos] != '#') {
			if (k->n_recipients == AGE_RECIPIENTS_MAX)
				return log_error("%s:%zu: more than %d recipients", path, line_no,
						 AGE_RECIPIENTS_MAX),
				       -E2BIG;
			if (age_recipient_parse(text + pos, end - pos,
						&k->recipients[k->n_recipients]) < 0)
				return log_error("%s:%zu: not an age1... recipient", path, line_no),
				       -EINVAL;
			k->n_recipients++;
		}
		pos = end + 1;
	}
	return 0;
}

static int load_identity(const char *path, bool must_exist, struct backup_keys *k)
{
	const struct fs_trust trust = {.owner = 0, .deny_mode = FS_DENY_SHARED};
	int r = age_identity_load(path, &trust, &k->id);

	if (r == -ENOENT && !must_exist)
		return 0;
	if (r == -EBADMSG)
		return log_error("%s: not an age identity", path), r;
	if (r < 0)
		return log_error_errno(r, "%s: refusing the age identity (a root 0600 file)", path),
		       r;
	k->have_id = true;
	return 0;
}

int backup_keys_load(const struct config *c, const char *identity_path, struct backup_keys *k)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	*k = (struct backup_keys){0};
	r = load_identity(identity_path ? identity_path : c->age_key, identity_path != NULL, k);
	if (r < 0 || !c->age_recipients)
		return r;
	r = fs_read_bounded(AT_FDCWD, c->age_recipients, RECIPIENTS_FILE_MAX, &text, &len);
	if (r < 0)
		return log_error_errno(r, "%s: cannot read the recipients", c->age_recipients), r;
	r = add_recipient_lines(k, c->age_recipients, text, len);
	if (r == 0 && k->have_id && k->n_recipients < AGE_RECIPIENTS_MAX)
		k->recipients[k->n_recipients++] = k->id.recipient;
	return r;
}

void backup_keys_release(struct backup_keys *k)
{
	age_identity_wipe(&k->id);
	k->have_id = false;
}
