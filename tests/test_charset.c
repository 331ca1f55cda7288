#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "testutil.h"

static char *
conv(const char *cs, const char *in)
{
	char *out = charset_to_utf8(cs, in, strlen(in), NULL);

	ck_assert_ptr_nonnull(out);
	return out;
}

#define CONV_EQ(cs, in, want) do { \
	char *o_ = conv(cs, in); \
	ck_assert_str_eq(o_, want); \
	free(o_); \
} while (0)

START_TEST(test_gb_family)
{
	/* "中文" in GB2312; the same bytes under every GB label. */
	CONV_EQ("gb2312", "\xd6\xd0\xce\xc4", "中文");
	CONV_EQ("GBK", "\xd6\xd0\xce\xc4", "中文");
	CONV_EQ("x-gbk", "\xd6\xd0\xce\xc4", "中文");
	CONV_EQ("cp936", "\xd6\xd0\xce\xc4", "中文");
	/* "镕" (0xE946) is GBK-only: a strict GB2312 decoder rejects it. */
	CONV_EQ("gb2312", "\xe9\x46", "镕");
	/* The euro sign of GB18030. */
	CONV_EQ("gbk", "\xa2\xe3", "€");
	/* A GB18030 four-byte sequence labelled gb2312 (U+20087). */
	CONV_EQ("gb2312", "\x95\x32\x90\x31", "\xf0\xa0\x82\x87");
}
END_TEST

START_TEST(test_others)
{
	CONV_EQ("big5", "\xa4\xa4\xa4\xe5", "中文");
	/* HKSCS character 0x8840 (U+00CA-ish row) must not be U+FFFD. */
	{
		char *o = conv("big5", "\x88\x40");

		ck_assert_ptr_null(strstr(o, "\xef\xbf\xbd"));
		free(o);
	}
	CONV_EQ("ks_c_5601-1987", "\xc7\xd1\xb1\xb9", "한국");
	CONV_EQ("utf-7", "Fr+APY-sche", "Frösche");
	CONV_EQ("iso-2022-jp", "\x1b$B$3$s$K$A$O\x1b(B", "こんにちは");
	CONV_EQ("windows-1252", "\x93hi\x94", "“hi”");
	CONV_EQ("iso-8859-1", "caf\xe9", "café");
	CONV_EQ("UTF-8", "ok ✓", "ok ✓");
	CONV_EQ("us-ascii", "plain", "plain");
}
END_TEST

START_TEST(test_invalid)
{
	/* A lone lead byte then ASCII: one U+FFFD, the rest kept. */
	CONV_EQ("gbk", "a\xffz", "a\xef\xbf\xbdz");
	CONV_EQ("utf-8", "a\xc3z", "a\xef\xbf\xbdz");
	/* Cut off in the middle of a character at the end. */
	CONV_EQ("gbk", "\xd6\xd0\xce", "中\xef\xbf\xbd");
	CONV_EQ("big5", "\xa4", "\xef\xbf\xbd");
}
END_TEST

START_TEST(test_unknown_guess)
{
	/* Unlabelled, unknown or lying labels: UTF-8, then GB18030, then
	   Latin-1. */
	CONV_EQ(NULL, "中文", "中文");
	CONV_EQ(NULL, "\xd6\xd0\xce\xc4", "中文");
	CONV_EQ("x-no-such-charset", "\xd6\xd0\xce\xc4", "中文");
	CONV_EQ("us-ascii", "\xd6\xd0\xce\xc4", "中文");
	CONV_EQ(NULL, "caf\xe9 ", "café ");
}
END_TEST

START_TEST(test_canonical_is_utf8)
{
	ck_assert_str_eq(charset_canonical("X-GBK"), "GB18030");
	ck_assert_str_eq(charset_canonical("Big5"), "BIG5-HKSCS");
	ck_assert_str_eq(charset_canonical("KS_C_5601-1987"), "CP949");
	ck_assert_str_eq(charset_canonical("koi8-r"), "koi8-r");
	ck_assert(charset_is_utf8("中文", strlen("中文")));
	ck_assert(!charset_is_utf8("\xd6\xd0", 2));
	ck_assert(!charset_is_utf8("\xc0\x80", 2));       /* overlong */
	ck_assert(!charset_is_utf8("\xed\xa0\x80", 3));   /* surrogate */
	ck_assert(!charset_is_utf8("\xe4\xb8", 2));       /* cut off */
}
END_TEST

START_TEST(test_embedded_nul_and_length)
{
	size_t len;
	char *o = charset_to_utf8("gbk", "a\0\xd6\xd0", 4, &len);

	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(o, "a\0中", 5), 0);
	free(o);
}
END_TEST

/* The decoders a thread keeps must not carry anything from one text to
   the next: each conversion gives what it gives in a fresh thread. */
struct conv_job {
	const char *charset;
	const char *in;
	size_t len;
	char *out;
	size_t out_len;
};

static void *
conv_fresh(void *arg)
{
	struct conv_job *j = arg;

	j->out = charset_to_utf8(j->charset, j->in, j->len, &j->out_len);
	return NULL;
}

START_TEST(test_reused_decoders)
{
	/* A UTF-16 word whose BOM sets the byte order and is cut mid-unit,
	   then one without a BOM; GBK text broken halfway, then clean. */
	static const struct {
		const char *charset, *in;
		size_t len;
	} seq[] = {
		{ "utf-16", "\xfe\xff\x00\x20\x00\x76\x01", 7 },
		{ "utf-16", "\x73\x00\x2e\x00\x20\x00", 6 },
		{ "utf-16", "\xff\xfe\x41\x00", 4 },
		{ "utf-16", "\x00\x41", 2 },
		{ "gbk", "\xc4\xe3\xba", 3 },
		{ "gbk", "\xba\xc3", 2 },
		{ "gb2312", "\xc4\xe3\xff\xba\xc3", 5 },
		{ "iso-2022-jp", "\x1b$B$3\x1b(B", 8 },
		{ "iso-2022-jp", "$3", 2 },
	};
	struct conv_job j;
	pthread_t t;
	size_t i, len;
	char *out;

	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		out = charset_to_utf8(seq[i].charset, seq[i].in, seq[i].len, &len);
		ck_assert(out != NULL);
		j.charset = seq[i].charset;
		j.in = seq[i].in;
		j.len = seq[i].len;
		ck_assert_int_eq(pthread_create(&t, NULL, conv_fresh, &j), 0);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert(j.out != NULL);
		ck_assert_msg(len == j.out_len && memcmp(out, j.out, len) == 0,
			      "%s #%zu: '%s' after others, '%s' fresh", seq[i].charset, i,
			      out, j.out);
		free(out);
		free(j.out);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("charset");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_gb_family);
	tcase_add_test(tc, test_others);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_unknown_guess);
	tcase_add_test(tc, test_canonical_is_utf8);
	tcase_add_test(tc, test_embedded_nul_and_length);
	tcase_add_test(tc, test_reused_decoders);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
