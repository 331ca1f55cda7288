/* test_fuzz_regress - every input kept under tests/fuzz/regress/TARGET/
 * (crashers the fuzzers found, and hostile inputs written by hand) through
 * the fuzz target's own function, in the normal build, so a bug once fixed
 * stays fixed in `make check`. A crash or a broken promise (abort) fails
 * the test case of that target, named with the file it was reading.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_entry.h"
#include "testutil.h"

#define REGRESS_PATH_MAX 4096

static int
regress_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every file of tests/fuzz/regress/NAME through FN; the count run. */
static size_t
regress_run(const char *name, fuzz_entry_fn *fn)
{
	char dir[REGRESS_PATH_MAX], path[REGRESS_PATH_MAX];
	char **names = NULL;
	size_t count = 0, cap = 0, i, len;
	struct dirent *de;
	DIR *d;
	char *buf;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", testutil_srcdir(), name);
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			names = realloc(names, cap * sizeof(*names));
			ck_assert_ptr_nonnull(names);
		}
		names[count] = strdup(de->d_name);
		ck_assert_ptr_nonnull(names[count]);
		count++;
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), regress_cmp);
	for (i = 0; i < count; i++) {
		ck_assert_msg((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) <
			      sizeof(path), "path too long");
		buf = testutil_read_file(path, &len);
		ck_assert_msg(buf != NULL, "cannot read %s", path);
		/* a crash from here on is reported with this file's name */
		mark_point();
		fprintf(stderr, "%s: %s\n", name, names[i]);
		(void)fn((const uint8_t *)buf, len);
		free(buf);
		free(names[i]);
	}
	free(names);
	return count;
}

START_TEST(test_regress_target)
{
	const struct fuzz_entry *e = &fuzz_entries[_i];

	(void)regress_run(e->name, e->fn);
}
END_TEST

/* Every target has a regression directory, so a crasher saved under a
   misspelt name cannot silently stop being tried. */
START_TEST(test_regress_dirs)
{
	char dir[REGRESS_PATH_MAX], path[REGRESS_PATH_MAX];
	const struct fuzz_entry *e;
	struct dirent *de;
	DIR *d;
	bool known;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress", testutil_srcdir());
	d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		known = false;
		for (e = fuzz_entries; e->name != NULL; e++)
			known = known || strcmp(e->name, de->d_name) == 0;
		ck_assert_msg(known, "%s/%s names no fuzz target", dir, de->d_name);
	}
	closedir(d);
	for (e = fuzz_entries; e->name != NULL; e++) {
		ck_assert_msg((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->name) <
			      sizeof(path), "path too long");
		d = opendir(path);
		ck_assert_msg(d != NULL, "no regression directory %s", path);
		closedir(d);
	}
}
END_TEST

static Suite *
regress_suite(void)
{
	Suite *s = suite_create("fuzz_regress");
	TCase *tc = tcase_create("regress");
	size_t n = 0;

	while (fuzz_entries[n].name != NULL)
		n++;
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_regress_target, 0, (int)n);
	tcase_add_test(tc, test_regress_dirs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(regress_suite());
}
