/* envfile.c: systemd EnvironmentFile= parser (module boundary: core, libc only). It replays the
 * state machine of systemd's parse_env_file_internal() (src/basic/env-file.c) as load_env_file()
 * and exec_context_load_environment() (src/core/execute.c) use it. The rules, each with a test in
 * tests/unit/test-envfile.c:
 *  R1  Before a key, '#' or ';' starts a comment that runs to the line end. A backslash does not
 *      continue a comment (systemd >= 254; older versions continued it).
 *  R2  Blanks and line breaks before a key are skipped, and so are empty lines.
 *  R3  The key is everything up to the first '=', trailing blanks trimmed. A line break before any
 *      '=' drops the line (systemd says nothing; we add a diagnostic).
 *  R4  Blanks after '=' are skipped; "KEY=" alone is the empty string.
 *  R5  Unquoted values run to the line end, trailing blanks trimmed. A backslash takes the next
 *      character literally ("\n" is 'n', "\ " a kept space); backslash-newline joins the next
 *      line, whose leading blanks are kept, and so are blanks before such a backslash.
 *  R6  Single quotes: everything up to the next single quote, line breaks included, no escapes.
 *  R7  Double quotes: up to the next unescaped '"'. \" \\ \` \$ give the character, a
 *      backslash-newline is dropped, a backslash before anything else stays ("\n" is 2 bytes).
 *  R8  Pieces concatenate: after a closing quote blanks are skipped and more quoted or unquoted
 *      text continues the value (A="a" 'b' c is "abc"). A quote inside unquoted text is literal.
 *  R9  There are no trailing comments: '#' after value text belongs to the value.
 *  R10 An unterminated quote takes the rest of the file as the value (systemd says nothing; we add
 *      a diagnostic).
 *  R11 Outside quotes "\r" ends a line like "\n", so CRLF files read as expected; inside quotes it
 *      is kept.
 *  R12 There is no "export" prefix: "export A=1" has the key "export A", invalid by R13.
 *  R13 Names must match [A-Za-z_][A-Za-z0-9_]* (env_name_is_valid()); other assignments are
 *      dropped with a diagnostic, as systemd logs "Ignoring invalid environment assignment".
 *  R14 Invalid UTF-8 in a key or value fails the whole file, as in systemd (the unit fails).
 *  R15 A repeated key replaces the earlier value and keeps the first one's place
 *      (strv_env_replace_consume()).
 *  R16 No "$VAR" expansion: EnvironmentFile= uses load_env_file(), not merge_env_file().
 *  R17 A NUL byte fails the file; systemd silently stops reading at it.
 *  R18 Line numbers are where the key starts; systemd reports the line after the assignment.
 * Scratch buffers are allocated once at their bound and wiped, so no realloc leaves copies of a
 * secret behind; diagnostics never carry file text, since a line without '=' may be a pasted key.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"
#include "fs.h"
#include "envfile.h"
#include "utf8.h"

enum state {
	PRE_KEY,
	KEY,
	PRE_VALUE,
	VALUE,
	VALUE_ESCAPE,
	SINGLE_QUOTE_VALUE,
	DOUBLE_QUOTE_VALUE,
	DOUBLE_QUOTE_VALUE_ESCAPE,
	COMMENT,
};

struct parser {
	struct envfile *ef;
	struct envfile_error *err;
	const char *name;
	enum state state;
	/* Scratch for the key and value being read: never longer than the input or the bound. */
	char *key;
	size_t n_key;
	size_t key_ws; /* start of the key's trailing blanks, SIZE_MAX if none */
	char *value;
	size_t n_value;
	size_t value_ws; /* as key_ws, for unquoted values */
	size_t key_size, value_size;
	unsigned line;
	unsigned key_line;
	bool key_overflow; /* longer than ENVFILE_KEY_MAX: an error only if an '=' follows */
	bool failed;
};

static bool is_newline(char c)
{
	return c == '\n' || c == '\r';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* systemd's env_name_is_valid(): the bash character set. */
static bool name_valid(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

struct envfile *envfile_free(struct envfile *ef)
{
	if (!ef)
		return NULL;
	for (size_t i = 0; i < ef->n_entries; i++) {
		wipe_free(ef->entries[i].key);
		wipe_free(ef->entries[i].value);
	}
	free(ef->entries);
	free(ef);
	return NULL;
}

const char *envfile_get(const struct envfile *ef, const char *key)
{
	for (size_t i = 0; i < ef->n_entries; i++)
		if (strcmp(ef->entries[i].key, key) == 0)
			return ef->entries[i].value;
	return NULL;
}

static int parse_fail(struct parser *p, int r, unsigned line, const char *msg)
{
	if (p->err) {
		*p->err = (struct envfile_error){.where = p->name, .line = line};
		error_detail_set(p->err, "%s", msg);
	}
	p->failed = true;
	return r;
}

static void diag(struct envfile *ef, unsigned line, const char *msg)
{
	if (ef->n_diags < ENVFILE_DIAGS_MAX)
		ef->diags[ef->n_diags++] = (struct envfile_diag){.line = line, .msg = msg};
	else
		ef->n_diags_dropped++;
}

static void diag_invalid_name(struct parser *p)
{
	const char *rest = p->key;

	if (strncmp(rest, "export", 6) == 0 && is_blank(rest[6])) {
		for (rest += 6; is_blank(*rest); rest++)
			;
		if (name_valid(rest)) {
			diag(p->ef, p->key_line, "'export' is not supported, ignoring");
			return;
		}
	}
	diag(p->ef, p->key_line, "invalid variable name, ignoring");
}

static char *memdup_str(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int store(struct parser *p, char *value)
{
	struct envfile *ef = p->ef;
	struct envfile_entry *e;
	size_t want;

	for (size_t i = 0; i < ef->n_entries; i++)
		if (strcmp(ef->entries[i].key, p->key) == 0) {
			wipe_free(ef->entries[i].value);
			ef->entries[i].value = value;
			ef->entries[i].line = p->key_line;
			return 0;
		}
	if (ef->n_entries >= ENVFILE_ENTRIES_MAX)
		return -E2BIG;
	if (ef->n_entries == ef->n_alloc) {
		want = ef->n_alloc ? ef->n_alloc * 2 : 16;
		e = realloc(ef->entries, want * sizeof(*e));
		if (!e)
			return -ENOMEM;
		ef->entries = e;
		ef->n_alloc = want;
	}
	e = &ef->entries[ef->n_entries];
	e->key = strdup(p->key);
	if (!e->key)
		return -ENOMEM;
	e->value = value;
	e->line = p->key_line;
	ef->n_entries++;
	return 0;
}

/* One assignment is complete: systemd's load_env_file_push() plus the clean-up that
 * exec_context_load_environment() applies afterwards. */
static int push(struct parser *p)
{
	char *value;
	int r;

	if (p->key_ws != SIZE_MAX)
		p->n_key = p->key_ws;
	/* value_ws is only ever set in unquoted text and reset by a backslash, so this trims
	 * exactly where systemd does (a line end or the end of file in the VALUE state). */
	if (p->value_ws != SIZE_MAX)
		p->n_value = p->value_ws;
	p->key[p->n_key] = '\0';
	if (!utf8_is_valid(p->key, p->n_key) || !utf8_is_valid(p->value, p->n_value))
		return parse_fail(p, -EBADMSG, p->key_line, "invalid UTF-8");
	if (!name_valid(p->key)) {
		diag_invalid_name(p);
		r = 0;
		goto out;
	}
	value = memdup_str(p->value, p->n_value);
	if (!value)
		return -ENOMEM;
	r = store(p, value);
	if (r < 0)
		wipe_free(value);
	if (r == -E2BIG)
		r = parse_fail(p, r, p->key_line, "more than 4096 variables (ENVFILE_ENTRIES_MAX)");
out:
	p->n_key = 0;
	p->n_value = 0;
	return r;
}

/* A long line without '=' (a pasted certificate, say) is only dropped, as systemd does. */
static void key_add(struct parser *p, char c)
{
	if (p->n_key >= ENVFILE_KEY_MAX)
		p->key_overflow = true;
	else
		p->key[p->n_key++] = c;
}

static int value_add(struct parser *p, char c)
{
	if (p->n_value >= ENVFILE_VALUE_MAX)
		return parse_fail(p, -E2BIG, p->key_line,
				  "value longer than 131072 bytes (ENVFILE_VALUE_MAX)");
	p->value[p->n_value++] = c;
	return 0;
}

static int step_key(struct parser *p, char c)
{
	if (p->state == PRE_KEY) {
		if (c == '#' || c == ';')
			p->state = COMMENT;
		else if (!is_blank(c) && !is_newline(c)) {
			p->state = KEY;
			p->key_line = p->line;
			p->key_ws = SIZE_MAX;
			p->key_overflow = false;
			key_add(p, c);
		}
		return 0;
	}
	if (is_newline(c)) {
		diag(p->ef, p->key_line, "missing '=', ignoring");
		p->state = PRE_KEY;
		p->n_key = 0;
	} else if (c == '=') {
		if (p->key_overflow)
			return parse_fail(p, -E2BIG, p->key_line,
					  "variable name longer than 4096 bytes (ENVFILE_KEY_MAX)");
		p->state = PRE_VALUE;
		p->value_ws = SIZE_MAX;
	} else {
		if (!is_blank(c))
			p->key_ws = SIZE_MAX;
		else if (p->key_ws == SIZE_MAX)
			p->key_ws = p->n_key;
		key_add(p, c);
	}
	return 0;
}

static int step_value(struct parser *p, char c)
{
	if (p->state == PRE_VALUE) {
		if (is_newline(c)) {
			p->state = PRE_KEY;
			return push(p);
		}
		if (c == '\'')
			p->state = SINGLE_QUOTE_VALUE;
		else if (c == '"')
			p->state = DOUBLE_QUOTE_VALUE;
		else if (c == '\\')
			p->state = VALUE_ESCAPE;
		else if (!is_blank(c)) {
			p->state = VALUE;
			return value_add(p, c);
		}
		return 0;
	}
	if (is_newline(c)) {
		p->state = PRE_KEY;
		return push(p);
	}
	if (c == '\\') {
		p->state = VALUE_ESCAPE;
		p->value_ws = SIZE_MAX;
		return 0;
	}
	if (!is_blank(c))
		p->value_ws = SIZE_MAX;
	else if (p->value_ws == SIZE_MAX)
		p->value_ws = p->n_value;
	return value_add(p, c);
}

static int step_quoted(struct parser *p, char c)
{
	int r = 0;

	switch (p->state) {
	case VALUE_ESCAPE:
		p->state = VALUE;
		if (!is_newline(c))
			r = value_add(p, c);
		break;
	case SINGLE_QUOTE_VALUE:
		if (c == '\'')
			p->state = PRE_VALUE;
		else
			r = value_add(p, c);
		break;
	case DOUBLE_QUOTE_VALUE:
		if (c == '"')
			p->state = PRE_VALUE;
		else if (c == '\\')
			p->state = DOUBLE_QUOTE_VALUE_ESCAPE;
		else
			r = value_add(p, c);
		break;
	default: /* DOUBLE_QUOTE_VALUE_ESCAPE */
		p->state = DOUBLE_QUOTE_VALUE;
		if (strchr("\"\\`$", c))
			r = value_add(p, c);
		else if (c != '\n') {
			r = value_add(p, '\\');
			if (r >= 0)
				r = value_add(p, c);
		}
		break;
	}
	return r;
}

static int step(struct parser *p, char c)
{
	switch (p->state) {
	case PRE_KEY:
	case KEY:
		return step_key(p, c);
	case PRE_VALUE:
	case VALUE:
		return step_value(p, c);
	case COMMENT:
		if (is_newline(c))
			p->state = PRE_KEY;
		return 0;
	default:
		return step_quoted(p, c);
	}
}

static int finish(struct parser *p)
{
	switch (p->state) {
	case KEY:
		diag(p->ef, p->key_line, "missing '=', ignoring");
		return 0;
	case SINGLE_QUOTE_VALUE:
	case DOUBLE_QUOTE_VALUE:
	case DOUBLE_QUOTE_VALUE_ESCAPE:
		diag(p->ef, p->key_line, "unterminated quote, value runs to the end of the file");
		return push(p);
	case PRE_VALUE:
	case VALUE:
	case VALUE_ESCAPE:
		return push(p);
	default:
		return 0;
	}
}

static int parser_run(struct parser *p, const char *buf, size_t size)
{
	const char *nul = memchr(buf, '\0', size);
	int r;

	if (nul) {
		unsigned line = 1;

		for (const char *c = buf; c < nul; c++)
			line += *c == '\n';
		return parse_fail(p, -EBADMSG, line, "NUL byte");
	}
	for (size_t i = 0; i < size; i++) {
		r = step(p, buf[i]);
		if (r < 0)
			return r;
		p->line += buf[i] == '\n';
	}
	return finish(p);
}

int envfile_parse(const char *name, const char *buf, size_t size, struct envfile **ret,
		  struct envfile_error *err)
{
	struct parser p = {.err = err, .name = name, .state = PRE_KEY, .line = 1};
	int r = -ENOMEM;

	if (size > ENVFILE_FILE_MAX) {
		r = parse_fail(&p, -EFBIG, 0, "file larger than 1048576 bytes (ENVFILE_FILE_MAX)");
		goto out;
	}
	p.ef = calloc(1, sizeof(*p.ef));
	p.key_size = (size < ENVFILE_KEY_MAX ? size : ENVFILE_KEY_MAX) + 1;
	p.value_size = (size < ENVFILE_VALUE_MAX ? size : ENVFILE_VALUE_MAX) + 1;
	p.key = malloc(p.key_size);
	p.value = malloc(p.value_size);
	if (!p.ef || !p.key || !p.value)
		goto out;
	r = parser_run(&p, buf, size);
out:
	if (p.key)
		explicit_bzero(p.key, p.key_size);
	if (p.value)
		explicit_bzero(p.value, p.value_size);
	free(p.key);
	free(p.value);
	if (r < 0) {
		if (err && !p.failed)
			*err = (struct envfile_error){.where = name};
		envfile_free(p.ef);
		return r;
	}
	*ret = p.ef;
	return 0;
}

/* The content may hold secrets (mint-key's OAuth file): read it with FS_READ_SECURE. */
int envfile_parse_fd(const char *name, int fd, struct envfile **ret, struct envfile_error *err)
{
	char *buf = NULL;
	size_t size = 0;
	int r = fs_read_fd_full(fd, ENVFILE_FILE_MAX, FS_READ_SECURE, &buf, &size);

	if (r < 0) {
		if (err) {
			*err = (struct envfile_error){.where = name};
			if (r == -EFBIG)
				error_detail_set(
					err, "file larger than 1048576 bytes (ENVFILE_FILE_MAX)");
		}
		return r;
	}
	r = envfile_parse(name, buf, size, ret, err);
	fs_free_wiped(buf, size);
	return r;
}

int envfile_parse_path(const char *path, struct envfile **ret, struct envfile_error *err)
{
	_cleanup_close_ int fd = -1;
	int r = fs_open_regular_at(AT_FDCWD, path, &fd);

	if (r < 0) {
		if (err)
			*err = (struct envfile_error){.where = path};
		return r;
	}
	return envfile_parse_fd(path, fd, ret, err);
}
