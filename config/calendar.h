/* calendar - deadline arithmetic on a business calendar.
 *
 * All times are UTC seconds since the epoch; the calendar's time zone (tz
 * database) decides what local day and hour they fall in. A 24x7 calendar
 * is plain addition. Business hours skip closed times, holidays and
 * weekends, and count make-up working days (调休).
 */
#ifndef SLACLOCK_CALENDAR_H
#define SLACLOCK_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

/* Longest tz database name accepted ("America/Argentina/ComodRivadavia"). */
#define CALENDAR_ZONE_MAX 128
/* How far calendar_add() looks for open time before giving up: a calendar
   whose only open hours are all holidays must not loop for ever. */
#define CALENDAR_SEARCH_DAYS_MAX (100 * 366)

struct conf_calendar;
struct calendar;

/* Returns 0 and *cal_r (free with calendar_free()), or -1 and *error_r
   (static string) when the time zone is unknown. The calendar keeps a
   pointer to CONF, which must outlive it. */
int calendar_new(const struct conf_calendar *conf, struct calendar **cal_r,
		 const char **error_r);
void calendar_free(struct calendar **cal);

/* The moment at which SECS of open (counted) time have passed since START.
   SECS <= 0 gives START. A target ending exactly at closing time is due at
   closing time, not at the next opening. INT64_MAX when the calendar has no
   open time left within CALENDAR_SEARCH_DAYS_MAX days. */
int64_t calendar_add(const struct calendar *cal, int64_t start, int64_t secs);

/* Open (counted) seconds between FROM and TO (0 when TO <= FROM). */
int64_t calendar_elapsed(const struct calendar *cal, int64_t from, int64_t to);

/* The local month "YYYY-MM" that time T falls in, into buf[8]. */
void calendar_month(const struct calendar *cal, int64_t t, char buf[8]);

/* Local start of month "YYYY-MM" as UTC seconds, and the start of the next
   month. 0 or -1 when MONTH is malformed. */
int calendar_month_range(const struct calendar *cal, const char *month,
			 int64_t *from_r, int64_t *to_r);

/* The local quarter "YYYY-Qn" that time T falls in, into buf[8]. */
void calendar_quarter(const struct calendar *cal, int64_t t, char buf[8]);

/* Local start and end (exclusive) of PERIOD: "YYYY-MM", "YYYY-Qn",
   "YYYY" or an ISO week "YYYY-Www". 0 or -1 when PERIOD is none of these. */
int calendar_period_range(const struct calendar *cal, const char *period,
			  int64_t *from_r, int64_t *to_r);

/* ISO 8601 week "YYYY-Www" (Monday to Sunday, local): its start and the
   next Monday 00:00, as UTC. 0, or -1 when malformed or past the year's
   last week (52 or 53). The G20 weekly report (due Saturday). */
int calendar_week_range(const struct calendar *cal, const char *week, int64_t *from_r,
			int64_t *to_r);
/* The ISO week "YYYY-Www" that T falls in, into buf[9]. */
void calendar_week(const struct calendar *cal, int64_t t, char buf[9]);

/* Whether the local day of T is a working day: a workweek day (conf
   workweek) that is no holiday, or a make-up working day (调休). */
bool calendar_is_working_day(const struct calendar *cal, int64_t t);

/* N working days after START (appeal windows, W1 targets): counting only
   whole working days, the same local time of day on the N-th working day
   after START's day; from a non-working day, the count starts at 00:00 of
   the next working day (so the deadline is the end of the N-th working
   day). N <= 0 gives START; INT64_MAX when no working day is found within
   CALENDAR_SEARCH_DAYS_MAX days. */
int64_t calendar_add_working_days(const struct calendar *cal, int64_t start, int n);

/* Format T as local "YYYY-MM-DD HH:MM:SS" into buf[20]. */
void calendar_format(const struct calendar *cal, int64_t t, char buf[20]);

/* Whether NAME is a zone of the tz database ($TZDIR, default
   /usr/share/zoneinfo): a safe relative name of a file starting "TZif".
   glibc silently falls back to UTC for an unknown TZ, hence this check. */
bool calendar_zone_exists(const char *name);

/* Proleptic Gregorian day numbers, days since 1970-01-01 (may be negative). */
int64_t calendar_days_from_civil(int64_t year, int month, int day);
void calendar_civil_from_days(int64_t days, int *year_r, int *month_r, int *day_r);

/* Implementation note: the local time conversions switch the process's TZ
   for the duration of each call and restore it afterwards (setenv + tzset),
   so these functions are not thread-safe; slaclockd is single-threaded. */

#endif
