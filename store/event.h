/* event - the one record every source produces and the SLA engine reads.
 *
 * Events are append-only. Each carries a stable external id (Message-ID,
 * UIDVALIDITY+UID, webhook transaction id) so inserting the same one twice
 * adds nothing.
 */
#ifndef SLACLOCK_EVENT_H
#define SLACLOCK_EVENT_H

#include <stdint.h>

enum event_kind {
	EVENT_CUSTOMER_MESSAGE = 0,
	EVENT_AGENT_REPLY,          /* public reply */
	EVENT_AGENT_NOTE,           /* internal note: never stops a clock */
	EVENT_AUTO_REPLY,           /* robots: ignored by the clocks */
	EVENT_BOUNCE,
	EVENT_STATUS,               /* attrs: status */
	EVENT_PRELIMINARY,          /* preliminary solution given */
	EVENT_RESOLVED,             /* ticket solved/resolved */
	EVENT_ASSIGN,               /* attrs: owner */
	EVENT_PRIORITY,             /* attrs: severity name */
	EVENT_COMPLAINT,
	EVENT_SATISFACTION,
	EVENT_FEEDBACK,
	EVENT_PRAISE,
	EVENT_KIND_COUNT
};

#define EVENT_ID_MAX 1024     /* external ids and ticket keys */
#define EVENT_ACTOR_MAX 320   /* an address */
#define EVENT_ATTRS_MAX 4096  /* small JSON object */

struct event {
	int64_t id;               /* assigned by the store; 0 before insert */
	const char *source;       /* "maildir", "imap:INBOX", "webhook:rt" */
	const char *external_id;  /* idempotency key within the source */
	const char *ticket;       /* ticket key */
	int64_t time;             /* UTC seconds */
	const char *actor;        /* agent address, or "customer" / "system" */
	enum event_kind kind;
	const char *attrs;        /* JSON object text, or NULL */
};

/* "customer_message", ...; NULL for an out-of-range kind. */
const char *event_kind_name(enum event_kind kind);
/* 0, or -1 when NAME is no kind. */
int event_kind_from_name(const char *name, enum event_kind *kind_r);

#endif
