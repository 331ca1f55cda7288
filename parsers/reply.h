/* reply - the new text of a reply, without quoted history or signature.
 *
 * Works line by line in one pass over the text (no backtracking regular
 * expressions): lines quoted with '>' and the attribution line above them
 * ("On ... wrote:", 「在 ... 写道：」) are dropped; at the first separator
 * that introduces unquoted history (Outlook "-----Original Message-----"
 * and From:/Sent:/To:/Subject: blocks, 「-----原始邮件-----」, Foxmail/QQ
 * 「------------------ 原始邮件 ------------------」, "------------------
 * Original ------------------", 「发件人: ... 发送时间: ...」 blocks, an
 * attribution line not followed by '>' quotes) or signature ("-- ",
 * 「发自我的iPhone」, "Sent from my iPhone") the rest is cut.
 */
#ifndef SLACLOCK_REPLY_H
#define SLACLOCK_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* Cap on the text looked at (input from outside); the rest is cut. */
#define REPLY_TEXT_MAX (1u * 1024 * 1024)
/* An attribution or header line longer than this is ordinary text. */
#define REPLY_HEADER_LINE_MAX 400

/* Extract the new text from LEN bytes of UTF-8 TEXT. Returns a malloc'ed
   string (caller frees; may be "") and sets *quoted_r (if not NULL) when
   anything was cut; NULL only when memory runs out. */
char *reply_extract(const char *text, size_t len, bool *quoted_r);

#endif
