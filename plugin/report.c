#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendar.h"
#include "report.h"
#include "store.h"

struct report {
	struct report_row *rows;
	size_t count, cap;
	int64_t from, to;
	const char *period;
	const char *agent;         /* filters, may be NULL */
	const char *team;
	int64_t now;
	/* added (issue 7): an ISO week (G20 weekly report) is counted by the
	   times things happened, not by the months they are booked to; a team
	   with its own [calendar NAME] has the period in its own zone */
	bool week;
	int64_t cal_from[CONF_CALENDARS_MAX], cal_to[CONF_CALENDARS_MAX];
};

/* The period's start and end for what is charged to AGENT: in the zone of
   the agent's team calendar, as the engine books it. */
static void
report_range(const struct conf *conf, const struct report *r, const char *agent,
	     int64_t *from_r, int64_t *to_r)
{
	const struct conf_team *team = conf_agent_team(conf, agent);

	*from_r = r->from;
	*to_r = r->to;
	if (team != NULL && team->calendar >= 0 && team->calendar < CONF_CALENDARS_MAX &&
	    r->cal_to[team->calendar] != 0) {
		*from_r = r->cal_from[team->calendar];
		*to_r = r->cal_to[team->calendar];
	}
}

/* Is a thing booked to MONTH that happened at AT in the period? */
static bool
report_in(const struct conf *conf, const struct report *r, const char *agent,
	  const char *month, int64_t at)
{
	int64_t from, to;

	if (!r->week)
		return report_period_has_month(r->period, month);
	report_range(conf, r, agent, &from, &to);
	return at >= from && at < to;
}

bool
report_period_has_month(const char *period, const char *month)
{
	size_t len = strlen(period);
	int q, m;

	if (len == 7 && period[5] != 'Q')
		return strcmp(period, month) == 0;
	if (strncmp(period, month, 4) != 0)
		return false;
	if (len == 4)
		return true;
	if (len != 7 || strlen(month) != 7)
		return false;
	q = period[6] - '0';
	m = (month[5] - '0') * 10 + (month[6] - '0');
	return m >= q * 3 - 2 && m <= q * 3;
}

static const char *report_agent(const char *agent);

/* Whether the filters let AGENT through. */
static bool
report_selects(const struct conf *conf, const struct report *r, const char *agent)
{
	const struct conf_team *team;

	if (r->agent != NULL && strcasecmp(r->agent, agent) != 0)
		return false;
	if (r->team == NULL)
		return true;
	if (strncmp(agent, "team:", 5) == 0)
		return strcmp(agent + 5, r->team) == 0;
	team = conf_agent_team(conf, agent);
	return team != NULL && strcmp(team->name, r->team) == 0;
}

int
report_format_from_name(const char *name, enum report_format *format_r)
{
	if (strcmp(name, "text") == 0)
		*format_r = REPORT_TEXT;
	else if (strcmp(name, "csv") == 0)
		*format_r = REPORT_CSV;
	else if (strcmp(name, "json") == 0)
		*format_r = REPORT_JSON;
	else
		return -1;
	return 0;
}

static struct report_row *
report_row(const struct conf *conf, struct report *r, const char *agent)
{
	const struct conf_team *team;
	size_t i;

	for (i = 0; i < r->count; i++)
		if (strcmp(r->rows[i].agent, agent) == 0)
			return &r->rows[i];
	if (r->count == r->cap) {
		size_t ncap = r->cap == 0 ? 32 : r->cap * 2;
		struct report_row *n = realloc(r->rows, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		r->rows = n;
		r->cap = ncap;
	}
	memset(&r->rows[r->count], 0, sizeof(r->rows[0]));
	r->rows[r->count].agent = agent;
	team = conf_agent_team(conf, agent);
	r->rows[r->count].team = team != NULL ? team->name :
		strncmp(agent, "team:", 5) == 0 ? agent + 5 : "-";
	return &r->rows[r->count++];
}

static int
report_row_cmp(const void *a, const void *b)
{
	const struct report_row *x = a, *y = b;

	return strcmp(x->agent, y->agent);
}

static const char *
report_agent(const char *agent)
{
	return agent[0] != '\0' ? agent : "(unassigned)";
}

static int
report_build(const struct conf *conf, const struct sla_result *res,
	     const char *month, struct report *r)
{
	struct report_row *row;
	size_t i;
	int m;

	(void)month;
	for (i = 0; i < res->ticket_count; i++) {
		const struct sla_ticket *t = &res->tickets[i];

		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &t->clocks[m];
			const char *agent = report_agent(c->agent);
			int64_t from, to;

			if (!report_selects(conf, r, agent))
				continue;
			report_range(conf, r, agent, &from, &to);
			/* a reminder due in the period while the clock ran */
			if (c->remind_at >= from && c->remind_at < to &&
			    (c->stopped_at == 0 || c->stopped_at > c->remind_at) &&
			    (r->now == 0 || c->remind_at <= r->now)) {
				if ((row = report_row(conf, r, agent)) == NULL)
					return -1;
				row->reminders++;
			}
			if (c->state == SLA_PENDING || c->deadline < from || c->deadline >= to)
				continue;
			if ((row = report_row(conf, r, agent)) == NULL)
				return -1;
			if (c->state == SLA_MET)
				row->met[m]++;
			else
				row->missed[m]++;
			if (m == SLA_FIRST_RESPONSE)
				row->tickets++;
		}
	}
	for (i = 0; i < res->warning_count; i++) {
		const struct sla_warning *w = &res->warnings[i];

		if (!report_in(conf, r, w->agent, w->month, w->at) ||
		    !report_selects(conf, r, report_agent(w->agent)))
			continue;
		if ((row = report_row(conf, r, report_agent(w->agent))) == NULL)
			return -1;
		row->warnings++;
	}
	for (i = 0; i < res->proposal_count; i++) {
		const struct sla_proposal *p = &res->proposals[i];

		if (!report_period_has_month(r->period, p->month) ||
		    !report_selects(conf, r, report_agent(p->agent)))
			continue;
		if (strcmp(p->state, "rejected") == 0)
			continue;	/* shown in the list, counted nowhere */
		if ((row = report_row(conf, r, report_agent(p->agent))) == NULL)
			return -1;
		if (p->reward) {
			row->rewarded[p->unit] += p->pct;
			continue;
		}
		row->deducted[p->unit] += p->pct;
		if (strcmp(p->rule, "S14.1s") == 0)
			row->streak_deductions++;
		else if (strcmp(p->rule, "S14.2d") == 0)
			row->severity_pct += p->pct;
		else if (p->unit == SLA_UNIT_PCT_MONTH)
			row->other_pct += p->pct;
	}
	for (i = 0; i < res->complaint_count; i++) {
		const struct sla_complaint *cp = &res->complaints[i];

		if (cp->state != SLA_COMPLAINT_VERIFIED ||
		    !report_in(conf, r, cp->agent, cp->month, cp->received_at) ||
		    !report_selects(conf, r, report_agent(cp->agent)))
			continue;
		if ((row = report_row(conf, r, report_agent(cp->agent))) == NULL)
			return -1;
		row->complaints_verified++;
	}
	for (i = 0; i < res->satisfaction_count; i++) {
		const struct sla_satisfaction *sa = &res->satisfaction[i];

		/* the monthly figures add up to any period */
		/* a team's figures are in the satisfaction list, not a row */
		if (sa->period[5] == 'Q' || strncmp(sa->who, "team:", 5) == 0 ||
		    !report_period_has_month(r->period, sa->period) ||
		    !report_selects(conf, r, sa->who))
			continue;
		if ((row = report_row(conf, r, sa->who)) == NULL)
			return -1;
		row->satisfied += sa->satisfied;
		row->responses += sa->responses;
	}
	for (i = 0; i < res->flag_count; i++) {
		const struct sla_flag *f = &res->flags[i];

		if (!report_period_has_month(r->period, f->month) ||
		    !report_selects(conf, r, report_agent(f->agent)))
			continue;
		if ((row = report_row(conf, r, report_agent(f->agent))) == NULL)
			return -1;
		row->flags++;
	}
	if (r->count > 1)	/* no rows: no array, and qsort(NULL) is undefined */
		qsort(r->rows, r->count, sizeof(*r->rows), report_row_cmp);
	return 0;
}

int
report_row_total(const struct conf *conf, const struct report_row *row)
{
	return row->streak_deductions * conf->policy.streak_deduction_pct +
		row->severity_pct + row->other_pct;
}

/* RFC 4180: quote a field that holds a comma, quote or line break. */
static void
report_csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void
report_rows_csv(const struct conf *conf, const struct report_row *rows,
		size_t count, FILE *out)
{
	size_t i;

	fputs("agent,team,tickets,first_response_met,first_response_missed,"
	      "preliminary_met,preliminary_missed,resolution_met,resolution_missed,"
	      "warnings,streak_deductions,severity_deduction_pct,total_deduction_pct,"
	      "other_deduction_pct,quarter_deduction_pct,wage_deduction_pct,"
	      "wage_reward_pct,yuan_deduction,points_deduction,bonus_deduction_pct,"
	      "complaints_verified,satisfied,satisfaction_responses,flags\n",
	      out);
	for (i = 0; i < count; i++) {
		const struct report_row *row = &rows[i];

		report_csv_field(out, row->agent);
		fputc(',', out);
		report_csv_field(out, row->team);
		fprintf(out, ",%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", row->tickets,
			row->met[0], row->missed[0], row->met[1], row->missed[1],
			row->met[2], row->missed[2], row->warnings,
			row->streak_deductions, row->severity_pct,
			report_row_total(conf, row));
		fprintf(out, ",%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", row->other_pct,
			row->deducted[SLA_UNIT_PCT_QUARTER], row->deducted[SLA_UNIT_PCT_WAGE],
			row->rewarded[SLA_UNIT_PCT_WAGE], row->deducted[SLA_UNIT_YUAN],
			row->deducted[SLA_UNIT_POINTS], row->deducted[SLA_UNIT_PCT_BONUS],
			row->complaints_verified, row->satisfied, row->responses, row->flags);
	}
}

static void
report_duration(int64_t secs, char *buf, size_t size)
{
	if (secs < 3600)
		snprintf(buf, size, "%lldm%02llds", (long long)(secs / 60),
			 (long long)(secs % 60));
	else
		snprintf(buf, size, "%lldh%02lldm", (long long)(secs / 3600),
			 (long long)(secs % 3600 / 60));
}

struct report_breach {
	const struct sla_ticket *ticket;
	enum sla_milestone milestone;
};

/* Breaches in the order they happened, which is how a lead reads them. */
static int
report_breach_cmp(const void *a, const void *b)
{
	const struct report_breach *x = a, *y = b;
	int64_t dx = x->ticket->clocks[x->milestone].deadline;
	int64_t dy = y->ticket->clocks[y->milestone].deadline;

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(x->ticket->ticket, y->ticket->ticket);
}

static const char *const report_unit_text[SLA_UNIT_COUNT] = {
	"% of the month's score", "% of the quarter's score", "% of the month's wage",
	"yuan", "points", "% of the month's bonus",
};

static void
report_text(const struct conf *conf, const struct calendar *cal,
	    const struct sla_result *res, const struct report *r,
	    const char *month, FILE *out)
{
	const struct conf_policy *pol = &conf->policy;
	struct report_breach *list;
	size_t i, breaches = 0, n;
	int m, u, sums[2][SLA_UNIT_COUNT], ranges[2][3];
	bool any;

	memset(sums, 0, sizeof(sums));
	memset(ranges, 0, sizeof(ranges));
	fprintf(out, "slaclock report %s  (pack %s, calendar %s %s)\n",
		month, pol->pack, conf->calendar.always_open ? "24x7" : "business hours",
		conf->calendar.timezone);
	if (r->agent != NULL || r->team != NULL)
		fprintf(out, "only %s%s%s\n", r->agent != NULL ? r->agent : "",
			r->team != NULL ? (r->agent != NULL ? " in team " : "team ") : "",
			r->team != NULL ? r->team : "");
	if (!r->week && (strlen(month) != 7 || month[5] == 'Q'))
		fputs("(a quarter or a year: each month's % is of that month's score; "
		      "the sums are per unit, month by month)\n", out);
	fprintf(out, "targets: first response %llds (S14.1), preliminary solution %llds (S14.2p), "
		"resolution %llds (S14.2r)\n",
		(long long)pol->first_response_secs, (long long)pol->preliminary_secs,
		(long long)pol->resolution_secs);
	if (conf_pack_enabled(conf, CONF_PACK_G20) && strlen(month) == 7 && month[5] != 'Q' &&
	    !r->week) {
		int y = atoi(month), mo = atoi(month + 5) + 1;

		if (mo > 12) {
			mo = 1;
			y++;
		}
		fprintf(out, "G20.m: results to HR before %04u-%02u-05\n", (unsigned)y % 10000u,
			(unsigned)mo % 100u);
	}
	if (r->week) {
		char sat[20];

		/* Monday 00:00 + 5 days + noon: Saturday's date in any zone */
		calendar_format(cal, r->from + 5 * 86400 + 12 * 3600, sat);
		fprintf(out, "G20.w: week %s, weekly summary and plan due before the end of work "
			"on Saturday %.10s; proposals and flags are booked by month "
			"(report --month)\n", month, sat);
	}
	fputc('\n', out);

	fprintf(out, "%-28s %-14s %7s %12s %12s %12s %8s %10s\n", "agent", "team",
		"tickets", "1st resp", "24h prelim", "72h resolve", "warnings",
		"deduction");
	fprintf(out, "%-28s %-14s %7s %12s %12s %12s %8s %10s\n", "", "", "",
		"met/missed", "met/missed", "met/missed", "S14.1w+", "% of month");
	for (i = 0; i < r->count; i++) {
		const struct report_row *row = &r->rows[i];
		char cells[3][24], ded[16];

		for (m = 0; m < SLA_MILESTONE_COUNT; m++)
			snprintf(cells[m], sizeof(cells[m]), "%d/%d", row->met[m],
				 row->missed[m]);
		if (report_row_total(conf, row) > 0)
			snprintf(ded, sizeof(ded), "-%d%%", report_row_total(conf, row));
		else
			snprintf(ded, sizeof(ded), "0");
		fprintf(out, "%-28s %-14s %7d %12s %12s %12s %8d %10s\n", row->agent,
			row->team, row->tickets, cells[0], cells[1], cells[2],
			row->warnings, ded);
		for (u = SLA_UNIT_PCT_QUARTER; u < SLA_UNIT_COUNT; u++) {
			if (row->deducted[u] != 0)
				fprintf(out, "%-28s   also -%d %s\n", "", row->deducted[u],
					report_unit_text[u]);
			if (row->rewarded[u] != 0)
				fprintf(out, "%-28s   reward +%d %s\n", "", row->rewarded[u],
					report_unit_text[u]);
		}
		if (row->responses > 0)
			fprintf(out, "%-28s   satisfaction %d/%d\n", "", row->satisfied,
				row->responses);
		if (row->reminders > 0)
			fprintf(out, "%-28s   reminders %d (not warnings)\n", "", row->reminders);
	}
	if (r->count == 0)
		fputs("(nothing booked in this period)\n", out);

	fputs("\nbreaches (charged to the ticket owner at the deadline)\n", out);
	list = calloc(res->ticket_count * SLA_MILESTONE_COUNT + 1, sizeof(*list));
	for (i = 0; list != NULL && i < res->ticket_count; i++) {
		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &res->tickets[i].clocks[m];
			int64_t from, to;

			report_range(conf, r, c->agent, &from, &to);
			if (c->state != SLA_MISSED || c->deadline < from ||
			    c->deadline >= to || !report_selects(conf, r, report_agent(c->agent)))
				continue;
			list[breaches].ticket = &res->tickets[i];
			list[breaches].milestone = (enum sla_milestone)m;
			breaches++;
		}
	}
	if (list != NULL)
		qsort(list, breaches, sizeof(*list), report_breach_cmp);
	for (i = 0; list != NULL && i < breaches; i++) {
		const struct sla_ticket *t = list[i].ticket;
		const struct sla_clock *c = &t->clocks[list[i].milestone];
		char due[20], late[48];

		calendar_format(cal, c->deadline, due);
		if (c->stopped_at != 0)
			report_duration(c->stopped_at - c->deadline, late, sizeof(late));
		else
			snprintf(late, sizeof(late), "never");
		fprintf(out, "  %-7s %-28s due %s  late %-9s %s  [%s]\n",
			sla_milestone_rule(list[i].milestone), report_agent(c->agent),
			due, late, t->ticket, severity_name(t->severity));
	}
	free(list);
	for (i = 0, n = 0; i < res->pack_clock_count; i++) {
		const struct sla_pack_clock *k = &res->pack_clocks[i];
		char due[20];
		int64_t from, to;

		report_range(conf, r, k->clock.agent, &from, &to);
		if (k->clock.state != SLA_MISSED || k->clock.deadline < from ||
		    k->clock.deadline >= to ||
		    !report_selects(conf, r, report_agent(k->clock.agent)))
			continue;
		calendar_format(cal, k->clock.deadline, due);
		fprintf(out, "  %-7s %-28s due %s  %s\n", k->rule,
			report_agent(k->clock.agent), due, k->ticket);
		n++;
	}
	if (breaches == 0 && n == 0)
		fputs("  none\n", out);

	fputs("\nwarnings (警告; reminders are not warnings)\n", out);
	for (i = 0, any = false; i < res->warning_count; i++) {
		const struct sla_warning *w = &res->warnings[i];
		char when[20];

		if (!report_in(conf, r, w->agent, w->month, w->at) ||
		    !report_selects(conf, r, report_agent(w->agent)))
			continue;
		calendar_format(cal, w->at, when);
		fprintf(out, "  %-7s %-28s %s  %s\n", w->rule, report_agent(w->agent), when,
			w->ticket);
		any = true;
	}
	if (!any)
		fputs("  none\n", out);

	fputs("\nproposals (need a person's decision; each in its own unit)\n", out);
	for (i = 0, any = false; i < res->proposal_count; i++) {
		const struct sla_proposal *p = &res->proposals[i];
		char appeal[64] = "";

		if (!report_period_has_month(r->period, p->month) ||
		    !report_selects(conf, r, report_agent(p->agent)))
			continue;
		if (p->appeal_by != 0) {
			char by[20];

			calendar_format(cal, p->reply_by != 0 ? p->reply_by : p->appeal_by, by);
			snprintf(appeal, sizeof(appeal), "  %s %.10s",
				 p->reply_by != 0 ? "appeal reply by" : "appeal by", by);
		}
		if (p->amount_max > 0 && !p->fixed) {
			/* the seed gives a range: the approver fixes the amount */
			char amount[32];

			snprintf(amount, sizeof(amount), "%d..%d", p->amount_min, p->amount_max);
			fprintf(out, "  %-7s %-28s %c%s %s (range, not fixed)  %s%s%s  %s%s\n"
				"    key %s\n", p->rule, report_agent(p->agent),
				p->reward ? '+' : '-', amount, report_unit_text[p->unit], p->state,
				p->basis_changed ? " BASIS CHANGED" : "",
				p->orphaned ? " (no longer proposed)" : "", p->tickets, appeal, p->key);
			if (strcmp(p->state, "rejected") != 0) {
				ranges[p->reward][0] += p->amount_min;
				ranges[p->reward][1] += p->amount_max;
				ranges[p->reward][2]++;
			}
			any = true;
			continue;
		}
		fprintf(out, "  %-7s %-28s %c%d %s  %s%s%s  %s%s\n    key %s\n", p->rule,
			report_agent(p->agent), p->reward ? '+' : '-', p->pct,
			report_unit_text[p->unit], p->state,
			p->basis_changed ? " BASIS CHANGED" : "",
			p->orphaned ? " (no longer proposed)" : "", p->tickets, appeal, p->key);
		if (strcmp(p->state, "rejected") != 0)
			sums[p->reward][p->unit] += p->pct;
		any = true;
	}
	if (!any)
		fputs("  none\n", out);
	fputs("\ntotals by unit (never added together; rejected ones left out)\n", out);
	for (u = 0, any = false; u < SLA_UNIT_COUNT; u++) {
		if (sums[0][u] != 0)
			fprintf(out, "  deductions -%d %s\n", sums[0][u], report_unit_text[u]);
		if (sums[1][u] != 0)
			fprintf(out, "  rewards    +%d %s\n", sums[1][u], report_unit_text[u]);
		any = any || sums[0][u] != 0 || sums[1][u] != 0;
	}
	/* ranges not fixed yet are summed apart: a range is no amount (S1 yuan) */
	for (u = 0; u < 2; u++)
		if (ranges[u][2] > 0) {
			fprintf(out, "  %s %c%d..%d yuan in %d range(s) not fixed yet\n",
				u ? "rewards   " : "deductions", u ? '+' : '-', ranges[u][0],
				ranges[u][1], ranges[u][2]);
			any = true;
		}
	if (!any)
		fputs("  none\n", out);

	fputs("\nflags (no amount; for a person to act on)\n", out);
	for (i = 0, any = false; i < res->flag_count; i++) {
		const struct sla_flag *f = &res->flags[i];

		if (!report_period_has_month(r->period, f->month) ||
		    !report_selects(conf, r, report_agent(f->agent)))
			continue;
		fprintf(out, "  %-7s %-28s %-9s %s\n", f->rule, report_agent(f->agent),
			f->kind, f->reason);
		any = true;
	}
	if (!any)
		fputs("  none\n", out);

	fputs("\ncomplaints (only verified ones count)\n", out);
	for (i = 0, any = false; i < res->complaint_count; i++) {
		const struct sla_complaint *cp = &res->complaints[i];

		if (!report_in(conf, r, cp->agent, cp->month, cp->received_at) ||
		    !report_selects(conf, r, report_agent(cp->agent)))
			continue;
		fprintf(out, "  %-28s %-11s %-9s %s\n", report_agent(cp->agent), cp->cause,
			sla_complaint_state_name(cp->state), cp->ticket);
		any = true;
	}
	if (!any)
		fputs("  none\n", out);

	fputs("\nsatisfaction by quarter (S14.3: satisfied / responses)\n", out);
	for (i = 0, any = false; i < res->satisfaction_count; i++) {
		const struct sla_satisfaction *sa = &res->satisfaction[i];
		char last[8];

		if (sa->period[5] != 'Q')
			continue;
		snprintf(last, sizeof(last), "%.4s-%02u", sa->period,
			 ((unsigned)(sa->period[6] - '0') % 5u) * 3u);
		if (!report_period_has_month(r->period, last) || !report_selects(conf, r, sa->who))
			continue;
		fprintf(out, "  %-28s %s  %d/%d\n", sa->who, sa->period, sa->satisfied,
			sa->responses);
		any = true;
	}
	if (!any)
		fputs("  none\n", out);
}

static json_t *
report_time(const struct calendar *cal, int64_t t)
{
	char buf[20];

	if (t == 0)
		return json_null();
	calendar_format(cal, t, buf);
	return json_string(buf);
}

static int
report_json(const struct conf *conf, const struct calendar *cal,
	    const struct sla_result *res, const struct report *r, const char *month,
	    FILE *out)
{
	json_t *root = json_object(), *agents = json_array(), *props = json_array();
	json_t *warns = json_array(), *flags = json_array(), *cps = json_array();
	json_t *totals = json_object(), *rewards = json_object(), *sats = json_array();
	int sums[2][SLA_UNIT_COUNT], u, ranges[2][2];
	size_t i;
	int ret = -1;

	memset(sums, 0, sizeof(sums));
	memset(ranges, 0, sizeof(ranges));
	if (root == NULL || agents == NULL || props == NULL || warns == NULL ||
	    flags == NULL || cps == NULL || totals == NULL || rewards == NULL || sats == NULL)
		goto out;
	json_object_set_new(root, "month", json_string(month));
	json_object_set_new(root, "period", json_string(month));
	json_object_set_new(root, "pack", json_string(conf->policy.pack));
	json_object_set_new(root, "agent_filter", r->agent ? json_string(r->agent) : json_null());
	json_object_set_new(root, "team_filter", r->team ? json_string(r->team) : json_null());
	for (i = 0; i < r->count; i++) {
		const struct report_row *row = &r->rows[i];
		json_t *a = json_pack(
			"{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
			"agent", row->agent, "team", row->team, "tickets", row->tickets,
			"first_response_met", row->met[0],
			"first_response_missed", row->missed[0],
			"preliminary_met", row->met[1], "preliminary_missed", row->missed[1],
			"resolution_met", row->met[2], "resolution_missed", row->missed[2],
			"warnings", row->warnings,
			"streak_deductions", row->streak_deductions,
			"severity_deduction_pct", row->severity_pct,
			"total_deduction_pct", report_row_total(conf, row));
		json_t *d = json_object(), *w = json_object();

		for (u = 0; u < SLA_UNIT_COUNT; u++) {
			json_object_set_new(d, sla_unit_name((enum sla_unit)u),
					    json_integer(row->deducted[u]));
			json_object_set_new(w, sla_unit_name((enum sla_unit)u),
					    json_integer(row->rewarded[u]));
		}
		json_object_set_new(a, "other_deduction_pct", json_integer(row->other_pct));
		json_object_set_new(a, "deductions", d);
		json_object_set_new(a, "rewards", w);
		json_object_set_new(a, "complaints_verified", json_integer(row->complaints_verified));
		json_object_set_new(a, "satisfied", json_integer(row->satisfied));
		json_object_set_new(a, "satisfaction_responses", json_integer(row->responses));
		json_object_set_new(a, "flags", json_integer(row->flags));
		json_object_set_new(a, "reminders", json_integer(row->reminders));
		json_array_append_new(agents, a);
	}
	for (i = 0; i < res->proposal_count; i++) {
		const struct sla_proposal *p = &res->proposals[i];
		json_t *o;

		if (!report_period_has_month(r->period, p->month) ||
		    !report_selects(conf, r, report_agent(p->agent)))
			continue;
		o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "key", p->key,
			      "agent", report_agent(p->agent), "rule", p->rule, "pct", p->pct,
			      "unit", sla_unit_name(p->unit), "state", p->state,
			      "tickets", p->tickets);
		json_object_set_new(o, "amount", json_integer(p->pct));
		json_object_set_new(o, "reward", json_boolean(p->reward));
		json_object_set_new(o, "month", json_string(p->month));
		json_object_set_new(o, "period", json_string(p->period));
		json_object_set_new(o, "decided_by", p->decided_by[0] ?
				    json_string(p->decided_by) : json_null());
		json_object_set_new(o, "decided_at", report_time(cal, p->decided_at));
		json_object_set_new(o, "basis_changed", json_boolean(p->basis_changed));
		json_object_set_new(o, "orphaned", json_boolean(p->orphaned));
		json_object_set_new(o, "notified_at", report_time(cal, p->notified_at));
		json_object_set_new(o, "appeal_by", report_time(cal, p->appeal_by));
		json_object_set_new(o, "appealed_at", report_time(cal, p->appealed_at));
		json_object_set_new(o, "reply_by", report_time(cal, p->reply_by));
		json_object_set_new(o, "amount_min", p->amount_max > 0 ?
				    json_integer(p->amount_min) : json_null());
		json_object_set_new(o, "amount_max", p->amount_max > 0 ?
				    json_integer(p->amount_max) : json_null());
		json_object_set_new(o, "fixed", json_boolean(p->amount_max == 0 || p->fixed));
		json_array_append_new(props, o);
		if (strcmp(p->state, "rejected") == 0)
			continue;
		if (p->amount_max > 0 && !p->fixed) {
			ranges[p->reward][0] += p->amount_min;
			ranges[p->reward][1] += p->amount_max;
		} else
			sums[p->reward][p->unit] += p->pct;
	}
	for (u = 0; u < SLA_UNIT_COUNT; u++) {
		json_object_set_new(totals, sla_unit_name((enum sla_unit)u), json_integer(sums[0][u]));
		json_object_set_new(rewards, sla_unit_name((enum sla_unit)u), json_integer(sums[1][u]));
	}
	for (i = 0; i < res->warning_count; i++) {
		const struct sla_warning *w = &res->warnings[i];

		if (!report_in(conf, r, w->agent, w->month, w->at) ||
		    !report_selects(conf, r, report_agent(w->agent)))
			continue;
		json_array_append_new(warns, json_pack("{s:s, s:s, s:s, s:o}", "rule", w->rule,
			"agent", report_agent(w->agent), "ticket", w->ticket,
			"at", report_time(cal, w->at)));
	}
	for (i = 0; i < res->flag_count; i++) {
		const struct sla_flag *f = &res->flags[i];

		if (!report_period_has_month(r->period, f->month) ||
		    !report_selects(conf, r, report_agent(f->agent)))
			continue;
		json_array_append_new(flags, json_pack("{s:s, s:s, s:s, s:s, s:s}", "rule",
			f->rule, "agent", report_agent(f->agent), "kind", f->kind,
			"period", f->period, "reason", f->reason));
	}
	for (i = 0; i < res->complaint_count; i++) {
		const struct sla_complaint *cp = &res->complaints[i];

		if (!report_in(conf, r, cp->agent, cp->month, cp->received_at) ||
		    !report_selects(conf, r, report_agent(cp->agent)))
			continue;
		json_array_append_new(cps, json_pack("{s:s, s:s, s:s, s:s, s:o}", "ticket",
			cp->ticket, "agent", report_agent(cp->agent), "cause", cp->cause,
			"state", sla_complaint_state_name(cp->state),
			"received_at", report_time(cal, cp->received_at)));
	}
	for (i = 0; i < res->satisfaction_count; i++) {
		const struct sla_satisfaction *sa = &res->satisfaction[i];
		char probe[8];

		if (sa->period[5] == 'Q')
			snprintf(probe, sizeof(probe), "%.4s-%02u", sa->period,
				 ((unsigned)(sa->period[6] - '0') % 5u) * 3u);
		else
			snprintf(probe, sizeof(probe), "%s", sa->period);
		if (!report_period_has_month(r->period, probe) || !report_selects(conf, r, sa->who))
			continue;
		json_array_append_new(sats, json_pack("{s:s, s:s, s:i, s:i}", "who", sa->who,
			"period", sa->period, "satisfied", sa->satisfied,
			"responses", sa->responses));
	}
	json_object_set(root, "agents", agents);
	json_object_set(root, "proposals", props);
	json_object_set(root, "deduction_totals", totals);
	json_object_set(root, "reward_totals", rewards);
	/* yuan ranges not fixed yet, apart from the fixed amounts above */
	json_object_set_new(root, "range_totals", json_pack("{s:{s:i, s:i}, s:{s:i, s:i}}",
		"deductions", "min", ranges[0][0], "max", ranges[0][1],
		"rewards", "min", ranges[1][0], "max", ranges[1][1]));
	json_object_set(root, "warnings", warns);
	json_object_set(root, "flags", flags);
	json_object_set(root, "complaints", cps);
	json_object_set(root, "satisfaction", sats);
	if (json_dumpf(root, out, JSON_INDENT(2)) == 0) {
		fputc('\n', out);
		ret = 0;
	}
out:
	json_decref(agents);
	json_decref(props);
	json_decref(warns);
	json_decref(flags);
	json_decref(cps);
	json_decref(totals);
	json_decref(rewards);
	json_decref(sats);
	json_decref(root);
	return ret;
}

static int
report_prepare(const struct conf *conf, const struct calendar *cal,
	       const struct sla_result *result, const struct report_opts *opts,
	       struct report *r, const char **error_r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	if (opts->period == NULL ||
	    calendar_period_range(cal, opts->period, &r->from, &r->to) < 0) {
		*error_r = "the period must be YYYY-MM, YYYY-Qn, YYYY or YYYY-Www";
		return -1;
	}
	r->period = opts->period;
	r->week = strlen(opts->period) == 8 && opts->period[5] == 'W';
	for (i = 0; i < conf->calendar_count && i < CONF_CALENDARS_MAX; i++) {
		struct calendar *tc;
		const char *ignored;

		if (calendar_new(&conf->calendars[i].cal, &tc, &ignored) < 0)
			continue;	/* the engine falls back to [calendar] too */
		if (calendar_period_range(tc, opts->period, &r->cal_from[i], &r->cal_to[i]) < 0)
			r->cal_to[i] = 0;
		calendar_free(&tc);
	}
	r->agent = opts->agent;
	r->team = opts->team;
	r->now = opts->now;
	if (report_build(conf, result, opts->period, r) < 0) {
		free(r->rows);
		r->rows = NULL;
		*error_r = "out of memory building the report";
		return -1;
	}
	return 0;
}

int
report_rows(const struct conf *conf, const struct calendar *cal,
	    const struct sla_result *result, const char *month,
	    struct report_row **rows_r, size_t *count_r, const char **error_r)
{
	struct report_opts opts = { .period = month };
	struct report r;

	*rows_r = NULL;
	*count_r = 0;
	if (report_prepare(conf, cal, result, &opts, &r, error_r) < 0)
		return -1;
	*rows_r = r.rows;
	*count_r = r.count;
	return 0;
}

int
report_render_opts(const struct conf *conf, const struct calendar *cal,
		   const struct sla_result *result, const struct report_opts *opts,
		   FILE *out, const char **error_r)
{
	struct report r;
	int ret = -1;

	if (report_prepare(conf, cal, result, opts, &r, error_r) < 0)
		return -1;
	switch (opts->format) {
	case REPORT_CSV:
		report_rows_csv(conf, r.rows, r.count, out);
		ret = 0;
		break;
	case REPORT_JSON:
		ret = report_json(conf, cal, result, &r, opts->period, out);
		if (ret < 0)
			*error_r = "cannot write JSON";
		break;
	case REPORT_TEXT:
		report_text(conf, cal, result, &r, opts->period, out);
		ret = 0;
		break;
	}
	free(r.rows);
	return ret;
}

int
report_render(const struct conf *conf, const struct calendar *cal,
	      const struct sla_result *result, const char *month,
	      enum report_format format, FILE *out, const char **error_r)
{
	struct report_opts opts = { .period = month, .format = format };

	return report_render_opts(conf, cal, result, &opts, out, error_r);
}

/* ---- materialised tallies ----
 * The CSV of any period is the sum of its months' rows, and a month's
 * rows change only with new events, a changed configuration, or time
 * passing a reminder point or a pending deadline. So after an evaluation
 * the rows of every month are kept in the store (derived_cache) with the
 * stamp of what they came from, and `slaclock report --format csv` reads
 * them while the stamp holds instead of evaluating every event again. */

#define REPORT_CACHE_KEY "report:tallies"
/* bump when the engine or the tally counts differently: kept tallies of
   another count are then never read */
#define REPORT_CACHE_VERSION "tallies-1"
#define REPORT_CACHE_MONTHS_MAX 240  /* a wider span is not kept */
#define REPORT_ROW_INTS (1 + 2 * SLA_MILESTONE_COUNT + 4 + 2 * SLA_UNIT_COUNT + 5)

static void
report_row_ints(struct report_row *row, int *v, bool store)
{
	int *f[REPORT_ROW_INTS];
	size_t i, n = 0;
	int m;

	f[n++] = &row->tickets;
	for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
		f[n++] = &row->met[m];
		f[n++] = &row->missed[m];
	}
	f[n++] = &row->streak_deductions;
	f[n++] = &row->severity_pct;
	f[n++] = &row->warnings;
	f[n++] = &row->other_pct;
	for (m = 0; m < SLA_UNIT_COUNT; m++) {
		f[n++] = &row->deducted[m];
		f[n++] = &row->rewarded[m];
	}
	f[n++] = &row->complaints_verified;
	f[n++] = &row->satisfied;
	f[n++] = &row->responses;
	f[n++] = &row->flags;
	f[n++] = &row->reminders;
	for (i = 0; i < n; i++) {
		if (store)
			v[i] = *f[i];
		else
			*f[i] += v[i];
	}
}

static bool
report_is_month(const char *s)
{
	return strlen(s) == 7 && s[4] == '-' && strspn(s, "0123456789-") == 7 &&
		s[5] >= '0' && s[5] <= '1';
}

static void
report_span(char lo[8], char hi[8], const char *month)
{
	if (!report_is_month(month))
		return;
	if (lo[0] == '\0' || strcmp(month, lo) < 0)
		memcpy(lo, month, 8);
	if (hi[0] == '\0' || strcmp(month, hi) > 0)
		memcpy(hi, month, 8);
}

int
report_cache_stamp(const struct conf *conf, struct store *store, char *buf, size_t size)
{
	char *text = NULL;
	size_t len = 0, i;
	uint64_t h = 14695981039346656037u;
	int64_t last = 0;
	const char *ignored;
	FILE *f;

	if (store_event_max_id(store, &last, &ignored) < 0 ||
	    (f = open_memstream(&text, &len)) == NULL)
		return -1;
	/* everything the evaluation reads of the configuration */
	conf_print(conf, f);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 1099511628211u;
	free(text);
	/* and the program's version: another may count differently */
	snprintf(buf, size, "%s %s %016llx %lld", REPORT_CACHE_VERSION, PACKAGE_VERSION,
		 (unsigned long long)h, (long long)last);
	return 0;
}

void
report_cache_update(const struct conf *conf, const struct calendar *cal, struct store *store,
		    const struct sla_result *res, const char *stamp, int64_t now)
{
	char lo[8] = "", hi[8] = "", month[8];
	json_t *root = json_object(), *rows = json_array();
	int64_t valid_until = sla_result_valid_until(res, now), tmin = 0, tmax = 0;
	const char *ignored;
	char *text = NULL;
	size_t i, months = 0;
	int m, y, mo;

	if (root == NULL || rows == NULL)
		goto out;
	/* the first and last moments only: calendar_month() switches the
	   process's time zone, too dear to call per clock */
	for (i = 0; i < res->ticket_count; i++)
		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &res->tickets[i].clocks[m];

			if (c->deadline != 0 && (tmin == 0 || c->deadline < tmin))
				tmin = c->deadline;
			if (c->deadline > tmax)
				tmax = c->deadline;
			if (c->remind_at != 0 && (tmin == 0 || c->remind_at < tmin))
				tmin = c->remind_at;
			if (c->remind_at > tmax)
				tmax = c->remind_at;
		}
	if (tmin != 0) {
		calendar_month(cal, tmin, month);
		report_span(lo, hi, month);
		calendar_month(cal, tmax, month);
		report_span(lo, hi, month);
	}
	for (i = 0; i < res->warning_count; i++)
		report_span(lo, hi, res->warnings[i].month);
	for (i = 0; i < res->proposal_count; i++)
		report_span(lo, hi, res->proposals[i].month);
	for (i = 0; i < res->complaint_count; i++)
		report_span(lo, hi, res->complaints[i].month);
	for (i = 0; i < res->satisfaction_count; i++)
		report_span(lo, hi, res->satisfaction[i].period);
	for (i = 0; i < res->flag_count; i++)
		report_span(lo, hi, res->flags[i].month);
	if (lo[0] != '\0') {
		y = atoi(lo);
		mo = atoi(lo + 5);
		for (;;) {
			struct report_opts opts = { .period = month, .now = now };
			struct report r;
			const char *err;
			size_t k;

			snprintf(month, sizeof(month), "%04u-%02u", (unsigned)y % 10000u,
				 (unsigned)mo % 100u);
			if (strcmp(month, hi) > 0)
				break;
			if (++months > REPORT_CACHE_MONTHS_MAX ||
			    report_prepare(conf, cal, res, &opts, &r, &err) < 0)
				goto out;
			for (k = 0; k < r.count; k++) {
				int v[REPORT_ROW_INTS];
				json_t *ints = json_array();

				report_row_ints(&r.rows[k], v, true);
				for (i = 0; ints != NULL && i < REPORT_ROW_INTS; i++)
					json_array_append_new(ints, json_integer(v[i]));
				json_array_append_new(rows, json_pack("[s, s, o]", month,
								      r.rows[k].agent, ints));
			}
			free(r.rows);
			if (++mo > 12) {
				mo = 1;
				y++;
			}
		}
	}
	/* every moment due is after NOW, so the months before that of the
	   first one stay as they are whatever time it is */
	if (valid_until != 0)
		calendar_month(cal, valid_until, month);
	json_object_set_new(root, "valid_until", json_integer(valid_until));
	json_object_set_new(root, "due_month", json_string(valid_until != 0 ? month : ""));
	json_object_set(root, "rows", rows);
	if ((text = json_dumps(root, JSON_COMPACT)) != NULL)
		(void)store_cache_put(store, REPORT_CACHE_KEY, stamp, text, &ignored);
out:
	free(text);
	json_decref(rows);
	json_decref(root);
}

int
report_cache_render(const struct conf *conf, const struct calendar *cal, struct store *store,
		    const char *stamp, const struct report_opts *opts, FILE *out)
{
	char *cstamp = NULL, *value = NULL;
	json_t *root = NULL, *rows, *row;
	const char *ignored;
	struct report r;
	int64_t from, to, valid_until;
	size_t i;
	int ret = 0;

	memset(&r, 0, sizeof(r));
	/* the tallies are kept per month: a week (G20.w) is no sum of months */
	if (opts->format != REPORT_CSV || opts->period == NULL ||
	    strchr(opts->period, 'W') != NULL ||
	    calendar_period_range(cal, opts->period, &from, &to) < 0 ||
	    store_cache_get(store, REPORT_CACHE_KEY, &cstamp, &value, &ignored) < 0 ||
	    cstamp == NULL || strcmp(cstamp, stamp) != 0 ||
	    (root = json_loads(value, 0, NULL)) == NULL)
		goto out;
	valid_until = json_integer_value(json_object_get(root, "valid_until"));
	if (valid_until != 0 && opts->now >= valid_until) {
		const char *due_month = json_string_value(json_object_get(root, "due_month"));
		char last[8];

		/* a clock came due since: only months before its month hold */
		calendar_month(cal, to - 1, last);
		if (due_month == NULL || strcmp(last, due_month) >= 0)
			goto out;
	}
	r.period = opts->period;
	r.agent = opts->agent;
	r.team = opts->team;
	rows = json_object_get(root, "rows");
	json_array_foreach(rows, i, row) {
		const char *month = json_string_value(json_array_get(row, 0));
		const char *agent = json_string_value(json_array_get(row, 1));
		json_t *ints = json_array_get(row, 2);
		int v[REPORT_ROW_INTS];
		struct report_row *rw;
		size_t k;

		if (month == NULL || agent == NULL || json_array_size(ints) != REPORT_ROW_INTS)
			goto out;
		if (!report_period_has_month(opts->period, month) ||
		    !report_selects(conf, &r, agent))
			continue;
		if ((rw = report_row(conf, &r, agent)) == NULL)
			goto out;
		for (k = 0; k < REPORT_ROW_INTS; k++)
			v[k] = (int)json_integer_value(json_array_get(ints, k));
		report_row_ints(rw, v, false);
	}
	if (r.count > 1)
		qsort(r.rows, r.count, sizeof(*r.rows), report_row_cmp);
	report_rows_csv(conf, r.rows, r.count, out);
	ret = 1;
out:
	free(r.rows);
	json_decref(root);
	free(cstamp);
	free(value);
	return ret;
}
