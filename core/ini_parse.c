/* ini_parse.c: the parser of systemd/Quadlet unit files (module boundary: core, libc only; the
 * document model and lookups are in ini.c, the byte scans in ini_scan.c). The rules
 * follow systemd's config_parse() (src/shared/conf-parser.c) except where noted:
 *  - Physical lines end in "\n" or "\r\n"; the terminator stays in the raw text. A bare "\r" and a
 *    NUL byte are rejected (systemd takes both as line breaks, Podman as ordinary bytes). A UTF-8
 *    byte-order mark on line 1 is skipped.
 *  - A physical line whose first non-blank character is '#' or ';' is a comment. Inside a
 *    continuation it is skipped and the continuation goes on.
 *  - A line that ends in an unescaped backslash (the last of an odd run) continues: the backslash
 *    becomes a space and the next line is appended as is. A blank line ends the continuation, and
 *    so does the end of the file. Blanks after the backslash are dropped and the line still
 *    continues: systemd would not continue, but Podman's Quadlet, which reads these specs, does
 *    (its test line-continuation-whitespace.container).
 *  - The logical line is trimmed of spaces and tabs; empty, it is a blank line. "[Name]" is a
 *    header: it must end in ']', and the name must be non-empty and free of control characters,
 *    quotes and backslashes (systemd's string_is_safe()) and of brackets (Podman). Anything else
 *    must contain '=': the key is the trimmed text before the first '=', the value the trimmed
 *    text after it. Keys may hold inner spaces ("Foo Bar"): systemd reads them and warns that
 *    the key is unknown, Podman accepts them.
 *  - Stricter than systemd, which warns and ignores: assignments before the first header (Podman's
 *    Quadlet refuses them too), lines without '=', empty keys, keys with control characters.
 *    Invalid UTF-8 outside comments is an error, as in systemd.
 *  - Podman's parser also joins without the space and drops the next line's leading blanks, skips
 *    blank lines inside a continuation, and continues after an escaped backslash; files that
 *    depend on those differences are read the systemd way here. */

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"
#include "fs.h"
#include "ini.h"
#include "ini_internal.h"
#include "utf8.h"

struct parser {
	struct ini *ini;
	struct ini_error *err;
	const char *name;
	const char *buf;
	size_t size;
	struct ini_section *section; /* where lines go: the preamble until the first header */
	char *logical; /* the logical line being joined: never longer than the input or the bound */
	size_t n_logical;
	size_t raw_start; /* offset of the pending logical line's first byte */
	unsigned start_line;
	struct ini_line *pool; /* the arena's lines: the current section has those past pool_used */
	size_t pool_size, pool_used;
	bool nul_or_cr; /* the file holds a NUL or a '\r': lines are searched for them */
	bool pending;	/* inside a continuation */
	bool failed;	/* err is filled */
};

/* The section lines now go to: the current one keeps what it has, the rest of the pool is s's.
 * (A line per physical line: a section never outgrows the pool while the file is parsed.) */
static void parser_take_pool(struct parser *p, struct ini_section *s)
{
	if (p->section && p->section->lines == p->pool + p->pool_used) {
		p->pool_used += p->section->n_lines;
		p->section->n_alloc = p->section->n_lines;
	}
	s->lines = p->pool + p->pool_used;
	s->n_alloc = p->pool_size - p->pool_used;
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* What the per-byte loops of a key and a section name stop at, looked up instead of compared. */
enum {
	BYTE_CONTROL = 1 << 0, /* is_control() */
	BYTE_QUOTE = 1 << 1,   /* not in a section name: " ' \\ [ ] */
	BYTE_EQUALS = 1 << 2,  /* ends a key */
};

static const unsigned char byte_class[256] = {
	[0x00 ... 0x1f] = BYTE_CONTROL,
	[0x7f] = BYTE_CONTROL,
	['"'] = BYTE_QUOTE,
	['\''] = BYTE_QUOTE,
	['\\'] = BYTE_QUOTE,
	['['] = BYTE_QUOTE,
	[']'] = BYTE_QUOTE,
	['='] = BYTE_EQUALS,
};

/* Forced inline: three calls a line, and -Os would not inline it. */
__attribute__((always_inline)) static inline void strip(const char **s, size_t *n)
{
	while (*n > 0 && ini_char_is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ini_char_is_blank((*s)[*n - 1]))
		(*n)--;
}

/* A section name's bytes besides the UTF-8 check, which the parser makes on the whole line. */
static bool section_chars_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (byte_class[(unsigned char)s[i]] & (BYTE_CONTROL | BYTE_QUOTE))
			return false;
	return true;
}

bool ini_section_name_valid(const char *s, size_t n)
{
	return n > 0 && utf8_is_valid(s, n) && section_chars_valid(s, n);
}

bool ini_key_chars_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_control((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_fail(struct parser *p, int r, unsigned line, const char *msg)
{
	if (p->err) {
		*p->err = (struct ini_error){.where = p->name, .line = line};
		error_detail_set(p->err, "%s", msg);
	}
	p->failed = true;
	return r;
}

static int parse_fail_bound(struct parser *p, unsigned line)
{
	if (p->ini->n_lines >= INI_LINES_MAX)
		return parse_fail(p, -E2BIG, line, "more than 65536 lines (INI_LINES_MAX)");
	return parse_fail(p, -E2BIG, line, "more than 8192 entries (INI_ENTRIES_MAX)");
}

/* The document's first chunk, sized to hold the whole parse (issue 16: a malloc per line, key
 * and value was most of check's time and memory): a section per '[' byte but no more than the
 * lines, a line per physical line, and per logical line its raw text, key and value (never
 * longer than the raw text together) and their NULs; a header's name and raw text alike. */
static int arena_init(struct parser *p)
{
	struct ini_scan scan;
	size_t lines, sections, strings, need;
	struct ini *ini;
	int r;

	ini_scan_file(p->buf, p->size, &scan);
	lines = scan.newlines + 1;
	sections = (scan.brackets < lines ? scan.brackets : lines) + 1;
	p->nul_or_cr = scan.nul_or_cr;
	p->pool_size = lines;
	strings = 2 * p->size + 3 * lines;
	need = sections * sizeof(struct ini_section) + lines * sizeof(struct ini_line) + strings;
	r = ini_arena_new(need + 2 * alignof(max_align_t), &p->ini);
	if (r < 0)
		return r;
	ini = p->ini;
	ini->sections = ini_arena_alloc(ini, sections * sizeof(struct ini_section),
					alignof(struct ini_section));
	p->pool = ini_arena_alloc(ini, lines * sizeof(struct ini_line), alignof(struct ini_line));
	if (!ini->sections || !p->pool)
		return -ENOMEM;
	ini->n_alloc = sections;
	parser_take_pool(p, &ini->preamble);
	return 0;
}

/* Copy s[0..n) and a NUL to d; the byte after the NUL. */
__attribute__((always_inline)) static inline char *put_string(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	d[n] = '\0';
	return d + n + 1;
}

/* Append l to the current section. Its room is the pool's, a line per physical line, so no
 * array grows here (ini_line_insert() would take over if one had to); the bounds still hold. */
static int parser_append(struct parser *p, struct ini_line *l)
{
	struct ini *ini = p->ini;
	struct ini_section *s = p->section;

	if (s->n_lines >= s->n_alloc)
		return ini_line_insert(ini, s, s->n_lines, l);
	if (!ini_line_fits(ini, l->type))
		return -E2BIG;
	s->lines[s->n_lines++] = *l;
	ini->n_lines++;
	ini->n_entries += l->type == INI_LINE_ENTRY;
	return 0;
}

/* Store a blank, comment or entry line whose raw text runs from p->raw_start to raw_end. */
static int parser_add(struct parser *p, enum ini_line_type type, size_t raw_end, const char *key,
		      size_t n_key, const char *value, size_t n_value, bool open)
{
	struct ini_line l = {.type = type, .line = p->start_line, .open = open};
	size_t n_raw = raw_end - p->raw_start;
	size_t n_text = n_raw + 1 + (type == INI_LINE_ENTRY ? n_key + 1 + n_value + 1 : 0);
	char *text = ini_arena_alloc(p->ini, n_text, 1); /* one allocation for the three strings */
	int r;

	if (!text)
		return -ENOMEM;
	l.raw = text;
	text = put_string(text, p->buf + p->raw_start, n_raw);
	if (type == INI_LINE_ENTRY) {
		l.key = text;
		text = put_string(text, key, n_key);
		l.value = text;
		put_string(text, value, n_value);
	}
	r = parser_append(p, &l);
	if (r == -E2BIG)
		r = parse_fail_bound(p, p->start_line);
	return r;
}

static int parser_header(struct parser *p, const char *s, size_t n, size_t raw_end, bool open)
{
	struct ini *ini = p->ini;
	struct ini_section *sec;
	int r;

	if (s[n - 1] != ']')
		return parse_fail(p, -EBADMSG, p->start_line, "invalid section header");
	if (n == 2)
		return parse_fail(p, -EBADMSG, p->start_line, "empty section name");
	if (!section_chars_valid(s + 1, n - 2)) /* parser_finish checked the line's UTF-8 */
		return parse_fail(p, -EBADMSG, p->start_line, "invalid character in section name");
	if (ini->n_sections >= INI_SECTIONS_MAX)
		return parse_fail(p, -E2BIG, p->start_line,
				  "more than 1024 sections (INI_SECTIONS_MAX)");
	r = ini_array_grow(ini, (void **)&ini->sections, &ini->n_alloc, ini->n_sections,
			   sizeof(*ini->sections), alignof(struct ini_section));
	if (r < 0)
		return r;
	if (p->section != &ini->preamble) /* the array may have moved */
		p->section = &ini->sections[ini->n_sections - 1];
	sec = &ini->sections[ini->n_sections];
	*sec = (struct ini_section){.line = p->start_line, .open = open};
	parser_take_pool(p, sec);
	/* The raw text, the name (n - 2 bytes) and their NULs in one allocation. */
	sec->raw = ini_arena_alloc(ini, raw_end - p->raw_start + 1 + n - 1, 1);
	if (!sec->raw)
		return -ENOMEM;
	sec->name = put_string(sec->raw, p->buf + p->raw_start, raw_end - p->raw_start);
	put_string(sec->name, s + 1, n - 2);
	ini->n_sections++;
	p->section = sec;
	return 0;
}

static int parser_entry(struct parser *p, const char *s, size_t n, size_t raw_end, bool open)
{
	const char *eq = NULL, *key = s, *value;
	size_t n_key, n_value;
	unsigned seen = 0; /* the classes of the bytes before the '=' */

	for (size_t i = 0; i < n && !eq; i++) { /* the '=' and the key's controls in one pass */
		unsigned class = byte_class[(unsigned char)s[i]];

		seen |= class;
		if (class & BYTE_EQUALS)
			eq = s + i;
	}
	if (p->section == &p->ini->preamble)
		return parse_fail(p, -EBADMSG, p->start_line,
				  eq ? "assignment outside of any section"
				     : "line is not a section header, assignment or comment");
	if (!eq)
		return parse_fail(p, -EBADMSG, p->start_line, "missing '='");
	n_key = (size_t)(eq - s);
	strip(&key, &n_key);
	if (n_key == 0)
		return parse_fail(p, -EBADMSG, p->start_line, "missing key name before '='");
	/* A tab is a control too, and strip() may have dropped it: look again at the key left. */
	if ((seen & BYTE_CONTROL) && !ini_key_chars_valid(key, n_key))
		return parse_fail(p, -EBADMSG, p->start_line, "invalid character in key name");
	value = eq + 1;
	n_value = (size_t)(s + n - value);
	strip(&value, &n_value);
	return parser_add(p, INI_LINE_ENTRY, raw_end, key, n_key, value, n_value, open);
}

/* A logical line is complete: classify and store it. */
static int parser_finish(struct parser *p, const char *s, size_t n, size_t raw_end, bool open)
{
	p->pending = false;
	strip(&s, &n);
	if (n == 0)
		return parser_add(p, INI_LINE_BLANK, raw_end, NULL, 0, NULL, 0, open);
	if (!utf8_is_valid(s, n))
		return parse_fail(p, -EBADMSG, p->start_line, "invalid UTF-8");
	if (s[0] == '[')
		return parser_header(p, s, n, raw_end, open);
	return parser_entry(p, s, n, raw_end, open);
}

/* The offset in s[0..n) of its first character that is not a blank, n when there is none. */
static size_t blanks_before(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && ini_char_is_blank(s[i]))
		i++;
	return i;
}

/* Join s[0..n) to the logical line; the line goes on when it ends escaped. n_untrimmed, the
 * length before trailing blanks were dropped, is the one held to the bound. */
static int parser_join(struct parser *p, const char *s, size_t n, size_t n_untrimmed,
		       size_t raw_end)
{
	if (p->n_logical + n_untrimmed > INI_LINE_MAX)
		return parse_fail(p, -E2BIG, p->start_line,
				  "continued line longer than 65536 bytes (INI_LINE_MAX)");
	memcpy(p->logical + p->n_logical, s, n);
	p->n_logical += n;
	/* The previous part ended in a space (the replaced backslash), so scanning only the new
	 * part gives the same answer as systemd's scan of the whole joined line. */
	if (ini_ends_escaped(s, n)) {
		p->logical[p->n_logical - 1] = ' ';
		p->pending = true;
		return 0;
	}
	return parser_finish(p, p->logical, p->n_logical, raw_end, false);
}

static int parser_physical(struct parser *p, const char *s, size_t n, size_t raw_start,
			   size_t raw_end, unsigned line)
{
	size_t lead, n_untrimmed = n;
	bool comment;

	if (n > INI_LINE_MAX)
		return parse_fail(p, -E2BIG, line, "line longer than 65536 bytes (INI_LINE_MAX)");
	lead = blanks_before(s, n);
	comment = lead < n && (s[lead] == '#' || s[lead] == ';');
	if (!p->pending) {
		p->raw_start = raw_start;
		p->start_line = line;
		p->n_logical = 0;
		if (comment)
			return parser_add(p, INI_LINE_COMMENT, raw_end, NULL, 0, NULL, 0, false);
		if (lead == n)
			return parser_add(p, INI_LINE_BLANK, raw_end, NULL, 0, NULL, 0, false);
	} else if (comment)
		return 0; /* skipped inside a continuation; its text stays in the entry's raw */
	while (n > 0 && ini_char_is_blank(s[n - 1])) /* dropped: trimmed or after a backslash */
		n--;
	/* A line that neither continues nor is continued is classified where it lies, uncopied. */
	if (!p->pending && !ini_ends_escaped(s, n))
		return parser_finish(p, s + lead, n - lead, raw_end, false);
	return parser_join(p, s, n, n_untrimmed, raw_end);
}

static unsigned line_of(const char *buf, const char *at)
{
	unsigned line = 1;

	for (const char *c = buf; c < at; c++)
		line += *c == '\n';
	return line;
}

/* The checks of a physical line made only in a file that holds a NUL or a '\r' somewhere. */
static int check_odd_bytes(struct parser *p, const char *s, size_t n, unsigned line)
{
	if (memchr(s, '\r', n))
		return parse_fail(p, -EBADMSG, line, "carriage return not followed by a newline");
	return 0;
}

static int parser_run(struct parser *p)
{
	const char *nul = p->nul_or_cr ? memchr(p->buf, '\0', p->size) : NULL;
	size_t off = 0;
	unsigned line = 0;
	int r;

	if (nul)
		return parse_fail(p, -EBADMSG, line_of(p->buf, nul), "NUL byte");
	while (off < p->size) {
		const char *s = p->buf + off;
		size_t n = ini_scan_eol(s, p->size - off);
		bool nl = n < p->size - off;
		size_t end = off + n + nl;

		line++;
		if (nl && n > 0 && s[n - 1] == '\r')
			n--;
		if (p->nul_or_cr && check_odd_bytes(p, s, n, line) < 0)
			return -EBADMSG;
		if (nl && line == 1 && n < end - off - 1)
			p->ini->eol = "\r\n";
		if (line == 1 && n >= 3 && memcmp(s, INI_UTF8_BOM, 3) == 0) {
			s += 3;
			n -= 3;
		}
		r = parser_physical(p, s, n, off, end, line);
		if (r < 0)
			return r;
		off = end;
	}
	if (p->pending)
		return parser_finish(p, p->logical, p->n_logical, p->size, true);
	return 0;
}

int ini_parse(const char *name, const char *buf, size_t size, struct ini **ret,
	      struct ini_error *err)
{
	struct parser p = {.err = err, .name = name, .buf = buf, .size = size};
	/* A small file's logical line on the stack: musl mapped and unmapped a page a parse. */
	char small_logical[4096];
	char *heap_logical = NULL;
	int r;

	if (size > INI_FILE_MAX) {
		r = parse_fail(&p, -EFBIG, 0, "file larger than 1048576 bytes (INI_FILE_MAX)");
		goto out;
	}
	r = arena_init(&p);
	if (r < 0)
		goto out;
	p.section = &p.ini->preamble;
	if (size < sizeof(small_logical))
		p.logical = small_logical;
	else
		p.logical = heap_logical = malloc((size < INI_LINE_MAX ? size : INI_LINE_MAX) + 1);
	if (!p.logical) {
		r = -ENOMEM;
		goto out;
	}
	r = parser_run(&p);
out:
	free(heap_logical);
	if (r < 0) {
		if (err && !p.failed)
			*err = (struct ini_error){.where = name};
		ini_free(p.ini);
		return r;
	}
	*ret = p.ini;
	return 0;
}

int ini_parse_fd(const char *name, int fd, struct ini **ret, struct ini_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	int r = fs_read_fd_full(fd, INI_FILE_MAX, 0, &buf, &size);

	if (r < 0) {
		if (err) {
			*err = (struct ini_error){.where = name};
			if (r == -EFBIG)
				error_detail_set(err,
						 "file larger than 1048576 bytes (INI_FILE_MAX)");
		}
		return r;
	}
	return ini_parse(name, buf, size, ret, err);
}

int ini_parse_path(const char *path, struct ini **ret, struct ini_error *err)
{
	_cleanup_close_ int fd = -1;
	int r = fs_open_regular_at(AT_FDCWD, path, &fd);

	if (r < 0) {
		if (err)
			*err = (struct ini_error){.where = path};
		return r;
	}
	return ini_parse_fd(path, fd, ret, err);
}
