/* slaclockd - the daemon: IMAP sources and SLA deadline timers on one loop.
 *
 *   slaclockd -c FILE [-d] [-n]
 *
 * -n checks the configuration and exits; -d logs to stderr instead of
 * syslog. It always stays in the foreground (systemd supervises it).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "conf.h"
#include "imap.h"
#include "log.h"
#include "loop.h"
#include "sla.h"
#include "store.h"

/* After a batch, wait this long for more before re-evaluating clocks, so
   an initial sync does not evaluate the whole store per batch. */
#define DAEMON_SLA_DEBOUNCE_MS 200
#define DAEMON_SLA_MAX_WAIT_MS (60 * 60 * 1000)

struct daemon_conf {
	struct conf *conf;
	struct calendar *cal;
	struct imap_account *accts;
	size_t acct_count;
};

struct daemon {
	const char *conf_path;
	struct loop *loop;
	struct store *store;
	struct daemon_conf dc;
	struct imap_source **sources;
	size_t source_count;
	struct loop_timer *sla_timer;
	int64_t sla_timer_at;
	int exit_code;
};

static void
daemon_conf_clear(struct daemon_conf *dc)
{
	imap_accounts_free(&dc->accts, dc->acct_count);
	dc->acct_count = 0;
	calendar_free(&dc->cal);
	conf_free(&dc->conf);
}

/* Load PATH: the [imap NAME] sections here, everything else through
   conf_load_buffer() with those sections blanked out. 0, or -1 with the
   errors logged. */
static int
daemon_conf_load(const char *path, struct daemon_conf *dc)
{
	FILE *fp;
	char *buf = NULL, *errs = NULL;
	const char *err;
	size_t len;
	int ret = -1;

	memset(dc, 0, sizeof(*dc));
	if ((fp = fopen(path, "r")) == NULL) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(CONF_FILE_MAX + 1);
	if (buf == NULL) {
		log_error("out of memory");
		goto out;
	}
	len = fread(buf, 1, CONF_FILE_MAX + 1, fp);
	if (ferror(fp) || len > CONF_FILE_MAX) {
		log_error("%s: %s", path, ferror(fp) ? "read error" :
			  "larger than the configuration file limit");
		goto out;
	}
	buf[len] = '\0';
	if (imap_conf_parse(path, buf, len, &dc->accts, &dc->acct_count, &errs) < 0) {
		log_error("%s", errs);
		goto out;
	}
	imap_conf_strip(buf, len);
	if (conf_load_buffer(path, buf, len, &dc->conf, &errs) < 0) {
		log_error("%s", errs);
		goto out;
	}
	if (calendar_new(&dc->conf->calendar, &dc->cal, &err) < 0) {
		log_error("%s: [calendar] %s", path, err);
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		daemon_conf_clear(dc);
	free(errs);
	free(buf);
	fclose(fp);
	return ret;
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

static void
daemon_batch_cb(void *ctx, uint64_t new_events)
{
	daemon_sla_soon(ctx, DAEMON_SLA_DEBOUNCE_MS);
}

static int
daemon_sources_start(struct daemon *d)
{
	size_t i;
	const char *err;

	d->sources = calloc(d->dc.acct_count + 1, sizeof(*d->sources));
	if (d->sources == NULL) {
		log_error("out of memory");
		return -1;
	}
	for (i = 0; i < d->dc.acct_count; i++) {
		if (imap_source_new(d->loop, d->store, d->dc.conf, &d->dc.accts[i],
				    daemon_batch_cb, d, &d->sources[d->source_count],
				    &err) < 0) {
			/* One bad account must not stop the others. */
			log_error("imap %s: %s", d->dc.accts[i].name, err);
			continue;
		}
		d->source_count++;
	}
	if (d->dc.acct_count == 0)
		log_warn("%s: no [imap NAME] section: no mail will be read",
			 d->conf_path);
	return 0;
}

/* ---- SLA deadline hook ------------------------------------------------
 * daemon_sla_evaluate() is where the daemon re-evaluates every clock:
 * after new events (debounced) and at the next pending deadline, so a
 * breach is recorded within a second of its deadline even when no mail
 * arrives. */

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

static int
daemon_sla_evaluate(struct daemon *d, int64_t *next_deadline_r)
{
	struct sla_result result;
	const char *err;
	int64_t now = (int64_t)time(NULL), next = 0;
	size_t i;
	int m;

	memset(&result, 0, sizeof(result));
	if (sla_evaluate(d->dc.conf, d->dc.cal, d->store, now, &result, &err) < 0 ||
	    sla_persist(d->store, d->dc.cal, &result, &err) < 0) {
		log_error("SLA evaluation failed: %s", err);
		sla_result_clear(&result);
		return -1;
	}
	for (i = 0; i < result.ticket_count; i++)
		for (m = 0; m < SLA_MILESTONE_COUNT; m++) {
			const struct sla_clock *c = &result.tickets[i].clocks[m];

			if (c->state == SLA_PENDING && c->deadline >= now &&
			    (next == 0 || c->deadline < next))
				next = c->deadline;
		}
	sla_result_clear(&result);
	*next_deadline_r = next;
	return 0;
}

static void
daemon_sla_timer(void *ctx)
{
	struct daemon *d = ctx;
	int64_t next = 0, when;

	d->sla_timer = NULL;
	if (daemon_sla_evaluate(d, &next) < 0) {
		daemon_sla_soon(d, 60 * 1000);
		return;
	}
	if (next == 0) {
		daemon_sla_soon(d, DAEMON_SLA_MAX_WAIT_MS);
		return;
	}
	/* Met at the deadline is met: a clock misses one second after. */
	when = loop_wall_to_mono_ms(next + 1);
	if (when - loop_now_ms() > DAEMON_SLA_MAX_WAIT_MS)
		when = loop_now_ms() + DAEMON_SLA_MAX_WAIT_MS;
	daemon_sla_arm(d, when);
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
	struct daemon_conf dc;

	log_info("SIGHUP: reloading %s", d->conf_path);
	if (daemon_conf_load(d->conf_path, &dc) < 0) {
		log_error("%s: new configuration is invalid; keeping the old one",
			  d->conf_path);
		return;
	}
	if (strcmp(dc.conf->store_path, d->dc.conf->store_path) != 0 ||
	    strcmp(dc.conf->store_backend, d->dc.conf->store_backend) != 0)
		log_warn("%s: [store] changed; it takes effect at the next start",
			 d->conf_path);
	daemon_sources_stop(d);
	daemon_conf_clear(&d->dc);
	d->dc = dc;
	(void)daemon_sources_start(d);
	daemon_sla_soon(d, 0);
	log_info("configuration reloaded: %zu IMAP source(s)", d->source_count);
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

	if (daemon_conf_load(d.conf_path, &d.dc) < 0)
		return 1;
	if (check) {
		size_t i;
		char *pw, perr[512];

		/* The secrets must be readable (and private) too. */
		for (i = 0; i < d.dc.acct_count; i++) {
			if (imap_password_read(d.dc.accts[i].password_file, &pw,
					       perr, sizeof(perr)) < 0) {
				log_error("imap %s: %s", d.dc.accts[i].name, perr);
				daemon_conf_clear(&d.dc);
				return 1;
			}
			explicit_bzero(pw, strlen(pw));
			free(pw);
		}
		printf("%s: configuration OK (%zu IMAP source(s))\n", d.conf_path,
		       d.dc.acct_count);
		daemon_conf_clear(&d.dc);
		return 0;
	}
	if (store_open(d.dc.conf->store_backend, d.dc.conf->store_path,
		       &d.store, &err) < 0) {
		log_error("store %s: %s", d.dc.conf->store_path, err);
		daemon_conf_clear(&d.dc);
		return 1;
	}
	if (loop_new(&d.loop, &err) < 0 ||
	    loop_signal(d.loop, SIGTERM, daemon_on_term, &d, &err) < 0 ||
	    loop_signal(d.loop, SIGINT, daemon_on_term, &d, &err) < 0 ||
	    loop_signal(d.loop, SIGHUP, daemon_on_hup, &d, &err) < 0) {
		log_error("event loop: %s", err);
		d.exit_code = 1;
		goto out;
	}
	if (daemon_sources_start(&d) < 0) {
		d.exit_code = 1;
		goto out;
	}
	daemon_sla_soon(&d, 0);
	log_info("started with %zu IMAP source(s), store %s", d.source_count,
		 d.dc.conf->store_path);
	if (loop_run(d.loop, &err) < 0) {
		log_error("event loop: %s", err);
		d.exit_code = 1;
	}
out:
	/* Every batch commits inside one callback, so stopping here never
	   leaves half a transaction behind. */
	daemon_sources_stop(&d);
	loop_free(&d.loop);
	store_close(&d.store);
	daemon_conf_clear(&d.dc);
	if (d.exit_code == 0)
		log_info("stopped");
	return d.exit_code;
}
