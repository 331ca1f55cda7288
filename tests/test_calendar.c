/* test_calendar - deadlines on business calendars, months, time zones. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "conf.h"
#include "testutil.h"

#define H 3600
#define M 60

struct fixture {
	struct conf *conf;
	struct calendar *cal;
};

static void
setup_cal(struct fixture *f, const char *text)
{
	char *error = NULL;
	const char *cerror = NULL;

	if (conf_load_buffer("cal.conf", text, strlen(text), &f->conf, &error) < 0)
		ck_abort_msg("%s", error);
	if (calendar_new(&f->conf->calendar, &f->cal, &cerror) < 0)
		ck_abort_msg("calendar_new: %s", cerror);
}

static void
teardown_cal(struct fixture *f)
{
	calendar_free(&f->cal);
	ck_assert_ptr_null(f->cal);
	conf_free(&f->conf);
}

/* UTC seconds of a local wall-clock time at a fixed UTC offset (hours). */
static int64_t
at(int y, int mo, int d, int h, int mi, int s, int offset_h)
{
	return calendar_days_from_civil(y, mo, d) * 86400 + h * H + mi * M + s -
		(int64_t)offset_h * H;
}

#define CN(y, mo, d, h, mi) at(y, mo, d, h, mi, 0, 8)

static void
assert_local(const struct calendar *cal, int64_t t, const char *expected)
{
	char buf[20];

	calendar_format(cal, t, buf);
	ck_assert_str_eq(buf, expected);
}

#define SHANGHAI_OFFICE "[calendar]\ntimezone = Asia/Shanghai\nhours = Mon-Fri 08:30-17:30\n"

START_TEST(test_civil_days)
{
	int y, m, d;
	int64_t day;

	ck_assert_int_eq(calendar_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(calendar_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(calendar_days_from_civil(2000, 2, 29), 11016);
	ck_assert_int_eq(calendar_days_from_civil(2026, 1, 1), 20454);
	for (day = -1000; day < 30000; day += 7) {
		calendar_civil_from_days(day, &y, &m, &d);
		ck_assert_int_eq(calendar_days_from_civil(y, m, d), day);
	}
	calendar_civil_from_days(20454 + 58, &y, &m, &d);
	ck_assert_int_eq(y, 2026);
	ck_assert_int_eq(m, 2);
	ck_assert_int_eq(d, 28);
}
END_TEST

START_TEST(test_zone_exists)
{
	ck_assert(calendar_zone_exists("Asia/Shanghai"));
	ck_assert(calendar_zone_exists("America/New_York"));
	ck_assert(calendar_zone_exists("UTC"));
	ck_assert(!calendar_zone_exists("Mars/Olympus"));
	ck_assert(!calendar_zone_exists("Asia"));
	ck_assert(!calendar_zone_exists(""));
	ck_assert(!calendar_zone_exists("/etc/localtime"));
	ck_assert(!calendar_zone_exists("../zoneinfo/UTC"));
	ck_assert(!calendar_zone_exists("Asia/../UTC"));
	ck_assert(!calendar_zone_exists("Asia//Shanghai"));
	/* a file in the directory that is not a zone */
	ck_assert(!calendar_zone_exists("zone.tab"));
}
END_TEST

START_TEST(test_new_unknown_zone)
{
	struct conf *conf = NULL;
	struct calendar *cal = NULL;
	const char *error = NULL;

	ck_assert_int_eq(conf_defaults(&conf, &error), 0);
	free(conf->calendar.timezone);
	conf->calendar.timezone = strdup("Nowhere/City");
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), -1);
	ck_assert_ptr_null(cal);
	ck_assert_ptr_nonnull(error);
	conf_free(&conf);
}
END_TEST

START_TEST(test_always_open)
{
	struct fixture f;
	int64_t t = CN(2026, 11, 27, 17, 20);

	setup_cal(&f, "");
	ck_assert_int_eq(calendar_add(f.cal, t, 30 * M), t + 30 * M);
	ck_assert_int_eq(calendar_add(f.cal, t, 72 * H), t + 72 * H);
	ck_assert_int_eq(calendar_add(f.cal, t, 0), t);
	ck_assert_int_eq(calendar_add(f.cal, t, INT64_MAX), INT64_MAX);
	ck_assert_int_eq(calendar_elapsed(f.cal, t, t + 1801), 1801);
	ck_assert_int_eq(calendar_elapsed(f.cal, t, t - 5), 0);
	teardown_cal(&f);
}
END_TEST

/* POLICY.md worked example 9. */
/* Working-day units: the same time on the N-th working day, or from a
   non-working day the end of the N-th; holidays skipped, 调休 counted. */
START_TEST(test_working_days)
{
	struct fixture f;
	int64_t wed = CN(2026, 11, 25, 10, 0), fri = CN(2026, 11, 27, 17, 20);

	setup_cal(&f, "[calendar]\ntimezone = Asia/Shanghai\n");
	/* 24x7 still counts appeal windows on Mon-Fri */
	ck_assert(calendar_is_working_day(f.cal, wed));
	ck_assert(!calendar_is_working_day(f.cal, CN(2026, 11, 28, 10, 0)));
	ck_assert_int_eq(calendar_add_working_days(f.cal, wed, 0), wed);
	ck_assert_int_eq(calendar_add_working_days(f.cal, wed, 1), CN(2026, 11, 26, 10, 0));
	ck_assert_int_eq(calendar_add_working_days(f.cal, wed, 5), CN(2026, 12, 2, 10, 0));
	ck_assert_int_eq(calendar_add_working_days(f.cal, fri, 1), CN(2026, 11, 30, 17, 20));
	/* from Saturday: Monday is the first, due at its end */
	ck_assert_int_eq(calendar_add_working_days(f.cal, CN(2026, 11, 28, 9, 0), 1),
			 CN(2026, 12, 1, 0, 0));
	ck_assert_int_eq(calendar_add_working_days(f.cal, CN(2026, 11, 28, 9, 0), 5),
			 CN(2026, 12, 5, 0, 0));
	teardown_cal(&f);

	/* a holiday Monday followed by nothing; a make-up Saturday before it */
	setup_cal(&f, "[calendar]\ntimezone = Asia/Shanghai\nholiday = 2026-11-30\n"
		  "workday = 2026-11-28\n");
	ck_assert(calendar_is_working_day(f.cal, CN(2026, 11, 28, 10, 0)));
	ck_assert(!calendar_is_working_day(f.cal, CN(2026, 11, 30, 10, 0)));
	ck_assert_int_eq(calendar_add_working_days(f.cal, fri, 1), CN(2026, 11, 28, 17, 20));
	ck_assert_int_eq(calendar_add_working_days(f.cal, fri, 2), CN(2026, 12, 1, 17, 20));
	/* Golden Week: Oct 8 and 9 work, the make-up Saturday Oct 10 too */
	teardown_cal(&f);
	setup_cal(&f, "[calendar]\ntimezone = Asia/Shanghai\nholiday = 2026-10-01, "
		  "2026-10-02, 2026-10-05, 2026-10-06, 2026-10-07\nworkday = 2026-10-10\n");
	ck_assert_int_eq(calendar_add_working_days(f.cal, CN(2026, 9, 30, 12, 0), 2),
			 CN(2026, 10, 9, 12, 0));
	ck_assert_int_eq(calendar_add_working_days(f.cal, CN(2026, 9, 30, 12, 0), 3),
			 CN(2026, 10, 10, 12, 0));
	ck_assert_int_eq(calendar_add_working_days(f.cal, CN(2026, 9, 30, 12, 0), 4),
			 CN(2026, 10, 12, 12, 0));
	teardown_cal(&f);

	/* business hours decide the workweek unless it is given */
	setup_cal(&f, "[calendar]\ntimezone = Asia/Shanghai\nhours = Mon-Sat 09:00-18:00\n");
	ck_assert(calendar_is_working_day(f.cal, CN(2026, 11, 28, 10, 0)));
	teardown_cal(&f);
	setup_cal(&f, "[calendar]\ntimezone = Asia/Shanghai\nhours = Mon-Sat 09:00-18:00\n"
		  "workweek = Mon-Fri\n");
	ck_assert(!calendar_is_working_day(f.cal, CN(2026, 11, 28, 10, 0)));
	teardown_cal(&f);
}
END_TEST

/* Working days across DST: the local time of day is kept. */
START_TEST(test_working_days_dst)
{
	struct fixture f;
	int64_t fri = at(2026, 3, 6, 10, 0, 0, -5);

	setup_cal(&f, "[calendar]\ntimezone = America/New_York\n");
	ck_assert_int_eq(calendar_add_working_days(f.cal, fri, 1), at(2026, 3, 9, 10, 0, 0, -4));
	ck_assert_int_eq(calendar_add_working_days(f.cal, at(2026, 3, 7, 10, 0, 0, -5), 1),
			 at(2026, 3, 10, 0, 0, 0, -4));
	teardown_cal(&f);
}
END_TEST

/* Quarters and years: calendar_quarter() and calendar_period_range(). */
START_TEST(test_periods)
{
	struct fixture f;
	int64_t from, to;
	char q[8];

	setup_cal(&f, "[calendar]\ntimezone = Asia/Shanghai\n");
	calendar_quarter(f.cal, CN(2026, 3, 31, 23, 59), q);
	ck_assert_str_eq(q, "2026-Q1");
	calendar_quarter(f.cal, CN(2026, 4, 1, 0, 0), q);
	ck_assert_str_eq(q, "2026-Q2");
	calendar_quarter(f.cal, CN(2026, 12, 31, 23, 59), q);
	ck_assert_str_eq(q, "2026-Q4");
	ck_assert_int_eq(calendar_period_range(f.cal, "2026-Q2", &from, &to), 0);
	ck_assert_int_eq(from, CN(2026, 4, 1, 0, 0));
	ck_assert_int_eq(to, CN(2026, 7, 1, 0, 0));
	ck_assert_int_eq(calendar_period_range(f.cal, "2026-Q4", &from, &to), 0);
	ck_assert_int_eq(to, CN(2027, 1, 1, 0, 0));
	ck_assert_int_eq(calendar_period_range(f.cal, "2026", &from, &to), 0);
	ck_assert_int_eq(from, CN(2026, 1, 1, 0, 0));
	ck_assert_int_eq(to, CN(2027, 1, 1, 0, 0));
	ck_assert_int_eq(calendar_period_range(f.cal, "2026-11", &from, &to), 0);
	ck_assert_int_eq(from, CN(2026, 11, 1, 0, 0));
	ck_assert_int_eq(calendar_period_range(f.cal, "2026-Q5", &from, &to), -1);
	ck_assert_int_eq(calendar_period_range(f.cal, "2026-13", &from, &to), -1);
	ck_assert_int_eq(calendar_period_range(f.cal, "26", &from, &to), -1);
	teardown_cal(&f);
}
END_TEST

/* ISO weeks (G20.w, the weekly report due Saturday): Monday 00:00 local
   to the next Monday; week 1 holds 4 January; 2026 has 53 weeks. */
static const struct {
	const char *week;
	int y, m, d;               /* its Monday; y 0: refused */
} iso_weeks[] = {
	{ "2026-W01", 2025, 12, 29 },
	{ "2026-W45", 2026, 11, 2 },
	{ "2026-W53", 2026, 12, 28 },
	{ "2027-W01", 2027, 1, 4 },
	{ "2020-W53", 2020, 12, 28 },
	{ "2021-W01", 2021, 1, 4 },
	{ "2027-W53", 0, 0, 0 },
	{ "2026-W54", 0, 0, 0 },
	{ "2026-W00", 0, 0, 0 },
	{ "2026-W1", 0, 0, 0 },
	{ "2026-W011", 0, 0, 0 },
	{ "1969-W01", 0, 0, 0 },
};

START_TEST(test_iso_weeks)
{
	struct fixture f;
	int64_t from, to;
	char w[9];

	setup_cal(&f, "[calendar]\ntimezone = Asia/Shanghai\n");
	if (iso_weeks[_i].y == 0) {
		ck_assert_int_eq(calendar_period_range(f.cal, iso_weeks[_i].week, &from, &to), -1);
		teardown_cal(&f);
		return;
	}
	ck_assert_int_eq(calendar_period_range(f.cal, iso_weeks[_i].week, &from, &to), 0);
	ck_assert_int_eq(from, CN(iso_weeks[_i].y, iso_weeks[_i].m, iso_weeks[_i].d, 0, 0));
	ck_assert_int_eq(to - from, 7 * 86400);
	/* the first and the last second are in the week, the next is not */
	calendar_week(f.cal, from, w);
	ck_assert_str_eq(w, iso_weeks[_i].week);
	calendar_week(f.cal, to - 1, w);
	ck_assert_str_eq(w, iso_weeks[_i].week);
	calendar_week(f.cal, to, w);
	ck_assert_str_ne(w, iso_weeks[_i].week);
	teardown_cal(&f);
}
END_TEST

/* A week in a zone with DST: 2026-W10 in New York holds the switch (8
   March), so it is an hour short. */
START_TEST(test_iso_week_dst)
{
	struct fixture f;
	int64_t from, to;

	setup_cal(&f, "[calendar]\ntimezone = America/New_York\n");
	ck_assert_int_eq(calendar_period_range(f.cal, "2026-W10", &from, &to), 0);
	ck_assert_int_eq(from, at(2026, 3, 2, 0, 0, 0, -5));
	ck_assert_int_eq(to, at(2026, 3, 9, 0, 0, 0, -4));
	ck_assert_int_eq(to - from, 7 * 86400 - H);
	teardown_cal(&f);
}
END_TEST

START_TEST(test_example_9)
{
	struct fixture f;
	int64_t fri = CN(2026, 11, 27, 17, 20), due;

	setup_cal(&f, SHANGHAI_OFFICE);
	assert_local(f.cal, fri, "2026-11-27 17:20:00");
	due = calendar_add(f.cal, fri, 30 * M);
	ck_assert_int_eq(due, CN(2026, 11, 30, 8, 50));
	assert_local(f.cal, due, "2026-11-30 08:50:00");
	ck_assert_int_eq(calendar_elapsed(f.cal, fri, due), 30 * M);
	teardown_cal(&f);

	setup_cal(&f, SHANGHAI_OFFICE "holiday = 2026-11-30\n");
	due = calendar_add(f.cal, fri, 30 * M);
	assert_local(f.cal, due, "2026-12-01 08:50:00");
	ck_assert_int_eq(calendar_elapsed(f.cal, fri, due), 30 * M);
	teardown_cal(&f);

	setup_cal(&f, SHANGHAI_OFFICE "workday = 2026-11-28\n");
	due = calendar_add(f.cal, fri, 30 * M);
	assert_local(f.cal, due, "2026-11-28 08:50:00");
	teardown_cal(&f);

	/* holiday Monday and make-up Saturday together: Saturday wins */
	setup_cal(&f, SHANGHAI_OFFICE "holiday = 2026-11-30\nworkday = 2026-11-28\n");
	assert_local(f.cal, calendar_add(f.cal, fri, 30 * M), "2026-11-28 08:50:00");
	teardown_cal(&f);
}
END_TEST

START_TEST(test_boundaries)
{
	struct fixture f;

	setup_cal(&f, SHANGHAI_OFFICE);
	/* exactly at opening */
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 30, 8, 30), 30 * M),
		     "2026-11-30 09:00:00");
	/* before opening */
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 30, 3, 0), 30 * M),
		     "2026-11-30 09:00:00");
	/* exactly at closing: nothing left today */
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 27, 17, 30), 30 * M),
		     "2026-11-30 09:00:00");
	/* one second before closing */
	assert_local(f.cal, calendar_add(f.cal, at(2026, 11, 27, 17, 29, 59, 8), 30 * M),
		     "2026-11-30 08:59:59");
	/* during closed time: Saturday noon, Sunday night */
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 28, 12, 0), 30 * M),
		     "2026-11-30 09:00:00");
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 29, 23, 59), 1),
		     "2026-11-30 08:30:01");
	/* a target ending exactly at closing is due at closing */
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 30, 17, 0), 30 * M),
		     "2026-11-30 17:30:00");
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 30, 17, 0), 30 * M + 1),
		     "2026-12-01 08:30:01");
	/* zero seconds: the start itself, even when closed */
	ck_assert_int_eq(calendar_add(f.cal, CN(2026, 11, 28, 12, 0), 0), CN(2026, 11, 28, 12, 0));
	/* several days: 24 h of 9-hour days from Monday 10:00 */
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 30, 10, 0), 24 * H),
		     "2026-12-02 16:00:00");
	/* 72 h crosses a weekend */
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 30, 10, 0), 72 * H),
		     "2026-12-10 10:00:00");
	/* a whole week of open time */
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 11, 30, 0, 0), CN(2026, 12, 7, 0, 0)),
			 5 * 9 * H);
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 11, 28, 0, 0), CN(2026, 11, 29, 23, 0)), 0);
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 11, 30, 12, 0), CN(2026, 11, 30, 11, 0)), 0);
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 11, 30, 12, 0), CN(2026, 11, 30, 12, 0)), 0);
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 11, 30, 17, 0), CN(2026, 12, 1, 9, 0)),
			 60 * M);
	teardown_cal(&f);
}
END_TEST

START_TEST(test_golden_week)
{
	struct fixture f;

	/* 2026 National Day: Oct 1-7 off, Sunday Sep 27 and Saturday Oct 10 worked */
	setup_cal(&f, SHANGHAI_OFFICE
		  "holidays = 2026-10-01, 2026-10-02, 2026-10-03, 2026-10-04\n"
		  "holidays = 2026-10-05, 2026-10-06, 2026-10-07\n"
		  "workday = 2026-09-27\nworkday = 2026-10-10\n");
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 9, 30, 17, 0), 60 * M),
		     "2026-10-08 09:00:00");
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 9, 26, 10, 0), 60 * M),
		     "2026-09-27 09:30:00");
	/* Thursday Oct 8 + Friday Oct 9 = 18 h; the Saturday is worked */
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 10, 8, 8, 30), 20 * H),
		     "2026-10-10 10:30:00");
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 9, 30, 0, 0), CN(2026, 10, 11, 0, 0)),
			 4 * 9 * H);
	teardown_cal(&f);
}
END_TEST

START_TEST(test_makeup_uses_weekday_hours)
{
	struct fixture f;

	/* a worked Sunday takes the Monday-Friday hours, not Saturday's */
	setup_cal(&f, "[calendar]\nhours = Mon-Fri 08:30-17:30, Sat 09:00-12:00\n"
		  "workday = 2026-11-29\n");
	assert_local(f.cal, calendar_add(f.cal, CN(2026, 11, 28, 11, 0), 2 * H),
		     "2026-11-29 09:30:00");
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 11, 29, 0, 0), CN(2026, 11, 30, 0, 0)),
			 9 * H);
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 11, 28, 0, 0), CN(2026, 11, 29, 0, 0)),
			 3 * H);
	teardown_cal(&f);

	/* with the weekdays starting on Wednesday, that day's hours count */
	setup_cal(&f, "[calendar]\nhours = Wed 10:00-12:00, Thu-Fri 08:00-18:00\n"
		  "workday = 2026-11-29\n");
	ck_assert_int_eq(calendar_elapsed(f.cal, CN(2026, 11, 29, 0, 0), CN(2026, 11, 30, 0, 0)),
			 2 * H);
	teardown_cal(&f);
}
END_TEST

/* calendar_elapsed() undoes calendar_add(), from open and closed starts. */
START_TEST(test_elapsed_inverse)
{
	static const int64_t amounts[] = { 1, 59, 30 * M, 9 * H, 9 * H + 1, 24 * H, 72 * H };
	static const char *const calendars[] = {
		SHANGHAI_OFFICE "holiday = 2026-12-01\nworkday = 2026-12-05\n",
		"[calendar]\ntimezone = America/New_York\n"
		"hours = Mon-Fri 08:30-17:30, Sun 00:00-24:00\n",
	};
	struct fixture f;
	int64_t start, end, to, back;
	size_t c, i;

	for (c = 0; c < sizeof(calendars) / sizeof(calendars[0]); c++) {
		setup_cal(&f, calendars[c]);
		/* every 37 minutes for two weeks, so starts fall everywhere */
		for (start = CN(2026, 10, 29, 0, 0); start < CN(2026, 11, 12, 0, 0); start += 37 * M) {
			for (i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
				end = calendar_add(f.cal, start, amounts[i]);
				ck_assert_int_gt(end, start);
				ck_assert_int_eq(calendar_elapsed(f.cal, start, end), amounts[i]);
				/* the deadline is the first moment with that much open time */
				ck_assert_int_eq(calendar_elapsed(f.cal, start, end - 1), amounts[i] - 1);
			}
			to = start + 29 * H + 13 * M;
			back = calendar_add(f.cal, start, calendar_elapsed(f.cal, start, to));
			ck_assert_int_le(back, to);
			ck_assert_int_eq(calendar_elapsed(f.cal, start, back),
					 calendar_elapsed(f.cal, start, to));
		}
		teardown_cal(&f);
	}
}
END_TEST

START_TEST(test_dst_new_york)
{
	struct fixture f;
	int64_t fri, due;

	setup_cal(&f, "[calendar]\ntimezone = America/New_York\nhours = Mon-Fri 08:30-17:30\n");
	/* spring forward on Sunday 2026-03-08: Friday is EST, Monday EDT */
	fri = at(2026, 3, 6, 17, 20, 0, -5);
	assert_local(f.cal, fri, "2026-03-06 17:20:00");
	due = calendar_add(f.cal, fri, 30 * M);
	ck_assert_int_eq(due, at(2026, 3, 9, 8, 50, 0, -4));
	assert_local(f.cal, due, "2026-03-09 08:50:00");
	ck_assert_int_eq(calendar_elapsed(f.cal, fri, due), 30 * M);
	/* fall back on Sunday 2026-11-01 */
	fri = at(2026, 10, 30, 17, 20, 0, -4);
	due = calendar_add(f.cal, fri, 30 * M);
	ck_assert_int_eq(due, at(2026, 11, 2, 8, 50, 0, -5));
	assert_local(f.cal, due, "2026-11-02 08:50:00");
	teardown_cal(&f);
}
END_TEST

START_TEST(test_dst_berlin_full_days)
{
	struct fixture f;
	int64_t sat = at(2026, 3, 28, 12, 0, 0, 1);

	/* open all day every day, but counted day by day, not as 24x7 */
	setup_cal(&f, "[calendar]\ntimezone = Europe/Berlin\nhours = Mon-Sun 00:00-24:00\n");
	ck_assert(!f.conf->calendar.always_open);
	ck_assert_int_eq(calendar_add(f.cal, sat, 24 * H), sat + 24 * H);
	assert_local(f.cal, sat + 24 * H, "2026-03-29 13:00:00");
	/* the switch days last 23 and 25 hours */
	ck_assert_int_eq(calendar_elapsed(f.cal, at(2026, 3, 29, 0, 0, 0, 1),
					  at(2026, 3, 30, 0, 0, 0, 2)), 23 * H);
	ck_assert_int_eq(calendar_elapsed(f.cal, at(2026, 10, 25, 0, 0, 0, 2),
					  at(2026, 10, 26, 0, 0, 0, 1)), 25 * H);
	ck_assert_int_eq(calendar_elapsed(f.cal, sat, sat + 30 * 86400), 30 * 86400);
	teardown_cal(&f);

	/* only Sundays open: the short Sunday spills an hour into the next */
	setup_cal(&f, "[calendar]\ntimezone = Europe/Berlin\nhours = Sun 00:00-24:00\n");
	assert_local(f.cal, calendar_add(f.cal, sat, 24 * H), "2026-04-05 01:00:00");
	ck_assert_int_eq(calendar_add(f.cal, sat, 24 * H), at(2026, 4, 5, 1, 0, 0, 2));
	assert_local(f.cal, calendar_add(f.cal, at(2026, 10, 24, 12, 0, 0, 2), 24 * H),
		     "2026-10-25 23:00:00");
	teardown_cal(&f);
}
END_TEST

START_TEST(test_months_shanghai)
{
	struct fixture f;
	int64_t from, to;
	char month[8];

	setup_cal(&f, "");
	/* 2026-11-30T17:00Z is already December in Shanghai */
	calendar_month(f.cal, at(2026, 11, 30, 17, 0, 0, 0), month);
	ck_assert_str_eq(month, "2026-12");
	assert_local(f.cal, at(2026, 11, 30, 17, 0, 0, 0), "2026-12-01 01:00:00");
	calendar_month(f.cal, at(2026, 11, 30, 15, 59, 59, 0), month);
	ck_assert_str_eq(month, "2026-11");
	calendar_month(f.cal, at(2026, 11, 30, 16, 0, 0, 0), month);
	ck_assert_str_eq(month, "2026-12");

	ck_assert_int_eq(calendar_month_range(f.cal, "2026-12", &from, &to), 0);
	ck_assert_int_eq(from, at(2026, 11, 30, 16, 0, 0, 0));
	ck_assert_int_eq(to, at(2026, 12, 31, 16, 0, 0, 0));
	ck_assert_int_eq(calendar_month_range(f.cal, "2027-02", &from, &to), 0);
	ck_assert_int_eq(to - from, 28 * 86400);
	ck_assert_int_eq(calendar_month_range(f.cal, "2028-02", &from, &to), 0);
	ck_assert_int_eq(to - from, 29 * 86400);
	calendar_month(f.cal, from, month);
	ck_assert_str_eq(month, "2028-02");
	calendar_month(f.cal, to - 1, month);
	ck_assert_str_eq(month, "2028-02");
	calendar_month(f.cal, to, month);
	ck_assert_str_eq(month, "2028-03");

	ck_assert_int_eq(calendar_month_range(f.cal, "2026-13", &from, &to), -1);
	ck_assert_int_eq(calendar_month_range(f.cal, "2026-00", &from, &to), -1);
	ck_assert_int_eq(calendar_month_range(f.cal, "2026-1", &from, &to), -1);
	ck_assert_int_eq(calendar_month_range(f.cal, "2026-011", &from, &to), -1);
	ck_assert_int_eq(calendar_month_range(f.cal, "26-01", &from, &to), -1);
	ck_assert_int_eq(calendar_month_range(f.cal, "2026/01", &from, &to), -1);
	ck_assert_int_eq(calendar_month_range(f.cal, "", &from, &to), -1);
	teardown_cal(&f);
}
END_TEST

START_TEST(test_months_dst)
{
	struct fixture f;
	int64_t from, to;

	setup_cal(&f, "[calendar]\ntimezone = America/New_York\n");
	ck_assert_int_eq(calendar_month_range(f.cal, "2026-03", &from, &to), 0);
	ck_assert_int_eq(from, at(2026, 3, 1, 0, 0, 0, -5));
	ck_assert_int_eq(to, at(2026, 4, 1, 0, 0, 0, -4));
	ck_assert_int_eq(to - from, 31 * 86400 - H);
	teardown_cal(&f);
}
END_TEST

/* The process's own TZ is what it was before each call. */
START_TEST(test_tz_restored)
{
	struct fixture f;
	time_t t = (time_t)at(2026, 7, 1, 12, 0, 0, 0);
	struct tm tm;
	char month[8];

	setup_cal(&f, SHANGHAI_OFFICE);
	setenv("TZ", "America/New_York", 1);
	tzset();
	(void)calendar_add(f.cal, (int64_t)t, 30 * M);
	calendar_month(f.cal, (int64_t)t, month);
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	localtime_r(&t, &tm);
	ck_assert_int_eq(tm.tm_hour, 8);

	unsetenv("TZ");
	tzset();
	(void)calendar_elapsed(f.cal, (int64_t)t, (int64_t)t + 86400);
	ck_assert_ptr_null(getenv("TZ"));

	/* already in the calendar's zone: nothing to switch */
	setenv("TZ", ":Asia/Shanghai", 1);
	calendar_month(f.cal, (int64_t)t, month);
	ck_assert_str_eq(getenv("TZ"), ":Asia/Shanghai");
	unsetenv("TZ");
	tzset();
	teardown_cal(&f);
}
END_TEST

/* The calendar answers from a table of its zone's offsets; the C
   library, with TZ set here, is the reference. Zones with DST, half-hour
   and 45-minute offsets, a 30-minute DST (Lord Howe), DST suspended for
   Ramadan (Casablanca), a skipped day (Apia, 2011-12-30); instants on both
   sides of each change of offset from 1995 to 2075 (past the table's
   ends), and pseudo-random ones. */
struct zone_probe {
	int64_t t;
	char local[20], month[8];
	int64_t month_from, month_to;
};

static int64_t
reference_month_start(int y, int m)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* With TZ set to the zone. */
static void
probe_add(struct zone_probe *probes, size_t *count, size_t cap, int64_t t)
{
	struct zone_probe *p;
	time_t tt = (time_t)t;
	struct tm tm;

	/* plain ifs: every ck_assert is a write to Check's log */
	if (*count >= cap || localtime_r(&tt, &tm) == NULL)
		ck_abort_msg("probe %zu at %lld", *count, (long long)t);
	p = &probes[(*count)++];
	p->t = t;
	strftime(p->local, sizeof(p->local), "%Y-%m-%d %H:%M:%S", &tm);
	strftime(p->month, sizeof(p->month), "%Y-%m", &tm);
	p->month_from = reference_month_start(tm.tm_year + 1900, tm.tm_mon + 1);
	p->month_to = tm.tm_mon == 11 ? reference_month_start(tm.tm_year + 1901, 1) :
		reference_month_start(tm.tm_year + 1900, tm.tm_mon + 2);
}

static long
gmtoff_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		ck_abort_msg("localtime_r(%lld)", (long long)t);
	return tm.tm_gmtoff;
}

START_TEST(test_zone_table_matches_library)
{
	static const char *const zones[] = {
		"Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe",
		"Asia/Kathmandu", "Africa/Casablanca", "America/Santiago", "Pacific/Apia",
		"Asia/Tehran", "Europe/Moscow",
	};
	enum { probe_cap = 4000 };
	struct zone_probe *probes = calloc(probe_cap, sizeof(*probes));
	uint64_t seed = 0x9e3779b97f4a7c15u;
	size_t z, k;

	ck_assert_ptr_nonnull(probes);
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		const int64_t first = at(1995, 1, 1, 0, 0, 0, 0), last = at(2075, 1, 1, 0, 0, 0, 0);
		char text[256], tz[64], got[20], month[8];
		size_t count = 0, changes = 0;
		struct fixture f;
		int64_t t, from, to;
		long prev;
		int i;

		snprintf(tz, sizeof(tz), ":%s", zones[z]);
		setenv("TZ", tz, 1);
		tzset();
		prev = gmtoff_at(first);
		for (t = first; t < last; t += 3 * H) {
			int64_t lo = t - 3 * H, hi = t;

			if (gmtoff_at(t) == prev)
				continue;
			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;

				if (gmtoff_at(mid) == prev)
					lo = mid;
				else
					hi = mid;
			}
			probe_add(probes, &count, probe_cap, hi - 1);
			probe_add(probes, &count, probe_cap, hi);
			probe_add(probes, &count, probe_cap, hi - 86400);
			probe_add(probes, &count, probe_cap, hi + 86400);
			prev = gmtoff_at(t);
			changes++;
		}
		for (i = 0; i < 400; i++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			probe_add(probes, &count, probe_cap,
				  first + (int64_t)((seed >> 20) % (uint64_t)(last - first)));
		}
		unsetenv("TZ");
		tzset();
		/* the zones with changes have them; a loop that found none
		   would test nothing near one */
		if (strcmp(zones[z], "Asia/Shanghai") != 0 && strcmp(zones[z], "Asia/Kathmandu") != 0)
			ck_assert_msg(changes > 0, "%s: no change of offset found", zones[z]);

		snprintf(text, sizeof(text), "[calendar]\ntimezone = %s\nhours = 24x7\n", zones[z]);
		setup_cal(&f, text);
		ck_assert_uint_ge(count, 400);
		for (k = 0; k < count; k++) {
			const struct zone_probe *p = &probes[k];

			calendar_format(f.cal, p->t, got);
			if (strcmp(got, p->local) != 0)
				ck_abort_msg("%s at %lld: %s, library %s", zones[z],
					     (long long)p->t, got, p->local);
			calendar_month(f.cal, p->t, month);
			if (strcmp(month, p->month) != 0 ||
			    calendar_month_range(f.cal, month, &from, &to) != 0 ||
			    from != p->month_from || to != p->month_to)
				ck_abort_msg("%s at %lld: %s [%lld, %lld), library %s [%lld, %lld)",
					     zones[z], (long long)p->t, month, (long long)from,
					     (long long)to, p->month, (long long)p->month_from,
					     (long long)p->month_to);
		}
		teardown_cal(&f);
	}
	free(probes);
}
END_TEST

/* A calendar with no open time must not loop for ever. */
START_TEST(test_never_open)
{
	struct conf *conf = NULL;
	struct calendar *cal = NULL;
	const char *error = NULL;
	int d;

	ck_assert_int_eq(conf_defaults(&conf, &error), 0);
	conf->calendar.always_open = false;
	conf->calendar.hours.all_day = false;
	for (d = 0; d < 7; d++)
		conf->calendar.hours.open[d] = conf->calendar.hours.close[d] = -1;
	ck_assert_int_eq(calendar_new(&conf->calendar, &cal, &error), 0);
	ck_assert_int_eq(calendar_add(cal, CN(2026, 11, 27, 17, 20), 30 * M), INT64_MAX);
	ck_assert_int_eq(calendar_elapsed(cal, CN(2026, 11, 27, 17, 20), CN(2026, 12, 27, 17, 20)), 0);
	/* make-up days still have no hours to borrow */
	calendar_free(&cal);
	conf_free(&conf);
}
END_TEST

static Suite *
calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("calendar");

	tcase_add_test(tc, test_civil_days);
	tcase_add_test(tc, test_zone_exists);
	tcase_add_test(tc, test_new_unknown_zone);
	tcase_add_test(tc, test_always_open);
	tcase_add_test(tc, test_example_9);
	tcase_add_test(tc, test_working_days);
	tcase_add_test(tc, test_working_days_dst);
	tcase_add_test(tc, test_periods);
	tcase_add_loop_test(tc, test_iso_weeks, 0, sizeof(iso_weeks) / sizeof(iso_weeks[0]));
	tcase_add_test(tc, test_iso_week_dst);
	tcase_add_test(tc, test_boundaries);
	tcase_add_test(tc, test_golden_week);
	tcase_add_test(tc, test_makeup_uses_weekday_hours);
	tcase_add_test(tc, test_elapsed_inverse);
	tcase_add_test(tc, test_dst_new_york);
	tcase_add_test(tc, test_dst_berlin_full_days);
	tcase_add_test(tc, test_months_shanghai);
	tcase_add_test(tc, test_months_dst);
	tcase_add_test(tc, test_tz_restored);
	tcase_add_test(tc, test_zone_table_matches_library);
	tcase_add_test(tc, test_never_open);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(calendar_suite());
}
