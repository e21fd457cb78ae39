/* exec.h: run one program from an argv (never a shell) with an explicit environment, optional
 * stdin data fed through a pipe, bounded capture of stdout and stderr, an optional drop to another
 * user, and a timeout that kills the child's whole process group. Core module: no applet logic, no
 * printing; every fallible function returns 0 or a negative errno. */
#ifndef TAILPOD_EXEC_H
#define TAILPOD_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The only search path: bare program names are looked up here, never in the caller's PATH. It is
 * also the PATH of the default environment. */
#define EXEC_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum {
	EXEC_ARGV_MAX = 1024,		     /* entries in argv, not counting the NULL */
	EXEC_ENV_MAX = 256,		     /* entries in envp, not counting the NULL */
	EXEC_GROUPS_MAX = 256,		     /* supplementary groups when dropping to a user */
	EXEC_TIMEOUT_MS_MAX = 24 * 3600000,  /* one day */
	EXEC_GRACE_MS_DEFAULT = 2000,	     /* SIGTERM to SIGKILL when grace_ms is 0 */
	EXEC_GRACE_MS_MAX = 60000,	     /* longest grace a caller may ask for */
	EXEC_CAPTURE_MAX = 64 * 1024 * 1024, /* largest out_max or err_max */
	EXEC_DESCRIBE_MAX = 64, /* buffer size that always fits exec_status_describe() */
};

/* Who the child becomes before exec: setgroups, setresgid, setresuid in that order, then each is
 * read back and compared. n_groups == 0 clears the supplementary groups. */
struct exec_ids {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
};

/* What to run. Fields left zero get the documented default; argv and timeout_ms are required. */
struct exec_opts {
	/* argv[0] is an absolute path, or a bare name (no '/') looked up in EXEC_SAFE_PATH; a
	 * relative path with a '/' is refused. argv[0] is passed to the program unchanged. */
	const char *const *argv;
	/* Exactly the environment of the child, each entry "NAME=value". NULL means the default:
	 * PATH=EXEC_SAFE_PATH and LANG=C.UTF-8. Nothing is ever inherited from the caller. */
	const char *const *envp;
	unsigned int timeout_ms; /* required, 1..EXEC_TIMEOUT_MS_MAX */
	unsigned int grace_ms;	 /* after SIGTERM, before SIGKILL; 0 means EXEC_GRACE_MS_DEFAULT */
	/* Written to the child's stdin through a pipe, then the pipe is closed so the child sees
	 * EOF. NULL means stdin is /dev/null. Secrets go here, never in argv. */
	const void *stdin_data;
	size_t stdin_len;
	size_t out_max;		    /* stdout bytes kept; the rest is read and discarded */
	size_t err_max;		    /* stderr bytes kept; the rest is read and discarded */
	const char *cwd;	    /* NULL: inherit; changed to after the drop to ids */
	const struct exec_ids *ids; /* NULL: stay who we are */
};

/* What happened. out and err are NUL-terminated (never NULL after a successful exec_run), so text
 * output can be used as a string; out_len and err_len count the bytes kept. */
struct exec_result {
	int status;	/* raw wait status of the child */
	bool timed_out; /* the deadline passed; the group got SIGTERM (and maybe SIGKILL) */
	unsigned int timeout_ms; /* copied from the options, for exec_status_describe() */
	char *out;
	size_t out_len;
	bool out_truncated;
	char *err;
	size_t err_len;
	bool err_truncated;
};

/* Run opts->argv and wait for it. Returns 0 when the program was started, whatever its exit status
 * (see ret_result->status and ->timed_out). Returns a negative errno when it never ran: -EINVAL for
 * bad options, -ENOENT when the program is not found, or the errno of the failed step in the child
 * (dropping ids, chdir, execve) carried back over a close-on-exec pipe.
 *
 * The run ends when the child has exited and both output pipes are closed, or at the deadline: then
 * the child's process group gets SIGTERM and SIGCONT, after grace_ms SIGKILL, and whatever still
 * holds a pipe after that is abandoned. Processes the child left behind in its group are not killed
 * on a normal exit.
 *
 * SIGCHLD and SIGPIPE are blocked in the calling thread while this runs; if SIGCHLD was ignored
 * (which would make the kernel reap the child and lose its status) its disposition is set to
 * default for the duration and restored. Meant for a single-threaded caller. */
int exec_run(const struct exec_opts *opts, struct exec_result *ret_result);

/* Frees out and err and zeroes the struct. Accepts NULL and a zeroed struct. */
void exec_result_release(struct exec_result *result);

/* True when the program exited with status 0 in time. */
bool exec_result_ok(const struct exec_result *result);

/* "exited with status 3", "killed by signal 9", "timed out after 5 s" into buf (EXEC_DESCRIBE_MAX
 * bytes always suffice); returns buf. */
const char *exec_status_describe(const struct exec_result *result, char *buf, size_t size);

/* Resolve a program name the way exec_run does: an absolute path is checked, a bare name is looked
 * up in EXEC_SAFE_PATH. The result is an executable regular file. */
int exec_find_program(const char *name, char **ret_path);

/* Become ids (setgroups, setresgid, setresuid) and verify it took. Changes the whole process: call
 * it only in a forked child that will exec or _exit. */
int exec_drop_ids(const struct exec_ids *ids);

#endif
