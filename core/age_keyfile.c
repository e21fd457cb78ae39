/* age_keyfile.c: an age identity read from its file — the one loader that secret, backup and sync
 * share, so the rules are the same for all: a regular file reached without following a link,
 * owned as trust says and with the access trust denies clear, bounded, its bytes held only in
 * memory that is wiped before it is freed. */
#include "age.h"

#include "fs.h"

#include <errno.h>
#include <fcntl.h>

int age_identity_load(const char *path, const struct fs_trust *trust, struct age_identity *id)
{
	char *text = NULL;
	size_t len = 0;
	int r = fs_read_trusted(AT_FDCWD, path, trust, AGE_IDENTITY_FILE_MAX, FS_READ_SECURE, &text,
				&len);

	if (r < 0)
		return r;
	r = age_identity_parse(text, len, id);
	fs_free_wiped(text, len);
	return r < 0 ? -EBADMSG : 0;
}
