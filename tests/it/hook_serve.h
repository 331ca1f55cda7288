/* hook_serve - an RT webhook endpoint as the daemon runs it (libmicrohttpd
 * on the loop, events into the store), for the programs that need one
 * without the rest of slaclockd: tests/it/rt_driver (a real RT calls it)
 * and bench/bench_webhook (the load generator does).
 */
#ifndef SLACLOCK_HOOK_SERVE_H
#define SLACLOCK_HOOK_SERVE_H

#include <stddef.h>

#include "store.h"

/* Serve the helpdesk "rt" (OWN_USER's own changes ignored, requests
 * signed with the secret in SECRETFILE) on a free loopback port, written
 * to PORTFILE, until SIGTERM or SIGINT. 0, or -1 and why in ERR. */
int hook_serve(struct store *store, const char *portfile, const char *secretfile,
	       const char *own_user, char *err, size_t errlen);

#endif
