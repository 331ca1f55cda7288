#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "log.h"
#include "loop.h"
#include "store.h"
#include "webhook.h"

#define WEBHOOK_PATH_PREFIX "/webhook/"
#define WEBHOOK_SIG_MAX 256          /* a signature header value */
#define WEBHOOK_TOKEN_HEADER_MAX 4200

enum webhook_reject {
	REJECT_NOT_FOUND = 0,
	REJECT_METHOD,
	REJECT_TOO_LARGE,
	REJECT_AUTH,
	REJECT_MALFORMED,
	REJECT_STORE,
	REJECT_COUNT
};

static const char *const webhook_reject_names[REJECT_COUNT] = {
	"not_found", "method", "too_large", "auth", "malformed", "store",
};

struct webhook_conn {
	const struct helpdesk_conf *hc;
	char *buf;
	size_t len;
	bool answered;     /* on the first call: the body is never read */
	bool dropped;
};

struct webhook_source_stats {
	char source[WEBHOOK_NAME_MAX + 16];
	uint64_t ingested[EVENT_KIND_COUNT];
	uint64_t duplicates;
	uint64_t ignored;
};

struct webhook_server {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	struct loop_io *io;
	struct loop_timer *timer;
	const struct webhook_settings *settings;
	uint16_t port;
	uint64_t requests;
	uint64_t rejected[REJECT_COUNT];
	struct webhook_source_stats sources[WEBHOOK_METRIC_SOURCES_MAX];
	size_t source_count;
};

bool
webhook_token_eq(const char *a, const char *b)
{
	unsigned char da[32], db[32];

	/* Hash first so the comparison takes the same time whatever the
	   lengths and contents. */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, a, strlen(a), da) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, b, strlen(b), db) < 0)
		return false;
	return gnutls_memcmp(da, db, sizeof(da)) == 0;
}

static int
webhook_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
webhook_signature_ok(const unsigned char *key, size_t key_len, bool sha1,
		     const char *value, const char *body, size_t body_len)
{
	unsigned char mac[32], given[32];
	size_t mac_len = sha1 ? 20 : 32, i;
	const char *prefix = sha1 ? "sha1=" : "sha256=";

	if (value == NULL || key == NULL)
		return false;
	while (*value == ' ')
		value++;
	if (strncasecmp(value, prefix, strlen(prefix)) == 0)
		value += strlen(prefix);
	if (strlen(value) != mac_len * 2)
		return false;
	for (i = 0; i < mac_len; i++) {
		int hi = webhook_hexval(value[2 * i]), lo = webhook_hexval(value[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		given[i] = (unsigned char)(hi << 4 | lo);
	}
	if (gnutls_hmac_fast(sha1 ? GNUTLS_MAC_SHA1 : GNUTLS_MAC_SHA256, key,
			     key_len, body, body_len, mac) < 0)
		return false;
	return gnutls_memcmp(mac, given, mac_len) == 0;
}

static const char *
webhook_client(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	if (sa == NULL || getnameinfo(sa, sa->sa_family == AF_INET6 ?
				      sizeof(struct sockaddr_in6) :
				      sizeof(struct sockaddr_in),
				      buf, (socklen_t)size, NULL, 0,
				      NI_NUMERICHOST) != 0)
		snprintf(buf, size, "?");
	return buf;
}

static enum MHD_Result
webhook_respond(struct MHD_Connection *c, unsigned int status,
		const char *content_type, const char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
					       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The one place a rejected request is logged and counted. */
static enum MHD_Result
webhook_reject(struct webhook_server *srv, struct MHD_Connection *c,
	       enum webhook_reject why, unsigned int status, const char *name,
	       const char *reason)
{
	char ip[64], safe[WEBHOOK_NAME_MAX * 2], body[256];

	srv->rejected[why]++;
	log_sanitize(name, strlen(name), safe, sizeof(safe));
	log_warn("webhook %s from %s: %u %s", safe,
		 webhook_client(c, ip, sizeof(ip)), status, reason);
	snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", reason);
	return webhook_respond(c, status, "application/json", body);
}

static struct webhook_source_stats *
webhook_stats(struct webhook_server *srv, const char *source)
{
	size_t i;

	for (i = 0; i < srv->source_count; i++)
		if (strcmp(srv->sources[i].source, source) == 0)
			return &srv->sources[i];
	if (srv->source_count == WEBHOOK_METRIC_SOURCES_MAX)
		return NULL;
	snprintf(srv->sources[srv->source_count].source,
		 sizeof(srv->sources[0].source), "%s", source);
	return &srv->sources[srv->source_count++];
}

static const struct helpdesk_conf *
webhook_helpdesk(struct webhook_server *srv, const char *name)
{
	size_t i;

	for (i = 0; i < srv->settings->helpdesk_count; i++)
		if (strcmp(srv->settings->helpdesks[i]->name, name) == 0)
			return srv->settings->helpdesks[i];
	return NULL;
}

static const char *
webhook_auth(const struct helpdesk_conf *hc, struct MHD_Connection *c,
	     const char *body, size_t len)
{
	const char *value;

	if (hc->webhook_secret != NULL) {
		value = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    hc->signature_header);
		if (value == NULL)
			return "missing signature";
		if (strlen(value) > WEBHOOK_SIG_MAX ||
		    !webhook_signature_ok(hc->webhook_secret, hc->webhook_secret_len,
					  hc->signature_sha1, value, body, len))
			return "bad signature";
		return NULL;
	}
	if (hc->webhook_token != NULL) {
		value = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
		if (value == NULL)
			return "missing token";
		if (strncasecmp(value, "Bearer ", 7) == 0)
			value += 7;
		else if (strncasecmp(value, "Token ", 6) == 0)
			value += 6;
		else
			return "bad token";
		if (strlen(value) > WEBHOOK_TOKEN_HEADER_MAX ||
		    !webhook_token_eq(value, hc->webhook_token))
			return "bad token";
		return NULL;
	}
	return "no webhook_secret_file or webhook_token_file configured";
}

static enum MHD_Result
webhook_ingest(struct webhook_server *srv, struct MHD_Connection *c,
	       struct webhook_conn *wc)
{
	const struct helpdesk_conf *hc = wc->hc;
	struct webhook_opts opts;
	struct webhook_result result;
	struct webhook_source_stats *st;
	struct store *store = srv->settings->store;
	char source[WEBHOOK_NAME_MAX + 16], reply[128];
	const char *error, *bad;
	size_t i, inserted = 0;
	bool in_tx = false, ins;

	bad = webhook_auth(hc, c, wc->buf != NULL ? wc->buf : "", wc->len);
	if (bad != NULL)
		return webhook_reject(srv, c, REJECT_AUTH, MHD_HTTP_UNAUTHORIZED,
				      hc->name, bad);
	helpdesk_conf_webhook_opts(hc, &opts);
	opts.is_agent = srv->settings->is_agent;
	opts.is_agent_ctx = srv->settings->is_agent_ctx;
	if (webhook_parse(hc->type, &opts, wc->buf != NULL ? wc->buf : "",
			  wc->len, &result, &error) < 0)
		return webhook_reject(srv, c, REJECT_MALFORMED, MHD_HTTP_BAD_REQUEST,
				      hc->name, error);
	snprintf(source, sizeof(source), "webhook:%s", hc->name);
	st = webhook_stats(srv, source);
	if (result.own || result.count == 0) {
		if (st != NULL)
			st->ignored++;
		snprintf(reply, sizeof(reply), "{\"ignored\":\"%s\"}\n",
			 result.own ? "own_user" : "no clock event");
		return webhook_respond(c, MHD_HTTP_OK, "application/json", reply);
	}
	if (store_begin(store, &error) < 0)
		goto fail;
	in_tx = true;
	for (i = 0; i < result.count; i++) {
		struct event ev;

		webhook_result_event(&result, i, source, &ev);
		if (store_event_insert(store, &ev, &ins, &error) < 0)
			goto fail;
		if (ins) {
			inserted++;
			if (st != NULL)
				st->ingested[ev.kind]++;
		} else if (st != NULL)
			st->duplicates++;
	}
	if (store_commit(store, &error) < 0)
		goto fail;
	if (srv->settings->ingested != NULL)
		srv->settings->ingested(srv->settings->ctx, source, result.ticket,
					inserted);
	snprintf(reply, sizeof(reply), "{\"events\":%zu,\"new\":%zu}\n",
		 result.count, inserted);
	return webhook_respond(c, MHD_HTTP_OK, "application/json", reply);
fail:
	if (in_tx) {
		const char *ignored;

		(void)store_rollback(store, &ignored);
	}
	log_error("webhook %s: store: %s", hc->name, error);
	srv->rejected[REJECT_STORE]++;
	return webhook_respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			       "application/json", "{\"error\":\"store\"}\n");
}

static enum MHD_Result
webhook_metrics(struct webhook_server *srv, struct MHD_Connection *c)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0, i;
	int k;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL)
		return MHD_NO;
	fprintf(out, "# HELP slaclock_webhook_requests_total HTTP requests served.\n"
		"# TYPE slaclock_webhook_requests_total counter\n"
		"slaclock_webhook_requests_total %llu\n",
		(unsigned long long)srv->requests);
	fprintf(out, "# HELP slaclock_webhook_rejected_total Requests rejected, by reason.\n"
		"# TYPE slaclock_webhook_rejected_total counter\n");
	for (k = 0; k < REJECT_COUNT; k++)
		fprintf(out, "slaclock_webhook_rejected_total{reason=\"%s\"} %llu\n",
			webhook_reject_names[k], (unsigned long long)srv->rejected[k]);
	fprintf(out, "# HELP slaclock_events_ingested_total Events stored from webhooks, by source and kind.\n"
		"# TYPE slaclock_events_ingested_total counter\n");
	for (i = 0; i < srv->source_count; i++)
		for (k = 0; k < EVENT_KIND_COUNT; k++)
			if (srv->sources[i].ingested[k] != 0)
				fprintf(out, "slaclock_events_ingested_total{source=\"%s\",kind=\"%s\"} %llu\n",
					srv->sources[i].source,
					event_kind_name((enum event_kind)k),
					(unsigned long long)srv->sources[i].ingested[k]);
	fprintf(out, "# HELP slaclock_webhook_duplicates_total Events already stored (redelivered webhooks).\n"
		"# TYPE slaclock_webhook_duplicates_total counter\n");
	for (i = 0; i < srv->source_count; i++)
		fprintf(out, "slaclock_webhook_duplicates_total{source=\"%s\"} %llu\n",
			srv->sources[i].source,
			(unsigned long long)srv->sources[i].duplicates);
	fprintf(out, "# HELP slaclock_webhook_ignored_total Webhooks accepted without events (own user, no clock change).\n"
		"# TYPE slaclock_webhook_ignored_total counter\n");
	for (i = 0; i < srv->source_count; i++)
		fprintf(out, "slaclock_webhook_ignored_total{source=\"%s\"} %llu\n",
			srv->sources[i].source,
			(unsigned long long)srv->sources[i].ignored);
	if (srv->settings->metrics != NULL)
		srv->settings->metrics(srv->settings->ctx, out);
	if (fclose(out) != 0) {
		free(text);
		return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
webhook_handler(void *cls, struct MHD_Connection *c, const char *url,
		const char *method, const char *version, const char *upload_data,
		size_t *upload_data_size, void **con_cls)
{
	struct webhook_server *srv = cls;
	struct webhook_conn *wc = *con_cls;
	const char *cl, *name;
	char *end;
	unsigned long long declared;

	if (wc == NULL) {
		/* First call, headers only: answer what needs no body now,
		   so an oversized or misdirected body is never read. */
		srv->requests++;
		wc = calloc(1, sizeof(*wc));
		if (wc == NULL)
			return MHD_NO;
		*con_cls = wc;
		wc->answered = true;
		if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0) {
			if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
			    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
				return webhook_reject(srv, c, REJECT_METHOD,
						      MHD_HTTP_METHOD_NOT_ALLOWED,
						      url, "method not allowed");
			if (strcmp(url, "/healthz") == 0)
				return webhook_respond(c, MHD_HTTP_OK,
						       "text/plain", "ok\n");
			return webhook_metrics(srv, c);
		}
		if (strncmp(url, WEBHOOK_PATH_PREFIX, strlen(WEBHOOK_PATH_PREFIX)) != 0)
			return webhook_reject(srv, c, REJECT_NOT_FOUND,
					      MHD_HTTP_NOT_FOUND, url, "no such path");
		name = url + strlen(WEBHOOK_PATH_PREFIX);
		wc->hc = webhook_helpdesk(srv, name);
		if (wc->hc == NULL)
			return webhook_reject(srv, c, REJECT_NOT_FOUND,
					      MHD_HTTP_NOT_FOUND, name,
					      "no such helpdesk");
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return webhook_reject(srv, c, REJECT_METHOD,
					      MHD_HTTP_METHOD_NOT_ALLOWED, name,
					      "method not allowed");
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL) {
			declared = strtoull(cl, &end, 10);
			if (*end != '\0' || declared > WEBHOOK_BODY_MAX)
				return webhook_reject(srv, c, REJECT_TOO_LARGE,
						      MHD_HTTP_CONTENT_TOO_LARGE,
						      name, "body too large");
		}
		wc->answered = false;
		return MHD_YES;
	}
	if (wc->answered)
		return MHD_NO;
	if (*upload_data_size != 0) {
		if (wc->len + *upload_data_size > WEBHOOK_BODY_MAX) {
			/* Chunked and too long: MHD cannot answer in the
			   middle of a body, so hang up. */
			if (!wc->dropped)
				(void)webhook_reject(srv, c, REJECT_TOO_LARGE,
						     MHD_HTTP_CONTENT_TOO_LARGE,
						     wc->hc->name,
						     "body too large (connection closed)");
			wc->dropped = true;
			return MHD_NO;
		}
		if (wc->buf == NULL) {
			wc->buf = malloc(WEBHOOK_BODY_MAX + 1);
			if (wc->buf == NULL)
				return MHD_NO;
		}
		memcpy(wc->buf + wc->len, upload_data, *upload_data_size);
		wc->len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return webhook_ingest(srv, c, wc);
}

static void
webhook_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		  enum MHD_RequestTerminationCode toe)
{
	struct webhook_conn *wc = *con_cls;

	if (wc == NULL)
		return;
	free(wc->buf);
	free(wc);
	*con_cls = NULL;
}

static void webhook_timer_cb(void *ctx);

static void
webhook_schedule(struct webhook_server *srv)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (srv->timer != NULL)
		loop_timer_remove(&srv->timer);
	if (MHD_get_timeout(srv->mhd, &ms) == MHD_YES) {
		if (ms > 60000)
			ms = 60000;
		srv->timer = loop_timer_add(srv->loop, loop_now_ms() + (int64_t)ms,
					    webhook_timer_cb, srv);
	}
}

static void
webhook_timer_cb(void *ctx)
{
	struct webhook_server *srv = ctx;

	srv->timer = NULL;   /* a fired timer is gone */
	(void)MHD_run(srv->mhd);
	webhook_schedule(srv);
}

static void
webhook_io_cb(void *ctx, int fd, int revents)
{
	struct webhook_server *srv = ctx;

	(void)MHD_run(srv->mhd);
	webhook_schedule(srv);
}

/* libmicrohttpd hands us its own printf format: say so, so the compiler
   checks the call instead of refusing a non-literal format. */
static void webhook_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
webhook_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512], safe[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_debug("webhook: libmicrohttpd: %s", log_sanitize(buf, n, safe, sizeof(safe)));
}

int
webhook_server_start(struct loop *loop, const struct webhook_settings *settings,
		     struct webhook_server **server_r, const char **error_r)
{
	struct webhook_server *srv;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const char *address = settings->address != NULL ? settings->address :
		"127.0.0.1";
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	*server_r = NULL;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(settings->port);
	} else if (inet_pton(AF_INET6, address, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(settings->port);
		flags |= MHD_USE_IPv6;
	} else {
		*error_r = "webhook listen address is not a numeric IPv4/IPv6 address";
		return -1;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	srv->loop = loop;
	srv->settings = settings;
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, webhook_handler, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)WEBHOOK_CONNECTIONS_MAX,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)WEBHOOK_CONNECTION_TIMEOUT,
		MHD_OPTION_NOTIFY_COMPLETED, webhook_completed, srv,
		MHD_OPTION_EXTERNAL_LOGGER, webhook_mhd_log, srv,
		MHD_OPTION_END);
	if (srv->mhd == NULL) {
		*error_r = "cannot start the webhook server (address in use?)";
		goto fail;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : settings->port;
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		*error_r = "libmicrohttpd has no epoll fd";
		goto fail;
	}
	srv->io = loop_io_add(loop, info->epoll_fd, LOOP_READ, webhook_io_cb, srv);
	if (srv->io == NULL) {
		*error_r = "out of memory";
		goto fail;
	}
	webhook_schedule(srv);
	*server_r = srv;
	return 0;
fail:
	webhook_server_stop(&srv);
	return -1;
}

void
webhook_server_stop(struct webhook_server **_srv)
{
	struct webhook_server *srv = *_srv;

	if (srv == NULL)
		return;
	*_srv = NULL;
	if (srv->timer != NULL)
		loop_timer_remove(&srv->timer);
	if (srv->io != NULL)
		loop_io_remove(&srv->io);
	if (srv->mhd != NULL)
		MHD_stop_daemon(srv->mhd);
	free(srv);
}

uint16_t
webhook_server_port(const struct webhook_server *srv)
{
	return srv->port;
}
