/* clock.h: the one clock of tailpod's deadlines and durations, CLOCK_MONOTONIC in milliseconds
 * (wall-clock steps must not end a fetch early or stretch a timeout). Core module. */
#ifndef TAILPOD_CLOCK_H
#define TAILPOD_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary point (boot); only differences mean something. */
uint64_t clock_now_ms(void);

/* Milliseconds from now until deadline_ms (a clock_now_ms() value), 0 once it passed, at most
 * INT_MAX: a timeout for poll(2). */
int clock_ms_left(uint64_t deadline_ms);

#endif
