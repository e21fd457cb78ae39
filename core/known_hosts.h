/* known_hosts.h: tailpod's own SSH host-key file in OpenSSH's known_hosts format, as ssh-keyscan
 * prints it: "hosts keytype base64 [comment]", comments and blank lines. The host field is either
 * one hashed name "|1|base64(salt)|base64(HMAC-SHA1(salt, name))" or a comma-separated list of
 * patterns matched as OpenSSH matches them (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT): "*" and "?"
 * wildcards, case-insensitive, "!pattern" excluding the host from the line whatever else in the
 * list matches, "[host]:port" for ports other than 22 (the pattern is matched against that whole
 * string, so "[*.example.com]:2222" works). Markers: "@revoked" lines refuse their key for every
 * host, whatever their host field says (failing closed); "@cert-authority" lines are not
 * supported (tailpod checks plain host keys only). No line is skipped silently: each one tailpod
 * cannot use is reported once through the note callback with its line number.
 * Core module: no printing (notes go to a callback); results >= 0, errors negative errno. */
#ifndef TAILPOD_KNOWN_HOSTS_H
#define TAILPOD_KNOWN_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

enum known_hosts_result {
	KNOWN_HOSTS_UNKNOWN = 0,    /* no entry for this host: a new host */
	KNOWN_HOSTS_MATCH = 1,	    /* an entry for this host has exactly this key */
	KNOWN_HOSTS_MISMATCH = 2,   /* the host is known with this key type but another key */
	KNOWN_HOSTS_OTHER_TYPE = 3, /* the host is known, only with other key types */
	KNOWN_HOSTS_REVOKED = 4,    /* the key is marked @revoked */
};

enum {
	KNOWN_HOSTS_FILE_MAX = 1024 * 1024,
	KNOWN_HOSTS_LINE_MAX = 16 * 1024, /* ssh-keyscan's longest (16384-bit RSA) is under 3 KiB */
	KNOWN_HOSTS_LINES_MAX = 100000,
	KNOWN_HOSTS_HOST_MAX = 255, /* a DNS name; "[host]:port" adds up to 8 bytes */
};

/* Called at most once per line, for each line that is skipped or that cannot be used as it
 * stands (what says which); what is lowercase, without the line number. */
typedef void known_hosts_note_fn(void *userdata, unsigned line, const char *what);

enum {
	KNOWN_HOSTS_NOTES_MAX = 16, /* lines a struct known_hosts_notes keeps; more are counted */
	KNOWN_HOSTS_NOTE_MAX = 96,  /* bytes of one note, NUL included; every note fits */
};

/* The notes of one file, pointer-free so that it can be copied or written to a pipe whole. */
struct known_hosts_notes {
	unsigned n;	  /* items kept */
	unsigned dropped; /* further lines past KNOWN_HOSTS_NOTES_MAX, only counted */
	unsigned last;	  /* highest line noted so far: a second lookup repeats no note */
	struct {
		unsigned line;
		char what[KNOWN_HOSTS_NOTE_MAX];
	} items[KNOWN_HOSTS_NOTES_MAX];
};

/* A known_hosts_note_fn whose userdata is a zeroed struct known_hosts_notes, used for one file:
 * notes of lines up to the highest one already noted are repeats (a lookup notes in line order),
 * so several lookups of the same file report each line once. */
void known_hosts_notes_add(void *userdata, unsigned line, const char *what);

/* Look up host (port 22 means the plain name, any other "[host]:port") with the host key blob
 * (SSH wire format; its first string is the key type). Precedence: REVOKED, MATCH, MISMATCH,
 * OTHER_TYPE, UNKNOWN. Callers must refuse MISMATCH and REVOKED always, and should treat
 * OTHER_TYPE like MISMATCH: accepting it as new would let an attacker who offers only another key
 * type past an existing entry. -EINVAL for a bad host or blob, -EFBIG above KNOWN_HOSTS_FILE_MAX,
 * -E2BIG for a line above KNOWN_HOSTS_LINE_MAX, -ERANGE above KNOWN_HOSTS_LINES_MAX lines. */
int known_hosts_lookup(const char *text, size_t len, const char *host, unsigned port,
		       const unsigned char *blob, size_t blob_len, known_hosts_note_fn *note,
		       void *userdata);

/* The same on file name below dirfd (or AT_FDCWD), not following a symlink in its last
 * component; a missing file is KNOWN_HOSTS_UNKNOWN. */
int known_hosts_lookup_file(int dirfd, const char *name, const char *host, unsigned port,
			    const unsigned char *blob, size_t blob_len, known_hosts_note_fn *note,
			    void *userdata);

/* Add "host keytype base64" (hashed as "|1|salt|hmac" when hash is true) to file name, a single
 * component below dirfd, creating it when missing: the whole new file (old content, a newline if
 * it lacked one, the new line) is written with fs_write_atomic(), mode 0644, owned by the caller
 * (root in production). Concurrent appenders must be serialised by the caller (sync's lock). */
int known_hosts_append(int dirfd, const char *name, const char *host, unsigned port,
		       const unsigned char *blob, size_t blob_len, bool hash);

/* Human words for the errors above; strerror() for the others. */
const char *known_hosts_strerror(int err);

#endif
