/* testutil_store - a real (sqlite) store filled with a test's events, for
 * the Check tests of what reads a store (report, policy, digest). Apart
 * from testutil.c so that tests without the store libraries still link
 * testutil. */
#ifndef SLACLOCK_TESTUTIL_STORE_H
#define SLACLOCK_TESTUTIL_STORE_H

#include <stddef.h>

#include "event.h"
#include "store.h"

/* A new sqlite store DIR/FILE; fails the test when it cannot be opened.
   store_close() it. */
struct store *testutil_store_open(const char *dir, const char *file);

/* Insert EVS[0..N) into STORE, failing the test on an error. With
   ID_PREFIX, event I's external id is "<ID_PREFIX><I>" (each its own, so
   none is a duplicate); with NULL, each keeps its own. */
void testutil_store_put(struct store *store, const struct event *evs, size_t n,
			const char *id_prefix);

#endif
