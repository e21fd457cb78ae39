/* transform_name.c: "{{.Name}}" in a transform's text (module boundary: core; uses nothing but
 * libc): found, and replaced with a workload's name, sized first so that a bound is checked before
 * anything is written. */
#include "transform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *transform_find_name_var(const char *text, size_t size)
{
	const size_t var = strlen(TRANSFORM_NAME_VAR);
	const char *p = text, *end = text + size;

	while ((size_t)(end - p) >= var &&
	       (p = memchr(p, TRANSFORM_NAME_VAR[0], (size_t)(end - p)))) {
		if ((size_t)(end - p) < var)
			return NULL;
		if (memcmp(p, TRANSFORM_NAME_VAR, var) == 0)
			return p;
		p++;
	}
	return NULL;
}

int transform_substitute_size(const char *text, size_t size, const char *name, size_t max,
			      size_t *ret_size)
{
	const size_t var = strlen(TRANSFORM_NAME_VAR), nl = strlen(name);
	const char *p, *end = text + size, *hit;
	size_t n = 0;

	for (p = text; (hit = transform_find_name_var(p, (size_t)(end - p))); p = hit + var)
		n++;
	if (size - n * var > max || (nl && n > (max - (size - n * var)) / nl))
		return -E2BIG;
	*ret_size = size - n * var + n * nl;
	return 0;
}

void transform_substitute_to(const char *text, size_t size, const char *name, char *out)
{
	const size_t var = strlen(TRANSFORM_NAME_VAR), nl = strlen(name);
	const char *p, *end = text + size, *hit;
	size_t n = 0;

	for (p = text; (hit = transform_find_name_var(p, (size_t)(end - p))); p = hit + var) {
		memcpy(out + n, p, (size_t)(hit - p));
		n += (size_t)(hit - p);
		memcpy(out + n, name, nl);
		n += nl;
	}
	memcpy(out + n, p, (size_t)(end - p));
	out[n + (size_t)(end - p)] = '\0';
}

int transform_substitute_name(const char *text, size_t size, const char *name, size_t max,
			      char **ret, size_t *ret_size)
{
	size_t n;
	char *buf;
	int r = transform_substitute_size(text, size, name, max, &n);

	if (r < 0)
		return r;
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	transform_substitute_to(text, size, name, buf);
	*ret = buf;
	*ret_size = n;
	return 0;
}
