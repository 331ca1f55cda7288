/* test_mailmsg - the messages slaclock sends, read back by an independent
 * decoder (Python's email package) and checked line by line. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailer.h"
#include "mailmsg.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"

/* Prints the facts of the message in argv[1] as JSON. */
static const char decode_py[] =
	"import sys, json, email, email.policy\n"
	"m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)\n"
	"out = {'subject': str(m['subject']), 'id': str(m['x-slaclock-id']),\n"
	"       'msgid': str(m['message-id']), 'auto': str(m['auto-submitted']),\n"
	"       'prec': str(m['precedence']), 'date': str(m['date']),\n"
	"       'from': str(m['from']), 'to': str(m['to']),\n"
	"       'types': [p.get_content_type() for p in m.walk()], 'defects': len(m.defects)}\n"
	"for p in m.walk():\n"
	"    out['defects'] += len(p.defects)\n"
	"    if p.get_content_disposition() == 'attachment':\n"
	"        out['att'] = p.get_content().decode('utf-8') if isinstance(p.get_content(), bytes) else p.get_content()\n"
	"        out['att_name'] = p.get_filename()\n"
	"    elif p.get_content_type() == 'text/plain':\n"
	"        out['text'] = p.get_content().replace('\\r\\n', '\\n'); out['text_cte'] = p['content-transfer-encoding']\n"
	"    elif p.get_content_type() == 'text/html':\n"
	"        out['html'] = p.get_content().replace('\\r\\n', '\\n')\n"
	"print(json.dumps(out))\n";

static const char zh_subject[] =
	"【SLA 违约提醒】售后一组：3 张工单超过首次响应时限（30 分钟），"
	"请尽快处理 — 2026年11月 月度汇总 slaclock";
static const char zh_text[] =
	"王组长您好，\n\n以下工单已超过首次响应时限：\n"
	"  #1024  S14.1  截止 2026-11-03 10:30:00  超时 12 分钟\n"
	"  #1025  S14.2p 截止 2026-11-04 09:00:00  超时 3 小时\n\n"
	"这是一封自动生成的邮件，请勿回复。\n";

static char *
build(const struct mailmsg *m, size_t *len_r)
{
	const char *error = NULL;
	char *out = NULL;

	if (mailmsg_build(m, &out, len_r, &error) < 0)
		ck_abort_msg("mailmsg_build: %s", error);
	ck_assert_uint_eq(strlen(out), *len_r);
	return out;
}

/* Every line ends in CRLF, no bare CR or LF, header lines <= 78 and all
   lines <= 998 octets. */
static void
assert_lines(const char *buf, size_t len)
{
	size_t i, start = 0;
	bool in_header = true;

	ck_assert_msg(len >= 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n',
		      "message does not end in CRLF");
	for (i = 0; i < len; i++) {
		if (buf[i] == '\r') {
			ck_assert_msg(i + 1 < len && buf[i + 1] == '\n', "bare CR at %zu", i);
			continue;
		}
		if (buf[i] != '\n')
			continue;
		ck_assert_msg(i > 0 && buf[i - 1] == '\r', "bare LF at %zu", i);
		if (in_header && i - 1 == start)
			in_header = false;
		if (in_header)
			ck_assert_msg(i - 1 - start <= MAILMSG_FOLD,
				      "header line of %zu octets: %.*s", i - 1 - start,
				      (int)(i - 1 - start), buf + start);
		ck_assert_msg(i - 1 - start <= MAILMSG_LINE_MAX, "line of %zu octets",
			      i - 1 - start);
		start = i + 1;
	}
}

/* The message decoded by Python, or NULL when python3 is not there. */
static json_t *
decode(const char *buf, size_t len)
{
	char *dir = testutil_tmpdir(), path[4096], script[4096], cmd[9000];
	char *out = NULL;
	size_t out_len = 0;
	json_error_t jerr;
	json_t *j;
	FILE *p;

	if (access(PYTHON, X_OK) != 0) {
		fprintf(stderr, "%s missing: round trip through Python skipped\n", PYTHON);
		testutil_rmtree(dir);
		free(dir);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/msg.eml", dir);
	snprintf(script, sizeof(script), "%s/decode.py", dir);
	ck_assert_int_eq(testutil_write_file(path, buf, len), 0);
	ck_assert_int_eq(testutil_write_file(script, decode_py, strlen(decode_py)), 0);
	snprintf(cmd, sizeof(cmd), "%s %s %s", PYTHON, script, path);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	{
		FILE *mem = open_memstream(&out, &out_len);
		char chunk[4096];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
			fwrite(chunk, 1, n, mem);
		fclose(mem);
	}
	ck_assert_int_eq(pclose(p), 0);
	j = json_loads(out, 0, &jerr);
	ck_assert_msg(j != NULL, "decoder output: %s", out);
	free(out);
	testutil_rmtree(dir);
	free(dir);
	return j;
}

static const char *
jstr(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	ck_assert_msg(json_is_string(v), "no %s in the decoded message", key);
	return json_string_value(v);
}

START_TEST(test_zh_subject_roundtrip)
{
	const char *to[] = { "lead@example.com" };
	struct mailmsg m = {
		.from = "slaclock@example.com", .from_name = "slaclock 服务质量",
		.to = to, .to_count = 1, .subject = zh_subject,
		.key = "alert:lead@example.com:1795000000", .date = 1795000000,
		.text = zh_text,
	};
	char id[MAILMSG_ID_MAX], expect_id[MAILMSG_ID_MAX + 2];
	size_t len;
	char *buf = build(&m, &len);
	json_t *j;

	assert_lines(buf, len);
	/* The subject really was encoded, in more than one word. */
	ck_assert_ptr_nonnull(strstr(buf, "Subject: =?UTF-8?B?"));
	ck_assert_ptr_nonnull(strstr(buf, "?=\r\n =?UTF-8?B?"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\nAuto-Submitted: auto-generated\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\nPrecedence: bulk\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\nX-Slaclock-Id: alert:lead@example.com:1795000000\r\n"));
	mailmsg_message_id(m.key, m.from, id);
	snprintf(expect_id, sizeof(expect_id), "<%s>", id);
	ck_assert_ptr_nonnull(strstr(buf, expect_id));

	if ((j = decode(buf, len)) != NULL) {
		ck_assert_str_eq(jstr(j, "subject"), zh_subject);
		ck_assert_str_eq(jstr(j, "id"), m.key);
		ck_assert_str_eq(jstr(j, "msgid"), expect_id);
		ck_assert_str_eq(jstr(j, "auto"), "auto-generated");
		ck_assert_str_eq(jstr(j, "prec"), "bulk");
		ck_assert_str_eq(jstr(j, "from"), "slaclock 服务质量 <slaclock@example.com>");
		ck_assert_str_eq(jstr(j, "date"), "Wed, 18 Nov 2026 11:06:40 +0000");
		ck_assert_str_eq(jstr(j, "text"), zh_text);
		/* Mostly Chinese: base64 is the shorter encoding. */
		ck_assert_str_eq(jstr(j, "text_cte"), "base64");
		ck_assert_int_eq(json_integer_value(json_object_get(j, "defects")), 0);
		json_decref(j);
	}
	free(buf);
}
END_TEST

START_TEST(test_mixed_structure)
{
	const char *to[] = { "a@example.com", "hr-one@example.com", "hr-two@example.com",
		"hr-three@example.com", "hr-four@example.com" };
	static const char csv[] = "agent,team,tickets\r\nli.wei@example.com,售后一组,12\r\n";
	struct mailmsg_attachment att = {
		.filename = "slaclock-2026-11-售后一组.csv",
		.content_type = "text/csv; charset=utf-8", .data = csv, .len = sizeof(csv) - 1,
	};
	struct mailmsg m = {
		.from = "slaclock@example.com", .to = to, .to_count = 5,
		.subject = "slaclock digest 2026-11", .key = "digest:2026-11:team:aftersales-1",
		.date = 1795000000, .text = "Monthly digest.\nSee the table.\n",
		.html = "<html><body><p style=\"color:#333\">月度汇总 = table</p></body></html>\n",
		.attachment = &att,
	};
	size_t len;
	char *buf = build(&m, &len);
	json_t *j, *types;

	assert_lines(buf, len);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nSubject: slaclock digest 2026-11\r\n"));
	if ((j = decode(buf, len)) != NULL) {
		types = json_object_get(j, "types");
		ck_assert_uint_eq(json_array_size(types), 5);
		ck_assert_str_eq(json_string_value(json_array_get(types, 0)), "multipart/mixed");
		ck_assert_str_eq(json_string_value(json_array_get(types, 1)), "multipart/alternative");
		ck_assert_str_eq(json_string_value(json_array_get(types, 2)), "text/plain");
		ck_assert_str_eq(json_string_value(json_array_get(types, 3)), "text/html");
		ck_assert_str_eq(json_string_value(json_array_get(types, 4)), "text/csv");
		ck_assert_str_eq(jstr(j, "text"), m.text);
		ck_assert_str_eq(jstr(j, "text_cte"), "quoted-printable");
		ck_assert_str_eq(jstr(j, "html"), m.html);
		ck_assert_str_eq(jstr(j, "att"), csv);
		ck_assert_str_eq(jstr(j, "att_name"), att.filename);
		ck_assert_str_eq(jstr(j, "to"), "a@example.com, hr-one@example.com, "
				 "hr-two@example.com, hr-three@example.com, hr-four@example.com");
		ck_assert_int_eq(json_integer_value(json_object_get(j, "defects")), 0);
		json_decref(j);
	}
	free(buf);
}
END_TEST

/* Long lines, '=' signs, trailing blanks and an ASCII subject word too long
   for one header line all survive the encodings within the line limits. */
START_TEST(test_long_lines)
{
	const char *to[] = { "lead@example.com" };
	char text[3000], subject[200];
	struct mailmsg m = {
		.from = "slaclock@example.com", .to = to, .to_count = 1,
		.key = "alert:lead@example.com:1", .date = 0,
	};
	size_t len, i;
	char *buf;
	json_t *j;

	for (i = 0; i < 2000; i++)
		text[i] = (char)('a' + i % 26);
	memcpy(text + 100, "a=b", 3);
	memcpy(text + 2000, "  \nend \t\n", 10);
	for (i = 0; i < 120; i++)
		subject[i] = (char)('A' + i % 26);
	subject[120] = '\0';
	m.text = text;
	m.subject = subject;
	buf = build(&m, &len);
	assert_lines(buf, len);
	if ((j = decode(buf, len)) != NULL) {
		ck_assert_str_eq(jstr(j, "subject"), subject);
		/* Too long for a Check message: compare, then say where. */
		ck_assert_msg(strcmp(jstr(j, "text"), text) == 0, "long text differs");
		json_decref(j);
	}
	free(buf);
}
END_TEST

START_TEST(test_message_id_stable)
{
	char a[MAILMSG_ID_MAX], b[MAILMSG_ID_MAX], c[MAILMSG_ID_MAX];

	mailmsg_message_id("digest:2026-11:team:x", "s@example.com", a);
	mailmsg_message_id("digest:2026-11:team:x", "s@example.com", b);
	mailmsg_message_id("digest:2026-11:team:y", "s@example.com", c);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_ptr_nonnull(strstr(a, "@example.com"));
	ck_assert_uint_eq(strlen(a), strlen("slaclock.") + 32 + strlen("@example.com"));
}
END_TEST

START_TEST(test_refuses)
{
	const char *to[] = { "lead@example.com" }, *bad_to[] = { "Lead <x@y>" };
	struct mailmsg m = {
		.from = "slaclock@example.com", .to = to, .to_count = 1,
		.subject = "s", .key = "k", .text = "t",
	};
	const char *error = NULL;
	char *out = NULL, *big;
	size_t len;

	m.from = "no-at-sign";
	ck_assert_int_eq(mailmsg_build(&m, &out, &len, &error), -1);
	ck_assert_ptr_nonnull(error);
	m.from = "slaclock@example.com";
	m.to = bad_to;
	ck_assert_int_eq(mailmsg_build(&m, &out, &len, &error), -1);
	m.to = to;
	m.key = NULL;
	ck_assert_int_eq(mailmsg_build(&m, &out, &len, &error), -1);
	m.key = "k";
	big = malloc(MAILMSG_SUBJECT_MAX + 2);
	memset(big, 'x', MAILMSG_SUBJECT_MAX + 1);
	big[MAILMSG_SUBJECT_MAX + 1] = '\0';
	m.subject = big;
	ck_assert_int_eq(mailmsg_build(&m, &out, &len, &error), -1);
	ck_assert_ptr_null(out);
	free(big);
}
END_TEST

START_TEST(test_conf_keys)
{
	struct mailer_conf c;
	const char *error = NULL;

	ck_assert_int_eq(mailer_conf_init(&c), 0);
	ck_assert_int_eq(c.alert_interval, 300);
	ck_assert_int_eq(c.digest_day, 1);
	ck_assert_int_eq(c.digest_time, 9 * 3600);
	ck_assert(c.tls_verify);
	ck_assert(c.starttls);
	ck_assert(!c.privacy_show_customers);
	ck_assert_uint_eq(c.escalation_count, 1);
	ck_assert_str_eq(c.escalations[0].to, "lead");

	ck_assert_int_eq(mailer_conf_key(&c, "url", "smtps://mail.example.com:465", &error), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "url", "http://x", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "hr", "HR@Example.com, boss@example.com", &error), 0);
	ck_assert_uint_eq(c.hr_count, 2);
	ck_assert_str_eq(c.hr[0], "hr@example.com");
	ck_assert_int_eq(mailer_conf_key(&c, "hr", "not an address", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "alert_interval", "10m", &error), 0);
	ck_assert_int_eq(c.alert_interval, 600);
	ck_assert_int_eq(mailer_conf_key(&c, "escalate2", "24h head@example.com", &error), 0);
	ck_assert_uint_eq(c.escalation_count, 2);
	ck_assert_int_eq(c.escalations[1].after, 86400);
	ck_assert_int_eq(mailer_conf_key(&c, "escalate5", "24h head@example.com", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "escalate3", "soon head@example.com", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "digest_day", "29", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "digest_time", "08:30", &error), 0);
	ck_assert_int_eq(c.digest_time, 8 * 3600 + 30 * 60);
	ck_assert_int_eq(mailer_conf_key(&c, "digest_time", "25:00", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "language", "zh", &error), 0);
	ck_assert_int_eq(c.language, MAILER_LANG_ZH);
	ck_assert_int_eq(mailer_conf_key(&c, "language", "fr", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "recipient_language", "A@x.cn en, b@x.cn zh_CN", &error), 0);
	ck_assert_int_eq(mailer_language_for(&c, "a@X.cn"), MAILER_LANG_EN);
	ck_assert_int_eq(mailer_language_for(&c, "b@x.cn"), MAILER_LANG_ZH);
	ck_assert_int_eq(mailer_language_for(&c, "c@x.cn"), c.language);
	ck_assert_int_eq(mailer_conf_key(&c, "recipient_language", "a@x.cn fr", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "pinned_pubkey",
					 "sha256//oUt222oV51/9PLGsmnrrjvf69rWNqya4xxFA9fzM3KE=", &error), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "pinned_pubkey",
					 "sha256//oUt222oV51/9PLGsmnrrjvf69rWNqya4xxFA9fzM3KE=;"
					 "sha256//AAAA22oV51/9PLGsmnrrjvf69rWNqya4xxFA9fzM3KE=", &error), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "pinned_pubkey", "2C:3E:BF:2A", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "pinned_pubkey", "sha256//short=", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "pinned_pubkey",
					 "sha256//oUt222oV51/9PLGsmnrrjvf69rWNqya4xxFA9fzM3KE=;", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "recipient_language", "a@x.cn", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "recipient_language", "a@x.cn en zh", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "ticket_url", "https://rt/x?id=%s", &error), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "ticket_url", "https://rt/%d?id=%s", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "privacy_show_customers", "maybe", &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "nonsense", "1", &error), -1);
	ck_assert_str_eq(error, "unknown key in [smtp]");
	/* No from yet. */
	ck_assert_int_eq(mailer_conf_check(&c, &error), -1);
	ck_assert_int_eq(mailer_conf_key(&c, "from", "slaclock@example.com", &error), 0);
	ck_assert_int_eq(mailer_conf_check(&c, &error), 0);
	/* A key pin over plain text pins nothing. */
	ck_assert_int_eq(mailer_conf_key(&c, "url", "smtp://mail.example.com:25", &error), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "starttls", "no", &error), 0);
	ck_assert_int_eq(mailer_conf_check(&c, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "pinned_pubkey needs TLS"));
	ck_assert_int_eq(mailer_conf_key(&c, "starttls", "yes", &error), 0);
	ck_assert_int_eq(mailer_conf_check(&c, &error), 0);
	mailer_conf_clear(&c);
}
END_TEST

START_TEST(test_conf_password_file)
{
	struct mailer_conf c;
	const char *error = NULL;
	char *dir = testutil_tmpdir(), path[4096];

	snprintf(path, sizeof(path), "%s/pw", dir);
	ck_assert_int_eq(testutil_write_file(path, "s3cret\n", 7), 0);
	ck_assert_int_eq(mailer_conf_init(&c), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "url", "smtp://mail.example.com:587", &error), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "from", "slaclock@example.com", &error), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "username", "slaclock", &error), 0);
	ck_assert_int_eq(mailer_conf_key(&c, "password_file", path, &error), 0);

	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(mailer_conf_check(&c, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "group or others"));
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(mailer_conf_check(&c, &error), 0);
	ck_assert_str_eq(c.password, "s3cret");

	/* A password over plain SMTP to a remote host is refused. */
	ck_assert_int_eq(mailer_conf_key(&c, "starttls", "no", &error), 0);
	ck_assert_int_eq(mailer_conf_check(&c, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "without TLS"));
	mailer_conf_clear(&c);
	testutil_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_backoff)
{
	ck_assert_int_eq(mailer_backoff(0), MAILER_BACKOFF_MIN);
	ck_assert_int_eq(mailer_backoff(1), 2 * MAILER_BACKOFF_MIN);
	ck_assert_int_eq(mailer_backoff(3), 8 * MAILER_BACKOFF_MIN);
	ck_assert_int_eq(mailer_backoff(100), MAILER_BACKOFF_MAX);
}
END_TEST

/* The default language follows the locale variables in POSIX's order. */
START_TEST(test_conf_language_env)
{
	struct mailer_conf c;

	unsetenv("LC_ALL");
	setenv("LC_MESSAGES", "zh_CN.UTF-8", 1);
	setenv("LANG", "en_US.UTF-8", 1);
	ck_assert_int_eq(mailer_conf_init(&c), 0);
	ck_assert_int_eq(c.language, MAILER_LANG_ZH);
	mailer_conf_clear(&c);
	setenv("LC_ALL", "C", 1);
	ck_assert_int_eq(mailer_conf_init(&c), 0);
	ck_assert_int_eq(c.language, MAILER_LANG_EN);
	mailer_conf_clear(&c);
	setenv("LC_ALL", "", 1);
	unsetenv("LC_MESSAGES");
	setenv("LANG", "zh_TW.UTF-8", 1);
	ck_assert_int_eq(mailer_conf_init(&c), 0);
	ck_assert_int_eq(c.language, MAILER_LANG_ZH);
	mailer_conf_clear(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mailmsg");
	TCase *tc = tcase_create("build");

	tcase_add_test(tc, test_zh_subject_roundtrip);
	tcase_add_test(tc, test_mixed_structure);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_message_id_stable);
	tcase_add_test(tc, test_refuses);
	suite_add_tcase(s, tc);
	tc = tcase_create("conf");
	tcase_add_test(tc, test_conf_keys);
	tcase_add_test(tc, test_conf_language_env);
	tcase_add_test(tc, test_conf_password_file);
	tcase_add_test(tc, test_backoff);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
