/* keys.c: minted Tailscale auth-key files, /run/user/UID/ts-authkeys/HOSTNAME.env, that
 * `tailpod mint-key` wrote for a managed user (mode 2 derives that path; mode 1's units write
 * %t/ts-authkeys/%N.env). A key lives TS_KEY_EXPIRY_SECONDS from its minting, at most
 * MINT_EXPIRY_MAX_S (90 days): a file last written longer ago than that holds a dead key, whatever
 * the policy said. Only names of that pattern, only regular files the user owns; listed as root
 * beneath the user's runtime directory (owned by the user, never reached through a symlink, no
 * mount point crossed), removed as the user (core/userfs). No runtime directory: the user is not
 * logged in, nothing to do. Needs the state records and passwd (whose directories). */
#include "gc/gc.h"

#include "core.h"
#include "fs.h"
#include "mint-key/mint-key.h"
#include "userfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KEYS_DIR "ts-authkeys" /* below /run/user/UID */

/* "HOSTNAME.env" with HOSTNAME a DNS label, as mint-key names them. */
static bool is_key_name(const char *name)
{
	char host[MINT_HOSTNAME_MAX + 1];
	size_t n = strlen(name);

	if (n <= 4 || n - 4 > MINT_HOSTNAME_MAX || strcmp(name + n - 4, ".env") != 0)
		return false;
	memcpy(host, name, n - 4);
	host[n - 4] = '\0';
	return mint_hostname_valid(host);
}

static void sweep_user_keys(struct gc_ctx *g, const struct gc_managed *m)
{
	static struct gc_found found[GC_SCAN_MAX];
	const struct gc_scan scan = {GC_KEYS, is_key_name, MINT_EXPIRY_MAX_S, m->user->uid};
	struct userfs_error err = {0};
	char run[64], what[GC_WHAT_MAX];
	int run_fd, fd, r;
	size_t n = 0;

	snprintf(run, sizeof(run), "/run/user/%u", (unsigned)m->user->uid);
	snprintf(what, sizeof(what), "%s/" KEYS_DIR, run);
	r = userfs_home_open(run, m->user->uid, &run_fd, &err);
	if (r == -ENOENT)
		return; /* not logged in: no runtime directory, no keys */
	if (r < 0) {
		gc_note(g, GC_KEYS, GC_FAILED, -1, run, "%s (skipped)", err.msg);
		return;
	}
	r = fs_open_beneath_how(run_fd, KEYS_DIR, O_RDONLY | O_DIRECTORY, 0, FS_BENEATH_NO_XDEV,
				&fd);
	if (r >= 0)
		r = gc_scan_dir(g, &scan, fd, what, found, &n);
	if (r < 0 && r != -ENOENT)
		gc_note(g, GC_KEYS, GC_FAILED, -1, what, "cannot list it: %s%s (skipped)",
			strerror(-r), r == -ELOOP ? ", a symlink is in the way, not followed" : "");
	for (size_t i = 0; i < n; i++)
		gc_remove_below(g, GC_KEYS, m, run_fd, run, KEYS_DIR, found[i].name,
				found[i].bytes);
	close(run_fd);
}

void gc_sweep_keys(struct gc_ctx *g)
{
	if (g->state_why[0] || g->db_why[0]) {
		gc_skip(g, GC_KEYS, "%s", g->state_why[0] ? g->state_why : g->db_why);
		return;
	}
	for (size_t i = 0; i < g->n_managed; i++)
		sweep_user_keys(g, &g->managed[i]);
}
