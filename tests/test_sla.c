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

/* Replace the fixture's config by EXTRA plus the test team, with or
   without its default agent. */
static void
reload_team(const char *extra, bool default_agent)
{
	const char *error;
	char *errors = NULL, *text = NULL;

	calendar_free(&cal);
	conf_free(&conf);
	ck_assert_int_ge(asprintf(&text, "%s[team one]\nagents = a@hd.example, b@hd.example\n"
				  "%s", extra,
				  default_agent ? "default_agent = a@hd.example\n" : ""), 0);
	ck_assert_msg(conf_load_buffer("test.conf", text, strlen(text), &conf, &errors) == 0,
		      "%s", errors);
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
	free(text);
}

/* Replace the fixture's config by the test team plus EXTRA. */
static void
reload(const char *extra)
{
	reload_team(extra, true);
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

static int warnings(const struct sla_result *r, const char *rule, const char *agent);

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
	{ 1, SLA_MET },
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
	/* S14.1w: one warning per miss, none for a met clock */
	ck_assert_int_eq(warnings(&r, "S14.1w", "a@hd.example"), c->state == SLA_MISSED);
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
	/* four in a row, no ticket resolved in between: one run, the 3rd step */
	ck_assert_int_eq(proposals(&r, "S9.c", "a@hd.example", &pct), 1);
	ck_assert_int_eq(pct, 15);
	ck_assert_str_eq(proposal(&r, "S9.c", "a@hd.example")->tickets, "C1 C2 C3 C4");
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
	/* S1 gives a range: nothing fixed until an approver chooses */
	ck_assert_int_eq(proposal(&r, "S1.r", "a@hd.example")->pct, 0);
	ck_assert_int_eq(proposal(&r, "S1.r", "a@hd.example")->amount_min, 50);
	ck_assert_int_eq(proposal(&r, "S1.r", "a@hd.example")->amount_max, 500);
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

/* S9 (seed 000 L327, L331): a run of verified complaints in a month costs
   the step it reaches (5, 10, 15% of the wage); service errors have their
   own run; a met resolution of another ticket in between ends a run. The
   script: c verified complaint, e verified service error, u a complaint
   rejected, m a ticket resolved in time, | the next month; one ticket each,
   6 h apart. */
static const struct {
	const char *settings;
	const char *script;
	int c_count, c_pct, e_count, e_pct;
} s9_runs[] = {
	{ "", "c", 1, 5, 0, 0 },
	{ "", "cc", 1, 10, 0, 0 },                  /* 2 in a row: 10%, not 5 + 10 */
	{ "", "ccc", 1, 15, 0, 0 },
	{ "", "cccc", 1, 15, 0, 0 },                /* ≥3: 15% */
	{ "", "cmc", 2, 10, 0, 0 },                 /* met in between: two runs of one */
	{ "run_by_tickets = no\n", "cmc", 1, 10, 0, 0 },
	{ "", "cc|c", 2, 15, 0, 0 },                /* the month ends a run */
	{ "", "cuc", 1, 10, 0, 0 },                 /* a rejected one neither counts nor breaks */
	{ "", "cec", 1, 10, 1, 5 },                 /* errors apart (L331) */
	{ "", "eee", 0, 0, 1, 15 },
	{ "cumulative = yes\n", "ccc", 3, 30, 0, 0 },
	{ "cumulative = yes\n", "cccc", 4, 45, 0, 0 },
	{ "cumulative = yes\n", "cmc", 2, 10, 0, 0 },
	{ "complaint_ladder = 4%, 8%, 12%\n", "cc", 1, 8, 0, 0 },
};

START_TEST(s9_ladder_runs)
{
	static char keys[16][24];
	struct ev rows[64];
	struct sla_result r;
	char settings[256];
	size_t n = 0, i;
	int64_t at = 0;
	int pct;

	snprintf(settings, sizeof(settings), "[policy]\npack = S9\n[pack S9]\n%s",
		 s9_runs[_i].settings);
	reload(settings);
	for (i = 0; s9_runs[_i].script[i] != '\0'; i++) {
		char k = s9_runs[_i].script[i];

		if (k == '|') {
			at = cn(2026, 12, 2, 10, 0);
			continue;
		}
		snprintf(keys[i], sizeof(keys[i]), "K%zu", i);
		rows[n++] = (struct ev){ keys[i], at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		if (k == 'm') {
			rows[n++] = (struct ev){ keys[i], at + 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
			rows[n++] = (struct ev){ keys[i], at + HOUR, EVENT_RESOLVED, "a@hd.example", NULL };
		} else
			rows[n++] = (struct ev){ keys[i], at + 1, EVENT_COMPLAINT, "system",
				k == 'e' ? "{\"cause\":\"error\",\"verified\":true}" :
				k == 'u' ? "{\"cause\":\"quality\",\"verified\":false}" :
				"{\"cause\":\"quality\",\"verified\":true}" };
		at += 6 * HOUR;
	}
	rows[n] = (struct ev)END;
	r = run(rows, cn(2027, 1, 31, 0, 0));
	ck_assert_int_eq(proposals(&r, "S9.c", "a@hd.example", &pct), s9_runs[_i].c_count);
	ck_assert_int_eq(pct, s9_runs[_i].c_pct);
	ck_assert_int_eq(proposals(&r, "S9.e", "a@hd.example", &pct), s9_runs[_i].e_count);
	ck_assert_int_eq(pct, s9_runs[_i].e_pct);
	for (i = 0; i < r.proposal_count; i++)
		if (strncmp(r.proposals[i].rule, "S9.", 3) == 0)
			ck_assert_int_eq(r.proposals[i].unit, SLA_UNIT_PCT_WAGE);
	sla_result_clear(&r);
}
END_TEST

/* S1 (seed 000 L13-L15, L29-L31): respond within 24 h, ship within 48 h
   (inclusive); a miss is a warning and a 50..500 yuan range, a month with
   every parts clock met a 100..1000 yuan reward range; one amount is no
   range. */
static const struct {
	const char *settings;
	int64_t reply, ship;       /* after the request; 0: never */
	int penalties, warnings, rewards;
	int amount_min, amount_max, pct;
} s1_cases[] = {
	{ "", 23 * HOUR, 47 * HOUR, 0, 0, 1, 100, 1000, 0 },
	{ "", 24 * HOUR, 48 * HOUR, 0, 0, 1, 100, 1000, 0 },          /* exactly: met */
	{ "", 24 * HOUR + 1, 47 * HOUR, 1, 1, 0, 50, 500, 0 },        /* 24:00:01 */
	{ "", 10 * HOUR, 48 * HOUR + 1, 1, 1, 0, 50, 500, 0 },
	{ "", 25 * HOUR, 0, 2, 2, 0, 50, 500, 0 },                    /* both missed */
	{ "penalty = 200\n", 25 * HOUR, 40 * HOUR, 1, 1, 0, 0, 0, 200 },
	{ "penalty = 100..300\n", 25 * HOUR, 40 * HOUR, 1, 1, 0, 100, 300, 0 },
	{ "reward = 150..150\n", HOUR, 2 * HOUR, 0, 0, 1, 0, 0, 150 },
};

START_TEST(s1_ranges)
{
	struct ev rows[8];
	const struct sla_proposal *p;
	struct sla_result r;
	char settings[256];
	size_t n = 0;

	snprintf(settings, sizeof(settings), "[policy]\npack = S1\n[pack S1]\n%s",
		 s1_cases[_i].settings);
	reload(settings);
	rows[n++] = (struct ev){ "P", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "P", 0, EVENT_STATUS, "system", "{\"status\":\"new\",\"type\":\"parts\"}" };
	rows[n++] = (struct ev){ "P", s1_cases[_i].reply, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	if (s1_cases[_i].ship != 0)
		rows[n++] = (struct ev){ "P", s1_cases[_i].ship, EVENT_STATUS, "a@hd.example",
					 "{\"shipped\":true}" };
	rows[n] = (struct ev)END;
	r = run(rows, 30 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S1.r", NULL, NULL) + proposals(&r, "S1.s", NULL, NULL),
			 s1_cases[_i].penalties);
	ck_assert_int_eq(warnings(&r, "S1.r", NULL) + warnings(&r, "S1.s", NULL),
			 s1_cases[_i].warnings);
	ck_assert_int_eq(proposals(&r, "S1.w", "a@hd.example", NULL), s1_cases[_i].rewards);
	p = s1_cases[_i].rewards ? proposal(&r, "S1.w", "a@hd.example") :
		proposal(&r, "S1.r", "a@hd.example") != NULL ? proposal(&r, "S1.r", "a@hd.example") :
		proposal(&r, "S1.s", "a@hd.example");
	ck_assert_int_eq(p != NULL, s1_cases[_i].rewards + s1_cases[_i].penalties > 0);
	if (p != NULL) {
		ck_assert_int_eq(p->unit, SLA_UNIT_YUAN);
		ck_assert_int_eq(p->reward, s1_cases[_i].rewards > 0);
		ck_assert_int_eq(p->amount_min, s1_cases[_i].amount_min);
		ck_assert_int_eq(p->amount_max, s1_cases[_i].amount_max);
		ck_assert_int_eq(p->pct, s1_cases[_i].pct);
		ck_assert(!p->fixed);
	}
	sla_result_clear(&r);
}
END_TEST

/* An approver's amount fixes a range proposal; a changed range is a changed
   basis, a changed amount alone (a later decision) is not. */
START_TEST(s1_fixed_amount)
{
	char attrs[1024], attrs2[1024], pticket[160];
	const char *key = "S1.r:a@hd.example:P";
	struct ev rows[8];
	const struct sla_proposal *p;
	struct sla_result r;
	size_t n = 0;

	reload("[policy]\npack = S1\n");
	snprintf(pticket, sizeof(pticket), "proposal:%s", key);
	snprintf(attrs, sizeof(attrs), "{\"record\":\"decision\",\"key\":\"%s\",\"state\":"
		 "\"approved\",\"by\":\"mgmt\",\"rule\":\"S1.r\",\"agent\":\"a@hd.example\","
		 "\"month\":\"2026-11\",\"unit\":\"yuan\",\"amount\":0,\"reason\":\"P\","
		 "\"amount_min\":50,\"amount_max\":500,\"fixed\":300}", key);
	snprintf(attrs2, sizeof(attrs2), "{\"record\":\"decision\",\"key\":\"%s\",\"state\":"
		 "\"executed\",\"by\":\"finance\",\"rule\":\"S1.r\",\"agent\":\"a@hd.example\","
		 "\"month\":\"2026-11\",\"unit\":\"yuan\",\"amount\":300,\"reason\":\"P\","
		 "\"amount_min\":50,\"amount_max\":500}", key);
	rows[n++] = (struct ev){ "P", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "P", 0, EVENT_STATUS, "system", "{\"status\":\"new\",\"type\":\"parts\"}" };
	rows[n++] = (struct ev){ "P", 30 * HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	rows[n++] = (struct ev){ "P", 31 * HOUR, EVENT_STATUS, "a@hd.example", "{\"shipped\":true}" };
	rows[n++] = (struct ev){ pticket, 50 * HOUR, EVENT_STATUS, "mgmt", attrs };
	rows[n] = (struct ev)END;
	r = run(rows, 30 * 24 * HOUR);
	p = sla_result_proposal(&r, key);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->state, "approved");
	ck_assert(p->fixed);
	ck_assert_int_eq(p->pct, 300);
	ck_assert(!p->basis_changed);
	sla_result_clear(&r);

	rows[n++] = (struct ev){ pticket, 60 * HOUR, EVENT_STATUS, "finance", attrs2 };
	rows[n] = (struct ev)END;
	r = run(rows, 30 * 24 * HOUR);
	p = sla_result_proposal(&r, key);
	ck_assert_str_eq(p->state, "executed");
	ck_assert_int_eq(p->pct, 300);
	ck_assert(!p->basis_changed);
	sla_result_clear(&r);

	/* the policy's range changes after the decision */
	conf->policy.s1_penalty_range[1] = 400;
	r = run(rows, 30 * 24 * HOUR);
	p = sla_result_proposal(&r, key);
	ck_assert(p->basis_changed);
	ck_assert_int_eq(p->pct, 300);
	sla_result_clear(&r);
}
END_TEST

/* T17.r (seed 002 L832): the month's top three get +5/+3/+1 points, ranked
   on T17 points, then first responses met; those equal on both share the
   place. Each letter of the script is an agent's ticket (a..d): lower case
   answered in time, upper case late; a '!' after a letter adds a verified
   attitude complaint on that ticket (T17: the first a warning, then -1). */
static const struct {
	const char *script;
	const char *top;           /* "agent:points ..." in a, b, c, d order */
} t17_top[] = {
	{ "aaabbc", "a:5 b:3 c:1" },                 /* by first responses met */
	{ "aabbc", "a:5 b:5 c:1" },                  /* a tie shares the place; next is 3rd */
	{ "aabbccd", "a:5 b:5 c:5" },                /* three firsts; d is 4th */
	{ "ab", "a:5 b:5" },                         /* fewer than three agents */
	{ "aaa!a!bc", "b:5 c:5 a:1" },               /* a lost a point: 29 < 30 */
	{ "aAbc", "a:5 b:5 c:5" },                   /* a miss is no point in T17 */
	{ "aaaabbbcc", "a:5 b:3 c:1" },
	{ "aaaabbbccd", "a:5 b:3 c:1" },
};

START_TEST(t17_top_three)
{
	static const char *const agents[] = { "a@hd.example", "b@hd.example", "c@hd.example",
					      "d@hd.example" };
	static char keys[32][24];
	struct ev rows[96];
	struct sla_result r;
	size_t n = 0, i, k;
	int got[4] = { 0, 0, 0, 0 }, want[4] = { 0, 0, 0, 0 };
	const char *s;
	int complaints = 0;

	reload("[policy]\npack = T17\n[team two]\nagents = c@hd.example, d@hd.example\n");
	for (i = 0; t17_top[_i].script[i] != '\0'; i++) {
		char ch = t17_top[_i].script[i];
		int who = (ch | 0x20) - 'a';
		int64_t at = (int64_t)i * 3 * HOUR;

		if (ch == '!')
			continue;
		snprintf(keys[i], sizeof(keys[i]), "T%zu", i);
		rows[n++] = (struct ev){ keys[i], at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], at + 1, EVENT_ASSIGN, "system", NULL };
		rows[n - 1].actor = agents[who];
		rows[n++] = (struct ev){ keys[i], at + (ch >= 'a' ? 10 : 40) * MIN, EVENT_AGENT_REPLY,
					 agents[who], NULL };
		if (t17_top[_i].script[i + 1] == '!') {
			rows[n++] = (struct ev){ keys[i], at + HOUR, EVENT_COMPLAINT, "system", NULL };
			rows[n - 1].attrs = "{\"cause\":\"attitude\",\"verified\":true}";
			complaints++;
		}
	}
	rows[n] = (struct ev)END;
	(void)complaints;
	r = run(rows, 30 * 24 * HOUR);
	for (s = t17_top[_i].top; *s != '\0'; s += strcspn(s, " "), s += *s == ' ') {
		k = (size_t)(s[0] - 'a');
		want[k] = atoi(s + 2);
	}
	for (i = 0; i < r.proposal_count; i++) {
		const struct sla_proposal *p = &r.proposals[i];

		if (strcmp(p->rule, "T17.r") != 0)
			continue;
		ck_assert(p->reward);
		ck_assert_int_eq(p->unit, SLA_UNIT_POINTS);
		ck_assert_str_eq(p->month, "2026-11");
		for (k = 0; k < 4; k++)
			if (strcmp(p->agent, agents[k]) == 0)
				got[k] += p->pct;
	}
	for (k = 0; k < 4; k++)
		ck_assert_msg(got[k] == want[k], "case %d agent %zu: %d points, want %d", _i, k,
			      got[k], want[k]);
	sla_result_clear(&r);
}
END_TEST

/* G20.y (seed 001 L818-L819): every month of the year at or above 90 (90
   counts) → full year-end bonus flag, any month below → reduced. A month's
   score is 100 less its % deductions; each row is the S14.2d deductions
   (by priority: low 5, normal 10, high 15, critical 20) of one month. */
static const struct {
	const char *settings;
	int month1, prio1, month2, prio2;   /* month 0: none */
	bool full;
	const char *reason;
} g20_year[] = {
	{ "", 0, 0, 0, 0, true, "every month of 2026 at or above 90 (lowest 100)" },
	{ "", 3, SEVERITY_NORMAL, 0, 0, true, "lowest 90" },        /* exactly 90 counts */
	{ "", 3, SEVERITY_HIGH, 0, 0, false, "2026-03 scored 85, below 90" },
	{ "", 3, SEVERITY_LOW, 3, SEVERITY_LOW, true, "lowest 90" },  /* two in one month: 90 */
	{ "", 3, SEVERITY_LOW, 4, SEVERITY_NORMAL, true, "lowest 90" },
	{ "", 12, SEVERITY_CRITICAL, 0, 0, false, "2026-12 scored 80" },
	{ "bonus_threshold = 85\n", 3, SEVERITY_HIGH, 0, 0, true, "at or above 85 (lowest 85)" },
	{ "bonus_threshold = 86\n", 3, SEVERITY_HIGH, 0, 0, false, "scored 85, below 86" },
};

START_TEST(g20_year_bonus)
{
	static const char *const prio[] = { "{\"priority\":\"low\"}", "{\"priority\":\"normal\"}",
					    "{\"priority\":\"high\"}", "{\"priority\":\"critical\"}" };
	struct ev rows[32];
	struct sla_result r;
	char settings[256];
	size_t n = 0, i, k;
	int months[2] = { g20_year[_i].month1, g20_year[_i].month2 };
	int prios[2] = { g20_year[_i].prio1, g20_year[_i].prio2 };
	static const char *const keys[] = { "Y1", "Y2" };

	snprintf(settings, sizeof(settings), "[policy]\npack = G20\n"
		 "stack_24h_72h = no\n[pack G20]\n%s", g20_year[_i].settings);
	reload(settings);
	/* a met ticket in January, so the agent is judged for 2026 */
	rows[n++] = (struct ev){ "J", cn(2026, 1, 5, 10, 0), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "J", cn(2026, 1, 5, 10, 5), EVENT_AGENT_REPLY, "a@hd.example", NULL };
	rows[n++] = (struct ev){ "J", cn(2026, 1, 5, 11, 0), EVENT_RESOLVED, "a@hd.example", NULL };
	for (k = 0; k < 2; k++) {
		if (months[k] == 0)
			continue;
		/* replied in time, the preliminary solution late (24 h), resolved in
		   time: one S14.2d by priority, booked to the month */
		rows[n++] = (struct ev){ keys[k], cn(2026, months[k], 10, 10, 0), EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[k], cn(2026, months[k], 10, 10, 0), EVENT_PRIORITY, "system", prio[prios[k]] };
		rows[n++] = (struct ev){ keys[k], cn(2026, months[k], 10, 10, 5), EVENT_AGENT_REPLY, "a@hd.example", NULL };
		rows[n++] = (struct ev){ keys[k], cn(2026, months[k], 11, 11, 0), EVENT_PRELIMINARY, "a@hd.example", NULL };
		rows[n++] = (struct ev){ keys[k], cn(2026, months[k], 11, 12, 0), EVENT_RESOLVED, "a@hd.example", NULL };
	}
	rows[n] = (struct ev)END;
	r = run(rows, cn(2027, 1, 10, 0, 0));
	ck_assert_int_eq(flags(&r, "G20.y", "a@hd.example", "bonus"), 1);
	for (i = 0; i < r.flag_count; i++)
		if (strcmp(r.flags[i].rule, "G20.y") == 0) {
			ck_assert_str_eq(r.flags[i].month, "2026-12");
			ck_assert_msg(strstr(r.flags[i].reason, g20_year[_i].reason) != NULL,
				      "%s", r.flags[i].reason);
			ck_assert_int_eq(strstr(r.flags[i].reason, "full") != NULL, g20_year[_i].full);
			ck_assert(strstr(r.flags[i].reason, "so far") == NULL);
		}
	sla_result_clear(&r);
	/* while the year runs, the flag says so */
	r = run(rows, cn(2026, 12, 20, 0, 0));
	for (i = 0; i < r.flag_count; i++)
		if (strcmp(r.flags[i].rule, "G20.y") == 0)
			ck_assert(strstr(r.flags[i].reason, "so far") != NULL);
	sla_result_clear(&r);
}
END_TEST

/* S15 (seed 000 L545): 三次以上 customer praises in a calendar year → a
   优秀个人 candidate flag, booked to the month of the praise that reached
   it; praise events on tickets and a lead's praise records both count. */
static const struct {
	const char *settings;
	int praises;               /* in 2026 */
	int next_year;             /* in 2027 */
	bool record;               /* the last one a lead's record */
	int flags_2026, flags_2027;
} s15_cases[] = {
	{ "", 2, 0, false, 0, 0 },
	{ "", 3, 0, false, 1, 0 },                  /* 以上: 3 counts */
	{ "", 5, 0, false, 1, 0 },                  /* once a year */
	{ "", 2, 1, false, 0, 0 },                  /* the year boundary */
	{ "", 3, 3, false, 1, 1 },
	{ "", 3, 0, true, 1, 0 },
	{ "praises = 4\n", 3, 0, false, 0, 0 },
	{ "praises = 1\n", 1, 0, false, 1, 0 },
};

START_TEST(s15_praise)
{
	static char keys[16][24];
	struct ev rows[64];
	struct sla_result r;
	char settings[256];
	size_t n = 0, i;
	int total = s15_cases[_i].praises + s15_cases[_i].next_year, got[2] = { 0, 0 };

	snprintf(settings, sizeof(settings), "[policy]\npack = S15\n[pack S15]\n%s",
		 s15_cases[_i].settings);
	reload(settings);
	for (i = 0; i < (size_t)total; i++) {
		int64_t at = i < (size_t)s15_cases[_i].praises ? cn(2026, 3 + (int)i, 2, 10, 0) :
			cn(2027, 1 + (int)i, 2, 10, 0);

		snprintf(keys[i], sizeof(keys[i]), "R%zu", i);
		if (s15_cases[_i].record && i + 1 == (size_t)total) {
			rows[n++] = (struct ev){ "agent:a@hd.example", at, EVENT_STATUS, "lead",
				"{\"record\":\"praise\",\"agent\":\"a@hd.example\",\"by\":\"lead\"}" };
			continue;
		}
		rows[n++] = (struct ev){ keys[i], at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], at + 5 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
		rows[n++] = (struct ev){ keys[i], at + HOUR, EVENT_PRAISE, "customer", NULL };
	}
	rows[n] = (struct ev)END;
	r = run(rows, cn(2028, 1, 1, 0, 0));
	for (i = 0; i < r.flag_count; i++)
		if (strcmp(r.flags[i].rule, "S15") == 0) {
			ck_assert_str_eq(r.flags[i].kind, "honour");
			ck_assert_str_eq(r.flags[i].agent, "a@hd.example");
			got[strncmp(r.flags[i].period, "2027", 4) == 0]++;
		}
	ck_assert_int_eq(got[0], s15_cases[_i].flags_2026);
	ck_assert_int_eq(got[1], s15_cases[_i].flags_2027);
	sla_result_clear(&r);
}
END_TEST

/* Team calendars drive what is booked to an agent: a team in New York has
   its months and quarters in its own zone, and appeal windows count its
   working days (a holiday, then a make-up Saturday). */
START_TEST(team_zone_months)
{
	static const struct {
		int64_t at;            /* the miss's deadline, UTC offset from T0 */
		const char *shanghai, *new_york;
	} edges[] = {
		/* 2026-12-01 03:00 UTC: Shanghai 11:00 1 Dec, New York 22:00 30 Nov */
		{ INT64_C(1796094000) - T0, "2026-12", "2026-11" },
		/* 2026-11-30 15:59 UTC: Shanghai 23:59 30 Nov, New York 10:59 30 Nov */
		{ INT64_C(1796054340) - T0, "2026-11", "2026-11" },
		/* 2026-11-30 16:00 UTC: Shanghai 00:00 1 Dec */
		{ INT64_C(1796054400) - T0, "2026-12", "2026-11" },
		/* 2026-12-01 04:59 UTC: New York 23:59 30 Nov */
		{ INT64_C(1796101140) - T0, "2026-12", "2026-11" },
		/* 2026-12-01 05:00 UTC: New York 00:00 1 Dec */
		{ INT64_C(1796101200) - T0, "2026-12", "2026-12" },
	};
	struct ev rows[8];
	struct sla_result r;
	size_t i, k, n;

	reload("[calendar ny]\ntimezone = America/New_York\n"
	       "[team two]\nagents = c@hd.example\ncalendar = ny\n");
	for (k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
		n = 0;
		/* a first response missed: due 30 min after the message */
		rows[n++] = (struct ev){ "S", edges[k].at - 30 * MIN, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ "S", edges[k].at - 30 * MIN + 1, EVENT_ASSIGN, "a@hd.example", NULL };
		rows[n++] = (struct ev){ "S", edges[k].at + HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL };
		rows[n++] = (struct ev){ "Y", edges[k].at - 30 * MIN, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ "Y", edges[k].at - 30 * MIN + 1, EVENT_ASSIGN, "c@hd.example", NULL };
		rows[n++] = (struct ev){ "Y", edges[k].at + HOUR, EVENT_AGENT_REPLY, "c@hd.example", NULL };
		rows[n] = (struct ev)END;
		r = run(rows, edges[k].at + 40 * 24 * HOUR);
		ck_assert_uint_eq(r.warning_count, 2);
		for (i = 0; i < r.warning_count; i++) {
			ck_assert_int_eq(r.warnings[i].at, T0 + edges[k].at);
			ck_assert_str_eq(r.warnings[i].month,
					 strcmp(r.warnings[i].agent, "c@hd.example") == 0 ?
					 edges[k].new_york : edges[k].shanghai);
		}
		sla_result_clear(&r);
	}

	/* a rating at 2026-10-01 02:00 UTC: Q4 in Shanghai, Q3 in New York */
	n = 0;
	rows[n++] = (struct ev){ "Q", INT64_C(1790820000) - T0 - HOUR, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "Q", INT64_C(1790820000) - T0 - HOUR + 1, EVENT_ASSIGN, "c@hd.example", NULL };
	rows[n++] = (struct ev){ "Q", INT64_C(1790820000) - T0, EVENT_SATISFACTION, "customer",
				 "{\"rating\":\"unsatisfied\"}" };
	rows[n] = (struct ev)END;
	r = run(rows, 60 * 24 * HOUR);
	ck_assert_ptr_nonnull(proposal(&r, "S14.3", "c@hd.example"));
	ck_assert_str_eq(proposal(&r, "S14.3", "c@hd.example")->period, "2026-Q3");
	ck_assert_str_eq(proposal(&r, "S14.3", "c@hd.example")->month, "2026-09");
	sla_result_clear(&r);
}
END_TEST

/* Appeal windows in working days of the charged agent's team calendar:
   notified Thursday 2026-10-08 10:00, the team's Monday and Tuesday
   (10-12, 10-13) holidays and Saturday 10-10 a make-up working day. */
static const struct {
	const char *calendar;
	int window;
	int64_t due;               /* Shanghai local offset, see cn() */
} appeal_cal[] = {
	/* Fri 9 (1), Sat 10 make-up (2), Wed 14 (3), Thu 15 (4), Fri 16 (5) */
	{ "holiday = 2026-10-12, 2026-10-13\nworkday = 2026-10-10\n", 5, 0 },
	/* without the make-up Saturday: Fri 9, Wed 14, Thu 15, Fri 16, Mon 19 */
	{ "holiday = 2026-10-12, 2026-10-13\n", 5, 1 },
	/* the plain week: Fri 9, Mon 12, Tue 13, Wed 14, Thu 15 */
	{ "", 5, 2 },
	/* 3 working days (S11, S12, S15): Fri 9, Sat 10, Wed 14 */
	{ "holiday = 2026-10-12, 2026-10-13\nworkday = 2026-10-10\n", 3, 3 },
	/* 1: the make-up Saturday is not needed, Friday is */
	{ "holiday = 2026-10-12, 2026-10-13\nworkday = 2026-10-10\n", 1, 4 },
	/* 2: it is */
	{ "holiday = 2026-10-12, 2026-10-13\nworkday = 2026-10-10\n", 2, 5 },
};

START_TEST(appeal_team_calendar)
{
	static const int days[][3] = {
		{ 10, 16, 10 }, { 10, 19, 10 }, { 10, 15, 10 }, { 10, 14, 10 }, { 10, 9, 10 },
		{ 10, 10, 10 },
	};
	char text[512], key[160], pticket[200], attrs[512];
	struct ev rows[4];
	const struct sla_proposal *p;
	struct sla_result r;
	int64_t noted = cn(2026, 10, 8, 10, 0), lead = cn(2026, 10, 8, 9, 0);
	size_t n = 0;
	int d = (int)appeal_cal[_i].due;

	snprintf(text, sizeof(text), "[calendar cn]\n%s[policy]\nappeal_window = %d\n"
		 "[team two]\nagents = c@hd.example\ncalendar = cn\n", appeal_cal[_i].calendar,
		 appeal_cal[_i].window);
	reload(text);
	snprintf(key, sizeof(key), "S14.6:c@hd.example:%lld", (long long)(T0 + lead));
	snprintf(pticket, sizeof(pticket), "proposal:%s", key);
	snprintf(attrs, sizeof(attrs), "{\"record\":\"notified\",\"key\":\"%s\"}", key);
	rows[n++] = (struct ev){ "agent:c@hd.example", lead, EVENT_STATUS, "lead",
				 "{\"record\":\"training_missed\",\"agent\":\"c@hd.example\"}" };
	rows[n++] = (struct ev){ pticket, noted, EVENT_STATUS, "lead", attrs };
	rows[n] = (struct ev)END;
	r = run(rows, cn(2026, 11, 30, 0, 0));
	p = sla_result_proposal(&r, key);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->notified_at, T0 + noted);
	ck_assert_int_eq(p->appeal_by, T0 + cn(2026, days[d][0], days[d][1], days[d][2], 0));
	sla_result_clear(&r);
}
END_TEST

/* S14.2p and S14.2r at their edges: inclusive targets, what stops the
   preliminary clock (a marked solution, the resolution, the first reply
   only when configured). */
static const struct {
	const char *settings;
	int64_t reply, preliminary, resolved;     /* 0: none */
	enum sla_state prelim, resolution;
} s14_2_edges[] = {
	{ "", 10 * MIN, 24 * HOUR, 30 * HOUR, SLA_MET, SLA_MET },
	{ "", 10 * MIN, 24 * HOUR + 1, 30 * HOUR, SLA_MISSED, SLA_MET },
	{ "", 10 * MIN, 0, 72 * HOUR, SLA_MISSED, SLA_MET },          /* a plain reply is none */
	{ "", 10 * MIN, 0, 72 * HOUR + 1, SLA_MISSED, SLA_MISSED },
	{ "", 10 * MIN, 0, 20 * HOUR, SLA_MET, SLA_MET },             /* solved: had its solution */
	{ "first_reply_preliminary = yes\n", 10 * MIN, 0, 72 * HOUR, SLA_MET, SLA_MET },
	{ "first_reply_preliminary = yes\n", 24 * HOUR + 1, 0, 30 * HOUR, SLA_MISSED, SLA_MET },
	{ "preliminary = 12h\nresolution = 48h\n", 10 * MIN, 12 * HOUR + 1, 48 * HOUR,
	  SLA_MISSED, SLA_MET },
};

START_TEST(s14_2_boundaries)
{
	const struct sla_ticket *t;
	struct ev rows[8];
	struct sla_result r;
	char settings[256];
	size_t n = 0;

	snprintf(settings, sizeof(settings), "[policy]\n%s", s14_2_edges[_i].settings);
	reload(settings);
	rows[n++] = (struct ev){ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "T", s14_2_edges[_i].reply, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	if (s14_2_edges[_i].preliminary != 0)
		rows[n++] = (struct ev){ "T", s14_2_edges[_i].preliminary, EVENT_PRELIMINARY,
					 "a@hd.example", NULL };
	rows[n++] = (struct ev){ "T", s14_2_edges[_i].resolved, EVENT_RESOLVED, "a@hd.example", NULL };
	rows[n] = (struct ev)END;
	r = run(rows, 10 * 24 * HOUR);
	t = ticket(&r, "T");
	ck_assert_int_eq(t->clocks[SLA_PRELIMINARY].state, s14_2_edges[_i].prelim);
	ck_assert_int_eq(t->clocks[SLA_RESOLUTION].state, s14_2_edges[_i].resolution);
	/* each miss is an S14.2d proposal (normal: 10%), booked to its owner */
	ck_assert_int_eq(proposals(&r, "S14.2d", "a@hd.example", NULL),
			 (s14_2_edges[_i].prelim == SLA_MISSED) +
			 (s14_2_edges[_i].resolution == SLA_MISSED));
	sla_result_clear(&r);
}
END_TEST

/* S9.t (seed 000 L319): resolution time saved against the 72 h target,
   over a month of met resolutions: ≥10% (≤ 64.8 h) → 5% of the wage, ≥20%
   (≤ 57.6 h) → 10%, ≥30% (≤ 50.4 h) → 15%; a month with a miss earns
   nothing. */
static const struct {
	int64_t resolved, second;  /* a second ticket's resolution; 0: none */
	int reward;
} s9_speed[] = {
	{ 64 * HOUR + 48 * MIN, 0, 5 },            /* exactly 10% */
	{ 64 * HOUR + 48 * MIN + 1, 0, 0 },
	{ 57 * HOUR + 36 * MIN, 0, 10 },
	{ 57 * HOUR + 36 * MIN + 1, 0, 5 },
	{ 50 * HOUR + 24 * MIN, 0, 15 },
	{ HOUR, 0, 15 },
	{ HOUR, 73 * HOUR, 0 },                    /* a miss in the month */
	{ 36 * HOUR, 72 * HOUR, 10 },              /* pooled: 36 of 144 h saved, 25% */
};

START_TEST(s9_speed_reward)
{
	struct ev rows[16];
	struct sla_result r;
	size_t n = 0;
	int pct;

	reload("[policy]\npack = S9\n");
	rows[n++] = (struct ev){ "A", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "A", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	rows[n++] = (struct ev){ "A", s9_speed[_i].resolved, EVENT_RESOLVED, "a@hd.example", NULL };
	if (s9_speed[_i].second != 0) {
		rows[n++] = (struct ev){ "B", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ "B", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
		rows[n++] = (struct ev){ "B", s9_speed[_i].second, EVENT_RESOLVED, "a@hd.example", NULL };
	}
	rows[n] = (struct ev)END;
	r = run(rows, 20 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S9.t", "a@hd.example", &pct), s9_speed[_i].reward > 0);
	ck_assert_int_eq(pct, s9_speed[_i].reward);
	if (s9_speed[_i].reward > 0) {
		ck_assert(proposal(&r, "S9.t", "a@hd.example")->reward);
		ck_assert_int_eq(proposal(&r, "S9.t", "a@hd.example")->unit, SLA_UNIT_PCT_WAGE);
	}
	sla_result_clear(&r);
}
END_TEST

/* Rewards, deductions and flags go to people only. Each row's tickets,
   once owned (assigned to a@ at the start) and once owned by nobody (no
   assignment, no reply, no default agent): the owned earn the rule's
   proposal or flag, the unowned nobody's. */
enum nobody_case {
	NOBODY_FAST, NOBODY_RATED, NOBODY_SILENT3, NOBODY_LATE, NOBODY_COMPLAINT,
	NOBODY_COMPLAINT2, NOBODY_W1_LATE, NOBODY_G20,
};

static const struct {
	const char *packs;
	enum nobody_case what;
	const char *rule;
	const char *flag_kind;     /* NULL: a proposal */
} nobody[] = {
	{ "S9", NOBODY_FAST, "S9.t", NULL },          /* resolved in 1 h: +15% wage */
	{ "S9", NOBODY_RATED, "S9.s", NULL },         /* 10/10 satisfied */
	{ "S14", NOBODY_SILENT3, "S14.1s", NULL },    /* three first responses missed */
	{ "S14", NOBODY_LATE, "S14.2d", NULL },
	{ "S14", NOBODY_COMPLAINT, "S14.4", NULL },
	{ "S14", NOBODY_COMPLAINT, "S14.4", "training" },
	{ "T17", NOBODY_COMPLAINT2, "T17", NULL },
	{ "W1", NOBODY_W1_LATE, "W1.t", "kpi" },
	{ "G20", NOBODY_G20, "G20", "downgrade" },
};

START_TEST(nobody_earns_nothing)
{
	static const char *const keys[] = { "N1", "N2", "N3" };
	const size_t row = (size_t)_i / 2;
	const bool owned = _i % 2 == 0;
	char packs[64];
	struct ev rows[64];
	struct sla_result r;
	size_t n = 0, i, k, tickets = 1;
	int got;

	snprintf(packs, sizeof(packs), "[policy]\npack = %s\n", nobody[row].packs);
	reload_team(packs, false);
	switch (nobody[row].what) {
	case NOBODY_SILENT3: case NOBODY_COMPLAINT2: case NOBODY_G20:
		tickets = nobody[row].what == NOBODY_SILENT3 ? 3 : 2;
		break;
	default:
		break;
	}
	for (k = 0; k < tickets; k++) {
		/* G20: one in October, one in November */
		int64_t at = nobody[row].what == NOBODY_G20 ?
			(k == 0 ? cn(2026, 10, 5, 10, 0) : cn(2026, 11, 5, 10, 0)) :
			nobody[row].what == NOBODY_W1_LATE ? cn(2026, 11, 6, 10, 0) :
			(int64_t)k * HOUR;

		rows[n++] = (struct ev){ keys[k], at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		if (owned)
			rows[n++] = (struct ev){ keys[k], at, EVENT_ASSIGN, "root",
						 "{\"owner\":\"a@hd.example\"}" };
		switch (nobody[row].what) {
		case NOBODY_FAST:
			rows[n++] = (struct ev){ keys[k], at + HOUR, EVENT_RESOLVED, "root", NULL };
			break;
		case NOBODY_RATED:
			for (i = 0; i < 10; i++)
				rows[n++] = (struct ev){ keys[k], at + HOUR + (int64_t)i,
							 EVENT_SATISFACTION, "customer",
							 "{\"rating\":\"satisfied\"}" };
			break;
		case NOBODY_LATE: case NOBODY_G20:
			rows[n++] = (struct ev){ keys[k], at, EVENT_PRIORITY, "system",
						 "{\"priority\":\"critical\"}" };
			break;
		case NOBODY_COMPLAINT: case NOBODY_COMPLAINT2:
			rows[n++] = (struct ev){ keys[k], at + 1, EVENT_COMPLAINT, "system",
						 "{\"cause\":\"attitude\",\"verified\":true}" };
			break;
		case NOBODY_SILENT3: case NOBODY_W1_LATE:
			break;
		}
	}
	rows[n] = (struct ev)END;
	r = run(rows, 60 * 24 * HOUR);
	got = nobody[row].flag_kind != NULL ?
		flags(&r, nobody[row].rule, owned ? "a@hd.example" : NULL, nobody[row].flag_kind) :
		proposals(&r, nobody[row].rule, owned ? "a@hd.example" : NULL, NULL);
	if (owned)
		ck_assert_msg(got > 0, "%s: nothing for the owner", nobody[row].rule);
	else
		ck_assert_msg(got == 0, "%s: %d for nobody", nobody[row].rule, got);
	for (i = 0; i < r.proposal_count; i++)
		ck_assert_msg(r.proposals[i].agent[0] != '\0', "%s proposed for nobody",
			      r.proposals[i].rule);
	for (i = 0; i < r.flag_count; i++)
		ck_assert_msg(r.flags[i].agent[0] != '\0', "%s flagged for nobody",
			      r.flags[i].rule);
	/* the clocks stay, charged to nobody, for the tallies' "(unassigned)" */
	if (!owned)
		ck_assert_str_eq(ticket(&r, "N1")->clocks[SLA_FIRST_RESPONSE].agent, "");
	sla_result_clear(&r);
}
END_TEST

/* W1 (seeds 003/004) KPIs per agent and month: 及时率 below 90% (W1.t),
   满意度 below 85% (W1.sat), 抱怨率 not below 3% (W1.c); exactly the target
   is no flag. TICKETS tickets, LATE of them answered after a working day,
   COMPLAINTS verified complaints, SATISFIED of RATED ratings. */
static const struct {
	int tickets, late, complaints, rated, satisfied;
	bool t, s, c;
} w1_kpis[] = {
	/* a late ticket misses both its clocks (answer, solution) */
	{ 20, 1, 0, 0, 0, false, false, false },   /* 38/40 clocks met: 95% */
	{ 10, 1, 0, 0, 0, false, false, false },   /* 18/20 = 90%: not below */
	{ 5, 1, 0, 0, 0, true, false, false },     /* 8/10 */
	{ 20, 0, 0, 20, 17, false, false, false }, /* 85% exactly */
	{ 20, 0, 0, 20, 16, false, true, false },  /* 80% */
	{ 34, 0, 1, 0, 0, false, false, false },   /* 1/34 = 2.9% */
	{ 33, 0, 1, 0, 0, false, false, true },    /* 1/33 = 3.03% */
	{ 10, 0, 0, 0, 0, false, false, false },   /* no complaint: no rate */
};

START_TEST(w1_kpi_edges)
{
	static char keys[40][24];
	struct ev rows[256];
	struct sla_result r;
	size_t n = 0, i;

	reload("[policy]\npack = W1\n");
	for (i = 0; i < (size_t)w1_kpis[_i].tickets; i++) {
		/* Monday to Friday of the week of T0, two hours apart */
		int64_t at = (int64_t)(i % 5) * 24 * HOUR + (int64_t)(i / 5) * 10 * MIN;
		bool late = i < (size_t)w1_kpis[_i].late;

		snprintf(keys[i], sizeof(keys[i]), "W%zu", i);
		rows[n++] = (struct ev){ keys[i], at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], at + (late ? 30 * 24 * HOUR : 5 * MIN),
					 EVENT_AGENT_REPLY, "a@hd.example", NULL };
		rows[n++] = (struct ev){ keys[i], at + (late ? 30 * 24 * HOUR : 2 * HOUR),
					 EVENT_RESOLVED, "a@hd.example", NULL };
		if (i < (size_t)w1_kpis[_i].complaints)
			rows[n++] = (struct ev){ keys[i], at + 3 * HOUR, EVENT_COMPLAINT, "system",
						 "{\"cause\":\"quality\",\"verified\":true}" };
		if (i < (size_t)w1_kpis[_i].rated)
			rows[n++] = (struct ev){ keys[i], at + 3 * HOUR, EVENT_SATISFACTION, "customer",
				i < (size_t)w1_kpis[_i].satisfied ? "{\"rating\":\"satisfied\"}" :
				"{\"rating\":\"unsatisfied\"}" };
	}
	rows[n] = (struct ev)END;
	r = run(rows, 60 * 24 * HOUR);
	ck_assert_int_eq(flags(&r, "W1.t", "a@hd.example", "kpi"), w1_kpis[_i].t);
	ck_assert_int_eq(flags(&r, "W1.sat", "a@hd.example", "kpi"), w1_kpis[_i].s);
	ck_assert_int_eq(flags(&r, "W1.c", "a@hd.example", "kpi"), w1_kpis[_i].c);
	sla_result_clear(&r);
}
END_TEST

/* S14.6: a lead's record of a missed training proposes -5% of the month
   of the record (in the agent's team's zone); each record its own. */
static const struct {
	const char *settings;
	int64_t at;                /* Shanghai offsets (cn) */
	const char *attrs;
	int count, pct;
	const char *month;
} s14_6_edges[] = {
	{ "", 0, "{\"record\":\"training_missed\",\"agent\":\"b@hd.example\"}", 1, 5, "2026-11" },
	{ "", 1, "{\"record\":\"training_missed\",\"agent\":\"b@hd.example\"}", 1, 5, "2026-12" },
	{ "", 0, "{\"record\":\"training_missed\"}", 0, 0, NULL },          /* nobody named */
	{ "", 0, "{\"record\":\"training\",\"agent\":\"b@hd.example\"}", 0, 0, NULL },
	{ "training_deduction = 3%\n", 0,
	  "{\"record\":\"training_missed\",\"agent\":\"b@hd.example\"}", 1, 3, "2026-11" },
	/* New York: 2026-11-30 23:59:59 Shanghai is still November 30 there */
	{ "[calendar ny]\ntimezone = America/New_York\n[team two]\nagents = c@hd.example\n"
	  "calendar = ny\n", 1,
	  "{\"record\":\"training_missed\",\"agent\":\"c@hd.example\"}", 1, 5, "2026-11" },
};

START_TEST(s14_6_edges_table)
{
	struct ev rows[4];
	struct sla_result r;
	char settings[512];
	const char *agent = strstr(s14_6_edges[_i].attrs, "c@hd") != NULL ? "c@hd.example" :
		"b@hd.example";
	int64_t at = cn(2026, 11, 30, 23, 59) + 59 + s14_6_edges[_i].at;
	int pct;

	snprintf(settings, sizeof(settings), "%s%s",
		 strncmp(s14_6_edges[_i].settings, "[calendar", 9) == 0 ? "" : "[policy]\n",
		 s14_6_edges[_i].settings);
	reload(settings);
	rows[0] = (struct ev){ "agent:x", at, EVENT_STATUS, "lead", s14_6_edges[_i].attrs };
	rows[1] = (struct ev)END;
	r = run(rows, 60 * 24 * HOUR);
	ck_assert_int_eq(proposals(&r, "S14.6", agent, &pct), s14_6_edges[_i].count);
	ck_assert_int_eq(pct, s14_6_edges[_i].pct);
	if (s14_6_edges[_i].count > 0) {
		ck_assert_str_eq(proposal(&r, "S14.6", agent)->month, s14_6_edges[_i].month);
		ck_assert_int_eq(proposal(&r, "S14.6", agent)->unit, SLA_UNIT_PCT_MONTH);
	}
	ck_assert_uint_eq(r.ticket_count, 0);
	sla_result_clear(&r);
}
END_TEST

/* Reminders: due when warn_at% of the target has been counted; never a
   warning. */
static const struct {
	const char *settings;
	int64_t fr, pre, res;      /* remind_at of the three clocks after the start */
} reminders[] = {
	{ "", 24 * MIN, 24 * HOUR * 80 / 100, 72 * HOUR * 80 / 100 },
	{ "warn_at = 50%\n", 15 * MIN, 12 * HOUR, 36 * HOUR },
	{ "warn_at = 1%\n", 18, 864, 2592 },
	{ "warn_at = 99%\n", 1782, 85536, 256608 },
	{ "warn_at = 80%\nfirst_response = 10m\n", 8 * MIN, 24 * HOUR * 80 / 100,
	  72 * HOUR * 80 / 100 },
};

START_TEST(reminder_points)
{
	struct ev rows[4];
	const struct sla_ticket *t;
	struct sla_result r;
	char settings[256];

	snprintf(settings, sizeof(settings), "[policy]\n%s", reminders[_i].settings);
	reload(settings);
	rows[0] = (struct ev){ "T", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[1] = (struct ev)END;
	/* nothing answered, all three pending past their reminders */
	r = run(rows, 23 * HOUR);
	t = ticket(&r, "T");
	ck_assert_int_eq(t->clocks[SLA_FIRST_RESPONSE].remind_at, T0 + reminders[_i].fr);
	ck_assert_int_eq(t->clocks[SLA_PRELIMINARY].remind_at, T0 + reminders[_i].pre);
	ck_assert_int_eq(t->clocks[SLA_RESOLUTION].remind_at, T0 + reminders[_i].res);
	/* the first response is missed: one warning, not one per reminder */
	ck_assert_uint_eq(r.warning_count, 1);
	sla_result_clear(&r);
}
END_TEST

/* G16 (seed 001): reply deadlines by severity, 一般 24 h (low, normal),
   较大 48 h (high), 重大 24 h (critical), inclusive; a miss escalates one
   level up. */
static const struct {
	const char *priority;
	int64_t preliminary;
	const char *level;         /* NULL: met, no flag */
} g16_cases[] = {
	{ "low", 24 * HOUR, NULL },
	{ "low", 24 * HOUR + 1, "一般" },
	{ "normal", 24 * HOUR + 1, "一般" },
	{ "high", 48 * HOUR, NULL },
	{ "high", 48 * HOUR + 1, "较大" },
	{ "critical", 24 * HOUR, NULL },
	{ "critical", 24 * HOUR + 1, "重大" },
};

START_TEST(g16_levels)
{
	static const char *const up[] = { "department head", "emergency group", "general manager" };
	char prio[64];
	struct ev rows[8];
	struct sla_result r;
	size_t n = 0;

	reload("[policy]\npack = G16\n");
	snprintf(prio, sizeof(prio), "{\"priority\":\"%s\"}", g16_cases[_i].priority);
	rows[n++] = (struct ev){ "G", 0, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[n++] = (struct ev){ "G", 0, EVENT_PRIORITY, "system", prio };
	rows[n++] = (struct ev){ "G", 10 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	rows[n++] = (struct ev){ "G", g16_cases[_i].preliminary, EVENT_PRELIMINARY, "a@hd.example", NULL };
	rows[n] = (struct ev)END;
	r = run(rows, 10 * 24 * HOUR);
	ck_assert_int_eq(flags(&r, "G16", "a@hd.example", "escalate"), g16_cases[_i].level != NULL);
	if (g16_cases[_i].level != NULL) {
		int lv = strcmp(g16_cases[_i].level, "一般") == 0 ? 0 :
			strcmp(g16_cases[_i].level, "较大") == 0 ? 1 : 2;

		ck_assert_ptr_nonnull(strstr(r.flags[0].reason, g16_cases[_i].level));
		ck_assert_ptr_nonnull(strstr(r.flags[0].reason, up[lv]));
	}
	sla_result_clear(&r);
}
END_TEST

/* G20 downgrade (seed 001 L810): months (default 2) in a row with a score
   below 90; exactly 90 is not below. Each row: the month's S14.2d
   deductions as priorities, one ticket each, for September to November. */
static const struct {
	const char *settings;
	const char *months[3];     /* per month Sep, Oct, Nov: letters l n h c */
	int flags;
} g20_down[] = {
	{ "", { "", "hh", "hh" }, 1 },             /* 70, 70 */
	{ "", { "", "", "hh" }, 0 },               /* one month only */
	{ "", { "", "n", "hh" }, 0 },              /* October exactly 90 */
	{ "", { "l", "ll", "ll" }, 0 },            /* 95, 90, 90: never below */
	{ "", { "hh", "", "hh" }, 0 },             /* not in a row */
	{ "", { "hh", "hh", "hh" }, 2 },           /* Oct and Nov each end a run */
	{ "months = 3\n", { "", "hh", "hh" }, 0 },
	{ "months = 3\n", { "hh", "hh", "hh" }, 1 },
	{ "threshold = 71\n", { "", "hh", "hh" }, 1 },
	{ "threshold = 70\n", { "", "hh", "hh" }, 0 },
};

START_TEST(g20_downgrade)
{
	static const char *const prio[] = { "{\"priority\":\"low\"}", "{\"priority\":\"normal\"}",
					    "{\"priority\":\"high\"}", "{\"priority\":\"critical\"}" };
	static char keys[16][24];
	struct ev rows[64];
	struct sla_result r;
	char settings[256];
	size_t n = 0, m, i, k = 0;

	snprintf(settings, sizeof(settings), "[policy]\npack = G20\nstack_24h_72h = no\n"
		 "[pack G20]\n%s", g20_down[_i].settings);
	reload(settings);
	for (m = 0; m < 3; m++)
		for (i = 0; g20_down[_i].months[m][i] != '\0'; i++, k++) {
			char c = g20_down[_i].months[m][i];
			int64_t at = cn(2026, 9 + (int)m, 5 + (int)i, 10, 0);

			snprintf(keys[k], sizeof(keys[k]), "D%zu", k);
			rows[n++] = (struct ev){ keys[k], at, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
			rows[n++] = (struct ev){ keys[k], at, EVENT_PRIORITY, "system",
				prio[c == 'l' ? 0 : c == 'n' ? 1 : c == 'h' ? 2 : 3] };
			rows[n++] = (struct ev){ keys[k], at + 5 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL };
			/* the preliminary solution late, the resolution in time */
			rows[n++] = (struct ev){ keys[k], at + 25 * HOUR, EVENT_PRELIMINARY, "a@hd.example", NULL };
			rows[n++] = (struct ev){ keys[k], at + 26 * HOUR, EVENT_RESOLVED, "a@hd.example", NULL };
		}
	rows[n] = (struct ev)END;
	r = run(rows, cn(2026, 12, 20, 0, 0));
	ck_assert_int_eq(flags(&r, "G20", "a@hd.example", "downgrade"), g20_down[_i].flags);
	sla_result_clear(&r);
}
END_TEST

/* T17 (seed 002 L806-L832): 30 points a month; the first verified
   attitude complaint a warning, each later -1; below 25 → -10% of the
   month's bonus, below 20 → -30%, below 15 → -100% (a score equal to a
   band's bound is not below it). */
static const struct {
	int complaints;
	int points_lost, band_pct;   /* band_pct 0: no T17.b */
} t17_bands[] = {
	{ 1, 0, 0 },
	{ 6, 5, 0 },                 /* 25: not below 25 */
	{ 7, 6, 10 },                /* 24 */
	{ 11, 10, 10 },              /* 20: not below 20 */
	{ 12, 11, 30 },              /* 19 */
	{ 16, 15, 30 },              /* 15: not below 15 */
	{ 17, 16, 100 },             /* 14 */
};

START_TEST(t17_band_edges)
{
	static char keys[20][24];
	struct ev rows[64];
	struct sla_result r;
	size_t n = 0, i;
	int pct;

	reload("[policy]\npack = T17\n");
	for (i = 0; i < (size_t)t17_bands[_i].complaints; i++) {
		snprintf(keys[i], sizeof(keys[i]), "C%zu", i);
		rows[n++] = (struct ev){ keys[i], (int64_t)i * HOUR, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
		rows[n++] = (struct ev){ keys[i], (int64_t)i * HOUR + 1, EVENT_COMPLAINT, "system",
					 "{\"cause\":\"attitude\",\"verified\":true}" };
	}
	rows[n] = (struct ev)END;
	r = run(rows, 20 * 24 * HOUR);
	ck_assert_int_eq(warnings(&r, "T17", "a@hd.example"), 1);
	ck_assert_int_eq(proposals(&r, "T17", "a@hd.example", &pct), t17_bands[_i].points_lost);
	ck_assert_int_eq(pct, t17_bands[_i].points_lost);
	ck_assert_int_eq(proposals(&r, "T17.b", "a@hd.example", &pct), t17_bands[_i].band_pct > 0);
	ck_assert_int_eq(pct, t17_bands[_i].band_pct);
	if (t17_bands[_i].band_pct > 0)
		ck_assert_int_eq(proposal(&r, "T17.b", "a@hd.example")->unit, SLA_UNIT_PCT_BONUS);
	sla_result_clear(&r);
}
END_TEST

/* W1 clocks (seeds 003/004): answered within 1 working day, solved within
   3, inclusive, on the ticket's calendar (Mon-Fri by default). */
static const struct {
	int64_t start, reply, solved;    /* Shanghai offsets (cn) */
	enum sla_state answer, solution;
} w1_clocks[] = {
	/* Friday 10:00: due Monday 10:00 and Wednesday 10:00 */
	{ 0, 0, 0, SLA_MET, SLA_MET },
	{ 0, 1, 0, SLA_MISSED, SLA_MET },
	{ 0, 0, 1, SLA_MET, SLA_MISSED },
	/* Saturday: counting starts Monday 00:00, due end of Monday */
	{ 2, 3, 0, SLA_MET, SLA_MET },
	{ 2, 4, 0, SLA_MISSED, SLA_MET },
};

START_TEST(w1_clock_edges)
{
	int64_t fri = cn(2026, 11, 6, 10, 0), mon = cn(2026, 11, 9, 10, 0);
	int64_t wed = cn(2026, 11, 11, 10, 0), sat = cn(2026, 11, 7, 15, 0);
	int64_t mon_end = cn(2026, 11, 10, 0, 0);
	int64_t start = w1_clocks[_i].start == 2 ? sat : fri;
	int64_t reply = w1_clocks[_i].start == 2 ?
		(w1_clocks[_i].reply == 3 ? mon_end : mon_end + 1) : mon + w1_clocks[_i].reply;
	int64_t solved = w1_clocks[_i].start == 2 ? mon_end : wed + w1_clocks[_i].solved;
	struct ev rows[4];
	struct sla_result r;
	size_t i;

	reload("[policy]\npack = W1\n");
	rows[0] = (struct ev){ "W", start, EVENT_CUSTOMER_MESSAGE, NULL, NULL };
	rows[1] = (struct ev){ "W", reply, EVENT_AGENT_REPLY, "a@hd.example", NULL };
	rows[2] = (struct ev){ "W", solved, EVENT_RESOLVED, "a@hd.example", NULL };
	rows[3] = (struct ev)END;
	r = run(rows, 30 * 24 * HOUR);
	for (i = 0; i < r.pack_clock_count; i++) {
		if (strcmp(r.pack_clocks[i].rule, "W1.a") == 0)
			ck_assert_int_eq(r.pack_clocks[i].clock.state, w1_clocks[_i].answer);
		if (strcmp(r.pack_clocks[i].rule, "W1.s") == 0)
			ck_assert_int_eq(r.pack_clocks[i].clock.state, w1_clocks[_i].solution);
	}
	ck_assert_uint_eq(r.pack_clock_count, 2);
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
	tcase_add_loop_test(tc, s9_ladder_runs, 0, sizeof(s9_runs) / sizeof(s9_runs[0]));
	tcase_add_loop_test(tc, s1_ranges, 0, sizeof(s1_cases) / sizeof(s1_cases[0]));
	tcase_add_test(tc, s1_fixed_amount);
	tcase_add_loop_test(tc, t17_top_three, 0, sizeof(t17_top) / sizeof(t17_top[0]));
	tcase_add_loop_test(tc, g20_year_bonus, 0, sizeof(g20_year) / sizeof(g20_year[0]));
	tcase_add_loop_test(tc, s15_praise, 0, sizeof(s15_cases) / sizeof(s15_cases[0]));
	tcase_add_test(tc, team_zone_months);
	tcase_add_loop_test(tc, g16_levels, 0, sizeof(g16_cases) / sizeof(g16_cases[0]));
	tcase_add_loop_test(tc, g20_downgrade, 0, sizeof(g20_down) / sizeof(g20_down[0]));
	tcase_add_loop_test(tc, t17_band_edges, 0, sizeof(t17_bands) / sizeof(t17_bands[0]));
	tcase_add_loop_test(tc, w1_clock_edges, 0, sizeof(w1_clocks) / sizeof(w1_clocks[0]));
	tcase_add_loop_test(tc, s14_6_edges_table, 0, sizeof(s14_6_edges) / sizeof(s14_6_edges[0]));
	tcase_add_loop_test(tc, reminder_points, 0, sizeof(reminders) / sizeof(reminders[0]));
	tcase_add_loop_test(tc, s14_2_boundaries, 0, sizeof(s14_2_edges) / sizeof(s14_2_edges[0]));
	tcase_add_loop_test(tc, s9_speed_reward, 0, sizeof(s9_speed) / sizeof(s9_speed[0]));
	tcase_add_loop_test(tc, nobody_earns_nothing, 0, 2 * (int)(sizeof(nobody) / sizeof(nobody[0])));
	tcase_add_loop_test(tc, w1_kpi_edges, 0, sizeof(w1_kpis) / sizeof(w1_kpis[0]));
	tcase_add_loop_test(tc, appeal_team_calendar, 0,
			    sizeof(appeal_cal) / sizeof(appeal_cal[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(sla_suite());
}
