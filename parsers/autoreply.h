/* autoreply - is a message written by a robot?
 *
 * RFC 3834 Auto-Submitted, vendor headers (X-Autoreply, X-Autorespond,
 * X-Auto-Response-Suppress), Precedence auto_reply/bulk/junk/list, List-Id,
 * and vacation subjects in English and Chinese.
 */
#ifndef SLACLOCK_AUTOREPLY_H
#define SLACLOCK_AUTOREPLY_H

#include <stddef.h>
#include "mail.h"

/* Feed one header (name without colon, raw value) at a time; the state is
   an enum mail_auto that only ever rises in severity order of evidence. */
void autoreply_header(enum mail_auto *state, const char *name, const char *value);

/* Look at the decoded UTF-8 subject; may raise STATE to MAIL_AUTO_REPLY. */
void autoreply_subject(enum mail_auto *state, const char *subject);

#endif
