/* Webhook payload fixtures -> events. Each case names a fixture and the
 * events it must yield, one line each: "kind id ticket time actor attrs". */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "webhook.h"

static const char *const kind_names[EVENT_KIND_COUNT] = {
	"customer_message", "agent_reply", "agent_note", "auto_reply", "bounce",
	"status", "preliminary", "resolved", "assign", "priority", "complaint",
	"satisfaction", "feedback", "praise",
};

struct parse_case {
	enum webhook_kind kind;
	const char *fixture;     /* under tests/fixtures/webhook/ */
	const char *expect;      /* lines; "" = no events */
	bool own;
};

static const struct parse_case rt_cases[] = {
	{ WEBHOOK_RT, "rt/create.json",
	  "customer_message 101 rt:42 1772413200 customer -\n"
	  "status 101:status rt:42 1772413200 customer {\"helpdesk_status\":\"new\",\"status\":\"new\"}\n", false },
	{ WEBHOOK_RT, "rt/correspond_agent.json",
	  "agent_reply 102 rt:42 1772414400 li.na@support.example -\n", false },
	{ WEBHOOK_RT, "rt/correspond_customer.json",
	  "customer_message 103 rt:42 1772416800 customer -\n", false },
	{ WEBHOOK_RT, "rt/comment.json",
	  "agent_note 104 rt:42 1772417400 li.na@support.example -\n", false },
	{ WEBHOOK_RT, "rt/status_stalled.json",
	  "status 105:status rt:42 1772420400 li.na@support.example {\"helpdesk_status\":\"stalled\",\"status\":\"pending\"}\n", false },
	/* +08:00 offset: 09:30 local is 01:30 UTC */
	{ WEBHOOK_RT, "rt/status_resolved.json",
	  "status 106:status rt:42 1772501400 li.na@support.example {\"helpdesk_status\":\"resolved\",\"status\":\"solved\"}\n"
	  "resolved 106:resolved rt:42 1772501400 li.na@support.example -\n", false },
	{ WEBHOOK_RT, "rt/status_reopened.json",
	  "status 107:status rt:42 1772586000 customer {\"helpdesk_status\":\"open\",\"status\":\"reopened\"}\n", false },
	{ WEBHOOK_RT, "rt/owner.json",
	  "assign 108 rt:42 1772413800 root {\"owner\":\"wang.fang\"}\n", false },
	{ WEBHOOK_RT, "rt/cf_preliminary.json",
	  "preliminary 109 rt:42 1772427600 li.na@support.example {\"field\":\"Preliminary Solution\"}\n", false },
	{ WEBHOOK_RT, "rt/cf_complaint.json",
	  "complaint 110 rt:42 1772431200 root {\"cause\":\"attitude\"}\n", false },
	{ WEBHOOK_RT, "rt/cf_satisfaction.json",
	  "satisfaction 111 rt:42 1772690400 customer {\"rating\":\"satisfied\"}\n", false },
	{ WEBHOOK_RT, "rt/own_comment.json", "", true },
	{ WEBHOOK_RT, "rt/emailrecord.json", "", false },
	/* it-up.sh's scrip: no creator_privileged, root has no '@' -> agent */
	{ WEBHOOK_RT, "rt/itup_comment.json",
	  "agent_note 35 rt:1 1767607200 root -\n", false },
};

static const struct parse_case other_cases[] = {
	{ WEBHOOK_ZAMMAD, "zammad/article_customer.json",
	  "customer_message article:104 zammad:12 1772413200 customer -\n", false },
	{ WEBHOOK_ZAMMAD, "zammad/article_note.json",
	  "agent_note article:105 zammad:12 1772413800 agent1@support.example -\n", false },
	{ WEBHOOK_ZAMMAD, "zammad/article_own.json", "", true },
	{ WEBHOOK_ZAMMAD, "zammad/ticket_closed.json",
	  "status ticket:12:2026-03-03T08:00:00.000Z:status zammad:12 1772524800 agent1@support.example {\"helpdesk_status\":\"closed\",\"status\":\"closed\"}\n"
	  "resolved ticket:12:2026-03-03T08:00:00.000Z:resolved zammad:12 1772524800 agent1@support.example -\n"
	  "assign ticket:12:2026-03-03T08:00:00.000Z:owner zammad:12 1772524800 agent1@support.example {\"owner\":\"agent1@support.example\"}\n"
	  "preliminary ticket:12:preliminary zammad:12 1772524800 agent1@support.example {\"field\":\"tag\"}\n", false },
	{ WEBHOOK_ZENDESK, "zendesk/created.json",
	  "customer_message 01HN0000-CREATED zendesk:35436 1772413200 customer -\n"
	  "status 01HN0000-CREATED:status zendesk:35436 1772413200 20978392 {\"helpdesk_status\":\"NEW\",\"status\":\"new\"}\n", false },
	{ WEBHOOK_ZENDESK, "zendesk/comment_public.json",
	  "agent_reply 01HN0000-COMMENT1 zendesk:35436 1772414700 9001 -\n", false },
	{ WEBHOOK_ZENDESK, "zendesk/comment_private.json",
	  "agent_note 01HN0000-COMMENT2 zendesk:35436 1772414760 9001 -\n", false },
	{ WEBHOOK_ZENDESK, "zendesk/status_solved.json",
	  "status 01HN0000-STATUS:status zendesk:35436 1772503200 9001 {\"helpdesk_status\":\"SOLVED\",\"status\":\"solved\"}\n"
	  "resolved 01HN0000-STATUS:resolved zendesk:35436 1772503200 9001 -\n", false },
	{ WEBHOOK_ZENDESK, "zendesk/tags_preliminary.json",
	  "preliminary 01HN0000-TAGS:1 zendesk:35436 1772431200 9001 {\"field\":\"preliminary\"}\n", false },
	{ WEBHOOK_ZENDESK, "zendesk/assignee.json",
	  "assign 01HN0000-ASSIGN zendesk:35436 1772413500 9000 {\"owner\":\"9002\"}\n", false },
	{ WEBHOOK_FRESHDESK, "freshdesk/created.json",
	  "customer_message 501:2026-03-02T01:00:00Z freshdesk:501 1772413200 customer -\n"
	  "status 501:2026-03-02T01:00:00Z:status freshdesk:501 1772413200 customer {\"helpdesk_status\":\"Open\",\"status\":\"open\"}\n", false },
	{ WEBHOOK_FRESHDESK, "freshdesk/resolved.json",
	  "status 501:2026-03-03T01:00:00+08:00:status freshdesk:501 1772470800 wang.fang@support.example {\"helpdesk_status\":\"Resolved\",\"status\":\"solved\"}\n"
	  "resolved 501:2026-03-03T01:00:00+08:00:resolved freshdesk:501 1772470800 wang.fang@support.example -\n"
	  "preliminary 501:preliminary freshdesk:501 1772470800 wang.fang@support.example {\"field\":\"tag\"}\n", false },
};

static char *
format_result(const struct webhook_result *r)
{
	char *buf = calloc(1, 8192);
	size_t i, len = 0;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < r->count; i++) {
		struct event ev;

		webhook_result_event(r, i, "webhook:x", &ev);
		ck_assert_str_eq(ev.source, "webhook:x");
		len += (size_t)snprintf(buf + len, 8192 - len,
			"%s %s %s %lld %s %s\n", kind_names[ev.kind],
			ev.external_id, ev.ticket, (long long)ev.time, ev.actor,
			ev.attrs != NULL ? ev.attrs : "-");
	}
	return buf;
}

static void
run_case(const struct parse_case *c, const char *name)
{
	struct webhook_opts opts = { .name = name, .own_user = "slaclock" };

	if (c->kind == WEBHOOK_ZENDESK)
		opts.own_user = "9999";   /* Zendesk names users by id */
	struct webhook_result r;
	const char *error = NULL;
	char path[1024], *body, *got;
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/fixtures/webhook/%s",
		 testutil_srcdir(), c->fixture);
	body = testutil_read_file(path, &len);
	ck_assert_msg(body != NULL, "cannot read %s", path);
	ck_assert_msg(webhook_parse(c->kind, &opts, body, len, &r, &error) == 0,
		      "%s: %s", c->fixture, error);
	got = format_result(&r);
	ck_assert_msg(strcmp(got, c->expect) == 0, "%s:\n got: %s\nwant: %s",
		      c->fixture, got, c->expect);
	ck_assert_int_eq(r.own, c->own);
	free(got);
	free(body);
}

START_TEST(test_rt_fixtures)
{
	run_case(&rt_cases[_i], "rt");
}
END_TEST

START_TEST(test_other_fixtures)
{
	run_case(&other_cases[_i], webhook_kind_name(other_cases[_i].kind));
}
END_TEST

START_TEST(test_rt_agent_callback)
{
	static const char body[] = "{\"ticket_id\":7,\"txn_id\":9,"
		"\"txn_type\":\"Correspond\",\"creator\":\"someone\","
		"\"created\":\"2026-01-01T00:00:00Z\"}";
	struct webhook_opts opts = { .name = "hd" };
	struct webhook_result r;
	const char *error;

	/* no callback: a login without '@' is taken for an agent */
	ck_assert_int_eq(webhook_parse(WEBHOOK_RT, &opts, body, sizeof(body) - 1,
				       &r, &error), 0);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].kind, EVENT_AGENT_REPLY);
	ck_assert_str_eq(r.ticket, "hd:7");
}
END_TEST

START_TEST(test_rt_rejects)
{
	static const char *const bad[] = {
		"{\"txn_id\":1,\"txn_type\":\"Create\",\"creator\":\"a\",\"created\":\"2026-01-01T00:00:00Z\"}",
		"{\"ticket_id\":1,\"txn_id\":1,\"txn_type\":\"Create\",\"creator\":\"a\",\"created\":\"yesterday\"}",
		"[1,2]",
		"{",
		"{\"a\":1,\"a\":2}",
		"{\"a\":\"\\u0000\"}",
		"{\"a\":\"\xff\xfe\"}",
	};
	struct webhook_opts opts = { .name = "rt" };
	struct webhook_result r;
	const char *error;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		ck_assert_msg(webhook_parse(WEBHOOK_RT, &opts, bad[i], strlen(bad[i]),
					    &r, &error) == -1, "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(error);
		ck_assert_uint_eq(r.count, 0);
	}
}
END_TEST

START_TEST(test_json_depth)
{
	char buf[WEBHOOK_DEPTH_MAX * 8 + 16];
	json_t *json;
	const char *error;
	size_t n = 0;
	int i;

	/* exactly the cap: fine */
	for (i = 0; i < WEBHOOK_DEPTH_MAX - 1; i++)
		n += (size_t)sprintf(buf + n, "{\"a\":");
	n += (size_t)sprintf(buf + n, "{}");
	for (i = 0; i < WEBHOOK_DEPTH_MAX - 1; i++)
		buf[n++] = '}';
	ck_assert_int_eq(webhook_json_load(buf, n, &json, &error), 0);
	json_decref(json);
	/* one more: refused before jansson sees it */
	n = 0;
	for (i = 0; i < WEBHOOK_DEPTH_MAX; i++)
		n += (size_t)sprintf(buf + n, "[");
	n += (size_t)sprintf(buf + n, "{}");
	ck_assert_int_eq(webhook_json_load(buf, n, &json, &error), -1);
	ck_assert_str_eq(error, "JSON nested too deeply");
	/* brackets inside strings do not count */
	memset(buf, '[', sizeof(buf));
	memcpy(buf, "{\"a\":\"", 6);
	memcpy(buf + sizeof(buf) - 2, "\"}", 2);
	ck_assert_int_eq(webhook_json_load(buf, sizeof(buf), &json, &error), 0);
	json_decref(json);
}
END_TEST

START_TEST(test_time)
{
	int64_t t;

	ck_assert_int_eq(webhook_parse_time("2026-03-02T01:00:00Z", &t), 0);
	ck_assert_int_eq(t, 1772413200);
	ck_assert_int_eq(webhook_parse_time("2026-03-02T09:00:00.123+08:00", &t), 0);
	ck_assert_int_eq(t, 1772413200);
	ck_assert_int_eq(webhook_parse_time("2026-03-01T20:00:00-0500", &t), 0);
	ck_assert_int_eq(t, 1772413200);
	ck_assert_int_eq(webhook_parse_time("2026-03-02 01:00:00", &t), 0);
	ck_assert_int_eq(t, 1772413200);
	ck_assert_int_eq(webhook_parse_time("2026-13-02T01:00:00Z", &t), -1);
	ck_assert_int_eq(webhook_parse_time("2026-03-02T01:00Z", &t), -1);
	ck_assert_int_eq(webhook_parse_time("2026-03-02T01:00:00Zjunk", &t), -1);
}
END_TEST

START_TEST(test_status_vocabulary)
{
	ck_assert_str_eq(webhook_status_normalize("stalled"), "pending");
	ck_assert_str_eq(webhook_status_normalize("Resolved"), "solved");
	ck_assert_str_eq(webhook_status_normalize("pending close"), "pending");
	ck_assert_ptr_null(webhook_status_normalize("frobbed"));
}
END_TEST


static Suite *
webhook_parse_suite(void)
{
	Suite *s = suite_create("webhook_parse");
	TCase *tc = tcase_create("rt");

	tcase_add_loop_test(tc, test_rt_fixtures, 0,
			    sizeof(rt_cases) / sizeof(rt_cases[0]));
	tcase_add_test(tc, test_rt_agent_callback);
	tcase_add_test(tc, test_rt_rejects);
	tcase_add_test(tc, test_json_depth);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_status_vocabulary);
	suite_add_tcase(s, tc);
	tc = tcase_create("others");
	tcase_add_loop_test(tc, test_other_fixtures, 0,
			    sizeof(other_cases) / sizeof(other_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(webhook_parse_suite());
}
