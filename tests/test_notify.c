/* notify: the monthly tally ticket's text as a team lead reads it in the
 * helpdesk: one team's rows, every deduction in its unit's own words, in
 * the configured language. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "i18n.h"
#include "notify.h"
#include "report.h"
#include "testutil.h"

static struct conf *conf;
static struct report_row rows[3];

static void
setup(void)
{
	const char *error = NULL;
	const char *b = getenv("top_builddir");
	char dir[4096];

	/* The build tree's catalogues, as test_digest binds them. */
	snprintf(dir, sizeof(dir), "%s/tests/locale", b != NULL ? b : ".");
	i18n_bind(dir);
	ck_assert_msg(conf_defaults(&conf, &error) == 0, "%s", error);
	memset(rows, 0, sizeof(rows));
	rows[0] = (struct report_row){ .agent = "li.na@hd.example", .team = "support",
		.tickets = 12, .met = { 10, 11, 12 }, .missed = { 2, 1, 0 }, .warnings = 2 };
	rows[0].deducted[SLA_UNIT_PCT_MONTH] = 10;
	rows[0].deducted[SLA_UNIT_PCT_WAGE] = 5;
	rows[0].deducted[SLA_UNIT_POINTS] = 1;
	rows[1] = (struct report_row){ .agent = "wang.lei@hd.example", .team = "support",
		.tickets = 3, .met = { 3, 3, 3 } };
	rows[2] = (struct report_row){ .agent = "zhao@hd.example", .team = "other",
		.tickets = 1, .met = { 0, 0, 0 }, .missed = { 1, 1, 1 } };
	rows[2].deducted[SLA_UNIT_YUAN] = 50;
}

static void
teardown(void)
{
	conf_free(&conf);
}

static const char *
line_of(const char *text, const char *agent)
{
	const char *p = strstr(text, agent);

	ck_assert_msg(p != NULL, "no line for %s in:\n%s", agent, text);
	return p;
}

START_TEST(units_in_words_en)
{
	char *text = notify_tally_text(conf, rows, 3, "support", "2026-11", MAILER_LANG_EN);
	const char *li, *wang;

	ck_assert_ptr_nonnull(text);
	li = line_of(text, "li.na@hd.example");
	wang = line_of(text, "wang.lei@hd.example");
	ck_assert_msg(strncmp(li, "li.na@hd.example", 16) == 0 &&
		      strstr(li, "-10% of the month's score, -5% of the month's wage, "
			     "-1 point\n") != NULL, "%s", text);
	/* Nothing deducted: a plain 0, not an empty cell. */
	ck_assert_msg(strstr(wang, " 0\n") != NULL, "%s", text);
	/* Another team's row, and no unit identifier, anywhere. */
	ck_assert_ptr_null(strstr(text, "zhao@hd.example"));
	ck_assert_ptr_null(strstr(text, "pct_"));
	ck_assert_ptr_nonnull(strstr(text, "slaclock monthly tally 2026-11, team support"));
	free(text);
}
END_TEST

START_TEST(units_in_words_zh)
{
	char *text = notify_tally_text(conf, rows, 3, "support", "2026-11", MAILER_LANG_ZH);

	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(line_of(text, "li.na@hd.example"),
			     "当月绩效分 -10%, 当月工资 -5%") != NULL, "%s", text);
	ck_assert_ptr_null(strstr(text, "pct_"));
	ck_assert_ptr_null(strstr(text, "of the month's"));
	free(text);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("notify");
	TCase *tc = tcase_create("tally");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, units_in_words_en);
	tcase_add_test(tc, units_in_words_zh);
	suite_add_tcase(su, tc);
	return testutil_run(su);
}
