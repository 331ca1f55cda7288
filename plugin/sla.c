#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "sla.h"
#include "store.h"

static const char *const sla_rules[SLA_MILESTONE_COUNT] = {
	"S14.1", "S14.2p", "S14.2r",
};
static const char *const sla_names[SLA_MILESTONE_COUNT] = {
	"first_response", "preliminary_solution", "resolution",
};

const char *
sla_milestone_rule(enum sla_milestone m)
{
	return (unsigned)m < SLA_MILESTONE_COUNT ? sla_rules[m] : "?";
}

const char *
sla_milestone_name(enum sla_milestone m)
{
	return (unsigned)m < SLA_MILESTONE_COUNT ? sla_names[m] : "?";
}

void
sla_result_clear(struct sla_result *result)
{
	free(result->tickets);
	free(result->proposals);
	memset(result, 0, sizeof(*result));
}

static void
sla_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

static int
sla_grow(void **array, size_t *cap, size_t count, size_t elem)
{
	void *p;
	size_t ncap;

	if (count < *cap)
		return 0;
	ncap = *cap == 0 ? 64 : *cap * 2;
	if ((p = realloc(*array, ncap * elem)) == NULL)
		return -1;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*array = p;
	*cap = ncap;
	return 0;
}

/* The value of KEY in the small JSON object ATTRS, copied into BUF. */
static bool
sla_attr(const char *attrs, const char *key, char *buf, size_t size)
{
	json_t *root, *value;
	bool found = false;

	if (attrs == NULL)
		return false;
	if ((root = json_loads(attrs, 0, NULL)) == NULL)
		return false;
	value = json_object_get(root, key);
	if (json_is_string(value)) {
		sla_copy(buf, size, json_string_value(value));
		found = true;
	}
	json_decref(root);
	return found;
}

/* Who owns the ticket at time T: the latest assignment at or before T,
   else the last agent who replied at or before T, else DEFAULT_AGENT. */
static const char *
sla_owner_at(const struct event *evs, size_t n, int64_t t, const char *default_agent)
{
	const char *assigned = NULL, *replied = NULL;
	size_t i;

	for (i = 0; i < n && evs[i].time <= t; i++) {
		if (evs[i].kind == EVENT_ASSIGN)
			assigned = evs[i].actor;
		else if (evs[i].kind == EVENT_AGENT_REPLY)
			replied = evs[i].actor;
	}
	if (assigned != NULL)
		return assigned;
	if (replied != NULL)
		return replied;
	return default_agent != NULL ? default_agent : "";
}

/* The team a ticket belongs to: that of the first agent seen on it,
   else the first configured team. */
static const struct conf_team *
sla_ticket_team(const struct conf *conf, const struct event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct conf_team *team;

		if (evs[i].kind != EVENT_ASSIGN && evs[i].kind != EVENT_AGENT_REPLY &&
		    evs[i].kind != EVENT_AGENT_NOTE)
			continue;
		if ((team = conf_agent_team(conf, evs[i].actor)) != NULL)
			return team;
	}
	return conf->team_count > 0 ? &conf->teams[0] : NULL;
}

static void
sla_ticket_evaluate(const struct conf *conf, const struct calendar *cal,
		    const struct event *evs, size_t n, int64_t now,
		    struct sla_ticket *t)
{
	const struct conf_policy *pol = &conf->policy;
	const int64_t targets[SLA_MILESTONE_COUNT] = {
		pol->first_response_secs, pol->preliminary_secs, pol->resolution_secs,
	};
	const struct conf_team *team;
	const char *default_agent;
	char value[32];
	size_t i;
	int m;

	memset(t, 0, sizeof(*t));
	sla_copy(t->ticket, sizeof(t->ticket), evs[0].ticket);
	t->severity = SEVERITY_NORMAL;
	t->start = -1;
	for (i = 0; i < n; i++) {
		if (evs[i].kind == EVENT_CUSTOMER_MESSAGE && t->start < 0)
			t->start = evs[i].time;
		if (evs[i].kind == EVENT_PRIORITY &&
		    sla_attr(evs[i].attrs, "priority", value, sizeof(value)))
			(void)severity_from_name(value, &t->severity);
	}
	if (t->start < 0)
		return;

	team = sla_ticket_team(conf, evs, n);
	sla_copy(t->team, sizeof(t->team), team != NULL ? team->name : "");
	default_agent = team != NULL ? team->default_agent : NULL;

	for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
		struct sla_clock *c = &t->clocks[m];
		int64_t charge_at;

		c->deadline = calendar_add(cal, t->start, targets[m]);
		for (i = 0; i < n && c->stopped_at == 0; i++) {
			enum event_kind k = evs[i].kind;

			if (evs[i].time < t->start)
				continue;
			if ((m == SLA_FIRST_RESPONSE && k == EVENT_AGENT_REPLY) ||
			    (m == SLA_PRELIMINARY &&
			     (k == EVENT_PRELIMINARY || k == EVENT_RESOLVED)) ||
			    (m == SLA_RESOLUTION && k == EVENT_RESOLVED))
				c->stopped_at = evs[i].time;
		}
		if (c->stopped_at != 0)
			c->state = c->stopped_at <= c->deadline ? SLA_MET : SLA_MISSED;
		else
			c->state = now > c->deadline ? SLA_MISSED : SLA_PENDING;

		if (pol->charge == CONF_CHARGE_OWNER_AT_START)
			charge_at = t->start;
		else if (c->state == SLA_MET)
			charge_at = c->stopped_at;
		else
			charge_at = c->deadline;
		sla_copy(c->agent, sizeof(c->agent),
			 sla_owner_at(evs, n, charge_at, default_agent));
	}
}

struct sla_fr {
	const struct sla_ticket *ticket;
	int64_t deadline;
	bool missed;
};

static int
sla_fr_cmp(const void *a, const void *b)
{
	const struct sla_fr *x = a, *y = b;
	int c = strcmp(x->ticket->clocks[SLA_FIRST_RESPONSE].agent,
		       y->ticket->clocks[SLA_FIRST_RESPONSE].agent);

	if (c != 0)
		return c;
	if (x->deadline != y->deadline)
		return x->deadline < y->deadline ? -1 : 1;
	return strcmp(x->ticket->ticket, y->ticket->ticket);
}

static struct sla_proposal *
sla_proposal_new(struct sla_result *r, size_t *cap)
{
	if (sla_grow((void **)&r->proposals, cap, r->proposal_count,
		     sizeof(*r->proposals)) < 0)
		return NULL;
	return &r->proposals[r->proposal_count++];
}

/* S14.1s: consecutive first-response misses per agent. */
static int
sla_streaks(const struct conf *conf, const struct calendar *cal,
	    struct sla_result *r, size_t *pcap)
{
	const struct conf_policy *pol = &conf->policy;
	struct sla_fr *frs;
	size_t n = 0, i, run = 0;
	char month[8], prev_month[8] = "";
	int ret = -1;

	if ((frs = calloc(r->ticket_count + 1, sizeof(*frs))) == NULL)
		return -1;
	for (i = 0; i < r->ticket_count; i++) {
		const struct sla_ticket *t = &r->tickets[i];
		const struct sla_clock *c = &t->clocks[SLA_FIRST_RESPONSE];

		if (t->start < 0 || c->state == SLA_PENDING)
			continue;
		frs[n].ticket = t;
		frs[n].deadline = c->deadline;
		frs[n].missed = c->state == SLA_MISSED;
		n++;
	}
	qsort(frs, n, sizeof(*frs), sla_fr_cmp);

	for (i = 0; i < n; i++) {
		const char *agent = frs[i].ticket->clocks[SLA_FIRST_RESPONSE].agent;
		struct sla_proposal *p;
		size_t k;

		calendar_month(cal, frs[i].deadline, month);
		if (i == 0 || strcmp(agent, frs[i - 1].ticket->clocks[SLA_FIRST_RESPONSE].agent) != 0 ||
		    (pol->streak_reset_month_end && strcmp(month, prev_month) != 0))
			run = 0;
		memcpy(prev_month, month, sizeof(month));
		if (!frs[i].missed) {
			run = 0;
			continue;
		}
		run++;
		if (run < (size_t)pol->streak_length)
			continue;
		if ((p = sla_proposal_new(r, pcap)) == NULL)
			goto out;
		snprintf(p->key, sizeof(p->key), "S14.1s:%s:%s", agent, frs[i].ticket->ticket);
		sla_copy(p->agent, sizeof(p->agent), agent);
		sla_copy(p->rule, sizeof(p->rule), "S14.1s");
		memcpy(p->month, month, sizeof(month));
		p->pct = pol->streak_deduction_pct;
		/* The tickets of the streak, most recent last. */
		for (k = i + 1 - (size_t)pol->streak_length; k <= i; k++) {
			size_t len = strlen(p->tickets);

			snprintf(p->tickets + len, sizeof(p->tickets) - len, "%s%s",
				 len > 0 ? " " : "", frs[k].ticket->ticket);
		}
		if (pol->streak_reset_after_fire)
			run = 0;
	}
	ret = 0;
out:
	free(frs);
	return ret;
}

/* S14.2d: 24 h and 72 h misses by severity, stacked up to the cap. */
static int
sla_severity(const struct conf *conf, const struct calendar *cal,
	     struct sla_result *r, size_t *pcap)
{
	const struct conf_policy *pol = &conf->policy;
	size_t i;

	for (i = 0; i < r->ticket_count; i++) {
		const struct sla_ticket *t = &r->tickets[i];
		int booked = 0, m;

		if (t->start < 0)
			continue;
		for (m = SLA_PRELIMINARY; m <= SLA_RESOLUTION; m++) {
			const struct sla_clock *c = &t->clocks[m];
			struct sla_proposal *p;
			int pct = pol->severity_pct[t->severity];

			if (c->state != SLA_MISSED)
				continue;
			if (!pol->stack_24h_72h && booked > 0)
				break;
			if (pct > pol->ticket_cap_pct - booked)
				pct = pol->ticket_cap_pct - booked;
			if (pct <= 0)
				break;
			if ((p = sla_proposal_new(r, pcap)) == NULL)
				return -1;
			snprintf(p->key, sizeof(p->key), "S14.2d:%s:%s",
				 sla_milestone_name((enum sla_milestone)m), t->ticket);
			sla_copy(p->agent, sizeof(p->agent), c->agent);
			sla_copy(p->rule, sizeof(p->rule), "S14.2d");
			calendar_month(cal, c->deadline, p->month);
			p->pct = pct;
			snprintf(p->tickets, sizeof(p->tickets), "%s", t->ticket);
			booked += pct;
		}
	}
	return 0;
}

int
sla_evaluate_events(const struct conf *conf, const struct calendar *cal,
		    const struct event *events, size_t count, int64_t now,
		    struct sla_result *result, const char **error_r)
{
	size_t tcap = 0, pcap = 0, i = 0;

	memset(result, 0, sizeof(*result));
	while (i < count) {
		size_t j = i + 1;

		while (j < count && strcmp(events[j].ticket, events[i].ticket) == 0)
			j++;
		if (sla_grow((void **)&result->tickets, &tcap, result->ticket_count,
			     sizeof(*result->tickets)) < 0)
			goto nomem;
		sla_ticket_evaluate(conf, cal, events + i, j - i, now,
				    &result->tickets[result->ticket_count]);
		if (result->tickets[result->ticket_count].start >= 0)
			result->ticket_count++;
		i = j;
	}
	if (sla_streaks(conf, cal, result, &pcap) < 0 ||
	    sla_severity(conf, cal, result, &pcap) < 0)
		goto nomem;
	return 0;
nomem:
	sla_result_clear(result);
	*error_r = "out of memory evaluating clocks";
	return -1;
}

/* Events copied out of the store's row buffers. */
struct sla_collect {
	struct event *evs;
	size_t count, cap;
	bool nomem;
};

static char *
sla_strdup(const char *s, bool *nomem)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*nomem = true;
	return d;
}

static int
sla_collect_cb(void *ctx, const struct event *ev)
{
	struct sla_collect *c = ctx;
	struct event *e;

	if (sla_grow((void **)&c->evs, &c->cap, c->count, sizeof(*c->evs)) < 0) {
		c->nomem = true;
		return 1;
	}
	e = &c->evs[c->count++];
	*e = *ev;
	e->source = sla_strdup(ev->source, &c->nomem);
	e->external_id = sla_strdup(ev->external_id, &c->nomem);
	e->ticket = sla_strdup(ev->ticket != NULL ? ev->ticket : "", &c->nomem);
	e->actor = sla_strdup(ev->actor != NULL ? ev->actor : "", &c->nomem);
	e->attrs = sla_strdup(ev->attrs, &c->nomem);
	return c->nomem ? 1 : 0;
}

int
sla_evaluate(const struct conf *conf, const struct calendar *cal,
	     struct store *store, int64_t now, struct sla_result *result,
	     const char **error_r)
{
	struct sla_collect c = { 0 };
	size_t i;
	int ret = -1;

	memset(result, 0, sizeof(*result));
	if (store_events_foreach(store, sla_collect_cb, &c, error_r) < 0 && !c.nomem)
		goto out;
	if (c.nomem) {
		*error_r = "out of memory reading events";
		goto out;
	}
	ret = sla_evaluate_events(conf, cal, c.evs, c.count, now, result, error_r);
out:
	for (i = 0; i < c.count; i++) {
		free((char *)c.evs[i].source);
		free((char *)c.evs[i].external_id);
		free((char *)c.evs[i].ticket);
		free((char *)c.evs[i].actor);
		free((char *)c.evs[i].attrs);
	}
	free(c.evs);
	return ret;
}

int
sla_persist(struct store *store, const struct calendar *cal,
	    const struct sla_result *result, const char **error_r)
{
	size_t i;
	int m;

	if (store_begin(store, error_r) < 0)
		return -1;
	if (store_derived_clear(store, error_r) < 0)
		goto fail;
	for (i = 0; i < result->ticket_count; i++) {
		const struct sla_ticket *t = &result->tickets[i];

		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &t->clocks[m];
			struct store_breach b;
			char month[8];

			if (c->state != SLA_MISSED)
				continue;
			calendar_month(cal, c->deadline, month);
			b.ticket = t->ticket;
			b.rule = sla_milestone_rule((enum sla_milestone)m);
			b.agent = c->agent;
			b.deadline = c->deadline;
			b.met_at = c->stopped_at;
			b.month = month;
			if (store_breach_put(store, &b, error_r) < 0)
				goto fail;
		}
	}
	for (i = 0; i < result->proposal_count; i++) {
		const struct sla_proposal *p = &result->proposals[i];
		struct store_proposal sp = {
			.key = p->key, .agent = p->agent, .rule = p->rule,
			.month = p->month, .unit = "pct_month_score",
			.amount = p->pct, .state = "proposed", .reason = p->tickets,
		};

		if (store_proposal_put(store, &sp, error_r) < 0)
			goto fail;
	}
	return store_commit(store, error_r);
fail:
	{
		const char *ignored;

		(void)store_rollback(store, &ignored);
	}
	return -1;
}
