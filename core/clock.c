/* clock.c: milliseconds on CLOCK_MONOTONIC. */
#include "clock.h"

#include <limits.h>
#include <time.h>

uint64_t clock_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int clock_ms_left(uint64_t deadline_ms)
{
	uint64_t now = clock_now_ms();

	if (now >= deadline_ms)
		return 0;
	return deadline_ms - now > INT_MAX ? INT_MAX : (int)(deadline_ms - now);
}
