/* The incremental engine (sla_engine) against a full evaluation of the
 * same store at the same time: random events stored in random batches,
 * out of time order, with time moving on between them; after every
 * batch, and after a quiet while, the engine's result must equal
 * sla_evaluate()'s field for field. One row per configuration. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "conf.h"
#include "sla.h"
#include "store.h"
#include "testutil.h"

/* 2026-11-02 10:00:00 Asia/Shanghai */
#define T0 INT64_C(1793584800)
#define HOUR 3600

static const char *const configs[] = {
	"",
	"[policy]\npause_statuses = pending\n",
	"[calendar]\nhours = Mon-Fri 08:30-17:30\n[policy]\npause_statuses = pending\n",
	"[policy]\npack = S14, S4, S9, S1, G16, W1\n",
	"[policy]\npack = G20, T17\nstreak_reset_month_end = yes\n",
	"[policy]\nreopen_restarts = no\nstreak_reset_after_fire = no\n",
	"[policy]\npack = S14, S15\n[pack S15]\npraises = 2\n",
};
#define CONFIGS (sizeof(configs) / sizeof(configs[0]))
#define SEEDS 4

static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

struct gen {
	struct event ev;
	char ticket[32], ext[32];
};

static void
gen_events(uint32_t *seed, struct gen *g, size_t *n_r, size_t max)
{
	static const char *const agents[] = { "a@hd.example", "b@hd.example", "c@hd.example" };
	static const struct {
		enum event_kind kind;
		const char *attrs;
	} kinds[] = {
		{ EVENT_AGENT_REPLY, NULL }, { EVENT_AGENT_REPLY, NULL },
		{ EVENT_AGENT_NOTE, NULL }, { EVENT_AUTO_REPLY, NULL },
		{ EVENT_PRELIMINARY, NULL }, { EVENT_RESOLVED, NULL },
		{ EVENT_CUSTOMER_MESSAGE, NULL },
		{ EVENT_STATUS, "{\"status\":\"pending\"}" },
		{ EVENT_STATUS, "{\"status\":\"open\"}" },
		{ EVENT_STATUS, "{\"status\":\"solved\"}" },
		{ EVENT_STATUS, "{\"status\":\"reopened\"}" },
		{ EVENT_STATUS, "{\"helpdesk_status\":\"shipped\"}" },
		{ EVENT_ASSIGN, NULL },
		{ EVENT_PRIORITY, "{\"priority\":\"high\"}" },
		{ EVENT_PRIORITY, "{\"priority\":\"critical\"}" },
		{ EVENT_FEEDBACK, "{}" },
		{ EVENT_FEEDBACK, "{\"handled\":true}" },
		{ EVENT_COMPLAINT, "{\"cause\":\"attitude\",\"verified\":true}" },
		{ EVENT_COMPLAINT, "{\"cause\":\"error\",\"verified\":true}" },
		{ EVENT_SATISFACTION, "{\"rating\":\"satisfied\"}" },
		{ EVENT_SATISFACTION, "{\"rating\":\"unsatisfied\"}" },
		{ EVENT_STATUS, "{\"type\":\"parts\"}" },
		{ EVENT_PRAISE, "{}" },
		{ EVENT_PRAISE, "{\"agent\":\"b@hd.example\"}" },
	};
	size_t n = 0, t, i, tickets = 6 + lcg(seed) % 10;

	for (t = 0; t < tickets && n < max; t++) {
		int64_t at = T0 + (int64_t)(lcg(seed) % (20 * 24 * HOUR));
		size_t count = 1 + lcg(seed) % 9;

		for (i = 0; i < count && n < max; i++, n++) {
			struct gen *e = &g[n];
			size_t k = i == 0 ? 6 : lcg(seed) % (sizeof(kinds) / sizeof(kinds[0]));

			snprintf(e->ticket, sizeof(e->ticket), "T%02zu", t);
			snprintf(e->ext, sizeof(e->ext), "e%zu", n);
			e->ev.source = "test";
			e->ev.external_id = e->ext;
			e->ev.ticket = e->ticket;
			e->ev.time = at;
			e->ev.kind = kinds[k].kind;
			e->ev.actor = kinds[k].kind == EVENT_CUSTOMER_MESSAGE ? "customer" :
				agents[lcg(seed) % 3];
			e->ev.attrs = kinds[k].attrs;
			if (kinds[k].kind == EVENT_ASSIGN)
				e->ev.attrs = lcg(seed) % 2 ? "{\"owner\":\"c@hd.example\"}" :
					"{\"owner\":\"b@hd.example\"}";
			at += (int64_t)(lcg(seed) % (30 * HOUR));
		}
	}
	/* records: a missed training, a decision on a streak */
	if (n + 2 <= max) {
		struct gen *e = &g[n++];

		snprintf(e->ticket, sizeof(e->ticket), "agent:b@hd.example");
		snprintf(e->ext, sizeof(e->ext), "r%zu", n);
		e->ev = (struct event){ 0, "test", e->ext, e->ticket,
			T0 + (int64_t)(lcg(seed) % (20 * 24 * HOUR)), "lead", EVENT_STATUS,
			"{\"record\":\"training_missed\",\"agent\":\"b@hd.example\",\"by\":\"lead\"}" };
		e = &g[n++];
		snprintf(e->ticket, sizeof(e->ticket), "proposal:S14.1s:a");
		snprintf(e->ext, sizeof(e->ext), "r%zu", n);
		e->ev = (struct event){ 0, "test", e->ext, e->ticket,
			T0 + (int64_t)(lcg(seed) % (20 * 24 * HOUR)), "boss", EVENT_STATUS,
			"{\"record\":\"decision\",\"key\":\"S14.1s:a@hd.example:T03\","
			"\"state\":\"approved\",\"by\":\"boss\",\"amount\":10}" };
	}
	*n_r = n;
	/* stored in an order of their own, not by time: late mail, replays */
	for (i = n; i > 1; i--) {
		size_t j = lcg(seed) % i;
		struct gen tmp = g[i - 1];

		g[i - 1] = g[j];
		g[j] = tmp;
	}
	for (i = 0; i < n; i++) {
		g[i].ev.ticket = g[i].ticket;
		g[i].ev.external_id = g[i].ext;
	}
}

static void
clock_eq(const struct sla_clock *x, const struct sla_clock *y, const char *what)
{
	int i;

	ck_assert_msg(x->state == y->state && x->deadline == y->deadline &&
		      x->stopped_at == y->stopped_at && x->started_at == y->started_at &&
		      x->target_secs == y->target_secs && x->remind_at == y->remind_at &&
		      x->paused == y->paused && x->pause_count == y->pause_count &&
		      x->reopen_count == y->reopen_count,
		      "%s: state %d/%d deadline %lld/%lld stopped %lld/%lld paused %d/%d",
		      what, x->state, y->state, (long long)x->deadline, (long long)y->deadline,
		      (long long)x->stopped_at, (long long)y->stopped_at, x->paused, y->paused);
	ck_assert_msg(strcmp(x->agent, y->agent) == 0, "%s: agent %s/%s", what, x->agent, y->agent);
	ck_assert_msg(strcmp(x->stop, y->stop) == 0, "%s: stop %s/%s", what, x->stop, y->stop);
	for (i = 0; i < x->pause_count && i < SLA_PAUSES_MAX; i++)
		ck_assert_msg(x->pauses[i].from == y->pauses[i].from &&
			      x->pauses[i].to == y->pauses[i].to, "%s: pause %d", what, i);
}

/* A ticket the engine without inert tickets leaves out. */
static bool
all_pending(const struct sla_ticket *t)
{
	int m;

	for (m = 0; m < SLA_MILESTONE_COUNT; m++)
		if (t->clocks[m].state != SLA_PENDING)
			return false;
	return true;
}

/* E (the engine's) equals F (the full evaluation's); with SKIP_INERT,
   F's all-pending tickets may be missing from E. */
static void
results_eq(const struct sla_result *e, const struct sla_result *f, bool skip_inert,
	   const char *where)
{
	char what[160];
	size_t i, j = 0;
	int m;

	for (i = 0; i < f->ticket_count; i++) {
		const struct sla_ticket *ft = &f->tickets[i], *et;

		if (j >= e->ticket_count || strcmp(e->tickets[j].ticket, ft->ticket) != 0) {
			ck_assert_msg(skip_inert && all_pending(ft), "%s: ticket %s missing",
				      where, ft->ticket);
			continue;
		}
		et = &e->tickets[j++];
		snprintf(what, sizeof(what), "%s ticket %s", where, ft->ticket);
		ck_assert_msg(et->start == ft->start && et->severity == ft->severity &&
			      strcmp(et->team, ft->team) == 0, "%s", what);
		for (m = 0; m < SLA_MILESTONE_COUNT; m++)
			clock_eq(&et->clocks[m], &ft->clocks[m], what);
	}
	ck_assert_msg(j == e->ticket_count, "%s: %zu tickets more", where, e->ticket_count - j);
	ck_assert_msg(e->pack_clock_count == f->pack_clock_count || skip_inert,
		      "%s: pack clocks %zu/%zu", where, e->pack_clock_count, f->pack_clock_count);
	for (i = 0; !skip_inert && i < f->pack_clock_count; i++) {
		snprintf(what, sizeof(what), "%s pack clock %zu %s %s", where, i,
			 f->pack_clocks[i].ticket, f->pack_clocks[i].rule);
		ck_assert_msg(strcmp(e->pack_clocks[i].ticket, f->pack_clocks[i].ticket) == 0 &&
			      strcmp(e->pack_clocks[i].rule, f->pack_clocks[i].rule) == 0, "%s", what);
		clock_eq(&e->pack_clocks[i].clock, &f->pack_clocks[i].clock, what);
	}
	ck_assert_uint_eq(e->complaint_count, f->complaint_count);
	for (i = 0; i < f->complaint_count; i++)
		ck_assert_msg(strcmp(e->complaints[i].ticket, f->complaints[i].ticket) == 0 &&
			      strcmp(e->complaints[i].agent, f->complaints[i].agent) == 0 &&
			      e->complaints[i].state == f->complaints[i].state &&
			      strcmp(e->complaints[i].month, f->complaints[i].month) == 0,
			      "%s: complaint %zu", where, i);
	ck_assert_msg(e->proposal_count == f->proposal_count, "%s: proposals %zu/%zu", where,
		      e->proposal_count, f->proposal_count);
	for (i = 0; i < f->proposal_count; i++) {
		const struct sla_proposal *x = &e->proposals[i], *y = &f->proposals[i];

		ck_assert_msg(strcmp(x->key, y->key) == 0 && strcmp(x->agent, y->agent) == 0 &&
			      strcmp(x->rule, y->rule) == 0 && strcmp(x->month, y->month) == 0 &&
			      x->pct == y->pct && x->unit == y->unit && x->reward == y->reward &&
			      strcmp(x->tickets, y->tickets) == 0 &&
			      strcmp(x->period, y->period) == 0 && strcmp(x->state, y->state) == 0 &&
			      strcmp(x->decided_by, y->decided_by) == 0 &&
			      x->decided_at == y->decided_at && x->basis_changed == y->basis_changed &&
			      x->orphaned == y->orphaned && x->notified_at == y->notified_at,
			      "%s: proposal %zu %s / %s", where, i, x->key, y->key);
	}
	ck_assert_msg(e->warning_count == f->warning_count, "%s: warnings %zu/%zu", where,
		      e->warning_count, f->warning_count);
	for (i = 0; i < f->warning_count; i++)
		ck_assert_msg(strcmp(e->warnings[i].agent, f->warnings[i].agent) == 0 &&
			      strcmp(e->warnings[i].rule, f->warnings[i].rule) == 0 &&
			      strcmp(e->warnings[i].ticket, f->warnings[i].ticket) == 0 &&
			      e->warnings[i].at == f->warnings[i].at,
			      "%s: warning %zu", where, i);
	ck_assert_msg(e->flag_count == f->flag_count, "%s: flags %zu/%zu", where,
		      e->flag_count, f->flag_count);
	for (i = 0; i < f->flag_count; i++)
		ck_assert_msg(strcmp(e->flags[i].agent, f->flags[i].agent) == 0 &&
			      strcmp(e->flags[i].rule, f->flags[i].rule) == 0 &&
			      strcmp(e->flags[i].reason, f->flags[i].reason) == 0,
			      "%s: flag %zu", where, i);
	ck_assert_uint_eq(e->satisfaction_count, f->satisfaction_count);
	for (i = 0; i < f->satisfaction_count; i++)
		ck_assert_msg(strcmp(e->satisfaction[i].who, f->satisfaction[i].who) == 0 &&
			      strcmp(e->satisfaction[i].period, f->satisfaction[i].period) == 0 &&
			      e->satisfaction[i].satisfied == f->satisfaction[i].satisfied &&
			      e->satisfaction[i].responses == f->satisfaction[i].responses,
			      "%s: satisfaction %zu", where, i);
}

struct counted {
	size_t calls;
};

static int
count_cb(void *ctx, const char *ticket, const struct sla_ticket *t)
{
	struct counted *c = ctx;

	ck_assert_ptr_nonnull(ticket);
	ck_assert(t == NULL || strcmp(t->ticket, ticket) == 0);
	c->calls++;
	return 0;
}

/* Row _i: configuration _i / SEEDS, seed _i % SEEDS. */
START_TEST(incremental_equals_recompute)
{
	struct gen g[160];
	struct conf *conf = NULL;
	struct calendar *cal = NULL;
	struct store *store = NULL;
	struct sla_engine *live = NULL, *lean = NULL;
	char *dir = testutil_tmpdir(), *db = NULL, *text = NULL, *errors = NULL;
	const char *error = NULL;
	uint32_t seed = 0xe1e1u + (uint32_t)_i * 7919u;
	int64_t now = T0 - HOUR;
	size_t n, i = 0, batch = 0;

	ck_assert_int_ge(asprintf(&text, "%s[team one]\nagents = a@hd.example, b@hd.example\n"
				  "default_agent = a@hd.example\n[team two]\n"
				  "agents = c@hd.example\n", configs[_i / SEEDS]), 0);
	ck_assert_msg(conf_load_buffer("test.conf", text, strlen(text), &conf, &errors) == 0,
		      "%s", errors);
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
	ck_assert_int_ge(asprintf(&db, "%s/e.db", dir), 0);
	ck_assert_msg(store_open("sqlite", db, &store, &error) == 0, "%s", error);
	ck_assert_int_eq(sla_engine_new(conf, cal, true, &live, &error), 0);
	ck_assert_int_eq(sla_engine_new(conf, cal, false, &lean, &error), 0);
	gen_events(&seed, g, &n, sizeof(g) / sizeof(g[0]));

	/* batches of 0-12 events; time moves 0-60 h between them, and a
	   quiet stretch at the end lets every deadline pass */
	while (i <= n) {
		size_t take = lcg(&seed) % 13, k, evaluated = 0;
		struct sla_result e, l, f;
		struct counted calls = { 0 };
		char where[96];

		for (k = 0; k < take && i < n; k++, i++)
			ck_assert_msg(store_event_insert(store, &g[i].ev, NULL, &error) == 0,
				      "%s", error);
		now += (int64_t)(lcg(&seed) % (60 * HOUR));
		if (i == n) {
			now += 40 * 24 * HOUR;
			i++;
		}
		snprintf(where, sizeof(where), "config %d seed %d batch %zu",
			 _i / SEEDS, _i % SEEDS, batch++);
		ck_assert_msg(sla_engine_update(live, store, now, count_cb, &calls, &evaluated,
						&error) == 0, "%s", error);
		ck_assert_uint_eq(calls.calls, evaluated);
		ck_assert_msg(sla_engine_update(lean, store, now, NULL, NULL, NULL, &error) == 0,
			      "%s", error);
		ck_assert_msg(sla_engine_result(live, &e, &error) == 0, "%s", error);
		ck_assert_msg(sla_engine_result(lean, &l, &error) == 0, "%s", error);
		ck_assert_msg(sla_evaluate(conf, cal, store, now, &f, &error) == 0, "%s", error);
		results_eq(&e, &f, false, where);
		results_eq(&l, &f, true, where);
		/* the next due moment is that of a clock still pending */
		if (sla_engine_next(live) != 0)
			ck_assert_int_gt(sla_engine_next(live), now);
		sla_result_clear(&e);
		sla_result_clear(&l);
		sla_result_clear(&f);
	}
	sla_engine_free(&live);
	sla_engine_free(&lean);
	store_close(&store);
	calendar_free(&cal);
	conf_free(&conf);
	testutil_rmtree(dir);
	free(dir);
	free(db);
	free(text);
}
END_TEST

/* A store the engine has not seen yet is read whole, once; after that an
   update with nothing new and nothing due evaluates nothing. */
START_TEST(quiet_update_evaluates_nothing)
{
	struct gen g[160];
	struct conf *conf = NULL;
	struct calendar *cal = NULL;
	struct store *store = NULL;
	struct sla_engine *e = NULL;
	char *dir = testutil_tmpdir(), *db = NULL, *errors = NULL;
	const char *error = NULL;
	uint32_t seed = 42;
	size_t n, i, evaluated = 99;
	int64_t now = T0 + 60 * 24 * HOUR;

	ck_assert_msg(conf_load_buffer("test.conf", "", 0, &conf, &errors) == 0, "%s", errors);
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
	ck_assert_int_ge(asprintf(&db, "%s/q.db", dir), 0);
	ck_assert_msg(store_open("sqlite", db, &store, &error) == 0, "%s", error);
	gen_events(&seed, g, &n, sizeof(g) / sizeof(g[0]));
	for (i = 0; i < n; i++)
		ck_assert_int_eq(store_event_insert(store, &g[i].ev, NULL, &error), 0);
	ck_assert_int_eq(sla_engine_new(conf, cal, false, &e, &error), 0);
	ck_assert(!sla_engine_loaded(e));
	ck_assert_int_eq(sla_engine_update(e, store, now, NULL, NULL, &evaluated, &error), 0);
	ck_assert(sla_engine_loaded(e));
	ck_assert_uint_gt(evaluated, 0);
	/* 60 days on, every clock is decided: nothing is due */
	ck_assert_int_eq(sla_engine_next(e), 0);
	ck_assert_int_eq(sla_engine_update(e, store, now + 1, NULL, NULL, &evaluated, &error), 0);
	ck_assert_uint_eq(evaluated, 0);
	sla_engine_free(&e);
	store_close(&store);
	calendar_free(&cal);
	conf_free(&conf);
	testutil_rmtree(dir);
	free(dir);
	free(db);
}
END_TEST


static int
stop_cb(void *ctx, const char *ticket, const struct sla_ticket *t)
{
	size_t *left = ctx;

	(void)ticket;
	(void)t;
	return (*left)-- == 0 ? -1 : 0;
}

/* A caller that stops the first update (its transaction failed): the
   engine starts over at the next, and then equals a full evaluation;
   a stopped later update leaves the rest due for the next. */
START_TEST(stopped_update_starts_over)
{
	struct gen g[160];
	struct conf *conf = NULL;
	struct calendar *cal = NULL;
	struct store *store = NULL;
	struct sla_engine *e = NULL;
	struct sla_result a, f;
	char *dir = testutil_tmpdir(), *db = NULL, *errors = NULL;
	const char *error = NULL;
	uint32_t seed = 7;
	size_t n, i, left = 3, evaluated = 0;
	int64_t now = T0 + 5 * 24 * HOUR;

	ck_assert_msg(conf_load_buffer("test.conf", "", 0, &conf, &errors) == 0, "%s", errors);
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
	ck_assert_int_ge(asprintf(&db, "%s/s.db", dir), 0);
	ck_assert_msg(store_open("sqlite", db, &store, &error) == 0, "%s", error);
	gen_events(&seed, g, &n, sizeof(g) / sizeof(g[0]));
	for (i = 0; i < n / 2; i++)
		ck_assert_int_eq(store_event_insert(store, &g[i].ev, NULL, &error), 0);
	ck_assert_int_eq(sla_engine_new(conf, cal, true, &e, &error), 0);
	ck_assert_int_eq(sla_engine_update(e, store, now, stop_cb, &left, NULL, &error), -1);
	ck_assert(!sla_engine_loaded(e));
	ck_assert_int_eq(sla_engine_update(e, store, now, NULL, NULL, NULL, &error), 0);
	ck_assert_int_eq(sla_engine_result(e, &a, &error), 0);
	ck_assert_int_eq(sla_evaluate(conf, cal, store, now, &f, &error), 0);
	results_eq(&a, &f, false, "after a stopped first update");
	sla_result_clear(&a);
	sla_result_clear(&f);
	for (; i < n; i++)
		ck_assert_int_eq(store_event_insert(store, &g[i].ev, NULL, &error), 0);
	left = 1;
	ck_assert_int_eq(sla_engine_update(e, store, now + HOUR, stop_cb, &left, NULL, &error), -1);
	ck_assert_int_eq(sla_engine_update(e, store, now + HOUR, NULL, NULL, &evaluated, &error), 0);
	ck_assert_uint_gt(evaluated, 0);
	ck_assert_int_eq(sla_engine_result(e, &a, &error), 0);
	ck_assert_int_eq(sla_evaluate(conf, cal, store, now + HOUR, &f, &error), 0);
	results_eq(&a, &f, false, "after a stopped later update");
	sla_result_clear(&a);
	sla_result_clear(&f);
	sla_engine_free(&e);
	store_close(&store);
	calendar_free(&cal);
	conf_free(&conf);
	testutil_rmtree(dir);
	free(dir);
	free(db);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sla_engine");
	TCase *tc = tcase_create("engine");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, incremental_equals_recompute, 0, (int)(CONFIGS * SEEDS));
	tcase_add_test(tc, quiet_update_evaluates_nothing);
	tcase_add_test(tc, stopped_update_starts_over);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
