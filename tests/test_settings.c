/* settings: the module sections checked by their modules, every error as
 * file:line: message. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "settings.h"
#include "testutil.h"

static char *dir;

static void
setup(void)
{
	dir = testutil_tmpdir();
}

static void
teardown(void)
{
	testutil_rmtree(dir);
	free(dir);
}

static char *
write_conf(const char *text)
{
	char *path;

	ck_assert(asprintf(&path, "%s/slaclock.conf", dir) > 0);
	ck_assert_int_eq(testutil_write_file(path, text, strlen(text)), 0);
	return path;
}

static char *
write_secret(const char *name, const char *text, mode_t mode)
{
	char *path;

	ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	ck_assert_int_eq(testutil_write_file(path, text, strlen(text)), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

START_TEST(good)
{
	char *pw = write_secret("imap.pw", "secret\n", 0600);
	char *hmac = write_secret("rt.hmac", "0123456789abcdef", 0600);
	char *tok = write_secret("rt.token", "tok", 0600);
	char *text, *path, *errors = NULL;
	struct settings *s = NULL;

	ck_assert(asprintf(&text,
		"[team a]\nagents = a@x.example\nlead = lead@x.example\n"
		"[imap support]\nhost = 127.0.0.1\ntls = none\nusername = support\n"
		"password_file = %s\nfolders = INBOX, Sent\n"
		"[helpdesk rt]\ntype = rt\nurl = http://127.0.0.1:8080\ntoken_file = %s\n"
		"webhook_secret_file = %s\nown_user = slaclock\n"
		"[smtp]\nurl = smtp://127.0.0.1:2525\nstarttls = no\nfrom = slaclock@x.example\n"
		"[webhook]\nlisten = 127.0.0.1:18099\n", pw, tok, hmac) > 0);
	path = write_conf(text);
	ck_assert_msg(settings_load(path, true, &s, &errors) == 0, "%s", errors);
	ck_assert_uint_eq(s->imap_count, 1);
	ck_assert_str_eq(s->imap[0].name, "support");
	ck_assert_uint_eq(s->imap[0].folder_count, 2);
	ck_assert_uint_eq(s->helpdesk_count, 1);
	ck_assert_ptr_eq(s->helpdesk_ptrs[0], &s->helpdesks[0]);
	ck_assert_ptr_nonnull(s->mailer);
	ck_assert(s->webhook_enabled);
	ck_assert_str_eq(s->webhook_address, "127.0.0.1");
	ck_assert_uint_eq(s->webhook_port, 18099);
	settings_free(&s);
	ck_assert_ptr_null(s);
	free(text);
	free(path);
	free(pw);
	free(hmac);
	free(tok);
}
END_TEST

/* Without module sections: nothing to serve, nothing to mail. */
START_TEST(core_only)
{
	char *path = write_conf("[team a]\nagents = a@x.example\n");
	char *errors = NULL;
	struct settings *s = NULL;

	ck_assert_msg(settings_load(path, true, &s, &errors) == 0, "%s", errors);
	ck_assert_uint_eq(s->imap_count, 0);
	ck_assert_ptr_null(s->mailer);
	ck_assert(!s->webhook_enabled);
	ck_assert_uint_eq(s->webhook_port, SETTINGS_DEFAULT_PORT);
	settings_free(&s);
	free(path);
}
END_TEST

static const struct {
	const char *text;
	const char *want;       /* a line the errors must hold */
} bad[] = {
	{ "[imap x]\nhost = h\ntls = sometimes\n", ":3: [imap x] tls:" },
	{ "[imap x]\nhost = mail.example.com\ntls = none\nusername = u\npassword_file = /p\n",
	  ":1: [imap x] " },
	{ "[smtp]\nurl = smtp://127.0.0.1:25\nbogus = 1\n", ":3: [smtp] bogus: " },
	{ "[webhook]\nlisten = 127.0.0.1:99999\n", ":2: [webhook] bad listen address" },
	{ "[webhook]\nlisten = :80\n", ":2: [webhook] bad listen address" },
	{ "[webhook]\nport = 80\n", ":2: unknown key 'port' in section [webhook]" },
	{ "[webhook]\nenabled = maybe\n", ":2: [webhook] enabled must be yes or no" },
	{ "[helpdesk rt]\ntype = jira\n", ":2: [helpdesk rt] type" },
	{ "[polcy]\n", ":1: unknown section [polcy]" },
};

START_TEST(bad_settings)
{
	char *path = write_conf(bad[_i].text);
	char *errors = NULL, *want;
	struct settings *s = NULL;

	ck_assert(asprintf(&want, "%s%s", path, bad[_i].want) > 0);
	ck_assert_int_eq(settings_load(path, true, &s, &errors), -1);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(errors);
	ck_assert_msg(strstr(errors, want) != NULL, "want '%s' in:\n%s", want, errors);
	free(want);
	free(errors);
	free(path);
}
END_TEST

/* Every module's error at once, not one per run. */
START_TEST(all_errors_at_once)
{
	char *path = write_conf("[imap x]\ntls = sometimes\n[smtp]\nbogus = 1\n"
				"[webhook]\nlisten = nope\n");
	char *errors = NULL;
	struct settings *s = NULL;

	ck_assert_int_eq(settings_load(path, true, &s, &errors), -1);
	ck_assert_ptr_nonnull(strstr(errors, ":2: [imap x]"));
	ck_assert_ptr_nonnull(strstr(errors, ":4: [smtp]"));
	ck_assert_ptr_nonnull(strstr(errors, ":6: [webhook]"));
	free(errors);
	free(path);
}
END_TEST

/* A password anyone may read is refused, naming the file. */
START_TEST(secret_readable)
{
	char *pw = write_secret("imap.pw", "secret\n", 0644);
	char *text, *path, *errors = NULL;
	struct settings *s = NULL;

	ck_assert(asprintf(&text, "[imap x]\nhost = 127.0.0.1\ntls = none\nusername = u\n"
			   "password_file = %s\n", pw) > 0);
	path = write_conf(text);
	ck_assert_int_eq(settings_load(path, true, &s, &errors), -1);
	ck_assert_msg(strstr(errors, pw) != NULL, "%s", errors);
	free(errors);
	errors = NULL;
	/* without reading secrets the file is not looked at */
	ck_assert_msg(settings_load(path, false, &s, &errors) == 0, "%s", errors);
	settings_free(&s);
	free(text);
	free(path);
	free(pw);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("settings");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good);
	tcase_add_test(tc, core_only);
	tcase_add_loop_test(tc, bad_settings, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, all_errors_at_once);
	tcase_add_test(tc, secret_readable);
	suite_add_tcase(su, tc);
	return testutil_run(su);
}
