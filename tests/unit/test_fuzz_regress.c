/* test_fuzz_regress.c - replays the fuzz seed corpora and every saved crash input (tests/fuzz/
 * corpus/NAME, tests/fuzz/regress/NAME) through the fuzz harnesses, with their invariants. */
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "sp_err.h"

#define FUZZ_NO_MAIN
#define FZ_FAIL(what) fail_msg("invariant failed: %s (%s:%d)", what, __FILE__, __LINE__)
#include "../fuzz/forge.c"
#include "../fuzz/fuzz_armor.c"
#include "../fuzz/fuzz_bundle.c"
#include "../fuzz/fuzz_index.c"
#include "../fuzz/fuzz_keys.c"
#include "../fuzz/fuzz_manifest.c"
#include "../fuzz/fuzz_passwd.c"

#define REPLAY_FILE_MAX (1u << 20)

typedef int (*harness_fn)(const uint8_t *data, size_t size);

typedef struct {
	size_t files, ok;
	size_t ok_expected; /* files named ok-* or golden.spk (bundle seeds that must open) */
	size_t ok_expected_ok;
} tally;

static void fuzz_dir(char *out, size_t cap, const char *kind, const char *harness)
{
	const char *tests = getenv("SP_TESTS"), *slash = strrchr(__FILE__, '/');

	if (tests != NULL)
		snprintf(out, cap, "%s/fuzz/%s/%s", tests, kind, harness);
	else if (slash != NULL)
		snprintf(out, cap, "%.*s/../fuzz/%s/%s", (int)(slash - __FILE__), __FILE__, kind, harness);
	else
		snprintf(out, cap, "../fuzz/%s/%s", kind, harness);
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;

	assert_non_null(f);
	buf = malloc(REPLAY_FILE_MAX + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, REPLAY_FILE_MAX + 1, f);
	assert_false(ferror(f));
	assert_true(*len <= REPLAY_FILE_MAX);
	fclose(f);
	return buf;
}

/* Every file of dir through fn; a missing dir counts no file. */
static void replay_dir(const char *dir, harness_fn fn, tally *t)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		unsigned char *data;
		size_t len;
		int err, must_open;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		data = read_all(path, &len);
		err = fn(data, len);
		must_open = strncmp(de->d_name, "ok-", 3) == 0 || strcmp(de->d_name, "golden.spk") == 0;
		t->files++;
		if (err == SP_OK)
			t->ok++;
		if (must_open) {
			t->ok_expected++;
			if (err == SP_OK)
				t->ok_expected_ok++;
			else
				print_error("%s: %s\n", path, sp_err_str(err));
		}
		free(data);
	}
	closedir(d);
}

static tally replay(const char *harness, harness_fn fn)
{
	char dir[4096];
	tally t = { 0, 0, 0, 0 };
	size_t seeds;

	fuzz_dir(dir, sizeof dir, "corpus", harness);
	replay_dir(dir, fn, &t);
	seeds = t.files;
	assert_true(seeds > 0);
	fuzz_dir(dir, sizeof dir, "regress", harness);
	replay_dir(dir, fn, &t);
	/* The seeds reach both the accepting and the refusing paths. */
	assert_true(t.ok > 0);
	assert_true(t.ok < t.files);
	return t;
}

static void test_bundle(void **state)
{
	tally t;

	(void)state;
	t = replay("fuzz_bundle", fuzz_bundle);
	assert_true(t.ok_expected >= 10);
	assert_int_equal(t.ok_expected_ok, t.ok_expected);
}

static void test_index(void **state)
{
	(void)state;
	replay("fuzz_index", fuzz_index);
}

static void test_armor(void **state)
{
	(void)state;
	replay("fuzz_armor", fuzz_armor);
}

static void test_keys(void **state)
{
	(void)state;
	replay("fuzz_keys", fuzz_keys);
}

static void test_manifest(void **state)
{
	(void)state;
	replay("fuzz_manifest", fuzz_manifest);
}

static void test_passwd(void **state)
{
	(void)state;
	replay("fuzz_passwd", fuzz_passwd);
}

/* The forger itself: a forged bundle of a valid index opens, and a flipped byte does not. */
static void test_forge(void **state)
{
	static const unsigned char index[] = {
		1, 0, 0, 0, 1, 0, 'a', 3, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	forge_spec s = { index, sizeof index, 0, (const unsigned char *)"abc", 3, 0, 0 };
	unsigned char *b = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(forge_init(), 0);
	assert_int_equal(forge_bundle(&b, &len, &s), 0);
	assert_int_equal(fuzz_bundle(b, len), SP_OK);
	b[len - 1] ^= 1;
	assert_int_equal(fuzz_bundle(b, len), SP_ERR_TAMPERED);
	free(b);
	s.flags = FORGE_TRAILING;
	assert_int_equal(forge_bundle(&b, &len, &s), 0);
	assert_int_equal(fuzz_bundle(b, len), SP_ERR_TRAILING);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forge),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_armor),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_passwd),
	};

	return cmocka_run_group_tests_name("fuzz_regress", tests, NULL, NULL);
}
