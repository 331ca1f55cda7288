/* webhook - helpdesk webhook payloads (JSON) to events. Pure: no I/O.
 *
 * One payload yields zero or more events (WEBHOOK_EVENTS_MAX at most): a
 * ticket created by a customer is a customer_message and a status "new";
 * a resolution is a status "solved" and a resolved event. Payloads that say
 * nothing a clock cares about yield none, and so do those caused by
 * slaclock's own helpdesk user (own_user), so our notes cannot loop.
 *
 * Ticket keys are "<name>:<id>" (name = the [helpdesk NAME] section), so
 * "rt:42" is RT ticket 42 of the helpdesk named "rt". External ids are the
 * helpdesk's transaction (article, event) id, suffixed with the event kind
 * when one transaction yields several, so a redelivered webhook adds
 * nothing to the store.
 *
 * Status attrs use one vocabulary for all helpdesks:
 *   {"status":"new|open|pending|solved|closed|reopened","helpdesk_status":"…"}
 * assign: {"owner":"…"}; complaint: {"cause":"…"} and/or {"verified":true};
 * satisfaction: {"rating":"satisfied|unsatisfied"}; preliminary: {"field":"…"}.
 */
#ifndef SLACLOCK_WEBHOOK_H
#define SLACLOCK_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "event.h"

#define WEBHOOK_BODY_MAX (1024 * 1024)  /* bytes; larger is 413 */
#define WEBHOOK_DEPTH_MAX 32            /* JSON nesting; jansson allows 2048 */
#define WEBHOOK_EVENTS_MAX 4            /* events from one payload */
#define WEBHOOK_KEY_MAX 160             /* external ids, ticket keys */
#define WEBHOOK_ATTRS_MAX 512           /* attrs JSON text of one event */
#define WEBHOOK_NAME_MAX 64             /* helpdesk section name */

enum webhook_kind {
	WEBHOOK_RT = 0,
	WEBHOOK_ZAMMAD,
	WEBHOOK_ZENDESK,
	WEBHOOK_FRESHDESK,
	WEBHOOK_KIND_COUNT
};

/* "rt", "zammad", "zendesk", "freshdesk"; NULL when out of range. */
const char *webhook_kind_name(enum webhook_kind kind);
/* 0, or -1 when NAME names no helpdesk type. */
int webhook_kind_from_name(const char *name, enum webhook_kind *kind_r);

/* Is USER (a helpdesk login or address) one of our agents? */
typedef bool webhook_is_agent_cb(void *ctx, const char *user);

struct webhook_opts {
	const char *name;               /* helpdesk section name, e.g. "rt" */
	const char *own_user;           /* slaclock's helpdesk user; may be NULL */
	/* Used when the payload does not say (RT: creator_privileged). When
	   NULL too, a user is an agent unless it looks like an address. */
	webhook_is_agent_cb *is_agent;
	void *is_agent_ctx;
	/* Custom field (RT, Zammad) or tag (Zendesk, Freshdesk) names; NULL
	   takes the defaults "Preliminary Solution", "Complaint Cause",
	   "Complaint Verified", "Satisfaction" (tags: "preliminary",
	   "complaint", "complaint_verified"). Compared case-insensitively. */
	const char *preliminary_field;
	const char *complaint_field;
	const char *verified_field;
	const char *satisfaction_field;
};

struct webhook_item {
	enum event_kind kind;
	int64_t time;                   /* UTC seconds */
	char external_id[WEBHOOK_KEY_MAX];
	char ticket[WEBHOOK_KEY_MAX];
	char actor[EVENT_ACTOR_MAX];    /* agent login/address, or "customer" / "system" */
	char attrs[WEBHOOK_ATTRS_MAX];  /* "" for none */
};

struct webhook_result {
	size_t count;
	struct webhook_item items[WEBHOOK_EVENTS_MAX];
	bool own;                       /* caused by own_user: ignored */
	char txn_id[WEBHOOK_KEY_MAX];   /* the helpdesk's id of what happened */
	char ticket[WEBHOOK_KEY_MAX];
};

/* Parse BODY (LEN bytes, need not be NUL-terminated) as strict JSON:
   UTF-8, no duplicate keys, no NUL, at most WEBHOOK_DEPTH_MAX deep and
   WEBHOOK_BODY_MAX long. 0 and *json_r (json_decref() it) or -1 and
   *error_r (static text fit for a log line). */
int webhook_json_load(const char *body, size_t len, json_t **json_r,
		      const char **error_r);

/* Map one payload of helpdesk type KIND to events in *result_r.
   0: parsed (count may be 0, e.g. own_user or an uninteresting change);
   -1: not a payload of that helpdesk (malformed JSON, missing ids),
   *error_r static. */
int webhook_parse(enum webhook_kind kind, const struct webhook_opts *opts,
		  const char *body, size_t len, struct webhook_result *result_r,
		  const char **error_r);

/* Per-helpdesk mappers on an already loaded document (same contract). */
int webhook_rt_parse(const struct webhook_opts *opts, json_t *root,
		     struct webhook_result *result, const char **error_r);
int webhook_zammad_parse(const struct webhook_opts *opts, json_t *root,
			 struct webhook_result *result, const char **error_r);
int webhook_zendesk_parse(const struct webhook_opts *opts, json_t *root,
			  struct webhook_result *result, const char **error_r);
int webhook_freshdesk_parse(const struct webhook_opts *opts, json_t *root,
			    struct webhook_result *result, const char **error_r);

/* Fill *ev_r from item I of RESULT; its strings point into RESULT and
   SOURCE ("webhook:<name>"). */
void webhook_result_event(const struct webhook_result *result, size_t i,
			  const char *source, struct event *ev_r);

/* ISO 8601 / RFC 3339 ("2026-03-01T08:00:00Z", "...T08:00:00.123+08:00",
   "2026-03-01 08:00:00" = UTC) to UTC seconds. 0 or -1. */
int webhook_parse_time(const char *text, int64_t *t_r);

/* Helpers shared by the mappers (webhook.c). */
/* Append an event; -1 when full, EXTERNAL_ID is empty or a text does not
   fit. ATTRS may be NULL. */
int webhook_result_add(struct webhook_result *result, enum event_kind kind,
		       int64_t time, const char *external_id,
		       const char *actor, const char *attrs);
/* Set result->ticket to "<name>:<id>"; -1 when ID is empty or too long. */
int webhook_result_set_ticket(struct webhook_result *result,
			      const struct webhook_opts *opts, const char *id);
/* The string or integer member KEY of OBJ as text in BUF; NULL when absent,
   null or another type. */
const char *webhook_json_text(json_t *obj, const char *key, char *buf,
			      size_t size);
/* Our status vocabulary for a helpdesk's status name ("stalled" ->
   "pending", "resolved" -> "solved"); NULL when unknown. */
const char *webhook_status_normalize(const char *status);
/* Events for a status change OLD -> NEW (OLD may be NULL): a status event,
   plus a resolved event for solved/closed. Reopened when NEW is active and
   OLD was solved/closed. */
int webhook_result_add_status(struct webhook_result *result, int64_t time,
			      const char *txn_id, const char *actor,
			      const char *old_status, const char *new_status);
/* Is NAME equal to the option's value or its default (case-insensitive)? */
bool webhook_name_is(const char *name, const char *opt, const char *def);

#endif
