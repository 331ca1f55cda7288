#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "calendar.h"
#include "digest.h"
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

struct alert_strings {
	const char *subject, *subject_escalated;  /* %d breaches */
	const char *intro, *intro_escalated;
	const char *col_ticket, *col_rule, *col_agent, *col_deadline, *col_late, *col_level;
	const char *late, *open_for;
	const char *footer;
	const char *min, *hour, *day;
	const char *lang;
};

static const struct alert_strings alert_en = {
	.subject = "[slaclock] SLA breach alert: %d ticket(s)",
	.subject_escalated = "[slaclock] SLA escalation: %d ticket(s) still open",
	.intro = "These tickets missed an SLA deadline since the last alert. "
		 "Each is charged to the ticket's owner at the deadline.",
	.intro_escalated = "These tickets missed an SLA deadline and are still not done.",
	.col_ticket = "Ticket", .col_rule = "Rule", .col_agent = "Charged to",
	.col_deadline = "Deadline", .col_late = "Late", .col_level = "Level",
	.late = "late by", .open_for = "still open, overdue",
	.footer = "Sent automatically by slaclock; please do not reply. "
		  "`slaclock explain TICKET` shows why a breach was charged.",
	.min = "min", .hour = "h", .day = "d", .lang = "en",
};

static const struct alert_strings alert_zh = {
	.subject = "【slaclock】SLA 超时提醒：%d 张工单",
	.subject_escalated = "【slaclock】SLA 升级提醒：%d 张工单仍未完成",
	.intro = "以下工单自上次提醒以来已超过 SLA 时限，超时记在截止时刻的工单负责人名下。",
	.intro_escalated = "以下工单已超过 SLA 时限，至今仍未完成。",
	.col_ticket = "工单", .col_rule = "条款", .col_agent = "责任人",
	.col_deadline = "截止时间", .col_late = "超时", .col_level = "级别",
	.late = "超时", .open_for = "仍未完成，已超时",
	.footer = "本邮件由 slaclock 自动发送，请勿回复。"
		  "用 `slaclock explain 工单号` 可查看超时记到谁名下的原因。",
	.min = "分钟", .hour = "小时", .day = "天", .lang = "zh-CN",
};

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
	int64_t m = (secs + 59) / 60;

	if (m < 60)
		snprintf(buf, size, "%lld %s", (long long)m, s->min);
	else if (m < 48 * 60)
		snprintf(buf, size, "%lld %s %02lld %s", (long long)(m / 60), s->hour,
			 (long long)(m % 60), s->min);
	else
		snprintf(buf, size, "%lld %s %lld %s", (long long)(m / 1440), s->day,
			 (long long)(m % 1440 / 60), s->hour);
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
	const struct alert_strings *s = mconf->language == MAILER_LANG_ZH ? &alert_zh : &alert_en;
	char *text = NULL, *html = NULL, subject[256];
	size_t tlen, hlen, i;
	FILE *t = NULL, *h = NULL;
	bool escalated = true;
	int ret = -1;

	for (i = 0; i < n; i++)
		if (items[i].level == 0)
			escalated = false;
	/* One %d in a fixed template of ours. */
	snprintf(subject, sizeof(subject), "%s", escalated ? s->subject_escalated : s->subject);
	{
		char *pd = strstr(subject, "%d"), tail[256];

		if (pd != NULL) {
			snprintf(tail, sizeof(tail), "%s", pd + 2);
			snprintf(pd, sizeof(subject) - (size_t)(pd - subject), "%zu%s", n, tail);
		}
	}
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
