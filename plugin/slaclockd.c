/* slaclockd - the daemon: IMAP sources, the webhook server, SLA deadline
 * timers and outbox delivery (notes into the helpdesk), all on one loop.
 *
 *   slaclockd -c FILE [-d] [-n]
 *
 * -n checks the configuration and exits; -d logs to stderr instead of
 * syslog. It always stays in the foreground (systemd supervises it).
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "alert.h"
#include "conf.h"
#include "deliver.h"
#include "digest.h"
#include "helpdesk.h"
#include "imap.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "settings.h"
#include "sla.h"
#include "store.h"
#include "webhook.h"
#include "weekly.h"

/* After a batch, wait this long for more before re-evaluating clocks, so
   an initial sync does not evaluate the whole store per batch. */
#define DAEMON_SLA_DEBOUNCE_MS 200
/* An evaluation reads the whole store. After new events, wait at least
   this many times as long as the last one took, so evaluation never takes
   more than a fifth of the daemon's time however large the store (an
   initial sync would otherwise spend most of it evaluating). Deadline
   timers are not held back. */
#define DAEMON_SLA_COST_FACTOR 4
#define DAEMON_SLA_MAX_WAIT_MS (60 * 60 * 1000)
/* While an IMAP folder has not caught up (an initial sync, or the first
   one after an outage), the events it stores wait: the clocks are
   evaluated once it has, for the tickets the sync touched, instead of
   after every batch. Whether it has is looked at this often. Deadlines
   and webhook events are not held back, and the sync's events only while
   batches keep coming (a source that cannot connect never catches up, and
   the others then store a batch now and then), for at most the hold. */
#define DAEMON_SLA_SYNC_POLL_MS 250
#define DAEMON_SLA_SYNC_IDLE_MS 2000
#define DAEMON_SLA_SYNC_HOLD_MAX_MS (5 * 60 * 1000)
/* The aggregates (proposals, the gauges) wait this long at least after
   the last, and COST_FACTOR times as long as it took: they are for
   people, read in days, while a deadline falling due is written at once
   and must not queue behind them. Alert mail is grouped per interval and
   aggregates afresh at each interval's end. */
#define DAEMON_SLA_AGG_MIN_MS 2000
/* Nor does it start when a clock falls due before it would be done (by
   the last one's time, and this margin), unless it has waited this long:
   it runs in the gaps between deadlines. */
#define DAEMON_SLA_AGG_GAP_MS 100
#define DAEMON_SLA_AGG_MAX_DELAY_MS (30 * 1000)

/* The monthly digest job looks whether its month is due this often; it
   is cheap once the month's mark exists, and a daemon that was down at the
   scheduled time sends the missed digest on its first look. */
#define DAEMON_DIGEST_CHECK_MS (15 * 60 * 1000)
/* The first look waits until every IMAP folder has caught up (a first
   start or one after an outage would otherwise report the month from a
   half-read mailbox and mark it done), checking this often, but not for
   longer than DAEMON_DIGEST_WAIT_MAX_MS: a source that cannot connect
   must not hold the digest back for ever. */
#define DAEMON_DIGEST_POLL_MS 2000
#define DAEMON_DIGEST_WAIT_MAX_MS (60 * 60 * 1000)

struct daemon_counters {
	uint64_t imap_events;
	uint64_t webhook_events;
	uint64_t evaluations;
	uint64_t evaluation_errors;
	uint64_t open_clocks;        /* after the last evaluation */
	uint64_t breaches;           /* missed clocks, after the last evaluation */
	uint64_t notes_queued;
	uint64_t alerts_queued;
	uint64_t digests_queued;
};

struct daemon {
	const char *conf_path;
	struct loop *loop;
	struct store *store;
	struct settings *s;
	struct imap_source **sources;
	size_t source_count;
	struct webhook_server *web;
	struct webhook_settings ws;
	struct loop_timer *sla_timer;
	int64_t sla_timer_at;
	struct sla_engine *engine;     /* per-ticket results between evaluations */
	bool sla_events_pending;       /* new events not evaluated yet */
	bool sla_direct_pending;       /* some not from a sync (webhooks) */
	int64_t sla_hold_since_ms;     /* held for a sync since (monotonic), 0 */
	int64_t sla_last_batch_ms;     /* the last IMAP batch stored (monotonic) */
	int64_t sla_due_ms;            /* next clock due (monotonic), 0 none */
	bool sla_agg_pending;          /* tickets changed since the last aggregation */
	int64_t sla_agg_since_ms;      /* pending since (monotonic) */
	int64_t sla_agg_ms;            /* how long the last one took */
	int64_t sla_agg_end_ms;        /* when it ended (monotonic) */
	int64_t sla_alert_at;          /* next alert interval (wall), 0: at once */
	int64_t sla_last_ms;           /* how long the last evaluation took */
	unsigned int sla_failures;     /* evaluations failed in a row */
	int64_t sla_last_end_ms;       /* when it ended (monotonic) */
	struct deliver *deliver;
	struct loop_timer *digest_timer;
	char tally_month[8];           /* last month whose tally was queued */
	int64_t started_ms;
	struct daemon_counters n;
	int exit_code;
};

/* Load PATH through settings_load(); 0, or -1 with the errors logged. */
static int
daemon_settings_load(const char *path, bool read_secrets, struct settings **s_r)
{
	char *errs = NULL;

	if (settings_load(path, read_secrets, s_r, &errs) < 0) {
		char *line, *save = NULL;

		/* one log line per error, as syslog wants them */
		for (line = strtok_r(errs, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			log_error("%s", line);
		free(errs);
		return -1;
	}
	return 0;
}

static void
daemon_sources_stop(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->source_count; i++)
		imap_source_free(&d->sources[i]);
	free(d->sources);
	d->sources = NULL;
	d->source_count = 0;
}

static void daemon_sla_soon(struct daemon *d, int64_t delay_ms);
static bool daemon_sources_caught_up(const struct daemon *d);

/* New events: evaluate soon, but not so often that evaluating crowds out
   ingesting, and not during an initial sync. */
static void
daemon_sla_after_events(struct daemon *d, bool from_sync)
{
	int64_t wait = d->sla_last_ms * DAEMON_SLA_COST_FACTOR -
		(loop_now_ms() - d->sla_last_end_ms);

	d->sla_events_pending = true;
	if (!from_sync)
		d->sla_direct_pending = true;
	if (from_sync && !daemon_sources_caught_up(d)) {
		if (d->sla_hold_since_ms == 0)
			d->sla_hold_since_ms = loop_now_ms();
		daemon_sla_soon(d, DAEMON_SLA_SYNC_POLL_MS);
		return;
	}
	daemon_sla_soon(d, wait > DAEMON_SLA_DEBOUNCE_MS ? wait : DAEMON_SLA_DEBOUNCE_MS);
}

static void
daemon_batch_cb(void *ctx, uint64_t new_events)
{
	struct daemon *d = ctx;

	d->n.imap_events += new_events;
	d->sla_last_batch_ms = loop_now_ms();
	daemon_sla_after_events(d, true);
}

static int
daemon_sources_start(struct daemon *d)
{
	size_t i;
	const char *err;

	d->sources = calloc(d->s->imap_count + 1, sizeof(*d->sources));
	if (d->sources == NULL) {
		log_error("out of memory");
		return -1;
	}
	for (i = 0; i < d->s->imap_count; i++) {
		if (imap_source_new(d->loop, d->store, d->s->conf, &d->s->imap[i],
				    daemon_batch_cb, d, &d->sources[d->source_count],
				    &err) < 0) {
			/* One bad account must not stop the others. */
			log_error("imap %s: %s", d->s->imap[i].name, err);
			continue;
		}
		d->source_count++;
	}
	if (d->s->imap_count == 0 && d->s->helpdesk_count == 0)
		log_warn("%s: no [imap NAME] and no [helpdesk NAME] section: "
			 "no events will come in", d->conf_path);
	return 0;
}

/* ---- SLA deadline hook ------------------------------------------------
 * daemon_sla_evaluate() is where the daemon evaluates the clocks: after
 * new events (debounced) and at the next pending deadline or reminder, so
 * a breach is recorded within a second of its deadline even when no mail
 * arrives. The engine (sla.h) evaluates again only the tickets with new
 * events or a clock due; their breach rows and notes are written first,
 * in one transaction, then the aggregates (proposals, alerts) from the
 * kept per-ticket results. */

static void daemon_sla_timer(void *ctx);

static void
daemon_sla_arm(struct daemon *d, int64_t when_ms)
{
	if (d->sla_timer != NULL && d->sla_timer_at <= when_ms)
		return;
	loop_timer_remove(&d->sla_timer);
	d->sla_timer = loop_timer_add(d->loop, when_ms, daemon_sla_timer, d);
	d->sla_timer_at = when_ms;
	if (d->sla_timer == NULL)
		log_error("out of memory arming the SLA timer");
}

static void
daemon_sla_soon(struct daemon *d, int64_t delay_ms)
{
	daemon_sla_arm(d, loop_now_ms() + delay_ms);
}

static void daemon_outbox_soon(struct daemon *d, int64_t delay_ms);

struct daemon_eval {
	struct daemon *d;
	int64_t now;
	bool whole;                    /* the first update: every breach rewritten */
	struct notify_stats ns;
	const char *err;
};

/* One ticket evaluated again: its breach rows and notes. */
static int
daemon_sla_ticket(void *ctx, const char *ticket, const struct sla_ticket *t)
{
	struct daemon_eval *ev = ctx;
	struct daemon *d = ev->d;

	if (!ev->whole && store_breaches_clear(d->store, ticket, &ev->err) < 0)
		return -1;
	if (t != NULL && (sla_ticket_breaches_put(d->store, d->s->cal, t, &ev->err) < 0 ||
			  notify_ticket(d->s, d->store, t, ev->now, &ev->ns, &ev->err) < 0))
		return -1;
	return 0;
}

/* When the pending aggregation may run (monotonic). */
static int64_t
daemon_sla_agg_at(const struct daemon *d)
{
	int64_t wait = d->sla_agg_ms * DAEMON_SLA_COST_FACTOR;

	return d->sla_agg_end_ms + (wait > DAEMON_SLA_AGG_MIN_MS ? wait : DAEMON_SLA_AGG_MIN_MS);
}

static int
daemon_sla_evaluate(struct daemon *d, int64_t *next_r, int64_t *agg_at_r)
{
	struct sla_result result;
	struct daemon_eval ev = { .d = d, .now = (int64_t)time(NULL) };
	const char *err = NULL, *ignored;
	int64_t now = ev.now;
	uint64_t open = 0, missed = 0;
	size_t i, evaluated = 0;
	int64_t agg_began;
	bool alerts_due;
	int m;

	memset(&result, 0, sizeof(result));
	*agg_at_r = 0;
	d->n.evaluations++;
	if (d->engine == NULL &&
	    sla_engine_new(d->s->conf, d->s->cal, false, &d->engine, &err) < 0)
		goto fail;
	ev.whole = !sla_engine_loaded(d->engine);
	if (store_begin(d->store, &err) < 0)
		goto fail;
	if ((ev.whole && store_breaches_clear(d->store, NULL, &err) < 0) ||
	    sla_engine_update(d->engine, d->store, now, daemon_sla_ticket, &ev, &evaluated,
			      &err) < 0 ||
	    store_commit(d->store, &err) < 0) {
		if (ev.err != NULL)
			err = ev.err;
		(void)store_rollback(d->store, &ignored);
		/* what the engine holds is no longer what the store has */
		sla_engine_free(&d->engine);
		goto fail;
	}
	d->sla_events_pending = false;
	d->sla_direct_pending = false;
	d->sla_hold_since_ms = 0;
	if ((evaluated > 0 || ev.whole) && !d->sla_agg_pending) {
		d->sla_agg_pending = true;
		d->sla_agg_since_ms = loop_now_ms();
	}
	d->n.notes_queued += ev.ns.reminders + ev.ns.breaches;
	if (ev.ns.breaches > 0 || ev.ns.reminders > 0) {
		log_info("queued %u breach note(s) and %u reminder(s)", ev.ns.breaches,
			 ev.ns.reminders);
		daemon_outbox_soon(d, 0);
	}
	*next_r = sla_engine_next(d->engine);
	alerts_due = d->s->mailer != NULL && now >= d->sla_alert_at;
	if (!alerts_due && !ev.whole &&
	    (!d->sla_agg_pending || loop_now_ms() < daemon_sla_agg_at(d))) {
		if (d->sla_agg_pending)
			*agg_at_r = daemon_sla_agg_at(d);
		goto done;
	}
	if (!alerts_due && !ev.whole && *next_r != 0 &&
	    loop_wall_to_mono_ms(*next_r) - loop_now_ms() < d->sla_agg_ms + DAEMON_SLA_AGG_GAP_MS &&
	    loop_now_ms() - d->sla_agg_since_ms < DAEMON_SLA_AGG_MAX_DELAY_MS)
		goto done;	/* a deadline first; looked at again then */
	agg_began = loop_now_ms();
	{
		if (sla_engine_result(d->engine, &result, &err) < 0)
			goto fail;
		if (d->sla_agg_pending &&
		    (store_begin(d->store, &err) < 0 ||
		     store_proposals_clear(d->store, &err) < 0 ||
		     sla_proposals_put(d->store, &result, &err) < 0 ||
		     store_commit(d->store, &err) < 0)) {
			(void)store_rollback(d->store, &ignored);
			goto fail;
		}
		for (i = 0; i < result.ticket_count; i++)
			for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
				if (result.tickets[i].clocks[m].state == SLA_PENDING)
					open++;
				else if (result.tickets[i].clocks[m].state == SLA_MISSED)
					missed++;
			}
		/* the tickets not kept have all three clocks running */
		d->n.open_clocks = open + SLA_MILESTONE_COUNT * sla_engine_inert(d->engine);
		d->n.breaches = missed;
		d->sla_agg_pending = false;
	}
	if (d->s->mailer != NULL) {
		size_t mails = 0;
		int64_t tick = alert_next_tick(d->s->mailer, now);

		if (alert_tick(d->s->conf, d->s->mailer, d->s->cal, d->store, &result, now,
			       &mails, &err) < 0) {
			log_error("breach alerts: %s", err);
			d->n.evaluation_errors++;
		} else if (mails > 0) {
			d->n.alerts_queued += mails;
			log_info("queued %zu breach alert mail(s)", mails);
			daemon_outbox_soon(d, 0);
		}
		/* alerts are grouped per interval: come back at the next one */
		d->sla_alert_at = tick > now ? tick : now + 1;
	}
	d->sla_agg_end_ms = loop_now_ms();
	d->sla_agg_ms = d->sla_agg_end_ms - agg_began;
done:
	if (d->s->mailer != NULL && (*next_r == 0 || d->sla_alert_at < *next_r))
		*next_r = d->sla_alert_at;
	sla_result_clear(&result);
	return 0;
fail:
	/* the same words as the sources' ("store: ...; retrying with
	   backoff"), so one pattern finds a store fault in the log */
	log_error("SLA evaluation: store: %s; retrying with backoff (next in %u s)",
		  err != NULL ? err : "?", d->sla_failures < 6 ? 1u << d->sla_failures : 60u);
	d->n.evaluation_errors++;
	sla_result_clear(&result);
	return -1;
}

static void
daemon_sla_timer(void *ctx)
{
	struct daemon *d = ctx;
	int64_t next = 0, agg_at = 0, when, began = loop_now_ms();
	int ret;

	d->sla_timer = NULL;
	if (d->sla_events_pending && !d->sla_direct_pending &&
	    !daemon_sources_caught_up(d) && (d->sla_due_ms == 0 || began < d->sla_due_ms) &&
	    began - d->sla_last_batch_ms < DAEMON_SLA_SYNC_IDLE_MS &&
	    began - d->sla_hold_since_ms < DAEMON_SLA_SYNC_HOLD_MAX_MS) {
		/* a folder is still syncing and no clock is due: wait for it */
		daemon_sla_soon(d, DAEMON_SLA_SYNC_POLL_MS);
		if (d->sla_due_ms != 0)
			daemon_sla_arm(d, d->sla_due_ms);
		return;
	}
	ret = daemon_sla_evaluate(d, &next, &agg_at);
	d->sla_last_end_ms = loop_now_ms();
	d->sla_last_ms = d->sla_last_end_ms - began;
	if (ret < 0) {
		/* a locked or full store passes: try again soon, backing off
		   to a minute, so a deadline is not missed by a minute for a
		   lock that lasted a second */
		int64_t wait = d->sla_failures < 6 ? (int64_t)1000 << d->sla_failures : 60 * 1000;

		d->sla_failures++;
		daemon_sla_soon(d, wait);
		return;
	}
	d->sla_failures = 0;
	d->sla_due_ms = 0;
	if (agg_at != 0)
		daemon_sla_arm(d, agg_at);
	if (next == 0) {
		daemon_sla_soon(d, DAEMON_SLA_MAX_WAIT_MS);
		return;
	}
	/* the engine says when the next miss or reminder is due */
	when = loop_wall_to_mono_ms(next);
	d->sla_due_ms = when;
	if (when - loop_now_ms() > DAEMON_SLA_MAX_WAIT_MS)
		when = loop_now_ms() + DAEMON_SLA_MAX_WAIT_MS;
	daemon_sla_arm(d, when);
}

/* ---- outbox delivery: on its own thread (plugin/deliver.h) ------------- */

static void
daemon_outbox_soon(struct daemon *d, int64_t delay_ms)
{
	(void)delay_ms;
	deliver_kick(d->deliver);
}

/* The monthly tally ticket in each helpdesk with a tally_queue: queued
   once per month (the outbox key makes it once across restarts too). */
static void
daemon_tally(struct daemon *d)
{
	struct sla_result result;
	const char *err;
	unsigned int queued = 0;
	int64_t now = (int64_t)time(NULL);
	char month[8];

	if (d->s->helpdesk_count == 0)
		return;
	notify_tally_month(d->s->cal, now, month);
	if (strcmp(month, d->tally_month) == 0)
		return;
	if (sla_evaluate(d->s->conf, d->s->cal, d->store, now, &result, &err) < 0) {
		log_error("monthly tally %s: %s", month, err);
		d->n.evaluation_errors++;
		return;
	}
	if (notify_tally(d->s, d->store, &result, month, now, &queued, &err) < 0) {
		log_error("monthly tally %s: %s", month, err);
		d->n.evaluation_errors++;
	} else {
		memcpy(d->tally_month, month, sizeof(month));
		if (queued > 0) {
			log_info("queued %u monthly tally ticket(s) for %s", queued, month);
			daemon_outbox_soon(d, 0);
		}
	}
	sla_result_clear(&result);
}

static bool
daemon_sources_caught_up(const struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->source_count; i++)
		if (!imap_source_caught_up(d->sources[i]))
			return false;
	return true;
}

static void
daemon_digest_timer(void *ctx)
{
	struct daemon *d = ctx;
	const char *err;
	size_t queued = 0;

	d->digest_timer = NULL;
	if (!daemon_sources_caught_up(d) &&
	    loop_now_ms() - d->started_ms < DAEMON_DIGEST_WAIT_MAX_MS) {
		d->digest_timer = loop_timer_add(d->loop, loop_now_ms() + DAEMON_DIGEST_POLL_MS,
						 daemon_digest_timer, d);
		return;
	}
	if (d->s->mailer != NULL) {
		if (digest_tick(d->s->conf, d->s->mailer, d->s->cal, d->store,
				(int64_t)time(NULL), &queued, &err) < 0) {
			log_error("monthly digest: %s", err);
			d->n.evaluation_errors++;
		} else if (queued > 0) {
			d->n.digests_queued += queued;
			log_info("queued %zu monthly digest mail(s)", queued);
			daemon_outbox_soon(d, 0);
		}
		/* G20's weekly report: the same look, the same once-only marks */
		if (weekly_tick(d->s->conf, d->s->mailer, d->s->cal, d->store,
				(int64_t)time(NULL), &queued, &err) < 0) {
			log_error("weekly report: %s", err);
			d->n.evaluation_errors++;
		} else if (queued > 0) {
			d->n.digests_queued += queued;
			log_info("queued %zu weekly report mail(s)", queued);
			daemon_outbox_soon(d, 0);
		}
	}
	daemon_tally(d);
	d->digest_timer = loop_timer_add(d->loop, loop_now_ms() + DAEMON_DIGEST_CHECK_MS,
					 daemon_digest_timer, d);
	if (d->digest_timer == NULL)
		log_error("out of memory arming the digest timer");
}

/* ---- webhook server ----------------------------------------------------- */

static bool
daemon_is_agent(void *ctx, const char *address)
{
	struct daemon *d = ctx;

	return address != NULL && conf_agent_team(d->s->conf, address) != NULL;
}

static void
daemon_ingested(void *ctx, const char *source, const char *ticket, size_t inserted)
{
	struct daemon *d = ctx;

	if (inserted == 0)
		return;
	d->n.webhook_events += inserted;
	daemon_sla_after_events(d, false);
}

static void
daemon_metrics(void *ctx, FILE *out)
{
	struct daemon *d = ctx;
	struct deliver_counters dn = { 0 };
	const char *err;
	int64_t depth = -1;

	if (store_outbox_depth(d->store, &depth, &err) < 0)
		depth = -1;
	if (d->deliver != NULL)
		deliver_counters_get(d->deliver, &dn);
	fprintf(out,
		"# HELP slaclock_imap_events_total Events stored from IMAP.\n"
		"# TYPE slaclock_imap_events_total counter\n"
		"slaclock_imap_events_total %llu\n"
		"# HELP slaclock_open_clocks Clocks still running.\n"
		"# TYPE slaclock_open_clocks gauge\n"
		"slaclock_open_clocks %llu\n"
		"# HELP slaclock_breaches Missed clocks in the store.\n"
		"# TYPE slaclock_breaches gauge\n"
		"slaclock_breaches %llu\n"
		"# HELP slaclock_evaluations_total SLA evaluations run.\n"
		"# TYPE slaclock_evaluations_total counter\n"
		"slaclock_evaluations_total %llu\n"
		"# HELP slaclock_errors_total Errors by part.\n"
		"# TYPE slaclock_errors_total counter\n"
		"slaclock_errors_total{part=\"evaluation\"} %llu\n"
		"slaclock_errors_total{part=\"outbox\"} %llu\n"
		"slaclock_errors_total{part=\"mail\"} %llu\n"
		"# HELP slaclock_notes_queued_total Helpdesk notes queued.\n"
		"# TYPE slaclock_notes_queued_total counter\n"
		"slaclock_notes_queued_total %llu\n"
		"# HELP slaclock_mails_queued_total Mails queued, by kind.\n"
		"# TYPE slaclock_mails_queued_total counter\n"
		"slaclock_mails_queued_total{kind=\"alert\"} %llu\n"
		"slaclock_mails_queued_total{kind=\"digest\"} %llu\n"
		"# HELP slaclock_mails_sent_total Mails the SMTP server accepted.\n"
		"# TYPE slaclock_mails_sent_total counter\n"
		"slaclock_mails_sent_total %llu\n"
		"# HELP slaclock_notes_delivered_total Notes posted into helpdesks.\n"
		"# TYPE slaclock_notes_delivered_total counter\n"
		"slaclock_notes_delivered_total %llu\n"
		"# HELP slaclock_outbox_depth Outbox rows not yet delivered.\n"
		"# TYPE slaclock_outbox_depth gauge\n"
		"slaclock_outbox_depth %lld\n",
		(unsigned long long)d->n.imap_events, (unsigned long long)d->n.open_clocks,
		(unsigned long long)d->n.breaches, (unsigned long long)d->n.evaluations,
		(unsigned long long)d->n.evaluation_errors,
		(unsigned long long)dn.errors,
		(unsigned long long)dn.mail_failures,
		(unsigned long long)d->n.notes_queued,
		(unsigned long long)d->n.alerts_queued,
		(unsigned long long)d->n.digests_queued,
		(unsigned long long)dn.mails_sent,
		(unsigned long long)dn.notes_delivered, (long long)depth);
}

/* Point the webhook settings at the current configuration. The server
   reads them at each request, so a reload takes effect at once. */
static void
daemon_webhook_settings(struct daemon *d)
{
	d->ws.address = d->s->webhook_address;
	d->ws.port = d->s->webhook_port;
	d->ws.store = d->store;
	d->ws.helpdesks = d->s->helpdesk_ptrs;
	d->ws.helpdesk_count = d->s->helpdesk_count;
	d->ws.is_agent = daemon_is_agent;
	d->ws.is_agent_ctx = d;
	d->ws.ingested = daemon_ingested;
	d->ws.metrics = daemon_metrics;
	d->ws.ctx = d;
}

static int
daemon_webhook_start(struct daemon *d)
{
	const char *err;

	daemon_webhook_settings(d);
	if (!d->s->webhook_enabled)
		return 0;
	if (webhook_server_start(d->loop, &d->ws, &d->web, &err) < 0) {
		log_error("webhook server on %s:%u: %s", d->ws.address,
			  (unsigned)d->ws.port, err);
		return -1;
	}
	log_info("webhook server listening on %s:%u", d->ws.address,
		 (unsigned)webhook_server_port(d->web));
	return 0;
}

/* ---- signals ------------------------------------------------------------ */

static void
daemon_on_term(void *ctx, int signo)
{
	struct daemon *d = ctx;

	log_info("signal %d: stopping", signo);
	loop_stop(d->loop);
}

static void
daemon_on_hup(void *ctx, int signo)
{
	struct daemon *d = ctx;
	struct settings *s = NULL, *old, *for_deliver = NULL;
	bool relisten;

	log_info("SIGHUP: reloading %s", d->conf_path);
	if (daemon_settings_load(d->conf_path, true, &s) < 0 ||
	    daemon_settings_load(d->conf_path, true, &for_deliver) < 0) {
		settings_free(&s);
		log_error("%s: new configuration is invalid; keeping the old one",
			  d->conf_path);
		return;
	}
	if (strcmp(s->conf->store_path, d->s->conf->store_path) != 0 ||
	    strcmp(s->conf->store_backend, d->s->conf->store_backend) != 0)
		log_warn("%s: [store] changed; it takes effect at the next start",
			 d->conf_path);
	relisten = s->webhook_enabled != d->s->webhook_enabled ||
		strcmp(s->webhook_address, d->s->webhook_address) != 0 ||
		s->webhook_port != d->s->webhook_port;
	daemon_sources_stop(d);
	if (relisten)
		webhook_server_stop(&d->web);
	old = d->s;
	/* the engine reads the configuration it was made with */
	sla_engine_free(&d->engine);
	d->s = s;
	if (relisten)
		(void)daemon_webhook_start(d);
	else
		daemon_webhook_settings(d);
	settings_free(&old);
	deliver_reload(d->deliver, for_deliver);
	(void)daemon_sources_start(d);
	daemon_sla_soon(d, 0);
	log_info("configuration reloaded: %zu IMAP source(s), %zu helpdesk(s)",
		 d->source_count, d->s->helpdesk_count);
}

/* Started as root: become [daemon] user, for good. */
static int
daemon_drop_privileges(const struct settings *s)
{
	if (geteuid() != 0)
		return 0;
	if (s->run_as == NULL) {
		log_warn("running as root; set [daemon] user to run as an unprivileged user");
		return 0;
	}
	if (initgroups(s->run_as, s->run_as_gid) < 0 || setgid(s->run_as_gid) < 0 ||
	    setuid(s->run_as_uid) < 0) {
		log_error("cannot become user %s: %s", s->run_as, strerror(errno));
		return -1;
	}
	/* setuid() as root changes every uid; make sure nothing is left */
	if (setuid(0) == 0 || geteuid() != s->run_as_uid) {
		log_error("still able to regain root after becoming %s; stopping", s->run_as);
		return -1;
	}
	log_info("running as %s (uid %u)", s->run_as, (unsigned)s->run_as_uid);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: slaclockd -c FILE [-d] [-n]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct daemon d;
	const char *err;
	bool check = false, foreground_log = false;
	int c;

	memset(&d, 0, sizeof(d));
	d.conf_path = SLACLOCK_SYSCONFDIR "/slaclock.conf";
	while ((c = getopt(argc, argv, "c:dn")) != -1) {
		switch (c) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 'd':
			foreground_log = true;
			break;
		case 'n':
			check = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("slaclockd", !foreground_log && !check, LOG_LEVEL_INFO);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned int)time(NULL) ^ (unsigned int)getpid());

	if (daemon_settings_load(d.conf_path, true, &d.s) < 0)
		return 1;
	/* before any thread: libcurl's global state is not thread-safe */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_error("cannot initialise libcurl");
		settings_free(&d.s);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK (%zu IMAP source(s), %zu helpdesk(s), "
		       "webhook server %s)\n", d.conf_path, d.s->imap_count,
		       d.s->helpdesk_count, d.s->webhook_enabled ? "on" : "off");
		settings_free(&d.s);
		return 0;
	}
	if (loop_new(&d.loop, &err) < 0 ||
	    loop_signal(d.loop, SIGTERM, daemon_on_term, &d, &err) < 0 ||
	    loop_signal(d.loop, SIGINT, daemon_on_term, &d, &err) < 0 ||
	    loop_signal(d.loop, SIGHUP, daemon_on_hup, &d, &err) < 0) {
		log_error("event loop: %s", err);
		d.exit_code = 1;
		goto out;
	}
	/* Bind first (a port below 1024 needs root), then give root up before
	   anything from outside is read and before the store is created, so
	   its files belong to the user. A webhook server that cannot listen is
	   fatal at start: the port is wrong or taken, and the admin must know
	   now. No request is served before loop_run(), so the store it needs
	   can come after. */
	if (daemon_webhook_start(&d) < 0 || daemon_drop_privileges(d.s) < 0) {
		d.exit_code = 1;
		goto out;
	}
	if (store_open(d.s->conf->store_backend, d.s->conf->store_path,
		       &d.store, &err) < 0) {
		log_error("store %s: %s", d.s->conf->store_path, err);
		d.exit_code = 1;
		goto out;
	}
	d.ws.store = d.store;
	if (daemon_sources_start(&d) < 0) {
		d.exit_code = 1;
		goto out;
	}
	{
		struct settings *for_deliver = NULL;

		if (daemon_settings_load(d.conf_path, true, &for_deliver) < 0 ||
		    deliver_start(for_deliver, &d.deliver, &err) < 0) {
			log_error("outbox delivery: %s", for_deliver != NULL ? err :
				  "configuration changed while starting");
			d.exit_code = 1;
			goto out;
		}
	}
	daemon_sla_soon(&d, 0);
	d.started_ms = loop_now_ms();
	daemon_digest_timer(&d);
	log_info("started with %zu IMAP source(s), %zu helpdesk(s), store %s",
		 d.source_count, d.s->helpdesk_count, d.s->conf->store_path);
	if (loop_run(d.loop, &err) < 0) {
		log_error("event loop: %s", err);
		d.exit_code = 1;
	}
out:
	/* Every batch commits inside one callback, so stopping here never
	   leaves half a transaction behind. */
	daemon_sources_stop(&d);
	webhook_server_stop(&d.web);
	deliver_stop(&d.deliver);
	sla_engine_free(&d.engine);
	loop_free(&d.loop);
	store_close(&d.store);
	settings_free(&d.s);
	curl_global_cleanup();
	if (d.exit_code == 0)
		log_info("stopped");
	return d.exit_code;
}
