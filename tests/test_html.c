#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "testutil.h"

#define HTML_EQ(in, flags, want, want_quoted) do { \
	bool q_ = !(want_quoted); \
	char *t_ = html_to_text(in, strlen(in), flags, &q_); \
	ck_assert_ptr_nonnull(t_); \
	ck_assert_str_eq(t_, want); \
	ck_assert_int_eq(q_, want_quoted); \
	free(t_); \
} while (0)

START_TEST(test_blocks)
{
	HTML_EQ("<html><body><p>第一段</p><p>第二段</p></body></html>", 0,
		"第一段\n\n第二段", false);
	HTML_EQ("<div>a<br>b</div><div>c</div>", 0, "a\nb\nc", false);
	HTML_EQ("<p>  lots   of\n  space&nbsp;here </p>", 0, "lots of space here", false);
	HTML_EQ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", 0,
		"a b\nc", false);
	HTML_EQ("<pre>x  y\nz</pre>", 0, "x  y\nz", false);
}
END_TEST

START_TEST(test_dropped)
{
	HTML_EQ("<head><title>t</title><style>p{color:red}</style></head>"
		"<body>text<script>alert(1)</script></body>", 0, "text", false);
	HTML_EQ("", 0, "", false);
}
END_TEST

START_TEST(test_quotes)
{
	HTML_EQ("<div>new</div><blockquote>old<br>older</blockquote>", 0,
		"new\n> old\n> older", true);
	HTML_EQ("<div>new</div><div class=\"gmail_quote\">On Mon, X wrote:<blockquote>old</blockquote></div>",
		0, "new\n> On Mon, X wrote:\n>> old", true);
	HTML_EQ("<div>new</div><div class=\"gmail_quote\">old</div>", HTML_TEXT_CUT_QUOTES,
		"new", true);
	/* Outlook: the history follows the marker, outside it. */
	HTML_EQ("<div>new</div><div id=\"divRplyFwdMsg\">From: x</div><div>old</div>", 0,
		"new\n> From: x\n> old", true);
	HTML_EQ("<div>new</div><div id=\"divRplyFwdMsg\">From: x</div><div>old</div>",
		HTML_TEXT_CUT_QUOTES, "new", true);
	/* NetEase */
	HTML_EQ("<div>好的</div><blockquote id=\"isReplyContent\">原文</blockquote>",
		HTML_TEXT_CUT_QUOTES, "好的", true);
}
END_TEST

START_TEST(test_broken_and_deep)
{
	size_t n = 5000, i, len = 0;
	char *buf = malloc(n * 5 + 16), *t;

	HTML_EQ("<div><p>unclosed <b>bold", 0, "unclosed bold", false);
	for (i = 0; i < n; i++) {
		memcpy(buf + len, "<div>", 5);
		len += 5;
	}
	memcpy(buf + len, "deep", 5);
	len += 4;
	t = html_to_text(buf, len, 0, NULL);
	ck_assert_ptr_nonnull(t);
	free(t);
	free(buf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_blocks);
	tcase_add_test(tc, test_dropped);
	tcase_add_test(tc, test_quotes);
	tcase_add_test(tc, test_broken_and_deep);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
