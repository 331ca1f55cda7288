/* Freshdesk: automation rule webhooks have no fixed body; the documented
 * placeholders, under the legacy wrapper most rules use, are:
 *   {"freshdesk_webhook":{"ticket_id":"123","ticket_status":"Resolved",
 *    "triggered_event":"{ticket_action:created}", "ticket_latest_public_comment":…,
 *    "ticket_agent_email":"…","ticket_tags":"a,b","ticket_updated_at":"…"}}
 * The rule must also send "event_id": "{{ticket.id}}-{{ticket.updated_at}}"
 * or similar is not available, so the update time tells updates apart.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "webhook.h"

int
webhook_freshdesk_parse(const struct webhook_opts *opts, json_t *root,
			struct webhook_result *result, const char **error_r)
{
	json_t *fw = json_object_get(root, "freshdesk_webhook");
	char tid[64], when[64], status[64], agent[EVENT_ACTOR_MAX];
	char trig[128], eid[WEBHOOK_KEY_MAX + 16], tags[1024];
	const char *st, *ag, *tr, *tg;
	int64_t time;
	int ret = 0;

	if (!json_is_object(fw))
		fw = root;
	if (webhook_json_text(fw, "ticket_id", tid, sizeof(tid)) == NULL ||
	    webhook_result_set_ticket(result, opts, tid) < 0 ||
	    webhook_json_text(fw, "ticket_updated_at", when, sizeof(when)) == NULL ||
	    webhook_parse_time(when, &time) < 0) {
		*error_r = "Freshdesk payload without ticket_id or ticket_updated_at";
		return -1;
	}
	snprintf(result->txn_id, sizeof(result->txn_id), "%s:%s", tid, when);
	ag = webhook_json_text(fw, "ticket_agent_email", agent, sizeof(agent));
	if (ag != NULL && *ag == '\0')
		ag = NULL;
	tr = webhook_json_text(fw, "triggered_event", trig, sizeof(trig));
	st = webhook_json_text(fw, "ticket_status", status, sizeof(status));
	if (tr != NULL && strstr(tr, "created") != NULL) {
		ret = webhook_result_add(result, EVENT_CUSTOMER_MESSAGE, time,
					 result->txn_id, "customer", NULL);
		if (ret == 0)
			ret = webhook_result_add_status(result, time, result->txn_id,
							"customer", NULL,
							st != NULL ? st : "open");
	} else if (st != NULL) {
		ret = webhook_result_add_status(result, time, result->txn_id,
						ag != NULL ? ag : "system", NULL, st);
	}
	tg = webhook_json_text(fw, "ticket_tags", tags, sizeof(tags));
	if (ret == 0 && tg != NULL) {
		char *save = NULL, *t;

		for (t = strtok_r(tags, ", ", &save); t != NULL;
		     t = strtok_r(NULL, ", ", &save)) {
			if (!webhook_name_is(t, opts->preliminary_field, "preliminary"))
				continue;
			snprintf(eid, sizeof(eid), "%s:preliminary", tid);
			ret = webhook_result_add(result, EVENT_PRELIMINARY, time, eid,
						 ag != NULL ? ag : "system",
						 "{\"field\":\"tag\"}");
			break;
		}
	}
	if (ret < 0) {
		*error_r = "Freshdesk payload field too long";
		return -1;
	}
	return 0;
}
