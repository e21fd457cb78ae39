/*
 * policy.c: the root-owned mint-key policy (unit-file syntax, core/ini) — what tags and hostnames
 * a caller gets, which oauth.env files mode 2 may name, which group may ask, whether a member
 * without a [User NAME] section gets the defaults (DefaultGrant=), and how often. The
 * file is refused unless root owns it and only root can write it, since it is the fence around a
 * root-held secret; unknown sections and keys are errors so a typo cannot silently widen or
 * narrow it. Also the per-uid rate counter, a small file of boot-time stamps under a lock.
 */
#include "mint-key.h"

#include "bounds.h"
#include "core.h"
#include "fs.h"
#include "ini.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const mint_keys[] = {"Tags", "OAuthFile", "Group", "RatePerHour",
					"DefaultGrant"};
static const char *const user_keys[] = {"Tags", "Hostname"};

bool mint_hostname_valid(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > MINT_HOSTNAME_MAX || h[0] == '-' || h[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-')
			return false;
	return true;
}

bool mint_tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (strncmp(t, "tag:", 4) != 0 || n == 4 || n > 4 + MINT_HOSTNAME_MAX)
		return false;
	for (size_t i = 4; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
			return false;
	return true;
}

void mint_hostname_from_user(const char *user, char out[MINT_HOSTNAME_MAX + 1])
{
	size_t n = 0;

	for (const char *c = user; *c && n < MINT_HOSTNAME_MAX; c++)
		out[n++] = isalnum((unsigned char)*c) ? (char)tolower((unsigned char)*c) : '-';
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	size_t lead = strspn(out, "-");
	memmove(out, out + lead, n - lead + 1);
}

static bool key_known(const char *key, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static int policy_check_keys(const struct ini *ini, const char *path)
{
	for (size_t s = 0; s < ini->n_sections; s++) {
		const struct ini_section *sec = &ini->sections[s];
		bool mint = strcmp(sec->name, "Mint") == 0;
		bool user = strncmp(sec->name, "User ", 5) == 0 && sec->name[5];

		if (!mint && !user) {
			log_error("%s:%u: unknown section [%s]", path, sec->line, sec->name);
			return -EINVAL;
		}
		for (size_t l = 0; l < sec->n_lines; l++) {
			const struct ini_line *ln = &sec->lines[l];
			if (ln->type != INI_LINE_ENTRY)
				continue;
			if (mint ? key_known(ln->key, mint_keys, ARRAY_SIZE(mint_keys))
				 : key_known(ln->key, user_keys, ARRAY_SIZE(user_keys)))
				continue;
			log_error("%s:%u: unknown key '%s' in [%s]", path, ln->line, ln->key,
				  sec->name);
			return -EINVAL;
		}
	}
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Split every value of key (space-separated words; an empty value resets) into a new vector. */
static int words_get(const struct ini *ini, const char *section, const char *key, size_t max,
		     char ***ret, size_t *ret_n)
{
	_cleanup_free_ const char **vals = NULL;
	char **v = NULL;
	size_t nv = 0, n = 0;
	int r = ini_get_all(ini, section, key, INI_GET_ALL_RESET, &vals, &nv);

	if (r < 0)
		return r;
	v = calloc(max + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nv; i++) {
		for (const char *p = vals[i]; *(p += strspn(p, " \t"));) {
			size_t len = strcspn(p, " \t");
			if (n >= max) {
				strv_free(v, n);
				return -E2BIG;
			}
			v[n] = strndup(p, len);
			if (!v[n]) {
				strv_free(v, n);
				return -ENOMEM;
			}
			n++;
			p += len;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int policy_open(const char *path, int *ret_fd)
{
	const struct fs_trust trust = {.owner = 0, .deny_mode = FS_DENY_SHARED_WRITE};
	struct stat st = {0};
	int r = fs_open_trusted(AT_FDCWD, path, &trust, ret_fd, &st);

	if (r == -EISDIR || r == -EBADFD || r == -EPERM || (r == -EACCES && st.st_mode)) {
		log_error("policy %s must be a regular file owned by root and writable only by "
			  "root, refusing",
			  path);
		return -EPERM;
	}
	if (r < 0)
		return log_error_errno(r, "cannot open policy %s", path);
	return 0;
}

static int policy_values(struct mint_policy *p, const struct ini *ini)
{
	const char *group = ini_get(ini, "Mint", "Group");
	const char *rate = ini_get(ini, "Mint", "RatePerHour");
	const char *grant = ini_get(ini, "Mint", "DefaultGrant");
	int r;

	r = words_get(ini, "Mint", "Tags", MINT_TAGS_MAX, &p->tags, &p->n_tags);
	if (r >= 0)
		r = words_get(ini, "Mint", "OAuthFile", 16, &p->oauth_files, &p->n_oauth_files);
	if (r < 0)
		return log_error_errno(r, "%s: cannot read [Mint] Tags= or OAuthFile=", p->path);
	for (size_t i = 0; i < p->n_tags; i++)
		if (!mint_tag_valid(p->tags[i]))
			return log_error("%s: invalid tag '%s' in [Mint] Tags=", p->path,
					 p->tags[i]);
	p->group = strdup(group && *group ? group : "tailpod-mint");
	if (!p->group)
		return -ENOMEM;
	p->rate_per_hour = MINT_RATE_DEFAULT;
	if (rate) {
		char *end;
		p->rate_per_hour = strtol(rate, &end, 10);
		if (!*rate || *end || p->rate_per_hour < 0 || p->rate_per_hour > 3600)
			return log_error("%s: RatePerHour= must be 0 to 3600", p->path);
	}
	/* yes keeps what policies written before the switch meant. */
	p->default_grant = !grant || strcmp(grant, "yes") == 0;
	if (grant && !p->default_grant && strcmp(grant, "no") != 0)
		return log_error("%s: DefaultGrant= must be yes or no", p->path);
	return 0;
}

int mint_policy_load(const char *path, struct mint_policy *ret)
{
	struct mint_policy p = {.path = path};
	struct ini_error ierr = {0};
	struct ini *ini = NULL;
	_cleanup_close_ int fd = -1;
	int r = policy_open(path, &fd);

	if (r < 0)
		return r;
	r = ini_parse_fd(path, fd, &ini, &ierr);
	if (r < 0)
		return log_error_errno(r, "%s:%u: %s", path, ierr.line,
				       ierr.msg[0] ? ierr.msg : "cannot parse");
	p.ini = ini;
	r = policy_check_keys(ini, path);
	if (r >= 0)
		r = policy_values(&p, ini);
	if (r < 0) {
		mint_policy_release(&p);
		return r;
	}
	*ret = p;
	return 0;
}

void mint_policy_release(struct mint_policy *p)
{
	strv_free(p->tags, p->n_tags);
	strv_free(p->oauth_files, p->n_oauth_files);
	free(p->group);
	ini_free(p->ini);
	*p = (struct mint_policy){0};
}

int mint_policy_grant(const struct mint_policy *p, const char *user, struct mint_grant *ret)
{
	struct mint_grant g = {0};
	char section[300];
	int r;

	snprintf(section, sizeof(section), "User %s", user);
	if (!p->default_grant && !ini_section_find(p->ini, section)) {
		log_error("%s: user %s has no [%s] section and DefaultGrant=no, refusing", p->path,
			  user, section);
		return -EPERM;
	}
	r = words_get(p->ini, section, "Tags", MINT_TAGS_MAX, &g.tags, &g.n_tags);
	if (r >= 0 && g.n_tags == 0) {
		free(g.tags);
		r = words_get(p->ini, "Mint", "Tags", MINT_TAGS_MAX, &g.tags, &g.n_tags);
	}
	if (r >= 0)
		r = words_get(p->ini, section, "Hostname", 16, &g.hostnames, &g.n_hostnames);
	if (r < 0) {
		mint_grant_release(&g);
		return log_error_errno(r, "%s: cannot read [%s]", p->path, section);
	}
	for (size_t i = 0; i < g.n_tags; i++)
		r = r < 0 || mint_tag_valid(g.tags[i]) ? r : -EINVAL;
	for (size_t i = 0; i < g.n_hostnames; i++)
		r = r < 0 || mint_hostname_valid(g.hostnames[i]) ? r : -EINVAL;
	if (r >= 0 && g.n_tags == 0)
		r = -ENOENT;
	if (r < 0) {
		mint_grant_release(&g);
		return log_error("%s: [%s] or [Mint] has no valid Tags= for this caller", p->path,
				 section);
	}
	*ret = g;
	return 0;
}

void mint_grant_release(struct mint_grant *g)
{
	strv_free(g->tags, g->n_tags);
	strv_free(g->hostnames, g->n_hostnames);
	*g = (struct mint_grant){0};
}

int mint_policy_member(const struct mint_policy *p, gid_t gid, const gid_t *groups, size_t n)
{
	gid_t group;
	int r = mint_group_gid(p->group, &group);

	if (r == -ENOENT || r == -EINVAL)
		return log_error("group '%s' (policy Group=) not found in /etc/group", p->group);
	if (r < 0)
		return log_error_errno(r, "cannot read " USERS_GROUP);
	if (gid == group)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (groups[i] == group)
			return 1;
	return 0;
}

/* Stamps are CLOCK_BOOTTIME seconds: the directory is on /run, which a boot empties too. */
static int rate_update(int fd, long per_hour)
{
	char buf[64 * 1024], out[64 * 1024];
	struct timespec ts;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	size_t count = 0, len = 0;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	clock_gettime(CLOCK_BOOTTIME, &ts);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		long t = strtol(line, NULL, 10);
		if (t > ts.tv_sec - 3600 && t <= ts.tv_sec && len < sizeof(out) - 32) {
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%ld\n", t);
			count++;
		}
	}
	if (count >= (size_t)per_hour)
		return -EBUSY;
	len += (size_t)snprintf(out + len, sizeof(out) - len, "%ld\n", (long)ts.tv_sec);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, out, len, 0) != (ssize_t)len)
		return -errno;
	return 0;
}

int mint_rate_take(const struct mint_policy *p, const char *dir, uid_t uid)
{
	_cleanup_close_ int dfd = -1, fd = -1;
	struct stat st;
	char name[32];

	if (p->rate_per_hour == 0)
		return 0;
	/* The parent (/run/tailpod) may not exist yet on a fresh boot. */
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		(void)mkdir(parent, 0755);
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "cannot create %s", dir);
	/* Followed, then checked: with DynamicUser= systemd's RUNTIME_DIRECTORY is a symlink into
	 * /run/private, so what matters is that the directory reached is ours alone. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return log_error_errno(-errno, "cannot open %s", dir);
	if (fstat(dfd, &st) < 0)
		return log_error_errno(-errno, "cannot stat %s", dir);
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return log_error(
			       "%s is not a directory of this service alone (owner %u, mode %04o), "
			       "refusing",
			       dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777)),
		       -EPERM;
	snprintf(name, sizeof(name), "uid-%u", (unsigned)uid);
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return log_error_errno(-errno, "cannot open the rate counter %s/%s", dir, name);
	int r = rate_update(fd, p->rate_per_hour);
	if (r == -EBUSY)
		log_error("uid %u asked for more than %ld keys in an hour (RatePerHour=), refusing",
			  (unsigned)uid, p->rate_per_hour);
	else if (r < 0)
		log_error_errno(r, "cannot update the rate counter %s/%s", dir, name);
	return r;
}
