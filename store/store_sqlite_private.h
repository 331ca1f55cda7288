/* store_sqlite_private - internals of the SQLite backend shared with its
 * tests: the migration runner and the connection handle.
 */
#ifndef SLACLOCK_STORE_SQLITE_PRIVATE_H
#define SLACLOCK_STORE_SQLITE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"

/* Step I brings a database from version I to I + 1. */
struct store_sqlite_migration {
	const char *sql;          /* one or more statements */
};

/* Apply STEPS[version .. COUNT-1] to DB, one transaction per step, setting
   PRAGMA user_version after each. A database newer than COUNT is refused.
   0 on success, -1 with a message in ERRBUF. */
int store_sqlite_migrate(sqlite3 *db, const struct store_sqlite_migration *steps,
			 int count, char *errbuf, size_t errbuf_size);

/* The connection of an open sqlite store (owned by the store). */
sqlite3 *store_sqlite_db(struct store *store);

#endif
