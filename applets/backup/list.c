/* list.c: `backup list [DIR]` and `backup verify FILE` — the archives a directory holds (by the
 * name convention, each one's TAILPOD-BACKUP read when it can be opened), and one archive checked
 * whole (verify.c). */
#include "backup.h"

#include "core.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool backup_name_parse(const char *file, char name[USER_NAME_MAX + 1], char ts[17], bool *ret_age)
{
	size_t len = strlen(file), base;
	bool age = len > 4 && strcmp(file + len - 4, ".age") == 0;

	if (age)
		len -= 4;
	if (len < 7 + 17 + 1 || strncmp(file + len - 7, ".tar.gz", 7) != 0)
		return false;
	base = len - 7 - 17; /* "-YYYYmmddTHHMMSSZ" */
	if (file[base] != '-' || file[base + 9] != 'T' || file[base + 16] != 'Z')
		return false;
	for (size_t i = 1; i < 16; i++)
		if (i != 9 && (file[base + i] < '0' || file[base + i] > '9'))
			return false;
	if (base == 0 || base > USER_NAME_MAX)
		return false;
	memcpy(name, file, base);
	name[base] = '\0';
	if (strcmp(name, "host") != 0 && !users_name_valid(name))
		return false;
	memcpy(ts, file + base + 1, 16);
	ts[16] = '\0';
	if (ret_age)
		*ret_age = age;
	return true;
}

/* "scope workload live" of an archive from its first member, or why not. */
static void describe(int dirfd, const char *file, const struct backup_keys *k, char *out,
		     size_t size)
{
	char info[BACKUP_INFO_MAX + 1], sha[HASH_SHA256_HEX_SIZE];
	const struct tar_entry *e;
	struct backup_in in;
	size_t len = 0;
	int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r;
	int lvl = log_get_max_level();

	snprintf(out, size, "unreadable");
	if (fd < 0)
		return;
	log_set_max_level(-1);
	r = backup_in_open(&in, fd, k, file);
	log_set_max_level(lvl);
	if (r == -ENOKEY)
		snprintf(out, size, "encrypted");
	if (r == 0 && tar_read_header(in.tr, &e) == 0 && strcmp(e->path, BACKUP_INFO) == 0 &&
	    backup_in_hash(&in, sha, info, BACKUP_INFO_MAX, &len) == 0) {
		const char *scope = strstr(info, "\nScope="), *live = strstr(info, "\nLive=yes");

		info[len] = '\0';
		snprintf(out, size, "%.*s%s", scope ? (int)strcspn(scope + 7, "\n") : 7,
			 scope ? scope + 7 : "unknown", live ? " live" : "");
	}
	if (r == 0)
		backup_in_close(&in);
	close(fd);
}

int backup_list(const char *dir, const struct backup_keys *k)
{
	char name[USER_NAME_MAX + 1], ts[17], what[64];
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dirfd < 0 ? NULL : fdopendir(dup(dirfd));
	struct dirent *de;
	struct stat st;
	bool age;

	if (!d)
		return log_error_errno(-errno, "%s: cannot list", dir), EXIT_FAIL;
	while ((de = readdir(d)))
		if (backup_name_parse(de->d_name, name, ts, &age) &&
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			describe(dirfd, de->d_name, k, what, sizeof(what));
			printf("%s\t%s\t%s\t%lld\t%s\n", de->d_name, name, ts,
			       (long long)st.st_size, what);
		}
	closedir(d);
	return EXIT_OK;
}

int backup_verify_main(const char *file, const struct backup_keys *k)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct backup_check c;
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "%s: cannot open", file), EXIT_FAIL;
	r = backup_verify(fd, file, k, &c);
	if (r == 0)
		printf("%s: ok: %s %s, %llu members, %llu bytes, %llu excluded, %llu warnings%s\n",
		       file, c.scope, c.workload, (unsigned long long)c.members,
		       (unsigned long long)c.bytes, (unsigned long long)c.excluded,
		       (unsigned long long)c.warnings, c.live ? ", copied live" : "");
	backup_check_release(&c);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}
