/*
 * api.c: the Tailscale API side of mint-key — the OAuth client-credentials exchange and the key
 * creation (the settings they use are read in settings.c), over one core/http client so both
 * requests share a TLS connection when the server keeps it. 429 and 5xx answers and network
 * failures are retried with doubling backoff (or the server's Retry-After) while the total
 * timeout allows. The client secret, the access token and the key live only in buffers that are
 * wiped; errors name the step, the HTTP status and the API's own message, never a secret.
 */
#define _GNU_SOURCE /* secure_getenv */
#include "mint-key.h"

#include "clock.h"
#include "core.h"
#include "envfile.h"
#include "fs.h"
#include "http.h"
#include "json_parse.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	API_BODY_MAX = 256 * 1024,
	API_CONNECT_TIMEOUT_MS = 10000,
	API_ATTEMPTS_MAX = 5,
	API_BACKOFF_FIRST_MS = 500,
	API_BACKOFF_MAX_MS = 8000,
	API_MESSAGE_MAX = 200,
};

/* --- Encoding ---------------------------------------------------------------------------- */

static bool unreserved(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

/* Percent-encode s onto out (form style: space is '+'); returns bytes written or -E2BIG. */
static int url_encode(const char *s, bool form, char *out, size_t size)
{
	size_t n = 0;

	for (; *s; s++) {
		if (n + 4 > size)
			return -E2BIG;
		if (unreserved(*s))
			out[n++] = *s;
		else if (form && *s == ' ')
			out[n++] = '+';
		else
			n += (size_t)snprintf(out + n, size - n, "%%%02X", (unsigned char)*s);
	}
	out[n] = '\0';
	return (int)n;
}

bool mint_key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > MINT_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!unreserved(key[i]))
			return false;
	return true;
}

int mint_env_format(const char *key, const char *hostname, char **ret, size_t *ret_len)
{
	size_t size = strlen(key) + strlen(hostname) + 32;
	char *buf = malloc(size);
	int n;

	if (!buf)
		return -ENOMEM;
	n = snprintf(buf, size, "TS_AUTHKEY=%s\nTS_HOSTNAME=%s\n", key, hostname);
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

/* --- Requests ---------------------------------------------------------------------------- */

struct api {
	const struct mint_settings *s;
	int base_len; /* of s->api_url without a trailing '/' */
	struct http_client *http;
	uint64_t deadline_ms;
};

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t backoff_ms(int attempt, long retry_after_s)
{
	uint64_t ms = API_BACKOFF_FIRST_MS << (attempt - 1);
	unsigned short jitter = 0;

	if (retry_after_s >= 0)
		return (uint64_t)retry_after_s * 1000;
	if (ms > API_BACKOFF_MAX_MS)
		ms = API_BACKOFF_MAX_MS;
	(void)getrandom(&jitter, sizeof(jitter), GRND_NONBLOCK);
	return ms + (ms / 4) * jitter / 65535;
}

/* The API's "message", cleaned for a log line. */
static void api_message(const struct http_response *resp, char *out, size_t size)
{
	struct json_parse_field f = {.key = "message"};

	out[0] = '\0';
	if (json_parse_strings(resp->body, resp->body_len, &f, 1, NULL) < 0 || !f.value)
		return;
	snprintf(out, size, ": %.*s", API_MESSAGE_MAX, f.value);
	json_parse_fields_release(&f, 1);
}

static bool net_retryable(int r)
{
	return r == -ETIMEDOUT || r == -ECONNREFUSED || r == -ECONNRESET || r == -EPIPE ||
	       r == -EHOSTUNREACH || r == -ENETUNREACH || r == -EBADMSG || r == -ECONNABORTED;
}

/* One POST with retries; on success fills field (a JSON string member of the answer). */
static int api_post(struct api *a, const char *step, const struct http_request *tmpl,
		    struct json_parse_field *field)
{
	struct http_request req = *tmpl;
	char msg[API_MESSAGE_MAX + 8];

	req.deadline_ms = a->deadline_ms;
	for (int attempt = 1;; attempt++) {
		struct http_response resp = {0};
		struct http_error err = {0};
		int r = http_client_request(a->http, &req, &resp, &err);
		uint64_t wait, now = clock_now_ms();
		bool again = attempt < API_ATTEMPTS_MAX;

		if (r < 0 && !(again && net_retryable(r))) {
			log_error_errno(r, "%s: %s%s", step,
					err.msg[0] ? err.msg : "request failed",
					attempt > 1 ? " (after retries)" : "");
			return EXIT_TEMPFAIL;
		}
		if (r >= 0 && resp.status / 100 == 2) {
			r = json_parse_strings(resp.body, resp.body_len, field, 1, NULL);
			http_response_release(&resp);
			if (r < 0 || !field->value)
				return log_error_status(EXIT_FAIL,
							"%s: the answer has no usable \"%s\"", step,
							field->key);
			return EXIT_OK;
		}
		if (r >= 0) {
			api_message(&resp, msg, sizeof(msg));
			if (resp.status != 429 && resp.status / 100 != 5) {
				log_error("%s: HTTP %d%s", step, resp.status, msg);
				http_response_release(&resp);
				return EXIT_FAIL;
			}
		}
		wait = backoff_ms(attempt, r >= 0 ? resp.retry_after_s : -1);
		if (!again || now + wait >= a->deadline_ms) {
			if (r >= 0)
				log_error("%s: HTTP %d%s (gave up after %d attempts)", step,
					  resp.status, msg, attempt);
			else
				log_error_errno(r, "%s: %s (gave up after %d attempts)", step,
						err.msg[0] ? err.msg : "request failed", attempt);
			http_response_release(&resp);
			return EXIT_TEMPFAIL;
		}
		log_notice("%s: %s, retrying in %llu ms", step,
			   r >= 0 ? "server busy" : (err.msg[0] ? err.msg : "network error"),
			   (unsigned long long)wait);
		http_response_release(&resp);
		sleep_ms(wait);
	}
}

static int api_token(struct api *a, char **ret_token)
{
	char url[HTTP_URL_MAX + 64], body[2048], id[700], secret[700];
	struct json_parse_field f = {.key = "access_token"};
	struct http_request req = {
		.method = "POST", .url = url, .content_type = "application/x-www-form-urlencoded"};
	int r;

	snprintf(url, sizeof(url), "%.*s/api/v2/oauth/token", a->base_len, a->s->api_url);
	if (url_encode(a->s->client_id, true, id, sizeof(id)) < 0 ||
	    url_encode(a->s->client_secret, true, secret, sizeof(secret)) < 0) {
		explicit_bzero(secret, sizeof(secret));
		return log_error_status(EXIT_USAGE, "oauth token: client id or secret too long");
	}
	snprintf(body, sizeof(body), "client_id=%s&client_secret=%s", id, secret);
	explicit_bzero(secret, sizeof(secret));
	req.body = body;
	req.body_len = strlen(body);
	r = api_post(a, "oauth token", &req, &f);
	explicit_bzero(body, sizeof(body));
	if (r == EXIT_OK && strspn(f.value, "!#$%&'()*+,-./"
					    "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
					    "abcdefghijklmnopqrstuvwxyz{|}~") != f.value_len) {
		json_parse_fields_release(&f, 1);
		return log_error_status(EXIT_FAIL,
					"oauth token: the access token has unexpected characters");
	}
	if (r == EXIT_OK)
		*ret_token = TAKE_PTR(f.value);
	return r;
}

static int key_body(const struct mint_settings *s, const char *hostname, char *const *tags,
		    size_t n_tags, char *out, size_t size)
{
	char desc[MINT_DESCRIPTION_MAX + 1];
	size_t n;

	/* Tags and the hostname are validated to [A-Za-z0-9:_-], so nothing needs escaping. */
	snprintf(desc, sizeof(desc), "%s", hostname);
	n = (size_t)snprintf(out, size,
			     "{\"capabilities\":{\"devices\":{\"create\":{\"reusable\":%s,"
			     "\"ephemeral\":%s,\"preauthorized\":%s,\"tags\":[",
			     s->reusable ? "true" : "false", s->ephemeral ? "true" : "false",
			     s->preauthorized ? "true" : "false");
	for (size_t i = 0; i < n_tags && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s\"%s\"", i ? "," : "", tags[i]);
	if (n < size)
		n += (size_t)snprintf(out + n, size - n,
				      "]}}},\"expirySeconds\":%ld,\"description\":\"%s\"}",
				      s->expiry_s, desc);
	return n < size ? (int)n : -E2BIG;
}

static int api_key(struct api *a, const char *token, const char *hostname, char *const *tags,
		   size_t n_tags, char **ret_key)
{
	char url[HTTP_URL_MAX + 64], tailnet[512], body[4096], auth[4200];
	const char *headers[] = {auth, NULL};
	struct json_parse_field f = {.key = "key"};
	struct http_request req = {.method = "POST",
				   .url = url,
				   .headers = headers,
				   .content_type = "application/json",
				   .body = body};
	int r;

	if (url_encode(a->s->tailnet, false, tailnet, sizeof(tailnet)) < 0 ||
	    key_body(a->s, hostname, tags, n_tags, body, sizeof(body)) < 0 ||
	    (size_t)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token) >= sizeof(auth))
		return log_error_status(EXIT_USAGE, "create key: request too long");
	snprintf(url, sizeof(url), "%.*s/api/v2/tailnet/%s/keys", a->base_len, a->s->api_url,
		 tailnet);
	req.body_len = strlen(body);
	r = api_post(a, "create key", &req, &f);
	explicit_bzero(auth, sizeof(auth));
	if (r == EXIT_OK && !mint_key_valid(f.value)) {
		json_parse_fields_release(&f, 1);
		return log_error_status(EXIT_FAIL, "create key: the key has unexpected characters");
	}
	if (r == EXIT_OK)
		*ret_key = TAKE_PTR(f.value);
	return r;
}

int mint_api_mint(const struct mint_settings *s, const char *hostname, char *const *tags,
		  size_t n_tags, unsigned timeout_s, char **ret_key)
{
	struct http_client_opts opts = {.ca_file = s->ca_file,
					.proxy = s->proxy,
					.connect_timeout_ms = API_CONNECT_TIMEOUT_MS,
					.body_max = API_BODY_MAX};
	struct api a = {.s = s, .deadline_ms = clock_now_ms() + (uint64_t)timeout_s * 1000};
	struct http_error err = {0};
	struct http_url u;
	char *token = NULL;
	int r;

	if (http_url_parse(s->api_url, false, &u) < 0 || (*u.path && strcmp(u.path, "/") != 0))
		return log_error_status(EXIT_USAGE, "TS_API_URL must be https://host[:port]");
	a.base_len = (int)strlen(s->api_url) - (*u.path ? 1 : 0);
	r = http_client_new(&opts, &a.http, &err);
	if (r < 0)
		return log_error_errno_status(EXIT_USAGE, r, "%s%s%s",
					      err.msg[0] ? err.msg : "HTTPS setup failed",
					      err.msg[0] ? ": " : " with ", s->ca_file);
	r = api_token(&a, &token);
	if (r == EXIT_OK)
		r = api_key(&a, token, hostname, tags, n_tags, ret_key);
	mint_wipe_free(token);
	log_debug("TLS handshakes: %u", http_client_handshakes(a.http));
	http_client_free(a.http);
	return r;
}
