/* Zammad REST: POST /api/v1/ticket_articles with type "note", internal true (API token: "Authorization: Token token=…").
 * Only the request builder so far: no server can be run here to test
 * sending against, so note_post refuses rather than guess.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "helpdesk.h"

static int
zammad_note_request(const struct helpdesk_conf *hc, const struct helpdesk_note *note,
		struct helpdesk_request *req_r, const char **error_r)
{
	char *text = NULL;
	json_t *obj = NULL;
	int ret = -1;

	memset(req_r, 0, sizeof(*req_r));
	if (hc->url == NULL || hc->token == NULL) {
		*error_r = "helpdesk has no url or token";
		goto out;
	}
	if (note->ticket == NULL || *note->ticket == '\0' || strlen(note->ticket) > 20 ||
	    strspn(note->ticket, "0123456789") != strlen(note->ticket)) {
		*error_r = "ticket id is not a number";
		goto out;
	}
	text = helpdesk_note_text(note->text, note->marker);
	obj = text != NULL ? json_pack("{s:I, s:s, s:s, s:s, s:b}", "ticket_id", (json_int_t)strtoll(note->ticket, NULL, 10), "body", text, "content_type", "text/plain", "type", "note", "internal", 1) : NULL;
	if (obj == NULL) {
		*error_r = "note too long or out of memory";
		goto out;
	}
	req_r->method = "POST";
	req_r->body = json_dumps(obj, JSON_COMPACT);
	if (asprintf(&req_r->url, "%s/api/v1/ticket_articles", hc->url) < 0)
		req_r->url = NULL;
	if (asprintf(&req_r->headers[0], "Authorization: Token token=%s", hc->token) < 0)
		req_r->headers[0] = NULL;
	else
		req_r->header_count = 1;
	req_r->headers[req_r->header_count] = strdup("Content-Type: application/json");
	if (req_r->headers[req_r->header_count] != NULL)
		req_r->header_count++;
	if (req_r->body == NULL || req_r->url == NULL || req_r->header_count != 2) {
		*error_r = "out of memory";
		helpdesk_request_clear(req_r);
		goto out;
	}
	ret = 0;
out:
	json_decref(obj);
	free(text);
	return ret;
}

static enum helpdesk_result
zammad_note_post(const struct helpdesk_conf *hc, const struct helpdesk_note *note,
	     bool check_first, char *err, size_t err_size)
{
	snprintf(err, err_size, "zammad write-back is not implemented (request builder only)");
	return HELPDESK_FAILED;
}

const struct helpdesk_connector helpdesk_zammad_connector = {
	.name = "zammad",
	.note_request = zammad_note_request,
	.note_post = zammad_note_post,
};
