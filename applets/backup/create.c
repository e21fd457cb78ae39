/* create.c: `backup create` for one NAME — a workload (its named volumes, the data under its home
 * its deployed units bind-mount, the unit files sync deployed, its state record; never image
 * layers, caches, the runtime dir or minted keys) or "host" (config.env, transforms, the mint-key
 * policy, known_hosts, status.json; each of the config's secrets listed as excluded). The
 * workload's service is stopped for the copy unless --live, and started again on every path. */
#include "backup.h"

#include "core.h"
#include "fs.h"
#include "ini.h"
#include "log.h"
#include "state.h"
#include "userfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MINT_POLICY   "/etc/tailpod/mint-key.conf"
#define PODMAN_SECRET ".local/share/containers/storage/secrets"

enum { POLICY_MAX = 1024 * 1024 };

/* The archive committed (r 0) and reported on stdout, or removed (r < 0). */
static int finish(struct backup_out *o, const char *dir, int r)
{
	if (r < 0) {
		backup_out_abort(o);
		return r;
	}
	r = backup_out_commit(o);
	if (r == 0)
		printf("%s/%s\t%llu members\t%llu excluded\t%llu warnings\n", dir, o->final,
		       (unsigned long long)o->members, (unsigned long long)o->excluded,
		       (unsigned long long)o->warnings);
	return r;
}

static int info_member(struct backup_out *o, const struct backup_create *bc, const char *scope,
		       const char *workload, const struct backup_idmap *map)
{
	char text[BACKUP_INFO_MAX], ids[512] = "", host[256] = "", ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gethostname(host, sizeof(host) - 1);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (map && backup_idmap_format(map, ids, sizeof(ids)) < 0)
		return -ENAMETOOLONG;
	n = snprintf(text, sizeof(text),
		     "# tailpod backup: what this archive holds; MANIFEST (the last member) lists "
		     "every member and exclusion\nFormat=" BACKUP_FORMAT
		     "\nScope=%s\nWorkload=%s\nCreated=%s\nHost=%s\nLive=%s\n%s",
		     scope, workload, ts, host, bc->live ? "yes" : "no", ids);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -ENAMETOOLONG;
	return backup_out_text(o, BACKUP_INFO, text, (size_t)n, 0600, now);
}

/* The home-relative directories the deployed .container files bind-mount (Volume=%h/X:... or
 * Volume=HOME/X:...), added to roots. */
void backup_bind_roots(int home_fd, const char *home, const struct state_record *rec, char **roots,
		       size_t *n)
{
	size_t home_len = strlen(home);

	for (size_t i = 0; i < rec->n_files && *n < BACKUP_ROOTS_MAX; i++) {
		_cleanup_free_ char *text = NULL, *rel = NULL;
		size_t len;
		const char *dot = strrchr(rec->files[i].name, '.');

		if (rec->files[i].dir != SPEC_UNIT_QUADLET || !dot || strcmp(dot, ".container"))
			continue;
		if (asprintf(&rel, QUADLET_DIR "/%s", rec->files[i].name) < 0)
			continue;
		{
			int fd = -1;

			if (fs_open_beneath_how(home_fd, rel, O_RDONLY, 0, FS_BENEATH_NO_XDEV,
						&fd) < 0)
				continue;
			if (fs_read_fd_bounded(fd, USERFS_FILE_MAX, &text, &len) < 0)
				text = NULL;
			close(fd);
		}
		for (char *line = text ? strtok(text, "\n") : NULL; line && *n < BACKUP_ROOTS_MAX;
		     line = strtok(NULL, "\n")) {
			char *src = NULL, *colon;

			if (strncmp(line, "Volume=", 7) != 0)
				continue;
			src = line + 7;
			colon = strchr(src, ':');
			if (colon)
				*colon = '\0';
			if (strncmp(src, "%h", 2) == 0 && (src[2] == '/' || src[2] == '\0'))
				src += 2;
			else if (strncmp(src, home, home_len) == 0 &&
				 (src[home_len] == '/' || src[home_len] == '\0'))
				src += home_len;
			else
				continue;
			while (*src == '/')
				src++;
			if (!strstr(src, "..") && (roots[*n] = strdup(src)))
				(*n)++;
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, and a root beneath an earlier one dropped: each file is archived once. */
static size_t dedupe_roots(char **roots, size_t n)
{
	size_t kept = 0;

	qsort(roots, n, sizeof(*roots), cmp_str);
	for (size_t i = 0; i < n; i++) {
		size_t len = kept ? strlen(roots[kept - 1]) : 0;

		if (kept && strncmp(roots[i], roots[kept - 1], len) == 0 &&
		    (len == 0 || roots[i][len] == '/' || roots[i][len] == '\0')) {
			free(roots[i]);
			continue;
		}
		roots[kept++] = roots[i];
	}
	return kept;
}

/* A spec that bind-mounts the whole home: the home itself from its (root's) parent. */
static int walk_whole_home(struct backup_out *o, const char *home)
{
	_cleanup_close_ int dirfd = -1;
	const char *base;
	char dir[PATH_MAX];
	int r = fs_open_parent(home, &dirfd, &base);

	if (r < 0)
		return log_error_errno(r, "%s: cannot open its directory", home), r;
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - home > 1 ? base - home - 1 : 1), home);
	return backup_walk_beneath(o, dirfd, dir, base, "home");
}

static int archive_home(struct backup_out *o, int home_fd, const char *home,
			const struct state_record *rec)
{
	char **roots = calloc(BACKUP_ROOTS_MAX, sizeof(*roots)), prefix[PATH_MAX];
	size_t n = 0;
	int r = 0;

	if (!roots)
		return -ENOMEM;
	roots[n++] = strdup(VOLUMES_DIR);
	for (size_t i = 0; i < rec->n_files && n < BACKUP_ROOTS_MAX; i++)
		if (asprintf(&roots[n], "%s/%s",
			     rec->files[i].dir == SPEC_UNIT_QUADLET ? QUADLET_DIR : SYSTEMD_DIR,
			     rec->files[i].name) >= 0)
			n++;
	backup_bind_roots(home_fd, home, rec, roots, &n);
	for (size_t i = 0; i < n; i++)
		if (!roots[i])
			r = -ENOMEM;
	n = r < 0 ? n : dedupe_roots(roots, n);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		snprintf(prefix, sizeof(prefix), "home%s%s", *roots[i] ? "/" : "", roots[i]);
		r = *roots[i] ? backup_walk_beneath(o, home_fd, home, roots[i], prefix)
			      : walk_whole_home(o, home);
	}
	for (size_t i = 0; i < n; i++)
		free(roots[i]);
	free(roots);
	return r < 0 ? r : 0;
}

/* Podman's secret store is never walked (no root reaches it) but listed, so the MANIFEST says. */
static int note_podman_secrets(struct backup_out *o, int home_fd, const char *home)
{
	char path[PATH_MAX];
	const char *why = "Podman's secret store";

	if (faccessat(home_fd, PODMAN_SECRET, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/" PODMAN_SECRET, home);
	backup_exclude_match(o->excl, path, NULL, &why);
	return backup_out_note(o, "excluded", path, why);
}

static int state_member(struct backup_out *o, const struct backup_create *bc, const char *name)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = fs_read_bounded(bc->state_fd, name, STATE_RECORD_MAX, &text, &len);

	if (r < 0)
		return log_error_errno(r, "%s/workloads/%s: cannot read", bc->config->state_dir,
				       name),
		       r;
	return backup_out_text(o, "state/workloads/Record", text, len, 0600, time(NULL));
}

static int copy_workload(struct backup_create *bc, const struct users_user *u,
			 const struct backup_idmap *map, const struct state_record *rec,
			 int home_fd)
{
	struct backup_out o;
	int r = backup_out_open(&o, bc->dir, rec->name, bc->recipients, bc->n_recipients);

	o.excl = &bc->excl, o.home = u->home;
	if (r == 0)
		r = info_member(&o, bc, "workload", rec->name, map);
	if (r == 0)
		r = state_member(&o, bc, rec->name);
	o.map = map;
	if (r == 0)
		r = note_podman_secrets(&o, home_fd, u->home);
	if (r == 0)
		r = archive_home(&o, home_fd, u->home, rec);
	if (r == 0 && bc->live)
		r = backup_out_note(&o, "warning", rec->name,
				    "--live: copied while the service ran");
	return finish(&o, bc->dir, r);
}

int backup_create_workload(struct backup_create *bc, const char *name)
{
	struct state_record rec;
	const struct users_user *u;
	struct backup_idmap map;
	struct userfs_error uerr = {0};
	bool was_running = false;
	int home_fd = -1, r = state_record_load(bc->state_fd, name, &rec), r2;

	if (r < 0)
		return log_error_errno(r, "%s: no state record (deploy it with sync first)", name),
		       r;
	r = users_db_find_user(bc->db, name, &u);
	if (r < 0) {
		log_error_errno(r, "%s: no such user", name);
	} else if (u->uid != rec.uid) {
		log_error("%s: the user's uid is %u, its record says %u", name, (unsigned)u->uid,
			  (unsigned)rec.uid);
		r = -ESTALE;
	}
	if (r == 0)
		r = backup_idmap_load(u, &map);
	if (r == 0 && (r = userfs_home_open(u->home, u->uid, &home_fd, &uerr)) < 0)
		log_error_errno(r, "%s: %s", name, uerr.msg);
	if (r == 0 && !bc->live)
		r = backup_service_stop(name, u->uid, rec.service, &was_running);
	if (r == 0)
		r = copy_workload(bc, u, &map, &rec, home_fd);
	if (was_running && (r2 = backup_service_start(name, rec.service)) < 0 && r == 0)
		r = r2;
	if (home_fd >= 0)
		close(home_fd);
	state_record_release(&rec);
	return r;
}

/* The host's tailpod files: each reached from its trusted parent directory. */
static int archive_host_path(struct backup_out *o, const char *path)
{
	_cleanup_close_ int dirfd = -1;
	const char *base;
	char dir[PATH_MAX], prefix[PATH_MAX];
	int r;

	if (!path || path[0] != '/')
		return 0;
	r = fs_open_parent(path, &dirfd, &base);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "%s: cannot open its directory", path), r;
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path > 1 ? base - path - 1 : 1), path);
	snprintf(prefix, sizeof(prefix), "host%s", path);
	r = backup_walk_beneath(o, dirfd, dir, base, prefix);
	return r < 0 ? r : 0;
}

int backup_create_host(struct backup_create *bc)
{
	const struct config *c = bc->config;
	_cleanup_free_ char *status = NULL;
	const char *paths[6] = {c->source_path, c->transform_dir, MINT_POLICY, c->ssh_known_hosts};
	struct backup_out o;
	int r;

	if (asprintf(&status, "%s/status.json", c->state_dir) < 0)
		return -ENOMEM;
	paths[4] = status;
	r = backup_out_open(&o, bc->dir, "host", bc->recipients, bc->n_recipients);
	o.excl = &bc->excl;
	if (r == 0)
		r = info_member(&o, bc, "host", "", NULL);
	for (size_t i = 0; r == 0 && i < bc->excl.n; i++)
		if (access(bc->excl.rules[i].path, F_OK) == 0)
			r = backup_out_note(&o, "excluded", bc->excl.rules[i].path,
					    bc->excl.rules[i].reason);
	for (size_t i = 0; r == 0 && paths[i]; i++)
		r = archive_host_path(&o, paths[i]);
	return finish(&o, bc->dir, r);
}

int backup_exclude_mint_policy(struct backup_exclude *x, const char *policy)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = fs_read_bounded(AT_FDCWD, policy, POLICY_MAX, &text, &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "%s: cannot read", policy), r;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "OAuthFile", 9) != 0)
			continue;
		line += 9;
		while (*line == ' ' || *line == '\t' || *line == '=')
			line++;
		line[strcspn(line, " \t\r")] = '\0';
		r = backup_exclude_add(x, line, "the OAuth client (mint-key.conf OAuthFile=)");
		if (r < 0 && r != -EINVAL)
			return r;
	}
	return 0;
}
