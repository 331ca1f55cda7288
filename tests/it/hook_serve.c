/* hook_serve - see hook_serve.h. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../../plugin/webhook.h"
#include "hook_serve.h"
#include "loop.h"

static void
on_term(void *ctx, int signo)
{
	loop_stop(ctx);
}

int
hook_serve(struct store *store, const char *portfile, const char *secretfile,
	   const char *own_user, char *err, size_t errlen)
{
	struct helpdesk_conf hc;
	const struct helpdesk_conf *list[1] = { &hc };
	struct webhook_settings s = { 0 };
	struct webhook_server *srv = NULL;
	struct loop *loop = NULL;
	const char *error = NULL, *what;
	FILE *f;
	int ret = -1;

	what = "helpdesk conf";
	if (helpdesk_conf_init(&hc, "rt", &error) < 0 ||
	    helpdesk_conf_key(&hc, "type", "rt", &error) < 0 ||
	    helpdesk_conf_key(&hc, "own_user", own_user, &error) < 0 ||
	    helpdesk_conf_key(&hc, "webhook_secret_file", secretfile, &error) < 0 ||
	    helpdesk_conf_finish(&hc, NULL, &error) < 0)
		goto out;
	what = "loop";
	if (loop_new(&loop, &error) < 0)
		goto out;
	s.store = store;
	s.helpdesks = list;
	s.helpdesk_count = 1;
	what = "webhook server";
	if (webhook_server_start(loop, &s, &srv, &error) < 0)
		goto out;
	what = "signals";
	if (loop_signal(loop, SIGTERM, on_term, loop, &error) < 0 ||
	    loop_signal(loop, SIGINT, on_term, loop, &error) < 0)
		goto out;
	what = portfile;
	if ((f = fopen(portfile, "w")) == NULL) {
		error = strerror(errno);
		goto out;
	}
	fprintf(f, "%u\n", webhook_server_port(srv));
	if (fclose(f) != 0) {
		error = strerror(errno);
		goto out;
	}
	what = "loop";
	if (loop_run(loop, &error) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		snprintf(err, errlen, "%s: %s", what, error);
	webhook_server_stop(&srv);
	loop_free(&loop);
	helpdesk_conf_clear(&hc);
	return ret;
}
