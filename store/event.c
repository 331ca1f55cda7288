#include "config.h"

#include <string.h>

#include "event.h"

/* The names are what the store writes into events.kind, so they are part of
   the on-disk format: never rename one, only add. */
static const char *const event_kind_names[EVENT_KIND_COUNT] = {
	[EVENT_CUSTOMER_MESSAGE] = "customer_message",
	[EVENT_AGENT_REPLY] = "agent_reply",
	[EVENT_AGENT_NOTE] = "agent_note",
	[EVENT_AUTO_REPLY] = "auto_reply",
	[EVENT_BOUNCE] = "bounce",
	[EVENT_STATUS] = "status",
	[EVENT_PRELIMINARY] = "preliminary",
	[EVENT_RESOLVED] = "resolved",
	[EVENT_ASSIGN] = "assign",
	[EVENT_PRIORITY] = "priority",
	[EVENT_COMPLAINT] = "complaint",
	[EVENT_SATISFACTION] = "satisfaction",
	[EVENT_FEEDBACK] = "feedback",
	[EVENT_PRAISE] = "praise",
};

const char *
event_kind_name(enum event_kind kind)
{
	/* The enum may be signed or unsigned depending on the compiler, so
	   compare as int to catch negative values too. */
	if ((int)kind < 0 || (int)kind >= EVENT_KIND_COUNT)
		return NULL;
	return event_kind_names[kind];
}

int
event_kind_from_name(const char *name, enum event_kind *kind_r)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < EVENT_KIND_COUNT; i++) {
		if (strcmp(name, event_kind_names[i]) == 0) {
			*kind_r = (enum event_kind)i;
			return 0;
		}
	}
	return -1;
}
