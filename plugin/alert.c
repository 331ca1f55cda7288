#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "calendar.h"
#include "digest.h"
#include "i18n.h"
#include "log.h"
#include "mailmsg.h"
#include "store.h"

struct alert_item {
	const struct sla_ticket *ticket;
	int milestone;
	size_t level;
	int64_t due;              /* deadline + the level's delay */
	const char *rcpt;
};

/* The strings of one alert, in the language i18n_begin() chose. */
struct alert_strings {
	const char *intro, *intro_escalated;
	const char *col_ticket, *col_rule, *col_agent, *col_deadline, *col_late, *col_level;
	const char *late, *open_for;
	const char *footer;
	const char *min, *hour, *day;
	const char *lang;
};

static void
alert_strings_load(struct alert_strings *s)
{
	s->intro = _("These tickets missed an SLA deadline since the last alert. "
		     "Each is charged to the ticket's owner at the deadline.");
	s->intro_escalated = _("These tickets missed an SLA deadline and are still not done.");
	s->col_ticket = _("Ticket");
	s->col_rule = _("Rule");
	/* TRANSLATORS: a column: the agent a breach is charged to. */
	s->col_agent = _("Charged to");
	s->col_deadline = _("Deadline");
	s->col_late = _("Late");
	/* TRANSLATORS: a column: the escalation level, L1 to L4. */
	s->col_level = _("Level");
	/* TRANSLATORS: before a duration, "late by 2 h 05 min". */
	s->late = _("late by");
	/* TRANSLATORS: before a duration, the ticket is not done yet. */
	s->open_for = _("still open, overdue");
	s->footer = _("Sent automatically by slaclock; please do not reply. "
		      "`slaclock explain TICKET` shows why a breach was charged.");
	s->min = _("min");
	s->hour = _("h");
	s->day = _("d");
	s->lang = _("en");
}

int64_t
alert_next_tick(const struct mailer_conf *mconf, int64_t now)
{
	int64_t i = mconf->alert_interval > 0 ? mconf->alert_interval : 300;

	return (now / i + 1) * i;
}

static const char *
alert_agent(const char *agent)
{
	return agent[0] != '\0' ? agent : "(unassigned)";
}

/* The team lead for a clock charged to AGENT on ticket T. */
static const char *
alert_lead(const struct conf *conf, const struct sla_ticket *t, const char *agent)
{
	const struct conf_team *team = conf_agent_team(conf, agent);
	size_t i;

	if (team == NULL)
		for (i = 0; i < conf->team_count; i++)
			if (strcmp(conf->teams[i].name, t->team) == 0)
				team = &conf->teams[i];
	return team != NULL ? team->lead : NULL;
}

static void
alert_duration(const struct alert_strings *s, int64_t secs, char *buf, size_t size)
{
	digest_duration_text(secs, s->min, s->hour, s->day, buf, size);
}

static void
alert_late(const struct alert_strings *s, const struct sla_clock *k, int64_t now,
	   char *buf, size_t size)
{
	char d[64];

	if (k->stopped_at != 0) {
		alert_duration(s, k->stopped_at - k->deadline, d, sizeof(d));
		snprintf(buf, size, "%s %s", s->late, d);
	} else {
		alert_duration(s, now - k->deadline, d, sizeof(d));
		snprintf(buf, size, "%s %s", s->open_for, d);
	}
}

static void
alert_link(FILE *out, const struct mailer_conf *mconf, const char *ticket, const char *shown)
{
	const char *pct;

	if (mconf->ticket_url != NULL && ticket[0] == '#' && ticket[1] != '\0' &&
	    strspn(ticket + 1, "0123456789") == strlen(ticket + 1) &&
	    (pct = strstr(mconf->ticket_url, "%s")) != NULL) {
		fputs("<a href=\"", out);
		fwrite(mconf->ticket_url, 1, (size_t)(pct - mconf->ticket_url), out);
		fputs(ticket + 1, out);
		digest_html_escape(out, pct + 2);
		fputs("\" style=\"color:#1d4ed8;\">", out);
		digest_html_escape(out, shown);
		fputs("</a>", out);
	} else {
		digest_html_escape(out, shown);
	}
}

/* The text and HTML of one mail listing ITEMS. */
static int
alert_compose(const struct conf *conf, const struct mailer_conf *mconf,
	      const struct calendar *cal, const struct alert_item *items, size_t n,
	      int64_t now, char **subject_r, char **text_r, char **html_r)
{
	struct alert_strings strings, *s = &strings;
	struct i18n_scope scope;
	char *text = NULL, *html = NULL, subject[256];
	size_t tlen, hlen, i;
	FILE *t = NULL, *h = NULL;
	bool escalated = true;
	int ret = -1;

	for (i = 0; i < n; i++)
		if (items[i].level == 0)
			escalated = false;
	/* One mail, one recipient: in that recipient's language. */
	i18n_begin(mailer_language_for(mconf, items[0].rcpt), &scope);
	alert_strings_load(s);
	if (escalated)
		snprintf(subject, sizeof(subject),
			 i18n_ngettext("[slaclock] SLA escalation: %lu ticket still open",
				       "[slaclock] SLA escalation: %lu tickets still open", n),
			 (unsigned long)n);
	else
		snprintf(subject, sizeof(subject),
			 i18n_ngettext("[slaclock] SLA breach alert: %lu ticket",
				       "[slaclock] SLA breach alert: %lu tickets", n),
			 (unsigned long)n);
	if ((t = open_memstream(&text, &tlen)) == NULL ||
	    (h = open_memstream(&html, &hlen)) == NULL)
		goto out;
	fprintf(t, "%s\n\n", escalated ? s->intro_escalated : s->intro);
	fprintf(h, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
		"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"/>\n<title>",
		s->lang);
	digest_html_escape(h, subject);
	fputs("</title>\n</head>\n<body style=\"margin:0;padding:16px;background:#ffffff;"
	      "font-family:Arial,Helvetica,Microsoft YaHei,PingFang SC,SimSun,sans-serif;"
	      "color:#111827;font-size:14px;\">\n<p style=\"margin:0 0 12px 0;\">", h);
	digest_html_escape(h, escalated ? s->intro_escalated : s->intro);
	fputs("</p>\n<table cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	      "style=\"border-collapse:collapse;font-size:13px;\">\n<tr>", h);
	{
		const char *cols[] = { s->col_ticket, s->col_rule, s->col_agent, s->col_deadline,
			s->col_late, s->col_level };
		size_t c;

		for (c = 0; c < 6; c++) {
			fputs("<th align=\"left\" bgcolor=\"#f3f4f6\" style=\"background:#f3f4f6;"
			      "padding:6px 10px;border-bottom:2px solid #e5e7eb;\">", h);
			digest_html_escape(h, cols[c]);
			fputs("</th>", h);
		}
	}
	fputs("</tr>\n", h);
	for (i = 0; i < n; i++) {
		const struct sla_ticket *tk = items[i].ticket;
		const struct sla_clock *k = &tk->clocks[items[i].milestone];
		char shown[DIGEST_TICKET_SHOWN_MAX * 2 + 8], due[20], late[128];
		const char *rule = sla_milestone_rule((enum sla_milestone)items[i].milestone);

		digest_ticket_shown(tk->ticket, mconf->privacy_show_customers, shown, sizeof(shown));
		calendar_format(cal, k->deadline, due);
		alert_late(s, k, now, late, sizeof(late));
		fprintf(t, "  %-7s %s  %s %s  %s %.16s  %s  L%zu\n", rule, shown, s->col_agent,
			alert_agent(k->agent), s->col_deadline, due, late, items[i].level + 1);
		if (mconf->ticket_url != NULL && tk->ticket[0] == '#') {
			const char *pct = strstr(mconf->ticket_url, "%s");

			fprintf(t, "          %.*s%s%s\n", (int)(pct - mconf->ticket_url),
				mconf->ticket_url, tk->ticket + 1, pct + 2);
		}
		fputs("<tr><td style=\"padding:6px 10px;border-bottom:1px solid #e5e7eb;\">", h);
		alert_link(h, mconf, tk->ticket, shown);
		fprintf(h, "</td><td style=\"padding:6px 10px;border-bottom:1px solid #e5e7eb;\">%s</td>"
			"<td style=\"padding:6px 10px;border-bottom:1px solid #e5e7eb;\">", rule);
		digest_html_escape(h, alert_agent(k->agent));
		fprintf(h, "</td><td style=\"padding:6px 10px;border-bottom:1px solid #e5e7eb;"
			"white-space:nowrap;\">%.16s</td><td style=\"padding:6px 10px;"
			"border-bottom:1px solid #e5e7eb;color:#d32f2f;\">", due);
		digest_html_escape(h, late);
		fprintf(h, "</td><td style=\"padding:6px 10px;border-bottom:1px solid #e5e7eb;\">"
			"L%zu</td></tr>\n", items[i].level + 1);
	}
	fprintf(t, "\n%s\n", s->footer);
	fputs("</table>\n<p style=\"margin:12px 0 0 0;font-size:12px;color:#6b7280;\">", h);
	digest_html_escape(h, s->footer);
	fputs("</p>\n</body>\n</html>\n", h);
	if (fclose(t) != 0 || fclose(h) != 0) {
		t = h = NULL;
		goto out;
	}
	t = h = NULL;
	if ((*subject_r = strdup(subject)) == NULL)
		goto out;
	*text_r = text;
	*html_r = html;
	text = html = NULL;
	ret = 0;
	(void)conf;
out:
	i18n_end(&scope);
	if (t != NULL)
		fclose(t);
	if (h != NULL)
		fclose(h);
	free(text);
	free(html);
	return ret;
}

static int
alert_rcpt_cmp(const void *a, const void *b)
{
	const struct alert_item *x = a, *y = b;
	int c = strcmp(x->rcpt, y->rcpt);

	if (c != 0)
		return c;
	return x->due < y->due ? -1 : x->due > y->due;
}

/* Put one mail for ITEMS (all to one recipient) in the first free slot
   from interval start W. */
static int
alert_put(const struct conf *conf, const struct mailer_conf *mconf,
	  const struct calendar *cal, struct store *store,
	  const struct alert_item *items, size_t n, int64_t w, int64_t now,
	  size_t *mails, const char **error_r)
{
	char *subject = NULL, *text = NULL, *html = NULL, *raw = NULL, key[512];
	const char *to[1] = { items[0].rcpt };
	size_t len, slot;
	int ret = -1;

	if (alert_compose(conf, mconf, cal, items, n, now, &subject, &text, &html) < 0) {
		*error_r = "alert: out of memory";
		return -1;
	}
	for (slot = 0; slot < ALERT_SLOTS_MAX; slot++) {
		int64_t start = w + (int64_t)slot * mconf->alert_interval;
		struct mailmsg m = {
			.from = mconf->from, .from_name = mconf->from_name, .to = to,
			.to_count = 1, .subject = subject, .key = key, .date = now,
			.text = text, .html = html,
		};
		bool inserted = false;

		snprintf(key, sizeof(key), "alert:%s:%lld", items[0].rcpt, (long long)start);
		free(raw);
		raw = NULL;
		if (mailmsg_build(&m, &raw, &len, error_r) < 0)
			goto out;
		/* Slot 0 goes now; a later slot waits for its interval, so the
		   recipient still gets one mail per interval at most. */
		if (mailer_outbox_put(store, key, to, 1, raw, len, slot == 0 ? now : start,
				      &inserted, error_r) < 0)
			goto out;
		if (inserted) {
			(*mails)++;
			ret = 0;
			goto out;
		}
	}
	*error_r = "alert: no free interval for the recipient";
out:
	free(subject);
	free(text);
	free(html);
	free(raw);
	return ret;
}

int
alert_tick(const struct conf *conf, const struct mailer_conf *mconf,
	   const struct calendar *cal, struct store *store,
	   const struct sla_result *result, int64_t now, size_t *mails_r,
	   const char **error_r)
{
	struct alert_item *items = NULL;
	size_t n = 0, cap = 0, i, start;
	int64_t interval = mconf->alert_interval > 0 ? mconf->alert_interval : 300;
	int64_t w = now / interval * interval;
	const char *rb_error;
	int m;

	*mails_r = 0;
	if (mconf->from == NULL) {
		*error_r = "alert: [smtp] from is not set";
		return -1;
	}
	if (store_begin(store, error_r) < 0)
		return -1;
	for (i = 0; i < result->ticket_count; i++) {
		const struct sla_ticket *t = &result->tickets[i];

		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *k = &t->clocks[m];
			size_t l;

			if (k->state != SLA_MISSED)
				continue;
			for (l = 0; l < mconf->escalation_count; l++) {
				const struct mailer_escalation *e = &mconf->escalations[l];
				int64_t due = k->deadline + e->after;
				const char *rcpt;
				char mark[EVENT_ID_MAX + 64];
				bool fresh = false;

				if (e->to == NULL || due >= w || due < now - mconf->alert_max_age)
					continue;
				/* A later level is for a ticket still not
				   resolved by then. */
				if (e->after > 0 && t->clocks[SLA_RESOLUTION].stopped_at != 0 &&
				    t->clocks[SLA_RESOLUTION].stopped_at <= due)
					continue;
				rcpt = strcmp(e->to, "lead") == 0 ?
					alert_lead(conf, t, alert_agent(k->agent)) : e->to;
				if (rcpt == NULL)
					continue;
				if (n == ALERT_ITEMS_MAX)
					goto collected;
				snprintf(mark, sizeof(mark), "alerted:%s:%s:%zu", t->ticket,
					 sla_milestone_rule((enum sla_milestone)m), l + 1);
				if (mailer_outbox_mark(store, mark, now, &fresh, error_r) < 0)
					goto fail;
				if (!fresh)
					continue;
				if (n == cap) {
					size_t ncap = cap == 0 ? 32 : cap * 2;
					struct alert_item *ni = realloc(items, ncap * sizeof(*ni));

					if (ni == NULL) {
						*error_r = "alert: out of memory";
						goto fail;
					}
					items = ni;
					cap = ncap;
				}
				items[n].ticket = t;
				items[n].milestone = m;
				items[n].level = l;
				items[n].due = due;
				items[n++].rcpt = rcpt;
			}
		}
	}
collected:
	if (n > 0)
		qsort(items, n, sizeof(*items), alert_rcpt_cmp);
	for (start = 0; start < n; start = i) {
		for (i = start; i < n && strcmp(items[i].rcpt, items[start].rcpt) == 0; i++)
			;
		if (alert_put(conf, mconf, cal, store, items + start, i - start, w, now,
			      mails_r, error_r) < 0)
			goto fail;
	}
	if (store_commit(store, error_r) < 0)
		goto fail;
	if (*mails_r > 0)
		log_info("alerts: %zu breaches in %zu mails", n, *mails_r);
	free(items);
	return 0;
fail:
	store_rollback(store, &rb_error);
	free(items);
	*mails_r = 0;
	return -1;
}
