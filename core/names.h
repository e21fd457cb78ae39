/* names.h: the names a workload may never have — a workload is a Linux user that sync creates
 * and that systemd resolves by name, so a name the host already gives a meaning to would hand the
 * workload that meaning (issue 13: `tailpod-mint-key.container` became the static user of the
 * DynamicUser mint-key service and could read its OAuth credential). One rule, used by `check`
 * (as a diagnostic) and `sync` (the workload is refused, the others converge):
 *  - always: root, core, every name starting with "tailpod", every "systemd-*" name, the User= and
 *    Group= of every unit tailpod ships (names_shipped_unit()), TAILPOD_PROTECTED_USERS;
 *  - on a host (sync always, check with --host): every user of /etc/passwd that is not in the
 *    managed group (TAILPOD_USER_GROUP), every user of /usr/lib/passwd (Fedora CoreOS altfiles:
 *    system accounts only), every group of /etc/group or /usr/lib/group except a managed user's
 *    own group (same name, its primary gid), and every User=, Group= and DynamicUser= name of the
 *    host's system units (.service files and their drop-ins (NAME.service.d, *.conf) in /etc, /run,
 *    /usr/local/lib and /usr/lib systemd/system): a DynamicUser= name is in no passwd file, and a
 *    static user of that name is what systemd would run the unit as.
 * Host module (uses users, ini, fs, diag): no printing; 0 or a negative errno; problems reading the
 * host's units go to a diagnostics list, each ending in ", ignoring". */
#ifndef TAILPOD_NAMES_H
#define TAILPOD_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include "diag.h"
#include "users.h"

enum {
	NAMES_WHY_MAX = 512,		  /* bytes of a reason, room for a unit's path */
	NAMES_UNIT_FILES_MAX = 16384,	  /* unit files and drop-ins read from all directories */
	NAMES_UNIT_SIZE_MAX = 256 * 1024, /* bytes in one unit file; larger ones are skipped */
};

/* What the host already uses, copied: the users databases it was built from may go. */
struct names_host;

/* The rules of one run. protected_names are TAILPOD_PROTECTED_USERS (config puts root and core
 * first); host NULL applies the static rules only. */
struct names_rules {
	const char *const *protected_names;
	size_t n_protected;
	const struct names_host *host;
};

/* The snapshot of the host below root (NULL or "/" for the real one): the users and groups of etc
 * (/etc/passwd and /etc/group, required) and alt (/usr/lib/passwd and /usr/lib/group, NULL when
 * absent) that tailpod does not manage, and the names the system units run as. Unreadable or
 * oversized units, and the NAMES_UNIT_FILES_MAX bound, become diagnostics in diags. 0, -ENOMEM,
 * or -ENAMETOOLONG for a root too long to hold the paths. */
int names_host_load(const char *root, const struct users_db *etc, const struct users_db *alt,
		    const char *managed_group, struct names_host **ret, struct diag_list *diags);

/* Accepts NULL; returns NULL. */
struct names_host *names_host_free(struct names_host *host);

/* Names the host snapshot holds (for tests and logs). */
size_t names_host_count(const struct names_host *host);

/* True when name may not be a workload, with why (what follows "'NAME' " in a message, e.g.
 * "is a user of this host (/etc/passwd) not managed by tailpod (not in group 'tailpod')") in
 * why[0..size); false (why untouched) when it may. */
bool names_reserved(const char *name, const struct names_rules *rules, char *why, size_t size);

/* The unit tailpod ships that runs as name (User= or Group=), or NULL. */
const char *names_shipped_unit(const char *name);

#endif
