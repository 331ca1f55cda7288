/* bench_fill - stores of a given shape for the report, breach and memory
 * benchmarks, written through the store API.
 *
 *   bench_fill month DB TICKETS EVENTS_PER_TICKET YYYY-MM
 *       TICKETS tickets of EVENTS_PER_TICKET events each, started over the
 *       month: customer messages and agent replies taking turns, an
 *       assignment, a priority, a preliminary solution and a resolution,
 *       some of them late. Agents are the ones bench/mailgen configures.
 *   bench_fill open DB TICKETS FIRST_TIME SPREAD_SECONDS
 *       TICKETS tickets of one customer message each, at FIRST_TIME and
 *       evenly SPREAD_SECONDS after it: clocks left open.
 *
 * Deterministic (no clock, fixed PRNG seed). Prints one JSON object.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define FILL_BATCH 50000
#define FILL_EVENTS_MAX 64

static const char *const fill_agents[] = {
	"wang.fang@hdjs.example.cn", "li.qiang@hdjs.example.cn",
	"chen.jing@hdjs.example.cn", "liu.yang@hdjs.example.cn",
	"zhao.min@hdjs.example.cn", "sun.hao@hdjs.example.cn",
	"qian.wei@hdjs.example.cn", "zhou.lin@hdjs.example.cn",
	"wu.tao@hdjs.example.cn", "zheng.li@hdjs.example.cn",
};
#define FILL_AGENTS (sizeof(fill_agents) / sizeof(fill_agents[0]))

static uint64_t
fill_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static _Noreturn void
fill_die(const char *what, const char *err)
{
	fprintf(stderr, "bench_fill: %s: %s\n", what, err);
	exit(1);
}

static double
fill_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fill_put(struct store *store, const char *ticket, uint64_t n, int64_t t,
	 const char *actor, enum event_kind kind, const char *attrs,
	 uint64_t *count)
{
	struct event ev;
	char xid[128];
	const char *err;

	/* The ticket in the id keeps two fills of one store apart. */
	snprintf(xid, sizeof(xid), "%s-%llu", ticket, (unsigned long long)n);
	memset(&ev, 0, sizeof(ev));
	ev.source = "bench";
	ev.external_id = xid;
	ev.ticket = ticket;
	ev.time = t;
	ev.actor = actor;
	ev.kind = kind;
	ev.attrs = attrs;
	if (store_event_insert(store, &ev, NULL, &err) < 0)
		fill_die("insert", err);
	if (++*count % FILL_BATCH == 0 &&
	    (store_commit(store, &err) < 0 || store_begin(store, &err) < 0))
		fill_die("commit", err);
}

/* One ticket's life: EVENTS events from START. */
static void
fill_ticket(struct store *store, uint64_t *rng, uint64_t ti, int64_t start,
	    unsigned int events, uint64_t *count)
{
	char ticket[64];
	const char *agent = fill_agents[fill_rand(rng) % FILL_AGENTS];
	int64_t t = start;
	unsigned int k;

	snprintf(ticket, sizeof(ticket), "t%llu@bench.example",
		 (unsigned long long)ti);
	fill_put(store, ticket, *count, t, "customer", EVENT_CUSTOMER_MESSAGE, NULL, count);
	for (k = 1; k < events; k++) {
		uint64_t r = fill_rand(rng);

		/* Mostly within the half hour, one in five late. */
		t += r % 5 == 0 ? 1800 + (int64_t)(r % 20000) : 60 + (int64_t)(r % 1500);
		if (k == 1 && events > 4) {
			/* The owner is the actor of an assign event. */
			fill_put(store, ticket, *count, t, agent, EVENT_ASSIGN, NULL, count);
		} else if (k == 2 && events > 5) {
			fill_put(store, ticket, *count, t, "system", EVENT_PRIORITY,
				 r % 3 == 0 ? "{\"priority\":\"high\"}" :
				 "{\"priority\":\"normal\"}", count);
		} else if (k + 2 == events) {
			fill_put(store, ticket, *count, t, agent, EVENT_PRELIMINARY, NULL, count);
		} else if (k + 1 == events) {
			fill_put(store, ticket, *count, t, agent, EVENT_RESOLVED, NULL, count);
		} else if (k % 2 == 1) {
			fill_put(store, ticket, *count, t, agent, EVENT_AGENT_REPLY, NULL, count);
		} else {
			fill_put(store, ticket, *count, t, "customer",
				 EVENT_CUSTOMER_MESSAGE, NULL, count);
		}
	}
}

int
main(int argc, char **argv)
{
	struct store *store;
	const char *err;
	uint64_t rng = 42, count = 0, tickets, i;
	double t0;
	bool month;

	if (argc != 6 || (strcmp(argv[1], "month") != 0 && strcmp(argv[1], "open") != 0)) {
		fprintf(stderr, "usage: bench_fill month DB TICKETS EVENTS_PER_TICKET YYYY-MM\n"
			"       bench_fill open DB TICKETS FIRST_TIME SPREAD_SECONDS\n");
		return 2;
	}
	month = strcmp(argv[1], "month") == 0;
	tickets = strtoull(argv[3], NULL, 10);
	if (store_open("sqlite", argv[2], &store, &err) < 0)
		fill_die(argv[2], err);
	t0 = fill_now();
	if (store_begin(store, &err) < 0)
		fill_die("begin", err);
	if (month) {
		unsigned int events = (unsigned int)strtoul(argv[4], NULL, 10);
		struct tm tm;
		int y, mo;
		int64_t start, len;

		if (events == 0 || events > FILL_EVENTS_MAX ||
		    sscanf(argv[5], "%4d-%2d", &y, &mo) != 2)
			fill_die("arguments", "bad events per ticket or month");
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = 1;
		start = (int64_t)timegm(&tm) - 8 * 3600;
		/* Leave the last four days, so the month's clocks are decided
		   within it. */
		len = 27 * 86400;
		for (i = 0; i < tickets; i++)
			fill_ticket(store, &rng, i, start + (int64_t)(fill_rand(&rng) % (uint64_t)len),
				    events, &count);
	} else {
		int64_t first = strtoll(argv[4], NULL, 10);
		int64_t spread = strtoll(argv[5], NULL, 10);

		for (i = 0; i < tickets; i++) {
			char ticket[64];

			snprintf(ticket, sizeof(ticket), "open%llu@bench.example",
				 (unsigned long long)i);
			fill_put(store, ticket, count,
				 first + (tickets > 1 ? spread * (int64_t)i / (int64_t)(tickets - 1) : 0),
				 "customer", EVENT_CUSTOMER_MESSAGE, NULL, &count);
		}
	}
	if (store_commit(store, &err) < 0)
		fill_die("commit", err);
	store_close(&store);
	printf("{\"tickets\": %llu, \"events\": %llu, \"seconds\": %.2f}\n",
	       (unsigned long long)tickets, (unsigned long long)count, fill_now() - t0);
	return 0;
}
