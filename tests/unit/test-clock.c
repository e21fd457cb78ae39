/* test-clock.c: unit tests for core/clock: the monotonic milliseconds advance with time and
 * clock_ms_left() counts down to 0, never below, and is capped for poll(2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <time.h>

#include "clock.h"

static void test_now_advances(void **state)
{
	struct timespec pause = {.tv_nsec = 30 * 1000 * 1000};
	uint64_t t0, t1;

	(void)state;
	t0 = clock_now_ms();
	assert_int_equal(nanosleep(&pause, NULL), 0);
	t1 = clock_now_ms();
	assert_true(t1 >= t0 + 30);
	assert_true(t1 < t0 + 5000);
}

static void test_ms_left(void **state)
{
	uint64_t now = clock_now_ms();
	int left;

	(void)state;
	assert_int_equal(clock_ms_left(0), 0);
	assert_int_equal(clock_ms_left(now), 0);
	left = clock_ms_left(now + 10000);
	assert_true(left > 9000 && left <= 10000);
	assert_int_equal(clock_ms_left(UINT64_MAX), INT_MAX);
	assert_int_equal(clock_ms_left(now + (uint64_t)INT_MAX + 1000), INT_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_now_advances),
		cmocka_unit_test(test_ms_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
