#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "digest.h"
#include "i18n.h"
#include "log.h"
#include "mailmsg.h"
#include "report.h"
#include "store.h"

/* Colours of the mail; named once so text and charts agree. */
#define DIGEST_C_HEAD "#1f3a5f"
#define DIGEST_C_MET "#2e7d32"
#define DIGEST_C_MISSED "#d32f2f"
#define DIGEST_C_EMPTY "#d1d5db"
#define DIGEST_C_DEDUCT "#ef6c00"
#define DIGEST_C_RULE "#e5e7eb"
#define DIGEST_C_SHADE "#f3f4f6"
#define DIGEST_FONT "font-family:Arial,Helvetica,Microsoft YaHei,PingFang SC,SimSun,sans-serif;"
#define DIGEST_WIDTH 760
/* The deduction chart's full width, in % of the month score. */
#define DIGEST_DEDUCT_SCALE_MIN 20

/* The strings of one mail, in the language i18n_begin() chose. */
struct digest_strings {
	const char *lang;
	const char *subject[3];       /* %s month, %s team */
	const char *title[3];         /* %s team */
	const char *intro[3];
	const char *tile_tickets, *tile_first, *tile_breaches, *tile_proposals;
	const char *chart_first, *chart_deduct, *legend_met, *legend_missed, *no_clock;
	const char *table_title, *col_agent, *col_team, *col_tickets, *col_first,
		*col_prelim, *col_resol, *col_warnings, *col_deduction, *met_missed;
	const char *breaches_title, *col_ticket, *col_rule, *col_deadline, *col_late,
		*still_open;
	const char *proposals_title, *proposals_note, *col_amount, *col_tickets_involved,
		*col_state;
	const char *none, *footer, *attachment_note;
	const char *unfixed;          /* %s a range in its unit */
	const char *state[5];         /* proposed, reviewed, approved, executed, rejected */
	const char *totals_title, *col_deductions, *col_rewards, *unassigned;
	const char *csv_header, *csv_header_more;
	const char *min, *hour, *day;
};

/* TRANSLATORS: the header row of the CSV attachment, the columns of
   `slaclock report --format csv`: translate each name, keep the 24 names
   and the commas between them, no comma or quote in a name (another
   count gives the English row). */
static const char digest_csv_header[] = N_("agent,team,tickets,first_response_met,"
	"first_response_missed,preliminary_met,preliminary_missed,resolution_met,"
	"resolution_missed,warnings,streak_deductions,severity_deduction_pct,"
	"total_deduction_pct,other_deduction_pct,quarter_deduction_pct,wage_deduction_pct,"
	"wage_reward_pct,yuan_deduction,points_deduction,bonus_deduction_pct,"
	"complaints_verified,satisfied,satisfaction_responses,flags");
#define DIGEST_CSV_COLUMNS 24
/* TRANSLATORS: the CSV attachment's columns after those: rewards in the
   units the report has no column for, and the yuan ranges not fixed yet.
   Keep the 9 names and the commas. */
static const char digest_csv_header_more[] = N_("month_reward_pct,quarter_reward_pct,"
	"yuan_reward,points_reward,bonus_reward_pct,yuan_range_deduction_min,"
	"yuan_range_deduction_max,yuan_range_reward_min,yuan_range_reward_max");
#define DIGEST_CSV_MORE 9

static void
digest_strings_load(struct digest_strings *s)
{
	/* TRANSLATORS: the lang attribute of the mail's HTML (BCP 47). */
	s->lang = _("en");
	/* TRANSLATORS: %s the month, %s the team. */
	s->subject[DIGEST_TEAM] = _("[slaclock] SLA digest %s: team %s");
	/* TRANSLATORS: %s the month. */
	s->subject[DIGEST_HR] = _("[slaclock] SLA digest %s: all teams");
	/* TRANSLATORS: %s the month. */
	s->subject[DIGEST_AGENT] = _("[slaclock] Your SLA statement %s");
	/* TRANSLATORS: %s the team. */
	s->title[DIGEST_TEAM] = _("SLA monthly digest · team %s");
	s->title[DIGEST_HR] = _("SLA monthly digest · all teams");
	s->title[DIGEST_AGENT] = _("Your SLA statement");
	s->intro[DIGEST_TEAM] = _("The month's service-level results of your team, "
				  "charged to the ticket owner at each deadline.");
	s->intro[DIGEST_HR] = _("The month's service-level results of every team, "
				"with the deductions proposed for approval.");
	s->intro[DIGEST_AGENT] = _("Your own service-level results this month. "
				   "Ask your team lead if something looks wrong.");
	s->tile_tickets = _("tickets");
	s->tile_first = _("first response on time");
	s->tile_breaches = _("breaches");
	/* TRANSLATORS: a tile: how many deductions and rewards are proposed. */
	s->tile_proposals = _("proposals");
	s->chart_first = _("First response within target, per agent");
	/* xgettext:no-c-format */
	s->chart_deduct = _("Proposed deduction, % of the month's score");
	s->legend_met = _("met");
	s->legend_missed = _("missed");
	s->no_clock = _("no clock");
	s->table_title = _("Per agent");
	s->col_agent = _("Agent");
	s->col_team = _("Team");
	s->col_tickets = _("Tickets");
	s->col_first = _("1st response");
	s->col_prelim = _("24 h preliminary");
	s->col_resol = _("72 h resolution");
	s->col_warnings = _("Warnings");
	/* TRANSLATORS: a column: an agent's deductions and rewards, each in
	   its own unit. */
	s->col_deduction = _("Deductions / rewards");
	s->met_missed = _("met / missed");
	s->breaches_title = _("Breaches");
	s->col_ticket = _("Ticket");
	s->col_rule = _("Rule");
	s->col_deadline = _("Deadline");
	s->col_late = _("Late by");
	s->still_open = _("still open");
	s->proposals_title = _("Proposed deductions and rewards");
	s->proposals_note = _("Proposals only: nothing is deducted or paid until a person "
			      "approves. Each amount is in its own unit; units are never "
			      "added together.");
	/* TRANSLATORS: a column: a deduction or reward with its unit. */
	s->col_amount = _("Amount");
	/* TRANSLATORS: a column: the tickets a deduction is for. */
	s->col_tickets_involved = _("Tickets involved");
	/* TRANSLATORS: a column: proposed, approved, rejected, ... */
	s->col_state = _("State");
	s->state[0] = _("proposed");
	s->state[1] = _("reviewed");
	s->state[2] = _("approved");
	s->state[3] = _("executed");
	s->state[4] = _("rejected");
	/* TRANSLATORS: %s an amount range with its unit, "-(50–500) yuan":
	   the approver fixes the amount within it. */
	s->unfixed = _("%s (to be fixed on approval)");
	s->totals_title = _("Totals by unit (never added together; rejected ones left out)");
	s->col_deductions = _("Deductions");
	s->col_rewards = _("Rewards");
	/* TRANSLATORS: the agent of a ticket nobody owned at the deadline. */
	s->unassigned = _("(unassigned)");
	s->csv_header = _(digest_csv_header);
	s->csv_header_more = _(digest_csv_header_more);
	s->none = _("none");
	/* TRANSLATORS: %s the policy pack, %s the time zone. */
	s->footer = _("Sent automatically by slaclock; please do not reply. "
		      "Policy pack %s, times in %s.");
	s->attachment_note = _("The table is attached as CSV.");
	/* TRANSLATORS: minutes, hours, days, after a number. */
	s->min = _("min");
	s->hour = _("h");
	s->day = _("d");
}

void
digest_html_escape(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out); break;
		}
	}
}

void
digest_ticket_shown(const char *ticket, bool show_customers, char *buf, size_t size)
{
	size_t o = 0;
	const char *p;

	for (p = ticket; *p != '\0' && o + 4 < size; p++) {
		if (*p == '@' && !show_customers) {
			/* "…" and skip the domain, up to a separator. */
			memcpy(buf + o, "@\xe2\x80\xa6", 4);
			o += 4;
			while (p[1] != '\0' && strchr(",; >", p[1]) == NULL)
				p++;
			continue;
		}
		buf[o++] = *p;
	}
	buf[o] = '\0';
	if (o > DIGEST_TICKET_SHOWN_MAX && size > DIGEST_TICKET_SHOWN_MAX + 4) {
		size_t cut = DIGEST_TICKET_SHOWN_MAX;

		while (cut > 0 && ((unsigned char)buf[cut] & 0xc0) == 0x80)
			cut--;
		memcpy(buf + cut, "\xe2\x80\xa6", 4);
	}
}

/* TMPL with each "%s" replaced by the next of ARGS (the string table's
   templates are data, so no printf on them). */
static void
digest_fill(char *buf, size_t size, const char *tmpl, const char *a, const char *b)
{
	const char *args[2] = { a, b };
	size_t o = 0, k = 0;

	for (; *tmpl != '\0' && o + 1 < size; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == 's') {
			const char *v = k < 2 && args[k] != NULL ? args[k] : "";
			size_t n = strlen(v);

			k++;
			if (n > size - 1 - o)
				n = size - 1 - o;
			memcpy(buf + o, v, n);
			o += n;
			tmpl++;
			continue;
		}
		buf[o++] = *tmpl;
	}
	buf[o] = '\0';
}

/* "2026-11" or "2026年11月". */
static void
digest_month_shown(const char *month, char *buf, size_t size)
{
	char year[5];

	if (strlen(month) != 7) {
		snprintf(buf, size, "%s", month);
		return;
	}
	memcpy(year, month, 4);
	year[4] = '\0';
	/* TRANSLATORS: a month: %s the year, %02d the month (1 to 12). */
	snprintf(buf, size, _("%s-%02d"), year, atoi(month + 5));
}

void
digest_duration_text(int64_t secs, const char *min, const char *hour, const char *day,
		     char *buf, size_t size)
{
	int64_t m = (secs + 59) / 60;

	if (m < 60)
		snprintf(buf, size, "%lld %s", (long long)m, min);
	else if (m < 48 * 60)
		snprintf(buf, size, "%lld %s %02lld %s", (long long)(m / 60), hour,
			 (long long)(m % 60), min);
	else
		snprintf(buf, size, "%lld %s %lld %s", (long long)(m / 1440), day,
			 (long long)(m % 1440 / 60), hour);
}

static const char *
digest_agent(const char *agent)
{
	return agent[0] != '\0' ? agent : "(unassigned)";
}

/* AGENT as shown: a row or proposal of nobody's in the mail's language. */
static const char *
digest_agent_shown(const struct digest_strings *s, const char *agent)
{
	return agent[0] == '\0' || strcmp(agent, "(unassigned)") == 0 ? s->unassigned : agent;
}

/* The team of AGENT; a team's own proposals (S14.3, "team:NAME") are
   that team's, as report.c's team filter has them. */
static const char *
digest_team_of(const struct conf *conf, const char *agent)
{
	const struct conf_team *t = conf_agent_team(conf, agent);

	if (t == NULL && strncmp(agent, "team:", 5) == 0)
		return agent + 5;
	return t != NULL ? t->name : "-";
}

/* Amounts kept apart by unit and sign, as report.c's JSON totals:
   [0] deductions, [1] rewards; ranges not fixed yet apart from fixed
   amounts (a range is no amount). Rejected proposals count nowhere. */
struct digest_sums {
	int amount[2][SLA_UNIT_COUNT];
	int range[2][SLA_UNIT_COUNT][2];   /* sums of the minima, of the maxima */
	int ranges[2][SLA_UNIT_COUNT];     /* how many */
};

static bool
digest_unfixed(const struct sla_proposal *p)
{
	return p->amount_max > 0 && !p->fixed;
}

static void
digest_sums_add(struct digest_sums *sums, const struct sla_proposal *p)
{
	int r = p->reward ? 1 : 0;

	if ((unsigned)p->unit >= SLA_UNIT_COUNT || strcmp(p->state, "rejected") == 0)
		return;
	if (digest_unfixed(p)) {
		sums->range[r][p->unit][0] += p->amount_min;
		sums->range[r][p->unit][1] += p->amount_max;
		sums->ranges[r][p->unit]++;
	} else {
		sums->amount[r][p->unit] += p->pct;
	}
}

/* The template of UNIT in the current language, "%s" the signed amount:
   units are never mixed (POLICY.md), each amount is shown in its own. N
   is the amount's size, for the plural of points. */
static const char *
digest_unit_template(enum sla_unit unit, int n)
{
	switch (unit) {
	/* TRANSLATORS: the units of POLICY.md; %s is the signed amount
	   ("-10", "+5"), keep it and the % after it. */
	case SLA_UNIT_PCT_MONTH:
		/* xgettext:no-c-format */
		return _("%s% of the month's score");
	case SLA_UNIT_PCT_QUARTER:
		/* xgettext:no-c-format */
		return _("%s% of the quarter's score");
	case SLA_UNIT_PCT_WAGE:
		/* xgettext:no-c-format */
		return _("%s% of the month's wage");
	case SLA_UNIT_YUAN:
		/* TRANSLATORS: %s the signed amount in yuan (RMB). */
		return _("%s yuan");
	case SLA_UNIT_POINTS:
		/* TRANSLATORS: %s the signed number of T17 points. */
		return i18n_ngettext("%s point", "%s points", (unsigned long)(n < 0 ? -n : n));
	case SLA_UNIT_PCT_BONUS:
		/* xgettext:no-c-format */
		return _("%s% of the month's bonus");
	default:
		return "%s ?";
	}
}

/* NUM (a signed number or range as text, N its size for the plural) in
   UNIT: "-10% of the month's score", "+5 points". */
static void
digest_unit(enum sla_unit unit, const char *num, int n, char *buf, size_t size)
{
	digest_fill(buf, size, digest_unit_template(unit, n), num, NULL);
}

void
digest_amount_text(enum sla_unit unit, bool reward, int amount, char *buf, size_t size)
{
	char num[24];

	snprintf(num, sizeof(num), "%c%d", reward ? '+' : '-', amount);
	digest_unit(unit, num, amount, buf, size);
}

/* A range the approver fixes: "-(50–500) yuan (to be fixed on approval)";
   the sign outside the brackets, so no bound reads as negative. */
static void
digest_range(const struct digest_strings *s, enum sla_unit unit, bool reward, int min,
	     int max, char *buf, size_t size)
{
	char num[48], in_unit[160];

	snprintf(num, sizeof(num), "%c(%d\xe2\x80\x93%d)", reward ? '+' : '-', min, max);
	digest_unit(unit, num, max, in_unit, sizeof(in_unit));
	digest_fill(buf, size, s->unfixed, in_unit, NULL);
}

/* P's amount in its unit. */
static void
digest_proposal_amount(const struct digest_strings *s, const struct sla_proposal *p,
		       char *buf, size_t size)
{
	if (digest_unfixed(p))
		digest_range(s, p->unit, p->reward, p->amount_min, p->amount_max, buf, size);
	else
		digest_amount_text(p->unit, p->reward, p->pct, buf, size);
}

#define DIGEST_ITEMS_MAX (4 * SLA_UNIT_COUNT)
#define DIGEST_ITEM_SIZE 192

/* SUMS as a list, one item per unit and sign, deductions first, then the
   ranges; the sign in front of each (items[i][0] is '-' or '+'). */
static size_t
digest_sums_items(const struct digest_strings *s, const struct digest_sums *sums,
		  char items[DIGEST_ITEMS_MAX][DIGEST_ITEM_SIZE])
{
	size_t n = 0;
	int r, u;

	for (u = 0; u < SLA_UNIT_COUNT; u++)
		for (r = 0; r < 2; r++)
			if (sums->amount[r][u] != 0)
				digest_amount_text((enum sla_unit)u, r == 1, sums->amount[r][u],
						   items[n++], DIGEST_ITEM_SIZE);
	for (u = 0; u < SLA_UNIT_COUNT; u++)
		for (r = 0; r < 2; r++)
			if (sums->ranges[r][u] > 0)
				digest_range(s, (enum sla_unit)u, r == 1, sums->range[r][u][0],
					     sums->range[r][u][1], items[n++], DIGEST_ITEM_SIZE);
	return n;
}

/* The state of a proposal in the mail's language. */
static const char *
digest_state(const struct digest_strings *s, const char *state)
{
	static const char *const names[] = {
		"proposed", "reviewed", "approved", "executed", "rejected",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(state, names[i]) == 0)
			return s->state[i];
	return state;
}

struct digest_ctx {
	const struct conf *conf;
	const struct mailer_conf *mconf;
	const struct calendar *cal;
	const struct sla_result *result;
	const struct digest_strings *s;
	const char *month;
	enum digest_kind kind;
	const char *who;
	int64_t from, to;
	struct report_row *rows;      /* the selected rows */
	size_t count;
	/* Totals of the selected rows. */
	int tickets, first_met, first_missed, breaches, proposals, warnings;
	int month_deducted;           /* any row's % of the month's score */
	struct digest_sums sums;      /* of the selected proposals */
	struct digest_sums *row_sums; /* per row: the report's amounts, our ranges */
};

/* How late breached clock K was, or that it is still open; into BUF. */
static void
digest_late(const struct digest_ctx *c, const struct sla_clock *k, char *buf, size_t size)
{
	if (k->stopped_at != 0)
		digest_duration_text(k->stopped_at - k->deadline, c->s->min, c->s->hour, c->s->day,
				     buf, size);
	else
		snprintf(buf, size, "%s", c->s->still_open);
}

static bool
digest_selects(const struct digest_ctx *c, const char *agent, const char *team)
{
	switch (c->kind) {
	case DIGEST_TEAM:
		return strcmp(team, c->who) == 0;
	case DIGEST_AGENT:
		return strcmp(agent, c->who) == 0;
	case DIGEST_HR:
		break;
	}
	return true;
}

static bool
digest_clock_selected(const struct digest_ctx *c, const struct sla_clock *clock)
{
	const char *agent = digest_agent(clock->agent);

	return clock->state == SLA_MISSED && clock->deadline >= c->from &&
		clock->deadline < c->to &&
		digest_selects(c, agent, digest_team_of(c->conf, agent));
}

static bool
digest_proposal_selected(const struct digest_ctx *c, const struct sla_proposal *p)
{
	const char *agent = digest_agent(p->agent);

	return strcmp(p->month, c->month) == 0 &&
		digest_selects(c, agent, digest_team_of(c->conf, agent));
}

struct digest_breach {
	const struct sla_ticket *ticket;
	int milestone;
};

static int
digest_breach_cmp(const void *a, const void *b)
{
	const struct digest_breach *x = a, *y = b;
	int64_t dx = x->ticket->clocks[x->milestone].deadline;
	int64_t dy = y->ticket->clocks[y->milestone].deadline;

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(x->ticket->ticket, y->ticket->ticket);
}

/* The month's breaches of the selected agents, by deadline. */
static int
digest_breaches(const struct digest_ctx *c, struct digest_breach **list_r, size_t *count_r)
{
	struct digest_breach *list = NULL;
	size_t i, n = 0, cap = 0;
	int m;

	for (i = 0; i < c->result->ticket_count; i++) {
		const struct sla_ticket *t = &c->result->tickets[i];

		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			if (!digest_clock_selected(c, &t->clocks[m]))
				continue;
			if (n == cap) {
				size_t ncap = cap == 0 ? 32 : cap * 2;
				struct digest_breach *nl = realloc(list, ncap * sizeof(*nl));

				if (nl == NULL) {
					free(list);
					return -1;
				}
				list = nl;
				cap = ncap;
			}
			list[n].ticket = t;
			list[n++].milestone = m;
		}
	}
	if (n > 0)
		qsort(list, n, sizeof(*list), digest_breach_cmp);
	*list_r = list;
	*count_r = n;
	return 0;
}

static int
digest_pct(int part, int whole)
{
	return whole > 0 ? (int)((part * 100 + whole / 2) / whole) : 0;
}

/* ---- HTML ---- */

static void
digest_html_section(FILE *out, const char *title)
{
	fputs("<tr><td style=\"padding:20px 24px 8px 24px;font-size:16px;font-weight:bold;"
	      "color:" DIGEST_C_HEAD ";border-top:1px solid " DIGEST_C_RULE ";\">", out);
	digest_html_escape(out, title);
	fputs("</td></tr>\n", out);
}

static void
digest_html_tiles(FILE *out, const struct digest_ctx *c)
{
	char v[4][32];
	const char *labels[4] = { c->s->tile_tickets, c->s->tile_first,
		c->s->tile_breaches, c->s->tile_proposals };
	int i;

	snprintf(v[0], sizeof(v[0]), "%d", c->tickets);
	if (c->first_met + c->first_missed > 0)
		snprintf(v[1], sizeof(v[1]), "%d%%",
			 digest_pct(c->first_met, c->first_met + c->first_missed));
	else
		snprintf(v[1], sizeof(v[1]), "&#8211;");
	snprintf(v[2], sizeof(v[2]), "%d", c->breaches);
	snprintf(v[3], sizeof(v[3]), "%d", c->proposals);
	fputs("<tr><td style=\"padding:0 24px 16px 24px;\">\n"
	      "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"8\" border=\"0\">"
	      "<tr>\n", out);
	for (i = 0; i < 4; i++) {
		const char *color = (i == 2 && c->breaches > 0) || (i == 3 && c->proposals > 0) ?
			DIGEST_C_MISSED : DIGEST_C_HEAD;

		fprintf(out, "<td width=\"25%%\" align=\"center\" bgcolor=\"" DIGEST_C_SHADE "\" "
			"style=\"background:" DIGEST_C_SHADE ";padding:12px 4px;\">"
			"<div style=\"font-size:24px;font-weight:bold;color:%s;\">%s</div>"
			"<div style=\"font-size:12px;color:#4b5563;\">", color, v[i]);
		digest_html_escape(out, labels[i]);
		fputs("</div></td>\n", out);
	}
	fputs("</tr></table></td></tr>\n", out);
}

static void
digest_html_bar_cell(FILE *out, int pct, const char *color)
{
	if (pct <= 0)
		return;
	/* Width as attribute and style, height as attribute: Outlook's Word
	   engine reads the attributes, web mail the style. */
	fprintf(out, "<td width=\"%d%%\" height=\"14\" bgcolor=\"%s\" "
		"style=\"width:%d%%;height:14px;background:%s;font-size:1px;line-height:1px;\">"
		"&#160;</td>", pct, color, pct, color);
}

static void
digest_html_chart_first(FILE *out, const struct digest_ctx *c)
{
	size_t i;

	digest_html_section(out, c->s->chart_first);
	fputs("<tr><td style=\"padding:4px 24px 8px 24px;\">\n"
	      "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	      "style=\"font-size:13px;\">\n", out);
	for (i = 0; i < c->count; i++) {
		const struct report_row *r = &c->rows[i];
		int total = r->met[SLA_FIRST_RESPONSE] + r->missed[SLA_FIRST_RESPONSE];
		int met = digest_pct(r->met[SLA_FIRST_RESPONSE], total);

		fputs("<tr><td width=\"220\" style=\"padding:4px 8px 4px 0;color:#111827;\">", out);
		digest_html_escape(out, digest_agent_shown(c->s, r->agent));
		fputs("</td><td style=\"padding:4px 0;\">"
		      "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" "
		      "border=\"0\"><tr>", out);
		if (total == 0) {
			digest_html_bar_cell(out, 100, DIGEST_C_EMPTY);
		} else {
			digest_html_bar_cell(out, met, DIGEST_C_MET);
			digest_html_bar_cell(out, 100 - met, DIGEST_C_MISSED);
		}
		fputs("</tr></table></td>"
		      "<td width=\"110\" align=\"right\" style=\"padding:4px 0 4px 8px;color:#374151;"
		      "white-space:nowrap;\">", out);
		if (total == 0)
			digest_html_escape(out, c->s->no_clock);
		else
			fprintf(out, "%d%% (%d/%d)", met, r->met[SLA_FIRST_RESPONSE], total);
		fputs("</td></tr>\n", out);
	}
	fprintf(out, "</table>\n<p style=\"margin:6px 0 0 0;font-size:12px;color:#4b5563;\">"
		"<span style=\"color:" DIGEST_C_MET ";\">&#9632;</span> ");
	digest_html_escape(out, c->s->legend_met);
	fputs(" &#160; <span style=\"color:" DIGEST_C_MISSED ";\">&#9632;</span> ", out);
	digest_html_escape(out, c->s->legend_missed);
	fputs("</p></td></tr>\n", out);
}

static void
digest_html_chart_deduct(FILE *out, const struct digest_ctx *c)
{
	int scale = DIGEST_DEDUCT_SCALE_MIN;
	size_t i;

	for (i = 0; i < c->count; i++)
		if (report_row_total(c->conf, &c->rows[i]) > scale)
			scale = report_row_total(c->conf, &c->rows[i]);
	digest_html_section(out, c->s->chart_deduct);
	fputs("<tr><td style=\"padding:4px 24px 8px 24px;\">\n"
	      "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	      "style=\"font-size:13px;\">\n", out);
	for (i = 0; i < c->count; i++) {
		int total = report_row_total(c->conf, &c->rows[i]);
		int w = total * 100 / scale;

		if (total == 0)
			continue;
		fputs("<tr><td width=\"220\" style=\"padding:4px 8px 4px 0;\">", out);
		digest_html_escape(out, digest_agent_shown(c->s, c->rows[i].agent));
		fputs("</td><td style=\"padding:4px 0;\"><table role=\"presentation\" width=\"100%\" "
		      "cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>", out);
		digest_html_bar_cell(out, w < 1 ? 1 : w, DIGEST_C_DEDUCT);
		if (w < 100)
			fprintf(out, "<td width=\"%d%%\" style=\"width:%d%%;font-size:1px;\">&#160;</td>",
				100 - w, 100 - w);
		fprintf(out, "</tr></table></td><td width=\"110\" align=\"right\" "
			"style=\"padding:4px 0 4px 8px;color:" DIGEST_C_MISSED ";font-weight:bold;\">"
			"-%d%%</td></tr>\n", total);
	}
	fputs("</table></td></tr>\n", out);
}

static void
digest_html_th(FILE *out, const char *text, const char *sub, bool right)
{
	fprintf(out, "<th align=\"%s\" bgcolor=\"" DIGEST_C_SHADE "\" style=\"background:"
		DIGEST_C_SHADE ";padding:6px 8px;border-bottom:2px solid " DIGEST_C_RULE ";"
		"font-size:12px;color:#374151;\">", right ? "right" : "left");
	digest_html_escape(out, text);
	if (sub != NULL) {
		fputs("<br/><span style=\"font-weight:normal;color:#6b7280;\">", out);
		digest_html_escape(out, sub);
		fputs("</span>", out);
	}
	fputs("</th>", out);
}

/* A table cell, its style left open for the caller to add to and close. */
#define DIGEST_TD "<td style=\"padding:6px 8px;border-bottom:1px solid " DIGEST_C_RULE ";"
/* One with a line of the same row below it: no rule between the two. */
#define DIGEST_TD_TOP "<td style=\"padding:6px 8px 2px 8px;"

static void
digest_html_td_pair(FILE *out, const char *td, int met, int missed)
{
	fprintf(out, "%s\" align=\"right\">%d / <span style=\"color:%s;%s\">%d</span></td>",
		td, met, missed > 0 ? DIGEST_C_MISSED : "#111827",
		missed > 0 ? "font-weight:bold;" : "", missed);
}

/* SUMS, one amount per unit and sign, SEP between them: deductions red,
   rewards green; "–" when there is none. */
static void
digest_html_amounts(FILE *out, const struct digest_strings *s, const struct digest_sums *sums,
		    const char *sep)
{
	char items[DIGEST_ITEMS_MAX][DIGEST_ITEM_SIZE];
	size_t n = digest_sums_items(s, sums, items), k;

	for (k = 0; k < n; k++) {
		fprintf(out, "%s<span style=\"color:%s;font-weight:bold;\">", k > 0 ? sep : "",
			items[k][0] == '+' ? DIGEST_C_MET : DIGEST_C_MISSED);
		digest_html_escape(out, items[k]);
		fputs("</span>", out);
	}
	if (n == 0)
		fputs("&#8211;", out);
}

static void
digest_html_table(FILE *out, const struct digest_ctx *c)
{
	size_t i;

	digest_html_section(out, c->s->table_title);
	fputs("<tr><td style=\"padding:4px 24px 8px 24px;\">\n"
	      "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	      "style=\"border-collapse:collapse;font-size:13px;\">\n<tr>", out);
	digest_html_th(out, c->s->col_agent, NULL, false);
	if (c->kind == DIGEST_HR)
		digest_html_th(out, c->s->col_team, NULL, false);
	digest_html_th(out, c->s->col_tickets, NULL, true);
	digest_html_th(out, c->s->col_first, c->s->met_missed, true);
	digest_html_th(out, c->s->col_prelim, c->s->met_missed, true);
	digest_html_th(out, c->s->col_resol, c->s->met_missed, true);
	digest_html_th(out, c->s->col_warnings, NULL, true);
	fputs("</tr>\n", out);
	for (i = 0; i < c->count; i++) {
		const struct report_row *r = &c->rows[i];
		char items[DIGEST_ITEMS_MAX][DIGEST_ITEM_SIZE];
		/* the amounts on a line of their own below: in a column they
		   made the table wider than the mail */
		bool more = digest_sums_items(c->s, &c->row_sums[i], items) > 0;
		const char *td = more ? DIGEST_TD_TOP : DIGEST_TD;

		fprintf(out, "<tr>%s\">", td);
		digest_html_escape(out, digest_agent_shown(c->s, r->agent));
		fputs("</td>", out);
		if (c->kind == DIGEST_HR) {
			fprintf(out, "%swhite-space:nowrap;\">", td);
			digest_html_escape(out, r->team);
			fputs("</td>", out);
		}
		fprintf(out, "%s\" align=\"right\">%d</td>", td, r->tickets);
		digest_html_td_pair(out, td, r->met[0], r->missed[0]);
		digest_html_td_pair(out, td, r->met[1], r->missed[1]);
		digest_html_td_pair(out, td, r->met[2], r->missed[2]);
		fprintf(out, "%s\" align=\"right\">%d</td></tr>\n", td, r->warnings);
		if (!more)
			continue;
		fprintf(out, "<tr>" DIGEST_TD "padding-top:0;font-size:12px;line-height:18px;\" "
			"colspan=\"%d\"><strong style=\"font-weight:normal;color:#6b7280;\">",
			c->kind == DIGEST_HR ? 7 : 6);
		digest_html_escape(out, c->s->col_deduction);
		fputs(":</strong> ", out);
		digest_html_amounts(out, c->s, &c->row_sums[i], " &#183; ");
		fputs("</td></tr>\n", out);
	}
	if (c->count == 0) {
		fprintf(out, "<tr>" DIGEST_TD "\" colspan=\"%d\">", c->kind == DIGEST_HR ? 7 : 6);
		digest_html_escape(out, c->s->none);
		fputs("</td></tr>\n", out);
	}
	fputs("</table></td></tr>\n", out);
}

static void
digest_ticket_link(FILE *out, const struct digest_ctx *c, const char *ticket)
{
	char shown[DIGEST_TICKET_SHOWN_MAX * 2 + 8];

	digest_ticket_shown(ticket, c->mconf->privacy_show_customers, shown, sizeof(shown));
	if (c->mconf->ticket_url != NULL && ticket[0] == '#' && ticket[1] != '\0' &&
	    strspn(ticket + 1, "0123456789") == strlen(ticket + 1)) {
		const char *pct = strstr(c->mconf->ticket_url, "%s");

		fputs("<a href=\"", out);
		fwrite(c->mconf->ticket_url, 1, (size_t)(pct - c->mconf->ticket_url), out);
		fputs(ticket + 1, out);
		digest_html_escape(out, pct + 2);
		fputs("\" style=\"color:#1d4ed8;\">", out);
		digest_html_escape(out, shown);
		fputs("</a>", out);
		return;
	}
	digest_html_escape(out, shown);
}

static void
digest_html_breaches(FILE *out, const struct digest_ctx *c,
		     const struct digest_breach *list, size_t n)
{
	size_t i;

	digest_html_section(out, c->s->breaches_title);
	fputs("<tr><td style=\"padding:4px 24px 8px 24px;\">\n", out);
	if (n == 0) {
		fputs("<p style=\"margin:0;font-size:13px;color:#374151;\">", out);
		digest_html_escape(out, c->s->none);
		fputs("</p></td></tr>\n", out);
		return;
	}
	fputs("<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	      "style=\"border-collapse:collapse;font-size:13px;\">\n<tr>", out);
	digest_html_th(out, c->s->col_ticket, NULL, false);
	digest_html_th(out, c->s->col_rule, NULL, false);
	if (c->kind != DIGEST_AGENT)
		digest_html_th(out, c->s->col_agent, NULL, false);
	digest_html_th(out, c->s->col_deadline, NULL, false);
	digest_html_th(out, c->s->col_late, NULL, true);
	fputs("</tr>\n", out);
	for (i = 0; i < n; i++) {
		const struct sla_clock *k = &list[i].ticket->clocks[list[i].milestone];
		char due[20], late[64];

		calendar_format(c->cal, k->deadline, due);
		digest_late(c, k, late, sizeof(late));
		fputs("<tr>" DIGEST_TD "\">", out);
		digest_ticket_link(out, c, list[i].ticket->ticket);
		fprintf(out, "</td>" DIGEST_TD "\">%s</td>",
			sla_milestone_rule((enum sla_milestone)list[i].milestone));
		if (c->kind != DIGEST_AGENT) {
			fputs(DIGEST_TD "\">", out);
			digest_html_escape(out, digest_agent_shown(c->s, k->agent));
			fputs("</td>", out);
		}
		fprintf(out, DIGEST_TD "white-space:nowrap;\">%.16s</td>", due);
		fputs(DIGEST_TD "color:" DIGEST_C_MISSED ";white-space:nowrap;\" align=\"right\">", out);
		digest_html_escape(out, late);
		fputs("</td></tr>\n", out);
	}
	fputs("</table></td></tr>\n", out);
}

static void
digest_html_proposals(FILE *out, const struct digest_ctx *c)
{
	size_t i;

	digest_html_section(out, c->s->proposals_title);
	fputs("<tr><td style=\"padding:4px 24px 8px 24px;\">\n", out);
	if (c->proposals == 0) {
		fputs("<p style=\"margin:0;font-size:13px;color:#374151;\">", out);
		digest_html_escape(out, c->s->none);
		fputs("</p></td></tr>\n", out);
		return;
	}
	fputs("<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	      "style=\"border-collapse:collapse;font-size:13px;\">\n<tr>", out);
	digest_html_th(out, c->s->col_rule, NULL, false);
	if (c->kind != DIGEST_AGENT)
		digest_html_th(out, c->s->col_agent, NULL, false);
	digest_html_th(out, c->s->col_amount, NULL, true);
	digest_html_th(out, c->s->col_tickets_involved, NULL, false);
	digest_html_th(out, c->s->col_state, NULL, false);
	fputs("</tr>\n", out);
	for (i = 0; i < c->result->proposal_count; i++) {
		const struct sla_proposal *p = &c->result->proposals[i];
		char shown[SLA_TICKETS_MAX * 2], amount[DIGEST_ITEM_SIZE];
		bool rejected = strcmp(p->state, "rejected") == 0;

		if (!digest_proposal_selected(c, p))
			continue;
		fprintf(out, "<tr>" DIGEST_TD "\">%s</td>", p->rule);
		if (c->kind != DIGEST_AGENT) {
			fputs(DIGEST_TD "\">", out);
			digest_html_escape(out, digest_agent_shown(c->s, p->agent));
			fputs("</td>", out);
		}
		digest_proposal_amount(c->s, p, amount, sizeof(amount));
		/* a rejected one struck through: shown, counted nowhere; a range
		   with its note may wrap, an amount does not */
		fprintf(out, DIGEST_TD "color:%s;font-weight:bold;%s%s\" align=\"right\">",
			p->reward ? DIGEST_C_MET : DIGEST_C_MISSED,
			rejected ? "text-decoration:line-through;" : "",
			digest_unfixed(p) ? "" : "white-space:nowrap;");
		digest_html_escape(out, amount);
		fputs("</td>" DIGEST_TD "\">", out);
		digest_ticket_shown(p->tickets, c->mconf->privacy_show_customers, shown, sizeof(shown));
		digest_html_escape(out, shown);
		fputs("</td>" DIGEST_TD "color:#6b7280;white-space:nowrap;\">", out);
		digest_html_escape(out, digest_state(c->s, p->state));
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n<p style=\"margin:8px 0 0 0;font-size:12px;color:#4b5563;\">", out);
	digest_html_escape(out, c->s->proposals_note);
	fputs("</p></td></tr>\n", out);
}

/* The selected proposals summed by unit, deductions and rewards apart:
   a row per unit (and one for its ranges), as `slaclock report`'s totals;
   then the warnings, a count of their own. */
static void
digest_html_totals(FILE *out, const struct digest_ctx *c)
{
	struct digest_sums one;
	int u, r, pass;

	digest_html_section(out, c->s->totals_title);
	fputs("<tr><td style=\"padding:4px 24px 8px 24px;\">\n"
	      "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	      "style=\"border-collapse:collapse;font-size:13px;\">\n<tr>", out);
	digest_html_th(out, c->s->col_deductions, NULL, false);
	digest_html_th(out, c->s->col_rewards, NULL, false);
	fputs("</tr>\n", out);
	for (u = 0; u < SLA_UNIT_COUNT; u++)
		for (pass = 0; pass < 2; pass++) {
			if (pass == 0 ? c->sums.amount[0][u] == 0 && c->sums.amount[1][u] == 0 :
			    c->sums.ranges[0][u] == 0 && c->sums.ranges[1][u] == 0)
				continue;
			fputs("<tr>", out);
			for (r = 0; r < 2; r++) {
				memset(&one, 0, sizeof(one));
				if (pass == 0) {
					one.amount[r][u] = c->sums.amount[r][u];
				} else {
					one.ranges[r][u] = c->sums.ranges[r][u];
					one.range[r][u][0] = c->sums.range[r][u][0];
					one.range[r][u][1] = c->sums.range[r][u][1];
				}
				fputs(DIGEST_TD "\">", out);
				digest_html_amounts(out, c->s, &one, "");
				fputs("</td>", out);
			}
			fputs("</tr>\n", out);
		}
	fputs("<tr>" DIGEST_TD "\" colspan=\"2\">", out);
	digest_html_escape(out, c->s->col_warnings);
	fprintf(out, ": %d</td></tr>\n</table></td></tr>\n", c->warnings);
}

static void
digest_title(const struct digest_ctx *c, char *buf, size_t size)
{
	const char *who = c->kind == DIGEST_HR ? "" : c->who;

	if (c->kind == DIGEST_AGENT) {
		snprintf(buf, size, "%s · %s", c->s->title[c->kind], who);
	} else {
		digest_fill(buf, size, c->s->title[c->kind], who, NULL);
	}
}

static void
digest_html(FILE *out, const struct digest_ctx *c, const struct digest_breach *list, size_t n)
{
	char title[512], month[32];

	digest_title(c, title, sizeof(title));
	digest_month_shown(c->month, month, sizeof(month));
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
		"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"/>\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
		c->s->lang);
	digest_html_escape(out, title);
	fputs("</title>\n</head>\n<body style=\"margin:0;padding:0;background:#eef1f5;\">\n"
	      "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	      "bgcolor=\"#eef1f5\" style=\"background:#eef1f5;\"><tr><td align=\"center\" "
	      "style=\"padding:24px 8px;\">\n", out);
	fprintf(out, "<table role=\"presentation\" width=\"%d\" cellpadding=\"0\" cellspacing=\"0\" "
		"border=\"0\" bgcolor=\"#ffffff\" style=\"width:%dpx;max-width:100%%;background:#ffffff;"
		"border:1px solid " DIGEST_C_RULE ";" DIGEST_FONT "color:#111827;\">\n",
		DIGEST_WIDTH, DIGEST_WIDTH);
	fputs("<tr><td bgcolor=\"" DIGEST_C_HEAD "\" style=\"background:" DIGEST_C_HEAD ";"
	      "padding:20px 24px;color:#ffffff;\">"
	      "<div style=\"font-size:13px;color:#c7d2fe;\">slaclock · ", out);
	digest_html_escape(out, month);
	fputs("</div><div style=\"font-size:22px;font-weight:bold;margin-top:4px;\">", out);
	digest_html_escape(out, title);
	fputs("</div></td></tr>\n<tr><td style=\"padding:16px 24px;font-size:14px;line-height:21px;"
	      "color:#374151;\">", out);
	digest_html_escape(out, c->s->intro[c->kind]);
	fputs("</td></tr>\n", out);
	digest_html_tiles(out, c);
	digest_html_chart_first(out, c);
	/* % of the month's score only: a chart is one unit */
	if (c->month_deducted > 0)
		digest_html_chart_deduct(out, c);
	digest_html_table(out, c);
	digest_html_breaches(out, c, list, n);
	digest_html_proposals(out, c);
	if (c->proposals > 0 || c->warnings > 0)
		digest_html_totals(out, c);
	fputs("<tr><td style=\"padding:16px 24px;font-size:12px;line-height:18px;color:#6b7280;"
	      "border-top:1px solid " DIGEST_C_RULE ";\">", out);
	digest_html_escape(out, c->s->attachment_note);
	fputs("<br/>", out);
	{
		char footer[512];

		digest_fill(footer, sizeof(footer), c->s->footer, c->conf->policy.pack,
			    c->conf->calendar.timezone);
		digest_html_escape(out, footer);
	}
	fputs("</td></tr>\n</table>\n</td></tr></table>\n</body>\n</html>\n", out);
}

/* ---- text ---- */

static void
digest_text(FILE *out, const struct digest_ctx *c, const struct digest_breach *list, size_t n)
{
	char title[512], month[32];
	size_t i;

	digest_title(c, title, sizeof(title));
	digest_month_shown(c->month, month, sizeof(month));
	fprintf(out, "%s\nslaclock · %s\n\n%s\n\n", title, month, c->s->intro[c->kind]);
	fprintf(out, "%s: %d    %s: ", c->s->tile_tickets, c->tickets, c->s->tile_first);
	if (c->first_met + c->first_missed > 0)
		fprintf(out, "%d%% (%d/%d)", digest_pct(c->first_met, c->first_met + c->first_missed),
			c->first_met, c->first_met + c->first_missed);
	else
		fputs("-", out);
	fprintf(out, "    %s: %d    %s: %d\n\n", c->s->tile_breaches, c->breaches,
		c->s->tile_proposals, c->proposals);

	fprintf(out, "%s (%s)\n", c->s->table_title, c->s->met_missed);
	for (i = 0; i < c->count; i++) {
		const struct report_row *r = &c->rows[i];
		char items[DIGEST_ITEMS_MAX][DIGEST_ITEM_SIZE];
		size_t k, ni = digest_sums_items(c->s, &c->row_sums[i], items);

		fprintf(out, "  %s%s%s\n", digest_agent_shown(c->s, r->agent),
			c->kind == DIGEST_HR ? "  " : "", c->kind == DIGEST_HR ? r->team : "");
		fprintf(out, "    %s %d · %s %d/%d · %s %d/%d · %s %d/%d · %s %d\n",
			c->s->col_tickets, r->tickets, c->s->col_first, r->met[0], r->missed[0],
			c->s->col_prelim, r->met[1], r->missed[1], c->s->col_resol, r->met[2],
			r->missed[2], c->s->col_warnings, r->warnings);
		if (ni == 0)
			continue;
		fprintf(out, "    %s:", c->s->col_deduction);
		for (k = 0; k < ni; k++)
			fprintf(out, "%s %s", k > 0 ? " ·" : "", items[k]);
		fputc('\n', out);
	}
	if (c->count == 0)
		fprintf(out, "  %s\n", c->s->none);

	fprintf(out, "\n%s\n", c->s->breaches_title);
	for (i = 0; i < n; i++) {
		const struct sla_clock *k = &list[i].ticket->clocks[list[i].milestone];
		char due[20], late[64], shown[DIGEST_TICKET_SHOWN_MAX * 2 + 8];

		calendar_format(c->cal, k->deadline, due);
		digest_late(c, k, late, sizeof(late));
		digest_ticket_shown(list[i].ticket->ticket, c->mconf->privacy_show_customers,
				    shown, sizeof(shown));
		fprintf(out, "  %-7s %s  %s %.16s  %s %s", sla_milestone_rule(
				(enum sla_milestone)list[i].milestone), shown,
			c->s->col_deadline, due, c->s->col_late, late);
		if (c->kind != DIGEST_AGENT)
			fprintf(out, "  %s", digest_agent_shown(c->s, k->agent));
		fputc('\n', out);
	}
	if (n == 0)
		fprintf(out, "  %s\n", c->s->none);

	fprintf(out, "\n%s\n", c->s->proposals_title);
	for (i = 0; i < c->result->proposal_count; i++) {
		const struct sla_proposal *p = &c->result->proposals[i];
		char shown[SLA_TICKETS_MAX * 2], amount[DIGEST_ITEM_SIZE];

		if (!digest_proposal_selected(c, p))
			continue;
		digest_ticket_shown(p->tickets, c->mconf->privacy_show_customers, shown, sizeof(shown));
		digest_proposal_amount(c->s, p, amount, sizeof(amount));
		fprintf(out, "  %-7s %s  %s  %s  (%s)\n", p->rule,
			digest_agent_shown(c->s, p->agent), amount, shown,
			digest_state(c->s, p->state));
	}
	if (c->proposals == 0)
		fprintf(out, "  %s\n", c->s->none);
	else
		fprintf(out, "  %s\n", c->s->proposals_note);
	if (c->proposals > 0 || c->warnings > 0) {
		char items[DIGEST_ITEMS_MAX][DIGEST_ITEM_SIZE];
		size_t k, ni = digest_sums_items(c->s, &c->sums, items);

		/* one amount a line: a sum of one unit and sign */
		fprintf(out, "\n%s\n", c->s->totals_title);
		for (k = 0; k < ni; k++)
			fprintf(out, "  %s\n", items[k]);
		fprintf(out, "  %s: %d\n", c->s->col_warnings, c->warnings);
	}
	fprintf(out, "\n%s\n", c->s->attachment_note);
	{
		char footer[512];

		digest_fill(footer, sizeof(footer), c->s->footer, c->conf->policy.pack,
			    c->conf->calendar.timezone);
		fprintf(out, "%s\n", footer);
	}
}

/* ---- CSV ---- */

/* HEADER if a translation kept its COLUMNS names, else ENGLISH. */
static const char *
digest_csv_names(const char *header, const char *english, size_t columns)
{
	size_t n = 1;
	const char *p;

	for (p = header; *p != '\0'; p++) {
		if (*p == '"' || *p == '\r' || *p == '\n')
			return english;
		n += *p == ',';
	}
	return n == columns ? header : english;
}

/* The attachment: each row as report_rows_csv() writes it, so the
   columns of `slaclock report --format csv` cannot drift from ours, then
   the digest's own columns; the header row and "(unassigned)" in the
   mail's language. 0, or -1 out of memory. */
static int
digest_csv(FILE *out, const struct digest_ctx *c)
{
	const char *head = digest_csv_names(c->s->csv_header, digest_csv_header,
					    DIGEST_CSV_COLUMNS);
	const char *more = digest_csv_names(c->s->csv_header_more, digest_csv_header_more,
					    DIGEST_CSV_MORE);
	const char *p;
	size_t i;

	/* Excel opens a CSV without a BOM in the ANSI code page (GBK on a
	   Chinese Windows): a translated header needs one to be read as UTF-8 */
	for (p = head; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p != '\0')
		fputs("\xef\xbb\xbf", out);
	fprintf(out, "%s,%s\n", head, more);
	for (i = 0; i < c->count; i++) {
		struct report_row row = c->rows[i];
		const struct digest_sums *sm = &c->row_sums[i];
		char *buf = NULL, *line;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);

		if (mem == NULL)
			return -1;
		row.agent = digest_agent_shown(c->s, row.agent);
		report_rows_csv(c->conf, &row, 1, mem);
		if (fclose(mem) != 0) {
			free(buf);
			return -1;
		}
		/* past report_rows_csv()'s header line (no quotes, no line
		   break in it), without the row's final line break */
		line = strchr(buf, '\n');
		line = line != NULL ? line + 1 : buf;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			len--;
		fwrite(line, 1, len, out);
		free(buf);
		fprintf(out, ",%d,%d,%d,%d,%d,%d,%d,%d,%d\n",
			sm->amount[1][SLA_UNIT_PCT_MONTH], sm->amount[1][SLA_UNIT_PCT_QUARTER],
			sm->amount[1][SLA_UNIT_YUAN], sm->amount[1][SLA_UNIT_POINTS],
			sm->amount[1][SLA_UNIT_PCT_BONUS], sm->range[0][SLA_UNIT_YUAN][0],
			sm->range[0][SLA_UNIT_YUAN][1], sm->range[1][SLA_UNIT_YUAN][0],
			sm->range[1][SLA_UNIT_YUAN][1]);
	}
	return 0;
}

/* ---- documents ---- */

void
digest_doc_clear(struct digest_doc *doc)
{
	free(doc->subject);
	free(doc->text);
	free(doc->html);
	free(doc->csv);
	free(doc->csv_name);
	memset(doc, 0, sizeof(*doc));
}

/* The language of the mail: its one recipient's (the team lead, the
   agent), the default for the HR list. */
static enum mailer_language
digest_language(const struct conf *conf, const struct mailer_conf *mconf,
		enum digest_kind kind, const char *who)
{
	size_t i;

	if (kind == DIGEST_AGENT)
		return mailer_language_for(mconf, who);
	if (kind == DIGEST_TEAM)
		for (i = 0; i < conf->team_count; i++)
			if (strcmp(conf->teams[i].name, who) == 0 && conf->teams[i].lead != NULL)
				return mailer_language_for(mconf, conf->teams[i].lead);
	return mconf->language;
}

static char *
digest_file_name(const char *month, enum digest_kind kind, const char *who)
{
	char *name = NULL, *p;

	if (asprintf(&name, "slaclock-%s-%s%s%s.csv", month,
		     kind == DIGEST_TEAM ? "team-" : kind == DIGEST_HR ? "all" : "",
		     kind == DIGEST_HR ? "" : who, "") < 0)
		return NULL;
	/* A file name a mail client will not mangle. */
	for (p = name; *p != '\0'; p++)
		if (strchr("/\\:*?\"<>| ", *p) != NULL)
			*p = '_';
	return name;
}

int
digest_render(const struct conf *conf, const struct mailer_conf *mconf,
	      const struct calendar *cal, const struct sla_result *result,
	      const char *month, enum digest_kind kind, const char *who,
	      struct digest_doc *doc, const char **error_r)
{
	struct digest_ctx c;
	struct report_row *all = NULL;
	struct digest_breach *list = NULL;
	size_t all_count = 0, n = 0, i, len;
	char month_shown[32];
	struct digest_strings strings;
	struct i18n_scope scope = { (locale_t)0, false };
	FILE *out = NULL;
	int ret = -1;

	memset(doc, 0, sizeof(*doc));
	memset(&c, 0, sizeof(c));
	if (kind != DIGEST_HR && (who == NULL || who[0] == '\0')) {
		*error_r = "digest: a team or agent is needed";
		return -1;
	}
	c.conf = conf;
	c.mconf = mconf;
	c.cal = cal;
	c.result = result;
	c.s = &strings;
	c.month = month;
	c.kind = kind;
	c.who = who;
	if (report_rows(conf, cal, result, month, &all, &all_count, error_r) < 0)
		return -1;
	if (calendar_month_range(cal, month, &c.from, &c.to) < 0) {
		*error_r = "month must be YYYY-MM";
		goto out;
	}
	i18n_begin(digest_language(conf, mconf, kind, who), &scope);
	digest_strings_load(&strings);
	/* Select in place: the rows keep report_rows()' order. */
	for (i = 0; i < all_count; i++)
		if (digest_selects(&c, all[i].agent, all[i].team))
			all[c.count++] = all[i];
	c.rows = all;
	for (i = 0; i < c.count; i++) {
		c.tickets += c.rows[i].tickets;
		c.first_met += c.rows[i].met[SLA_FIRST_RESPONSE];
		c.first_missed += c.rows[i].missed[SLA_FIRST_RESPONSE];
	}
	/* count + 1: calloc(0) may be NULL */
	if ((c.row_sums = calloc(c.count + 1, sizeof(*c.row_sums))) == NULL)
		goto nomem;
	for (i = 0; i < c.count; i++) {
		memcpy(c.row_sums[i].amount[0], c.rows[i].deducted, sizeof(c.rows[i].deducted));
		memcpy(c.row_sums[i].amount[1], c.rows[i].rewarded, sizeof(c.rows[i].rewarded));
		c.warnings += c.rows[i].warnings;
		if (report_row_total(conf, &c.rows[i]) > 0)
			c.month_deducted = 1;
	}
	for (i = 0; i < result->proposal_count; i++) {
		const struct sla_proposal *p = &result->proposals[i];
		size_t j;

		if (!digest_proposal_selected(&c, p))
			continue;
		c.proposals++;
		digest_sums_add(&c.sums, p);
		/* the rows have the fixed amounts; the ranges are ours */
		if (!digest_unfixed(p) || strcmp(p->state, "rejected") == 0 ||
		    (unsigned)p->unit >= SLA_UNIT_COUNT)
			continue;
		for (j = 0; j < c.count; j++)
			if (strcmp(c.rows[j].agent, digest_agent(p->agent)) == 0) {
				int r = p->reward ? 1 : 0;

				c.row_sums[j].range[r][p->unit][0] += p->amount_min;
				c.row_sums[j].range[r][p->unit][1] += p->amount_max;
				c.row_sums[j].ranges[r][p->unit]++;
				break;
			}
	}
	if (digest_breaches(&c, &list, &n) < 0)
		goto nomem;
	c.breaches = (int)n;
	doc->row_count = c.count;

	digest_month_shown(month, month_shown, sizeof(month_shown));
	{
		char subject[MAILMSG_SUBJECT_MAX];

		digest_fill(subject, sizeof(subject), c.s->subject[kind], month_shown,
			    kind == DIGEST_TEAM ? who : NULL);
		if ((doc->subject = strdup(subject)) == NULL)
			goto nomem;
	}
	if ((out = open_memstream(&doc->text, &len)) == NULL)
		goto nomem;
	digest_text(out, &c, list, n);
	if (fclose(out) != 0)
		goto nomem;
	if ((out = open_memstream(&doc->html, &len)) == NULL)
		goto nomem;
	digest_html(out, &c, list, n);
	if (fclose(out) != 0)
		goto nomem;
	if ((out = open_memstream(&doc->csv, &doc->csv_len)) == NULL)
		goto nomem;
	if (digest_csv(out, &c) < 0) {
		fclose(out);
		goto nomem;
	}
	if (fclose(out) != 0)
		goto nomem;
	out = NULL;
	if ((doc->csv_name = digest_file_name(month, kind, who)) == NULL)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	out = NULL;
	*error_r = "digest: out of memory";
out:
	i18n_end(&scope);
	free(c.row_sums);
	free(list);
	free(all);
	if (ret < 0)
		digest_doc_clear(doc);
	return ret;
}

static int
digest_put(const struct mailer_conf *mconf, struct store *store, const char *key,
	   const char *const *rcpts, size_t rcpt_count, const struct digest_doc *doc,
	   int64_t now, size_t *queued, const char **error_r)
{
	struct mailmsg_attachment att = {
		doc->csv_name, "text/csv; charset=utf-8", doc->csv, doc->csv_len,
	};
	struct mailmsg m = {
		.from = mconf->from, .from_name = mconf->from_name,
		.to = rcpts, .to_count = rcpt_count, .subject = doc->subject,
		.key = key, .date = now, .text = doc->text, .html = doc->html,
		.attachment = &att,
	};
	char *raw = NULL;
	size_t len;
	bool inserted = false;
	int ret;

	if (mailmsg_build(&m, &raw, &len, error_r) < 0)
		return -1;
	ret = mailer_outbox_put(store, key, rcpts, rcpt_count, raw, len, now,
				&inserted, error_r);
	free(raw);
	if (ret == 0 && inserted)
		(*queued)++;
	return ret;
}

static int
digest_queue_one(const struct conf *conf, const struct mailer_conf *mconf,
		 const struct calendar *cal, struct store *store,
		 const struct sla_result *result, const char *month, int64_t now,
		 enum digest_kind kind, const char *who, const char *const *rcpts,
		 size_t rcpt_count, size_t *queued, const char **error_r)
{
	struct digest_doc doc;
	char key[512];
	int ret;

	snprintf(key, sizeof(key), "digest:%s:%s%s%s", month,
		 kind == DIGEST_TEAM ? "team:" : kind == DIGEST_HR ? "hr" : "agent:",
		 kind == DIGEST_HR ? "" : who, "");
	if (digest_render(conf, mconf, cal, result, month, kind, who, &doc, error_r) < 0)
		return -1;
	ret = digest_put(mconf, store, key, rcpts, rcpt_count, &doc, now, queued, error_r);
	digest_doc_clear(&doc);
	return ret;
}

int
digest_queue(const struct conf *conf, const struct mailer_conf *mconf,
	     const struct calendar *cal, struct store *store,
	     const struct sla_result *result, const char *month, int64_t now,
	     size_t *queued_r, const char **error_r)
{
	struct report_row *rows = NULL;
	size_t count = 0, i;
	int ret = -1;

	*queued_r = 0;
	if (mconf->from == NULL) {
		*error_r = "digest: [smtp] from is not set";
		return -1;
	}
	if (report_rows(conf, cal, result, month, &rows, &count, error_r) < 0)
		return -1;
	if (count == 0) {
		/* A fresh install or an idle month: no empty mails. */
		log_info("digest %s: nothing booked, no mail", month);
		ret = 0;
		goto out;
	}
	for (i = 0; i < conf->team_count; i++) {
		const struct conf_team *t = &conf->teams[i];
		const char *to[1];

		if (t->lead == NULL)
			continue;
		to[0] = t->lead;
		if (digest_queue_one(conf, mconf, cal, store, result, month, now,
				     DIGEST_TEAM, t->name, to, 1, queued_r, error_r) < 0)
			goto out;
	}
	if (mconf->hr_count > 0 &&
	    digest_queue_one(conf, mconf, cal, store, result, month, now, DIGEST_HR,
			     NULL, (const char *const *)mconf->hr, mconf->hr_count,
			     queued_r, error_r) < 0)
		goto out;
	for (i = 0; i < count; i++) {
		const char *to[1] = { rows[i].agent };

		/* Only configured agents get a statement; "(unassigned)" and
		   addresses from outside are nobody's inbox. */
		if (conf_agent_team(conf, rows[i].agent) == NULL)
			continue;
		if (digest_queue_one(conf, mconf, cal, store, result, month, now,
				     DIGEST_AGENT, rows[i].agent, to, 1, queued_r, error_r) < 0)
			goto out;
	}
	ret = 0;
out:
	free(rows);
	return ret;
}

/* "YYYY-MM" one month earlier. */
static void
digest_prev_month(const char *month, char out[8])
{
	int y = atoi(month), m = atoi(month + 5) - 1;
	char buf[32];

	if (m < 1) {
		m = 12;
		y--;
	}
	snprintf(buf, sizeof(buf), "%04d-%02d", y, m);
	memcpy(out, buf, 7);
	out[7] = '\0';
}

void
digest_due_month(const struct mailer_conf *mconf, const struct calendar *cal,
		 int64_t now, char month[8], int64_t *at_r)
{
	int64_t from, to, offset = (int64_t)(mconf->digest_day - 1) * 86400 + mconf->digest_time;
	char cur[8], prev[8];

	calendar_month(cal, now, cur);
	if (calendar_month_range(cal, cur, &from, &to) == 0 && now >= from + offset) {
		digest_prev_month(cur, month);
		*at_r = from + offset;
		return;
	}
	digest_prev_month(cur, prev);
	if (calendar_month_range(cal, prev, &from, &to) < 0)
		from = 0;
	digest_prev_month(prev, month);
	*at_r = from + offset;
}

int
digest_once(const struct conf *conf, const struct mailer_conf *mconf,
	    const struct calendar *cal, struct store *store, const char *job,
	    const char *name, const char *period, digest_queue_fn *queue, int64_t now,
	    size_t *queued_r, const char **error_r)
{
	struct sla_result res;
	char mark[DIGEST_MARK_MAX];
	const char *rb_error;
	bool inserted = false;

	*queued_r = 0;
	memset(&res, 0, sizeof(res));
	snprintf(mark, sizeof(mark), "%s:%s", job, period);
	if (store_begin(store, error_r) < 0)
		return -1;
	if (mailer_outbox_mark(store, mark, now, &inserted, error_r) < 0)
		goto fail;
	if (!inserted)
		return store_rollback(store, error_r);
	if (sla_evaluate(conf, cal, store, now, &res, error_r) < 0 ||
	    queue(conf, mconf, cal, store, &res, period, now, queued_r, error_r) < 0 ||
	    store_commit(store, error_r) < 0)
		goto fail;
	sla_result_clear(&res);
	log_info("%s %s: %zu mails queued", name, period, *queued_r);
	return 0;
fail:
	sla_result_clear(&res);
	store_rollback(store, &rb_error);
	*queued_r = 0;
	return -1;
}

int
digest_tick(const struct conf *conf, const struct mailer_conf *mconf,
	    const struct calendar *cal, struct store *store, int64_t now,
	    size_t *queued_r, const char **error_r)
{
	char month[8];
	int64_t at;

	digest_due_month(mconf, cal, now, month, &at);
	return digest_once(conf, mconf, cal, store, "digest", "digest", month, digest_queue,
			   now, queued_r, error_r);
}
