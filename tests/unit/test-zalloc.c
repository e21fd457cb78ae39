/* test-zalloc.c: unit tests of core/zalloc (zlib's allocator): a block is as big as asked and
 * aligned, a freed block of at most ZALLOC_KEEP_MAX bytes comes back for the next request of its
 * size and of no other, no more than ZALLOC_KEPT blocks are kept, zlib deflates and inflates
 * through it (the system zlib, its streams pointed here), and threads taking and freeing blocks at
 * once each keep their own. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "zalloc.h"

enum { STATE = 7160, WINDOW = 32 * 1024 };

static int clean_start(void **state)
{
	(void)state;
	zalloc_drop();
	return 0;
}

static void test_block_as_asked(void **state)
{
	unsigned char *p = zcalloc(NULL, 3, 1000);

	(void)state;
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
	memset(p, 0xa5, 3000); /* ASan: every byte is the block's */
	zcfree(NULL, p);
	zcfree(NULL, NULL);
}

static void test_freed_block_comes_back_for_its_size(void **state)
{
	void *a = zcalloc(NULL, 1, STATE), *b;

	(void)state;
	zcfree(NULL, a);
	assert_int_equal(zalloc_kept(), 1);
	b = zcalloc(NULL, 1, WINDOW); /* another size: a new block */
	assert_ptr_not_equal(b, a);
	assert_int_equal(zalloc_kept(), 1);
	assert_ptr_equal(zcalloc(NULL, STATE, 1), a); /* items * size is what counts */
	assert_int_equal(zalloc_kept(), 0);
	zcfree(NULL, a);
	zcfree(NULL, b);
	assert_int_equal(zalloc_kept(), 2);
	zalloc_drop();
	assert_int_equal(zalloc_kept(), 0);
}

static void test_keep_is_bounded(void **state)
{
	void *blocks[ZALLOC_KEPT + 3], *big = zcalloc(NULL, 1, ZALLOC_KEEP_MAX + 1);

	(void)state;
	assert_non_null(big);
	zcfree(NULL, big);
	assert_int_equal(zalloc_kept(), 0); /* over ZALLOC_KEEP_MAX: back to malloc */
	for (size_t i = 0; i < ZALLOC_KEPT + 3; i++)
		assert_non_null(blocks[i] = zcalloc(NULL, 1, 100 + (unsigned)i));
	for (size_t i = 0; i < ZALLOC_KEPT + 3; i++)
		zcfree(NULL, blocks[i]);
	assert_int_equal(zalloc_kept(), ZALLOC_KEPT);
	void *max = zcalloc(NULL, 1, ZALLOC_KEEP_MAX);
	zalloc_drop();
	zcfree(NULL, max); /* ZALLOC_KEEP_MAX itself is kept */
	assert_int_equal(zalloc_kept(), 1);
}

/* zlib through zcalloc and zcfree, many streams one after the other, as libgit2 opens them. */
static void test_zlib_round_trips(void **state)
{
	static unsigned char text[64 * 1024], packed[80 * 1024], out[64 * 1024];

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (unsigned char)("[Container]\nImage=x\n"[i % 20] ^ (i / 4096));
	for (int round = 0; round < 50; round++) {
		z_stream d = {.zalloc = zcalloc, .zfree = zcfree}, in = d;
		size_t len = sizeof(text) - (size_t)round * 1000;

		assert_int_equal(deflateInit(&d, round % 10), Z_OK);
		d.next_in = text;
		d.avail_in = (uInt)len;
		d.next_out = packed;
		d.avail_out = sizeof(packed);
		assert_int_equal(deflate(&d, Z_FINISH), Z_STREAM_END);
		assert_int_equal(deflateEnd(&d), Z_OK);
		assert_int_equal(inflateInit(&in), Z_OK);
		in.next_in = packed;
		in.avail_in = (uInt)d.total_out;
		for (uInt step = 1 + (uInt)round * 37;
		     in.total_out < len;) { /* small steps: the window */
			in.next_out = out + in.total_out;
			in.avail_out = (uInt)(len - in.total_out) < step
					       ? (uInt)(len - in.total_out)
					       : step;
			int r = inflate(&in, Z_NO_FLUSH);
			assert_true(r == Z_OK || r == Z_STREAM_END);
		}
		assert_int_equal(inflateEnd(&in), Z_OK);
		assert_int_equal(in.total_out, len);
		assert_memory_equal(out, text, len);
	}
	assert_in_range(zalloc_kept(), 1, ZALLOC_KEPT);
}

/* Each thread fills its block with its own byte and finds it intact before freeing it. */
static void *take_and_free(void *arg)
{
	unsigned char mark = (unsigned char)(uintptr_t)arg;
	uintptr_t bad = 0;

	for (int i = 0; i < 20000; i++) {
		unsigned size = (i % 3 == 0) ? STATE : (i % 3 == 1) ? WINDOW : 512;
		unsigned char *p = zcalloc(NULL, 1, size);

		if (!p)
			return (void *)1;
		memset(p, mark, size);
		for (unsigned k = 0; k < size; k += 97)
			bad |= p[k] != mark;
		zcfree(NULL, p);
	}
	return (void *)bad;
}

static void test_threads_keep_their_own(void **state)
{
	pthread_t threads[4];
	void *bad;

	(void)state;
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, take_and_free, (void *)(i + 1)),
				 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], &bad), 0);
		assert_null(bad);
	}
	assert_in_range(zalloc_kept(), 1, ZALLOC_KEPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_block_as_asked, clean_start),
		cmocka_unit_test_setup(test_freed_block_comes_back_for_its_size, clean_start),
		cmocka_unit_test_setup(test_keep_is_bounded, clean_start),
		cmocka_unit_test_setup(test_zlib_round_trips, clean_start),
		cmocka_unit_test_setup(test_threads_keep_their_own, clean_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
