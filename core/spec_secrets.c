/* spec_secrets.c: quadsync's [Secrets] section of a .container spec (issue 17; module boundary:
 * core; uses ini, diag, age). Each entry becomes a rootless Podman secret of the workload:
 *   Environment=NAME=VALUE  ->  Secret=STEM-name,type=env,target=NAME
 *   File=TARGET:VALUE       ->  Secret=STEM-name,type=mount,target=TARGET
 * where VALUE is "age:BASE64" (tailpod: a binary age file, any number of X25519 stanzas),
 * "age:RECIPIENT:BASE64" (quadsync's encoding) or, only with TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes,
 * the plaintext (File=: its base64). The section is removed from the deployed file, as quadsync
 * does, and the values stay in the model for sync, which decrypts them; nothing here decrypts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif

#include "spec_internal.h"
#include "age.h"
#include "core.h"
#include "hash.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGE_PREFIX "age:"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int spec_secret_file_var(const char *target, char *out, size_t size)
{
	size_t n = 0, start = 0, end = strlen(target);

	while (start < end && !is_alnum(target[start]))
		start++;
	while (end > start && !is_alnum(target[end - 1]))
		end--;
	if (start == end)
		return snprintf(out, size, "_") < (int)size ? 0 : -ENAMETOOLONG;
	if (size < 2 || end - start + 2 > size)
		return -ENAMETOOLONG;
	if (target[start] >= '0' && target[start] <= '9')
		out[n++] = '_';
	for (size_t i = start; i < end; i++)
		out[n++] = is_alnum(target[i]) ? target[i] : '_';
	out[n] = '\0';
	return 0;
}

int spec_secret_podman_name(const char *stem, const char *var, char *out, size_t size)
{
	size_t n = strlen(stem), m = strlen(var);

	if (n + 1 + m + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, stem, n);
	out[n++] = '-';
	for (size_t i = 0; i < m; i++)
		out[n++] = var[i] == '_' ? '-' : (char)tolower((unsigned char)var[i]);
	out[n] = '\0';
	return 0;
}

static bool var_valid(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_')
			return false;
	return true;
}

/* Standard base64 with padding → *ret (malloc'd, wiped by the caller's age_free_secret). */
static int b64_decode(const char *s, size_t n, uint8_t **ret, size_t *ret_len)
{
	size_t cap = n / 4 * 3 + 1;
	uint8_t *buf;
	const char *end;

	if (n == 0 || n % 4 != 0)
		return -EINVAL;
	if (cap > SPEC_SECRET_VALUE_MAX + AGE_HEADER_MAX + 4096)
		return -EFBIG;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	if (sodium_base642bin(buf, cap, s, n, NULL, ret_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + n) {
		age_free_secret(buf, cap);
		return -EINVAL;
	}
	*ret = buf;
	return 0;
}

/* The base64 of an age value, after "age:" and quadsync's "RECIPIENT:" (checked to parse). */
static int age_base64(const char *value, const char **ret)
{
	const char *p = value + strlen(AGE_PREFIX), *colon = strchr(p, ':');
	struct age_recipient rcp;

	if (colon && age_recipient_parse(p, (size_t)(colon - p), &rcp) < 0)
		return -EINVAL;
	*ret = colon ? colon + 1 : p;
	return 0;
}

/* Why an encrypted value cannot be deployed (NULL: it can): base64, the age header. */
static const char *age_value_problem(const char *value)
{
	_cleanup_free_ uint8_t *file = NULL;
	const char *b64;
	size_t len, stanzas = 0;
	int r;

	if (age_base64(value, &b64) < 0)
		return "is not an age1... recipient (age:RECIPIENT:BASE64)";
	r = b64_decode(b64, strlen(b64), &file, &len);
	if (r == -ENOMEM)
		return "cannot be decoded: out of memory";
	if (r < 0)
		return "is not standard base64 with padding";
	if (age_count_stanzas(file, len, &stanzas) < 0 || stanzas == 0)
		return "is not an age file with an X25519 recipient";
	return NULL;
}

int spec_secret_value(const struct spec_secret *s, const struct age_identity *id, uint8_t **ret,
		      size_t *ret_len)
{
	_cleanup_free_ uint8_t *file = NULL;
	const char *b64;
	size_t len;
	int r;

	if (s->plaintext && s->type == SPEC_SECRET_ENV) {
		len = strlen(s->value);
		*ret = malloc(len + 1);
		if (!*ret)
			return -ENOMEM;
		memcpy(*ret, s->value, len + 1);
		*ret_len = len;
		return 0;
	}
	if (s->plaintext)
		return b64_decode(s->value, strlen(s->value), ret, ret_len);
	if (!id)
		return -ENOKEY;
	r = age_base64(s->value, &b64);
	if (r >= 0)
		r = b64_decode(b64, strlen(b64), &file, &len);
	if (r >= 0)
		r = age_decrypt(id, file, len, ret, ret_len);
	if (r >= 0 && *ret_len > SPEC_SECRET_VALUE_MAX) {
		age_free_secret(*ret, *ret_len);
		*ret = NULL;
		r = -EFBIG;
	}
	return r;
}

/* --- the section, in the model -------------------------------------------------------------- */

struct take {
	struct spec_builder *b;
	const struct spec_src *src;
	const struct ini_section *s;
	const struct ini_line *l;
	const char *stem;
	struct spec_workload *w;
	size_t first; /* the workload's secrets before this spec */
};

/* "PRE'A'POST" at the line, A quoted; 0 (the line is skipped) or -ENOMEM. */
static int take_diag(const struct take *t, const char *pre, const char *a, const char *post)
{
	return spec_diag_at(t->src, t->b->diags, t->s, t->l, "%s%.*s%s", pre, DIAG_QUOTE(a), post) <
			       0
		       ? -ENOMEM
		       : 0;
}

/* The same Podman secret from another line (FOO_BAR vs foo_bar, env vs file). */
static int check_collision(const struct take *t, const char *name)
{
	for (size_t i = 0; i < t->w->n_secrets; i++) {
		const struct spec_secret *o = &t->w->secrets[i];

		if (strcmp(o->name, name) == 0)
			return spec_diag_at(t->src, t->b->diags, t->s, t->l,
					    "secret '%s' is also made by %s:%u (names are "
					    "lower-cased, '_' read as '-')",
					    name, o->source, o->line) < 0
				       ? -ENOMEM
				       : 1;
	}
	return 0;
}

/* The value: encrypted and readable, or plaintext that the host allows. */
static int check_value(const struct take *t, const char *value, enum spec_secret_type type,
		       bool *plaintext)
{
	_cleanup_free_ uint8_t *bytes = NULL;
	const char *why = NULL;
	size_t len = 0;
	int r = 0;

	*plaintext = strncmp(value, AGE_PREFIX, strlen(AGE_PREFIX)) != 0;
	if (!*plaintext)
		why = age_value_problem(value);
	else if (!t->b->opts || !t->b->opts->allow_plaintext_secrets)
		why = "is not encrypted (age:...; `tailpod secret encrypt` makes one): plaintext "
		      "needs TAILPOD_ALLOW_PLAINTEXT_SECRETS=yes";
	else if (type == SPEC_SECRET_MOUNT &&
		 (r = b64_decode(value, strlen(value), &bytes, &len)) < 0)
		why = r == -EFBIG ? "is larger than 1 MiB" : "is not standard base64 with padding";
	if (bytes)
		sodium_memzero(bytes, len);
	if (!why && strlen(value) > SPEC_SECRET_VALUE_MAX * 4 / 3 + 8)
		why = "is larger than 1 MiB";
	if (!why)
		return 0;
	return spec_diag_at(t->src, t->b->diags, t->s, t->l, "%s= value %s", t->l->key, why) < 0
		       ? -ENOMEM
		       : 1;
}

static int secret_add(const struct take *t, const char *name, const char *target, size_t tlen,
		      const char *value, enum spec_secret_type type, bool plaintext)
{
	struct spec_workload *w = t->w;
	struct spec_secret *x;
	const char *label, *path;
	unsigned line;

	if (spec_array_grow((void **)&w->secrets, &w->n_secrets_alloc, w->n_secrets, sizeof(*x)) <
	    0)
		return -ENOMEM;
	spec_locate(t->src, t->s, t->l, &label, &path, &line);
	x = &w->secrets[w->n_secrets];
	*x = (struct spec_secret){.line = line, .type = type, .plaintext = plaintext};
	x->name = strdup(name);
	x->target = strndup(target, tlen);
	x->value = strdup(value);
	x->source = diag_path_join(label, path);
	w->n_secrets++;
	return x->name && x->target && x->value && x->source ? 0 : -ENOMEM;
}

/* One line: Environment=NAME=VALUE or File=TARGET:VALUE. */
static int take_line(struct take *t)
{
	bool env = strcmp(t->l->key, "Environment") == 0, plaintext;
	const char *v = t->l->value, *sep = strchr(v, env ? '=' : ':');
	char var[SPEC_SECRET_NAME_MAX + 1], name[SPEC_SECRET_NAME_MAX + 1];
	_cleanup_free_ char *target = NULL;
	int r;

	if (!env && strcmp(t->l->key, "File") != 0)
		return take_diag(t, "unknown key '", t->l->key,
				 "' in [Secrets] (Environment=NAME=VALUE or File=TARGET:VALUE)");
	if (!sep || sep == v || !sep[1])
		return take_diag(t, "", t->l->key,
				 env ? "= needs NAME=VALUE" : "= needs TARGET:VALUE");
	target = strndup(v, (size_t)(sep - v));
	if (!target)
		return -ENOMEM;
	if (env && !var_valid(target, strlen(target)))
		return take_diag(t, "secret name '", target,
				 "' does not match [A-Za-z_][A-Za-z0-9_]*");
	if (!env && strchr(target, ','))
		return take_diag(t, "file target '", target,
				 "' has a ',' (Secret= options cannot carry it)");
	if ((env ? snprintf(var, sizeof(var), "%s", target) >= (int)sizeof(var)
		 : spec_secret_file_var(target, var, sizeof(var)) < 0) ||
	    spec_secret_podman_name(t->stem, var, name, sizeof(name)) < 0)
		return take_diag(t, "secret name '", target, "' is too long");
	r = check_collision(t, name);
	if (r == 0)
		r = check_value(t, sep + 1, env ? SPEC_SECRET_ENV : SPEC_SECRET_MOUNT, &plaintext);
	if (r == 0 && t->w->n_secrets >= SPEC_SECRETS_MAX)
		return take_diag(t, "more than 256 secrets in one workload (SPEC_SECRETS_MAX)", "",
				 "");
	if (r != 0)
		return r < 0 ? r : 0;
	return secret_add(t, name, v, (size_t)(sep - v), sep + 1,
			  env ? SPEC_SECRET_ENV : SPEC_SECRET_MOUNT, plaintext);
}

/* Secret=NAME,type=...,target=... for each secret this spec added, in [Container]. */
static int add_directives(const struct take *t, struct ini *doc)
{
	for (size_t i = t->first; i < t->w->n_secrets; i++) {
		const struct spec_secret *x = &t->w->secrets[i];
		_cleanup_free_ char *line = NULL;
		int r;

		if (asprintf(&line, "%s,type=%s,target=%s", x->name,
			     x->type == SPEC_SECRET_ENV ? "env" : "mount", x->target) < 0)
			return -ENOMEM;
		r = ini_entry_append(doc, "Container", "Secret", line);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return diag_add(t->b->diags, t->src->label, t->src->path, 1,
					"cannot add Secret=%s: %s", x->name,
					r == -E2BIG ? "a unit file bound (INI_*_MAX)"
						    : "the target cannot be written back");
	}
	return 0;
}

int spec_secrets_take(struct spec_builder *b, const struct spec_src *src, struct ini *doc,
		      const char *stem, size_t widx)
{
	struct take t = {.b = b, .src = src, .stem = stem, .w = &b->set->workloads[widx]};
	int r = 0;

	t.first = t.w->n_secrets;
	for (size_t i = 0; r >= 0 && i < doc->n_sections; i++) {
		t.s = &doc->sections[i];
		for (size_t j = 0; r >= 0 && strcmp(t.s->name, "Secrets") == 0 && j < t.s->n_lines;
		     j++) {
			t.l = &t.s->lines[j];
			if (t.l->type == INI_LINE_ENTRY)
				r = take_line(&t);
		}
	}
	for (size_t i = doc->n_sections; r >= 0 && i-- > 0;)
		if (str_is(doc->sections[i].name, "Secrets"))
			r = ini_section_remove(doc, i);
	return r < 0 ? r : add_directives(&t, doc);
}

void spec_secrets_release(struct spec_workload *w)
{
	for (size_t i = 0; i < w->n_secrets; i++) {
		struct spec_secret *x = &w->secrets[i];

		if (x->value)
			sodium_memzero(x->value, strlen(x->value));
		free(x->value);
		free(x->name);
		free(x->target);
		free(x->source);
	}
	free(w->secrets);
}

/* The MAC key: HMAC-SHA-256 of a fixed label under the identity's secret, so the deploy hash
 * changes with a value without being a hash anyone could test a guessed value against. */
#define MAC_LABEL "tailpod sync: deploy hash of [Secrets] values, v1"

int spec_secrets_mac(const struct spec_workload *w, const struct age_identity *id,
		     uint8_t *const *values, const size_t *lens, char out[HASH_SHA256_HEX_SIZE])
{
	uint8_t key[crypto_auth_hmacsha256_KEYBYTES], mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	uint8_t len_be[8];

	if (!id)
		return -ENOKEY;
	crypto_auth_hmacsha256(key, (const uint8_t *)MAC_LABEL, strlen(MAC_LABEL), id->secret_key);
	crypto_auth_hmacsha256_init(&st, key, sizeof(key));
	for (size_t i = 0; i < w->n_secrets; i++) {
		const struct spec_secret *s = &w->secrets[i];

		for (size_t b = 0; b < 8; b++)
			len_be[b] = (uint8_t)((uint64_t)lens[i] >> (56 - 8 * b));
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)s->name, strlen(s->name) + 1);
		crypto_auth_hmacsha256_update(&st, len_be, sizeof(len_be));
		crypto_auth_hmacsha256_update(&st, values[i], lens[i]);
	}
	crypto_auth_hmacsha256_final(&st, mac);
	hash_to_hex(mac, sizeof(mac), out);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	return 0;
}
