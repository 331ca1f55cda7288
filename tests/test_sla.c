/* The SLA engine against POLICY.md's worked examples, as tables: each row
 * is a ticket's events and the outcome the policy prescribes. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "conf.h"
#include "sla.h"

/* 2026-11-02 10:00:00 Asia/Shanghai */
#define T0 INT64_C(1793584800)
#define MIN 60
#define HOUR 3600

static struct conf *conf;
static struct calendar *cal;

static void
setup(void)
{
	static const char text[] =
		"[team one]\nagents = a@hd.example, b@hd.example\n"
		"default_agent = a@hd.example\n";
	const char *error;
	char *errors = NULL;

	ck_assert_msg(conf_load_buffer("test.conf", text, sizeof(text) - 1, &conf,
				       &errors) == 0, "%s", errors);
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
}

static void
teardown(void)
{
	calendar_free(&cal);
	conf_free(&conf);
}

struct ev {
	const char *ticket;
	int64_t at;            /* seconds after T0 */
	enum event_kind kind;
	const char *actor;
	const char *attrs;
};

#define END { NULL, 0, 0, NULL, NULL }

static struct sla_result
run(const struct ev *rows, int64_t now_offset)
{
	struct event evs[64];
	struct sla_result r;
	const char *error = NULL;
	size_t n = 0;

	for (; rows[n].ticket != NULL; n++) {
		ck_assert_uint_lt(n, 64);
		memset(&evs[n], 0, sizeof(evs[n]));
		evs[n].source = "test";
		evs[n].external_id = "x";
		evs[n].ticket = rows[n].ticket;
		evs[n].time = T0 + rows[n].at;
		evs[n].kind = rows[n].kind;
		evs[n].actor = rows[n].actor != NULL ? rows[n].actor : "customer";
		evs[n].attrs = rows[n].attrs;
	}
	ck_assert_int_eq(sla_evaluate_events(conf, cal, evs, n, T0 + now_offset, &r,
					     &error), 0);
	return r;
}

static const struct sla_ticket *
ticket(const struct sla_result *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->ticket_count; i++)
		if (strcmp(r->tickets[i].ticket, key) == 0)
			return &r->tickets[i];
	ck_abort_msg("ticket %s not evaluated", key);
	return NULL;
}

static int
proposals(const struct sla_result *r, const char *rule, const char *agent, int *pct_r)
{
	size_t i;
	int n = 0, pct = 0;

	for (i = 0; i < r->proposal_count; i++)
		if (strcmp(r->proposals[i].rule, rule) == 0 &&
		    (agent == NULL || strcmp(r->proposals[i].agent, agent) == 0)) {
			n++;
			pct += r->proposals[i].pct;
		}
	if (pct_r != NULL)
		*pct_r = pct;
	return n;
}

/* Example 1: mail at 10:00:00, helpdesk ticket created 10:05: the clock
   starts at 10:00:00. */
START_TEST(example1_start_at_first_customer_message)
{
	static const struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 5 * MIN, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 5 * MIN, EVENT_STATUS, "system", "{\"status\":\"new\"}" },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);
	const struct sla_ticket *t = ticket(&r, "T");

	ck_assert_int_eq(t->start, T0);
	ck_assert_int_eq(t->clocks[SLA_FIRST_RESPONSE].deadline, T0 + 30 * MIN);
	ck_assert_int_eq(t->clocks[SLA_PRELIMINARY].deadline, T0 + 24 * HOUR);
	ck_assert_int_eq(t->clocks[SLA_RESOLUTION].deadline, T0 + 72 * HOUR);
	sla_result_clear(&r);
}
END_TEST

/* Example 2: reply at 10:30:00 meets, at 10:30:01 misses with a warning. */
static const struct {
	int64_t reply_at;
	enum sla_state state;
} example2[] = {
	{ 29 * MIN, SLA_MET },
	{ 30 * MIN, SLA_MET },
	{ 30 * MIN + 1, SLA_MISSED },
	{ 2 * HOUR, SLA_MISSED },
};

START_TEST(example2_inclusive_deadline)
{
	struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", example2[_i].reply_at, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);
	const struct sla_clock *c = &ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE];

	ck_assert_int_eq(c->state, example2[_i].state);
	ck_assert_str_eq(c->agent, "a@hd.example");
	sla_result_clear(&r);
}
END_TEST

/* Example 3: miss, miss, miss → one S14.1s -10%;
   miss, met, miss, miss → none. Six in a row → two (reset after firing). */
static const struct {
	const char *pattern;   /* per ticket, in deadline order: x = miss, o = met */
	int deductions;
} example3[] = {
	{ "xxx", 1 },
	{ "xoxx", 0 },
	{ "xxxxxx", 2 },
	{ "xxoxxx", 1 },
	{ "xx", 0 },
	{ "ooo", 0 },
};

START_TEST(example3_streak)
{
	static const char *const keys[] = { "T1", "T2", "T3", "T4", "T5", "T6" };
	const char *pattern = example3[_i].pattern;
	struct ev rows[16];
	size_t i, n = 0;
	struct sla_result r;
	int pct;

	for (i = 0; pattern[i] != '\0'; i++) {
		int64_t start = (int64_t)i * 2 * HOUR;

		rows[n++] = (struct ev){ keys[i], start, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], start + (pattern[i] == 'x' ? 45 : 10) * MIN,
					 EVENT_AGENT_REPLY, "a@hd.example", NULL };
	}
	rows[n] = (struct ev)END;
	r = run(rows, 10 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S14.1s", "a@hd.example", &pct),
			 example3[_i].deductions);
	ck_assert_int_eq(pct, 10 * example3[_i].deductions);
	sla_result_clear(&r);
}
END_TEST

/* Example 4: an auto-reply at 10:01 does not stop the clock. */
START_TEST(example4_auto_reply_ignored)
{
	static const struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 1 * MIN, EVENT_AUTO_REPLY, "a@hd.example", NULL },
		{ "T", 50 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);
	const struct sla_clock *c = &ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE];

	ck_assert_int_eq(c->state, SLA_MISSED);
	ck_assert_int_eq(c->stopped_at, T0 + 50 * MIN);
	sla_result_clear(&r);
}
END_TEST

/* Example 5: internal note at 10:10, public reply at 10:40 → breach. */
START_TEST(example5_internal_note_ignored)
{
	static const struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 10 * MIN, EVENT_AGENT_NOTE, "a@hd.example", NULL },
		{ "T", 40 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);

	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE].state, SLA_MISSED);
	sla_result_clear(&r);
}
END_TEST

/* Example 6: priority high, resolved at 73 h → -15% for the owner at the
   deadline; the preliminary solution came in time. Stacking and the cap. */
static const struct {
	const char *priority;
	int64_t preliminary_at;   /* 0 = never */
	int64_t resolved_at;      /* 0 = never */
	bool stack;
	int pct;                  /* total S14.2d */
	int count;
} example6[] = {
	{ "high", 2 * HOUR, 73 * HOUR, true, 15, 1 },
	{ "low", 2 * HOUR, 73 * HOUR, true, 5, 1 },
	{ "normal", 25 * HOUR, 73 * HOUR, true, 20, 2 },
	{ "high", 25 * HOUR, 73 * HOUR, true, 20, 2 },     /* 15 + 15 capped at 20 */
	{ "critical", 0, 0, true, 20, 1 },                  /* 20 + 20: second is 0 */
	{ "high", 25 * HOUR, 73 * HOUR, false, 15, 1 },
	{ "high", 2 * HOUR, 71 * HOUR, true, 0, 0 },
};

START_TEST(example6_severity)
{
	char attrs[64];
	struct ev rows[8];
	size_t n = 0;
	struct sla_result r;
	int pct;

	snprintf(attrs, sizeof(attrs), "{\"priority\":\"%s\"}", example6[_i].priority);
	conf->policy.stack_24h_72h = example6[_i].stack;
	rows[n++] = (struct ev){ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "T", 0, EVENT_PRIORITY, "system", attrs };
	rows[n++] = (struct ev){ "T", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	if (example6[_i].preliminary_at != 0)
		rows[n++] = (struct ev){ "T", example6[_i].preliminary_at,
					 EVENT_PRELIMINARY, "a@hd.example", NULL };
	if (example6[_i].resolved_at != 0)
		rows[n++] = (struct ev){ "T", example6[_i].resolved_at,
					 EVENT_RESOLVED, "a@hd.example", NULL };
	rows[n] = (struct ev)END;
	r = run(rows, 10 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S14.2d", "a@hd.example", &pct), example6[_i].count);
	ck_assert_int_eq(pct, example6[_i].pct);
	sla_result_clear(&r);
}
END_TEST

/* Example 10: handed from A to B at 10:20, no reply until 10:31 → B. */
START_TEST(example10_owner_at_deadline)
{
	static const struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 1 * MIN, EVENT_ASSIGN, "a@hd.example", NULL },
		{ "T", 20 * MIN, EVENT_ASSIGN, "b@hd.example", NULL },
		{ "T", 31 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);
	const struct sla_clock *c = &ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE];

	ck_assert_int_eq(c->state, SLA_MISSED);
	ck_assert_str_eq(c->agent, "b@hd.example");
	conf->policy.charge = CONF_CHARGE_OWNER_AT_START;
	sla_result_clear(&r);
	r = run(rows, 10 * 24 * HOUR);
	ck_assert_str_eq(ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE].agent, "a@hd.example");
	sla_result_clear(&r);
}
END_TEST

/* Nobody replied and nobody was assigned: the team's default agent. A
   clock whose deadline is still ahead is pending, not missed. */
START_TEST(unanswered_and_pending)
{
	static const struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		END,
	};
	struct sla_result r = run(rows, 20 * MIN);
	const struct sla_ticket *t = ticket(&r, "T");

	ck_assert_int_eq(t->clocks[SLA_FIRST_RESPONSE].state, SLA_PENDING);
	sla_result_clear(&r);
	r = run(rows, 80 * HOUR);
	t = ticket(&r, "T");
	ck_assert_int_eq(t->clocks[SLA_FIRST_RESPONSE].state, SLA_MISSED);
	ck_assert_int_eq(t->clocks[SLA_RESOLUTION].state, SLA_MISSED);
	ck_assert_str_eq(t->clocks[SLA_FIRST_RESPONSE].agent, "a@hd.example");
	sla_result_clear(&r);
}
END_TEST

/* A ticket with no customer message (an agent wrote first) has no clocks;
   a resolution also counts as the preliminary solution. */
START_TEST(no_customer_no_clocks)
{
	static const struct ev rows[] = {
		{ "A", 0, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "B", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "B", 5 * MIN, EVENT_AGENT_REPLY, "b@hd.example", NULL },
		{ "B", 3 * HOUR, EVENT_RESOLVED, "b@hd.example", NULL },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);
	const struct sla_ticket *t;

	ck_assert_uint_eq(r.ticket_count, 1);
	t = ticket(&r, "B");
	ck_assert_int_eq(t->clocks[SLA_PRELIMINARY].state, SLA_MET);
	ck_assert_int_eq(t->clocks[SLA_RESOLUTION].state, SLA_MET);
	ck_assert_uint_eq(r.proposal_count, 0);
	sla_result_clear(&r);
}
END_TEST

static Suite *
sla_suite(void)
{
	Suite *s = suite_create("sla");
	TCase *tc = tcase_create("policy-examples");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, example1_start_at_first_customer_message);
	tcase_add_loop_test(tc, example2_inclusive_deadline, 0,
			    sizeof(example2) / sizeof(example2[0]));
	tcase_add_loop_test(tc, example3_streak, 0, sizeof(example3) / sizeof(example3[0]));
	tcase_add_test(tc, example4_auto_reply_ignored);
	tcase_add_test(tc, example5_internal_note_ignored);
	tcase_add_loop_test(tc, example6_severity, 0, sizeof(example6) / sizeof(example6[0]));
	tcase_add_test(tc, example10_owner_at_deadline);
	tcase_add_test(tc, unanswered_and_pending);
	tcase_add_test(tc, no_customer_no_clocks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sla_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
