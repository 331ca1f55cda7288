/* store_tcache - the threading map of a bulk load, kept in memory.
 *
 * A bulk load asks for the ticket of a Message-ID or a subject key about
 * twice per message and records one of each; in SQLite every one of them
 * is a descent of a text index much larger than the page cache. This map
 * (key -> ticket, and for subject keys the time last seen) answers the
 * keys the load itself recorded, and holds what it recorded until the
 * backend writes it out, sorted by key, just before the commit.
 *
 * It knows nothing of SQLite: the backend decides when an entry is
 * authoritative and when the map must be forgotten (rollback, another
 * connection's commit, the end of the load).
 */
#ifndef SLACLOCK_STORE_TCACHE_H
#define SLACLOCK_STORE_TCACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Past this many keys the clean entries are dropped at the next commit:
   about 150 bytes each, so a daemon's map stays under ~80 MB per table.
   A one-shot load (STORE_BULK_LOAD) may hold four times as many: past
   the cap every lookup of a fresh load goes back to SQLite, which made
   the second half of a 1M-message ingest slower than the first. */
#define TCACHE_MAX_ENTRIES (512u * 1024)
#define TCACHE_LOAD_MAX_ENTRIES (4u * TCACHE_MAX_ENTRIES)

struct tcache_entry {
	struct tcache_entry *next;  /* bucket chain */
	struct tcache_entry *next_dirty;
	uint64_t hash;
	char *ticket;
	int64_t time;       /* subject keys: the latest time recorded */
	bool dirty;         /* recorded since the last write-out */
	bool time_merged;   /* time already includes the stored row's */
	char key[];
};

struct tcache {
	struct tcache_entry **buckets;
	size_t bucket_count;    /* a power of two, or 0 before the first put */
	size_t count;
	size_t dirty_count;
	/* The dirty entries, so a commit's write-out does not walk every
	   bucket of a map much larger than one transaction. */
	struct tcache_entry *dirty;
};

/* The entry for KEY, or NULL. */
struct tcache_entry *tcache_find(const struct tcache *tc, const char *key);
/* The entry for KEY, created when missing (time 0, clean, not merged),
   its ticket replaced by TICKET. NULL when out of memory (the map is
   unchanged). *created_r (if not NULL) says whether it was new. */
struct tcache_entry *tcache_set(struct tcache *tc, const char *key,
				const char *ticket, bool *created_r);
void tcache_mark_dirty(struct tcache *tc, struct tcache_entry *e);
/* The dirty entries sorted by key, all marked clean, in *list_r
   (malloc'ed, caller frees; NULL when none). -1 when out of memory
   (nothing changed). */
int tcache_take_dirty(struct tcache *tc, struct tcache_entry ***list_r,
		      size_t *count_r);
/* Forget every entry. */
void tcache_clear(struct tcache *tc);
/* tcache_clear() and free the buckets too. */
void tcache_free(struct tcache *tc);

#endif
