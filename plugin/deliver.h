/* deliver - the outbox deliverer, on a thread of its own.
 *
 * Posting a note into a helpdesk or a mail to an SMTP server blocks for
 * as long as the peer takes (RT answers a comment only after its own scrip
 * has POSTed the resulting webhook back to us). On the event loop that
 * would stall the webhook server for exactly that request, and the
 * helpdesk would give up on it: a lost event. So delivery runs here, with
 * its own store connection and its own copy of the settings (SQLite in WAL
 * mode lets both connections work; the store's busy timeout covers the
 * short write locks). The loop only queues rows and kicks.
 *
 * Everything a delivery sends is built when the row is queued, so this
 * thread touches no calendar or time zone state (the calendar switches TZ
 * in the environment), only libcurl, the store and the log. For the same
 * reason its settings are loaded by the main thread and handed over.
 */
#ifndef SLACLOCK_DELIVER_H
#define SLACLOCK_DELIVER_H

#include <stdint.h>

/* Without a kick, look at the outbox this often (retries fall due). */
#define DELIVER_IDLE_SECS 30

struct deliver;

struct deliver_counters {
	uint64_t notes_delivered;
	uint64_t mails_sent;
	uint64_t mail_failures;
	uint64_t errors;
	uint64_t runs;
};

struct settings;

/* Start the thread with SETTINGS, which it takes over (a copy of its own:
   load it separately from the loop's). curl_global_init() must have been
   called. 0 and *d_r, or -1 and *error_r (static; SETTINGS freed). */
int deliver_start(struct settings *settings, struct deliver **d_r, const char **error_r);

/* Something was queued: deliver now rather than at the next idle look. */
void deliver_kick(struct deliver *d);

/* The configuration changed: use SETTINGS (taken over) from the next run. */
void deliver_reload(struct deliver *d, struct settings *settings);

/* Finish the row in flight, stop and free. */
void deliver_stop(struct deliver **d);

void deliver_counters_get(struct deliver *d, struct deliver_counters *out);

#endif
