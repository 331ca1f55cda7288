#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "report.h"

struct report {
	struct report_row *rows;
	size_t count, cap;
	int64_t from, to;
};

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
	r->rows[r->count].team = team != NULL ? team->name : "-";
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
	size_t i;
	int m;

	for (i = 0; i < res->ticket_count; i++) {
		const struct sla_ticket *t = &res->tickets[i];

		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &t->clocks[m];
			struct report_row *row;

			if (c->state == SLA_PENDING || c->deadline < r->from ||
			    c->deadline >= r->to)
				continue;
			if ((row = report_row(conf, r, report_agent(c->agent))) == NULL)
				return -1;
			if (c->state == SLA_MET)
				row->met[m]++;
			else
				row->missed[m]++;
			if (m == SLA_FIRST_RESPONSE)
				row->tickets++;
		}
	}
	for (i = 0; i < res->proposal_count; i++) {
		const struct sla_proposal *p = &res->proposals[i];
		struct report_row *row;

		if (strcmp(p->month, month) != 0)
			continue;
		if ((row = report_row(conf, r, report_agent(p->agent))) == NULL)
			return -1;
		if (strcmp(p->rule, "S14.1s") == 0)
			row->streak_deductions++;
		else
			row->severity_pct += p->pct;
	}
	/* qsort() must not see NULL, even for no rows (an empty month). */
	if (r->count > 1)
		qsort(r->rows, r->count, sizeof(*r->rows), report_row_cmp);
	return 0;
}

int
report_row_total(const struct conf *conf, const struct report_row *row)
{
	return row->streak_deductions * conf->policy.streak_deduction_pct +
		row->severity_pct;
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
	      "warnings,streak_deductions,severity_deduction_pct,total_deduction_pct\n",
	      out);
	for (i = 0; i < count; i++) {
		const struct report_row *row = &rows[i];

		report_csv_field(out, row->agent);
		fputc(',', out);
		report_csv_field(out, row->team);
		fprintf(out, ",%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", row->tickets,
			row->met[0], row->missed[0], row->met[1], row->missed[1],
			row->met[2], row->missed[2], row->missed[0],
			row->streak_deductions, row->severity_pct,
			report_row_total(conf, row));
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

static void
report_text(const struct conf *conf, const struct calendar *cal,
	    const struct sla_result *res, const struct report *r,
	    const char *month, FILE *out)
{
	const struct conf_policy *pol = &conf->policy;
	struct report_breach *list;
	size_t i, breaches = 0, proposals = 0;
	int m;

	fprintf(out, "slaclock monthly report %s  (pack %s, calendar %s %s)\n",
		month, pol->pack, conf->calendar.always_open ? "24x7" : "business hours",
		conf->calendar.timezone);
	fprintf(out, "targets: first response %llds (S14.1), preliminary solution %llds (S14.2p), "
		"resolution %llds (S14.2r)\n\n",
		(long long)pol->first_response_secs, (long long)pol->preliminary_secs,
		(long long)pol->resolution_secs);

	fprintf(out, "%-28s %-14s %7s %12s %12s %12s %8s %10s\n", "agent", "team",
		"tickets", "1st resp", "24h prelim", "72h resolve", "warnings",
		"deduction");
	fprintf(out, "%-28s %-14s %7s %12s %12s %12s %8s %10s\n", "", "", "",
		"met/missed", "met/missed", "met/missed", "S14.1w", "% of month");
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
			row->missed[0], ded);
	}
	if (r->count == 0)
		fputs("(nothing booked in this month)\n", out);

	fputs("\nbreaches (charged to the ticket owner at the deadline)\n", out);
	list = calloc(res->ticket_count * SLA_MILESTONE_COUNT + 1, sizeof(*list));
	for (i = 0; list != NULL && i < res->ticket_count; i++) {
		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &res->tickets[i].clocks[m];

			if (c->state != SLA_MISSED || c->deadline < r->from ||
			    c->deadline >= r->to)
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
	if (breaches == 0)
		fputs("  none\n", out);

	fputs("\nproposed deductions (need approval; % of that month's performance score)\n", out);
	for (i = 0; i < res->proposal_count; i++) {
		const struct sla_proposal *p = &res->proposals[i];

		if (strcmp(p->month, month) != 0)
			continue;
		fprintf(out, "  %-7s %-28s -%d%%  proposed  %s\n", p->rule,
			report_agent(p->agent), p->pct, p->tickets);
		proposals++;
	}
	if (proposals == 0)
		fputs("  none\n", out);
}

static int
report_json(const struct conf *conf, const struct sla_result *res,
	    const struct report *r, const char *month, FILE *out)
{
	json_t *root = json_object(), *agents = json_array(), *props = json_array();
	size_t i;
	int ret = -1;

	if (root == NULL || agents == NULL || props == NULL)
		goto out;
	json_object_set_new(root, "month", json_string(month));
	json_object_set_new(root, "pack", json_string(conf->policy.pack));
	for (i = 0; i < r->count; i++) {
		const struct report_row *row = &r->rows[i];

		json_array_append_new(agents, json_pack(
			"{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
			"agent", row->agent, "team", row->team, "tickets", row->tickets,
			"first_response_met", row->met[0],
			"first_response_missed", row->missed[0],
			"preliminary_met", row->met[1], "preliminary_missed", row->missed[1],
			"resolution_met", row->met[2], "resolution_missed", row->missed[2],
			"warnings", row->missed[0],
			"streak_deductions", row->streak_deductions,
			"severity_deduction_pct", row->severity_pct,
			"total_deduction_pct", report_row_total(conf, row)));
	}
	for (i = 0; i < res->proposal_count; i++) {
		const struct sla_proposal *p = &res->proposals[i];

		if (strcmp(p->month, month) != 0)
			continue;
		json_array_append_new(props, json_pack(
			"{s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "key", p->key,
			"agent", report_agent(p->agent), "rule", p->rule, "pct", p->pct,
			"unit", "pct_month_score", "state", "proposed",
			"tickets", p->tickets));
	}
	json_object_set(root, "agents", agents);
	json_object_set(root, "proposals", props);
	if (json_dumpf(root, out, JSON_INDENT(2)) == 0) {
		fputc('\n', out);
		ret = 0;
	}
out:
	json_decref(agents);
	json_decref(props);
	json_decref(root);
	return ret;
}

int
report_rows(const struct conf *conf, const struct calendar *cal,
	    const struct sla_result *result, const char *month,
	    struct report_row **rows_r, size_t *count_r, const char **error_r)
{
	struct report r;

	memset(&r, 0, sizeof(r));
	*rows_r = NULL;
	*count_r = 0;
	if (calendar_month_range(cal, month, &r.from, &r.to) < 0) {
		*error_r = "month must be YYYY-MM";
		return -1;
	}
	if (report_build(conf, result, month, &r) < 0) {
		free(r.rows);
		*error_r = "out of memory building the report";
		return -1;
	}
	*rows_r = r.rows;
	*count_r = r.count;
	return 0;
}

int
report_render(const struct conf *conf, const struct calendar *cal,
	      const struct sla_result *result, const char *month,
	      enum report_format format, FILE *out, const char **error_r)
{
	struct report r;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	if (calendar_month_range(cal, month, &r.from, &r.to) < 0) {
		*error_r = "month must be YYYY-MM";
		return -1;
	}
	if (report_build(conf, result, month, &r) < 0) {
		*error_r = "out of memory building the report";
		goto out;
	}
	switch (format) {
	case REPORT_CSV:
		report_rows_csv(conf, r.rows, r.count, out);
		ret = 0;
		break;
	case REPORT_JSON:
		ret = report_json(conf, result, &r, month, out);
		if (ret < 0)
			*error_r = "cannot write JSON";
		break;
	case REPORT_TEXT:
		report_text(conf, cal, result, &r, month, out);
		ret = 0;
		break;
	}
out:
	free(r.rows);
	return ret;
}
