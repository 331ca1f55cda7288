/* mail - one RFC 5322 / MIME message, parsed into the facts slaclock needs.
 *
 * Pure: bytes in, a record out, no I/O. Headers are decoded to UTF-8
 * (RFC 2047 encoded-words; raw 8-bit headers as UTF-8, else GB18030). The
 * body is the first text part (text/plain preferred, else text/html turned
 * into text), decoded from its transfer encoding and charset to UTF-8.
 */
#ifndef SLACLOCK_MAIL_H
#define SLACLOCK_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps on a message, an input from outside. */
#define MAIL_SIZE_MAX (50u * 1024 * 1024)
#define MAIL_MIME_DEPTH_MAX 32
#define MAIL_HEADERS_MAX 1000
#define MAIL_PARTS_MAX 1000
/* A longer References list is cut to its first id and the newest ones;
   that alone does not set oversize. */
#define MAIL_REFERENCES_MAX 128
#define MAIL_BODY_TEXT_MAX (1u * 1024 * 1024)
/* To+Cc addresses kept; the rest are dropped without setting oversize. */
#define MAIL_ADDRS_MAX 256

enum mail_auto {
	MAIL_AUTO_NONE = 0,
	MAIL_AUTO_REPLY,    /* vacation, "received your mail", RFC 3834 auto-replied,
			       read receipts (disposition-notification) */
	MAIL_AUTO_BULK,     /* Precedence bulk/junk/list, List-Id */
	MAIL_AUTO_BOUNCE,   /* multipart/report delivery status, mailer-daemon */
};

struct mail_msg {
	char *message_id;        /* without <>, NULL when absent */
	char *in_reply_to;       /* first id, without <>, or NULL */
	char **references;       /* ids without <>, oldest first */
	size_t reference_count;
	char *from_addr;         /* lower-cased addr-spec, or NULL */
	char *from_name;         /* display name, UTF-8, or NULL */
	char *subject;           /* UTF-8, or NULL */
	int64_t date;            /* Date header as UTC seconds, 0 when absent/invalid */
	char *charset;           /* charset of the body part as labelled, or NULL */
	char *body;              /* UTF-8 text of the first text part, or NULL;
				    HTML quote containers come out as "> " lines */
	size_t body_len;
	enum mail_auto auto_kind;
	bool oversize;           /* over a cap: only the headers were parsed,
				    or the body text was cut at
				    MAIL_BODY_TEXT_MAX */
	/* Headers the caller asked for by name (see mail_parse_opts), UTF-8
	   values or NULL, in the same order. */
	char **extra_values;
	/* The new text of a reply: body without quoted history and
	   signature (see reply.h), or NULL without a body. */
	char *reply_text;
	bool quoted;             /* something was cut from body for reply_text */
	char **to_addrs;         /* lower-cased To and Cc addr-specs */
	size_t to_count;
	size_t extra_count;      /* entries in extra_values */
};

struct mail_parse_opts {
	const char *const *extra_headers; /* e.g. "X-Assigned-To"; may be NULL */
	size_t extra_header_count;
};

/* Parse LEN bytes at BUF. Returns 0 and fills *msg (free with
   mail_msg_clear()), or -1 with *error_r (static string) when the input is
   not a message at all (no "Name:" header line at the start, after blank
   lines and an mbox "From " line) or memory ran out. A message over a cap
   is not an error: it comes back with oversize set and whatever headers
   were read. */
int mail_parse(const char *buf, size_t len, const struct mail_parse_opts *opts,
	       struct mail_msg *msg, const char **error_r);

void mail_msg_clear(struct mail_msg *msg);

/* Sets up the libraries' global state (libxml2's). mail_parse() may run in
   several threads at once after one call of this; calling it again is
   harmless. */
void mail_init(void);

/* Decode one header value with RFC 2047 encoded-words (and raw 8-bit text)
   to UTF-8. Returns a malloc'ed string, NULL only on allocation failure. */
char *mail_decode_header(const char *value, size_t len);

#endif
