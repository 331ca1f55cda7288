/* Zammad: the default trigger webhook payload (admin docs, "Webhook
 * payload"): {"ticket":{…},"article":{…}}. One POST per trigger run; the
 * article, when present, is what happened, else the ticket's state. Zammad
 * signs with HMAC-SHA1 in X-Hub-Signature (signature_algorithm = sha1).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "webhook.h"

#define ZAMMAD_TEXT_MAX 320

static const char *
zammad_user(json_t *user, char *buf, size_t size)
{
	const char *v = webhook_json_text(user, "email", buf, size);

	if (v == NULL || *v == '\0')
		v = webhook_json_text(user, "login", buf, size);
	return v;
}

int
webhook_zammad_parse(const struct webhook_opts *opts, json_t *root,
		     struct webhook_result *result, const char **error_r)
{
	json_t *ticket = json_object_get(root, "ticket");
	json_t *article = json_object_get(root, "article");
	char id[64], aid[64], when[64], user[ZAMMAD_TEXT_MAX];
	char login[ZAMMAD_TEXT_MAX], state[64], owner[ZAMMAD_TEXT_MAX];
	const char *who, *sender, *lg, *st, *ow;
	json_t *tags, *tag;
	size_t i;
	int64_t time;
	bool internal;

	if (!json_is_object(ticket) ||
	    webhook_json_text(ticket, "id", id, sizeof(id)) == NULL ||
	    webhook_result_set_ticket(result, opts, id) < 0) {
		*error_r = "Zammad payload without ticket.id";
		return -1;
	}
	if (json_is_object(article) && json_object_get(article, "id") != NULL &&
	    !json_is_null(json_object_get(article, "id"))) {
		if (webhook_json_text(article, "id", aid, sizeof(aid)) == NULL ||
		    webhook_json_text(article, "created_at", when, sizeof(when)) == NULL ||
		    webhook_parse_time(when, &time) < 0) {
			*error_r = "Zammad article without id or created_at";
			return -1;
		}
		snprintf(result->txn_id, sizeof(result->txn_id), "article:%s", aid);
		lg = webhook_json_text(json_object_get(article, "created_by"), "login",
				       login, sizeof(login));
		if (opts->own_user != NULL && lg != NULL &&
		    strcasecmp(lg, opts->own_user) == 0) {
			result->own = true;
			return 0;
		}
		who = zammad_user(json_object_get(article, "created_by"), user, sizeof(user));
		sender = json_string_value(json_object_get(article, "sender"));
		internal = json_is_true(json_object_get(article, "internal"));
		if (sender != NULL && strcmp(sender, "Customer") == 0)
			return webhook_result_add(result, EVENT_CUSTOMER_MESSAGE, time,
						  result->txn_id, "customer", NULL) < 0 ?
				(*error_r = "Zammad field too long", -1) : 0;
		if (sender != NULL && strcmp(sender, "System") == 0)
			return 0;
		return webhook_result_add(result, internal ? EVENT_AGENT_NOTE :
					  EVENT_AGENT_REPLY, time, result->txn_id,
					  who != NULL ? who : "agent", NULL) < 0 ?
			(*error_r = "Zammad field too long", -1) : 0;
	}
	/* No article: a state, owner or tag change. Zammad sends no change
	   id, so the ticket's updated_at tells one update from another. */
	if (webhook_json_text(ticket, "updated_at", when, sizeof(when)) == NULL ||
	    webhook_parse_time(when, &time) < 0) {
		*error_r = "Zammad ticket without updated_at";
		return -1;
	}
	snprintf(result->txn_id, sizeof(result->txn_id), "ticket:%s:%s", id, when);
	lg = webhook_json_text(json_object_get(ticket, "updated_by"), "login",
			       login, sizeof(login));
	if (opts->own_user != NULL && lg != NULL && strcasecmp(lg, opts->own_user) == 0) {
		result->own = true;
		return 0;
	}
	who = zammad_user(json_object_get(ticket, "updated_by"), user, sizeof(user));
	if (who == NULL)
		who = "system";
	st = webhook_json_text(ticket, "state", state, sizeof(state));
	if (st != NULL && webhook_result_add_status(result, time, result->txn_id,
						    who, NULL, st) < 0)
		goto toolong;
	ow = zammad_user(json_object_get(ticket, "owner"), owner, sizeof(owner));
	if (ow != NULL && strcmp(ow, "-") != 0) {
		char attrs[WEBHOOK_ATTRS_MAX], eid[WEBHOOK_KEY_MAX + 16];
		json_t *o = json_pack("{s:s}", "owner", ow);
		char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

		json_decref(o);
		snprintf(eid, sizeof(eid), "%s:owner", result->txn_id);
		snprintf(attrs, sizeof(attrs), "%s", text != NULL ? text : "{}");
		free(text);
		/* Re-sent with every update: the store keeps one per update,
		   and the latest owner is what the SLA engine charges. */
		if (webhook_result_add(result, EVENT_ASSIGN, time, eid, who, attrs) < 0)
			goto toolong;
	}
	tags = json_object_get(ticket, "tags");
	json_array_foreach(tags, i, tag) {
		const char *t = json_string_value(tag);
		char eid[WEBHOOK_KEY_MAX + 16];

		if (!webhook_name_is(t, opts->preliminary_field, "preliminary"))
			continue;
		snprintf(eid, sizeof(eid), "ticket:%s:preliminary", id);
		if (webhook_result_add(result, EVENT_PRELIMINARY, time, eid, who,
				       "{\"field\":\"tag\"}") < 0)
			goto toolong;
	}
	return 0;
toolong:
	*error_r = "Zammad payload field too long";
	return -1;
}
