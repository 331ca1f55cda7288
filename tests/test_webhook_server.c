/* The webhook server in-process on a free loopback port, driven by the real
 * loop in a second thread, hit with libcurl from the test thread. The store
 * is only touched by the loop thread while a request is in flight, and by
 * the test thread between requests. */
#include "config.h"

#include <check.h>
#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../plugin/webhook.h"
#include "log.h"
#include "loop.h"
#include "store.h"
#include "testutil.h"

static const char secret[] = "s3cr3t-hmac-key";
static const char token[] = "hook-token-123";

static char *tmpdir;
static struct store *store;
static struct loop *loop;
static struct webhook_server *server;
static struct helpdesk_conf hc_rt, hc_tok;
static const struct helpdesk_conf *helpdesks[2];
static struct webhook_settings settings;
static pthread_t thread;
static int stop_pipe[2];
static struct loop_io *stop_io;
static uint16_t port;

static void
stop_cb(void *ctx, int fd, int revents)
{
	loop_stop(loop);
}

static void *
loop_thread(void *arg)
{
	const char *error;

	if (loop_run(loop, &error) < 0)
		fprintf(stderr, "loop_run: %s\n", error);
	return NULL;
}

static void
metrics_cb(void *ctx, FILE *out)
{
	fprintf(out, "slaclock_outbox_depth 7\n");
}

static void
setup(void)
{
	char path[1024];
	const char *error;

	tmpdir = testutil_tmpdir();
	snprintf(path, sizeof(path), "%s/slaclock.db", tmpdir);
	ck_assert_msg(store_open("sqlite", path, &store, &error) == 0, "%s", error);
	ck_assert_int_eq(loop_new(&loop, &error), 0);

	ck_assert_int_eq(helpdesk_conf_init(&hc_rt, "rt", &error), 0);
	ck_assert_int_eq(helpdesk_conf_key(&hc_rt, "type", "rt", &error), 0);
	ck_assert_int_eq(helpdesk_conf_key(&hc_rt, "own_user", "slaclock", &error), 0);
	hc_rt.webhook_secret = (unsigned char *)strdup(secret);
	hc_rt.webhook_secret_len = strlen(secret);
	ck_assert_int_eq(helpdesk_conf_init(&hc_tok, "tok", &error), 0);
	ck_assert_int_eq(helpdesk_conf_key(&hc_tok, "type", "rt", &error), 0);
	hc_tok.webhook_token = strdup(token);
	helpdesks[0] = &hc_rt;
	helpdesks[1] = &hc_tok;

	memset(&settings, 0, sizeof(settings));
	settings.store = store;
	settings.helpdesks = helpdesks;
	settings.helpdesk_count = 2;
	settings.metrics = metrics_cb;
	ck_assert_msg(webhook_server_start(loop, &settings, &server, &error) == 0,
		      "%s", error);
	port = webhook_server_port(server);
	ck_assert_int_ne(port, 0);
	ck_assert_int_eq(pipe(stop_pipe), 0);
	stop_io = loop_io_add(loop, stop_pipe[0], LOOP_READ, stop_cb, NULL);
	ck_assert_int_eq(pthread_create(&thread, NULL, loop_thread, NULL), 0);
}

static void
teardown(void)
{
	ck_assert_int_eq(write(stop_pipe[1], "x", 1), 1);
	pthread_join(thread, NULL);
	loop_io_remove(&stop_io);
	webhook_server_stop(&server);
	ck_assert_ptr_null(server);
	loop_free(&loop);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	store_close(&store);
	helpdesk_conf_clear(&hc_rt);
	helpdesk_conf_clear(&hc_tok);
	testutil_rmtree(tmpdir);
	free(tmpdir);
}

struct reply {
	long status;
	char body[8192];
	size_t len;
};

static size_t
reply_cb(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb, room = sizeof(r->body) - 1 - r->len;

	memcpy(r->body + r->len, ptr, n < room ? n : room);
	r->len += n < room ? n : room;
	r->body[r->len] = '\0';
	return n;
}

static void
sign(const char *body, size_t len, char *hex)
{
	unsigned char mac[32];
	int i;

	ck_assert_int_eq(gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret),
					  body, len, mac), 0);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
}

/* Whether request() lets curl send "Expect: 100-continue" (its default for
   big bodies). Without it an early 413 races the upload: the server closes
   with unread body in its socket, the kernel answers with a reset, and the
   reset can reach curl before the 413 does. */
static bool expect_continue;

/* HEADER may be NULL; METHOD NULL = POST when BODY, else GET. */
static long
request(const char *method, const char *path, const char *header,
	const char *body, size_t len, struct reply *r)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char url[256];
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, reply_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (!expect_continue)
		hdrs = curl_slist_append(hdrs, "Expect:");
	if (header != NULL)
		hdrs = curl_slist_append(hdrs, header);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (method != NULL)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	else
		r->status = -1;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	return r->status;
}

static long
post_signed(const char *path, const char *body, size_t len, struct reply *r)
{
	char hex[65], header[128];

	sign(body, len, hex);
	snprintf(header, sizeof(header), "X-Slaclock-Signature: sha256=%s", hex);
	return request(NULL, path, header, body, len, r);
}

static int64_t
events(void)
{
	int64_t n = -1;
	const char *error;

	ck_assert_msg(store_event_count(store, &n, &error) == 0, "%s", error);
	return n;
}

static const char reply_body[] =
	"{\"event\":\"transaction\",\"ticket_id\":42,\"txn_id\":102,"
	"\"txn_type\":\"Correspond\",\"created\":\"2026-03-02T01:20:00Z\","
	"\"creator\":\"li.na\",\"creator_privileged\":1,\"status\":\"open\"}";

START_TEST(test_good_signature_idempotent)
{
	struct reply r;

	ck_assert_int_eq(post_signed("/webhook/rt", reply_body,
				     strlen(reply_body), &r), 200);
	ck_assert_int_eq(events(), 1);
	ck_assert_ptr_nonnull(strstr(r.body, "\"new\":1"));
	/* redelivery of the same transaction */
	ck_assert_int_eq(post_signed("/webhook/rt", reply_body,
				     strlen(reply_body), &r), 200);
	ck_assert_int_eq(events(), 1);
	ck_assert_ptr_nonnull(strstr(r.body, "\"new\":0"));
	/* upper-case hex without the prefix is the same signature */
	{
		char hex[65], header[128];
		int i;

		sign(reply_body, strlen(reply_body), hex);
		for (i = 0; hex[i] != '\0'; i++)
			if (hex[i] >= 'a')
				hex[i] = (char)(hex[i] - 'a' + 'A');
		snprintf(header, sizeof(header), "X-Slaclock-Signature: %s", hex);
		ck_assert_int_eq(request(NULL, "/webhook/rt", header, reply_body,
					 strlen(reply_body), &r), 200);
	}
	ck_assert_int_eq(request(NULL, "/metrics", NULL, NULL, 0, &r), 200);
	ck_assert_msg(strstr(r.body, "slaclock_events_ingested_total{source=\"webhook:rt\",kind=\"agent_reply\"} 1\n") != NULL,
		      "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "slaclock_webhook_duplicates_total{source=\"webhook:rt\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "slaclock_outbox_depth 7\n"));
}
END_TEST

START_TEST(test_bad_signature)
{
	struct reply r;
	char hex[65], header[128];

	/* signed for another body */
	sign("{}", 2, hex);
	snprintf(header, sizeof(header), "X-Slaclock-Signature: sha256=%s", hex);
	ck_assert_int_eq(request(NULL, "/webhook/rt", header, reply_body,
				 strlen(reply_body), &r), 401);
	ck_assert_int_eq(request(NULL, "/webhook/rt", NULL, reply_body,
				 strlen(reply_body), &r), 401);
	ck_assert_int_eq(request(NULL, "/webhook/rt", "X-Slaclock-Signature: sha256=zz",
				 reply_body, strlen(reply_body), &r), 401);
	/* a valid token is no signature */
	ck_assert_int_eq(request(NULL, "/webhook/rt", "Authorization: Bearer hook-token-123",
				 reply_body, strlen(reply_body), &r), 401);
	ck_assert_int_eq(events(), 0);
	ck_assert_int_eq(request(NULL, "/metrics", NULL, NULL, 0, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "slaclock_webhook_rejected_total{reason=\"auth\"} 4\n"));
}
END_TEST

START_TEST(test_token)
{
	struct reply r;

	ck_assert_int_eq(request(NULL, "/webhook/tok", "Authorization: Bearer wrong",
				 reply_body, strlen(reply_body), &r), 401);
	ck_assert_int_eq(request(NULL, "/webhook/tok", "Authorization: Bearer hook-token-12",
				 reply_body, strlen(reply_body), &r), 401);
	ck_assert_int_eq(events(), 0);
	ck_assert_int_eq(request(NULL, "/webhook/tok", "Authorization: Bearer hook-token-123",
				 reply_body, strlen(reply_body), &r), 200);
	ck_assert_int_eq(events(), 1);
}
END_TEST

START_TEST(test_too_large)
{
	struct reply r;
	size_t len = 2 * 1024 * 1024;
	char *big = malloc(len);

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	/* refused on its Content-Length, before a byte of the body is read */
	expect_continue = true;
	ck_assert_int_eq(post_signed("/webhook/rt", big, len, &r), 413);
	expect_continue = false;
	ck_assert_int_eq(events(), 0);
	free(big);
	/* the server still answers */
	ck_assert_int_eq(request(NULL, "/healthz", NULL, NULL, 0, &r), 200);
	ck_assert_str_eq(r.body, "ok\n");
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bodies[] = {
		"{",
		"{\"a\":\"\xc3\x28\"}",      /* invalid UTF-8 */
		"[]",
		"{\"ticket_id\":1}",          /* JSON, but no RT transaction */
	};
	struct reply r;
	char deep[256];
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		ck_assert_msg(post_signed("/webhook/rt", bodies[i], strlen(bodies[i]),
					  &r) == 400, "%s -> %ld", bodies[i], r.status);
	memset(deep, '[', sizeof(deep));
	ck_assert_int_eq(post_signed("/webhook/rt", deep, sizeof(deep), &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body, "nested"));
	ck_assert_int_eq(events(), 0);
}
END_TEST

START_TEST(test_routes)
{
	struct reply r;
	static const char own[] =
		"{\"ticket_id\":42,\"txn_id\":120,\"txn_type\":\"Comment\","
		"\"created\":\"2026-03-02T01:20:00Z\",\"creator\":\"slaclock\"}";

	ck_assert_int_eq(post_signed("/webhook/nope", reply_body,
				     strlen(reply_body), &r), 404);
	ck_assert_int_eq(request(NULL, "/other", NULL, NULL, 0, &r), 404);
	ck_assert_int_eq(request(NULL, "/webhook/rt", NULL, NULL, 0, &r), 405);
	ck_assert_int_eq(request("POST", "/healthz", NULL, "x", 1, &r), 405);
	/* our own note's webhook: accepted, nothing stored */
	ck_assert_int_eq(post_signed("/webhook/rt", own, strlen(own), &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "own_user"));
	ck_assert_int_eq(events(), 0);
}
END_TEST

START_TEST(test_signature_helpers)
{
	char hex[65];

	sign("abc", 3, hex);
	ck_assert(webhook_signature_ok((const unsigned char *)secret, strlen(secret),
				       false, hex, "abc", 3));
	ck_assert(!webhook_signature_ok((const unsigned char *)secret, strlen(secret),
					false, hex, "abd", 3));
	ck_assert(!webhook_signature_ok((const unsigned char *)secret, strlen(secret),
					true, hex, "abc", 3));
	ck_assert(webhook_token_eq("a", "a"));
	ck_assert(!webhook_token_eq("a", "ab"));
	ck_assert(!webhook_token_eq("", "a"));
}
END_TEST

static Suite *
webhook_server_suite(void)
{
	Suite *s = suite_create("webhook_server");
	TCase *tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_signature_idempotent);
	tcase_add_test(tc, test_bad_signature);
	tcase_add_test(tc, test_token);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_routes);
	suite_add_tcase(s, tc);
	tc = tcase_create("helpers");
	tcase_add_test(tc, test_signature_helpers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	log_init("test_webhook_server", false, LOG_LEVEL_WARN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = testutil_run(webhook_server_suite());
	curl_global_cleanup();
	return rc;
}
