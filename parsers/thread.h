/* thread - keys that tie a message to a ticket besides the Message-ID
 * chain: the subject with reply/forward prefixes removed, and ticket
 * numbers that helpdesks put in brackets ("[#123]", "[RT #123]").
 */
#ifndef SLACLOCK_THREAD_H
#define SLACLOCK_THREAD_H

#include <stddef.h>

/* Longest subject looked at; the rest is cut off (input from outside). */
#define THREAD_SUBJECT_MAX 2048

/* SUBJECT (UTF-8) without leading Re/RE/Fwd/Fw/FW/AW/回复/答复/转发/回覆
   prefixes (ASCII ':' or full-width '：', with "[2]" counters), without
   "[External]"-style markers, with runs of white space made one space and
   no white space at either end. Returns a malloc'ed string (caller frees),
   "" for a NULL subject; NULL only when memory runs out. */
char *thread_normalize_subject(const char *subject);

/* Find a ticket tag in SUBJECT: "[#123]", "[RT #123]", "[test.example
   #123]", "[Ticket#2024010110000012]". Returns 1 and copies the ticket
   number ("123") into BUF, 0 when there is none or it does not fit SIZE. */
int thread_subject_tag(const char *subject, char *buf, size_t size);

#endif
