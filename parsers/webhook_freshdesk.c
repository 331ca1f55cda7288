#include "config.h"

#include "webhook.h"

int
webhook_freshdesk_parse(const struct webhook_opts *opts, json_t *root,
		 struct webhook_result *result, const char **error_r)
{
	*error_r = "freshdesk payloads are not supported yet";
	return -1;
}
