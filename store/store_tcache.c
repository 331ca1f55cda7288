#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_tcache.h"

#define TCACHE_FIRST_BUCKETS 1024u

/* FNV-1a, 64 bits: keys are Message-IDs and "address\x1fsubject", short
   and not chosen against us in a way that matters (a bad spread costs
   time, never a wrong answer). */
static uint64_t
tcache_hash(const char *key)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ULL;
	}
	return h;
}

struct tcache_entry *
tcache_find(const struct tcache *tc, const char *key)
{
	struct tcache_entry *e;
	uint64_t h;

	if (tc->bucket_count == 0)
		return NULL;
	h = tcache_hash(key);
	for (e = tc->buckets[h & (tc->bucket_count - 1)]; e != NULL; e = e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

/* Double the buckets once the chains would average more than one entry.
   Failing to grow only makes the chains longer. */
static void
tcache_grow(struct tcache *tc)
{
	size_t n = tc->bucket_count == 0 ? TCACHE_FIRST_BUCKETS : tc->bucket_count * 2;
	struct tcache_entry **b, *e, *next;
	size_t i;

	if ((b = calloc(n, sizeof(*b))) == NULL)
		return;
	for (i = 0; i < tc->bucket_count; i++) {
		for (e = tc->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(tc->buckets);
	tc->buckets = b;
	tc->bucket_count = n;
}

struct tcache_entry *
tcache_set(struct tcache *tc, const char *key, const char *ticket, bool *created_r)
{
	struct tcache_entry *e = tcache_find(tc, key);
	size_t klen;
	char *copy;

	if (created_r != NULL)
		*created_r = false;
	if ((copy = strdup(ticket)) == NULL)
		return NULL;
	if (e != NULL) {
		free(e->ticket);
		e->ticket = copy;
		return e;
	}
	if (tc->count >= tc->bucket_count)
		tcache_grow(tc);
	if (tc->bucket_count == 0) {
		free(copy);
		return NULL;
	}
	klen = strlen(key);
	if ((e = malloc(sizeof(*e) + klen + 1)) == NULL) {
		free(copy);
		return NULL;
	}
	memcpy(e->key, key, klen + 1);
	e->hash = tcache_hash(key);
	e->ticket = copy;
	e->time = 0;
	e->dirty = false;
	e->next_dirty = NULL;
	e->time_merged = false;
	e->next = tc->buckets[e->hash & (tc->bucket_count - 1)];
	tc->buckets[e->hash & (tc->bucket_count - 1)] = e;
	tc->count++;
	if (created_r != NULL)
		*created_r = true;
	return e;
}

void
tcache_mark_dirty(struct tcache *tc, struct tcache_entry *e)
{
	if (!e->dirty) {
		e->dirty = true;
		e->next_dirty = tc->dirty;
		tc->dirty = e;
		tc->dirty_count++;
	}
}

static int
tcache_key_cmp(const void *a, const void *b)
{
	const struct tcache_entry *x = *(struct tcache_entry *const *)a;
	const struct tcache_entry *y = *(struct tcache_entry *const *)b;

	return strcmp(x->key, y->key);
}

int
tcache_take_dirty(struct tcache *tc, struct tcache_entry ***list_r, size_t *count_r)
{
	struct tcache_entry **list, *e;
	size_t n = 0;

	*list_r = NULL;
	*count_r = 0;
	if (tc->dirty_count == 0)
		return 0;
	if ((list = malloc(tc->dirty_count * sizeof(*list))) == NULL)
		return -1;
	for (e = tc->dirty; e != NULL; e = e->next_dirty) {
		e->dirty = false;
		list[n++] = e;
	}
	tc->dirty = NULL;
	tc->dirty_count = 0;
	/* In key order the writes walk the index once, left to right. */
	qsort(list, n, sizeof(*list), tcache_key_cmp);
	*list_r = list;
	*count_r = n;
	return 0;
}

void
tcache_clear(struct tcache *tc)
{
	struct tcache_entry *e, *next;
	size_t i;

	for (i = 0; i < tc->bucket_count; i++) {
		for (e = tc->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e->ticket);
			free(e);
		}
		tc->buckets[i] = NULL;
	}
	tc->count = 0;
	tc->dirty_count = 0;
	tc->dirty = NULL;
}

void
tcache_free(struct tcache *tc)
{
	tcache_clear(tc);
	free(tc->buckets);
	tc->buckets = NULL;
	tc->bucket_count = 0;
}
