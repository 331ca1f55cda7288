/* secret: one rule for every password, token and key file. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "testutil.h"

static char *dir;

static void
setup(void)
{
	dir = testutil_tmpdir();
}

static void
teardown(void)
{
	testutil_rmtree(dir);
	free(dir);
}

static char *
put(const char *name, const char *text, mode_t mode)
{
	char *path;

	ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	ck_assert_int_eq(testutil_write_file(path, text, strlen(text)), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static int
read_it(const char *base, const char *file, size_t max, bool one_line, char **data,
	size_t *len, char *error)
{
	return secret_read(base, file, max, one_line, data, len, error, SECRET_ERROR_MAX);
}

START_TEST(good_files)
{
	char error[SECRET_ERROR_MAX], *data = NULL, *p;
	size_t len = 0;

	p = put("pw", "s3cret\r\n", 0600);
	ck_assert_msg(read_it(NULL, p, 64, true, &data, &len, error) == 0, "%s", error);
	ck_assert_str_eq(data, "s3cret");
	ck_assert_uint_eq(len, 6);
	secret_free(&data, len);
	ck_assert_ptr_null(data);
	free(p);

	/* 0400 is fine, and a relative name is taken from the base dir */
	p = put("key", "line one\nline two\n", 0400);
	ck_assert_msg(read_it(dir, "key", 64, false, &data, &len, error) == 0, "%s", error);
	ck_assert_str_eq(data, "line one\nline two");
	secret_free(&data, len);
	free(p);
}
END_TEST

static const struct {
	const char *content;
	mode_t mode;
	size_t max;
	bool one_line;
	const char *want;
} refused[] = {
	{ "pw\n", 0644, 64, true, "accessible by group or others (mode 644)" },
	{ "pw\n", 0640, 64, true, "accessible by group or others (mode 640)" },
	{ "pw\n", 0604, 64, true, "accessible by group or others (mode 604)" },
	{ "\n\n", 0600, 64, true, ": empty" },
	{ "a\nb\n", 0600, 64, true, "expected one line" },
	{ "0123456789", 0600, 9, false, "longer than 9 bytes" },
};

START_TEST(refused_files)
{
	char error[SECRET_ERROR_MAX], *data = NULL;
	char *p = put("s", refused[_i].content, refused[_i].mode);
	size_t len = 0;

	ck_assert_int_eq(read_it(NULL, p, refused[_i].max, refused[_i].one_line, &data,
				 &len, error), -1);
	ck_assert_ptr_null(data);
	ck_assert_msg(strstr(error, refused[_i].want) != NULL, "%s", error);
	ck_assert_msg(strstr(error, p) != NULL, "the path is named: %s", error);
	free(p);
}
END_TEST

START_TEST(not_a_plain_file)
{
	char error[SECRET_ERROR_MAX], *data = NULL, *p, *link;
	size_t len = 0;

	p = put("real", "pw\n", 0600);
	ck_assert(asprintf(&link, "%s/link", dir) > 0);
	ck_assert_int_eq(symlink(p, link), 0);
	ck_assert_int_eq(read_it(NULL, link, 64, true, &data, &len, error), -1);
	ck_assert_msg(strstr(error, "symbolic link") != NULL, "%s", error);
	ck_assert_int_eq(read_it(NULL, dir, 64, true, &data, &len, error), -1);
	ck_assert_msg(strstr(error, "not a regular file") != NULL, "%s", error);
	ck_assert_int_eq(read_it(dir, "missing", 64, true, &data, &len, error), -1);
	ck_assert_msg(strstr(error, "No such file") != NULL, "%s", error);
	free(link);
	free(p);
}
END_TEST

/* Someone else's file could be swapped under us: refused (needs root to
   give a file away, so it is skipped otherwise). */
START_TEST(other_owner)
{
	char error[SECRET_ERROR_MAX], *data = NULL, *p;
	size_t len = 0;

	if (geteuid() != 0)
		return;
	p = put("theirs", "pw\n", 0600);
	ck_assert_int_eq(chown(p, 65534, 65534), 0);
	ck_assert_int_eq(read_it(NULL, p, 64, true, &data, &len, error), -1);
	ck_assert_msg(strstr(error, "owned by uid 65534") != NULL, "%s", error);
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("read");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good_files);
	tcase_add_loop_test(tc, refused_files, 0, sizeof(refused) / sizeof(refused[0]));
	tcase_add_test(tc, not_a_plain_file);
	tcase_add_test(tc, other_owner);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
