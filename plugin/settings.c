#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "secret.h"
#include "settings.h"

/* Errors kept, like conf.c: enough for any real file. */
#define SETTINGS_ERRORS_MAX 100

struct settings_errors {
	const char *file;
	char *text;       /* accumulated lines */
	size_t len;
	unsigned int count;
	bool nomem;
};

static void settings_error(struct settings_errors *e, unsigned int line,
			   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
settings_error(struct settings_errors *e, unsigned int line, const char *fmt, ...)
{
	char msg[1024], *n;
	int len;
	va_list ap;

	if (e->count++ >= SETTINGS_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = snprintf(NULL, 0, "%s%s:%u: %s", e->len > 0 ? "\n" : "", e->file, line, msg);
	if (len < 0 || (n = realloc(e->text, e->len + (size_t)len + 1)) == NULL) {
		e->nomem = true;
		return;
	}
	e->text = n;
	snprintf(e->text + e->len, (size_t)len + 1, "%s%s:%u: %s", e->len > 0 ? "\n" : "",
		 e->file, line, msg);
	e->len += (size_t)len;
}

/* A module's message about one key, with the key named once. */
static void
settings_key_error(struct settings_errors *e, const struct conf_section *sec,
		   const struct conf_kv *kv, const char *error)
{
	size_t klen = strlen(kv->key);
	bool named = strncmp(error, kv->key, klen) == 0 && error[klen] == ':';

	settings_error(e, kv->line, "[%s%s%s] %s%s%s", sec->type, sec->name != NULL ? " " : "",
		       sec->name != NULL ? sec->name : "", named ? "" : kv->key,
		       named ? "" : ": ", error);
}

static char *
settings_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static void
settings_imap(struct settings *s, struct settings_errors *e, bool read_secrets)
{
	const struct conf_section *sec = NULL;
	size_t n = 0, k;

	while ((sec = conf_section_next(s->conf, "imap", sec)) != NULL)
		n++;
	if (n == 0)
		return;
	if ((s->imap = calloc(n, sizeof(*s->imap))) == NULL) {
		e->nomem = true;
		return;
	}
	while ((sec = conf_section_next(s->conf, "imap", sec)) != NULL) {
		struct imap_account *a = &s->imap[s->imap_count];
		const char *error;
		bool ok = true;

		if (imap_account_init(a, sec->name, &error) < 0) {
			settings_error(e, sec->line, "%s", error);
			continue;
		}
		s->imap_count++;
		for (k = 0; k < sec->kv_count; k++) {
			if (imap_conf_key(a, sec->kvs[k].key, sec->kvs[k].value, &error) < 0) {
				settings_key_error(e, sec, &sec->kvs[k], error);
				ok = false;
			}
		}
		if (ok && imap_account_check(a, &error) < 0) {
			settings_error(e, sec->line, "[imap %s] %s", sec->name, error);
			ok = false;
		}
		if (ok && read_secrets) {
			char msg[512], *password = NULL;

			if (imap_password_read(a->password_file, &password, msg, sizeof(msg)) < 0)
				settings_error(e, sec->line, "[imap %s] %s", sec->name, msg);
			if (password != NULL) {
				explicit_bzero(password, strlen(password));
				free(password);
			}
		}
	}
}

static void
settings_helpdesks(struct settings *s, struct settings_errors *e, const char *base_dir)
{
	const struct conf_section *sec = NULL;
	size_t n = 0, k;

	while ((sec = conf_section_next(s->conf, "helpdesk", sec)) != NULL)
		n++;
	if (n == 0)
		return;
	s->helpdesks = calloc(n, sizeof(*s->helpdesks));
	s->helpdesk_ptrs = calloc(n, sizeof(*s->helpdesk_ptrs));
	if (s->helpdesks == NULL || s->helpdesk_ptrs == NULL) {
		e->nomem = true;
		return;
	}
	while ((sec = conf_section_next(s->conf, "helpdesk", sec)) != NULL) {
		struct helpdesk_conf *hc = &s->helpdesks[s->helpdesk_count];
		const char *error;
		bool ok = true;

		if (helpdesk_conf_init(hc, sec->name, &error) < 0) {
			settings_error(e, sec->line, "%s", error);
			continue;
		}
		s->helpdesk_ptrs[s->helpdesk_count] = hc;
		s->helpdesk_count++;
		for (k = 0; k < sec->kv_count; k++) {
			if (helpdesk_conf_key(hc, sec->kvs[k].key, sec->kvs[k].value, &error) < 0) {
				settings_key_error(e, sec, &sec->kvs[k], error);
				ok = false;
			}
		}
		/* finish reads the secret files: the webhook server cannot check
		   a signature without them, so they are always read */
		if (ok && helpdesk_conf_finish(hc, base_dir, &error) < 0)
			settings_error(e, sec->line, "[helpdesk %s] %s", sec->name, error);
	}
	s->webhook_enabled = true;
}

static void
settings_smtp(struct settings *s, struct settings_errors *e, bool read_secrets)
{
	const struct conf_section *sec = conf_section_next(s->conf, "smtp", NULL);
	const char *error;
	bool ok = true;
	size_t k;

	if (sec == NULL)
		return;
	if ((s->mailer = calloc(1, sizeof(*s->mailer))) == NULL ||
	    mailer_conf_init(s->mailer) < 0) {
		e->nomem = true;
		return;
	}
	for (k = 0; k < sec->kv_count; k++) {
		if (mailer_conf_key(s->mailer, sec->kvs[k].key, sec->kvs[k].value,
				    &error) < 0) {
			settings_key_error(e, sec, &sec->kvs[k], error);
			ok = false;
		}
	}
	(void)read_secrets;	/* the check reads the password file, if any */
	if (ok && mailer_conf_check(s->mailer, &error) < 0)
		settings_error(e, sec->line, "[smtp] %s", error);
}

/* "ADDRESS:PORT", "[v6]:PORT" or "PORT". */
static int
settings_listen(struct settings *s, const char *value)
{
	const char *colon = strrchr(value, ':'), *port_text = value;
	char *end;
	long port;

	if (colon != NULL) {
		const char *a = value, *b = colon;

		if (*a == '[' && b > a && b[-1] == ']') {
			a++;
			b--;
		}
		if (b == a)
			return -1;
		free(s->webhook_address);
		if ((s->webhook_address = strndup(a, (size_t)(b - a))) == NULL)
			return -1;
		port_text = colon + 1;
	}
	errno = 0;
	port = strtol(port_text, &end, 10);
	if (errno != 0 || end == port_text || *end != '\0' || port < 1 || port > 65535)
		return -1;
	s->webhook_port = (uint16_t)port;
	return 0;
}

static void
settings_webhook(struct settings *s, struct settings_errors *e)
{
	const struct conf_section *sec = conf_section_next(s->conf, "webhook", NULL);
	size_t k;

	if ((s->webhook_address = strdup(SETTINGS_DEFAULT_LISTEN)) == NULL) {
		e->nomem = true;
		return;
	}
	s->webhook_port = SETTINGS_DEFAULT_PORT;
	if (sec == NULL)
		return;
	s->webhook_enabled = true;
	for (k = 0; k < sec->kv_count; k++) {
		const struct conf_kv *kv = &sec->kvs[k];

		if (strcmp(kv->key, "listen") == 0) {
			if (settings_listen(s, kv->value) < 0)
				settings_error(e, kv->line, "[webhook] bad listen address '%s' "
					       "(expected ADDRESS:PORT or PORT)", kv->value);
		} else if (strcmp(kv->key, "enabled") == 0) {
			if (conf_parse_bool(kv->value, &s->webhook_enabled) < 0)
				settings_error(e, kv->line, "[webhook] enabled must be yes or no");
		} else {
			settings_error(e, kv->line, "unknown key '%s' in section [webhook]",
				       kv->key);
		}
	}
}

/* [daemon] comes first: when started as root, the secrets read below
   belong to the user it names. */
static void
settings_daemon(struct settings *s, struct settings_errors *e)
{
	const struct conf_section *sec = conf_section_next(s->conf, "daemon", NULL);
	size_t k;

	if (sec == NULL)
		return;
	for (k = 0; k < sec->kv_count; k++) {
		const struct conf_kv *kv = &sec->kvs[k];
		struct passwd *pw;

		if (strcmp(kv->key, "user") != 0) {
			settings_error(e, kv->line, "unknown key '%s' in section [daemon]",
				       kv->key);
			continue;
		}
		errno = 0;
		if ((pw = getpwnam(kv->value)) == NULL) {
			settings_error(e, kv->line, "[daemon] user: no user '%s'%s%s", kv->value,
				       errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
			continue;
		}
		free(s->run_as);
		if ((s->run_as = strdup(kv->value)) == NULL)
			e->nomem = true;
		s->run_as_uid = pw->pw_uid;
		s->run_as_gid = pw->pw_gid;
		if (geteuid() == 0)
			secret_allow_owner(pw->pw_uid);
	}
}

int
settings_load(const char *path, bool read_secrets, struct settings **settings_r,
	      char **errors_r)
{
	struct settings_errors e = { .file = path };
	struct settings *s;
	const char *error;
	char *base_dir = NULL;

	*settings_r = NULL;
	*errors_r = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		*errors_r = strdup("out of memory");
		return -1;
	}
	if (conf_load(path, &s->conf, errors_r) < 0) {
		free(s);
		return -1;
	}
	if (calendar_new(&s->conf->calendar, &s->cal, &error) < 0)
		settings_error(&e, 1, "calendar: %s", error);
	if ((base_dir = settings_dir_of(path)) == NULL)
		e.nomem = true;
	settings_daemon(s, &e);
	settings_imap(s, &e, read_secrets);
	settings_helpdesks(s, &e, base_dir);
	settings_smtp(s, &e, read_secrets);
	settings_webhook(s, &e);
	free(base_dir);
	if (e.count > SETTINGS_ERRORS_MAX)
		settings_error(&e, 0, "too many errors (%u)", e.count);
	if (e.nomem) {
		free(e.text);
		e.text = strdup("out of memory reading the configuration");
		e.count = 1;
	}
	if (e.count > 0) {
		*errors_r = e.text;
		settings_free(&s);
		return -1;
	}
	*settings_r = s;
	return 0;
}

void
settings_free(struct settings **sp)
{
	struct settings *s = *sp;
	size_t i;

	if (s == NULL)
		return;
	*sp = NULL;
	for (i = 0; i < s->imap_count; i++)
		imap_account_clear(&s->imap[i]);
	free(s->imap);
	for (i = 0; i < s->helpdesk_count; i++)
		helpdesk_conf_clear(&s->helpdesks[i]);
	free(s->helpdesks);
	free(s->helpdesk_ptrs);
	if (s->mailer != NULL) {
		mailer_conf_clear(s->mailer);
		free(s->mailer);
	}
	free(s->webhook_address);
	free(s->run_as);
	calendar_free(&s->cal);
	conf_free(&s->conf);
	free(s);
}

void
settings_print(const struct settings *s, FILE *out)
{
	size_t i;

	conf_print(s->conf, out);
	fputs("\n# derived by the modules\n", out);
	for (i = 0; i < s->imap_count; i++) {
		const struct imap_account *a = &s->imap[i];

		fprintf(out, "# imap %s: %s@%s port %u, %zu folder(s)\n", a->name,
			a->username, a->host, (unsigned)a->port,
			a->folder_count > 0 ? a->folder_count : 2);
	}
	for (i = 0; i < s->helpdesk_count; i++)
		fprintf(out, "# helpdesk %s: %s, webhook POST /webhook/%s\n",
			s->helpdesks[i].name, s->helpdesks[i].url != NULL ?
			s->helpdesks[i].url : "(no write-back)", s->helpdesks[i].name);
	if (s->mailer != NULL)
		fprintf(out, "# smtp: %s, from %s\n", s->mailer->url,
			s->mailer->from != NULL ? s->mailer->from : "(unset)");
	fprintf(out, "# webhook server: %s %s:%u\n", s->webhook_enabled ? "on" : "off",
		s->webhook_address, (unsigned)s->webhook_port);
	if (s->run_as != NULL)
		fprintf(out, "# slaclockd started as root runs as %s (uid %u)\n", s->run_as,
			(unsigned)s->run_as_uid);
}
