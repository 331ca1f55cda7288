#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* The backends this build knows, by name; the first is the default. */
static const struct store_backend *const store_backends[] = {
	&store_sqlite_backend,
};
#define STORE_BACKEND_COUNT (sizeof(store_backends) / sizeof(store_backends[0]))

/* store_open() fails after the store is gone, so its message needs a home
   that outlives it. */
static _Thread_local char store_open_error[sizeof(((struct store *)0)->error)];

static const struct store_backend *
store_backend_find(const char *name)
{
	size_t i;

	if (name == NULL || *name == '\0')
		return store_backends[0];
	for (i = 0; i < STORE_BACKEND_COUNT; i++) {
		if (strcmp(store_backends[i]->name, name) == 0)
			return store_backends[i];
	}
	return NULL;
}

int
store_open(const char *backend, const char *path, struct store **store_r,
	   const char **error_r)
{
	const struct store_backend *be;
	struct store *store;
	const char *error;

	*store_r = NULL;
	be = store_backend_find(backend);
	if (be == NULL) {
		snprintf(store_open_error, sizeof(store_open_error),
			 "unknown store backend '%s' (this build has: %s)",
			 backend, store_backends[0]->name);
		*error_r = store_open_error;
		return -1;
	}
	if (path == NULL || *path == '\0') {
		*error_r = "store open: no database path given";
		return -1;
	}
	store = calloc(1, sizeof(*store));
	if (store == NULL) {
		*error_r = "store open: out of memory";
		return -1;
	}
	store->backend = be;
	if (be->open(store, path, &error) < 0) {
		snprintf(store_open_error, sizeof(store_open_error), "%s", error);
		*error_r = store_open_error;
		/* The backend's open cleans up after itself on failure. */
		free(store);
		return -1;
	}
	*store_r = store;
	return 0;
}

void
store_close(struct store **_store)
{
	struct store *store = *_store;

	if (store == NULL)
		return;
	*_store = NULL;
	store->backend->close(store);
	free(store);
}

void
store_outbox_item_clear(struct store_outbox_item *item)
{
	free(item->key);
	free(item->channel);
	free(item->payload);
	memset(item, 0, sizeof(*item));
}

/* A later backend may leave an operation out; say so instead of crashing. */
static int
store_unsupported(struct store *store, const char *what, const char **error_r)
{
	snprintf(store->error, sizeof(store->error),
		 "%s: not supported by the %s store backend", what,
		 store->backend->name);
	*error_r = store->error;
	return -1;
}

#define STORE_CALL(store, op, error_r, ...) \
	((store)->backend->op == NULL ? \
	 store_unsupported((store), #op, (error_r)) : \
	 (store)->backend->op((store), __VA_ARGS__, (error_r)))

int
store_begin(struct store *store, const char **error_r)
{
	if (store->backend->begin == NULL)
		return store_unsupported(store, "begin", error_r);
	return store->backend->begin(store, error_r);
}

int
store_bulk(struct store *store, enum store_bulk_mode mode,
	   const char **error_r)
{
	if (mode != STORE_BULK_OFF) {
		if (store->bulk_depth++ > 0 || store->backend->bulk == NULL)
			return 0;
		if (store->backend->bulk(store, mode, error_r) < 0) {
			store->bulk_depth--;
			return -1;
		}
		return 0;
	}
	if (store->bulk_depth == 0 || --store->bulk_depth > 0 ||
	    store->backend->bulk == NULL)
		return 0;
	return store->backend->bulk(store, STORE_BULK_OFF, error_r);
}

int
store_commit(struct store *store, const char **error_r)
{
	if (store->backend->commit == NULL)
		return store_unsupported(store, "commit", error_r);
	return store->backend->commit(store, error_r);
}

int
store_rollback(struct store *store, const char **error_r)
{
	if (store->backend->rollback == NULL)
		return store_unsupported(store, "rollback", error_r);
	return store->backend->rollback(store, error_r);
}

int
store_event_insert(struct store *store, const struct event *ev,
		   bool *inserted_r, const char **error_r)
{
	return STORE_CALL(store, event_insert, error_r, ev, inserted_r);
}

int
store_events_foreach(struct store *store, store_event_cb *cb, void *ctx,
		     const char **error_r)
{
	return STORE_CALL(store, events_foreach, error_r, cb, ctx);
}

int
store_event_count(struct store *store, int64_t *count_r, const char **error_r)
{
	return STORE_CALL(store, event_count, error_r, count_r);
}

int
store_message_ticket_get(struct store *store, const char *message_id,
			 char **ticket_r, const char **error_r)
{
	return STORE_CALL(store, message_ticket_get, error_r, message_id,
			  ticket_r);
}

int
store_message_ticket_put(struct store *store, const char *message_id,
			 const char *ticket, const char **error_r)
{
	return STORE_CALL(store, message_ticket_put, error_r, message_id,
			  ticket);
}

int
store_derived_clear(struct store *store, const char **error_r)
{
	if (store->backend->derived_clear == NULL)
		return store_unsupported(store, "derived_clear", error_r);
	return store->backend->derived_clear(store, error_r);
}

int
store_breach_put(struct store *store, const struct store_breach *b,
		 const char **error_r)
{
	return STORE_CALL(store, breach_put, error_r, b);
}

int
store_proposal_put(struct store *store, const struct store_proposal *p,
		   const char **error_r)
{
	return STORE_CALL(store, proposal_put, error_r, p);
}

int
store_schema_version(struct store *store, int *version_r, const char **error_r)
{
	return STORE_CALL(store, schema_version, error_r, version_r);
}

int
store_sync_state_get(struct store *store, const char *source,
		     uint32_t *uidvalidity_r, uint32_t *last_uid_r,
		     const char **error_r)
{
	return STORE_CALL(store, sync_state_get, error_r, source,
			  uidvalidity_r, last_uid_r);
}

int
store_sync_state_put(struct store *store, const char *source,
		     uint32_t uidvalidity, uint32_t last_uid,
		     const char **error_r)
{
	return STORE_CALL(store, sync_state_put, error_r, source, uidvalidity,
			  last_uid);
}

int
store_outbox_put(struct store *store, const struct store_outbox *row,
		 bool *inserted_r, const char **error_r)
{
	return STORE_CALL(store, outbox_put, error_r, row, inserted_r);
}

int
store_outbox_next(struct store *store, int64_t now,
		  struct store_outbox_item *item_r, bool *found_r,
		  const char **error_r)
{
	return STORE_CALL(store, outbox_next, error_r, now, NULL, item_r, found_r);
}

int
store_outbox_next_channel(struct store *store, int64_t now, const char *channel_prefix,
			  struct store_outbox_item *item_r, bool *found_r,
			  const char **error_r)
{
	return STORE_CALL(store, outbox_next, error_r, now, channel_prefix, item_r,
			  found_r);
}

int
store_outbox_done(struct store *store, int64_t id, int64_t when,
		  const char **error_r)
{
	return STORE_CALL(store, outbox_done, error_r, id, when);
}

int
store_outbox_retry(struct store *store, int64_t id, int64_t not_before,
		   const char *last_error, const char **error_r)
{
	return STORE_CALL(store, outbox_retry, error_r, id, not_before,
			  last_error);
}

int
store_outbox_depth(struct store *store, int64_t *count_r, const char **error_r)
{
	return STORE_CALL(store, outbox_depth, error_r, count_r);
}

int
store_breaches_foreach(struct store *store, const char *month,
		       store_breach_cb *cb, void *ctx, const char **error_r)
{
	return STORE_CALL(store, breaches_foreach, error_r, month, cb, ctx);
}

int
store_proposals_foreach(struct store *store, const char *month,
			store_proposal_cb *cb, void *ctx, const char **error_r)
{
	return STORE_CALL(store, proposals_foreach, error_r, month, cb, ctx);
}

int
store_subject_ticket_get(struct store *store, const char *key, int64_t since,
			 char **ticket_r, const char **error_r)
{
	return STORE_CALL(store, subject_ticket_get, error_r, key, since, ticket_r);
}

int
store_subject_ticket_put(struct store *store, const char *key, const char *ticket,
			 int64_t time, const char **error_r)
{
	return STORE_CALL(store, subject_ticket_put, error_r, key, ticket, time);
}

int
store_proposal_state_set(struct store *store, const char *key,
			 const char *state, const char *changed_by,
			 int64_t changed_at, const char **error_r)
{
	return STORE_CALL(store, proposal_state_set, error_r, key, state,
			  changed_by, changed_at);
}

int
store_events_foreach_ticket(struct store *store, const char *ticket,
			    store_event_cb *cb, void *ctx, const char **error_r)
{
	return STORE_CALL(store, events_foreach_ticket, error_r, ticket, cb, ctx);
}

int
store_events_foreach_since(struct store *store, int64_t since,
			   store_event_cb *cb, void *ctx, const char **error_r)
{
	return STORE_CALL(store, events_foreach_since, error_r, since, cb, ctx);
}

int
store_event_max_id(struct store *store, int64_t *id_r, const char **error_r)
{
	return STORE_CALL(store, event_max_id, error_r, id_r);
}

int
store_breaches_clear(struct store *store, const char *ticket, const char **error_r)
{
	return STORE_CALL(store, breaches_clear, error_r, ticket);
}

int
store_proposals_clear(struct store *store, const char **error_r)
{
	if (store->backend->proposals_clear == NULL)
		return store_unsupported(store, "proposals_clear", error_r);
	return store->backend->proposals_clear(store, error_r);
}

int
store_cache_get(struct store *store, const char *key, char **stamp_r, char **value_r,
		const char **error_r)
{
	return STORE_CALL(store, cache_get, error_r, key, stamp_r, value_r);
}

int
store_cache_put(struct store *store, const char *key, const char *stamp, const char *value,
		const char **error_r)
{
	return STORE_CALL(store, cache_put, error_r, key, stamp, value);
}
