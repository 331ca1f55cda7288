/* log - the daemon's and the CLI's logging: stderr in the foreground,
 * syslog when asked. Remote text must go through log_sanitize() first.
 */
#ifndef SLACLOCK_LOG_H
#define SLACLOCK_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_init(const char *progname, bool use_syslog, enum log_level level);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy at most LEN bytes of S into OUT (size OUT_SIZE) with control
   characters and bytes that are not valid UTF-8 replaced by '?', so
   text from outside cannot forge log lines. Returns OUT. */
char *log_sanitize(const char *s, size_t len, char *out, size_t out_size);

#endif
