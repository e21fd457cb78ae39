/* podman.c: the Podman whose quadlet keys sync accepts when TAILPOD_PODMAN_VERSION is not set —
 * the installed one, asked once with `podman --version` and remembered in STATE/podman-version
 * keyed by the binary's path, device, inode, size and mtime, so a sync with nothing to do starts
 * no process and a new podman (an OS update replaces the file) is asked again. Without a podman
 * there is no target: every key of any known version passes, and the run goes on. */
#include "sync.h"

#include "core.h"
#include "exec.h"
#include "fs.h"
#include "log.h"
#include "podman_version.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define PODMAN_CACHE "podman-version"

enum {
	PODMAN_OUT_MAX = 256,	/* bytes of `podman --version` kept: one short line */
	PODMAN_KEY_MAX = 320,	/* the cache key: path (EXEC_SAFE_PATH dir + name) and numbers */
	PODMAN_CACHE_MAX = 512, /* "KEY VERSION\n" */
};

/* What identifies the binary: a new file, or one rewritten in place, differs in one of these. */
static int binary_key(const char *path, char *key, size_t size)
{
	struct stat st;
	int n;

	if (stat(path, &st) < 0)
		return -errno;
	n = snprintf(key, size, "%s %llu %llu %lld %lld.%09ld", path, (unsigned long long)st.st_dev,
		     (unsigned long long)st.st_ino, (long long)st.st_size,
		     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* The version cached for key: 0, or -ENOENT (no cache, another binary, or a damaged file). */
static int cache_read(int dirfd, const char *key, struct podman_version *ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len, klen = strlen(key);
	char *nl;

	if (dirfd < 0 || fs_read_bounded(dirfd, PODMAN_CACHE, PODMAN_CACHE_MAX, &data, &len) < 0)
		return -ENOENT;
	nl = memchr(data, '\n', len);
	if (!nl || len <= klen + 1 || memcmp(data, key, klen) != 0 || data[klen] != ' ')
		return -ENOENT;
	*nl = '\0';
	return podman_version_parse(data + klen + 1, ret) < 0 ? -ENOENT : 0;
}

static void cache_write(int dirfd, const char *key, const struct podman_version *v)
{
	char buf[PODMAN_CACHE_MAX];
	int n = snprintf(buf, sizeof(buf), "%s %u.%u.%u\n", key, v->major, v->minor, v->patch);
	int r = n > 0 && (size_t)n < sizeof(buf)
			? fs_write_atomic(dirfd, PODMAN_CACHE, buf, (size_t)n, 0600)
			: -ENAMETOOLONG;

	if (r < 0)
		log_warning_errno(r, "cannot remember the Podman version in %s", PODMAN_CACHE);
}

/* Run `podman --version` as root with the command timeout; the version it prints. */
static int ask_podman(const char *path, unsigned timeout_ms, struct podman_version *ret)
{
	const char *const argv[] = {path, "--version", NULL};
	const struct exec_opts opts = {
		.argv = argv,
		.timeout_ms = timeout_ms,
		.out_max = PODMAN_OUT_MAX,
		.err_max = PODMAN_OUT_MAX,
	};
	struct exec_result res = {0};
	char why[EXEC_DESCRIBE_MAX];
	int r = exec_run(&opts, &res);

	if (r < 0)
		return log_warning_errno(r, "cannot run %s --version", path);
	if (!exec_result_ok(&res))
		r = log_warning_errno(-EPROTO, "%s --version %s", path,
				      exec_status_describe(&res, why, sizeof(why)));
	else if ((r = podman_version_from_output(res.out, res.out_len, ret)) < 0)
		log_warning("%s --version printed no version ('%.*s')", path, DIAG_QUOTE(res.out));
	exec_result_release(&res);
	return r;
}

void sync_podman_target(struct config *c, bool dry_run)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int dirfd = -1;
	struct podman_version v;
	char key[PODMAN_KEY_MAX], text[PODMAN_VERSION_STR_MAX];
	int r;

	if (podman_version_is_set(&c->podman_version))
		return;
	r = exec_find_program("podman", &path);
	if (r < 0) {
		log_info("no podman in %s: quadlet keys of every Podman version pass",
			 EXEC_SAFE_PATH);
		return;
	}
	r = binary_key(path, key, sizeof(key));
	if (r < 0) {
		log_warning_errno(r, "cannot stat %s: quadlet keys of every Podman version pass",
				  path);
		return;
	}
	dirfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cache_read(dirfd, key, &v) == 0) {
		c->podman_version = v;
		return;
	}
	if (ask_podman(path, c->command_timeout_s * 1000u, &v) < 0) {
		log_warning("quadlet keys of every Podman version pass");
		return;
	}
	log_info("%s is Podman %s", path, podman_version_format(&v, text, sizeof(text)));
	c->podman_version = v;
	if (dirfd >= 0 && !dry_run)
		cache_write(dirfd, key, &v);
}
