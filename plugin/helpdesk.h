/* helpdesk - one configured helpdesk ([helpdesk NAME]) and its connector.
 *
 *   [helpdesk rt]
 *   type = rt                       rt | zammad | zendesk | freshdesk
 *   url = http://127.0.0.1:8080     base URL (RT: without /REST/2.0)
 *   token_file = /etc/slaclock/rt.token        API token for write-back
 *   webhook_secret_file = /etc/slaclock/rt.hmac  HMAC key for webhooks, or
 *   webhook_token_file = ...        a bearer token the helpdesk sends
 *   signature_header = X-Slaclock-Signature    where the HMAC is (hex, an
 *                                   optional "sha256=" prefix)
 *   signature_algorithm = sha256    sha256 | sha1 (Zammad's X-Hub-Signature)
 *   own_user = slaclock             webhooks caused by this user are ignored
 *   tally_queue = SLA Tallies       queue (group) for monthly tally tickets
 *   timeout = 10s                   per request to the helpdesk
 *   preliminary_field / complaint_field / verified_field / satisfaction_field
 *
 * Connectors are a const struct of function pointers, one file each
 * (helpdesk_rt.c, helpdesk_zammad.c, helpdesk_zendesk.c). Every note carries
 * the line "slaclock-id: <outbox key>" so a connector can tell after a crash
 * whether it already posted it.
 */
#ifndef SLACLOCK_HELPDESK_H
#define SLACLOCK_HELPDESK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../parsers/webhook.h"  /* not plugin/webhook.h: same name */

#define HELPDESK_SECRET_MAX 4096     /* bytes of a token or key file */
#define HELPDESK_URL_MAX 2048
#define HELPDESK_RESPONSE_MAX (4 * 1024 * 1024)  /* a helpdesk's answer */
#define HELPDESK_NOTE_MAX (64 * 1024)            /* a note's text */
#define HELPDESK_HISTORY_MAX 2000    /* transactions read looking for a marker */
#define HELPDESK_MARKER_PREFIX "slaclock-id: "
#define HELPDESK_CHANNEL_PREFIX "helpdesk:"   /* outbox channel "helpdesk:<name>" */

struct store;
struct store_outbox_item;

struct helpdesk_conf {
	char *name;                  /* section name: "rt" */
	enum webhook_kind type;
	bool type_set;
	char *url;
	char *token_file;
	char *webhook_secret_file;
	char *webhook_token_file;
	char *signature_header;      /* default "X-Slaclock-Signature" */
	bool signature_sha1;
	char *own_user;
	char *tally_queue;
	int64_t timeout_secs;        /* default 10 */
	char *preliminary_field;
	char *complaint_field;
	char *verified_field;
	char *satisfaction_field;
	/* Read by helpdesk_conf_finish(). */
	char *token;                 /* API token, may be NULL */
	unsigned char *webhook_secret;
	size_t webhook_secret_len;
	char *webhook_token;
};

/* Start section NAME with the defaults. 0, or -1 with *error_r (static). */
int helpdesk_conf_init(struct helpdesk_conf *hc, const char *name,
		       const char **error_r);
/* One "key = value" of the section. 0; or -1 with *error_r (static text
   without file:line, which the caller adds) for an unknown key or a bad
   value. */
int helpdesk_conf_key(struct helpdesk_conf *hc, const char *key,
		      const char *value, const char **error_r);
/* After the section: check it is complete and read the secret files
   (relative paths are relative to BASE_DIR, may be NULL). 0 or -1 with
   *error_r (static). */
int helpdesk_conf_finish(struct helpdesk_conf *hc, const char *base_dir,
			 const char **error_r);
void helpdesk_conf_clear(struct helpdesk_conf *hc);
/* The webhook_opts for parsing this helpdesk's payloads (points into HC). */
void helpdesk_conf_webhook_opts(const struct helpdesk_conf *hc,
				struct webhook_opts *opts_r);

/* A request to a helpdesk, built without sending it (the builders are what
   the Zammad/Zendesk fixtures test). Owned strings; clear with
   helpdesk_request_clear(). */
#define HELPDESK_HEADERS_MAX 4
struct helpdesk_request {
	const char *method;          /* static: "POST", "GET", "PUT" */
	char *url;
	char *headers[HELPDESK_HEADERS_MAX];  /* "Name: value" */
	size_t header_count;
	char *body;                  /* JSON text or NULL */
};
void helpdesk_request_clear(struct helpdesk_request *req);

/* A JSON request for a helpdesk's REST API: METHOD, the URL made from
   URL_FMT, BODY (taken: decref'd here; NULL is "too long or out of
   memory"), and the header lines AUTH and "Content-Type: application/
   json". 0, or -1 with *error_r and REQ cleared. */
int helpdesk_request_json(struct helpdesk_request *req, const char *method, json_t *body,
			  const char *auth, const char **error_r, const char *url_fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Whether TICKET is a helpdesk's numeric ticket id (at most 20 digits). */
bool helpdesk_ticket_id_ok(const char *ticket);

/* What a delivery attempt came to. */
enum helpdesk_result {
	HELPDESK_OK = 0,             /* posted, or found already posted */
	HELPDESK_RETRY,              /* timeout, 5xx, connection refused */
	HELPDESK_FAILED,             /* will never work: 4xx, bad payload */
};

/* A note: an internal comment on TICKET (the helpdesk's own id, "42"). */
struct helpdesk_note {
	const char *ticket;
	const char *text;
	const char *marker;          /* the outbox key */
};

/* A new ticket (the monthly tally) in QUEUE. */
struct helpdesk_new_ticket {
	const char *queue;
	const char *subject;
	const char *text;
	const char *marker;
};

struct helpdesk_connector {
	const char *name;            /* "rt" */
	/* Build the request that posts NOTE. 0 or -1 with *error_r. */
	int (*note_request)(const struct helpdesk_conf *hc,
			    const struct helpdesk_note *note,
			    struct helpdesk_request *req_r, const char **error_r);
	/* Post NOTE, or when CHECK_FIRST, first look for its marker in the
	   ticket and post only when absent. Messages go to ERR. */
	enum helpdesk_result (*note_post)(const struct helpdesk_conf *hc,
					  const struct helpdesk_note *note,
					  bool check_first, char *err,
					  size_t err_size);
	/* Create a ticket likewise (NULL when the helpdesk has none here). */
	enum helpdesk_result (*ticket_create)(const struct helpdesk_conf *hc,
					      const struct helpdesk_new_ticket *t,
					      bool check_first, char *err,
					      size_t err_size);
};

extern const struct helpdesk_connector helpdesk_rt_connector;
extern const struct helpdesk_connector helpdesk_zammad_connector;
extern const struct helpdesk_connector helpdesk_zendesk_connector;

/* The connector of a helpdesk type, or NULL (Freshdesk: none yet). */
const struct helpdesk_connector *helpdesk_connector_get(enum webhook_kind type);

/* The text of a note with its marker line appended: malloc'ed, or NULL. */
char *helpdesk_note_text(const char *text, const char *marker);

/* Outbox delivery. An outbox row of channel "helpdesk:<name>" carries the
 * payload
 *   {"action":"comment","ticket":"42","text":"…"}
 *   {"action":"ticket","queue":"…","subject":"…","text":"…"}  (queue
 *                                    defaults to tally_queue)
 * and its key is the marker. helpdesk_outbox_run() delivers every row due
 * at NOW: before sending it counts an attempt (outbox_retry with the
 * backoff), so a crash between sending and outbox_done leaves attempts > 0,
 * and the next run checks the ticket for the marker before posting again.
 * Permanent failures are retried at the longest backoff and given up after
 * HELPDESK_ATTEMPTS_MAX attempts (logged). Returns the number of rows
 * handled (>= 0), or -1 with *error_r on a store error. */
#define HELPDESK_ATTEMPTS_MAX 50
#define HELPDESK_BACKOFF_MIN 30        /* seconds */
#define HELPDESK_BACKOFF_MAX 3600
#define HELPDESK_RUN_MAX 100           /* rows per run */
int helpdesk_outbox_run(struct store *store,
			const struct helpdesk_conf *const *helpdesks,
			size_t helpdesk_count, int64_t now,
			const char **error_r);
/* Seconds to wait after ATTEMPTS failed attempts. */
int64_t helpdesk_backoff(int attempts);

#endif
