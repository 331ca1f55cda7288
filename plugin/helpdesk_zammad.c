#include "config.h"

#include <stdio.h>

#include "helpdesk.h"

static int
zammad_note_request(const struct helpdesk_conf *hc, const struct helpdesk_note *note,
		struct helpdesk_request *req_r, const char **error_r)
{
	*error_r = "not implemented";
	return -1;
}

static enum helpdesk_result
zammad_note_post(const struct helpdesk_conf *hc, const struct helpdesk_note *note,
	     bool check_first, char *err, size_t err_size)
{
	snprintf(err, err_size, "zammad write-back is not implemented");
	return HELPDESK_FAILED;
}

const struct helpdesk_connector helpdesk_zammad_connector = {
	.name = "zammad",
	.note_request = zammad_note_request,
	.note_post = zammad_note_post,
};
