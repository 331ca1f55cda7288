#include "config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

/* LEN bytes from the arena at *HEAD (a new block when the first is
   full), aligned for any record. */
static void *
sla_arena_alloc(struct sla_arena_block **head, size_t len, bool *nomem)
{
	struct sla_arena_block *b = *head;
	char *d;

	if (b != NULL)
		b->used = (b->used + 7) & ~(size_t)7;
	if (b == NULL || b->used > b->size || b->size - b->used < len) {
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
	b->used += len;
	return d;
}

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
	/* not zeroed: records of kilobytes (proposals, warnings) by the
	   ten thousand make that most of an evaluation; sla_push() zeroes
	   the one it hands out */
	if ((p = realloc(*array, ncap * elem)) == NULL)
		return -1;
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

/* A set of strings that live as long as it does: the engine's tickets,
   agents and teams, each stored once, so its per-ticket results can point
   into it across evaluations. Open addressing, grown at half full. */
struct sla_intern {
	const char **slots;
	size_t cap, count;
	struct sla_arena_block *blocks;
};

static size_t
sla_hash(const char *s)
{
	size_t h = 1469598103934665603u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static const char *
sla_intern(struct sla_intern *in, const char *s, bool *nomem)
{
	size_t i, mask;
	char *d;

	if (in->count * 4 >= in->cap * 3) {
		size_t ncap = in->cap == 0 ? 1024 : in->cap * 2, j;
		const char **ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL) {
			*nomem = true;
			return NULL;
		}
		for (j = 0; j < in->cap; j++)
			if (in->slots[j] != NULL) {
				for (i = sla_hash(in->slots[j]) & (ncap - 1); ns[i] != NULL;
				     i = (i + 1) & (ncap - 1))
					;
				ns[i] = in->slots[j];
			}
		free(in->slots);
		in->slots = ns;
		in->cap = ncap;
	}
	mask = in->cap - 1;
	for (i = sla_hash(s) & mask; in->slots[i] != NULL; i = (i + 1) & mask)
		if (strcmp(in->slots[i], s) == 0)
			return in->slots[i];
	if ((d = sla_arena_dup(&in->blocks, s, nomem)) == NULL)
		return NULL;
	in->slots[i] = d;
	in->count++;
	return d;
}

static void
sla_intern_free(struct sla_intern *in)
{
	free(in->slots);
	sla_arena_free(&in->blocks);
	memset(in, 0, sizeof(*in));
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
	const char *last_rdup;               /* see sla_rdup() */
	const char *agents[16];              /* see sla_ragent() */
	unsigned int agent_next;
	struct sla_intern *intern;           /* the engine's: strings outlive R */
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
	void *p;

	if (sla_grow(array, cap, *count, elem) < 0) {
		b->nomem = true;
		return NULL;
	}
	p = (char *)*array + (*count)++ * elem;
	memset(p, 0, elem);
	return p;
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
sla_run_clock(struct sla_build *b, const struct calendar *cal,
	      const struct event *evs, size_t n, size_t first, int64_t from,
	      int64_t target, enum sla_stop_kind kind, struct sla_clock *c,
	      size_t *stop_index_r)
{
	int64_t remaining = target, to_remind, t = from, pause_from = 0, d;
	bool paused = false, first_reply_seen = false;
	const char *why = NULL;
	struct sla_pause pauses[SLA_PAUSES_MAX];
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
	c->pauses = NULL;
	c->stop = "";
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
			c->stop = why;
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
			if (c->pause_count < SLA_PAUSES_MAX) {
				pauses[c->pause_count].from = ev->time;
				pauses[c->pause_count].to = 0;
			}
			c->pause_count++;
		} else if (change == 0 && paused) {
			paused = false;
			t = ev->time;
			if (c->pause_count <= SLA_PAUSES_MAX)
				pauses[c->pause_count - 1].to = ev->time;
		}
	}
	if (c->pause_count > 0) {
		size_t np = c->pause_count < SLA_PAUSES_MAX ? (size_t)c->pause_count :
			SLA_PAUSES_MAX;
		struct sla_pause *kept = sla_arena_alloc(&b->r->strings, np * sizeof(*kept),
							 &b->nomem);

		if (kept != NULL)
			memcpy(kept, pauses, np * sizeof(*kept));
		c->pauses = kept;
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
	if (b->intern != NULL)
		return (d = (char *)sla_intern(b->intern, s, &b->nomem)) != NULL ? d : "";
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
sla_run_resolution(struct sla_build *b, const struct calendar *cal,
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
	k->ticket = ticket;	/* the ticket's own, kept by sla_keep() */
	k->rule = rule;		/* static */
	k->clock = *c;
}

/* A clock whose deadline is N working days after the start (W1). */
static void
sla_run_wdays(struct sla_build *b, const struct calendar *cal,
	      const struct event *evs, size_t n, int64_t start, int days,
	      enum sla_stop_kind kind, struct sla_clock *c)
{
	const char *why = NULL;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->agent = "";
	c->stop = "";
	c->started_at = start;
	c->deadline = calendar_add_working_days(cal, start, days);
	c->target_secs = c->deadline - start;
	c->remind_at = start + (c->deadline - start) * b->conf->policy.warn_at_pct / 100;
	for (i = 0; i < n; i++)
		if (evs[i].time >= start && sla_stops(b->conf, kind, &evs[i], false, &why)) {
			c->stopped_at = evs[i].time;
			c->stop = why;
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
			c.agent = "";
			c.stop = "";
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
					c.stop = event_kind_name(evs[j].kind);
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
	t->team = "";
	for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
		t->clocks[m].agent = "";
		t->clocks[m].stop = "";
	}
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
	t->team = sla_keep(b, team != NULL ? team->name : "");
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

/* S cut to MAX - 1 bytes (as the fixed arrays of the results did), in
   the result's arena; the previous copy again when equal (agents repeat
   from one proposal or warning to the next). Never NULL. */
static const char *
sla_rdup(struct sla_build *b, const char *s, size_t max)
{
	size_t len;
	char *d;

	if (s == NULL || s[0] == '\0')
		return "";
	len = strnlen(s, max - 1);
	if (b->last_rdup != NULL && strncmp(b->last_rdup, s, len) == 0 &&
	    b->last_rdup[len] == '\0')
		return b->last_rdup;
	if ((d = sla_arena_alloc(&b->r->strings, len + 1, &b->nomem)) == NULL)
		return "";
	memcpy(d, s, len);
	d[len] = '\0';
	b->last_rdup = d;
	return d;
}

/* An agent's address for a proposal or warning, as sla_rdup(): the same
   copy for every one of the agent's (a month has few agents and many
   warnings). */
static const char *
sla_ragent(struct sla_build *b, const char *agent)
{
	const char *d;
	unsigned int i;

	if (agent == NULL || agent[0] == '\0')
		return "";
	for (i = 0; i < sizeof(b->agents) / sizeof(b->agents[0]); i++)
		if (b->agents[i] != NULL && strncmp(b->agents[i], agent, EVENT_ACTOR_MAX - 1) == 0 &&
		    (strlen(agent) < EVENT_ACTOR_MAX || b->agents[i][EVENT_ACTOR_MAX - 1] == '\0'))
			return b->agents[i];
	d = sla_rdup(b, agent, EVENT_ACTOR_MAX);
	if (d[0] != '\0')
		b->agents[b->agent_next++ % (sizeof(b->agents) / sizeof(b->agents[0]))] = d;
	return d;
}

static struct sla_proposal *
sla_propose(struct sla_build *b, const char *rule, const char *agent, const char *month,
	    const char *period, enum sla_unit unit, int amount, bool reward,
	    const char *tickets, const char *key_tail)
{
	struct sla_proposal *p = SLA_PUSH(b, b->r->proposals, b->pcap, b->r->proposal_count);
	char key[SLA_KEY_MAX];

	if (p == NULL)
		return NULL;
	memset(p, 0, sizeof(*p));
	snprintf(key, sizeof(key), "%s:%s:%s", rule, agent, key_tail);
	p->key = sla_rdup(b, key, sizeof(key));
	p->agent = sla_ragent(b, agent);
	p->rule = sla_rdup(b, rule, 16);
	sla_copy(p->month, sizeof(p->month), month);
	sla_copy(p->period, sizeof(p->period), period != NULL ? period : month);
	p->unit = unit;
	p->pct = amount;
	p->reward = reward;
	p->tickets = sla_rdup(b, tickets, SLA_TICKETS_MAX);
	p->state = "proposed";
	p->decided_by = "";
	return p;
}

/* RULE is a static string; AGENT and TICKET are copied. */
static void
sla_warn(struct sla_build *b, const char *rule, const char *agent, const char *ticket,
	 int64_t at)
{
	struct sla_warning *w = SLA_PUSH(b, b->r->warnings, b->wcap, b->r->warning_count);

	if (w == NULL)
		return;
	w->agent = sla_ragent(b, agent);
	w->rule = rule;
	w->ticket = sla_rdup(b, ticket, EVENT_ID_MAX);
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
	/* the engine interns agents: mostly the same pointer */
	int c = x->agent == y->agent ? 0 : strcmp(x->agent, y->agent);

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

/* FR for clock C of TICKET, warned under WARN_RULE when it missed; its
   agent interned into AGENTS, so that the sort compares most agents by
   pointer. false out of memory. */
static bool
sla_fr_set(struct sla_build *b, struct sla_intern *agents, struct sla_fr *fr,
	   const char *ticket, const struct sla_clock *c, const char *warn_rule)
{
	if ((fr->agent = sla_intern(agents, c->agent, &b->nomem)) == NULL)
		return false;
	fr->ticket = ticket;
	fr->deadline = c->deadline;
	fr->missed = c->state == SLA_MISSED;
	if (fr->missed)
		sla_warn(b, warn_rule, c->agent, ticket, c->deadline);
	return true;
}

/* S14.1w and S14.1s. */
static void
sla_streaks(struct sla_build *b)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	struct sla_fr *frs;
	struct sla_intern agents = { 0 };
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
		if (!sla_fr_set(b, &agents, &frs[n], t->ticket, c, "S14.1w"))
			break;
		n++;
	}
	sla_streak_run(b, frs, n, "S14.1s", pol->streak_length, pol->streak_deduction_pct,
		       pol->streak_reset_month_end, pol->streak_reset_after_fire);
	free(frs);
	sla_intern_free(&agents);
}

/* S14.5: feedback not handled in time, warnings and streaks. */
static void
sla_feedback(struct sla_build *b)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	struct sla_fr *frs;
	struct sla_intern agents = { 0 };
	size_t n = 0, i;

	if ((frs = calloc(r->pack_clock_count + 1, sizeof(*frs))) == NULL) {
		b->nomem = true;
		return;
	}
	for (i = 0; i < r->pack_clock_count; i++) {
		const struct sla_pack_clock *k = &r->pack_clocks[i];

		if (strcmp(k->rule, "S14.5") != 0 || k->clock.state == SLA_PENDING)
			continue;
		if (!sla_fr_set(b, &agents, &frs[n], k->ticket, &k->clock, "S14.5w"))
			break;
		n++;
	}
	sla_streak_run(b, frs, n, "S14.5s", pol->feedback_streak_length,
		       pol->feedback_deduction_pct, pol->streak_reset_month_end,
		       pol->feedback_reset_after_fire);
	free(frs);
	sla_intern_free(&agents);
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
			char month[8], key[SLA_KEY_MAX];

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
			snprintf(key, sizeof(key), "S14.2d:%s:%s",
				 sla_milestone_name((enum sla_milestone)m), t->ticket);
			r->proposals[r->proposal_count - 1].key = sla_rdup(b, key, sizeof(key));
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

/* Grouping for the rules that sum an agent's month: the members of
   each (agent, month) group in one sorted pass instead of a walk over all
   the others for each one. A group is decided where its first member (by
   index) is, so the runs come in the order of their first member, and
   the results in the order the walk per member gave them. */
struct sla_grp {
	const char *agent;
	char month[8];
	size_t idx;
};

struct sla_run {
	size_t from, to;       /* its members: items[from..to), by index */
	size_t first;          /* items[from].idx */
};

static int
sla_grp_cmp(const void *a, const void *b)
{
	const struct sla_grp *x = a, *y = b;
	int c = strcmp(x->agent, y->agent);

	if (c == 0)
		c = strcmp(x->month, y->month);
	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
sla_run_cmp(const void *a, const void *b)
{
	size_t x = ((const struct sla_run *)a)->first, y = ((const struct sla_run *)b)->first;

	return x < y ? -1 : x > y;
}

/* Sort ITEMS[0..N) into groups; *RUNS_R (free it) in the order of their
   first member. 0, or -1 out of memory (B's nomem set). */
static int
sla_group(struct sla_build *b, struct sla_grp *items, size_t n, struct sla_run **runs_r,
	  size_t *count_r)
{
	struct sla_run *runs;
	size_t i, count = 0;

	*runs_r = NULL;
	*count_r = 0;
	if ((runs = malloc((n + 1) * sizeof(*runs))) == NULL) {
		b->nomem = true;
		return -1;
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), sla_grp_cmp);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(items[i].agent, items[i - 1].agent) != 0 ||
		    strcmp(items[i].month, items[i - 1].month) != 0) {
			runs[count].from = i;
			runs[count++].first = items[i].idx;
		}
		runs[count - 1].to = i + 1;
	}
	if (count > 1)
		qsort(runs, count, sizeof(*runs), sla_run_cmp);
	*runs_r = runs;
	*count_r = count;
	return 0;
}

/* The items for sla_group(): N slots, or NULL out of memory. */
static struct sla_grp *
sla_grp_new(struct sla_build *b, size_t n)
{
	struct sla_grp *g = malloc((n + 1) * sizeof(*g));

	if (g == NULL)
		b->nomem = true;
	return g;
}

/* G for clock C, item IDX: grouped by C's agent and the month of
   its deadline. */
static void
sla_grp_set(struct sla_build *b, struct sla_grp *g, size_t idx, const struct sla_clock *c)
{
	g->agent = c->agent;
	g->idx = idx;
	sla_agent_month(b, c->agent, c->deadline, g->month);
}

/* G[0..N) grouped (sla_group()); G itself, or NULL (G freed) out of
   memory. */
static struct sla_grp *
sla_group_items(struct sla_build *b, struct sla_grp *g, size_t n, struct sla_run **runs_r,
		size_t *count_r)
{
	if (sla_group(b, g, n, runs_r, count_r) < 0) {
		free(g);
		return NULL;
	}
	return g;
}

/* The decided pack clocks whose rule begins with PREFIX, grouped by agent
   and month; the items (free them, and *RUNS_R) index r->pack_clocks.
   NULL out of memory (B's nomem set). */
static struct sla_grp *
sla_group_pack_clocks(struct sla_build *b, const char *prefix, struct sla_run **runs_r,
		      size_t *count_r)
{
	const struct sla_result *r = b->r;
	size_t i, n = 0, len = strlen(prefix);
	struct sla_grp *g;

	if ((g = sla_grp_new(b, r->pack_clock_count)) == NULL)
		return NULL;
	for (i = 0; i < r->pack_clock_count; i++) {
		const struct sla_pack_clock *pk = &r->pack_clocks[i];

		if (strncmp(pk->rule, prefix, len) == 0 && pk->clock.state != SLA_PENDING)
			sla_grp_set(b, &g[n++], i, &pk->clock);
	}
	return sla_group_items(b, g, n, runs_r, count_r);
}

/* The decided WHICH clocks of the tickets, grouped by agent and month; the
   items index r->tickets. As sla_group_pack_clocks() otherwise. */
static struct sla_grp *
sla_group_ticket_clocks(struct sla_build *b, enum sla_milestone which,
			struct sla_run **runs_r, size_t *count_r)
{
	const struct sla_result *r = b->r;
	size_t i, n = 0;
	struct sla_grp *g;

	if ((g = sla_grp_new(b, r->ticket_count)) == NULL)
		return NULL;
	for (i = 0; i < r->ticket_count; i++) {
		const struct sla_clock *c = &r->tickets[i].clocks[which];

		if (c->state != SLA_PENDING)
			sla_grp_set(b, &g[n++], i, c);
	}
	return sla_group_items(b, g, n, runs_r, count_r);
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
	size_t i, from, to;
	char month[8], m2[8];

	if (b->praise_count > 1)
		qsort(b->praises, b->praise_count, sizeof(*b->praises), sla_praise_cmp);
	/* sorted by agent and time, an agent's praises of a year are
	   together: [from, to) */
	for (i = 0, from = to = 0; i < b->praise_count; i++) {
		const struct sla_praise *pr = &b->praises[i];
		int before, total;

		sla_agent_month(b, pr->agent, pr->at, month);
		if (i >= to) {
			for (from = i, to = i + 1; to < b->praise_count; to++) {
				if (strcmp(b->praises[to].agent, pr->agent) != 0)
					break;
				sla_agent_month(b, pr->agent, b->praises[to].at, m2);
				if (strncmp(m2, month, 4) != 0)
					break;
			}
		}
		before = (int)(i - from);
		total = (int)(to - from);
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
	struct sla_grp *g;
	struct sla_run *runs;
	size_t i, j, nruns;

	if ((g = sla_group_pack_clocks(b, "S1.", &runs, &nruns)) == NULL)
		return;
	for (i = 0; i < nruns; i++) {
		const struct sla_grp *first = &g[runs[i].from];
		int due = 0, missed = 0;
		char what[64];

		for (j = runs[i].from; j < runs[i].to; j++) {
			due++;
			missed += r->pack_clocks[g[j].idx].clock.state == SLA_MISSED;
		}
		if (missed > 0 || due == 0)
			continue;
		snprintf(what, sizeof(what), "%d parts clocks met, none missed", due);
		if (sla_range(sla_propose(b, "S1.w", first->agent, first->month, NULL,
					  SLA_UNIT_YUAN, pol->s1_reward_range[0], true, what,
					  first->month),
			      pol->s1_reward_range) == NULL)
			break;
	}
	free(runs);
	free(g);
}

static int
sla_tkname_cmp(const void *a, const void *b)
{
	const struct sla_ticket *x = *(const struct sla_ticket *const *)a;
	const struct sla_ticket *y = *(const struct sla_ticket *const *)b;
	int c = strcmp(x->ticket, y->ticket);

	/* equal names by position: the last one is the one looked up */
	return c != 0 ? c : (x > y) - (x < y);
}

/* B's tickets sorted by name (free it), or NULL out of memory. */
static const struct sla_ticket **
sla_tickets_by_name(struct sla_build *b)
{
	const struct sla_ticket **v = malloc((b->r->ticket_count + 1) * sizeof(*v));
	size_t i;

	if (v == NULL) {
		b->nomem = true;
		return NULL;
	}
	for (i = 0; i < b->r->ticket_count; i++)
		v[i] = &b->r->tickets[i];
	if (b->r->ticket_count > 1)
		qsort(v, b->r->ticket_count, sizeof(*v), sla_tkname_cmp);
	return v;
}

/* The last ticket named NAME in V (sla_tickets_by_name()), or NULL. */
static const struct sla_ticket *
sla_ticket_named(const struct sla_build *b, const struct sla_ticket **v, const char *name)
{
	size_t lo = 0, hi = b->r->ticket_count;

	/* the first past every ticket named NAME or before it */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid]->ticket, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && strcmp(v[lo - 1]->ticket, name) == 0 ? v[lo - 1] : NULL;
}

/* S9 speed rewards, G16 escalations, S1 penalties, W1 timeliness. */
static void
sla_packs(struct sla_build *b)
{
	const struct conf *conf = b->conf;
	const struct conf_policy *pol = &conf->policy;
	struct sla_result *r = b->r;
	const struct sla_ticket **byname = NULL;
	struct sla_grp *g;
	struct sla_run *runs;
	size_t i, j, nruns;
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
			const struct sla_ticket *t;
			int lv;

			if (byname == NULL && (byname = sla_tickets_by_name(b)) == NULL)
				return;
			t = sla_ticket_named(b, byname, pk->ticket);
			lv = t == NULL ? 0 : t->severity == SEVERITY_CRITICAL ? 2 :
				t->severity == SEVERITY_HIGH ? 1 : 0;
			sla_flag(b, "G16", "escalate", c->agent, month, month,
				 "%s: %s reply deadline missed, escalate to %s", pk->ticket,
				 levels[lv], up[lv]);
		}
	}
	free(byname);
	if (conf_pack_enabled(conf, CONF_PACK_S1))
		sla_s1_rewards(b);
	if (conf_pack_enabled(conf, CONF_PACK_S15))
		sla_s15(b);
	if (conf_pack_enabled(conf, CONF_PACK_S9)) {
		/* time saved against the resolution target, per agent and month,
		   over met resolutions; a month with a miss earns nothing */
		if ((g = sla_group_ticket_clocks(b, SLA_RESOLUTION, &runs, &nruns)) == NULL)
			return;
		for (i = 0; i < nruns; i++) {
			const struct sla_grp *first = &g[runs[i].from];
			int64_t target = 0, saved = 0;
			bool missed = false;
			char what[64];

			for (j = runs[i].from; j < runs[i].to; j++) {
				const struct sla_clock *o = &r->tickets[g[j].idx].clocks[SLA_RESOLUTION];

				if (o->state == SLA_MISSED)
					missed = true;
				target += o->target_secs;
				saved += calendar_elapsed(b->cal, o->stopped_at, o->deadline);
			}
			if (missed || target == 0)
				continue;
			for (k = CONF_TIERS - 1; k >= 0; k--)
				if (saved * 100 >= (int64_t)pol->s9_speed_pct[k] * target)
					break;
			if (k < 0)
				continue;
			snprintf(what, sizeof(what), "%lld%% faster than target",
				 (long long)(saved * 100 / target));
			sla_propose(b, "S9.t", first->agent, first->month, NULL, SLA_UNIT_PCT_WAGE,
				    pol->s9_speed_reward_pct[k], true, what, first->month);
		}
		free(runs);
		free(g);
	}
	if (conf_pack_enabled(conf, CONF_PACK_W1)) {
		/* timeliness: met ÷ due over the W1 clocks, per agent and month */
		if ((g = sla_group_pack_clocks(b, "W1.", &runs, &nruns)) == NULL)
			return;
		for (i = 0; i < nruns; i++) {
			const struct sla_grp *first = &g[runs[i].from];
			int met = 0, due = 0;

			for (j = runs[i].from; j < runs[i].to; j++) {
				due++;
				met += r->pack_clocks[g[j].idx].clock.state == SLA_MET;
			}
			if (met * 100 < pol->w1_timely_pct * due)
				sla_flag(b, "W1.t", "kpi", first->agent, first->month, first->month,
					 "timeliness %d/%d, below %d%%", met, due, pol->w1_timely_pct);
		}
		free(runs);
		free(g);
		/* complaint rate: verified complaints ÷ tickets, below the limit */
		if ((g = sla_group_ticket_clocks(b, SLA_FIRST_RESPONSE, &runs, &nruns)) == NULL)
			return;
		for (i = 0; i < nruns; i++) {
			const struct sla_grp *first = &g[runs[i].from];
			int tickets = (int)(runs[i].to - runs[i].from), complaints = 0;

			/* complaints are few: a walk over them per agent and month */
			for (j = 0; j < r->complaint_count; j++)
				if (r->complaints[j].state == SLA_COMPLAINT_VERIFIED &&
				    strcmp(r->complaints[j].agent, first->agent) == 0 &&
				    strcmp(r->complaints[j].month, first->month) == 0)
					complaints++;
			if (complaints * 100 >= pol->w1_complaint_rate_pct * tickets)
				if (complaints > 0)
					sla_flag(b, "W1.c", "kpi", first->agent, first->month,
						 first->month, "complaint rate %d/%d, not below %d%%",
						 complaints, tickets, pol->w1_complaint_rate_pct);
		}
		free(runs);
		free(g);
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

/* One entry per agent and month (BY_YEAR: per agent and year) in which
   the agent had a decided first response, with the ones met counted; the
   basis of the T17 ranking and the G20 year. NULL when out of memory
   (b->nomem set); the caller frees. */
static struct sla_rank *
sla_rank_first_responses(struct sla_build *b, bool by_year, size_t *count_r)
{
	struct sla_result *r = b->r;
	struct sla_rank *ranks;
	char month[8];
	size_t i;

	*count_r = 0;
	if ((ranks = calloc(r->ticket_count + 1, sizeof(*ranks))) == NULL) {
		b->nomem = true;
		return NULL;
	}
	for (i = 0; i < r->ticket_count; i++) {
		const struct sla_clock *c = &r->tickets[i].clocks[SLA_FIRST_RESPONSE];

		if (c->state == SLA_PENDING || c->agent[0] == '\0')
			continue;
		sla_agent_month(b, c->agent, c->deadline, month);
		sla_rank_of(ranks, count_r, c->agent, month, by_year)->met +=
			c->state == SLA_MET;
	}
	return ranks;
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
	size_t count, i, j;
	char what[96];

	if ((ranks = sla_rank_first_responses(b, false, &count)) == NULL)
		return;
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
	size_t count, i, j;
	char now_month[8], dec[8];

	if ((years = sla_rank_first_responses(b, true, &count)) == NULL)
		return;
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

/* An (agent, month) group of proposals, as sla_scores() sums it. */
struct sla_score {
	int score;             /* 100 less the % of month deductions */
	int points;            /* T17 points */
	int deductions;        /* how many % of month deductions */
};

/* The group of AGENT and MONTH among RUNS (by BYPOS: their indexes in
   the order of their items, which is agent and month), or -1. */
static long
sla_score_find(const struct sla_grp *g, const struct sla_run *runs, const size_t *bypos,
	       size_t count, const char *agent, const char *month)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sla_grp *x = &g[runs[bypos[mid]].from];
		int c = strcmp(x->agent, agent);

		if (c == 0)
			c = strcmp(x->month, month);
		if (c == 0)
			return (long)bypos[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static const struct sla_run *sla_bypos_runs;  /* for sla_bypos_cmp() only */

static int
sla_bypos_cmp(const void *a, const void *b)
{
	size_t x = sla_bypos_runs[*(const size_t *)a].from;
	size_t y = sla_bypos_runs[*(const size_t *)b].from;

	return x < y ? -1 : x > y;
}

/* G20 (monthly score 100 minus the month's % deductions, downgrade after
   months in a row below the threshold) and T17 (points bands). The
   proposals are summed per agent and month once (sla_group()), and each
   group decided where its first proposal is. */
static void
sla_scores(struct sla_build *b)
{
	const struct conf *conf = b->conf;
	const struct conf_policy *pol = &conf->policy;
	struct sla_result *r = b->r;
	size_t i, j, n0 = r->proposal_count, nruns = 0;
	struct sla_grp *g = NULL;
	struct sla_run *runs = NULL;
	struct sla_score *sc = NULL;
	size_t *bypos = NULL;

	if (!conf_pack_enabled(conf, CONF_PACK_G20) && !conf_pack_enabled(conf, CONF_PACK_T17))
		return;
	if ((g = sla_grp_new(b, n0)) == NULL)
		return;
	for (i = 0; i < n0; i++) {
		g[i].agent = r->proposals[i].agent;  /* in the arena: stays put */
		memcpy(g[i].month, r->proposals[i].month, sizeof(g[i].month));
		g[i].idx = i;
	}
	if (sla_group(b, g, n0, &runs, &nruns) < 0)
		goto out;
	if ((sc = calloc(nruns + 1, sizeof(*sc))) == NULL ||
	    (bypos = malloc((nruns + 1) * sizeof(*bypos))) == NULL) {
		b->nomem = true;
		goto out;
	}
	for (i = 0; i < nruns; i++) {
		sc[i].score = 100;
		sc[i].points = pol->t17_points;
		for (j = runs[i].from; j < runs[i].to; j++) {
			const struct sla_proposal *o = &r->proposals[g[j].idx];

			if (o->unit == SLA_UNIT_PCT_MONTH && !o->reward) {
				sc[i].score -= o->pct;
				sc[i].deductions++;
			}
			if (o->unit == SLA_UNIT_POINTS)
				sc[i].points += o->reward ? o->pct : -o->pct;
		}
		bypos[i] = i;
	}
	sla_bypos_runs = runs;
	qsort(bypos, nruns, sizeof(*bypos), sla_bypos_cmp);
	sla_bypos_runs = NULL;
	for (i = 0; i < nruns; i++) {
		const char *agent = g[runs[i].from].agent;
		int score = sc[i].score, points = sc[i].points, k;
		char month[8];

		if (strncmp(agent, "team:", 5) == 0)
			continue;
		memcpy(month, g[runs[i].from].month, sizeof(month));
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
				long at;

				if (--mo == 0) {
					mo = 12;
					y--;
				}
				snprintf(prev, sizeof(prev), "%04u-%02u", (unsigned)y % 10000u,
					 (unsigned)mo % 100u);
				at = sla_score_find(g, runs, bypos, nruns, agent, prev);
				if (at < 0 || sc[at].deductions == 0 ||
				    sc[at].score >= pol->g20_threshold)
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
out:
	free(bypos);
	free(sc);
	free(runs);
	free(g);
}

static const struct sla_proposal *sla_bykey_props;  /* for sla_bykey_cmp() only */

static int
sla_bykey_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sla_bykey_props[x].key, sla_bykey_props[y].key);

	return c != 0 ? c : x < y ? -1 : x > y;
}

/* The indexes of B's first N proposals sorted by key (free it), or NULL
   out of memory. */
static size_t *
sla_proposals_by_key(struct sla_build *b, size_t n)
{
	size_t *v = malloc((n + 1) * sizeof(*v)), i;

	if (v == NULL) {
		b->nomem = true;
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = i;
	sla_bykey_props = b->r->proposals;
	if (n > 1)
		qsort(v, n, sizeof(*v), sla_bykey_cmp);
	sla_bykey_props = NULL;
	return v;
}

/* The last of R's first N proposals with KEY (by V), or NULL. */
static struct sla_proposal *
sla_proposal_keyed(struct sla_result *r, const size_t *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(r->proposals[v[mid]].key, key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && strcmp(r->proposals[v[lo - 1]].key, key) == 0 ?
		&r->proposals[v[lo - 1]] : NULL;
}

/* Decisions, notifications and appeals from the records; orphans for
   decisions whose proposal the engine no longer makes. */
static void
sla_decisions(struct sla_build *b, const struct event *evs, size_t count)
{
	const struct conf_policy *pol = &b->conf->policy;
	struct sla_result *r = b->r;
	size_t i, j, n0 = r->proposal_count, *bykey = NULL;

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
		/* the last one with KEY: an orphan added here, else one of the
		   N0 evaluated (BYKEY) */
		for (j = r->proposal_count; j > n0 && p == NULL; j--)
			if (strcmp(r->proposals[j - 1].key, key) == 0)
				p = &r->proposals[j - 1];
		if (p == NULL) {
			if (bykey == NULL && (bykey = sla_proposals_by_key(b, n0)) == NULL)
				return;
			p = sla_proposal_keyed(r, bykey, n0, key);
		}
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
				p->key = sla_rdup(b, key, SLA_KEY_MAX);
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
			p->state = sla_rdup(b, state, SLA_STATE_MAX);
			p->decided_by = sla_rdup(b, by, EVENT_ACTOR_MAX);
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
	free(bykey);
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

/* ---- the evaluation driver ----
 * A ticket's clocks, pack clocks, complaints and ratings depend on that
 * ticket's events (and NOW) only; everything else (streaks, satisfaction,
 * packs, scores, decisions) is aggregated from those per-ticket results
 * and from the record events (sla_is_record()). So the events never need
 * to be in memory all at once: one ticket's at a time, plus the records. */

/* The events the aggregation reads besides the per-ticket results: what
   sla_records() and sla_decisions() look at. */
static bool
sla_is_record(const struct event *ev)
{
	return ev->kind == EVENT_STATUS && ev->attrs != NULL &&
		(strstr(ev->attrs, "\"record\"") != NULL ||
		 (ev->ticket != NULL && strncmp(ev->ticket, SLA_PROPOSAL_TICKET_PREFIX,
						strlen(SLA_PROPOSAL_TICKET_PREFIX)) == 0));
}

static void
sla_build_init(struct sla_build *b, const struct conf *conf, const struct calendar *cal,
	       int64_t now, struct sla_result *result)
{
	const char *ignored;
	size_t i;

	memset(b, 0, sizeof(*b));
	b->conf = conf;
	b->cal = cal;
	b->now = now;
	b->r = result;
	if (conf->calendar_count > 0 &&
	    (b->team_cals = calloc(conf->calendar_count, sizeof(*b->team_cals))) != NULL)
		for (i = 0; i < conf->calendar_count; i++)
			if (calendar_new(&conf->calendars[i].cal, &b->team_cals[i], &ignored) < 0)
				b->team_cals[i] = NULL;
}

static void
sla_build_free(struct sla_build *b)
{
	size_t i;

	for (i = 0; b->team_cals != NULL && i < b->conf->calendar_count; i++)
		calendar_free(&b->team_cals[i]);
	free(b->team_cals);
	b->team_cals = NULL;
	free(b->ratings);
	b->ratings = NULL;
	b->rating_count = b->rcap = 0;
	free(b->praises);
	b->praises = NULL;
	b->praise_count = b->praise_cap = 0;
}

/* Evaluate the ticket of EVS[0..N) into B's result. false when it has no
   clock (no customer message): then nothing of it is kept. */
static bool
sla_build_ticket(struct sla_build *b, const struct event *evs, size_t n)
{
	struct sla_ticket *t;

	if ((t = SLA_PUSH(b, b->r->tickets, b->tcap, b->r->ticket_count)) == NULL)
		return false;
	sla_ticket_evaluate(b, evs, n, t);
	if (b->r->tickets[b->r->ticket_count - 1].start < 0) {
		b->r->ticket_count--;
		return false;
	}
	return true;
}

static double
sla_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rewards, deductions and flags are for people. A clock, rating or
   complaint nobody owned (no assignment, no reply, no default agent) stays
   in the tallies as "(unassigned)", but earns and costs nobody anything:
   one sweep here rather than a test in every rule. Before the decisions,
   so a decision on such a proposal shows as an orphan. */
static void
sla_drop_nobody(struct sla_result *r)
{
	size_t i, n;

	for (i = n = 0; i < r->proposal_count; i++)
		if (r->proposals[i].agent[0] != '\0')
			r->proposals[n++] = r->proposals[i];
	r->proposal_count = n;
	for (i = n = 0; i < r->flag_count; i++)
		if (r->flags[i].agent[0] != '\0')
			r->flags[n++] = r->flags[i];
	r->flag_count = n;
}

/* Everything beyond the tickets, from B's per-ticket results and the
   RECORDS (sorted by ticket, then time; other events may be among them). */
static void
sla_build_aggregate(struct sla_build *b, const struct event *records, size_t count)
{
	struct sla_result *result = b->r;

	/* SLACLOCK_SLA_TIMING: each step's time on stderr, for bench/ */
	bool timing = getenv("SLACLOCK_SLA_TIMING") != NULL;
	double t0 = timing ? sla_seconds() : 0, tall = t0;

#define SLA_STEP(call) do { \
		call; \
		if (timing) { \
			double t1 = sla_seconds(); \
			fprintf(stderr, "sla: %-22s %8.3f s\n", #call, t1 - t0); \
			t0 = t1; \
		} \
	} while (0)
	if (b->nomem)
		return;
	SLA_STEP(sla_streaks(b));
	SLA_STEP(sla_severity(b));
	SLA_STEP(sla_feedback(b));
	SLA_STEP(sla_complaints(b));
	SLA_STEP(sla_satisfaction(b));
	SLA_STEP(sla_records(b, records, count));
	SLA_STEP(sla_packs(b));
	SLA_STEP(sla_scores(b));
	SLA_STEP(sla_drop_nobody(result));
	SLA_STEP(sla_decisions(b, records, count));
	/* warnings are read as a timeline: the order they happened */
	if (result->warning_count > 1)
		SLA_STEP(qsort(result->warnings, result->warning_count,
			       sizeof(*result->warnings), sla_warning_cmp));
#undef SLA_STEP
	if (timing)
		fprintf(stderr, "sla: aggregate of %zu tickets: %.3f s (%zu proposals, "
			"%zu warnings, %zu flags)\n", result->ticket_count, sla_seconds() - tall,
			result->proposal_count, result->warning_count, result->flag_count);
}

int
sla_evaluate_events(const struct conf *conf, const struct calendar *cal,
		    const struct event *events, size_t count, int64_t now,
		    struct sla_result *result, const char **error_r)
{
	struct sla_build b;
	size_t i = 0;

	memset(result, 0, sizeof(*result));
	sla_build_init(&b, conf, cal, now, result);
	while (i < count && !b.nomem) {
		size_t j = i + 1;

		while (j < count && strcmp(events[j].ticket, events[i].ticket) == 0)
			j++;
		(void)sla_build_ticket(&b, events + i, j - i);
		i = j;
	}
	sla_build_aggregate(&b, events, count);
	sla_build_free(&b);
	if (b.nomem) {
		sla_result_clear(result);
		*error_r = "out of memory evaluating clocks";
		return -1;
	}
	return 0;
}

/* Free every block but the newest and empty that one: the arena of one
   ticket's events, used again for the next. */
static void
sla_arena_reset(struct sla_arena_block **head)
{
	if (*head == NULL)
		return;
	sla_arena_free(&(*head)->next);
	(*head)->used = 0;
}

/* Events read from the store one ticket at a time. Their strings are
   copied out of the store's row buffers into an arena that the next
   ticket reuses; source and external_id are never read by the engine and
   not kept. The records are kept to the end, apart. */
struct sla_stream {
	struct event *evs;
	size_t count, cap;
	struct sla_arena_block *blocks;
	bool collect_records;
	struct event *recs;
	size_t rcount, rcap;
	struct sla_arena_block *rblocks;
	int64_t max_id;
	bool nomem;
	/* called with the events of each ticket, in ticket order */
	void (*flush)(struct sla_stream *s, void *ctx);
	void *ctx;
	bool stop;                   /* set by flush: stop reading */
};

static int
sla_event_keep(struct event **arr, size_t *count, size_t *cap,
	       struct sla_arena_block **blocks, const struct event *ev, bool *nomem)
{
	struct event *e;

	if (sla_grow((void **)arr, cap, *count, sizeof(**arr)) < 0) {
		*nomem = true;
		return -1;
	}
	e = &(*arr)[*count];
	*e = *ev;
	e->source = NULL;
	e->external_id = NULL;
	if (*count > 0 && strcmp((*arr)[*count - 1].ticket, ev->ticket != NULL ? ev->ticket : "") == 0)
		e->ticket = (*arr)[*count - 1].ticket;
	else
		e->ticket = sla_arena_dup(blocks, ev->ticket != NULL ? ev->ticket : "", nomem);
	e->actor = sla_arena_dup(blocks, ev->actor != NULL ? ev->actor : "", nomem);
	e->attrs = ev->attrs != NULL ? sla_arena_dup(blocks, ev->attrs, nomem) : NULL;
	(*count)++;
	return *nomem ? -1 : 0;
}

static void
sla_stream_flush(struct sla_stream *s)
{
	if (s->count > 0 && !s->nomem)
		s->flush(s, s->ctx);
	s->count = 0;
	sla_arena_reset(&s->blocks);
}

static int
sla_stream_cb(void *ctx, const struct event *ev)
{
	struct sla_stream *s = ctx;

	if (s->count > 0 && strcmp(s->evs[0].ticket, ev->ticket != NULL ? ev->ticket : "") != 0)
		sla_stream_flush(s);
	if (s->collect_records && sla_is_record(ev))
		(void)sla_event_keep(&s->recs, &s->rcount, &s->rcap, &s->rblocks, ev, &s->nomem);
	(void)sla_event_keep(&s->evs, &s->count, &s->cap, &s->blocks, ev, &s->nomem);
	if (ev->id > s->max_id)
		s->max_id = ev->id;
	return s->nomem || s->stop ? 1 : 0;
}

static void
sla_stream_free(struct sla_stream *s)
{
	free(s->evs);
	sla_arena_free(&s->blocks);
	free(s->recs);
	sla_arena_free(&s->rblocks);
	memset(s, 0, sizeof(*s));
}

static void
sla_stream_evaluate(struct sla_stream *s, void *ctx)
{
	struct sla_build *b = ctx;

	(void)sla_build_ticket(b, s->evs, s->count);
	if (b->nomem)
		s->stop = true;
}

int
sla_evaluate(const struct conf *conf, const struct calendar *cal,
	     struct store *store, int64_t now, struct sla_result *result,
	     const char **error_r)
{
	struct sla_build b;
	struct sla_stream s;
	int ret = -1;

	memset(result, 0, sizeof(*result));
	memset(&s, 0, sizeof(s));
	sla_build_init(&b, conf, cal, now, result);
	s.collect_records = true;
	s.flush = sla_stream_evaluate;
	s.ctx = &b;
	if (store_events_foreach(store, sla_stream_cb, &s, error_r) < 0 &&
	    !s.nomem && !b.nomem)
		goto out;
	sla_stream_flush(&s);
	if (s.nomem || b.nomem) {
		*error_r = "out of memory evaluating clocks";
		goto out;
	}
	sla_build_aggregate(&b, s.recs, s.rcount);
	if (b.nomem) {
		*error_r = "out of memory evaluating clocks";
		goto out;
	}
	ret = 0;
out:
	sla_build_free(&b);
	sla_stream_free(&s);
	if (ret < 0)
		sla_result_clear(result);
	return ret;
}

/* ---- the incremental engine ---- */

#define SLA_NOT_IN_HEAP UINT32_MAX

/* One ticket the engine has seen: 32 bytes, as many as the store has
   tickets. */
struct sla_tk {
	const char *key;             /* interned */
	int64_t due;                 /* when its result changes by itself; 0: never */
	uint32_t heap;               /* its place in the heap, or SLA_NOT_IN_HEAP */
	bool dirty;                  /* to evaluate at the next update */
	bool started;                /* has clocks */
	bool changing;               /* a paused clock: projected from NOW */
	struct sla_entry *entry;     /* its results; NULL when none or inert */
};

/* A ticket's results, as sla_build_ticket() made them. */
struct sla_entry {
	struct sla_ticket t;
	struct sla_pack_clock *packs;
	struct sla_complaint *complaints;
	struct sla_rating *ratings;
	struct sla_praise *praises;  /* S15, on this ticket */
	size_t pack_count, complaint_count, rating_count, praise_count;
	struct sla_pause *pauses;    /* every clock's, one block */
};

struct sla_engine {
	const struct conf *conf;
	const struct calendar *cal;
	bool keep_inert;
	struct sla_intern intern;
	struct sla_build b;          /* per ticket: its team calendars */
	struct sla_result scratch;   /* one ticket's results */
	struct sla_arena_block *tk_blocks;
	struct sla_tk **map;         /* by key, open addressing */
	size_t map_cap, map_count;
	struct sla_tk **order;       /* by key, as the store orders tickets */
	size_t order_count, order_cap;
	struct sla_tk **added;       /* not yet merged into order */
	size_t added_count, added_cap;
	struct sla_tk **heap;        /* by due */
	size_t heap_count, heap_cap;
	struct sla_tk **dirty;
	size_t dirty_count, dirty_cap;
	struct event *recs;          /* the records, by ticket and time */
	size_t rcount, rcap;
	struct sla_arena_block *rblocks;
	bool recs_unsorted;
	int64_t last_id;
	bool loaded;
	size_t inert;                /* started, not kept (keep_inert off) */
	bool nomem;
	sla_engine_ticket_cb *cb;
	void *cb_ctx;
	int cb_ret;
	size_t evaluated;
};

static bool
sla_grow_ptrs(struct sla_tk ***arr, size_t *cap, size_t count)
{
	return sla_grow((void **)arr, cap, count, sizeof(**arr)) == 0;
}

static bool
sla_heap_less(const struct sla_engine *e, size_t i, size_t j)
{
	return e->heap[i]->due < e->heap[j]->due;
}

static void
sla_heap_swap(struct sla_engine *e, size_t i, size_t j)
{
	struct sla_tk *t = e->heap[i];

	e->heap[i] = e->heap[j];
	e->heap[j] = t;
	e->heap[i]->heap = (uint32_t)i;
	e->heap[j]->heap = (uint32_t)j;
}

static void
sla_heap_fix(struct sla_engine *e, size_t i)
{
	while (i > 0 && sla_heap_less(e, i, (i - 1) / 2)) {
		sla_heap_swap(e, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < e->heap_count && sla_heap_less(e, l, m))
			m = l;
		if (r < e->heap_count && sla_heap_less(e, r, m))
			m = r;
		if (m == i)
			return;
		sla_heap_swap(e, i, m);
		i = m;
	}
}

static void
sla_heap_remove(struct sla_engine *e, struct sla_tk *tk)
{
	size_t i = tk->heap;

	if (tk->heap == SLA_NOT_IN_HEAP)
		return;
	tk->heap = SLA_NOT_IN_HEAP;
	if (i == --e->heap_count)
		return;
	e->heap[i] = e->heap[e->heap_count];
	e->heap[i]->heap = (uint32_t)i;
	sla_heap_fix(e, i);
}

static void
sla_heap_set(struct sla_engine *e, struct sla_tk *tk, int64_t due)
{
	sla_heap_remove(e, tk);
	tk->due = due;
	if (due == 0)
		return;
	if (e->heap_count >= SLA_NOT_IN_HEAP ||
	    !sla_grow_ptrs(&e->heap, &e->heap_cap, e->heap_count)) {
		e->nomem = true;
		return;
	}
	tk->heap = (uint32_t)e->heap_count;
	e->heap[e->heap_count++] = tk;
	sla_heap_fix(e, tk->heap);
}

static void
sla_mark_dirty(struct sla_engine *e, struct sla_tk *tk)
{
	if (tk->dirty)
		return;
	if (!sla_grow_ptrs(&e->dirty, &e->dirty_cap, e->dirty_count)) {
		e->nomem = true;
		return;
	}
	tk->dirty = true;
	e->dirty[e->dirty_count++] = tk;
}

/* The ticket KEY, made (and queued to merge into the order) when new. */
static struct sla_tk *
sla_tk_get(struct sla_engine *e, const char *key, bool *created_r)
{
	size_t i, mask;
	struct sla_tk *tk;

	*created_r = false;
	if (e->map_count * 4 >= e->map_cap * 3) {
		size_t ncap = e->map_cap == 0 ? 1024 : e->map_cap * 2, j;
		struct sla_tk **nm = calloc(ncap, sizeof(*nm));

		if (nm == NULL) {
			e->nomem = true;
			return NULL;
		}
		for (j = 0; j < e->map_cap; j++)
			if (e->map[j] != NULL) {
				for (i = sla_hash(e->map[j]->key) & (ncap - 1); nm[i] != NULL;
				     i = (i + 1) & (ncap - 1))
					;
				nm[i] = e->map[j];
			}
		free(e->map);
		e->map = nm;
		e->map_cap = ncap;
	}
	mask = e->map_cap - 1;
	for (i = sla_hash(key) & mask; e->map[i] != NULL; i = (i + 1) & mask)
		if (strcmp(e->map[i]->key, key) == 0)
			return e->map[i];
	if ((tk = sla_arena_alloc(&e->tk_blocks, sizeof(*tk), &e->nomem)) == NULL)
		return NULL;
	memset(tk, 0, sizeof(*tk));
	tk->heap = SLA_NOT_IN_HEAP;
	if ((tk->key = sla_intern(&e->intern, key, &e->nomem)) == NULL)
		return NULL;
	e->map[i] = tk;
	e->map_count++;
	*created_r = true;
	return tk;
}

static void
sla_entry_free(struct sla_entry **entry)
{
	if (*entry == NULL)
		return;
	free((*entry)->packs);
	free((*entry)->complaints);
	free((*entry)->ratings);
	free((*entry)->praises);
	free((*entry)->pauses);
	free(*entry);
	*entry = NULL;
}

static void *
sla_memdup(const void *p, size_t size, bool *nomem)
{
	void *d;

	if (size == 0)
		return NULL;
	if ((d = malloc(size)) == NULL) {
		*nomem = true;
		return NULL;
	}
	memcpy(d, p, size);
	return d;
}

static size_t
sla_pauses_kept(const struct sla_clock *c)
{
	return c->pauses == NULL ? 0 : c->pause_count < SLA_PAUSES_MAX ?
		(size_t)c->pause_count : SLA_PAUSES_MAX;
}

/* Move the pauses C points to (in the scratch arena) to *AT. */
static void
sla_pauses_move(struct sla_clock *c, struct sla_pause **at)
{
	size_t n = sla_pauses_kept(c);

	if (n == 0)
		return;
	memcpy(*at, c->pauses, n * sizeof(**at));
	c->pauses = *at;
	*at += n;
}

/* The scratch result's one ticket as an entry the engine keeps. */
static struct sla_entry *
sla_entry_make(struct sla_engine *e)
{
	const struct sla_result *s = &e->scratch;
	struct sla_entry *en;
	struct sla_pause *at;
	size_t pauses = 0, i;
	int m;

	if ((en = calloc(1, sizeof(*en))) == NULL) {
		e->nomem = true;
		return NULL;
	}
	en->t = s->tickets[0];
	en->pack_count = s->pack_clock_count;
	en->complaint_count = s->complaint_count;
	en->rating_count = e->b.rating_count;
	en->praise_count = e->b.praise_count;
	en->packs = sla_memdup(s->pack_clocks, en->pack_count * sizeof(*en->packs), &e->nomem);
	en->complaints = sla_memdup(s->complaints, en->complaint_count * sizeof(*en->complaints),
				    &e->nomem);
	en->ratings = sla_memdup(e->b.ratings, en->rating_count * sizeof(*en->ratings),
				 &e->nomem);
	en->praises = sla_memdup(e->b.praises, en->praise_count * sizeof(*en->praises),
				 &e->nomem);
	for (m = 0; m < SLA_MILESTONE_COUNT; m++)
		pauses += sla_pauses_kept(&en->t.clocks[m]);
	for (i = 0; i < en->pack_count; i++)
		pauses += sla_pauses_kept(&en->packs[i].clock);
	if (pauses > 0 && (en->pauses = calloc(pauses, sizeof(*en->pauses))) == NULL)
		e->nomem = true;
	if (e->nomem) {
		sla_entry_free(&en);
		return NULL;
	}
	at = en->pauses;
	for (m = 0; m < SLA_MILESTONE_COUNT; m++)
		sla_pauses_move(&en->t.clocks[m], &at);
	for (i = 0; i < en->pack_count; i++)
		sla_pauses_move(&en->packs[i].clock, &at);
	return en;
}

/* When C's result changes by itself after NOW (0: only by new events),
   as notify_next() sees it: the reminder point, then the second after
   the deadline (met at the deadline is met). Sets *changing for a paused
   clock, whose deadline is projected from NOW. */
static int64_t
sla_clock_due(const struct sla_clock *c, int64_t now, bool remind, bool *changing)
{
	if (c->state != SLA_PENDING)
		return 0;
	if (c->paused) {
		*changing = true;
		return 0;
	}
	if (remind && c->remind_at > now)
		return c->remind_at;
	return c->deadline + 1;
}

static int64_t
sla_due_min(int64_t a, int64_t b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

/* Evaluate TK from its events EVS[0..N), keep what it gives, and tell
   the caller. */
static void
sla_engine_take(struct sla_engine *e, struct sla_tk *tk, const struct event *evs, size_t n)
{
	struct sla_result *s = &e->scratch;
	const struct sla_ticket *t = NULL;
	bool inert = true, changing = false, was_inert = tk->started && tk->entry == NULL;
	int64_t due = 0;
	size_t i;
	int m;

	s->ticket_count = s->pack_clock_count = s->complaint_count = 0;
	e->b.rating_count = 0;
	e->b.praise_count = 0;
	sla_arena_reset(&s->strings);
	e->b.last_kept = NULL;
	/* they point into the arena just reset */
	e->b.last_rdup = NULL;
	memset(e->b.agents, 0, sizeof(e->b.agents));
	sla_entry_free(&tk->entry);
	tk->started = n > 0 && sla_build_ticket(&e->b, evs, n);
	e->evaluated++;
	if (e->b.nomem) {
		e->nomem = true;
		return;
	}
	if (tk->started) {
		t = &s->tickets[0];
		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			due = sla_due_min(due, sla_clock_due(&t->clocks[m], e->b.now, true,
							     &changing));
			inert = inert && t->clocks[m].state == SLA_PENDING;
		}
		for (i = 0; i < s->pack_clock_count; i++) {
			due = sla_due_min(due, sla_clock_due(&s->pack_clocks[i].clock, e->b.now,
							     false, &changing));
			inert = inert && s->pack_clocks[i].clock.state == SLA_PENDING;
		}
		inert = inert && s->complaint_count == 0 && e->b.rating_count == 0 &&
			e->b.praise_count == 0;
		if (!inert || e->keep_inert)
			tk->entry = sla_entry_make(e);
	}
	if (was_inert)
		e->inert--;
	if (tk->started && tk->entry == NULL)
		e->inert++;
	tk->changing = changing;
	sla_heap_set(e, tk, due);
	if (e->cb != NULL && e->cb_ret == 0)
		e->cb_ret = e->cb(e->cb_ctx, tk->key, t);
}

static void
sla_engine_flush_full(struct sla_stream *s, void *ctx)
{
	struct sla_engine *e = ctx;
	struct sla_tk *tk;
	bool created;

	if ((tk = sla_tk_get(e, s->evs[0].ticket, &created)) == NULL) {
		s->stop = true;
		return;
	}
	/* the store gives the tickets in order: append */
	if (created) {
		if (!sla_grow_ptrs(&e->order, &e->order_cap, e->order_count)) {
			e->nomem = s->stop = true;
			return;
		}
		e->order[e->order_count++] = tk;
	}
	sla_engine_take(e, tk, s->evs, s->count);
	if (e->nomem || e->cb_ret != 0)
		s->stop = true;
}

static void
sla_engine_flush_one(struct sla_stream *s, void *ctx)
{
	(void)s;
	(void)ctx;		/* the caller evaluates after the walk */
}

static int
sla_engine_since_cb(void *ctx, const struct event *ev)
{
	struct sla_engine *e = ctx;
	struct sla_tk *tk;
	bool created;

	if (ev->id > e->last_id)
		e->last_id = ev->id;
	if ((tk = sla_tk_get(e, ev->ticket != NULL ? ev->ticket : "", &created)) == NULL)
		return 1;
	if (created) {
		if (!sla_grow_ptrs(&e->added, &e->added_cap, e->added_count)) {
			e->nomem = true;
			return 1;
		}
		e->added[e->added_count++] = tk;
	}
	sla_mark_dirty(e, tk);
	if (sla_is_record(ev)) {
		if (sla_event_keep(&e->recs, &e->rcount, &e->rcap, &e->rblocks, ev, &e->nomem) < 0)
			return 1;
		e->recs_unsorted = true;
	}
	return e->nomem ? 1 : 0;
}

static void
sla_engine_init(struct sla_engine *e, const struct conf *conf, const struct calendar *cal,
		bool keep_inert)
{
	memset(e, 0, sizeof(*e));
	e->conf = conf;
	e->cal = cal;
	e->keep_inert = keep_inert;
	sla_build_init(&e->b, conf, cal, 0, &e->scratch);
	e->b.intern = &e->intern;
}

int
sla_engine_new(const struct conf *conf, const struct calendar *cal, bool keep_inert,
	       struct sla_engine **engine_r, const char **error_r)
{
	struct sla_engine *e;

	if ((e = malloc(sizeof(*e))) == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	sla_engine_init(e, conf, cal, keep_inert);
	*engine_r = e;
	return 0;
}

/* Everything E holds, freed; E itself stays. */
static void
sla_engine_clear(struct sla_engine *e)
{
	size_t i;

	for (i = 0; i < e->map_cap; i++)
		if (e->map[i] != NULL)
			sla_entry_free(&e->map[i]->entry);
	free(e->map);
	free(e->order);
	free(e->added);
	free(e->heap);
	free(e->dirty);
	free(e->recs);
	sla_arena_free(&e->rblocks);
	sla_arena_free(&e->tk_blocks);
	sla_build_free(&e->b);
	sla_result_clear(&e->scratch);
	sla_intern_free(&e->intern);
}

void
sla_engine_free(struct sla_engine **engine)
{
	if (*engine == NULL)
		return;
	sla_engine_clear(*engine);
	free(*engine);
	*engine = NULL;
}

static int
sla_record_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	int c = strcmp(x->ticket, y->ticket);

	if (c != 0)
		return c;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
sla_tk_cmp(const void *a, const void *b)
{
	return strcmp((*(struct sla_tk *const *)a)->key, (*(struct sla_tk *const *)b)->key);
}

/* Merge the tickets made since into the order. */
static int
sla_engine_merge(struct sla_engine *e)
{
	struct sla_tk **merged;
	size_t i = 0, j = 0, k = 0, n = e->order_count + e->added_count;

	if (e->added_count == 0)
		return 0;
	qsort(e->added, e->added_count, sizeof(*e->added), sla_tk_cmp);
	if ((merged = malloc((n + 1) * sizeof(*merged))) == NULL)
		return -1;
	while (i < e->order_count || j < e->added_count)
		merged[k++] = j >= e->added_count ||
			(i < e->order_count && strcmp(e->order[i]->key, e->added[j]->key) < 0) ?
			e->order[i++] : e->added[j++];
	free(e->order);
	e->order = merged;
	e->order_count = e->order_cap = n;
	e->added_count = 0;
	return 0;
}

int
sla_engine_update(struct sla_engine *e, struct store *store, int64_t now,
		  sla_engine_ticket_cb *cb, void *ctx, size_t *evaluated_r,
		  const char **error_r)
{
	struct sla_stream s;
	size_t i, dirty;
	int ret = -1;

	memset(&s, 0, sizeof(s));
	e->b.now = now;
	e->cb = cb;
	e->cb_ctx = ctx;
	e->cb_ret = 0;
	e->evaluated = 0;
	if (!e->loaded) {
		/* everything, streamed by ticket */
		s.collect_records = true;
		s.flush = sla_engine_flush_full;
		s.ctx = e;
		if (store_events_foreach(store, sla_stream_cb, &s, error_r) < 0 &&
		    !s.nomem && !e->nomem && e->cb_ret == 0)
			goto out;
		sla_stream_flush(&s);
		if (s.nomem || e->nomem || e->cb_ret != 0)
			goto fail;
		e->last_id = s.max_id;
		e->recs = s.recs;
		e->rcount = s.rcount;
		e->rcap = s.rcap;
		e->rblocks = s.rblocks;
		s.recs = NULL;
		s.rblocks = NULL;
		e->loaded = true;
		ret = 0;
		goto out;
	}
	if (store_events_foreach_since(store, e->last_id, sla_engine_since_cb, e, error_r) < 0 &&
	    !e->nomem)
		goto out;
	while (!e->nomem && e->heap_count > 0 && e->heap[0]->due <= now) {
		struct sla_tk *tk = e->heap[0];

		sla_heap_remove(e, tk);
		tk->due = 0;
		sla_mark_dirty(e, tk);
	}
	if (e->nomem)
		goto fail;
	if (e->recs_unsorted && e->rcount > 1)
		qsort(e->recs, e->rcount, sizeof(*e->recs), sla_record_cmp);
	e->recs_unsorted = false;
	s.flush = sla_engine_flush_one;
	dirty = e->dirty_count;
	for (i = 0; i < dirty; i++) {
		struct sla_tk *tk = e->dirty[i];

		s.count = 0;
		sla_arena_reset(&s.blocks);
		if (store_events_foreach_ticket(store, tk->key, sla_stream_cb, &s, error_r) < 0 &&
		    !s.nomem)
			goto out;
		if (s.nomem)
			goto fail;
		tk->dirty = false;
		sla_engine_take(e, tk, s.evs, s.count);
		if (e->nomem)
			goto fail;
		if (e->cb_ret != 0) {
			*error_r = "stopped by the caller";
			goto out;
		}
	}
	/* what was dirty is done; a clock projected from NOW is again next time */
	e->dirty_count = 0;
	for (i = 0; i < dirty; i++)
		if (e->dirty[i]->changing)
			sla_mark_dirty(e, e->dirty[i]);
	if (e->nomem)
		goto fail;
	ret = 0;
	goto out;
fail:
	*error_r = "out of memory evaluating clocks";
out:
	if (ret < 0 && e->dirty_count > 0) {
		/* left dirty: evaluated again at the next update */
		size_t k = 0;

		for (i = 0; i < e->dirty_count; i++)
			if (e->dirty[i]->dirty)
				e->dirty[k++] = e->dirty[i];
		e->dirty_count = k;
	}
	if (ret < 0 && !e->loaded) {
		/* half read: start again from nothing next time */
		const struct conf *conf = e->conf;
		const struct calendar *cal = e->cal;
		bool keep = e->keep_inert;

		sla_engine_clear(e);
		sla_engine_init(e, conf, cal, keep);
	}
	if (evaluated_r != NULL)
		*evaluated_r = e->evaluated;
	sla_stream_free(&s);
	e->cb = NULL;
	return ret;
}

int
sla_engine_result(struct sla_engine *e, struct sla_result *result, const char **error_r)
{
	struct sla_build b;
	size_t i, nt = 0, np = 0, nc = 0, nr = 0, npr = 0;

	memset(result, 0, sizeof(*result));
	if (sla_engine_merge(e) < 0) {
		*error_r = "out of memory evaluating clocks";
		return -1;
	}
	for (i = 0; i < e->order_count; i++) {
		const struct sla_entry *en = e->order[i]->entry;

		if (en == NULL)
			continue;
		nt++;
		np += en->pack_count;
		nc += en->complaint_count;
		nr += en->rating_count;
		npr += en->praise_count;
	}
	sla_build_init(&b, e->conf, e->cal, e->b.now, result);
	b.tcap = nt;
	b.kcap = np;
	b.ccap = nc;
	b.rcap = nr;
	b.praise_cap = npr;
	if ((nt > 0 && (result->tickets = malloc(nt * sizeof(*result->tickets))) == NULL) ||
	    (np > 0 && (result->pack_clocks = malloc(np * sizeof(*result->pack_clocks))) == NULL) ||
	    (nc > 0 && (result->complaints = malloc(nc * sizeof(*result->complaints))) == NULL) ||
	    (nr > 0 && (b.ratings = malloc(nr * sizeof(*b.ratings))) == NULL) ||
	    (npr > 0 && (b.praises = malloc(npr * sizeof(*b.praises))) == NULL))
		b.nomem = true;
	for (i = 0; i < e->order_count && !b.nomem; i++) {
		const struct sla_entry *en = e->order[i]->entry;

		if (en == NULL)
			continue;
		result->tickets[result->ticket_count++] = en->t;
		/* most have none: their arrays are NULL */
		if (en->pack_count > 0)
			memcpy(result->pack_clocks + result->pack_clock_count, en->packs,
			       en->pack_count * sizeof(*en->packs));
		result->pack_clock_count += en->pack_count;
		if (en->complaint_count > 0)
			memcpy(result->complaints + result->complaint_count, en->complaints,
			       en->complaint_count * sizeof(*en->complaints));
		result->complaint_count += en->complaint_count;
		if (en->rating_count > 0)
			memcpy(b.ratings + b.rating_count, en->ratings,
			       en->rating_count * sizeof(*en->ratings));
		b.rating_count += en->rating_count;
		if (en->praise_count > 0)
			memcpy(b.praises + b.praise_count, en->praises,
			       en->praise_count * sizeof(*en->praises));
		b.praise_count += en->praise_count;
	}
	sla_build_aggregate(&b, e->recs, e->rcount);
	sla_build_free(&b);
	if (b.nomem) {
		sla_result_clear(result);
		*error_r = "out of memory evaluating clocks";
		return -1;
	}
	return 0;
}

int64_t
sla_result_valid_until(const struct sla_result *r, int64_t now)
{
	bool changing = false;
	int64_t until = 0;
	size_t i;
	int m;

	for (i = 0; i < r->ticket_count; i++)
		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &r->tickets[i].clocks[m];

			/* a reminder is counted once its point has passed */
			if (c->remind_at > now)
				until = sla_due_min(until, c->remind_at);
			until = sla_due_min(until, sla_clock_due(c, now, false, &changing));
		}
	for (i = 0; i < r->pack_clock_count; i++)
		until = sla_due_min(until, sla_clock_due(&r->pack_clocks[i].clock, now, false,
							 &changing));
	return changing ? now : until;
}

int64_t
sla_engine_next(const struct sla_engine *e)
{
	return e->heap_count > 0 ? e->heap[0]->due : 0;
}

size_t
sla_engine_inert(const struct sla_engine *e)
{
	return e->inert;
}

bool
sla_engine_loaded(const struct sla_engine *e)
{
	return e->loaded;
}

int
sla_ticket_breaches_put(struct store *store, const struct calendar *cal,
			const struct sla_ticket *t, const char **error_r)
{
	int m;

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
			return -1;
	}
	return 0;
}

int
sla_proposals_put(struct store *store, const struct sla_result *result, const char **error_r)
{
	size_t i;

	for (i = 0; i < result->proposal_count; i++) {
		const struct sla_proposal *p = &result->proposals[i];
		struct store_proposal sp = {
			.key = p->key, .agent = p->agent, .rule = p->rule,
			.month = p->month, .unit = sla_unit_name(p->unit),
			.amount = p->reward ? -p->pct : p->pct, .state = p->state,
			.reason = p->tickets,
		};

		if (store_proposal_put(store, &sp, error_r) < 0)
			return -1;
	}
	return 0;
}

int
sla_persist(struct store *store, const struct calendar *cal,
	    const struct sla_result *result, const char **error_r)
{
	const char *ignored;
	size_t i;

	if (store_begin(store, error_r) < 0)
		return -1;
	if (store_derived_clear(store, error_r) < 0)
		goto fail;
	for (i = 0; i < result->ticket_count; i++)
		if (sla_ticket_breaches_put(store, cal, &result->tickets[i], error_r) < 0)
			goto fail;
	if (sla_proposals_put(store, result, error_r) < 0)
		goto fail;
	return store_commit(store, error_r);
fail:
	(void)store_rollback(store, &ignored);
	return -1;
}
