/* capture.h: redirect stdout or stderr into a temp file during a unit test and read it back. */
#ifndef TAILPOD_TEST_CAPTURE_H
#define TAILPOD_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct capture {
	int target, saved;
	FILE *file;
};

static inline void capture_begin(struct capture *c, int target)
{
	fflush(NULL);
	c->target = target;
	c->file = tmpfile();
	c->saved = dup(target);
	if (!c->file || c->saved < 0 || dup2(fileno(c->file), target) < 0)
		abort();
}

/* Restore the stream and return what was written to it (caller frees). */
static inline char *capture_end(struct capture *c)
{
	long len;
	char *text;

	fflush(NULL);
	dup2(c->saved, c->target);
	close(c->saved);
	len = ftell(c->file);
	text = calloc(1, (size_t)len + 1);
	if (!text || fseek(c->file, 0, SEEK_SET) != 0 ||
	    fread(text, 1, (size_t)len, c->file) != (size_t)len)
		abort();
	fclose(c->file);
	return text;
}

#endif
