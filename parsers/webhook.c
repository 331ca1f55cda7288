#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "webhook.h"

static const char *const webhook_kind_names[WEBHOOK_KIND_COUNT] = {
	[WEBHOOK_RT] = "rt",
	[WEBHOOK_ZAMMAD] = "zammad",
	[WEBHOOK_ZENDESK] = "zendesk",
	[WEBHOOK_FRESHDESK] = "freshdesk",
};

const char *
webhook_kind_name(enum webhook_kind kind)
{
	if ((int)kind < 0 || (int)kind >= WEBHOOK_KIND_COUNT)
		return NULL;
	return webhook_kind_names[kind];
}

int
webhook_kind_from_name(const char *name, enum webhook_kind *kind_r)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < WEBHOOK_KIND_COUNT; i++) {
		if (strcasecmp(name, webhook_kind_names[i]) == 0) {
			*kind_r = (enum webhook_kind)i;
			return 0;
		}
	}
	return -1;
}

/* jansson's own limit is 2048 levels, far more than any payload needs and
   enough recursion to matter, so count the brackets first. */
static bool
webhook_depth_ok(const char *s, size_t len)
{
	size_t i;
	int depth = 0;
	bool in_string = false;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '[' || c == '{') {
			if (++depth > WEBHOOK_DEPTH_MAX)
				return false;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return true;
}

int
webhook_json_load(const char *body, size_t len, json_t **json_r,
		  const char **error_r)
{
	json_error_t jerr;
	json_t *json;

	*json_r = NULL;
	if (len > WEBHOOK_BODY_MAX) {
		*error_r = "body too large";
		return -1;
	}
	if (!webhook_depth_ok(body, len)) {
		*error_r = "JSON nested too deeply";
		return -1;
	}
	/* jansson rejects invalid UTF-8 and \u0000 unless told otherwise. */
	json = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (json == NULL) {
		*error_r = json_error_code(&jerr) == json_error_invalid_utf8 ?
			"body is not valid UTF-8" : "malformed JSON";
		return -1;
	}
	if (!json_is_object(json)) {
		json_decref(json);
		*error_r = "JSON body is not an object";
		return -1;
	}
	*json_r = json;
	return 0;
}

int
webhook_parse(enum webhook_kind kind, const struct webhook_opts *opts,
	      const char *body, size_t len, struct webhook_result *result_r,
	      const char **error_r)
{
	json_t *root;
	int ret = -1;

	memset(result_r, 0, sizeof(*result_r));
	if (webhook_json_load(body, len, &root, error_r) < 0)
		return -1;
	switch (kind) {
	case WEBHOOK_RT:
		ret = webhook_rt_parse(opts, root, result_r, error_r);
		break;
	case WEBHOOK_ZAMMAD:
		ret = webhook_zammad_parse(opts, root, result_r, error_r);
		break;
	case WEBHOOK_ZENDESK:
		ret = webhook_zendesk_parse(opts, root, result_r, error_r);
		break;
	case WEBHOOK_FRESHDESK:
		ret = webhook_freshdesk_parse(opts, root, result_r, error_r);
		break;
	default:
		*error_r = "unknown helpdesk type";
		break;
	}
	json_decref(root);
	if (ret < 0)
		result_r->count = 0;
	return ret;
}

void
webhook_result_event(const struct webhook_result *result, size_t i,
		     const char *source, struct event *ev_r)
{
	const struct webhook_item *it = &result->items[i];

	memset(ev_r, 0, sizeof(*ev_r));
	ev_r->source = source;
	ev_r->external_id = it->external_id;
	ev_r->ticket = result->ticket;
	ev_r->time = it->time;
	ev_r->actor = it->actor;
	ev_r->kind = it->kind;
	ev_r->attrs = it->attrs[0] == '\0' ? NULL : it->attrs;
}

static bool
webhook_digits(const char **p, int n, int *v_r)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*v_r = v;
	return true;
}

int
webhook_parse_time(const char *text, int64_t *t_r)
{
	const char *p = text;
	struct tm tm;
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;
	time_t t;

	if (text == NULL)
		return -1;
	if (!webhook_digits(&p, 4, &y) || *p++ != '-' ||
	    !webhook_digits(&p, 2, &mo) || *p++ != '-' ||
	    !webhook_digits(&p, 2, &d) || (*p != 'T' && *p != ' '))
		return -1;
	p++;
	if (!webhook_digits(&p, 2, &h) || *p++ != ':' ||
	    !webhook_digits(&p, 2, &mi) || *p++ != ':' ||
	    !webhook_digits(&p, 2, &s))
		return -1;
	if (*p == '.' || *p == ',') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!webhook_digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (!webhook_digits(&p, 2, &om))
			return -1;
	} else if (*p == ' ' && strcmp(p, " UTC") == 0)
		p += 4;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60 || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*t_r = (int64_t)t - sign * (oh * 3600 + om * 60);
	return 0;
}

static int
webhook_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

int
webhook_result_add(struct webhook_result *result, enum event_kind kind,
		   int64_t time, const char *external_id, const char *actor,
		   const char *attrs)
{
	struct webhook_item *it;

	/* An empty id would make every such payload one event in the store
	   (the dedup key is the external id). */
	if (result->count >= WEBHOOK_EVENTS_MAX || external_id == NULL ||
	    *external_id == '\0')
		return -1;
	it = &result->items[result->count];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->time = time;
	if (webhook_copy(it->external_id, sizeof(it->external_id), external_id) < 0 ||
	    webhook_copy(it->actor, sizeof(it->actor), actor) < 0 ||
	    webhook_copy(it->attrs, sizeof(it->attrs), attrs != NULL ? attrs : "") < 0)
		return -1;
	result->count++;
	return 0;
}

int
webhook_result_set_ticket(struct webhook_result *result,
			  const struct webhook_opts *opts, const char *id)
{
	int n;

	if (id == NULL || *id == '\0')
		return -1;
	n = snprintf(result->ticket, sizeof(result->ticket), "%s:%s", opts->name, id);
	return n < 0 || (size_t)n >= sizeof(result->ticket) ? -1 : 0;
}

const char *
webhook_json_text(json_t *obj, const char *key, char *buf, size_t size)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (json_is_string(v)) {
		if (webhook_copy(buf, size, json_string_value(v)) < 0)
			return NULL;
		return buf;
	}
	if (json_is_integer(v)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* Every helpdesk's names for the same few states. */
static const struct {
	const char *from;
	const char *to;
} webhook_statuses[] = {
	{ "new", "new" },
	{ "open", "open" },
	{ "opened", "open" },
	{ "reopened", "reopened" },
	{ "pending", "pending" },
	{ "stalled", "pending" },
	{ "hold", "pending" },
	{ "on-hold", "pending" },
	{ "pending reminder", "pending" },
	{ "pending close", "pending" },
	{ "waiting on customer", "pending" },
	{ "resolved", "solved" },
	{ "solved", "solved" },
	{ "closed", "closed" },
	{ "rejected", "closed" },
	{ "deleted", "closed" },
	{ "merged", "closed" },
};

const char *
webhook_status_normalize(const char *status)
{
	size_t i;

	if (status == NULL)
		return NULL;
	for (i = 0; i < sizeof(webhook_statuses) / sizeof(webhook_statuses[0]); i++)
		if (strcasecmp(status, webhook_statuses[i].from) == 0)
			return webhook_statuses[i].to;
	return NULL;
}

static bool
webhook_status_done(const char *norm)
{
	return norm != NULL && (strcmp(norm, "solved") == 0 ||
				strcmp(norm, "closed") == 0);
}

int
webhook_result_add_status(struct webhook_result *result, int64_t time,
			  const char *txn_id, const char *actor,
			  const char *old_status, const char *new_status)
{
	const char *old_norm = webhook_status_normalize(old_status);
	const char *norm = webhook_status_normalize(new_status);
	char id[WEBHOOK_KEY_MAX], attrs[WEBHOOK_ATTRS_MAX];
	json_t *obj;
	char *text;
	int ret = -1;

	if (norm == NULL)
		norm = "open";   /* a custom active status */
	if (webhook_status_done(old_norm) && !webhook_status_done(norm) &&
	    strcmp(norm, "pending") != 0)
		norm = "reopened";
	obj = json_pack("{s:s, s:s}", "status", norm, "helpdesk_status",
			new_status != NULL ? new_status : "");
	if (obj == NULL)
		return -1;
	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (text == NULL || strlen(text) >= sizeof(attrs))
		goto out;
	snprintf(attrs, sizeof(attrs), "%s", text);
	snprintf(id, sizeof(id), "%s:status", txn_id);
	if (webhook_result_add(result, EVENT_STATUS, time, id, actor, attrs) < 0)
		goto out;
	if (webhook_status_done(norm)) {
		snprintf(id, sizeof(id), "%s:resolved", txn_id);
		if (webhook_result_add(result, EVENT_RESOLVED, time, id, actor,
				       NULL) < 0)
			goto out;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

bool
webhook_name_is(const char *name, const char *opt, const char *def)
{
	if (name == NULL)
		return false;
	return strcasecmp(name, opt != NULL ? opt : def) == 0;
}
