/* mime - find the text part of a message without building its MIME tree.
 *
 * mail.c needs one thing of the MIME structure: the first text/plain part
 * (else the first text/html one) that is not an attachment and not inside
 * an attached message, and whether a delivery report or a read receipt is
 * somewhere in it. libetpan's mailmime_parse() builds the whole tree for
 * that, parsing every header of the message with the full RFC 5322 grammar
 * and allocating per token; this module walks the same structure over the
 * bytes in place: it reads only the Content-Type, -Transfer-Encoding and
 * -Disposition fields (with libetpan's parsers for those), finds part
 * boundaries with memmem(), and never copies a part.
 *
 * It follows mailmime_parse() (libetpan 1.9) exactly, quirks included
 * (where a header block ends, which lines count as boundaries, what a
 * part without a close boundary ends at), so that slaclock reads the same
 * text out of every message as it did with the tree; tests/test_mime.c
 * compares the two over the corpora and tests/fuzz's "mime" target on
 * random input.
 */
#ifndef SLACLOCK_MIME_H
#define SLACLOCK_MIME_H

#include <stdbool.h>
#include <stddef.h>

struct mailmime_content;

struct mime_text {
	const char *data;        /* the part's body, undecoded, inside the message */
	size_t len;
	int encoding;            /* MAILMIME_MECHANISM_* */
	/* Its Content-Type; NULL for a part without one (text/plain, no
	   parameters). Owned by the mime_found. */
	struct mailmime_content *ct;
};

struct mime_found {
	struct mime_text plain;  /* data NULL when there is none */
	struct mime_text html;
	bool over;               /* more than MAIL_PARTS_MAX parts or deeper than
				    MAIL_MIME_DEPTH_MAX: the parts are not used */
	bool report;             /* a delivery report (multipart/report, or a
				    delivery-status part) */
	bool receipt;            /* a read receipt (disposition-notification) */
	/* The message's own Content-Type, as the text libetpan parsed and
	   the result (may be plain.ct or html.ct), or NULL: mail.c reads the
	   charset of its own copy of the header from it when the two are the
	   same string. */
	char *top_type;
	struct mailmime_content *top_ct;
};

/* Walk the message in BUF (LEN bytes, from its first header line).
   Returns 0 and fills *found (free with mime_found_clear()), or -1 when
   memory ran out. */
int mime_find_text(const char *buf, size_t len, struct mime_found *found);

void mime_found_clear(struct mime_found *found);

/* The value of parameter NAME (case-insensitive, as written: "charset*"
   for its RFC 2231 form) of CT, or NULL. */
const char *mime_content_param(const struct mailmime_content *ct, const char *name);

/* Decode LEN bytes of a part body in ENCODING (MAILMIME_MECHANISM_BASE64
   or _QUOTED_PRINTABLE) byte for byte as libetpan's mailmime_part_parse()
   does: base64 skips every byte outside its alphabet, padding included;
   quoted-printable turns every line break into CRLF, drops soft breaks
   and reads a bad hex digit as 0. For quoted-printable the input must not
   end with '=' or '=' and one byte (mail.c cuts those off; libetpan reads
   past the end there). Returns a malloc'ed, NUL-terminated buffer and its
   length, or NULL when memory ran out. */
char *mime_decode(int encoding, const char *in, size_t len, size_t *out_len_r);

#endif
