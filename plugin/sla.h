/* sla - the SLA engine: clocks per ticket, breaches, charges, streaks and
 * deductions, computed from the stored events.
 *
 * Per ticket, three clocks start at the first customer message (the
 * earliest one; auto-replies, bounces and notes never start or stop one):
 *
 *   S14.1  first_response        stopped by the first public agent reply
 *   S14.2p preliminary_solution  stopped by a preliminary-solution event
 *                                (or by the resolution: a solved ticket has
 *                                had its solution)
 *   S14.2r resolution            stopped by a resolved event
 *
 * A clock is met when stopped at or before its deadline (inclusive: 30:00
 * meets, 30:01 misses). A missed clock is charged to the ticket's owner at
 * the deadline (or at the start, by setting). The owner at time T is the
 * agent of the latest assign event at or before T, else the last agent who
 * replied at or before T, else the default agent of the ticket's team.
 * A clock nobody owns (none of those) is charged to "" ("(unassigned)" in
 * the tallies): it counts as a ticket and a warning, but no proposal or
 * flag, reward or deduction, is ever made for "".
 *
 * S14.1w  each first-response miss is one warning.
 * S14.1s  an agent's decided first-response clocks, ordered by deadline:
 *         streak_length misses in a row propose one -streak_deduction_pct%
 *         of the month's score, booked to the month of the last miss. A met
 *         clock resets the streak; so does firing (by setting), and the month
 *         boundary (by setting).
 * S14.2d  a 24 h or 72 h miss proposes -severity_pct% (by the ticket's
 *         priority); the two stack up to ticket_cap_pct per ticket, or only
 *         the first counts when stacking is off.
 *
 * Every result is booked to the local month of its deadline.
 *
 * Pauses: while the ticket's status is one of pause_statuses (none by
 * default) no clock counts; a status outside the list, or a customer
 * message, resumes them. A paused pending clock's deadline is projected as
 * if it resumed at NOW. Reopen: a "reopened" status after a met resolution
 * restarts the resolution clock with the full target (a miss already
 * booked stays booked). A status in solved_statuses stops it, as a
 * resolved event does. remind_at is when warn_at% of the target has been
 * counted: a reminder is due while the clock is pending at or after it;
 * reminders are not warnings and are never counted as such.
 *
 * Beyond the clocks (issue 7):
 * S14.3   quarterly satisfaction per agent and per team (satisfied ÷
 *         responses, integers: exactly the target is no miss) below the
 *         target proposes -satisfaction_deduction% of the QUARTER's score
 *         (unit pct_quarter_score, booked to the quarter's last month) and a
 *         training flag. A rating is the agent's who owned the ticket then.
 * S14.4   a verified attitude complaint proposes -attitude_deduction% of
 *         the month's score (month of the complaint) and a training flag.
 *         Complaints: {"cause":…} opens one (received), {"state":"verifying"},
 *         {"verified":true|false} decides it; "id" tells several apart on one
 *         ticket, "agent" names who it is about (else the owner then).
 * S14.5   feedback not handled (no agent note/reply, no {"handled":true})
 *         within feedback_within is a warning; feedback_streak_length such
 *         misses in a row propose -feedback_deduction%.
 * S14.6   a lead's record {"record":"training_missed","agent":…} (a status
 *         event, see sla_record_*) proposes -training_deduction%.
 * Packs (pack = S14, S4, …): S4 same-cause review flag; S9 wage ladder and
 * rewards; S1 parts clocks in yuan; G16 severity reply clocks and
 * escalation flags; G20 monthly score and downgrade flag; T17 points;
 * W1 working-day clocks and KPI flags. See slaclock.conf(5).
 * Added to the packs (issue 7):
 * S9.c/e  a run of verified complaints (service errors apart) of an agent
 *         in a month is one proposal of the ladder step its length reached
 *         (seed 000 L327: two in a row 10%, not 5 + 10), or each its own
 *         step (cumulative); a met resolution in between ends the run.
 * S1      penalties (S1.r, S1.s) and rewards (S1.w: a month of parts
 *         clocks all met) are yuan RANGES (amount_min..amount_max, pct 0)
 *         until an approver fixes the amount ("fixed" in the decision).
 * T17.r   the month's top three by T17 points, then first responses met,
 *         earn +5/+3/+1 points; equals share a place.
 * G20.y   a bonus flag per agent and year: every month's score at or
 *         above bonus_threshold, or the month that was not.
 * S15     the praises-th customer praise (EVENT_PRAISE, or a lead's
 *         {"record":"praise"}) in a calendar year flags a 优秀个人 candidate.
 * What is booked to an agent (warnings, proposals, flags, complaints and
 * ratings) falls in the months and quarters of the agent's team calendar's
 * zone, and appeal windows count that calendar's working days.
 *
 * Decisions on proposals are events too (ticket "proposal:KEY", see
 * sla_decision_attrs()), so the engine knows each proposal's state, who
 * decided and when, the appeal window, and whether the basis the decision
 * was taken on has changed since (basis_changed) or is gone (orphaned).
 */
#ifndef SLACLOCK_SLA_H
#define SLACLOCK_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "event.h"

struct calendar;
struct store;

enum sla_milestone {
	SLA_FIRST_RESPONSE = 0,
	SLA_PRELIMINARY,
	SLA_RESOLUTION,
	SLA_MILESTONE_COUNT
};

enum sla_state {
	SLA_PENDING = 0,   /* not stopped, deadline not passed yet */
	SLA_MET,
	SLA_MISSED,        /* stopped late, or deadline passed unstopped */
};

#define SLA_PAUSES_MAX 8        /* pauses kept per clock for explain */
#define SLA_RULE_MAX 16
#define SLA_REASON_MAX 256

struct sla_pause {
	int64_t from;
	int64_t to;                /* 0 while still paused */
};

struct sla_clock {
	enum sla_state state;
	int64_t deadline;
	int64_t stopped_at;        /* 0 when not stopped */
	const char *agent;         /* responsible: charged on a miss, credited on a
				      met; "" when nobody; owned by the result */
	/* added (issue 7) */
	int64_t started_at;        /* the ticket's start, or the reopen that restarted it */
	int64_t target_secs;
	int64_t remind_at;         /* warn_at% counted: remind while pending from then */
	bool paused;               /* pending and paused now (deadline projected) */
	int pause_count;           /* all of them; the first SLA_PAUSES_MAX below */
	int reopen_count;
	/* the first min(pause_count, SLA_PAUSES_MAX) pauses, NULL when none;
	   owned by the result (pauses are rare: no fixed array per clock) */
	const struct sla_pause *pauses;
	const char *stop;          /* what stopped it: "agent_reply", "status solved";
				      "" while running; a static string */
};

/* A pack's own clock on a ticket (S1, G16, W1) or an S14.5 feedback. */
struct sla_pack_clock {
	const char *ticket;        /* owned by the result */
	const char *rule;          /* "S14.5", "S1.r", "S1.s", "G16", "W1.a", "W1.s";
				      a static string */
	struct sla_clock clock;
};

/* Compact (no fixed arrays): one is kept per ticket, and a store holds
   hundreds of thousands of them. */
struct sla_ticket {
	const char *ticket;        /* owned by the result */
	int64_t start;
	enum severity severity;
	const char *team;          /* "" when none; owned by the result */
	struct sla_clock clocks[SLA_MILESTONE_COUNT];
};

/* Units are never mixed: every amount carries its own. */
enum sla_unit {
	SLA_UNIT_PCT_MONTH = 0,       /* % of the month's performance score */
	SLA_UNIT_PCT_QUARTER,         /* % of the quarter's performance score */
	SLA_UNIT_PCT_WAGE,            /* % of the month's wage (S9) */
	SLA_UNIT_YUAN,                /* S1 */
	SLA_UNIT_POINTS,              /* T17 */
	SLA_UNIT_PCT_BONUS,           /* % of the month's bonus (T17 bands) */
	SLA_UNIT_COUNT
};

/* What the strings of a proposal held when they were fixed arrays: they
   are cut to these lengths still (so keys and reasons do not change). */
#define SLA_KEY_MAX (EVENT_ID_MAX + EVENT_ACTOR_MAX + 32)
#define SLA_TICKETS_MAX EVENT_ID_MAX
#define SLA_STATE_MAX 16

/* A deduction (or other sanction) proposed for a person to approve.
   Compact (no fixed arrays): the strings point into the result (its
   arena) or are static, never NULL; a store's month can hold hundreds of
   thousands of proposals. */
struct sla_proposal {
	const char *key;              /* stable: rule, agent, last ticket */
	const char *agent;            /* or "team:NAME" for a team's (S14.3) */
	const char *rule;             /* "S14.1s", "S14.2d", "S14.3", ... */
	char month[8];                /* booked to; a quarter's: its last month */
	int pct;                      /* the amount, in UNIT (name kept from when all were %) */
	const char *tickets;          /* the tickets involved, for the reader */
	/* added (issue 7) */
	enum sla_unit unit;
	bool reward;                  /* added to, not deducted from */
	char period[8];               /* "YYYY-MM", or "YYYY-Qn" for S14.3 */
	const char *state;            /* "proposed" or the last decision */
	const char *decided_by;       /* "" when not decided */
	int64_t decided_at;
	bool basis_changed;           /* decided on another amount/unit/reason */
	bool orphaned;                /* decided, but no longer proposed */
	int64_t notified_at;          /* 0: the agent was not notified yet */
	int64_t appeal_by;            /* end of the appeal window (working days) */
	int64_t appealed_at;
	int64_t reply_by;             /* the appeal's reply deadline */
	/* added: a range for a person to choose the amount from (S1 yuan).
	   amount_max 0: no range, pct is the amount. Otherwise pct is 0 until
	   an approver fixed it ("fixed" in the decision record), then the
	   fixed amount, within [amount_min, amount_max]. */
	int amount_min;
	int amount_max;
	bool fixed;
};

/* Compact like struct sla_proposal: owned by the result, or static. */
struct sla_warning {
	const char *agent;
	const char *rule;             /* "S14.1w", "S14.5w", "S1.r", "T17" */
	const char *ticket;
	char month[8];
	int64_t at;
};

/* Flags: no amount, something a person must look at. */
struct sla_flag {
	char agent[EVENT_ACTOR_MAX];  /* or "team:NAME" */
	char rule[SLA_RULE_MAX];      /* "S14.3", "S14.4", "S4", "G16", "G20", "W1.t" */
	char kind[16];                /* "training", "review", "escalate", "downgrade", "kpi" */
	char period[8];               /* "YYYY-MM" or "YYYY-Qn" */
	char month[8];                /* booked to */
	char reason[SLA_REASON_MAX];
};

enum sla_complaint_state {
	SLA_COMPLAINT_RECEIVED = 0,
	SLA_COMPLAINT_VERIFYING,
	SLA_COMPLAINT_VERIFIED,
	SLA_COMPLAINT_REJECTED,
};

struct sla_complaint {
	char ticket[EVENT_ID_MAX];
	char id[64];
	char agent[EVENT_ACTOR_MAX];
	char cause[16];               /* attitude, quality, error, lateness,
					 perfunctory, wrong_part, process,
					 privacy, other */
	enum sla_complaint_state state;
	int64_t received_at;
	int64_t decided_at;
	char month[8];
	char quarter[8];
};

/* Satisfaction of an agent or a team ("team:NAME") in a quarter or month. */
struct sla_satisfaction {
	char who[EVENT_ACTOR_MAX];
	char period[8];
	int satisfied;
	int responses;
};

struct sla_arena_block;

struct sla_result {
	struct sla_ticket *tickets;
	size_t ticket_count;
	struct sla_proposal *proposals;
	size_t proposal_count;
	/* added (issue 7) */
	struct sla_warning *warnings;
	size_t warning_count;
	struct sla_flag *flags;
	size_t flag_count;
	struct sla_complaint *complaints;
	size_t complaint_count;
	struct sla_satisfaction *satisfaction;  /* quarters and months */
	size_t satisfaction_count;
	struct sla_pack_clock *pack_clocks;
	size_t pack_clock_count;
	struct sla_arena_block *strings;   /* what ticket and agent point into */
};

/* Evaluate every ticket of STORE under CONF at time NOW (deadlines after
   NOW with no stop are pending). Returns 0 and fills *result (free with
   sla_result_clear()), or -1 with *error_r. */
int sla_evaluate(const struct conf *conf, const struct calendar *cal,
		 struct store *store, int64_t now, struct sla_result *result,
		 const char **error_r);

/* The same on an array of events (sorted by ticket, then time); this is
   what sla_evaluate() uses and what the table-driven tests call. */
int sla_evaluate_events(const struct conf *conf, const struct calendar *cal,
			const struct event *events, size_t count, int64_t now,
			struct sla_result *result, const char **error_r);

/* Replace the store's derived records (breaches, proposals) by RESULT,
   in one transaction. */
int sla_persist(struct store *store, const struct calendar *cal,
		const struct sla_result *result, const char **error_r);

void sla_result_clear(struct sla_result *result);

/* Incremental evaluation. A ticket's clocks, pack clocks, complaints and
   ratings are a function of that ticket's events and of NOW; the rest of
   a result (streaks, satisfaction, packs, scores, decisions) is
   aggregated from those and from the record events. The engine keeps the
   per-ticket results, and at each update evaluates again only the
   tickets with events stored since the last one, those whose clocks
   change state by NOW (a deadline passing, a reminder point: a heap of
   the next such moment per ticket) and those with a paused clock (its
   deadline is projected from NOW). The first update reads the store once,
   ticket by ticket. sla_engine_result() then equals sla_evaluate() on the
   same store at the same NOW.

   KEEP_INERT false: a ticket whose clocks (pack clocks too) are all
   pending and which has no complaint or rating is not kept, only its next
   due moment; such a ticket adds nothing to any aggregate (pending clocks
   are in no streak, score or pack rule), so the result differs from
   sla_evaluate()'s only by lacking those tickets (and so their reminders,
   which a report built from it would not count). This is what lets the
   daemon hold 100,000 open clocks in a few MB. A pack rule that reads
   pending clocks must make such tickets kept.

   The engine reads CONF and CAL (they must outlive it); a changed
   configuration needs a new engine. */
struct sla_engine;

int sla_engine_new(const struct conf *conf, const struct calendar *cal, bool keep_inert,
		   struct sla_engine **engine_r, const char **error_r);
void sla_engine_free(struct sla_engine **engine);

/* Called for each ticket evaluated by an update: its key and its
   clocks, or NULL when it has none (no customer message). Valid during
   the call. Non-zero stops the update (it fails, and the tickets not yet
   evaluated stay due). */
typedef int sla_engine_ticket_cb(void *ctx, const char *ticket, const struct sla_ticket *t);

/* Bring the engine up to STORE at NOW. CB may be NULL. *evaluated_r
   (may be NULL): how many tickets were evaluated. 0 or -1. */
int sla_engine_update(struct sla_engine *e, struct store *store, int64_t now,
		      sla_engine_ticket_cb *cb, void *ctx, size_t *evaluated_r,
		      const char **error_r);
/* The whole result as of the last update; it points into the engine:
   clear it before the next update or sla_engine_free(). */
int sla_engine_result(struct sla_engine *e, struct sla_result *result,
		      const char **error_r);
/* The next moment a ticket's result changes without new events, 0 when
   none: when to update next. */
int64_t sla_engine_next(const struct sla_engine *e);
/* Tickets with clocks not kept (KEEP_INERT false): all three pending. */
size_t sla_engine_inert(const struct sla_engine *e);
/* Whether the first update (the whole store) is done. */
bool sla_engine_loaded(const struct sla_engine *e);

/* The breach rows of T's missed clocks (sla_persist() writes them for
   every ticket); no transaction of its own. */
int sla_ticket_breaches_put(struct store *store, const struct calendar *cal,
			    const struct sla_ticket *t, const char **error_r);
/* RESULT's proposals (after store_proposals_clear()); no transaction. */
int sla_proposals_put(struct store *store, const struct sla_result *result,
		      const char **error_r);

const char *sla_milestone_rule(enum sla_milestone m);  /* "S14.1", ... */
const char *sla_unit_name(enum sla_unit u);  /* "pct_month_score", ... */
const char *sla_complaint_state_name(enum sla_complaint_state s);
/* Our cause code for a helpdesk's or a person's name of it ("服务态度" ->
   "attitude"); "other" when unknown. */
const char *sla_cause_code(const char *name);

/* Proposal states and the moves between them: proposed -> reviewed ->
   approved -> executed, and rejected from any but executed. Whether a
   decision DECISION ("reviewed", "approved", "executed", "rejected") may
   follow state FROM. */
bool sla_decision_allowed(const char *from, const char *decision);

/* Records: status events (kind EVENT_STATUS) whose attrs carry "record",
   on the pseudo ticket "proposal:KEY" or "agent:ADDRESS". The engine reads
   them; the CLI writes them (plugin/cmd_policy.c):
     {"record":"decision","key":K,"state":S,"by":B,"note":N,
      "rule":R,"agent":A,"month":M,"unit":U,"amount":X,"reason":T}
     {"record":"notified","key":K,"by":B}
     {"record":"appeal","key":K,"by":B,"note":N}
     {"record":"training_missed","agent":A,"by":B,"note":N}
     {"record":"praise","agent":A,"by":B,"note":N}          (S15)
   A decision on a range proposal also carries "amount_min", "amount_max"
   (its basis) and, from the approver, "fixed".
   The basis of a decision is its rule, agent, month, unit, amount and
   reason; a later evaluation that differs flags basis_changed. */
#define SLA_PROPOSAL_TICKET_PREFIX "proposal:"
#define SLA_AGENT_TICKET_PREFIX "agent:"

/* The first moment after NOW at which RESULT (evaluated at NOW) would be
   different or be read differently without new events: a reminder point
   or a pending clock's deadline passing; NOW itself when a clock is
   paused (its deadline moves with NOW); 0 when never. */
int64_t sla_result_valid_until(const struct sla_result *result, int64_t now);

/* The proposal of RESULT with KEY, or NULL. */
const struct sla_proposal *sla_result_proposal(const struct sla_result *result,
					       const char *key);
const char *sla_milestone_name(enum sla_milestone m);  /* "first_response", ... */

#endif
