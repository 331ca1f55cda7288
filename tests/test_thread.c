#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "thread.h"

#define NORM_EQ(in, want) do { \
	char *n_ = thread_normalize_subject(in); \
	ck_assert_ptr_nonnull(n_); \
	ck_assert_str_eq(n_, want); \
	free(n_); \
} while (0)

START_TEST(test_normalize)
{
	NORM_EQ("Re: printer broken", "printer broken");
	NORM_EQ("RE: RE: Fwd: FW: printer broken", "printer broken");
	NORM_EQ("回复：服务器无法登录", "服务器无法登录");
	NORM_EQ("答复: 回复: 转发：服务器无法登录", "服务器无法登录");
	NORM_EQ("回覆：測試", "測試");
	NORM_EQ("Re[2]: x", "x");
	NORM_EQ("RE : [External] Re:  VPN   down ", "VPN down");
	NORM_EQ("[EXTERNAL] Re: VPN down", "VPN down");
	NORM_EQ("  plain  subject\t", "plain subject");
	NORM_EQ("Report: quarterly", "Report: quarterly");
	NORM_EQ("Revenue down", "Revenue down");
	NORM_EQ("Re:", "");
	NORM_EQ(NULL, "");
}
END_TEST

START_TEST(test_normalize_cap)
{
	char *big = malloc(THREAD_SUBJECT_MAX * 2 + 1), *n;

	memset(big, 'a', THREAD_SUBJECT_MAX * 2);
	big[THREAD_SUBJECT_MAX * 2] = '\0';
	n = thread_normalize_subject(big);
	ck_assert_uint_eq(strlen(n), THREAD_SUBJECT_MAX);
	free(n);
	free(big);
}
END_TEST

START_TEST(test_tag)
{
	char buf[32];

	ck_assert_int_eq(thread_subject_tag("Re: [#123] printer", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "123");
	ck_assert_int_eq(thread_subject_tag("[RT #4567] VPN", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "4567");
	ck_assert_int_eq(thread_subject_tag("回复：[test.example #89] 服务器", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "89");
	ck_assert_int_eq(thread_subject_tag("[Ticket#2024010110000012] x", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "2024010110000012");
	ck_assert_int_eq(thread_subject_tag("[PATCH v2 3/4] erofs: fix", buf, sizeof(buf)), 0);
	ck_assert_int_eq(thread_subject_tag("Bug #12 is back", buf, sizeof(buf)), 0);
	ck_assert_int_eq(thread_subject_tag("[#] empty", buf, sizeof(buf)), 0);
	ck_assert_int_eq(thread_subject_tag("[#abc] letters", buf, sizeof(buf)), 0);
	ck_assert_int_eq(thread_subject_tag("[#123", buf, sizeof(buf)), 0);
	/* Does not fit. */
	ck_assert_int_eq(thread_subject_tag("[#123456]", buf, 4), 0);
	ck_assert_int_eq(thread_subject_tag(NULL, buf, sizeof(buf)), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("thread");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_normalize);
	tcase_add_test(tc, test_normalize_cap);
	tcase_add_test(tc, test_tag);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
