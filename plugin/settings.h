/* settings - the whole configuration of slaclock and slaclockd.
 *
 * conf.c reads the core ([store], [calendar], [policy], [team NAME]) and
 * keeps the module sections as written; here each module checks its own:
 *
 *   [imap NAME]      an IMAP account (plugin/imap.h)
 *   [helpdesk NAME]  a helpdesk and its webhooks (plugin/helpdesk.h)
 *   [smtp]           the mailer for alerts and digests (plugin/mailer.h)
 *   [webhook]        listen = 127.0.0.1:8099  the HTTP server's address
 *   [daemon]         user = slaclock  whom slaclockd runs as when started as
 *                    root (it drops to that user after binding)
 *
 * Every error, core or module, comes back as "file:line: message", all of
 * them at once, so `slaclock check` and `slaclockd -n` show the whole list.
 */
#ifndef SLACLOCK_SETTINGS_H
#define SLACLOCK_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "conf.h"
#include "helpdesk.h"
#include "imap.h"
#include "mailer.h"

#define SETTINGS_DEFAULT_LISTEN "127.0.0.1"
#define SETTINGS_DEFAULT_PORT 8099

struct calendar;

struct settings {
	struct conf *conf;
	struct calendar *cal;
	struct imap_account *imap;
	size_t imap_count;
	struct helpdesk_conf *helpdesks;
	size_t helpdesk_count;
	const struct helpdesk_conf **helpdesk_ptrs;  /* for webhook_settings */
	struct mailer_conf *mailer;        /* NULL without an [smtp] section */
	bool webhook_enabled;              /* a [webhook] section or a helpdesk */
	char *run_as;                      /* [daemon] user, or NULL */
	uid_t run_as_uid;
	gid_t run_as_gid;
	char *webhook_address;
	uint16_t webhook_port;
};

/* Load and check PATH. With READ_SECRETS, password and token files are
   read too (and refused when group or others may read them), as the
   daemon needs them; `slaclock check` passes true so it finds what the
   daemon would. Returns 0 and *settings_r (free with settings_free()), or
   -1 and *errors_r (malloc'ed "file:line: message" lines, caller frees). */
int settings_load(const char *path, bool read_secrets, struct settings **settings_r,
		  char **errors_r);
void settings_free(struct settings **settings);

/* conf_print() plus a summary of what the modules derived. */
void settings_print(const struct settings *settings, FILE *out);

#endif
