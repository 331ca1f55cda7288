/* secret - reading password, token and key files named in slaclock.conf.
 *
 * One rule for every secret (IMAP and SMTP passwords, helpdesk tokens,
 * webhook keys): a regular file, not a symbolic link, owned by the user
 * slaclock runs as (or, for a daemon started as root, the user it drops to), that neither group nor others may access (mode 0600 or
 * 0400). Anything else is refused with the path and the reason, because a
 * secret others can read is no secret, and a file someone else owns can be
 * swapped under us.
 */
#ifndef SLACLOCK_SECRET_H
#define SLACLOCK_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SECRET_ERROR_MAX 512

/* Read PATH (relative to BASE_DIR when not absolute and BASE_DIR is not
   NULL), at most MAX bytes, trailing line breaks dropped. With ONE_LINE
   the content must be one non-empty line (a password). Returns 0 with
   *data_r (malloc'ed, NUL-terminated; wipe with secret_free()) and *len_r,
   or -1 with a message naming the file in ERROR (ERROR_SIZE bytes). */
int secret_read(const char *base_dir, const char *path, size_t max, bool one_line,
		char **data_r, size_t *len_r, char *error, size_t error_size);

/* Also accept files owned by UID: a daemon started as root reads the
   secrets of the user it will run as (see [daemon] user). */
void secret_allow_owner(uid_t uid);

/* Wipe and free a secret read by secret_read(); sets *data to NULL. */
void secret_free(char **data, size_t len);

#endif
