#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "digest.h"
#include "helpdesk.h"
#include "i18n.h"
#include "mailer.h"
#include "notify.h"
#include "report.h"
#include "settings.h"
#include "store.h"

static const char *const notify_what_zh[SLA_MILESTONE_COUNT] = {
	"首次响应", "初步方案", "问题解决",
};
static const char *const notify_what_en[SLA_MILESTONE_COUNT] = {
	"first response", "preliminary solution", "resolution",
};

/* The helpdesk a ticket key names ("rt:42" → "rt", "42"), or NULL. */
static const struct helpdesk_conf *
notify_helpdesk(const struct settings *s, const char *ticket, const char **id_r)
{
	const char *colon = strchr(ticket, ':');
	size_t i;

	if (colon == NULL || colon[1] == '\0')
		return NULL;
	for (i = 0; i < s->helpdesk_count; i++)
		if (strlen(s->helpdesks[i].name) == (size_t)(colon - ticket) &&
		    strncmp(s->helpdesks[i].name, ticket, (size_t)(colon - ticket)) == 0) {
			*id_r = colon + 1;
			return &s->helpdesks[i];
		}
	return NULL;
}

static int
notify_put(struct store *store, const struct helpdesk_conf *hc, const char *id,
	   const char *key, const char *text, int64_t now, bool *inserted_r,
	   const char **error_r)
{
	char channel[256];
	struct store_outbox row;
	json_t *payload;
	char *json;
	int ret;

	payload = json_pack("{s:s, s:s, s:s}", "action", "comment", "ticket", id,
			    "text", text);
	json = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (json == NULL) {
		*error_r = "out of memory building a note";
		return -1;
	}
	snprintf(channel, sizeof(channel), "%s%s", HELPDESK_CHANNEL_PREFIX, hc->name);
	row.key = key;
	row.channel = channel;
	row.payload = json;
	row.not_before = now;
	ret = store_outbox_put(store, &row, inserted_r, error_r);
	free(json);
	return ret;
}

int
notify_ticket(const struct settings *s, struct store *store, const struct sla_ticket *t,
	      int64_t now, struct notify_stats *stats, const char **error_r)
{
	const struct conf *conf = s->conf;
	const struct helpdesk_conf *hc;
	const char *id = NULL;
	int m;

	if (s->helpdesk_count == 0)
		return 0;
	if ((hc = notify_helpdesk(s, t->ticket, &id)) == NULL || hc->url == NULL)
		return 0;
	for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
		const struct sla_clock *c = &t->clocks[m];
		const char *rule = sla_milestone_rule((enum sla_milestone)m);
		const char *agent = c->agent[0] != '\0' ? c->agent : "(unassigned)";
		char key[EVENT_ID_MAX + 64], text[1024], due[20];
		bool inserted = false;

		calendar_format(s->cal, c->deadline, due);
		if (c->state == SLA_MISSED) {
			snprintf(key, sizeof(key), "note:%s:%s:breach", t->ticket, rule);
			snprintf(text, sizeof(text),
				 "[slaclock] %s %s超时 / %s target missed\n"
				 "截止时间 deadline: %s (%s)\n"
				 "记入 charged to: %s (owner at the deadline)\n"
				 "每次超时记警告一次；连续三次扣当月绩效10%%。\n"
				 "Each miss is a warning; three in a row propose -10%% "
				 "of the month's score.",
				 rule, notify_what_zh[m], notify_what_en[m], due,
				 conf->calendar.timezone, agent);
		} else if (c->state == SLA_PENDING && !c->paused && c->remind_at > 0 &&
			   now >= c->remind_at) {
			snprintf(key, sizeof(key), "note:%s:%s:reminder", t->ticket, rule);
			snprintf(text, sizeof(text),
				 "[slaclock] 提醒 reminder: %s %s即将到期 / %s due soon\n"
				 "截止时间 deadline: %s (%s)\n"
				 "负责人 owner: %s\n"
				 "(提醒不是警告 / a reminder is not a warning)",
				 rule, notify_what_zh[m], notify_what_en[m], due,
				 conf->calendar.timezone, agent);
		} else {
			continue;
		}
		if (notify_put(store, hc, id, key, text, now, &inserted, error_r) < 0)
			return -1;
		if (inserted && stats != NULL) {
			if (c->state == SLA_MISSED)
				stats->breaches++;
			else
				stats->reminders++;
		}
	}
	return 0;
}

int
notify_enqueue(const struct settings *s, struct store *store,
	       const struct sla_result *result, int64_t now,
	       struct notify_stats *stats, const char **error_r)
{
	const char *ignored;
	size_t i;

	if (s->helpdesk_count == 0)
		return 0;
	if (store_begin(store, error_r) < 0)
		return -1;
	for (i = 0; i < result->ticket_count; i++)
		if (notify_ticket(s, store, &result->tickets[i], now, stats, error_r) < 0)
			goto fail;
	return store_commit(store, error_r);
fail:
	(void)store_rollback(store, &ignored);
	return -1;
}

int64_t
notify_next(const struct sla_result *result, int64_t now)
{
	int64_t next = 0;
	size_t i;
	int m;

	for (i = 0; i < result->ticket_count; i++) {
		const struct sla_ticket *t = &result->tickets[i];

		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &t->clocks[m];
			int64_t remind, when;

			if (c->state != SLA_PENDING)
				continue;
			remind = c->paused ? 0 : c->remind_at;
			/* met at the deadline is met: the miss is one second later */
			when = remind > now ? remind : c->deadline + 1;
			if (when > now && (next == 0 || when < next))
				next = when;
		}
	}
	return next;
}

void
notify_tally_month(const struct calendar *cal, int64_t now, char month[8])
{
	int64_t from, to;
	int y, m;

	calendar_month(cal, now, month);
	if (calendar_month_range(cal, month, &from, &to) == 0 && now < from + 9 * 3600)
		calendar_month(cal, from - 1, month);	/* not yet: the one before */
	if (sscanf(month, "%4d-%2d", &y, &m) != 2 || y < 1 || m < 1 || m > 12)
		return;
	if (--m == 0) {
		m = 12;
		y--;
	}
	snprintf(month, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
}

/* S left- or right-aligned in WIDTH columns, a CJK character counting
   two (a translated header must line up with the numbers under it). */
static void
notify_cell(FILE *out, const char *s, int width, bool right)
{
	const unsigned char *p;
	int cols = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		cols += *p >= 0xe0 ? 2 : 1;	/* 3- and 4-byte sequences: CJK, wide */
	}
	if (right)
		fprintf(out, " %*s%s", width > cols ? width - cols : 0, "", s);
	else
		fprintf(out, "%s%*s", s, width > cols ? width - cols : 0, "");
}

/* The language of the tally: [smtp] language, as the digest's HR mail;
   without [smtp], the environment's, as mailer_conf_init() takes it. */
static enum mailer_language
notify_language(const struct settings *s)
{
	struct mailer_conf dflt;
	enum mailer_language lang = MAILER_LANG_EN;

	if (s->mailer != NULL)
		return s->mailer->language;
	if (mailer_conf_init(&dflt) == 0) {
		lang = dflt.language;
		mailer_conf_clear(&dflt);
	}
	return lang;
}

char *
notify_tally_text(const struct conf *conf, const struct report_row *rows, size_t count,
		  const char *team, const char *month, enum mailer_language lang)
{
	struct i18n_scope scope;
	char *text = NULL;
	size_t len = 0, i;
	FILE *out = open_memstream(&text, &len);
	int u;

	if (out == NULL)
		return NULL;
	i18n_begin(lang, &scope);
	/* TRANSLATORS: the first line of the monthly tally ticket: %s the
	   month (YYYY-MM), %s the team, %s the rule packs. */
	fprintf(out, _("slaclock monthly tally %s, team %s (pack %s)"), month, team,
		conf->policy.pack);
	fprintf(out, "\n%s\n\n", _("Deductions are proposals awaiting approval."));
	/* TRANSLATORS: the tally's columns; agent, tickets, first response,
	   24 h preliminary solution, 72 h resolution, warnings, deducted. */
	notify_cell(out, _("agent"), 32, false);
	notify_cell(out, _("tickets"), 7, true);
	notify_cell(out, _("1st resp"), 11, true);
	notify_cell(out, _("24h prelim"), 11, true);
	notify_cell(out, _("72h resolve"), 11, true);
	notify_cell(out, _("warnings"), 8, true);
	notify_cell(out, _("deducted"), 9, true);
	fputc('\n', out);
	for (i = 0; i < count; i++) {
		const struct report_row *r = &rows[i];
		char cells[3][24], ded[256] = "", amount[96];
		size_t dl = 0;
		int m;

		if (strcmp(r->team, team) != 0)
			continue;
		for (m = 0; m < SLA_MILESTONE_COUNT; m++)
			snprintf(cells[m], sizeof(cells[m]), "%d/%d", r->met[m], r->missed[m]);
		for (u = 0; u < SLA_UNIT_COUNT; u++)
			if (r->deducted[u] != 0 && dl < sizeof(ded)) {
				digest_amount_text((enum sla_unit)u, false, r->deducted[u],
						   amount, sizeof(amount));
				dl += (size_t)snprintf(ded + dl, sizeof(ded) - dl, "%s%s",
						       dl > 0 ? ", " : "", amount);
			}
		fprintf(out, "%-32s %7d %11s %11s %11s %8d %9s\n", r->agent, r->tickets,
			cells[0], cells[1], cells[2], r->warnings, dl > 0 ? ded : "0");
	}
	fputc('\n', out);
	/* TRANSLATORS: the tally's footer: %s the month, %s the team (the
	   command is not translated). */
	fprintf(out, _("(met/missed; rules S14.1, S14.2p, S14.2r; "
		       "`slaclock report --month %s --team %s` gives every line with its rule)"),
		month, team);
	fputc('\n', out);
	i18n_end(&scope);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int
notify_tally(const struct settings *s, struct store *store,
	     const struct sla_result *result, const char *month, int64_t now,
	     unsigned int *queued_r, const char **error_r)
{
	struct report_row *rows = NULL;
	size_t count = 0, h, t;
	const char *ignored;
	int ret = -1;

	*queued_r = 0;
	if (s->helpdesk_count == 0)
		return 0;
	if (report_rows(s->conf, s->cal, result, month, &rows, &count, error_r) < 0)
		return -1;
	if (store_begin(store, error_r) < 0)
		goto out;
	for (h = 0; h < s->helpdesk_count; h++) {
		const struct helpdesk_conf *hc = &s->helpdesks[h];

		if (hc->tally_queue == NULL || hc->url == NULL)
			continue;
		for (t = 0; t < s->conf->team_count; t++) {
			const char *team = s->conf->teams[t].name;
			char key[512], subject[256], channel[256];
			struct store_outbox row;
			bool inserted = false;
			json_t *payload;
			char *text, *json;

			snprintf(key, sizeof(key), "tally:%s:%s:%s", hc->name, month, team);
			snprintf(subject, sizeof(subject), "slaclock tally %s %s", month, team);
			snprintf(channel, sizeof(channel), "%s%s", HELPDESK_CHANNEL_PREFIX, hc->name);
			if ((text = notify_tally_text(s->conf, rows, count, team, month,
						      notify_language(s))) == NULL) {
				*error_r = "out of memory building a tally";
				goto fail;
			}
			payload = json_pack("{s:s, s:s, s:s, s:s}", "action", "ticket",
					    "queue", hc->tally_queue, "subject", subject,
					    "text", text);
			free(text);
			json = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
			json_decref(payload);
			if (json == NULL) {
				*error_r = "out of memory building a tally";
				goto fail;
			}
			row.key = key;
			row.channel = channel;
			row.payload = json;
			row.not_before = now;
			ret = store_outbox_put(store, &row, &inserted, error_r);
			free(json);
			if (ret < 0)
				goto fail;
			ret = -1;
			if (inserted)
				(*queued_r)++;
		}
	}
	ret = store_commit(store, error_r);
	goto out;
fail:
	(void)store_rollback(store, &ignored);
out:
	free(rows);
	return ret;
}
