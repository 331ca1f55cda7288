/* notify - what the clocks say, turned into outbox rows.
 *
 * For a ticket that lives in a helpdesk (ticket key "<helpdesk>:<id>",
 * as the webhooks make them), each clock gets an internal note when
 * warn_at% of its target has passed while it still runs (a reminder, not
 * a warning) and one when it is missed (the breach, with its rule id and
 * the agent charged). Outbox keys are stable, "note:<ticket>:<rule>:
 * reminder|breach", so re-evaluating any number of times queues each note
 * once; delivery (helpdesk_outbox_run) posts it exactly once.
 */
#ifndef SLACLOCK_NOTIFY_H
#define SLACLOCK_NOTIFY_H

#include <stdint.h>

#include "sla.h"

struct calendar;
struct settings;
struct store;

struct notify_stats {
	unsigned int reminders;   /* newly queued */
	unsigned int breaches;    /* newly queued */
};

/* The moment warn_at% of clock M's target has passed for ticket T. */
int64_t notify_remind_at(const struct conf *conf, const struct calendar *cal,
			 const struct sla_ticket *t, enum sla_milestone m);

/* Queue the notes RESULT calls for at NOW, in one transaction. 0, or -1
   with *error_r. */
int notify_enqueue(const struct settings *settings, struct store *store,
		   const struct sla_result *result, int64_t now,
		   struct notify_stats *stats, const char **error_r);

/* The next moment after NOW at which notify_enqueue() would queue
   something new (a reminder due or a deadline passing), 0 if none. */
int64_t notify_next(const struct conf *conf, const struct calendar *cal,
		    const struct sla_result *result, int64_t now);

#endif
