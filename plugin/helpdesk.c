#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "helpdesk.h"
#include "secret.h"
#include "log.h"
#include "store.h"

int
helpdesk_conf_init(struct helpdesk_conf *hc, const char *name,
		   const char **error_r)
{
	memset(hc, 0, sizeof(*hc));
	if (name == NULL || *name == '\0' || strlen(name) >= WEBHOOK_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789-_.") != strlen(name)) {
		*error_r = "helpdesk name must be 1-63 of [A-Za-z0-9._-] (it is part of the webhook URL)";
		return -1;
	}
	hc->name = strdup(name);
	hc->signature_header = strdup("X-Slaclock-Signature");
	hc->timeout_secs = 10;
	if (hc->name == NULL || hc->signature_header == NULL) {
		helpdesk_conf_clear(hc);
		*error_r = "out of memory";
		return -1;
	}
	return 0;
}

static int
helpdesk_set(char **field, const char *value, const char **error_r)
{
	char *copy = strdup(value);

	if (copy == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

int
helpdesk_conf_key(struct helpdesk_conf *hc, const char *key, const char *value,
		  const char **error_r)
{
	static const struct {
		const char *key;
		size_t offset;
	} strings[] = {
		{ "url", offsetof(struct helpdesk_conf, url) },
		{ "token_file", offsetof(struct helpdesk_conf, token_file) },
		{ "webhook_secret_file", offsetof(struct helpdesk_conf, webhook_secret_file) },
		{ "webhook_token_file", offsetof(struct helpdesk_conf, webhook_token_file) },
		{ "signature_header", offsetof(struct helpdesk_conf, signature_header) },
		{ "own_user", offsetof(struct helpdesk_conf, own_user) },
		{ "tally_queue", offsetof(struct helpdesk_conf, tally_queue) },
		{ "preliminary_field", offsetof(struct helpdesk_conf, preliminary_field) },
		{ "complaint_field", offsetof(struct helpdesk_conf, complaint_field) },
		{ "verified_field", offsetof(struct helpdesk_conf, verified_field) },
		{ "satisfaction_field", offsetof(struct helpdesk_conf, satisfaction_field) },
	};
	size_t i;

	if (strcmp(key, "type") == 0) {
		if (webhook_kind_from_name(value, &hc->type) < 0) {
			*error_r = "type must be rt, zammad, zendesk or freshdesk";
			return -1;
		}
		hc->type_set = true;
		return 0;
	}
	if (strcmp(key, "timeout") == 0) {
		char *end;
		long secs;

		/* "10", "10s" or "2m": a small subset of conf_parse_duration,
		   so this module does not need the config library. */
		errno = 0;
		secs = strtol(value, &end, 10);
		if (*end == 'm' && end[1] == '\0')
			secs *= 60;
		else if (!(*end == '\0' || (*end == 's' && end[1] == '\0')))
			secs = -1;
		if (errno != 0 || end == value || secs < 1 || secs > 300) {
			*error_r = "timeout must be a duration from 1s to 5m";
			return -1;
		}
		hc->timeout_secs = secs;
		return 0;
	}
	if (strcmp(key, "signature_algorithm") == 0) {
		if (strcasecmp(value, "sha256") == 0)
			hc->signature_sha1 = false;
		else if (strcasecmp(value, "sha1") == 0)
			hc->signature_sha1 = true;
		else {
			*error_r = "signature_algorithm must be sha256 or sha1";
			return -1;
		}
		return 0;
	}
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (strcmp(key, strings[i].key) == 0) {
			if (*value == '\0') {
				*error_r = "empty value";
				return -1;
			}
			if (strcmp(key, "url") == 0 && strlen(value) > HELPDESK_URL_MAX / 2) {
				*error_r = "url too long";
				return -1;
			}
			return helpdesk_set((char **)((char *)hc + strings[i].offset),
					    value, error_r);
		}
	}
	*error_r = "unknown key in [helpdesk] section";
	return -1;
}

/* A secret file (config/secret.h has the rule). The message names the
   file, so it cannot be a static string: it lives here until the next
   call on this thread. */
static int
helpdesk_read_secret(const char *base_dir, const char *file, char **data_r,
		     size_t *len_r, const char **error_r)
{
	static _Thread_local char error[SECRET_ERROR_MAX];

	if (secret_read(base_dir, file, HELPDESK_SECRET_MAX, false, data_r, len_r,
			error, sizeof(error)) < 0) {
		*error_r = error;
		return -1;
	}
	return 0;
}

int
helpdesk_conf_finish(struct helpdesk_conf *hc, const char *base_dir,
		     const char **error_r)
{
	size_t len;

	if (!hc->type_set) {
		*error_r = "[helpdesk] section needs type = rt|zammad|zendesk|freshdesk";
		return -1;
	}
	if (hc->webhook_secret_file != NULL && hc->webhook_token_file != NULL) {
		*error_r = "give webhook_secret_file or webhook_token_file, not both";
		return -1;
	}
	if (hc->token_file != NULL &&
	    helpdesk_read_secret(base_dir, hc->token_file, &hc->token, &len,
				 error_r) < 0)
		return -1;
	if (hc->webhook_secret_file != NULL &&
	    helpdesk_read_secret(base_dir, hc->webhook_secret_file,
				 (char **)&hc->webhook_secret,
				 &hc->webhook_secret_len, error_r) < 0)
		return -1;
	if (hc->webhook_token_file != NULL &&
	    helpdesk_read_secret(base_dir, hc->webhook_token_file,
				 &hc->webhook_token, &len, error_r) < 0)
		return -1;
	if (hc->url != NULL && strncmp(hc->url, "http://", 7) != 0 &&
	    strncmp(hc->url, "https://", 8) != 0) {
		*error_r = "url must be http:// or https://";
		return -1;
	}
	return 0;
}

void
helpdesk_conf_clear(struct helpdesk_conf *hc)
{
	free(hc->name);
	free(hc->url);
	free(hc->token_file);
	free(hc->webhook_secret_file);
	free(hc->webhook_token_file);
	free(hc->signature_header);
	free(hc->own_user);
	free(hc->tally_queue);
	free(hc->preliminary_field);
	free(hc->complaint_field);
	free(hc->verified_field);
	free(hc->satisfaction_field);
	if (hc->token != NULL)
		explicit_bzero(hc->token, strlen(hc->token));
	free(hc->token);
	if (hc->webhook_secret != NULL)
		explicit_bzero(hc->webhook_secret, hc->webhook_secret_len);
	free(hc->webhook_secret);
	if (hc->webhook_token != NULL)
		explicit_bzero(hc->webhook_token, strlen(hc->webhook_token));
	free(hc->webhook_token);
	memset(hc, 0, sizeof(*hc));
}

void
helpdesk_conf_webhook_opts(const struct helpdesk_conf *hc,
			   struct webhook_opts *opts_r)
{
	memset(opts_r, 0, sizeof(*opts_r));
	opts_r->name = hc->name;
	opts_r->own_user = hc->own_user;
	opts_r->preliminary_field = hc->preliminary_field;
	opts_r->complaint_field = hc->complaint_field;
	opts_r->verified_field = hc->verified_field;
	opts_r->satisfaction_field = hc->satisfaction_field;
}

bool
helpdesk_ticket_id_ok(const char *ticket)
{
	size_t n = ticket != NULL ? strlen(ticket) : 0;

	return n > 0 && n <= 20 && strspn(ticket, "0123456789") == n;
}

int
helpdesk_request_json(struct helpdesk_request *req, const char *method, json_t *body,
		      const char *auth, const char **error_r, const char *url_fmt, ...)
{
	va_list ap;
	int n;

	memset(req, 0, sizeof(*req));
	if (body == NULL) {
		*error_r = "note too long or out of memory";
		return -1;
	}
	req->method = method;
	req->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	va_start(ap, url_fmt);
	n = vasprintf(&req->url, url_fmt, ap);
	va_end(ap);
	if (n < 0)
		req->url = NULL;
	if (auth != NULL && (req->headers[req->header_count] = strdup(auth)) != NULL)
		req->header_count++;
	if ((req->headers[req->header_count] = strdup("Content-Type: application/json")) != NULL)
		req->header_count++;
	if (req->body == NULL || req->url == NULL ||
	    req->header_count != (auth != NULL ? 2u : 1u)) {
		*error_r = "out of memory";
		helpdesk_request_clear(req);
		return -1;
	}
	return 0;
}

void
helpdesk_request_clear(struct helpdesk_request *req)
{
	size_t i;

	free(req->url);
	for (i = 0; i < req->header_count; i++)
		free(req->headers[i]);
	free(req->body);
	memset(req, 0, sizeof(*req));
}

const struct helpdesk_connector *
helpdesk_connector_get(enum webhook_kind type)
{
	switch (type) {
	case WEBHOOK_RT:
		return &helpdesk_rt_connector;
	case WEBHOOK_ZAMMAD:
		return &helpdesk_zammad_connector;
	case WEBHOOK_ZENDESK:
		return &helpdesk_zendesk_connector;
	default:
		return NULL;
	}
}

char *
helpdesk_note_text(const char *text, const char *marker)
{
	size_t len = strlen(text) + strlen(marker) + sizeof(HELPDESK_MARKER_PREFIX) + 4;
	char *out;

	if (len > HELPDESK_NOTE_MAX)
		return NULL;
	out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%s\n\n" HELPDESK_MARKER_PREFIX "%s\n", text, marker);
	return out;
}

int64_t
helpdesk_backoff(int attempts)
{
	int64_t s = HELPDESK_BACKOFF_MIN;

	while (attempts-- > 1 && s < HELPDESK_BACKOFF_MAX)
		s *= 2;
	return s > HELPDESK_BACKOFF_MAX ? HELPDESK_BACKOFF_MAX : s;
}

static const struct helpdesk_conf *
helpdesk_find(const struct helpdesk_conf *const *helpdesks, size_t count,
	      const char *channel)
{
	size_t i, plen = strlen(HELPDESK_CHANNEL_PREFIX);

	if (strncmp(channel, HELPDESK_CHANNEL_PREFIX, plen) != 0)
		return NULL;
	for (i = 0; i < count; i++)
		if (strcmp(helpdesks[i]->name, channel + plen) == 0)
			return helpdesks[i];
	return NULL;
}

static enum helpdesk_result
helpdesk_deliver(const struct helpdesk_conf *hc,
		 const struct store_outbox_item *item, bool check_first,
		 char *err, size_t err_size)
{
	const struct helpdesk_connector *conn = helpdesk_connector_get(hc->type);
	json_t *root;
	json_error_t jerr;
	const char *action, *text, *queue, *subject;
	enum helpdesk_result res = HELPDESK_FAILED;

	root = json_loads(item->payload, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		snprintf(err, err_size, "outbox payload is not a JSON object");
		goto out;
	}
	action = json_string_value(json_object_get(root, "action"));
	text = json_string_value(json_object_get(root, "text"));
	if (conn == NULL || action == NULL || text == NULL) {
		snprintf(err, err_size, "no connector, action or text");
		goto out;
	}
	if (strcmp(action, "comment") == 0) {
		struct helpdesk_note note = { .text = text, .marker = item->key };

		note.ticket = json_string_value(json_object_get(root, "ticket"));
		if (note.ticket == NULL) {
			snprintf(err, err_size, "comment without ticket");
			goto out;
		}
		res = conn->note_post(hc, &note, check_first, err, err_size);
	} else if (strcmp(action, "ticket") == 0 && conn->ticket_create != NULL) {
		struct helpdesk_new_ticket t = { .text = text, .marker = item->key };

		queue = json_string_value(json_object_get(root, "queue"));
		subject = json_string_value(json_object_get(root, "subject"));
		t.queue = queue != NULL ? queue : hc->tally_queue;
		t.subject = subject != NULL ? subject : "slaclock";
		if (t.queue == NULL) {
			snprintf(err, err_size, "ticket without queue and no tally_queue");
			goto out;
		}
		res = conn->ticket_create(hc, &t, check_first, err, err_size);
	} else
		snprintf(err, err_size, "unknown action '%s'", action);
out:
	json_decref(root);
	return res;
}

int
helpdesk_outbox_run(struct store *store,
		    const struct helpdesk_conf *const *helpdesks,
		    size_t helpdesk_count, int64_t now, const char **error_r)
{
	struct store_outbox_item item;
	const struct helpdesk_conf *hc;
	enum helpdesk_result res;
	char err[512], safe[600];
	bool found;
	int handled = 0;

	memset(&item, 0, sizeof(item));
	while (handled < HELPDESK_RUN_MAX) {
		if (store_outbox_next_channel(store, now, HELPDESK_CHANNEL_PREFIX, &item,
					      &found, error_r) < 0)
			return -1;
		if (!found)
			break;
		handled++;
		hc = helpdesk_find(helpdesks, helpdesk_count, item.channel);
		if (hc == NULL) {
			/* A helpdesk since removed from the config: keep the
			   row for when it comes back, but look again only
			   at the longest backoff. */
			log_warn("outbox %s: no [helpdesk] for channel %s; kept",
				 item.key, item.channel);
			if (store_outbox_retry(store, item.id, now + HELPDESK_BACKOFF_MAX,
					       "no such helpdesk", error_r) < 0)
				goto fail;
			store_outbox_item_clear(&item);
			continue;
		}
		/* Count the attempt before sending: if we die between
		   sending and outbox_done, attempts > 0 makes the next run
		   look for the marker first. */
		if (store_outbox_retry(store, item.id,
				       now + helpdesk_backoff(item.attempts + 1),
				       "in flight", error_r) < 0)
			goto fail;
		err[0] = '\0';
		res = helpdesk_deliver(hc, &item, item.attempts > 0, err, sizeof(err));
		log_sanitize(err, strlen(err), safe, sizeof(safe));
		if (res == HELPDESK_OK) {
			if (store_outbox_done(store, item.id, now, error_r) < 0)
				goto fail;
			log_info("outbox %s: delivered to %s", item.key, hc->name);
		} else if (res == HELPDESK_FAILED &&
			   item.attempts + 1 >= HELPDESK_ATTEMPTS_MAX) {
			log_error("outbox %s: giving up after %d attempts: %s",
				  item.key, item.attempts + 1, safe);
			if (store_outbox_done(store, item.id, now, error_r) < 0)
				goto fail;
		} else {
			log_warn("outbox %s: %s, retrying later: %s", item.key,
				 res == HELPDESK_RETRY ? "helpdesk unavailable" :
				 "rejected", safe);
			if (store_outbox_retry(store, item.id,
					       now + (res == HELPDESK_RETRY ?
						      helpdesk_backoff(item.attempts + 1) :
						      HELPDESK_BACKOFF_MAX),
					       err, error_r) < 0)
				goto fail;
			/* the retry counted one more attempt than we made */
		}
		store_outbox_item_clear(&item);
	}
	return handled;
fail:
	store_outbox_item_clear(&item);
	return -1;
}
