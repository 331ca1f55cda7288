/* charset - conversion of mail text to UTF-8 with iconv.
 *
 * Mail names charsets loosely: gb2312, gbk, x-gbk and cp936 text is very
 * often really GB18030, so all of them are decoded as GB18030. Invalid
 * bytes become U+FFFD; a conversion never fails as a whole.
 */
#ifndef SLACLOCK_CHARSET_H
#define SLACLOCK_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

/* The iconv name to use for a MIME charset label (case-insensitive);
   returns LABEL itself when no alias applies. Never NULL. */
const char *charset_canonical(const char *label);

/* Convert LEN bytes of IN from CHARSET (a MIME label, NULL = unknown) to
   UTF-8. Input that is valid UTF-8 is kept as it is under any label but
   the 7-bit ones (UTF-7, ISO-2022-*, HZ): webmailers re-encode and keep
   the old label. With an unknown or NULL charset: valid UTF-8 is kept, otherwise
   GB18030 is tried, then Latin-1. Returns a malloc'ed NUL-terminated string
   (caller frees) and its length in *out_len_r if not NULL; NULL only when
   memory runs out. */
char *charset_to_utf8(const char *charset, const char *in, size_t len,
		      size_t *out_len_r);

/* Whether LEN bytes at S are valid UTF-8. */
bool charset_is_utf8(const char *s, size_t len);

#endif
