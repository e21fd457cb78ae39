/* secret_edit.c: `tailpod secret edit FILE` — the [Secrets] values decrypted into a 0600 temp file
 * in /dev/shm (else $TMPDIR, else /tmp), $VISUAL/$EDITOR run on it without a shell, then only the
 * lines whose plaintext changed encrypted again: a line shown and left alone is written back byte
 * for byte (git shows no diff). The temp file is removed on every path, a terminating signal
 * included; plaintext buffers are wiped before they are freed. */
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
static int write_temp(const struct secret_out *o)
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
		     struct secret_out *view)
{
	bool in_secrets = false;
	size_t line_no = 0;

	for (size_t pos = 0; pos < len;) {
		struct secret_line v;
		uint8_t *plain = NULL;
		size_t plain_len = 0;
		int r;

		pos = secret_scan_line(text, len, pos, &in_secrets, &v);
		line_no++;
		r = v.value_at && secret_has_prefix(v.line + v.value_at, secret_value_len(&v),
						    "age:")
			    ? secret_value_decrypt(k, v.line + v.value_at, secret_value_len(&v),
						   &plain, &plain_len)
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
			secret_out_put(view, v.line, v.len);
			continue;
		}
		secret_out_put(view, v.line, v.value_at);
		if (v.is_file) {
			size_t b64_len = sodium_base64_ENCODED_LEN(plain_len, B64_STD);
			char *b64 = malloc(b64_len);

			if (b64 == NULL)
				view->err = -ENOMEM;
			else
				sodium_bin2base64(b64, b64_len, plain, plain_len, B64_STD);
			secret_out_put(view, b64, b64 ? strlen(b64) : 0);
			age_free_secret(b64, b64_len);
		} else {
			secret_out_put(view, plain, plain_len);
		}
		secret_out_put(view, "\n", 1);
		age_free_secret(plain, plain_len);
	}
	return view->err;
}

/* The original of a line the editor showed exactly like this, if any: the line at the same
 * place first, so two values that show alike each keep their own ciphertext. */
static const struct secret_line *original_of(const struct secret_line *shown, size_t n_shown,
					     const struct secret_line *orig, size_t at,
					     const char *line, size_t len)
{
	if (at < n_shown && shown[at].len == len && memcmp(shown[at].line, line, len) == 0)
		return &orig[at];
	for (size_t i = 0; i < n_shown; i++)
		if (shown[i].len == len && memcmp(shown[i].line, line, len) == 0)
			return &orig[i];
	return NULL;
}

static int index_lines(const char *text, size_t len, struct secret_line **ret, size_t *n)
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
		pos = secret_scan_line(text, len, pos, &in_secrets, &(*ret)[(*n)++]);
	return 0;
}

/* The edited view back to file text: unchanged value lines are the original lines, changed
 * plaintext is encrypted, "age:" values and other lines are taken as written. */
static int merge_back(const struct secret_keys *k, const char *orig, size_t orig_len,
		      const struct secret_out *view, const char *edited, size_t edited_len,
		      struct secret_out *o)
{
	struct secret_line *ov = NULL, *sv = NULL;
	size_t n_ov, n_sv;
	bool in_secrets = false;
	int r = index_lines(orig, orig_len, &ov, &n_ov);

	if (r == 0)
		r = index_lines(view->buf, view->len, &sv, &n_sv);
	for (size_t pos = 0, at = 0; r == 0 && pos < edited_len; at++) {
		struct secret_line v;
		const struct secret_line *same;
		uint8_t *plain;
		size_t plain_len;

		pos = secret_scan_line(edited, edited_len, pos, &in_secrets, &v);
		same = n_sv == n_ov ? original_of(sv, n_sv, ov, at, v.line, v.len) : NULL;
		if (same) {
			secret_out_put(o, same->line, same->len);
		} else if (v.value_at == 0 ||
			   secret_has_prefix(v.line + v.value_at, secret_value_len(&v), "age:")) {
			secret_out_put(o, v.line, v.len);
		} else {
			r = secret_plain_of_text(&v, &plain, &plain_len);
			if (r == 0) {
				r = secret_put_encrypted(k, &v, plain, plain_len, o);
				age_free_secret(plain, plain_len);
			}
		}
	}
	free(ov);
	free(sv);
	return r ? r : o->err;
}

static int edit_round(const struct secret_keys *k, const char *path, const char *text, size_t len,
		      struct secret_out *o)
{
	struct secret_out view = {0};
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
	secret_out_free(&view);
	return r;
}

int secret_edit_file(const struct secret_keys *k, const char *path)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	char *text;
	size_t len;
	struct stat st;
	struct secret_out o = {0};
	int r = secret_read_spec(path, &text, &len, &st);

	if (r < 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], remove_temp_and_die);
	r = edit_round(k, path, text, len, &o);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	if (r == 0 && (o.len != len || memcmp(o.buf, text, len) != 0))
		r = secret_write_spec(path, &o, &st);
	else if (r == 0)
		log_info("%s: unchanged", path);
	fs_free_wiped(text, len);
	secret_out_free(&o);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
