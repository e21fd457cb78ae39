/* secret.h: what secret.c (the command line, keys, encrypt) and secret_file.c (rekey and edit of
 * spec files' [Secrets] lines) share. */
#ifndef TAILPOD_SECRET_H
#define TAILPOD_SECRET_H

#include "age.h"

#include <stdbool.h>
#include <stddef.h>

enum { SECRET_FILE_MAX = 16 * 1024 * 1024 }; /* a spec file read by rekey and edit */

struct secret_keys {
	struct age_recipient recipients[AGE_RECIPIENTS_MAX]; /* encrypted to */
	size_t n_recipients;
	struct age_identity id; /* decrypts, when have_id */
	bool have_id;
	const char *key_path; /* where the identity was looked for, for messages */
};

/* A value's text "age:BASE64" or "age:RECIPIENT:BASE64" → its plaintext (age_free_secret). 0,
 * -EINVAL (not such a value), -ENOKEY (no identity, or not for it), or age_decrypt's errors. */
int secret_value_decrypt(const struct secret_keys *k, const char *value, size_t len,
			 uint8_t **plain, size_t *plain_len);

/* plain → malloc'ed NUL-terminated "age:BASE64" encrypted to k's recipients. */
int secret_value_encrypt(const struct secret_keys *k, const void *plain, size_t len, char **ret);

/* `secret rekey FILE`, `secret edit FILE`: exit statuses, problems logged. */
int secret_rekey_file(const struct secret_keys *k, const char *path);
int secret_edit_file(const struct secret_keys *k, const char *path);

#endif
