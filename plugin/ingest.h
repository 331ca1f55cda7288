/* ingest - from mail to events.
 *
 * A message becomes events as follows (the rules the demo and the tests
 * rely on):
 *   - Its time is when it reached the mailbox: for a Maildir file the
 *     leading number of its file name (UTC seconds; the mtime when the
 *     name has none); the Date header only as a last resort.
 *   - The sender is an agent when the From address is in a team's agent
 *     list or domain; anyone else is the customer.
 *   - Auto-replies, bulk mail and bounces become auto_reply/bounce events,
 *     which no clock looks at.
 *   - Ticket: the ticket of a known message named in In-Reply-To or
 *     References; else a helpdesk tag in the subject ("[#123]"); else the
 *     ticket the same customer's same normalised subject (Re:/回复:/Fwd:
 *     stripped) had within the last 7 days; else a new ticket keyed by
 *     this Message-ID.
 *   - An agent's reply whose new text (quotes stripped) contains a
 *     preliminary marker also yields a preliminary event; a resolved marker
 *     a resolved event.
 *   - The assignment header (default X-Assigned-To) yields an assign event;
 *     the priority header (default X-Ticket-Priority: low|normal|high|
 *     critical) a priority event.
 * External ids are the Message-ID (or "sha256:<hex>" of the message when it
 * has none), so the same mail ingested twice, from any source, adds nothing.
 */
#ifndef SLACLOCK_INGEST_H
#define SLACLOCK_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "conf.h"
#include "event.h"
#include "mail.h"

struct store;

struct ingest_stats {
	uint64_t files;        /* messages read */
	uint64_t events;       /* events newly stored */
	uint64_t duplicates;   /* events already stored */
	uint64_t failed;       /* files that could not be read or parsed */
	uint64_t bytes;
};

/* The headers ingest_message() reads from mail_msg.extra_values, in
   order: fill EXTRA and OPTS before mail_parse() so every source asks for
   the same ones. */
#define INGEST_EXTRA_COUNT 3
void ingest_parse_opts(const struct conf *conf, const char *extra[INGEST_EXTRA_COUNT],
		       struct mail_parse_opts *opts);

/* What ingest_message() works out from a message alone, without the
   store: any thread may fill it (the parse threads do), so the one thread
   that writes the store does not. */
struct ingest_prep {
	char own_id[EVENT_ID_MAX];      /* Message-ID, or sha256 of the bytes */
	char subject_key[EVENT_ID_MAX]; /* customer + normalised subject */
	char tag[64];                   /* the subject's helpdesk tag */
	bool own;                       /* our own alert or digest: skip it */
	bool agent;                     /* sent by a configured agent */
	bool have_key, have_tag;
	bool preliminary, resolved;     /* the agent's text carries a marker */
};
void ingest_prepare(const struct conf *conf, const char *raw, size_t raw_len,
		    const struct mail_msg *msg, struct ingest_prep *prep);

/* Turn one parsed message delivered at DELIVERED into events in STORE
   (inside the caller's transaction). 0 or -1 with *error_r.
   ingest_message_prepared() takes what ingest_prepare() found for MSG. */
int ingest_message(const struct conf *conf, struct store *store,
		   const char *source, const char *raw, size_t raw_len,
		   const struct mail_msg *msg, int64_t delivered,
		   struct ingest_stats *stats, const char **error_r);
int ingest_message_prepared(const struct conf *conf, struct store *store,
			    const char *source, const struct mail_msg *msg,
			    const struct ingest_prep *prep, int64_t delivered,
			    struct ingest_stats *stats, const char **error_r);

/* Ingest every message of the Maildir (and its Maildir++ subfolders) at
   DIR in delivery order, in batched transactions. A file that cannot be
   parsed is counted and logged, never fatal. 0 or -1 with *error_r. */
int ingest_maildir(const struct conf *conf, struct store *store,
		   const char *dir, struct ingest_stats *stats,
		   const char **error_r);

/* Ingest every message of the mbox file PATH (mboxo/mboxrd: a message
   starts at a "From " line at the top or after an empty line), in the
   order of the times on those lines, in batched transactions. 0 or -1
   with *error_r (not an mbox, unreadable, a store error). */
int ingest_mbox(const struct conf *conf, struct store *store, const char *path,
		struct ingest_stats *stats, const char **error_r);

/* Read a message file, at most MAIL_SIZE_MAX + 1 bytes of it (enough for
   the parser to see that it is over the cap). Returns malloc'ed bytes,
   NUL-terminated, and their count in *len_r; NULL with *error_r. */
char *ingest_read_file(const char *path, size_t *len_r, const char **error_r);

/* The delivery time encoded in a Maildir file name, or -1 when the name
   carries none. */
int64_t ingest_maildir_time(const char *filename);

#endif
