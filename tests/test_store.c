/* test_store - the event store through its public interface, SQLite backend. */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "event.h"
#include "store.h"
#include "store_sqlite_private.h"
#include "testutil.h"

static char *tmpdir;
static char dbpath[4096];

static void
setup(void)
{
	tmpdir = testutil_tmpdir();
	snprintf(dbpath, sizeof(dbpath), "%s/slaclock.db", tmpdir);
}

static void
teardown(void)
{
	testutil_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

static struct store *
open_ok(const char *path)
{
	struct store *store;
	const char *error = NULL;

	if (store_open("sqlite", path, &store, &error) < 0)
		ck_abort_msg("store_open(%s): %s", path, error);
	ck_assert_ptr_nonnull(store);
	return store;
}

static void
mkev(struct event *ev, const char *source, const char *ext,
     const char *ticket, int64_t t, enum event_kind kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->source = source;
	ev->external_id = ext;
	ev->ticket = ticket;
	ev->time = t;
	ev->actor = "agent@example.com";
	ev->kind = kind;
	ev->attrs = NULL;
}

static int64_t
count_events(struct store *store)
{
	const char *error;
	int64_t n = -1;

	if (store_event_count(store, &n, &error) < 0)
		ck_abort_msg("event_count: %s", error);
	return n;
}

/* Run SQL directly on a database file outside the store. */
static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		ck_abort_msg("raw sql '%s': %s", sql, err);
	sqlite3_close(db);
}

/* ---- event kinds ---- */

START_TEST(test_event_kind_names)
{
	enum event_kind k;
	int i;

	ck_assert_str_eq(event_kind_name(EVENT_CUSTOMER_MESSAGE), "customer_message");
	ck_assert_str_eq(event_kind_name(EVENT_PRAISE), "praise");
	ck_assert_ptr_null(event_kind_name(EVENT_KIND_COUNT));
	ck_assert_ptr_null(event_kind_name((enum event_kind)-1));
	for (i = 0; i < EVENT_KIND_COUNT; i++) {
		const char *name = event_kind_name((enum event_kind)i);

		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(event_kind_from_name(name, &k), 0);
		ck_assert_int_eq(k, i);
	}
	ck_assert_int_eq(event_kind_from_name("agent_note", &k), 0);
	ck_assert_int_eq(k, EVENT_AGENT_NOTE);
	ck_assert_int_eq(event_kind_from_name("Agent_Note", &k), -1);
	ck_assert_int_eq(event_kind_from_name("", &k), -1);
	ck_assert_int_eq(event_kind_from_name(NULL, &k), -1);
}
END_TEST

/* ---- open, schema, migrations ---- */

START_TEST(test_open_create)
{
	struct store *store = open_ok(dbpath);
	struct stat st;
	const char *error;
	int version = -1;

	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_int_eq(store_schema_version(store, &version, &error), 0);
	ck_assert_int_eq(version, STORE_SCHEMA_VERSION);
	ck_assert_int_eq(count_events(store), 0);
	store_close(&store);
	ck_assert_ptr_null(store);
	store_close(&store);	/* NULL is fine */
}
END_TEST

START_TEST(test_open_memory_and_uri)
{
	struct store *store = open_ok(":memory:");
	char uri[4200];

	ck_assert_int_eq(count_events(store), 0);
	store_close(&store);

	snprintf(uri, sizeof(uri), "file:%s", dbpath);
	store = open_ok(uri);
	store_close(&store);
	ck_assert_int_eq(access(dbpath, F_OK), 0);
}
END_TEST

START_TEST(test_open_unknown_backend)
{
	struct store *store = (struct store *)1;
	const char *error = NULL;

	ck_assert_int_eq(store_open("postgres-not-yet", dbpath, &store, &error), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(strstr(error, "unknown store backend"));
	ck_assert_ptr_nonnull(strstr(error, "postgres-not-yet"));
	ck_assert_int_eq(store_open("sqlite", "", &store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "no database path"));
	ck_assert_int_eq(store_open("sqlite", NULL, &store, &error), -1);
	/* NULL picks the default backend. */
	ck_assert_int_eq(store_open(NULL, ":memory:", &store, &error), 0);
	ck_assert_str_eq(store->backend->name, "sqlite");
	store_close(&store);
}
END_TEST

START_TEST(test_wal_mode)
{
	struct store *store = open_ok(dbpath);
	sqlite3_stmt *stmt;
	sqlite3 *db = store_sqlite_db(store);

	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &stmt, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(stmt, 0), 1);
	sqlite3_finalize(stmt);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &stmt, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(stmt, 0), 1);	/* NORMAL */
	sqlite3_finalize(stmt);
	store_close(&store);
}
END_TEST

static int
pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;
	int v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* Bulk mode is counted: overlapping loads keep it until the last ends,
   and an unmatched end does not underflow into the next load. */
START_TEST(test_bulk_mode)
{
	struct store *store = open_ok(dbpath);
	sqlite3 *db = store_sqlite_db(store);
	const char *error;
	int normal = pragma_int(db, "PRAGMA cache_size");

	ck_assert_int_eq(store_bulk(store, STORE_BULK_LOAD, &error), 0);
	ck_assert_int_lt(pragma_int(db, "PRAGMA cache_size"), normal);
	ck_assert_int_gt(pragma_int(db, "PRAGMA wal_autocheckpoint"), 1000);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_LOAD, &error), 0);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_OFF, &error), 0);
	ck_assert_int_lt(pragma_int(db, "PRAGMA cache_size"), normal);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_OFF, &error), 0);
	ck_assert_int_eq(pragma_int(db, "PRAGMA cache_size"), normal);
	ck_assert_int_eq(pragma_int(db, "PRAGMA wal_autocheckpoint"), 1000);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_OFF, &error), 0);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_LOAD, &error), 0);
	ck_assert_int_lt(pragma_int(db, "PRAGMA cache_size"), normal);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_OFF, &error), 0);
	/* A daemon's sync: more cache, but the WAL (disk) as usual. */
	ck_assert_int_eq(store_bulk(store, STORE_BULK_CACHE, &error), 0);
	ck_assert_int_lt(pragma_int(db, "PRAGMA cache_size"), normal);
	ck_assert_int_eq(pragma_int(db, "PRAGMA wal_autocheckpoint"), 1000);
	store_close(&store);
}
END_TEST

START_TEST(test_empty_file_migrates)
{
	struct store *store;
	const char *error;
	int version = -1;

	/* A zero-byte file is a valid, empty version-0 SQLite database. */
	ck_assert_int_eq(testutil_write_file(dbpath, "", 0), 0);
	store = open_ok(dbpath);
	ck_assert_int_eq(store_schema_version(store, &version, &error), 0);
	ck_assert_int_eq(version, STORE_SCHEMA_VERSION);
	store_close(&store);
}
END_TEST

START_TEST(test_reopen_is_noop)
{
	struct store *store = open_ok(dbpath);
	struct event ev;
	const char *error;
	int version = -1;

	mkev(&ev, "maildir", "<a@x>", "T1", 100, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), 0);
	store_close(&store);

	store = open_ok(dbpath);
	ck_assert_int_eq(store_schema_version(store, &version, &error), 0);
	ck_assert_int_eq(version, STORE_SCHEMA_VERSION);
	ck_assert_int_eq(count_events(store), 1);
	store_close(&store);
}
END_TEST

START_TEST(test_future_version_refused)
{
	struct store *store = open_ok(dbpath);
	char sql[64];
	const char *error = NULL;

	store_close(&store);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 STORE_SCHEMA_VERSION + 1);
	raw_exec(dbpath, sql);
	ck_assert_int_eq(store_open("sqlite", dbpath, &store, &error), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(strstr(error, "newer than this slaclock supports"));
}
END_TEST

START_TEST(test_foreign_database_refused)
{
	struct store *store = NULL;
	const char *error = NULL;

	raw_exec(dbpath, "CREATE TABLE contacts (name TEXT)");
	ck_assert_int_eq(store_open("sqlite", dbpath, &store, &error), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(strstr(error, "not a slaclock database"));
}
END_TEST

/* The migration runner on a made-up three-step schema. */
static const struct store_sqlite_migration fake_steps[] = {
	{ "CREATE TABLE a (x INTEGER)" },
	{ "CREATE TABLE b (y INTEGER)" },
	{ "CREATE TABLE c (z INTEGER); INSERT INTO c VALUES (1)" },
};

static int
table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *stmt;
	int n = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
		-1, &stmt, NULL), SQLITE_OK);
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt *stmt;
	int v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

START_TEST(test_migration_steps)
{
	static const struct store_sqlite_migration broken[] = {
		{ "CREATE TABLE a (x INTEGER)" },
		{ "CREATE TABLE b (y INTEGER)" },
		{ "CREATE TABLE d (w INTEGER); THIS IS NOT SQL" },
	};
	sqlite3 *db;
	char err[256];

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	/* An "old" database: only the first two steps. */
	ck_assert_int_eq(store_sqlite_migrate(db, fake_steps, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(user_version(db), 2);
	ck_assert_int_eq(table_exists(db, "b"), 1);
	ck_assert_int_eq(table_exists(db, "c"), 0);

	/* A failing step leaves the database at the last good version and
	   rolls its own half back. */
	ck_assert_int_eq(store_sqlite_migrate(db, broken, 3, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "migrate schema to version 3"));
	ck_assert_int_eq(user_version(db), 2);
	ck_assert_int_eq(table_exists(db, "d"), 0);

	/* The newer build applies only the missing step. */
	ck_assert_int_eq(store_sqlite_migrate(db, fake_steps, 3, err, sizeof(err)), 0);
	ck_assert_int_eq(user_version(db), 3);
	ck_assert_int_eq(table_exists(db, "c"), 1);
	/* Again: nothing to do (step 1 would fail if rerun: a exists). */
	ck_assert_int_eq(store_sqlite_migrate(db, fake_steps, 3, err, sizeof(err)), 0);
	ck_assert_int_eq(user_version(db), 3);

	/* An older build refuses it. */
	ck_assert_int_eq(store_sqlite_migrate(db, fake_steps, 2, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "version 3 is newer"));
	sqlite3_close(db);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_unwritable_path)
{
	struct store *store = NULL;
	const char *error = NULL;
	char path[4200];

	snprintf(path, sizeof(path), "%s/no/such/dir/x.db", tmpdir);
	ck_assert_int_eq(store_open("sqlite", path, &store, &error), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(strstr(error, "unable to open database file"));
	ck_assert_ptr_nonnull(strstr(error, "open "));

	/* A directory is no database either. */
	ck_assert_int_eq(store_open("sqlite", tmpdir, &store, &error), -1);
	ck_assert_ptr_null(store);
	ck_assert_ptr_nonnull(error);
	ck_assert_int_gt(strlen(error), 5);
}
END_TEST

START_TEST(test_read_only)
{
	struct store *store;
	struct event ev;
	const char *error = NULL;
	char uri[4200];
	bool inserted;

	/* Root ignores file modes, so read-only is asked for through the URI. */
	store = open_ok(dbpath);
	store_close(&store);
	snprintf(uri, sizeof(uri), "file:%s?mode=ro", dbpath);
	store = open_ok(uri);
	ck_assert_int_eq(count_events(store), 0);
	mkev(&ev, "maildir", "<a@x>", "T1", 1, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(store, &ev, &inserted, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "insert event: "));
	ck_assert_ptr_nonnull(strstr(error, "readonly"));
	store_close(&store);

	/* A fresh read-only database cannot be created. */
	snprintf(uri, sizeof(uri), "file:%s/new.db?mode=ro", tmpdir);
	ck_assert_int_eq(store_open("sqlite", uri, &store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "unable to open database file"));
}
END_TEST

START_TEST(test_disk_full)
{
	struct store *store = open_ok(dbpath);
	sqlite3 *db = store_sqlite_db(store);
	struct event ev;
	char ext[64], attrs[EVENT_ATTRS_MAX];
	const char *error = NULL;
	int i, ret = 0;

	/* Cap the file at its current size: the next pages are "disk full". */
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA max_page_count = 1", NULL, NULL, NULL), SQLITE_OK);
	memset(attrs, 0, sizeof(attrs));
	memset(attrs, 'x', sizeof(attrs) - 1);
	attrs[0] = '"';
	attrs[sizeof(attrs) - 2] = '"';
	for (i = 0; i < 1000 && ret == 0; i++) {
		snprintf(ext, sizeof(ext), "<%d@x>", i);
		mkev(&ev, "maildir", ext, "T1", i, EVENT_CUSTOMER_MESSAGE);
		ev.attrs = attrs;
		ret = store_event_insert(store, &ev, NULL, &error);
	}
	ck_assert_int_eq(ret, -1);
	ck_assert_ptr_nonnull(strstr(error, "insert event: database or disk is full"));
	store_close(&store);
}
END_TEST

START_TEST(test_busy)
{
	struct store *a = open_ok(dbpath), *b = open_ok(dbpath);
	struct event ev;
	const char *error = NULL;

	sqlite3_busy_timeout(store_sqlite_db(b), 10);
	ck_assert_int_eq(store_begin(a, &error), 0);
	ck_assert_int_eq(store_begin(b, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "begin transaction: database is locked"));
	mkev(&ev, "maildir", "<a@x>", "T1", 1, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(b, &ev, NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "insert event: database is locked"));
	ck_assert_int_eq(store_rollback(a, &error), 0);
	ck_assert_int_eq(store_event_insert(b, &ev, NULL, &error), 0);
	store_close(&a);
	store_close(&b);
}
END_TEST

START_TEST(test_event_caps)
{
	struct store *store = open_ok(":memory:");
	struct event ev;
	char *big;
	const char *error = NULL;

	big = malloc(EVENT_ID_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', EVENT_ID_MAX + 1);
	big[EVENT_ID_MAX + 1] = '\0';
	mkev(&ev, "maildir", big, "T1", 1, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "external_id too long"));
	big[EVENT_ID_MAX] = '\0';	/* exactly the cap is fine */
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), 0);

	mkev(&ev, "maildir", "<b@x>", NULL, 1, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "ticket missing"));
	mkev(&ev, "maildir", "<b@x>", "T1", 1, EVENT_KIND_COUNT);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "unknown kind"));
	ck_assert_int_eq(count_events(store), 1);
	free(big);
	store_close(&store);
}
END_TEST

/* ---- events ---- */

START_TEST(test_insert_idempotent)
{
	struct store *store = open_ok(dbpath);
	struct event ev;
	const char *error;
	bool inserted = false;

	mkev(&ev, "maildir", "<m1@x>", "T1", 100, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(store, &ev, &inserted, &error), 0);
	ck_assert(inserted);
	ck_assert_int_eq(store_event_insert(store, &ev, &inserted, &error), 0);
	ck_assert(!inserted);
	/* Even with other content: the key is (source, external_id). */
	ev.time = 200;
	ev.ticket = "T2";
	ck_assert_int_eq(store_event_insert(store, &ev, &inserted, &error), 0);
	ck_assert(!inserted);
	ck_assert_int_eq(count_events(store), 1);

	mkev(&ev, "imap:INBOX", "<m1@x>", "T1", 100, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(store, &ev, &inserted, &error), 0);
	ck_assert(inserted);
	ck_assert_int_eq(count_events(store), 2);
	/* inserted_r is optional */
	mkev(&ev, "imap:INBOX", "<m2@x>", "T1", 100, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), 0);
	ck_assert_int_eq(count_events(store), 3);
	store_close(&store);
}
END_TEST

struct collect {
	int n;
	char tickets[16][16];
	char ext[16][16];
	int64_t times[16];
	int64_t ids[16];
	enum event_kind kinds[16];
	char attrs[16][32];
	int stop_after;
};

static int
collect_cb(void *ctx, const struct event *ev)
{
	struct collect *c = ctx;

	ck_assert_int_lt(c->n, 16);
	snprintf(c->tickets[c->n], sizeof(c->tickets[0]), "%s", ev->ticket);
	snprintf(c->ext[c->n], sizeof(c->ext[0]), "%s", ev->external_id);
	snprintf(c->attrs[c->n], sizeof(c->attrs[0]), "%s",
		 ev->attrs == NULL ? "(null)" : ev->attrs);
	c->times[c->n] = ev->time;
	c->ids[c->n] = ev->id;
	c->kinds[c->n] = ev->kind;
	ck_assert_str_eq(ev->source, "maildir");
	ck_assert_str_eq(ev->actor, "agent@example.com");
	c->n++;
	if (c->stop_after > 0 && c->n == c->stop_after)
		return 7;
	return 0;
}

START_TEST(test_foreach_order)
{
	struct store *store = open_ok(dbpath);
	struct event ev;
	struct collect c;
	const char *error;

	/* Inserted out of order; ties on (ticket, time) go by insertion. */
	mkev(&ev, "maildir", "e1", "T2", 300, EVENT_AGENT_REPLY);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), 0);
	mkev(&ev, "maildir", "e2", "T1", 200, EVENT_CUSTOMER_MESSAGE);
	ev.attrs = "{\"a\":1}";
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), 0);
	mkev(&ev, "maildir", "e3", "T1", 100, EVENT_STATUS);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), 0);
	mkev(&ev, "maildir", "e4", "T2", 100, EVENT_PRAISE);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), 0);
	mkev(&ev, "maildir", "e5", "T1", 200, EVENT_AGENT_NOTE);
	ck_assert_int_eq(store_event_insert(store, &ev, NULL, &error), 0);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_events_foreach(store, collect_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 5);
	ck_assert_str_eq(c.ext[0], "e3");
	ck_assert_str_eq(c.ext[1], "e2");
	ck_assert_str_eq(c.ext[2], "e5");
	ck_assert_str_eq(c.ext[3], "e4");
	ck_assert_str_eq(c.ext[4], "e1");
	ck_assert_str_eq(c.tickets[0], "T1");
	ck_assert_str_eq(c.tickets[4], "T2");
	ck_assert_int_eq(c.times[0], 100);
	ck_assert_int_eq(c.kinds[0], EVENT_STATUS);
	ck_assert_int_eq(c.kinds[1], EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(c.kinds[3], EVENT_PRAISE);
	ck_assert_str_eq(c.attrs[1], "{\"a\":1}");
	ck_assert_str_eq(c.attrs[0], "(null)");
	ck_assert_int_lt(c.ids[1], c.ids[2]);
	ck_assert_int_gt(c.ids[0], 0);

	/* A callback's non-zero stops the walk and comes back. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	ck_assert_int_eq(store_events_foreach(store, collect_cb, &c, &error), 7);
	ck_assert_int_eq(c.n, 2);
	/* and the walk can start over afterwards */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_events_foreach(store, collect_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 5);
	store_close(&store);
}
END_TEST

struct nested {
	struct store *store;
	int outer, inner;
};

static int
inner_cb(void *ctx, const struct event *ev)
{
	struct nested *n = ctx;

	n->inner++;
	return 0;
}

static int
outer_cb(void *ctx, const struct event *ev)
{
	struct nested *n = ctx;
	const char *error;

	n->outer++;
	ck_assert_int_eq(store_events_foreach(n->store, inner_cb, n, &error), 0);
	/* The outer row's strings are still intact. */
	ck_assert_ptr_nonnull(strstr(ev->external_id, "n"));
	return 0;
}

START_TEST(test_foreach_nested)
{
	struct nested n = { .store = open_ok(":memory:") };
	struct event ev;
	const char *error;

	mkev(&ev, "maildir", "n1", "T1", 1, EVENT_CUSTOMER_MESSAGE);
	ck_assert_int_eq(store_event_insert(n.store, &ev, NULL, &error), 0);
	mkev(&ev, "maildir", "n2", "T1", 2, EVENT_AGENT_REPLY);
	ck_assert_int_eq(store_event_insert(n.store, &ev, NULL, &error), 0);
	ck_assert_int_eq(store_events_foreach(n.store, outer_cb, &n, &error), 0);
	ck_assert_int_eq(n.outer, 2);
	ck_assert_int_eq(n.inner, 4);
	store_close(&n.store);
}
END_TEST

/* ---- transactions ---- */

static void
insert_many(struct store *store, int count)
{
	struct event ev;
	char ext[32];
	const char *error;
	int i;

	for (i = 0; i < count; i++) {
		snprintf(ext, sizeof(ext), "<%d@batch>", i);
		mkev(&ev, "maildir", ext, "T1", i, EVENT_CUSTOMER_MESSAGE);
		if (store_event_insert(store, &ev, NULL, &error) < 0)
			ck_abort_msg("insert %d: %s", i, error);
	}
}

START_TEST(test_transactions)
{
	struct store *store = open_ok(dbpath);
	const char *error = NULL;

	ck_assert_int_eq(store_begin(store, &error), 0);
	insert_many(store, 10000);
	ck_assert_int_eq(count_events(store), 10000);
	ck_assert_int_eq(store_rollback(store, &error), 0);
	ck_assert_int_eq(count_events(store), 0);

	ck_assert_int_eq(store_begin(store, &error), 0);
	insert_many(store, 10000);
	ck_assert_int_eq(store_commit(store, &error), 0);
	ck_assert_int_eq(count_events(store), 10000);
	store_close(&store);

	/* Committed means on disk. */
	store = open_ok(dbpath);
	ck_assert_int_eq(count_events(store), 10000);
	store_close(&store);
}
END_TEST

START_TEST(test_transaction_misuse)
{
	struct store *store = open_ok(dbpath);
	const char *error = NULL;

	ck_assert_int_eq(store_commit(store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "no transaction open"));
	ck_assert_int_eq(store_rollback(store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "no transaction open"));
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_begin(store, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "nested begin"));
	/* The first transaction is still usable. */
	insert_many(store, 3);
	ck_assert_int_eq(store_commit(store, &error), 0);
	ck_assert_int_eq(count_events(store), 3);
	/* Closing with a transaction open rolls it back. */
	ck_assert_int_eq(store_begin(store, &error), 0);
	store_close(&store);
	store = open_ok(dbpath);
	ck_assert_int_eq(count_events(store), 3);
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_commit(store, &error), 0);
	store_close(&store);
}
END_TEST

/* ---- threading ---- */

START_TEST(test_message_ticket)
{
	struct store *store = open_ok(dbpath);
	const char *error;
	char *ticket = (char *)"junk";

	ck_assert_int_eq(store_message_ticket_get(store, "<unknown@x>", &ticket, &error), 0);
	ck_assert_ptr_null(ticket);
	ck_assert_int_eq(store_message_ticket_put(store, "<m1@x>", "RT-42", &error), 0);
	ck_assert_int_eq(store_message_ticket_get(store, "<m1@x>", &ticket, &error), 0);
	ck_assert_str_eq(ticket, "RT-42");
	free(ticket);
	/* A later put re-threads (e.g. after a ticket merge). */
	ck_assert_int_eq(store_message_ticket_put(store, "<m1@x>", "RT-7", &error), 0);
	ck_assert_int_eq(store_message_ticket_get(store, "<m1@x>", &ticket, &error), 0);
	ck_assert_str_eq(ticket, "RT-7");
	free(ticket);
	ck_assert_int_eq(store_message_ticket_put(store, "<m1@x>", NULL, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "ticket missing"));
	store_close(&store);
}
END_TEST

/* In bulk mode the threading tickets a transaction records are answered
   from memory and reach the tables only at its commit: a rollback loses
   them, a second connection's write is seen, and a subject's stored time
   still wins over an older one recorded since. */
static char *
sql_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;
	char *s = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL)
		s = strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return s;
}

static void
ticket_is(char *ticket, const char *want)
{
	if (want == NULL) {
		ck_assert_ptr_null(ticket);
	} else {
		ck_assert_ptr_nonnull(ticket);
		ck_assert_str_eq(ticket, want);
	}
	free(ticket);
}

START_TEST(test_bulk_threading)
{
	struct store *store = open_ok(dbpath), *other;
	sqlite3 *db = store_sqlite_db(store);
	const char *error;
	char *ticket;

	ck_assert_int_eq(store_subject_ticket_put(store, "a\x1fold", "T0", 5000, &error), 0);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_LOAD, &error), 0);

	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_message_ticket_put(store, "<m1@x>", "T1", &error), 0);
	ck_assert_int_eq(store_message_ticket_get(store, "<m1@x>", &ticket, &error), 0);
	ticket_is(ticket, "T1");
	/* not written yet: the commit writes it */
	ticket_is(sql_text(db, "SELECT ticket FROM message_ticket"), NULL);
	ck_assert_int_eq(store_subject_ticket_put(store, "a\x1fhelp", "T1", 1000, &error), 0);
	ck_assert_int_eq(store_subject_ticket_put(store, "a\x1fhelp", "T2", 900, &error), 0);
	ck_assert_int_eq(store_subject_ticket_get(store, "a\x1fhelp", 1000, &ticket, &error), 0);
	ticket_is(ticket, "T2");
	ck_assert_int_eq(store_subject_ticket_get(store, "a\x1fhelp", 1001, &ticket, &error), 0);
	ticket_is(ticket, NULL);
	/* recorded older than the stored row: the stored time holds */
	ck_assert_int_eq(store_subject_ticket_put(store, "a\x1fold", "T3", 10, &error), 0);
	ck_assert_int_eq(store_subject_ticket_get(store, "a\x1fold", 4000, &ticket, &error), 0);
	ticket_is(ticket, "T3");
	ck_assert_int_eq(store_commit(store, &error), 0);
	ticket_is(sql_text(db, "SELECT ticket FROM message_ticket WHERE message_id = '<m1@x>'"),
		  "T1");
	ticket_is(sql_text(db, "SELECT ticket || ' ' || last_time FROM subject_ticket"
			   " WHERE key = 'a' || char(31) || 'help'"), "T2 1000");
	ticket_is(sql_text(db, "SELECT ticket || ' ' || last_time FROM subject_ticket"
			   " WHERE key = 'a' || char(31) || 'old'"), "T3 5000");

	/* a rollback forgets what its transaction recorded */
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_message_ticket_put(store, "<m2@x>", "T9", &error), 0);
	ck_assert_int_eq(store_message_ticket_put(store, "<m1@x>", "T9", &error), 0);
	ck_assert_int_eq(store_rollback(store, &error), 0);
	ck_assert_int_eq(store_message_ticket_get(store, "<m2@x>", &ticket, &error), 0);
	ticket_is(ticket, NULL);
	ck_assert_int_eq(store_message_ticket_get(store, "<m1@x>", &ticket, &error), 0);
	ticket_is(ticket, "T1");
	ck_assert_int_eq(store_message_ticket_get(store, "<m1@x>", &ticket, &error), 0);
	ticket_is(ticket, "T1");

	/* another connection re-threads <m1@x>: our next transaction sees it */
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_message_ticket_put(store, "<m1@x>", "T1", &error), 0);
	ck_assert_int_eq(store_commit(store, &error), 0);
	other = open_ok(dbpath);
	ck_assert_int_eq(store_message_ticket_put(other, "<m1@x>", "T5", &error), 0);
	store_close(&other);
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_message_ticket_get(store, "<m1@x>", &ticket, &error), 0);
	ticket_is(ticket, "T5");
	ck_assert_int_eq(store_commit(store, &error), 0);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_OFF, &error), 0);
	store_close(&store);
}
END_TEST

/* A load into empty tables answers misses from its maps alone; whatever
   can put a row there behind the maps' back must end that. */
START_TEST(test_bulk_fresh_load_misses)
{
	struct store *store = open_ok(dbpath), *other;
	const char *error;
	char *ticket;

	/* our own write outside a transaction, during a fresh load */
	ck_assert_int_eq(store_bulk(store, STORE_BULK_CACHE, &error), 0);
	ck_assert_int_eq(store_subject_ticket_put(store, "c\x1fq", "T8", 300, &error), 0);
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_subject_ticket_get(store, "c\x1fq", 0, &ticket, &error), 0);
	ticket_is(ticket, "T8");
	ck_assert_int_eq(store_commit(store, &error), 0);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_OFF, &error), 0);

	ck_assert_int_eq(store_bulk(store, STORE_BULK_LOAD, &error), 0);
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_message_ticket_get(store, "<new@x>", &ticket, &error), 0);
	ticket_is(ticket, NULL);
	ck_assert_int_eq(store_message_ticket_put(store, "<new@x>", "T1", &error), 0);
	ck_assert_int_eq(store_subject_ticket_put(store, "a\x1fhi", "T1", 100, &error), 0);
	ck_assert_int_eq(store_commit(store, &error), 0);
	ck_assert_int_eq(store_message_ticket_get(store, "<new@x>", &ticket, &error), 0);
	ticket_is(ticket, "T1");

	/* another connection's rows: our next transaction must look them up */
	other = open_ok(dbpath);
	ck_assert_int_eq(store_message_ticket_put(other, "<other@x>", "T7", &error), 0);
	ck_assert_int_eq(store_subject_ticket_put(other, "b\x1fyo", "T7", 200, &error), 0);
	store_close(&other);
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_message_ticket_get(store, "<other@x>", &ticket, &error), 0);
	ticket_is(ticket, "T7");
	ck_assert_int_eq(store_subject_ticket_get(store, "b\x1fyo", 0, &ticket, &error), 0);
	ticket_is(ticket, "T7");
	ck_assert_int_eq(store_commit(store, &error), 0);
	ck_assert_int_eq(store_bulk(store, STORE_BULK_OFF, &error), 0);

	store_close(&store);
}
END_TEST

/* ---- derived records ---- */

struct pcollect {
	int n;
	char keys[8][32];
	char states[8][32];
	int amounts[8];
};

static int
proposal_cb(void *ctx, const struct store_proposal *p)
{
	struct pcollect *c = ctx;

	ck_assert_int_lt(c->n, 8);
	snprintf(c->keys[c->n], sizeof(c->keys[0]), "%s", p->key);
	snprintf(c->states[c->n], sizeof(c->states[0]), "%s", p->state);
	c->amounts[c->n] = p->amount;
	c->n++;
	return 0;
}

static int
breach_count_cb(void *ctx, const struct store_breach *b)
{
	int *n = ctx;

	ck_assert_str_eq(b->rule, "S14.1");
	(*n)++;
	return 0;
}

static void
put_proposals(struct store *store, int amount)
{
	struct store_proposal p = {
		.agent = "li@example.com", .rule = "S14.1s", .month = "2024-03",
		.unit = "pct_month_score", .amount = amount, .state = "proposed",
		.reason = "tickets RT-1, RT-2",
	};
	const char *error;

	p.key = "p:li:2024-03:S14.1s";
	ck_assert_int_eq(store_proposal_put(store, &p, &error), 0);
	p.key = "p:wang:2024-03:S14.1s";
	p.agent = "wang@example.com";
	ck_assert_int_eq(store_proposal_put(store, &p, &error), 0);
}

START_TEST(test_proposal_state_survives)
{
	struct store *store = open_ok(dbpath);
	struct store_breach b = {
		.ticket = "RT-1", .rule = "S14.1", .agent = "li@example.com",
		.deadline = 1000, .met_at = 0, .month = "2024-03",
	};
	struct pcollect c;
	const char *error = NULL;
	int nb = 0;

	ck_assert_int_eq(store_breach_put(store, &b, &error), 0);
	b.met_at = 2000;
	ck_assert_int_eq(store_breach_put(store, &b, &error), 0);
	put_proposals(store, 10);
	ck_assert_int_eq(store_proposal_state_set(store, "p:li:2024-03:S14.1s",
		"approved", "boss@example.com", 5000, &error), 0);
	ck_assert_int_eq(store_proposal_state_set(store, "p:nobody",
		"approved", "boss@example.com", 5000, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "no proposal with key"));

	ck_assert_int_eq(store_breaches_foreach(store, NULL, breach_count_cb, &nb, &error), 0);
	ck_assert_int_eq(nb, 2);

	/* Recompute: everything derived goes, and comes back. */
	ck_assert_int_eq(store_derived_clear(store, &error), 0);
	nb = 0;
	ck_assert_int_eq(store_breaches_foreach(store, NULL, breach_count_cb, &nb, &error), 0);
	ck_assert_int_eq(nb, 0);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_proposals_foreach(store, NULL, proposal_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 0);

	put_proposals(store, 20);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_proposals_foreach(store, "2024-03", proposal_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.keys[0], "p:li:2024-03:S14.1s");
	ck_assert_str_eq(c.states[0], "approved");
	ck_assert_int_eq(c.amounts[0], 20);
	ck_assert_str_eq(c.states[1], "proposed");

	/* A put over an existing row (no clear in between) keeps it too. */
	put_proposals(store, 30);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_proposals_foreach(store, NULL, proposal_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.states[0], "approved");
	ck_assert_int_eq(c.amounts[0], 30);

	/* Other months are filtered out. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_proposals_foreach(store, "2024-04", proposal_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 0);

	/* And the decision survives a reopen. */
	store_close(&store);
	store = open_ok(dbpath);
	ck_assert_int_eq(store_derived_clear(store, &error), 0);
	put_proposals(store, 10);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_proposals_foreach(store, NULL, proposal_cb, &c, &error), 0);
	ck_assert_str_eq(c.states[0], "approved");
	store_close(&store);
}
END_TEST

struct bcollect {
	int n;
	char tickets[8][16];
	char agents[8][32];
	int64_t deadlines[8], met[8];
};

static int
breach_cb(void *ctx, const struct store_breach *b)
{
	struct bcollect *c = ctx;

	ck_assert_int_lt(c->n, 8);
	snprintf(c->tickets[c->n], sizeof(c->tickets[0]), "%s", b->ticket);
	snprintf(c->agents[c->n], sizeof(c->agents[0]), "%s",
		 b->agent == NULL ? "(null)" : b->agent);
	c->deadlines[c->n] = b->deadline;
	c->met[c->n] = b->met_at;
	c->n++;
	return 0;
}

START_TEST(test_breaches)
{
	struct store *store = open_ok(":memory:");
	struct store_breach b = { .rule = "S14.2r" };
	struct bcollect c;
	const char *error = NULL;

	b.ticket = "RT-9"; b.agent = "zhang@example.com"; b.deadline = 300;
	b.met_at = 0; b.month = "2024-04";
	ck_assert_int_eq(store_breach_put(store, &b, &error), 0);
	b.ticket = "RT-3"; b.agent = "li@example.com"; b.deadline = 100;
	b.met_at = 150; b.month = "2024-04";
	ck_assert_int_eq(store_breach_put(store, &b, &error), 0);
	b.ticket = "RT-1"; b.agent = NULL; b.deadline = 50; b.month = "2024-03";
	ck_assert_int_eq(store_breach_put(store, &b, &error), 0);
	b.month = NULL;
	ck_assert_int_eq(store_breach_put(store, &b, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "store breach: month missing"));

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_breaches_foreach(store, "2024-04", breach_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 2);
	/* ordered by agent within the month */
	ck_assert_str_eq(c.agents[0], "li@example.com");
	ck_assert_str_eq(c.tickets[0], "RT-3");
	ck_assert_int_eq(c.met[0], 150);
	ck_assert_str_eq(c.tickets[1], "RT-9");
	ck_assert_int_eq(c.met[1], 0);
	ck_assert_int_eq(c.deadlines[1], 300);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_breaches_foreach(store, NULL, breach_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_str_eq(c.tickets[0], "RT-1");
	ck_assert_str_eq(c.agents[0], "(null)");
	store_close(&store);
}
END_TEST

START_TEST(test_derived_clear_in_transaction)
{
	struct store *store = open_ok(dbpath);
	struct pcollect c;
	const char *error = NULL;

	put_proposals(store, 10);
	ck_assert_int_eq(store_begin(store, &error), 0);
	ck_assert_int_eq(store_derived_clear(store, &error), 0);
	ck_assert_int_eq(store_rollback(store, &error), 0);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(store_proposals_foreach(store, NULL, proposal_cb, &c, &error), 0);
	ck_assert_int_eq(c.n, 2);
	store_close(&store);
}
END_TEST

/* ---- sync state ---- */

START_TEST(test_sync_state)
{
	struct store *store = open_ok(dbpath);
	const char *error;
	uint32_t v = 99, u = 99;

	ck_assert_int_eq(store_sync_state_get(store, "imap:a/INBOX", &v, &u, &error), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(u, 0);
	ck_assert_int_eq(store_sync_state_put(store, "imap:a/INBOX", 4000000000u, 17, &error), 0);
	ck_assert_int_eq(store_sync_state_put(store, "imap:a/Sent", 5, 6, &error), 0);
	ck_assert_int_eq(store_sync_state_get(store, "imap:a/INBOX", &v, &u, &error), 0);
	ck_assert_uint_eq(v, 4000000000u);
	ck_assert_uint_eq(u, 17);
	ck_assert_int_eq(store_sync_state_put(store, "imap:a/INBOX", 4000000000u, 4294967295u, &error), 0);
	ck_assert_int_eq(store_sync_state_get(store, "imap:a/INBOX", &v, &u, &error), 0);
	ck_assert_uint_eq(u, 4294967295u);
	ck_assert_int_eq(store_sync_state_get(store, "imap:a/Sent", &v, &u, &error), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_uint_eq(u, 6);
	store_close(&store);
}
END_TEST

/* ---- outbox ---- */

static void
outbox_put(struct store *store, const char *key, int64_t not_before,
	   bool expect_inserted)
{
	struct store_outbox row = {
		.key = key, .channel = "helpdesk:rt",
		.payload = "{\"ticket\":\"42\"}", .not_before = not_before,
	};
	const char *error;
	bool inserted = !expect_inserted;

	if (store_outbox_put(store, &row, &inserted, &error) < 0)
		ck_abort_msg("outbox_put %s: %s", key, error);
	ck_assert(inserted == expect_inserted);
}

static int64_t
depth(struct store *store)
{
	const char *error;
	int64_t n = -1;

	ck_assert_int_eq(store_outbox_depth(store, &n, &error), 0);
	return n;
}

START_TEST(test_outbox)
{
	struct store *store = open_ok(dbpath);
	struct store_outbox_item item;
	const char *error = NULL;
	bool found = true;
	int64_t id_a, id_b;

	ck_assert_int_eq(store_outbox_next(store, 1000, &item, &found, &error), 0);
	ck_assert(!found);

	outbox_put(store, "note:rt:42:S14.1:breach", 100, true);
	outbox_put(store, "note:rt:42:S14.1:breach", 50, false);
	outbox_put(store, "digest:2024-03", 500, true);
	outbox_put(store, "alert:late", 10, true);
	ck_assert_int_eq(depth(store), 3);

	/* Nothing is due before its not_before. */
	ck_assert_int_eq(store_outbox_next(store, 9, &item, &found, &error), 0);
	ck_assert(!found);
	ck_assert_int_eq(store_outbox_next(store, 10, &item, &found, &error), 0);
	ck_assert(found);
	ck_assert_str_eq(item.key, "alert:late");
	store_outbox_item_clear(&item);
	ck_assert_ptr_null(item.key);

	/* Among the due ones the oldest comes first. */
	ck_assert_int_eq(store_outbox_next(store, 1000, &item, &found, &error), 0);
	ck_assert(found);
	ck_assert_str_eq(item.key, "note:rt:42:S14.1:breach");
	ck_assert_str_eq(item.channel, "helpdesk:rt");
	ck_assert_str_eq(item.payload, "{\"ticket\":\"42\"}");
	ck_assert_int_eq(item.attempts, 0);
	id_a = item.id;
	store_outbox_item_clear(&item);

	/* A failed send: counted, pushed back. */
	ck_assert_int_eq(store_outbox_retry(store, id_a, 2000, "HTTP 503", &error), 0);
	ck_assert_int_eq(depth(store), 3);
	ck_assert_int_eq(store_outbox_next(store, 1000, &item, &found, &error), 0);
	ck_assert(found);
	ck_assert_str_eq(item.key, "digest:2024-03");
	id_b = item.id;
	store_outbox_item_clear(&item);
	ck_assert_int_eq(store_outbox_done(store, id_b, 1001, &error), 0);
	ck_assert_int_eq(depth(store), 2);
	/* Done twice is harmless; an unknown id is not. */
	ck_assert_int_eq(store_outbox_done(store, id_b, 1002, &error), 0);
	ck_assert_int_eq(store_outbox_done(store, 999999, 1002, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "no outbox row 999999"));
	ck_assert_int_eq(store_outbox_retry(store, id_b, 3000, "x", &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "no pending outbox row"));

	ck_assert_int_eq(store_outbox_next(store, 2000, &item, &found, &error), 0);
	ck_assert(found);
	ck_assert_int_eq(item.id, id_a);
	ck_assert_int_eq(item.attempts, 1);
	store_outbox_item_clear(&item);

	/* A re-put of a sent key stays sent. */
	outbox_put(store, "digest:2024-03", 0, false);
	ck_assert_int_eq(depth(store), 2);
	store_close(&store);
}
END_TEST

/* Subject threading: found only within the window; the time only moves
   forward; a schema-1 database gains the table when opened. */
START_TEST(test_subject_ticket)
{
	struct store *store = open_ok(dbpath);
	const char *error = NULL;
	char *ticket = NULL;
	int version = 0;

	ck_assert_int_eq(store_subject_ticket_get(store, "a@c\x1fhelp", 0, &ticket, &error), 0);
	ck_assert_ptr_null(ticket);
	ck_assert_int_eq(store_subject_ticket_put(store, "a@c\x1fhelp", "T1", 1000, &error), 0);
	ck_assert_int_eq(store_subject_ticket_get(store, "a@c\x1fhelp", 1000, &ticket, &error), 0);
	ck_assert_str_eq(ticket, "T1");
	free(ticket);
	ck_assert_int_eq(store_subject_ticket_get(store, "a@c\x1fhelp", 1001, &ticket, &error), 0);
	ck_assert_ptr_null(ticket);
	/* an older sighting does not move the time back */
	ck_assert_int_eq(store_subject_ticket_put(store, "a@c\x1fhelp", "T1", 500, &error), 0);
	ck_assert_int_eq(store_subject_ticket_get(store, "a@c\x1fhelp", 1000, &ticket, &error), 0);
	ck_assert_str_eq(ticket, "T1");
	free(ticket);

	/* back to schema 1, as a database of the previous release */
	ck_assert_int_eq(sqlite3_exec(store_sqlite_db(store),
		"DROP TABLE subject_ticket; PRAGMA user_version = 1;", NULL, NULL, NULL),
		SQLITE_OK);
	store_close(&store);
	store = open_ok(dbpath);
	ck_assert_int_eq(store_schema_version(store, &version, &error), 0);
	ck_assert_int_eq(version, STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_subject_ticket_put(store, "k", "T2", 1, &error), 0);
	store_close(&store);
}
END_TEST

/* Each deliverer takes only its own channel's rows, so a stuck helpdesk
   row never holds up mail, and the reverse. */
START_TEST(test_outbox_channel)
{
	struct store *store = open_ok(dbpath);
	struct store_outbox mail = {
		.key = "alert:lead:1", .channel = "mail", .payload = "{}", .not_before = 5,
	};
	struct store_outbox_item item;
	const char *error = NULL;
	bool found = false, inserted = false;

	outbox_put(store, "note:rt:1", 1, true);
	ck_assert_int_eq(store_outbox_put(store, &mail, &inserted, &error), 0);
	ck_assert(inserted);

	ck_assert_int_eq(store_outbox_next_channel(store, 100, "mail", &item, &found, &error), 0);
	ck_assert(found);
	ck_assert_str_eq(item.key, "alert:lead:1");
	store_outbox_item_clear(&item);
	ck_assert_int_eq(store_outbox_next_channel(store, 100, "helpdesk:", &item, &found,
						   &error), 0);
	ck_assert(found);
	ck_assert_str_eq(item.key, "note:rt:1");
	store_outbox_item_clear(&item);
	ck_assert_int_eq(store_outbox_next_channel(store, 100, "helpdesk:zammad", &item,
						   &found, &error), 0);
	ck_assert(!found);
	/* a NULL prefix after a bound one is any channel again */
	ck_assert_int_eq(store_outbox_next(store, 100, &item, &found, &error), 0);
	ck_assert(found);
	ck_assert_str_eq(item.key, "note:rt:1");
	store_outbox_item_clear(&item);
	store_close(&store);
}
END_TEST

START_TEST(test_outbox_long_error)
{
	struct store *store = open_ok(":memory:");
	struct store_outbox_item item;
	char *msg;
	const char *error;
	bool found;
	size_t i, len = 5000;

	outbox_put(store, "k", 0, true);
	ck_assert_int_eq(store_outbox_next(store, 0, &item, &found, &error), 0);
	ck_assert(found);
	/* 3-byte UTF-8 characters, so a byte cut would split one */
	msg = malloc(len + 1);
	ck_assert_ptr_nonnull(msg);
	for (i = 0; i + 3 <= len; i += 3)
		memcpy(msg + i, "\xe9\x94\x99", 3);
	msg[i] = '\0';
	ck_assert_int_eq(store_outbox_retry(store, item.id, 5, msg, &error), 0);
	{
		sqlite3_stmt *stmt;
		const unsigned char *s;
		int n;

		ck_assert_int_eq(sqlite3_prepare_v2(store_sqlite_db(store),
			"SELECT last_error FROM outbox", -1, &stmt, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
		s = sqlite3_column_text(stmt, 0);
		n = sqlite3_column_bytes(stmt, 0);
		ck_assert_int_le(n, 1024);
		ck_assert_int_gt(n, 1000);
		ck_assert_int_eq(n % 3, 0);
		ck_assert_int_eq(memcmp(s, msg, (size_t)n), 0);
		sqlite3_finalize(stmt);
	}
	free(msg);
	store_outbox_item_clear(&item);
	store_close(&store);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	tc = tcase_create("event");
	tcase_add_test(tc, test_event_kind_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_create);
	tcase_add_test(tc, test_open_memory_and_uri);
	tcase_add_test(tc, test_open_unknown_backend);
	tcase_add_test(tc, test_wal_mode);
	tcase_add_test(tc, test_bulk_mode);
	tcase_add_test(tc, test_empty_file_migrates);
	tcase_add_test(tc, test_reopen_is_noop);
	tcase_add_test(tc, test_future_version_refused);
	tcase_add_test(tc, test_foreign_database_refused);
	tcase_add_test(tc, test_migration_steps);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unwritable_path);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_event_caps);
	suite_add_tcase(s, tc);

	tc = tcase_create("events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_insert_idempotent);
	tcase_add_test(tc, test_foreach_order);
	tcase_add_test(tc, test_foreach_nested);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_transaction_misuse);
	tcase_add_test(tc, test_message_ticket);
	tcase_add_test(tc, test_bulk_threading);
	tcase_add_test(tc, test_bulk_fresh_load_misses);
	suite_add_tcase(s, tc);

	tc = tcase_create("derived");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_proposal_state_survives);
	tcase_add_test(tc, test_breaches);
	tcase_add_test(tc, test_derived_clear_in_transaction);
	tcase_add_test(tc, test_sync_state);
	tcase_add_test(tc, test_outbox);
	tcase_add_test(tc, test_outbox_channel);
	tcase_add_test(tc, test_subject_ticket);
	tcase_add_test(tc, test_outbox_long_error);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(store_suite());
}
