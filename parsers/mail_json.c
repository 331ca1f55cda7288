#include "config.h"

#include <stdlib.h>

#include <jansson.h>

#include "mail_json.h"

const char *
mail_auto_name(enum mail_auto kind)
{
	switch (kind) {
	case MAIL_AUTO_NONE:
		return "none";
	case MAIL_AUTO_REPLY:
		return "auto_reply";
	case MAIL_AUTO_BULK:
		return "bulk";
	case MAIL_AUTO_BOUNCE:
		return "bounce";
	}
	return "none";
}

/* A string or null; json_string() refuses invalid UTF-8, which the parser
   never produces, but a null is better than a crash if it ever did. */
static json_t *
mail_json_str(const char *s)
{
	json_t *j;

	if (s == NULL)
		return json_null();
	j = json_string(s);
	return j != NULL ? j : json_null();
}

static json_t *
mail_json_list(char *const *items, size_t count)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < count; i++) {
		if (json_array_append_new(a, mail_json_str(items[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

char *
mail_msg_to_json(const struct mail_msg *msg)
{
	json_t *o = NULL;
	char *ret = NULL;

	o = json_pack("{s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:I, s:o, s:s, s:o, s:b, s:b}",
		      "message_id", mail_json_str(msg->message_id),
		      "in_reply_to", mail_json_str(msg->in_reply_to),
		      "references", mail_json_list(msg->references, msg->reference_count),
		      "from", "addr", mail_json_str(msg->from_addr),
		      "name", mail_json_str(msg->from_name),
		      "to", mail_json_list(msg->to_addrs, msg->to_count),
		      "subject", mail_json_str(msg->subject),
		      "date", (json_int_t)msg->date,
		      "charset", mail_json_str(msg->charset),
		      "auto", mail_auto_name(msg->auto_kind),
		      "reply_text", mail_json_str(msg->reply_text),
		      "quoted", msg->quoted,
		      "oversize", msg->oversize);
	if (o == NULL)
		goto out;
	ret = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
	json_decref(o);
	return ret;
}
