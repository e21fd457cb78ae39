/* test-systemd.c: unit tests of core/systemd against fake commands — shell scripts written at test
 * time into a temporary directory and named through struct systemd_cmds, which log their argv and
 * exit as a per-program script file says (a status per call, or "hang") — and a fake cgroup tree
 * and /run/user for the liveness read and the bus socket check. */

#define _GNU_SOURCE /* nftw */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core.h"
#include "shadow.h"
#include "systemd.h"
#include "scratch.h"

struct fixture {
	char dir[64];
	char prog[5][128];
	char cgroup[128];
	char run_user[128];
	struct systemd_cmds cmds;
};

static const char *const prog_names[] = {"useradd", "userdel", "loginctl", "systemctl", "usermod"};

/* Logs "NAME ARGS" to DIR/log; exits with the next line of DIR/script.NAME (0 when none). */
static const char fake_fmt[] = "#!/bin/sh\n"
			       "d='%s'\n"
			       "n=${0##*/}\n"
			       "echo \"$n $*\" >>\"$d/log\"\n"
			       "st=0\n"
			       "if [ -s \"$d/script.$n\" ]; then\n"
			       "\tst=$(head -n 1 \"$d/script.$n\"); sed -i 1d \"$d/script.$n\"\n"
			       "fi\n"
			       "[ \"$st\" = hang ] && exec sleep 30\n"
			       "[ \"$st\" = 0 ] || echo \"$n: failure $st  \" >&2\n"
			       "exit \"$st\"\n";

static void write_file(const char *path, const char *data, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(data, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char script[1024], path[256];

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/tailpod-test-systemd.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(script, sizeof(script), fake_fmt, fx->dir);
	for (size_t i = 0; i < ARRAY_SIZE(prog_names); i++) {
		snprintf(fx->prog[i], sizeof(fx->prog[i]), "%s/%s", fx->dir, prog_names[i]);
		write_file(fx->prog[i], script, 0755);
	}
	snprintf(path, sizeof(path), "%s/log", fx->dir);
	write_file(path, "", 0644);
	snprintf(fx->cgroup, sizeof(fx->cgroup), "%s/cgroup", fx->dir);
	snprintf(fx->run_user, sizeof(fx->run_user), "%s/run-user", fx->dir);
	systemd_cmds_init(&fx->cmds);
	fx->cmds.useradd = fx->prog[0];
	fx->cmds.userdel = fx->prog[1];
	fx->cmds.loginctl = fx->prog[2];
	fx->cmds.systemctl = fx->prog[3];
	fx->cmds.usermod = fx->prog[4];
	fx->cmds.cgroup_root = fx->cgroup;
	fx->cmds.run_user = fx->run_user;
	fx->cmds.timeout_ms = 5000;
	fx->cmds.userdel_retry_ms = 10;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int r = scratch_remove(fx->dir);

	free(fx);
	return r;
}

static void script(const struct fixture *fx, const char *prog, const char *lines)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/script.%s", fx->dir, prog);
	write_file(path, lines, 0644);
}

static void assert_log(const struct fixture *fx, const char *want)
{
	char path[256], buf[4096] = "";
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/log", fx->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, want);
}

static void mkdirs(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		(void)mkdir(buf, 0755);
		*p = '/';
	}
	(void)mkdir(buf, 0755);
}

static void test_defaults(void **state)
{
	struct systemd_cmds c;

	(void)state;
	systemd_cmds_init(&c);
	assert_string_equal(c.useradd, "useradd"); /* bare: resolved in EXEC_SAFE_PATH */
	assert_string_equal(c.systemctl, "systemctl");
	assert_string_equal(c.cgroup_root, "/sys/fs/cgroup");
	assert_string_equal(c.run_user, "/run/user");
	assert_string_equal(c.usermod, "usermod");
	assert_string_equal(c.linger_dir, "/var/lib/systemd/linger");
	assert_string_equal(c.shell, "/sbin/nologin");
	assert_int_equal(c.timeout_ms, SYSTEMD_TIMEOUT_MS);
	assert_int_equal(c.userdel_tries, SYSTEMD_USERDEL_TRIES);
}

static void test_user_add(void **state)
{
	struct fixture *fx = *state;
	struct systemd_error err = {0};

	assert_int_equal(shadow_user_add(&fx->cmds, "web", "tailpod", &err), 0);
	assert_log(fx, "useradd --create-home --shell /sbin/nologin -G tailpod web\n");
	script(fx, "useradd", "9\n");
	assert_int_equal(shadow_user_add(&fx->cmds, "web", "tailpod", &err), -EPROTO);
	assert_int_equal(err.status, 9);
	assert_false(err.timed_out);
	assert_string_equal(err.msg, "useradd: exited with status 9: useradd: failure 9");
}

static void test_invalid_names(void **state)
{
	struct fixture *fx = *state;
	struct systemd_error err = {0};

	/* Nothing runs: a name can never become an option. */
	assert_int_equal(shadow_user_add(&fx->cmds, "-r", "tailpod", &err), -EINVAL);
	assert_string_equal(err.msg, "invalid user name '-r'");
	assert_int_equal(shadow_user_add(&fx->cmds, "web", "--badgroup", &err), -EINVAL);
	assert_int_equal(shadow_user_delete(&fx->cmds, "a b", &err), -EINVAL);
	assert_int_equal(systemd_linger_enable(&fx->cmds, "", NULL), -EINVAL);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "restart", "--all", &err), -EINVAL);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "restart", "web", &err), -EINVAL);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "kill", "web.service", &err), -EINVAL);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "restart", NULL, &err), -EINVAL);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "daemon-reload", "x.service", &err),
			 -EINVAL);
	assert_int_equal(systemd_unit_running(&fx->cmds, 1001, "../x.service"), -EINVAL);
	assert_log(fx, "");
}

static void test_user_delete_retries(void **state)
{
	struct fixture *fx = *state;
	struct systemd_error err = {0};

	script(fx, "userdel", "8\n8\n0\n");
	assert_int_equal(shadow_user_delete(&fx->cmds, "web", &err), 0);
	assert_log(fx, "userdel -r web\nuserdel -r web\nuserdel -r web\n");

	/* Busy on every try: bounded, then -EBUSY. */
	script(fx, "userdel", "8\n8\n8\n8\n8\n8\n");
	assert_int_equal(shadow_user_delete(&fx->cmds, "web", &err), -EBUSY);
	assert_int_equal(err.status, 8);
	assert_string_equal(err.msg, "userdel: exited with status 8: userdel: failure 8");

	/* Another failure is not retried. */
	script(fx, "userdel", "6\n0\n");
	fx->cmds.userdel_tries = 3;
	assert_int_equal(shadow_user_delete(&fx->cmds, "db", &err), -EPROTO);
	assert_int_equal(err.status, 6);
	assert_log(fx, "userdel -r web\nuserdel -r web\nuserdel -r web\n"
		       "userdel -r web\nuserdel -r web\nuserdel -r web\nuserdel -r web\n"
		       "userdel -r web\nuserdel -r db\n");
}

static void test_loginctl(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(systemd_linger_enable(&fx->cmds, "web", NULL), 0);
	assert_int_equal(systemd_linger_disable(&fx->cmds, "web", NULL), 0);
	assert_int_equal(systemd_user_terminate(&fx->cmds, "web", NULL), 0);
	assert_log(fx, "loginctl enable-linger web\nloginctl disable-linger web\n"
		       "loginctl terminate-user web\n");
}

static void test_timeout_and_missing(void **state)
{
	struct fixture *fx = *state;
	struct systemd_error err = {0};

	script(fx, "loginctl", "hang\n");
	fx->cmds.timeout_ms = 300;
	assert_int_equal(systemd_linger_enable(&fx->cmds, "web", &err), -ETIMEDOUT);
	assert_true(err.timed_out);
	assert_int_equal(err.status, -1);
	assert_non_null(strstr(err.msg, "loginctl: timed out"));

	fx->cmds.loginctl = "/nonexistent/loginctl";
	assert_int_equal(systemd_linger_enable(&fx->cmds, "web", &err), -ENOENT);
	assert_string_equal(err.msg, "/nonexistent/loginctl: cannot run: not found");
}

static void make_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static void test_manager_start(void **state)
{
	struct fixture *fx = *state;
	struct systemd_error err = {0};
	char path[256];

	assert_int_equal(systemd_manager_start(&fx->cmds, 1001, &err), -ENOTCONN);
	snprintf(path, sizeof(path), "%s/1001/bus", fx->run_user);
	assert_int_equal(strncmp(err.msg, "user@1001.service started but ", 30), 0);
	assert_non_null(strstr(err.msg, "/run-user/1001/bus is not a socket"));
	mkdirs(fx->run_user);
	snprintf(path, sizeof(path), "%s/1001", fx->run_user);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/1001/bus", fx->run_user);
	write_file(path, "", 0644); /* a regular file is not a bus */
	assert_int_equal(systemd_manager_start(&fx->cmds, 1001, NULL), -ENOTCONN);
	assert_int_equal(unlink(path), 0);
	make_socket(path);
	assert_int_equal(systemd_manager_start(&fx->cmds, 1001, &err), 0);
	script(fx, "systemctl", "1\n");
	assert_int_equal(systemd_manager_start(&fx->cmds, 1001, &err), -EPROTO);
	assert_log(fx, "systemctl start user@1001.service\nsystemctl start user@1001.service\n"
		       "systemctl start user@1001.service\nsystemctl start user@1001.service\n");
}

static void test_user_unit(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "daemon-reload", NULL, NULL), 0);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "restart", "web.service", NULL), 0);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "enable", "web-backup.timer", NULL),
			 0);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "disable", "web-backup.timer", NULL),
			 0);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "stop", "web-pod.service", NULL), 0);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "start", "web-backup.timer", NULL), 0);
	assert_int_equal(systemd_user_unit(&fx->cmds, "web", "kill", "web.service", NULL), -EINVAL);
	assert_log(fx, "systemctl --user -M web@ daemon-reload\n"
		       "systemctl --user -M web@ restart web.service\n"
		       "systemctl --user -M web@ enable web-backup.timer\n"
		       "systemctl --user -M web@ disable web-backup.timer\n"
		       "systemctl --user -M web@ stop web-pod.service\n"
		       "systemctl --user -M web@ start web-backup.timer\n");
}

static void test_unit_running(void **state)
{
	struct fixture *fx = *state;
	char dir[512], path[600];

	snprintf(dir, sizeof(dir),
		 "%s/user.slice/user-1001.slice/user@1001.service/app.slice/web.service",
		 fx->cgroup);
	assert_int_equal(systemd_unit_running(&fx->cmds, 1001, "web.service"), 0);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	assert_int_equal(systemd_unit_running(&fx->cmds, 1001, "web.service"), 0);
	write_file(path, "populated 0\nfrozen 0\n", 0644);
	assert_int_equal(systemd_unit_running(&fx->cmds, 1001, "web.service"), 0);
	write_file(path, "frozen 0\npopulated 1\n", 0644);
	assert_int_equal(systemd_unit_running(&fx->cmds, 1001, "web.service"), 1);
	assert_int_equal(systemd_unit_running(&fx->cmds, 1002, "web.service"), 0);
	assert_log(fx, ""); /* no child process */
}

static void test_manager_running(void **state)
{
	struct fixture *fx = *state;
	char dir[512], path[600];

	snprintf(dir, sizeof(dir), "%s/user.slice/user-1001.slice/user@1001.service", fx->cgroup);
	assert_int_equal(systemd_manager_running(&fx->cmds, 1001), 0);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	write_file(path, "populated 1\n", 0644);
	assert_int_equal(systemd_manager_running(&fx->cmds, 1001), 0); /* no bus yet */
	snprintf(path, sizeof(path), "%s/1001", fx->run_user);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/1001/bus", fx->run_user);
	write_file(path, "", 0644); /* a regular file is not a bus */
	assert_int_equal(systemd_manager_running(&fx->cmds, 1001), 0);
	assert_int_equal(systemd_manager_bus_up(&fx->cmds, 1001), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(systemd_manager_bus_up(&fx->cmds, 1001), 0); /* none */
	make_socket(path);
	assert_int_equal(systemd_manager_running(&fx->cmds, 1001), 1);
	assert_int_equal(systemd_manager_bus_up(&fx->cmds, 1001), 1);
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	write_file(path, "populated 0\n", 0644); /* the manager exited, its bus is stale */
	assert_int_equal(systemd_manager_running(&fx->cmds, 1001), 0);
	/* the bus alone: for a caller that found a unit of the manager running (sync's no-op) */
	assert_int_equal(systemd_manager_bus_up(&fx->cmds, 1001), 1);
	assert_log(fx, ""); /* no child process */
}

static void test_user_group(void **state)
{
	struct fixture *fx = *state;
	struct systemd_error err = {0};

	assert_int_equal(shadow_user_group(&fx->cmds, "web", "tailpod-mint", true, NULL), 0);
	assert_int_equal(shadow_user_group(&fx->cmds, "web", "tailpod-mint", false, NULL), 0);
	assert_int_equal(shadow_user_group(&fx->cmds, "web", "-G", true, &err), -EINVAL);
	assert_int_equal(shadow_user_group(&fx->cmds, "-r", "tailpod-mint", true, &err), -EINVAL);
	script(fx, "usermod", "6\n");
	assert_int_equal(shadow_user_group(&fx->cmds, "web", "nosuch", true, &err), -EPROTO);
	assert_int_equal(err.status, 6);
	assert_log(fx, "usermod -a -G tailpod-mint web\nusermod -r -G tailpod-mint web\n"
		       "usermod -a -G nosuch web\n");
}

static void test_manager_restart(void **state)
{
	struct fixture *fx = *state;
	char path[256];

	mkdirs(fx->run_user);
	snprintf(path, sizeof(path), "%s/1001", fx->run_user);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/1001/bus", fx->run_user);
	make_socket(path);
	assert_int_equal(systemd_manager_restart(&fx->cmds, 1001, NULL), 0);
	assert_log(fx, "systemctl restart user@1001.service\n");
}

static void test_linger_enabled(void **state)
{
	struct fixture *fx = *state;
	char dir[256], path[300];

	snprintf(dir, sizeof(dir), "%s/linger", fx->dir);
	fx->cmds.linger_dir = dir;
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "web"), 0);
	mkdirs(dir);
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "web"), 0);
	snprintf(path, sizeof(path), "%s/web", dir);
	write_file(path, "", 0644);
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "web"), 1);
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "../web"), -EINVAL);
	assert_log(fx, "");
}

static void test_unit_name_valid(void **state)
{
	(void)state;
	assert_true(systemd_unit_name_valid("web.service"));
	assert_true(systemd_unit_name_valid("user@1001.service"));
	assert_true(systemd_unit_name_valid("web-pod.service"));
	assert_false(systemd_unit_name_valid("web"));
	assert_false(systemd_unit_name_valid("-web.service"));
	assert_false(systemd_unit_name_valid(".service"));
	assert_false(systemd_unit_name_valid("a/b.service"));
	assert_false(systemd_unit_name_valid("a b.service"));
	assert_false(systemd_unit_name_valid(""));
}

/* systemd_unit_result and systemd_user_journal read what the programs print. */
static void test_unit_result_and_journal(void **state)
{
	struct fixture *fx = *state;
	char show[256], journal[256], buf[512], small[8];

	snprintf(show, sizeof(show), "%s/show", fx->dir);
	write_file(show,
		   "#!/bin/sh\necho \"$*\" >>\"${0%/*}/log\"\n"
		   "printf 'Result=exit-code\\nExecMainStatus=3\\nActiveState=failed\\n'\n",
		   0755);
	fx->cmds.systemctl = show;
	assert_int_equal(systemd_unit_result(&fx->cmds, "web", "web.service", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "failed, result exit-code, exit status 3");
	assert_int_equal(systemd_unit_result(&fx->cmds, "web", "-x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(systemd_unit_result(&fx->cmds, "../web", "web.service", buf, sizeof(buf)),
			 -EINVAL);
	write_file(show, "#!/bin/sh\nprintf 'ActiveState=active\\nResult=success\\n'\n", 0755);
	assert_int_equal(systemd_unit_result(&fx->cmds, "web", "web.service", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	write_file(show, "#!/bin/sh\necho nothing\n", 0755);
	assert_int_equal(systemd_unit_result(&fx->cmds, "web", "web.service", buf, sizeof(buf)),
			 -EBADMSG);

	snprintf(journal, sizeof(journal), "%s/journal", fx->dir);
	write_file(journal,
		   "#!/bin/sh\necho \"$*\" >\"${0%/*}/jargs\"\nprintf 'one\\n\\ntwo\\nthree'\n",
		   0755);
	fx->cmds.journalctl = journal;
	assert_int_equal(systemd_user_journal(&fx->cmds, 1001, "web.service", 1700000000, 3, buf,
					      sizeof(buf)),
			 0);
	assert_string_equal(buf, "one | two | three");
	assert_int_equal(
		systemd_user_journal(&fx->cmds, 1001, "web.service", 1, 3, small, sizeof(small)),
		0);
	assert_string_equal(small, "one | t"); /* cut at the buffer, NUL-terminated */
	assert_int_equal(
		systemd_user_journal(&fx->cmds, 1001, "a b.service", 1, 3, buf, sizeof(buf)),
		-EINVAL);
	write_file(journal, "#!/bin/sh\nexec sleep 30\n", 0755);
	fx->cmds.timeout_ms = 300;
	assert_int_equal(systemd_user_journal(&fx->cmds, 1, "web.service", 1, 3, buf, sizeof(buf)),
			 -ETIMEDOUT);
	fx->cmds.timeout_ms = 5000;
	write_file(journal, "#!/bin/sh\nexit 1\n", 0755);
	assert_int_equal(systemd_user_journal(&fx->cmds, 1, "web.service", 1, 3, buf, sizeof(buf)),
			 -EPROTO);
	fx->cmds.journalctl = "/nonexistent/journalctl";
	assert_int_equal(systemd_user_journal(&fx->cmds, 1, "web.service", 1, 3, buf, sizeof(buf)),
			 -ENOENT);
}

/* With the directories open (sync's no-op): the same answers, and a directory missing when they
 * were opened is still found by path once it exists. */
static void test_dirs_open(void **state)
{
	struct fixture *fx = *state;
	char dir[256], path[300];

	snprintf(dir, sizeof(dir), "%s/linger", fx->dir);
	fx->cmds.linger_dir = dir;
	mkdirs(fx->run_user);
	systemd_cmds_open_dirs(&fx->cmds);
	assert_true(fx->cmds.linger_fd < 0 && fx->cmds.run_user_fd >= 0);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/web", dir);
	write_file(path, "", 0644);
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "web"), 1);
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "api"), 0);
	assert_int_equal(systemd_manager_bus_up(&fx->cmds, 1001), 0);
	snprintf(path, sizeof(path), "%s/1001", fx->run_user);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/1001/bus", fx->run_user);
	write_file(path, "", 0644); /* a regular file is not a bus */
	assert_int_equal(systemd_manager_bus_up(&fx->cmds, 1001), 0);
	assert_int_equal(unlink(path), 0);
	make_socket(path);
	assert_int_equal(systemd_manager_bus_up(&fx->cmds, 1001), 1);
	systemd_cmds_close_dirs(&fx->cmds);
	systemd_cmds_open_dirs(&fx->cmds);
	assert_true(fx->cmds.linger_fd >= 0);
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "web"), 1);
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "api"), 0);
	assert_int_equal(systemd_linger_enabled(&fx->cmds, "../web"), -EINVAL);
	assert_int_equal(systemd_manager_bus_up(&fx->cmds, 1001), 1);
	systemd_cmds_close_dirs(&fx->cmds);
	assert_false(fx->cmds.dirs_open);
	assert_log(fx, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_user_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_delete_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loginctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manager_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_result_and_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manager_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linger_enabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirs_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manager_restart, setup, teardown),
		cmocka_unit_test(test_unit_name_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
