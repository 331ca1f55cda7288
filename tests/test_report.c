/* The tally and the policy commands: periods, filters, units kept apart,
 * and decisions recorded through a real store (cmd_policy). */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cmd_policy.h"
#include "conf.h"
#include "report.h"
#include "sla.h"
#include "store.h"
#include "testutil.h"
#include "testutil_store.h"

/* 2026-11-02 10:00:00 Asia/Shanghai, a Monday */
#define T0 INT64_C(1793584800)
#define MIN 60
#define HOUR 3600

static struct conf *conf;
static struct calendar *cal;

static void
load(const char *extra)
{
	const char *error;
	char *errors = NULL, *text = NULL;

	calendar_free(&cal);
	conf_free(&conf);
	ck_assert_int_ge(asprintf(&text, "%s[team one]\nagents = a@hd.example\n"
				  "default_agent = a@hd.example\n[team two]\n"
				  "agents = b@hd.example\n", extra), 0);
	ck_assert_msg(conf_load_buffer("test.conf", text, strlen(text), &conf, &errors) == 0,
		      "%s", errors);
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
	free(text);
}

static void
setup(void)
{
	load("[policy]\npack = S9\n");
}

static void
teardown(void)
{
	calendar_free(&cal);
	conf_free(&conf);
}

struct ev {
	const char *ticket;
	int64_t at;
	enum event_kind kind;
	const char *actor;
	const char *attrs;
};

/* a@ misses three first responses in November (S14.1s), a high ticket's
   resolution (S14.2d) and has a verified attitude complaint (S14.4, and
   S9.c in wage) and one unsatisfied rating (S14.3 in the quarter's score);
   b@ of team two meets everything in December. */
static const struct ev rows[] = {
	{ "T1", 0, EVENT_CUSTOMER_MESSAGE, "customer", NULL },
	{ "T1", 0, EVENT_PRIORITY, "system", "{\"priority\":\"high\"}" },
	{ "T1", 45 * MIN, EVENT_AGENT_REPLY, "a@hd.example", NULL },
	{ "T1", HOUR, EVENT_COMPLAINT, "system", "{\"cause\":\"attitude\",\"verified\":true}" },
	{ "T1", HOUR, EVENT_SATISFACTION, "customer", "{\"rating\":\"unsatisfied\"}" },
	{ "T1", 80 * HOUR, EVENT_RESOLVED, "a@hd.example", NULL },
	{ "T2", 2 * HOUR, EVENT_CUSTOMER_MESSAGE, "customer", NULL },
	{ "T2", 3 * HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL },
	{ "T2", 4 * HOUR, EVENT_RESOLVED, "a@hd.example", NULL },
	{ "T3", 5 * HOUR, EVENT_CUSTOMER_MESSAGE, "customer", NULL },
	{ "T3", 6 * HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL },
	{ "T3", 7 * HOUR, EVENT_RESOLVED, "a@hd.example", NULL },
	{ "U1", 30 * 24 * HOUR, EVENT_CUSTOMER_MESSAGE, "customer", NULL },
	{ "U1", 30 * 24 * HOUR + MIN, EVENT_AGENT_REPLY, "b@hd.example", NULL },
	{ "U1", 30 * 24 * HOUR + HOUR, EVENT_RESOLVED, "b@hd.example", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

/* ROWS (up to the NULL ticket) as events from T0, each with its ticket
   for external id. */
static void
fill_rows(const struct ev *rows_in, struct event *evs, size_t *n_r)
{
	size_t n;

	for (n = 0; rows_in[n].ticket != NULL; n++) {
		memset(&evs[n], 0, sizeof(evs[n]));
		evs[n].source = "test";
		evs[n].external_id = rows_in[n].ticket;
		evs[n].ticket = rows_in[n].ticket;
		evs[n].time = T0 + rows_in[n].at;
		evs[n].kind = rows_in[n].kind;
		evs[n].actor = rows_in[n].actor;
		evs[n].attrs = rows_in[n].attrs;
	}
	*n_r = n;
}

static void
fill(struct event *evs, size_t *n_r)
{
	fill_rows(rows, evs, n_r);
}

static struct sla_result
evaluate(void)
{
	struct event evs[32];
	struct sla_result r;
	const char *error;
	size_t n;

	fill(evs, &n);
	ck_assert_int_eq(sla_evaluate_events(conf, cal, evs, n, T0 + 90 * 24 * HOUR, &r,
					     &error), 0);
	return r;
}

static char *
render(const struct sla_result *r, const char *period, const char *agent,
       const char *team, enum report_format format)
{
	struct report_opts opts = { .period = period, .agent = agent, .team = team,
				    .format = format };
	const char *error = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_msg(report_render_opts(conf, cal, r, &opts, f, &error) == 0, "%s", error);
	fclose(f);
	return buf;
}

START_TEST(period_contains)
{
	ck_assert(report_period_has_month("2026-11", "2026-11"));
	ck_assert(!report_period_has_month("2026-11", "2026-10"));
	ck_assert(report_period_has_month("2026-Q4", "2026-10"));
	ck_assert(report_period_has_month("2026-Q4", "2026-12"));
	ck_assert(!report_period_has_month("2026-Q4", "2026-09"));
	ck_assert(report_period_has_month("2026-Q1", "2026-03"));
	ck_assert(!report_period_has_month("2026-Q1", "2026-04"));
	ck_assert(report_period_has_month("2026", "2026-01"));
	ck_assert(!report_period_has_month("2026", "2027-01"));
}
END_TEST

/* Units never mixed: each has its own total, in text, CSV and JSON. */
START_TEST(units_apart)
{
	struct sla_result r = evaluate();
	json_t *root, *totals, *agents;
	char *json, *text, *csv;

	json = render(&r, "2026-Q4", NULL, NULL, REPORT_JSON);
	root = json_loads(json, 0, NULL);
	ck_assert_ptr_nonnull(root);
	totals = json_object_get(root, "deduction_totals");
	/* S14.1s 10 + S14.2d 15 + 5 (24 h and 72 h, capped at 20) + S14.4 5 */
	ck_assert_int_eq(json_integer_value(json_object_get(totals, "pct_month_score")), 35);
	/* S14.3 for a@ and for team one */
	ck_assert_int_eq(json_integer_value(json_object_get(totals, "pct_quarter_score")), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(totals, "pct_wage")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(totals, "yuan")), 0);
	agents = json_object_get(root, "agents");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(agents, 0), "agent")),
			 "a@hd.example");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(agents, 0),
							    "total_deduction_pct")), 35);
	json_decref(root);

	text = render(&r, "2026-11", NULL, NULL, REPORT_TEXT);
	ck_assert_ptr_nonnull(strstr(text, "deductions -35 % of the month's score"));
	ck_assert_ptr_nonnull(strstr(text, "deductions -5 % of the month's wage"));
	/* S14.3 is booked to the quarter's last month, not to November */
	ck_assert_ptr_null(strstr(text, "% of the quarter's score\n"));
	ck_assert_ptr_nonnull(strstr(text, "S14.4 "));
	ck_assert_ptr_nonnull(strstr(text, "S9.c "));
	free(text);
	text = render(&r, "2026-12", NULL, NULL, REPORT_TEXT);
	ck_assert_ptr_nonnull(strstr(text, "deductions -10 % of the quarter's score"));
	free(text);

	csv = render(&r, "2026-11", NULL, NULL, REPORT_CSV);
	ck_assert_ptr_nonnull(strstr(csv, "a@hd.example,one,3,0,3,"));
	/* other 5 (S14.4), quarter 0 in November, wage 5 */
	ck_assert_ptr_nonnull(strstr(csv, ",35,5,0,5,0,0,0,0,1,0,1,"));
	free(csv);
	free(json);
	sla_result_clear(&r);
}
END_TEST

/* --agent and --team keep only theirs; a year holds every month. */
START_TEST(filters_and_periods)
{
	struct sla_result r = evaluate();
	char *csv;

	csv = render(&r, "2026", NULL, "two", REPORT_CSV);
	ck_assert_ptr_null(strstr(csv, "a@hd.example"));
	ck_assert_ptr_nonnull(strstr(csv, "b@hd.example,two,1,1,0,"));
	free(csv);
	csv = render(&r, "2026-Q4", "a@hd.example", NULL, REPORT_CSV);
	ck_assert_ptr_null(strstr(csv, "b@hd.example"));
	ck_assert_ptr_nonnull(strstr(csv, "a@hd.example"));
	free(csv);
	csv = render(&r, "2026-11", NULL, NULL, REPORT_CSV);
	ck_assert_ptr_null(strstr(csv, "b@hd.example"));
	free(csv);
	csv = render(&r, "2026-12", NULL, NULL, REPORT_CSV);
	ck_assert_ptr_nonnull(strstr(csv, "b@hd.example"));
	free(csv);
	sla_result_clear(&r);
}
END_TEST

/* The digest's entry point still gives the month's rows. */
START_TEST(rows_for_digest)
{
	struct sla_result r = evaluate();
	struct report_row *tally;
	const char *error;
	size_t n;

	ck_assert_int_eq(report_rows(conf, cal, &r, "2026-11", &tally, &n, &error), 0);
	ck_assert_uint_eq(n, 1);	/* the team's S14.3 row is in December */
	ck_assert_str_eq(tally[0].agent, "a@hd.example");
	ck_assert_int_eq(tally[0].missed[SLA_FIRST_RESPONSE], 3);
	ck_assert_int_eq(tally[0].warnings, 3);
	ck_assert_int_eq(report_row_total(conf, &tally[0]), 35);
	free(tally);
	ck_assert_int_eq(report_rows(conf, cal, &r, "2026-13", &tally, &n, &error), -1);
	sla_result_clear(&r);
}
END_TEST

/* Decisions through a real store: the state moves, is an event, survives
   recompute; a changed policy flags the basis; appeals count working days. */
START_TEST(decisions_in_store)
{
	char *dir = testutil_tmpdir(), *out = NULL;
	struct store *store = testutil_store_open(dir, "s.db");
	struct event evs[32];
	struct sla_result r;
	const struct sla_proposal *p;
	const char *error = NULL;
	int64_t count0, count1, now = T0 + 40 * 24 * HOUR;
	size_t n, len = 0;
	FILE *f;

	fill(evs, &n);
	testutil_store_put(store, evs, n, NULL);
	ck_assert_int_eq(store_event_count(store, &count0, &error), 0);
	f = open_memstream(&out, &len);
	ck_assert_int_eq(cmd_policy_decide(conf, cal, store, "S14.1s:a@hd.example", "executed",
					   "hr", NULL, now, f, &error), -1);
	ck_assert_msg(cmd_policy_decide(conf, cal, store, "S14.1s:a@hd.example", "reviewed",
					"hr.li", "looked at it", now, f, &error) == 0, "%s", error);
	ck_assert_msg(cmd_policy_decide(conf, cal, store, "S14.1s:a@hd.example", "approved",
					"boss", NULL, now + 1, f, &error) == 0, "%s", error);
	ck_assert_int_eq(cmd_policy_decide(conf, cal, store, "S14.1s:a@hd.example", "reviewed",
					   "hr", NULL, now + 2, f, &error), -1);
	ck_assert_int_eq(cmd_policy_decide(conf, cal, store, "S14", "approved", "hr", NULL,
					   now + 2, f, &error), -1);	/* ambiguous */
	ck_assert_int_eq(cmd_policy_decide(conf, cal, store, "nothing", "approved", "hr", NULL,
					   now + 2, f, &error), -1);
	ck_assert_int_eq(cmd_policy_decide(conf, cal, store, "S14.1s:a@hd.example", "approved",
					   NULL, NULL, now + 2, f, &error), -1);	/* no --by */
	ck_assert_int_eq(cmd_policy_mark(conf, cal, store, "S14.1s:a@hd.example", "appeal",
					 "a", NULL, now + 3, f, &error), -1);	/* not notified */
	ck_assert_msg(cmd_policy_mark(conf, cal, store, "S14.1s:a@hd.example", "notified",
				      "lead", NULL, now + 3, f, &error) == 0, "%s", error);
	ck_assert_msg(cmd_policy_training_missed(conf, cal, store, "b@hd.example", "lead",
						 "first aid", now + 4, f, &error) == 0, "%s", error);
	ck_assert_int_eq(cmd_policy_training_missed(conf, cal, store, "x@else.example", "lead",
						    NULL, now + 4, f, &error), -1);
	/* recorded as events: reviewed, approved, notified, training */
	ck_assert_int_eq(store_event_count(store, &count1, &error), 0);
	ck_assert_int_eq(count1, count0 + 4);

	ck_assert_int_eq(sla_evaluate(conf, cal, store, now + 10, &r, &error), 0);
	p = sla_result_proposal(&r, "S14.1s:a@hd.example:T3");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->state, "approved");
	ck_assert_str_eq(p->decided_by, "boss");
	ck_assert(!p->basis_changed);
	ck_assert_int_eq(p->notified_at, now + 3);
	ck_assert_int_eq(p->appeal_by, calendar_add_working_days(cal, now + 3, 5));
	ck_assert_ptr_nonnull(sla_result_proposal(&r, "S14.6:b@hd.example:1797040804"));
	sla_result_clear(&r);

	/* a policy change, then recompute: kept, and flagged */
	conf->policy.streak_deduction_pct = 20;
	ck_assert_int_eq(cmd_policy_recompute(conf, cal, store, now + 20, f, &error), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "basis changed: S14.1s S14.1s:a@hd.example:T3 (approved by boss)"));
	ck_assert_ptr_nonnull(strstr(out, "-> approved by boss"));
	free(out);
	store_close(&store);
	testutil_rmtree(dir);
	free(dir);
}
END_TEST

/* S1 ranges through a real store: approve --amount is validated to the
   range; reports keep unfixed ranges apart from fixed yuan. */
static const struct ev parts_rows[] = {
	{ "P1", 0, EVENT_CUSTOMER_MESSAGE, "customer", NULL },
	{ "P1", 0, EVENT_STATUS, "system", "{\"status\":\"new\",\"type\":\"parts\"}" },
	{ "P1", 30 * HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL },
	{ "P1", 31 * HOUR, EVENT_STATUS, "a@hd.example", "{\"shipped\":true}" },
	{ "P2", HOUR, EVENT_CUSTOMER_MESSAGE, "customer", NULL },
	{ "P2", HOUR, EVENT_STATUS, "system", "{\"status\":\"new\",\"type\":\"parts\"}" },
	{ "P2", 40 * HOUR, EVENT_AGENT_REPLY, "a@hd.example", NULL },
	{ "P2", 41 * HOUR, EVENT_STATUS, "a@hd.example", "{\"shipped\":true}" },
	{ NULL, 0, 0, NULL, NULL },
};

START_TEST(s1_amount_in_store)
{
	static const struct {
		const char *decision;
		int amount;
		bool ok;
		const char *error;
	} steps[] = {
		{ "approved", -1, false, "approve it with --amount N" },
		{ "approved", 49, false, "outside the proposal's range 50..500" },
		{ "approved", 501, false, "outside the proposal's range 50..500" },
		{ "reviewed", 100, false, "on approve only" },
		{ "reviewed", -1, true, NULL },
		{ "approved", 500, true, NULL },       /* the top of the range */
		{ "executed", -1, true, NULL },        /* fixed: no amount needed */
	};
	char *dir = testutil_tmpdir(), *out = NULL, *text;
	struct store *store = testutil_store_open(dir, "s.db");
	struct event evs[16];
	struct sla_result r;
	const struct sla_proposal *p;
	const char *error = NULL;
	int64_t now = T0 + 10 * 24 * HOUR;
	size_t n, i, len = 0;
	FILE *f;

	load("[policy]\npack = S1\n");
	fill_rows(parts_rows, evs, &n);
	testutil_store_put(store, evs, n, "x");
	f = open_memstream(&out, &len);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int ret = cmd_policy_decide_amount(conf, cal, store, "S1.r:a@hd.example:P1",
						   steps[i].decision, "mgmt", NULL, steps[i].amount,
						   now + (int64_t)i, f, &error);

		ck_assert_msg((ret == 0) == steps[i].ok, "step %zu: %s", i, ret < 0 ? error : "ok");
		if (!steps[i].ok)
			ck_assert_msg(strstr(error, steps[i].error) != NULL, "step %zu: %s", i, error);
	}
	/* a proposal without a range takes no amount (the fixed S1 penalty) */
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "-> approved by mgmt"));
	ck_assert_ptr_nonnull(strstr(out, "-500 yuan"));
	free(out);

	ck_assert_int_eq(sla_evaluate(conf, cal, store, now + 100, &r, &error), 0);
	p = sla_result_proposal(&r, "S1.r:a@hd.example:P1");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->state, "executed");
	ck_assert(p->fixed);
	ck_assert_int_eq(p->pct, 500);
	ck_assert(!p->basis_changed);
	/* P2's miss is still a range: summed apart from P1's fixed 500 */
	text = render(&r, "2026-11", NULL, NULL, REPORT_TEXT);
	ck_assert_ptr_nonnull(strstr(text, "-50..500 yuan (range, not fixed)"));
	ck_assert_ptr_nonnull(strstr(text, "deductions -500 yuan\n"));
	ck_assert_ptr_nonnull(strstr(text, "deductions -50..500 yuan in 1 range(s) not fixed yet"));
	free(text);
	text = render(&r, "2026-11", NULL, NULL, REPORT_JSON);
	{
		json_error_t jerr;
		json_t *root = json_loads(text, 0, &jerr), *rt;

		ck_assert_ptr_nonnull(root);
		ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root,
			"deduction_totals"), "yuan")), 500);
		rt = json_object_get(json_object_get(root, "range_totals"), "deductions");
		ck_assert_int_eq(json_integer_value(json_object_get(rt, "min")), 50);
		ck_assert_int_eq(json_integer_value(json_object_get(rt, "max")), 500);
		json_decref(root);
	}
	free(text);
	/* the CSV counts fixed yuan only */
	text = render(&r, "2026-11", NULL, NULL, REPORT_CSV);
	ck_assert_ptr_nonnull(strstr(text, ",500,0,0,"));
	free(text);
	sla_result_clear(&r);

	load("[policy]\npack = S1\n[pack S1]\npenalty = 80\n");
	f = open_memstream(&out, &len);
	ck_assert_int_eq(cmd_policy_decide_amount(conf, cal, store, "S1.r:a@hd.example:P2",
						  "approved", "mgmt", NULL, 80, now + 50, f,
						  &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "a fixed amount, not a range"));
	fclose(f);
	free(out);
	store_close(&store);
	testutil_rmtree(dir);
	free(dir);
}
END_TEST

/* The G20 weekly report: an ISO week, things counted by when they
   happened; proposals stay with their months. */
START_TEST(week_report)
{
	struct sla_result r;
	char *text;

	load("[policy]\npack = S9, G20\n");
	r = evaluate();
	text = render(&r, "2026-W45", NULL, NULL, REPORT_TEXT);
	ck_assert_ptr_nonnull(strstr(text, "G20.w: week 2026-W45, weekly summary and plan due "
				     "before the end of work on Saturday 2026-11-07"));
	ck_assert_ptr_nonnull(strstr(text, "S14.1w"));
	ck_assert_ptr_null(strstr(text, "S14.1s "));     /* a month's proposal */
	ck_assert_ptr_null(strstr(text, "G20.m"));
	free(text);
	/* the week after holds nothing of a@'s; U1 of b@ is in W49 */
	text = render(&r, "2026-W46", NULL, NULL, REPORT_TEXT);
	ck_assert_ptr_null(strstr(text, "a@hd.example "));
	free(text);
	text = render(&r, "2026-W49", NULL, NULL, REPORT_CSV);
	ck_assert_ptr_nonnull(strstr(text, "b@hd.example,two,1,1,0"));
	free(text);
	text = render(&r, "2026-11", NULL, NULL, REPORT_TEXT);
	ck_assert_ptr_nonnull(strstr(text, "G20.m: results to HR before 2026-12-05"));
	free(text);
	sla_result_clear(&r);
}
END_TEST

/* The year's report shows G20.y, the year-end bonus flag, per agent. */
START_TEST(year_report_bonus)
{
	struct sla_result r;
	char *text;

	load("[policy]\npack = G20\n");
	r = evaluate();
	text = render(&r, "2026", NULL, NULL, REPORT_TEXT);
	/* a@: November scored 100 - 10 (S14.1s) - 20 (S14.2d, 24 h and 72 h
	   capped) - 5 (S14.4); the quarter's S14.3 is another unit */
	ck_assert_msg(strstr(text, "G20.y   a@hd.example                 bonus     "
			     "2026-11 scored 65, below 90: reduced year-end bonus") != NULL, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "G20.y   b@hd.example                 bonus     "
				     "every month of 2026 at or above 90 (lowest 100)"));
	free(text);
	/* booked to December: not in November's report */
	text = render(&r, "2026-11", NULL, NULL, REPORT_TEXT);
	ck_assert_ptr_null(strstr(text, "G20.y"));
	free(text);
	text = render(&r, "2026-12", NULL, NULL, REPORT_JSON);
	ck_assert_ptr_nonnull(strstr(text, "\"rule\": \"G20.y\""));
	free(text);
	sla_result_clear(&r);
}
END_TEST

/* explain: the timeline, each clock with start, reminder, deadline, stop,
   result and the rule that charged it, the complaints and the proposals. */
START_TEST(explain_ticket)
{
	char *dir = testutil_tmpdir(), *out = NULL;
	struct store *store = testutil_store_open(dir, "s.db");
	struct event evs[32];
	const char *error = NULL;
	size_t n, len = 0;
	FILE *f;

	fill(evs, &n);
	testutil_store_put(store, evs, n, "e");
	f = open_memstream(&out, &len);
	ck_assert_int_eq(cmd_policy_explain(conf, cal, store, "T1", T0 + 40 * 24 * HOUR, f,
					    &error), 0);
	ck_assert_int_eq(cmd_policy_explain(conf, cal, store, "T404", T0 + 40 * 24 * HOUR, f,
					    &error), 1);
	fclose(f);
	/* the timeline, in local time */
	ck_assert_msg(strstr(out, "2026-11-02 10:45:00  agent_reply") != NULL, "%s", out);
	/* S14.1: 10:00 + 30 min, reminder at 80% (10:24), replied 10:45: missed */
	ck_assert_ptr_nonnull(strstr(out, "  S14.1   first_response\n"
				     "          start 2026-11-02 10:00:00  target 1800s  "
				     "reminder 2026-11-02 10:24:00\n"));
	ck_assert_ptr_nonnull(strstr(out, "deadline 2026-11-02 10:30:00  stopped "
				     "2026-11-02 10:45:00 by agent_reply"));
	ck_assert_ptr_nonnull(strstr(out, "result MISSED, charged to a@hd.example by S14.1w"));
	/* 72 h resolution missed at 80 h, priority high */
	ck_assert_ptr_nonnull(strstr(out, "priority high"));
	ck_assert_ptr_nonnull(strstr(out, "  S14.2r  resolution"));
	ck_assert_ptr_nonnull(strstr(out, "charged to a@hd.example by S14.2d (by severity)"));
	ck_assert_ptr_nonnull(strstr(out, "complaints\n  attitude verified about a@hd.example"));
	ck_assert_ptr_nonnull(strstr(out, "  S14.2d a@hd.example -15 pct_month_score  proposed"));
	ck_assert_ptr_nonnull(strstr(out, "  S9.c a@hd.example -5 pct_wage  proposed"));
	free(out);
	store_close(&store);
	testutil_rmtree(dir);
	free(dir);
}
END_TEST

static char *
render_to_text(const struct sla_result *r, const struct report_opts *opts)
{
	char *text = NULL;
	size_t len = 0;
	const char *error = NULL;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_msg(report_render_opts(conf, cal, r, opts, f, &error) == 0, "%s", error);
	fclose(f);
	return text;
}

/* 1 and the text when the kept tallies serve OPTS under STAMP, else 0. */
static int
cached_text(struct store *store, const char *stamp, const struct report_opts *opts,
	    char **text_r)
{
	size_t len = 0;
	FILE *f = open_memstream(text_r, &len);
	int ret;

	ck_assert_ptr_nonnull(f);
	ret = report_cache_render(conf, cal, store, stamp, opts, f);
	fclose(f);
	return ret;
}

/* The kept tallies give the CSV a full evaluation gives, for months,
   quarters, years and filters; new events, or a clock coming due in the
   period, make the caller evaluate again. */
START_TEST(cached_tallies)
{
	static const struct {
		const char *period, *agent, *team;
	} cases[] = {
		{ "2026-11", NULL, NULL }, { "2026-12", NULL, NULL }, { "2026-Q4", NULL, NULL },
		{ "2026", NULL, NULL }, { "2026-11", "a@hd.example", NULL },
		{ "2026-Q4", NULL, "two" }, { "2027-01", NULL, NULL }, { "2026-10", NULL, NULL },
	};
	char *dir = testutil_tmpdir(), *a = NULL, *b = NULL;
	struct store *store = testutil_store_open(dir, "c.db");
	struct event evs[32], open_ev;
	struct sla_result r;
	const char *error = NULL;
	char stamp[128], stamp2[128];
	int64_t now = T0 + 90 * 24 * HOUR;
	size_t n, i;

	fill(evs, &n);
	testutil_store_put(store, evs, n, "e");
	ck_assert_int_eq(report_cache_stamp(conf, store, stamp, sizeof(stamp)), 0);
	{
		struct report_opts o = { .period = "2026-11", .format = REPORT_CSV, .now = now };

		ck_assert_int_eq(cached_text(store, stamp, &o, &a), 0);	/* nothing kept yet */
		free(a);
	}
	ck_assert_int_eq(sla_evaluate(conf, cal, store, now, &r, &error), 0);
	report_cache_update(conf, cal, store, &r, stamp, now);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report_opts o = { .period = cases[i].period, .agent = cases[i].agent,
					 .team = cases[i].team, .format = REPORT_CSV,
					 .now = now + 3600 };

		ck_assert_int_eq(cached_text(store, stamp, &o, &a), 1);
		b = render_to_text(&r, &o);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
		o.format = REPORT_TEXT;		/* only the CSV is kept */
		ck_assert_int_eq(cached_text(store, stamp, &o, &a), 0);
		free(a);
	}
	{
		/* a week is counted by when things happened, not from the months */
		struct report_opts o = { .period = "2026-W46", .format = REPORT_CSV,
					 .now = now + 3600 };

		ck_assert_int_eq(cached_text(store, stamp, &o, &a), 0);
		free(a);
	}
	sla_result_clear(&r);

	/* a new, still open ticket in January: the stamp moves */
	memset(&open_ev, 0, sizeof(open_ev));
	open_ev = (struct event){ 0, "test", "open1", "V1", T0 + 62 * 24 * HOUR, "customer",
		EVENT_CUSTOMER_MESSAGE, NULL };
	ck_assert_int_eq(store_event_insert(store, &open_ev, NULL, &error), 0);
	ck_assert_int_eq(report_cache_stamp(conf, store, stamp2, sizeof(stamp2)), 0);
	ck_assert_str_ne(stamp, stamp2);
	{
		struct report_opts o = { .period = "2026-11", .format = REPORT_CSV, .now = now };

		ck_assert_int_eq(cached_text(store, stamp2, &o, &a), 0);
		free(a);
	}
	/* kept while V1's first response runs: past its deadline, January is
	   evaluated again, November still served and still right */
	now = open_ev.time + 60;
	ck_assert_int_eq(sla_evaluate(conf, cal, store, now, &r, &error), 0);
	report_cache_update(conf, cal, store, &r, stamp2, now);
	sla_result_clear(&r);
	{
		struct report_opts o = { .period = "2027-01", .format = REPORT_CSV, .now = now + 1 };

		ck_assert_int_eq(cached_text(store, stamp2, &o, &a), 1);
		free(a);
		o.now = open_ev.time + 31 * MIN;
		ck_assert_int_eq(cached_text(store, stamp2, &o, &a), 0);
		free(a);
		o.period = "2026-11";
		ck_assert_int_eq(cached_text(store, stamp2, &o, &a), 1);
		ck_assert_int_eq(sla_evaluate(conf, cal, store, o.now, &r, &error), 0);
		b = render_to_text(&r, &o);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
		sla_result_clear(&r);
	}
	store_close(&store);
	testutil_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, period_contains);
	tcase_add_test(tc, units_apart);
	tcase_add_test(tc, filters_and_periods);
	tcase_add_test(tc, rows_for_digest);
	tcase_add_test(tc, decisions_in_store);
	tcase_add_test(tc, s1_amount_in_store);
	tcase_add_test(tc, week_report);
	tcase_add_test(tc, year_report_bonus);
	tcase_add_test(tc, explain_ticket);
	tcase_add_test(tc, cached_tallies);
	suite_add_tcase(s, tc);
	return s;
}


int
main(void)
{
	return testutil_run(report_suite());
}
