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
	char *text = NULL, *auth = NULL;
	int ret = -1;

	memset(req_r, 0, sizeof(*req_r));
	if (hc->url == NULL || hc->token == NULL) {
		*error_r = "helpdesk has no url or token";
		return -1;
	}
	if (!helpdesk_ticket_id_ok(note->ticket)) {
		*error_r = "ticket id is not a number";
		return -1;
	}
	if ((text = helpdesk_note_text(note->text, note->marker)) == NULL ||
	    asprintf(&auth, "Authorization: Token token=%s", hc->token) < 0) {
		auth = NULL;
		*error_r = "out of memory";
		goto out;
	}
	ret = helpdesk_request_json(req_r, "POST", json_pack("{s:I, s:s, s:s, s:s, s:b}", "ticket_id", (json_int_t)strtoll(note->ticket, NULL, 10), "body", text, "content_type", "text/plain", "type", "note", "internal", 1), auth, error_r,
				    "%s/api/v1/ticket_articles", hc->url);
out:
	free(auth);
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
