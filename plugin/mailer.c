#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mailer.h"
#include "secret.h"
#include "store.h"

#define MAILER_TIMEOUT_DEFAULT 60
#define MAILER_TIMEOUT_MAX 3600
/* A failure reason: curl's message, or ours naming a refused certificate. */
#define MAILER_REASON_MAX 1024

static int
mailer_set(char **field, const char *value)
{
	char *n = strdup(value);

	if (n == NULL)
		return -1;
	free(*field);
	*field = n;
	return 0;
}

int
mailer_conf_init(struct mailer_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->starttls = true;
	conf->tls_verify = true;
	conf->alert_interval = 300;
	conf->alert_max_age = 7 * 86400;
	conf->digest_day = 1;
	conf->digest_time = 9 * 3600;
	conf->timeout = MAILER_TIMEOUT_DEFAULT;
	conf->escalation_count = 1;
	conf->escalations[0].after = 0;
	if ((conf->escalations[0].to = strdup("lead")) == NULL ||
	    (conf->from_name = strdup("slaclock")) == NULL) {
		mailer_conf_clear(conf);
		return -1;
	}
	{
		/* POSIX's order for LC_MESSAGES: the first one set decides. */
		static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
		const char *lang = NULL;
		size_t i;

		for (i = 0; i < 3 && (lang == NULL || lang[0] == '\0'); i++)
			lang = getenv(vars[i]);
		if (lang != NULL && strncmp(lang, "zh", 2) == 0)
			conf->language = MAILER_LANG_ZH;
	}
	return 0;
}

void
mailer_conf_clear(struct mailer_conf *conf)
{
	size_t i;

	free(conf->url);
	free(conf->ca_file);
	free(conf->pinned_pubkey);
	free(conf->username);
	free(conf->password_file);
	if (conf->password != NULL)
		explicit_bzero(conf->password, strlen(conf->password));
	free(conf->password);
	free(conf->from);
	free(conf->from_name);
	for (i = 0; i < conf->hr_count; i++)
		free(conf->hr[i]);
	free(conf->hr);
	for (i = 0; i < MAILER_ESCALATIONS_MAX; i++)
		free(conf->escalations[i].to);
	free(conf->ticket_url);
	for (i = 0; i < conf->rcpt_language_count; i++)
		free(conf->rcpt_languages[i].addr);
	free(conf->rcpt_languages);
	memset(conf, 0, sizeof(*conf));
}

/* A plain addr-spec: local@domain, no blanks, brackets or controls. */
static bool
mailer_addr_ok(const char *a)
{
	const char *at = strchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strlen(a) > 254)
		return false;
	for (; *a != '\0'; a++)
		if ((unsigned char)*a <= ' ' || (unsigned char)*a >= 0x7f ||
		    strchr("<>()[],;:\\\"", *a) != NULL)
			return false;
	return true;
}

static int
mailer_hr(struct mailer_conf *conf, const char *value, const char **error_r)
{
	char *copy = strdup(value), *tok, *save = NULL;
	int ret = -1;

	if (copy == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char **n, *p;

		if (!mailer_addr_ok(tok)) {
			*error_r = "hr: not an address";
			goto out;
		}
		if (conf->hr_count == MAILER_HR_MAX) {
			*error_r = "hr: too many addresses";
			goto out;
		}
		if ((n = realloc(conf->hr, (conf->hr_count + 1) * sizeof(*n))) == NULL ||
		    (conf->hr = n, (p = strdup(tok)) == NULL)) {
			*error_r = "out of memory";
			goto out;
		}
		for (char *c = p; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		conf->hr[conf->hr_count++] = p;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

static int
mailer_language_parse(const char *value, enum mailer_language *lang_r)
{
	if (strcmp(value, "en") == 0 || strcmp(value, "en_US") == 0)
		*lang_r = MAILER_LANG_EN;
	else if (strcmp(value, "zh") == 0 || strcmp(value, "zh_CN") == 0)
		*lang_r = MAILER_LANG_ZH;
	else
		return -1;
	return 0;
}

/* "ADDR LANG, ADDR LANG, ..."; a later entry for an address wins. */
static int
mailer_rcpt_languages(struct mailer_conf *conf, const char *value, const char **error_r)
{
	char *copy = strdup(value), *item, *save = NULL;
	int ret = -1;

	if (copy == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *addr, *lang, *rest = NULL, *p;
		struct mailer_rcpt_language *n;
		enum mailer_language l;

		addr = strtok_r(item, " \t", &rest);
		lang = strtok_r(NULL, " \t", &rest);
		if (addr == NULL || lang == NULL || strtok_r(NULL, " \t", &rest) != NULL ||
		    !mailer_addr_ok(addr) || mailer_language_parse(lang, &l) < 0) {
			*error_r = "recipient_language: expected ADDRESS en|zh, ...";
			goto out;
		}
		if (conf->rcpt_language_count == MAILER_HR_MAX) {
			*error_r = "recipient_language: too many addresses";
			goto out;
		}
		if ((n = realloc(conf->rcpt_languages,
				 (conf->rcpt_language_count + 1) * sizeof(*n))) == NULL ||
		    (conf->rcpt_languages = n, (p = strdup(addr)) == NULL)) {
			*error_r = "out of memory";
			goto out;
		}
		for (char *c = p; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		n[conf->rcpt_language_count].addr = p;
		n[conf->rcpt_language_count++].language = l;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

enum mailer_language
mailer_language_for(const struct mailer_conf *conf, const char *addr)
{
	size_t i = conf->rcpt_language_count;

	if (addr != NULL)
		while (i-- > 0)
			if (strcasecmp(conf->rcpt_languages[i].addr, addr) == 0)
				return conf->rcpt_languages[i].language;
	return conf->language;
}

/* "DELAY RECIPIENT", e.g. "24h head@example.com" or "0 lead". */
static int
mailer_escalation(struct mailer_conf *conf, size_t level, const char *value,
		  const char **error_r)
{
	char delay[64];
	const char *sp = strpbrk(value, " \t"), *to;
	struct mailer_escalation *e = &conf->escalations[level];

	if (sp == NULL || (size_t)(sp - value) >= sizeof(delay)) {
		*error_r = "escalate: expected DELAY RECIPIENT, e.g. \"24h head@example.com\"";
		return -1;
	}
	memcpy(delay, value, (size_t)(sp - value));
	delay[sp - value] = '\0';
	for (to = sp; *to == ' ' || *to == '\t'; to++)
		;
	if (conf_parse_duration(delay, &e->after) < 0 || e->after < 0) {
		*error_r = "escalate: invalid delay";
		return -1;
	}
	if (strcmp(to, "lead") != 0 && !mailer_addr_ok(to)) {
		*error_r = "escalate: recipient must be \"lead\" or one address";
		return -1;
	}
	if (mailer_set(&e->to, to) < 0) {
		*error_r = "out of memory";
		return -1;
	}
	if (level + 1 > conf->escalation_count)
		conf->escalation_count = level + 1;
	return 0;
}

/* curl's "sha256//" pins, base64 of 32 bytes each, ';'-separated. */
static int
mailer_pin_ok(const char *v)
{
	for (;;) {
		size_t n;

		if (strncmp(v, "sha256//", 8) != 0)
			return -1;
		v += 8;
		n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
		if (n != 44 || v[43] != '=' || v[42] == '=')
			return -1;
		v += n;
		if (*v == '\0')
			return 0;
		if (*v++ != ';')
			return -1;
	}
}

static int
mailer_time_of_day(const char *value, int *secs_r)
{
	int h, m;
	char end;

	if (sscanf(value, "%2d:%2d%c", &h, &m, &end) != 2 || h < 0 || h > 23 ||
	    m < 0 || m > 59)
		return -1;
	*secs_r = h * 3600 + m * 60;
	return 0;
}

int
mailer_conf_key(struct mailer_conf *conf, const char *key, const char *value,
		const char **error_r)
{
	int64_t secs;

	if (strlen(value) > MAILER_VALUE_MAX) {
		*error_r = "value too long";
		return -1;
	}
	if (strcmp(key, "url") == 0) {
		if (strncmp(value, "smtp://", 7) != 0 && strncmp(value, "smtps://", 8) != 0) {
			*error_r = "url: must start with smtp:// or smtps://";
			return -1;
		}
		return mailer_set(&conf->url, value) < 0 ? (*error_r = "out of memory", -1) : 0;
	}
	if (strcmp(key, "starttls") == 0 || strcmp(key, "tls_verify") == 0 ||
	    strcmp(key, "privacy_show_customers") == 0) {
		bool *b = key[0] == 's' ? &conf->starttls :
			key[0] == 't' ? &conf->tls_verify : &conf->privacy_show_customers;

		if (conf_parse_bool(value, b) < 0) {
			*error_r = "expected yes or no";
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "ca_file") == 0 || strcmp(key, "username") == 0 ||
	    strcmp(key, "password_file") == 0 || strcmp(key, "from_name") == 0 ||
	    strcmp(key, "ticket_url") == 0) {
		char **f = strcmp(key, "ca_file") == 0 ? &conf->ca_file :
			strcmp(key, "username") == 0 ? &conf->username :
			strcmp(key, "password_file") == 0 ? &conf->password_file :
			strcmp(key, "from_name") == 0 ? &conf->from_name : &conf->ticket_url;

		if (f == &conf->ticket_url) {
			const char *pct = strstr(value, "%s");

			if (pct == NULL || strchr(pct + 2, '%') != NULL ||
			    strchr(value, '%') != pct) {
				*error_r = "ticket_url: must hold exactly one %s and no other %";
				return -1;
			}
		}
		return mailer_set(f, value) < 0 ? (*error_r = "out of memory", -1) : 0;
	}
	if (strcmp(key, "pinned_pubkey") == 0) {
		if (mailer_pin_ok(value) < 0) {
			*error_r = "pinned_pubkey: expected sha256//BASE64 (44 characters), ';'-separated";
			return -1;
		}
		return mailer_set(&conf->pinned_pubkey, value) < 0 ?
			(*error_r = "out of memory", -1) : 0;
	}
	if (strcmp(key, "from") == 0) {
		if (!mailer_addr_ok(value)) {
			*error_r = "from: not an address";
			return -1;
		}
		return mailer_set(&conf->from, value) < 0 ? (*error_r = "out of memory", -1) : 0;
	}
	if (strcmp(key, "hr") == 0)
		return mailer_hr(conf, value, error_r);
	if (strcmp(key, "alert_interval") == 0 || strcmp(key, "alert_max_age") == 0 ||
	    strcmp(key, "timeout") == 0) {
		if (conf_parse_duration(value, &secs) < 0 || secs <= 0 ||
		    (key[0] == 't' && secs > MAILER_TIMEOUT_MAX)) {
			*error_r = "invalid duration";
			return -1;
		}
		if (strcmp(key, "alert_interval") == 0)
			conf->alert_interval = secs;
		else if (key[0] == 't')
			conf->timeout = secs;
		else
			conf->alert_max_age = secs;
		return 0;
	}
	if (strncmp(key, "escalate", 8) == 0 && key[8] >= '1' &&
	    key[8] < '1' + MAILER_ESCALATIONS_MAX && key[9] == '\0')
		return mailer_escalation(conf, (size_t)(key[8] - '1'), value, error_r);
	if (strcmp(key, "digest_day") == 0) {
		char *end;
		long d = strtol(value, &end, 10);

		/* Up to 28 so that every month has the day. */
		if (*end != '\0' || d < 1 || d > 28) {
			*error_r = "digest_day: a day from 1 to 28";
			return -1;
		}
		conf->digest_day = (int)d;
		return 0;
	}
	if (strcmp(key, "digest_time") == 0) {
		if (mailer_time_of_day(value, &conf->digest_time) < 0) {
			*error_r = "digest_time: expected HH:MM";
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "language") == 0) {
		if (mailer_language_parse(value, &conf->language) < 0) {
			*error_r = "language: en or zh";
			return -1;
		}
		conf->language_set = true;
		return 0;
	}
	if (strcmp(key, "recipient_language") == 0)
		return mailer_rcpt_languages(conf, value, error_r);
	*error_r = "unknown key in [smtp]";
	return -1;
}

static bool
mailer_url_loopback(const char *url)
{
	const char *host = strstr(url, "://");

	if (host == NULL)
		return false;
	host += 3;
	return strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0 ||
		strncmp(host, "[::1]", 5) == 0;
}

static int
mailer_read_password(struct mailer_conf *conf, const char **error_r)
{
	static _Thread_local char error[SECRET_ERROR_MAX];
	size_t len;

	if (conf->password != NULL) {
		explicit_bzero(conf->password, strlen(conf->password));
		free(conf->password);
		conf->password = NULL;
	}
	if (secret_read(NULL, conf->password_file, MAILER_PASSWORD_MAX, true,
			&conf->password, &len, error, sizeof(error)) < 0) {
		*error_r = error;
		return -1;
	}
	return 0;
}

int
mailer_conf_check(struct mailer_conf *conf, const char **error_r)
{
	bool tls;

	if (conf->url == NULL || conf->from == NULL) {
		*error_r = "[smtp] needs url and from";
		return -1;
	}
	tls = strncmp(conf->url, "smtps://", 8) == 0 || conf->starttls;
	if (conf->pinned_pubkey != NULL && !tls) {
		*error_r = "[smtp] pinned_pubkey needs TLS (smtps:// or starttls = yes)";
		return -1;
	}
	if (conf->username != NULL && conf->password_file == NULL) {
		*error_r = "[smtp] username needs password_file";
		return -1;
	}
	if (conf->username != NULL && !tls && !mailer_url_loopback(conf->url)) {
		*error_r = "[smtp] refusing to send a password without TLS";
		return -1;
	}
	if (conf->password_file != NULL && mailer_read_password(conf, error_r) < 0)
		return -1;
	return 0;
}

struct mailer_upload {
	const char *data;
	size_t len, off;
};

static size_t
mailer_read_cb(char *buf, size_t size, size_t nmemb, void *ctx)
{
	struct mailer_upload *u = ctx;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

static void
mailer_reason(char *err, size_t err_size, long code, CURLcode res, const char *curl_err)
{
	char raw[MAILER_REASON_MAX + 64];

	snprintf(raw, sizeof(raw), "%s (SMTP %ld, curl %d)",
		 curl_err[0] != '\0' ? curl_err : curl_easy_strerror(res), code, (int)res);
	log_sanitize(raw, strlen(raw), err, err_size);
}

/* The host of URL, for messages. */
static void
mailer_url_host(const char *url, char *buf, size_t size)
{
	CURLU *u = curl_url();
	char *host = NULL;

	snprintf(buf, size, "?");
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		snprintf(buf, size, "%s", host);
	curl_free(host);
	curl_url_cleanup(u);
}

/* "SHA-256 AB:CD:..., public key sha256//..." of the server's leaf
   certificate, from the chain curl kept (CURLOPT_CERTINFO), so that an
   administrator can check it and trust it or pin it; "" when there is
   none (no handshake). */
static void
mailer_peer_describe(CURL *curl, char *buf, size_t size)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *f;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t pem, der = { NULL, 0 }, b64 = { NULL, 0 };
	unsigned char fp[32], kh[32];
	size_t fp_len = sizeof(fp), i, o;

	buf[0] = '\0';
	if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
	    ci->num_of_certs < 1)
		return;
	for (f = ci->certinfo[0]; f != NULL; f = f->next)
		if (strncmp(f->data, "Cert:", 5) == 0)
			break;
	if (f == NULL || gnutls_x509_crt_init(&crt) < 0)
		return;
	pem.data = (unsigned char *)f->data + 5;
	pem.size = (unsigned int)strlen(f->data + 5);
	if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fp_len) < 0 ||
	    fp_len != sizeof(fp))
		goto out;
	o = (size_t)snprintf(buf, size, "SHA-256 ");
	for (i = 0; i < fp_len && o + 4 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, i > 0 ? ":%02X" : "%02X", fp[i]);
	if (gnutls_pubkey_init(&key) < 0 || gnutls_pubkey_import_x509(key, crt, 0) < 0 ||
	    gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, kh) < 0)
		goto out;
	{
		gnutls_datum_t raw = { kh, sizeof(kh) };

		if (gnutls_base64_encode2(&raw, &b64) < 0)
			goto out;
	}
	if (o < size)
		snprintf(buf + o, size - o, ", public key sha256//%.*s", (int)b64.size, b64.data);
out:
	gnutls_free(b64.data);
	gnutls_free(der.data);
	if (key != NULL)
		gnutls_pubkey_deinit(key);
	gnutls_x509_crt_deinit(crt);
}

enum mailer_status
mailer_send(const struct mailer_conf *conf, const char *const *rcpts,
	    size_t rcpt_count, const char *message, size_t len,
	    char *err, size_t err_size)
{
	char curl_err[CURL_ERROR_SIZE], from[300];
	struct curl_slist *rcpt_list = NULL, *n;
	struct mailer_upload up = { message, len, 0 };
	enum mailer_status status = MAILER_TEMPFAIL;
	CURLcode res = CURLE_OK;
	long code = 0;
	CURL *curl;
	size_t i;

	err[0] = curl_err[0] = '\0';
	if (conf->url == NULL || conf->from == NULL || rcpt_count == 0) {
		snprintf(err, err_size, "mailer not configured or no recipient");
		return MAILER_TEMPFAIL;
	}
	if ((curl = curl_easy_init()) == NULL) {
		snprintf(err, err_size, "curl_easy_init failed");
		return MAILER_TEMPFAIL;
	}
	for (i = 0; i < rcpt_count; i++) {
		char r[300];

		snprintf(r, sizeof(r), "<%s>", rcpts[i]);
		if ((n = curl_slist_append(rcpt_list, r)) == NULL) {
			snprintf(err, err_size, "out of memory");
			goto out;
		}
		rcpt_list = n;
	}
	snprintf(from, sizeof(from), "<%s>", conf->from);
	curl_easy_setopt(curl, CURLOPT_URL, conf->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt_list);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, mailer_read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)conf->timeout);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)(conf->timeout / 3 + 1));
	/* smtps:// is TLS from the start; on smtp:// STARTTLS is required,
	   never merely attempted, so a stripping attacker makes it fail. */
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
			 conf->starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (conf->pinned_pubkey != NULL) {
		/* The pin names the one key: no CA or name to check besides
		   (a self-signed internal relay), as with IMAP's fingerprint. */
		curl_easy_setopt(curl, CURLOPT_PINNEDPUBLICKEY, conf->pinned_pubkey);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, conf->tls_verify ? 1L : 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, conf->tls_verify ? 2L : 0L);
	}
	if (conf->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, conf->ca_file);
	/* Keep the peer's chain, to name its certificate when it is refused. */
	curl_easy_setopt(curl, CURLOPT_CERTINFO, 1L);
	if (conf->username != NULL) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, conf->username);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, conf->password != NULL ?
				 conf->password : "");
	}

	res = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (res == CURLE_OK) {
		status = MAILER_SENT;
		goto out;
	}
	/* The server's last reply decides: 5xx is final (RFC 5321 4.2.1),
	   everything else (4xx, no answer, TLS, timeouts) may pass. 530
	   (STARTTLS or AUTH required: aiosmtpd answers MAIL so when
	   starttls = no) and a failed AUTH (535) are configuration matters an
	   administrator can fix, so they are retried rather than dropped. */
	status = code >= 500 && code < 600 && code != 530 && code != 535 &&
		res != CURLE_LOGIN_DENIED ? MAILER_PERMFAIL : MAILER_TEMPFAIL;
	if (res == CURLE_PEER_FAILED_VERIFICATION || res == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
		char host[256], peer[256], why[MAILER_REASON_MAX];

		mailer_url_host(conf->url, host, sizeof(host));
		mailer_peer_describe(curl, peer, sizeof(peer));
		snprintf(why, sizeof(why), "TLS certificate of %s refused (%s)%s%s", host,
			 curl_err[0] != '\0' ? curl_err : curl_easy_strerror(res),
			 peer[0] != '\0' ? ": " : "", peer);
		mailer_reason(err, err_size, code, res, why);
	} else {
		mailer_reason(err, err_size, code, res, curl_err);
	}
out:
	curl_slist_free_all(rcpt_list);
	curl_easy_cleanup(curl);
	return status;
}

int
mailer_outbox_put(struct store *store, const char *key,
		  const char *const *rcpts, size_t rcpt_count,
		  const char *message, size_t len, int64_t not_before,
		  bool *inserted_r, const char **error_r)
{
	json_t *root = json_object(), *list = json_array();
	struct store_outbox row;
	char *payload = NULL;
	size_t i;
	int ret = -1;

	if (root == NULL || list == NULL)
		goto nomem;
	for (i = 0; i < rcpt_count; i++)
		if (json_array_append_new(list, json_string(rcpts[i])) < 0)
			goto nomem;
	if (json_object_set(root, "rcpt", list) < 0 ||
	    json_object_set_new(root, "message", json_stringn(message, len)) < 0 ||
	    (payload = json_dumps(root, JSON_COMPACT)) == NULL)
		goto nomem;
	row.key = key;
	row.channel = MAILER_CHANNEL;
	row.payload = payload;
	row.not_before = not_before;
	ret = store_outbox_put(store, &row, inserted_r, error_r);
	goto out;
nomem:
	*error_r = "out of memory building the outbox payload";
out:
	free(payload);
	json_decref(list);
	json_decref(root);
	return ret;
}

/* A mark is put with not_before = INT64_MIN, a time no real row uses, so
   that outbox_next(INT64_MIN) finds exactly it (every earlier mark was
   closed in its own transaction) and it can be closed at once by id. A
   store call "outbox_put_done" would say this directly. */
#define MAILER_MARK_TIME INT64_MIN

int
mailer_outbox_mark(struct store *store, const char *key, int64_t now,
		   bool *inserted_r, const char **error_r)
{
	struct store_outbox row = { key, MAILER_CHANNEL_MARK, "{}", MAILER_MARK_TIME };
	struct store_outbox_item item;
	bool found = false;
	int ret = -1;

	if (store_outbox_put(store, &row, inserted_r, error_r) < 0)
		return -1;
	if (!*inserted_r)
		return 0;
	memset(&item, 0, sizeof(item));
	if (store_outbox_next(store, MAILER_MARK_TIME, &item, &found, error_r) < 0)
		return -1;
	if (!found || strcmp(item.key, key) != 0) {
		*error_r = "outbox: cannot find the mark just written";
		goto out;
	}
	ret = store_outbox_done(store, item.id, now, error_r);
out:
	store_outbox_item_clear(&item);
	return ret;
}

int64_t
mailer_backoff(int attempts)
{
	int64_t d = MAILER_BACKOFF_MIN;

	while (attempts-- > 0 && d < MAILER_BACKOFF_MAX)
		d *= 2;
	return d < MAILER_BACKOFF_MAX ? d : MAILER_BACKOFF_MAX;
}

int
mailer_outbox_deliver(const struct mailer_conf *conf, struct store *store,
		      const struct store_outbox_item *item, int64_t now,
		      enum mailer_status *status_r, const char **error_r)
{
	const char *rcpts[MAILER_HR_MAX + 16];
	enum mailer_status status;
	json_t *root = NULL, *list, *msg;
	json_error_t jerr;
	char err[MAILER_REASON_MAX];
	size_t i, count;
	int ret = -1;

	if (strlen(item->payload) > MAILER_PAYLOAD_MAX ||
	    (root = json_loads(item->payload, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_array(list = json_object_get(root, "rcpt")) ||
	    !json_is_string(msg = json_object_get(root, "message")) ||
	    (count = json_array_size(list)) == 0 || count > sizeof(rcpts) / sizeof(rcpts[0])) {
		/* Nothing will ever make this row sendable. */
		log_error("outbox %s: malformed mail payload, dropped", item->key);
		status = MAILER_PERMFAIL;
		snprintf(err, sizeof(err), "malformed mail payload");
		goto record;
	}
	for (i = 0; i < count; i++) {
		if ((rcpts[i] = json_string_value(json_array_get(list, i))) == NULL) {
			status = MAILER_PERMFAIL;
			snprintf(err, sizeof(err), "malformed recipient");
			goto record;
		}
	}
	status = mailer_send(conf, rcpts, count, json_string_value(msg),
			     json_string_length(msg), err, sizeof(err));
record:
	switch (status) {
	case MAILER_SENT:
		log_info("outbox %s: sent", item->key);
		ret = store_outbox_done(store, item->id, now, error_r);
		break;
	case MAILER_TEMPFAIL:
		log_warn("outbox %s: attempt %d failed, retrying: %s", item->key,
			 item->attempts + 1, err);
		ret = store_outbox_retry(store, item->id, now + mailer_backoff(item->attempts),
					 err, error_r);
		break;
	case MAILER_PERMFAIL:
		log_error("outbox %s: refused, not retried: %s", item->key, err);
		ret = store_outbox_retry(store, item->id, now, err, error_r);
		if (ret == 0)
			ret = store_outbox_done(store, item->id, now, error_r);
		break;
	}
	if (status_r != NULL)
		*status_r = status;
	json_decref(root);
	return ret;
}

int
mailer_outbox_run(const struct mailer_conf *conf, struct store *store,
		  int64_t now, struct mailer_stats *stats, const char **error_r)
{
	struct store_outbox_item item;
	enum mailer_status status;
	bool found;
	int ret = 0;

	int handled = 0;

	memset(&item, 0, sizeof(item));
	while (handled < MAILER_RUN_MAX) {
		found = false;
		if (store_outbox_next_channel(store, now, MAILER_CHANNEL, &item, &found,
					      error_r) < 0)
			return -1;
		if (!found)
			break;
		handled++;
		/* the prefix also matches the marks, which are always done and
		   so never come back; anything else here is not ours */
		if (strcmp(item.channel, MAILER_CHANNEL) != 0) {
			store_outbox_item_clear(&item);
			break;
		}
		ret = mailer_outbox_deliver(conf, store, &item, now, &status, error_r);
		store_outbox_item_clear(&item);
		if (ret < 0)
			break;
		if (stats != NULL) {
			if (status == MAILER_SENT)
				stats->sent++;
			else if (status == MAILER_TEMPFAIL)
				stats->tempfail++;
			else
				stats->permfail++;
		}
	}
	return ret;
}
