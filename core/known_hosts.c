/*
 * known_hosts.c: host-key checking for ssh:// remotes against a file in OpenSSH's format, so
 * operators fill it with ssh-keyscan and read it with ssh-keygen -F. The verdict is computed
 * over the whole file (a matching key anywhere wins over a different one elsewhere, a revoked
 * key loses everywhere) and fails closed: an entry for the host whose key cannot be decoded
 * counts as a different key, not as no entry. Host patterns follow OpenSSH's match_pattern_list()
 * (match.c): items in order, a matching "!item" ends the list with "not this line", an item
 * longer than 1022 bytes ends it with "no match"; "*" and "?" globs, the pattern lowercased.
 * The glob here backtracks only to the last "*", so a hostile line costs O(pattern * name).
 */
#include "known_hosts.h"

#include "bounds.h"
#include "core.h"
#include "fs.h"
#include "sshwire.h"

#include <bearssl_hash.h>
#include <bearssl_hmac.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/base64.h>

#define HASH_MAGIC "|1|"

enum {
	NAME_MAX_LEN = KNOWN_HOSTS_HOST_MAX + 8, /* "[" host "]:" port */
	TYPE_MAX_LEN = 64,
	SHA1_LEN = 20,
	SALT_MAX = 64,
	PATTERN_MAX = 1022, /* OpenSSH's sub[1024] less the NUL, less one: longer matches nothing */
	BLOB_MAX = KNOWN_HOSTS_LINE_MAX / 4 * 3,
};

struct query {
	char name[NAME_MAX_LEN + 1]; /* lowercase "host" or "[host]:port" */
	size_t name_len;
	const unsigned char *blob, *type;
	size_t blob_len, type_len;
	known_hosts_note_fn *note;
	void *userdata;
	unsigned line;
	unsigned char *scratch; /* BLOB_MAX bytes for decoding keys */
};

struct verdict {
	bool revoked, match, mismatch, other_type;
};

struct field {
	const char *p;
	size_t len;
};

static void note(const struct query *q, const char *what)
{
	if (q->note)
		q->note(q->userdata, q->line, what);
}

static bool host_char_ok(unsigned char c)
{
	return c > ' ' && c < 0x7f && !strchr(",*?![]|#\\", c);
}

static int query_init(struct query *q, const char *host, unsigned port, const unsigned char *blob,
		      size_t blob_len)
{
	struct sshwire_reader r;
	size_t len = host ? strlen(host) : 0;
	int n;

	if (len == 0 || len > KNOWN_HOSTS_HOST_MAX || port == 0 || port > PORT_MAX || !blob)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!host_char_ok((unsigned char)host[i]))
			return -EINVAL;
	n = port == SSH_PORT ? snprintf(q->name, sizeof(q->name), "%s", host)
			     : snprintf(q->name, sizeof(q->name), "[%s]:%u", host, port);
	if (n < 0 || (size_t)n >= sizeof(q->name))
		return -EINVAL;
	q->name_len = (size_t)n;
	for (size_t i = 0; i < q->name_len; i++)
		if (q->name[i] >= 'A' && q->name[i] <= 'Z')
			q->name[i] = (char)(q->name[i] - 'A' + 'a');
	sshwire_reader_init(&r, blob, blob_len);
	if (sshwire_get_string(&r, &q->type, &q->type_len) < 0 || q->type_len == 0 ||
	    q->type_len > TYPE_MAX_LEN)
		return -EINVAL;
	q->blob = blob;
	q->blob_len = blob_len;
	return 0;
}

static int b64_decode(const char *p, size_t len, unsigned char *out, size_t cap, size_t *ret_len)
{
	return mbedtls_base64_decode(out, cap, ret_len, (const unsigned char *)p, len) == 0
		       ? 0
		       : -EBADMSG;
}

static void hmac_sha1(const unsigned char *salt, size_t salt_len, const char *name, size_t len,
		      unsigned char out[SHA1_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context ctx;

	br_hmac_key_init(&kc, &br_sha1_vtable, salt, salt_len);
	br_hmac_init(&ctx, &kc, 0);
	br_hmac_update(&ctx, name, len);
	br_hmac_out(&ctx, out);
}

/* "|1|salt|hash", both base64: HMAC-SHA1 keyed with the salt over the name. 1 for ours, 0 for
 * another name, -1 (noted) when malformed. */
static int hashed_matches(const struct query *q, const char *p, size_t len)
{
	unsigned char salt[SALT_MAX], want[SHA1_LEN], got[SHA1_LEN];
	size_t salt_len, want_len;
	const char *bar;

	p += strlen(HASH_MAGIC);
	len -= strlen(HASH_MAGIC);
	bar = memchr(p, '|', len);
	if (!bar || b64_decode(p, (size_t)(bar - p), salt, sizeof(salt), &salt_len) < 0 ||
	    b64_decode(bar + 1, len - (size_t)(bar + 1 - p), want, sizeof(want), &want_len) < 0 ||
	    want_len != SHA1_LEN) {
		note(q, "malformed hashed host name, ignoring the line");
		return -1;
	}
	hmac_sha1(salt, salt_len, q->name, q->name_len, got);
	return memcmp(got, want, SHA1_LEN) == 0 ? 1 : 0;
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The glob pattern p (plen bytes, compared lowercased) against the lowercase name s: "*" any run,
 * "?" any one character, the rest literally. On a mismatch only the last "*" seen takes one more
 * character: an earlier "*" never needs to, since the later one can absorb whatever it would. */
static bool glob_matches(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, star_si = 0;

	while (si < slen) {
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			star_si = si;
		} else if (pi < plen && (p[pi] == '?' || ascii_lower(p[pi]) == s[si])) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++star_si;
		} else {
			return false;
		}
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

enum list_match {
	LIST_NONE,     /* no item matches */
	LIST_MATCH,    /* an item matches, no negated one does */
	LIST_EXCLUDED, /* a negated item matches: the line is not for this host */
	LIST_TOO_LONG, /* an item is longer than PATTERN_MAX: OpenSSH stops with no match */
};

/* The comma-separated pattern list p against our name, item by item as OpenSSH walks it. */
static enum list_match pattern_list_match(const struct query *q, const char *p, size_t len)
{
	bool positive = false;
	size_t i = 0;

	while (i < len) {
		bool negated = p[i] == '!';
		const char *item = p + i + negated, *comma;
		size_t item_len;

		i += negated;
		comma = memchr(item, ',', len - i);
		item_len = comma ? (size_t)(comma - item) : len - i;
		if (item_len > PATTERN_MAX)
			return LIST_TOO_LONG;
		i += item_len + (comma ? 1 : 0);
		if (!glob_matches(item, item_len, q->name, q->name_len))
			continue;
		if (negated)
			return LIST_EXCLUDED;
		positive = true;
	}
	return positive ? LIST_MATCH : LIST_NONE;
}

/* 1 when the host field applies to our name, 0 when not, -1 (noted) when it cannot be read. As
 * in OpenSSH, a field starting with "|" is one hashed name, anything else a pattern list. */
static int hosts_match(const struct query *q, const struct field *f)
{
	if (f->p[0] == '|') {
		if (f->len <= strlen(HASH_MAGIC) ||
		    memcmp(f->p, HASH_MAGIC, strlen(HASH_MAGIC)) != 0) {
			note(q, "unknown host name hash (only |1| is known), ignoring the line");
			return -1;
		}
		return hashed_matches(q, f->p, f->len);
	}
	switch (pattern_list_match(q, f->p, f->len)) {
	case LIST_MATCH:
		return 1;
	case LIST_TOO_LONG:
		note(q, "a host pattern is longer than 1022 bytes, ignoring the line");
		return -1;
	default:
		return 0;
	}
}

/* Split on blanks into at most max fields; the rest (a comment) is not returned. */
static size_t split(const char *p, size_t len, struct field *f, size_t max)
{
	size_t n = 0, i = 0;

	while (n < max) {
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == len)
			break;
		f[n].p = p + i;
		while (i < len && p[i] != ' ' && p[i] != '\t')
			i++;
		f[n].len = (size_t)(p + i - f[n].p);
		n++;
	}
	return n;
}

/* Decode the key field; true when it is a well-formed blob whose type is the type field. */
static bool key_decode(const struct field *type, const struct field *key, unsigned char *blob,
		       size_t *ret_len)
{
	struct sshwire_reader r;
	const unsigned char *t;
	size_t t_len;

	if (b64_decode(key->p, key->len, blob, BLOB_MAX, ret_len) < 0)
		return false;
	sshwire_reader_init(&r, blob, *ret_len);
	return sshwire_get_string(&r, &t, &t_len) == 0 && t_len == type->len &&
	       memcmp(t, type->p, t_len) == 0;
}

static bool field_is_bytes(const struct field *f, const void *p, size_t len)
{
	return f->len == len && memcmp(f->p, p, len) == 0;
}

static bool field_is(const struct field *f, const char *s)
{
	return field_is_bytes(f, s, strlen(s));
}

/* A "@marker" first field: 1 for @revoked (fields shifted past it), 0 for none, -1 (noted) for a
 * marker tailpod does not use. */
static int marker(const struct query *q, struct field **fields, size_t *n)
{
	const struct field *f = *fields;

	if (f->p[0] != '@')
		return 0;
	if (field_is(f, "@revoked")) {
		++*fields;
		--*n;
		return 1;
	}
	note(q,
	     field_is(f, "@cert-authority")
		     ? "@cert-authority lines are not supported (tailpod checks plain host keys), "
		       "ignoring the line"
		     : "unknown marker, ignoring the line");
	return -1;
}

/* Every line's key is decoded, so a malformed one is reported even when it is for another host. */
static void line_check(struct query *q, const char *p, size_t len, struct verdict *v)
{
	struct field all[4], *f = all;
	size_t n = split(p, len, all, 4), blob_len;
	int revoked, applies;
	bool same_key;

	if (n == 0 || all[0].p[0] == '#')
		return;
	revoked = marker(q, &f, &n);
	if (revoked < 0)
		return;
	if (n < 3) {
		note(q, "missing fields (expected: host keytype key), ignoring the line");
		return;
	}
	/* Any host for @revoked: a revoked key is trusted nowhere, whatever its host field. */
	applies = revoked ? 1 : hosts_match(q, &f[0]);
	if (applies < 0)
		return;
	if (!key_decode(&f[1], &f[2], q->scratch, &blob_len)) {
		note(q,
		     applies && !revoked
			     ? "cannot decode the key, counting it as a different key of the host"
			     : "cannot decode the key, ignoring the line");
		v->mismatch |= applies && !revoked;
		return;
	}
	if (!applies)
		return;
	same_key = blob_len == q->blob_len && memcmp(q->scratch, q->blob, blob_len) == 0;
	if (revoked)
		v->revoked |= same_key;
	else if (!field_is_bytes(&f[1], q->type, q->type_len))
		v->other_type = true;
	else if (same_key)
		v->match = true;
	else
		v->mismatch = true;
}

int known_hosts_lookup(const char *text, size_t len, const char *host, unsigned port,
		       const unsigned char *blob, size_t blob_len, known_hosts_note_fn *note_fn,
		       void *userdata)
{
	_cleanup_free_ unsigned char *scratch = NULL;
	struct query q = {.note = note_fn, .userdata = userdata};
	struct verdict v = {0};
	size_t pos = 0;
	int r;

	r = query_init(&q, host, port, blob, blob_len);
	if (r < 0)
		return r;
	if (!text && len > 0)
		return -EINVAL;
	if (len > KNOWN_HOSTS_FILE_MAX)
		return -EFBIG;
	q.scratch = scratch = malloc(BLOB_MAX);
	if (!scratch)
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;

		if (++q.line > KNOWN_HOSTS_LINES_MAX)
			return -ERANGE;
		if (l > KNOWN_HOSTS_LINE_MAX)
			return -E2BIG;
		line_check(&q, text + pos, l > 0 && text[pos + l - 1] == '\r' ? l - 1 : l, &v);
		pos += l + 1;
	}
	if (v.revoked)
		return KNOWN_HOSTS_REVOKED;
	if (v.match)
		return KNOWN_HOSTS_MATCH;
	if (v.mismatch)
		return KNOWN_HOSTS_MISMATCH;
	return v.other_type ? KNOWN_HOSTS_OTHER_TYPE : KNOWN_HOSTS_UNKNOWN;
}

int known_hosts_lookup_file(int dirfd, const char *name, const char *host, unsigned port,
			    const unsigned char *blob, size_t blob_len,
			    known_hosts_note_fn *note_fn, void *userdata)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = fs_read_bounded(dirfd, name, KNOWN_HOSTS_FILE_MAX, &text, &len);
	if (r == -ENOENT)
		return known_hosts_lookup("", 0, host, port, blob, blob_len, note_fn, userdata);
	if (r < 0)
		return r;
	return known_hosts_lookup(text, len, host, port, blob, blob_len, note_fn, userdata);
}

static size_t b64_encode(const unsigned char *p, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	if (mbedtls_base64_encode((unsigned char *)out, cap, &n, p, len) != 0)
		return 0;
	return n;
}

/* The host field: the name, or "|1|salt|hmac" with a fresh 20-byte salt as OpenSSH writes. */
static int host_field(const struct query *q, bool hash, char *out, size_t cap)
{
	unsigned char salt[SHA1_LEN], mac[SHA1_LEN];
	size_t n;

	if (!hash)
		return snprintf(out, cap, "%s", q->name) < (int)cap ? 0 : -EINVAL;
	if (getrandom(salt, sizeof(salt), 0) != sizeof(salt))
		return -EIO;
	hmac_sha1(salt, sizeof(salt), q->name, q->name_len, mac);
	n = (size_t)snprintf(out, cap, "%s", HASH_MAGIC);
	n += b64_encode(salt, sizeof(salt), out + n, cap - n);
	out[n++] = '|';
	n += b64_encode(mac, sizeof(mac), out + n, cap - n);
	return 0;
}

int known_hosts_append(int dirfd, const char *name, const char *host, unsigned port,
		       const unsigned char *blob, size_t blob_len, bool hash)
{
	_cleanup_free_ char *old = NULL, *text = NULL;
	char field[NAME_MAX_LEN + 64];
	size_t old_len = 0, line, cap, n, b64;
	struct query q = {0};
	int r;

	r = query_init(&q, host, port, blob, blob_len);
	if (r < 0)
		return r;
	r = host_field(&q, hash, field, sizeof(field));
	if (r < 0)
		return r;
	/* The line must stay readable by known_hosts_lookup(). */
	line = strlen(field) + 1 + q.type_len + 1 + (blob_len + 2) / 3 * 4;
	if (line > KNOWN_HOSTS_LINE_MAX)
		return -EINVAL;
	r = fs_read_bounded(dirfd, name, KNOWN_HOSTS_FILE_MAX, &old, &old_len);
	if (r < 0 && r != -ENOENT)
		return r;
	cap = old_len + 1 + line + 2; /* a newline before, the NUL base64 writes, the newline */
	if (cap > KNOWN_HOSTS_FILE_MAX)
		return -EFBIG;
	text = malloc(cap);
	if (!text)
		return -ENOMEM;
	memcpy(text, old ? old : "", old_len);
	n = old_len;
	if (n > 0 && text[n - 1] != '\n')
		text[n++] = '\n';
	n += (size_t)snprintf(text + n, cap - n, "%s %.*s ", field, (int)q.type_len,
			      (const char *)q.type);
	b64 = b64_encode(blob, blob_len, text + n, cap - n);
	if (b64 == 0)
		return -EINVAL;
	n += b64;
	text[n++] = '\n';
	return fs_write_atomic(dirfd, name, text, n, 0644);
}

const char *known_hosts_strerror(int err)
{
	switch (err) {
	case -EFBIG:
		return "known_hosts file larger than 1 MiB";
	case -E2BIG:
		return "known_hosts line longer than 16 KiB";
	case -ERANGE:
		return "known_hosts file has more than 100000 lines";
	case -EINVAL:
		return "invalid host name, port or host key";
	default:
		return strerror(-err);
	}
}

void known_hosts_notes_add(void *userdata, unsigned line, const char *what)
{
	struct known_hosts_notes *notes = userdata;

	if (line <= notes->last)
		return;
	notes->last = line;
	if (notes->n >= KNOWN_HOSTS_NOTES_MAX) {
		notes->dropped++;
		return;
	}
	notes->items[notes->n].line = line;
	snprintf(notes->items[notes->n].what, sizeof(notes->items[notes->n].what), "%s", what);
	notes->n++;
}
