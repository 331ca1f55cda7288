/* mailer - send slaclock's mail over SMTP (libcurl), through the outbox.
 *
 * Configuration, the [smtp] section of slaclock.conf:
 *
 *   url = smtp://host:587 | smtps://host:465   (required to send)
 *   starttls = yes|no          STARTTLS required on smtp:// (default yes)
 *   tls_verify = yes|no        certificate and host name check (default yes)
 *   ca_file = PATH             trust anchors instead of the system's
 *   pinned_pubkey = sha256//BASE64[;sha256//...]
 *                              the server's public key (SPKI SHA-256, as
 *                              curl and the refusal log line give it): a
 *                              match replaces the CA and host name checks
 *   username = NAME            AUTH (with password_file)
 *   password_file = PATH       first line; refused when group/other may read it
 *   from = addr                envelope sender and From: (required)
 *   from_name = TEXT           display name (default "slaclock")
 *   hr = a@x, b@x              the restricted HR list for the digest
 *   alert_interval = 5m        at most one alert mail per recipient per interval
 *   alert_max_age = 7d         breaches older than this are not alerted
 *   escalate1..escalate4 = DELAY RECIPIENT
 *                              RECIPIENT "lead" = the charged agent's team lead;
 *                              default escalate1 = 0 lead
 *   digest_day = 1             day of month of the monthly job (1..28)
 *   digest_time = 09:00        local time of the calendar's zone
 *   language = en|zh           default from $LC_ALL, $LC_MESSAGES or $LANG
 *                              (zh_* -> zh), else en
 *   recipient_language = ADDR LANG, ...
 *                              the language of the mails to ADDR (a lead,
 *                              an agent), e.g. "lead2@x en, lead3@x zh"
 *   privacy_show_customers = no
 *   ticket_url = https://rt.example.com/Ticket/Display.html?id=%s
 *                              link for "#123" tickets ("%s" = the number)
 *   timeout = 60s              whole SMTP transaction; connect = a third of it
 *
 * Every row of the outbox with channel MAILER_CHANNEL has a JSON payload
 * {"rcpt": ["a@x", ...], "message": "<the whole RFC 5322 message>"}: the
 * message is built once, when the row is put, so a resend after a crash
 * sends the same bytes (the same Message-ID).
 *
 * Delivery result per row: sent -> outbox_done; SMTP 4xx, connection or TLS
 * failure -> outbox_retry with exponential backoff (MAILER_BACKOFF_MIN
 * doubling up to MAILER_BACKOFF_MAX; no loss); SMTP 5xx -> logged, the
 * error recorded with outbox_retry and the row closed with outbox_done
 * (not retried for ever) - except 530 and 535 (STARTTLS or AUTH wanted,
 * or refused), which an administrator fixes in the config: retried.
 * A certificate refused names the host, the certificate's SHA-256
 * fingerprint and the public key's pin.
 */
#ifndef SLACLOCK_MAILER_H
#define SLACLOCK_MAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_outbox_item;

#define MAILER_CHANNEL "mail"
/* Rows that only record "already done" (seen breaches, planned digests):
   put and closed in the same transaction, never delivered. */
#define MAILER_CHANNEL_MARK "mail-mark"
#define MAILER_ESCALATIONS_MAX 4
#define MAILER_HR_MAX 64
#define MAILER_PASSWORD_MAX 1024
#define MAILER_VALUE_MAX 1024
#define MAILER_BACKOFF_MIN 60
#define MAILER_BACKOFF_MAX 3600
/* A payload bigger than this is refused rather than sent. */
#define MAILER_PAYLOAD_MAX (32u * 1024 * 1024)

enum mailer_language {
	MAILER_LANG_EN = 0,
	MAILER_LANG_ZH,
};

struct mailer_rcpt_language {
	char *addr;             /* lower-cased */
	enum mailer_language language;
};

struct mailer_escalation {
	int64_t after;          /* seconds after the deadline */
	char *to;               /* address, or "lead" */
};

struct mailer_conf {
	char *url;
	bool starttls;
	bool tls_verify;
	char *ca_file;
	char *pinned_pubkey;
	char *username;
	char *password_file;
	char *password;         /* read by mailer_conf_check() */
	char *from;
	char *from_name;
	char **hr;
	size_t hr_count;
	int64_t alert_interval;
	int64_t alert_max_age;
	struct mailer_escalation escalations[MAILER_ESCALATIONS_MAX];
	size_t escalation_count;
	int digest_day;
	int digest_time;        /* seconds after local midnight */
	enum mailer_language language;
	bool language_set;
	struct mailer_rcpt_language *rcpt_languages;
	size_t rcpt_language_count;
	bool privacy_show_customers;
	char *ticket_url;
	int64_t timeout;
};

/* Defaults as documented above. 0, or -1 on allocation failure. */
int mailer_conf_init(struct mailer_conf *conf);
void mailer_conf_clear(struct mailer_conf *conf);

/* One KEY = VALUE of the [smtp] section. 0, or -1 with *error_r (a static
   string, for the config loader's "file:line: message") when the key is
   unknown or the value invalid. */
int mailer_conf_key(struct mailer_conf *conf, const char *key, const char *value,
		    const char **error_r);

/* The language of mail to ADDR: its recipient_language, else language. */
enum mailer_language mailer_language_for(const struct mailer_conf *conf, const char *addr);

/* After the section is read: url and from given, credentials only over
   TLS (or loopback), the password file private and read. 0 or -1 with
   *error_r (static string). */
int mailer_conf_check(struct mailer_conf *conf, const char **error_r);

enum mailer_status {
	MAILER_SENT = 0,
	MAILER_TEMPFAIL,        /* try again later */
	MAILER_PERMFAIL,        /* the server said no (5xx) */
};

/* Send LEN octets of MESSAGE to RCPTS over SMTP. Returns the status and
   writes a sanitised one-line reason into ERR (size ERR_SIZE) unless sent. */
enum mailer_status mailer_send(const struct mailer_conf *conf,
			       const char *const *rcpts, size_t rcpt_count,
			       const char *message, size_t len,
			       char *err, size_t err_size);

/* Put a mail row with KEY into the outbox (payload as described above).
   *inserted_r false when KEY was there already. 0 or -1 with *error_r. */
int mailer_outbox_put(struct store *store, const char *key,
		      const char *const *rcpts, size_t rcpt_count,
		      const char *message, size_t len, int64_t not_before,
		      bool *inserted_r, const char **error_r);

/* Put a mark row with KEY and close it: *inserted_r says whether KEY was
   new. Used as a once-only set. Call inside a transaction. */
int mailer_outbox_mark(struct store *store, const char *key, int64_t now,
		       bool *inserted_r, const char **error_r);

/* Deliver one outbox row of channel MAILER_CHANNEL and record the outcome
   (done, retry with backoff, or closed after a 5xx). *status_r (may be
   NULL) says which. 0, or -1 with *error_r when the store failed. */
int mailer_outbox_deliver(const struct mailer_conf *conf, struct store *store,
			  const struct store_outbox_item *item, int64_t now,
			  enum mailer_status *status_r, const char **error_r);

struct mailer_stats {
	size_t sent, tempfail, permfail;
};

/* Deliver the mail rows due at NOW, at most MAILER_RUN_MAX of them so a
   long queue does not hold the event loop (the daemon comes back for the
   rest); rows of other channels are left to their deliverers. 0 or -1
   with *error_r; stats->sent + tempfail + permfail = rows handled. */
#define MAILER_RUN_MAX 100
int mailer_outbox_run(const struct mailer_conf *conf, struct store *store,
		      int64_t now, struct mailer_stats *stats, const char **error_r);

/* The backoff before attempt ATTEMPTS + 1. */
int64_t mailer_backoff(int attempts);

#endif
