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

struct sla_clock {
	enum sla_state state;
	int64_t deadline;
	int64_t stopped_at;        /* 0 when not stopped */
	char agent[EVENT_ACTOR_MAX]; /* responsible: charged on a miss, credited on a met */
};

struct sla_ticket {
	char ticket[EVENT_ID_MAX];
	int64_t start;
	enum severity severity;
	char team[64];
	struct sla_clock clocks[SLA_MILESTONE_COUNT];
};

/* A deduction (or other sanction) proposed for a person to approve. */
struct sla_proposal {
	char key[EVENT_ID_MAX + EVENT_ACTOR_MAX + 32]; /* stable: rule, agent, last ticket */
	char agent[EVENT_ACTOR_MAX];
	char rule[16];                /* "S14.1s", "S14.2d" */
	char month[8];
	int pct;                      /* % of that month's score */
	char tickets[EVENT_ID_MAX];   /* the tickets involved, for the reader */
};

struct sla_result {
	struct sla_ticket *tickets;
	size_t ticket_count;
	struct sla_proposal *proposals;
	size_t proposal_count;
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

const char *sla_milestone_rule(enum sla_milestone m);  /* "S14.1", ... */
const char *sla_milestone_name(enum sla_milestone m);  /* "first_response", ... */

#endif
