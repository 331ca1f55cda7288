/* store_sqlite - the embedded event store: one SQLite file in WAL mode.
 *
 * Every statement is prepared once, on first use, and kept in the backend's
 * private struct: the ingest path inserts millions of events and parsing the
 * SQL each time would dominate.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sqlite3.h>

#include "store.h"
#include "store_sqlite_private.h"
#include "store_tcache.h"

/* Writers wait this long for another connection's lock before giving up
   with "database is locked". */
#define STORE_SQLITE_BUSY_TIMEOUT_MS 5000
/* Caps on what callers hand us; the parsers should have cut earlier, this
   keeps a bug there from filling the disk. */
#define STORE_SOURCE_MAX 256
#define STORE_RULE_MAX 64
#define STORE_MONTH_MAX 16
#define STORE_TEXT_MAX 65536      /* proposal reasons */
/* A monthly digest is a whole MIME message (HTML, text and a CSV
   attachment, base64) in one outbox row: as much as the mailer sends
   (MAILER_PAYLOAD_MAX). */
#define STORE_PAYLOAD_MAX (32 * 1024 * 1024)
#define STORE_LAST_ERROR_MAX 1024 /* outbox last_error is truncated, not refused */
/* "SLCK" (0x534c434b): marks the file as ours, so pointing slaclock at
   some other program's database fails instead of adding tables to it. */
#define STORE_SQLITE_APPLICATION_ID 1397506891
#define SQ_STR_(x) #x
#define SQ_STR(x) SQ_STR_(x)

static const struct store_sqlite_migration store_sqlite_migrations[] = {
	/* 0 -> 1: the first schema. */
	{ "PRAGMA application_id = " SQ_STR(STORE_SQLITE_APPLICATION_ID) ";"
	  "CREATE TABLE events ("
	  " id INTEGER PRIMARY KEY,"
	  " source TEXT NOT NULL,"
	  " external_id TEXT NOT NULL,"
	  " ticket TEXT NOT NULL,"
	  " time INTEGER NOT NULL,"
	  " actor TEXT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " attrs TEXT,"
	  " UNIQUE (source, external_id));"
	  "CREATE INDEX events_ticket_time ON events (ticket, time, id);"
	  "CREATE TABLE message_ticket ("
	  " message_id TEXT PRIMARY KEY,"
	  " ticket TEXT NOT NULL);"
	  "CREATE TABLE breaches ("
	  " id INTEGER PRIMARY KEY,"
	  " ticket TEXT NOT NULL,"
	  " rule TEXT NOT NULL,"
	  " agent TEXT,"
	  " deadline INTEGER NOT NULL,"
	  " met_at INTEGER,"
	  " month TEXT NOT NULL);"
	  "CREATE INDEX breaches_month ON breaches (month, agent);"
	  "CREATE TABLE proposals ("
	  " key TEXT PRIMARY KEY,"
	  " agent TEXT,"
	  " rule TEXT NOT NULL,"
	  " month TEXT NOT NULL,"
	  " unit TEXT NOT NULL,"
	  " amount INTEGER NOT NULL,"
	  " state TEXT NOT NULL,"
	  " reason TEXT);"
	  "CREATE INDEX proposals_month ON proposals (month, agent);"
	  /* Kept apart from proposals so derived_clear never loses what a
	     person decided. */
	  "CREATE TABLE proposal_state ("
	  " key TEXT PRIMARY KEY,"
	  " state TEXT NOT NULL,"
	  " changed_by TEXT,"
	  " changed_at INTEGER NOT NULL);"
	  "CREATE TABLE sync_state ("
	  " source TEXT PRIMARY KEY,"
	  " uidvalidity INTEGER NOT NULL,"
	  " last_uid INTEGER NOT NULL);"
	  "CREATE TABLE outbox ("
	  " id INTEGER PRIMARY KEY,"
	  " key TEXT NOT NULL UNIQUE,"
	  " channel TEXT NOT NULL,"
	  " payload TEXT NOT NULL,"
	  " not_before INTEGER NOT NULL,"
	  " attempts INTEGER NOT NULL DEFAULT 0,"
	  " last_error TEXT,"
	  " done_at INTEGER);"
	  "CREATE INDEX outbox_pending ON outbox (id) WHERE done_at IS NULL;" },
	/* 1 -> 2: threading by sender and subject, for mail without
	   In-Reply-To or References. */
	{ "CREATE TABLE subject_ticket ("
	  " key TEXT PRIMARY KEY,"
	  " ticket TEXT NOT NULL,"
	  " last_time INTEGER NOT NULL);" },
	/* 2 -> 3: incremental evaluation rewrites one ticket's breaches,
	   and keeps what it computed once (a month's tally) with the stamp
	   of what it was computed from. */
	{ "CREATE INDEX IF NOT EXISTS breaches_ticket ON breaches (ticket);"
	  "CREATE TABLE IF NOT EXISTS derived_cache ("
	  " key TEXT PRIMARY KEY,"
	  " stamp TEXT NOT NULL,"
	  " value TEXT NOT NULL);" },
};
#define STORE_SQLITE_MIGRATION_COUNT \
	((int)(sizeof(store_sqlite_migrations) / sizeof(store_sqlite_migrations[0])))

_Static_assert(STORE_SQLITE_MIGRATION_COUNT == STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

enum sq_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_EVENT_INSERT,
	SQ_EVENTS_ALL,
	SQ_EVENT_COUNT,
	SQ_EVENTS_TICKET,
	SQ_EVENTS_SINCE,
	SQ_EVENT_MAX_ID,
	SQ_BREACHES_TICKET_CLEAR,
	SQ_CACHE_GET,
	SQ_CACHE_PUT,
	SQ_CACHE_CLEAR,
	SQ_MT_GET,
	SQ_MT_PUT,
	SQ_ST_GET,
	SQ_ST_PUT,
	SQ_ST_TIME,
	SQ_DATA_VERSION,
	SQ_BREACHES_CLEAR,
	SQ_PROPOSALS_CLEAR,
	SQ_BREACH_PUT,
	SQ_PROPOSAL_PUT,
	SQ_USER_VERSION,
	SQ_SYNC_GET,
	SQ_SYNC_PUT,
	SQ_OUTBOX_PUT,
	SQ_OUTBOX_NEXT,
	SQ_OUTBOX_DONE,
	SQ_OUTBOX_RETRY,
	SQ_OUTBOX_DEPTH,
	SQ_BREACHES_ALL,
	SQ_BREACHES_MONTH,
	SQ_PROPOSALS_ALL,
	SQ_PROPOSALS_MONTH,
	SQ_PROPOSAL_STATE_UPDATE,
	SQ_PROPOSAL_STATE_PUT,
	SQ_SAVEPOINT,
	SQ_RELEASE,
	SQ_ROLLBACK_TO,
	SQ_COUNT
};

static const char *const sq_sql[SQ_COUNT] = {
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_EVENT_INSERT] =
		"INSERT INTO events (source, external_id, ticket, time, actor,"
		" kind, attrs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (source, external_id) DO NOTHING",
	[SQ_EVENTS_ALL] =
		"SELECT id, source, external_id, ticket, time, actor, kind, attrs"
		" FROM events ORDER BY ticket, time, id",
	[SQ_EVENT_COUNT] = "SELECT count(*) FROM events",
	[SQ_EVENTS_TICKET] =
		"SELECT id, source, external_id, ticket, time, actor, kind, attrs"
		" FROM events WHERE ticket = ?1 ORDER BY time, id",
	[SQ_EVENTS_SINCE] =
		"SELECT id, source, external_id, ticket, time, actor, kind, attrs"
		" FROM events WHERE id > ?1 ORDER BY id",
	[SQ_EVENT_MAX_ID] = "SELECT coalesce(max(id), 0) FROM events",
	[SQ_BREACHES_TICKET_CLEAR] = "DELETE FROM breaches WHERE ticket = ?1",
	[SQ_CACHE_GET] = "SELECT stamp, value FROM derived_cache WHERE key = ?1",
	[SQ_CACHE_PUT] =
		"INSERT INTO derived_cache (key, stamp, value) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (key) DO UPDATE SET stamp = excluded.stamp,"
		" value = excluded.value",
	[SQ_CACHE_CLEAR] = "DELETE FROM derived_cache",
	[SQ_MT_GET] = "SELECT ticket FROM message_ticket WHERE message_id = ?1",
	[SQ_MT_PUT] =
		"INSERT INTO message_ticket (message_id, ticket) VALUES (?1, ?2)"
		" ON CONFLICT (message_id) DO UPDATE SET ticket = excluded.ticket",
	[SQ_ST_GET] =
		"SELECT ticket FROM subject_ticket WHERE key = ?1 AND last_time >= ?2",
	[SQ_ST_PUT] =
		"INSERT INTO subject_ticket (key, ticket, last_time) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (key) DO UPDATE SET ticket = excluded.ticket,"
		" last_time = max(last_time, excluded.last_time)",
	[SQ_ST_TIME] = "SELECT last_time FROM subject_ticket WHERE key = ?1",
	[SQ_DATA_VERSION] = "PRAGMA data_version",
	[SQ_BREACHES_CLEAR] = "DELETE FROM breaches",
	[SQ_PROPOSALS_CLEAR] = "DELETE FROM proposals",
	[SQ_BREACH_PUT] =
		"INSERT INTO breaches (ticket, rule, agent, deadline, met_at,"
		" month) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* A decision in proposal_state wins over the state the engine
	   proposes; an existing row keeps its state. */
	[SQ_PROPOSAL_PUT] =
		"INSERT INTO proposals (key, agent, rule, month, unit, amount,"
		" state, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		" coalesce((SELECT state FROM proposal_state WHERE key = ?1), ?7),"
		" ?8)"
		" ON CONFLICT (key) DO UPDATE SET agent = excluded.agent,"
		" rule = excluded.rule, month = excluded.month,"
		" unit = excluded.unit, amount = excluded.amount,"
		" reason = excluded.reason",
	[SQ_USER_VERSION] = "PRAGMA user_version",
	[SQ_SYNC_GET] =
		"SELECT uidvalidity, last_uid FROM sync_state WHERE source = ?1",
	[SQ_SYNC_PUT] =
		"INSERT INTO sync_state (source, uidvalidity, last_uid)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (source) DO UPDATE SET"
		" uidvalidity = excluded.uidvalidity,"
		" last_uid = excluded.last_uid",
	[SQ_OUTBOX_PUT] =
		"INSERT INTO outbox (key, channel, payload, not_before)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO NOTHING",
	[SQ_OUTBOX_NEXT] =
		"SELECT id, key, channel, payload, attempts FROM outbox"
		" WHERE done_at IS NULL AND not_before <= ?1"
		" AND (?2 IS NULL OR substr(channel, 1, length(?2)) = ?2)"
		" ORDER BY id LIMIT 1",
	[SQ_OUTBOX_DONE] =
		"UPDATE outbox SET done_at = coalesce(done_at, ?2) WHERE id = ?1",
	[SQ_OUTBOX_RETRY] =
		"UPDATE outbox SET attempts = attempts + 1, not_before = ?2,"
		" last_error = ?3 WHERE id = ?1 AND done_at IS NULL",
	[SQ_OUTBOX_DEPTH] = "SELECT count(*) FROM outbox WHERE done_at IS NULL",
	[SQ_BREACHES_ALL] =
		"SELECT ticket, rule, agent, deadline, met_at, month FROM breaches"
		" ORDER BY month, agent, ticket, rule, id",
	[SQ_BREACHES_MONTH] =
		"SELECT ticket, rule, agent, deadline, met_at, month FROM breaches"
		" WHERE month = ?1 ORDER BY month, agent, ticket, rule, id",
	[SQ_PROPOSALS_ALL] =
		"SELECT key, agent, rule, month, unit, amount, state, reason"
		" FROM proposals ORDER BY month, agent, key",
	[SQ_PROPOSALS_MONTH] =
		"SELECT key, agent, rule, month, unit, amount, state, reason"
		" FROM proposals WHERE month = ?1 ORDER BY month, agent, key",
	[SQ_PROPOSAL_STATE_UPDATE] =
		"UPDATE proposals SET state = ?2 WHERE key = ?1",
	[SQ_PROPOSAL_STATE_PUT] =
		"INSERT INTO proposal_state (key, state, changed_by, changed_at)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET"
		" state = excluded.state, changed_by = excluded.changed_by,"
		" changed_at = excluded.changed_at",
	/* Makes a multi-statement write atomic whether or not the caller has
	   a transaction open. */
	[SQ_SAVEPOINT] = "SAVEPOINT store_op",
	[SQ_RELEASE] = "RELEASE store_op",
	[SQ_ROLLBACK_TO] = "ROLLBACK TO store_op",
};

struct store_sqlite {
	sqlite3 *db;
	sqlite3_stmt *stmts[SQ_COUNT];
	/* While a bulk load runs: message_ticket and subject_ticket as the
	   load recorded them (store_tcache.h). What a transaction recorded
	   reaches SQLite at its commit; a rollback forgets both maps. */
	bool tc_on;
	struct tcache mt, st;
	/* The table was empty when the load began and only this load wrote
	   it since: a key the map lacks is in no row either, and a lookup
	   that misses the map need not ask SQLite (a fresh load's lookups
	   nearly all miss). Forgetting the maps ends it. */
	bool mt_complete, st_complete;
	size_t tc_max;          /* entries a map may hold past a commit */
	int64_t data_version;   /* another connection's commit changes it */
};

static struct store_sqlite *
sq_priv(struct store *store)
{
	return store->priv;
}

sqlite3 *
store_sqlite_db(struct store *store)
{
	return sq_priv(store)->db;
}

/* "WHAT: <sqlite's message>" into store->error. */
static int
sq_fail(struct store *store, const char *what, const char **error_r)
{
	snprintf(store->error, sizeof(store->error), "%s: %s", what,
		 sqlite3_errmsg(sq_priv(store)->db));
	*error_r = store->error;
	return -1;
}

static int
sq_failf(struct store *store, const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
sq_failf(struct store *store, const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(store->error, sizeof(store->error), fmt, ap);
	va_end(ap);
	*error_r = store->error;
	return -1;
}

static sqlite3_stmt *
sq_stmt(struct store *store, enum sq_stmt id, const char *what,
	const char **error_r)
{
	struct store_sqlite *priv = sq_priv(store);

	if (priv->stmts[id] == NULL &&
	    sqlite3_prepare_v3(priv->db, sq_sql[id], -1,
			       SQLITE_PREPARE_PERSISTENT, &priv->stmts[id],
			       NULL) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		priv->stmts[id] = NULL;
		return NULL;
	}
	return priv->stmts[id];
}

/* NULL binds SQL NULL. The text must outlive the step: callers reset the
   statement before they return. */
static int
sq_bind_text(sqlite3_stmt *stmt, int idx, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_text(stmt, idx, s, -1, SQLITE_STATIC);
}

/* Step STMT once, expecting no row back; reset it either way. */
static int
sq_step_done(struct store *store, sqlite3_stmt *stmt, const char *what,
	     const char **error_r)
{
	int ret = 0;

	if (sqlite3_step(stmt) != SQLITE_DONE)
		ret = sq_fail(store, what, error_r);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

static int
sq_run(struct store *store, enum sq_stmt id, const char *what,
       const char **error_r)
{
	sqlite3_stmt *stmt = sq_stmt(store, id, what, error_r);

	if (stmt == NULL)
		return -1;
	return sq_step_done(store, stmt, what, error_r);
}

/* Refuse a missing (when REQUIRED) or oversized string. */
static int
sq_check(struct store *store, const char *what, const char *field,
	 const char *s, size_t max, bool required, const char **error_r)
{
	size_t len;

	if (s == NULL) {
		if (!required)
			return 0;
		return sq_failf(store, error_r, "%s: %s missing", what, field);
	}
	/* strnlen: a runaway string is refused without reading all of it. */
	len = strnlen(s, max + 1);
	if (len > max) {
		return sq_failf(store, error_r, "%s: %s too long (over %zu bytes)",
				what, field, max);
	}
	return 0;
}

static int
sq_count(struct store *store, enum sq_stmt id, const char *what,
	 int64_t *count_r, const char **error_r)
{
	sqlite3_stmt *stmt = sq_stmt(store, id, what, error_r);
	int ret = 0;

	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*count_r = sqlite3_column_int64(stmt, 0);
	else
		ret = sq_fail(store, what, error_r);
	sqlite3_reset(stmt);
	return ret;
}

/* A copy of a text column, or NULL for SQL NULL. *oom_r is set when the
   copy failed. */
static char *
sq_column_dup(sqlite3_stmt *stmt, int col, bool *oom_r)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);
	char *copy;

	if (s == NULL)
		return NULL;
	copy = strdup((const char *)s);
	if (copy == NULL)
		*oom_r = true;
	return copy;
}

static const char *
sq_column_str(sqlite3_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(stmt, col);
}

/* ---- schema ---- */

static int
sq_user_version(sqlite3 *db, int *version_r)
{
	sqlite3_stmt *stmt;
	int ret = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*version_r = sqlite3_column_int(stmt, 0);
		ret = 0;
	}
	sqlite3_finalize(stmt);
	return ret;
}

int
store_sqlite_migrate(sqlite3 *db, const struct store_sqlite_migration *steps,
		     int count, char *errbuf, size_t errbuf_size)
{
	char pragma[64];
	int version;

	if (sq_user_version(db, &version) < 0) {
		snprintf(errbuf, errbuf_size, "read schema version: %s",
			 sqlite3_errmsg(db));
		return -1;
	}
	if (version > count)
		goto too_new;
	while (version < count) {
		/* IMMEDIATE takes the write lock first, so two processes
		   opening an old database at once do not both migrate it; the
		   version is read again under the lock. */
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(errbuf, errbuf_size,
				 "migrate schema to version %d: %s",
				 version + 1, sqlite3_errmsg(db));
			return -1;
		}
		if (sq_user_version(db, &version) < 0)
			goto fail;
		if (version > count) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto too_new;
		}
		if (version == count) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
			 version + 1);
		if (sqlite3_exec(db, steps[version].sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		version++;
	}
	return 0;
fail:
	snprintf(errbuf, errbuf_size, "migrate schema to version %d: %s",
		 version + 1, sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
too_new:
	snprintf(errbuf, errbuf_size,
		 "database schema version %d is newer than this slaclock "
		 "supports (%d); upgrade slaclock or use a backup of the "
		 "database", version, count);
	return -1;
}

/* Refuse a database that belongs to another program. A fresh (empty) file
   passes; migration step 1 stamps our id on it. */
static int
sq_check_application_id(struct store *store, const char *path,
			const char **error_r)
{
	struct store_sqlite *priv = sq_priv(store);
	sqlite3_stmt *stmt;
	int app_id = -1, tables = -1;

	if (sqlite3_prepare_v2(priv->db, "PRAGMA application_id", -1, &stmt,
			       NULL) != SQLITE_OK)
		return sq_fail(store, "read application id", error_r);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		app_id = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (app_id < 0)
		return sq_fail(store, "read application id", error_r);
	if (app_id == STORE_SQLITE_APPLICATION_ID)
		return 0;

	if (sqlite3_prepare_v2(priv->db, "SELECT count(*) FROM sqlite_master",
			       -1, &stmt, NULL) != SQLITE_OK)
		return sq_fail(store, "read schema", error_r);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		tables = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (tables < 0)
		return sq_fail(store, "read schema", error_r);
	if (app_id != 0 || tables > 0) {
		return sq_failf(store, error_r,
				"open %.64s: not a slaclock database (it has "
				"other tables or another application id)", path);
	}
	return 0;
}

/* ---- open / close ---- */

/* journal_mode answers with the mode in effect: "memory" for :memory:, and
   the old mode when it could not switch. */
static int
sq_set_wal(struct store *store, const char *what, const char **error_r)
{
	sqlite3_stmt *stmt;
	const char *mode;
	int ret = -1;

	if (sqlite3_prepare_v2(sq_priv(store)->db, "PRAGMA journal_mode = WAL",
			       -1, &stmt, NULL) != SQLITE_OK)
		return sq_fail(store, what, error_r);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sq_fail(store, what, error_r);
		goto out;
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (mode == NULL ||
	    (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)) {
		sq_failf(store, error_r, "%s: cannot switch to WAL journal "
			 "mode (still %s)", what, mode == NULL ? "?" : mode);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

static void sq_close(struct store *store);

/* Process-wide, before SQLite's first use: its memory statistics take a
   global mutex around every allocation (3% of a bulk load), and nothing
   here reads them. Too late (SQLite already in use) changes nothing. */
static void
sq_configure(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int
sq_open(struct store *store, const char *path, const char **error_r)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	struct store_sqlite *priv;
	char what[128];
	char errbuf[sizeof(store->error)];

	pthread_once(&configured, sq_configure);
	priv = calloc(1, sizeof(*priv));
	if (priv == NULL) {
		*error_r = "sqlite open: out of memory";
		return -1;
	}
	store->priv = priv;
	/* "%.64s" keeps a long path from crowding sqlite's reason out of
	   store->error. */
	snprintf(what, sizeof(what), "open %.64s%s", path,
		 strlen(path) > 64 ? "..." : "");

	/* URI so tests and admins can say file:...?mode=ro. NOMUTEX: a store
	   has one thread at a time (store.h), and the connection's mutex
	   around every call was 7% of a bulk load's store thread. */
	if (sqlite3_open_v2(path, &priv->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (priv->db == NULL) {
			*error_r = "sqlite open: out of memory";
			goto fail;
		}
		/* "unable to open database file" alone does not say whether
		   the directory is missing or not ours. */
		int err = sqlite3_system_errno(priv->db);

		if (err != 0) {
			sq_failf(store, error_r, "%s: %s (%s)", what,
				 sqlite3_errmsg(priv->db), strerror(err));
		} else {
			sq_fail(store, what, error_r);
		}
		goto fail;
	}
	sqlite3_extended_result_codes(priv->db, 1);
	sqlite3_busy_timeout(priv->db, STORE_SQLITE_BUSY_TIMEOUT_MS);

	if (sq_set_wal(store, what, error_r) < 0)
		goto fail;
	if (sqlite3_exec(priv->db, "PRAGMA synchronous = NORMAL;"
			 "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		goto fail;
	}
	if (sq_check_application_id(store, path, error_r) < 0)
		goto fail;
	if (store_sqlite_migrate(priv->db, store_sqlite_migrations,
				 STORE_SQLITE_MIGRATION_COUNT, errbuf,
				 sizeof(errbuf)) < 0) {
		sq_failf(store, error_r, "%s: %s", what, errbuf);
		goto fail;
	}
	return 0;
fail:
	sq_close(store);
	return -1;
}

static void
sq_close(struct store *store)
{
	struct store_sqlite *priv = sq_priv(store);
	int i;

	if (priv == NULL)
		return;
	tcache_free(&priv->mt);
	tcache_free(&priv->st);
	for (i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(priv->stmts[i]);
	/* Rolls back an open transaction; the last connection to close
	   checkpoints the WAL into the main file. */
	sqlite3_close_v2(priv->db);
	free(priv);
	store->priv = NULL;
}

/* ---- the threading maps of a bulk load ---- */

static void
sq_tc_forget(struct store *store)
{
	struct store_sqlite *priv = sq_priv(store);

	tcache_clear(&priv->mt);
	tcache_clear(&priv->st);
	priv->mt_complete = priv->st_complete = false;
}

/* Whether TABLE has no row; false when that cannot be told. */
static bool
sq_table_empty(struct store *store, const char *table)
{
	char sql[96];
	sqlite3_stmt *stmt;
	bool empty = false;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 1", table);
	if (sqlite3_prepare_v2(sq_priv(store)->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return false;
	empty = sqlite3_step(stmt) == SQLITE_DONE;
	sqlite3_finalize(stmt);
	return empty;
}

/* After BEGIN: the maps only hold while this connection is the only
   writer; anyone else's commit since our last transaction makes them
   stale. */
static int
sq_tc_check(struct store *store, const char **error_r)
{
	struct store_sqlite *priv = sq_priv(store);
	sqlite3_stmt *stmt;
	int64_t v;
	int ret = 0;

	if (!priv->tc_on)
		return 0;
	if ((stmt = sq_stmt(store, SQ_DATA_VERSION, "data version", error_r)) == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		v = sqlite3_column_int64(stmt, 0);
		if (v != priv->data_version)
			sq_tc_forget(store);
		priv->data_version = v;
	} else {
		ret = sq_fail(store, "data version", error_r);
	}
	sqlite3_reset(stmt);
	return ret;
}

static int
sq_mt_write(struct store *store, const char *message_id, const char *ticket,
	    const char **error_r)
{
	static const char what[] = "store message ticket";
	sqlite3_stmt *stmt = sq_stmt(store, SQ_MT_PUT, what, error_r);

	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, message_id) != SQLITE_OK ||
	    sq_bind_text(stmt, 2, ticket) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return -1;
	}
	return sq_step_done(store, stmt, what, error_r);
}

static int
sq_st_write(struct store *store, const char *key, const char *ticket,
	    int64_t time, const char **error_r)
{
	static const char what[] = "store subject ticket";
	sqlite3_stmt *stmt = sq_stmt(store, SQ_ST_PUT, what, error_r);

	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, key) != SQLITE_OK ||
	    sq_bind_text(stmt, 2, ticket) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 3, time) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return -1;
	}
	return sq_step_done(store, stmt, what, error_r);
}

/* Before COMMIT: what the transaction recorded in the maps, into its
   tables. On failure the caller rolls back, which forgets the maps. */
static int
sq_tc_write_out(struct store *store, const char **error_r)
{
	struct store_sqlite *priv = sq_priv(store);
	struct tcache_entry **list;
	size_t i, n;
	int ret = 0;

	if (tcache_take_dirty(&priv->mt, &list, &n) < 0)
		return sq_failf(store, error_r, "store message tickets: out of memory");
	for (i = 0; i < n && ret == 0; i++)
		ret = sq_mt_write(store, list[i]->key, list[i]->ticket, error_r);
	free(list);
	if (ret < 0)
		return -1;
	if (tcache_take_dirty(&priv->st, &list, &n) < 0)
		return sq_failf(store, error_r, "store subject tickets: out of memory");
	for (i = 0; i < n && ret == 0; i++)
		ret = sq_st_write(store, list[i]->key, list[i]->ticket, list[i]->time,
				  error_r);
	free(list);
	return ret;
}

/* ---- bulk load ---- */

/* A bulk writer's index lookups and inserts miss SQLite's default 2 MB
   page cache and fall through to pread(). For the load only: a daemon
   keeps the small defaults (its RSS is budgeted). A one-shot load may
   also let the WAL grow past the default 1000 pages between
   checkpoints, so it is not copied back into the main file many times
   over; a daemon may not, as a WAL that large needs as much free disk
   again to be checkpointed. A load's transactions are large (ingest.c:
   INGEST_BATCH), and pages its cache cannot hold spill into the WAL
   before the commit: it gets a larger cache than a daemon's sync. */
#define SQ_BULK_CACHE_KIB 65536
#define SQ_LOAD_CACHE_KIB 262144
#define SQ_BULK_MMAP_BYTES (1024LL * 1024 * 1024)
#define SQ_BULK_WAL_PAGES 20000
#define SQ_DEFAULT_WAL_PAGES 1000

static int
sq_bulk(struct store *store, enum store_bulk_mode mode, const char **error_r)
{
	char sql[256];

	if (mode != STORE_BULK_OFF) {
		snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d;"
			 "PRAGMA mmap_size = %lld;"
			 "PRAGMA wal_autocheckpoint = %d",
			 mode == STORE_BULK_LOAD ? SQ_LOAD_CACHE_KIB : SQ_BULK_CACHE_KIB,
			 SQ_BULK_MMAP_BYTES,
			 mode == STORE_BULK_LOAD ? SQ_BULK_WAL_PAGES :
			 SQ_DEFAULT_WAL_PAGES);
	} else {
		/* SQLite's compiled-in defaults. */
		snprintf(sql, sizeof(sql), "PRAGMA cache_size = -2000;"
			 "PRAGMA mmap_size = 0;"
			 "PRAGMA wal_autocheckpoint = %d", SQ_DEFAULT_WAL_PAGES);
	}
	if (sqlite3_exec(sq_priv(store)->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(store, "bulk", error_r);
	sq_tc_forget(store);
	sq_priv(store)->tc_on = mode != STORE_BULK_OFF;
	sq_priv(store)->tc_max = mode == STORE_BULK_LOAD ? TCACHE_LOAD_MAX_ENTRIES :
		TCACHE_MAX_ENTRIES;
	if (mode != STORE_BULK_OFF) {
		sq_priv(store)->mt_complete = sq_table_empty(store, "message_ticket");
		sq_priv(store)->st_complete = sq_table_empty(store, "subject_ticket");
	}
	return 0;
}

/* ---- transactions ---- */

static int
sq_begin(struct store *store, const char **error_r)
{
	if (!sqlite3_get_autocommit(sq_priv(store)->db)) {
		return sq_failf(store, error_r, "begin transaction: a "
				"transaction is already open (nested begin)");
	}
	/* A transaction SQLite ended on its own (SQLITE_FULL) left
	   nothing of its recorded tickets behind. */
	if (sq_priv(store)->mt.dirty_count + sq_priv(store)->st.dirty_count > 0)
		sq_tc_forget(store);
	if (sq_run(store, SQ_BEGIN, "begin transaction", error_r) < 0)
		return -1;
	if (sq_tc_check(store, error_r) < 0) {
		const char *ignored;

		(void)sq_run(store, SQ_ROLLBACK, "rollback", &ignored);
		return -1;
	}
	return 0;
}

static int
sq_commit(struct store *store, const char **error_r)
{
	struct store_sqlite *priv = sq_priv(store);

	if (sqlite3_get_autocommit(priv->db))
		return sq_failf(store, error_r, "commit: no transaction open");
	if (sq_tc_write_out(store, error_r) < 0)
		return -1;
	/* On failure (e.g. SQLITE_BUSY) the transaction stays open; the
	   caller may retry the commit or roll back. */
	if (sq_run(store, SQ_COMMIT, "commit", error_r) < 0)
		return -1;
	if (priv->mt.count > priv->tc_max) {
		tcache_clear(&priv->mt);
		priv->mt_complete = false;
	}
	if (priv->st.count > priv->tc_max) {
		tcache_clear(&priv->st);
		priv->st_complete = false;
	}
	return 0;
}

static int
sq_rollback(struct store *store, const char **error_r)
{
	sqlite3 *db = sq_priv(store)->db;
	bool disk_full = sqlite3_errcode(db) == SQLITE_FULL;

	sq_tc_forget(store);
	if (sqlite3_get_autocommit(db))
		return sq_failf(store, error_r, "rollback: no transaction open");
	if (sq_run(store, SQ_ROLLBACK, "rollback", error_r) < 0)
		return -1;
	/* The file system filled up: give back what the WAL holds beyond
	   the committed data, so the retry has room. Best effort: a reader
	   may keep the checkpoint from finishing; the next one will. */
	if (disk_full)
		(void)sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
				   NULL, NULL);
	return 0;
}

/* ---- events ---- */

static int
sq_event_insert(struct store *store, const struct event *ev,
		bool *inserted_r, const char **error_r)
{
	static const char what[] = "insert event";
	const char *kind = event_kind_name(ev->kind);
	sqlite3_stmt *stmt;
	int ret;

	if (sq_check(store, what, "source", ev->source, STORE_SOURCE_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "external_id", ev->external_id, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "ticket", ev->ticket, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "actor", ev->actor, EVENT_ACTOR_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "attrs", ev->attrs, EVENT_ATTRS_MAX, false, error_r) < 0)
		return -1;
	if (kind == NULL)
		return sq_failf(store, error_r, "%s: unknown kind %d", what, (int)ev->kind);
	stmt = sq_stmt(store, SQ_EVENT_INSERT, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, ev->source) != SQLITE_OK ||
	    sq_bind_text(stmt, 2, ev->external_id) != SQLITE_OK ||
	    sq_bind_text(stmt, 3, ev->ticket) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 4, ev->time) != SQLITE_OK ||
	    sq_bind_text(stmt, 5, ev->actor) != SQLITE_OK ||
	    sq_bind_text(stmt, 6, kind) != SQLITE_OK ||
	    sq_bind_text(stmt, 7, ev->attrs) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return ret;
	}
	ret = sq_step_done(store, stmt, what, error_r);
	if (ret == 0 && inserted_r != NULL)
		*inserted_r = sqlite3_changes(sq_priv(store)->db) > 0;
	return ret;
}

/* The events statement ID selects, with ?1 bound to TICKET or SINCE. */
static int
sq_events_walk(struct store *store, enum sq_stmt id, const char *ticket, int64_t since,
	       store_event_cb *cb, void *ctx, const char **error_r)
{
	static const char what[] = "read events";
	struct store_sqlite *priv = sq_priv(store);
	sqlite3_stmt *stmt, *tmp = NULL;
	struct event ev;
	const char *kind;
	int rc, ret = 0;

	if (ticket != NULL &&
	    sq_check(store, what, "ticket", ticket, EVENT_ID_MAX, true, error_r) < 0)
		return -1;
	stmt = sq_stmt(store, id, what, error_r);
	if (stmt == NULL)
		return -1;
	/* A callback may walk the events again; the cached statement is
	   then mid-iteration, so the inner walk gets its own. */
	if (sqlite3_stmt_busy(stmt)) {
		if (sqlite3_prepare_v2(priv->db, sq_sql[id], -1,
				       &tmp, NULL) != SQLITE_OK)
			return sq_fail(store, what, error_r);
		stmt = tmp;
	}
	if ((id == SQ_EVENTS_TICKET && sq_bind_text(stmt, 1, ticket) != SQLITE_OK) ||
	    (id == SQ_EVENTS_SINCE && sqlite3_bind_int64(stmt, 1, since) != SQLITE_OK)) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&ev, 0, sizeof(ev));
		ev.id = sqlite3_column_int64(stmt, 0);
		ev.source = sq_column_str(stmt, 1);
		ev.external_id = sq_column_str(stmt, 2);
		ev.ticket = sq_column_str(stmt, 3);
		ev.time = sqlite3_column_int64(stmt, 4);
		ev.actor = sq_column_str(stmt, 5);
		kind = sq_column_str(stmt, 6);
		ev.attrs = sq_column_str(stmt, 7);
		if (event_kind_from_name(kind, &ev.kind) < 0) {
			ret = sq_failf(store, error_r, "%s: event %lld has "
				       "unknown kind '%.64s'", what,
				       (long long)ev.id,
				       kind == NULL ? "" : kind);
			goto out;
		}
		ret = cb(ctx, &ev);
		if (ret != 0) {
			snprintf(store->error, sizeof(store->error),
				 "%s: stopped by the callback (%d)", what, ret);
			*error_r = store->error;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		ret = sq_fail(store, what, error_r);
out:
	if (tmp != NULL)
		sqlite3_finalize(tmp);
	else {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return ret;
}

static int
sq_events_foreach(struct store *store, store_event_cb *cb, void *ctx,
		  const char **error_r)
{
	return sq_events_walk(store, SQ_EVENTS_ALL, NULL, 0, cb, ctx, error_r);
}

static int
sq_events_foreach_ticket(struct store *store, const char *ticket, store_event_cb *cb,
			 void *ctx, const char **error_r)
{
	return sq_events_walk(store, SQ_EVENTS_TICKET, ticket, 0, cb, ctx, error_r);
}

static int
sq_events_foreach_since(struct store *store, int64_t since, store_event_cb *cb,
			void *ctx, const char **error_r)
{
	return sq_events_walk(store, SQ_EVENTS_SINCE, NULL, since, cb, ctx, error_r);
}

static int
sq_event_max_id(struct store *store, int64_t *id_r, const char **error_r)
{
	return sq_count(store, SQ_EVENT_MAX_ID, "last event id", id_r, error_r);
}

static int
sq_event_count(struct store *store, int64_t *count_r, const char **error_r)
{
	return sq_count(store, SQ_EVENT_COUNT, "count events", count_r, error_r);
}

/* ---- threading ---- */

/* A recorded ticket goes into the map rather than SQLite while a bulk
   load has a transaction open. */
static bool
sq_tc_defer(struct store *store)
{
	struct store_sqlite *priv = sq_priv(store);

	return priv->tc_on && !sqlite3_get_autocommit(priv->db);
}

static int
sq_tc_dup(struct store *store, const char *what, const char *ticket,
	  char **ticket_r, const char **error_r)
{
	if ((*ticket_r = strdup(ticket)) == NULL)
		return sq_failf(store, error_r, "%s: out of memory", what);
	return 0;
}

static int
sq_message_ticket_get(struct store *store, const char *message_id,
		      char **ticket_r, const char **error_r)
{
	static const char what[] = "look up message ticket";
	struct store_sqlite *priv = sq_priv(store);
	struct tcache_entry *e;
	sqlite3_stmt *stmt;
	bool oom = false;
	int rc, ret = 0;

	*ticket_r = NULL;
	if (sq_check(store, what, "message id", message_id, EVENT_ID_MAX, true, error_r) < 0)
		return -1;
	if (priv->tc_on && (e = tcache_find(&priv->mt, message_id)) != NULL)
		return sq_tc_dup(store, what, e->ticket, ticket_r, error_r);
	if (priv->tc_on && priv->mt_complete)
		return 0;
	stmt = sq_stmt(store, SQ_MT_GET, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, message_id) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*ticket_r = sq_column_dup(stmt, 0, &oom);
		if (oom)
			ret = sq_failf(store, error_r, "%s: out of memory", what);
	} else if (rc != SQLITE_DONE) {
		ret = sq_fail(store, what, error_r);
	}
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

static int
sq_message_ticket_put(struct store *store, const char *message_id,
		      const char *ticket, const char **error_r)
{
	static const char what[] = "store message ticket";
	struct store_sqlite *priv = sq_priv(store);
	struct tcache_entry *e;

	if (sq_check(store, what, "message id", message_id, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "ticket", ticket, EVENT_ID_MAX, true, error_r) < 0)
		return -1;
	if (sq_tc_defer(store)) {
		if ((e = tcache_set(&priv->mt, message_id, ticket, NULL)) == NULL)
			return sq_failf(store, error_r, "%s: out of memory", what);
		tcache_mark_dirty(&priv->mt, e);
		return 0;
	}
	if (sq_mt_write(store, message_id, ticket, error_r) < 0)
		return -1;
	/* Outside a transaction the map must not keep an older ticket. */
	if (priv->tc_on && tcache_set(&priv->mt, message_id, ticket, NULL) == NULL) {
		tcache_clear(&priv->mt);
		priv->mt_complete = false;
	}
	return 0;
}

/* The stored row's last_time folded into E's, once: E was recorded
   without reading the row, whose time may be later (a put keeps the
   later of the two). */
static int
sq_st_merge_time(struct store *store, struct tcache_entry *e, const char **error_r)
{
	static const char what[] = "look up subject ticket";
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	if (e->time_merged)
		return 0;
	if ((stmt = sq_stmt(store, SQ_ST_TIME, what, error_r)) == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, e->key) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(stmt, 0);

		if (t > e->time)
			e->time = t;
	} else if (rc != SQLITE_DONE) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	e->time_merged = true;
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

static int
sq_subject_ticket_get(struct store *store, const char *key, int64_t since,
		      char **ticket_r, const char **error_r)
{
	static const char what[] = "look up subject ticket";
	struct store_sqlite *priv = sq_priv(store);
	struct tcache_entry *e;
	sqlite3_stmt *stmt;
	bool oom = false;
	int rc, ret = 0;

	*ticket_r = NULL;
	if (sq_check(store, what, "subject key", key, EVENT_ID_MAX, true, error_r) < 0)
		return -1;
	if (priv->tc_on && (e = tcache_find(&priv->st, key)) != NULL) {
		if (e->time < since && !priv->st_complete &&
		    sq_st_merge_time(store, e, error_r) < 0)
			return -1;
		if (e->time < since)
			return 0;
		return sq_tc_dup(store, what, e->ticket, ticket_r, error_r);
	}
	if (priv->tc_on && priv->st_complete)
		return 0;
	if ((stmt = sq_stmt(store, SQ_ST_GET, what, error_r)) == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 2, since) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*ticket_r = sq_column_dup(stmt, 0, &oom);
		if (oom)
			ret = sq_failf(store, error_r, "%s: out of memory", what);
	} else if (rc != SQLITE_DONE) {
		ret = sq_fail(store, what, error_r);
	}
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

static int
sq_subject_ticket_put(struct store *store, const char *key, const char *ticket,
		      int64_t time, const char **error_r)
{
	static const char what[] = "store subject ticket";
	struct store_sqlite *priv = sq_priv(store);
	struct tcache_entry *e;
	bool created;

	if (sq_check(store, what, "subject key", key, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "ticket", ticket, EVENT_ID_MAX, true, error_r) < 0)
		return -1;
	if (sq_tc_defer(store)) {
		if ((e = tcache_set(&priv->st, key, ticket, &created)) == NULL)
			return sq_failf(store, error_r, "%s: out of memory", what);
		if (created || time > e->time)
			e->time = time;
		tcache_mark_dirty(&priv->st, e);
		return 0;
	}
	if (sq_st_write(store, key, ticket, time, error_r) < 0)
		return -1;
	/* The row now holds the later time, which the map does not know. */
	if (priv->tc_on)
		priv->st_complete = false;	/* a row the map may lack */
	if (priv->tc_on && (e = tcache_find(&priv->st, key)) != NULL) {
		if (tcache_set(&priv->st, key, ticket, NULL) == NULL) {
			tcache_clear(&priv->st);
			priv->st_complete = false;
		} else {
			if (time > e->time)
				e->time = time;
			e->time_merged = false;
		}
	}
	return 0;
}

/* ---- derived records ---- */

/* Multi-statement writes run inside a savepoint so a half-done change
   never stays behind, whether or not the caller has a transaction open. */
static int
sq_savepoint_begin(struct store *store, const char *what, const char **error_r)
{
	return sq_run(store, SQ_SAVEPOINT, what, error_r);
}

static int
sq_savepoint_end(struct store *store, int ret, const char *what,
		 const char **error_r)
{
	char saved[sizeof(store->error)];
	const char *ignored;

	if (ret == 0)
		return sq_run(store, SQ_RELEASE, what, error_r);
	/* Keep the first error's text: it says what went wrong. */
	snprintf(saved, sizeof(saved), "%s", store->error);
	if (sq_run(store, SQ_ROLLBACK_TO, what, &ignored) == 0)
		(void)sq_run(store, SQ_RELEASE, what, &ignored);
	snprintf(store->error, sizeof(store->error), "%s", saved);
	*error_r = store->error;
	return -1;
}

static int
sq_derived_clear(struct store *store, const char **error_r)
{
	static const char what[] = "clear derived records";
	int ret;

	if (sq_savepoint_begin(store, what, error_r) < 0)
		return -1;
	ret = sq_run(store, SQ_BREACHES_CLEAR, what, error_r);
	if (ret == 0)
		ret = sq_run(store, SQ_PROPOSALS_CLEAR, what, error_r);
	return sq_savepoint_end(store, ret, what, error_r);
}

static int
sq_breaches_clear(struct store *store, const char *ticket, const char **error_r)
{
	static const char what[] = "clear breaches";
	sqlite3_stmt *stmt;

	if (ticket == NULL)
		return sq_run(store, SQ_BREACHES_CLEAR, what, error_r);
	if (sq_check(store, what, "ticket", ticket, EVENT_ID_MAX, true, error_r) < 0 ||
	    (stmt = sq_stmt(store, SQ_BREACHES_TICKET_CLEAR, what, error_r)) == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, ticket) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		return -1;
	}
	return sq_step_done(store, stmt, what, error_r);
}

static int
sq_proposals_clear(struct store *store, const char **error_r)
{
	return sq_run(store, SQ_PROPOSALS_CLEAR, "clear proposals", error_r);
}

/* ---- derived cache ---- */

static int
sq_cache_get(struct store *store, const char *key, char **stamp_r, char **value_r,
	     const char **error_r)
{
	static const char what[] = "read derived cache";
	sqlite3_stmt *stmt;
	bool oom = false;
	int rc, ret = 0;

	*stamp_r = *value_r = NULL;
	if (sq_check(store, what, "key", key, EVENT_ID_MAX, true, error_r) < 0 ||
	    (stmt = sq_stmt(store, SQ_CACHE_GET, what, error_r)) == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, key) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*stamp_r = sq_column_dup(stmt, 0, &oom);
		*value_r = sq_column_dup(stmt, 1, &oom);
		if (oom) {
			free(*stamp_r);
			free(*value_r);
			*stamp_r = *value_r = NULL;
			ret = sq_failf(store, error_r, "%s: out of memory", what);
		}
	} else if (rc != SQLITE_DONE) {
		ret = sq_fail(store, what, error_r);
	}
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

static int
sq_cache_put(struct store *store, const char *key, const char *stamp, const char *value,
	     const char **error_r)
{
	static const char what[] = "write derived cache";
	sqlite3_stmt *stmt;

	if (key == NULL)
		return sq_run(store, SQ_CACHE_CLEAR, what, error_r);
	if (sq_check(store, what, "key", key, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "stamp", stamp, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "value", value, STORE_PAYLOAD_MAX, true, error_r) < 0 ||
	    (stmt = sq_stmt(store, SQ_CACHE_PUT, what, error_r)) == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, key) != SQLITE_OK || sq_bind_text(stmt, 2, stamp) != SQLITE_OK ||
	    sq_bind_text(stmt, 3, value) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return -1;
	}
	return sq_step_done(store, stmt, what, error_r);
}

static int
sq_breach_put(struct store *store, const struct store_breach *b,
	      const char **error_r)
{
	static const char what[] = "store breach";
	sqlite3_stmt *stmt;
	int ret;

	if (sq_check(store, what, "ticket", b->ticket, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "rule", b->rule, STORE_RULE_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "agent", b->agent, EVENT_ACTOR_MAX, false, error_r) < 0 ||
	    sq_check(store, what, "month", b->month, STORE_MONTH_MAX, true, error_r) < 0)
		return -1;
	stmt = sq_stmt(store, SQ_BREACH_PUT, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, b->ticket) != SQLITE_OK ||
	    sq_bind_text(stmt, 2, b->rule) != SQLITE_OK ||
	    sq_bind_text(stmt, 3, b->agent) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 4, b->deadline) != SQLITE_OK ||
	    (b->met_at == 0 ? sqlite3_bind_null(stmt, 5) :
	     sqlite3_bind_int64(stmt, 5, b->met_at)) != SQLITE_OK ||
	    sq_bind_text(stmt, 6, b->month) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return ret;
	}
	return sq_step_done(store, stmt, what, error_r);
}

static int
sq_proposal_put(struct store *store, const struct store_proposal *p,
		const char **error_r)
{
	static const char what[] = "store proposal";
	sqlite3_stmt *stmt;
	int ret;

	if (sq_check(store, what, "key", p->key, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "agent", p->agent, EVENT_ACTOR_MAX, false, error_r) < 0 ||
	    sq_check(store, what, "rule", p->rule, STORE_RULE_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "month", p->month, STORE_MONTH_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "unit", p->unit, STORE_RULE_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "state", p->state, STORE_RULE_MAX, false, error_r) < 0 ||
	    sq_check(store, what, "reason", p->reason, STORE_TEXT_MAX, false, error_r) < 0)
		return -1;
	stmt = sq_stmt(store, SQ_PROPOSAL_PUT, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, p->key) != SQLITE_OK ||
	    sq_bind_text(stmt, 2, p->agent) != SQLITE_OK ||
	    sq_bind_text(stmt, 3, p->rule) != SQLITE_OK ||
	    sq_bind_text(stmt, 4, p->month) != SQLITE_OK ||
	    sq_bind_text(stmt, 5, p->unit) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 6, p->amount) != SQLITE_OK ||
	    sq_bind_text(stmt, 7, p->state == NULL ? "proposed" : p->state) != SQLITE_OK ||
	    sq_bind_text(stmt, 8, p->reason) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return ret;
	}
	return sq_step_done(store, stmt, what, error_r);
}

/* One row of a derived table handed to the caller's callback, which
   travels as a generic function pointer (C allows converting between
   function pointer types, not to void *). */
typedef void sq_any_fn(void);
typedef int sq_row_fn(sqlite3_stmt *stmt, sq_any_fn *cb, void *ctx);

/* Step ALL_STMT, or MONTH_STMT bound to MONTH, calling ROW for each row
   until it returns non-zero (which ends the walk and is returned). */
static int
sq_foreach_month(struct store *store, enum sq_stmt all_stmt, enum sq_stmt month_stmt,
		 const char *what, const char *month, sq_row_fn *row, sq_any_fn *cb,
		 void *ctx, const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	stmt = sq_stmt(store, month == NULL ? all_stmt : month_stmt, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sqlite3_stmt_busy(stmt))
		return sq_failf(store, error_r, "%s: already iterating", what);
	if (month != NULL && sq_bind_text(stmt, 1, month) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ret = row(stmt, cb, ctx);
		if (ret != 0) {
			snprintf(store->error, sizeof(store->error),
				 "%s: stopped by the callback (%d)", what, ret);
			*error_r = store->error;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		ret = sq_fail(store, what, error_r);
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

static int
sq_breach_row(sqlite3_stmt *stmt, sq_any_fn *cb, void *ctx)
{
	struct store_breach b;

	b.ticket = sq_column_str(stmt, 0);
	b.rule = sq_column_str(stmt, 1);
	b.agent = sq_column_str(stmt, 2);
	b.deadline = sqlite3_column_int64(stmt, 3);
	b.met_at = sqlite3_column_int64(stmt, 4);
	b.month = sq_column_str(stmt, 5);
	return ((store_breach_cb *)cb)(ctx, &b);
}

static int
sq_breaches_foreach(struct store *store, const char *month,
		    store_breach_cb *cb, void *ctx, const char **error_r)
{
	return sq_foreach_month(store, SQ_BREACHES_ALL, SQ_BREACHES_MONTH, "read breaches",
				month, sq_breach_row, (sq_any_fn *)cb, ctx, error_r);
}

static int
sq_proposal_row(sqlite3_stmt *stmt, sq_any_fn *cb, void *ctx)
{
	struct store_proposal p;

	p.key = sq_column_str(stmt, 0);
	p.agent = sq_column_str(stmt, 1);
	p.rule = sq_column_str(stmt, 2);
	p.month = sq_column_str(stmt, 3);
	p.unit = sq_column_str(stmt, 4);
	p.amount = sqlite3_column_int(stmt, 5);
	p.state = sq_column_str(stmt, 6);
	p.reason = sq_column_str(stmt, 7);
	return ((store_proposal_cb *)cb)(ctx, &p);
}

static int
sq_proposals_foreach(struct store *store, const char *month,
		     store_proposal_cb *cb, void *ctx, const char **error_r)
{
	return sq_foreach_month(store, SQ_PROPOSALS_ALL, SQ_PROPOSALS_MONTH, "read proposals",
				month, sq_proposal_row, (sq_any_fn *)cb, ctx, error_r);
}

static int
sq_proposal_state_set(struct store *store, const char *key, const char *state,
		      const char *changed_by, int64_t changed_at,
		      const char **error_r)
{
	static const char what[] = "set proposal state";
	struct store_sqlite *priv = sq_priv(store);
	sqlite3_stmt *stmt;
	int ret = -1;

	if (sq_check(store, what, "key", key, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "state", state, STORE_RULE_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "changed_by", changed_by, EVENT_ACTOR_MAX, false, error_r) < 0)
		return -1;
	if (sq_savepoint_begin(store, what, error_r) < 0)
		return -1;

	stmt = sq_stmt(store, SQ_PROPOSAL_STATE_UPDATE, what, error_r);
	if (stmt == NULL)
		goto out;
	if (sq_bind_text(stmt, 1, key) != SQLITE_OK ||
	    sq_bind_text(stmt, 2, state) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		goto out;
	}
	if (sq_step_done(store, stmt, what, error_r) < 0)
		goto out;
	if (sqlite3_changes(priv->db) == 0) {
		sq_failf(store, error_r, "%s: no proposal with key '%.200s'",
			 what, key);
		goto out;
	}

	stmt = sq_stmt(store, SQ_PROPOSAL_STATE_PUT, what, error_r);
	if (stmt == NULL)
		goto out;
	if (sq_bind_text(stmt, 1, key) != SQLITE_OK ||
	    sq_bind_text(stmt, 2, state) != SQLITE_OK ||
	    sq_bind_text(stmt, 3, changed_by) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 4, changed_at) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		goto out;
	}
	if (sq_step_done(store, stmt, what, error_r) < 0)
		goto out;
	ret = 0;
out:
	return sq_savepoint_end(store, ret, what, error_r);
}

static int
sq_schema_version(struct store *store, int *version_r, const char **error_r)
{
	int64_t v;

	if (sq_count(store, SQ_USER_VERSION, "read schema version", &v,
		     error_r) < 0)
		return -1;
	*version_r = (int)v;
	return 0;
}

/* ---- IMAP sync state ---- */

static int
sq_sync_state_get(struct store *store, const char *source,
		  uint32_t *uidvalidity_r, uint32_t *last_uid_r,
		  const char **error_r)
{
	static const char what[] = "read sync state";
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	*uidvalidity_r = 0;
	*last_uid_r = 0;
	if (sq_check(store, what, "source", source, STORE_SOURCE_MAX, true, error_r) < 0)
		return -1;
	stmt = sq_stmt(store, SQ_SYNC_GET, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, source) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(stmt, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(stmt, 1);
	} else if (rc != SQLITE_DONE) {
		ret = sq_fail(store, what, error_r);
	}
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

static int
sq_sync_state_put(struct store *store, const char *source,
		  uint32_t uidvalidity, uint32_t last_uid, const char **error_r)
{
	static const char what[] = "store sync state";
	sqlite3_stmt *stmt;
	int ret;

	if (sq_check(store, what, "source", source, STORE_SOURCE_MAX, true, error_r) < 0)
		return -1;
	stmt = sq_stmt(store, SQ_SYNC_PUT, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, source) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 2, uidvalidity) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 3, last_uid) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return ret;
	}
	return sq_step_done(store, stmt, what, error_r);
}

/* ---- outbox ---- */

static int
sq_outbox_put(struct store *store, const struct store_outbox *row,
	      bool *inserted_r, const char **error_r)
{
	static const char what[] = "queue outbox row";
	sqlite3_stmt *stmt;
	int ret;

	if (sq_check(store, what, "key", row->key, EVENT_ID_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "channel", row->channel, STORE_SOURCE_MAX, true, error_r) < 0 ||
	    sq_check(store, what, "payload", row->payload, STORE_PAYLOAD_MAX, true, error_r) < 0)
		return -1;
	stmt = sq_stmt(store, SQ_OUTBOX_PUT, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sq_bind_text(stmt, 1, row->key) != SQLITE_OK ||
	    sq_bind_text(stmt, 2, row->channel) != SQLITE_OK ||
	    sq_bind_text(stmt, 3, row->payload) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 4, row->not_before) != SQLITE_OK) {
		ret = sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return ret;
	}
	ret = sq_step_done(store, stmt, what, error_r);
	if (ret == 0 && inserted_r != NULL)
		*inserted_r = sqlite3_changes(sq_priv(store)->db) > 0;
	return ret;
}

static int
sq_outbox_next(struct store *store, int64_t now, const char *channel_prefix,
	       struct store_outbox_item *item_r, bool *found_r,
	       const char **error_r)
{
	static const char what[] = "read outbox";
	sqlite3_stmt *stmt;
	bool oom = false;
	int rc, ret = 0;

	memset(item_r, 0, sizeof(*item_r));
	*found_r = false;
	stmt = sq_stmt(store, SQ_OUTBOX_NEXT, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sqlite3_bind_int64(stmt, 1, now) != SQLITE_OK ||
	    (channel_prefix != NULL &&
	     sqlite3_bind_text(stmt, 2, channel_prefix, -1, SQLITE_STATIC) != SQLITE_OK)) {
		ret = sq_fail(store, what, error_r);
		goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		item_r->id = sqlite3_column_int64(stmt, 0);
		item_r->key = sq_column_dup(stmt, 1, &oom);
		item_r->channel = sq_column_dup(stmt, 2, &oom);
		item_r->payload = sq_column_dup(stmt, 3, &oom);
		item_r->attempts = sqlite3_column_int(stmt, 4);
		if (oom) {
			store_outbox_item_clear(item_r);
			ret = sq_failf(store, error_r, "%s: out of memory", what);
		} else {
			*found_r = true;
		}
	} else if (rc != SQLITE_DONE) {
		ret = sq_fail(store, what, error_r);
	}
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return ret;
}

static int
sq_outbox_done(struct store *store, int64_t id, int64_t when,
	       const char **error_r)
{
	static const char what[] = "mark outbox row done";
	sqlite3_stmt *stmt;

	stmt = sq_stmt(store, SQ_OUTBOX_DONE, what, error_r);
	if (stmt == NULL)
		return -1;
	if (sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 2, when) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		return -1;
	}
	if (sq_step_done(store, stmt, what, error_r) < 0)
		return -1;
	if (sqlite3_changes(sq_priv(store)->db) == 0) {
		return sq_failf(store, error_r, "%s: no outbox row %lld", what,
				(long long)id);
	}
	return 0;
}

static int
sq_outbox_retry(struct store *store, int64_t id, int64_t not_before,
		const char *last_error, const char **error_r)
{
	static const char what[] = "reschedule outbox row";
	sqlite3_stmt *stmt;
	size_t len = 0;
	int rc;

	stmt = sq_stmt(store, SQ_OUTBOX_RETRY, what, error_r);
	if (stmt == NULL)
		return -1;
	/* A remote error text can be long; keep its start, cut on a UTF-8
	   character boundary. */
	if (last_error != NULL) {
		len = strlen(last_error);
		if (len > STORE_LAST_ERROR_MAX) {
			len = STORE_LAST_ERROR_MAX;
			while (len > 0 &&
			       ((unsigned char)last_error[len] & 0xc0) == 0x80)
				len--;
		}
		rc = sqlite3_bind_text(stmt, 3, last_error, (int)len, SQLITE_STATIC);
	} else {
		rc = sqlite3_bind_null(stmt, 3);
	}
	if (rc != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 2, not_before) != SQLITE_OK) {
		sq_fail(store, what, error_r);
		sqlite3_reset(stmt);
		return -1;
	}
	if (sq_step_done(store, stmt, what, error_r) < 0)
		return -1;
	if (sqlite3_changes(sq_priv(store)->db) == 0) {
		return sq_failf(store, error_r, "%s: no pending outbox row %lld",
				what, (long long)id);
	}
	return 0;
}

static int
sq_outbox_depth(struct store *store, int64_t *count_r, const char **error_r)
{
	return sq_count(store, SQ_OUTBOX_DEPTH, "count outbox", count_r, error_r);
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.bulk = sq_bulk,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.event_insert = sq_event_insert,
	.events_foreach = sq_events_foreach,
	.event_count = sq_event_count,
	.message_ticket_get = sq_message_ticket_get,
	.message_ticket_put = sq_message_ticket_put,
	.subject_ticket_get = sq_subject_ticket_get,
	.subject_ticket_put = sq_subject_ticket_put,
	.derived_clear = sq_derived_clear,
	.breach_put = sq_breach_put,
	.proposal_put = sq_proposal_put,
	.schema_version = sq_schema_version,
	.sync_state_get = sq_sync_state_get,
	.sync_state_put = sq_sync_state_put,
	.outbox_put = sq_outbox_put,
	.outbox_next = sq_outbox_next,
	.outbox_done = sq_outbox_done,
	.outbox_retry = sq_outbox_retry,
	.outbox_depth = sq_outbox_depth,
	.breaches_foreach = sq_breaches_foreach,
	.proposals_foreach = sq_proposals_foreach,
	.proposal_state_set = sq_proposal_state_set,
	.events_foreach_ticket = sq_events_foreach_ticket,
	.events_foreach_since = sq_events_foreach_since,
	.event_max_id = sq_event_max_id,
	.breaches_clear = sq_breaches_clear,
	.proposals_clear = sq_proposals_clear,
	.cache_get = sq_cache_get,
	.cache_put = sq_cache_put,
};
