/* test-age_keyfile.c: age_identity_load, the one identity loader: the key of a file as trust
 * says, and each refusal with its own error (none of them leaves a key behind). */
#include "age.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* age-keygen's own output (age 1.1.1), as in test-age.c. */
static const char keygen_file[] =
	"# created: 2026-12-05T16:27:07Z\n"
	"# public key: age1wmw3mh4puxm2ms50sp2ec4mfhzcwnde6p27wlgvesl0yrdxqj39qq08xlu\n"
	"AGE-SECRET-KEY-17GSE949Z9YRNY85SGR3CUG322W5E7UDJLQJ4J8LNP6WCFZVNR0UQZ93A4H\n";
static const char keygen_recipient[] =
	"age1wmw3mh4puxm2ms50sp2ec4mfhzcwnde6p27wlgvesl0yrdxqj39qq08xlu";

static char dir[] = "/tmp/test-age_keyfile.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name holding len bytes of text, mode mode; its path in path. */
static void put(const char *name, const char *text, size_t len, mode_t mode, char *path)
{
	int fd;

	snprintf(path, 256, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static bool zero(const struct age_identity *id)
{
	for (size_t i = 0; i < sizeof(id->secret_key); i++)
		if (id->secret_key[i])
			return false;
	return true;
}

static void test_loads_own_key(void **state)
{
	const struct fs_trust trust = {.owner = geteuid(), .deny_mode = FS_DENY_SHARED};
	char path[256], rtext[AGE_RECIPIENT_TEXT_MAX];
	struct age_identity id;

	(void)state;
	put("ok", keygen_file, strlen(keygen_file), 0600, path);
	assert_int_equal(age_identity_load(path, &trust, &id), 0);
	age_recipient_format(&id.recipient, rtext);
	assert_string_equal(rtext, keygen_recipient);
	age_identity_wipe(&id);
}

static void test_refusals(void **state)
{
	const struct fs_trust trust = {.owner = geteuid(), .deny_mode = FS_DENY_SHARED};
	const struct fs_trust other = {.owner = geteuid() + 1, .deny_mode = FS_DENY_SHARED};
	static char big[AGE_IDENTITY_FILE_MAX + 1];
	char path[256], link[256];
	struct age_identity id = {0};

	(void)state;
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(age_identity_load(path, &trust, &id), -ENOENT);
	put("shared", keygen_file, strlen(keygen_file), 0640, path);
	assert_int_equal(age_identity_load(path, &trust, &id), -EACCES);
	put("theirs", keygen_file, strlen(keygen_file), 0600, path);
	assert_int_equal(age_identity_load(path, &other, &id), -EPERM);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(age_identity_load(link, &trust, &id), -ELOOP);
	put("garbage", "AGE-SECRET-KEY-1NOPE\n", 21, 0600, path);
	assert_int_equal(age_identity_load(path, &trust, &id), -EBADMSG);
	assert_true(zero(&id));
	memset(big, '#', sizeof(big));
	put("big", big, sizeof(big), 0600, path);
	assert_int_equal(age_identity_load(path, &trust, &id), -EFBIG);
	assert_true(zero(&id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_own_key),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("age_keyfile", tests, setup, teardown);
}
