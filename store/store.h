/* store - the event store behind one interface.
 *
 * A backend is a const struct of function pointers (see store_backend);
 * store_open() picks one by name. SQLite (WAL) is the embedded default.
 *
 * Error contract: every function returns 0 on success or -1 on error with
 * *error_r set to a message owned by the store, valid until the next call on
 * the same store. Strings handed to callbacks are valid only during the call.
 */
#ifndef SLACLOCK_STORE_H
#define SLACLOCK_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "event.h"

#define STORE_SCHEMA_VERSION 3

struct store;

/* Called for each event in order; return 0 to go on, non-zero to stop
   (the iteration then returns that value). */
typedef int store_event_cb(void *ctx, const struct event *ev);

/* A derived record: written by the SLA engine on recompute. */
struct store_breach {
	const char *ticket;
	const char *rule;         /* "S14.1", "S14.2p", "S14.2r" */
	const char *agent;        /* charged */
	int64_t deadline;
	int64_t met_at;           /* 0 when never met */
	const char *month;        /* "YYYY-MM" booked to */
};

struct store_proposal {
	const char *key;          /* stable: survives recompute, keeps its state */
	const char *agent;
	const char *rule;         /* "S14.1s", "S14.2d" */
	const char *month;
	const char *unit;         /* "pct_month_score", ... */
	int amount;               /* e.g. 10 for -10% */
	const char *state;        /* "proposed", "approved", ... */
	const char *reason;       /* human text: tickets involved */
};

/* Readers of the derived records, for reports and the approval UI.
   Return as store_event_cb does. */
typedef int store_breach_cb(void *ctx, const struct store_breach *b);
typedef int store_proposal_cb(void *ctx, const struct store_proposal *p);

struct store_outbox {
	const char *key;          /* idempotency key, e.g. "note:rt:42:S14.1:breach" */
	const char *channel;      /* "helpdesk:rt", "mail" */
	const char *payload;      /* JSON text: what to send and where */
	int64_t not_before;       /* UTC seconds */
};

struct store_outbox_item {
	int64_t id;
	char *key;                /* malloc'ed */
	char *channel;            /* malloc'ed */
	char *payload;            /* malloc'ed */
	int attempts;
};

/* Free the strings of ITEM and zero it. */
void store_outbox_item_clear(struct store_outbox_item *item);

/* How far a bulk load may trade resources for speed. */
enum store_bulk_mode {
	STORE_BULK_OFF,
	/* More memory only: a daemon's initial sync shares the disk with
	   everything else and must not need more of it than usual. */
	STORE_BULK_CACHE,
	/* Also a larger write-ahead log between checkpoints: a one-shot
	   load (slaclock ingest) on a disk with room for it. */
	STORE_BULK_LOAD,
};

struct store_backend {
	const char *name;
	int (*open)(struct store *store, const char *path, const char **error_r);
	void (*close)(struct store *store);

	int (*begin)(struct store *store, const char **error_r);
	int (*commit)(struct store *store, const char **error_r);
	int (*rollback)(struct store *store, const char **error_r);
	/* A bulk load (ingest, an initial sync) trades memory (and, for
	   STORE_BULK_LOAD, disk) for speed until STORE_BULK_OFF; NULL when
	   the backend has nothing to tune. */
	int (*bulk)(struct store *store, enum store_bulk_mode mode,
		    const char **error_r);

	/* Insert EV unless an event with the same (source, external_id) exists.
	   *inserted_r (if not NULL) says which happened. */
	int (*event_insert)(struct store *store, const struct event *ev,
			    bool *inserted_r, const char **error_r);
	/* All events, ordered by ticket, then time, then insertion. */
	int (*events_foreach)(struct store *store, store_event_cb *cb, void *ctx,
			      const char **error_r);
	int (*event_count)(struct store *store, int64_t *count_r, const char **error_r);

	/* Threading: which ticket a Message-ID belongs to. *ticket_r is
	   malloc'ed (caller frees) or NULL when the id is unknown. */
	int (*message_ticket_get)(struct store *store, const char *message_id,
				  char **ticket_r, const char **error_r);
	int (*message_ticket_put)(struct store *store, const char *message_id,
				  const char *ticket, const char **error_r);

	/* Derived records, replaced as a whole on recompute. A proposal
	   whose key already exists keeps its state. */
	int (*derived_clear)(struct store *store, const char **error_r);
	int (*breach_put)(struct store *store, const struct store_breach *b,
			  const char **error_r);
	int (*proposal_put)(struct store *store, const struct store_proposal *p,
			    const char **error_r);

	int (*schema_version)(struct store *store, int *version_r, const char **error_r);

	/* Per-folder IMAP sync state (source = "imap:<account>/<folder>"),
	   written in the same transaction as the folder's events. Both 0
	   when unknown. */
	int (*sync_state_get)(struct store *store, const char *source,
			      uint32_t *uidvalidity_r, uint32_t *last_uid_r,
			      const char **error_r);
	int (*sync_state_put)(struct store *store, const char *source,
			      uint32_t uidvalidity, uint32_t last_uid,
			      const char **error_r);

	/* Outbox: one row per note, alert or digest slaclock sends. KEY is the
	   idempotency key (a second put with the same key adds nothing).
	   outbox_next gives the oldest row not done whose not_before <= NOW
	   (and whose channel starts with CHANNEL_PREFIX, unless NULL)
	   (*found_r false when none); the caller frees the strings.
	   outbox_done marks it sent; outbox_retry counts an attempt and sets
	   its next not_before. */
	int (*outbox_put)(struct store *store, const struct store_outbox *row,
			  bool *inserted_r, const char **error_r);
	int (*outbox_next)(struct store *store, int64_t now,
			   const char *channel_prefix,
			   struct store_outbox_item *item_r, bool *found_r,
			   const char **error_r);
	int (*outbox_done)(struct store *store, int64_t id, int64_t when,
			   const char **error_r);
	int (*outbox_retry)(struct store *store, int64_t id, int64_t not_before,
			    const char *last_error, const char **error_r);
	int (*outbox_depth)(struct store *store, int64_t *count_r, const char **error_r);

	/* Added after the first contract; a backend may leave them NULL
	   (the wrappers then fail with "not supported").
	   breaches_foreach / proposals_foreach: the derived rows of MONTH
	   ("YYYY-MM"), or all when MONTH is NULL, ordered by month, agent,
	   then ticket+rule (breaches) or key (proposals).
	   proposal_state_set: a person's decision on the proposal KEY; it
	   survives derived_clear and every later proposal_put of that key.
	   Fails when no proposal has KEY. */
	int (*breaches_foreach)(struct store *store, const char *month,
				store_breach_cb *cb, void *ctx, const char **error_r);
	int (*proposals_foreach)(struct store *store, const char *month,
				 store_proposal_cb *cb, void *ctx, const char **error_r);
	int (*proposal_state_set)(struct store *store, const char *key,
				  const char *state, const char *changed_by,
				  int64_t changed_at, const char **error_r);

	/* Threading of mail that names no earlier message: KEY (a sender and
	   a normalised subject) -> the ticket last seen with it. get finds it
	   only when it was seen at or after SINCE; *ticket_r is malloc'ed or
	   NULL. put records TIME (the later of the old and the new). */
	int (*subject_ticket_get)(struct store *store, const char *key, int64_t since,
				  char **ticket_r, const char **error_r);
	int (*subject_ticket_put)(struct store *store, const char *key,
				  const char *ticket, int64_t time, const char **error_r);

	/* For incremental evaluation (plugin/sla.h, sla_engine), may be NULL:
	   events_foreach_ticket: TICKET's events by time, then insertion;
	   events_foreach_since: the events inserted after the one with id
	   SINCE, in insertion order (ids only grow: events are append-only);
	   event_max_id: the id of the last event inserted, 0 when none;
	   breaches_clear: TICKET's breaches, or all when TICKET is NULL;
	   proposals_clear: every proposal row (decisions survive, as with
	   derived_clear). */
	int (*events_foreach_ticket)(struct store *store, const char *ticket,
				     store_event_cb *cb, void *ctx, const char **error_r);
	int (*events_foreach_since)(struct store *store, int64_t since,
				    store_event_cb *cb, void *ctx, const char **error_r);
	int (*event_max_id)(struct store *store, int64_t *id_r, const char **error_r);
	int (*breaches_clear)(struct store *store, const char *ticket, const char **error_r);
	int (*proposals_clear)(struct store *store, const char **error_r);
	/* Something computed from the events and kept with the STAMP of what
	   it was computed from (the caller's business: the reader compares
	   it). cache_get: *stamp_r and *value_r malloc'ed, NULL when KEY is
	   unknown. cache_put: KEY NULL clears every entry. */
	int (*cache_get)(struct store *store, const char *key, char **stamp_r,
			 char **value_r, const char **error_r);
	int (*cache_put)(struct store *store, const char *key, const char *stamp,
			 const char *value, const char **error_r);
};

struct store {
	const struct store_backend *backend;
	void *priv;                /* the backend's own state */
	char error[512];           /* last error text, for error_r */
	int bulk_depth;            /* store_bulk() on minus off */
};

extern const struct store_backend store_sqlite_backend;

/* Open the store BACKEND ("sqlite") at PATH, creating and migrating the
   schema as needed. Returns 0 and *store_r (close with store_close()) or -1
   and *error_r (a static string or one owned by nothing: copy it before the
   next call). A store is used by one thread at a time: each thread that
   needs one opens its own (the delivery thread does). */
int store_open(const char *backend, const char *path, struct store **store_r,
	       const char **error_r);
void store_close(struct store **store);

/* Convenience wrappers that dispatch through the backend. */
int store_begin(struct store *store, const char **error_r);
int store_commit(struct store *store, const char **error_r);
int store_rollback(struct store *store, const char **error_r);
/* Tune the store for a bulk load until STORE_BULK_OFF; a no-op where the
   backend has nothing to tune. Outside a transaction. Counted: loads
   that overlap (two IMAP folders syncing) end it when the last one ends,
   and the first one's mode holds. */
int store_bulk(struct store *store, enum store_bulk_mode mode,
	       const char **error_r);
int store_event_insert(struct store *store, const struct event *ev,
		       bool *inserted_r, const char **error_r);
int store_events_foreach(struct store *store, store_event_cb *cb, void *ctx,
			 const char **error_r);
int store_event_count(struct store *store, int64_t *count_r, const char **error_r);
int store_message_ticket_get(struct store *store, const char *message_id,
			     char **ticket_r, const char **error_r);
int store_message_ticket_put(struct store *store, const char *message_id,
			     const char *ticket, const char **error_r);
int store_derived_clear(struct store *store, const char **error_r);
int store_breach_put(struct store *store, const struct store_breach *b,
		     const char **error_r);
int store_proposal_put(struct store *store, const struct store_proposal *p,
		       const char **error_r);
int store_schema_version(struct store *store, int *version_r, const char **error_r);
int store_sync_state_get(struct store *store, const char *source,
			 uint32_t *uidvalidity_r, uint32_t *last_uid_r,
			 const char **error_r);
int store_sync_state_put(struct store *store, const char *source,
			 uint32_t uidvalidity, uint32_t last_uid,
			 const char **error_r);
int store_outbox_put(struct store *store, const struct store_outbox *row,
		     bool *inserted_r, const char **error_r);
int store_outbox_next(struct store *store, int64_t now,
		      struct store_outbox_item *item_r, bool *found_r,
		      const char **error_r);
/* The same, only rows whose channel starts with CHANNEL_PREFIX
   ("helpdesk:", "mail"), so each deliverer takes its own rows and one
   that is stuck does not hold up the others. */
int store_outbox_next_channel(struct store *store, int64_t now,
			      const char *channel_prefix,
			      struct store_outbox_item *item_r, bool *found_r,
			      const char **error_r);
int store_outbox_done(struct store *store, int64_t id, int64_t when,
		      const char **error_r);
int store_outbox_retry(struct store *store, int64_t id, int64_t not_before,
		       const char *last_error, const char **error_r);
int store_outbox_depth(struct store *store, int64_t *count_r, const char **error_r);
int store_subject_ticket_get(struct store *store, const char *key, int64_t since,
			     char **ticket_r, const char **error_r);
int store_subject_ticket_put(struct store *store, const char *key, const char *ticket,
			     int64_t time, const char **error_r);
int store_breaches_foreach(struct store *store, const char *month,
			   store_breach_cb *cb, void *ctx, const char **error_r);
int store_proposals_foreach(struct store *store, const char *month,
			    store_proposal_cb *cb, void *ctx, const char **error_r);
int store_proposal_state_set(struct store *store, const char *key,
			     const char *state, const char *changed_by,
			     int64_t changed_at, const char **error_r);
int store_events_foreach_ticket(struct store *store, const char *ticket,
				store_event_cb *cb, void *ctx, const char **error_r);
int store_events_foreach_since(struct store *store, int64_t since,
			       store_event_cb *cb, void *ctx, const char **error_r);
int store_event_max_id(struct store *store, int64_t *id_r, const char **error_r);
int store_breaches_clear(struct store *store, const char *ticket, const char **error_r);
int store_proposals_clear(struct store *store, const char **error_r);
int store_cache_get(struct store *store, const char *key, char **stamp_r,
		    char **value_r, const char **error_r);
int store_cache_put(struct store *store, const char *key, const char *stamp,
		    const char *value, const char **error_r);

#endif
