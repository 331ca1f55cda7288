/* cmd_policy - what the CLI's policy commands do: decisions on proposals
 * (review, approve, execute, reject), notifications and appeals, a lead's
 * records (missed training), explain and recompute.
 *
 * Every decision and record is an event (kind status, attrs "record", on
 * the pseudo ticket "proposal:KEY" or "agent:ADDRESS"; see sla.h), so it is
 * in the append-only log with who and when, and the engine sees it on every
 * evaluation; decisions go to the store's proposal state too.
 */
#ifndef SLACLOCK_CMD_POLICY_H
#define SLACLOCK_CMD_POLICY_H

#include <stdint.h>
#include <stdio.h>

struct calendar;
struct conf;
struct store;

#define CMD_POLICY_NOTE_MAX 1024     /* --note text */
#define CMD_POLICY_NAME_MAX 320      /* --by */

/* Record DECISION ("reviewed", "approved", "executed", "rejected") on the
   proposal whose key is ID (or the only key starting with ID), by BY with
   NOTE (may be NULL), at NOW. Refuses a move sla_decision_allowed() does
   not allow. Prints what was done to OUT. 0, or -1 with *error_r (static or
   owned by the store). */
int cmd_policy_decide(const struct conf *conf, const struct calendar *cal,
		      struct store *store, const char *id, const char *decision,
		      const char *by, const char *note, int64_t now, FILE *out,
		      const char **error_r);

/* cmd_policy_decide() with the amount AMOUNT an approver chose for a
   proposal that carries a range (S1 yuan; -1: none given). An amount is
   taken on "approved" only, must lie in the proposal's range, and is
   required to approve a range proposal not fixed yet; a proposal without a
   range refuses one. */
int cmd_policy_decide_amount(const struct conf *conf, const struct calendar *cal,
			     struct store *store, const char *id, const char *decision,
			     const char *by, const char *note, int amount, int64_t now,
			     FILE *out, const char **error_r);

/* Record a customer's praise of AGENT (S15, e.g. a praise letter), by a
   lead BY with NOTE, at NOW: {"record":"praise","agent":A,...}. */
int cmd_policy_praise(const struct conf *conf, const struct calendar *cal,
		      struct store *store, const char *agent, const char *by,
		      const char *note, int64_t now, FILE *out, const char **error_r);

/* Record that the agent was notified of the proposal ID ("notified"), or
   filed an appeal against it ("appeal"), at NOW; prints the appeal window
   or reply deadline in working days. */
int cmd_policy_mark(const struct conf *conf, const struct calendar *cal,
		    struct store *store, const char *id, const char *what,
		    const char *by, const char *note, int64_t now, FILE *out,
		    const char **error_r);

/* S14.6: a lead records that AGENT missed a training at NOW. */
int cmd_policy_training_missed(const struct conf *conf, const struct calendar *cal,
			       struct store *store, const char *agent, const char *by,
			       const char *note, int64_t now, FILE *out,
			       const char **error_r);

/* The whole story of TICKET: events, each clock (start, pauses, reminder,
   deadline, stop, result, who was charged by which rule), the pack clocks,
   complaints, warnings, flags and proposals that name it. 1 when the store
   has no event of TICKET, else 0 or -1. */
int cmd_policy_explain(const struct conf *conf, const struct calendar *cal,
		       struct store *store, const char *ticket, int64_t now,
		       FILE *out, const char **error_r);

/* Rebuild clocks and tallies from the stored events (sla_persist());
   decisions are kept; those whose basis changed are listed on OUT. */
int cmd_policy_recompute(const struct conf *conf, const struct calendar *cal,
			 struct store *store, int64_t now, FILE *out,
			 const char **error_r);

#endif
