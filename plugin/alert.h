/* alert - breach alerts by mail: to the team lead of the charged agent,
 * and up the escalation levels while a ticket stays unresolved.
 *
 * Level L (mailer_conf.escalations[L], up to MAILER_ESCALATIONS_MAX) of a
 * missed clock is due at deadline + after(L); a level with a delay only
 * while the ticket is still not resolved then (level 1 with after 0: at
 * the breach). Due items are
 * grouped per recipient and per alert_interval: alert_tick() at time NOW
 * takes every due item from before the start of NOW's interval (the
 * intervals are aligned on multiples of alert_interval) that was not
 * alerted yet, and puts one mail per recipient with outbox key
 *   alert:<recipient>:<interval start, UTC seconds>
 * so a recipient gets at most one alert mail per interval, listing every
 * breach since the last. Each alerted item is recorded by a mark
 * "alerted:<ticket>:<rule>:<level>" in the same transaction: an item is
 * alerted once, even when its ticket arrives late, after a crash or over
 * a restart. Items older than alert_max_age are not alerted (a first
 * start on an old store does not mail its history).
 *
 * Alerts name the ticket, rule, charged agent, deadline and how late
 * (or for how long still open), with a link when ticket_url is set; no
 * customer data (ticket ids that are Message-IDs lose their domain unless
 * privacy_show_customers).
 */
#ifndef SLACLOCK_ALERT_H
#define SLACLOCK_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "mailer.h"
#include "sla.h"

struct calendar;
struct store;

/* Breaches listed in one alert mail; the rest wait for the next. */
#define ALERT_ITEMS_MAX 500
/* Later intervals tried when a recipient's mail of this one is taken. */
#define ALERT_SLOTS_MAX 64

/* Queue the alerts due at NOW for RESULT (evaluated at or after NOW), in
   one transaction of its own. *mails_r: mails put. 0 or -1 with
   *error_r. */
int alert_tick(const struct conf *conf, const struct mailer_conf *mconf,
	       const struct calendar *cal, struct store *store,
	       const struct sla_result *result, int64_t now, size_t *mails_r,
	       const char **error_r);

/* When alert_tick() should next run after NOW: the start of the next
   interval (the daemon arms a timer for it). */
int64_t alert_next_tick(const struct mailer_conf *mconf, int64_t now);

#endif
