/* secret.h: what secret.c (the command line, keys, encrypt), secret_file.c (values, [Secrets]
 * lines, rekey) and secret_edit.c (edit) share. */
#ifndef TAILPOD_SECRET_H
#define TAILPOD_SECRET_H

#include "age.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

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

/* One line of the file: where its value starts, if it is a [Secrets] value line. */
struct secret_line {
	const char *line;
	size_t len;
	size_t value_at; /* 0: not a value line */
	bool is_file;	 /* File= (the value is bytes, shown in base64) */
};

/* A growing output buffer; wiped on free since it may hold plaintext. */
struct secret_out {
	char *buf;
	size_t len, cap;
	int err;
};

/* The [Secrets] line of a spec file at pos: fills v, returns the next position; *in_secrets
 * follows the section headers. */
size_t secret_scan_line(const char *text, size_t len, size_t pos, bool *in_secrets,
			struct secret_line *v);
/* The value's length without its line end. */
size_t secret_value_len(const struct secret_line *v);
bool secret_has_prefix(const char *s, size_t len, const char *prefix);
/* A plaintext value's bytes (File=: base64-decoded), wiped on free. */
int secret_plain_of_text(const struct secret_line *v, uint8_t **plain, size_t *len);
/* v's line with its value replaced by a fresh encryption of plain, appended to o. */
int secret_put_encrypted(const struct secret_keys *k, const struct secret_line *v,
			 const uint8_t *plain, size_t len, struct secret_out *o);
void secret_out_put(struct secret_out *o, const void *p, size_t n);
void secret_out_free(struct secret_out *o);
/* Read a spec file (no symlink, regular, SECRET_FILE_MAX) and write it back atomically with
 * st's mode; both log their failure. */
int secret_read_spec(const char *path, char **text, size_t *len, struct stat *st);
int secret_write_spec(const char *path, const struct secret_out *o, const struct stat *st);

/* `secret rekey FILE`, `secret edit FILE`: exit statuses, problems logged. */
int secret_rekey_file(const struct secret_keys *k, const char *path);
int secret_edit_file(const struct secret_keys *k, const char *path);

#endif
