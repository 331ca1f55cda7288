/* Request Tracker 5: the JSON that contrib/rt-webhook-scrip.initialdata
 * posts for every transaction:
 *
 *   {"event":"transaction","ticket_id":1,"txn_id":35,"txn_type":"Comment",
 *    "field":null,"old_value":null,"new_value":null,"created":"…Z",
 *    "creator":"root","queue":"General","status":"new","subject":"…",
 *    "creator_email":"…","creator_privileged":1,
 *    "old_value_name":…,"new_value_name":…,"cf_name":…}
 *
 * The last five are additions of our scrip over the one in it-up.sh; without
 * them agents are told by opts->is_agent and owners stay user ids.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webhook.h"

#define RT_TEXT_MAX 320

static bool
rt_truthy(const char *v)
{
	return v != NULL && *v != '\0' && strcmp(v, "0") != 0 &&
		strcasecmp(v, "no") != 0 && strcasecmp(v, "false") != 0 &&
		strcmp(v, "否") != 0;
}

static bool
rt_is_agent(const struct webhook_opts *opts, json_t *root, const char *creator,
	    const char *email)
{
	json_t *priv = json_object_get(root, "creator_privileged");

	if (json_is_boolean(priv))
		return json_is_true(priv);
	if (json_is_integer(priv))
		return json_integer_value(priv) != 0;
	if (json_is_string(priv))
		return rt_truthy(json_string_value(priv));
	if (opts->is_agent != NULL)
		return opts->is_agent(opts->is_agent_ctx,
				      email != NULL ? email : creator);
	/* Users RT creates from mail are named by their address. */
	return strchr(creator, '@') == NULL;
}

static int
rt_attrs1(char *buf, size_t size, const char *key, const char *value)
{
	json_t *obj = json_pack("{s:s}", key, value);
	char *text;
	int ret = -1;

	if (obj == NULL)
		return -1;
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (text != NULL && strlen(text) < size) {
		memcpy(buf, text, strlen(text) + 1);
		ret = 0;
	}
	free(text);
	return ret;
}

static int
rt_custom_field(const struct webhook_opts *opts, struct webhook_result *result,
		int64_t time, const char *txn, const char *actor,
		const char *cf, const char *value)
{
	char attrs[WEBHOOK_ATTRS_MAX], id[WEBHOOK_KEY_MAX];
	const char *rating;

	snprintf(id, sizeof(id), "%s", txn);
	if (webhook_name_is(cf, opts->preliminary_field, "Preliminary Solution")) {
		if (!rt_truthy(value))
			return 0;
		if (rt_attrs1(attrs, sizeof(attrs), "field", cf) < 0)
			return -1;
		return webhook_result_add(result, EVENT_PRELIMINARY, time, id,
					  actor, attrs);
	}
	if (webhook_name_is(cf, opts->complaint_field, "Complaint Cause")) {
		if (value == NULL || *value == '\0')
			return 0;
		if (rt_attrs1(attrs, sizeof(attrs), "cause", value) < 0)
			return -1;
		return webhook_result_add(result, EVENT_COMPLAINT, time, id,
					  actor, attrs);
	}
	if (webhook_name_is(cf, opts->verified_field, "Complaint Verified")) {
		snprintf(attrs, sizeof(attrs), "{\"verified\":%s}",
			 rt_truthy(value) ? "true" : "false");
		return webhook_result_add(result, EVENT_COMPLAINT, time, id,
					  actor, attrs);
	}
	if (webhook_name_is(cf, opts->satisfaction_field, "Satisfaction")) {
		if (value == NULL || *value == '\0')
			return 0;
		rating = strcasecmp(value, "satisfied") == 0 ||
			strcasecmp(value, "good") == 0 ||
			strcmp(value, "满意") == 0 || strcmp(value, "非常满意") == 0 ||
			strcmp(value, "4") == 0 || strcmp(value, "5") == 0 ?
			"satisfied" : "unsatisfied";
		if (rt_attrs1(attrs, sizeof(attrs), "rating", rating) < 0)
			return -1;
		return webhook_result_add(result, EVENT_SATISFACTION, time, id,
					  actor, attrs);
	}
	return 0;
}

int
webhook_rt_parse(const struct webhook_opts *opts, json_t *root,
		 struct webhook_result *result, const char **error_r)
{
	char ticket[WEBHOOK_KEY_MAX], txn[WEBHOOK_KEY_MAX], type[64];
	char creator[RT_TEXT_MAX], email_buf[RT_TEXT_MAX], field[RT_TEXT_MAX];
	char oldv[RT_TEXT_MAX], newv[RT_TEXT_MAX], newname[RT_TEXT_MAX];
	char created[64], cf[RT_TEXT_MAX], attrs[WEBHOOK_ATTRS_MAX], id[WEBHOOK_KEY_MAX];
	const char *email, *actor, *fieldp, *oldp, *newp, *owner, *cfp;
	bool agent;
	int64_t time;
	int ret;

	if (webhook_json_text(root, "ticket_id", ticket, sizeof(ticket)) == NULL ||
	    webhook_json_text(root, "txn_id", txn, sizeof(txn)) == NULL ||
	    webhook_json_text(root, "txn_type", type, sizeof(type)) == NULL ||
	    webhook_json_text(root, "creator", creator, sizeof(creator)) == NULL) {
		*error_r = "RT payload lacks ticket_id, txn_id, txn_type or creator";
		return -1;
	}
	if (webhook_json_text(root, "created", created, sizeof(created)) == NULL ||
	    webhook_parse_time(created, &time) < 0) {
		*error_r = "RT payload lacks a valid created time";
		return -1;
	}
	if (webhook_result_set_ticket(result, opts, ticket) < 0 ||
	    snprintf(result->txn_id, sizeof(result->txn_id), "%s", txn) >=
	    (int)sizeof(result->txn_id)) {
		*error_r = "RT ticket or transaction id too long";
		return -1;
	}
	if (opts->own_user != NULL && strcasecmp(creator, opts->own_user) == 0) {
		result->own = true;
		return 0;
	}
	email = webhook_json_text(root, "creator_email", email_buf, sizeof(email_buf));
	if (email != NULL && *email == '\0')
		email = NULL;
	agent = rt_is_agent(opts, root, creator, email);
	actor = agent ? (email != NULL ? email : creator) : "customer";
	fieldp = webhook_json_text(root, "field", field, sizeof(field));
	oldp = webhook_json_text(root, "old_value", oldv, sizeof(oldv));
	newp = webhook_json_text(root, "new_value", newv, sizeof(newv));

	if (strcmp(type, "Create") == 0) {
		char status[64];

		/* A ticket an agent opens for a caller still starts the
		   caller's clocks. */
		ret = webhook_result_add(result, EVENT_CUSTOMER_MESSAGE, time, txn,
					 "customer", NULL);
		if (ret == 0)
			ret = webhook_result_add_status(result, time, txn, actor, NULL,
				webhook_json_text(root, "status", status,
						  sizeof(status)) != NULL ?
				status : "new");
	} else if (strcmp(type, "Correspond") == 0) {
		ret = webhook_result_add(result, agent ? EVENT_AGENT_REPLY :
					 EVENT_CUSTOMER_MESSAGE, time, txn, actor,
					 NULL);
	} else if (strcmp(type, "Comment") == 0) {
		ret = webhook_result_add(result, EVENT_AGENT_NOTE, time, txn,
					 actor, NULL);
	} else if (strcmp(type, "Status") == 0 ||
		   (fieldp != NULL && strcmp(fieldp, "Status") == 0)) {
		ret = webhook_result_add_status(result, time, txn, actor, oldp, newp);
	} else if (fieldp != NULL && strcmp(fieldp, "Owner") == 0) {
		/* Set, Take, Give, Steal, Untake, Force: values are user ids,
		   our scrip adds the name. */
		/* the owner's address is what the config names agents by */
		owner = webhook_json_text(root, "new_value_email", newname,
					  sizeof(newname));
		if (owner == NULL || owner[0] == '\0')
			owner = webhook_json_text(root, "new_value_name", newname,
						  sizeof(newname));
		if (owner == NULL)
			owner = newp != NULL ? newp : "";
		if (strcasecmp(owner, "Nobody") == 0)
			owner = "";
		snprintf(id, sizeof(id), "%s", txn);
		ret = rt_attrs1(attrs, sizeof(attrs), "owner", owner);
		if (ret == 0)
			ret = webhook_result_add(result, EVENT_ASSIGN, time, id,
						 actor, attrs);
	} else if (strcmp(type, "CustomField") == 0) {
		cfp = webhook_json_text(root, "cf_name", cf, sizeof(cf));
		ret = cfp == NULL ? 0 : rt_custom_field(opts, result, time, txn,
							actor, cfp, newp);
	} else {
		/* EmailRecord, AddWatcher, Priority, Link, ...: no clock moves. */
		ret = 0;
	}
	if (ret < 0) {
		*error_r = "RT payload field too long";
		return -1;
	}
	return 0;
}
