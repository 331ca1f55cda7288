#include "config.h"

#include <check.h>
#include <stdio.h>

#include "testutil_store.h"

/* "<prefix><index>" of a test's external id */
#define TESTUTIL_STORE_ID_MAX 64

struct store *
testutil_store_open(const char *dir, const char *file)
{
	char path[4096];
	struct store *store = NULL;
	const char *error = NULL;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, file), (int)sizeof(path));
	if (store_open("sqlite", path, &store, &error) < 0)
		ck_abort_msg("store_open %s: %s", path, error);
	return store;
}

void
testutil_store_put(struct store *store, const struct event *evs, size_t n,
		   const char *id_prefix)
{
	char id[TESTUTIL_STORE_ID_MAX];
	const char *error = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		struct event e = evs[i];

		if (id_prefix != NULL) {
			snprintf(id, sizeof(id), "%s%zu", id_prefix, i);
			e.external_id = id;
		}
		ck_assert_msg(store_event_insert(store, &e, NULL, &error) == 0, "event %zu: %s", i,
			      error);
	}
}
