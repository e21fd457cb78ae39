/* secret_file.c: the [Secrets] lines of a spec file — `Environment=NAME=VALUE` and
 * `File=TARGET:VALUE`, VALUE "age:BASE64" (tailpod) or "age:RECIPIENT:BASE64" (quadsync) — for
 * `secret rekey` (every value re-encrypted to the current recipients, quadsync's form rewritten
 * to tailpod's) and `secret edit` (values decrypted into a 0600 temp file in /dev/shm or $TMPDIR,
 * the editor run without a shell, then only the lines whose plaintext changed re-encrypted:
 * an unchanged line is written back byte for byte, so git shows no diff). Every other line
 * passes through untouched. Plaintext buffers are wiped before they are freed; the temp file is
 * removed on every path, a terminating signal included. */
#include "secret.h"

#include "core.h"
#include "fs.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium/utils.h>

#define B64_STD sodium_base64_VARIANT_ORIGINAL

enum { EDITOR_ARGS_MAX = 32 };

/* One line of the file: where its value starts, if it is a [Secrets] value line. */
struct value_line {
	const char *line;
	size_t len;
	size_t value_at; /* 0: not a value line */
	bool is_file;	 /* File= (the value is bytes, shown in base64) */
};

/* A growing output buffer; wiped on free since it may hold plaintext. */
struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static void out_put(struct out *o, const void *p, size_t n)
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

static void out_free(struct out *o)
{
	age_free_secret(o->buf, o->cap);
	*o = (struct out){0};
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

int secret_value_decrypt(const struct secret_keys *k, const char *value, size_t len,
			 uint8_t **plain, size_t *plain_len)
{
	const char *b64 = value + 4, *colon;
	size_t b64_len, file_len;
	uint8_t *file;
	int r;

	if (len < 4 || memcmp(value, "age:", 4) != 0)
		return -EINVAL;
	/* quadsync's "age:RECIPIENT:BASE64": base64 has no ':', so the form is unambiguous. */
	colon = memchr(b64, ':', len - 4);
	if (colon)
		b64 = colon + 1;
	b64_len = len - (size_t)(b64 - value);
	if (!k->have_id)
		return -ENOKEY;
	file = malloc(b64_len / 4 * 3 + 3);
	if (file == NULL)
		return -ENOMEM;
	if (sodium_base642bin(file, b64_len / 4 * 3 + 3, b64, b64_len, NULL, &file_len, NULL,
			      B64_STD) != 0)
		return free(file), -EINVAL;
	r = age_decrypt(&k->id, file, file_len, plain, plain_len);
	free(file);
	return r;
}

static bool has_prefix_n(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/* Split text into lines, tracking the section; value lines of [Secrets] get value_at. Returns the
 * next position. */
static size_t scan_line(const char *text, size_t len, size_t pos, bool *in_secrets,
			struct value_line *v)
{
	const char *nl = memchr(text + pos, '\n', len - pos);
	size_t end = nl ? (size_t)(nl - text) + 1 : len;
	const char *sep;

	*v = (struct value_line){.line = text + pos, .len = end - pos};
	if (v->len > 0 && v->line[0] == '[')
		*in_secrets = has_prefix_n(v->line, v->len, "[Secrets]");
	else if (*in_secrets && has_prefix_n(v->line, v->len, "Environment=")) {
		sep = memchr(v->line + 12, '=', v->len - 12);
		if (sep)
			v->value_at = (size_t)(sep - v->line) + 1;
	} else if (*in_secrets && has_prefix_n(v->line, v->len, "File=")) {
		sep = memchr(v->line + 5, ':', v->len - 5);
		v->is_file = true;
		if (sep)
			v->value_at = (size_t)(sep - v->line) + 1;
	}
	return end;
}

/* The value's text without its line end. */
static size_t value_len(const struct value_line *v)
{
	size_t n = v->len - v->value_at;

	while (n > 0 &&
	       (v->line[v->value_at + n - 1] == '\n' || v->line[v->value_at + n - 1] == '\r'))
		n--;
	return n;
}

/* What a line shows in the editor, or, when it is already plaintext, its plaintext bytes (a
 * File= value is base64 of them). */
static int plain_of_text(const struct value_line *v, uint8_t **plain, size_t *len)
{
	size_t n = value_len(v);
	const char *text = v->line + v->value_at;
	uint8_t *buf = malloc(n + 1);

	if (buf == NULL)
		return -ENOMEM;
	if (!v->is_file) {
		memcpy(buf, text, n);
		*len = n;
	} else if (sodium_base642bin(buf, n + 1, text, n, NULL, len, NULL, B64_STD) != 0) {
		age_free_secret(buf, n + 1);
		return -EINVAL;
	}
	*plain = buf;
	return 0;
}

/* The line with its value replaced by a fresh encryption of plain. */
static int put_encrypted(const struct secret_keys *k, const struct value_line *v,
			 const uint8_t *plain, size_t len, struct out *o)
{
	char *value;
	int r = secret_value_encrypt(k, plain, len, &value);

	if (r < 0)
		return r;
	out_put(o, v->line, v->value_at);
	out_put(o, value, strlen(value));
	out_put(o, "\n", 1);
	free(value);
	return o->err;
}

static int read_spec(const char *path, char **text, size_t *len, struct stat *st)
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

static int write_spec(const char *path, const struct out *o, const struct stat *st)
{
	int r = fs_write_atomic_path(path, o->buf, o->len, st->st_mode & 07777);

	if (r < 0)
		log_error_errno(r, "%s: not written", path);
	return r;
}

int secret_rekey_file(const struct secret_keys *k, const char *path)
{
	char *text;
	size_t len, line_no = 0;
	struct stat st;
	struct out o = {0};
	bool in_secrets = false;
	int r = read_spec(path, &text, &len, &st);

	if (r < 0)
		return EXIT_FAIL;
	for (size_t pos = 0; pos < len && r == 0;) {
		struct value_line v;
		uint8_t *plain;
		size_t plain_len;

		pos = scan_line(text, len, pos, &in_secrets, &v);
		line_no++;
		if (v.value_at == 0) {
			out_put(&o, v.line, v.len);
			continue;
		}
		r = has_prefix_n(v.line + v.value_at, value_len(&v), "age:")
			    ? secret_value_decrypt(k, v.line + v.value_at, value_len(&v), &plain,
						   &plain_len)
			    : plain_of_text(&v, &plain, &plain_len);
		if (r < 0) {
			log_error_errno(r, "%s:%zu: cannot read this value%s", path, line_no,
					k->have_id ? "" : " (no age identity)");
			break;
		}
		r = put_encrypted(k, &v, plain, plain_len, &o);
		age_free_secret(plain, plain_len);
	}
	fs_free_wiped(text, len);
	if (r == 0)
		r = o.err ? o.err : write_spec(path, &o, &st);
	out_free(&o);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

/* --- edit -------------------------------------------------------------------------------- */

static char temp_path[PATH_MAX]; /* for the signal handler: removed on every exit */

static void remove_temp_and_die(int sig)
{
	if (temp_path[0])
		unlink(temp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void remove_temp(void)
{
	if (temp_path[0])
		unlink(temp_path);
	temp_path[0] = '\0';
}

/* A private temp file holding text: /dev/shm when it is there, else $TMPDIR, else /tmp. */
static int write_temp(const struct out *o)
{
	const char *tmpdir = getenv("TMPDIR");
	struct stat st;
	int fd, r;

	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		tmpdir = "/dev/shm";
	else if (tmpdir == NULL || *tmpdir != '/')
		tmpdir = "/tmp";
	if ((size_t)snprintf(temp_path, sizeof(temp_path), "%s/tailpod-secret.XXXXXX", tmpdir) >=
	    sizeof(temp_path))
		return temp_path[0] = '\0', -ENAMETOOLONG;
	fd = mkstemp(temp_path);
	if (fd < 0)
		return temp_path[0] = '\0', -errno;
	r = fchmod(fd, 0600) < 0 ? -errno : fs_write_all(fd, o->buf, o->len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* $VISUAL or $EDITOR (default vi) split on blanks, no shell, the temp path last. */
static int run_editor(void)
{
	const char *editor = getenv("VISUAL");
	char *words, *argv[EDITOR_ARGS_MAX + 2], *save = NULL;
	int n = 0, status;
	pid_t pid;

	if (editor == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	words = strdup(editor && *editor ? editor : "vi");
	if (words == NULL)
		return -ENOMEM;
	for (char *w = strtok_r(words, " \t\n", &save); w && n < EDITOR_ARGS_MAX;
	     w = strtok_r(NULL, " \t\n", &save))
		argv[n++] = w;
	argv[n++] = temp_path;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	free(words);
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	log_error("the editor %s %d: nothing changed",
		  WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return -ECANCELED;
}

/* The editor's view of the file: values decrypted; what cannot be shown stays as it is. */
static int make_view(const struct secret_keys *k, const char *path, const char *text, size_t len,
		     struct out *view)
{
	bool in_secrets = false;
	size_t line_no = 0;

	for (size_t pos = 0; pos < len;) {
		struct value_line v;
		uint8_t *plain = NULL;
		size_t plain_len = 0;
		int r;

		pos = scan_line(text, len, pos, &in_secrets, &v);
		line_no++;
		r = v.value_at && has_prefix_n(v.line + v.value_at, value_len(&v), "age:")
			    ? secret_value_decrypt(k, v.line + v.value_at, value_len(&v), &plain,
						   &plain_len)
			    : -EINVAL;
		if (r == 0 && !v.is_file &&
		    (memchr(plain, '\n', plain_len) || memchr(plain, 0, plain_len)))
			r = -ERANGE; /* a multi-line environment value cannot be one line */
		if (r < 0) {
			if (v.value_at && r != -EINVAL)
				log_warning_errno(
					r,
					"%s:%zu: cannot show this value%s; it is kept as it "
					"is unless you replace it",
					path, line_no, k->have_id ? "" : " (no age identity)");
			out_put(view, v.line, v.len);
			continue;
		}
		out_put(view, v.line, v.value_at);
		if (v.is_file) {
			size_t b64_len = sodium_base64_ENCODED_LEN(plain_len, B64_STD);
			char *b64 = malloc(b64_len);

			if (b64 == NULL)
				view->err = -ENOMEM;
			else
				sodium_bin2base64(b64, b64_len, plain, plain_len, B64_STD);
			out_put(view, b64, b64 ? strlen(b64) : 0);
			age_free_secret(b64, b64_len);
		} else {
			out_put(view, plain, plain_len);
		}
		out_put(view, "\n", 1);
		age_free_secret(plain, plain_len);
	}
	return view->err;
}

/* The original of a line the editor showed exactly like this, if any. */
static const struct value_line *original_of(const struct value_line *shown, size_t n_shown,
					    const struct value_line *orig, const char *line,
					    size_t len)
{
	for (size_t i = 0; i < n_shown; i++)
		if (shown[i].len == len && memcmp(shown[i].line, line, len) == 0)
			return &orig[i];
	return NULL;
}

static int index_lines(const char *text, size_t len, struct value_line **ret, size_t *n)
{
	bool in_secrets = false;
	size_t cap = 1;

	for (size_t i = 0; i < len; i++)
		cap += text[i] == '\n';
	*ret = calloc(cap, sizeof(**ret));
	if (*ret == NULL)
		return -ENOMEM;
	*n = 0;
	for (size_t pos = 0; pos < len;)
		pos = scan_line(text, len, pos, &in_secrets, &(*ret)[(*n)++]);
	return 0;
}

/* The edited view back to file text: unchanged value lines are the original lines, changed
 * plaintext is encrypted, "age:" values and other lines are taken as written. */
static int merge_back(const struct secret_keys *k, const char *orig, size_t orig_len,
		      const struct out *view, const char *edited, size_t edited_len, struct out *o)
{
	struct value_line *ov = NULL, *sv = NULL;
	size_t n_ov, n_sv;
	bool in_secrets = false;
	int r = index_lines(orig, orig_len, &ov, &n_ov);

	if (r == 0)
		r = index_lines(view->buf, view->len, &sv, &n_sv);
	for (size_t pos = 0; r == 0 && pos < edited_len;) {
		struct value_line v;
		const struct value_line *same;
		uint8_t *plain;
		size_t plain_len;

		pos = scan_line(edited, edited_len, pos, &in_secrets, &v);
		same = n_sv == n_ov ? original_of(sv, n_sv, ov, v.line, v.len) : NULL;
		if (same) {
			out_put(o, same->line, same->len);
		} else if (v.value_at == 0 ||
			   has_prefix_n(v.line + v.value_at, value_len(&v), "age:")) {
			out_put(o, v.line, v.len);
		} else {
			r = plain_of_text(&v, &plain, &plain_len);
			if (r == 0) {
				r = put_encrypted(k, &v, plain, plain_len, o);
				age_free_secret(plain, plain_len);
			}
		}
	}
	free(ov);
	free(sv);
	return r ? r : o->err;
}

static int edit_round(const struct secret_keys *k, const char *path, const char *text, size_t len,
		      struct out *o)
{
	struct out view = {0};
	char *edited = NULL;
	size_t edited_len = 0;
	int r = make_view(k, path, text, len, &view);

	if (r == 0)
		r = write_temp(&view);
	if (r < 0)
		log_error_errno(r, "%s: cannot write the temporary file", path);
	if (r == 0)
		r = run_editor();
	if (r == 0)
		r = fs_read_bounded(AT_FDCWD, temp_path, SECRET_FILE_MAX, &edited, &edited_len);
	remove_temp();
	if (r == 0) {
		r = merge_back(k, text, len, &view, edited, edited_len, o);
		if (r < 0)
			log_error_errno(r,
					"%s: not changed (a File= value must be base64; "
					"encrypting needs recipients)",
					path);
	}
	fs_free_wiped(edited, edited_len);
	out_free(&view);
	return r;
}

int secret_edit_file(const struct secret_keys *k, const char *path)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	char *text;
	size_t len;
	struct stat st;
	struct out o = {0};
	int r = read_spec(path, &text, &len, &st);

	if (r < 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], remove_temp_and_die);
	r = edit_round(k, path, text, len, &o);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	if (r == 0 && (o.len != len || memcmp(o.buf, text, len) != 0))
		r = write_spec(path, &o, &st);
	else if (r == 0)
		log_info("%s: unchanged", path);
	fs_free_wiped(text, len);
	out_free(&o);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
