/* mail_json - a parsed message as JSON, for `slaclock parse` and tests. */
#ifndef SLACLOCK_MAIL_JSON_H
#define SLACLOCK_MAIL_JSON_H

#include "mail.h"

/* The name of an auto kind: "none", "auto_reply", "bulk", "bounce". */
const char *mail_auto_name(enum mail_auto kind);

/* MSG as a JSON object (keys: message_id, in_reply_to, references, from
   {addr, name}, to, subject, date, charset, auto, reply_text, quoted,
   oversize; absent values are null). Returns a malloc'ed string (caller
   frees), NULL only when memory runs out. */
char *mail_msg_to_json(const struct mail_msg *msg);

#endif
