#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "digest.h"
#include "i18n.h"
#include "mailmsg.h"
#include "report.h"
#include "store.h"
#include "weekly.h"

void
weekly_due_week(const struct conf *conf, const struct calendar *cal, int64_t now,
		char week[9], int64_t *at_r)
{
	const int *when = conf->policy.g20_weekly;
	/* days after Monday: ISO weeks start on Monday, the setting on Sunday */
	int64_t offset = (int64_t)((when[0] + 6) % 7) * 86400 + when[1], from, to;

	calendar_week(cal, now, week);
	if (calendar_week_range(cal, week, &from, &to) < 0)
		from = now;
	if (now < from + offset) {
		/* not yet this week: the week before's */
		calendar_week(cal, from - 1, week);
		if (calendar_week_range(cal, week, &from, &to) < 0)
			from = now;
	}
	*at_r = from + offset;
}

/* The lead of TEAM, or NULL. */
static const char *
weekly_lead(const struct conf *conf, const char *team)
{
	size_t i;

	for (i = 0; i < conf->team_count; i++)
		if (strcmp(conf->teams[i].name, team) == 0)
			return conf->teams[i].lead;
	return NULL;
}

int
weekly_render(const struct conf *conf, const struct mailer_conf *mconf,
	      const struct calendar *cal, const struct sla_result *result,
	      const char *week, const char *team, char **subject_r, char **text_r,
	      char **html_r, const char **error_r)
{
	struct report_row *rows = NULL;
	size_t count = 0, i, len, shown = 0;
	struct i18n_scope scope = { (locale_t)0, false };
	const char *lead = weekly_lead(conf, team);
	FILE *text = NULL, *html = NULL;
	char subject[MAILMSG_SUBJECT_MAX];
	int m, ret = -1;

	*subject_r = *text_r = *html_r = NULL;
	if (report_rows(conf, cal, result, week, &rows, &count, error_r) < 0)
		return -1;
	i18n_begin(lead != NULL ? mailer_language_for(mconf, lead) : mconf->language, &scope);
	/* TRANSLATORS: the weekly report's subject: %s the ISO week
	   (2026-W46), %s the team. */
	snprintf(subject, sizeof(subject), _("[slaclock] SLA weekly report %s: %s"), week, team);
	if ((*subject_r = strdup(subject)) == NULL ||
	    (text = open_memstream(text_r, &len)) == NULL ||
	    (html = open_memstream(html_r, &len)) == NULL)
		goto nomem;
	fprintf(text, "%s\n\n", subject);
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", html);
	digest_html_escape(html, subject);
	fputs("</title></head>\n<body style=\"margin:0;padding:16px;font-family:Arial,Helvetica,"
	      "Microsoft YaHei,PingFang SC,SimSun,sans-serif;color:#111827;\">\n"
	      "<h1 style=\"font-size:18px;color:#1f3a5f;\">", html);
	digest_html_escape(html, subject);
	fputs("</h1>\n<table cellpadding=\"4\" cellspacing=\"0\" border=\"1\" "
	      "style=\"border-collapse:collapse;font-size:13px;\">\n<tr>", html);
	{
		/* TRANSLATORS: the weekly report's columns (met/missed each). */
		const char *cols[6] = { _("Agent"), _("Tickets"), _("1st response"),
					_("24 h preliminary"), _("72 h resolution"),
					_("Warnings") };

		for (i = 0; i < 6; i++) {
			fputs("<th style=\"background:#f3f4f6;text-align:left;\">", html);
			digest_html_escape(html, cols[i]);
			fputs("</th>", html);
			fprintf(text, "%s%s", i > 0 ? " | " : "", cols[i]);
		}
		fputs("</tr>\n", html);
		fputc('\n', text);
	}
	for (i = 0; i < count; i++) {
		const struct report_row *r = &rows[i];

		if (strcmp(r->team, team) != 0)
			continue;
		shown++;
		/* one line per agent: address, then the numbers (met/missed) */
		fprintf(text, "%s %d %d/%d %d/%d %d/%d %d\n", r->agent, r->tickets,
			r->met[0], r->missed[0], r->met[1], r->missed[1], r->met[2],
			r->missed[2], r->warnings);
		fputs("<tr><td>", html);
		digest_html_escape(html, r->agent);
		fprintf(html, "</td><td align=\"right\">%d</td>", r->tickets);
		for (m = 0; m < SLA_MILESTONE_COUNT; m++)
			fprintf(html, "<td align=\"right\"><span style=\"color:#2e7d32;\">%d</span>"
				"/<span style=\"color:#d32f2f;\">%d</span></td>", r->met[m],
				r->missed[m]);
		fprintf(html, "<td align=\"right\">%d</td></tr>\n", r->warnings);
	}
	fputs("</table>\n<p style=\"font-size:12px;color:#4b5563;\">", html);
	{
		const char *note = shown == 0 ? _("Nothing this week.") :
			_("Met/missed by the time things happened in the week; proposed "
			  "deductions and rewards are booked by month, in the monthly digest.");

		fprintf(text, "\n%s\n", note);
		digest_html_escape(html, note);
	}
	fputs("</p>\n</body></html>\n", html);
	{
		int closed = fclose(text);

		closed |= fclose(html);
		text = html = NULL;
		if (closed != 0)
			goto nomem;
	}
	ret = 0;
	goto out;
nomem:
	*error_r = "weekly report: out of memory";
out:
	if (text != NULL)
		fclose(text);
	if (html != NULL)
		fclose(html);
	i18n_end(&scope);
	free(rows);
	if (ret < 0) {
		free(*subject_r);
		free(*text_r);
		free(*html_r);
		*subject_r = *text_r = *html_r = NULL;
	}
	return ret;
}

/* TEAM's mail of WEEK into the outbox, to its lead. */
static int
weekly_queue_one(const struct conf *conf, const struct mailer_conf *mconf,
		 const struct calendar *cal, struct store *store,
		 const struct sla_result *result, const char *week, const struct conf_team *t,
		 int64_t now, size_t *queued, const char **error_r)
{
	const char *to[1] = { t->lead };
	char key[512], *subject = NULL, *text = NULL, *html = NULL, *raw = NULL;
	size_t len;
	bool inserted = false;
	int ret = -1;

	snprintf(key, sizeof(key), "weekly:%s:team:%s", week, t->name);
	if (weekly_render(conf, mconf, cal, result, week, t->name, &subject, &text, &html,
			  error_r) < 0)
		return -1;
	{
		struct mailmsg m = {
			.from = mconf->from, .from_name = mconf->from_name,
			.to = to, .to_count = 1, .subject = subject,
			.key = key, .date = now, .text = text, .html = html,
		};

		if (mailmsg_build(&m, &raw, &len, error_r) < 0)
			goto out;
	}
	ret = mailer_outbox_put(store, key, to, 1, raw, len, now, &inserted, error_r);
	if (ret == 0 && inserted)
		(*queued)++;
out:
	free(raw);
	free(subject);
	free(text);
	free(html);
	return ret;
}

/* Every team's mail of WEEK, to the teams with a lead (digest_queue_fn). */
static int
weekly_queue(const struct conf *conf, const struct mailer_conf *mconf,
	     const struct calendar *cal, struct store *store, const struct sla_result *result,
	     const char *week, int64_t now, size_t *queued_r, const char **error_r)
{
	size_t i;

	for (i = 0; i < conf->team_count; i++)
		if (conf->teams[i].lead != NULL &&
		    weekly_queue_one(conf, mconf, cal, store, result, week, &conf->teams[i], now,
				     queued_r, error_r) < 0)
			return -1;
	return 0;
}

int
weekly_tick(const struct conf *conf, const struct mailer_conf *mconf,
	    const struct calendar *cal, struct store *store, int64_t now,
	    size_t *queued_r, const char **error_r)
{
	char week[9];
	int64_t at;

	*queued_r = 0;
	if (!conf_pack_enabled(conf, CONF_PACK_G20))
		return 0;
	if (mconf->from == NULL) {
		*error_r = "weekly report: [smtp] from is not set";
		return -1;
	}
	weekly_due_week(conf, cal, now, week, &at);
	return digest_once(conf, mconf, cal, store, "weekly", "weekly report", week,
			   weekly_queue, now, queued_r, error_r);
}
