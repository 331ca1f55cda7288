/* mailmsg - build the RFC 5322 / MIME messages slaclock sends.
 *
 * Pure: a description in, the message bytes out, no I/O. Every line ends
 * in CRLF and is at most MAILMSG_LINE_MAX octets (header lines are folded
 * at 78); non-ASCII header text is written as RFC 2047 UTF-8 encoded-words;
 * bodies are UTF-8, quoted-printable when mostly ASCII, else base64.
 * Dot-stuffing is the SMTP client's business (libcurl does it).
 *
 * Every message carries
 *   Auto-Submitted: auto-generated   (RFC 3834: responders stay quiet)
 *   Precedence: bulk                 (older responders)
 *   X-Slaclock-Id: <outbox key>      (ingest drops mail carrying it)
 * and a Message-ID derived from the outbox key, so a message rebuilt for
 * the same key has the same id.
 *
 * Structure: text only -> text/plain; text + HTML -> multipart/alternative;
 * with an attachment -> multipart/mixed around either of those.
 */
#ifndef SLACLOCK_MAILMSG_H
#define SLACLOCK_MAILMSG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Header lines are folded at MAILMSG_FOLD; no line exceeds MAILMSG_LINE_MAX
   (RFC 5322 2.1.1, without the CRLF). */
#define MAILMSG_FOLD 78
#define MAILMSG_LINE_MAX 998
#define MAILMSG_RCPTS_MAX 256
/* Caps on what we are given: a subject, a body, an attachment. */
#define MAILMSG_SUBJECT_MAX 1024
#define MAILMSG_BODY_MAX (8u * 1024 * 1024)
#define MAILMSG_HEADER_NAME "X-Slaclock-Id"

struct mailmsg_attachment {
	const char *filename;       /* UTF-8; RFC 2231 encoded when not ASCII */
	const char *content_type;   /* "text/csv; charset=utf-8" */
	const char *data;
	size_t len;
};

struct mailmsg {
	const char *from;           /* addr-spec of the sender */
	const char *from_name;      /* display name, UTF-8, may be NULL */
	const char *const *to;      /* addr-specs */
	size_t to_count;
	const char *subject;        /* UTF-8 */
	const char *key;            /* the outbox key: X-Slaclock-Id, Message-ID */
	int64_t date;               /* UTC seconds for the Date header */
	const char *text;           /* UTF-8 text/plain body, required */
	const char *html;           /* UTF-8 text/html body, or NULL */
	const struct mailmsg_attachment *attachment; /* or NULL */
};

/* Build MSG. Returns 0 and *out_r (malloc'ed, NUL-terminated, the caller
   frees) with *len_r octets, or -1 with *error_r (static string) when MSG
   is incomplete or over a cap. */
int mailmsg_build(const struct mailmsg *msg, char **out_r, size_t *len_r,
		  const char **error_r);

/* The Message-ID (without <>) mailmsg_build() gives KEY from FROM:
   "slaclock.<32 hex of SHA-256(key)>@<domain of from>". BUF holds at
   least MAILMSG_ID_MAX bytes. */
#define MAILMSG_ID_MAX 320
void mailmsg_message_id(const char *key, const char *from, char buf[MAILMSG_ID_MAX]);

/* Write TEXT as a header value of NAME ("Subject"), with non-ASCII words as
   RFC 2047 UTF-8 B encoded-words and the line folded at MAILMSG_FOLD. The
   result ("Subject: ...\r\n") is appended to OUT. */
void mailmsg_write_header(FILE *out, const char *name, const char *text);

#endif
