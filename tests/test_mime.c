/* parsers/mime.c against the reference it replaced (tests/mime_ref.c:
 * libetpan's mailmime_parse() tree and the walk over it): the same part,
 * encoding, charset and report flags for every file of the corpora and
 * for the cases below, each of which also states what libetpan does. */
#include "config.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "mail.h"
#include "mime.h"
#include "mime_ref.h"
#include "testutil.h"

/* Compares both walks on LEN bytes at BUF; *out gets mime.c's result. */
static void
both(const char *buf, size_t len, struct mime_ref *out, const char *what)
{
	struct mime_ref ref;
	struct mime_found f;
	char why[256];

	if (mime_ref_find(buf, len, &ref) < 0)
		memset(&ref, 0, sizeof(ref));
	ck_assert_int_eq(mime_find_text(buf, len, &f), 0);
	mime_ref_of(&f, out);
	ck_assert_msg(mime_ref_same(&ref, out, why, sizeof(why)), "%s: %s", what, why);
	mime_found_clear(&f);
}

static void
text_is(const struct mime_ref_text *t, const char *expect)
{
	ck_assert(t->found);
	ck_assert_msg(t->len == strlen(expect) && memcmp(t->data, expect, t->len) == 0,
		      "part is '%.*s', expected '%s'", (int)t->len, t->data, expect);
}

START_TEST(test_alternative)
{
	static const char m[] =
		"From: a@b\r\nContent-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n"
		"preamble\r\n--XX\r\nContent-Type: text/plain; charset=gbk\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--XX\r\n"
		"Content-Type: text/html\r\n\r\n<p>x</p>\r\n--XX--\r\nepilogue\r\n";
	struct mime_ref r;

	both(m, strlen(m), &r, "alternative");
	text_is(&r.plain, "AAAA");
	ck_assert_int_eq(r.plain.encoding, MAILMIME_MECHANISM_BASE64);
	ck_assert_str_eq(r.plain.charset, "gbk");
	text_is(&r.html, "<p>x</p>");
}
END_TEST

/* No close boundary: the last part runs to the end, but libetpan ends it
   at the last line that starts with '-' (here the signature). */
START_TEST(test_no_close_boundary)
{
	static const char m[] =
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhello\n-- \nsig\n";
	struct mime_ref r;

	both(m, strlen(m), &r, "no close");
	text_is(&r.plain, "hello");
}
END_TEST

/* A multipart without one boundary line is one part: the whole body, read
   as a part with (here no) headers. */
START_TEST(test_no_boundary_line)
{
	static const char m[] =
		"Content-Type: multipart/mixed; boundary=zz\n\njust text\nmore\n";
	struct mime_ref r;

	both(m, strlen(m), &r, "no boundary line");
	text_is(&r.plain, "just text\nmore");
}
END_TEST

/* A folded address list whose grammar stops at the fold ends the header
   block: what follows is the body, and a Content-Type after it is text. */
START_TEST(test_folded_field_ends_headers)
{
	static const char m[] =
		"To:A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
		"         joe@example.org;\r\n"
		"Content-Type: text/html\r\n\r\nbody\r\n";
	struct mime_ref r;

	both(m, strlen(m), &r, "folded To");
	ck_assert(r.plain.found);
	ck_assert(!r.html.found);
	ck_assert(r.plain.data == m + 25);
}
END_TEST

/* A continuation line of only white space: libetpan's CFWS after an
   address takes the fold before it, the line's own CRLF then ends the
   field and the header block, and the rest is the body. After a comma
   the address list wants more, so To is not an address field but an
   unstructured one that runs on, and the Content-Type counts. */
START_TEST(test_blank_continuation_line)
{
	static const char ends[] =
		"Subject: s\r\nTo: a@b.example\r\n \r\n c@d.example\r\n"
		"Content-Type: text/html\r\n\r\nbody\r\n";
	static const char runs_on[] =
		"Subject: s\r\nTo: a@b.example,\r\n \r\n c@d.example\r\n"
		"Content-Type: text/html\r\n\r\nbody\r\n";
	struct mime_ref r;

	both(ends, strlen(ends), &r, "blank continuation ends the field");
	ck_assert(!r.html.found);
	text_is(&r.plain, " c@d.example\r\nContent-Type: text/html\r\n\r\nbody\r\n");
	both(runs_on, strlen(runs_on), &r, "blank continuation after a comma");
	ck_assert(!r.plain.found);
	text_is(&r.html, "body\r\n");
}
END_TEST

/* Continuation lines of one SP/TAB each never move where libetpan's
   unstructured grammar ends a value's text, so the CRLF it reads after
   that takes the first of them as FWS and ends the field there: with two
   or more, the header block ends after the first and the rest is the
   body. In a message's header and in a part's alike. A line of two
   spaces moves the end of the text and does not count. */
START_TEST(test_one_space_continuation_lines)
{
	static const char two[] =
		"Subject: s\r\n \r\n \r\nContent-Type: text/html\r\n\r\nbody\r\n";
	static const char in_part[] =
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		"X-A: a\n\t\n\t\nContent-Type: text/html\n\n<p>x</p>\n--b--\n";
	static const char wider[] =
		"Subject: s\r\n \r\n  \r\nContent-Type: text/html\r\n\r\nbody\r\n";
	struct mime_ref r;

	both(two, strlen(two), &r, "two one-space lines");
	ck_assert(!r.html.found);
	text_is(&r.plain, " \r\nContent-Type: text/html\r\n\r\nbody\r\n");
	both(in_part, strlen(in_part), &r, "two one-tab lines in a part");
	ck_assert(!r.html.found);
	text_is(&r.plain, "\t\nContent-Type: text/html\n\n<p>x</p>");
	both(wider, strlen(wider), &r, "a line of two spaces");
	ck_assert(!r.plain.found);
	text_is(&r.html, "body\r\n");
}
END_TEST

/* A message that ends in a folded envelope field, without a line break:
   libetpan's grammar for it may still end at a fold after a comment, and
   then the field is the lines before that fold and the body the rest. A
   fold after anything else leaves the field unfinished, so not a field,
   and the body starts at its name. */
START_TEST(test_folded_field_at_the_end)
{
	static const char comment[] =
		"Subject: s\r\nMessage-ID: <a@b.example> (c)\r\n\t(never closed";
	static const char plain[] =
		"Subject: s\r\nTo: a@b.example,\r\n c@d.example";
	struct mime_ref r;

	both(comment, strlen(comment), &r, "comment fold at the end");
	text_is(&r.plain, "\t(never closed");
	both(plain, strlen(plain), &r, "plain fold at the end");
	text_is(&r.plain, "To: a@b.example,\r\n c@d.example");
}
END_TEST

/* A line that is not a header ends the block, unlike mail.c's own header
   reader, which skips it. */
START_TEST(test_broken_header_line)
{
	static const char m[] =
		"Subject: x\nnot a header\nContent-Type: text/html\n\n<b>y</b>\n";
	struct mime_ref r;

	both(m, strlen(m), &r, "broken line");
	text_is(&r.plain, "not a header\nContent-Type: text/html\n\n<b>y</b>\n");
}
END_TEST

/* An encoded word in a From/To phrase runs to the next "?=" anywhere:
   without one in the field, libetpan's field takes the following lines,
   the empty one included, and the header block goes on after them. */
START_TEST(test_open_encoded_word)
{
	static const char m[] =
		"Content-Type: text/html\n"
		"To: =?UTF-8?B?dG9ueQContent-Type: multipart/mixed; boundary=\"1\"\n\n"
		"--1\n\nhello\n--1\nx?= <a@b.example>\nSubject: s\n\n<p>body</p>\n";
	struct mime_ref r;

	both(m, strlen(m), &r, "open encoded word");
	text_is(&r.html, "<p>body</p>\n");
}
END_TEST

START_TEST(test_attachment_and_nested)
{
	static const char m[] =
		"Content-Type: multipart/mixed; boundary=\"=_1\"\n\n"
		"--=_1\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\n"
		"attached\n--=_1\nContent-Type: message/rfc822\n\n"
		"Subject: inner\nContent-Type: text/plain\n\ninner text\n"
		"--=_1\nContent-Type: text/html; charset=\"utf-8\"\n\n<i>outer</i>\n--=_1--\n";
	struct mime_ref r;

	both(m, strlen(m), &r, "attachment and nested");
	ck_assert(!r.plain.found);
	text_is(&r.html, "<i>outer</i>");
	ck_assert_str_eq(r.html.charset, "utf-8");
}
END_TEST

START_TEST(test_reports)
{
	static const char dsn[] =
		"Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n"
		"--r\n\nfailed\n--r\nContent-Type: message/delivery-status\n\nAction: failed\n--r--\n";
	static const char mdn[] =
		"Content-Type: multipart/report; report-type=disposition-notification;\n"
		"\tboundary=\"r\"\n\n--r\nContent-Type: text/plain\n\nread\n--r--\n";
	static const char nested_dsn[] =
		"Content-Type: multipart/mixed; boundary=o\n\n--o\n\nsee below\n"
		"--o\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=i\n\n"
		"--i\nContent-Type: message/delivery-status\n\nx\n--i--\n--o--\n";
	struct mime_ref r;

	both(dsn, strlen(dsn), &r, "dsn");
	ck_assert(r.report);
	text_is(&r.plain, "failed");
	both(mdn, strlen(mdn), &r, "mdn");
	ck_assert(r.receipt && !r.report);
	both(nested_dsn, strlen(nested_dsn), &r, "nested dsn");
	ck_assert(r.report);
	text_is(&r.plain, "see below");
}
END_TEST

/* In a digest a part without Content-Type is a message/rfc822. */
START_TEST(test_digest)
{
	static const char m[] =
		"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n"
		"--d\nContent-Type: text/plain\n\nplain\n--d--\n";
	struct mime_ref r;

	both(m, strlen(m), &r, "digest");
	text_is(&r.plain, "plain");
}
END_TEST

START_TEST(test_too_many_parts)
{
	size_t cap = 32 * (MAIL_PARTS_MAX + 10), len = 0, i;
	char *m = malloc(cap);
	struct mime_ref r;

	ck_assert(m != NULL);
	len += snprintf(m, cap, "Content-Type: multipart/mixed; boundary=p\n\n");
	for (i = 0; i < MAIL_PARTS_MAX + 5; i++)
		len += snprintf(m + len, cap - len, "--p\n\npart\n");
	len += snprintf(m + len, cap - len, "--p--\n");
	both(m, len, &r, "too many parts");
	ck_assert(r.over);
	free(m);
}
END_TEST

/* Damaged boundaries: a boundary as a prefix of a longer one, a quoted
   empty one, boundary lines with padding, CR without LF. */
START_TEST(test_odd_boundaries)
{
	static const char *const ms[] = {
		"Content-Type: multipart/mixed; boundary=a\n\n--a\n\nx\n--ab\n\ny\n--a--\n",
		"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n----\n",
		"Content-Type: multipart/mixed; boundary=q\n\n--q  \t\r\n\r\nx\r\n--q \r\n\r\ny\r\n--q--",
		"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\rx\r--q--\r",
		"Content-Type: multipart/mixed; boundary=q\n\nX--q\n\nfirst\n--q--\n",
		"Content-Type: multipart/mixed; boundary=q\n\n--q\n--q\n\n\n--q",
		"Content-Type: multipart/alternative; boundary=q\n\n--q\nContent-Type: text/plain\n--q--\n",
		("Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\nContent-Type: multipart/alternative;"
		 " boundary=q2\n\n--q2\n\ninner\n--q2--\n--q--\n"),
		/* Content-Type values libetpan first runs through its
		   encoded-word decoder: folds, tabs, runs of spaces, a bare CR,
		   an encoded word, spaces inside a quoted boundary. */
		"Content-Type: multipart/mixed;\r\n\tboundary=\"a  b\"\r\n\r\n--a  b\r\n\r\nx\r\n--a b\r\n\r\ny\r\n",
		"Content-Type: multipart/mixed;\r\n \r\n boundary=\"a \r\n b\"\r\n\r\n--a b\r\n\r\nx\r\n--a  b\r\n\r\ny\r\n",
		"Content-Type: text/html; \rcharset=gbk\n\n<b>x</b>\n",
		"Content-Type: =?us-ascii?Q?text/html?=; charset=big5\n\n<b>x</b>\n",
		"Content-Type:\r\n text/html;\t\tcharset=utf-8 \r\n\r\n<b>x</b>\r\n",
		"Content-Type: text/plain; charset=\"utf\x80\"\n\nx\n",
	};
	struct mime_ref r;
	size_t i;

	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		both(ms[i], strlen(ms[i]), &r, ms[i]);
}
END_TEST

static void
decode_all(const struct mime_ref_text *t, const char *what)
{
	char why[256];

	if (!t->found)
		return;
	ck_assert_msg(mime_ref_decode_same(MAILMIME_MECHANISM_BASE64, t->data, t->len,
					   why, sizeof(why)), "%s: %s", what, why);
	ck_assert_msg(mime_ref_decode_same(MAILMIME_MECHANISM_QUOTED_PRINTABLE, t->data,
					   t->len, why, sizeof(why)), "%s: %s", what, why);
}

START_TEST(test_decode_edges)
{
	static const char *const qp[] = {
		"a=3D=3db=\r\nc\r\nd\ne\rf\r", "=\r=\rx==41", "=zz=4=\n\r\r\n",
		"caf=C3=A9 _ ok\r\n", "\r\n\r", "=\n", "x=\r\ny",
	};
	static const char *const b64[] = {
		"aGVsbG8=", "aGVsbG8", "aGVsbA==aGk=", "a", "ab", "abc", "!!!", "",
		"aGVs\r\nbG8g\r\nd29y bGQ=\r\n",
	};
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(qp) / sizeof(qp[0]); i++)
		ck_assert_msg(mime_ref_decode_same(MAILMIME_MECHANISM_QUOTED_PRINTABLE, qp[i],
						   strlen(qp[i]), why, sizeof(why)),
			      "qp '%s': %s", qp[i], why);
	for (i = 0; i < sizeof(b64) / sizeof(b64[0]); i++)
		ck_assert_msg(mime_ref_decode_same(MAILMIME_MECHANISM_BASE64, b64[i],
						   strlen(b64[i]), why, sizeof(why)),
			      "base64 '%s': %s", b64[i], why);
}
END_TEST

/* Every corpus file (from its first header line, as mail.c hands it). */
static size_t corpus_files, corpus_bytes;

static int
corpus_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct mime_ref r;
	size_t len, i = 0;
	const char *nl;
	char *buf;

	(void)st;
	(void)ftw;
	if (type != FTW_F || strstr(path, ".eml") == NULL)
		return 0;
	buf = testutil_read_file(path, &len);
	ck_assert_msg(buf != NULL, "%s", path);
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
			   buf[i] == '\n'))
		i++;
	if (len - i >= 5 && memcmp(buf + i, "From ", 5) == 0) {
		nl = memchr(buf + i, '\n', len - i);
		i = nl == NULL ? len : (size_t)(nl - buf) + 1;
	}
	both(buf + i, len - i, &r, path);
	/* Each chosen part decoded both ways, in its own encoding and in the
	   two others as hostile input would have it. */
	decode_all(&r.plain, path);
	decode_all(&r.html, path);
	corpus_files++;
	corpus_bytes += len;
	free(buf);
	return 0;
}

START_TEST(test_corpora_agree)
{
	const char *root = testutil_corpora();

	if (root == NULL)
		return;
	ck_assert_int_eq(nftw(root, corpus_one, 16, FTW_PHYS), 0);
	ck_assert_uint_gt(corpus_files, 1000);
	fprintf(stderr, "mime: %zu corpus files, %zu bytes, same parts as libetpan\n",
		corpus_files, corpus_bytes);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_alternative);
	tcase_add_test(tc, test_no_close_boundary);
	tcase_add_test(tc, test_no_boundary_line);
	tcase_add_test(tc, test_folded_field_ends_headers);
	tcase_add_test(tc, test_folded_field_at_the_end);
	tcase_add_test(tc, test_blank_continuation_line);
	tcase_add_test(tc, test_one_space_continuation_lines);
	tcase_add_test(tc, test_broken_header_line);
	tcase_add_test(tc, test_open_encoded_word);
	tcase_add_test(tc, test_attachment_and_nested);
	tcase_add_test(tc, test_reports);
	tcase_add_test(tc, test_digest);
	tcase_add_test(tc, test_too_many_parts);
	tcase_add_test(tc, test_odd_boundaries);
	tcase_add_test(tc, test_decode_edges);
	tcase_add_test(tc, test_corpora_agree);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
