/* mime_ref - the reference parsers/mime.c is held to: libetpan's
 * mailmime_parse() and the walk mail.c did over its tree until mime.c
 * replaced it. Test code only. */
#ifndef SLACLOCK_MIME_REF_H
#define SLACLOCK_MIME_REF_H

#include <stdbool.h>
#include <stdio.h>

#include "mime.h"

struct mime_ref_text {
	bool found;
	const char *data;
	size_t len;
	int encoding;
	char charset[64];
	char charset_star[64];
};

/* What either walk found, in one comparable form. */
struct mime_ref {
	struct mime_ref_text plain;
	struct mime_ref_text html;
	bool over;
	bool report;
	bool receipt;
};

/* libetpan's tree for BUF. Returns -1 when mailmime_parse() fails (then
   mail.c used no part at all). */
int mime_ref_find(const char *buf, size_t len, struct mime_ref *ref);

/* mime_find_text()'s result in the same form. */
void mime_ref_of(const struct mime_found *f, struct mime_ref *ref);

/* Whether A and B agree; WHY says how not. */
bool mime_ref_same(const struct mime_ref *a, const struct mime_ref *b,
		   char *why, size_t whylen);

/* Whether mime_decode() gives what libetpan's mailmime_part_parse() does
   for LEN bytes at IN in ENCODING, after the cut mail.c makes for
   quoted-printable; WHY says how not. */
bool mime_ref_decode_same(int encoding, const char *in, size_t len, char *why,
			  size_t whylen);

#endif
