/* Zendesk Tickets API: PUT /api/v2/tickets/{id}.json with a private comment (OAuth token: "Authorization: Bearer …").
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
zendesk_note_request(const struct helpdesk_conf *hc, const struct helpdesk_note *note,
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
	    asprintf(&auth, "Authorization: Bearer %s", hc->token) < 0) {
		auth = NULL;
		*error_r = "out of memory";
		goto out;
	}
	ret = helpdesk_request_json(req_r, "PUT", json_pack("{s:{s:{s:s, s:b}}}", "ticket", "comment", "body", text, "public", 0), auth, error_r,
				    "%s/api/v2/tickets/%s.json", hc->url, note->ticket);
out:
	free(auth);
	free(text);
	return ret;
}

static enum helpdesk_result
zendesk_note_post(const struct helpdesk_conf *hc, const struct helpdesk_note *note,
	     bool check_first, char *err, size_t err_size)
{
	snprintf(err, err_size, "zendesk write-back is not implemented (request builder only)");
	return HELPDESK_FAILED;
}

const struct helpdesk_connector helpdesk_zendesk_connector = {
	.name = "zendesk",
	.note_request = zendesk_note_request,
	.note_post = zendesk_note_post,
};
