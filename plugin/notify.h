/* notify - what the clocks say, turned into outbox rows.
 *
 * For a ticket that lives in a helpdesk (ticket key "<helpdesk>:<id>",
 * as the webhooks make them), each clock gets an internal note when
 * warn_at% of its target has passed while it still runs (the engine's
 * remind_at, which counts pauses) (a reminder, not
 * a warning) and one when it is missed (the breach, with its rule id and
 * the agent charged). Outbox keys are stable, "note:<ticket>:<rule>:
 * reminder|breach", so re-evaluating any number of times queues each note
 * once; delivery (helpdesk_outbox_run) posts it exactly once.
 */
#ifndef SLACLOCK_NOTIFY_H
#define SLACLOCK_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "mailer.h"
#include "sla.h"

struct calendar;
struct conf;
struct report_row;
struct settings;
struct store;

struct notify_stats {
	unsigned int reminders;   /* newly queued */
	unsigned int breaches;    /* newly queued */
};

/* Queue the notes RESULT calls for at NOW, in one transaction. 0, or -1
   with *error_r. */
int notify_enqueue(const struct settings *settings, struct store *store,
		   const struct sla_result *result, int64_t now,
		   struct notify_stats *stats, const char **error_r);

/* The notes of one ticket T at NOW, in the caller's transaction (the
   daemon calls it for each ticket it evaluated again). 0, or -1. */
int notify_ticket(const struct settings *settings, struct store *store,
		  const struct sla_ticket *t, int64_t now, struct notify_stats *stats,
		  const char **error_r);

/* The next moment after NOW at which notify_enqueue() would queue
   something new (a reminder due or a deadline passing), 0 if none. */
int64_t notify_next(const struct sla_result *result, int64_t now);


/* The month whose tally is due at NOW: the previous local month, once the
   current one is 9 hours old (the policy's results before the 5th; the
   digest mail has its own schedule). Into MONTH. */
void notify_tally_month(const struct calendar *cal, int64_t now, char month[8]);

/* The per-agent table of TEAM (the rows of ROWS whose team it is), as a
   person reads it in a ticket, in LANG; each deduction in its unit's
   words. malloc'ed, or NULL when out of memory. */
char *notify_tally_text(const struct conf *conf, const struct report_row *rows,
			size_t count, const char *team, const char *month,
			enum mailer_language lang);

/* Queue MONTH's tally as one new ticket per team in every helpdesk with a
   tally_queue (key "tally:<helpdesk>:<month>:<team>", so once). The
   ticket holds the per-agent table, no ticket ids or customer data.
   *queued_r: tickets newly queued. 0, or -1 with *error_r. */
int notify_tally(const struct settings *settings, struct store *store,
		 const struct sla_result *result, const char *month, int64_t now,
		 unsigned int *queued_r, const char **error_r);

#endif
