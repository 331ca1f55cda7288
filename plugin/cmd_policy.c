/* cmd_policy - decisions, records, explain and recompute for the CLI. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cmd_policy.h"
#include "conf.h"
#include "sla.h"
#include "store.h"

#define CMD_POLICY_SOURCE "slaclock:cli"

/* The proposal ID names: its key, or the one key it begins. */
static const struct sla_proposal *
cmd_policy_find(const struct sla_result *r, const char *id, const char **error_r)
{
	const struct sla_proposal *found = NULL;
	size_t i, len = strlen(id);

	if ((found = sla_result_proposal(r, id)) != NULL)
		return found;
	for (i = 0; i < r->proposal_count; i++) {
		if (strncmp(r->proposals[i].key, id, len) != 0)
			continue;
		if (found != NULL) {
			*error_r = "more than one proposal key starts with that; give more of it";
			return NULL;
		}
		found = &r->proposals[i];
	}
	if (found == NULL)
		*error_r = "no such proposal (see the keys in `slaclock report`)";
	return found;
}

static int
cmd_policy_check_text(const char *by, const char *note, const char **error_r)
{
	if (by == NULL || by[0] == '\0' || strlen(by) > CMD_POLICY_NAME_MAX) {
		*error_r = "--by NAME is required (at most 320 bytes)";
		return -1;
	}
	if (note != NULL && strlen(note) > CMD_POLICY_NOTE_MAX) {
		*error_r = "--note is longer than 1024 bytes";
		return -1;
	}
	return 0;
}

static unsigned long
cmd_policy_hash(const char *s)
{
	unsigned long h = 5381;

	for (; *s != '\0'; s++)
		h = (h * 33u ^ (unsigned char)*s) & 0xffffffffu;
	return h;
}

/* Append the record ATTRS as an event on TICKET at NOW. */
static int
cmd_policy_put(struct store *store, const char *ticket, const char *by, int64_t now,
	       json_t *attrs, const char **error_r)
{
	struct event ev;
	char *text, *xid = NULL;
	int ret = -1;

	if (attrs == NULL || (text = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	if (strlen(text) >= EVENT_ATTRS_MAX) {
		*error_r = "record too long";
		goto out;
	}
	/* one record per ticket, second and content: a retried command adds nothing */
	if (asprintf(&xid, "%.900s@%lld#%08lx", ticket, (long long)now,
		     cmd_policy_hash(text)) < 0) {
		xid = NULL;
		*error_r = "out of memory";
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.source = CMD_POLICY_SOURCE;
	ev.external_id = xid;
	ev.ticket = ticket;
	ev.time = now;
	ev.actor = by;
	ev.kind = EVENT_STATUS;
	ev.attrs = text;
	ret = store_event_insert(store, &ev, NULL, error_r);
out:
	free(xid);
	free(text);
	return ret;
}

/* The calendar appeals of AGENT are counted on: the team's (as the engine
   does, sla.c), opened into *own when it is a [calendar NAME]; NULL when
   that calendar cannot be opened. */
static const struct calendar *
cmd_policy_agent_cal(const struct conf *conf, const struct calendar *cal, const char *agent,
		     struct calendar **own)
{
	const struct conf_team *team = NULL;
	const char *ignored;
	size_t i;

	if (strncmp(agent, "team:", 5) == 0) {
		for (i = 0; i < conf->team_count; i++)
			if (strcmp(conf->teams[i].name, agent + 5) == 0)
				team = &conf->teams[i];
	} else
		team = conf_agent_team(conf, agent);
	if (team == NULL || team->calendar < 0 || (size_t)team->calendar >= conf->calendar_count)
		return cal;
	if (calendar_new(&conf->calendars[team->calendar].cal, own, &ignored) < 0)
		return NULL;
	return *own;
}

static int
cmd_policy_fresh(const struct conf *conf, const struct calendar *cal, struct store *store,
		 int64_t now, struct sla_result *r, const char **error_r)
{
	if (sla_evaluate(conf, cal, store, now, r, error_r) < 0)
		return -1;
	if (sla_persist(store, cal, r, error_r) < 0) {
		sla_result_clear(r);
		return -1;
	}
	return 0;
}

/* What every decision and mark starts with: the text checked, a fresh
   evaluation into *R, the proposal ID in it. The proposal (clear *R), or
   NULL with *error_r (nothing to clear). */
static const struct sla_proposal *
cmd_policy_proposal(const struct conf *conf, const struct calendar *cal,
		    struct store *store, const char *id, const char *by, const char *note,
		    int64_t now, struct sla_result *r, const char **error_r)
{
	const struct sla_proposal *p;

	if (cmd_policy_check_text(by, note, error_r) < 0)
		return NULL;
	if (cmd_policy_fresh(conf, cal, store, now, r, error_r) < 0)
		return NULL;
	if ((p = cmd_policy_find(r, id, error_r)) == NULL)
		sla_result_clear(r);
	return p;
}

int
cmd_policy_decide(const struct conf *conf, const struct calendar *cal,
		  struct store *store, const char *id, const char *decision,
		  const char *by, const char *note, int64_t now, FILE *out,
		  const char **error_r)
{
	return cmd_policy_decide_amount(conf, cal, store, id, decision, by, note, -1, now,
					out, error_r);
}

/* Whether AMOUNT (-1: none) may go with DECISION on P; *error_r if not. */
static int
cmd_policy_check_amount(const struct sla_proposal *p, const char *decision, int amount,
			const char **error_r)
{
	static char msg[160];

	if (amount >= 0 && p->amount_max == 0) {
		*error_r = "--amount: this proposal has a fixed amount, not a range";
		return -1;
	}
	if (amount >= 0 && strcmp(decision, "approved") != 0) {
		*error_r = "--amount is taken on approve only (the approver fixes it)";
		return -1;
	}
	if (amount >= 0 && (amount < p->amount_min || amount > p->amount_max)) {
		snprintf(msg, sizeof(msg), "--amount %d is outside the proposal's range %d..%d %s",
			 amount, p->amount_min, p->amount_max, sla_unit_name(p->unit));
		*error_r = msg;
		return -1;
	}
	if (amount < 0 && p->amount_max > 0 && !p->fixed &&
	    (strcmp(decision, "approved") == 0 || strcmp(decision, "executed") == 0)) {
		snprintf(msg, sizeof(msg), "this proposal is a range, %d..%d %s: approve it with "
			 "--amount N", p->amount_min, p->amount_max, sla_unit_name(p->unit));
		*error_r = msg;
		return -1;
	}
	return 0;
}

int
cmd_policy_decide_amount(const struct conf *conf, const struct calendar *cal,
			 struct store *store, const char *id, const char *decision,
			 const char *by, const char *note, int amount, int64_t now,
			 FILE *out, const char **error_r)
{
	const struct sla_proposal *p;
	struct sla_result r;
	char ticket[SLA_KEY_MAX + 16], when[20];
	json_t *attrs;
	int ret = -1;

	if ((p = cmd_policy_proposal(conf, cal, store, id, by, note, now, &r, error_r)) == NULL)
		return -1;
	if (!sla_decision_allowed(p->state, decision)) {
		*error_r = "that decision cannot follow the proposal's state "
			"(proposed -> reviewed -> approved -> executed; rejected before executed)";
		goto out;
	}
	if (cmd_policy_check_amount(p, decision, amount, error_r) < 0)
		goto out;
	snprintf(ticket, sizeof(ticket), "%s%s", SLA_PROPOSAL_TICKET_PREFIX, p->key);
	/* the basis the person decided on, so a recompute can tell a change */
	attrs = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
			  "record", "decision", "key", p->key, "state", decision, "by", by,
			  "note", note != NULL ? note : "", "rule", p->rule, "agent", p->agent,
			  "month", p->month, "amount", p->pct, "unit", sla_unit_name(p->unit));
	if (attrs != NULL)
		json_object_set_new(attrs, "reason", json_string(p->tickets));
	if (attrs != NULL && p->amount_max > 0) {
		/* the range is part of the basis; the chosen amount is the decision */
		json_object_set_new(attrs, "amount_min", json_integer(p->amount_min));
		json_object_set_new(attrs, "amount_max", json_integer(p->amount_max));
		if (amount >= 0)
			json_object_set_new(attrs, "fixed", json_integer(amount));
	}
	if (store_begin(store, error_r) < 0) {
		json_decref(attrs);
		goto out;
	}
	if (cmd_policy_put(store, ticket, by, now, attrs, error_r) < 0 ||
	    store_proposal_state_set(store, p->key, decision, by, now, error_r) < 0) {
		const char *ignored;

		json_decref(attrs);
		(void)store_rollback(store, &ignored);
		goto out;
	}
	json_decref(attrs);
	if (store_commit(store, error_r) < 0)
		goto out;
	calendar_format(cal, now, when);
	if (p->amount_max > 0 && amount < 0 && !p->fixed)
		fprintf(out, "%s %s: %s -> %s by %s at %s (%s, %c%d..%d %s, not fixed yet)\n",
			p->rule, p->key, p->state, decision, by, when, p->agent,
			p->reward ? '+' : '-', p->amount_min, p->amount_max,
			sla_unit_name(p->unit));
	else
		fprintf(out, "%s %s: %s -> %s by %s at %s (%s, %c%d %s)\n", p->rule, p->key,
			p->state, decision, by, when, p->agent, p->reward ? '+' : '-',
			amount >= 0 ? amount : p->pct, sla_unit_name(p->unit));
	ret = 0;
out:
	sla_result_clear(&r);
	return ret;
}

int
cmd_policy_mark(const struct conf *conf, const struct calendar *cal,
		struct store *store, const char *id, const char *what,
		const char *by, const char *note, int64_t now, FILE *out,
		const char **error_r)
{
	const struct conf_policy *pol = &conf->policy;
	const struct sla_proposal *p;
	struct sla_result r;
	char ticket[SLA_KEY_MAX + 16], due[20];
	const struct calendar *team_cal;
	struct calendar *own = NULL;
	json_t *attrs;
	int ret = -1;

	if ((p = cmd_policy_proposal(conf, cal, store, id, by, note, now, &r, error_r)) == NULL)
		return -1;
	if (strcmp(what, "appeal") == 0 && p->notified_at == 0) {
		*error_r = "the agent was not notified of this proposal yet (slaclock notify)";
		goto out;
	}
	snprintf(ticket, sizeof(ticket), "%s%s", SLA_PROPOSAL_TICKET_PREFIX, p->key);
	attrs = json_pack("{s:s, s:s, s:s, s:s}", "record", what, "key", p->key, "by", by,
			  "note", note != NULL ? note : "");
	ret = cmd_policy_put(store, ticket, by, now, attrs, error_r);
	json_decref(attrs);
	if (ret < 0)
		goto out;
	if ((team_cal = cmd_policy_agent_cal(conf, cal, p->agent, &own)) == NULL) {
		*error_r = "cannot open the team's calendar";
		ret = -1;
		goto out;
	}
	if (strcmp(what, "notified") == 0) {
		calendar_format(team_cal, calendar_add_working_days(team_cal, now,
								    pol->appeal_window_days), due);
		fprintf(out, "%s: notified; appeal window %d working days, until %s\n",
			p->key, pol->appeal_window_days, due);
	} else {
		int64_t by_t = calendar_add_working_days(team_cal, p->notified_at,
							 pol->appeal_window_days);

		calendar_format(team_cal, calendar_add_working_days(team_cal, now,
								    pol->appeal_reply_days), due);
		fprintf(out, "%s: appeal filed%s; reply due within %d working days, by %s\n",
			p->key, now > by_t ? " LATE (after the appeal window)" : "",
			pol->appeal_reply_days, due);
	}
out:
	calendar_free(&own);
	sla_result_clear(&r);
	return ret;
}

/* A missed training (S14.6) and a praise (S15) are about an agent, not a
   ticket: both records go on the agent's pseudo-ticket (see sla.h). */
static int
cmd_policy_agent_record(const struct conf *conf, struct store *store, const char *record,
			const char *agent, const char *by, const char *note, int64_t now,
			const char **error_r)
{
	char ticket[EVENT_ACTOR_MAX + 16];
	json_t *attrs;
	int ret;

	if (cmd_policy_check_text(by, note, error_r) < 0)
		return -1;
	if (conf_agent_team(conf, agent) == NULL) {
		*error_r = "not an agent of any team";
		return -1;
	}
	snprintf(ticket, sizeof(ticket), "%s%s", SLA_AGENT_TICKET_PREFIX, agent);
	attrs = json_pack("{s:s, s:s, s:s, s:s}", "record", record, "agent", agent,
			  "by", by, "note", note != NULL ? note : "");
	ret = cmd_policy_put(store, ticket, by, now, attrs, error_r);
	json_decref(attrs);
	return ret < 0 ? -1 : 0;
}

int
cmd_policy_training_missed(const struct conf *conf, const struct calendar *cal,
			   struct store *store, const char *agent, const char *by,
			   const char *note, int64_t now, FILE *out,
			   const char **error_r)
{
	char when[20];

	if (cmd_policy_agent_record(conf, store, "training_missed", agent, by, note, now,
				    error_r) < 0)
		return -1;
	calendar_format(cal, now, when);
	fprintf(out, "S14.6: %s missed a training (recorded by %s at %s); -%d%% proposed\n",
		agent, by, when, conf->policy.training_deduction_pct);
	return 0;
}

int
cmd_policy_praise(const struct conf *conf, const struct calendar *cal,
		  struct store *store, const char *agent, const char *by,
		  const char *note, int64_t now, FILE *out, const char **error_r)
{
	char when[20];

	if (cmd_policy_agent_record(conf, store, "praise", agent, by, note, now, error_r) < 0)
		return -1;
	calendar_format(cal, now, when);
	fprintf(out, "S15: a customer praise of %s recorded by %s at %s%s\n", agent, by, when,
		conf_pack_enabled(conf, CONF_PACK_S15) ? "" :
		" (pack S15 is off: counted once it is on)");
	return 0;
}

struct explain_ctx {
	const char *ticket;
	const struct calendar *cal;
	FILE *out;
	int count;
};

static int
explain_cb(void *ctx, const struct event *ev)
{
	struct explain_ctx *x = ctx;
	char when[20];

	if (strcmp(ev->ticket, x->ticket) != 0)
		return 0;
	calendar_format(x->cal, ev->time, when);
	fprintf(x->out, "  %s  %-18s %-30s %s\n", when, event_kind_name(ev->kind), ev->actor,
		ev->attrs != NULL ? ev->attrs : "");
	x->count++;
	return 0;
}

static const char *const explain_states[] = { "pending", "met", "MISSED" };

static void
explain_clock(FILE *out, const struct calendar *cal, const char *rule, const char *name,
	      const struct sla_clock *c, const char *charge_rule)
{
	char t1[20], t2[20], t3[20], t4[20] = "-";
	int i;

	calendar_format(cal, c->started_at, t1);
	calendar_format(cal, c->remind_at, t2);
	calendar_format(cal, c->deadline, t3);
	if (c->stopped_at != 0)
		calendar_format(cal, c->stopped_at, t4);
	fprintf(out, "  %-7s %s\n", rule, name);
	fprintf(out, "          start %s  target %llds  reminder %s%s\n", t1,
		(long long)c->target_secs, t2, c->reopen_count > 0 ? "  (restarted by reopen)" : "");
	for (i = 0; i < c->pause_count && i < SLA_PAUSES_MAX; i++) {
		char f[20], to[20] = "now";

		calendar_format(cal, c->pauses[i].from, f);
		if (c->pauses[i].to != 0)
			calendar_format(cal, c->pauses[i].to, to);
		fprintf(out, "          paused %s .. %s\n", f, to);
	}
	if (c->pause_count > SLA_PAUSES_MAX)
		fprintf(out, "          (%d more pauses)\n", c->pause_count - SLA_PAUSES_MAX);
	fprintf(out, "          deadline %s%s  stopped %s%s%s\n", t3,
		c->paused ? " (projected: paused now)" : "", t4, c->stop[0] ? " by " : "",
		c->stop);
	fprintf(out, "          result %s, %s %s%s%s\n", explain_states[c->state],
		c->state == SLA_MISSED ? "charged to" : "owner",
		c->agent[0] != '\0' ? c->agent : "(unassigned)",
		c->state == SLA_MISSED && charge_rule != NULL ? " by " : "",
		c->state == SLA_MISSED && charge_rule != NULL ? charge_rule : "");
}

int
cmd_policy_explain(const struct conf *conf, const struct calendar *cal,
		   struct store *store, const char *ticket, int64_t now,
		   FILE *out, const char **error_r)
{
	static const char *const charge_rules[SLA_MILESTONE_COUNT] = {
		"S14.1w (one warning; S14.1s counts the run)",
		"S14.2d (by severity)", "S14.2d (by severity)",
	};
	struct explain_ctx x = { .ticket = ticket, .cal = cal, .out = out };
	struct sla_result r;
	size_t i;
	int m;

	fprintf(out, "ticket %s\ntimeline (%s)\n", ticket, conf->calendar.timezone);
	if (store_events_foreach(store, explain_cb, &x, error_r) < 0)
		return -1;
	if (x.count == 0)
		return 1;
	if (sla_evaluate(conf, cal, store, now, &r, error_r) < 0)
		return -1;
	for (i = 0; i < r.ticket_count; i++) {
		const struct sla_ticket *t = &r.tickets[i];

		if (strcmp(t->ticket, ticket) != 0)
			continue;
		fprintf(out, "clocks (started at the first customer message; priority %s; team %s)\n",
			severity_name(t->severity), t->team[0] ? t->team : "-");
		for (m = 0; m < SLA_MILESTONE_COUNT; m++)
			explain_clock(out, cal, sla_milestone_rule((enum sla_milestone)m),
				      sla_milestone_name((enum sla_milestone)m), &t->clocks[m],
				      charge_rules[m]);
	}
	for (i = 0; i < r.pack_clock_count; i++)
		if (strcmp(r.pack_clocks[i].ticket, ticket) == 0)
			explain_clock(out, cal, r.pack_clocks[i].rule, "pack clock",
				      &r.pack_clocks[i].clock, r.pack_clocks[i].rule);
	fputs("complaints\n", out);
	for (i = 0, m = 0; i < r.complaint_count; i++)
		if (strcmp(r.complaints[i].ticket, ticket) == 0) {
			fprintf(out, "  %s %s about %s (%s)\n", r.complaints[i].cause,
				sla_complaint_state_name(r.complaints[i].state),
				r.complaints[i].agent, r.complaints[i].quarter);
			m++;
		}
	if (m == 0)
		fputs("  none\n", out);
	fputs("warnings\n", out);
	for (i = 0, m = 0; i < r.warning_count; i++)
		if (strcmp(r.warnings[i].ticket, ticket) == 0) {
			fprintf(out, "  %s %s\n", r.warnings[i].rule, r.warnings[i].agent);
			m++;
		}
	if (m == 0)
		fputs("  none\n", out);
	fputs("proposals naming it\n", out);
	for (i = 0, m = 0; i < r.proposal_count; i++) {
		const struct sla_proposal *p = &r.proposals[i];

		if (strstr(p->tickets, ticket) == NULL)
			continue;
		fprintf(out, "  %s %s %c%d %s  %s%s\n    key %s\n", p->rule, p->agent,
			p->reward ? '+' : '-', p->pct, sla_unit_name(p->unit), p->state,
			p->basis_changed ? " BASIS CHANGED" : "", p->key);
		m++;
	}
	if (m == 0)
		fputs("  none\n", out);
	sla_result_clear(&r);
	return 0;
}

int
cmd_policy_recompute(const struct conf *conf, const struct calendar *cal,
		     struct store *store, int64_t now, FILE *out,
		     const char **error_r)
{
	struct sla_result r;
	size_t i, kept = 0, changed = 0;

	if (cmd_policy_fresh(conf, cal, store, now, &r, error_r) < 0)
		return -1;
	for (i = 0; i < r.proposal_count; i++) {
		const struct sla_proposal *p = &r.proposals[i];

		if (strcmp(p->state, "proposed") == 0)
			continue;
		kept++;
		if (!p->basis_changed)
			continue;
		changed++;
		fprintf(out, "basis changed: %s %s (%s by %s)%s\n", p->rule, p->key, p->state,
			p->decided_by, p->orphaned ? ": no longer proposed" : "");
	}
	fprintf(out, "recomputed %zu tickets, %zu proposals; %zu decisions kept, %zu with a "
		"changed basis\n", r.ticket_count, r.proposal_count, kept, changed);
	sla_result_clear(&r);
	return 0;
}
