/* digest - the monthly digest mails: one per team (to its lead), one to
 * the restricted HR list, and a personal statement per agent.
 *
 * Each is multipart/mixed: multipart/alternative (text/plain + text/html
 * with inline CSS only, tables and bar charts made of table cells, no
 * script, no image, so Outlook, Foxmail and QQ Mail web show the same)
 * and the per-agent table as a CSV attachment: report.h's columns (each
 * row as report_rows_csv() writes it), then month_reward_pct,
 * quarter_reward_pct, yuan_reward, points_reward, bonus_reward_pct and the
 * yuan ranges not fixed yet (yuan_range_deduction_min/_max,
 * yuan_range_reward_min/_max); the header row in the mail's language. The
 * numbers come from report_rows(), the same as `slaclock report`.
 *
 * Units are never mixed (POLICY.md): each proposal is shown in its own
 * unit, rewards +, deductions -, an S1 range not fixed yet as
 * "-(50–500) yuan (to be fixed on approval)"; the totals are per unit and
 * sign, rejected proposals left out, as the report's JSON totals.
 *
 * Languages: gettext (plugin/i18n.h, po/), English and Simplified
 * Chinese; a team digest in its lead's language, a statement in its
 * agent's (mailer_language_for()), the HR digest in mailer_conf.language. Privacy: the mails name agents and tickets, never
 * a customer; ticket ids that are Message-IDs lose their domain
 * ("abc@…") unless privacy_show_customers is set.
 *
 * Once only: digest_tick() writes a mark "digest:<month>" and every mail of
 * that month in one transaction; outbox keys
 *   digest:<month>:team:<team>   digest:<month>:hr   digest:<month>:agent:<addr>
 */
#ifndef SLACLOCK_DIGEST_H
#define SLACLOCK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "mailer.h"
#include "sla.h"

struct calendar;
struct store;

/* Longest ticket id shown; longer ones are cut with "…". */
#define DIGEST_TICKET_SHOWN_MAX 80

enum digest_kind {
	DIGEST_TEAM = 0,     /* WHO = team name */
	DIGEST_HR,           /* WHO = NULL: every team */
	DIGEST_AGENT,        /* WHO = agent address */
};

struct digest_doc {
	char *subject;
	char *text;
	char *html;
	char *csv;
	size_t csv_len;
	char *csv_name;      /* "slaclock-2026-11-team-aftersales-1.csv" */
	size_t row_count;    /* agents in the table */
};

/* AMOUNT (>= 0) in UNIT, in the language of the current i18n scope:
   "-10% of the month's score", "+5 points"; rewards +, deductions -. */
void digest_amount_text(enum sla_unit unit, bool reward, int amount, char *buf,
			size_t size);

/* Render one digest of MONTH. 0 and *doc (clear with digest_doc_clear()),
   or -1 with *error_r (static string). */
int digest_render(const struct conf *conf, const struct mailer_conf *mconf,
		  const struct calendar *cal, const struct sla_result *result,
		  const char *month, enum digest_kind kind, const char *who,
		  struct digest_doc *doc, const char **error_r);
void digest_doc_clear(struct digest_doc *doc);

/* Put every digest of MONTH into the outbox (built messages, dated NOW):
   the team digests of teams with a lead, the HR digest when hr is set,
   a statement per agent with anything booked. Call inside a transaction.
   *queued_r: rows newly put. 0 or -1 with *error_r. */
int digest_queue(const struct conf *conf, const struct mailer_conf *mconf,
		 const struct calendar *cal, struct store *store,
		 const struct sla_result *result, const char *month, int64_t now,
		 size_t *queued_r, const char **error_r);

/* The month whose digest is due by NOW: the month before the latest
   scheduled time (digest_day at digest_time, local) at or before NOW.
   Writes "YYYY-MM" into MONTH and the scheduled time into *at_r. */
void digest_due_month(const struct mailer_conf *mconf, const struct calendar *cal,
		      int64_t now, char month[8], int64_t *at_r);

/* What a periodic job puts into the outbox for PERIOD from RESULT, inside
   digest_once()'s transaction (digest_queue() is one). */
typedef int digest_queue_fn(const struct conf *conf, const struct mailer_conf *mconf,
			    const struct calendar *cal, struct store *store,
			    const struct sla_result *result, const char *period, int64_t now,
			    size_t *queued_r, const char **error_r);

/* Longest once-mark, "<job>:<period>". */
#define DIGEST_MARK_MAX 32

/* Once per PERIOD of JOB ("digest", "weekly"): when the mark
   "<job>:<period>" is new, evaluate the SLA and QUEUE the period's mails,
   mark and mails in one transaction, so that a restart or a missed
   schedule sends them once; otherwise nothing. NAME says the job in the
   log. *queued_r rows put. 0 or -1 with *error_r. */
int digest_once(const struct conf *conf, const struct mailer_conf *mconf,
		const struct calendar *cal, struct store *store, const char *job,
		const char *name, const char *period, digest_queue_fn *queue, int64_t now,
		size_t *queued_r, const char **error_r);

/* The monthly job, for the daemon's timer: when the mark of the due month
   is new, evaluate the SLA and queue that month's digests, all in one
   transaction; otherwise nothing (restart, missed schedule: sent once).
   *queued_r rows put. 0 or -1 with *error_r. */
int digest_tick(const struct conf *conf, const struct mailer_conf *mconf,
		const struct calendar *cal, struct store *store, int64_t now,
		size_t *queued_r, const char **error_r);

/* TICKET as shown in mails: the domain of a Message-ID id replaced by "…"
   unless SHOW_CUSTOMERS. Into BUF of SIZE. */
void digest_ticket_shown(const char *ticket, bool show_customers, char *buf, size_t size);

/* SECS rounded up to minutes in the units MIN, HOUR and DAY (already in
   the mail's language): "42 min", "3 h 05 min" under two days, else
   "2 d 4 h". Into BUF of SIZE. */
void digest_duration_text(int64_t secs, const char *min, const char *hour, const char *day,
			  char *buf, size_t size);

/* HTML-escape S onto OUT (& < > " '). */
void digest_html_escape(FILE *out, const char *s);

#endif
