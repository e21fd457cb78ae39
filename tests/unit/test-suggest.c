/* test-suggest.c: unit tests of core/suggest — the distance (each kind of edit, case folding, the
 * length bound) and the choice of the closest name (the max(1, len / 3) limit, ties, bounds). */
#include "suggest.h"

#include "core.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static size_t dist(const char *a, const char *b)
{
	return suggest_distance(a, strlen(a), b, strlen(b));
}

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(dist("", ""), 0);
	assert_int_equal(dist("abc", ""), 3);
	assert_int_equal(dist("", "abc"), 3);
	assert_int_equal(dist("Image", "image"), 0);  /* case folds */
	assert_int_equal(dist("Image", "Imagee"), 1); /* insertion */
	assert_int_equal(dist("Image", "Imge"), 1);   /* deletion */
	assert_int_equal(dist("Image", "Imaje"), 1);  /* substitution */
	assert_int_equal(dist("Image", "Imgae"), 1);  /* transposition */
	assert_int_equal(dist("ca", "abc"), 3);	      /* OSA: no edit of a transposed pair */
	assert_int_equal(dist("kitten", "sitting"), 3);
	/* only ASCII folds: UTF-8 bytes compare as they are */
	assert_int_equal(dist("\xc3\xa9", "\xc3\x89"), 1);
}

static void test_distance_bounds(void **state)
{
	char a[SUGGEST_WORD_MAX + 2];

	(void)state;
	memset(a, 'a', sizeof(a));
	assert_int_equal(suggest_distance(a, SUGGEST_WORD_MAX, a, SUGGEST_WORD_MAX), 0);
	assert_int_equal(suggest_distance(a, SUGGEST_WORD_MAX, "", 0), SUGGEST_WORD_MAX);
	assert_int_equal(suggest_distance(a, SUGGEST_WORD_MAX + 1, "a", 1), (size_t)-1);
	assert_int_equal(suggest_distance("a", 1, a, SUGGEST_WORD_MAX + 1), (size_t)-1);
}

static const char *const names[] = {"TAILPOD_GIT_URL", "TAILPOD_GIT_BRANCH", "TAILPOD_STATE_DIR",
				    "Imagee", "Image"};

static const char *name_at(const void *ctx, size_t i)
{
	const char *const *list = ctx;

	return list[i];
}

static const char *closest(const char *word)
{
	return suggest_closest(word, name_at, names, ARRAY_SIZE(names));
}

static void test_closest(void **state)
{
	(void)state;
	assert_ptr_equal(closest("TAILPOD_GIT_URL"), names[0]);
	assert_ptr_equal(closest("tailpod_git_url"), names[0]);
	assert_ptr_equal(closest("TAILPOD_GIT_BRANC"), names[1]);
	assert_ptr_equal(closest("TAILPD_STATE_DIR"), names[2]);
	/* the closer one wins, and on a tie the first in order */
	assert_ptr_equal(closest("Imag"), names[4]);
	assert_ptr_equal(closest("Imagef"), names[3]);
	assert_ptr_equal(closest("Imagex"), names[3]);
	/* max(1, len / 3): "GIT_URL" is 8 edits away, "Imxgz" two of five letters */
	assert_null(closest("GIT_URL"));
	assert_null(closest("Imxgz"));
	assert_ptr_equal(closest("Imxge"), names[4]);
	assert_null(closest(""));
	assert_null(closest(NULL));
	assert_null(suggest_closest("Image", name_at, names, 0));
}

static void test_closest_bounds(void **state)
{
	static char long_name[SUGGEST_WORD_MAX + 2];
	static const char *const one[] = {long_name};
	char word[SUGGEST_WORD_MAX + 2];

	(void)state;
	memset(word, 'w', sizeof(word));
	memset(long_name, 'w', sizeof(long_name));
	/* SUGGEST_WORD_MAX bytes still get an answer, one more byte gets none */
	word[SUGGEST_WORD_MAX] = '\0';
	long_name[SUGGEST_WORD_MAX] = '\0';
	assert_ptr_equal(suggest_closest(word, name_at, one, 1), long_name);
	word[SUGGEST_WORD_MAX] = 'w';
	word[SUGGEST_WORD_MAX + 1] = '\0';
	assert_null(suggest_closest(word, name_at, one, 1));
	/* nor does a candidate past the bound */
	word[SUGGEST_WORD_MAX] = '\0';
	long_name[SUGGEST_WORD_MAX] = 'w';
	long_name[SUGGEST_WORD_MAX + 1] = '\0';
	assert_null(suggest_closest(word, name_at, one, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_distance_bounds),
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_closest_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
