#include "config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Strings of many small records live in arenas of large blocks: one
   malloc per block instead of one or more per record. */
#define SLA_ARENA_BLOCK (256u * 1024)
struct sla_arena_block {
	struct sla_arena_block *next;
	size_t used, size;
	char data[];
};

/* Copy S into the arena at *HEAD (a new block when the first is full). */
static char *
sla_arena_dup(struct sla_arena_block **head, const char *s, bool *nomem)
{
	size_t len = strlen(s) + 1;
	struct sla_arena_block *b = *head;
	char *d;

	if (b == NULL || b->size - b->used < len) {
		size_t size = len > SLA_ARENA_BLOCK ? len : SLA_ARENA_BLOCK;

		if ((b = malloc(sizeof(*b) + size)) == NULL) {
			*nomem = true;
			return NULL;
		}
		b->next = *head;
		b->used = 0;
		b->size = size;
		*head = b;
	}
	d = b->data + b->used;
	memcpy(d, s, len);
	b->used += len;
	return d;
}

static void
sla_arena_free(struct sla_arena_block **head)
{
	while (*head != NULL) {
		struct sla_arena_block *next = (*head)->next;

		free(*head);
		*head = next;
	}
}


void
sla_result_clear(struct sla_result *result)
{
	free(result->tickets);
	free(result->proposals);
	free(result->warnings);
	free(result->flags);
	free(result->complaints);
	free(result->satisfaction);
	free(result->pack_clocks);
	sla_arena_free(&result->strings);
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
   else the last agent who replied at or before T, else DEFAULT_AGENT.
   An assignment names the new owner in attrs {"owner": ...} (event.h);
   webhooks put the person who made the change in actor, mail puts the
   owner there too. An assignment to nobody leaves the fallbacks. The
   result is valid until the next call (callers copy it at once). */
static const char *
sla_owner_at(const struct event *evs, size_t n, int64_t t, const char *default_agent)
{
	static _Thread_local char owner[EVENT_ACTOR_MAX];
	const struct event *assigned = NULL;
	const char *replied = NULL;
	size_t i;

	for (i = 0; i < n && evs[i].time <= t; i++) {
		if (evs[i].kind == EVENT_ASSIGN)
			assigned = &evs[i];
		else if (evs[i].kind == EVENT_AGENT_REPLY)
			replied = evs[i].actor;
	}
	if (assigned != NULL) {
		if (!sla_attr(assigned->attrs, "owner", owner, sizeof(owner)))
			sla_copy(owner, sizeof(owner), assigned->actor);
		if (owner[0] != '\0')
			return owner;
	}
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

#define SLA_MONTH_CACHE 8

/* Everything one evaluation builds, with the capacities of its arrays. */
struct sla_build {
	const struct conf *conf;
	const struct calendar *cal;          /* [calendar]: months, quarters */
	struct calendar **team_cals;         /* per conf->calendars, may be NULL */
	int64_t now;
	struct sla_result *r;
	size_t tcap, pcap, wcap, fcap, ccap, scap, kcap, rcap;
	struct sla_rating *ratings;
	size_t rating_count;
	bool nomem;
	const char *last_kept;               /* see sla_keep() */
	/* months already looked up: the pack rules compare many times'
	   months, and each lookup switches the process's time zone */
	struct {
		int64_t from, to;
		char month[8];
		const struct calendar *cal;  /* added: months of team time zones */
	} months[SLA_MONTH_CACHE];
	unsigned int month_next;
	/* added (issue 7): the last agent whose team calendar was looked up */
	char cal_agent[EVENT_ACTOR_MAX];
	const struct calendar *cal_of_agent;
	struct sla_praise *praises;          /* S15 */
	size_t praise_count, praise_cap;
};

/* One customer praise (S15), before they are counted per year. */
struct sla_praise {
	char agent[EVENT_ACTOR_MAX];
	char ticket[EVENT_ID_MAX];
	int64_t at;
};

/* One satisfaction answer, before they are summed. */
struct sla_rating {
	char agent[EVENT_ACTOR_MAX];
	char team[64];
	char month[8];
	char quarter[8];
	bool satisfied;
};

static void *
sla_push(struct sla_build *b, void **array, size_t *cap, size_t *count, size_t elem)
{
	if (sla_grow(array, cap, *count, elem) < 0) {
		b->nomem = true;
		return NULL;
	}
	return (char *)*array + (*count)++ * elem;
}

/* calendar_month() on CAL through the cache of struct sla_build. */
static void
sla_month_in(struct sla_build *b, const struct calendar *cal, int64_t t, char month[8])
{
	unsigned int i;

	for (i = 0; i < SLA_MONTH_CACHE; i++)
		if (b->months[i].to != 0 && b->months[i].cal == cal &&
		    t >= b->months[i].from && t < b->months[i].to) {
			memcpy(month, b->months[i].month, 8);
			return;
		}
	calendar_month(cal, t, month);
	i = b->month_next++ % SLA_MONTH_CACHE;
	b->months[i].cal = cal;
	if (calendar_month_range(cal, month, &b->months[i].from, &b->months[i].to) < 0)
		b->months[i].to = 0;
	else
		memcpy(b->months[i].month, month, 8);
}

/* The calendar of AGENT's team ("team:NAME" names the team): months,
   quarters and working days (appeals) of what is booked to the agent are
   counted in it; [calendar] for an agent of no team or a team without one. */
static const struct calendar *
sla_agent_cal(struct sla_build *b, const char *agent)
{
	const struct conf *conf = b->conf;
	const struct conf_team *team = NULL;
	size_t i;

	if (conf->calendar_count == 0 || b->team_cals == NULL || agent == NULL)
		return b->cal;
	if (b->cal_of_agent != NULL && strcmp(b->cal_agent, agent) == 0)
		return b->cal_of_agent;
	if (strncmp(agent, "team:", 5) == 0) {
		for (i = 0; i < conf->team_count; i++)
			if (strcmp(conf->teams[i].name, agent + 5) == 0)
				team = &conf->teams[i];
	} else
		team = conf_agent_team(conf, agent);
	sla_copy(b->cal_agent, sizeof(b->cal_agent), agent);
	b->cal_of_agent = team != NULL && team->calendar >= 0 &&
		(size_t)team->calendar < conf->calendar_count &&
		b->team_cals[team->calendar] != NULL ? b->team_cals[team->calendar] : b->cal;
	return b->cal_of_agent;
}

/* The month of T for what is booked to AGENT: in the agent's team's zone. */
static void
sla_agent_month(struct sla_build *b, const char *agent, int64_t t, char month[8])
{
	sla_month_in(b, sla_agent_cal(b, agent), t, month);
}

#define SLA_PUSH(b, arr, cap, count) \
	sla_push((b), (void **)&(arr), &(cap), &(count), sizeof(*(arr)))

static const char *const sla_units[SLA_UNIT_COUNT] = {
	"pct_month_score", "pct_quarter_score", "pct_wage", "yuan", "points",
	"pct_month_bonus",
};

const char *
sla_unit_name(enum sla_unit u)
{
	return (unsigned)u < SLA_UNIT_COUNT ? sla_units[u] : "?";
}

const char *
sla_complaint_state_name(enum sla_complaint_state st)
{
	static const char *const names[] = { "received", "verifying", "verified", "rejected" };

	return (unsigned)st < 4 ? names[st] : "?";
}

static const struct {
	const char *name;
	const char *code;
} sla_causes[] = {
	{ "attitude", "attitude" }, { "态度", "attitude" }, { "服务态度", "attitude" },
	{ "quality", "quality" }, { "质量", "quality" }, { "服务质量", "quality" },
	{ "补件质量", "quality" },
	{ "error", "error" }, { "失误", "error" }, { "服务失误", "error" },
	{ "个人疏忽", "error" },
	{ "lateness", "lateness" }, { "late", "lateness" }, { "不及时", "lateness" },
	{ "延误", "lateness" }, { "超时", "lateness" }, { "处理不及时", "lateness" },
	{ "perfunctory", "perfunctory" }, { "敷衍", "perfunctory" },
	{ "敷衍了事", "perfunctory" },
	{ "wrong_part", "wrong_part" }, { "wrong part", "wrong_part" },
	{ "补件错误", "wrong_part" }, { "错件", "wrong_part" },
	{ "process", "process" }, { "流程违规", "process" }, { "流程", "process" },
	{ "privacy", "privacy" }, { "泄露", "privacy" }, { "信息泄露", "privacy" },
	{ "隐私", "privacy" },
};

const char *
sla_cause_code(const char *name)
{
	size_t i;

	if (name == NULL)
		return "other";
	for (i = 0; i < sizeof(sla_causes) / sizeof(sla_causes[0]); i++)
		if (strcasecmp(name, sla_causes[i].name) == 0)
			return sla_causes[i].code;
	return "other";
}

bool
sla_decision_allowed(const char *from, const char *decision)
{
	if (strcmp(decision, "reviewed") == 0)
		return strcmp(from, "proposed") == 0;
	if (strcmp(decision, "approved") == 0)
		return strcmp(from, "proposed") == 0 || strcmp(from, "reviewed") == 0;
	if (strcmp(decision, "executed") == 0)
		return strcmp(from, "approved") == 0;
	if (strcmp(decision, "rejected") == 0)
		return strcmp(from, "proposed") == 0 || strcmp(from, "reviewed") == 0 ||
			strcmp(from, "approved") == 0;
	return false;
}

const struct sla_proposal *
sla_result_proposal(const struct sla_result *result, const char *key)
{
	size_t i;

	for (i = 0; i < result->proposal_count; i++)
		if (strcmp(result->proposals[i].key, key) == 0)
			return &result->proposals[i];
	return NULL;
}

/* The attrs of EV as a JSON object (json_decref() it), or NULL. */
static json_t *
sla_attrs(const struct event *ev)
{
	json_t *root;

	if (ev->attrs == NULL || ev->attrs[0] == '\0')
		return NULL;
	if ((root = json_loads(ev->attrs, 0, NULL)) != NULL && !json_is_object(root)) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

static const char *
sla_jstr(json_t *obj, const char *key)
{
	json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* true / false / -1 when absent; "yes"/"no" strings too (custom fields). */
static int
sla_jbool(json_t *obj, const char *key)
{
	json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
		    strcmp(s, "1") == 0 || strcmp(s, "是") == 0)
			return 1;
		if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
		    strcmp(s, "0") == 0 || strcmp(s, "否") == 0)
			return 0;
	}
	return -1;
}

/* The normalised status of a status event, or NULL. */
static bool
sla_status_of(const struct event *ev, char *buf, size_t size)
{
	return ev->kind == EVENT_STATUS && sla_attr(ev->attrs, "status", buf, size);
}

static void
sla_last_month_of_quarter(const char *quarter, char month[8])
{
	int q = quarter[6] - '0';

	snprintf(month, 8, "%.4s-%02d", quarter, (q < 1 || q > 4 ? 1 : q) * 3);
}

/* ---- clocks ---- */

enum sla_stop_kind {
	SLA_STOP_FIRST_RESPONSE = 0,
	SLA_STOP_PRELIMINARY,
	SLA_STOP_RESOLUTION,
	SLA_STOP_SHIPPED,
};

/* Does EV stop a clock of kind K? Sets *why_r. */
static bool
sla_stops(const struct conf *conf, enum sla_stop_kind k, const struct event *ev,
	  bool first_reply_seen, const char **why_r)
{
	const struct conf_policy *pol = &conf->policy;
	char status[32];

	switch (k) {
	case SLA_STOP_FIRST_RESPONSE:
		*why_r = "agent_reply";
		return ev->kind == EVENT_AGENT_REPLY;
	case SLA_STOP_PRELIMINARY:
		if (ev->kind == EVENT_PRELIMINARY) {
			*why_r = "preliminary";
			return true;
		}
		if (pol->first_reply_preliminary && !first_reply_seen &&
		    ev->kind == EVENT_AGENT_REPLY) {
			*why_r = "first agent_reply";
			return true;
		}
		/* a solved ticket has had its solution */
		return sla_stops(conf, SLA_STOP_RESOLUTION, ev, first_reply_seen, why_r);
	case SLA_STOP_RESOLUTION:
		if (ev->kind == EVENT_RESOLVED) {
			*why_r = "resolved";
			return true;
		}
		if (sla_status_of(ev, status, sizeof(status)) &&
		    conf_status_in(pol->solved_statuses, pol->solved_status_count, status)) {
			*why_r = "status solved";
			return true;
		}
		return false;
	case SLA_STOP_SHIPPED:
		if (ev->kind == EVENT_STATUS) {
			json_t *a = sla_attrs(ev);
			const char *hs = sla_jstr(a, "helpdesk_status");
			bool yes = (hs != NULL && strcasecmp(hs, "shipped") == 0) ||
				sla_jbool(a, "shipped") == 1;

			json_decref(a);
			*why_r = "shipped";
			return yes;
		}
		return false;
	}
	return false;
}

/* Whether EV pauses (1), resumes (0) or leaves alone (-1) the clocks. */
static int
sla_pause_change(const struct conf *conf, const struct event *ev)
{
	const struct conf_policy *pol = &conf->policy;
	char status[32];

	if (pol->pause_status_count == 0)
		return -1;
	if (ev->kind == EVENT_CUSTOMER_MESSAGE)
		return 0;
	if (!sla_status_of(ev, status, sizeof(status)))
		return -1;
	return conf_status_in(pol->pause_statuses, pol->pause_status_count, status) ? 1 : 0;
}

/* Run one clock over the ticket's events from FROM: counted time advances
   only on the calendar and outside pauses; the deadline is the moment the
   target has been counted, the reminder the moment WARN% of it has. */
static void
sla_run_clock(const struct sla_build *b, const struct calendar *cal,
	      const struct event *evs, size_t n, size_t first, int64_t from,
	      int64_t target, enum sla_stop_kind kind, struct sla_clock *c,
	      size_t *stop_index_r)
{
	int64_t remaining = target, to_remind, t = from, pause_from = 0, d;
	bool paused = false, first_reply_seen = false;
	const char *why = NULL;
	size_t i;

	if (c->agent == NULL)
		c->agent = "";
	c->started_at = from;
	c->target_secs = target;
	c->deadline = 0;
	c->remind_at = 0;
	c->stopped_at = 0;
	c->pause_count = 0;
	c->paused = false;
	c->stop[0] = '\0';
	to_remind = target * b->conf->policy.warn_at_pct / 100;
	*stop_index_r = n;
	for (i = first; i < n; i++) {
		const struct event *ev = &evs[i];
		int change;

		if (ev->time < from)
			continue;
		if (!paused) {
			if (c->remind_at == 0 && (d = calendar_add(cal, t, to_remind)) < ev->time)
				c->remind_at = d;
			if (c->deadline == 0 && (d = calendar_add(cal, t, remaining)) < ev->time)
				c->deadline = d;
			if (c->deadline == 0) {
				int64_t e = calendar_elapsed(cal, t, ev->time);

				remaining -= e;
				if (c->remind_at == 0)
					to_remind -= e;
				t = ev->time;
			}
		}
		if (sla_stops(b->conf, kind, ev, first_reply_seen, &why)) {
			c->stopped_at = ev->time;
			sla_copy(c->stop, sizeof(c->stop), why);
			*stop_index_r = i;
			break;
		}
		if (ev->kind == EVENT_AGENT_REPLY)
			first_reply_seen = true;
		if (c->deadline != 0)
			continue;	/* decided: later pauses change nothing */
		change = sla_pause_change(b->conf, ev);
		if (change == 1 && !paused) {
			paused = true;
			pause_from = ev->time;
			if (c->pause_count < SLA_PAUSES_MAX)
				c->pauses[c->pause_count].from = ev->time;
			c->pause_count++;
		} else if (change == 0 && paused) {
			paused = false;
			t = ev->time;
			if (c->pause_count <= SLA_PAUSES_MAX)
				c->pauses[c->pause_count - 1].to = ev->time;
		}
	}
	if (paused && c->deadline == 0 && c->stopped_at == 0) {
		/* projected: as if the clock resumed now */
		t = b->now > pause_from ? b->now : pause_from;
		c->paused = true;
	}
	if (c->deadline == 0)
		c->deadline = calendar_add(cal, t, remaining);
	if (c->remind_at == 0)
		c->remind_at = calendar_add(cal, t, to_remind);
	if (c->stopped_at != 0)
		c->state = c->stopped_at <= c->deadline ? SLA_MET : SLA_MISSED;
	else
		c->state = !c->paused && b->now > c->deadline ? SLA_MISSED : SLA_PENDING;
}

/* A string the result keeps: the last one again when it is equal (owners
   repeat from clock to clock), else a copy in the result's arena. */
static const char *
sla_keep(struct sla_build *b, const char *s)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return "";
	if (b->last_kept != NULL && strcmp(b->last_kept, s) == 0)
		return b->last_kept;
	if ((d = sla_arena_dup(&b->r->strings, s, &b->nomem)) == NULL)
		return "";
	b->last_kept = d;
	return d;
}

static void
sla_charge(struct sla_build *b, const struct event *evs, size_t n,
	   int64_t start, const char *default_agent, struct sla_clock *c)
{
	const struct conf *conf = b->conf;
	int64_t charge_at;

	if (conf->policy.charge == CONF_CHARGE_OWNER_AT_START)
		charge_at = start;
	else if (c->state == SLA_MET)
		charge_at = c->stopped_at;
	else
		charge_at = c->deadline;
	c->agent = sla_keep(b, sla_owner_at(evs, n, charge_at, default_agent));
}

/* The resolution clock, restarted by each reopen after a met cycle. */
static void
sla_run_resolution(const struct sla_build *b, const struct calendar *cal,
		   const struct event *evs, size_t n, int64_t start, struct sla_clock *c)
{
	int64_t from = start;
	size_t stop = n, i;
	int reopens = 0;
	char status[32];

	for (;;) {
		sla_run_clock(b, cal, evs, n, 0, from, b->conf->policy.resolution_secs,
			      SLA_STOP_RESOLUTION, c, &stop);
		c->reopen_count = reopens;
		if (!b->conf->policy.reopen_restarts || c->state != SLA_MET || stop >= n)
			return;
		for (i = stop + 1; i < n; i++)
			if (sla_status_of(&evs[i], status, sizeof(status)) &&
			    strcmp(status, "reopened") == 0)
				break;
		if (i >= n)
			return;
		from = evs[i].time;
		reopens++;
	}
}

static int64_t sla_g16_target(const struct conf *conf, enum severity s);

static void
sla_pack_clock_add(struct sla_build *b, const char *ticket, const char *rule,
		   const struct sla_clock *c)
{
	struct sla_pack_clock *k = SLA_PUSH(b, b->r->pack_clocks, b->kcap,
					    b->r->pack_clock_count);

	if (k == NULL)
		return;
	sla_copy(k->ticket, sizeof(k->ticket), ticket);
	sla_copy(k->rule, sizeof(k->rule), rule);
	k->clock = *c;
}

/* A clock whose deadline is N working days after the start (W1). */
static void
sla_run_wdays(const struct sla_build *b, const struct calendar *cal,
	      const struct event *evs, size_t n, int64_t start, int days,
	      enum sla_stop_kind kind, struct sla_clock *c)
{
	const char *why = NULL;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->started_at = start;
	c->deadline = calendar_add_working_days(cal, start, days);
	c->target_secs = c->deadline - start;
	c->remind_at = start + (c->deadline - start) * b->conf->policy.warn_at_pct / 100;
	for (i = 0; i < n; i++)
		if (evs[i].time >= start && sla_stops(b->conf, kind, &evs[i], false, &why)) {
			c->stopped_at = evs[i].time;
			sla_copy(c->stop, sizeof(c->stop), why);
			break;
		}
	if (c->stopped_at != 0)
		c->state = c->stopped_at <= c->deadline ? SLA_MET : SLA_MISSED;
	else
		c->state = b->now > c->deadline ? SLA_MISSED : SLA_PENDING;
}

static bool
sla_ticket_is_parts(const struct conf *conf, const struct event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *a = sla_attrs(&evs[i]);
		const char *type = sla_jstr(a, "type"), *tag = sla_jstr(a, "tag");
		bool yes = (type != NULL && strcasecmp(type, conf->policy.s1_parts_marker) == 0) ||
			(tag != NULL && strcasecmp(tag, conf->policy.s1_parts_marker) == 0);

		json_decref(a);
		if (yes)
			return true;
	}
	return false;
}

/* Complaints, ratings and feedback of one ticket. */
static void
sla_ticket_items(struct sla_build *b, const struct calendar *cal, const struct event *evs,
		 size_t n, const struct sla_ticket *t, const char *default_agent)
{
	const struct conf *conf = b->conf;
	size_t i, j, first_complaint = b->r->complaint_count;

	for (i = 0; i < n; i++) {
		const struct event *ev = &evs[i];
		json_t *a;

		if (ev->kind != EVENT_COMPLAINT && ev->kind != EVENT_SATISFACTION &&
		    ev->kind != EVENT_FEEDBACK)
			continue;
		a = sla_attrs(ev);
		if (ev->kind == EVENT_COMPLAINT) {
			const char *id = sla_jstr(a, "id"), *cause = sla_jstr(a, "cause");
			const char *agent = sla_jstr(a, "agent"), *state = sla_jstr(a, "state");
			int verified = sla_jbool(a, "verified");
			struct sla_complaint *cp = NULL;

			if (id == NULL)
				id = "";
			for (j = first_complaint; j < b->r->complaint_count; j++)
				if (strcmp(b->r->complaints[j].id, id) == 0)
					cp = &b->r->complaints[j];
			if (cp == NULL) {
				if ((cp = SLA_PUSH(b, b->r->complaints, b->ccap,
						   b->r->complaint_count)) == NULL) {
					json_decref(a);
					return;
				}
				sla_copy(cp->ticket, sizeof(cp->ticket), t->ticket);
				sla_copy(cp->id, sizeof(cp->id), id);
				sla_copy(cp->cause, sizeof(cp->cause), "other");
				cp->received_at = ev->time;
				sla_copy(cp->agent, sizeof(cp->agent), agent != NULL ? agent :
					 sla_owner_at(evs, n, ev->time, default_agent));
				sla_agent_month(b, cp->agent, ev->time, cp->month);
				calendar_quarter(sla_agent_cal(b, cp->agent), ev->time, cp->quarter);
			} else if (agent != NULL) {
				sla_copy(cp->agent, sizeof(cp->agent), agent);
				sla_agent_month(b, cp->agent, cp->received_at, cp->month);
				calendar_quarter(sla_agent_cal(b, cp->agent), cp->received_at,
						 cp->quarter);
			}
			if (cause != NULL)
				sla_copy(cp->cause, sizeof(cp->cause), sla_cause_code(cause));
			if (state != NULL) {
				if (strcmp(state, "verifying") == 0)
					cp->state = SLA_COMPLAINT_VERIFYING;
				else if (strcmp(state, "verified") == 0)
					verified = 1;
				else if (strcmp(state, "rejected") == 0)
					verified = 0;
			}
			if (verified >= 0) {
				cp->state = verified ? SLA_COMPLAINT_VERIFIED :
					SLA_COMPLAINT_REJECTED;
				cp->decided_at = ev->time;
			}
		} else if (ev->kind == EVENT_SATISFACTION) {
			const char *rating = sla_jstr(a, "rating"), *agent = sla_jstr(a, "agent");
			const struct conf_team *team;
			struct sla_rating *rt;

			if (rating == NULL || (rt = SLA_PUSH(b, b->ratings, b->rcap,
							     b->rating_count)) == NULL) {
				json_decref(a);
				continue;
			}
			sla_copy(rt->agent, sizeof(rt->agent), agent != NULL ? agent :
				 sla_owner_at(evs, n, ev->time, default_agent));
			team = conf_agent_team(conf, rt->agent);
			sla_copy(rt->team, sizeof(rt->team), team != NULL ? team->name : t->team);
			sla_agent_month(b, rt->agent, ev->time, rt->month);
			calendar_quarter(sla_agent_cal(b, rt->agent), ev->time, rt->quarter);
			rt->satisfied = strcmp(rating, "satisfied") == 0;
		} else if (sla_jbool(a, "handled") != 1 && sla_jstr(a, "state") == NULL) {
			/* S14.5: feedback to record and report in time */
			struct sla_clock c;

			memset(&c, 0, sizeof(c));
			c.started_at = ev->time;
			c.target_secs = conf->policy.feedback_within_secs;
			c.deadline = calendar_add(cal, ev->time, c.target_secs);
			c.remind_at = calendar_add(cal, ev->time, c.target_secs *
						   conf->policy.warn_at_pct / 100);
			for (j = i + 1; j < n; j++) {
				json_t *a2;
				bool handled = evs[j].kind == EVENT_AGENT_NOTE ||
					evs[j].kind == EVENT_AGENT_REPLY;

				if (!handled && evs[j].kind == EVENT_FEEDBACK) {
					a2 = sla_attrs(&evs[j]);
					handled = sla_jbool(a2, "handled") == 1 ||
						sla_jstr(a2, "state") != NULL;
					json_decref(a2);
				}
				if (handled) {
					c.stopped_at = evs[j].time;
					sla_copy(c.stop, sizeof(c.stop), event_kind_name(evs[j].kind));
					break;
				}
			}
			if (c.stopped_at != 0)
				c.state = c.stopped_at <= c.deadline ? SLA_MET : SLA_MISSED;
			else
				c.state = b->now > c.deadline ? SLA_MISSED : SLA_PENDING;
			sla_charge(b, evs, n, ev->time, default_agent, &c);
			sla_pack_clock_add(b, t->ticket, "S14.5", &c);
		}
		json_decref(a);
	}
}

/* A praise (S15) of AGENT at AT, on TICKET or a lead's record. */
static void
sla_praise_add(struct sla_build *b, const char *agent, const char *ticket, int64_t at)
{
	struct sla_praise *pr = SLA_PUSH(b, b->praises, b->praise_cap, b->praise_count);

	if (pr == NULL)
		return;
	sla_copy(pr->agent, sizeof(pr->agent), agent);
	sla_copy(pr->ticket, sizeof(pr->ticket), ticket);
	pr->at = at;
}

/* Praise events of a ticket: {"agent":A} names whom, else the owner then. */
static void
sla_ticket_praise(struct sla_build *b, const struct event *evs, size_t n,
		  const struct sla_ticket *t, const char *default_agent)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *a;
		const char *agent;

		if (evs[i].kind != EVENT_PRAISE)
			continue;
		a = sla_attrs(&evs[i]);
		agent = sla_jstr(a, "agent");
		sla_praise_add(b, agent != NULL ? agent :
			       sla_owner_at(evs, n, evs[i].time, default_agent), t->ticket,
			       evs[i].time);
		json_decref(a);
	}
}

static void
sla_ticket_evaluate(struct sla_build *b, const struct event *evs, size_t n,
		    struct sla_ticket *t)
{
	const struct conf *conf = b->conf;
	const struct conf_policy *pol = &conf->policy;
	const struct conf_team *team;
	const struct calendar *cal = b->cal;
	const char *default_agent;
	char value[32];
	size_t i, ignored;
	int m;

	memset(t, 0, sizeof(*t));
	for (m = 0; m < SLA_MILESTONE_COUNT; m++)
		t->clocks[m].agent = "";
	t->ticket = sla_keep(b, evs[0].ticket);
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
	if (team != NULL && team->calendar >= 0 && b->team_cals != NULL &&
	    b->team_cals[team->calendar] != NULL)
		cal = b->team_cals[team->calendar];

	sla_run_clock(b, cal, evs, n, 0, t->start, pol->first_response_secs,
		      SLA_STOP_FIRST_RESPONSE, &t->clocks[SLA_FIRST_RESPONSE], &ignored);
	sla_run_clock(b, cal, evs, n, 0, t->start, pol->preliminary_secs,
		      SLA_STOP_PRELIMINARY, &t->clocks[SLA_PRELIMINARY], &ignored);
	sla_run_resolution(b, cal, evs, n, t->start, &t->clocks[SLA_RESOLUTION]);
	for (m = 0; m < SLA_MILESTONE_COUNT; m++)
		sla_charge(b, evs, n, t->start, default_agent, &t->clocks[m]);

	sla_ticket_items(b, cal, evs, n, t, default_agent);
	sla_ticket_praise(b, evs, n, t, default_agent);

	if (conf_pack_enabled(conf, CONF_PACK_S1) && sla_ticket_is_parts(conf, evs, n)) {
		struct sla_clock c;

		memset(&c, 0, sizeof(c));
		sla_run_clock(b, cal, evs, n, 0, t->start, pol->s1_response_secs,
			      SLA_STOP_FIRST_RESPONSE, &c, &ignored);
		sla_charge(b, evs, n, t->start, default_agent, &c);
		sla_pack_clock_add(b, t->ticket, "S1.r", &c);
		memset(&c, 0, sizeof(c));
		sla_run_clock(b, cal, evs, n, 0, t->start, pol->s1_ship_secs,
			      SLA_STOP_SHIPPED, &c, &ignored);
		sla_charge(b, evs, n, t->start, default_agent, &c);
		sla_pack_clock_add(b, t->ticket, "S1.s", &c);
	}
	if (conf_pack_enabled(conf, CONF_PACK_G16)) {
		struct sla_clock c;

		memset(&c, 0, sizeof(c));
		sla_run_clock(b, cal, evs, n, 0, t->start, sla_g16_target(conf, t->severity),
			      SLA_STOP_PRELIMINARY, &c, &ignored);
		sla_charge(b, evs, n, t->start, default_agent, &c);
		sla_pack_clock_add(b, t->ticket, "G16", &c);
	}
	if (conf_pack_enabled(conf, CONF_PACK_W1)) {
		struct sla_clock c;

		sla_run_wdays(b, cal, evs, n, t->start, pol->w1_answer_days,
			      SLA_STOP_FIRST_RESPONSE, &c);
		sla_charge(b, evs, n, t->start, default_agent, &c);
		sla_pack_clock_add(b, t->ticket, "W1.a", &c);
		sla_run_wdays(b, cal, evs, n, t->start, pol->w1_solution_days,
			      SLA_STOP_RESOLUTION, &c);
		sla_charge(b, evs, n, t->start, default_agent, &c);
		sla_pack_clock_add(b, t->ticket, "W1.s", &c);
	}
}

/* ---- results ---- */

static struct sla_proposal *
sla_propose(struct sla_build *b, const char *rule, const char *agent, const char *month,
	    const char *period, enum sla_unit unit, int amount, bool reward,
	    const char *tickets, const char *key_tail)
{
	struct sla_proposal *p = SLA_PUSH(b, b->r->proposals, b->pcap, b->r->proposal_count);

	if (p == NULL)
		return NULL;
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s:%s:%s", rule, agent, key_tail);
	sla_copy(p->agent, sizeof(p->agent), agent);
	sla_copy(p->rule, sizeof(p->rule), rule);
	sla_copy(p->month, sizeof(p->month), month);
	sla_copy(p->period, sizeof(p->period), period != NULL ? period : month);
	p->unit = unit;
	p->pct = amount;
	p->reward = reward;
	sla_copy(p->tickets, sizeof(p->tickets), tickets);
	sla_copy(p->state, sizeof(p->state), "proposed");
	return p;
}

static void
sla_warn(struct sla_build *b, const char *rule, const char *agent, const char *ticket,
	 int64_t at)
{
	struct sla_warning *w = SLA_PUSH(b, b->r->warnings, b->wcap, b->r->warning_count);

	if (w == NULL)
		return;
	sla_copy(w->agent, sizeof(w->agent), agent);
	sla_copy(w->rule, sizeof(w->rule), rule);
	sla_copy(w->ticket, sizeof(w->ticket), ticket);
	sla_agent_month(b, agent, at, w->month);
	w->at = at;
}

static void
sla_flag(struct sla_build *b, const char *rule, const char *kind, const char *agent,
	 const char *period, const char *month, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void
sla_flag(struct sla_build *b, const char *rule, const char *kind, const char *agent,
	 const char *period, const char *month, const char *fmt, ...)
{
	struct sla_flag *f = SLA_PUSH(b, b->r->flags, b->fcap, b->r->flag_count);
	va_list ap;

	if (f == NULL)
		return;
	sla_copy(f->agent, sizeof(f->agent), agent);
	sla_copy(f->rule, sizeof(f->rule), rule);
	sla_copy(f->kind, sizeof(f->kind), kind);
	sla_copy(f->period, sizeof(f->period), period);
	sla_copy(f->month, sizeof(f->month), month);
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* A run of decided clocks, for the streak rules (S14.1s, S14.5). */
struct sla_fr {
	const char *agent;
	const char *ticket;
	int64_t deadline;
	bool missed;
};

static int
sla_fr_cmp(const void *a, const void *b)
{
	const struct sla_fr *x = a, *y = b;
	int c = strcmp(x->agent, y->agent);

	if (c != 0)
		return c;
	if (x->deadline != y->deadline)
		return x->deadline < y->deadline ? -1 : 1;
	return strcmp(x->ticket, y->ticket);
}

/* LENGTH misses in a row of one agent propose -PCT%, booked to the month
   of the last; a met clock resets the run, and so (by setting) do firing
   and the month boundary. */
static void
sla_streak_run(struct sla_build *b, struct sla_fr *frs, size_t n, const char *rule,
	       int length, int pct, bool reset_month_end, bool reset_after_fire)
{
	size_t i, run = 0, k;
	char month[8], prev_month[8] = "";

	qsort(frs, n, sizeof(*frs), sla_fr_cmp);
	for (i = 0; i < n; i++) {
		struct sla_proposal *p;
		char tickets[EVENT_ID_MAX] = "";

		sla_agent_month(b, frs[i].agent, frs[i].deadline, month);
		if (i == 0 || strcmp(frs[i].agent, frs[i - 1].agent) != 0 ||
		    (reset_month_end && strcmp(month, prev_month) != 0))
			run = 0;
		memcpy(prev_month, month, sizeof(month));
		if (!frs[i].missed) {
			run = 0;
			continue;
		}
		run++;
		if (run < (size_t)length)
			continue;
		/* The tickets of the streak, most recent last. */
		for (k = i + 1 - (size_t)length; k <= i; k++) {
			size_t len = strlen(tickets);

			snprintf(tickets + len, sizeof(tickets) - len, "%s%s",
				 len > 0 ? " " : "", frs[k].ticket);
		}
		p = sla_propose(b, rule, frs[i].agent, month, NULL, SLA_UNIT_PCT_MONTH,
				pct, false, tickets, frs[i].ticket);
		if (p == NULL)
			return;
		if (reset_after_fire)
			run = 0;
	}
}

/* S14.1w and S14.1s. */
static void
sla_streaks(struct sla_build *b)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	struct sla_fr *frs;
	size_t n = 0, i;

	if ((frs = calloc(r->ticket_count + 1, sizeof(*frs))) == NULL) {
		b->nomem = true;
		return;
	}
	for (i = 0; i < r->ticket_count; i++) {
		const struct sla_ticket *t = &r->tickets[i];
		const struct sla_clock *c = &t->clocks[SLA_FIRST_RESPONSE];

		if (c->state == SLA_PENDING)
			continue;
		frs[n].agent = c->agent;
		frs[n].ticket = t->ticket;
		frs[n].deadline = c->deadline;
		frs[n].missed = c->state == SLA_MISSED;
		if (frs[n].missed)
			sla_warn(b, "S14.1w", c->agent, t->ticket, c->deadline);
		n++;
	}
	sla_streak_run(b, frs, n, "S14.1s", pol->streak_length, pol->streak_deduction_pct,
		       pol->streak_reset_month_end, pol->streak_reset_after_fire);
	free(frs);
}

/* S14.5: feedback not handled in time, warnings and streaks. */
static void
sla_feedback(struct sla_build *b)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	struct sla_fr *frs;
	size_t n = 0, i;

	if ((frs = calloc(r->pack_clock_count + 1, sizeof(*frs))) == NULL) {
		b->nomem = true;
		return;
	}
	for (i = 0; i < r->pack_clock_count; i++) {
		const struct sla_pack_clock *k = &r->pack_clocks[i];

		if (strcmp(k->rule, "S14.5") != 0 || k->clock.state == SLA_PENDING)
			continue;
		frs[n].agent = k->clock.agent;
		frs[n].ticket = k->ticket;
		frs[n].deadline = k->clock.deadline;
		frs[n].missed = k->clock.state == SLA_MISSED;
		if (frs[n].missed)
			sla_warn(b, "S14.5w", k->clock.agent, k->ticket, k->clock.deadline);
		n++;
	}
	sla_streak_run(b, frs, n, "S14.5s", pol->feedback_streak_length,
		       pol->feedback_deduction_pct, pol->streak_reset_month_end,
		       pol->feedback_reset_after_fire);
	free(frs);
}

/* S14.2d: 24 h and 72 h misses by severity, stacked up to the cap. */
static void
sla_severity(struct sla_build *b)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	size_t i;

	for (i = 0; i < r->ticket_count; i++) {
		const struct sla_ticket *t = &r->tickets[i];
		int booked = 0, m;

		for (m = SLA_PRELIMINARY; m <= SLA_RESOLUTION; m++) {
			const struct sla_clock *c = &t->clocks[m];
			int pct = pol->severity_pct[t->severity];
			char month[8];

			if (c->state != SLA_MISSED)
				continue;
			if (!pol->stack_24h_72h && booked > 0)
				break;
			if (pct > pol->ticket_cap_pct - booked)
				pct = pol->ticket_cap_pct - booked;
			if (pct <= 0)
				break;
			sla_agent_month(b, c->agent, c->deadline, month);
			if (sla_propose(b, "S14.2d", c->agent, month, NULL, SLA_UNIT_PCT_MONTH,
					pct, false, t->ticket, "") == NULL)
				return;
			/* the key the engine has always used: milestone and ticket */
			snprintf(r->proposals[r->proposal_count - 1].key,
				 sizeof(r->proposals[0].key), "S14.2d:%s:%s",
				 sla_milestone_name((enum sla_milestone)m), t->ticket);
			booked += pct;
		}
	}
}

/* S14.4 and the packs' complaint rules (S4, S9, T17). */
static int
sla_complaint_cmp(const void *a, const void *b)
{
	const struct sla_complaint *x = a, *y = b;
	int c = strcmp(x->agent, y->agent);

	if (c != 0)
		return c;
	if (x->received_at != y->received_at)
		return x->received_at < y->received_at ? -1 : 1;
	c = strcmp(x->ticket, y->ticket);
	return c != 0 ? c : strcmp(x->id, y->id);
}

/* Does a met resolution of AGENT's, on a ticket other than the two
   complaints', stop after FROM and at or before TO? It ends an S9 run. */
static bool
sla_s9_break(const struct sla_build *b, const char *agent, const struct sla_complaint *x,
	     const struct sla_complaint *y)
{
	size_t i;

	for (i = 0; i < b->r->ticket_count; i++) {
		const struct sla_ticket *t = &b->r->tickets[i];
		const struct sla_clock *c = &t->clocks[SLA_RESOLUTION];

		if (c->state == SLA_MET && strcmp(c->agent, agent) == 0 &&
		    c->stopped_at > x->received_at && c->stopped_at <= y->received_at &&
		    strcmp(t->ticket, x->ticket) != 0 && strcmp(t->ticket, y->ticket) != 0)
			return true;
	}
	return false;
}

/* S9 (seed 000 L327, L331): 「每发生一起客户投诉,扣除当月工资的5%」,
   「连续发生两起…10%」, 「连续发生三起及以上…15%」, and the same ladder
   for service errors (cause "error"), kept apart. A run is the agent's
   verified complaints of one kind in one month (当月工资: the month's wage)
   in the order received; with run_by_tickets a met resolution of another
   of the agent's tickets in between ends it. The seed names the deduction
   of the run (two in a row: 10%), so by default a run is one proposal of
   the step its length reaches (cumulative = no: 1 → 5, 2 → 10, 3+ → 15);
   cumulative = yes proposes each complaint's own step (5 + 10 + 15 ...). */
static void
sla_s9_ladder(struct sla_build *b, bool errors)
{
	const struct conf_policy *pol = &b->conf->policy;
	const int *ladder = errors ? pol->s9_error_pct : pol->s9_complaint_pct;
	const char *rule = errors ? "S9.e" : "S9.c";
	struct sla_result *r = b->r;
	size_t i, first = 0, len = 0, prev = 0;
	char tickets[EVENT_ID_MAX] = "", tail[EVENT_ID_MAX + 80];

	for (i = 0; i <= r->complaint_count; i++) {
		const struct sla_complaint *cp = i < r->complaint_count ? &r->complaints[i] : NULL;
		const struct sla_complaint *f = len > 0 ? &r->complaints[first] : NULL;
		bool same;

		if (cp != NULL && (cp->state != SLA_COMPLAINT_VERIFIED ||
				   (strcmp(cp->cause, "error") == 0) != errors))
			continue;
		same = cp != NULL && f != NULL && strcmp(cp->agent, f->agent) == 0 &&
			strcmp(cp->month, f->month) == 0 &&
			!(pol->s9_run_by_tickets &&
			  sla_s9_break(b, cp->agent, &r->complaints[prev], cp));
		if (f != NULL && !same && !pol->s9_cumulative) {
			/* the run is over: one proposal for it */
			snprintf(tail, sizeof(tail), "%s%s%s", f->ticket, f->id[0] ? "#" : "", f->id);
			if (sla_propose(b, rule, f->agent, f->month, NULL, SLA_UNIT_PCT_WAGE,
					ladder[(len > CONF_TIERS ? CONF_TIERS : len) - 1], false,
					tickets, tail) == NULL)
				return;
		}
		if (cp == NULL)
			break;
		if (!same) {
			first = i;
			len = 0;
			tickets[0] = '\0';
		}
		len++;
		prev = i;
		{
			/* the run's tickets, for the reader; what does not fit is left out */
			size_t tl = strlen(tickets), cl = strlen(cp->ticket);

			if (tl + cl + 2 <= sizeof(tickets)) {
				if (tl > 0)
					tickets[tl++] = ' ';
				memcpy(tickets + tl, cp->ticket, cl + 1);
			}
		}
		if (pol->s9_cumulative) {
			snprintf(tail, sizeof(tail), "%s%s%s", cp->ticket, cp->id[0] ? "#" : "",
				 cp->id);
			if (sla_propose(b, rule, cp->agent, cp->month, NULL, SLA_UNIT_PCT_WAGE,
					ladder[(len > CONF_TIERS ? CONF_TIERS : len) - 1], false,
					cp->ticket, tail) == NULL)
				return;
		}
	}
}

static void
sla_complaints(struct sla_build *b)
{
	const struct conf *conf = b->conf;
	const struct conf_policy *pol = &conf->policy;
	struct sla_result *r = b->r;
	size_t i, j;

	if (r->complaint_count > 1)	/* qsort(NULL, 0) is undefined */
		qsort(r->complaints, r->complaint_count, sizeof(*r->complaints),
		      sla_complaint_cmp);
	for (i = 0; i < r->complaint_count; i++) {
		const struct sla_complaint *cp = &r->complaints[i];
		char tail[EVENT_ID_MAX + 80];

		if (cp->state != SLA_COMPLAINT_VERIFIED)
			continue;
		snprintf(tail, sizeof(tail), "%s%s%s", cp->ticket, cp->id[0] ? "#" : "", cp->id);
		if (strcmp(cp->cause, "attitude") == 0) {
			sla_propose(b, "S14.4", cp->agent, cp->month, NULL, SLA_UNIT_PCT_MONTH,
				    pol->attitude_deduction_pct, false, cp->ticket, tail);
			sla_flag(b, "S14.4", "training", cp->agent, cp->month, cp->month,
				 "verified attitude complaint on %s", cp->ticket);
		}
		if (conf_pack_enabled(conf, CONF_PACK_T17) && strcmp(cp->cause, "attitude") == 0) {
			/* T17: the first of the month is a warning, each later -1 point */
			int k = 0;

			for (j = 0; j <= i; j++) {
				const struct sla_complaint *o = &r->complaints[j];

				if (o->state == SLA_COMPLAINT_VERIFIED &&
				    strcmp(o->agent, cp->agent) == 0 &&
				    strcmp(o->month, cp->month) == 0 &&
				    strcmp(o->cause, "attitude") == 0)
					k++;
			}
			if (k == 1)
				sla_warn(b, "T17", cp->agent, cp->ticket, cp->received_at);
			else
				sla_propose(b, "T17", cp->agent, cp->month, NULL, SLA_UNIT_POINTS,
					    1, false, cp->ticket, tail);
		}
	}
	if (conf_pack_enabled(conf, CONF_PACK_S9)) {
		sla_s9_ladder(b, false);
		sla_s9_ladder(b, true);
	}
	if (!conf_pack_enabled(conf, CONF_PACK_S4))
		return;
	/* S4: REPEAT verified complaints with one cause, one agent, one
	   calendar quarter: a review flag, once per agent, quarter and cause */
	for (i = 0; i < r->complaint_count; i++) {
		const struct sla_complaint *cp = &r->complaints[i];
		int count = 0, before = 0;
		char month[8];

		if (cp->state != SLA_COMPLAINT_VERIFIED)
			continue;
		for (j = 0; j < r->complaint_count; j++) {
			const struct sla_complaint *o = &r->complaints[j];

			if (o->state != SLA_COMPLAINT_VERIFIED || strcmp(o->agent, cp->agent) != 0 ||
			    strcmp(o->quarter, cp->quarter) != 0 || strcmp(o->cause, cp->cause) != 0)
				continue;
			count++;
			if (j < i)
				before++;
		}
		if (before != 0 || count < pol->s4_repeat)
			continue;
		sla_last_month_of_quarter(cp->quarter, month);
		sla_flag(b, "S4", "review", cp->agent, cp->quarter, month,
			 "%d verified %s complaints in %s: demotion/dismissal review",
			 count, cp->cause, cp->quarter);
	}
}

/* Satisfaction per agent and team, per quarter (S14.3) and month (S9, W1). */
static struct sla_satisfaction *
sla_sat_slot(struct sla_build *b, const char *who, const char *period)
{
	struct sla_result *r = b->r;
	size_t i;

	for (i = 0; i < r->satisfaction_count; i++)
		if (strcmp(r->satisfaction[i].who, who) == 0 &&
		    strcmp(r->satisfaction[i].period, period) == 0)
			return &r->satisfaction[i];
	return SLA_PUSH(b, r->satisfaction, b->scap, r->satisfaction_count);
}

static void
sla_sat_add(struct sla_build *b, const char *who, const char *period, bool satisfied)
{
	struct sla_satisfaction *s = sla_sat_slot(b, who, period);

	if (s == NULL)
		return;
	if (s->responses == 0) {
		sla_copy(s->who, sizeof(s->who), who);
		sla_copy(s->period, sizeof(s->period), period);
	}
	s->responses++;
	s->satisfied += satisfied;
}

static void
sla_satisfaction(struct sla_build *b)
{
	const struct conf *conf = b->conf;
	const struct conf_policy *pol = &conf->policy;
	struct sla_result *r = b->r;
	size_t i;
	int k;

	for (i = 0; i < b->rating_count; i++) {
		const struct sla_rating *rt = &b->ratings[i];
		char team[80];

		snprintf(team, sizeof(team), "team:%s", rt->team);
		sla_sat_add(b, rt->agent, rt->quarter, rt->satisfied);
		sla_sat_add(b, rt->agent, rt->month, rt->satisfied);
		if (rt->team[0] != '\0') {
			sla_sat_add(b, team, rt->quarter, rt->satisfied);
			sla_sat_add(b, team, rt->month, rt->satisfied);
		}
	}
	for (i = 0; i < r->satisfaction_count; i++) {
		const struct sla_satisfaction *s = &r->satisfaction[i];
		bool quarter = s->period[5] == 'Q';
		char month[8], what[64];
		int64_t lhs = (int64_t)s->satisfied * 1000;

		if (s->responses == 0)
			continue;
		snprintf(what, sizeof(what), "%d/%d satisfied", s->satisfied, s->responses);
		if (quarter) {
			/* S14.3: below the target; integers, so exactly 90.0% meets */
			if (lhs >= (int64_t)pol->satisfaction_target_permille * s->responses)
				continue;
			sla_last_month_of_quarter(s->period, month);
			sla_propose(b, "S14.3", s->who, month, s->period, SLA_UNIT_PCT_QUARTER,
				    pol->satisfaction_deduction_pct, false, what, s->period);
			sla_flag(b, "S14.3", "training", s->who, s->period, month,
				 "satisfaction %s in %s, below the target", what, s->period);
			continue;
		}
		if (conf_pack_enabled(conf, CONF_PACK_S9) &&
		    strncmp(s->who, "team:", 5) != 0) {
			for (k = CONF_TIERS - 1; k >= 0; k--)
				if (lhs >= (int64_t)pol->s9_satisfaction_permille[k] * s->responses)
					break;
			if (k >= 0)
				sla_propose(b, "S9.s", s->who, s->period, NULL, SLA_UNIT_PCT_WAGE,
					    pol->s9_satisfaction_reward_pct[k], true, what,
					    s->period);
		}
		if (conf_pack_enabled(conf, CONF_PACK_W1) &&
		    s->satisfied * 100 < pol->w1_satisfaction_pct * s->responses)
			sla_flag(b, "W1.sat", "kpi", s->who, s->period, s->period,
				 "satisfaction %s, below %d%%", what, pol->w1_satisfaction_pct);
	}
}

/* S14.6 and the other records: the pseudo tickets' status events. */
static void
sla_records(struct sla_build *b, const struct event *evs, size_t count)
{
	const struct conf_policy *pol = &b->conf->policy;
	size_t i;

	for (i = 0; i < count; i++) {
		const struct event *ev = &evs[i];
		const char *rec, *agent;
		char month[8], tail[64];
		json_t *a;

		if (ev->kind != EVENT_STATUS || ev->attrs == NULL ||
		    strstr(ev->attrs, "\"record\"") == NULL)
			continue;
		a = sla_attrs(ev);
		rec = sla_jstr(a, "record");
		agent = sla_jstr(a, "agent");
		if (rec != NULL && agent != NULL && strcmp(rec, "training_missed") == 0) {
			sla_agent_month(b, agent, ev->time, month);
			snprintf(tail, sizeof(tail), "%lld", (long long)ev->time);
			sla_propose(b, "S14.6", agent, month, NULL, SLA_UNIT_PCT_MONTH,
				    pol->training_deduction_pct, false, "training missed", tail);
		}
		if (rec != NULL && agent != NULL && strcmp(rec, "praise") == 0)
			sla_praise_add(b, agent, ev->ticket, ev->time);
		json_decref(a);
	}
}

/* P, a proposal in yuan, becomes one with a range for the approver to fix
   the amount in (S1 L29/L31 give 100–1000 and 50–500, not amounts); a
   range of one amount is that amount. */
static struct sla_proposal *
sla_range(struct sla_proposal *p, const int range[2])
{
	if (p == NULL)
		return NULL;
	if (range[0] == range[1]) {
		p->pct = range[0];
		return p;
	}
	p->amount_min = range[0];
	p->amount_max = range[1];
	p->pct = 0;
	return p;
}

static int
sla_praise_cmp(const void *a, const void *b)
{
	const struct sla_praise *x = a, *y = b;
	int c = strcmp(x->agent, y->agent);

	if (c != 0)
		return c;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* S15 (seed 000 L545): 「年度内,累计获得三次以上客户表扬的售后服务人员,给予
   “优秀个人”称号,并颁发奖金」. 以上 counts the number itself, so the
   praises-th praise of an agent in a calendar year (the agent's team's
   zone) flags the agent as a 优秀个人 candidate, booked to that praise's
   month; the seed gives no bonus amount, so there is no proposal. */
static void
sla_s15(struct sla_build *b)
{
	const struct conf_policy *pol = &b->conf->policy;
	size_t i, j;
	char month[8], m2[8];

	if (b->praise_count > 1)
		qsort(b->praises, b->praise_count, sizeof(*b->praises), sla_praise_cmp);
	for (i = 0; i < b->praise_count; i++) {
		const struct sla_praise *pr = &b->praises[i];
		int before = 0, total = 0;

		sla_agent_month(b, pr->agent, pr->at, month);
		for (j = 0; j < b->praise_count; j++) {
			if (strcmp(b->praises[j].agent, pr->agent) != 0)
				continue;
			sla_agent_month(b, pr->agent, b->praises[j].at, m2);
			if (strncmp(m2, month, 4) != 0)
				continue;
			total++;
			if (j < i)
				before++;
		}
		if (before + 1 != pol->s15_praises)
			continue;
		snprintf(m2, sizeof(m2), "%.4s", month);
		sla_flag(b, "S15", "honour", pr->agent, m2, month,
			 "%d customer praises in %s (praise %d on %s): 优秀个人 candidate "
			 "(bonus amount not in the seed)", total, m2, pol->s15_praises,
			 pr->ticket);
	}
}

/* S1 rewards (L13, L15: responded and shipped in time): an agent whose
   parts clocks of a month were all met, at least one, is proposed for a
   reward in the s1 reward range. */
static void
sla_s1_rewards(struct sla_build *b)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	size_t i, j;

	for (i = 0; i < r->pack_clock_count; i++) {
		const struct sla_pack_clock *pk = &r->pack_clocks[i];
		int due = 0, missed = 0;
		bool first = true;
		char month[8], m2[8], what[64];

		if (strncmp(pk->rule, "S1.", 3) != 0 || pk->clock.state == SLA_PENDING)
			continue;
		sla_agent_month(b, pk->clock.agent, pk->clock.deadline, month);
		for (j = 0; j < r->pack_clock_count && first; j++) {
			const struct sla_pack_clock *o = &r->pack_clocks[j];

			if (strncmp(o->rule, "S1.", 3) != 0 || o->clock.state == SLA_PENDING ||
			    strcmp(o->clock.agent, pk->clock.agent) != 0)
				continue;
			sla_agent_month(b, o->clock.agent, o->clock.deadline, m2);
			if (strcmp(m2, month) != 0)
				continue;
			if (j < i)
				first = false;
			due++;
			missed += o->clock.state == SLA_MISSED;
		}
		if (!first || missed > 0 || due == 0)
			continue;
		snprintf(what, sizeof(what), "%d parts clocks met, none missed", due);
		if (sla_range(sla_propose(b, "S1.w", pk->clock.agent, month, NULL, SLA_UNIT_YUAN,
					  pol->s1_reward_range[0], true, what, month),
			      pol->s1_reward_range) == NULL)
			return;
	}
}

/* S9 speed rewards, G16 escalations, S1 penalties, W1 timeliness. */
static void
sla_packs(struct sla_build *b)
{
	const struct conf *conf = b->conf;
	const struct conf_policy *pol = &conf->policy;
	struct sla_result *r = b->r;
	size_t i, j;
	int k;

	for (i = 0; i < r->pack_clock_count; i++) {
		const struct sla_pack_clock *pk = &r->pack_clocks[i];
		const struct sla_clock *c = &pk->clock;
		char month[8];

		if (c->state != SLA_MISSED)
			continue;
		sla_agent_month(b, c->agent, c->deadline, month);
		if (strncmp(pk->rule, "S1.", 3) == 0) {
			sla_warn(b, pk->rule, c->agent, pk->ticket, c->deadline);
			sla_range(sla_propose(b, pk->rule, c->agent, month, NULL, SLA_UNIT_YUAN,
					      pol->s1_penalty_yuan, false, pk->ticket, pk->ticket),
				  pol->s1_penalty_range);
		} else if (strcmp(pk->rule, "G16") == 0) {
			static const char *const levels[] = { "一般", "较大", "重大" };
			static const char *const up[] = {
				"售后部门负责人 (department head)",
				"售后应急领导小组 (GM's emergency group)",
				"总经理 (general manager)",
			};
			const struct sla_ticket *t = NULL;
			int lv;

			for (j = 0; j < r->ticket_count; j++)
				if (strcmp(r->tickets[j].ticket, pk->ticket) == 0)
					t = &r->tickets[j];
			lv = t == NULL ? 0 : t->severity == SEVERITY_CRITICAL ? 2 :
				t->severity == SEVERITY_HIGH ? 1 : 0;
			sla_flag(b, "G16", "escalate", c->agent, month, month,
				 "%s: %s reply deadline missed, escalate to %s", pk->ticket,
				 levels[lv], up[lv]);
		}
	}
	if (conf_pack_enabled(conf, CONF_PACK_S1))
		sla_s1_rewards(b);
	if (conf_pack_enabled(conf, CONF_PACK_S15))
		sla_s15(b);
	if (conf_pack_enabled(conf, CONF_PACK_S9)) {
		/* time saved against the resolution target, per agent and month,
		   over met resolutions; a month with a miss earns nothing */
		for (i = 0; i < r->ticket_count; i++) {
			const struct sla_clock *c = &r->tickets[i].clocks[SLA_RESOLUTION];
			int64_t target = 0, saved = 0;
			bool missed = false, first = true;
			char month[8], m2[8], what[64];

			if (c->state == SLA_PENDING)
				continue;
			sla_agent_month(b, c->agent, c->deadline, month);
			for (j = 0; j < r->ticket_count; j++) {
				const struct sla_clock *o = &r->tickets[j].clocks[SLA_RESOLUTION];

				if (o->state == SLA_PENDING || strcmp(o->agent, c->agent) != 0)
					continue;
				sla_agent_month(b, o->agent, o->deadline, m2);
				if (strcmp(m2, month) != 0)
					continue;
				if (j < i)
					first = false;
				if (o->state == SLA_MISSED)
					missed = true;
				target += o->target_secs;
				saved += calendar_elapsed(b->cal, o->stopped_at, o->deadline);
			}
			if (!first || missed || target == 0)
				continue;
			for (k = CONF_TIERS - 1; k >= 0; k--)
				if (saved * 100 >= (int64_t)pol->s9_speed_pct[k] * target)
					break;
			if (k < 0)
				continue;
			snprintf(what, sizeof(what), "%lld%% faster than target",
				 (long long)(saved * 100 / target));
			sla_propose(b, "S9.t", c->agent, month, NULL, SLA_UNIT_PCT_WAGE,
				    pol->s9_speed_reward_pct[k], true, what, month);
		}
	}
	if (conf_pack_enabled(conf, CONF_PACK_W1)) {
		/* timeliness: met ÷ due over the W1 clocks, per agent and month */
		for (i = 0; i < r->pack_clock_count; i++) {
			const struct sla_pack_clock *pk = &r->pack_clocks[i];
			int met = 0, due = 0;
			bool first = true;
			char month[8], m2[8];

			if (strncmp(pk->rule, "W1.", 3) != 0 || pk->clock.state == SLA_PENDING)
				continue;
			sla_agent_month(b, pk->clock.agent, pk->clock.deadline, month);
			for (j = 0; j < r->pack_clock_count; j++) {
				const struct sla_pack_clock *o = &r->pack_clocks[j];

				if (strncmp(o->rule, "W1.", 3) != 0 || o->clock.state == SLA_PENDING ||
				    strcmp(o->clock.agent, pk->clock.agent) != 0)
					continue;
				sla_agent_month(b, o->clock.agent, o->clock.deadline, m2);
				if (strcmp(m2, month) != 0)
					continue;
				if (j < i)
					first = false;
				due++;
				met += o->clock.state == SLA_MET;
			}
			if (first && met * 100 < pol->w1_timely_pct * due)
				sla_flag(b, "W1.t", "kpi", pk->clock.agent, month, month,
					 "timeliness %d/%d, below %d%%", met, due, pol->w1_timely_pct);
		}
		/* complaint rate: verified complaints ÷ tickets, below the limit */
		for (i = 0; i < r->ticket_count; i++) {
			const struct sla_clock *c = &r->tickets[i].clocks[SLA_FIRST_RESPONSE];
			int tickets = 0, complaints = 0;
			bool first = true;
			char month[8], m2[8];

			if (c->state == SLA_PENDING)
				continue;
			sla_agent_month(b, c->agent, c->deadline, month);
			for (j = 0; j < r->ticket_count; j++) {
				const struct sla_clock *o = &r->tickets[j].clocks[SLA_FIRST_RESPONSE];

				if (o->state == SLA_PENDING || strcmp(o->agent, c->agent) != 0)
					continue;
				sla_agent_month(b, o->agent, o->deadline, m2);
				if (strcmp(m2, month) != 0)
					continue;
				if (j < i)
					first = false;
				tickets++;
			}
			for (j = 0; j < r->complaint_count; j++)
				if (r->complaints[j].state == SLA_COMPLAINT_VERIFIED &&
				    strcmp(r->complaints[j].agent, c->agent) == 0 &&
				    strcmp(r->complaints[j].month, month) == 0)
					complaints++;
			if (first && complaints * 100 >= pol->w1_complaint_rate_pct * tickets)
				if (complaints > 0)
					sla_flag(b, "W1.c", "kpi", c->agent, month, month,
						 "complaint rate %d/%d, not below %d%%", complaints,
						 tickets, pol->w1_complaint_rate_pct);
		}
	}
}

static int64_t
sla_g16_target(const struct conf *conf, enum severity s)
{
	return conf->policy.g16_reply_secs[s == SEVERITY_CRITICAL ? 2 :
					   s == SEVERITY_HIGH ? 1 : 0];
}

/* An agent's month (T17.r) or year (G20.y) among the first-response
   clocks decided: who is ranked or judged at all. */
struct sla_rank {
	const char *agent;
	char month[8];         /* "YYYY-MM"; G20.y uses the year of it */
	int points;
	int met;
};

/* The entry of AGENT and MONTH (or only the year, by YEAR_ONLY) in
   RANKS, added when missing. */
static struct sla_rank *
sla_rank_of(struct sla_rank *ranks, size_t *count, const char *agent, const char *month,
	    bool year_only)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (strcmp(ranks[i].agent, agent) == 0 &&
		    strncmp(ranks[i].month, month, year_only ? 4 : 8) == 0)
			return &ranks[i];
	memset(&ranks[*count], 0, sizeof(ranks[0]));
	ranks[*count].agent = agent;
	memcpy(ranks[*count].month, month, 8);
	return &ranks[(*count)++];
}

/* T17.r (seed 002 T17 L832: 「予以第一名至第三名5.3.1分」): the month's top
   three agents get +5/+3/+1 points. The seed ranks on turnover, conversion
   and churn, which a helpdesk does not have; slaclock ranks the agents
   with a decided first response in the month on their T17 points (30 less
   the points lost), then on first responses met. Agents equal on both
   share the place and its points, and the next place is counted past them
   (5, 5, 1: two firsts, then a third). */
static void
sla_t17_top(struct sla_build *b, size_t n0)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	struct sla_rank *ranks;
	size_t count = 0, i, j;
	char month[8], what[96];

	if ((ranks = calloc(r->ticket_count + 1, sizeof(*ranks))) == NULL) {
		b->nomem = true;
		return;
	}
	for (i = 0; i < r->ticket_count; i++) {
		const struct sla_clock *c = &r->tickets[i].clocks[SLA_FIRST_RESPONSE];

		if (c->state == SLA_PENDING || c->agent[0] == '\0')
			continue;
		sla_agent_month(b, c->agent, c->deadline, month);
		sla_rank_of(ranks, &count, c->agent, month, false)->met += c->state == SLA_MET;
	}
	for (i = 0; i < count; i++) {
		ranks[i].points = pol->t17_points;
		for (j = 0; j < n0; j++) {
			const struct sla_proposal *o = &r->proposals[j];

			if (o->unit == SLA_UNIT_POINTS && strcmp(o->agent, ranks[i].agent) == 0 &&
			    strcmp(o->month, ranks[i].month) == 0)
				ranks[i].points += o->reward ? o->pct : -o->pct;
		}
	}
	for (i = 0; i < count; i++) {
		size_t place = 1, ranked = 0;

		for (j = 0; j < count; j++) {
			if (strcmp(ranks[j].month, ranks[i].month) != 0)
				continue;
			ranked++;
			if (ranks[j].points > ranks[i].points ||
			    (ranks[j].points == ranks[i].points && ranks[j].met > ranks[i].met))
				place++;
		}
		if (place > CONF_TIERS)
			continue;
		snprintf(what, sizeof(what), "place %zu of %zu in %s: %d points, %d met",
			 place, ranked, ranks[i].month, ranks[i].points, ranks[i].met);
		if (sla_propose(b, "T17.r", ranks[i].agent, ranks[i].month, NULL, SLA_UNIT_POINTS,
				pol->t17_top[place - 1], true, what, ranks[i].month) == NULL)
			break;
	}
	free(ranks);
}

/* G20.y (seed 001 G20 L818-L819): 「全年考核90分(含90分)以上」 → the full
   year-end bonus (2 months' pay), any month below → 1 month. A flag per
   agent and year in which the agent had a decided first response: every
   month of the year (through the current one while the year runs, "so
   far") scored at or above bonus_threshold, the month score being 100 less
   the month's % deductions as for the G20 downgrade. Tenure (≥ 1 year) and
   a major loss (L816-L817) are HR's to check; the flag says so. */
static void
sla_g20_year(struct sla_build *b, size_t n0)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	struct sla_rank *years;
	size_t count = 0, i, j;
	char month[8], now_month[8], dec[8];

	if ((years = calloc(r->ticket_count + 1, sizeof(*years))) == NULL) {
		b->nomem = true;
		return;
	}
	for (i = 0; i < r->ticket_count; i++) {
		const struct sla_clock *c = &r->tickets[i].clocks[SLA_FIRST_RESPONSE];

		if (c->state == SLA_PENDING || c->agent[0] == '\0')
			continue;
		sla_agent_month(b, c->agent, c->deadline, month);
		(void)sla_rank_of(years, &count, c->agent, month, true);
	}
	for (i = 0; i < count; i++) {
		int y = atoi(years[i].month), last = 12, m, low = 101, low_month = 0;
		int score[13];
		bool so_far = false;

		sla_agent_month(b, years[i].agent, b->now, now_month);
		if (atoi(now_month) < y)
			continue;	/* a year that has not begun is judged on nothing */
		if (atoi(now_month) == y) {
			last = atoi(now_month + 5);
			so_far = true;
		}
		/* one walk over the proposals per agent and year: the month's %
		   deductions */
		for (m = 0; m <= 12; m++)
			score[m] = 100;
		for (j = 0; j < n0; j++) {
			const struct sla_proposal *o = &r->proposals[j];

			m = atoi(o->month + 5);
			if (o->unit == SLA_UNIT_PCT_MONTH && !o->reward && atoi(o->month) == y &&
			    m >= 1 && m <= 12 && strcmp(o->agent, years[i].agent) == 0)
				score[m] -= o->pct;
		}
		for (m = 1; m <= last; m++)
			if (score[m] < low) {
				low = score[m];
				low_month = m;
			}
		snprintf(dec, sizeof(dec), "%04u-12", (unsigned)y % 10000u);
		if (low >= pol->g20_bonus_threshold)
			sla_flag(b, "G20.y", "bonus", years[i].agent, dec, dec,
				 "every month of %d%s at or above %d (lowest %d): full year-end "
				 "bonus candidate (2 months' pay; tenure and losses for HR)", y,
				 so_far ? " so far" : "", pol->g20_bonus_threshold, low);
		else
			sla_flag(b, "G20.y", "bonus", years[i].agent, dec, dec,
				 "%d-%02d scored %d, below %d: reduced year-end bonus (1 month's "
				 "pay)%s", y, low_month, low, pol->g20_bonus_threshold,
				 so_far ? " (year so far)" : "");
	}
	free(years);
}

/* G20 (monthly score 100 minus the month's % deductions, downgrade after
   months in a row below the threshold) and T17 (points bands). */
static void
sla_scores(struct sla_build *b)
{
	const struct conf *conf = b->conf;
	const struct conf_policy *pol = &conf->policy;
	struct sla_result *r = b->r;
	size_t i, j, n0 = r->proposal_count;

	if (!conf_pack_enabled(conf, CONF_PACK_G20) && !conf_pack_enabled(conf, CONF_PACK_T17))
		return;
	for (i = 0; i < n0; i++) {
		const struct sla_proposal *p = &r->proposals[i];
		int score = 100, points = pol->t17_points, k;
		bool first = true;
		char agent[EVENT_ACTOR_MAX], month[8];

		for (j = 0; j < n0; j++) {
			const struct sla_proposal *o = &r->proposals[j];

			if (strcmp(o->agent, p->agent) != 0 || strcmp(o->month, p->month) != 0)
				continue;
			if (j < i)
				first = false;
			if (o->unit == SLA_UNIT_PCT_MONTH && !o->reward)
				score -= o->pct;
			if (o->unit == SLA_UNIT_POINTS)
				points += o->reward ? o->pct : -o->pct;
		}
		if (!first || strncmp(p->agent, "team:", 5) == 0)
			continue;
		sla_copy(agent, sizeof(agent), p->agent);
		memcpy(month, p->month, sizeof(month));
		if (conf_pack_enabled(conf, CONF_PACK_T17) && points < pol->t17_points) {
			for (k = CONF_TIERS - 1; k >= 0; k--)
				if (points < pol->t17_band[k])
					break;
			if (k >= 0) {
				char what[48];

				snprintf(what, sizeof(what), "%d of %d points", points,
					 pol->t17_points);
				sla_propose(b, "T17.b", agent, month, NULL, SLA_UNIT_PCT_BONUS,
					    pol->t17_band_pct[k], false, what, month);
			}
		}
		if (conf_pack_enabled(conf, CONF_PACK_G20) && score < pol->g20_threshold) {
			/* the months before, in a row, below too */
			int run = 1, y = atoi(month), mo = atoi(month + 5);

			while (run < pol->g20_months) {
				char prev[8];
				int s2 = 100;
				bool any = false;

				if (--mo == 0) {
					mo = 12;
					y--;
				}
				snprintf(prev, sizeof(prev), "%04u-%02u", (unsigned)y % 10000u,
					 (unsigned)mo % 100u);
				for (j = 0; j < n0; j++) {
					const struct sla_proposal *o = &r->proposals[j];

					if (strcmp(o->agent, agent) == 0 && strcmp(o->month, prev) == 0 &&
					    o->unit == SLA_UNIT_PCT_MONTH && !o->reward) {
						s2 -= o->pct;
						any = true;
					}
				}
				if (!any || s2 >= pol->g20_threshold)
					break;
				run++;
			}
			if (run >= pol->g20_months)
				sla_flag(b, "G20", "downgrade", agent, month, month,
					 "score %d in %s, %d months in a row below %d", score, month,
					 run, pol->g20_threshold);
		}
	}
	if (conf_pack_enabled(conf, CONF_PACK_T17))
		sla_t17_top(b, n0);
	if (conf_pack_enabled(conf, CONF_PACK_G20))
		sla_g20_year(b, n0);
}

/* Decisions, notifications and appeals from the records; orphans for
   decisions whose proposal the engine no longer makes. */
static void
sla_decisions(struct sla_build *b, const struct event *evs, size_t count)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	size_t i, j;

	for (i = 0; i < count; i++) {
		const struct event *ev = &evs[i];
		const char *rec, *key;
		struct sla_proposal *p = NULL;
		json_t *a;

		if (ev->kind != EVENT_STATUS || ev->attrs == NULL ||
		    strncmp(ev->ticket, SLA_PROPOSAL_TICKET_PREFIX,
			    strlen(SLA_PROPOSAL_TICKET_PREFIX)) != 0)
			continue;
		a = sla_attrs(ev);
		rec = sla_jstr(a, "record");
		key = sla_jstr(a, "key");
		if (rec == NULL || key == NULL) {
			json_decref(a);
			continue;
		}
		for (j = 0; j < r->proposal_count; j++)
			if (strcmp(r->proposals[j].key, key) == 0)
				p = &r->proposals[j];
		if (strcmp(rec, "decision") == 0) {
			const char *state = sla_jstr(a, "state"), *by = sla_jstr(a, "by");
			const char *rule = sla_jstr(a, "rule"), *agent = sla_jstr(a, "agent");
			const char *month = sla_jstr(a, "month"), *unit = sla_jstr(a, "unit");
			const char *reason = sla_jstr(a, "reason");
			json_t *amount = json_object_get(a, "amount");
			int amt = json_is_integer(amount) ? (int)json_integer_value(amount) : 0;
			json_t *fixed = json_object_get(a, "fixed");
			json_t *rmin = json_object_get(a, "amount_min");
			json_t *rmax = json_object_get(a, "amount_max");

			if (state == NULL) {
				json_decref(a);
				continue;
			}
			if (p == NULL) {
				enum sla_unit u = SLA_UNIT_PCT_MONTH;
				int k;

				for (k = 0; unit != NULL && k < SLA_UNIT_COUNT; k++)
					if (strcmp(unit, sla_units[k]) == 0)
						u = (enum sla_unit)k;
				p = sla_propose(b, rule != NULL ? rule : "?", agent != NULL ? agent : "",
						month != NULL ? month : "", NULL, u, amt, false,
						reason != NULL ? reason : "", "");
				if (p == NULL) {
					json_decref(a);
					return;
				}
				sla_copy(p->key, sizeof(p->key), key);
				p->orphaned = true;
				p->basis_changed = true;
			} else if (!p->orphaned) {
				/* the basis the person saw, against the one now */
				p->basis_changed = (unit != NULL && strcmp(unit, sla_unit_name(p->unit)) != 0) ||
					(p->amount_max == 0 ? amt != p->pct :
					 json_integer_value(rmin) != p->amount_min ||
					 json_integer_value(rmax) != p->amount_max) ||
					(reason != NULL && strcmp(reason, p->tickets) != 0) ||
					(agent != NULL && strcmp(agent, p->agent) != 0) ||
					(month != NULL && strcmp(month, p->month) != 0);
			}
			sla_copy(p->state, sizeof(p->state), state);
			sla_copy(p->decided_by, sizeof(p->decided_by), by);
			p->decided_at = ev->time;
			/* the amount an approver chose from the range */
			if (json_is_integer(fixed) && (p->amount_max > 0 || p->orphaned)) {
				p->pct = (int)json_integer_value(fixed);
				p->fixed = true;
			}
		} else if (p != NULL && strcmp(rec, "notified") == 0) {
			p->notified_at = ev->time;
			p->appeal_by = calendar_add_working_days(sla_agent_cal(b, p->agent), ev->time,
								 pol->appeal_window_days);
		} else if (p != NULL && strcmp(rec, "appeal") == 0) {
			p->appealed_at = ev->time;
			p->reply_by = calendar_add_working_days(sla_agent_cal(b, p->agent), ev->time,
								pol->appeal_reply_days);
		}
		json_decref(a);
	}
}

static int
sla_warning_cmp(const void *a, const void *b)
{
	const struct sla_warning *x = a, *y = b;
	int c;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if ((c = strcmp(x->rule, y->rule)) != 0)
		return c;
	return strcmp(x->ticket, y->ticket);
}

int
sla_evaluate_events(const struct conf *conf, const struct calendar *cal,
		    const struct event *events, size_t count, int64_t now,
		    struct sla_result *result, const char **error_r)
{
	struct sla_build b;
	size_t i = 0;
	const char *ignored;

	memset(result, 0, sizeof(*result));
	memset(&b, 0, sizeof(b));
	b.conf = conf;
	b.cal = cal;
	b.now = now;
	b.r = result;
	if (conf->calendar_count > 0 &&
	    (b.team_cals = calloc(conf->calendar_count, sizeof(*b.team_cals))) != NULL)
		for (i = 0; i < conf->calendar_count; i++)
			if (calendar_new(&conf->calendars[i].cal, &b.team_cals[i], &ignored) < 0)
				b.team_cals[i] = NULL;
	i = 0;
	while (i < count && !b.nomem) {
		size_t j = i + 1;
		struct sla_ticket *t;

		while (j < count && strcmp(events[j].ticket, events[i].ticket) == 0)
			j++;
		if ((t = SLA_PUSH(&b, result->tickets, b.tcap, result->ticket_count)) == NULL)
			break;
		sla_ticket_evaluate(&b, events + i, j - i, t);
		/* the engine may have grown the array: look the ticket up again */
		if (result->tickets[result->ticket_count - 1].start < 0)
			result->ticket_count--;
		i = j;
	}
	if (!b.nomem) {
		sla_streaks(&b);
		sla_severity(&b);
		sla_feedback(&b);
		sla_complaints(&b);
		sla_satisfaction(&b);
		sla_records(&b, events, count);
		sla_packs(&b);
		sla_scores(&b);
		sla_decisions(&b, events, count);
		/* warnings are read as a timeline: the order they happened */
		if (result->warning_count > 1)
			qsort(result->warnings, result->warning_count,
			      sizeof(*result->warnings), sla_warning_cmp);
	}
	for (i = 0; b.team_cals != NULL && i < conf->calendar_count; i++)
		calendar_free(&b.team_cals[i]);
	free(b.team_cals);
	free(b.ratings);
	free(b.praises);
	if (b.nomem) {
		sla_result_clear(result);
		*error_r = "out of memory evaluating clocks";
		return -1;
	}
	return 0;
}

/* Events copied out of the store's row buffers. Their strings go into
   an arena of large blocks rather than five mallocs an event: a ticket's
   events share its key (they come ordered by ticket) and actors repeat
   (a few agents and "customer"), so each is stored once. The engine never
   reads source or external_id, so they are not kept. */
#define SLA_ACTOR_SLOTS 4096	/* power of two; more actors just chain */

struct sla_actor {
	struct sla_actor *next;
	const char *name;
};

struct sla_collect {
	struct event *evs;
	size_t count, cap;
	bool nomem;
	struct sla_arena_block *blocks;
	struct sla_actor *actor_slots[SLA_ACTOR_SLOTS];
};

static const char *
sla_actor_intern(struct sla_collect *c, const char *name)
{
	unsigned int h = 5381;
	const char *p;
	struct sla_actor *a;

	for (p = name; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	for (a = c->actor_slots[h & (SLA_ACTOR_SLOTS - 1)]; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a->name;
	if ((p = sla_arena_dup(&c->blocks, name, &c->nomem)) == NULL)
		return NULL;
	if ((a = malloc(sizeof(*a))) == NULL) {
		c->nomem = true;
		return NULL;
	}
	a->name = p;
	a->next = c->actor_slots[h & (SLA_ACTOR_SLOTS - 1)];
	c->actor_slots[h & (SLA_ACTOR_SLOTS - 1)] = a;
	return a->name;
}

static int
sla_collect_cb(void *ctx, const struct event *ev)
{
	struct sla_collect *c = ctx;
	const char *ticket = ev->ticket != NULL ? ev->ticket : "";
	struct event *e;

	if (sla_grow((void **)&c->evs, &c->cap, c->count, sizeof(*c->evs)) < 0) {
		c->nomem = true;
		return 1;
	}
	e = &c->evs[c->count];
	*e = *ev;
	e->source = NULL;
	e->external_id = NULL;
	if (c->count > 0 && strcmp(c->evs[c->count - 1].ticket, ticket) == 0)
		e->ticket = c->evs[c->count - 1].ticket;
	else
		e->ticket = sla_arena_dup(&c->blocks, ticket, &c->nomem);
	e->actor = sla_actor_intern(c, ev->actor != NULL ? ev->actor : "");
	e->attrs = ev->attrs != NULL ? sla_arena_dup(&c->blocks, ev->attrs, &c->nomem) : NULL;
	c->count++;
	return c->nomem ? 1 : 0;
}

static void
sla_collect_free(struct sla_collect *c)
{
	size_t i;

	sla_arena_free(&c->blocks);
	for (i = 0; i < SLA_ACTOR_SLOTS; i++)
		while (c->actor_slots[i] != NULL) {
			struct sla_actor *next = c->actor_slots[i]->next;

			free(c->actor_slots[i]);
			c->actor_slots[i] = next;
		}
	free(c->evs);
}

int
sla_evaluate(const struct conf *conf, const struct calendar *cal,
	     struct store *store, int64_t now, struct sla_result *result,
	     const char **error_r)
{
	struct sla_collect *c;
	int ret = -1;

	memset(result, 0, sizeof(*result));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*error_r = "out of memory reading events";
		return -1;
	}
	if (store_events_foreach(store, sla_collect_cb, c, error_r) < 0 && !c->nomem)
		goto out;
	if (c->nomem) {
		*error_r = "out of memory reading events";
		goto out;
	}
	ret = sla_evaluate_events(conf, cal, c->evs, c->count, now, result, error_r);
out:
	sla_collect_free(c);
	free(c);
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
			.month = p->month, .unit = sla_unit_name(p->unit),
			.amount = p->reward ? -p->pct : p->pct, .state = p->state,
			.reason = p->tickets,
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
