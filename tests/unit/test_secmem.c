/* test_secmem.c - the locked arena: zero-filled blocks, wiped and given back on free in any
 * order, sodium_malloc beyond its size, and both kinds of pointer freed alike. */
#include "unit.h"

#include <sodium.h>

#include "sp_err.h"
#include "sp_secmem.h"

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void test_blocks_zeroed_and_reused(void **state)
{
	unsigned char *a, *b, *c, *a2;

	(void)state;
	a = sp_secmem_alloc(100);
	b = sp_secmem_alloc(33);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(((uintptr_t)a % 64) == 0 && ((uintptr_t)b % 64) == 0);
	assert_true(b >= a + 100); /* no overlap */
	assert_true(all_zero(a, 100) && all_zero(b, 33));
	memset(a, 0x5a, 100);
	memset(b, 0xa5, 33);
	/* Out of order: a is wiped at once, its room given back only with b. */
	sp_secmem_free(a);
	assert_true(all_zero(a, 100));
	c = sp_secmem_alloc(16);
	assert_true(c > b);
	sp_secmem_free(c);
	sp_secmem_free(b);
	assert_true(all_zero(b, 33));
	a2 = sp_secmem_alloc(100);
	assert_ptr_equal(a2, a); /* everything was given back: the same bottom block */
	assert_true(all_zero(a2, 100));
	sp_secmem_free(a2);
	sp_secmem_free(NULL);
}

static void test_too_large_and_full_fall_back(void **state)
{
	unsigned char *big, *blocks[64];
	size_t n = 0;

	(void)state;
	/* Larger than the arena: sodium_malloc, zero-filled all the same, freed the same way. */
	big = sp_secmem_alloc(1u << 20);
	assert_non_null(big);
	assert_true(all_zero(big, 1u << 20));
	sp_secmem_free(big);
	/* Filling the arena: the allocations keep succeeding (sodium_malloc takes over). */
	for (n = 0; n < 64; n++) {
		blocks[n] = sp_secmem_alloc(8192);
		assert_non_null(blocks[n]);
		blocks[n][8191] = 1;
	}
	while (n-- > 0)
		sp_secmem_free(blocks[n]);
	/* A sodium_malloc block of its own is accepted too. */
	sp_secmem_free(sodium_malloc(64));
}

static void test_init_maps_once(void **state)
{
	int first, again;

	(void)state;
	first = sp_secmem_init();
	again = sp_secmem_init();
	assert_true(first == SP_OK || first == SP_ERR_PRIV);
	assert_int_equal(again, first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_zeroed_and_reused),
		cmocka_unit_test(test_too_large_and_full_fall_back),
		cmocka_unit_test(test_init_maps_once),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("secmem", tests, NULL, NULL);
}
