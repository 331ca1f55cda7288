/* test_conf - slaclock.conf loading, validation, printing. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "conf.h"
#include "testutil.h"

static char *
fixture(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/tests/conf/%s", testutil_srcdir(), name) < 0)
		abort();
	return path;
}

static struct conf *
load_ok(const char *text)
{
	struct conf *conf = NULL;
	char *error = NULL;

	if (conf_load_buffer("test.conf", text, strlen(text), &conf, &error) < 0)
		ck_abort_msg("unexpected failure for:\n%s\n---\n%s", text, error);
	ck_assert_ptr_null(error);
	return conf;
}

/* Load TEXT, which must fail; returns the error text (caller frees). */
static char *
load_bad(const char *text)
{
	struct conf *conf = NULL;
	char *error = NULL;

	ck_assert_int_eq(conf_load_buffer("test.conf", text, strlen(text), &conf, &error), -1);
	ck_assert_ptr_null(conf);
	ck_assert_ptr_nonnull(error);
	return error;
}

static char *
print_to_string(const struct conf *conf)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	conf_print(conf, f);
	fclose(f);
	return buf;
}

START_TEST(test_defaults)
{
	struct conf *conf = NULL;
	const char *error = NULL;

	ck_assert_int_eq(conf_defaults(&conf, &error), 0);
	ck_assert_str_eq(conf->store_backend, "sqlite");
	ck_assert_str_eq(conf->calendar.timezone, "Asia/Shanghai");
	ck_assert(conf->calendar.always_open);
	ck_assert_str_eq(conf->policy.pack, "S14");
	ck_assert_int_eq(conf->policy.first_response_secs, 1800);
	ck_assert_int_eq(conf->policy.preliminary_secs, 86400);
	ck_assert_int_eq(conf->policy.resolution_secs, 259200);
	ck_assert_int_eq(conf->policy.warn_at_pct, 80);
	ck_assert_uint_eq(conf->policy.preliminary_marker_count, 2);
	ck_assert_str_eq(conf->policy.preliminary_markers[0], "【初步方案】");
	ck_assert_str_eq(conf->policy.preliminary_markers[1], "#preliminary");
	ck_assert_uint_eq(conf->policy.resolved_marker_count, 2);
	ck_assert_str_eq(conf->policy.resolved_markers[0], "【已解决】");
	ck_assert_str_eq(conf->policy.resolved_markers[1], "#resolved");
	ck_assert_str_eq(conf->policy.assignment_header, "X-Assigned-To");
	ck_assert_str_eq(conf->policy.priority_header, "X-Ticket-Priority");
	ck_assert_int_eq(conf->policy.streak_length, 3);
	ck_assert_int_eq(conf->policy.streak_deduction_pct, 10);
	ck_assert(!conf->policy.streak_reset_month_end);
	ck_assert(conf->policy.streak_reset_after_fire);
	ck_assert_int_eq(conf->policy.severity_pct[SEVERITY_LOW], 5);
	ck_assert_int_eq(conf->policy.severity_pct[SEVERITY_NORMAL], 10);
	ck_assert_int_eq(conf->policy.severity_pct[SEVERITY_HIGH], 15);
	ck_assert_int_eq(conf->policy.severity_pct[SEVERITY_CRITICAL], 20);
	ck_assert(conf->policy.stack_24h_72h);
	ck_assert_int_eq(conf->policy.ticket_cap_pct, 20);
	ck_assert_int_eq(conf->policy.charge, CONF_CHARGE_OWNER_AT_DEADLINE);
	ck_assert_uint_eq(conf->team_count, 0);
	conf_free(&conf);
	ck_assert_ptr_null(conf);
	conf_free(&conf);
}
END_TEST

START_TEST(test_empty_file_is_defaults)
{
	struct conf *conf = load_ok("");
	const char *slash = strrchr(conf->store_path, '/');

	/* the database sits beside the config file by default */
	ck_assert_ptr_nonnull(slash);
	ck_assert_str_eq(slash, "/slaclock.db");
	ck_assert_int_eq(conf->store_path[0], '/');
	ck_assert_str_eq(conf->path, "test.conf");
	conf_free(&conf);
}
END_TEST

START_TEST(test_good_fixture)
{
	char *path = fixture("good.conf"), *error = NULL, *expected;
	struct conf *conf = NULL;
	const struct conf_calendar *cal;
	const struct conf_policy *pol;
	char *dir;

	if (conf_load(path, &conf, &error) < 0)
		ck_abort_msg("%s", error);
	cal = &conf->calendar;
	pol = &conf->policy;
	dir = realpath(testutil_srcdir(), NULL);
	ck_assert_ptr_nonnull(dir);
	if (asprintf(&expected, "%s/tests/conf/data/slaclock.db", dir) < 0)
		abort();
	ck_assert_str_eq(conf->store_path, expected);
	free(expected);
	free(dir);

	ck_assert(!cal->always_open);
	ck_assert_int_eq(cal->hours.open[1], 8 * 3600 + 30 * 60);
	ck_assert_int_eq(cal->hours.close[5], 17 * 3600 + 30 * 60);
	ck_assert_int_eq(cal->hours.open[6], 9 * 3600);
	ck_assert_int_eq(cal->hours.close[6], 12 * 3600);
	ck_assert_int_eq(cal->hours.open[0], -1);
	ck_assert_uint_eq(cal->holiday_count, 3);
	/* sorted, whatever order they were given in */
	ck_assert_int_eq(cal->holidays[0], calendar_days_from_civil(2026, 10, 1));
	ck_assert_int_eq(cal->holidays[1], calendar_days_from_civil(2026, 10, 2));
	ck_assert_int_eq(cal->holidays[2], calendar_days_from_civil(2026, 10, 3));
	ck_assert_uint_eq(cal->workday_count, 1);
	ck_assert_int_eq(cal->workdays[0], calendar_days_from_civil(2026, 9, 27));

	ck_assert_int_eq(pol->first_response_secs, 45 * 60);
	ck_assert_int_eq(pol->preliminary_secs, 86400);
	ck_assert_int_eq(pol->resolution_secs, 14 * 86400);
	ck_assert_int_eq(pol->warn_at_pct, 75);
	ck_assert_uint_eq(pol->preliminary_marker_count, 2);
	ck_assert_str_eq(pol->preliminary_markers[0], "【初步方案】");
	ck_assert_str_eq(pol->preliminary_markers[1], "【临时方案】");
	ck_assert_uint_eq(pol->resolved_marker_count, 1);
	ck_assert_str_eq(pol->resolved_markers[0], "【已解决】");
	ck_assert_str_eq(pol->assignment_header, "X-Owner");
	ck_assert_str_eq(pol->priority_header, "X-Prio");
	ck_assert_int_eq(pol->streak_length, 4);
	ck_assert_int_eq(pol->streak_deduction_pct, 12);
	ck_assert(pol->streak_reset_month_end);
	ck_assert(!pol->streak_reset_after_fire);
	ck_assert_int_eq(pol->severity_pct[SEVERITY_LOW], 6);
	ck_assert_int_eq(pol->severity_pct[SEVERITY_NORMAL], 11);
	ck_assert_int_eq(pol->severity_pct[SEVERITY_HIGH], 16);
	ck_assert_int_eq(pol->severity_pct[SEVERITY_CRITICAL], 20);
	ck_assert(!pol->stack_24h_72h);
	ck_assert_int_eq(pol->ticket_cap_pct, 25);
	ck_assert_int_eq(pol->charge, CONF_CHARGE_OWNER_AT_START);

	ck_assert_uint_eq(conf->team_count, 2);
	ck_assert_str_eq(conf->teams[0].name, "售后一组");
	ck_assert_str_eq(conf->teams[0].lead, "lead@example.cn");
	ck_assert_uint_eq(conf->teams[0].agent_count, 2);
	ck_assert_str_eq(conf->teams[0].agents[0], "zhang.san@example.cn");
	ck_assert_str_eq(conf->teams[0].agents[1], "li.si@example.cn");
	ck_assert_str_eq(conf->teams[0].default_agent, "zhang.san@example.cn");
	ck_assert_str_eq(conf->teams[1].name, "partners");
	ck_assert_uint_eq(conf->teams[1].agent_count, 0);
	ck_assert_uint_eq(conf->teams[1].domain_count, 2);
	ck_assert_str_eq(conf->teams[1].domains[0], "partner.example.com");
	ck_assert_str_eq(conf->teams[1].domains[1], "support.example.org");
	conf_free(&conf);
	free(path);
}
END_TEST

static void
assert_has(const char *errors, const char *needle)
{
	if (strstr(errors, needle) == NULL)
		ck_abort_msg("expected \"%s\" in:\n%s", needle, errors);
}

START_TEST(test_bad_fixture_collects_all)
{
	char *path = fixture("bad.conf"), *error = NULL, *p, *line;
	struct conf *conf = NULL;
	size_t lines = 0;

	ck_assert_int_eq(conf_load(path, &conf, &error), -1);
	ck_assert_ptr_null(conf);
	ck_assert_ptr_nonnull(error);
	if (asprintf(&line, "%s:1: key 'stray' outside any section", path) < 0)
		abort();
	assert_has(error, line);
	free(line);
#define HAS(n, text) do { \
		if (asprintf(&line, "%s:%d: %s", path, n, text) < 0) \
			abort(); \
		assert_has(error, line); \
		free(line); \
	} while (0)
	HAS(3, "unknown store backend 'mysql'");
	HAS(5, "unknown time zone 'Mars/Olympus'");
	HAS(6, "bad hours syntax");
	HAS(7, "bad date '2026-02-30'");
	HAS(9, "bad duration '30 minutes' for first_response");
	HAS(10, "bad percentage '100%' for warn_at");
	HAS(11, "bad percentage '25%' for severity_high");
	HAS(12, "bad percentage '4' for severity_low");
	HAS(13, "unknown key 'colour' in section [policy]");
	HAS(15, "bad email address 'not-an-address' for agents");
	HAS(16, "duplicate team 'a' (first defined at line 14)");
	HAS(18, "team empty has neither agents nor domain");
	HAS(14, "team a has neither agents nor domain");
	HAS(20, "unknown section [nonsense]");
#undef HAS
	/* one line per error, nothing for the keys of ignored sections */
	for (p = error; *p != '\0'; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines + 1, 15);
	free(error);
	free(path);
}
END_TEST

START_TEST(test_missing_file)
{
	struct conf *conf = NULL;
	char *error = NULL, *expected;

	ck_assert_int_eq(conf_load("/nonexistent/slaclock.conf", &conf, &error), -1);
	ck_assert_ptr_null(conf);
	if (asprintf(&expected, "/nonexistent/slaclock.conf: cannot open: %s",
		     strerror(ENOENT)) < 0)
		abort();
	ck_assert_str_eq(error, expected);
	free(expected);
	free(error);

	expected = fixture("");
	ck_assert_int_eq(conf_load(expected, &conf, &error), -1);
	assert_has(error, ": cannot read: not a regular file");
	free(error);
	free(expected);
}
END_TEST

static const struct {
	const char *text;
	const char *error;
} bad_cases[] = {
	{ "[policy]\nfirst_response = 0\n", "test.conf:2: bad duration '0'" },
	{ "[policy]\nfirst_response = 30x\n", "test.conf:2: bad duration '30x'" },
	{ "[policy]\nresolution = -3h\n", "bad duration '-3h' for resolution" },
	{ "[policy]\npreliminary = 99999999999999999999d\n", "bad duration" },
	{ "[policy]\nwarn_at = 0%\n", "bad percentage '0%' for warn_at" },
	{ "[policy]\nwarn_at = 80%%\n", "bad percentage '80%%' for warn_at" },
	{ "[policy]\nwarn_at = eighty\n", "bad percentage 'eighty' for warn_at" },
	{ "[policy]\nseverity_critical = 21%\n", "test.conf:2: bad percentage '21%' for severity_critical (S14.2d allows 5% to 20%)" },
	{ "[policy]\nseverity_normal = 4%\n", "bad percentage '4%' for severity_normal" },
	{ "[policy]\nstreak_deduction = 101%\n", "bad percentage '101%' for streak_deduction" },
	{ "[policy]\nticket_cap = 0\n", "bad percentage '0' for ticket_cap" },
	{ "[policy]\nstreak_length = 0\n", "bad number '0' for streak_length" },
	{ "[policy]\nstack_24h_72h = maybe\n", "bad boolean 'maybe' for stack_24h_72h" },
	{ "[policy]\npack = S99\n", "unknown rule pack 'S99'" },
	{ "[policy]\npack = S14, S4, S4\n", "test.conf:2: rule pack S4 given twice" },
	{ "[policy]\npack = S14,,S9\n", "test.conf:2: bad pack list" },
	{ "[policy]\npause_statuses = waiting\n", "test.conf:2: unknown status 'waiting' for pause_statuses" },
	{ "[policy]\npause_statuses = reopened\n", "test.conf:2: unknown status 'reopened'" },
	{ "[policy]\npause_statuses = pending, solved\n", "test.conf:2: status 'solved' is both in pause_statuses and in solved_statuses" },
	{ "[policy]\nsolved_statuses = solved,\n", "test.conf:2: bad list 'solved,' for solved_statuses" },
	{ "[policy]\nreopen_restarts = sometimes\n", "test.conf:2: bad boolean 'sometimes' for reopen_restarts" },
	{ "[policy]\nsatisfaction_target = 100.1%\n", "test.conf:2: bad percentage '100.1%' for satisfaction_target" },
	{ "[policy]\nsatisfaction_target = 89.95%\n", "test.conf:2: bad percentage '89.95%'" },
	{ "[policy]\nsatisfaction_target = 0%\n", "test.conf:2: bad percentage '0%' for satisfaction_target" },
	{ "[policy]\nsatisfaction_deduction = 0%\n", "test.conf:2: bad value '0%' for satisfaction_deduction" },
	{ "[policy]\nattitude_deduction = 101%\n", "test.conf:2: bad value '101%' for attitude_deduction" },
	{ "[policy]\nfeedback_within = soon\n", "test.conf:2: bad duration 'soon' for feedback_within" },
	{ "[policy]\nfeedback_streak_length = 0\n", "test.conf:2: bad value '0' for feedback_streak_length" },
	{ "[policy]\nfeedback_deduction = -1%\n", "test.conf:2: bad value '-1%' for feedback_deduction" },
	{ "[policy]\ntraining_deduction = 5 %\n", "test.conf:2: bad value '5 %' for training_deduction" },
	{ "[policy]\nappeal_window = 0\n", "test.conf:2: bad value '0' for appeal_window" },
	{ "[policy]\nappeal_reply = 5 days\n", "test.conf:2: bad value '5 days' for appeal_reply" },
	{ "[policy]\nappeal_reply = 61 working days\n", "test.conf:2: bad value '61 working days'" },
	{ "[pack S4]\nrepeat = 3\n", "test.conf:1: section [pack S4] is set but the pack is not on" },
	{ "[pack S14]\n", "test.conf:1: unknown pack section [pack S14]" },
	{ "[pack X1]\n", "test.conf:1: unknown pack section [pack X1]" },
	{ "[policy]\npack = S4\n[pack S4]\nrepeat = 1\n", "test.conf:4: bad value '1' for repeat" },
	{ "[policy]\npack = S4\n[pack S4]\nrepeats = 3\n", "test.conf:4: unknown key 'repeats' in section [pack S4]" },
	{ "[policy]\npack = S4\n[pack S4]\nrepeat = 3\nrepeat = 4\n", "test.conf:5: key 'repeat' given twice in section [pack S4]" },
	{ "[policy]\npack = S4\n[pack S4]\n[pack S4]\n", "test.conf:4: section [pack S4] given twice (first at line 3)" },
	{ "[policy]\npack = S9\n[pack S9]\ncomplaint_ladder = 5%, 10%\n", "test.conf:4: bad value '5%, 10%' for complaint_ladder" },
	{ "[policy]\npack = S9\n[pack S9]\nsatisfaction_tiers = 95%, 90%, 100%\n", "test.conf:4: satisfaction_tiers: the three values must rise" },
	{ "[policy]\npack = S9\n[pack S9]\nsatisfaction_tiers = 90%, 95%, 101%\n", "test.conf:4: bad value '90%, 95%, 101%' for satisfaction_tiers" },
	{ "[policy]\npack = S9\n[pack S9]\nspeed_tiers = 10%, 20%, 100%\n", "test.conf:4: bad value" },
	{ "[policy]\npack = S1\n[pack S1]\npenalty = 49\n", "test.conf:4: bad value '49' for penalty (expected a range like 50..500, or one amount, each from 50 to 500; S1 L31: 50 to 500 yuan)" },
	{ "[policy]\npack = S1\n[pack S1]\npenalty = 49..500\n", "test.conf:4: bad value '49..500' for penalty" },
	{ "[policy]\npack = S1\n[pack S1]\npenalty = 50..501\n", "test.conf:4: bad value '50..501' for penalty" },
	{ "[policy]\npack = S1\n[pack S1]\npenalty = 500..50\n", "test.conf:4: penalty: the range 500..50 runs backwards" },
	{ "[policy]\npack = S1\n[pack S1]\npenalty = 50..\n", "test.conf:4: bad value '50..' for penalty" },
	{ "[policy]\npack = S1\n[pack S1]\npenalty = ..500\n", "test.conf:4: bad value '..500' for penalty" },
	{ "[policy]\npack = S1\n[pack S1]\nreward = 99..1000\n", "test.conf:4: bad value '99..1000' for reward (expected a range like 100..1000" },
	{ "[policy]\npack = S1\n[pack S1]\nreward = 100..1001\n", "test.conf:4: bad value '100..1001' for reward" },
	{ "[policy]\npack = S1\n[pack S1]\nreward = 1000-100\n", "test.conf:4: reward: the range 1000..100 runs backwards" },
	{ "[policy]\npack = S1\n[pack S1]\nreward = 100 .. 200\n", "test.conf:4: bad value '100 .. 200' for reward" },
	{ "[policy]\npack = S9\n[pack S9]\ncumulative = perhaps\n", "test.conf:4: bad boolean 'perhaps' for cumulative" },
	{ "[policy]\npack = S9\n[pack S9]\nrun_by_tickets = 2\n", "test.conf:4: bad boolean '2' for run_by_tickets" },
	{ "[policy]\npack = G20\n[pack G20]\nbonus_threshold = 0\n", "test.conf:4: bad value '0' for bonus_threshold (expected 1 to 100; G20.y)" },
	{ "[policy]\npack = G20\n[pack G20]\nbonus_threshold = 101\n", "test.conf:4: bad value '101' for bonus_threshold" },
	{ "[policy]\npack = G20\n[pack G20]\nbonus_threshold = 90%\n", "test.conf:4: bad value '90%' for bonus_threshold" },
	{ "[policy]\npack = G20\n[pack G20]\nweekly_report = Saturday 09:00\n", "test.conf:4: bad value 'Saturday 09:00' for weekly_report (expected a day and a time, e.g. Sat 09:00; G20.w)" },
	{ "[policy]\npack = G20\n[pack G20]\nweekly_report = Sat 24:00\n", "test.conf:4: bad value 'Sat 24:00' for weekly_report" },
	{ "[policy]\npack = G20\n[pack G20]\nweekly_report = Sat 9\n", "test.conf:4: bad value 'Sat 9' for weekly_report" },
	{ "[policy]\npack = T17\n[pack T17]\ntop = 1, 3, 5\n", "test.conf:4: top: the three values must fall (T17.r)" },
	{ "[policy]\npack = T17\n[pack T17]\ntop = 5, 3\n", "test.conf:4: bad value '5, 3' for top" },
	{ "[policy]\npack = T17\n[pack T17]\ntop = 5, 3, 0\n", "test.conf:4: bad value '5, 3, 0' for top" },
	{ "[policy]\npack = T17\n[pack T17]\ntop = 5, 3, 3\n", "test.conf:4: top: the three values must fall" },
	{ "[policy]\npack = T17\n[pack T17]\ntop = 1001, 3, 1\n", "test.conf:4: bad value '1001, 3, 1' for top" },
	{ "[policy]\npack = S15\n[pack S15]\npraises = 0\n", "test.conf:4: bad value '0' for praises (expected 1 to 100; S15)" },
	{ "[policy]\npack = S15\n[pack S15]\npraises = 101\n", "test.conf:4: bad value '101' for praises" },
	{ "[policy]\npack = S15\n[pack S15]\npraises = three\n", "test.conf:4: bad value 'three' for praises" },
	{ "[policy]\npack = S15\n[pack S15]\npraise = 3\n", "test.conf:4: unknown key 'praise' in section [pack S15]" },
	{ "[pack S15]\npraises = 3\n", "test.conf:1: section [pack S15] is set but the pack is not on" },
	{ "[policy]\npack = S16\n", "test.conf:2: unknown rule pack 'S16' (available: S14, S4, S9, S1, G16, G20, T17, W1, S15)" },
	{ "[policy]\npack = S1\n[pack S1]\npenalty = 501\n", "test.conf:4: bad value '501' for penalty" },
	{ "[policy]\npack = S1\n[pack S1]\nship = 0h\n", "test.conf:4: bad duration '0h' for ship" },
	{ "[policy]\npack = G16\n[pack G16]\nreply_major = 2 days\n", "test.conf:4: bad duration '2 days' for reply_major" },
	{ "[policy]\npack = G20\n[pack G20]\nmonths = 13\n", "test.conf:4: bad value '13' for months" },
	{ "[policy]\npack = T17\n[pack T17]\nbands = 15, 20, 25\n", "test.conf:4: bands: the three values must fall" },
	{ "[policy]\npack = W1\n[pack W1]\nanswer = 0\n", "test.conf:4: bad value '0' for answer" },
	{ "[policy]\npack = W1\n[pack W1]\ntimely = 101%\n", "test.conf:4: bad value '101%' for timely" },
	{ "[calendar]\nworkweek = Mon-Fry\n", "test.conf:2: bad workweek 'Mon-Fry'" },
	{ "[calendar x]\n[calendar x]\n", "test.conf:2: duplicate calendar 'x' (first defined at line 1)" },
	{ "[calendar x]\ntimezone = Mars/Base\n", "test.conf:2: unknown time zone 'Mars/Base'" },
	{ "[team t]\nagents = a@x.cn\ncalendar = nowhere\n", "test.conf:3: team t: no section [calendar nowhere]" },
	{ "[policy]\ncharge = whoever\n", "bad value 'whoever' for charge" },
	{ "[policy]\nassignment_header = X Owner\n", "bad header field name 'X Owner'" },
	{ "[policy]\npriority_header = X-Prio:\n", "bad header field name 'X-Prio:'" },
	{ "[policy]\nwarn_at = 80\nwarn_at = 90\n", "test.conf:3: key 'warn_at' given twice in section [policy]" },
	{ "[policy]\nwarn_at =\n", "test.conf:2: missing value for key 'warn_at' in section [policy]" },
	{ "[policy]\nwarn_at\n", "test.conf:2: expected 'key = value'" },
	{ "[policy]\nfirst_reponse = 30m\n", "test.conf:2: unknown key 'first_reponse' in section [policy]" },
	{ "[store]\nbackend = sqlite\npth = x\n", "test.conf:3: unknown key 'pth' in section [store]" },
	{ "[team t]\nagents = a@x.cn\nmember = b@x.cn\n", "test.conf:3: unknown key 'member' in section [team t]" },
	{ "[polcy]\n", "test.conf:1: unknown section [polcy]" },
	{ "[imap]\nhost = x\n", "test.conf:1: section needs a name of 1 to 128 bytes: [imap NAME]" },
	{ "[smtp relay]\n", "test.conf:1: section [smtp] takes no name" },
	{ "[imap a]\n[imap a]\n", "test.conf:2: section [imap a] given twice (first at line 1)" },
	{ "[imapx a]\n", "test.conf:1: unknown section [imapx a]" },
	{ "[policy\n", "test.conf:1: bad section header" },
	{ "[team ]\n", "test.conf:1: team name must be" },
	{ "[calendar]\ntimezone = Asia/Beijing\n", "test.conf:2: unknown time zone 'Asia/Beijing'" },
	{ "[calendar]\ntimezone = ../../etc/passwd\n", "unknown time zone '../../etc/passwd'" },
	{ "[calendar]\ntimezone = /etc/localtime\n", "unknown time zone '/etc/localtime'" },
	{ "[calendar]\nhours = Mon-Fri\n", "test.conf:2: bad hours syntax" },
	{ "[calendar]\nhours = Mon-Fry 08:30-17:30\n", "bad hours syntax" },
	{ "[calendar]\nhours = Mon-Fri 08:30-25:00\n", "bad hours syntax" },
	{ "[calendar]\nhours = Mon-Fri 08:60-17:00\n", "bad hours syntax" },
	{ "[calendar]\nhours = Mon-Fri 17:30-08:30\n", "opening time must be before closing time" },
	{ "[calendar]\nhours = Mon-Fri 08:30-17:30, Fri 18:00-19:00\n", "hours: Fri is given twice" },
	{ "[calendar]\nhours = Mon-Fri 08:30-17:30,\n", "bad hours syntax" },
	{ "[calendar]\nholiday = 2026-13-01\n", "test.conf:2: bad date '2026-13-01'" },
	{ "[calendar]\nholiday = 2026-1-01\n", "bad date '2026-1-01'" },
	{ "[calendar]\nholiday = 2025-02-29\n", "bad date '2025-02-29'" },
	{ "[calendar]\nholidays = 2026-10-01, , 2026-10-02\n", "empty item" },
	{ "[calendar]\nworkday = 2026-09-31\n", "bad date '2026-09-31'" },
	{ "[calendar]\nholiday = 2026-10-01\nworkday = 2026-10-01\n", "test.conf:3: 2026-10-01 is both a holiday and a workday" },
	{ "[team a]\nagents = a@x.cn\n[team a]\nagents = b@x.cn\n", "test.conf:3: duplicate team 'a' (first defined at line 1)" },
	{ "[team a]\nlead = a@x.cn\n", "test.conf:1: team a has neither agents nor domain" },
	{ "[team a]\nagents = a@x.cn, b@@x.cn\n", "bad email address 'b@@x.cn' for agents" },
	{ "[team a]\nagents = a@x.cn, b@x..cn\n", "bad email address 'b@x..cn'" },
	{ "[team a]\nagents = a@x.cn, .b@x.cn\n", "bad email address '.b@x.cn'" },
	{ "[team a]\nagents = a@x.cn, b c@x.cn\n", "bad email address 'b c@x.cn'" },
	{ "[team a]\nagents = a@x.cn\nlead = boss\n", "bad email address 'boss' for lead" },
	{ "[team a]\nagents = a@x.cn\ndefault_agent = z@y.cn\n", "default_agent z@y.cn of team a is not one of its agents" },
	{ "[team a]\ndomain = -x.cn\n", "bad domain '-x.cn'" },
	{ "[team a]\nagents = a@x.cn\n[team b]\nagents = A@X.CN\n", "test.conf:4: agent 'a@x.cn' is already in team a" },
	{ "[team a]\ndomain = x.cn\n[team b]\ndomain = X.cn\n", "domain 'x.cn' is already in team a" },
	{ "warn_at = 80\n", "test.conf:1: key 'warn_at' outside any section" },
	{ "[policy]\nresolved_marker = \xe3\x80\n", "test.conf:2: line is not valid UTF-8" },
	{ "[policy]\nresolved_marker = \xc0\xaf\n", "not valid UTF-8" },
};

/* The issue-7 settings: packs, pauses, S14.3-S14.6, appeals, team calendars. */
START_TEST(test_policy_settings)
{
	static const char text[] =
		"[calendar]\nworkweek = Mon-Fri, Sat\n"
		"[calendar sh]\ntimezone = Asia/Shanghai\nhours = Mon-Fri 08:30-17:30\n"
		"holiday = 2026-10-01\n"
		"[policy]\npack = s4, S9, S14, G16, W1\npause_statuses = pending\n"
		"solved_statuses = solved\nreopen_restarts = no\n"
		"satisfaction_target = 89.5%\nsatisfaction_deduction = 6%\n"
		"attitude_deduction = 7%\nfeedback_within = 2h\nfeedback_streak_length = 4\n"
		"feedback_deduction = 11%\ntraining_deduction = 3%\n"
		"appeal_window = 3 working days\nappeal_reply = 15\n"
		"[pack S4]\nrepeat = 4\n"
		"[pack S9]\nsatisfaction_tiers = 90%, 95.5%, 100%\n"
		"[team t]\nagents = a@x.cn\ncalendar = sh\n";
	struct conf *conf = NULL, *again = NULL;
	char *error = NULL, *printed;

	if (conf_load_buffer("test.conf", text, sizeof(text) - 1, &conf, &error) < 0)
		ck_abort_msg("%s", error);
	ck_assert_str_eq(conf->policy.pack, "S14, S4, S9, G16, W1");
	ck_assert(conf_pack_enabled(conf, CONF_PACK_S4));
	ck_assert(!conf_pack_enabled(conf, CONF_PACK_S1));
	ck_assert_uint_eq(conf->policy.pause_status_count, 1);
	ck_assert_str_eq(conf->policy.pause_statuses[0], "pending");
	ck_assert(!conf->policy.reopen_restarts);
	ck_assert_int_eq(conf->policy.satisfaction_target_permille, 895);
	ck_assert_int_eq(conf->policy.feedback_within_secs, 7200);
	ck_assert_int_eq(conf->policy.appeal_window_days, 3);
	ck_assert_int_eq(conf->policy.appeal_reply_days, 15);
	ck_assert_int_eq(conf->policy.s4_repeat, 4);
	ck_assert_int_eq(conf->policy.s9_satisfaction_permille[1], 955);
	ck_assert_uint_eq(conf->calendar.workweek, 0x7e);
	ck_assert_uint_eq(conf->calendar_count, 1);
	ck_assert_int_eq(conf->teams[0].calendar, 0);
	ck_assert(conf_team_calendar(conf, &conf->teams[0]) == &conf->calendars[0].cal);
	ck_assert_uint_eq(conf->calendars[0].cal.workweek, 0x3e);
	/* conf_print() reads back to the same settings */
	printed = print_to_string(conf);
	if (conf_load_buffer("again.conf", printed, strlen(printed), &again, &error) < 0)
		ck_abort_msg("%s\n%s", error, printed);
	ck_assert_str_eq(again->policy.pack, conf->policy.pack);
	ck_assert_int_eq(again->policy.satisfaction_target_permille, 895);
	ck_assert_int_eq(again->policy.s9_satisfaction_permille[1], 955);
	ck_assert_int_eq(again->teams[0].calendar, 0);
	ck_assert_uint_eq(again->calendar.workweek, 0x7e);
	free(printed);
	conf_free(&again);
	conf_free(&conf);
}
END_TEST

START_TEST(test_policy_defaults)
{
	struct conf *conf = NULL;
	const char *error;

	ck_assert_int_eq(conf_defaults(&conf, &error), 0);
	ck_assert(conf_pack_enabled(conf, CONF_PACK_S14));
	ck_assert(!conf_pack_enabled(conf, CONF_PACK_S4));
	ck_assert_uint_eq(conf->policy.pause_status_count, 0);
	ck_assert_int_eq(conf->policy.satisfaction_target_permille, 900);
	ck_assert_int_eq(conf->policy.appeal_window_days, 5);
	ck_assert_int_eq(conf->policy.appeal_reply_days, 5);
	ck_assert_int_eq(conf->policy.s1_penalty_yuan, 50);
	ck_assert_int_eq(conf->policy.g16_reply_secs[1], 48 * 3600);
	ck_assert_uint_eq(conf->calendar.workweek, 0x3e);
	/* POLICY.md: S1 50-500 / 100-1000 yuan, S9 ladder, G20 90, T17 5/3/1, S15 3 */
	ck_assert_int_eq(conf->policy.s1_penalty_range[0], 50);
	ck_assert_int_eq(conf->policy.s1_penalty_range[1], 500);
	ck_assert_int_eq(conf->policy.s1_reward_range[0], 100);
	ck_assert_int_eq(conf->policy.s1_reward_range[1], 1000);
	ck_assert(!conf->policy.s9_cumulative);
	ck_assert(conf->policy.s9_run_by_tickets);
	ck_assert_int_eq(conf->policy.g20_bonus_threshold, 90);
	ck_assert_int_eq(conf->policy.t17_top[0], 5);
	ck_assert_int_eq(conf->policy.t17_top[1], 3);
	ck_assert_int_eq(conf->policy.t17_top[2], 1);
	ck_assert_int_eq(conf->policy.s15_praises, 3);
	ck_assert(!conf_pack_enabled(conf, CONF_PACK_S15));
	conf_free(&conf);
}
END_TEST

/* The settings of the rest of the packs, and conf_print() reading back. */
START_TEST(test_pack_settings_rest)
{
	static const char text[] =
		"[policy]\npack = S1, S9, G20, T17, S15\n"
		"[pack S1]\npenalty = 100-300\nreward = 200\n"
		"[pack S9]\ncumulative = yes\nrun_by_tickets = no\n"
		"[pack G20]\nbonus_threshold = 85\nweekly_report = fri 17:30\n"
		"[pack T17]\ntop = 6, 4, 2\n"
		"[pack S15]\npraises = 5\n";
	struct conf *conf = NULL, *again = NULL;
	char *error = NULL, *printed;
	int k;

	if (conf_load_buffer("test.conf", text, sizeof(text) - 1, &conf, &error) < 0)
		ck_abort_msg("%s", error);
	for (k = 0; k < 2; k++) {
		struct conf *c = k == 0 ? conf : again;

		ck_assert_int_eq(c->policy.s1_penalty_range[0], 100);
		ck_assert_int_eq(c->policy.s1_penalty_range[1], 300);
		ck_assert_int_eq(c->policy.s1_penalty_yuan, 100);
		ck_assert_int_eq(c->policy.s1_reward_range[0], 200);
		ck_assert_int_eq(c->policy.s1_reward_range[1], 200);
		ck_assert(c->policy.s9_cumulative);
		ck_assert(!c->policy.s9_run_by_tickets);
		ck_assert_int_eq(c->policy.g20_bonus_threshold, 85);
		ck_assert_int_eq(c->policy.g20_weekly[0], 5);
		ck_assert_int_eq(c->policy.g20_weekly[1], 17 * 3600 + 30 * 60);
		ck_assert_int_eq(c->policy.t17_top[0], 6);
		ck_assert_int_eq(c->policy.t17_top[2], 2);
		ck_assert_int_eq(c->policy.s15_praises, 5);
		ck_assert(conf_pack_enabled(c, CONF_PACK_S15));
		if (k == 0) {
			printed = print_to_string(conf);
			if (conf_load_buffer("again.conf", printed, strlen(printed), &again,
					     &error) < 0)
				ck_abort_msg("%s\n%s", error, printed);
			free(printed);
		}
	}
	conf_free(&again);
	conf_free(&conf);
}
END_TEST

START_TEST(test_bad_case)
{
	char *error = load_bad(bad_cases[_i].text);

	if (strstr(error, bad_cases[_i].error) == NULL)
		ck_abort_msg("case %d: expected \"%s\" in \"%s\"", _i,
			     bad_cases[_i].error, error);
	free(error);
}
END_TEST

START_TEST(test_line_too_long)
{
	size_t n = CONF_LINE_MAX + 100;
	char *text = malloc(n + 64), *error;
	int len;

	len = sprintf(text, "[policy]\nresolved_marker = ");
	memset(text + len, 'x', n);
	strcpy(text + len + n, "\nwarn_at = 200\n");
	error = load_bad(text);
	assert_has(error, "test.conf:2: line longer than 4096 bytes");
	/* the line after it is still read and checked */
	assert_has(error, "test.conf:3: bad percentage '200'");
	free(error);
	free(text);
}
END_TEST

START_TEST(test_line_at_limit)
{
	/* exactly CONF_LINE_MAX bytes is allowed */
	const char *prefix = "resolved_marker = ";
	size_t n = CONF_LINE_MAX - strlen(prefix), len;
	char *text = malloc(CONF_LINE_MAX + 64), *error = NULL;
	struct conf *conf = NULL;

	if (text == NULL)
		abort();
	len = (size_t)sprintf(text, "[policy]\n%s", prefix);
	memset(text + len, 'x', n);
	text[len + n] = '\0';
	/* the marker itself is capped separately */
	ck_assert_int_eq(conf_load_buffer("t", text, strlen(text), &conf, &error), -1);
	assert_has(error, "t:2: resolved_marker longer than");
	free(error);
	free(text);
}
END_TEST

START_TEST(test_file_too_large)
{
	size_t n = CONF_FILE_MAX + 1;
	char *text = malloc(n), *error;
	struct conf *conf = NULL;

	memset(text, '\n', n);
	ck_assert_int_eq(conf_load_buffer("big.conf", text, n, &conf, &error), -1);
	assert_has(error, "big.conf:0: file larger than");
	free(error);
	free(text);
}
END_TEST

START_TEST(test_too_many_errors)
{
	size_t i, lines = 0;
	char *text = malloc(200 * 16 + 16), *p = text, *error;

	p += sprintf(p, "[policy]\n");
	for (i = 0; i < 200; i++)
		p += sprintf(p, "bogus%zu = 1\n", i);
	error = load_bad(text);
	for (p = error; *p != '\0'; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines + 1, 101);
	assert_has(error, "test.conf: too many errors (200), only the first 100 shown");
	free(error);
	free(text);
}
END_TEST

START_TEST(test_crlf_bom_comments)
{
	struct conf *conf = load_ok("\xef\xbb\xbf# comment\r\n"
				    "; other comment\r\n"
				    "   [ policy ]   \r\n"
				    "\twarn_at = 70 \r\n"
				    "   # indented comment\r\n"
				    "resolved_marker = #done\r\n");

	ck_assert_int_eq(conf->policy.warn_at_pct, 70);
	ck_assert_uint_eq(conf->policy.resolved_marker_count, 1);
	/* a marker may start with '#': comments are whole lines only */
	ck_assert_str_eq(conf->policy.resolved_markers[0], "#done");
	/* untouched: defaults */
	ck_assert_uint_eq(conf->policy.preliminary_marker_count, 2);
	conf_free(&conf);
}
END_TEST

START_TEST(test_markers)
{
	struct conf *conf = load_ok("[policy]\n"
				    "preliminary_marker = #prelim\n"
				    "preliminary_marker = 【处理方案】\n"
				    "preliminary_marker = #prelim\n"
				    "resolved_marker = 【已解决】\n"
				    "resolved_marker = 【已处理】\n");
	char *error, text[2048], *p = text;
	int i;

	ck_assert_uint_eq(conf->policy.preliminary_marker_count, 2);
	ck_assert_str_eq(conf->policy.preliminary_markers[0], "#prelim");
	ck_assert_str_eq(conf->policy.preliminary_markers[1], "【处理方案】");
	ck_assert_uint_eq(conf->policy.resolved_marker_count, 2);
	ck_assert_str_eq(conf->policy.resolved_markers[1], "【已处理】");
	conf_free(&conf);

	p += sprintf(p, "[policy]\n");
	for (i = 0; i <= CONF_MARKERS_MAX; i++)
		p += sprintf(p, "resolved_marker = m%d\n", i);
	error = load_bad(text);
	assert_has(error, "more than 16 values for resolved_marker");
	free(error);
}
END_TEST

START_TEST(test_hours_variants)
{
	struct conf *conf = load_ok("[calendar]\nhours = sat-mon 10:00-16:00, Wed 00:00-24:00\n");

	ck_assert(!conf->calendar.always_open);
	ck_assert_int_eq(conf->calendar.hours.open[6], 36000);
	ck_assert_int_eq(conf->calendar.hours.open[0], 36000);
	ck_assert_int_eq(conf->calendar.hours.close[1], 57600);
	ck_assert_int_eq(conf->calendar.hours.open[2], -1);
	ck_assert_int_eq(conf->calendar.hours.close[3], 86400);
	conf_free(&conf);

	conf = load_ok("[calendar]\nhours = 24X7\n");
	ck_assert(conf->calendar.always_open);
	ck_assert_int_eq(conf->calendar.hours.close[0], 86400);
	conf_free(&conf);
}
END_TEST

START_TEST(test_round_trip)
{
	char *path = fixture("good.conf"), *error = NULL, *dir = testutil_tmpdir();
	char *first, *second, *copy;
	struct conf *conf = NULL, *again = NULL;
	const char *sources[] = { NULL, "" };
	size_t s;

	for (s = 0; s < 2; s++) {
		if (s == 0) {
			if (conf_load(path, &conf, &error) < 0)
				ck_abort_msg("%s", error);
		} else {
			conf = load_ok(sources[s]);
		}
		first = print_to_string(conf);
		if (asprintf(&copy, "%s/printed.conf", dir) < 0)
			abort();
		ck_assert_int_eq(testutil_write_file(copy, first, strlen(first)), 0);
		if (conf_load(copy, &again, &error) < 0)
			ck_abort_msg("printed config does not load back: %s\n%s", error, first);
		second = print_to_string(again);
		/* the first line names the file; everything after must agree */
		ck_assert_str_eq(strchr(first, '\n'), strchr(second, '\n'));
		ck_assert_int_eq(again->policy.first_response_secs,
				 conf->policy.first_response_secs);
		ck_assert_uint_eq(again->team_count, conf->team_count);
		ck_assert_uint_eq(again->calendar.holiday_count, conf->calendar.holiday_count);
		ck_assert(strstr(first, "severity_critical = 20%") != NULL);
		ck_assert(strstr(first, "streak_reset_after_fire = ") != NULL);
		conf_free(&conf);
		conf_free(&again);
		unlink(copy);
		free(copy);
		free(first);
		free(second);
	}
	testutil_rmtree(dir);
	free(dir);
	free(path);
}
END_TEST

START_TEST(test_print_good)
{
	char *path = fixture("good.conf"), *error = NULL, *text;
	struct conf *conf = NULL;

	if (conf_load(path, &conf, &error) < 0)
		ck_abort_msg("%s", error);
	text = print_to_string(conf);
	assert_has(text, "\n[calendar]\ntimezone = Asia/Shanghai\n"
		   "hours = Mon-Fri 08:30-17:30, Sat 09:00-12:00\n"
		   "holiday = 2026-10-01\nholiday = 2026-10-02\nholiday = 2026-10-03\n"
		   "workday = 2026-09-27\n");
	assert_has(text, "first_response = 45m\npreliminary = 24h\nresolution = 14d\n");
	assert_has(text, "warn_at = 75%\n");
	assert_has(text, "preliminary_marker = 【初步方案】\npreliminary_marker = 【临时方案】\n");
	assert_has(text, "charge = owner_at_start\n");
	assert_has(text, "\n[team 售后一组]\nlead = lead@example.cn\n"
		   "agents = zhang.san@example.cn, li.si@example.cn\n"
		   "default_agent = zhang.san@example.cn\n");
	assert_has(text, "\n[team partners]\ndomain = partner.example.com, support.example.org\n");
	free(text);
	conf_free(&conf);
	free(path);
}
END_TEST

START_TEST(test_agent_team)
{
	struct conf *conf = load_ok("[team general]\n"
				    "domain = x.cn\n"
				    "[team vip]\n"
				    "agents = Special@X.cn, other@y.cn\n");

	ck_assert_str_eq(conf_agent_team(conf, "special@x.cn")->name, "vip");
	ck_assert_str_eq(conf_agent_team(conf, "SPECIAL@x.CN")->name, "vip");
	ck_assert_str_eq(conf_agent_team(conf, "someone@x.cn")->name, "general");
	ck_assert_str_eq(conf_agent_team(conf, "someone@X.CN")->name, "general");
	ck_assert_str_eq(conf_agent_team(conf, "other@y.cn")->name, "vip");
	ck_assert_ptr_null(conf_agent_team(conf, "customer@y.cn"));
	ck_assert_ptr_null(conf_agent_team(conf, "someone@sub.x.cn"));
	ck_assert_ptr_null(conf_agent_team(conf, "x.cn"));
	ck_assert_ptr_null(conf_agent_team(conf, "@x.cn"));
	ck_assert_ptr_null(conf_agent_team(conf, ""));
	/* file order is kept: the first team is the default team */
	ck_assert_str_eq(conf->teams[0].name, "general");
	conf_free(&conf);
}
END_TEST

START_TEST(test_agents_repeated)
{
	struct conf *conf = load_ok("[team a]\nagents = a@x.cn\nagents = b@x.cn, a@x.cn\n");

	ck_assert_uint_eq(conf->teams[0].agent_count, 2);
	ck_assert_str_eq(conf->teams[0].agents[1], "b@x.cn");
	conf_free(&conf);
}
END_TEST

static const struct {
	const char *text;
	int ok;
	int64_t secs;
} durations[] = {
	{ "30m", 0, 1800 }, { "24h", 0, 86400 }, { "72h", 0, 259200 },
	{ "1800s", 0, 1800 }, { "1d", 0, 86400 }, { "90", 0, 90 },
	{ "1h30m", 0, 5400 }, { "2D", 0, 172800 }, { "0", 0, 0 },
	{ "", -1, 0 }, { "m", -1, 0 }, { "30 m", -1, 0 }, { "30min", -1, 0 },
	{ "-5m", -1, 0 }, { "1h30", -1, 0 }, { "3w", -1, 0 },
	{ "99999999999999999999", -1, 0 }, { "3661d", -1, 0 }, { "3660d", 0, 3660 * 86400LL },
};

START_TEST(test_parse_duration)
{
	int64_t secs = -7;
	int ret = conf_parse_duration(durations[_i].text, &secs);

	ck_assert_msg(ret == durations[_i].ok, "'%s': got %d", durations[_i].text, ret);
	if (ret == 0)
		ck_assert_int_eq(secs, durations[_i].secs);
	else
		ck_assert_int_eq(secs, -7);
}
END_TEST

START_TEST(test_severity_names)
{
	enum severity s;
	int i;

	for (i = 0; i < SEVERITY_COUNT; i++) {
		ck_assert_int_eq(severity_from_name(severity_name((enum severity)i), &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_str_eq(severity_name(SEVERITY_HIGH), "high");
	ck_assert_int_eq(severity_from_name("CRITICAL", &s), 0);
	ck_assert_int_eq(s, SEVERITY_CRITICAL);
	ck_assert_int_eq(severity_from_name("urgent", &s), 0);
	ck_assert_int_eq(s, SEVERITY_CRITICAL);
	ck_assert_int_eq(severity_from_name("medium", &s), 0);
	ck_assert_int_eq(s, SEVERITY_NORMAL);
	ck_assert_int_eq(severity_from_name("bogus", &s), -1);
	ck_assert_str_eq(severity_name(SEVERITY_COUNT), "unknown");
}
END_TEST

/* The example in slaclock.conf(5) is a valid file. */
/* Module sections are kept as written, with the line of every key, for
   their module to check; conf_print shows them. */
START_TEST(test_module_sections)
{
	static const char text[] =
		"[imap support]\nhost = 127.0.0.1\n\nfolders = INBOX, Sent\n"
		"[smtp]\nurl = smtp://127.0.0.1:25\n"
		"[imap archive]\n";
	const struct conf_section *sec;
	struct conf *conf = NULL;
	char *errors = NULL, *printed = NULL;
	size_t printed_len = 0;
	FILE *out;

	ck_assert_msg(conf_load_buffer("m.conf", text, sizeof(text) - 1, &conf, &errors) == 0,
		      "%s", errors);
	sec = conf_section_next(conf, "imap", NULL);
	ck_assert_ptr_nonnull(sec);
	ck_assert_str_eq(sec->name, "support");
	ck_assert_uint_eq(sec->line, 1);
	ck_assert_uint_eq(sec->kv_count, 2);
	ck_assert_str_eq(sec->kvs[1].key, "folders");
	ck_assert_str_eq(sec->kvs[1].value, "INBOX, Sent");
	ck_assert_uint_eq(sec->kvs[1].line, 4);
	sec = conf_section_next(conf, "imap", sec);
	ck_assert_ptr_nonnull(sec);
	ck_assert_str_eq(sec->name, "archive");
	ck_assert_uint_eq(sec->kv_count, 0);
	ck_assert_ptr_null(conf_section_next(conf, "imap", sec));
	sec = conf_section_next(conf, "smtp", NULL);
	ck_assert_ptr_nonnull(sec);
	ck_assert_ptr_null(sec->name);
	ck_assert_ptr_null(conf_section_next(conf, "helpdesk", NULL));

	out = open_memstream(&printed, &printed_len);
	ck_assert_ptr_nonnull(out);
	conf_print(conf, out);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(printed, "\n[imap support]\nhost = 127.0.0.1\nfolders = INBOX, Sent\n"));
	ck_assert_ptr_nonnull(strstr(printed, "\n[smtp]\nurl = smtp://127.0.0.1:25\n"));
	free(printed);
	conf_free(&conf);
}
END_TEST

START_TEST(test_man_page_example)
{
	char *path, *page, *begin, *end, *error = NULL;
	const char *marker = "\n.Bd -literal -offset indent\n";
	struct conf *conf = NULL;
	size_t len;

	if (asprintf(&path, "%s/doc/slaclock.conf.5", testutil_srcdir()) < 0)
		abort();
	page = testutil_read_file(path, &len);
	ck_assert_ptr_nonnull(page);
	begin = strstr(page, marker);
	ck_assert_ptr_nonnull(begin);
	begin += strlen(marker);
	end = strstr(begin, "\n.Ed\n");
	ck_assert_ptr_nonnull(end);
	if (conf_load_buffer("slaclock.conf.5", begin, (size_t)(end - begin) + 1,
			     &conf, &error) < 0)
		ck_abort_msg("%s", error);
	ck_assert_uint_eq(conf->team_count, 2);
	ck_assert_uint_eq(conf->calendar.workday_count, 2);
	ck_assert_str_eq(conf->store_path, "/var/lib/slaclock/slaclock.db");
	conf_free(&conf);
	free(page);
	free(path);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_file_is_defaults);
	tcase_add_test(tc, test_good_fixture);
	tcase_add_test(tc, test_bad_fixture_collects_all);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_policy_settings);
	tcase_add_test(tc, test_policy_defaults);
	tcase_add_test(tc, test_pack_settings_rest);
	tcase_add_loop_test(tc, test_bad_case, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_line_at_limit);
	tcase_add_test(tc, test_file_too_large);
	tcase_add_test(tc, test_too_many_errors);
	tcase_add_test(tc, test_crlf_bom_comments);
	tcase_add_test(tc, test_markers);
	tcase_add_test(tc, test_hours_variants);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_print_good);
	tcase_add_test(tc, test_agent_team);
	tcase_add_test(tc, test_agents_repeated);
	tcase_add_loop_test(tc, test_parse_duration, 0, (int)(sizeof(durations) / sizeof(durations[0])));
	tcase_add_test(tc, test_severity_names);
	tcase_add_test(tc, test_man_page_example);
	tcase_add_test(tc, test_module_sections);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(conf_suite());
}
