#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "helpdesk.h"
#include "notify.h"
#include "settings.h"
#include "store.h"

static const char *const notify_what_zh[SLA_MILESTONE_COUNT] = {
	"首次响应", "初步方案", "问题解决",
};
static const char *const notify_what_en[SLA_MILESTONE_COUNT] = {
	"first response", "preliminary solution", "resolution",
};

static int64_t
notify_target(const struct conf *conf, enum sla_milestone m)
{
	switch (m) {
	case SLA_FIRST_RESPONSE:
		return conf->policy.first_response_secs;
	case SLA_PRELIMINARY:
		return conf->policy.preliminary_secs;
	default:
		return conf->policy.resolution_secs;
	}
}

int64_t
notify_remind_at(const struct conf *conf, const struct calendar *cal,
		 const struct sla_ticket *t, enum sla_milestone m)
{
	return calendar_add(cal, t->start,
			    notify_target(conf, m) * conf->policy.warn_at_pct / 100);
}

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
notify_enqueue(const struct settings *s, struct store *store,
	       const struct sla_result *result, int64_t now,
	       struct notify_stats *stats, const char **error_r)
{
	const struct conf *conf = s->conf;
	const char *ignored;
	size_t i;
	int m;

	if (s->helpdesk_count == 0)
		return 0;
	if (store_begin(store, error_r) < 0)
		return -1;
	for (i = 0; i < result->ticket_count; i++) {
		const struct sla_ticket *t = &result->tickets[i];
		const struct helpdesk_conf *hc;
		const char *id = NULL;

		if ((hc = notify_helpdesk(s, t->ticket, &id)) == NULL || hc->url == NULL)
			continue;
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
			} else if (c->state == SLA_PENDING &&
				   now >= notify_remind_at(conf, s->cal, t, (enum sla_milestone)m)) {
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
				goto fail;
			if (inserted && stats != NULL) {
				if (c->state == SLA_MISSED)
					stats->breaches++;
				else
					stats->reminders++;
			}
		}
	}
	return store_commit(store, error_r);
fail:
	(void)store_rollback(store, &ignored);
	return -1;
}

int64_t
notify_next(const struct conf *conf, const struct calendar *cal,
	    const struct sla_result *result, int64_t now)
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
			remind = notify_remind_at(conf, cal, t, (enum sla_milestone)m);
			/* met at the deadline is met: the miss is one second later */
			when = remind > now ? remind : c->deadline + 1;
			if (when > now && (next == 0 || when < next))
				next = when;
		}
	}
	return next;
}
