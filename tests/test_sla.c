/* The SLA engine against POLICY.md's worked examples, as tables: each row
 * is a ticket's events and the outcome the policy prescribes. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "conf.h"
#include "sla.h"
#include "testutil.h"

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

/* Replace the fixture's config by the test team plus EXTRA. */
static void
reload(const char *extra)
{
	const char *error;
	char *errors = NULL, *text = NULL;

	calendar_free(&cal);
	conf_free(&conf);
	ck_assert_int_ge(asprintf(&text, "%s[team one]\nagents = a@hd.example, b@hd.example\n"
				  "default_agent = a@hd.example\n", extra), 0);
	ck_assert_msg(conf_load_buffer("test.conf", text, strlen(text), &conf, &errors) == 0,
		      "%s", errors);
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
	free(text);
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

#define RUN_EVENTS_MAX 4096

static struct sla_result
run(const struct ev *rows, int64_t now_offset)
{
	static struct event evs[RUN_EVENTS_MAX];
	struct sla_result r;
	const char *error = NULL;
	size_t n = 0;

	for (; rows[n].ticket != NULL; n++) {
		ck_assert_uint_lt(n, RUN_EVENTS_MAX);
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

/* Example 10 as a helpdesk says it: the assignment's actor is whoever
   made the change, attrs name the new owner; an assignment to nobody
   falls back to the last replier. */
START_TEST(example10_helpdesk_assign)
{
	static const struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 1 * MIN, EVENT_ASSIGN, "root", "{\"owner\":\"a@hd.example\"}" },
		{ "T", 20 * MIN, EVENT_ASSIGN, "root", "{\"owner\":\"b@hd.example\"}" },
		{ "U", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "U", 5 * MIN, EVENT_AGENT_NOTE, "a@hd.example", NULL },
		{ "U", 6 * MIN, EVENT_ASSIGN, "root", "{\"owner\":\"b@hd.example\"}" },
		{ "U", 7 * MIN, EVENT_ASSIGN, "root", "{\"owner\":\"\"}" },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);

	ck_assert_str_eq(ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE].agent, "b@hd.example");
	/* unassigned again and nobody replied: the team's default agent */
	ck_assert_str_eq(ticket(&r, "U")->clocks[SLA_FIRST_RESPONSE].agent, "a@hd.example");
	sla_result_clear(&r);
}
END_TEST

/* Warnings come out as a timeline, whoever they are for. */
START_TEST(warnings_in_time_order)
{
	static const struct ev rows[] = {
		{ "T1", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T1", 40 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "T2", 1 * HOUR, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T2", 1 * HOUR, EVENT_ASSIGN, "b@hd.example", NULL },
		{ "T2", 2 * HOUR, EVENT_AGENT_REPLY, "b@hd.example", NULL },
		{ "T3", 3 * HOUR, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T3", 4 * HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);

	ck_assert_uint_eq(r.warning_count, 3);
	ck_assert_str_eq(r.warnings[0].ticket, "T1");
	ck_assert_str_eq(r.warnings[1].ticket, "T2");
	ck_assert_str_eq(r.warnings[1].agent, "b@hd.example");
	ck_assert_str_eq(r.warnings[2].ticket, "T3");
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

/* Shanghai local time as an offset from T0, for rows. */
static int64_t
cn(int y, int m, int d, int h, int mi)
{
	return calendar_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 -
		8 * 3600 - T0;
}

static int
flags(const struct sla_result *r, const char *rule, const char *agent, const char *kind)
{
	size_t i;
	int n = 0;

	for (i = 0; i < r->flag_count; i++)
		if (strcmp(r->flags[i].rule, rule) == 0 &&
		    (agent == NULL || strcmp(r->flags[i].agent, agent) == 0) &&
		    (kind == NULL || strcmp(r->flags[i].kind, kind) == 0))
			n++;
	return n;
}

static int
warnings(const struct sla_result *r, const char *rule, const char *agent)
{
	size_t i;
	int n = 0;

	for (i = 0; i < r->warning_count; i++)
		if (strcmp(r->warnings[i].rule, rule) == 0 &&
		    (agent == NULL || strcmp(r->warnings[i].agent, agent) == 0))
			n++;
	return n;
}

static const struct sla_proposal *
proposal(const struct sla_result *r, const char *rule, const char *agent)
{
	size_t i;

	for (i = 0; i < r->proposal_count; i++)
		if (strcmp(r->proposals[i].rule, rule) == 0 &&
		    strcmp(r->proposals[i].agent, agent) == 0)
			return &r->proposals[i];
	return NULL;
}

/* Example 7: exactly 90.0% is no S14.3 miss, 89.9% is: -5% of the quarter
   and a training flag, for the agent and for the team. Integers only. */
static const struct {
	int satisfied, responses;
	bool miss;
} example7[] = {
	{ 9, 10, false },      /* 90.0% */
	{ 899, 1000, true },   /* 89.9% */
	{ 900, 1000, false },
	{ 8, 9, true },        /* 88.9% */
	{ 10, 10, false },
	{ 0, 1, true },
	{ 1, 1, false },
	{ 1799, 2000, true },  /* 89.95%: rounding would say 90 */
};

START_TEST(example7_quarter_satisfaction)
{
	static struct ev rows[2100];
	const struct sla_proposal *p;
	struct sla_result r;
	size_t n = 0;
	int i;

	rows[n++] = (struct ev){ "S", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	for (i = 0; i < example7[_i].responses; i++)
		rows[n++] = (struct ev){ "S", HOUR + i, EVENT_SATISFACTION, "customer",
			i < example7[_i].satisfied ? "{\"rating\":\"satisfied\"}" :
			"{\"rating\":\"unsatisfied\"}" };
	rows[n] = (struct ev)END;
	r = run(rows, 100 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S14.3", "a@hd.example", NULL), example7[_i].miss);
	ck_assert_int_eq(proposals(&r, "S14.3", "team:one", NULL), example7[_i].miss);
	ck_assert_int_eq(flags(&r, "S14.3", "a@hd.example", "training"), example7[_i].miss);
	if (example7[_i].miss) {
		p = proposal(&r, "S14.3", "a@hd.example");
		ck_assert_int_eq(p->unit, SLA_UNIT_PCT_QUARTER);
		ck_assert_int_eq(p->pct, 5);
		ck_assert_str_eq(p->period, "2026-Q4");
		ck_assert_str_eq(p->month, "2026-12");
	}
	sla_result_clear(&r);
}
END_TEST

/* S14.3 boundaries: a quarter's ratings stay in it; the target is a setting. */
START_TEST(satisfaction_quarter_edges)
{
	struct ev rows[16];
	struct sla_result r;
	size_t n = 0;
	int i;

	rows[n++] = (struct ev){ "S", cn(2026, 9, 30, 10, 0), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	for (i = 0; i < 9; i++)
		rows[n++] = (struct ev){ "S", cn(2026, 9, 30, 23, 50) + i, EVENT_SATISFACTION,
					 "customer", "{\"rating\":\"satisfied\"}" };
	/* 00:00 on 1 October is the next quarter */
	rows[n++] = (struct ev){ "S", cn(2026, 10, 1, 0, 0), EVENT_SATISFACTION, "customer",
				 "{\"rating\":\"unsatisfied\"}" };
	rows[n] = (struct ev)END;
	r = run(rows, 100 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S14.3", "a@hd.example", NULL), 1);
	ck_assert_str_eq(proposal(&r, "S14.3", "a@hd.example")->period, "2026-Q4");
	sla_result_clear(&r);

	reload("[policy]\nsatisfaction_target = 95%\n");
	rows[n - 1] = (struct ev){ "S", cn(2026, 9, 30, 23, 59), EVENT_SATISFACTION, "customer",
				   "{\"rating\":\"unsatisfied\"}" };
	r = run(rows, 100 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S14.3", "a@hd.example", NULL), 1);
	ck_assert_str_eq(proposal(&r, "S14.3", "a@hd.example")->period, "2026-Q3");
	sla_result_clear(&r);
}
END_TEST

/* Example 8: attitude complaints on 1 Jan, 20 Feb, 30 Mar → S4 flag; the
   third on 1 Apr instead → none. Boundaries around the quarter and the
   verification state. */
static const struct {
	int third_m, third_d, third_h;
	const char *third_cause;
	const char *third_verdict;
	int flag;
} example8[] = {
	{ 3, 30, 10, "attitude", "{\"verified\":true}", 1 },
	{ 4, 1, 10, "attitude", "{\"verified\":true}", 0 },
	{ 3, 31, 23, "服务态度", "{\"verified\":true}", 1 },
	{ 4, 1, 0, "attitude", "{\"verified\":true}", 0 },
	{ 3, 30, 10, "attitude", "{\"verified\":false}", 0 },
	{ 3, 30, 10, "attitude", "{\"state\":\"verifying\"}", 0 },
	{ 3, 30, 10, "quality", "{\"verified\":true}", 0 },
	{ 3, 30, 10, "attitude", "{\"state\":\"verified\"}", 1 },
};

START_TEST(example8_s4_repeat)
{
	char third[] = "C3";
	struct ev rows[16];
	struct sla_result r;
	size_t n = 0;
	int64_t at;
	char cause[64];

	reload("[policy]\npack = S14, S4\n");
	at = cn(2027, 1, 1, 10, 0);
	rows[n++] = (struct ev){ "C1", at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "C1", at, EVENT_COMPLAINT, "system", "{\"cause\":\"attitude\"}" };
	rows[n++] = (struct ev){ "C1", at + HOUR, EVENT_COMPLAINT, "system", "{\"verified\":true}" };
	at = cn(2027, 2, 20, 10, 0);
	rows[n++] = (struct ev){ "C2", at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "C2", at, EVENT_COMPLAINT, "system", "{\"cause\":\"attitude\"}" };
	rows[n++] = (struct ev){ "C2", at + HOUR, EVENT_COMPLAINT, "system", "{\"verified\":true}" };
	at = cn(2027, example8[_i].third_m, example8[_i].third_d, example8[_i].third_h,
		example8[_i].third_h == 23 ? 59 : 0);
	snprintf(cause, sizeof(cause), "{\"cause\":\"%s\"}", example8[_i].third_cause);
	rows[n++] = (struct ev){ third, at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ third, at, EVENT_COMPLAINT, "system", cause };
	rows[n++] = (struct ev){ third, at + 1, EVENT_COMPLAINT, "system",
				 example8[_i].third_verdict };
	rows[n] = (struct ev)END;
	r = run(rows, cn(2027, 6, 1, 0, 0));
	ck_assert_int_eq(flags(&r, "S4", "a@hd.example", "review"), example8[_i].flag);
	/* S14.4 for each verified attitude complaint, S4 or not */
	ck_assert_int_eq(proposals(&r, "S14.4", "a@hd.example", NULL),
			 2 + (strstr(example8[_i].third_verdict, "verified\":true") != NULL ||
			      strstr(example8[_i].third_verdict, "\"verified\"}") != NULL) *
			 (strcmp(sla_cause_code(example8[_i].third_cause), "attitude") == 0));
	sla_result_clear(&r);
}
END_TEST

/* S4 is a pack: off by default; its count is a setting. */
START_TEST(s4_off_and_setting)
{
	struct ev rows[16];
	struct sla_result r;
	size_t n = 0;
	int i;

	for (i = 0; i < 3; i++) {
		static const char *const keys[] = { "C1", "C2", "C3" };

		rows[n++] = (struct ev){ keys[i], cn(2027, 1, 5 + i, 10, 0), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], cn(2027, 1, 5 + i, 10, 0), EVENT_COMPLAINT, "system",
					 "{\"cause\":\"privacy\",\"verified\":true,\"agent\":\"b@hd.example\"}" };
	}
	rows[n] = (struct ev)END;
	r = run(rows, cn(2027, 6, 1, 0, 0));
	ck_assert_int_eq(flags(&r, "S4", NULL, NULL), 0);
	ck_assert_uint_eq(r.complaint_count, 3);
	ck_assert_str_eq(r.complaints[0].agent, "b@hd.example");
	ck_assert_str_eq(r.complaints[0].cause, "privacy");
	sla_result_clear(&r);
	reload("[policy]\npack = S4\n");
	r = run(rows, cn(2027, 6, 1, 0, 0));
	ck_assert_int_eq(flags(&r, "S4", "b@hd.example", "review"), 1);
	sla_result_clear(&r);
	reload("[policy]\npack = S4\n[pack S4]\nrepeat = 4\n");
	r = run(rows, cn(2027, 6, 1, 0, 0));
	ck_assert_int_eq(flags(&r, "S4", NULL, NULL), 0);
	sla_result_clear(&r);
}
END_TEST

/* S14.4: verified attitude → -5% of the month and a training flag;
   received, verifying, rejected or another cause → nothing. */
START_TEST(s14_4_attitude)
{
	static const struct {
		const char *a1, *a2;
		int n;
	} cases[] = {
		{ "{\"cause\":\"attitude\"}", "{\"verified\":true}", 1 },
		{ "{\"cause\":\"态度\"}", "{\"verified\":\"是\"}", 1 },
		{ "{\"cause\":\"attitude\"}", "{\"verified\":false}", 0 },
		{ "{\"cause\":\"attitude\"}", "{\"state\":\"verifying\"}", 0 },
		{ "{\"cause\":\"lateness\"}", "{\"verified\":true}", 0 },
		{ "{\"cause\":\"attitude\",\"id\":\"1\"}", "{\"verified\":true,\"id\":\"2\"}", 0 },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ev rows[] = {
			{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
			{ "T", 5 * MIN, EVENT_AGENT_REPLY, "b@hd.example", NULL },
			{ "T", HOUR, EVENT_COMPLAINT, "system", cases[k].a1 },
			{ "T", 2 * HOUR, EVENT_COMPLAINT, "system", cases[k].a2 },
			END,
		};
		struct sla_result r = run(rows, 10 * 24 * HOUR);

		ck_assert_msg(proposals(&r, "S14.4", "b@hd.example", NULL) == cases[k].n,
			      "case %zu", k);
		ck_assert_int_eq(flags(&r, "S14.4", "b@hd.example", "training"), cases[k].n);
		if (cases[k].n > 0) {
			ck_assert_int_eq(proposal(&r, "S14.4", "b@hd.example")->pct, 5);
			ck_assert_str_eq(proposal(&r, "S14.4", "b@hd.example")->month, "2026-11");
		}
		sla_result_clear(&r);
	}
}
END_TEST

/* Pauses on pending (off by default): the paused time is not counted. */
START_TEST(pause_pending)
{
	static const struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 10 * MIN, EVENT_STATUS, "a@hd.example", "{\"status\":\"pending\"}" },
		{ "T", 70 * MIN, EVENT_STATUS, "a@hd.example", "{\"status\":\"open\"}" },
		{ "T", 75 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	static const struct ev resumed_by_customer[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 10 * MIN, EVENT_STATUS, "a@hd.example", "{\"status\":\"pending\"}" },
		{ "T", 40 * MIN, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 61 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	static const struct ev still_paused[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 10 * MIN, EVENT_STATUS, "a@hd.example", "{\"status\":\"pending\"}" },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);
	const struct sla_clock *c = &ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE];

	/* off: the pending status changes nothing */
	ck_assert_int_eq(c->state, SLA_MISSED);
	ck_assert_int_eq(c->deadline, T0 + 30 * MIN);
	ck_assert_int_eq(c->remind_at, T0 + 24 * MIN);
	ck_assert_int_eq(c->pause_count, 0);
	sla_result_clear(&r);

	reload("[policy]\npause_statuses = pending\n");
	r = run(rows, 10 * 24 * HOUR);
	c = &ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE];
	ck_assert_int_eq(c->state, SLA_MET);
	ck_assert_int_eq(c->deadline, T0 + 90 * MIN);
	ck_assert_int_eq(c->remind_at, T0 + 84 * MIN);
	ck_assert_int_eq(c->pause_count, 1);
	ck_assert_int_eq(c->pauses[0].from, T0 + 10 * MIN);
	ck_assert_int_eq(c->pauses[0].to, T0 + 70 * MIN);
	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_RESOLUTION].deadline, T0 + 73 * HOUR);
	sla_result_clear(&r);

	/* a customer message resumes: 10 + 20 counted min → due 10:60, 10:61 misses */
	r = run(resumed_by_customer, 10 * 24 * HOUR);
	c = &ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE];
	ck_assert_int_eq(c->deadline, T0 + 60 * MIN);
	ck_assert_int_eq(c->state, SLA_MISSED);
	sla_result_clear(&r);

	/* paused now: pending, never missed, deadline projected from now */
	r = run(still_paused, 5 * HOUR);
	c = &ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE];
	ck_assert_int_eq(c->state, SLA_PENDING);
	ck_assert(c->paused);
	ck_assert_int_eq(c->deadline, T0 + 5 * HOUR + 20 * MIN);
	ck_assert_int_eq(c->pauses[0].to, 0);
	sla_result_clear(&r);
}
END_TEST

/* A pause after the deadline passed changes nothing; one ending exactly at
   the deadline's moment counts the pause. */
START_TEST(pause_boundaries)
{
	static const struct ev late_pause[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 31 * MIN, EVENT_STATUS, "a@hd.example", "{\"status\":\"pending\"}" },
		{ "T", 5 * HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	static const struct ev at_deadline[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 30 * MIN, EVENT_STATUS, "a@hd.example", "{\"status\":\"pending\"}" },
		{ "T", 40 * MIN, EVENT_STATUS, "a@hd.example", "{\"status\":\"open\"}" },
		{ "T", 40 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	struct sla_result r;

	reload("[policy]\npause_statuses = pending\n");
	r = run(late_pause, 10 * 24 * HOUR);
	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE].state, SLA_MISSED);
	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE].deadline, T0 + 30 * MIN);
	sla_result_clear(&r);
	/* paused at 30:00 sharp (not yet missed): the reply at 40:00 is on time */
	r = run(at_deadline, 10 * 24 * HOUR);
	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE].state, SLA_MET);
	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_FIRST_RESPONSE].deadline, T0 + 40 * MIN);
	sla_result_clear(&r);
}
END_TEST

/* Reopen restarts the resolution clock; a miss already booked stays;
   solved/closed statuses stop it like a resolved event. */
START_TEST(reopen_and_solved_status)
{
	static const struct ev reopened[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "T", 2 * HOUR, EVENT_STATUS, "a@hd.example", "{\"status\":\"solved\"}" },
		{ "T", 10 * HOUR, EVENT_STATUS, "customer", "{\"status\":\"reopened\"}" },
		{ "T", 90 * HOUR, EVENT_RESOLVED, "a@hd.example", NULL },
		END,
	};
	static const struct ev late_then_reopened[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "T", 73 * HOUR, EVENT_RESOLVED, "a@hd.example", NULL },
		{ "T", 74 * HOUR, EVENT_STATUS, "customer", "{\"status\":\"reopened\"}" },
		{ "T", 75 * HOUR, EVENT_RESOLVED, "a@hd.example", NULL },
		END,
	};
	static const struct ev closed[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "T", 5 * HOUR, EVENT_STATUS, "a@hd.example", "{\"status\":\"pending\"}" },
		{ "T", 6 * HOUR, EVENT_STATUS, "a@hd.example", "{\"status\":\"closed\"}" },
		END,
	};
	struct sla_result r = run(reopened, 10 * 24 * HOUR);
	const struct sla_clock *c = &ticket(&r, "T")->clocks[SLA_RESOLUTION];

	ck_assert_int_eq(c->reopen_count, 1);
	ck_assert_int_eq(c->started_at, T0 + 10 * HOUR);
	ck_assert_int_eq(c->deadline, T0 + 82 * HOUR);
	ck_assert_int_eq(c->state, SLA_MISSED);
	/* the preliminary clock is not restarted */
	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_PRELIMINARY].state, SLA_MET);
	sla_result_clear(&r);

	reload("[policy]\nreopen_restarts = no\n");
	r = run(reopened, 10 * 24 * HOUR);
	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_RESOLUTION].state, SLA_MET);
	ck_assert_str_eq(ticket(&r, "T")->clocks[SLA_RESOLUTION].stop, "status solved");
	sla_result_clear(&r);
	reload("");

	r = run(late_then_reopened, 10 * 24 * HOUR);
	c = &ticket(&r, "T")->clocks[SLA_RESOLUTION];
	ck_assert_int_eq(c->state, SLA_MISSED);
	ck_assert_int_eq(c->deadline, T0 + 72 * HOUR);
	ck_assert_int_eq(c->reopen_count, 0);
	sla_result_clear(&r);

	r = run(closed, 10 * 24 * HOUR);
	c = &ticket(&r, "T")->clocks[SLA_RESOLUTION];
	ck_assert_int_eq(c->state, SLA_MET);
	ck_assert_int_eq(c->stopped_at, T0 + 6 * HOUR);
	sla_result_clear(&r);

	reload("[policy]\nsolved_statuses = solved\n");
	r = run(closed, 10 * 24 * HOUR);
	ck_assert_int_eq(ticket(&r, "T")->clocks[SLA_RESOLUTION].state, SLA_MISSED);
	sla_result_clear(&r);
}
END_TEST

/* S14.5: feedback not handled within 24 h is a warning; three in a row
   -10%; a note, a reply or {"handled":true} in time handles it. */
START_TEST(s14_5_feedback)
{
	static const struct {
		const char *pattern;   /* x = unhandled, o = noted at 23 h, l = noted at 24h01s,
					  h = handled flag at 1 h */
		int warnings, deductions;
	} cases[] = {
		{ "xxx", 3, 1 }, { "xox", 2, 0 }, { "xxl", 3, 1 }, { "xxh", 2, 0 },
		{ "xx", 2, 0 }, { "xxxxxx", 6, 2 }, { "ooo", 0, 0 },
	};
	static const char *const keys[] = { "F1", "F2", "F3", "F4", "F5", "F6" };
	size_t k, i;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ev rows[32];
		struct sla_result r;
		size_t n = 0;
		int pct;

		for (i = 0; cases[k].pattern[i] != '\0'; i++) {
			int64_t t = (int64_t)i * 30 * HOUR;
			char p = cases[k].pattern[i];

			rows[n++] = (struct ev){ keys[i], t, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
			rows[n++] = (struct ev){ keys[i], t + MIN, EVENT_AGENT_REPLY, "b@hd.example", NULL };
			rows[n++] = (struct ev){ keys[i], t + 2 * MIN, EVENT_FEEDBACK, "customer", NULL };
			if (p == 'o' || p == 'l')
				rows[n++] = (struct ev){ keys[i], t + 2 * MIN + (p == 'o' ? 23 * HOUR :
							 24 * HOUR + 1), EVENT_AGENT_NOTE, "b@hd.example", NULL };
			if (p == 'h')
				rows[n++] = (struct ev){ keys[i], t + HOUR, EVENT_FEEDBACK, "b@hd.example",
							 "{\"handled\":true}" };
		}
		rows[n] = (struct ev)END;
		r = run(rows, 30 * 24 * HOUR);
		ck_assert_msg(warnings(&r, "S14.5w", "b@hd.example") == cases[k].warnings,
			      "case %s", cases[k].pattern);
		ck_assert_int_eq(proposals(&r, "S14.5s", "b@hd.example", &pct), cases[k].deductions);
		ck_assert_int_eq(pct, 10 * cases[k].deductions);
		sla_result_clear(&r);
	}
}
END_TEST

/* S14.6: a lead's record; S14.1w: one warning per first-response miss. */
START_TEST(s14_6_training_and_warnings)
{
	static const struct ev rows[] = {
		{ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "T", 31 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "agent:b@hd.example", HOUR, EVENT_STATUS, "lead@hd.example",
		  "{\"record\":\"training_missed\",\"agent\":\"b@hd.example\",\"by\":\"lead\"}" },
		END,
	};
	struct sla_result r = run(rows, 10 * 24 * HOUR);
	const struct sla_proposal *p = proposal(&r, "S14.6", "b@hd.example");

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->pct, 5);
	ck_assert_int_eq(p->unit, SLA_UNIT_PCT_MONTH);
	ck_assert_str_eq(p->month, "2026-11");
	ck_assert_int_eq(warnings(&r, "S14.1w", "a@hd.example"), 1);
	/* the record is no ticket */
	ck_assert_uint_eq(r.ticket_count, 1);
	sla_result_clear(&r);
}
END_TEST

/* S9: the month's n-th verified complaint costs 5/10/15% of the wage;
   satisfaction ≥ 90/95/100% earns +5/10/15% (90.0% is tier 1). */
START_TEST(s9_ladder_and_rewards)
{
	static const struct {
		int satisfied, responses, reward;
	} tiers[] = {
		{ 9, 10, 5 }, { 19, 20, 10 }, { 20, 20, 15 }, { 8, 10, 0 }, { 94, 100, 5 },
	};
	static const char *const keys[] = { "C1", "C2", "C3", "C4" };
	struct ev rows[256];
	struct sla_result r;
	size_t n = 0, i, k;
	int pct;

	reload("[policy]\npack = S9\n");
	for (i = 0; i < 4; i++) {
		rows[n++] = (struct ev){ keys[i], (int64_t)i * HOUR, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], (int64_t)i * HOUR + 1, EVENT_COMPLAINT, "system",
					 "{\"cause\":\"quality\",\"verified\":true}" };
	}
	rows[n] = (struct ev)END;
	r = run(rows, 30 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S9.c", "a@hd.example", &pct), 4);
	ck_assert_int_eq(pct, 5 + 10 + 15 + 15);
	ck_assert_int_eq(proposal(&r, "S9.c", "a@hd.example")->unit, SLA_UNIT_PCT_WAGE);
	/* S9 is wage, S14.4 is score: never the same proposal */
	ck_assert_int_eq(proposals(&r, "S14.4", NULL, NULL), 0);
	sla_result_clear(&r);

	for (k = 0; k < sizeof(tiers) / sizeof(tiers[0]); k++) {
		n = 0;
		rows[n++] = (struct ev){ "S", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		for (i = 0; i < (size_t)tiers[k].responses; i++)
			rows[n++] = (struct ev){ "S", HOUR + (int64_t)i, EVENT_SATISFACTION, "customer",
				i < (size_t)tiers[k].satisfied ? "{\"rating\":\"satisfied\"}" :
				"{\"rating\":\"unsatisfied\"}" };
		rows[n] = (struct ev)END;
		r = run(rows, 30 * 24 * HOUR);
		ck_assert_int_eq(proposals(&r, "S9.s", "a@hd.example", &pct), tiers[k].reward > 0);
		ck_assert_int_eq(pct, tiers[k].reward);
		if (tiers[k].reward > 0)
			ck_assert(proposal(&r, "S9.s", "a@hd.example")->reward);
		sla_result_clear(&r);
	}
}
END_TEST

/* Decisions are events: the state, who decided, a changed basis, an orphan. */
START_TEST(decisions_and_basis)
{
	char key[128], attrs[1024], attrs2[512], pticket[160];
	struct ev rows[16];
	const struct sla_proposal *p;
	struct sla_result r;
	size_t n = 0, i;

	for (i = 0; i < 3; i++) {
		static const char *const keys[] = { "T1", "T2", "T3" };

		rows[n++] = (struct ev){ keys[i], (int64_t)i * HOUR, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], (int64_t)i * HOUR + 45 * MIN, EVENT_AGENT_REPLY,
					 "a@hd.example", NULL };
	}
	snprintf(key, sizeof(key), "S14.1s:a@hd.example:T3");
	snprintf(pticket, sizeof(pticket), "proposal:%s", key);
	snprintf(attrs, sizeof(attrs), "{\"record\":\"decision\",\"key\":\"%s\",\"state\":"
		 "\"approved\",\"by\":\"hr\",\"rule\":\"S14.1s\",\"agent\":\"a@hd.example\","
		 "\"month\":\"2026-11\",\"unit\":\"pct_month_score\",\"amount\":10,"
		 "\"reason\":\"T1 T2 T3\"}", key);
	snprintf(attrs2, sizeof(attrs2), "{\"record\":\"notified\",\"key\":\"%s\"}", key);
	rows[n++] = (struct ev){ pticket, 5 * HOUR, EVENT_STATUS, "hr", attrs };
	rows[n++] = (struct ev){ pticket, 6 * HOUR, EVENT_STATUS, "lead", attrs2 };
	rows[n] = (struct ev)END;
	r = run(rows, 30 * 24 * HOUR);
	p = sla_result_proposal(&r, key);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->state, "approved");
	ck_assert_str_eq(p->decided_by, "hr");
	ck_assert(!p->basis_changed);
	ck_assert(!p->orphaned);
	ck_assert_int_eq(p->notified_at, T0 + 6 * HOUR);
	/* notified Monday 16:00: 5 working days → next Monday 16:00 */
	ck_assert_int_eq(p->appeal_by, T0 + 6 * HOUR + 7 * 24 * HOUR);
	sla_result_clear(&r);

	/* a policy change: the streak deduction is now 15% */
	conf->policy.streak_deduction_pct = 15;
	r = run(rows, 30 * 24 * HOUR);
	p = sla_result_proposal(&r, key);
	ck_assert_str_eq(p->state, "approved");
	ck_assert(p->basis_changed);
	sla_result_clear(&r);

	/* a longer streak: no proposal any more, the decision is kept, orphaned */
	conf->policy.streak_length = 4;
	r = run(rows, 30 * 24 * HOUR);
	p = sla_result_proposal(&r, key);
	ck_assert_ptr_nonnull(p);
	ck_assert(p->orphaned);
	ck_assert_str_eq(p->state, "approved");
	ck_assert_int_eq(p->pct, 10);
	sla_result_clear(&r);

	ck_assert(sla_decision_allowed("proposed", "reviewed"));
	ck_assert(sla_decision_allowed("reviewed", "approved"));
	ck_assert(sla_decision_allowed("proposed", "approved"));
	ck_assert(sla_decision_allowed("approved", "executed"));
	ck_assert(!sla_decision_allowed("proposed", "executed"));
	ck_assert(!sla_decision_allowed("executed", "rejected"));
	ck_assert(!sla_decision_allowed("rejected", "approved"));
	ck_assert(!sla_decision_allowed("approved", "reviewed"));
}
END_TEST

/* Property: for seeded random event sequences, a clock the live engine
   decided (met or missed) as the events arrived one by one is decided the
   same way, with the same deadline, stop (once stopped) and charge, when
   everything is
   evaluated at once afterwards (recompute). */
static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

static int
ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	int c = strcmp(x->ticket, y->ticket);

	if (c != 0)
		return c;
	return (x->at > y->at) - (x->at < y->at);
}

static int
ev_time_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->at != y->at)
		return (x->at > y->at) - (x->at < y->at);
	return strcmp(x->ticket, y->ticket);
}

START_TEST(property_live_equals_recompute)
{
	static const char *const keys[] = { "P1", "P2", "P3", "P4", "P5" };
	static const char *const agents[] = { "a@hd.example", "b@hd.example" };
	static const struct {
		enum event_kind kind;
		const char *attrs;
	} kinds[] = {
		{ EVENT_AGENT_REPLY, NULL }, { EVENT_AGENT_NOTE, NULL }, { EVENT_AUTO_REPLY, NULL },
		{ EVENT_PRELIMINARY, NULL }, { EVENT_RESOLVED, NULL }, { EVENT_CUSTOMER_MESSAGE, NULL },
		{ EVENT_STATUS, "{\"status\":\"pending\"}" }, { EVENT_STATUS, "{\"status\":\"open\"}" },
		{ EVENT_STATUS, "{\"status\":\"solved\"}" }, { EVENT_ASSIGN, NULL },
		{ EVENT_FEEDBACK, NULL },
	};
	struct ev all[64], prefix[65], sorted[65];
	struct sla_result final, live;
	uint32_t seed = 0x5eed0000u + (uint32_t)_i;
	size_t n = 0, k, i, j, t;
	int m;

	reload(_i % 2 == 0 ? "[policy]\npause_statuses = pending\n" :
	       "[calendar]\nhours = Mon-Fri 08:30-17:30\n[policy]\npause_statuses = pending\n");
	for (t = 0; t < 5; t++) {
		int64_t at = (int64_t)(lcg(&seed) % (48 * 3600));
		size_t count = 2 + lcg(&seed) % 8;

		all[n++] = (struct ev){ keys[t], at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		for (i = 0; i < count && n < 64; i++) {
			size_t kk = lcg(&seed) % (sizeof(kinds) / sizeof(kinds[0]));

			at += (int64_t)(lcg(&seed) % (20 * 3600));
			all[n++] = (struct ev){ keys[t], at, kinds[kk].kind,
				kinds[kk].kind == EVENT_CUSTOMER_MESSAGE ? "customer" :
				agents[lcg(&seed) % 2], kinds[kk].attrs };
		}
	}
	qsort(all, n, sizeof(all[0]), ev_time_cmp);
	memcpy(sorted, all, n * sizeof(all[0]));
	qsort(sorted, n, sizeof(sorted[0]), ev_cmp);
	sorted[n] = (struct ev)END;
	final = run(sorted, 400 * HOUR);
	for (k = 1; k <= n; k++) {
		memcpy(prefix, all, k * sizeof(all[0]));
		qsort(prefix, k, sizeof(prefix[0]), ev_cmp);
		prefix[k] = (struct ev)END;
		live = run(prefix, all[k - 1].at);
		for (i = 0; i < live.ticket_count; i++) {
			const struct sla_ticket *lt = &live.tickets[i], *ft = NULL;

			for (j = 0; j < final.ticket_count; j++)
				if (strcmp(final.tickets[j].ticket, lt->ticket) == 0)
					ft = &final.tickets[j];
			ck_assert_ptr_nonnull(ft);
			for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
				const struct sla_clock *lc = &lt->clocks[m], *fc = &ft->clocks[m];

				if (lc->state == SLA_PENDING)
					continue;
				/* a miss seen live may get its late stop afterwards */
				ck_assert_msg(lc->state == fc->state && lc->deadline == fc->deadline &&
					      (lc->stopped_at == 0 || lc->stopped_at == fc->stopped_at) &&
					      strcmp(lc->agent, fc->agent) == 0,
					      "seed %d prefix %zu ticket %s clock %d: %d/%d %lld/%lld %lld/%lld %s/%s",
					      _i, k, lt->ticket, m, lc->state, fc->state,
					      (long long)(lc->deadline - T0), (long long)(fc->deadline - T0),
					      (long long)(lc->stopped_at - T0), (long long)(fc->stopped_at - T0),
					      lc->agent, fc->agent);
			}
		}
		if (k == n) {
			/* the last live evaluation is the recompute, clock for clock */
			ck_assert_uint_eq(live.ticket_count, final.ticket_count);
		}
		sla_result_clear(&live);
	}
	sla_result_clear(&final);
}
END_TEST

/* Units are never mixed: each proposal carries its own. */
START_TEST(units_apart)
{
	static const struct ev rows[] = {
		{ "A", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "A", 0, EVENT_PRIORITY, "system", "{\"priority\":\"high\"}" },
		{ "A", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "A", HOUR, EVENT_COMPLAINT, "system", "{\"cause\":\"attitude\",\"verified\":true}" },
		{ "A", HOUR, EVENT_SATISFACTION, "customer", "{\"rating\":\"unsatisfied\"}" },
		{ "A", 80 * HOUR, EVENT_RESOLVED, "a@hd.example", NULL },
		{ "P", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "P", 0, EVENT_STATUS, "system", "{\"status\":\"new\",\"type\":\"parts\"}" },
		{ "P", 30 * HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		END,
	};
	struct sla_result r;

	reload("[policy]\npack = S9, S1\n");
	r = run(rows, 30 * 24 * HOUR);
	ck_assert_int_eq(proposal(&r, "S14.2d", "a@hd.example")->unit, SLA_UNIT_PCT_MONTH);
	ck_assert_int_eq(proposal(&r, "S14.4", "a@hd.example")->unit, SLA_UNIT_PCT_MONTH);
	ck_assert_int_eq(proposal(&r, "S14.3", "a@hd.example")->unit, SLA_UNIT_PCT_QUARTER);
	ck_assert_int_eq(proposal(&r, "S9.c", "a@hd.example")->unit, SLA_UNIT_PCT_WAGE);
	ck_assert_int_eq(proposal(&r, "S1.r", "a@hd.example")->unit, SLA_UNIT_YUAN);
	ck_assert_int_eq(proposal(&r, "S1.r", "a@hd.example")->pct, 50);
	ck_assert_int_eq(warnings(&r, "S1.r", "a@hd.example"), 1);
	sla_result_clear(&r);
}
END_TEST

/* G16: the reply deadline by severity, escalation one level up; W1: working
   days and KPI flags; G20 downgrade after two months below 90; T17 points. */
START_TEST(packs_g16_w1_g20_t17)
{
	static const struct ev g16[] = {
		{ "G", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "G", 0, EVENT_PRIORITY, "system", "{\"priority\":\"high\"}" },
		{ "G", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "G", 47 * HOUR, EVENT_PRELIMINARY, "a@hd.example", NULL },
		{ "H", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL },
		{ "H", 0, EVENT_PRIORITY, "system", "{\"priority\":\"critical\"}" },
		{ "H", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
		{ "H", 25 * HOUR, EVENT_PRELIMINARY, "a@hd.example", NULL },
		END,
	};
	struct ev rows[32];
	struct sla_result r;
	size_t i, n = 0;

	reload("[policy]\npack = G16\n");
	r = run(g16, 30 * 24 * HOUR);
	/* 较大 48 h met at 47 h; 重大 24 h missed at 25 h → escalate */
	ck_assert_int_eq(flags(&r, "G16", "a@hd.example", "escalate"), 1);
	ck_assert_ptr_nonnull(strstr(r.flags[0].reason, "H"));
	ck_assert_ptr_nonnull(strstr(r.flags[0].reason, "重大"));
	sla_result_clear(&r);

	/* W1: Friday 10:00, answered Monday 09:00 → within 1 working day */
	reload("[policy]\npack = W1\n");
	n = 0;
	rows[n++] = (struct ev){ "W", cn(2026, 11, 6, 10, 0), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "W", cn(2026, 11, 9, 9, 0), EVENT_AGENT_REPLY, "a@hd.example", NULL };
	rows[n++] = (struct ev){ "W", cn(2026, 11, 11, 10, 0), EVENT_RESOLVED, "a@hd.example", NULL };
	rows[n] = (struct ev)END;
	r = run(rows, 30 * 24 * HOUR);
	for (i = 0; i < r.pack_clock_count; i++) {
		if (strcmp(r.pack_clocks[i].rule, "W1.a") == 0) {
			ck_assert_int_eq(r.pack_clocks[i].clock.deadline, T0 + cn(2026, 11, 9, 10, 0));
			ck_assert_int_eq(r.pack_clocks[i].clock.state, SLA_MET);
		}
		if (strcmp(r.pack_clocks[i].rule, "W1.s") == 0)
			ck_assert_int_eq(r.pack_clocks[i].clock.state, SLA_MET);
	}
	ck_assert_int_eq(flags(&r, "W1.t", NULL, NULL), 0);
	sla_result_clear(&r);

	/* G20: -20% in October and November (two S14.2d each month) */
	reload("[policy]\npack = G20, T17\n");
	n = 0;
	rows[n++] = (struct ev){ "M1", cn(2026, 10, 5, 10, 0), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "M1", cn(2026, 10, 5, 10, 0), EVENT_PRIORITY, "system", "{\"priority\":\"critical\"}" };
	rows[n++] = (struct ev){ "M1", cn(2026, 10, 5, 10, 5), EVENT_AGENT_REPLY, "a@hd.example", NULL };
	rows[n++] = (struct ev){ "M2", cn(2026, 11, 5, 10, 0), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "M2", cn(2026, 11, 5, 10, 0), EVENT_PRIORITY, "system", "{\"priority\":\"critical\"}" };
	rows[n++] = (struct ev){ "M2", cn(2026, 11, 5, 10, 5), EVENT_AGENT_REPLY, "a@hd.example", NULL };
	for (i = 0; i < 7; i++) {
		static const char *const keys[] = { "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7" };

		rows[n++] = (struct ev){ keys[i], cn(2026, 11, 10 + (int)i, 10, 0), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], cn(2026, 11, 10 + (int)i, 10, 5), EVENT_COMPLAINT,
					 "system", "{\"cause\":\"attitude\",\"verified\":true}" };
	}
	rows[n] = (struct ev)END;
	r = run(rows, 60 * 24 * HOUR);
	ck_assert_int_eq(flags(&r, "G20", "a@hd.example", "downgrade"), 1);
	/* T17: the first is a warning, six more -1 point each: 24 < 25 → -10% bonus */
	ck_assert_int_eq(warnings(&r, "T17", "a@hd.example"), 1);
	ck_assert_int_eq(proposals(&r, "T17", "a@hd.example", NULL), 6);
	ck_assert_ptr_nonnull(proposal(&r, "T17.b", "a@hd.example"));
	ck_assert_int_eq(proposal(&r, "T17.b", "a@hd.example")->pct, 10);
	ck_assert_int_eq(proposal(&r, "T17.b", "a@hd.example")->unit, SLA_UNIT_PCT_BONUS);
	sla_result_clear(&r);
}
END_TEST

/* A team's own calendar: its business hours decide its tickets' deadlines;
   the other team keeps 24x7. Example 9 through the engine. */
START_TEST(team_calendar)
{
	struct ev rows[8];
	struct sla_result r;
	size_t n = 0;

	calendar_free(&cal);
	conf_free(&conf);
	{
		static const char text[] =
			"[calendar office]\nhours = Mon-Fri 08:30-17:30\nholiday = 2026-11-30\n"
			"[team one]\nagents = a@hd.example\ndefault_agent = a@hd.example\n"
			"calendar = office\n"
			"[team two]\nagents = b@hd.example\n";
		const char *error;
		char *errors = NULL;

		ck_assert_msg(conf_load_buffer("test.conf", text, sizeof(text) - 1, &conf,
					       &errors) == 0, "%s", errors);
		ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
	}
	rows[n++] = (struct ev){ "A", cn(2026, 11, 27, 17, 20), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "A", cn(2026, 11, 27, 17, 21), EVENT_ASSIGN, "a@hd.example", NULL };
	rows[n++] = (struct ev){ "B", cn(2026, 11, 27, 17, 20), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "B", cn(2026, 11, 27, 17, 21), EVENT_ASSIGN, "b@hd.example", NULL };
	rows[n] = (struct ev)END;
	r = run(rows, cn(2026, 12, 10, 0, 0));
	/* Friday 17:20 + 30 open minutes, Monday a holiday: Tuesday 08:50 */
	ck_assert_int_eq(ticket(&r, "A")->clocks[SLA_FIRST_RESPONSE].deadline,
			 T0 + cn(2026, 12, 1, 8, 50));
	ck_assert_int_eq(ticket(&r, "B")->clocks[SLA_FIRST_RESPONSE].deadline,
			 T0 + cn(2026, 11, 27, 17, 50));
	sla_result_clear(&r);
}
END_TEST

/* S14.1s settings: the month boundary resets the run when asked; the
   deduction is booked to the month of the third miss. */
START_TEST(streak_month_end)
{
	struct ev rows[16];
	struct sla_result r;
	size_t n = 0;
	int64_t t[3];
	size_t i;

	t[0] = cn(2026, 11, 30, 10, 0);
	t[1] = cn(2026, 11, 30, 20, 0);
	t[2] = cn(2026, 12, 1, 10, 0);
	for (i = 0; i < 3; i++) {
		static const char *const keys[] = { "M1", "M2", "M3" };

		rows[n++] = (struct ev){ keys[i], t[i], EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], t[i] + 31 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	}
	rows[n] = (struct ev)END;
	r = run(rows, cn(2026, 12, 31, 0, 0));
	ck_assert_int_eq(proposals(&r, "S14.1s", "a@hd.example", NULL), 1);
	ck_assert_str_eq(proposal(&r, "S14.1s", "a@hd.example")->month, "2026-12");
	ck_assert_int_eq(warnings(&r, "S14.1w", "a@hd.example"), 3);
	sla_result_clear(&r);
	reload("[policy]\nstreak_reset_month_end = yes\n");
	r = run(rows, cn(2026, 12, 31, 0, 0));
	ck_assert_int_eq(proposals(&r, "S14.1s", "a@hd.example", NULL), 0);
	ck_assert_int_eq(warnings(&r, "S14.1w", "a@hd.example"), 3);
	sla_result_clear(&r);
	reload("[policy]\nstreak_reset_after_fire = no\n");
	rows[n++] = (struct ev){ "M4", t[2] + HOUR, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "M4", t[2] + HOUR + 31 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	rows[n] = (struct ev)END;
	r = run(rows, cn(2026, 12, 31, 0, 0));
	ck_assert_int_eq(proposals(&r, "S14.1s", "a@hd.example", NULL), 2);
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
	tcase_add_test(tc, example10_helpdesk_assign);
	tcase_add_test(tc, warnings_in_time_order);
	tcase_add_test(tc, unanswered_and_pending);
	tcase_add_test(tc, no_customer_no_clocks);
	tcase_add_loop_test(tc, example7_quarter_satisfaction, 0,
			    sizeof(example7) / sizeof(example7[0]));
	tcase_add_test(tc, satisfaction_quarter_edges);
	tcase_add_loop_test(tc, example8_s4_repeat, 0, sizeof(example8) / sizeof(example8[0]));
	tcase_add_test(tc, s4_off_and_setting);
	tcase_add_test(tc, s14_4_attitude);
	tcase_add_test(tc, pause_pending);
	tcase_add_test(tc, pause_boundaries);
	tcase_add_test(tc, reopen_and_solved_status);
	tcase_add_test(tc, s14_5_feedback);
	tcase_add_test(tc, s14_6_training_and_warnings);
	tcase_add_test(tc, s9_ladder_and_rewards);
	tcase_add_test(tc, decisions_and_basis);
	tcase_add_loop_test(tc, property_live_equals_recompute, 0, 40);
	tcase_add_test(tc, units_apart);
	tcase_add_test(tc, packs_g16_w1_g20_t17);
	tcase_add_test(tc, team_calendar);
	tcase_add_test(tc, streak_month_end);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(sla_suite());
}
