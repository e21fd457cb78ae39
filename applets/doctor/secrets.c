/* secrets.c: the secrets category — /etc/tailpod/secrets is 0700 root and every file in it 0600
 * root, the deploy key and the OAuth client file readable by root only, known_hosts holds the git
 * host, and the CA bundle exists and holds certificates. */
#include "doctor/doctor.h"

#include "fs.h"
#include "gitrepo.h"
#include "http.h"
#include "known_hosts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRETS_DIR "/etc/tailpod/secrets"
#define OAUTH_FILE  SECRETS_DIR "/oauth.env"

enum {
	SECRETS_FILES_MAX = 4096, /* entries looked at in the secrets directory */
};

static const char hint_secret[] = "chown root:root and chmod 0600 it (0700 for the directory)";

/* The first file of the secrets directory that is not a 0600 root regular file, into bad. */
static size_t secrets_offenders(int dirfd, char *bad, size_t size)
{
	DIR *dp = fdopendir(dirfd);
	struct dirent *e;
	size_t n = 0, seen = 0;
	char why[160];

	while (dp && (e = readdir(dp)) && seen++ < SECRETS_FILES_MAX) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!*doctor_owned_mode(&st, false, 0, 077, why, sizeof(why)))
			continue;
		if (n++ == 0)
			snprintf(bad, size, "%s/%.100s %.120s", SECRETS_DIR, e->d_name, why);
	}
	if (dp)
		closedir(dp); /* closes dirfd */
	return n;
}

static void check_secrets_dir(struct doctor *d)
{
	char why[160], bad[DOCTOR_DETAIL_MAX];
	struct stat st;
	size_t n;
	int fd, r = doctor_lstat(SECRETS_DIR, &st);

	if (r == -ENOENT) {
		doctor_row(d, "secrets-dir", DOCTOR_SKIP, NULL, "%s does not exist", SECRETS_DIR);
		return;
	}
	if (r < 0 || *doctor_owned_mode(&st, true, 0, 077, why, sizeof(why))) {
		doctor_row(d, "secrets-dir", DOCTOR_FAIL, hint_secret, "%s %s", SECRETS_DIR,
			   r < 0 ? strerror(-r) : why);
		return;
	}
	doctor_row(d, "secrets-dir", DOCTOR_PASS, NULL, "%s: 0700 root", SECRETS_DIR);
	fd = open(SECRETS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		doctor_row(d, "secret-files", DOCTOR_WARN, "run doctor as root", "%s: %s",
			   SECRETS_DIR, strerror(errno));
		return;
	}
	n = secrets_offenders(fd, bad, sizeof(bad));
	if (n)
		doctor_row(d, "secret-files", DOCTOR_FAIL, hint_secret, "%s%s", bad,
			   n > 1 ? " (and more)" : "");
	else
		doctor_row(d, "secret-files", DOCTOR_PASS, NULL, "every file 0600 root");
}

/* A secret file outside the directory check (the deploy key may live elsewhere). */
static void check_secret_file(struct doctor *d, const char *name, const char *path,
			      const char *absent)
{
	char why[160];
	struct stat st;
	int r = path ? doctor_lstat(path, &st) : -ENOENT;

	if (r == -ENOENT)
		doctor_row(d, name, absent ? DOCTOR_SKIP : DOCTOR_FAIL,
			   "install it (README \"Deploy\")", "%s: %s", path ? path : "not set",
			   absent ? absent : "missing");
	else if (r < 0 || *doctor_owned_mode(&st, false, 0, 077, why, sizeof(why)))
		doctor_row(d, name, DOCTOR_FAIL, hint_secret, "%s %s", path,
			   r < 0 ? strerror(-r) : why);
	else
		doctor_row(d, name, DOCTOR_PASS, NULL, "%s: 0600 root", path);
}

/* The host of an ssh URL (ssh://[user@]host[:port]/path or user@host:path) into buf. */
static bool ssh_host(const char *url, char *buf, size_t size)
{
	const char *p = strstr(url, "://"), *end, *at;
	size_t n;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') {
		p++;
		n = strcspn(p, "]");
	} else {
		n = strcspn(p, ":/");
	}
	if (n == 0 || n >= size)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static void check_known_hosts(struct doctor *d)
{
	/* An SSH string of a key type no line has: any entry of the host reads as OTHER_TYPE. */
	static const unsigned char probe[] = {0, 0, 0, 7, 'd', 'o', 'c', 't', 'o', 'r', '!'};
	const struct config *c = d->config;
	char host[KNOWN_HOSTS_HOST_MAX + 1];
	struct known_hosts_notes notes = {0};
	unsigned port;
	int r;

	if (!c->git_url || !gitrepo_url_is_ssh(c->git_url) ||
	    !ssh_host(c->git_url, host, sizeof(host))) {
		doctor_row(d, "known_hosts", DOCTOR_SKIP, NULL,
			   "the repository is not reached over ssh");
		return;
	}
	port = gitrepo_url_ssh_port(c->git_url);
	r = known_hosts_lookup_file(AT_FDCWD, c->ssh_known_hosts, host, port, probe, sizeof(probe),
				    known_hosts_notes_add, &notes);
	if (r < 0)
		doctor_row(d, "known_hosts", DOCTOR_FAIL, "fix or replace the file", "%s: %s",
			   c->ssh_known_hosts, strerror(-r));
	else if (r == KNOWN_HOSTS_UNKNOWN)
		doctor_row(
			d, "known_hosts", c->ssh_accept_new ? DOCTOR_WARN : DOCTOR_FAIL,
			"add the host's key: ssh-keyscan HOST >> the file (check it out of band)",
			"%s: no entry for %s%s", c->ssh_known_hosts, host,
			c->ssh_accept_new ? " (accept-new will record the first key seen)" : "");
	else if (r == KNOWN_HOSTS_REVOKED)
		doctor_row(d, "known_hosts", DOCTOR_FAIL, "remove the @revoked line or the entry",
			   "%s: a revoked line matches", c->ssh_known_hosts);
	else
		doctor_row(d, "known_hosts", DOCTOR_PASS, NULL, "%s: %s has an entry",
			   c->ssh_known_hosts, host);
}

/* The bundle parsed as the https client parses it (core/http_ca: a symlink is followed, as
 * distributions ship it). */
static void check_ca_bundle(struct doctor *d)
{
	const char *path = d->config->ca_bundle;
	struct http_error err = {0};
	size_t n = 0;
	int r;

	if (!path) {
		doctor_row(d, "ca-bundle", DOCTOR_WARN,
			   "set TAILPOD_CA_BUNDLE or install ca-certificates",
			   "no CA bundle found: https fetches and mint-key fail");
		return;
	}
	r = http_ca_bundle_count(path, &n, &err);
	if (r < 0 || n == 0)
		doctor_row(d, "ca-bundle", DOCTOR_FAIL, "reinstall the CA bundle", "%s: %s", path,
			   r < 0 ? (err.msg[0] ? err.msg : strerror(-r)) : "no usable certificate");
	else
		doctor_row(d, "ca-bundle", DOCTOR_PASS, NULL, "%s: %zu certificates", path, n);
}

void doctor_secrets(struct doctor *d)
{
	bool ssh = d->config->git_url && gitrepo_url_is_ssh(d->config->git_url);

	check_secrets_dir(d);
	check_secret_file(d, "deploy-key", d->config->ssh_key,
			  ssh ? NULL : "not used (the repository is not reached over ssh)");
	check_secret_file(d, "oauth", OAUTH_FILE, "not installed (mint-key unused)");
	check_known_hosts(d);
	check_ca_bundle(d);
}
