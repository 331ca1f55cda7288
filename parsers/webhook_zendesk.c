/* Zendesk: ticket event webhooks (developer docs, "Ticket events"):
 *   {"type":"zen:event-type:ticket.comment_added","id":"<event uuid>",
 *    "time":"…","subject":"zen:ticket:35436",
 *    "detail":{"id":"35436","actor_id":"…","status":"OPEN",…},
 *    "event":{…}}
 * The event id is unique per delivery subject, so it is the external id.
 * Zendesk signs base64(HMAC-SHA256(timestamp + body)); that scheme is not
 * checked by the server yet, so use a bearer token with Zendesk.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webhook.h"

#define ZENDESK_PREFIX "zen:event-type:ticket."

static int
zendesk_attrs1(char *buf, size_t size, const char *key, const char *value)
{
	json_t *o = json_pack("{s:s}", key, value);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	int ret = -1;

	json_decref(o);
	if (text != NULL && strlen(text) < size) {
		memcpy(buf, text, strlen(text) + 1);
		ret = 0;
	}
	free(text);
	return ret;
}

int
webhook_zendesk_parse(const struct webhook_opts *opts, json_t *root,
		      struct webhook_result *result, const char **error_r)
{
	json_t *detail = json_object_get(root, "detail"), *ev = json_object_get(root, "event");
	char tid[64], eid[WEBHOOK_KEY_MAX], when[64], actor_buf[64];
	char attrs[WEBHOOK_ATTRS_MAX], id2[WEBHOOK_KEY_MAX + 24], cur[64], prev[64];
	const char *type = json_string_value(json_object_get(root, "type"));
	const char *actor, *c, *p;
	json_t *comment, *author, *tags, *tag;
	int64_t time;
	size_t i;
	int ret = 0;

	if (type == NULL || webhook_json_text(root, "id", eid, sizeof(eid)) == NULL ||
	    webhook_json_text(root, "time", when, sizeof(when)) == NULL ||
	    webhook_parse_time(when, &time) < 0 ||
	    webhook_json_text(detail, "id", tid, sizeof(tid)) == NULL ||
	    webhook_result_set_ticket(result, opts, tid) < 0) {
		*error_r = "Zendesk payload without type, id, time or detail.id";
		return -1;
	}
	snprintf(result->txn_id, sizeof(result->txn_id), "%s", eid);
	if (strncmp(type, ZENDESK_PREFIX, strlen(ZENDESK_PREFIX)) != 0)
		return 0;
	type += strlen(ZENDESK_PREFIX);
	actor = webhook_json_text(detail, "actor_id", actor_buf, sizeof(actor_buf));
	if (opts->own_user != NULL && actor != NULL && strcmp(actor, opts->own_user) == 0) {
		result->own = true;
		return 0;
	}
	if (actor == NULL)
		actor = "system";
	if (strcmp(type, "created") == 0) {
		ret = webhook_result_add(result, EVENT_CUSTOMER_MESSAGE, time, eid,
					 "customer", NULL);
		if (ret == 0)
			ret = webhook_result_add_status(result, time, eid, actor, NULL,
				webhook_json_text(detail, "status", cur, sizeof(cur)) != NULL ?
				cur : "new");
	} else if (strcmp(type, "comment_added") == 0) {
		comment = json_object_get(ev, "comment");
		author = json_object_get(comment, "author");
		if (!json_is_object(comment)) {
			*error_r = "Zendesk comment_added without event.comment";
			return -1;
		}
		if (!json_is_true(json_object_get(author, "is_staff")))
			ret = webhook_result_add(result, EVENT_CUSTOMER_MESSAGE, time,
						 eid, "customer", NULL);
		else {
			const char *aid = webhook_json_text(author, "id", actor_buf,
							    sizeof(actor_buf));

			if (opts->own_user != NULL && aid != NULL &&
			    strcmp(aid, opts->own_user) == 0) {
				result->own = true;
				return 0;
			}
			ret = webhook_result_add(result,
				json_is_true(json_object_get(comment, "is_public")) ?
				EVENT_AGENT_REPLY : EVENT_AGENT_NOTE, time, eid,
				aid != NULL ? aid : actor, NULL);
		}
	} else if (strcmp(type, "status_changed") == 0) {
		c = webhook_json_text(ev, "current", cur, sizeof(cur));
		p = webhook_json_text(ev, "previous", prev, sizeof(prev));
		ret = webhook_result_add_status(result, time, eid, actor, p, c);
	} else if (strcmp(type, "agent_assignment_changed") == 0) {
		c = webhook_json_text(json_object_get(ev, "current"), "id", cur, sizeof(cur));
		ret = zendesk_attrs1(attrs, sizeof(attrs), "owner", c != NULL ? c : "");
		if (ret == 0)
			ret = webhook_result_add(result, EVENT_ASSIGN, time, eid, actor, attrs);
	} else if (strcmp(type, "tags_changed") == 0) {
		tags = json_object_get(ev, "tags_added");
		json_array_foreach(tags, i, tag) {
			const char *t = json_string_value(tag);
			enum event_kind kind;

			if (webhook_name_is(t, opts->preliminary_field, "preliminary"))
				kind = EVENT_PRELIMINARY;
			else if (webhook_name_is(t, opts->complaint_field, "complaint"))
				kind = EVENT_COMPLAINT;
			else if (webhook_name_is(t, opts->verified_field, "complaint_verified"))
				kind = EVENT_COMPLAINT;
			else
				continue;
			snprintf(id2, sizeof(id2), "%s:%zu", eid, i);
			if (kind == EVENT_PRELIMINARY)
				ret = zendesk_attrs1(attrs, sizeof(attrs), "field", t);
			else if (webhook_name_is(t, opts->verified_field, "complaint_verified"))
				ret = snprintf(attrs, sizeof(attrs), "{\"verified\":true}") < 0;
			else
				ret = zendesk_attrs1(attrs, sizeof(attrs), "cause", t);
			if (ret == 0)
				ret = webhook_result_add(result, kind, time, id2, actor, attrs);
			if (ret < 0)
				break;
		}
	}
	if (ret < 0) {
		*error_r = "Zendesk payload field too long";
		return -1;
	}
	return 0;
}
