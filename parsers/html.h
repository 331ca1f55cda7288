/* html - HTML mail bodies turned into plain text with libxml2.
 *
 * Block elements become line breaks, script/style/head are dropped, and
 * the containers mail clients put quoted history in (<blockquote>, Gmail
 * "gmail_quote", Outlook "divRplyFwdMsg"/"appendonsend", Thunderbird
 * "moz-cite-prefix", Yahoo, NetEase and QQ quote divs) come out with "> "
 * in front of every line, so the reply extractor can cut them like any
 * other quote.
 */
#ifndef SLACLOCK_HTML_H
#define SLACLOCK_HTML_H

#include <stdbool.h>
#include <stddef.h>

/* Caps on the input (bytes) and the text produced. */
#define HTML_INPUT_MAX (16u * 1024 * 1024)
#define HTML_TEXT_MAX (1u * 1024 * 1024)
#define HTML_DEPTH_MAX 256

/* Leave quote containers out instead of prefixing them with "> ". */
#define HTML_TEXT_CUT_QUOTES 0x1u

/* Convert LEN bytes of UTF-8 HTML at HTML to text (UTF-8). *quoted_r (if
   not NULL) says whether any quote container was seen. Returns a malloc'ed
   string (caller frees), "" for input libxml2 cannot make a tree of; NULL
   only when memory runs out. */
char *html_to_text(const char *html, size_t len, unsigned int flags,
		   bool *quoted_r);

/* libxml2's global state: once before html_to_text() runs in more than
   one thread. */
void html_init(void);

#endif
