/* core.h: what every core module and applet shares — exit codes, cleanup helpers, small macros. */
#ifndef TAILPOD_CORE_H
#define TAILPOD_CORE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit codes, one contract for every applet (README "Exit codes", DESIGN.md §4.4). */
enum exit_code {
	EXIT_OK = 0,	   /* success */
	EXIT_FAIL = 1,	   /* some work failed (the rest was still done), or a negative answer */
	EXIT_USAGE = 2,	   /* usage or configuration error */
	EXIT_REFUSED = 3,  /* refused by a safety guard */
	EXIT_TEMPFAIL = 75 /* busy or temporary (lock held, network down): worth a retry */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

/* The only cleanup attributes allowed (DESIGN.md §4.7). */
#define _cleanup_free_	__attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) take_ptr_tmp_ = (p);                                                 \
		(p) = NULL;                                                                        \
		take_ptr_tmp_;                                                                     \
	})

/* Whether the strings a and b are equal. The first bytes are compared inline: the section names
 * and keys the lookups of a spec compare mostly differ there, and a strcmp() call for each was a
 * tenth of check's instructions (issue 16). Forced inline: -Os would make it a call of its own. */
__attribute__((always_inline)) static inline bool str_is(const char *a, const char *b)
{
	return a[0] == b[0] && strcmp(a, b) == 0;
}

/* n bytes at p moved up by `by` (> 0) bytes, to p + by: memmove's result, copied from the end in
 * blocks of `by` bytes, each a memcpy whose source and destination do not overlap. For an insert
 * into an array (issue 16): musl's x86_64 memmove makes an overlapping move up one byte at a time,
 * backwards (std; rep movsb), several cycles a byte, and inserting a line into a spec's section
 * made it 6 % of check's build. */
static inline void mem_shift_up(void *p, size_t n, size_t by)
{
	char *b = p;

	while (n > by) {
		n -= by;
		memcpy(b + n + by, b + n, by);
	}
	if (n > 0)
		memcpy(b + by, b, n);
}

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int take_fd_tmp_ = (fd);                                                           \
		(fd) = -1;                                                                         \
		take_fd_tmp_;                                                                      \
	})

#endif
