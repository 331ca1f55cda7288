#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "helpdesk.h"
#include "log.h"
#include "mailer.h"
#include "settings.h"
#include "store.h"

struct deliver {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool kicked, stop;
	struct settings *next;    /* handed over by deliver_reload() */
	struct deliver_counters n;
	struct settings *s;       /* the thread's own */
	struct store *store;      /* the thread's own connection */
};

/* One pass over the due rows of every channel. true when a deliverer
   stopped at its per-run cap, so more may be due at once. */
static bool
deliver_run(struct deliver *d)
{
	int64_t now = (int64_t)time(NULL);
	struct mailer_stats ms = { 0 };
	const char *err;
	bool more = false;
	int notes = 0;

	if (d->s->helpdesk_count > 0) {
		notes = helpdesk_outbox_run(d->store, d->s->helpdesk_ptrs,
					    d->s->helpdesk_count, now, &err);
		if (notes < 0)
			log_error("outbox: %s", err);
		more = notes >= HELPDESK_RUN_MAX;
	}
	if (d->s->mailer != NULL) {
		if (mailer_outbox_run(d->s->mailer, d->store, now, &ms, &err) < 0) {
			log_error("outbox: %s", err);
			notes = -1;
		}
		more = more || ms.sent + ms.tempfail + ms.permfail >= MAILER_RUN_MAX;
	}
	pthread_mutex_lock(&d->lock);
	d->n.runs++;
	if (notes > 0)
		d->n.notes_delivered += (uint64_t)notes;
	if (notes < 0)
		d->n.errors++;
	d->n.mails_sent += ms.sent;
	d->n.mail_failures += ms.tempfail + ms.permfail;
	pthread_mutex_unlock(&d->lock);
	return more;
}

static void *
deliver_main(void *arg)
{
	struct deliver *d = arg;
	bool more = true;

	for (;;) {
		struct settings *next;
		struct timespec until;

		pthread_mutex_lock(&d->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += DELIVER_IDLE_SECS;
		while (!more && !d->kicked && d->next == NULL && !d->stop)
			if (pthread_cond_timedwait(&d->wake, &d->lock, &until) == ETIMEDOUT)
				break;
		if (d->stop) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		next = d->next;
		d->next = NULL;
		d->kicked = false;
		pthread_mutex_unlock(&d->lock);

		if (next != NULL) {
			settings_free(&d->s);
			d->s = next;
		}
		more = deliver_run(d);
	}
	return NULL;
}

int
deliver_start(struct settings *settings, struct deliver **d_r, const char **error_r)
{
	struct deliver *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		settings_free(&settings);
		*error_r = "out of memory";
		return -1;
	}
	d->s = settings;
	if (store_open(d->s->conf->store_backend, d->s->conf->store_path, &d->store,
		       error_r) < 0)
		goto fail;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	if (pthread_create(&d->thread, NULL, deliver_main, d) != 0) {
		*error_r = "cannot start the delivery thread";
		pthread_cond_destroy(&d->wake);
		pthread_mutex_destroy(&d->lock);
		goto fail;
	}
	*d_r = d;
	return 0;
fail:
	store_close(&d->store);
	settings_free(&d->s);
	free(d);
	return -1;
}

static void
deliver_signal(struct deliver *d, bool *flag)
{
	pthread_mutex_lock(&d->lock);
	*flag = true;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

void
deliver_kick(struct deliver *d)
{
	if (d != NULL)
		deliver_signal(d, &d->kicked);
}

void
deliver_reload(struct deliver *d, struct settings *settings)
{
	if (d == NULL) {
		settings_free(&settings);
		return;
	}
	pthread_mutex_lock(&d->lock);
	settings_free(&d->next);	/* one not yet taken: the newer wins */
	d->next = settings;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

void
deliver_stop(struct deliver **dp)
{
	struct deliver *d = *dp;

	if (d == NULL)
		return;
	*dp = NULL;
	deliver_signal(d, &d->stop);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	settings_free(&d->next);
	settings_free(&d->s);
	store_close(&d->store);
	free(d);
}

void
deliver_counters_get(struct deliver *d, struct deliver_counters *out)
{
	pthread_mutex_lock(&d->lock);
	*out = d->n;
	pthread_mutex_unlock(&d->lock);
}
