#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "testutil.h"

/* Extract from IN and compare with WANT and the quoted flag. */
#define REPLY_EQ(in, want, want_quoted) do { \
	bool q_ = !(want_quoted); \
	char *r_ = reply_extract(in, strlen(in), &q_); \
	ck_assert_ptr_nonnull(r_); \
	ck_assert_str_eq(r_, want); \
	ck_assert_int_eq(q_, want_quoted); \
	free(r_); \
} while (0)

START_TEST(test_plain)
{
	REPLY_EQ("服务器还是无法登录。\n\n谢谢\n", "服务器还是无法登录。\n\n谢谢", false);
	REPLY_EQ("", "", false);
	REPLY_EQ("\n\n", "", false);
}
END_TEST

START_TEST(test_angle_quotes)
{
	REPLY_EQ("已经重启了。\n\n> 请重启一下服务器\n> 谢谢\n", "已经重启了。", true);
	/* Bottom-posting and interleaving keep every unquoted line. */
	REPLY_EQ("> question one?\nanswer one\n> question two?\nanswer two\n",
		 "answer one\nanswer two", true);
}
END_TEST

START_TEST(test_english_attribution)
{
	REPLY_EQ("Fixed now.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Zhang San <z@example.cn> wrote:\n> broken\n",
		 "Fixed now.", true);
	/* Split over two lines by the client. */
	REPLY_EQ("Fixed now.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Zhang San\n<z@example.cn> wrote:\n\n> broken\n",
		 "Fixed now.", true);
	/* Not followed by '>' lines: the rest is unquoted history. */
	REPLY_EQ("Fixed now.\nOn 1 Jan 2024, Zhang San wrote:\nold text\n", "Fixed now.", true);
	/* "On" in running text is not an attribution. */
	REPLY_EQ("On Monday I wrote:\nthe report\n", "On Monday I wrote:\nthe report", false);
}
END_TEST

START_TEST(test_chinese_attributions)
{
	/* NetEase 163/126 */
	REPLY_EQ("好的，收到。\n\n在 2024-01-01 10:00:00，\"张三\" <zhangsan@163.com> 写道：\n>服务器宕机\n",
		 "好的，收到。", true);
	/* Gmail in Chinese */
	REPLY_EQ("已处理\n\n张三 <z@example.cn> 于2024年1月1日周一 上午10:00写道：\n\n> 服务器宕机\n",
		 "已处理", true);
	REPLY_EQ("已处理\n\n于2024年1月1日周一 上午10:00写道：\n> 服务器宕机\n", "已处理", true);
	/* Apple Mail in Chinese, history not quoted with '>' */
	REPLY_EQ("已处理\n\n2024年1月1日 10:00，张三 <z@example.cn> 写道：\n\n服务器宕机\n",
		 "已处理", true);
	/* ASCII colon (lkml) */
	REPLY_EQ("Thanks.\n在 2024/4/24 11:39, libaokun@huaweicloud.com 写道:\n> patch\n",
		 "Thanks.", true);
}
END_TEST

START_TEST(test_outlook_blocks)
{
	REPLY_EQ("Done.\n\n-----Original Message-----\nFrom: Zhang\nSent: Monday\nTo: support\nSubject: x\n\nold\n",
		 "Done.", true);
	REPLY_EQ("Done.\n\nFrom: Zhang San <z@example.cn>\nSent: Monday, January 1, 2024 10:00 AM\nTo: support@example.com\nSubject: VPN\n\nold\n",
		 "Done.", true);
	REPLY_EQ("Done.\n________________________________\nFrom: Zhang San\nSent: Monday\nold\n",
		 "Done.", true);
	/* Chinese Outlook with ASCII and full-width colons */
	REPLY_EQ("处理好了\n\n发件人: 张三 <z@example.cn>\n发送时间: 2024年1月1日 10:00\n收件人: support@example.com\n主题: 服务器宕机\n\n原文\n",
		 "处理好了", true);
	REPLY_EQ("处理好了\n\n发件人：张三\n发送时间：2024年1月1日 10:00\n收件人：support\n主题：服务器宕机\n原文\n",
		 "处理好了", true);
	/* One "From:" in running text is not a header block. */
	REPLY_EQ("From: the logs, nothing.\nRegards\n", "From: the logs, nothing.\nRegards", false);
}
END_TEST

START_TEST(test_chinese_separators)
{
	REPLY_EQ("收到\n\n-----原始邮件-----\n发件人: 张三\n原文\n", "收到", true);
	/* Foxmail / QQ Mail */
	REPLY_EQ("收到\n\n------------------ 原始邮件 ------------------\n发件人: \"张三\"<z@qq.com>;\n发送时间: 2024年1月1日(星期一) 上午10:00\n原文\n",
		 "收到", true);
	REPLY_EQ("Got it\n\n------------------ Original ------------------\nFrom: \"Zhang\"<z@qq.com>;\nold\n",
		 "Got it", true);
}
END_TEST

START_TEST(test_signatures)
{
	REPLY_EQ("好的\n\n发自我的iPhone\n\n> 原文\n", "好的", true);
	REPLY_EQ("OK\n\nSent from my iPhone\n", "OK", true);
	REPLY_EQ("OK\n-- \nZhang San\nACME\n", "OK", true);
	/* A sentence is not a footer. */
	REPLY_EQ("Sent from my desk, is much easier.\n", "Sent from my desk, is much easier.", false);
}
END_TEST

START_TEST(test_headers_on_top)
{
	/* A forward or export that starts with headers keeps its text. */
	REPLY_EQ("From: Zhang San <z@example.cn>\nSent: Monday\nSubject: VPN\n\nVPN is down.\n",
		 "VPN is down.", true);
}
END_TEST

START_TEST(test_cap_and_linear)
{
	/* Many lines that each look like the start of a split attribution:
	   the look-ahead is bounded, so this stays linear. */
	size_t n = 200000, i, len = 0;
	char *buf = malloc(n * 4 + 1), *r;
	bool q;

	for (i = 0; i < n; i++) {
		memcpy(buf + len, "On \n", 4);
		len += 4;
	}
	buf[len] = '\0';
	r = reply_extract(buf, len, &q);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_le(strlen(r), REPLY_TEXT_MAX);
	free(r);
	free(buf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_angle_quotes);
	tcase_add_test(tc, test_english_attribution);
	tcase_add_test(tc, test_chinese_attributions);
	tcase_add_test(tc, test_outlook_blocks);
	tcase_add_test(tc, test_chinese_separators);
	tcase_add_test(tc, test_signatures);
	tcase_add_test(tc, test_headers_on_top);
	tcase_add_test(tc, test_cap_and_linear);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
