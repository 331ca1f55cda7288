/* The shared corpora of real mail: every file parses without a crash,
 * and facts read off some 100 of them by hand hold. */
#include "config.h"

#include <check.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "mail.h"
#include "mail_json.h"
#include "reply.h"
#include "testutil.h"

/* Robustness pass: how many corpus files, and damaged copies of each. */
#define CORPUS_DAMAGE_FILES 60
#define CORPUS_DAMAGE_FLIPS 24
/* Largest file the damage pass copies (the torture tests are MBs). */
#define CORPUS_DAMAGE_SIZE_MAX (256u * 1024)

enum corpus_flag {
	CORPUS_ANY = 0,
	CORPUS_YES,
	CORPUS_NO,
};

/* "" in a string field means "must be NULL"; NULL means "not checked". */
struct corpus_fact {
	const char *path;
	bool rejected;           /* mail_parse() must fail */
	const char *subject;
	const char *subject_has;
	const char *charset;
	const char *auto_name;   /* mail_auto_name() of auto_kind */
	const char *from_addr;
	const char *from_name;
	const char *message_id;
	const char *in_reply_to;
	const char *ref_last;    /* the newest References id */
	const char *body_has;
	const char *reply_is;    /* reply_text, trailing white space ignored */
	const char *reply_ends;  /* last line of reply_text */
	const char *reply_lacks;
	enum corpus_flag quoted;
};

#define FACT(...) { __VA_ARGS__ }
#define BOUNCE(p) FACT(.path = p, .auto_name = "bounce")
#define TALON_HELLO(p) FACT(.path = "reply-talon/standard_replies/" p, \
	.auto_name = "none", .reply_is = "Hello", .quoted = CORPUS_YES)

static const struct corpus_fact corpus_facts[] = {
	/* Chinese charsets */
	FACT(.path = "spamscope-mail-parser/mail_test_12.eml",
	     .subject = "代开各地增值税发票", .charset = "GB2312",
	     .from_addr = "baoguan@hotmail.com", .from_name = "张先生",
	     /* labelled GB2312, written in UTF-8 */
	     .body_has = "我公司可代开各类增值税发票", .auto_name = "none"),
	FACT(.path = "spamscope-mail-parser/mail_test_9.eml",
	     .subject_has = "我把镜头拉近些", .charset = "gb2312",
	     .message_id = "5AF385F77A53C2509D46E44914A76433@ljhw",
	     .from_addr = "zyb@sgis.com.cn"),
	FACT(.path = "webklex-php-imap/gbk_charset.eml", .subject = "Nuu",
	     .charset = "X-GBK", .from_addr = "from@there.com", .message_id = ""),
	FACT(.path = "kopano-inetmapi/big5.eml", .subject = "養樂多線上訂購",
	     .from_name = "養樂多", .charset = "big5", .reply_is = "body"),
	FACT(.path = "kopano-inetmapi/gb2312_18030.eml", .subject = "讀取: ??排??生?a"),
	FACT(.path = "kopano-inetmapi/encoded-word-split.eml", .subject_has = "☺ vų."),
	/* Japanese, Korean, UTF-7, Latin-1, Cyrillic */
	FACT(.path = "mikel-mail/multi_charset/japanese_iso_2022.eml",
	     .subject = "まみむめも", .charset = "iso-2022-jp"),
	FACT(.path = "mikel-mail/multi_charset/japanese.eml", .subject = "まみむめも"),
	FACT(.path = "mikel-mail/multi_charset/japanese_shift_jis.eml",
	     .charset = "Shift_JIS", .body_has = "このメールはテスト用のメールです。",
	     .message_id = "xxxxx@docomo.ne.jp"),
	FACT(.path = "mikel-mail/multi_charset/ks_c_5601-1987.eml",
	     .charset = "ks_c_5601-1987", .reply_is = "스티해"),
	FACT(.path = "webklex-php-imap/ks_c_5601-1987_headers.eml",
	     .subject = "RE: 회원님께 Ersi님이 메시지를 보냈습니다."),
	FACT(.path = "mikel-mail/plain_emails/raw_email.eml",
	     .subject = "NOTE: 한국말로 하는 것", .charset = "EUC-KR"),
	FACT(.path = "stalwart-mail-parser/legacy/001.eml",
	     .subject = "Die Hasen und die Frösche (Microsoft Outlook 00)",
	     .charset = "utf-7", .from_name = "Doug Sauder",
	     .body_has = "Die Hasen klagten einst über ihre mißliche Lage"),
	/* A raw 8-bit Latin-1 subject, read in the message's charset. */
	FACT(.path = "stalwart-mail-parser/legacy/010.eml",
	     .subject = "Die Hasen und die Frösche"),
	FACT(.path = "stalwart-mail-parser/legacy/002.eml",
	     .subject = "Die Hasen und die Frösche", .charset = "iso-8859-1"),
	FACT(.path = "kopano-inetmapi/zcp-13449-na.eml", .subject = "Nøt ASCIIだよ"),
	FACT(.path = "kopano-inetmapi/zcp-13439-nl.eml",
	     .subject = "Ää Öö Üü ß – Umlautetest, UMLAUTETEST 2"),
	FACT(.path = "stalwart-mail-parser/thirdparty/010.eml", .subject = "こんにちは"),
	FACT(.path = "flanker/bilingual-simple.eml",
	     .subject = "Simple text. How are you? Как ты поживаешь?"),
	/* Threading */
	FACT(.path = "webklex-php-imap/thread_my_topic.eml",
	     .message_id = "123@example.com", .in_reply_to = "", .subject = "Nuu"),
	FACT(.path = "webklex-php-imap/thread_re_my_topic.eml",
	     .message_id = "456@example.com", .in_reply_to = "123@example.com",
	     .subject = "Re: Nuu"),
	FACT(.path = "webklex-php-imap/references.eml",
	     .in_reply_to = "b9e87bd5e661a645ed6e3b832828fcc5@example.com",
	     .ref_last = "08F04024-A5B3-4FDE-BF2C-6710DE97D8D9@example.com"),
	FACT(.path = "mikel-mail/error_emails/empty_in_reply_to.eml",
	     .in_reply_to = "", .message_id = "F194F88AF3E341A6B2B135CC17912811@articondell"),
	FACT(.path = "webklex-php-imap/missing_from.eml", .from_addr = "", .subject = "Nuu"),
	/* Not mail at all */
	FACT(.path = "spamscope-mail-parser/mail_outlook_1.msg", .rejected = true),
	FACT(.path = "mikel-mail/sample_output_multipart", .rejected = true),
	/* Robots */
	BOUNCE("flanker/bounce/broken-mime.eml"),
	BOUNCE("flanker/bounce/delayed-broken.eml"),
	BOUNCE("flanker/bounce/delayed.eml"),
	BOUNCE("flanker/bounce/gmail-invalid-address.eml"),
	BOUNCE("flanker/bounce/gmail-no-dns.eml"),
	BOUNCE("flanker/bounce/mailbox-full.eml"),
	BOUNCE("flanker/bounce/no-mx.eml"),
	BOUNCE("flanker/bounce/office365.eml"),
	BOUNCE("flanker/bounce/zed.eml"),
	BOUNCE("flanker/complaints/aol.eml"),
	BOUNCE("mikel-mail/multipart_report_emails/multi_address_bounce1.eml"),
	BOUNCE("mikel-mail/multipart_report_emails/multi_address_bounce2.eml"),
	BOUNCE("mikel-mail/multipart_report_emails/multipart_report_multiple_status.eml"),
	BOUNCE("mikel-mail/multipart_report_emails/report_422.eml"),
	BOUNCE("mikel-mail/multipart_report_emails/report_530.eml"),
	BOUNCE("webklex-php-imap/example_bounce.eml"),
	BOUNCE("spamscope-mail-parser/mail_malformed_2.eml"),
	/* Read receipts are robots answering, not people. */
	FACT(.path = "flanker/disposition-notification.eml", .auto_name = "auto_reply"),
	FACT(.path = "kopano-inetmapi/zcp-11713.eml", .auto_name = "auto_reply"),
	FACT(.path = "stalwart-mail-parser/thirdparty/014.eml",
	     .auto_name = "bulk", .subject = "[Shapelib] need some help"),
	FACT(.path = "lkml-erofs/window-1000/11000_5de54b0dc2cb.eml",
	     .auto_name = "bulk", .in_reply_to = "YfNvloN0RAX0mHRn@B-P7TQMD6M-0146",
	     .from_addr = "igoreisberg@gmail.com"),
	/* "X-Autogenerated: Mirror" is no reply. */
	FACT(.path = "webklex-php-imap/undefined_charset_header.eml",
	     .auto_name = "none"),
	/* Replies from many clients, plain and HTML */
	TALON_HELLO("android.eml"),
	TALON_HELLO("aol.eml"),
	TALON_HELLO("apple_mail.eml"),
	TALON_HELLO("apple_mail_2.eml"),
	TALON_HELLO("comcast.eml"),
	TALON_HELLO("gmail.eml"),
	TALON_HELLO("hotmail.eml"),
	TALON_HELLO("iphone.eml"),
	TALON_HELLO("outlook.eml"),
	TALON_HELLO("sparrow.eml"),
	TALON_HELLO("thunderbird.eml"),
	TALON_HELLO("yahoo.eml"),
	/* Chinese quote headers on a mailing list */
	FACT(.path = "lkml-erofs/zh-features/02180_5dd61173a07d.eml",
	     .reply_ends = "Gao Xiang", .reply_lacks = "写道", .quoted = CORPUS_YES,
	     .auto_name = "bulk"),
	FACT(.path = "lkml-erofs/zh-features/03525_87d8b035b34e.eml",
	     .reply_ends = "Zizhi Wo", .reply_lacks = "写道", .quoted = CORPUS_YES),
	FACT(.path = "lkml-erofs/zh-features/04676_2444c7cd7608.eml",
	     .reply_ends = "Zizhi Wo", .reply_lacks = "写道", .quoted = CORPUS_YES),
	FACT(.path = "lkml-erofs/zh-features/04682_2628da5a4d3e.eml",
	     .reply_ends = "Zizhi Wo", .reply_lacks = "写道", .quoted = CORPUS_YES),
	FACT(.path = "lkml-erofs/zh-features/03265_95c065087caf.eml",
	     .reply_lacks = "写道", .quoted = CORPUS_YES,
	     .body_has = "在 2025/7/16 10:46, Gao Xiang 写道:"),
	FACT(.path = "lkml-erofs/zh-features/12758_1df4a54ea99b.eml",
	     .reply_ends = "Gao Xiang", .reply_lacks = "发件人", .quoted = CORPUS_YES,
	     .body_has = "发送时间: 2021年1月1日 17:16"),
	FACT(.path = "lkml-erofs/zh-features/00490_887c44537b24.eml",
	     .reply_lacks = "于2026年5月11日周一 12:01写道", .quoted = CORPUS_YES,
	     .from_addr = "hsiangkao@linux.alibaba.com"),
};

/* Bare reply bodies fed to reply_extract() directly. */
struct corpus_reply {
	const char *path;
	const char *ends;   /* last non-blank line of the reply */
	const char *lacks;  /* text of the history that must be gone */
	bool quoted;
};

static const struct corpus_reply corpus_replies[] = {
	{ "reply-crisp/email_2.txt", NULL, "What is the best way to clear", true },
	{ "reply-crisp/email_german_outlook.txt",
	  "et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh.",
	  "Ursprüngliche Nachricht", true },
	{ "reply-crisp/email_gmail_split_line_from.txt", NULL, "The Hiring Engine", true },
	{ "reply-crisp/email_outlook_split_line_from.txt", NULL, "Human Resources", true },
	{ "reply-crisp/email_original_message.txt", NULL, "original message", true },
	{ "reply-crisp/email_russian.txt", NULL, "привет", true },
	{ "reply-crisp/email_thread.txt", "This is new email reply in thread from bellow.", "Ok. Thanks.", true },
	{ "reply-crisp/email_tricky_18_inline_reply.txt",
	  "Option C is not suitable for our use case.", "What about option B?", true },
	{ "reply-crisp/email_tricky_1_on_false_positive.txt",
	  "On a separate note, I wanted to mention that performance is great.", NULL, false },
	{ "reply-crisp/email_tricky_2_url_with_wrote.txt", "John", NULL, false },
	{ "reply-crisp/email_tricky_4_from_in_body.txt", "This is the actual message content.", NULL, false },
	{ "reply-crisp/email_tricky_8_sent_from_in_content.txt",
	  "All messages are sent from the main server.", NULL, false },
	{ "reply-crisp/email_not_a_signature.txt", "Super Domain Name Manager", NULL, false },
	{ "reply-crisp/email_sent_from_my_not_signature.txt",
	  "Sent from my desk, is much easier then my mobile phone.", NULL, false },
	{ "reply-crisp/email_iphone.txt", "Here is another email", "Sent from my iPhone", true },
	{ "reply-crisp/email_blackberry.txt", "Here is another email", NULL, true },
	{ "reply-crisp/email_finnish.txt", NULL, "kirjoitti", true },
	{ "reply-crisp/email_norwegian_gmail.txt", NULL, "skrev Test user", true },
	{ "reply-crisp/email_ios_outlook.txt", NULL, "Get Outlook for iOS", true },
	{ "reply-crisp/email_danish_dash_separator.txt", NULL, "Oprindelig besked", true },
	{ "reply-crisp/email_custom_quote_header.txt", "Thank you!", "írta", true },
	{ "reply-crisp/correct_sig.txt", "this is an email with a correct -- signature.", NULL, true },
	{ "reply-mail-parser-reply/email_1_3.txt", "-Abhishek Kona", "Russell Brown", true },
	{ "reply-mail-parser-reply/email_1_4.txt", "Awesome! I haven't had another problem with it.", "Loader", true },
	{ "reply-mail-parser-reply/email_1_8.txt", "and under this.", "okay?", true },
	{ "reply-mail-parser-reply/email_2_2.txt", "Outlook with a reply directly above line", "CRM Comments", true },
	{ "reply-mail-parser-reply/email_2_3.txt",
	  "Outlook with a reply above headers using unusual format", "Kim via Site", true },
	{ "reply-mail-parser-reply/email_danish_2.txt", "Søren", "Her er filerne", true },
	{ "reply-mail-parser-reply/email_danish_4.txt", "Svar.", "Oprindelig", true },
	{ "reply-mail-parser-reply/email_ja_1_2.txt", "以上、よろしくお願いいたします", "かしこまりました", true },
	{ "reply-mail-parser-reply/email_pl_1_2.txt", "Jan", "Wszystko w porządku", true },
	{ "reply-mail-parser-reply/email_headers_no_delimiter.txt", "And another reply!", "A reply", true },
	{ "reply-mail-parser-reply/email_sig_delimiter_in_middle_of_line.txt", "kthxbai", NULL, false },
	{ "reply-mail-parser-reply/email_swedish_1.txt", "Person B", "Ursäkta mitt sena svar! Kan", true },
	{ "reply-talon/standard_replies/iphone_reply_text", "Hello", NULL, true },
};

/* HTML reply fragments: the text before the history. */
struct corpus_html {
	const char *path;
	const char *ends;
	const char *lacks;
};

static const struct corpus_html corpus_htmls[] = {
	{ "reply-talon/html_replies/gmail.html", "Alex", "How are you?" },
	{ "reply-talon/html_replies/hotmail.html", "Alex", "How are you?" },
	{ "reply-talon/html_replies/mail_ru.html", "Alex", "How are you?" },
	{ "reply-talon/html_replies/ms_outlook_2003.html", "Alex", "How are you?" },
	{ "reply-talon/html_replies/ms_outlook_2007.html", "Alex", "How are you?" },
	{ "reply-talon/html_replies/ms_outlook_2010.html", "Alex", "How are you?" },
	{ "reply-talon/html_replies/thunderbird.html", "Alex", "How are you?" },
	{ "reply-talon/html_replies/windows_mail.html", "Alex", "How are you?" },
	{ "reply-talon/html_replies/yandex_ru.html", "Alex", "How are you?" },
	{ "reply-talon/OLK_SRC_BODY_SECTION.html", "Reply", "Subject: Test" },
	{ "reply-talon/reply-separated-by-hr.html", "Bob", "Hello\n" },
};

static char *
corpus_read(const char *rel, size_t *len_r)
{
	const char *root = testutil_corpora();
	char path[4096];
	char *buf;

	ck_assert_ptr_nonnull(root);
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", root, rel), (int)sizeof(path));
	buf = testutil_read_file(path, len_r);
	ck_assert_msg(buf != NULL, "cannot read %s", path);
	return buf;
}

/* The last non-blank line of S, trailing white space dropped, in BUF. */
static const char *
corpus_last_line(const char *s, char *buf, size_t size)
{
	size_t end = strlen(s), start;

	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == ' ' ||
			   s[end - 1] == '\t' || s[end - 1] == '\r'))
		end--;
	start = end;
	while (start > 0 && s[start - 1] != '\n')
		start--;
	if (end - start >= size)
		start = end - (size - 1);
	memcpy(buf, s + start, end - start);
	buf[end - start] = '\0';
	return buf;
}

static void
corpus_check_str(const char *path, const char *what, const char *got, const char *want)
{
	if (want == NULL)
		return;
	if (*want == '\0') {
		ck_assert_msg(got == NULL, "%s: %s should be absent, is \"%s\"", path, what, got);
		return;
	}
	ck_assert_msg(got != NULL, "%s: %s missing", path, what);
	ck_assert_msg(strcmp(got, want) == 0, "%s: %s is \"%s\", want \"%s\"", path, what, got, want);
}

START_TEST(test_facts)
{
	const struct corpus_fact *f = &corpus_facts[_i];
	struct mail_msg msg;
	const char *error = NULL;
	char line[512];
	size_t len;
	char *buf, *json;
	int r;

	if (testutil_corpora() == NULL)
		return;
	buf = corpus_read(f->path, &len);
	r = mail_parse(buf, len, NULL, &msg, &error);
	if (f->rejected) {
		ck_assert_msg(r == -1 && error != NULL, "%s: should be rejected", f->path);
		free(buf);
		return;
	}
	ck_assert_msg(r == 0, "%s: %s", f->path, error);
	corpus_check_str(f->path, "subject", msg.subject, f->subject);
	if (f->subject_has != NULL)
		ck_assert_msg(msg.subject != NULL && strstr(msg.subject, f->subject_has) != NULL,
			      "%s: subject \"%s\" lacks \"%s\"", f->path, msg.subject, f->subject_has);
	corpus_check_str(f->path, "charset", msg.charset, f->charset);
	corpus_check_str(f->path, "from_addr", msg.from_addr, f->from_addr);
	corpus_check_str(f->path, "from_name", msg.from_name, f->from_name);
	corpus_check_str(f->path, "message_id", msg.message_id, f->message_id);
	corpus_check_str(f->path, "in_reply_to", msg.in_reply_to, f->in_reply_to);
	corpus_check_str(f->path, "auto", mail_auto_name(msg.auto_kind), f->auto_name);
	if (f->ref_last != NULL)
		corpus_check_str(f->path, "references", msg.reference_count == 0 ? NULL :
				 msg.references[msg.reference_count - 1], f->ref_last);
	if (f->body_has != NULL)
		ck_assert_msg(msg.body != NULL && strstr(msg.body, f->body_has) != NULL,
			      "%s: body lacks \"%s\"", f->path, f->body_has);
	if (f->reply_is != NULL) {
		ck_assert_msg(msg.reply_text != NULL, "%s: no reply_text", f->path);
		len = strlen(msg.reply_text);
		while (len > 0 && (msg.reply_text[len - 1] == ' ' || msg.reply_text[len - 1] == '\n'))
			len--;
		ck_assert_msg(len == strlen(f->reply_is) &&
			      memcmp(msg.reply_text, f->reply_is, len) == 0,
			      "%s: reply_text \"%s\", want \"%s\"", f->path, msg.reply_text, f->reply_is);
	}
	if (f->reply_ends != NULL) {
		ck_assert_msg(msg.reply_text != NULL, "%s: no reply_text", f->path);
		ck_assert_str_eq(corpus_last_line(msg.reply_text, line, sizeof(line)), f->reply_ends);
	}
	if (f->reply_lacks != NULL)
		ck_assert_msg(msg.reply_text != NULL && strstr(msg.reply_text, f->reply_lacks) == NULL,
			      "%s: reply_text still has \"%s\"", f->path, f->reply_lacks);
	if (f->quoted != CORPUS_ANY)
		ck_assert_int_eq(msg.quoted, f->quoted == CORPUS_YES);
	json = mail_msg_to_json(&msg);
	ck_assert_ptr_nonnull(json);
	free(json);
	mail_msg_clear(&msg);
	free(buf);
}
END_TEST

START_TEST(test_reply_fixtures)
{
	const struct corpus_reply *f = &corpus_replies[_i];
	char line[512];
	size_t len;
	bool quoted;
	char *buf, *r;

	if (testutil_corpora() == NULL)
		return;
	buf = corpus_read(f->path, &len);
	r = reply_extract(buf, len, &quoted);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(*r != '\0', "%s: empty reply", f->path);
	if (f->ends != NULL)
		ck_assert_str_eq(corpus_last_line(r, line, sizeof(line)), f->ends);
	if (f->lacks != NULL)
		ck_assert_msg(strstr(r, f->lacks) == NULL, "%s: still has \"%s\":\n%s",
			      f->path, f->lacks, r);
	ck_assert_msg(quoted == f->quoted, "%s: quoted %d", f->path, quoted);
	free(r);
	free(buf);
}
END_TEST

START_TEST(test_html_fixtures)
{
	const struct corpus_html *f = &corpus_htmls[_i];
	char line[512];
	size_t len;
	bool hq, rq;
	char *buf, *text, *r;

	if (testutil_corpora() == NULL)
		return;
	buf = corpus_read(f->path, &len);
	text = html_to_text(buf, len, 0, &hq);
	ck_assert_ptr_nonnull(text);
	r = reply_extract(text, strlen(text), &rq);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(corpus_last_line(r, line, sizeof(line)), f->ends);
	ck_assert_msg(strstr(r, f->lacks) == NULL, "%s: still has \"%s\"", f->path, f->lacks);
	ck_assert(hq || rq);
	free(r);
	free(text);
	free(buf);
}
END_TEST

/* Every file of the corpora, collected by nftw(). */
static char **corpus_files;
static size_t corpus_file_count, corpus_file_cap;

static int
corpus_collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	size_t n = strlen(base);

	if (type != FTW_F || strcmp(base, "COPYING") == 0 ||
	    (n > 3 && strcmp(base + n - 3, ".md") == 0))
		return 0;
	if (corpus_file_count == corpus_file_cap) {
		corpus_file_cap = corpus_file_cap == 0 ? 256 : corpus_file_cap * 2;
		corpus_files = realloc(corpus_files, corpus_file_cap * sizeof(*corpus_files));
		ck_assert_ptr_nonnull(corpus_files);
	}
	corpus_files[corpus_file_count] = strdup(path);
	ck_assert_ptr_nonnull(corpus_files[corpus_file_count]);
	corpus_file_count++;
	return 0;
}

static int
corpus_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
corpus_list(void)
{
	const char *root = testutil_corpora();

	if (root == NULL || corpus_files != NULL)
		return;
	ck_assert_int_eq(nftw(root, corpus_collect, 16, FTW_PHYS), 0);
	/* A fixed order keeps the damage pass deterministic. */
	qsort(corpus_files, corpus_file_count, sizeof(*corpus_files), corpus_cmp);
}

static void
corpus_parse_one(const char *buf, size_t len, size_t *parsed, size_t *rejected)
{
	static const char *const extra[] = { "X-Mailer", "X-Assigned-To" };
	struct mail_parse_opts opts = { extra, 2 };
	struct mail_msg msg;
	const char *error;
	char *json;

	if (mail_parse(buf, len, &opts, &msg, &error) < 0) {
		ck_assert_ptr_nonnull(error);
		(*rejected)++;
		return;
	}
	json = mail_msg_to_json(&msg);
	ck_assert_ptr_nonnull(json);
	free(json);
	mail_msg_clear(&msg);
	(*parsed)++;
}

START_TEST(test_every_file)
{
	size_t i, len, parsed = 0, rejected = 0, bytes = 0;
	char *buf, *text;
	bool q;

	if (testutil_corpora() == NULL)
		return;
	corpus_list();
	ck_assert_uint_gt(corpus_file_count, 0);
	for (i = 0; i < corpus_file_count; i++) {
		buf = testutil_read_file(corpus_files[i], &len);
		ck_assert_msg(buf != NULL, "cannot read %s", corpus_files[i]);
		bytes += len;
		corpus_parse_one(buf, len, &parsed, &rejected);
		/* The bare fixtures go through the text paths too. */
		text = reply_extract(buf, len, &q);
		ck_assert_ptr_nonnull(text);
		free(text);
		if (len > 5 && strcmp(corpus_files[i] + strlen(corpus_files[i]) - 5, ".html") == 0) {
			text = html_to_text(buf, len, 0, &q);
			ck_assert_ptr_nonnull(text);
			free(text);
		}
		free(buf);
	}
	fprintf(stderr, "corpus: %zu files, %zu bytes: %zu parsed, %zu rejected as not mail\n",
		corpus_file_count, bytes, parsed, rejected);
	/* Only the bare reply fixtures and the .msg file are not mail. */
	ck_assert_uint_ge(parsed, corpus_file_count * 9 / 10);
}
END_TEST

/* A small deterministic generator (LCG) for the damage pass. */
static uint32_t
corpus_rand(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

START_TEST(test_damaged)
{
	size_t step, i, k, len, cut, parsed = 0, rejected = 0, done = 0;
	uint32_t seed = 20261122;
	char *buf, *copy;

	if (testutil_corpora() == NULL)
		return;
	corpus_list();
	step = corpus_file_count / CORPUS_DAMAGE_FILES + 1;
	for (i = 0; i < corpus_file_count && done < CORPUS_DAMAGE_FILES; i += step) {
		buf = testutil_read_file(corpus_files[i], &len);
		ck_assert_ptr_nonnull(buf);
		if (len == 0 || len > CORPUS_DAMAGE_SIZE_MAX) {
			free(buf);
			continue;
		}
		done++;
		copy = malloc(len);
		ck_assert_ptr_nonnull(copy);
		/* Cut short at a few places, including mid-header. */
		for (k = 1; k <= 4; k++) {
			cut = len * k / 5;
			memcpy(copy, buf, cut);
			corpus_parse_one(copy, cut, &parsed, &rejected);
		}
		/* Flip bits, more of them each round. */
		memcpy(copy, buf, len);
		for (k = 0; k < CORPUS_DAMAGE_FLIPS; k++) {
			size_t pos = corpus_rand(&seed) % len;

			copy[pos] ^= (char)(1u << (corpus_rand(&seed) % 8));
			corpus_parse_one(copy, len, &parsed, &rejected);
		}
		free(copy);
		free(buf);
	}
	ck_assert_uint_gt(done, 0);
	fprintf(stderr, "damaged: %zu files, %zu parses, %zu rejected\n", done, parsed, rejected);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("corpus");
	TCase *tc = tcase_create("corpus");
	size_t i;
	int rc;

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_facts, 0, sizeof(corpus_facts) / sizeof(corpus_facts[0]));
	tcase_add_loop_test(tc, test_reply_fixtures, 0,
			    sizeof(corpus_replies) / sizeof(corpus_replies[0]));
	tcase_add_loop_test(tc, test_html_fixtures, 0,
			    sizeof(corpus_htmls) / sizeof(corpus_htmls[0]));
	tcase_add_test(tc, test_every_file);
	tcase_add_test(tc, test_damaged);
	suite_add_tcase(s, tc);
	rc = testutil_run(s);
	for (i = 0; i < corpus_file_count; i++)
		free(corpus_files[i]);
	free(corpus_files);
	return rc;
}
