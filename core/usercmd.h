/* usercmd.h: run one command in a user's own systemd manager, where its containers run —
 * `systemd-run --user -M NAME@ --wait --collect --quiet --service-type=exec -p RuntimeMaxSec=...`
 * — rather than as a child of ours with a uid switch. Rootless podman joins or creates the user's
 * pause process (its user namespace) on every call: inside tailpod-sync.service
 * (RestrictNamespaces=yes) it could not create one, and one made in sync's cgroup would be killed
 * with sync's unit (issue 17). `-M NAME@` reaches the manager through systemd-stdio-bridge, which
 * passes no file descriptor, so stdin, stdout and stderr are files in the user's runtime directory
 * RUN_USER/UID: each created by us with O_EXCL under a random name beneath that directory (opened
 * without following a link, owned by the user or root), 0600 and given to the user, whose manager
 * opens them (StandardInput=file:, StandardOutput=file:, StandardError=file:); read back through
 * the inode we created, bounded; and removed on every path, the stdin file (which may hold a
 * secret) wiped first. Nothing of the input ever reaches argv, the environment or a log. The unit
 * gets RuntimeMaxSec of the timeout and systemd-run USERCMD_GRACE_MS more, so a systemd-run killed
 * at our deadline leaves no unit running; --collect unloads a failed one. Core module: no printing;
 * 0 or a negative errno. */
#ifndef TAILPOD_USERCMD_H
#define TAILPOD_USERCMD_H

#include <stddef.h>
#include <sys/types.h>

#include "exec.h"

enum {
	USERCMD_ARGV_MAX = 32,	       /* words of the command run in the manager */
	USERCMD_INPUT_MAX = 1u << 20,  /* bytes of stdin: the largest secret value */
	USERCMD_ERR_MAX = 512,	       /* stderr bytes kept */
	USERCMD_GRACE_MS = 5000,       /* systemd-run's deadline past the unit's RuntimeMaxSec */
	USERCMD_TIMEOUT_MS_MIN = 1000, /* RuntimeMaxSec is whole seconds */
};

struct usercmd {
	const char *user; /* the user's name: -M NAME@ */
	uid_t uid;	  /* its uid and gid: the owner of the files in its runtime dir */
	gid_t gid;
	const char *run_user;	 /* NULL: "/run/user" */
	const char *systemd_run; /* NULL: "systemd-run" (looked up as core/exec does) */
	const char *const *argv; /* the command, argv[0] a bare name the manager looks up in its
				  * PATH or an absolute path; at most USERCMD_ARGV_MAX words */
	const void *stdin_data;	 /* NULL: stdin is /dev/null */
	size_t stdin_len;	 /* at most USERCMD_INPUT_MAX */
	size_t out_max;		 /* stdout bytes kept; more is out_truncated */
	unsigned timeout_ms;	 /* the unit's RuntimeMaxSec, rounded up to seconds */
};

/* Run c->argv in c->user's manager and wait. 0 when systemd-run ran, its status in res (the
 * command's exit status, which --wait propagates; 1 for a unit killed at RuntimeMaxSec or one that
 * could not start) with out and err the command's stdout and stderr (err: systemd-run's own when
 * the command wrote none, e.g. "Failed to connect to bus"); release res with
 * exec_result_release(). A negative errno when nothing ran: -EINVAL (bad options, a user name that
 * could be an option), -ENOENT (no runtime directory: the manager never ran), -EPERM (the runtime
 * directory is another user's), -ENOTDIR (a link or a file in its place: never followed), or what
 * creating a file or starting
 * systemd-run failed with. */
int usercmd_run(const struct usercmd *c, struct exec_result *res);

#endif
