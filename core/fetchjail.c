/*
 * fetchjail.c: see fetchjail.h. The child streams frames to the parent over a pipe: a fixed
 * header (type and three numbers) and the bytes the numbers count. The parent trusts nothing in
 * them: every length is bounded before anything is allocated, every string is checked to hold no
 * NUL, files go through fileset_add (which enforces the repo bounds) and the result's commit ids
 * must be 40 lowercase hex digits. Whatever the child does, the parent kills and reaps it.
 */
#include "fetchjail.h"

#include "bounds.h"
#include "child.h"
#include "clock.h"
#include "core.h"
#include "exec.h"
#include "fs.h"
#include "fileset.h"
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum frame_type {
	FRAME_FILE = 'F',    /* a = path bytes, b = data bytes */
	FRAME_DIAG = 'D',    /* a = path bytes, b = message bytes, c = line */
	FRAME_HOSTKEY = 'H', /* a = host bytes, b = key bytes, c = port */
	FRAME_NOTE = 'N',    /* a = text bytes, c = line of known_hosts */
	FRAME_RESULT = 'R',  /* followed by struct wire_result; the last frame */
};

enum {
	FRAME_PATH_MAX = FILESET_PATH_MAX, /* a fileset path */
	FRAME_DIAG_MSG_MAX = 1024,
	CHILD_FD = 3, /* the pipe's write end in the child, every other descriptor closed */
	FRAME_BUF_SIZE = 65536, /* bytes written or read at once: a pipe's default capacity */
};

struct frame {
	uint32_t type, a, b, c;
};

struct wire_result {
	int32_t fetch_r; /* gitrepo_fetch's return, or the jail's own failure */
	int32_t tree_r;	 /* gitrepo_read_tree's return when the fetch worked */
	uint32_t failure;
	uint32_t recreated;
	uint32_t unfiltered;
	uint32_t notes_dropped; /* known_hosts notes past KNOWN_HOSTS_NOTES_MAX */
	uint32_t tree_known;	/* the commit is opts.known_commit: no tree read, none sent */
	char commit[GITREPO_OID_HEX_SIZE];
	char previous[GITREPO_OID_HEX_SIZE];
	char message[ERROR_MSG_MAX];
};

/* --- the fetch directory ---------------------------------------------------------------------- */

static int open_dir_nofollow(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int fetchjail_prepare_dir(int state_fd, const char *name, uid_t uid, gid_t gid, int *ret_fd)
{
	struct stat st;
	int fd, r;

	fd = open_dir_nofollow(state_fd, name);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != uid || st.st_gid != gid)) {
		/* Someone else's: the fetch user changed, or an older layout left it. */
		close(fd);
		r = fs_remove_tree(state_fd, name);
		if (r < 0 && r != -ENOENT)
			return r;
		fd = -ENOENT;
	}
	if (fd == -ENOENT) {
		if (mkdirat(state_fd, name, FETCHJAIL_DIR_MODE) < 0)
			return -errno;
		fd = open_dir_nofollow(state_fd, name);
		if (fd >= 0 && fchown(fd, uid, gid) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
	}
	if (fd < 0)
		return fd;
	if (fchmod(fd, FETCHJAIL_DIR_MODE) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* --- the child -------------------------------------------------------------------------------- */

/* The frames go out in pipe-sized writes, not three writes a file (issue 16: a write per frame
 * part was half the syscalls of a no-op sync). */
static struct {
	char buf[FRAME_BUF_SIZE];
	size_t n;
} out;

static int out_flush(void)
{
	int r = out.n ? fs_write_all(CHILD_FD, out.buf, out.n) : 0;

	out.n = 0;
	return r;
}

static int out_put(const void *data, size_t len)
{
	int r = 0;

	if (len > sizeof(out.buf) - out.n)
		r = out_flush();
	if (r < 0 || len == 0)
		return r;
	if (len >= sizeof(out.buf))
		return fs_write_all(CHILD_FD, data, len);
	memcpy(out.buf + out.n, data, len);
	out.n += len;
	return 0;
}

static int send_frame(uint32_t type, const void *x, size_t nx, const void *y, size_t ny, uint32_t c)
{
	struct frame f = {.type = type, .a = (uint32_t)nx, .b = (uint32_t)ny, .c = c};
	int r = out_put(&f, sizeof(f));

	if (r >= 0)
		r = out_put(x, nx);
	if (r >= 0)
		r = out_put(y, ny);
	return r;
}

static int send_tree(const struct fileset *repo, const struct diag_list *diags)
{
	int r = 0;

	for (size_t i = 0; repo && i < repo->n_files && r >= 0; i++) {
		const struct fileset_file *f = &repo->files[i];

		r = send_frame(FRAME_FILE, f->path, strlen(f->path), f->data, f->size, 0);
	}
	for (size_t i = 0; i < diags->n && r >= 0; i++) {
		const struct diag *d = &diags->items[i];
		size_t ml = strnlen(d->msg, FRAME_DIAG_MSG_MAX);

		r = send_frame(FRAME_DIAG, d->path, strnlen(d->path, PATH_MAX), d->msg, ml,
			       d->line);
	}
	return r;
}

/* Keep stdin, stdout, stderr and the pipe (moved to CHILD_FD); close everything else root had
 * open (the sync lock, configuration files): the fetch user must hold none of them. */
static int close_other_fds(int pipe_fd)
{
	if (pipe_fd != CHILD_FD) {
		if (dup2(pipe_fd, CHILD_FD) < 0)
			return -errno;
	}
	if (syscall(SYS_close_range, CHILD_FD + 1, ~0U, 0) == 0)
		return 0;
	for (int fd = CHILD_FD + 1; fd < 65536; fd++)
		(void)close(fd);
	return 0;
}

/* No core, a bounded address space (lowered, never raised above what the caller set), and no
 * way to gain privileges through exec (there is no exec, but the filter needs it set). */
static int restrict_self(struct gitrepo_error *err)
{
	const struct rlimit no_core = {0, 0};
	struct rlimit as = {0, 0};

	if (getrlimit(RLIMIT_AS, &as) < 0)
		goto fail;
	if (as.rlim_max == RLIM_INFINITY || as.rlim_max > FETCHJAIL_AS_MAX)
		as.rlim_max = FETCHJAIL_AS_MAX;
	if (as.rlim_cur == RLIM_INFINITY || as.rlim_cur > as.rlim_max)
		as.rlim_cur = as.rlim_max;
	if (setrlimit(RLIMIT_CORE, &no_core) < 0 || setrlimit(RLIMIT_AS, &as) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	return 0;
fail:
	return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, -errno, "cannot restrict the fetch: %s",
				 strerror(errno));
}

/* Everything that needs root happens first; then the drop, and nothing after it can undo it. */
static int child_enter(const struct fetchjail_opts *o, struct wire_result *w,
		       struct gitrepo_error *err)
{
	const struct exec_ids ids = {.uid = o->uid, .gid = o->gid, .n_groups = 0};
	int r;

	/* Only https reads a CA: parsing one for file:// or ssh is most of a no-op's fetch. */
	if (strncmp(o->fetch->url, "https://", 8) == 0) {
		r = gitrepo_load_ca(o->ca_bundle, err);
		if (r < 0)
			return r;
	} else if (gitrepo_runtime_init() < 0) {
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, -EIO,
					 "unable to initialise libgit2");
	}
	umask(0077); /* the repository is the fetch user's alone */
	r = restrict_self(err);
	if (r < 0)
		return r;
	r = o->drop ? exec_drop_ids(&ids) : 0;
	if (r < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, r,
					 "cannot become the fetch user (uid %u): %s",
					 (unsigned)o->uid, strerror(-r));
	/* The drop resets dumpable from fs.suid_dumpable: the memory holds the deploy key. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, -errno,
					 "cannot restrict the fetch: %s", strerror(errno));
	/* EINVAL: a kernel without seccomp filters, or qemu-user, which keeps them from guests */
	r = seccomp_install_fetch_filter();
	w->unfiltered = r == -EINVAL;
	if (r < 0 && r != -EINVAL)
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, r,
					 "cannot install the seccomp filter: %s", strerror(-r));
	return 0;
}

static void child_work(const struct fetchjail_opts *o, struct wire_result *w)
{
	struct gitrepo_fetch_result res = {0};
	struct gitrepo_error gerr = {0};
	struct diag_list diags = {0};
	struct fileset *repo = NULL;
	struct gitrepo_open *open = NULL;

	w->fetch_r = child_enter(o, w, &gerr);
	/* libgit2's $HOME: empty, and the fetch user's */
	if (w->fetch_r >= 0 && o->fetch->home_dir && mkdir(o->fetch->home_dir, 0700) < 0 &&
	    errno != EEXIST)
		w->fetch_r =
			gitrepo_error_set(&gerr, GITREPO_FAIL_LOCAL, -errno, "cannot create %s: %s",
					  o->fetch->home_dir, strerror(errno));
	if (w->fetch_r >= 0)
		w->fetch_r = o->fetch->no_fetch ? gitrepo_last_tip(o->fetch, &res, &gerr)
						: gitrepo_fetch_open(o->fetch, &res, &gerr, &open);
	if (w->fetch_r < 0) {
		w->failure = gerr.failure;
		memcpy(w->message, gerr.msg, sizeof(w->message));
		return;
	}
	memcpy(w->commit, res.commit, sizeof(w->commit));
	memcpy(w->previous, res.previous, sizeof(w->previous));
	w->recreated = res.recreated;
	/* The caller has this commit's files: reading them again is most of a no-op's fetch. */
	w->tree_known = o->known_commit && strcmp(o->known_commit, res.commit) == 0;
	if (!w->tree_known) {
		w->tree_r =
			open ? gitrepo_read_open_tree(open, res.commit, "", &repo, &diags)
			     : gitrepo_read_tree(o->fetch->repo_dir, res.commit, "", &repo, &diags);
		if (send_tree(repo, &diags) < 0)
			_exit(1);
	}
	if (o->new_hostkey && o->new_hostkey->host[0] &&
	    send_frame(FRAME_HOSTKEY, o->new_hostkey->host, strlen(o->new_hostkey->host),
		       o->new_hostkey->key, o->new_hostkey->key_len, o->new_hostkey->port) < 0)
		_exit(1);
	/* No frees, open's neither: the process ends right after the result. */
}

/* Sent whether the fetch worked or not: a refused host is when the notes matter most. */
static void send_notes(const struct fetchjail_opts *o, struct wire_result *w)
{
	const struct known_hosts_notes *kn = o->notes;

	for (unsigned i = 0; kn && i < kn->n && i < KNOWN_HOSTS_NOTES_MAX; i++) {
		const char *what = kn->items[i].what;

		if (send_frame(FRAME_NOTE, what, strnlen(what, KNOWN_HOSTS_NOTE_MAX - 1), NULL, 0,
			       kn->items[i].line) < 0)
			_exit(1);
	}
	if (kn)
		w->notes_dropped = kn->dropped;
}

__attribute__((noreturn)) static void child_main(const void *arg, int pipe_fd)
{
	const struct fetchjail_opts *o = arg;
	struct wire_result w = {0};

	(void)signal(SIGPIPE, SIG_DFL);
	/* The directory first: its descriptor is one of those closed next. */
	if (fchdir(o->dir_fd) < 0 || close_other_fds(pipe_fd) < 0)
		_exit(1);
	child_work(o, &w);
	send_notes(o, &w);
	if (send_frame(FRAME_RESULT, &w, sizeof(w), NULL, 0, 0) < 0 || out_flush() < 0)
		_exit(1);
	_exit(0);
}

/* --- the parent ------------------------------------------------------------------------------- */

struct reader {
	const struct child *child;
	uint64_t deadline_ms; /* clock_now_ms() */
	bool timed_out;
	char buf[FRAME_BUF_SIZE]; /* read ahead: buf[pos..len) not taken yet */
	size_t pos, len;
};

/* Exactly len bytes before the deadline: 0, -EPIPE at end of file, -ETIMEDOUT, or -errno. */
static int read_exact(struct reader *rd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n = 0;

	while (len > 0) {
		size_t k = rd->len - rd->pos < len ? rd->len - rd->pos : len;

		memcpy(p, rd->buf + rd->pos, k);
		rd->pos += k, p += k, len -= k;
		if (len == 0)
			break;
		if (len >= sizeof(rd->buf)) { /* a large file: straight into place */
			n = child_read(rd->child, p, len, rd->deadline_ms);
			break;
		}
		n = child_read_some(rd->child, rd->buf, sizeof(rd->buf), rd->deadline_ms);
		if (n < 0)
			break;
		rd->pos = 0, rd->len = (size_t)n;
	}
	if (n == -ETIMEDOUT)
		rd->timed_out = true;
	return n < 0 ? (int)n : 0;
}

/* a bytes then b bytes, each NUL-terminated, a <= max_a and b <= max_b; free() both. */
static int read_pair(struct reader *rd, const struct frame *f, size_t max_a, size_t max_b,
		     char **ret_a, char **ret_b)
{
	char *x = NULL, *y = NULL;
	int r;

	if (f->a > max_a || f->b > max_b)
		return -EPROTO;
	x = malloc((size_t)f->a + 1);
	y = malloc((size_t)f->b + 1);
	if (!x || !y) {
		free(x);
		free(y);
		return -ENOMEM;
	}
	r = read_exact(rd, x, f->a);
	if (r >= 0)
		r = read_exact(rd, y, f->b);
	x[f->a] = '\0';
	y[f->b] = '\0';
	if (r < 0) {
		free(x);
		free(y);
		return r;
	}
	*ret_a = x;
	*ret_b = y;
	return 0;
}

static bool text_clean(const char *s, size_t len)
{
	return strlen(s) == len;
}

static int take_file(struct reader *rd, const struct frame *f, struct fileset *repo)
{
	char *path, *data;
	int r = read_pair(rd, f, FRAME_PATH_MAX, FILESET_FILE_MAX, &path, &data);

	if (r < 0)
		return r;
	r = f->a && text_clean(path, f->a) ? fileset_add(repo, path, data, f->b) : -EPROTO;
	free(path);
	free(data);
	return r;
}

static int take_diag(struct reader *rd, const struct frame *f, struct diag_list *diags)
{
	char *path, *msg;
	int r = read_pair(rd, f, PATH_MAX, FRAME_DIAG_MSG_MAX, &path, &msg);

	if (r < 0)
		return r;
	if (text_clean(path, f->a) && text_clean(msg, f->b))
		r = diag_add(diags, "", path, f->c, "%s", msg);
	else
		r = -EPROTO;
	free(path);
	free(msg);
	return r;
}

static int take_hostkey(struct reader *rd, const struct frame *f, struct fetchjail_hostkey *hk)
{
	char *host, *key;
	int r;

	if (!hk)
		return -EPROTO;
	r = read_pair(rd, f, FETCHJAIL_HOST_MAX - 1, FETCHJAIL_HOSTKEY_MAX, &host, &key);
	if (r < 0)
		return r;
	if (f->a && text_clean(host, f->a) && f->c > 0 && f->c <= PORT_MAX) {
		memcpy(hk->host, host, (size_t)f->a + 1);
		memcpy(hk->key, key, f->b);
		hk->key_len = f->b;
		hk->port = f->c;
	} else {
		r = -EPROTO;
	}
	free(host);
	free(key);
	return r;
}

static int take_note(struct reader *rd, const struct frame *f, struct known_hosts_notes *kn)
{
	char *what, *none;
	int r;

	if (!kn)
		return -EPROTO;
	r = read_pair(rd, f, KNOWN_HOSTS_NOTE_MAX - 1, 0, &what, &none);
	if (r < 0)
		return r;
	if (text_clean(what, f->a) && f->c > 0)
		known_hosts_notes_add(kn, f->c, what);
	else
		r = -EPROTO;
	free(what);
	free(none);
	return r;
}

static bool oid_valid(const char *s, bool may_be_empty)
{
	size_t n = strnlen(s, GITREPO_OID_HEX_SIZE);

	if (n == 0)
		return may_be_empty;
	if (n != GITREPO_OID_HEX_SIZE - 1)
		return false;
	return strspn(s, "0123456789abcdef") == n;
}

static int take_result(struct reader *rd, const struct frame *f, struct wire_result *w)
{
	int r;

	if (f->a != sizeof(*w) || f->b != 0)
		return -EPROTO;
	r = read_exact(rd, w, sizeof(*w));
	if (r < 0)
		return r;
	w->message[sizeof(w->message) - 1] = '\0';
	if (w->fetch_r >= 0 &&
	    (!oid_valid(w->commit, false) || !oid_valid(w->previous, true) || w->tree_r > 0))
		return -EPROTO;
	if (w->fetch_r < 0 && (w->fetch_r < -4095 || w->failure > GITREPO_FAIL_PROTOCOL))
		return -EPROTO;
	return 0;
}

/* Frames until the result: 1 with w filled, or -errno. */
static int read_frames(struct reader *rd, const struct fetchjail_opts *o, struct fileset *repo,
		       struct diag_list *diags, struct wire_result *w)
{
	for (;;) {
		struct frame f;
		int r = read_exact(rd, &f, sizeof(f));

		if (r < 0)
			return r;
		if (f.type == FRAME_FILE)
			r = take_file(rd, &f, repo);
		else if (f.type == FRAME_DIAG)
			r = take_diag(rd, &f, diags);
		else if (f.type == FRAME_HOSTKEY)
			r = take_hostkey(rd, &f, o->new_hostkey);
		else if (f.type == FRAME_NOTE)
			r = take_note(rd, &f, o->notes);
		else if (f.type == FRAME_RESULT)
			return take_result(rd, &f, w) < 0 ? -EPROTO : 1;
		else
			r = -EPROTO;
		if (r < 0)
			return r;
	}
}

static int broken_child(int r, int status, const struct reader *rd, unsigned timeout_s,
			struct gitrepo_error *err)
{
	if (rd->timed_out)
		return gitrepo_error_set(err, GITREPO_FAIL_TIMEOUT, -ETIMEDOUT,
					 "the fetch did not finish within %u s", timeout_s);
	if (r == -EPIPE && WIFSIGNALED(status))
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, -EPROTO,
					 "the fetch process was killed by signal %d",
					 WTERMSIG(status));
	if (r == -EPIPE)
		return gitrepo_error_set(
			err, GITREPO_FAIL_LOCAL, -EPROTO,
			"the fetch process exited with status %d before its result",
			WEXITSTATUS(status));
	return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, r < 0 ? r : -EPROTO,
				 "the fetch process sent a bad result: %s",
				 strerror(r < 0 ? -r : EPROTO));
}

/* Read, then always kill and reap; the outcome from the result frame. */
static int supervise(const struct fetchjail_opts *o, struct child *c, struct fetchjail_result *ret,
		     struct diag_list *diags, struct gitrepo_error *err)
{
	unsigned timeout_s = o->fetch->timeout_s + FETCHJAIL_TREE_MARGIN_S;
	struct reader rd = {.child = c};
	struct wire_result w = {0};
	struct fileset *repo = NULL;
	int r, status = 0;

	rd.deadline_ms = clock_now_ms() + (uint64_t)timeout_s * 1000;
	r = fileset_new(&repo);
	if (r >= 0)
		r = read_frames(&rd, o, repo, diags, &w);
	(void)child_finish(c, true, &status);
	if (r == 1 && o->notes && w.notes_dropped < KNOWN_HOSTS_LINES_MAX)
		o->notes->dropped += w.notes_dropped; /* only counted */
	if (r != 1) {
		fileset_free(repo);
		return broken_child(r, status, &rd, timeout_s, err);
	}
	if (w.fetch_r < 0) {
		fileset_free(repo);
		return gitrepo_error_set(err, (enum gitrepo_failure)w.failure, w.fetch_r, "%s",
					 w.message);
	}
	/* A child that says it read no tree (compromised, it could say anything) is believed only
	 * for the commit the caller has the files of, and whatever it sent is dropped. */
	if (w.tree_known && o->known_commit && strcmp(o->known_commit, w.commit) == 0 &&
	    w.tree_r == 0) {
		fileset_free(repo);
		repo = NULL;
	} else if (w.tree_known) {
		fileset_free(repo);
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, -EPROTO,
					 "the fetch process sent a bad result: %s",
					 strerror(EPROTO));
	} else if (w.tree_r < 0 || fileset_sort(repo) < 0) {
		fileset_free(repo);
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, w.tree_r < 0 ? w.tree_r : -EPROTO,
					 "cannot read the desired state of commit %.12s: %s",
					 w.commit, strerror(w.tree_r < 0 ? -w.tree_r : EPROTO));
	}
	memcpy(ret->fetch.commit, w.commit, sizeof(w.commit));
	memcpy(ret->fetch.previous, w.previous, sizeof(w.previous));
	ret->fetch.recreated = w.recreated != 0;
	ret->unfiltered = w.unfiltered != 0;
	ret->repo = repo;
	ret->tree_known = repo == NULL;
	return 0;
}

int fetchjail_run(const struct fetchjail_opts *o, struct fetchjail_result *ret,
		  struct diag_list *diags, struct gitrepo_error *err)
{
	struct child c;
	int r;

	*err = (struct gitrepo_error){0};
	if (o->new_hostkey)
		o->new_hostkey->host[0] = '\0';
	r = child_start(&c, child_main, o);
	if (r < 0)
		return gitrepo_error_set(err, GITREPO_FAIL_LOCAL, r,
					 "cannot start the fetch process: %s", strerror(-r));
	return supervise(o, &c, ret, diags, err);
}
