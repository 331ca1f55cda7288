/* calendar - deadline arithmetic on a business calendar.
 *
 * Open time is found day by day: each local day's opening and closing
 * moments are turned into UTC in the calendar's zone, so a DST switch
 * inside or outside the open hours is counted exactly, and a 00:00-24:00
 * day on a switch day lasts 23 or 25 hours as it really does.
 *
 * The C library is the zone's only authority, but asking it costs: the
 * zone is the process's TZ, and each switch makes tzset() read the zone
 * file again (~10 us), which a recompute of a million tickets did millions
 * of times. So a calendar reads its zone's UTC offsets for the years it
 * will most likely be asked about once, when it is made, and answers from
 * that table; times outside it, and local times within two days of a
 * change of offset, where mktime()'s choice in a gap or an overlap is the
 * answer, still go to the C library.
 */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "conf.h"

#define CALENDAR_ZONEINFO_DIR "/usr/share/zoneinfo"
/* The zone table's years, [FROM, TO) UTC: 2000-01-01 and 2070-01-01. */
#define CALENDAR_TABLE_FROM INT64_C(946684800)
#define CALENDAR_TABLE_TO INT64_C(3155760000)
/* The zone is sampled this often; offsets that change twice within one
   step would be missed, and no zone has done that since 2000. */
#define CALENDAR_TABLE_STEP 86400
/* Local times this close to a change of offset go to mktime(). */
#define CALENDAR_TABLE_MARGIN (2 * 86400)

/* From FROM on (UTC), local time is UTC + OFF seconds. */
struct zone_span {
	int64_t from;
	int32_t off;
};

struct calendar {
	const struct conf_calendar *conf;
	char *tz;                /* ":Zone/Name", the TZ value */
	int32_t makeup_open;     /* hours of a make-up working day (调休) */
	int32_t makeup_close;
	struct zone_span *spans; /* sorted; the last one ends at CALENDAR_TABLE_TO */
	size_t span_count;       /* 0: no table, ask the C library each time */
};

/* The TZ value in force before a call, to put back afterwards. */
struct tz_saved {
	char *old;
	bool had_old;
	bool switched;
};

int64_t
calendar_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
calendar_civil_from_days(int64_t z, int *y_r, int *m_r, int *d_r)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = (int)(y + (*m_r <= 2));
}

bool
calendar_zone_exists(const char *name)
{
	const char *dir = getenv("TZDIR"), *s;
	char path[4096], magic[4];
	size_t len = strlen(name);
	bool ok = false;
	int fd;

	if (len == 0 || len > CALENDAR_ZONE_MAX || name[0] == '/')
		return false;
	for (s = name; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr("/_+-.", *s) == NULL)
			return false;
		/* no "..", no hidden files, no empty components */
		if ((s == name || s[-1] == '/') && (*s == '.' || *s == '/'))
			return false;
	}
	if (dir == NULL || *dir == '\0')
		dir = CALENDAR_ZONEINFO_DIR;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	ok = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

static void
tz_enter(const struct calendar *cal, struct tz_saved *saved)
{
	const char *old = getenv("TZ");

	saved->old = NULL;
	saved->had_old = old != NULL;
	saved->switched = false;
	if (old == NULL || strcmp(old, cal->tz) != 0) {
		if (old != NULL && (saved->old = strdup(old)) == NULL)
			return;	/* cannot restore it, so leave it alone */
		if (setenv("TZ", cal->tz, 1) < 0) {
			free(saved->old);
			saved->old = NULL;
			return;
		}
		saved->switched = true;
	}
	tzset();
}

static void
tz_leave(struct tz_saved *saved)
{
	if (!saved->switched)
		return;
	if (saved->had_old)
		setenv("TZ", saved->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved->old);
	saved->old = NULL;
}

/* UTC offset of T in the current zone; false if the C library cannot say. */
static bool
current_offset(int64_t t, int32_t *off_r)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return false;
	*off_r = (int32_t)tm.tm_gmtoff;
	return true;
}

/* Reads the zone's offsets over the table's years. On any failure the
   calendar simply has no table and asks the C library every time. */
static void
zone_table_build(struct calendar *cal)
{
	struct tz_saved saved;
	struct zone_span *spans = NULL, *n;
	size_t count = 0, cap = 0;
	int64_t t;
	int32_t off, prev = 0;

	tz_enter(cal, &saved);
	for (t = CALENDAR_TABLE_FROM; t < CALENDAR_TABLE_TO; t += CALENDAR_TABLE_STEP) {
		int64_t from = t;

		if (!current_offset(t, &off))
			goto fail;
		if (count > 0 && off == prev)
			continue;
		if (count > 0) {
			/* the first second of the new offset, within the last step */
			int64_t lo = t - CALENDAR_TABLE_STEP, hi = t;
			int32_t mid_off;

			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;

				if (!current_offset(mid, &mid_off))
					goto fail;
				if (mid_off == prev)
					lo = mid;
				else
					hi = mid;
			}
			from = hi;
		}
		if (count == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((n = realloc(spans, cap * sizeof(*spans))) == NULL)
				goto fail;
			spans = n;
		}
		spans[count].from = from;
		spans[count].off = off;
		count++;
		prev = off;
	}
	tz_leave(&saved);
	cal->spans = spans;
	cal->span_count = count;
	return;
fail:
	tz_leave(&saved);
	free(spans);
}

/* The table's span that holds T, or NULL when T is outside the table. */
static const struct zone_span *
zone_span_at(const struct calendar *cal, int64_t t)
{
	size_t lo = 0, hi = cal->span_count;

	if (hi == 0 || t < cal->spans[0].from || t >= CALENDAR_TABLE_TO)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->spans[mid].from <= t)
			lo = mid;
		else
			hi = mid;
	}
	return &cal->spans[lo];
}

int
calendar_new(const struct conf_calendar *conf, struct calendar **cal_r,
	     const char **error_r)
{
	static const int makeup_order[7] = { 1, 2, 3, 4, 5, 6, 0 };
	struct calendar *cal;
	int i;

	*cal_r = NULL;
	if (!calendar_zone_exists(conf->timezone)) {
		*error_r = "unknown time zone";
		return -1;
	}
	if ((cal = calloc(1, sizeof(*cal))) == NULL ||
	    asprintf(&cal->tz, ":%s", conf->timezone) < 0) {
		free(cal);
		*error_r = "out of memory";
		return -1;
	}
	cal->conf = conf;
	zone_table_build(cal);
	/* A make-up day works like a normal weekday: the hours of the first
	   open day from Monday on. */
	cal->makeup_open = cal->makeup_close = -1;
	for (i = 0; i < 7; i++) {
		int d = makeup_order[i];

		if (conf->hours.open[d] >= 0 && conf->hours.close[d] > conf->hours.open[d]) {
			cal->makeup_open = conf->hours.open[d];
			cal->makeup_close = conf->hours.close[d];
			break;
		}
	}
	*cal_r = cal;
	return 0;
}

void
calendar_free(struct calendar **calp)
{
	struct calendar *cal = *calp;

	if (cal == NULL)
		return;
	*calp = NULL;
	free(cal->spans);
	free(cal->tz);
	free(cal);
}

static bool
day_in(const int32_t *days, size_t count, int64_t day)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (days[mid] == day)
			return true;
		if (days[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Open interval of local day DAY in seconds after midnight; false if closed. */
static bool
day_hours(const struct calendar *cal, int64_t day, int32_t *open_r, int32_t *close_r)
{
	const struct conf_calendar *conf = cal->conf;
	int wday = (int)(((day % 7) + 7 + 4) % 7);	/* 1970-01-01 was a Thursday */

	if (day_in(conf->workdays, conf->workday_count, day)) {
		*open_r = cal->makeup_open;
		*close_r = cal->makeup_close;
		return cal->makeup_open >= 0;
	}
	if (day_in(conf->holidays, conf->holiday_count, day))
		return false;
	*open_r = conf->hours.open[wday];
	*close_r = conf->hours.close[wday];
	return *open_r >= 0 && *close_r > *open_r;
}

/* Floor of A / B for B > 0. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* The broken-down local time of T in the calendar's zone. */
static void
local_tm(const struct calendar *cal, int64_t t, struct tm *tm)
{
	const struct zone_span *span = zone_span_at(cal, t);
	struct tz_saved saved;
	time_t tt;

	if (span != NULL) {
		/* tm_gmtoff and tm_zone say UTC here; no caller reads them */
		tt = (time_t)(t + span->off);
		gmtime_r(&tt, tm);
		return;
	}
	tt = (time_t)t;
	tz_enter(cal, &saved);
	if (localtime_r(&tt, tm) == NULL) {
		tt = 0;
		gmtime_r(&tt, tm);
	}
	tz_leave(&saved);
}

/* Local day number of T in the calendar's zone. */
static int64_t
local_day(const struct calendar *cal, int64_t t)
{
	const struct zone_span *span = zone_span_at(cal, t);
	struct tz_saved saved;
	time_t tt = (time_t)t;
	struct tm tm;
	bool ok;

	if (span != NULL)
		return floor_div(t + span->off, 86400);
	tz_enter(cal, &saved);
	ok = localtime_r(&tt, &tm) != NULL;
	tz_leave(&saved);
	if (!ok)
		return t / 86400;
	return calendar_days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* UTC of SECS after local midnight of DAY; 86400 is the next midnight.
   Away from a change of offset the local time has exactly one UTC time;
   near one, mktime() decides (it normalises an hour of 24 and a time
   inside a DST gap). */
static int64_t
local_to_utc(const struct calendar *cal, int64_t day, int32_t secs)
{
	const struct zone_span *span;
	struct tz_saved saved;
	struct tm tm;
	int64_t local, t;
	int y, m, d;

	if (day > -(INT64_C(1) << 40) && day < INT64_C(1) << 40) {
		local = day * 86400 + secs;
		span = zone_span_at(cal, local);
		if (span != NULL && span->from <= local - CALENDAR_TABLE_MARGIN &&
		    local + CALENDAR_TABLE_MARGIN <
		    (span + 1 < cal->spans + cal->span_count ? span[1].from : CALENDAR_TABLE_TO))
			return local - span->off;
	}
	calendar_civil_from_days(day, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = secs / 3600;
	tm.tm_min = secs % 3600 / 60;
	tm.tm_sec = secs % 60;
	tm.tm_isdst = -1;
	tz_enter(cal, &saved);
	t = (int64_t)mktime(&tm);
	tz_leave(&saved);
	return t;
}

int64_t
calendar_add(const struct calendar *cal, int64_t start, int64_t secs)
{
	int64_t day, remaining = secs, result = INT64_MAX;
	int32_t open, close;
	int n;

	if (secs <= 0)
		return start;
	if (cal->conf->always_open)
		return start > INT64_MAX - secs ? INT64_MAX : start + secs;
	day = local_day(cal, start);
	for (n = 0; n < CALENDAR_SEARCH_DAYS_MAX; n++, day++) {
		int64_t o, c;

		if (!day_hours(cal, day, &open, &close))
			continue;
		o = local_to_utc(cal, day, open);
		c = local_to_utc(cal, day, close);
		if (o < start)
			o = start;
		if (o >= c)
			continue;
		if (remaining <= c - o) {
			result = o + remaining;
			break;
		}
		remaining -= c - o;
	}
	return result;
}

int64_t
calendar_elapsed(const struct calendar *cal, int64_t from, int64_t to)
{
	int64_t day, last, total = 0;
	int32_t open, close;

	if (to <= from)
		return 0;
	if (cal->conf->always_open)
		return to - from;
	last = local_day(cal, to);
	for (day = local_day(cal, from); day <= last; day++) {
		int64_t o, c;

		if (!day_hours(cal, day, &open, &close))
			continue;
		o = local_to_utc(cal, day, open);
		c = local_to_utc(cal, day, close);
		if (o < from)
			o = from;
		if (c > to)
			c = to;
		if (c > o)
			total += c - o;
	}
	return total;
}

void
calendar_month(const struct calendar *cal, int64_t t, char buf[8])
{
	struct tm tm;

	local_tm(cal, t, &tm);
	/* the unsigned remainders tell the compiler the digits fit */
	snprintf(buf, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u);
}

int
calendar_month_range(const struct calendar *cal, const char *month,
		     int64_t *from_r, int64_t *to_r)
{
	int y, m, i;

	for (i = 0; i < 7; i++) {
		if (i == 4 ? month[i] != '-' : !isdigit((unsigned char)month[i]))
			return -1;
	}
	if (month[7] != '\0')
		return -1;
	y = (month[0] - '0') * 1000 + (month[1] - '0') * 100 +
		(month[2] - '0') * 10 + (month[3] - '0');
	m = (month[5] - '0') * 10 + (month[6] - '0');
	if (m < 1 || m > 12 || y < 1970)
		return -1;
	*from_r = local_to_utc(cal, calendar_days_from_civil(y, m, 1), 0);
	*to_r = local_to_utc(cal, calendar_days_from_civil(m == 12 ? y + 1 : y,
						      m == 12 ? 1 : m + 1, 1), 0);
	return 0;
}

void
calendar_format(const struct calendar *cal, int64_t t, char buf[20])
{
	struct tm tm;

	local_tm(cal, t, &tm);
	snprintf(buf, 20, "%04u-%02u-%02u %02u:%02u:%02u",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

void
calendar_quarter(const struct calendar *cal, int64_t t, char buf[8])
{
	struct tm tm;

	local_tm(cal, t, &tm);
	snprintf(buf, 8, "%04u-Q%u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon / 3 + 1) % 10u);
}

/* Monday of ISO week 1 of YEAR: the week with 4 January in it. */
static int64_t
iso_week1_monday(int64_t year)
{
	int64_t jan4 = calendar_days_from_civil(year, 1, 4);

	return jan4 - ((jan4 % 7 + 7 + 3) % 7);	/* 1970-01-01 was a Thursday */
}

int
calendar_week_range(const struct calendar *cal, const char *week, int64_t *from_r,
		    int64_t *to_r)
{
	int64_t mon;
	int y = 0, w, i;

	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)week[i]))
			return -1;
		y = y * 10 + (week[i] - '0');
	}
	if (y < 1970 || week[4] != '-' || week[5] != 'W' || !isdigit((unsigned char)week[6]) ||
	    !isdigit((unsigned char)week[7]) || week[8] != '\0')
		return -1;
	w = (week[6] - '0') * 10 + (week[7] - '0');
	/* a year has 53 ISO weeks when the next one's week 1 starts 371 days on */
	if (w < 1 || w > (iso_week1_monday(y + 1) - iso_week1_monday(y)) / 7)
		return -1;
	mon = iso_week1_monday(y) + (int64_t)(w - 1) * 7;
	*from_r = local_to_utc(cal, mon, 0);
	*to_r = local_to_utc(cal, mon + 7, 0);
	return 0;
}

void
calendar_week(const struct calendar *cal, int64_t t, char buf[9])
{
	int64_t day, mon;
	int y, m, d;

	day = local_day(cal, t);
	calendar_civil_from_days(day, &y, &m, &d);
	mon = day - ((day % 7 + 7 + 3) % 7);
	/* the ISO year is the one of the week's Thursday */
	calendar_civil_from_days(mon + 3, &y, &m, &d);
	snprintf(buf, 9, "%04u-W%02u", (unsigned)y % 10000u,
		 (unsigned)((mon - iso_week1_monday(y)) / 7 + 1) % 100u);
}

int
calendar_period_range(const struct calendar *cal, const char *period,
		      int64_t *from_r, int64_t *to_r)
{
	int y, m0, m1, i;

	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)period[i]))
			return -1;
	y = (period[0] - '0') * 1000 + (period[1] - '0') * 100 +
		(period[2] - '0') * 10 + (period[3] - '0');
	if (y < 1970)
		return -1;
	if (period[4] == '\0') {
		m0 = 1;
		m1 = 13;
	} else if (period[4] == '-' && period[5] == 'Q' && period[6] >= '1' &&
		   period[6] <= '4' && period[7] == '\0') {
		m0 = (period[6] - '1') * 3 + 1;
		m1 = m0 + 3;
	} else if (period[4] == '-' && period[5] == 'W')
		return calendar_week_range(cal, period, from_r, to_r);
	else
		return calendar_month_range(cal, period, from_r, to_r);
	*from_r = local_to_utc(cal, calendar_days_from_civil(y, m0, 1), 0);
	*to_r = local_to_utc(cal, m1 > 12 ? calendar_days_from_civil(y + 1, 1, 1) :
			     calendar_days_from_civil(y, m1, 1), 0);
	return 0;
}

static bool
working_day(const struct calendar *cal, int64_t day)
{
	const struct conf_calendar *conf = cal->conf;
	int wday = (int)(((day % 7) + 7 + 4) % 7);

	if (day_in(conf->workdays, conf->workday_count, day))
		return true;
	if (day_in(conf->holidays, conf->holiday_count, day))
		return false;
	return (conf->workweek & (1u << wday)) != 0;
}

bool
calendar_is_working_day(const struct calendar *cal, int64_t t)
{
	return working_day(cal, local_day(cal, t));
}

int64_t
calendar_add_working_days(const struct calendar *cal, int64_t start, int n)
{
	int64_t day, result = INT64_MAX;
	int32_t tod = 0;
	bool from_working;
	int k, left = n;

	if (n <= 0)
		return start;
	day = local_day(cal, start);
	from_working = working_day(cal, day);
	if (from_working) {
		struct tm tm;

		local_tm(cal, start, &tm);
		tod = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	}
	for (k = 0; k < CALENDAR_SEARCH_DAYS_MAX; k++) {
		day++;
		if (!working_day(cal, day))
			continue;
		if (--left == 0) {
			/* from a working day: the same time of day; otherwise the
			   end of the day, its following midnight */
			result = from_working ? local_to_utc(cal, day, tod) :
				local_to_utc(cal, day + 1, 0);
			break;
		}
	}
	return result;
}
