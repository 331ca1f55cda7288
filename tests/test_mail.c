#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctype.h>

#include <libetpan/libetpan.h>

#include "mail.h"
#include "testutil.h"

/* Append to a test buffer of CAP bytes; the test fails if it is full. */
static size_t put(char *buf, size_t cap, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t
put(char *buf, size_t cap, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < cap - len);
	return len + n;
}

static void
parse_ok(const char *text, const struct mail_parse_opts *opts, struct mail_msg *msg)
{
	const char *error = NULL;

	ck_assert_msg(mail_parse(text, strlen(text), opts, msg, &error) == 0,
		      "mail_parse failed: %s", error);
}

START_TEST(test_gbk_encoded_subject)
{
	static const char text[] =
		"Message-ID: <a1@example.cn>\r\n"
		"From: =?GBK?B?1cXI/Q==?= <ZhangSan@Example.CN>\r\n"
		"To: support@example.com, \"Li\" <Li@Example.com>\r\n"
		"Cc: boss@example.com\r\n"
		"Subject: =?gb2312?B?t/7O8cb3zt63qLXHwrw=?=\r\n"
		"Date: Mon, 01 Jan 2024 10:00:00 +0800\r\n"
		"Content-Type: text/plain; charset=\"x-gbk\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"xPq6w6Ost/7O8cb3vfHM7OW0u/rBy6GjCg==\r\n";
	struct mail_msg msg;

	parse_ok(text, NULL, &msg);
	ck_assert_str_eq(msg.message_id, "a1@example.cn");
	ck_assert_str_eq(msg.subject, "服务器无法登录");
	ck_assert_str_eq(msg.from_addr, "zhangsan@example.cn");
	ck_assert_str_eq(msg.from_name, "张三");
	/* 2024-01-01 02:00:00 UTC */
	ck_assert_int_eq(msg.date, 1704074400);
	ck_assert_str_eq(msg.charset, "x-gbk");
	ck_assert_str_eq(msg.body, "您好，服务器今天宕机了。\n");
	ck_assert_uint_eq(msg.body_len, strlen(msg.body));
	ck_assert_int_eq(msg.auto_kind, MAIL_AUTO_NONE);
	ck_assert(!msg.oversize);
	ck_assert_uint_eq(msg.to_count, 3);
	ck_assert_str_eq(msg.to_addrs[0], "support@example.com");
	ck_assert_str_eq(msg.to_addrs[1], "li@example.com");
	ck_assert_str_eq(msg.to_addrs[2], "boss@example.com");
	mail_msg_clear(&msg);
	ck_assert_ptr_null(msg.subject);
}
END_TEST

START_TEST(test_raw_headers)
{
	/* 8-bit headers without encoded words: GBK, then UTF-8. */
	static const char gbk[] =
		"From: \xd5\xc5\xc8\xfd <z@example.cn>\n"
		"Subject: \xbb\xd8\xb8\xb4\xa3\xba\xb7\xfe\xce\xf1\xc6\xf7\xe5\xb4\xbb\xfa\n"
		"\n"
		"body\n";
	static const char utf8[] =
		"Subject: 回复：服务器宕机\n"
		"\n"
		"body\n";
	struct mail_msg msg;

	parse_ok(gbk, NULL, &msg);
	ck_assert_str_eq(msg.subject, "回复：服务器宕机");
	ck_assert_str_eq(msg.from_name, "张三");
	ck_assert_ptr_null(msg.message_id);
	ck_assert_int_eq(msg.date, 0);
	mail_msg_clear(&msg);
	parse_ok(utf8, NULL, &msg);
	ck_assert_str_eq(msg.subject, "回复：服务器宕机");
	mail_msg_clear(&msg);
}
END_TEST

#define DEC_EQ(in, want) do { \
	char *d_ = mail_decode_header(in, strlen(in)); \
	ck_assert_ptr_nonnull(d_); \
	ck_assert_str_eq(d_, want); \
	free(d_); \
} while (0)

START_TEST(test_encoded_word_rules)
{
	/* White space between encoded words goes; around them stays. */
	DEC_EQ("a =?utf-8?q?x?= =?utf-8?q?y?= b", "a xy b");
	/* A character split over two words of one charset. */
	DEC_EQ("=?utf-8?q?=e4=b8?= =?utf-8?q?=ad?=", "中");
	/* Q with underscores, lower-case charset and encoding letter. */
	DEC_EQ("=?iso-8859-1?q?caf=E9_au_lait?=", "café au lait");
	/* Not an encoded word. */
	DEC_EQ("=?broken", "=?broken");
	/* Big5, ISO-2022-JP and ks_c_5601-1987. */
	DEC_EQ("=?big5?B?pKSk5Q==?=", "中文");
	DEC_EQ("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは");
	DEC_EQ("=?ks_c_5601-1987?B?x9GxuQ==?=", "한국");
}
END_TEST

START_TEST(test_qp_multipart)
{
	static const char text[] =
		"Message-Id: <m2@example.com>\n"
		"In-Reply-To: <m1@example.com> (message from Li)\n"
		"References: <m0@example.com>\n"
		"  <m1@example.com>\n"
		"From: \"Li, Si\" <li@example.com>\n"
		"Subject: Re: test\n"
		"Date: Tue, 2 Jan 2024 09:30:00 -0500\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/alternative; boundary=\"BB\"\n"
		"\n"
		"preamble\n"
		"--BB\n"
		"Content-Type: text/html; charset=utf-8\n"
		"\n"
		"<p>html version</p>\n"
		"--BB\n"
		"Content-Type: text/plain; charset=gb2312\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"=C4=E3=BA=C3=A3=AC=CA=C0=BD=E7\n"
		"\n"
		"On Mon, Jan 1, 2024 at 10:00 AM Zhang <z@example.cn> wrote:\n"
		"> old text\n"
		"--BB--\n";
	struct mail_msg msg;

	parse_ok(text, NULL, &msg);
	ck_assert_str_eq(msg.message_id, "m2@example.com");
	ck_assert_str_eq(msg.in_reply_to, "m1@example.com");
	ck_assert_uint_eq(msg.reference_count, 2);
	ck_assert_str_eq(msg.references[0], "m0@example.com");
	ck_assert_str_eq(msg.references[1], "m1@example.com");
	ck_assert_str_eq(msg.from_name, "Li, Si");
	ck_assert_int_eq(msg.date, 1704205800);
	ck_assert_str_eq(msg.charset, "gb2312");
	ck_assert_ptr_nonnull(strstr(msg.body, "你好，世界"));
	ck_assert_str_eq(msg.reply_text, "你好，世界");
	ck_assert(msg.quoted);
	mail_msg_clear(&msg);
}
END_TEST

START_TEST(test_html_only)
{
	static const char text[] =
		"Subject: html\n"
		"Content-Type: text/html; charset=utf-8\n"
		"\n"
		"<html><head><style>p{}</style></head><body><div>新的回复</div>"
		"<div class=\"gmail_quote\">On Mon someone wrote:<blockquote>旧的</blockquote></div>"
		"<script>alert(1)</script></body></html>\n";
	struct mail_msg msg;

	parse_ok(text, NULL, &msg);
	ck_assert_ptr_nonnull(strstr(msg.body, "新的回复"));
	ck_assert_ptr_null(strstr(msg.body, "alert"));
	ck_assert_ptr_null(strstr(msg.body, "p{}"));
	ck_assert_str_eq(msg.reply_text, "新的回复");
	ck_assert(msg.quoted);
	mail_msg_clear(&msg);
}
END_TEST

START_TEST(test_chinese_html_clients)
{
	/* QQ Mail / Foxmail: GBK HTML, the history after a 原始邮件 rule. */
	static const char qq[] =
		"From: =?gb18030?B?1cXI/Q==?= <z@qq.com>\r\n"
		"Subject: =?gb18030?B?u9i4tKO6t/7O8cb35bS7+g==?=\r\n"
		"X-Mailer: QQMail 2.x\r\n"
		"Content-Type: text/html; charset=\"gb18030\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"PGh0bWw+PGJvZHk+PGRpdj66w7XEo6zS0b6ttKbA7aGjPC9kaXY+PGRpdj48YnI+PC9kaXY+PGRp\r\n"
		"diBzdHlsZT0iZm9udC1zaXplOiAxMnB4O2ZvbnQtZmFtaWx5OiBBcmlhbCBOYXJyb3c7Ij4tLS0t\r\n"
		"LS0tLS0tLS0tLS0tLS0mbmJzcDvUrcq808q8/iZuYnNwOy0tLS0tLS0tLS0tLS0tLS0tLTwvZGl2\r\n"
		"PjxkaXYgc3R5bGU9ImZvbnQtc2l6ZTogMTJweDtiYWNrZ3JvdW5kOiNlZmVmZWY7cGFkZGluZzo4\r\n"
		"cHg7Ij48ZGl2PjxiPreivP7Iyzo8L2I+Jm5ic3A7ItXFyP0iJmx0O3pAcXEuY29tJmd0Ozs8L2Rp\r\n"
		"dj48ZGl2PjxiPreiy83KsbzkOjwvYj4mbmJzcDsyMDI0xOox1MIxyNUo0MfG2tK7KSDJz87nMTA6\r\n"
		"MDA8L2Rpdj48ZGl2PjxiPtb3zOI6PC9iPiZuYnNwO7f+zvHG9+W0u/o8L2Rpdj48L2Rpdj48ZGl2\r\n"
		"Pjxicj48L2Rpdj63/s7xxvfO3reotcfCvDwvYm9keT48L2h0bWw+\r\n";
	/* NetEase 163: GB2312 in quoted-printable, a 写道 line above a
	   blockquote. */
	static const char netease[] =
		"From: zhangsan@163.com\r\n"
		"Subject: Re: test\r\n"
		"Content-Type: text/html; charset=GB2312\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"<div>=CA=D5=B5=BD=A3=AC=D0=BB=D0=BB=A3=A1</div><div style=3D\"position:relat=\r\n"
		"ive;zoom:1\"></div><div id=3D\"divNeteaseMailCard\"></div><br>=D4=DA 2024-01-0=\r\n"
		"1 10:00:00=A3=AC\"=D5=C5=C8=FD\"&nbsp;&lt;zhangsan@163.com&gt; =D0=B4=B5=C0=\r\n"
		"=A3=BA<br><blockquote id=3D\"isReplyContent\" style=3D\"PADDING-LEFT: 1ex; MAR=\r\n"
		"GIN: 0px 0px 0px 0.8ex; BORDER-LEFT: #ccc 1px solid\">=B7=FE=CE=F1=C6=F7=E5=\r\n"
		"=B4=BB=FA</blockquote>\r\n";
	struct mail_msg msg;

	parse_ok(qq, NULL, &msg);
	ck_assert_str_eq(msg.subject, "回复：服务器宕机");
	ck_assert_str_eq(msg.from_name, "张三");
	ck_assert_ptr_nonnull(strstr(msg.body, "服务器无法登录"));
	ck_assert_str_eq(msg.reply_text, "好的，已经处理。");
	ck_assert(msg.quoted);
	mail_msg_clear(&msg);

	parse_ok(netease, NULL, &msg);
	ck_assert_str_eq(msg.charset, "GB2312");
	ck_assert_ptr_nonnull(strstr(msg.body, "服务器宕机"));
	ck_assert_str_eq(msg.reply_text, "收到，谢谢！");
	ck_assert(msg.quoted);
	mail_msg_clear(&msg);
}
END_TEST

START_TEST(test_extra_headers)
{
	static const char text[] =
		"Subject: x\n"
		"X-Assigned-To: =?utf-8?B?5byg5LiJ?=\n"
		"X-Ticket: 42\n"
		"\n"
		"b\n";
	static const char *const names[] = { "x-ticket", "X-Assigned-To", "X-Missing" };
	struct mail_parse_opts opts = { names, 3 };
	struct mail_msg msg;

	parse_ok(text, &opts, &msg);
	ck_assert_str_eq(msg.extra_values[0], "42");
	ck_assert_str_eq(msg.extra_values[1], "张三");
	ck_assert_ptr_null(msg.extra_values[2]);
	mail_msg_clear(&msg);
}
END_TEST

START_TEST(test_auto_kinds)
{
	static const char reply[] =
		"Subject: 您好,您的邮件已收到\nAuto-Submitted: auto-replied\n\nx\n";
	static const char bounce[] =
		"From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered Mail\n\nx\n";
	static const char report[] =
		"Subject: failure\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n"
		"\n--b\nContent-Type: text/plain\n\nsorry\n"
		"--b\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--b--\n";
	static const char list[] = "Subject: x\nList-Id: <l.example>\n\nx\n";
	static const char normal[] = "Subject: 服务器宕机\nFrom: a@b.c\n\nhelp\n";
	struct mail_msg msg;

	parse_ok(reply, NULL, &msg);
	ck_assert_int_eq(msg.auto_kind, MAIL_AUTO_REPLY);
	mail_msg_clear(&msg);
	parse_ok(bounce, NULL, &msg);
	ck_assert_int_eq(msg.auto_kind, MAIL_AUTO_BOUNCE);
	mail_msg_clear(&msg);
	parse_ok(report, NULL, &msg);
	ck_assert_int_eq(msg.auto_kind, MAIL_AUTO_BOUNCE);
	ck_assert_str_eq(msg.body, "sorry");
	mail_msg_clear(&msg);
	parse_ok(list, NULL, &msg);
	ck_assert_int_eq(msg.auto_kind, MAIL_AUTO_BULK);
	mail_msg_clear(&msg);
	parse_ok(normal, NULL, &msg);
	ck_assert_int_eq(msg.auto_kind, MAIL_AUTO_NONE);
	mail_msg_clear(&msg);
}
END_TEST

START_TEST(test_not_a_message)
{
	static const char ole[] = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 binary";
	struct mail_msg msg;
	const char *error = NULL;

	ck_assert_int_eq(mail_parse(ole, sizeof(ole) - 1, NULL, &msg, &error), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_int_eq(mail_parse("", 0, NULL, &msg, &error), -1);
	ck_assert_int_eq(mail_parse("\n\n  \n", 5, NULL, &msg, &error), -1);
	/* Leading blank lines and an mbox From_ line are tolerated. */
	error = NULL;
	ck_assert_int_eq(mail_parse("\n  From x@y Mon Jan  1 00:00:00 2024\nSubject: s\n\nb",
				    50, NULL, &msg, &error), 0);
	ck_assert_str_eq(msg.subject, "s");
	mail_msg_clear(&msg);
}
END_TEST

START_TEST(test_oversize_headers)
{
	size_t n = MAIL_HEADERS_MAX + 10, i, len = 0;
	size_t cap = n * 16 + 64;
	char *buf = malloc(cap);
	struct mail_msg msg;
	const char *error;

	len = put(buf, cap, len, "Subject: big\n");
	for (i = 0; i < n; i++)
		len = put(buf, cap, len, "X-H%zu: v\n", i);
	len = put(buf, cap, len, "\nbody\n");
	ck_assert_int_eq(mail_parse(buf, len, NULL, &msg, &error), 0);
	ck_assert(msg.oversize);
	ck_assert_str_eq(msg.subject, "big");
	ck_assert_ptr_null(msg.body);
	mail_msg_clear(&msg);
	free(buf);
}
END_TEST

START_TEST(test_oversize_size_and_body)
{
	size_t len = MAIL_SIZE_MAX + 100, blen = MAIL_BODY_TEXT_MAX + 1000;
	static const char head[] = "Message-ID: <big@x>\nSubject: big\n\n";
	char *buf = malloc(len);
	struct mail_msg msg;
	const char *error;

	memset(buf, 'a', len);
	memcpy(buf, head, sizeof(head) - 1);
	ck_assert_int_eq(mail_parse(buf, len, NULL, &msg, &error), 0);
	ck_assert(msg.oversize);
	ck_assert_str_eq(msg.message_id, "big@x");
	ck_assert_ptr_null(msg.body);
	mail_msg_clear(&msg);

	/* A body over MAIL_BODY_TEXT_MAX is cut, on a character boundary. */
	for (size_t i = sizeof(head) - 1; i + 3 <= blen; i += 3)
		memcpy(buf + i, "中", 3);
	ck_assert_int_eq(mail_parse(buf, blen, NULL, &msg, &error), 0);
	ck_assert(msg.oversize);
	ck_assert_ptr_nonnull(msg.body);
	ck_assert_uint_le(msg.body_len, MAIL_BODY_TEXT_MAX);
	ck_assert_uint_eq(msg.body_len % 3, 0);
	mail_msg_clear(&msg);
	free(buf);
}
END_TEST

START_TEST(test_references_cap)
{
	size_t n = MAIL_REFERENCES_MAX + 20, i, len = 0;
	size_t cap = n * 32 + 64;
	char *buf = malloc(cap);
	struct mail_msg msg;
	const char *error;

	len = put(buf, cap, len, "References:");
	for (i = 0; i < n; i++)
		len = put(buf, cap, len, " <r%zu@x>", i);
	len = put(buf, cap, len, "\n\nb\n");
	ck_assert_int_eq(mail_parse(buf, len, NULL, &msg, &error), 0);
	ck_assert_uint_eq(msg.reference_count, MAIL_REFERENCES_MAX);
	ck_assert_str_eq(msg.references[0], "r0@x");
	ck_assert_str_eq(msg.references[MAIL_REFERENCES_MAX - 1], "r147@x");
	mail_msg_clear(&msg);
	free(buf);
}
END_TEST

START_TEST(test_depth_cap)
{
	size_t depth = MAIL_MIME_DEPTH_MAX + 5, i, len = 0;
	size_t cap = depth * 80 + 128;
	char *buf = malloc(cap);
	struct mail_msg msg;
	const char *error;

	len = put(buf, cap, len, "Subject: deep\n");
	for (i = 0; i < depth; i++)
		len = put(buf, cap, len, "Content-Type: multipart/mixed; boundary=b%zu\n\n--b%zu\n", i, i);
	len = put(buf, cap, len, "Content-Type: text/plain\n\ndeep text\n");
	for (i = depth; i-- > 0;)
		len = put(buf, cap, len, "--b%zu--\n", i);
	ck_assert_int_eq(mail_parse(buf, len, NULL, &msg, &error), 0);
	ck_assert(msg.oversize);
	ck_assert_str_eq(msg.subject, "deep");
	mail_msg_clear(&msg);
	free(buf);
}
END_TEST

/* What libetpan's grammar reads as the addr-specs of a To value: the
   reference for mail.c's shortcut for the simple forms. */
static size_t
ref_to(const char *v, char out[][300], size_t max)
{
	struct mailimf_address_list *list = NULL;
	struct mailimf_address *ad;
	clistiter *it;
	size_t n = 0, idx = 0, i;

	if (mailimf_address_list_parse(v, strlen(v), &idx, &list) != MAILIMF_NO_ERROR)
		return 0;
	for (it = clist_begin(list->ad_list); it != NULL; it = clist_next(it)) {
		struct mailimf_mailbox *mbs[64];
		size_t k = 0, m;
		clistiter *jt;

		ad = clist_content(it);
		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX)
			mbs[k++] = ad->ad_data.ad_mailbox;
		else if (ad->ad_data.ad_group->grp_mb_list != NULL)
			for (jt = clist_begin(ad->ad_data.ad_group->grp_mb_list->mb_list);
			     jt != NULL && k < 64; jt = clist_next(jt))
				mbs[k++] = clist_content(jt);
		for (m = 0; m < k && n < max; m++) {
			if (mbs[m]->mb_addr_spec == NULL)
				continue;
			snprintf(out[n], sizeof(out[n]), "%s", mbs[m]->mb_addr_spec);
			for (i = 0; out[n][i] != '\0'; i++)
				out[n][i] = (char)tolower((unsigned char)out[n][i]);
			n++;
		}
	}
	mailimf_address_list_free(list);
	return n;
}

START_TEST(test_address_shortcut)
{
	/* The simple forms, and ones just outside them, which must come out
	   as libetpan reads them either way. */
	static const char *const values[] = {
		"Support@Example.COM", "a.b-c_d+e@x-y.example.cn",
		"Jane Doe <jane@example.com>", "\"Doe, Jane\" <jane@example.com>",
		"=?UTF-8?B?6ams6LaF?= <user3671@foxmail.com>",
		"=?gb2312?B?1cW=?= <a@b.cn>", "<bare@example.com>",
		"=?UTF-8?B?6ams6LaF <never@closed.example>",
		"John Q. Public <jqp@example.com>", "a@b, c@d", "x@y (comment)",
		"Group: a@b, c@d;", "no-at-sign", "@example.com", "a@",
		"Name <a@b> trailing", "\"quoted \\\" escape\" <q@example.com>",
		"Name<tight@example.com>", "=?utf-8?q?J=C3=B6rg?= <j@example.de>",
		"two  spaces <ts@example.com>", "a@b@c",
	};
	char ref[8][300], text[1024];
	struct mail_msg msg;
	size_t i, j, n;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(text, sizeof(text), "From: f@example.com\r\nTo: %s\r\n"
			 "Subject: s\r\n\r\nbody\r\n", values[i]);
		parse_ok(text, NULL, &msg);
		n = ref_to(values[i], ref, 8);
		ck_assert_msg(msg.to_count == n, "%s: %zu addresses, libetpan %zu",
			      values[i], msg.to_count, n);
		for (j = 0; j < n; j++)
			ck_assert_str_eq(msg.to_addrs[j], ref[j]);
		mail_msg_clear(&msg);
	}
	parse_ok("From: Some.One@Example.ORG\r\nSubject: s\r\n\r\nb\r\n", NULL, &msg);
	ck_assert_str_eq(msg.from_addr, "some.one@example.org");
	ck_assert_ptr_null(msg.from_name);
	mail_msg_clear(&msg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mail");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_gbk_encoded_subject);
	tcase_add_test(tc, test_raw_headers);
	tcase_add_test(tc, test_encoded_word_rules);
	tcase_add_test(tc, test_qp_multipart);
	tcase_add_test(tc, test_html_only);
	tcase_add_test(tc, test_chinese_html_clients);
	tcase_add_test(tc, test_extra_headers);
	tcase_add_test(tc, test_auto_kinds);
	tcase_add_test(tc, test_not_a_message);
	tcase_add_test(tc, test_oversize_headers);
	tcase_add_test(tc, test_oversize_size_and_body);
	tcase_add_test(tc, test_references_cap);
	tcase_add_test(tc, test_depth_cap);
	tcase_add_test(tc, test_address_shortcut);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
