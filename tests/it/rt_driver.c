/* rt_driver - the webhook library against a real RT, for tests/it/rt.sh.
 *
 *   rt_driver serve DB PORTFILE SECRETFILE OWNUSER   webhook server until SIGTERM
 *   rt_driver note DB URL TOKENFILE TICKET KEY TEXT  queue a note and deliver it
 *   rt_driver crash DB URL TOKENFILE TICKET KEY TEXT queue, count the attempt,
 *                                                    post, and "die" before outbox_done
 *   rt_driver deliver DB URL TOKENFILE               one delivery run, a day ahead
 *   rt_driver events DB                              "kind ticket actor" per event
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../../plugin/webhook.h"
#include "hook_serve.h"
#include "log.h"
#include "store.h"

static void
die(const char *what, const char *error)
{
	fprintf(stderr, "rt_driver: %s: %s\n", what, error);
	exit(1);
}

static void
rt_conf(struct helpdesk_conf *hc, const char *url, const char *tokenfile)
{
	const char *error;

	if (helpdesk_conf_init(hc, "rt", &error) < 0 ||
	    helpdesk_conf_key(hc, "type", "rt", &error) < 0 ||
	    helpdesk_conf_key(hc, "url", url, &error) < 0 ||
	    helpdesk_conf_key(hc, "token_file", tokenfile, &error) < 0 ||
	    helpdesk_conf_key(hc, "timeout", "10s", &error) < 0 ||
	    helpdesk_conf_finish(hc, NULL, &error) < 0)
		die("helpdesk conf", error);
}

static void
queue_note(struct store *store, const char *ticket, const char *key,
	   const char *text)
{
	struct store_outbox row;
	json_t *obj = json_pack("{s:s, s:s, s:s}", "action", "comment",
				"ticket", ticket, "text", text);
	char *payload = json_dumps(obj, JSON_COMPACT);
	const char *error;
	bool inserted;

	row.key = key;
	row.channel = "helpdesk:rt";
	row.payload = payload;
	row.not_before = 0;
	if (store_outbox_put(store, &row, &inserted, &error) < 0)
		die("outbox_put", error);
	free(payload);
	json_decref(obj);
}

static int
print_event(void *ctx, const struct event *ev)
{
	printf("%s %s %s\n", event_kind_name(ev->kind), ev->ticket, ev->actor);
	return 0;
}

int
main(int argc, char **argv)
{
	struct store *store;
	struct helpdesk_conf hc;
	const struct helpdesk_conf *list[1] = { &hc };
	const char *error;
	int64_t now = (int64_t)time(NULL);
	int n, ret = 0;

	log_init("rt_driver", false, LOG_LEVEL_INFO);
	if (argc < 3) {
		fprintf(stderr, "usage: see the comment at the top of rt_driver.c\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (store_open("sqlite", argv[2], &store, &error) < 0)
		die("store", error);
	if (strcmp(argv[1], "serve") == 0 && argc == 6) {
		char err[512];

		if (hook_serve(store, argv[3], argv[4], argv[5], err, sizeof(err)) < 0)
			die("serve", err);
	} else if ((strcmp(argv[1], "note") == 0 || strcmp(argv[1], "crash") == 0) &&
		   argc == 8) {
		rt_conf(&hc, argv[3], argv[4]);
		queue_note(store, argv[5], argv[6], argv[7]);
		if (strcmp(argv[1], "note") == 0) {
			n = helpdesk_outbox_run(store, list, 1, now, &error);
			if (n < 0)
				die("deliver", error);
			printf("handled %d\n", n);
		} else {
			struct store_outbox_item item;
			struct helpdesk_note note = { argv[5], argv[7], argv[6] };
			char err[512] = "";
			bool found;

			/* What helpdesk_outbox_run does, up to the crash. */
			if (store_outbox_next(store, now, &item, &found, &error) < 0 || !found)
				die("outbox_next", found ? error : "nothing due");
			if (store_outbox_retry(store, item.id, now + 30, "in flight",
					       &error) < 0)
				die("outbox_retry", error);
			if (helpdesk_rt_connector.note_post(&hc, &note, false, err,
							    sizeof(err)) != HELPDESK_OK)
				die("note_post", err);
			printf("posted, crashing before outbox_done\n");
			store_outbox_item_clear(&item);
			fflush(stdout);
			_exit(0);
		}
		helpdesk_conf_clear(&hc);
	} else if (strcmp(argv[1], "deliver") == 0 && argc == 5) {
		rt_conf(&hc, argv[3], argv[4]);
		n = helpdesk_outbox_run(store, list, 1, now + 86400, &error);
		if (n < 0)
			die("deliver", error);
		printf("handled %d\n", n);
		helpdesk_conf_clear(&hc);
	} else if (strcmp(argv[1], "events") == 0) {
		if (store_events_foreach(store, print_event, NULL, &error) < 0)
			die("events", error);
	} else {
		fprintf(stderr, "rt_driver: bad arguments\n");
		ret = 2;
	}
	if (strcmp(argv[1], "serve") != 0) {
		int64_t depth = -1;

		if (store_outbox_depth(store, &depth, &error) == 0 &&
		    strcmp(argv[1], "events") != 0)
			printf("outbox depth %lld\n", (long long)depth);
	}
	store_close(&store);
	curl_global_cleanup();
	return ret;
}
