/* webhook - the HTTP server for helpdesk webhooks, health and metrics.
 *
 *   POST /webhook/<name>   a payload of helpdesk NAME: authenticated (HMAC
 *                          of the body in signature_header, or a bearer
 *                          token), mapped to events, stored idempotently
 *   GET  /healthz          200 "ok"
 *   GET  /metrics          Prometheus text
 *
 * libmicrohttpd runs without threads of its own (MHD_USE_EPOLL): its epoll
 * fd sits on the daemon's loop and a loop timer follows MHD_get_timeout(),
 * so requests are served by the loop thread like everything else and the
 * store needs no locking.
 *
 * Answers: 200 stored (or duplicate, or ignored: own user / nothing that
 * moves a clock), 400 malformed JSON / not this helpdesk's payload, 401 bad
 * or missing signature, 404 unknown name or path, 405 wrong method, 413 body
 * over WEBHOOK_BODY_MAX, 500 store error. Every rejection is logged once
 * with its reason and stores nothing.
 */
#ifndef SLACLOCK_WEBHOOK_SERVER_H
#define SLACLOCK_WEBHOOK_SERVER_H

#include <stdint.h>
#include <stdio.h>

#include "helpdesk.h"

#define WEBHOOK_CONNECTIONS_MAX 64
#define WEBHOOK_CONNECTION_TIMEOUT 15   /* seconds idle before MHD drops it */
#define WEBHOOK_METRIC_SOURCES_MAX 32

struct loop;
struct store;
struct webhook_server;

/* Called after a payload's events were committed (INSERTED of them new),
   e.g. for the daemon to re-evaluate TICKET's clocks. */
typedef void webhook_ingested_cb(void *ctx, const char *source,
				 const char *ticket, size_t inserted);
/* Append the daemon's own metrics (open clocks, breaches, outbox depth)
   to OUT in Prometheus text format. */
typedef void webhook_metrics_cb(void *ctx, FILE *out);

struct webhook_settings {
	const char *address;          /* default "127.0.0.1" */
	uint16_t port;                /* 0: any free port (webhook_server_port) */
	struct store *store;
	const struct helpdesk_conf *const *helpdesks;
	size_t helpdesk_count;
	webhook_is_agent_cb *is_agent;
	void *is_agent_ctx;
	webhook_ingested_cb *ingested;
	webhook_metrics_cb *metrics;
	void *ctx;                    /* for ingested and metrics */
};

/* Start serving on LOOP. SETTINGS and everything it points to must outlive
   the server. 0 and *server_r, or -1 and *error_r (static). */
int webhook_server_start(struct loop *loop, const struct webhook_settings *settings,
			 struct webhook_server **server_r, const char **error_r);
void webhook_server_stop(struct webhook_server **server);
uint16_t webhook_server_port(const struct webhook_server *server);

/* Check a signature header VALUE ("sha256=<hex>", "<hex>", "sha1=<hex>")
   against the HMAC of BODY under KEY, in constant time. true when valid. */
bool webhook_signature_ok(const unsigned char *key, size_t key_len, bool sha1,
			  const char *value, const char *body, size_t body_len);
/* Constant-time comparison of two NUL-terminated tokens of any length. */
bool webhook_token_eq(const char *a, const char *b);

#endif
