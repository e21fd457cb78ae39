/* mintgroup.c: whether a workload's units run `tailpod mint-key` (README "Who may mint"): sync
 * makes exactly those workloads members of the mint group, whose members alone may connect to the
 * mint-key socket. Units are read with core/ini, as systemd reads them; only the exact
 * invocation of the tailpod binary counts. */
#include "sync/sync.h"

#include "core.h"
#include "ini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	EXEC_WORD_MAX = 256, /* bytes of a word of an Exec line compared with tailpod's paths */
	EXEC_WORDS = 3,	     /* the binary, and argv[0] and argv[1] of the command */
};

/* What counts as the tailpod binary in a unit (README "Who may mint"): the paths Ignition and the
 * initramfs install it and its tailpod-mint-key link at, and the bare names, which systemd looks
 * up in its own fixed search path (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin). */
static const char *const tailpod_binaries[] = {
	"tailpod",	    "/usr/local/bin/tailpod",	       "/usr/bin/tailpod",
	"tailpod-mint-key", "/usr/local/bin/tailpod-mint-key", "/usr/bin/tailpod-mint-key",
};

/* The first EXEC_WORDS words of a command line, blank-separated, a word in "..." or '...' taken
 * without its quotes; a word longer than EXEC_WORD_MAX is kept empty (it matches nothing). */
static size_t exec_words(const char *p, char words[EXEC_WORDS][EXEC_WORD_MAX])
{
	size_t n = 0;

	while (n < EXEC_WORDS) {
		char quote = 0;
		size_t len;

		p += strspn(p, " \t");
		if (!*p)
			break;
		if (*p == '"' || *p == '\'')
			quote = *p++;
		len = quote ? strcspn(p, (char[]){quote, 0}) : strcspn(p, " \t");
		snprintf(words[n++], EXEC_WORD_MAX, "%.*s", len < EXEC_WORD_MAX ? (int)len : 0, p);
		p += len + (quote && p[len] == quote);
	}
	return n;
}

static bool is_tailpod_binary(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(tailpod_binaries); i++)
		if (strcmp(path, tailpod_binaries[i]) == 0)
			return true;
	return false;
}

/* Whether tailpod started with argv0 and argv1 runs mint-key, by the dispatch of main.c:
 * "tailpod mint-key", a "tailpod-mint-key" link, or a "mint-key" link. */
static bool dispatches_mint_key(const char *argv0, const char *argv1)
{
	const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;

	if (strcmp(base, "tailpod") == 0)
		return strcmp(argv1, "mint-key") == 0;
	return strcmp(base, "tailpod-mint-key") == 0 || strcmp(base, "mint-key") == 0;
}

/* One ExecStartPre= command. systemd's prefixes come first (systemd.service(5): '-' ignore
 * failure, ':' no substitution, '+' '!' '!!' privileges, '@' the second word is argv[0]). */
static bool exec_runs_mint_key(const char *cmd)
{
	char words[EXEC_WORDS][EXEC_WORD_MAX] = {{0}};
	size_t skip = strspn(cmd, "@-:+!");
	bool at = memchr(cmd, '@', skip) != NULL;
	size_t n = exec_words(cmd + skip, words);

	if (n == 0 || !is_tailpod_binary(words[0]))
		return false;
	if (at)
		return n >= 2 && dispatches_mint_key(words[1], words[2]);
	return dispatches_mint_key(words[0], words[1]);
}

/* Whether the unit's [Service] runs mint-key before its start, read with core/ini as systemd
 * reads it (an empty ExecStartPre= clears the ones before it). A file that does not parse was
 * refused by check already and runs nothing here. */
static bool unit_runs_mint_key(const struct spec_unit *u)
{
	_cleanup_free_ const char **cmds = NULL;
	struct ini *doc = NULL;
	bool found = false;
	size_t n = 0;

	if (ini_parse(u->name, u->data, u->size, &doc, NULL) < 0)
		return false;
	if (ini_get_all(doc, "Service", "ExecStartPre", INI_GET_ALL_RESET, &cmds, &n) >= 0)
		for (size_t i = 0; i < n && !found; i++)
			found = exec_runs_mint_key(cmds[i]);
	ini_free(doc);
	return found;
}

/* Whether a unit of w runs `tailpod mint-key` before its start: such a workload must be in the
 * mint group, whose members alone may connect to the mint-key socket. Only the exact invocation
 * counts: a command that merely mentions mint-key grants nothing. */
bool sync_uses_mint_key(const struct spec_workload *w)
{
	for (size_t i = 0; i < w->n_units; i++) {
		const char *slash = strrchr(w->units[i].name, '/');

		/* An app's data files (env, config) are no units, whatever they hold. */
		if (fileset_is_unit_name(slash ? slash + 1 : w->units[i].name) &&
		    unit_runs_mint_key(&w->units[i]))
			return true;
	}
	return false;
}
