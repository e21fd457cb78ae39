/* secret_file.c: the [Secrets] lines of a spec file — `Environment=NAME=VALUE` and
 * `File=TARGET:VALUE`, VALUE "age:BASE64" (tailpod) or "age:RECIPIENT:BASE64" (quadsync) — and
 * `secret rekey` (every value re-encrypted to the current recipients, quadsync's form rewritten
 * to tailpod's; every other line passes through untouched). `secret edit` is in secret_edit.c.
 * Plaintext buffers are wiped before they are freed. */
#include "secret.h"

#include "core.h"
#include "fs.h"
#include "log.h"
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium/utils.h>

#define B64_STD sodium_base64_VARIANT_ORIGINAL

void secret_out_put(struct secret_out *o, const void *p, size_t n)
{
	if (o->err || n == 0)
		return;
	if (o->len + n > o->cap) {
		size_t cap = (o->len + n) * 2;
		char *bigger = cap > 4 * (size_t)SECRET_FILE_MAX ? NULL : malloc(cap);

		if (bigger == NULL) {
			o->err = -ENOMEM;
			return;
		}
		if (o->buf)
			memcpy(bigger, o->buf, o->len);
		age_free_secret(o->buf, o->cap);
		o->buf = bigger;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

void secret_out_free(struct secret_out *o)
{
	age_free_secret(o->buf, o->cap);
	*o = (struct secret_out){0};
}

int secret_value_encrypt(const struct secret_keys *k, const void *plain, size_t len, char **ret)
{
	uint8_t *file;
	size_t file_len, b64_len;
	char *text;
	int r = age_encrypt(k->recipients, k->n_recipients, plain, len, &file, &file_len);

	if (r < 0)
		return r;
	b64_len = sodium_base64_ENCODED_LEN(file_len, B64_STD);
	text = malloc(4 + b64_len);
	if (text == NULL)
		return free(file), -ENOMEM;
	memcpy(text, "age:", 4);
	sodium_bin2base64(text + 4, b64_len, file, file_len, B64_STD);
	free(file);
	*ret = text;
	return 0;
}

/* value (len bytes, no NUL) as core's spec_secret_value() reads it for sync — plaintext as is
 * (a File= value base64-decoded), an age value decrypted with k's identity — so the editor and
 * rekey accept exactly what sync deploys. The copy is wiped: it may be plaintext. */
static int value_plain(const struct secret_keys *k, const char *value, size_t len, bool is_file,
		       uint8_t **plain, size_t *plain_len)
{
	struct spec_secret s = {.type = is_file ? SPEC_SECRET_MOUNT : SPEC_SECRET_ENV,
				.plaintext = !secret_has_prefix(value, len, "age:")};
	int r;

	if (len > SECRET_FILE_MAX)
		return -EFBIG;
	s.value = malloc(len + 1);
	if (s.value == NULL)
		return -ENOMEM;
	memcpy(s.value, value, len);
	s.value[len] = '\0';
	r = spec_secret_value(&s, k && k->have_id ? &k->id : NULL, plain, plain_len);
	age_free_secret(s.value, len + 1);
	return r;
}

int secret_value_decrypt(const struct secret_keys *k, const char *value, size_t len,
			 uint8_t **plain, size_t *plain_len)
{
	if (!secret_has_prefix(value, len, "age:"))
		return -EINVAL;
	return value_plain(k, value, len, false, plain, plain_len);
}

bool secret_has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/* Split text into lines, tracking the section; value lines of [Secrets] get value_at. Returns the
 * next position. */
/* "[Secrets]" and nothing but blanks after it ("[SecretsX]" is another section). */
static bool is_secrets_header(const char *line, size_t len)
{
	if (!secret_has_prefix(line, len, "[Secrets]"))
		return false;
	for (size_t i = strlen("[Secrets]"); i < len; i++)
		if (!strchr(" \t\r\n", line[i]) || line[i] == '\0')
			return false;
	return true;
}

size_t secret_scan_line(const char *text, size_t len, size_t pos, bool *in_secrets,
			struct secret_line *v)
{
	const char *nl = memchr(text + pos, '\n', len - pos);
	size_t end = nl ? (size_t)(nl - text) + 1 : len;
	const char *sep;

	*v = (struct secret_line){.line = text + pos, .len = end - pos};
	if (v->len > 0 && v->line[0] == '[')
		*in_secrets = is_secrets_header(v->line, v->len);
	else if (*in_secrets && secret_has_prefix(v->line, v->len, "Environment=")) {
		sep = memchr(v->line + 12, '=', v->len - 12);
		if (sep)
			v->value_at = (size_t)(sep - v->line) + 1;
	} else if (*in_secrets && secret_has_prefix(v->line, v->len, "File=")) {
		sep = memchr(v->line + 5, ':', v->len - 5);
		v->is_file = true;
		if (sep)
			v->value_at = (size_t)(sep - v->line) + 1;
	}
	return end;
}

/* The value's text without its line end. */
size_t secret_value_len(const struct secret_line *v)
{
	size_t n = v->len - v->value_at;

	while (n > 0 &&
	       (v->line[v->value_at + n - 1] == '\n' || v->line[v->value_at + n - 1] == '\r'))
		n--;
	return n;
}

/* A plaintext line's bytes (a File= value is base64 of them). */
int secret_plain_of_text(const struct secret_line *v, uint8_t **plain, size_t *len)
{
	return value_plain(NULL, v->line + v->value_at, secret_value_len(v), v->is_file, plain,
			   len);
}

/* The line with its value replaced by a fresh encryption of plain. */
int secret_put_encrypted(const struct secret_keys *k, const struct secret_line *v,
			 const uint8_t *plain, size_t len, struct secret_out *o)
{
	char *value;
	int r = secret_value_encrypt(k, plain, len, &value);

	if (r < 0)
		return r;
	secret_out_put(o, v->line, v->value_at);
	secret_out_put(o, value, strlen(value));
	secret_out_put(o, "\n", 1);
	free(value);
	return o->err;
}

int secret_read_spec(const char *path, char **text, size_t *len, struct stat *st)
{
	int fd, r = fs_open_trusted(AT_FDCWD, path, NULL, &fd, st);

	if (r < 0)
		return log_error_errno(r, "%s: cannot read", path), r;
	r = fs_read_fd_full(fd, SECRET_FILE_MAX, FS_READ_SECURE, text, len);
	close(fd);
	if (r < 0)
		log_error_errno(r, "%s: cannot read", path);
	return r;
}

int secret_write_spec(const char *path, const struct secret_out *o, const struct stat *st)
{
	/* The owner and group are kept too: root editing a user's spec must not take it over. */
	uid_t uid = st->st_uid == geteuid() ? (uid_t)-1 : st->st_uid;
	gid_t gid = st->st_gid == getegid() ? (gid_t)-1 : st->st_gid;
	const char *base;
	int dirfd, r = fs_open_parent(path, &dirfd, &base);

	if (r == 0) {
		r = fs_write_atomic_owned(dirfd, base, o->buf, o->len, st->st_mode & 07777, uid,
					  gid);
		close(dirfd);
	}
	if (r < 0)
		log_error_errno(r, "%s: not written", path);
	return r;
}

int secret_rekey_file(const struct secret_keys *k, const char *path)
{
	char *text;
	size_t len, line_no = 0;
	struct stat st;
	struct secret_out o = {0};
	bool in_secrets = false;
	int r = secret_read_spec(path, &text, &len, &st);

	if (r < 0)
		return EXIT_FAIL;
	for (size_t pos = 0; pos < len && r == 0;) {
		struct secret_line v;
		uint8_t *plain;
		size_t plain_len;

		pos = secret_scan_line(text, len, pos, &in_secrets, &v);
		line_no++;
		if (v.value_at == 0) {
			secret_out_put(&o, v.line, v.len);
			continue;
		}
		r = secret_has_prefix(v.line + v.value_at, secret_value_len(&v), "age:")
			    ? secret_value_decrypt(k, v.line + v.value_at, secret_value_len(&v),
						   &plain, &plain_len)
			    : secret_plain_of_text(&v, &plain, &plain_len);
		if (r < 0) {
			log_error_errno(r, "%s:%zu: cannot read this value%s", path, line_no,
					k->have_id ? "" : " (no age identity)");
			break;
		}
		r = secret_put_encrypted(k, &v, plain, plain_len, &o);
		age_free_secret(plain, plain_len);
	}
	fs_free_wiped(text, len);
	if (r == 0)
		r = o.err ? o.err : secret_write_spec(path, &o, &st);
	secret_out_free(&o);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
