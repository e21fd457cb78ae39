/* test-state.c: unit tests of core/state — the workloads directory, record store and load (round
 * trip, exact text, mode, atomic replace), malformed and hostile records, listing, and quadsync's
 * hashes/ files and composite hash; every fixture is written below a temporary root at test time.
 */

#define _GNU_SOURCE /* nftw */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "state.h"
#include "scratch.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define C40 "89abcdef0123456789abcdef0123456789abcdef"

/* A valid record of "web" without [Files], for the malformed cases to spoil one line of. */
#define REC_HEAD   "[Workload]\nName=web\n"
#define REC_HASH   "Hash=" H64 "\n"
#define REC_COMMIT "Commit=" C40 "\n"
#define REC_SVC	   "Service=web.service\n"
#define REC_UID	   "UID=1001\n"

struct fixture {
	char root[64];
	char state[96];
	char quadsync[96];
	int dirfd;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/tailpod-test-state.XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	snprintf(fx->state, sizeof(fx->state), "%s/state", fx->root);
	snprintf(fx->quadsync, sizeof(fx->quadsync), "%s/quadsync", fx->root);
	if (state_dir_open(fx->state, &fx->dirfd) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int r;

	close(fx->dirfd);
	r = scratch_remove(fx->root);
	free(fx);
	return r;
}

/* Write name below dirfd with content. */
static void put_at(int dirfd, const char *name, const char *content, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void put(const struct fixture *fx, const char *name, const char *content)
{
	put_at(fx->dirfd, name, content, strlen(content));
}

/* Write quadsync's hashes/name as quadsync does (no newline unless content has one). */
static void put_hash(const struct fixture *fx, const char *name, const char *content)
{
	char path[256];
	int fd;

	(void)mkdir(fx->quadsync, 0755);
	snprintf(path, sizeof(path), "%s/hashes", fx->quadsync);
	(void)mkdir(path, 0755);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	put_at(fd, name, content, strlen(content));
	close(fd);
}

/* The whole file below dirfd, NUL-terminated; free() it. */
static char *slurp(int dirfd, const char *name)
{
	static char buf[64 * 1024];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	close(fd);
	buf[n] = '\0';
	return strdup(buf);
}

/* How many entries dirfd holds besides "." and "..". */
static size_t count_entries(int dirfd)
{
	DIR *d = fdopendir(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static struct state_file web_files[] = {
	{.name = "web.container", .dir = SPEC_UNIT_QUADLET},
	{.name = "web-backup.timer", .dir = SPEC_UNIT_SYSTEMD},
	{.name = "web-data.volume", .dir = SPEC_UNIT_QUADLET},
};

static struct state_record web_record(void)
{
	struct state_record rec = {
		.name = "web",
		.hash = H64,
		.commit = C40,
		.service = "web.service",
		.uid = 1001,
		.deployed_at = 1700000000,
		.files = web_files,
		.n_files = ARRAY_SIZE(web_files),
	};

	return rec;
}

static void test_dir_open(void **state)
{
	struct fixture *fx = *state;
	char path[160];
	struct stat st;
	int fd;

	/* setup created both levels. */
	assert_int_equal(stat(fx->state, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/workloads", fx->state);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(fstat(fx->dirfd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Opening again finds both. */
	assert_int_equal(state_dir_open(fx->state, &fd), 0);
	close(fd);
	assert_int_equal(state_dir_open("", &fd), -EINVAL);
}

static void test_dir_open_symlink(void **state)
{
	struct fixture *fx = *state;
	char top[160], link[192], target[192];
	int fd = -1;

	snprintf(top, sizeof(top), "%s/other", fx->root);
	assert_int_equal(mkdir(top, 0700), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", fx->root);
	assert_int_equal(mkdir(target, 0700), 0);
	snprintf(link, sizeof(link), "%s/workloads", top);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(state_dir_open(top, &fd), -ELOOP);
	assert_int_equal(fd, -1);
	/* A file in its place is not a directory. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(close(open(link, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)), 0);
	assert_int_equal(state_dir_open(top, &fd), -ENOTDIR);
}

static void test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct state_record rec = web_record(), got;
	struct stat st;

	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), 0);
	assert_string_equal(got.name, "web");
	assert_string_equal(got.hash, H64);
	assert_string_equal(got.commit, C40);
	assert_string_equal(got.service, "web.service");
	assert_int_equal(got.uid, 1001);
	assert_int_equal(got.deployed_at, 1700000000);
	/* Record order, not name order. */
	assert_int_equal(got.n_files, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(got.files[i].name, web_files[i].name);
		assert_int_equal(got.files[i].dir, web_files[i].dir);
	}
	state_record_release(&got);
	assert_null(got.files);
	assert_int_equal(got.n_files, 0);
	state_record_release(NULL);
	/* 0600 whatever the umask, and no temp file left beside it. */
	assert_int_equal(fstatat(fx->dirfd, "web", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(fx->dirfd), 1);
}

static void test_store_text(void **state)
{
	struct fixture *fx = *state;
	struct state_record rec = web_record(), got;
	char *text;

	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	text = slurp(fx->dirfd, "web");
	assert_string_equal(text,
			    "# tailpod sync: what was deployed for this workload; do not edit\n"
			    "\n"
			    "[Workload]\n"
			    "Name=web\n"
			    "Hash=" H64 "\n"
			    "Commit=" C40 "\n"
			    "Service=web.service\n"
			    "UID=1001\n"
			    "DeployedAt=1700000000\n"
			    "\n"
			    "[Files]\n"
			    "Quadlet=web.container\n"
			    "Systemd=web-backup.timer\n"
			    "Quadlet=web-data.volume\n");
	free(text);
	/* A record migrated from quadsync: no commit; and no files. */
	rec.commit[0] = '\0';
	rec.n_files = 0;
	rec.files = NULL;
	rec.uid = 4294967294u;
	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	text = slurp(fx->dirfd, "web");
	assert_non_null(strstr(text, "\nCommit=\n"));
	assert_non_null(strstr(text, "\nUID=4294967294\n"));
	assert_null(strstr(text, "[Files]"));
	free(text);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), 0);
	assert_string_equal(got.commit, "");
	assert_int_equal(got.uid, 4294967294u);
	assert_int_equal(got.n_files, 0);
	assert_null(got.files);
	state_record_release(&got);
}

static void test_store_replaces(void **state)
{
	struct fixture *fx = *state;
	struct state_record rec = web_record(), got;
	struct stat st;

	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	rec.hash[0] = 'f';
	rec.uid = 2002;
	rec.n_files = 1;
	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), 0);
	assert_int_equal(got.hash[0], 'f');
	assert_int_equal(got.uid, 2002);
	assert_int_equal(got.n_files, 1);
	state_record_release(&got);
	assert_int_equal(fstatat(fx->dirfd, "web", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(fx->dirfd), 1);
	/* A refused store leaves the old record as it was. */
	rec.hash[0] = 'F';
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), 0);
	assert_int_equal(got.hash[0], 'f');
	state_record_release(&got);
}

static void test_store_invalid(void **state)
{
	struct fixture *fx = *state;
	static struct state_file many[STATE_FILES_MAX + 1];
	struct state_file bad_file[1];
	struct state_record rec;
	static const char *const bad_names[] = {"", ".web", "a/b", "..", "-web", "123", "web name"};
	static const char *const bad_files[] = {
		"",   ".web.container",	 "a/.b.container", "a/../b", "a//b", "/a",
		"a/", "web\n.container", "web.container\\"};
	static const char *const bad_services[] = {"", "web", "web service", "web/x.service",
						   "web.service\n"};

	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		rec = web_record();
		snprintf(rec.name, sizeof(rec.name), "%s", bad_names[i]);
		assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_files); i++) {
		rec = web_record();
		snprintf(bad_file[0].name, sizeof(bad_file[0].name), "%s", bad_files[i]);
		bad_file[0].dir = SPEC_UNIT_QUADLET;
		rec.files = bad_file;
		rec.n_files = 1;
		assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_services); i++) {
		rec = web_record();
		snprintf(rec.service, sizeof(rec.service), "%s", bad_services[i]);
		assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	}
	rec = web_record();
	rec.hash[63] = '\0';
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	rec = web_record();
	rec.hash[5] = 'A';
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	rec = web_record();
	rec.commit[39] = '\0';
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	rec = web_record();
	rec.uid = (uid_t)-1;
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	rec = web_record();
	rec.deployed_at = -1;
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	rec = web_record();
	memset(rec.name, 'a', sizeof(rec.name)); /* not terminated */
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	rec = web_record();
	bad_file[0] = web_files[0];
	bad_file[0].dir = (enum spec_unit_dir)7;
	rec.files = bad_file;
	rec.n_files = 1;
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	rec = web_record();
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = web_files[0];
	rec.files = many;
	rec.n_files = ARRAY_SIZE(many);
	assert_int_equal(state_record_store(fx->dirfd, &rec), -E2BIG);
	assert_int_equal(state_record_store(fx->dirfd, NULL), -EINVAL);
	/* Nothing was written, not even a temp file. */
	assert_int_equal(count_entries(fx->dirfd), 0);
	/* The bound itself is fine, and reads back. */
	rec.n_files = STATE_FILES_MAX;
	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	assert_int_equal(state_record_load(fx->dirfd, "web", &rec), 0);
	assert_int_equal(rec.n_files, STATE_FILES_MAX);
	state_record_release(&rec);
}

static void test_load_malformed(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = {
		/* Hash: short, upper case, missing */
		REC_HEAD "Hash=0123\n" REC_COMMIT REC_SVC REC_UID,
		REC_HEAD "Hash=" H64 "A\n" REC_COMMIT REC_SVC REC_UID,
		REC_HEAD
		"Hash=ABCDEF6789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" REC_COMMIT
			REC_SVC REC_UID,
		REC_HEAD REC_COMMIT REC_SVC REC_UID,
		/* Name: another workload's, missing */
		"[Workload]\nName=db\n" REC_HASH REC_COMMIT REC_SVC REC_UID,
		"[Workload]\n" REC_HASH REC_COMMIT REC_SVC REC_UID,
		/* Commit: missing (an empty one is fine), short */
		REC_HEAD REC_HASH REC_SVC REC_UID,
		REC_HEAD REC_HASH "Commit=abc\n" REC_SVC REC_UID,
		/* Service: missing, not a unit name */
		REC_HEAD REC_HASH REC_COMMIT REC_UID,
		REC_HEAD REC_HASH REC_COMMIT "Service=web\n" REC_UID,
		REC_HEAD REC_HASH REC_COMMIT "Service=../web.service\n" REC_UID,
		/* UID: missing, negative, not a number, (uid_t)-1, past 32 bits */
		REC_HEAD REC_HASH REC_COMMIT REC_SVC,
		REC_HEAD REC_HASH REC_COMMIT REC_SVC "UID=-1\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC "UID=10a\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC "UID=4294967295\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC "UID=99999999999999999999999\n",
		/* DeployedAt: not a number, negative, past long long */
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "DeployedAt=soon\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "DeployedAt=-5\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "DeployedAt=9223372036854775808\n",
		/* Files: a path, a dot name, an empty name, an unknown kind */
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\nQuadlet=../../.bashrc\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\nQuadlet=a/.b.container\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\nQuadlet=a/./b.container\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\nSystemd=a/b.timer\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\nSystemd=.web.timer\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\nQuadlet=\n",
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\nQuadlet=web.container\n"
							     "Home=.bashrc\n",
		/* Not INI at all */
		REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "this is no entry\n",
		"",
	};
	struct state_record got = {.n_files = 99};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		put(fx, "web", bad[i]);
		if (state_record_load(fx->dirfd, "web", &got) != -EBADMSG)
			fail_msg("case %zu loaded: %s", i, bad[i]);
		/* *ret is set only on success. */
		assert_int_equal(got.n_files, 99);
	}
}

/* An app's files keep their tree below the quadlet directory (issue 22): a relative path round
 * trips, up to STATE_PATH_MAX bytes; a systemd file is still one component. */
static void test_app_paths(void **state)
{
	struct fixture *fx = *state;
	struct state_file files[] = {
		{.name = "web.target", .dir = SPEC_UNIT_SYSTEMD},
		{.name = "web/conf/nginx/site.conf", .dir = SPEC_UNIT_QUADLET},
		{.name = "web/net/web.network", .dir = SPEC_UNIT_QUADLET},
		{.name = "", .dir = SPEC_UNIT_QUADLET},
	};
	struct state_record rec = web_record(), got;

	memset(files[3].name, 'a', STATE_PATH_MAX);
	files[3].name[STATE_PATH_MAX] = '\0';
	for (size_t k = 200; k < STATE_PATH_MAX; k += 201)
		files[3].name[k] = '/';
	rec.files = files;
	rec.n_files = ARRAY_SIZE(files);
	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), 0);
	assert_int_equal(got.n_files, ARRAY_SIZE(files));
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		assert_string_equal(got.files[i].name, files[i].name);
		assert_int_equal(got.files[i].dir, files[i].dir);
	}
	state_record_release(&got);
	/* A component past STATE_UNIT_MAX; a tree below the systemd directory. */
	files[3].name[200] = 'a';
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
	files[3].name[200] = '/';
	files[1].dir = SPEC_UNIT_SYSTEMD;
	assert_int_equal(state_record_store(fx->dirfd, &rec), -EINVAL);
}

static void test_load_too_many_files(void **state)
{
	struct fixture *fx = *state;
	size_t cap = 64 * 1024, len;
	char *text = malloc(cap);
	struct state_record got;

	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "%s",
			       REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\n");
	for (size_t i = 0; i <= STATE_FILES_MAX; i++)
		len += (size_t)snprintf(text + len, cap - len, "Quadlet=w%zu.volume\n", i);
	assert_true(len < cap);
	put(fx, "web", text);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), -EBADMSG);
	free(text);
}

static void test_load_forward_compatible(void **state)
{
	struct fixture *fx = *state;
	struct state_record got;

	/* Unknown keys and sections are for a newer tailpod; a missing DeployedAt is 0; the files
	 * of every [Files] section count, in order. */
	put(fx, "web",
	    "# a comment\n" REC_HEAD REC_HASH "Commit=\n" REC_SVC REC_UID "Rollout=canary\n"
	    "[Files]\n"
	    "Systemd=web-backup.service\n"
	    "[Extra]\n"
	    "Anything=at all\n"
	    "[Files]\n"
	    "; a comment\n"
	    "Quadlet=web.container\n");
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), 0);
	assert_string_equal(got.commit, "");
	assert_int_equal(got.deployed_at, 0);
	assert_int_equal(got.n_files, 2);
	assert_string_equal(got.files[0].name, "web-backup.service");
	assert_int_equal(got.files[0].dir, SPEC_UNIT_SYSTEMD);
	assert_string_equal(got.files[1].name, "web.container");
	assert_int_equal(got.files[1].dir, SPEC_UNIT_QUADLET);
	state_record_release(&got);
}

static void test_load_not_a_record(void **state)
{
	struct fixture *fx = *state;
	struct state_record rec = web_record(), got;
	char target[160];
	size_t big = STATE_RECORD_MAX + 1;
	char *text = malloc(big);

	assert_int_equal(state_record_load(fx->dirfd, "web", &got), -ENOENT);
	assert_int_equal(state_record_load(fx->dirfd, "../web", &got), -EINVAL);
	assert_int_equal(state_record_load(fx->dirfd, ".web", &got), -EINVAL);
	/* A symlink to a valid record elsewhere is not followed. */
	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	snprintf(target, sizeof(target), "%s/real", fx->root);
	assert_int_equal(renameat(fx->dirfd, "web", AT_FDCWD, target), 0);
	assert_int_equal(symlinkat(target, fx->dirfd, "web"), 0);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), -ELOOP);
	assert_int_equal(unlinkat(fx->dirfd, "web", 0), 0);
	/* A FIFO: refused at once, not waited on (alarm: a hang fails the test). */
	assert_int_equal(mkfifoat(fx->dirfd, "web", 0600), 0);
	alarm(10);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), -EBADFD);
	alarm(0);
	assert_int_equal(unlinkat(fx->dirfd, "web", 0), 0);
	assert_int_equal(mkdirat(fx->dirfd, "web", 0700), 0);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), -EISDIR);
	assert_int_equal(unlinkat(fx->dirfd, "web", AT_REMOVEDIR), 0);
	/* Past STATE_RECORD_MAX. */
	assert_non_null(text);
	memset(text, '#', big);
	put_at(fx->dirfd, "web", text, big);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), -EFBIG);
	free(text);
}

static void test_remove(void **state)
{
	struct fixture *fx = *state;
	struct state_record rec = web_record(), got;

	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	assert_int_equal(state_record_remove(fx->dirfd, "web"), 0);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), -ENOENT);
	assert_int_equal(state_record_remove(fx->dirfd, "web"), 0);
	assert_int_equal(state_record_remove(fx->dirfd, "../state"), -EINVAL);
	assert_int_equal(state_record_remove(fx->dirfd, ""), -EINVAL);
	assert_int_equal(count_entries(fx->dirfd), 0);
}

static void test_list(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = {"web",
					    "db",
					    "api-v2",
					    ".web.0123456789abcdef",
					    ".hidden",
					    "-bad",
					    "123",
					    "bad name",
					    "a23456789012345678901234567890123",
					    "Zed"};
	char **names = (char **)1;
	size_t n = 99;

	assert_int_equal(state_list(fx->dirfd, &names, &n), 0);
	assert_null(names);
	assert_int_equal(n, 0);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		put(fx, files[i], "");
	/* Twice: listing must not depend on (or move) the offset of the caller's fd. */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(state_list(fx->dirfd, &names, &n), 0);
		assert_int_equal(n, 4);
		assert_string_equal(names[0], "Zed");
		assert_string_equal(names[1], "api-v2");
		assert_string_equal(names[2], "db");
		assert_string_equal(names[3], "web");
		free(names);
	}
	assert_int_equal(state_list(fx->dirfd, NULL, &n), -EINVAL);
}

static void test_list_bound(void **state)
{
	struct fixture *fx = *state;
	char **names = NULL, name[16];
	size_t n = 0;

	for (size_t i = 0; i < STATE_WORKLOADS_MAX; i++) {
		snprintf(name, sizeof(name), "w%05zu", i);
		put(fx, name, "");
	}
	assert_int_equal(state_list(fx->dirfd, &names, &n), 0);
	assert_int_equal(n, STATE_WORKLOADS_MAX);
	assert_string_equal(names[0], "w00000");
	assert_string_equal(names[n - 1], "w16383");
	free(names);
	put(fx, "x", "");
	names = NULL;
	assert_int_equal(state_list(fx->dirfd, &names, &n), -E2BIG);
	assert_null(names);
}

static void test_quadsync_list(void **state)
{
	struct fixture *fx = *state;
	char **names = (char **)1;
	size_t n = 99;

	/* No quadsync here at all. */
	assert_int_equal(state_quadsync_list(fx->quadsync, &names, &n), 0);
	assert_null(names);
	assert_int_equal(n, 0);
	put_hash(fx, "web", H64);
	put_hash(fx, "db", H64 "\n");
	put_hash(fx, ".db.swp", "");
	put_hash(fx, "not valid", "");
	assert_int_equal(state_quadsync_list(fx->quadsync, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "db");
	assert_string_equal(names[1], "web");
	free(names);
}

static void test_quadsync_list_symlink(void **state)
{
	struct fixture *fx = *state;
	char path[160];
	char **names = NULL;
	size_t n = 0;

	assert_int_equal(mkdir(fx->quadsync, 0755), 0);
	snprintf(path, sizeof(path), "%s/hashes", fx->quadsync);
	assert_int_equal(symlink(fx->state, path), 0);
	assert_int_equal(state_quadsync_list(fx->quadsync, &names, &n), -ELOOP);
}

static void test_quadsync_hash(void **state)
{
	struct fixture *fx = *state;
	static const char *const good[] = {H64, H64 "\n", "  " H64 "\r\n\n", "\t" H64};
	static const char *const bad[] = {
		"",
		"\n",
		"0123",
		H64 "0",
		"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef",
		"01234567 89abcdef0123456789abcdef0123456789abcdef0123456789abcde",
		H64 "\n" H64 "\n",
	};
	char hex[STATE_HASH_HEX_SIZE], path[160], big[5000];

	assert_int_equal(state_quadsync_hash(fx->quadsync, "web", hex), -ENOENT);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		memset(hex, 'x', sizeof(hex));
		put_hash(fx, "web", good[i]);
		assert_int_equal(state_quadsync_hash(fx->quadsync, "web", hex), 0);
		assert_string_equal(hex, H64);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		put_hash(fx, "web", bad[i]);
		if (state_quadsync_hash(fx->quadsync, "web", hex) != -EBADMSG)
			fail_msg("case %zu accepted: '%s'", i, bad[i]);
	}
	/* A huge file is no hash either. */
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, H64, 64);
	put_hash(fx, "web", big);
	assert_int_equal(state_quadsync_hash(fx->quadsync, "web", hex), -EBADMSG);
	assert_int_equal(state_quadsync_hash(fx->quadsync, "../web", hex), -EINVAL);
	/* Never through a symlink. */
	put_hash(fx, "real", H64);
	snprintf(path, sizeof(path), "%s/hashes/db", fx->quadsync);
	assert_int_equal(symlink("real", path), 0);
	assert_int_equal(state_quadsync_hash(fx->quadsync, "db", hex), -ELOOP);
}

/* The expected values were computed with coreutils, independently of core/hash:
 *   printf 'web.containerCONTENT' | sha256sum
 *   printf 'web-backup.timer[Timer]\nOnCalendar=daily\nweb.container[Container]\nImage=nginx\n' \
 *     | sha256sum
 *   printf '' | sha256sum */
static void test_quadsync_hash_of(void **state)
{
	static char timer[] = "[Timer]\nOnCalendar=daily\n",
		    container[] = "[Container]\nImage=nginx\n", content[] = "CONTENT",
		    web_container[] = "web.container", web_timer[] = "web-backup.timer";
	struct spec_unit one[] = {
		{.name = web_container, .data = content, .size = 7, .dir = SPEC_UNIT_QUADLET},
	};
	struct spec_unit two[] = {
		{.name = web_timer, .data = timer, .size = strlen(timer), .dir = SPEC_UNIT_SYSTEMD},
		{.name = web_container,
		 .data = container,
		 .size = strlen(container),
		 .dir = SPEC_UNIT_QUADLET},
	};
	struct spec_workload w = {.name = web_container, .units = one, .n_units = 1};
	char hex[STATE_HASH_HEX_SIZE];

	(void)state;
	state_quadsync_hash_of(&w, hex);
	assert_string_equal(hex,
			    "b832e5437f2cecd5e336e79a18a013f145a865363c2a4e31af228ed0a92d1fa0");
	w.units = two;
	w.n_units = 2;
	state_quadsync_hash_of(&w, hex);
	assert_string_equal(hex,
			    "95d74086b2c4d81d558931ac13e54a8f3082111ee1a3cccac73980ae2f3201bc");
	w.n_units = 0;
	state_quadsync_hash_of(&w, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* [Stamps] (issue 16): written one line a file in [Files] order, "-" for a file without one, read
 * back equal; state_record_restamp keeps every other field as read. */
static void test_stamps_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct state_record rec = web_record(), got, again;
	struct fs_stamp stamps[ARRAY_SIZE(web_files)] = {
		{.dev = 2049,
		 .ino = 77,
		 .size = 12,
		 .mtime_ns = 1,
		 .ctime_ns = 1700000000123456789,
		 .set = true},
		{0},
		{.dev = 1, .ino = 2, .size = 0, .mtime_ns = 3, .ctime_ns = 4, .set = true},
	};
	char *text;

	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	text = slurp(fx->dirfd, "web");
	assert_null(strstr(text, "[Stamps]")); /* none: no section */
	free(text);
	assert_int_equal(state_record_load(fx->dirfd, "web", &got), 0);
	for (size_t i = 0; i < got.n_files; i++)
		assert_false(got.files[i].stamp.set);
	assert_int_equal(state_record_restamp(fx->dirfd, &got, stamps), 0);
	text = slurp(fx->dirfd, "web");
	assert_non_null(strstr(text, "DeployedAt=1700000000\n"));
	assert_non_null(strstr(text, "\n[Stamps]\nFile=2049 77 12 1 1700000000123456789\n"
				     "File=-\nFile=1 2 0 3 4\n"));
	free(text);
	assert_int_equal(state_record_load(fx->dirfd, "web", &again), 0);
	assert_int_equal(again.deployed_at, 1700000000);
	assert_string_equal(again.commit, C40);
	for (size_t i = 0; i < again.n_files; i++)
		assert_true(again.files[i].stamp.set == stamps[i].set &&
			    (!stamps[i].set || fs_stamp_equal(&again.files[i].stamp, &stamps[i])));
	/* A stamp is offered for the same file of a record of the same bytes only. */
	assert_non_null(state_record_stamp(&again, 0, SPEC_UNIT_QUADLET, "web.container", H64));
	assert_null(state_record_stamp(&again, 0, SPEC_UNIT_SYSTEMD, "web.container", H64));
	assert_null(state_record_stamp(&again, 0, SPEC_UNIT_QUADLET, "web.pod", H64));
	assert_null(state_record_stamp(
		&again, 0, SPEC_UNIT_QUADLET, "web.container",
		"0000000000000000000000000000000000000000000000000000000000000000"));
	assert_null(state_record_stamp(&again, 1, SPEC_UNIT_SYSTEMD, "web-backup.timer", H64));
	assert_null(state_record_stamp(&again, 3, SPEC_UNIT_QUADLET, "web.container", H64));
	state_record_release(&again);
	state_record_release(&got);
}

/* Loaded into the caller's room for the files (sync's checks asked ahead, issue 16): the same
 * record, stamps included, in the room; more files than it holds is -E2BIG; a record that fails
 * leaves the room alone (ASan would see a stack array freed). */
static void test_load_in(void **state)
{
	struct fixture *fx = *state;
	struct state_record rec = web_record(), got = {.n_files = 99};
	struct state_file room[ARRAY_SIZE(web_files)], small[ARRAY_SIZE(web_files) - 1];
	struct fs_stamp stamps[ARRAY_SIZE(web_files)] = {
		{.dev = 1, .ino = 2, .size = 3, .mtime_ns = 4, .ctime_ns = 5, .set = true}};

	assert_int_equal(state_record_store(fx->dirfd, &rec), 0);
	assert_int_equal(state_record_restamp(fx->dirfd, &rec, stamps), 0);
	assert_int_equal(state_record_load_in(fx->dirfd, "web", &got, room, ARRAY_SIZE(room)), 0);
	assert_ptr_equal(got.files, room);
	assert_int_equal(got.n_files, ARRAY_SIZE(web_files));
	for (size_t i = 0; i < got.n_files; i++) {
		assert_string_equal(room[i].name, web_files[i].name);
		assert_int_equal(room[i].dir, web_files[i].dir);
		assert_int_equal(room[i].stamp.set, i == 0);
	}
	assert_true(fs_stamp_equal(&room[0].stamp, &stamps[0]));
	got.files = NULL; /* the room is the caller's */
	state_record_release(&got);

	got.n_files = 99;
	assert_int_equal(state_record_load_in(fx->dirfd, "web", &got, small, ARRAY_SIZE(small)),
			 -E2BIG);
	assert_int_equal(got.n_files, 99); /* *ret is set only on success */
	put(fx, "web",
	    REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID "[Files]\nQuadlet=a.container\n"
							 "Systemd=.web.timer\n");
	assert_int_equal(state_record_load_in(fx->dirfd, "web", &got, room, ARRAY_SIZE(room)),
			 -EBADMSG);
	assert_int_equal(got.n_files, 99);
}

/* A [Stamps] that does not parse, or does not count the files, gives no stamp at all: the record
 * still loads (a stamp only spares a read). */
static void test_stamps_malformed(void **state)
{
	static const char *const bad[] = {
		"File=1 2 3 4 5\nFile=-\n",		    /* one short */
		"File=1 2 3 4 5\nFile=-\nFile=-\nFile=-\n", /* one too many */
		"File=1 2 3 4\nFile=-\nFile=-\n",	    /* a field short */
		"File=1 2 3 4 5 6\nFile=-\nFile=-\n",	    /* a field more */
		"File=1 2 3 4 -5\nFile=-\nFile=-\n",	    /* a sign */
		"File=1 2 3 4 5x\nFile=-\nFile=-\n",	    /* a letter */
		"Other=1 2 3 4 5\nFile=-\nFile=-\n",	    /* another key */
	};
	struct fixture *fx = *state;
	char text[1024];
	struct state_record got;

	for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
		snprintf(text, sizeof(text),
			 "%s[Files]\nQuadlet=web.container\nSystemd=web-backup.timer\n"
			 "Quadlet=web-data.volume\n[Stamps]\n%s",
			 REC_HEAD REC_HASH REC_COMMIT REC_SVC REC_UID, bad[k]);
		put(fx, "web", text);
		assert_int_equal(state_record_load(fx->dirfd, "web", &got), 0);
		assert_int_equal(got.n_files, 3);
		for (size_t i = 0; i < got.n_files; i++)
			assert_false(got.files[i].stamp.set);
		state_record_release(&got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_open_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_too_many_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_forward_compatible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_not_a_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quadsync_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quadsync_list_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quadsync_hash, setup, teardown),
		cmocka_unit_test(test_quadsync_hash_of),
		cmocka_unit_test_setup_teardown(test_stamps_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stamps_malformed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
