/* Write-back request builders match the helpdesks' documented shapes, and
 * the [helpdesk NAME] keys parse and refuse what they should. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpdesk.h"
#include "testutil.h"

static void
conf(struct helpdesk_conf *hc, const char *type)
{
	const char *error;

	ck_assert_int_eq(helpdesk_conf_init(hc, type, &error), 0);
	ck_assert_int_eq(helpdesk_conf_key(hc, "type", type, &error), 0);
	ck_assert_int_eq(helpdesk_conf_key(hc, "url", "https://hd.example", &error), 0);
	hc->token = strdup("TKN");
}

static json_t *
body_json(const struct helpdesk_request *req)
{
	json_error_t jerr;
	json_t *j = json_loads(req->body, 0, &jerr);

	ck_assert_msg(j != NULL, "body not JSON: %s", req->body);
	return j;
}

static const struct helpdesk_note note = { "42", "SLA breach S14.1 (li.na)", "note:x:42:S14.1:breach" };
static const char want_text[] = "SLA breach S14.1 (li.na)\n\nslaclock-id: note:x:42:S14.1:breach\n";

START_TEST(test_rt_request)
{
	struct helpdesk_conf hc;
	struct helpdesk_request req;
	const char *error;
	json_t *j;

	conf(&hc, "rt");
	ck_assert_int_eq(helpdesk_rt_connector.note_request(&hc, &note, &req, &error), 0);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.url, "https://hd.example/REST/2.0/ticket/42/comment");
	j = body_json(&req);
	ck_assert_str_eq(json_string_value(json_object_get(j, "Content")), want_text);
	/* RT answers 400 without it */
	ck_assert_str_eq(json_string_value(json_object_get(j, "ContentType")), "text/plain");
	json_decref(j);
	helpdesk_request_clear(&req);
	{
		struct helpdesk_note bad = { "42/../../x", "t", "k" };

		ck_assert_int_eq(helpdesk_rt_connector.note_request(&hc, &bad, &req, &error), -1);
	}
	helpdesk_conf_clear(&hc);
}
END_TEST

START_TEST(test_zammad_request)
{
	struct helpdesk_conf hc;
	struct helpdesk_request req;
	const char *error;
	json_t *j;

	conf(&hc, "zammad");
	ck_assert_ptr_eq(helpdesk_connector_get(WEBHOOK_ZAMMAD), &helpdesk_zammad_connector);
	ck_assert_int_eq(helpdesk_zammad_connector.note_request(&hc, &note, &req, &error), 0);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.url, "https://hd.example/api/v1/ticket_articles");
	ck_assert_uint_eq(req.header_count, 2);
	ck_assert_str_eq(req.headers[0], "Authorization: Token token=TKN");
	j = body_json(&req);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "ticket_id")), 42);
	ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "note");
	ck_assert(json_is_true(json_object_get(j, "internal")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "body")), want_text);
	json_decref(j);
	helpdesk_request_clear(&req);
	helpdesk_conf_clear(&hc);
}
END_TEST

START_TEST(test_zendesk_request)
{
	struct helpdesk_conf hc;
	struct helpdesk_request req;
	const char *error;
	json_t *j, *c;

	conf(&hc, "zendesk");
	ck_assert_int_eq(helpdesk_zendesk_connector.note_request(&hc, &note, &req, &error), 0);
	ck_assert_str_eq(req.method, "PUT");
	ck_assert_str_eq(req.url, "https://hd.example/api/v2/tickets/42.json");
	ck_assert_str_eq(req.headers[0], "Authorization: Bearer TKN");
	j = body_json(&req);
	c = json_object_get(json_object_get(j, "ticket"), "comment");
	ck_assert(json_is_false(json_object_get(c, "public")));
	ck_assert_str_eq(json_string_value(json_object_get(c, "body")), want_text);
	json_decref(j);
	helpdesk_request_clear(&req);
	helpdesk_conf_clear(&hc);
}
END_TEST

START_TEST(test_conf_keys)
{
	struct helpdesk_conf hc;
	const char *error;
	char *dir = testutil_tmpdir(), path[1024];

	ck_assert_int_eq(helpdesk_conf_init(&hc, "bad name/..", &error), -1);
	ck_assert_int_eq(helpdesk_conf_init(&hc, "rt", &error), 0);
	ck_assert_int_eq(helpdesk_conf_finish(&hc, dir, &error), -1);   /* no type */
	ck_assert_int_eq(helpdesk_conf_key(&hc, "type", "otrs", &error), -1);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "type", "rt", &error), 0);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "colour", "blue", &error), -1);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "timeout", "0", &error), -1);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "timeout", "2m", &error), 0);
	ck_assert_int_eq(hc.timeout_secs, 120);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "signature_algorithm", "md5", &error), -1);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "signature_algorithm", "sha1", &error), 0);
	ck_assert(hc.signature_sha1);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "own_user", "slaclock", &error), 0);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "webhook_secret_file", "hmac", &error), 0);
	/* world-readable secret: refused */
	snprintf(path, sizeof(path), "%s/hmac", dir);
	ck_assert_int_eq(testutil_write_file(path, "key\n", 4), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(helpdesk_conf_finish(&hc, dir, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "group or others"));
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(helpdesk_conf_finish(&hc, dir, &error), 0);
	ck_assert_uint_eq(hc.webhook_secret_len, 3);   /* newline dropped */
	ck_assert_int_eq(memcmp(hc.webhook_secret, "key", 3), 0);
	ck_assert_int_eq(helpdesk_conf_key(&hc, "webhook_token_file", "tok", &error), 0);
	ck_assert_int_eq(helpdesk_conf_finish(&hc, dir, &error), -1);  /* both */
	helpdesk_conf_clear(&hc);
	testutil_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_backoff)
{
	ck_assert_int_eq(helpdesk_backoff(1), HELPDESK_BACKOFF_MIN);
	ck_assert_int_eq(helpdesk_backoff(2), 2 * HELPDESK_BACKOFF_MIN);
	ck_assert_int_eq(helpdesk_backoff(40), HELPDESK_BACKOFF_MAX);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("webhook_requests");
	TCase *tc = tcase_create("builders");

	tcase_add_test(tc, test_rt_request);
	tcase_add_test(tc, test_zammad_request);
	tcase_add_test(tc, test_zendesk_request);
	tcase_add_test(tc, test_conf_keys);
	tcase_add_test(tc, test_backoff);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
