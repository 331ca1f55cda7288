/* conf - slaclock.conf: loading, validation, defaults, printing. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "calendar.h"
#include "conf.h"

/* An administrator fixing a broken file wants every error, but a binary
   fed by mistake would produce one per line; stop counting here. */
#define CONF_ERRORS_MAX 100
/* Longest duration accepted: ten years is far beyond any SLA target and
   keeps every later addition far from int64 overflow. */
#define CONF_DURATION_MAX ((int64_t)10 * 366 * 86400)
#define CONF_ADDRESS_MAX 254
#define CONF_LOCALPART_MAX 64
#define CONF_DOMAIN_MAX 253
#define CONF_LABEL_MAX 63
#define CONF_MARKER_MAX 256
#define CONF_HEADER_NAME_MAX 76
#define CONF_NAME_MAX 128
#define CONF_ZONE_MAX 128
#define CONF_PATH_MAX 4096
/* Items in one comma-separated value; a line is at most CONF_LINE_MAX
   bytes, so this many would be at least two bytes each. */
#define CONF_LIST_MAX (CONF_LINE_MAX / 2)

#define DEFAULT_STORE_BACKEND "sqlite"
#define DEFAULT_STORE_FILE "slaclock.db"
#define DEFAULT_TIMEZONE "Asia/Shanghai"
#define DEFAULT_PACK "S14"
#define DEFAULT_ASSIGNMENT_HEADER "X-Assigned-To"
#define DEFAULT_PRIORITY_HEADER "X-Ticket-Priority"

static const char *const default_preliminary_markers[] = {
	"【初步方案】", "#preliminary",
};
static const char *const default_resolved_markers[] = {
	"【已解决】", "#resolved",
};

static const char *const weekday_names[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

static const char *const severity_names[SEVERITY_COUNT] = {
	"low", "normal", "high", "critical",
};

enum section {
	SECTION_NONE = 0,
	SECTION_UNKNOWN,
	SECTION_STORE,
	SECTION_CALENDAR,
	SECTION_POLICY,
	SECTION_TEAM,
	SECTION_MODULE,
	SECTION_PACK,
};

/* Module sections: whether each takes a name ([imap NAME]) or not ([smtp]). */
static const struct {
	const char *type;
	bool named;
} module_sections[] = {
	{ "imap", true },
	{ "helpdesk", true },
	{ "smtp", false },
	{ "webhook", false },
	{ "daemon", false },
};

struct parser_error {
	unsigned int line;
	unsigned int seq;                /* keeps the sort stable */
	char *text;
};

struct parser {
	const char *name;
	unsigned int line;
	struct conf *conf;
	struct parser_error *errors;      /* CONF_ERRORS_MAX of them */
	unsigned int error_count;        /* all, including those not kept */

	enum section section;
	const char *section_name;        /* for messages: "policy", "team x" */
	char section_label[CONF_NAME_MAX + 8];
	struct conf_team *team;          /* current team, or NULL */
	unsigned int *team_lines;        /* line of each team's header */
	uint64_t *team_seen;             /* keys seen per team */

	uint64_t seen_store, seen_calendar, seen_policy;
	struct conf_calendar *cal;       /* [calendar] or [calendar NAME] being read */
	uint64_t *cal_seen;              /* the seen keys of that calendar */
	uint64_t named_cal_seen[CONF_CALENDARS_MAX];
	char **team_cal_names;           /* "calendar = NAME" of each team, resolved at the end */
	unsigned int *team_cal_lines;
	size_t team_cal_count;
	enum conf_pack pack;             /* [pack NAME] being read */
	uint64_t seen_pack[CONF_PACK_COUNT];
	unsigned int pack_lines[CONF_PACK_COUNT]; /* of each [pack NAME] header */
	unsigned int pack_line;          /* of the pack = key */
	unsigned int pause_line;         /* of pause_statuses or solved_statuses, the later */
	bool preliminary_explicit, resolved_explicit;
	bool alloc_failed;
	char *store_path_raw;
};

struct key {
	const char *name;
	int (*parse)(struct parser *p, const char *key, const char *value);
	bool repeatable;
};

static void parser_error(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
parser_error(struct parser *p, const char *fmt, ...)
{
	struct parser_error *e;
	va_list ap;
	int ret;

	if (p->errors == NULL || p->error_count++ >= CONF_ERRORS_MAX)
		return;
	e = &p->errors[p->error_count - 1];
	e->line = p->line;
	e->seq = p->error_count;
	va_start(ap, fmt);
	ret = vasprintf(&e->text, fmt, ap);
	va_end(ap);
	if (ret < 0)
		e->text = NULL;
}

static int
error_cmp(const void *a, const void *b)
{
	const struct parser_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* All errors as "file:line: message" lines in file order, for the
   administrator who reads them top to bottom next to the file. */
static char *
errors_text(struct parser *p)
{
	unsigned int i, kept = p->error_count < CONF_ERRORS_MAX ?
		p->error_count : CONF_ERRORS_MAX;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (p->errors == NULL)
		return strdup("out of memory");
	qsort(p->errors, kept, sizeof(*p->errors), error_cmp);
	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (i = 0; i < kept; i++)
		fprintf(f, "%s%s:%u: %s", i > 0 ? "\n" : "", p->name,
			p->errors[i].line,
			p->errors[i].text != NULL ? p->errors[i].text : "out of memory");
	if (p->error_count > kept)
		fprintf(f, "\n%s: too many errors (%u), only the first %u shown",
			p->name, p->error_count, kept);
	fclose(f);
	return buf;
}

static char *
xstrdup(struct parser *p, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL && p != NULL) {
		p->alloc_failed = true;
		parser_error(p, "out of memory");
	}
	return copy;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

static void
ascii_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Split VALUE (modified) at commas into trimmed, non-empty items.
   Returns the count, or -1 when an item is empty or there are too many. */
static int
split_list(char *value, char **items, size_t max)
{
	size_t n = 0;
	char *s = value, *comma;

	for (;;) {
		comma = strchr(s, ',');
		if (comma != NULL)
			*comma = '\0';
		if (n == max)
			return -1;
		items[n] = trim(s);
		if (*items[n] == '\0')
			return -1;
		n++;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	return (int)n;
}

/* ---- small value parsers ---- */

int
conf_parse_duration(const char *text, int64_t *secs_r)
{
	const char *s = text;
	int64_t total = 0;
	bool any = false, unitless = false;

	while (*s != '\0') {
		int64_t n = 0, mult;

		if (!isdigit((unsigned char)*s) || unitless)
			return -1;
		while (isdigit((unsigned char)*s)) {
			n = n * 10 + (*s - '0');
			if (n > CONF_DURATION_MAX)
				return -1;
			s++;
		}
		switch (*s) {
		case '\0':
			/* a bare number is seconds, but only on its own */
			if (any)
				return -1;
			mult = 1;
			unitless = true;
			break;
		case 's': case 'S': mult = 1; s++; break;
		case 'm': case 'M': mult = 60; s++; break;
		case 'h': case 'H': mult = 3600; s++; break;
		case 'd': case 'D': mult = 86400; s++; break;
		default:
			return -1;
		}
		if (n > CONF_DURATION_MAX / mult)
			return -1;
		total += n * mult;
		if (total > CONF_DURATION_MAX)
			return -1;
		any = true;
	}
	if (!any)
		return -1;
	*secs_r = total;
	return 0;
}

/* "80%" or "80", an integer in [min, max]. */
static int
parse_int_range(const char *text, bool percent, int min, int max, int *value_r)
{
	const char *s = text;
	long n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		n = n * 10 + (*s - '0');
		if (n > INT_MAX / 10)
			return -1;
		s++;
	}
	if (percent && *s == '%')
		s++;
	if (*s != '\0' || n < min || n > max)
		return -1;
	*value_r = (int)n;
	return 0;
}

int
conf_parse_bool(const char *text, bool *value_r)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*value_r = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*value_r = false;
			return 0;
		}
	}
	return -1;
}

/* "YYYY-MM-DD" (1970..9999) into days since 1970-01-01. */
static int
parse_date(const char *text, int32_t *day_r)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i;

	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (text[i] != '-')
				return -1;
		} else if (!isdigit((unsigned char)text[i]))
			return -1;
	}
	if (text[10] != '\0')
		return -1;
	y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 +
		(text[2] - '0') * 10 + (text[3] - '0');
	m = (text[5] - '0') * 10 + (text[6] - '0');
	d = (text[8] - '0') * 10 + (text[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*day_r = (int32_t)calendar_days_from_civil(y, m, d);
	return 0;
}

static void
format_date(int32_t day, char buf[11])
{
	int y, m, d;

	calendar_civil_from_days(day, &y, &m, &d);
	snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
}

static bool
domain_valid(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > CONF_DOMAIN_MAX)
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0 || s[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
		if (*s == '-' && label == 0)
			return false;
		if (++label > CONF_LABEL_MAX)
			return false;
	}
	return label > 0 && s[-1] != '-';
}

/* A plain addr-spec, dot-atom local part: what agents' mail clients send. */
static bool
address_valid(const char *s)
{
	const char *at = strrchr(s, '@'), *c;
	size_t local;

	if (at == NULL || strlen(s) > CONF_ADDRESS_MAX)
		return false;
	local = (size_t)(at - s);
	if (local == 0 || local > CONF_LOCALPART_MAX || s[0] == '.' || at[-1] == '.')
		return false;
	for (c = s; c < at; c++) {
		if (*c == '.' && c[1] == '.')
			return false;
		if (isalnum((unsigned char)*c) || strchr(".!#$%&'*+/=?^_`{|}~-", *c) != NULL)
			continue;
		return false;
	}
	return domain_valid(at + 1);
}

static bool
header_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > CONF_HEADER_NAME_MAX)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < 33 || *s > 126 || *s == ':')
			return false;
	}
	return true;
}

/* Replace *slot by a copy of VALUE. */
static int
set_string(struct parser *p, char **slot, const char *value)
{
	char *copy = xstrdup(p, value);

	if (copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/* ---- [store] ---- */

static int
key_store_backend(struct parser *p, const char *key, const char *value)
{
	if (strcmp(value, "sqlite") != 0) {
		parser_error(p, "unknown store backend '%s' (available: sqlite)", value);
		return -1;
	}
	return set_string(p, &p->conf->store_backend, value);
}

static int
key_store_path(struct parser *p, const char *key, const char *value)
{
	if (strlen(value) > CONF_PATH_MAX) {
		parser_error(p, "store path longer than %d bytes", CONF_PATH_MAX);
		return -1;
	}
	return set_string(p, &p->store_path_raw, value);
}

static const struct key store_keys[] = {
	{ "backend", key_store_backend, false },
	{ "path", key_store_path, false },
	{ NULL, NULL, false }
};

/* ---- [calendar] ---- */

static int
key_calendar_timezone(struct parser *p, const char *key, const char *value)
{
	if (strlen(value) > CONF_ZONE_MAX || !calendar_zone_exists(value)) {
		parser_error(p, "unknown time zone '%s'", value);
		return -1;
	}
	return set_string(p, &p->cal->timezone, value);
}

static int
weekday_from_name(const char *s, size_t len)
{
	int i;

	for (i = 0; i < 7; i++) {
		if (len == 3 && strncasecmp(s, weekday_names[i], 3) == 0)
			return i;
	}
	return -1;
}

/* "HH:MM", 00:00 .. 24:00, into seconds after midnight. */
static int
parse_clock(const char *s, size_t len, int32_t *secs_r)
{
	int h, m;

	if (len != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*secs_r = h * 3600 + m * 60;
	return 0;
}

/* One item "Mon-Fri 08:30-17:30" or "Sat 09:00-12:00" into HOURS. */
static int
parse_hours_item(struct parser *p, char *item, struct conf_hours *hours)
{
	char *space = strpbrk(item, " \t"), *times, *dash;
	int from, to, day;
	int32_t open, close;

	if (space == NULL)
		goto bad;
	*space = '\0';
	times = trim(space + 1);
	dash = strchr(item, '-');
	if (dash != NULL) {
		from = weekday_from_name(item, (size_t)(dash - item));
		to = weekday_from_name(dash + 1, strlen(dash + 1));
	} else {
		from = to = weekday_from_name(item, strlen(item));
	}
	if (from < 0 || to < 0)
		goto bad;
	dash = strchr(times, '-');
	if (dash == NULL ||
	    parse_clock(times, (size_t)(dash - times), &open) < 0 ||
	    parse_clock(dash + 1, strlen(dash + 1), &close) < 0)
		goto bad;
	if (open >= close) {
		parser_error(p, "hours: opening time must be before closing time "
			     "(overnight shifts are not supported)");
		return -1;
	}
	/* ranges may wrap around the week: "Sat-Mon" */
	for (day = from;; day = (day + 1) % 7) {
		if (hours->open[day] >= 0) {
			parser_error(p, "hours: %s is given twice", weekday_names[day]);
			return -1;
		}
		hours->open[day] = open;
		hours->close[day] = close;
		if (day == to)
			break;
	}
	return 0;
bad:
	parser_error(p, "bad hours syntax (expected 24x7 or e.g. "
		     "\"Mon-Fri 08:30-17:30, Sat 09:00-12:00\")");
	return -1;
}

static int
key_calendar_hours(struct parser *p, const char *key, const char *value)
{
	struct conf_hours hours;
	char *copy = NULL, *items[7 + 1];
	int n, i, ret = -1;

	if (strcasecmp(value, "24x7") == 0 || strcmp(value, "24/7") == 0) {
		for (i = 0; i < 7; i++) {
			p->cal->hours.open[i] = 0;
			p->cal->hours.close[i] = 86400;
		}
		p->cal->hours.all_day = true;
		p->cal->always_open = true;
		return 0;
	}
	memset(&hours, 0, sizeof(hours));
	for (i = 0; i < 7; i++)
		hours.open[i] = hours.close[i] = -1;
	if ((copy = xstrdup(p, value)) == NULL)
		goto out;
	n = split_list(copy, items, 7);
	if (n < 0) {
		parser_error(p, "bad hours syntax (empty item or more than 7)");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (parse_hours_item(p, items[i], &hours) < 0)
			goto out;
	}
	p->cal->hours = hours;
	p->cal->always_open = false;
	ret = 0;
out:
	free(copy);
	return ret;
}

static int
day_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* bsearch() wants a non-NULL base even for zero elements. */
static bool
day_in(const int32_t *days, size_t count, int32_t day)
{
	return count > 0 && bsearch(&day, days, count, sizeof(day), day_cmp) != NULL;
}

static int
add_day(struct parser *p, int32_t **days, size_t *count, const char *what,
	const int32_t *others, size_t other_count, const char *text)
{
	int32_t day, *grown;

	if (parse_date(text, &day) < 0) {
		parser_error(p, "bad date '%s' (expected YYYY-MM-DD)", text);
		return -1;
	}
	if (day_in(others, other_count, day)) {
		parser_error(p, "%s is both a holiday and a workday", text);
		return -1;
	}
	if (day_in(*days, *count, day))
		return 0;
	if (*count >= CONF_HOLIDAYS_MAX) {
		parser_error(p, "more than %d %ss", CONF_HOLIDAYS_MAX, what);
		return -1;
	}
	grown = realloc(*days, (*count + 1) * sizeof(day));
	if (grown == NULL) {
		p->alloc_failed = true;
		parser_error(p, "out of memory");
		return -1;
	}
	*days = grown;
	grown[(*count)++] = day;
	qsort(grown, *count, sizeof(day), day_cmp);
	return 0;
}

static int
add_day_list(struct parser *p, const char *value, int32_t **days, size_t *count,
	     const char *what, const int32_t *others, size_t other_count)
{
	char *copy, **items;
	int n, i, ret = 0;

	if ((copy = xstrdup(p, value)) == NULL)
		return -1;
	items = calloc(CONF_LIST_MAX, sizeof(*items));
	if (items == NULL) {
		free(copy);
		p->alloc_failed = true;
		parser_error(p, "out of memory");
		return -1;
	}
	n = split_list(copy, items, CONF_LIST_MAX);
	if (n < 0) {
		parser_error(p, "empty item in list of %ss", what);
		ret = -1;
	}
	for (i = 0; i < n; i++) {
		if (add_day(p, days, count, what, others, other_count, items[i]) < 0)
			ret = -1;
	}
	free(items);
	free(copy);
	return ret;
}

static int
key_calendar_holiday(struct parser *p, const char *key, const char *value)
{
	return add_day_list(p, value, &p->cal->holidays,
			    &p->cal->holiday_count, "holiday",
			    p->cal->workdays, p->cal->workday_count);
}

static int
key_calendar_workday(struct parser *p, const char *key, const char *value)
{
	return add_day_list(p, value, &p->cal->workdays,
			    &p->cal->workday_count, "workday",
			    p->cal->holidays, p->cal->holiday_count);
}

/* "Mon-Fri" or "Mon-Fri, Sat": the working days of working-day units. */
static int
key_calendar_workweek(struct parser *p, const char *key, const char *value)
{
	char *copy, *items[7 + 1];
	unsigned int mask = 0;
	int n, i, from, to, day;

	if ((copy = xstrdup(p, value)) == NULL)
		return -1;
	n = split_list(copy, items, 7);
	for (i = 0; i < n; i++) {
		char *dash = strchr(items[i], '-');

		if (dash != NULL) {
			from = weekday_from_name(items[i], (size_t)(dash - items[i]));
			to = weekday_from_name(dash + 1, strlen(dash + 1));
		} else
			from = to = weekday_from_name(items[i], strlen(items[i]));
		if (from < 0 || to < 0) {
			n = -1;
			break;
		}
		for (day = from;; day = (day + 1) % 7) {
			mask |= 1u << day;
			if (day == to)
				break;
		}
	}
	free(copy);
	if (n < 0 || mask == 0) {
		parser_error(p, "bad workweek '%s' (expected e.g. Mon-Fri or Mon-Fri, Sat)",
			     value);
		return -1;
	}
	p->cal->workweek = mask;
	p->cal->workweek_explicit = true;
	return 0;
}

static const struct key calendar_keys[] = {
	{ "timezone", key_calendar_timezone, false },
	{ "workweek", key_calendar_workweek, false },
	{ "hours", key_calendar_hours, false },
	{ "holiday", key_calendar_holiday, true },
	{ "holidays", key_calendar_holiday, true },
	{ "workday", key_calendar_workday, true },
	{ "workdays", key_calendar_workday, true },
	{ NULL, NULL, false }
};

/* ---- [policy] ---- */

static const char *const pack_names[CONF_PACK_COUNT] = {
	"S14", "S4", "S9", "S1", "G16", "G20", "T17", "W1", "S15",
};

const char *
conf_pack_name(enum conf_pack pack)
{
	return (unsigned)pack < CONF_PACK_COUNT ? pack_names[pack] : NULL;
}

int
conf_pack_from_name(const char *name, enum conf_pack *pack_r)
{
	int i;

	for (i = 0; i < CONF_PACK_COUNT; i++)
		if (strcasecmp(name, pack_names[i]) == 0) {
			*pack_r = (enum conf_pack)i;
			return 0;
		}
	return -1;
}

bool
conf_pack_enabled(const struct conf *conf, enum conf_pack pack)
{
	return (unsigned)pack < CONF_PACK_COUNT &&
		(conf->policy.packs & (1u << pack)) != 0;
}

/* "S14, S4, S9": S14 is the base every other pack adds to, so it is on
   whether listed or not; the string is kept in canonical spelling. */
static int
key_policy_pack(struct parser *p, const char *key, const char *value)
{
	char *copy, *items[CONF_PACK_COUNT + 1], text[CONF_PACK_COUNT * 5 + 1] = "S14";
	unsigned int packs = 1u << CONF_PACK_S14;
	enum conf_pack pk;
	int n, i, ret = 0;

	if ((copy = xstrdup(p, value)) == NULL)
		return -1;
	n = split_list(copy, items, CONF_PACK_COUNT);
	if (n < 0) {
		parser_error(p, "bad pack list '%s' (an empty item, or a pack given twice)",
			     value);
		ret = -1;
	}
	for (i = 0; i < n; i++) {
		if (conf_pack_from_name(items[i], &pk) < 0) {
			parser_error(p, "unknown rule pack '%s' (available: S14, S4, S9, "
				     "S1, G16, G20, T17, W1, S15)", items[i]);
			ret = -1;
			continue;
		}
		if (pk != CONF_PACK_S14 && (packs & (1u << pk)) != 0) {
			parser_error(p, "rule pack %s given twice", pack_names[pk]);
			ret = -1;
			continue;
		}
		if (pk != CONF_PACK_S14) {
			size_t len = strlen(text);

			snprintf(text + len, sizeof(text) - len, ", %s", pack_names[pk]);
		}
		packs |= 1u << pk;
	}
	free(copy);
	if (ret < 0)
		return -1;
	p->conf->policy.packs = packs;
	p->pack_line = p->line;
	return set_string(p, &p->conf->policy.pack, text);
}

static int
key_policy_duration(struct parser *p, const char *key, const char *value)
{
	struct conf_policy *pol = &p->conf->policy;
	int64_t secs;

	if (conf_parse_duration(value, &secs) < 0 || secs == 0) {
		parser_error(p, "bad duration '%s' for %s (expected e.g. 30m, 24h, 1d, 1800s)",
			     value, key);
		return -1;
	}
	if (strcmp(key, "first_response") == 0)
		pol->first_response_secs = secs;
	else if (strcmp(key, "preliminary") == 0)
		pol->preliminary_secs = secs;
	else
		pol->resolution_secs = secs;
	return 0;
}

static int
key_policy_warn_at(struct parser *p, const char *key, const char *value)
{
	if (parse_int_range(value, true, 1, 99, &p->conf->policy.warn_at_pct) < 0) {
		parser_error(p, "bad percentage '%s' for warn_at (expected 1%% to 99%%)", value);
		return -1;
	}
	return 0;
}

static int
add_marker(struct parser *p, char **markers, size_t *count, bool *explicit,
	   const char *key, const char *value)
{
	char *copy;
	size_t i;

	if (strlen(value) > CONF_MARKER_MAX) {
		parser_error(p, "%s longer than %d bytes", key, CONF_MARKER_MAX);
		return -1;
	}
	if (!*explicit) {
		/* the first marker given replaces the built-in list */
		for (i = 0; i < *count; i++) {
			free(markers[i]);
			markers[i] = NULL;
		}
		*count = 0;
		*explicit = true;
	}
	for (i = 0; i < *count; i++) {
		if (strcmp(markers[i], value) == 0)
			return 0;
	}
	if (*count >= CONF_MARKERS_MAX) {
		parser_error(p, "more than %d values for %s", CONF_MARKERS_MAX, key);
		return -1;
	}
	if ((copy = xstrdup(p, value)) == NULL)
		return -1;
	markers[(*count)++] = copy;
	return 0;
}

static int
key_policy_marker(struct parser *p, const char *key, const char *value)
{
	struct conf_policy *pol = &p->conf->policy;

	if (strcmp(key, "preliminary_marker") == 0)
		return add_marker(p, pol->preliminary_markers,
				  &pol->preliminary_marker_count,
				  &p->preliminary_explicit, key, value);
	return add_marker(p, pol->resolved_markers, &pol->resolved_marker_count,
			  &p->resolved_explicit, key, value);
}

static int
key_policy_header(struct parser *p, const char *key, const char *value)
{
	struct conf_policy *pol = &p->conf->policy;

	if (!header_name_valid(value)) {
		parser_error(p, "bad header field name '%s' for %s", value, key);
		return -1;
	}
	if (strcmp(key, "assignment_header") == 0)
		return set_string(p, &pol->assignment_header, value);
	return set_string(p, &pol->priority_header, value);
}

static int
key_policy_streak_length(struct parser *p, const char *key, const char *value)
{
	if (parse_int_range(value, false, 1, 100, &p->conf->policy.streak_length) < 0) {
		parser_error(p, "bad number '%s' for streak_length (expected 1 to 100)", value);
		return -1;
	}
	return 0;
}

static int
key_policy_percent(struct parser *p, const char *key, const char *value)
{
	int *slot = strcmp(key, "streak_deduction") == 0 ?
		&p->conf->policy.streak_deduction_pct : &p->conf->policy.ticket_cap_pct;

	if (parse_int_range(value, true, 1, 100, slot) < 0) {
		parser_error(p, "bad percentage '%s' for %s (expected 1%% to 100%%)",
			     value, key);
		return -1;
	}
	return 0;
}

static int
key_policy_bool(struct parser *p, const char *key, const char *value)
{
	struct conf_policy *pol = &p->conf->policy;
	bool b;

	if (conf_parse_bool(value, &b) < 0) {
		parser_error(p, "bad boolean '%s' for %s (expected yes or no)", value, key);
		return -1;
	}
	if (strcmp(key, "streak_reset_month_end") == 0)
		pol->streak_reset_month_end = b;
	else if (strcmp(key, "streak_reset_after_fire") == 0)
		pol->streak_reset_after_fire = b;
	else
		pol->stack_24h_72h = b;
	return 0;
}

static int
key_policy_severity(struct parser *p, const char *key, const char *value)
{
	enum severity s;

	if (severity_from_name(key + strlen("severity_"), &s) < 0)
		return -1;
	/* S14.2d: the document allows 5% to 20% of the month's score */
	if (parse_int_range(value, true, 5, 20, &p->conf->policy.severity_pct[s]) < 0) {
		parser_error(p, "bad percentage '%s' for %s (S14.2d allows 5%% to 20%%)",
			     value, key);
		return -1;
	}
	return 0;
}

static int
key_policy_charge(struct parser *p, const char *key, const char *value)
{
	if (strcmp(value, "owner_at_deadline") == 0)
		p->conf->policy.charge = CONF_CHARGE_OWNER_AT_DEADLINE;
	else if (strcmp(value, "owner_at_start") == 0)
		p->conf->policy.charge = CONF_CHARGE_OWNER_AT_START;
	else {
		parser_error(p, "bad value '%s' for charge "
			     "(expected owner_at_deadline or owner_at_start)", value);
		return -1;
	}
	return 0;
}

/* ---- table-driven settings: [policy] additions and [pack NAME] ---- */

enum spec_kind {
	SPEC_INT,          /* a plain number in [min, max] */
	SPEC_PCT,          /* "5%" or "5" in [min, max] */
	SPEC_PERMILLE,     /* "90%" or "89.9%", kept as 900 / 899 */
	SPEC_DURATION,     /* "24h" */
	SPEC_WDAYS,        /* "5" or "5 working days" */
	SPEC_BOOL,
	SPEC_TIERS_PCT,    /* three "%" values, ordered by ORDER */
	SPEC_TIERS_PERMILLE,
	SPEC_TIERS_INT,
	SPEC_STRING,
	SPEC_STATUSES,     /* a list of status names */
	SPEC_RANGE,        /* "50..500" or "200": two ints, low <= high, in [min, max] */
	SPEC_WEEKLY,       /* "Sat 09:00": two ints, day 0 (Sunday)..6 and seconds */
};

struct spec {
	const char *name;
	enum spec_kind kind;
	size_t offset;             /* into struct conf_policy */
	int min, max;
	int order;                 /* tiers: 1 rising, -1 falling, 0 any */
	const char *why;           /* the rule, for the message */
};

#define POL(f) offsetof(struct conf_policy, f)

static const struct spec policy_specs[] = {
	{ "pause_statuses", SPEC_STATUSES, POL(pause_statuses), 0, 0, 0, "clock pauses" },
	{ "solved_statuses", SPEC_STATUSES, POL(solved_statuses), 0, 0, 0, "S14.2r" },
	{ "reopen_restarts", SPEC_BOOL, POL(reopen_restarts), 0, 0, 0, NULL },
	{ "first_reply_preliminary", SPEC_BOOL, POL(first_reply_preliminary), 0, 0, 0, NULL },
	{ "satisfaction_target", SPEC_PERMILLE, POL(satisfaction_target_permille), 1, 1000, 0, "S14.3" },
	{ "satisfaction_deduction", SPEC_PCT, POL(satisfaction_deduction_pct), 1, 100, 0, "S14.3" },
	{ "attitude_deduction", SPEC_PCT, POL(attitude_deduction_pct), 1, 100, 0, "S14.4" },
	{ "feedback_within", SPEC_DURATION, POL(feedback_within_secs), 0, 0, 0, "S14.5" },
	{ "feedback_streak_length", SPEC_INT, POL(feedback_streak_length), 1, 100, 0, "S14.5" },
	{ "feedback_deduction", SPEC_PCT, POL(feedback_deduction_pct), 1, 100, 0, "S14.5" },
	{ "feedback_reset_after_fire", SPEC_BOOL, POL(feedback_reset_after_fire), 0, 0, 0, NULL },
	{ "training_deduction", SPEC_PCT, POL(training_deduction_pct), 1, 100, 0, "S14.6" },
	{ "appeal_window", SPEC_WDAYS, POL(appeal_window_days), 1, 60, 0, "appeals" },
	{ "appeal_reply", SPEC_WDAYS, POL(appeal_reply_days), 1, 60, 0, "appeals" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec s4_specs[] = {
	{ "repeat", SPEC_INT, POL(s4_repeat), 2, 100, 0, "S4" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec s9_specs[] = {
	{ "complaint_ladder", SPEC_TIERS_PCT, POL(s9_complaint_pct), 1, 100, 0, "S9" },
	{ "error_ladder", SPEC_TIERS_PCT, POL(s9_error_pct), 1, 100, 0, "S9" },
	{ "satisfaction_tiers", SPEC_TIERS_PERMILLE, POL(s9_satisfaction_permille), 1, 1000, 1, "S9" },
	{ "satisfaction_reward", SPEC_TIERS_PCT, POL(s9_satisfaction_reward_pct), 1, 100, 0, "S9" },
	{ "speed_tiers", SPEC_TIERS_PCT, POL(s9_speed_pct), 1, 99, 1, "S9" },
	{ "speed_reward", SPEC_TIERS_PCT, POL(s9_speed_reward_pct), 1, 100, 0, "S9" },
	{ "cumulative", SPEC_BOOL, POL(s9_cumulative), 0, 0, 0, "S9" },
	{ "run_by_tickets", SPEC_BOOL, POL(s9_run_by_tickets), 0, 0, 0, "S9" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec s1_specs[] = {
	{ "response", SPEC_DURATION, POL(s1_response_secs), 0, 0, 0, "S1" },
	{ "ship", SPEC_DURATION, POL(s1_ship_secs), 0, 0, 0, "S1" },
	{ "penalty", SPEC_RANGE, POL(s1_penalty_range), 50, 500, 0, "S1 L31: 50 to 500 yuan" },
	{ "reward", SPEC_RANGE, POL(s1_reward_range), 100, 1000, 0, "S1 L29: 100 to 1000 yuan" },
	{ "marker", SPEC_STRING, POL(s1_parts_marker), 0, 0, 0, "S1" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec g16_specs[] = {
	{ "reply_general", SPEC_DURATION, POL(g16_reply_secs[0]), 0, 0, 0, "G16" },
	{ "reply_major", SPEC_DURATION, POL(g16_reply_secs[1]), 0, 0, 0, "G16" },
	{ "reply_critical", SPEC_DURATION, POL(g16_reply_secs[2]), 0, 0, 0, "G16" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec g20_specs[] = {
	{ "threshold", SPEC_INT, POL(g20_threshold), 1, 100, 0, "G20" },
	{ "months", SPEC_INT, POL(g20_months), 1, 12, 0, "G20" },
	{ "bonus_threshold", SPEC_INT, POL(g20_bonus_threshold), 1, 100, 0, "G20.y" },
	{ "weekly_report", SPEC_WEEKLY, POL(g20_weekly), 0, 0, 0, "G20.w" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec t17_specs[] = {
	{ "points", SPEC_INT, POL(t17_points), 1, 1000, 0, "T17" },
	{ "bands", SPEC_TIERS_INT, POL(t17_band), 0, 1000, -1, "T17" },
	{ "band_deduction", SPEC_TIERS_PCT, POL(t17_band_pct), 1, 100, 1, "T17" },
	{ "top", SPEC_TIERS_INT, POL(t17_top), 1, 1000, -1, "T17.r" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec w1_specs[] = {
	{ "answer", SPEC_WDAYS, POL(w1_answer_days), 1, 60, 0, "W1" },
	{ "solution", SPEC_WDAYS, POL(w1_solution_days), 1, 60, 0, "W1" },
	{ "timely", SPEC_PCT, POL(w1_timely_pct), 1, 100, 0, "W1" },
	{ "satisfaction", SPEC_PCT, POL(w1_satisfaction_pct), 1, 100, 0, "W1" },
	{ "complaint_rate", SPEC_PCT, POL(w1_complaint_rate_pct), 1, 100, 0, "W1" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec s15_specs[] = {
	{ "praises", SPEC_INT, POL(s15_praises), 1, 100, 0, "S15" },
	{ NULL, 0, 0, 0, 0, 0, NULL }
};

static const struct spec *const pack_specs[CONF_PACK_COUNT] = {
	[CONF_PACK_S14] = policy_specs,
	[CONF_PACK_S4] = s4_specs,
	[CONF_PACK_S9] = s9_specs,
	[CONF_PACK_S1] = s1_specs,
	[CONF_PACK_G16] = g16_specs,
	[CONF_PACK_G20] = g20_specs,
	[CONF_PACK_T17] = t17_specs,
	[CONF_PACK_W1] = w1_specs,
	[CONF_PACK_S15] = s15_specs,
};

static const char *const status_names[] = {
	"new", "open", "pending", "solved", "closed", "reopened",
};

bool
conf_status_in(char *const *list, size_t count, const char *status)
{
	size_t i;

	if (status == NULL)
		return false;
	for (i = 0; i < count; i++)
		if (strcasecmp(list[i], status) == 0)
			return true;
	return false;
}

/* "90%", "89.9%", "90": tenths of a percent, so that comparisons stay in
   integers (exactly 90.0% must not fall on either side by rounding). */
static int
parse_permille(const char *text, int *value_r)
{
	const char *s = text;
	long n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		n = n * 10 + (*s - '0');
		if (n > 100000)
			return -1;
		s++;
	}
	n *= 10;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		n += *s++ - '0';
		/* a finer figure would only pretend to a precision no survey has */
		if (isdigit((unsigned char)*s))
			return -1;
	}
	if (*s == '%')
		s++;
	if (*s != '\0')
		return -1;
	*value_r = (int)n;
	return 0;
}

/* "5", "5wd", "5 working days", "5 工作日". */
static int
parse_wdays(const char *text, int *value_r)
{
	const char *s = text;
	long n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		n = n * 10 + (*s - '0');
		if (n > 100000)
			return -1;
		s++;
	}
	while (*s == ' ')
		s++;
	if (*s != '\0' && strcmp(s, "wd") != 0 && strcmp(s, "working days") != 0 &&
	    strcmp(s, "working day") != 0 && strcmp(s, "工作日") != 0 &&
	    strcmp(s, "个工作日") != 0)
		return -1;
	*value_r = (int)n;
	return 0;
}

static int
spec_tiers(struct parser *p, const struct spec *sp, const char *value, int *slot)
{
	char *copy, *items[CONF_TIERS + 1];
	int v[CONF_TIERS], n, i;

	if ((copy = xstrdup(p, value)) == NULL)
		return -1;
	n = split_list(copy, items, CONF_TIERS + 1);
	for (i = 0; n == CONF_TIERS && i < n; i++) {
		int r = sp->kind == SPEC_TIERS_PERMILLE ? parse_permille(items[i], &v[i]) :
			parse_int_range(items[i], sp->kind == SPEC_TIERS_PCT, sp->min,
					sp->max, &v[i]);

		if (r < 0 || v[i] < sp->min || v[i] > sp->max)
			n = -1;
		else if (i > 0 && ((sp->order > 0 && v[i] <= v[i - 1]) ||
				   (sp->order < 0 && v[i] >= v[i - 1])))
			n = -2;
	}
	free(copy);
	if (n == -2) {
		parser_error(p, "%s: the three values must %s (%s)", sp->name,
			     sp->order > 0 ? "rise" : "fall", sp->why);
		return -1;
	}
	if (n != CONF_TIERS) {
		if (sp->kind == SPEC_TIERS_PERMILLE)
			parser_error(p, "bad value '%s' for %s (expected three percentages "
				     "up to 100%%, e.g. 90%%, 95%%, 100%%; %s)", value,
				     sp->name, sp->why);
		else
			parser_error(p, "bad value '%s' for %s (expected three values from "
				     "%d to %d, e.g. 5%%, 10%%, 15%%; %s)", value, sp->name,
				     sp->min, sp->max, sp->why);
		return -1;
	}
	memcpy(slot, v, sizeof(v));
	return 0;
}

/* "50..500", "50-500" or "200" (a fixed amount): the amounts a person
   may choose from when approving (S1 gives ranges, not amounts). */
static int
spec_range(struct parser *p, const struct spec *sp, const char *value, int *slot)
{
	char lo[16], hi[16];
	const char *sep = strstr(value, "..");
	size_t skip = 2;
	int v[2];

	if (sep == NULL && (sep = strchr(value, '-')) != NULL)
		skip = 1;
	if (sep == NULL) {
		sep = value + strlen(value);
		skip = 0;
	}
	if ((size_t)(sep - value) >= sizeof(lo) || strlen(sep + skip) >= sizeof(hi))
		goto bad;
	memcpy(lo, value, (size_t)(sep - value));
	lo[sep - value] = '\0';
	snprintf(hi, sizeof(hi), "%s", skip > 0 ? sep + skip : lo);
	if (parse_int_range(lo, false, sp->min, sp->max, &v[0]) < 0 ||
	    parse_int_range(hi, false, sp->min, sp->max, &v[1]) < 0)
		goto bad;
	if (v[0] > v[1]) {
		parser_error(p, "%s: the range %d..%d runs backwards (%s)", sp->name, v[0],
			     v[1], sp->why);
		return -1;
	}
	memcpy(slot, v, sizeof(v));
	if (slot == p->conf->policy.s1_penalty_range)
		p->conf->policy.s1_penalty_yuan = v[0];
	return 0;
bad:
	parser_error(p, "bad value '%s' for %s (expected a range like %d..%d, or one "
		     "amount, each from %d to %d; %s)", value, sp->name, sp->min, sp->max,
		     sp->min, sp->max, sp->why);
	return -1;
}

static int
spec_statuses(struct parser *p, const struct spec *sp, const char *value,
	      char **list, size_t *count)
{
	char *copy, *items[CONF_STATUSES_MAX + 1];
	int n, i, ret = 0;
	size_t k, j;

	if ((copy = xstrdup(p, value)) == NULL)
		return -1;
	n = split_list(copy, items, CONF_STATUSES_MAX);
	if (n < 0) {
		parser_error(p, "bad list '%s' for %s (empty item, or more than %d)",
			     value, sp->name, CONF_STATUSES_MAX);
		free(copy);
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(status_names) / sizeof(status_names[0]); k++)
			if (strcasecmp(items[i], status_names[k]) == 0)
				break;
		if (k == sizeof(status_names) / sizeof(status_names[0]) ||
		    strcasecmp(items[i], "reopened") == 0) {
			parser_error(p, "unknown status '%s' for %s (expected new, open, "
				     "pending, solved or closed)", items[i], sp->name);
			ret = -1;
		}
	}
	if (ret == 0) {
		for (j = 0; j < *count; j++) {
			free(list[j]);
			list[j] = NULL;
		}
		*count = 0;
		for (i = 0; i < n; i++) {
			if (conf_status_in(list, *count, items[i]))
				continue;
			if ((list[*count] = xstrdup(p, items[i])) == NULL) {
				ret = -1;
				break;
			}
			ascii_lower(list[(*count)++]);
		}
	}
	free(copy);
	return ret;
}

static int
spec_set(struct parser *p, const struct spec *sp, const char *value)
{
	char *base = (char *)&p->conf->policy + sp->offset;
	int v;

	switch (sp->kind) {
	case SPEC_INT:
	case SPEC_PCT:
		if (parse_int_range(value, sp->kind == SPEC_PCT, sp->min, sp->max, &v) < 0) {
			parser_error(p, "bad value '%s' for %s (expected %d%s to %d%s; %s)",
				     value, sp->name, sp->min, sp->kind == SPEC_PCT ? "%" : "",
				     sp->max, sp->kind == SPEC_PCT ? "%" : "", sp->why);
			return -1;
		}
		*(int *)(void *)base = v;
		return 0;
	case SPEC_PERMILLE:
		if (parse_permille(value, &v) < 0 || v < sp->min || v > sp->max) {
			parser_error(p, "bad percentage '%s' for %s (expected e.g. 90%% or "
				     "89.5%%, at most 100%%; %s)", value, sp->name, sp->why);
			return -1;
		}
		*(int *)(void *)base = v;
		return 0;
	case SPEC_WDAYS:
		if (parse_wdays(value, &v) < 0 || v < sp->min || v > sp->max) {
			parser_error(p, "bad value '%s' for %s (expected %d to %d working "
				     "days, e.g. 5 or \"5 working days\")", value, sp->name,
				     sp->min, sp->max);
			return -1;
		}
		*(int *)(void *)base = v;
		return 0;
	case SPEC_WEEKLY: {
		static const char days[7][4] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
		char day[4] = "";
		int h = -1, m = -1, d, n = 0;

		if (sscanf(value, "%3s %2d:%2d%n", day, &h, &m, &n) == 3 && value[n] == '\0' &&
		    h >= 0 && h <= 23 && m >= 0 && m <= 59)
			for (d = 0; d < 7; d++)
				if (strcasecmp(day, days[d]) == 0) {
					((int *)(void *)base)[0] = d;
					((int *)(void *)base)[1] = h * 3600 + m * 60;
					return 0;
				}
		parser_error(p, "bad value '%s' for %s (expected a day and a time, e.g. "
			     "Sat 09:00; %s)", value, sp->name, sp->why);
		return -1;
	}
	case SPEC_DURATION: {
		int64_t secs;

		if (conf_parse_duration(value, &secs) < 0 || secs == 0) {
			parser_error(p, "bad duration '%s' for %s (expected e.g. 30m, 24h, "
				     "1d, 1800s; %s)", value, sp->name, sp->why);
			return -1;
		}
		*(int64_t *)(void *)base = secs;
		return 0;
	}
	case SPEC_BOOL: {
		bool b;

		if (conf_parse_bool(value, &b) < 0) {
			parser_error(p, "bad boolean '%s' for %s (expected yes or no)",
				     value, sp->name);
			return -1;
		}
		*(bool *)(void *)base = b;
		return 0;
	}
	case SPEC_TIERS_PCT:
	case SPEC_TIERS_PERMILLE:
	case SPEC_TIERS_INT:
		return spec_tiers(p, sp, value, (int *)(void *)base);
	case SPEC_RANGE:
		return spec_range(p, sp, value, (int *)(void *)base);
	case SPEC_STRING:
		if (strlen(value) > CONF_MARKER_MAX) {
			parser_error(p, "%s longer than %d bytes", sp->name, CONF_MARKER_MAX);
			return -1;
		}
		return set_string(p, (char **)(void *)base, value);
	case SPEC_STATUSES: {
		struct conf_policy *pol = &p->conf->policy;
		bool pause = sp->offset == POL(pause_statuses);

		p->pause_line = p->line;

		return spec_statuses(p, sp, value,
				     pause ? pol->pause_statuses : pol->solved_statuses,
				     pause ? &pol->pause_status_count :
				     &pol->solved_status_count);
	}
	}
	return -1;
}

static int
key_policy_spec(struct parser *p, const char *key, const char *value)
{
	const struct spec *sp;

	for (sp = policy_specs; sp->name != NULL; sp++)
		if (strcmp(sp->name, key) == 0)
			return spec_set(p, sp, value);
	return -1;
}


static const struct key policy_keys[] = {
	{ "pack", key_policy_pack, false },
	{ "first_response", key_policy_duration, false },
	{ "preliminary", key_policy_duration, false },
	{ "resolution", key_policy_duration, false },
	{ "warn_at", key_policy_warn_at, false },
	{ "preliminary_marker", key_policy_marker, true },
	{ "resolved_marker", key_policy_marker, true },
	{ "assignment_header", key_policy_header, false },
	{ "priority_header", key_policy_header, false },
	{ "streak_length", key_policy_streak_length, false },
	{ "streak_deduction", key_policy_percent, false },
	{ "streak_reset_month_end", key_policy_bool, false },
	{ "streak_reset_after_fire", key_policy_bool, false },
	{ "severity_low", key_policy_severity, false },
	{ "severity_normal", key_policy_severity, false },
	{ "severity_high", key_policy_severity, false },
	{ "severity_critical", key_policy_severity, false },
	{ "stack_24h_72h", key_policy_bool, false },
	{ "ticket_cap", key_policy_percent, false },
	{ "charge", key_policy_charge, false },
	{ "pause_statuses", key_policy_spec, false },
	{ "solved_statuses", key_policy_spec, false },
	{ "reopen_restarts", key_policy_spec, false },
	{ "first_reply_preliminary", key_policy_spec, false },
	{ "satisfaction_target", key_policy_spec, false },
	{ "satisfaction_deduction", key_policy_spec, false },
	{ "attitude_deduction", key_policy_spec, false },
	{ "feedback_within", key_policy_spec, false },
	{ "feedback_streak_length", key_policy_spec, false },
	{ "feedback_deduction", key_policy_spec, false },
	{ "feedback_reset_after_fire", key_policy_spec, false },
	{ "training_deduction", key_policy_spec, false },
	{ "appeal_window", key_policy_spec, false },
	{ "appeal_reply", key_policy_spec, false },
	{ NULL, NULL, false }
};

/* ---- [team NAME] ---- */

static int
team_address(struct parser *p, const char *key, const char *value, char **copy_r)
{
	char *copy;

	if (!address_valid(value)) {
		parser_error(p, "bad email address '%s' for %s", value, key);
		return -1;
	}
	if ((copy = xstrdup(p, value)) == NULL)
		return -1;
	ascii_lower(copy);
	*copy_r = copy;
	return 0;
}

static int
key_team_single(struct parser *p, const char *key, const char *value)
{
	char *addr;

	if (team_address(p, key, value, &addr) < 0)
		return -1;
	if (strcmp(key, "lead") == 0) {
		free(p->team->lead);
		p->team->lead = addr;
	} else {
		free(p->team->default_agent);
		p->team->default_agent = addr;
	}
	return 0;
}

static size_t
total_agents(const struct conf *conf)
{
	size_t i, n = 0;

	for (i = 0; i < conf->team_count; i++)
		n += conf->teams[i].agent_count;
	return n;
}

/* Append the items of VALUE to a team's agents or domains. An address or a
   domain in two teams would make conf_agent_team() ambiguous, so refuse. */
static int
key_team_list(struct parser *p, const char *key, const char *value)
{
	bool agents = strcmp(key, "agents") == 0 || strcmp(key, "agent") == 0;
	struct conf_team *team = p->team;
	char *copy, **items = NULL, ***list, *item, **grown;
	size_t *count, t, j;
	int n, i, ret = -1;

	list = agents ? &team->agents : &team->domains;
	count = agents ? &team->agent_count : &team->domain_count;
	if ((copy = xstrdup(p, value)) == NULL)
		return -1;
	if ((items = calloc(CONF_LIST_MAX, sizeof(*items))) == NULL)
		goto oom;
	n = split_list(copy, items, CONF_LIST_MAX);
	if (n < 0) {
		parser_error(p, "empty item in the list for %s", key);
		goto out;
	}
	ret = 0;
	for (i = 0; i < n; i++) {
		item = items[i];
		if (!agents && item[0] == '@')
			item++;
		ascii_lower(item);
		if (agents ? !address_valid(item) : !domain_valid(item)) {
			parser_error(p, agents ? "bad email address '%s' for %s" :
				     "bad domain '%s' for %s", items[i], key);
			ret = -1;
			continue;
		}
		if (agents && total_agents(p->conf) >= CONF_AGENTS_MAX) {
			parser_error(p, "more than %d agents", CONF_AGENTS_MAX);
			ret = -1;
			break;
		}
		for (t = 0; t < p->conf->team_count; t++) {
			const struct conf_team *other = &p->conf->teams[t];
			char *const *olist = agents ? other->agents : other->domains;
			size_t ocount = agents ? other->agent_count : other->domain_count;

			for (j = 0; j < ocount; j++) {
				if (strcmp(olist[j], item) == 0)
					break;
			}
			if (j < ocount)
				break;
		}
		if (t < p->conf->team_count) {
			if (&p->conf->teams[t] != team) {
				parser_error(p, "%s '%s' is already in team %s",
					     agents ? "agent" : "domain", item,
					     p->conf->teams[t].name);
				ret = -1;
			}
			continue;
		}
		grown = realloc(*list, (*count + 1) * sizeof(*grown));
		if (grown == NULL)
			goto oom;
		*list = grown;
		if ((grown[*count] = xstrdup(p, item)) == NULL) {
			ret = -1;
			goto out;
		}
		(*count)++;
	}
	goto out;
oom:
	p->alloc_failed = true;
	parser_error(p, "out of memory");
	ret = -1;
out:
	free(items);
	free(copy);
	return ret;
}

/* Resolved in finish(): the [calendar NAME] may come after the team. */
static int
key_team_calendar(struct parser *p, const char *key, const char *value)
{
	size_t t = (size_t)(p->team - p->conf->teams);

	if (strlen(value) > CONF_NAME_MAX) {
		parser_error(p, "calendar name longer than %d bytes", CONF_NAME_MAX);
		return -1;
	}
	free(p->team_cal_names[t]);
	p->team_cal_names[t] = xstrdup(p, value);
	p->team_cal_lines[t] = p->line;
	return p->team_cal_names[t] != NULL ? 0 : -1;
}

static const struct key team_keys[] = {
	{ "lead", key_team_single, false },
	{ "agents", key_team_list, true },
	{ "agent", key_team_list, true },
	{ "domain", key_team_list, true },
	{ "domains", key_team_list, true },
	{ "default_agent", key_team_single, false },
	{ "calendar", key_team_calendar, false },
	{ NULL, NULL, false }
};

/* ---- lines ---- */

static int
begin_team(struct parser *p, const char *name)
{
	struct conf *conf = p->conf;
	struct conf_team *grown;
	unsigned int *lines, *cal_lines;
	uint64_t *seen;
	char **names;
	size_t i;

	if (*name == '\0' || strlen(name) > CONF_NAME_MAX) {
		parser_error(p, "team name must be 1 to %d bytes", CONF_NAME_MAX);
		return -1;
	}
	for (i = 0; i < conf->team_count; i++) {
		if (strcmp(conf->teams[i].name, name) == 0) {
			parser_error(p, "duplicate team '%s' (first defined at line %u)",
				     name, p->team_lines[i]);
			return -1;
		}
	}
	if (conf->team_count >= CONF_TEAMS_MAX) {
		parser_error(p, "more than %d teams", CONF_TEAMS_MAX);
		return -1;
	}
	grown = realloc(conf->teams, (conf->team_count + 1) * sizeof(*grown));
	if (grown != NULL)
		conf->teams = grown;
	lines = realloc(p->team_lines, (conf->team_count + 1) * sizeof(*lines));
	if (lines != NULL)
		p->team_lines = lines;
	seen = realloc(p->team_seen, (conf->team_count + 1) * sizeof(*seen));
	if (seen != NULL)
		p->team_seen = seen;
	names = realloc(p->team_cal_names, (conf->team_count + 1) * sizeof(*names));
	if (names != NULL) {
		p->team_cal_names = names;
		names[conf->team_count] = NULL;
		p->team_cal_count = conf->team_count + 1;
	}
	cal_lines = realloc(p->team_cal_lines, (conf->team_count + 1) * sizeof(*cal_lines));
	if (cal_lines != NULL)
		p->team_cal_lines = cal_lines;
	if (grown == NULL || lines == NULL || seen == NULL || names == NULL ||
	    cal_lines == NULL) {
		p->alloc_failed = true;
		parser_error(p, "out of memory");
		return -1;
	}
	memset(&grown[conf->team_count], 0, sizeof(*grown));
	grown[conf->team_count].calendar = -1;
	if ((grown[conf->team_count].name = xstrdup(p, name)) == NULL)
		return -1;
	lines[conf->team_count] = p->line;
	seen[conf->team_count] = 0;
	p->team = &grown[conf->team_count];
	conf->team_count++;
	return 0;
}

/* [TYPE] or [TYPE NAME] for a module section: 0 when NAME is one (the
   section is started, or an error about it was reported), -1 when it is no
   module's. */
static int
begin_module_section(struct parser *p, const char *name)
{
	const char *sp = name + strcspn(name, " \t"), *label;
	size_t tlen = (size_t)(sp - name), i, k;
	struct conf_section *sec, *n;
	struct conf *conf = p->conf;

	for (i = 0; i < sizeof(module_sections) / sizeof(module_sections[0]); i++)
		if (strlen(module_sections[i].type) == tlen &&
		    strncmp(module_sections[i].type, name, tlen) == 0)
			break;
	if (i == sizeof(module_sections) / sizeof(module_sections[0]))
		return -1;
	label = *sp != '\0' ? sp + strspn(sp, " \t") : "";
	if (module_sections[i].named && (*label == '\0' || strlen(label) > CONF_NAME_MAX)) {
		parser_error(p, "section needs a name of 1 to %d bytes: [%s NAME]",
			     CONF_NAME_MAX, module_sections[i].type);
		return 0;
	}
	if (!module_sections[i].named && *label != '\0') {
		parser_error(p, "section [%s] takes no name", module_sections[i].type);
		return 0;
	}
	for (k = 0; k < conf->section_count; k++) {
		n = &conf->sections[k];
		if (strcmp(n->type, module_sections[i].type) == 0 &&
		    strcmp(n->name != NULL ? n->name : "", label) == 0) {
			parser_error(p, "section [%s] given twice (first at line %u)", name,
				     n->line);
			return 0;
		}
	}
	if (conf->section_count >= CONF_SECTIONS_MAX) {
		parser_error(p, "more than %d module sections", CONF_SECTIONS_MAX);
		return 0;
	}
	n = realloc(conf->sections, (conf->section_count + 1) * sizeof(*n));
	if (n == NULL) {
		p->alloc_failed = true;
		return 0;
	}
	conf->sections = n;
	sec = &conf->sections[conf->section_count++];
	memset(sec, 0, sizeof(*sec));
	sec->line = p->line;
	sec->type = xstrdup(p, module_sections[i].type);
	sec->name = *label != '\0' ? xstrdup(p, label) : NULL;
	p->section = SECTION_MODULE;
	snprintf(p->section_label, sizeof(p->section_label), "%s", name);
	p->section_name = p->section_label;
	return 0;
}

static void
module_key(struct parser *p, const char *key, const char *value)
{
	struct conf_section *sec = &p->conf->sections[p->conf->section_count - 1];
	struct conf_kv *kv;

	if (sec->kv_count >= CONF_SECTION_KEYS_MAX) {
		parser_error(p, "more than %d keys in section [%s]", CONF_SECTION_KEYS_MAX,
			     p->section_name);
		return;
	}
	if ((kv = realloc(sec->kvs, (sec->kv_count + 1) * sizeof(*kv))) == NULL) {
		p->alloc_failed = true;
		return;
	}
	sec->kvs = kv;
	kv = &sec->kvs[sec->kv_count++];
	kv->key = xstrdup(p, key);
	kv->value = xstrdup(p, value);
	kv->line = p->line;
}

const struct conf_section *
conf_section_next(const struct conf *conf, const char *type,
		  const struct conf_section *prev)
{
	size_t i = prev != NULL ? (size_t)(prev - conf->sections) + 1 : 0;

	for (; i < conf->section_count; i++)
		if (strcmp(conf->sections[i].type, type) == 0)
			return &conf->sections[i];
	return NULL;
}

static int
begin_calendar(struct parser *p, const char *name)
{
	struct conf *conf = p->conf;
	struct conf_named_calendar *grown, *nc;
	size_t i;

	if (*name == '\0' || strlen(name) > CONF_NAME_MAX) {
		parser_error(p, "calendar name must be 1 to %d bytes", CONF_NAME_MAX);
		return -1;
	}
	for (i = 0; i < conf->calendar_count; i++)
		if (strcmp(conf->calendars[i].name, name) == 0) {
			parser_error(p, "duplicate calendar '%s' (first defined at line %u)",
				     name, conf->calendars[i].line);
			return -1;
		}
	if (conf->calendar_count >= CONF_CALENDARS_MAX) {
		parser_error(p, "more than %d calendars", CONF_CALENDARS_MAX);
		return -1;
	}
	grown = realloc(conf->calendars, (conf->calendar_count + 1) * sizeof(*grown));
	if (grown == NULL) {
		p->alloc_failed = true;
		parser_error(p, "out of memory");
		return -1;
	}
	conf->calendars = grown;
	nc = &grown[conf->calendar_count];
	memset(nc, 0, sizeof(*nc));
	nc->line = p->line;
	/* a team calendar starts as a copy of the hours and zone of 24x7 */
	nc->cal.always_open = true;
	nc->cal.hours.all_day = true;
	for (i = 0; i < 7; i++) {
		nc->cal.hours.open[i] = 0;
		nc->cal.hours.close[i] = 86400;
	}
	nc->name = xstrdup(p, name);
	nc->cal.timezone = xstrdup(p, conf->calendar.timezone);
	conf->calendar_count++;
	p->cal = &nc->cal;
	p->cal_seen = &p->named_cal_seen[conf->calendar_count - 1];
	return nc->name != NULL && nc->cal.timezone != NULL ? 0 : -1;
}

static void
pack_key(struct parser *p, const char *key, const char *value)
{
	const struct spec *sp;
	size_t i = 0;

	for (sp = pack_specs[p->pack]; sp->name != NULL; sp++, i++)
		if (strcmp(sp->name, key) == 0)
			break;
	if (sp->name == NULL) {
		parser_error(p, "unknown key '%s' in section [%s]", key, p->section_name);
		return;
	}
	if ((p->seen_pack[p->pack] & ((uint64_t)1 << i)) != 0) {
		parser_error(p, "key '%s' given twice in section [%s]", key, p->section_name);
		return;
	}
	p->seen_pack[p->pack] |= (uint64_t)1 << i;
	if (*value == '\0') {
		parser_error(p, "missing value for key '%s' in section [%s]", key,
			     p->section_name);
		return;
	}
	(void)spec_set(p, sp, value);
}

static void
parse_section(struct parser *p, char *line)
{
	char *end = strchr(line, ']'), *name;

	p->section = SECTION_UNKNOWN;
	p->team = NULL;
	if (end == NULL || *trim(end + 1) != '\0') {
		parser_error(p, "bad section header (expected [name] or [team NAME])");
		return;
	}
	*end = '\0';
	name = trim(line + 1);
	if (strcmp(name, "store") == 0)
		p->section = SECTION_STORE;
	else if (strcmp(name, "calendar") == 0) {
		p->section = SECTION_CALENDAR;
		p->cal = &p->conf->calendar;
		p->cal_seen = &p->seen_calendar;
	} else if (strncmp(name, "calendar", 8) == 0 && (name[8] == ' ' || name[8] == '\t')) {
		if (begin_calendar(p, trim(name + 9)) == 0)
			p->section = SECTION_CALENDAR;
		snprintf(p->section_label, sizeof(p->section_label), "calendar %s",
			 trim(name + 9));
		p->section_name = p->section_label;
		return;
	} else if (strncmp(name, "pack", 4) == 0 && (name[4] == ' ' || name[4] == '\t')) {
		enum conf_pack pk;

		snprintf(p->section_label, sizeof(p->section_label), "pack %s",
			 trim(name + 5));
		p->section_name = p->section_label;
		if (conf_pack_from_name(trim(name + 5), &pk) < 0 || pk == CONF_PACK_S14) {
			parser_error(p, "unknown pack section [%s] (expected [pack S4], S9, "
				     "S1, G16, G20, T17 or W1; S14 is set in [policy])", name);
			return;
		}
		if (p->pack_lines[pk] != 0) {
			parser_error(p, "section [%s] given twice (first at line %u)", name,
				     p->pack_lines[pk]);
			return;
		}
		p->pack_lines[pk] = p->line;
		p->pack = pk;
		p->section = SECTION_PACK;
		return;
	} else if (strcmp(name, "policy") == 0)
		p->section = SECTION_POLICY;
	else if (strcmp(name, "team") == 0) {
		parser_error(p, "team name must be 1 to %d bytes: [team NAME]", CONF_NAME_MAX);
		return;
	} else if (strncmp(name, "team", 4) == 0 && (name[4] == ' ' || name[4] == '\t')) {
		if (begin_team(p, trim(name + 5)) == 0)
			p->section = SECTION_TEAM;
		snprintf(p->section_label, sizeof(p->section_label), "team %s",
			 trim(name + 5));
		p->section_name = p->section_label;
		return;
	} else {
		if (begin_module_section(p, name) == 0)
			return;
		parser_error(p, "unknown section [%s] (expected store, calendar, "
			     "calendar NAME, policy, pack NAME, team NAME, imap NAME, "
			     "helpdesk NAME, smtp or webhook)", name);
		return;
	}
	p->section_name = p->section == SECTION_STORE ? "store" :
		p->section == SECTION_CALENDAR ? "calendar" : "policy";
}

static void
parse_assignment(struct parser *p, char *line)
{
	const struct key *keys;
	uint64_t *seen;
	char *eq = strchr(line, '='), *key, *value;
	size_t i;

	if (eq == NULL) {
		parser_error(p, "expected 'key = value', [section] or a comment");
		return;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	switch (p->section) {
	case SECTION_NONE:
		parser_error(p, "key '%s' outside any section", key);
		return;
	case SECTION_UNKNOWN:
		/* the section header was already reported */
		return;
	case SECTION_MODULE:
		/* the module checks its keys; an empty value is its business */
		module_key(p, key, value);
		return;
	case SECTION_STORE:
		keys = store_keys;
		seen = &p->seen_store;
		break;
	case SECTION_CALENDAR:
		keys = calendar_keys;
		seen = p->cal_seen;
		break;
	case SECTION_PACK:
		pack_key(p, key, value);
		return;
	case SECTION_POLICY:
		keys = policy_keys;
		seen = &p->seen_policy;
		break;
	case SECTION_TEAM:
	default:
		keys = team_keys;
		seen = &p->team_seen[p->team - p->conf->teams];
		break;
	}
	for (i = 0; keys[i].name != NULL; i++) {
		if (strcmp(keys[i].name, key) == 0)
			break;
	}
	if (keys[i].name == NULL) {
		parser_error(p, "unknown key '%s' in section [%s]", key, p->section_name);
		return;
	}
	if (!keys[i].repeatable && (*seen & ((uint64_t)1 << i)) != 0) {
		parser_error(p, "key '%s' given twice in section [%s]", key, p->section_name);
		return;
	}
	*seen |= (uint64_t)1 << i;
	if (*value == '\0') {
		parser_error(p, "missing value for key '%s' in section [%s]",
			     key, p->section_name);
		return;
	}
	(void)keys[i].parse(p, key, value);
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			if (c == 0)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

static void
parse_line(struct parser *p, char *line, size_t len)
{
	char *s;

	if (len > CONF_LINE_MAX) {
		parser_error(p, "line longer than %d bytes", CONF_LINE_MAX);
		return;
	}
	if (!utf8_valid((const unsigned char *)line, len)) {
		parser_error(p, "line is not valid UTF-8 (or contains NUL)");
		return;
	}
	s = trim(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s == '[')
		parse_section(p, s);
	else
		parse_assignment(p, s);
}

/* Working days default to the days with business hours, or Mon-Fri on a
   24x7 calendar (appeal windows are counted in working days even when the
   SLA clocks run around the clock). */
static void
finish_workweek(struct conf_calendar *cal)
{
	int d;

	if (cal->workweek_explicit)
		return;
	cal->workweek = 0;
	if (cal->always_open) {
		cal->workweek = 0x3e;	/* Mon-Fri */
		return;
	}
	for (d = 0; d < 7; d++)
		if (cal->hours.open[d] >= 0 && cal->hours.close[d] > cal->hours.open[d])
			cal->workweek |= 1u << d;
}

/* Checks that need the whole file: teams complete, calendar consistent. */
static void
finish(struct parser *p)
{
	struct conf *conf = p->conf;
	size_t i;

	for (i = 0; i < conf->team_count; i++) {
		struct conf_team *team = &conf->teams[i];

		p->line = p->team_lines[i];
		if (team->agent_count == 0 && team->domain_count == 0)
			parser_error(p, "team %s has neither agents nor domain", team->name);
		if (team->default_agent != NULL &&
		    conf_agent_team(conf, team->default_agent) != team)
			parser_error(p, "default_agent %s of team %s is not one of its agents",
				     team->default_agent, team->name);
		if (p->team_cal_names != NULL && p->team_cal_names[i] != NULL) {
			size_t k;

			for (k = 0; k < conf->calendar_count; k++)
				if (strcmp(conf->calendars[k].name, p->team_cal_names[i]) == 0)
					break;
			p->line = p->team_cal_lines[i];
			if (k == conf->calendar_count)
				parser_error(p, "team %s: no section [calendar %s]", team->name,
					     p->team_cal_names[i]);
			else
				team->calendar = (int)k;
		}
	}
	finish_workweek(&conf->calendar);
	for (i = 0; i < conf->calendar_count; i++)
		finish_workweek(&conf->calendars[i].cal);
	for (i = 0; i < CONF_PACK_COUNT; i++) {
		if (p->pack_lines[i] == 0 || conf_pack_enabled(conf, (enum conf_pack)i))
			continue;
		p->line = p->pack_lines[i];
		parser_error(p, "section [pack %s] is set but the pack is not on "
			     "(add it to pack = in [policy])", pack_names[i]);
	}
	for (i = 0; i < conf->policy.pause_status_count; i++) {
		if (!conf_status_in(conf->policy.solved_statuses,
				    conf->policy.solved_status_count,
				    conf->policy.pause_statuses[i]))
			continue;
		p->line = p->pause_line;
		parser_error(p, "status '%s' is both in pause_statuses and in "
			     "solved_statuses", conf->policy.pause_statuses[i]);
	}
}

/* Resolve the store path against the config file's directory, made
   absolute so that conf_print() output means the same file anywhere. */
static int
resolve_store_path(struct parser *p)
{
	const char *raw = p->store_path_raw != NULL ? p->store_path_raw : DEFAULT_STORE_FILE;
	const char *slash = strrchr(p->name, '/');
	char *dir = NULL, *real = NULL, *path = NULL;
	int ret = -1;

	if (raw[0] == '/')
		return set_string(p, &p->conf->store_path, raw);
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == p->name)
		dir = strdup("/");
	else
		dir = strndup(p->name, (size_t)(slash - p->name));
	if (dir == NULL)
		goto out;
	real = realpath(dir, NULL);
	if (asprintf(&path, "%s%s%s", real != NULL ? real : dir,
		     strcmp(real != NULL ? real : dir, "/") == 0 ? "" : "/", raw) < 0) {
		path = NULL;
		goto out;
	}
	free(p->conf->store_path);
	p->conf->store_path = path;
	ret = 0;
out:
	if (ret < 0) {
		p->alloc_failed = true;
		parser_error(p, "out of memory");
	}
	free(real);
	free(dir);
	return ret;
}

static void
set_default_markers(struct conf_policy *pol)
{
	size_t i;

	for (i = 0; i < sizeof(default_preliminary_markers) / sizeof(char *); i++)
		pol->preliminary_markers[pol->preliminary_marker_count++] =
			strdup(default_preliminary_markers[i]);
	for (i = 0; i < sizeof(default_resolved_markers) / sizeof(char *); i++)
		pol->resolved_markers[pol->resolved_marker_count++] =
			strdup(default_resolved_markers[i]);
}

int
conf_defaults(struct conf **conf_r, const char **error_r)
{
	struct conf *conf;
	struct conf_policy *pol;
	size_t i;
	int d;

	*conf_r = NULL;
	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		goto oom;
	pol = &conf->policy;
	conf->store_backend = strdup(DEFAULT_STORE_BACKEND);
	conf->store_path = strdup(DEFAULT_STORE_FILE);
	conf->calendar.timezone = strdup(DEFAULT_TIMEZONE);
	conf->calendar.always_open = true;
	conf->calendar.hours.all_day = true;
	for (d = 0; d < 7; d++) {
		conf->calendar.hours.open[d] = 0;
		conf->calendar.hours.close[d] = 86400;
	}
	pol->pack = strdup(DEFAULT_PACK);
	pol->first_response_secs = 30 * 60;
	pol->preliminary_secs = 24 * 3600;
	pol->resolution_secs = 72 * 3600;
	pol->warn_at_pct = 80;
	set_default_markers(pol);
	pol->assignment_header = strdup(DEFAULT_ASSIGNMENT_HEADER);
	pol->priority_header = strdup(DEFAULT_PRIORITY_HEADER);
	pol->streak_length = 3;
	pol->streak_deduction_pct = 10;
	pol->streak_reset_month_end = false;
	pol->streak_reset_after_fire = true;
	pol->severity_pct[SEVERITY_LOW] = 5;
	pol->severity_pct[SEVERITY_NORMAL] = 10;
	pol->severity_pct[SEVERITY_HIGH] = 15;
	pol->severity_pct[SEVERITY_CRITICAL] = 20;
	pol->stack_24h_72h = true;
	pol->ticket_cap_pct = 20;
	pol->charge = CONF_CHARGE_OWNER_AT_DEADLINE;
	conf->calendar.workweek = 0x3e;
	pol->packs = 1u << CONF_PACK_S14;
	pol->solved_statuses[0] = strdup("solved");
	pol->solved_statuses[1] = strdup("closed");
	pol->solved_status_count = 2;
	pol->reopen_restarts = true;
	pol->first_reply_preliminary = false;
	pol->satisfaction_target_permille = 900;
	pol->satisfaction_deduction_pct = 5;
	pol->attitude_deduction_pct = 5;
	pol->feedback_within_secs = 24 * 3600;
	pol->feedback_streak_length = 3;
	pol->feedback_deduction_pct = 10;
	pol->feedback_reset_after_fire = true;
	pol->training_deduction_pct = 5;
	pol->appeal_window_days = 5;
	pol->appeal_reply_days = 5;
	pol->s4_repeat = 3;
	for (d = 0; d < CONF_TIERS; d++) {
		pol->s9_complaint_pct[d] = 5 * (d + 1);
		pol->s9_error_pct[d] = 5 * (d + 1);
		pol->s9_satisfaction_reward_pct[d] = 5 * (d + 1);
		pol->s9_speed_pct[d] = 10 * (d + 1);
		pol->s9_speed_reward_pct[d] = 5 * (d + 1);
	}
	pol->s9_satisfaction_permille[0] = 900;
	pol->s9_satisfaction_permille[1] = 950;
	pol->s9_satisfaction_permille[2] = 1000;
	pol->s1_response_secs = 24 * 3600;
	pol->s1_ship_secs = 48 * 3600;
	pol->s1_penalty_yuan = 50;
	pol->s1_penalty_range[0] = 50;
	pol->s1_penalty_range[1] = 500;
	pol->s1_reward_range[0] = 100;
	pol->s1_reward_range[1] = 1000;
	pol->s9_cumulative = false;
	pol->s9_run_by_tickets = true;
	pol->g20_bonus_threshold = 90;
	pol->t17_top[0] = 5;
	pol->t17_top[1] = 3;
	pol->t17_top[2] = 1;
	pol->s15_praises = 3;
	pol->s1_parts_marker = strdup("parts");
	pol->g16_reply_secs[0] = 24 * 3600;
	pol->g16_reply_secs[1] = 48 * 3600;
	pol->g16_reply_secs[2] = 24 * 3600;
	pol->g20_threshold = 90;
	pol->g20_months = 2;
	pol->g20_weekly[0] = 6;
	pol->g20_weekly[1] = 9 * 3600;
	pol->t17_points = 30;
	pol->t17_band[0] = 25;
	pol->t17_band[1] = 20;
	pol->t17_band[2] = 15;
	pol->t17_band_pct[0] = 10;
	pol->t17_band_pct[1] = 30;
	pol->t17_band_pct[2] = 100;
	pol->w1_answer_days = 1;
	pol->w1_solution_days = 3;
	pol->w1_timely_pct = 90;
	pol->w1_satisfaction_pct = 85;
	pol->w1_complaint_rate_pct = 3;

	if (pol->solved_statuses[0] == NULL || pol->solved_statuses[1] == NULL ||
	    pol->s1_parts_marker == NULL)
		goto oom;
	if (conf->store_backend == NULL || conf->store_path == NULL ||
	    conf->calendar.timezone == NULL || pol->pack == NULL ||
	    pol->assignment_header == NULL || pol->priority_header == NULL)
		goto oom;
	for (i = 0; i < pol->preliminary_marker_count; i++)
		if (pol->preliminary_markers[i] == NULL)
			goto oom;
	for (i = 0; i < pol->resolved_marker_count; i++)
		if (pol->resolved_markers[i] == NULL)
			goto oom;
	*conf_r = conf;
	return 0;
oom:
	conf_free(&conf);
	*error_r = "out of memory";
	return -1;
}

int
conf_load_buffer(const char *name, const char *buf, size_t len,
		 struct conf **conf_r, char **error_r)
{
	struct parser p;
	const char *defaults_error;
	char *line = NULL;
	size_t pos = 0, n;
	int ret = -1;

	*conf_r = NULL;
	*error_r = NULL;
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.errors = calloc(CONF_ERRORS_MAX, sizeof(*p.errors));
	if (p.errors == NULL) {
		*error_r = strdup("out of memory");
		return -1;
	}
	if (conf_defaults(&p.conf, &defaults_error) < 0) {
		parser_error(&p, "%s", defaults_error);
		goto out;
	}
	if ((p.conf->path = strdup(name)) == NULL) {
		parser_error(&p, "out of memory");
		goto out;
	}
	if (len > CONF_FILE_MAX) {
		parser_error(&p, "file larger than %d bytes", CONF_FILE_MAX);
		goto out;
	}
	/* One spare byte so an over-long line is still seen as such. */
	if ((line = malloc(CONF_LINE_MAX + 2)) == NULL) {
		parser_error(&p, "out of memory");
		goto out;
	}
	while (pos < len && !p.alloc_failed) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t full = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;

		p.line++;
		n = full > CONF_LINE_MAX + 1 ? CONF_LINE_MAX + 1 : full;
		memcpy(line, buf + pos, n);
		if (n > 0 && line[n - 1] == '\r' && full <= CONF_LINE_MAX + 1)
			n--;
		line[n] = '\0';
		pos += full + (nl != NULL);
		/* a UTF-8 byte order mark is harmless; editors on Windows add it */
		if (p.line == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
			parse_line(&p, line + 3, n - 3);
		else
			parse_line(&p, line, n);
	}
	if (p.alloc_failed)
		goto out;
	finish(&p);
	if (resolve_store_path(&p) < 0)
		goto out;
	if (p.error_count == 0)
		ret = 0;
out:
	if (ret == 0)
		*conf_r = p.conf;
	else {
		conf_free(&p.conf);
		*error_r = errors_text(&p);
	}
	for (n = 0; n < CONF_ERRORS_MAX; n++)
		free(p.errors[n].text);
	free(p.errors);
	free(line);
	free(p.store_path_raw);
	free(p.team_lines);
	free(p.team_seen);
	for (n = 0; n < p.team_cal_count; n++)
		free(p.team_cal_names[n]);
	free(p.team_cal_names);
	free(p.team_cal_lines);
	return ret;
}

int
conf_load(const char *path, struct conf **conf_r, char **error_r)
{
	struct stat st;
	FILE *f;
	char *buf = NULL;
	size_t len;
	int ret = -1;

	*conf_r = NULL;
	*error_r = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		if (asprintf(error_r, "%s: cannot open: %s", path, strerror(errno)) < 0)
			*error_r = NULL;
		return -1;
	}
	if (fstat(fileno(f), &st) < 0) {
		if (asprintf(error_r, "%s: cannot read: %s", path, strerror(errno)) < 0)
			*error_r = NULL;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		if (asprintf(error_r, "%s: cannot read: not a regular file", path) < 0)
			*error_r = NULL;
		goto out;
	}
	if (st.st_size > CONF_FILE_MAX) {
		if (asprintf(error_r, "%s: file larger than %d bytes", path, CONF_FILE_MAX) < 0)
			*error_r = NULL;
		goto out;
	}
	/* +1 catches a file that grew after fstat() */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		*error_r = strdup("out of memory");
		goto out;
	}
	len = fread(buf, 1, (size_t)st.st_size + 1, f);
	if (ferror(f)) {
		if (asprintf(error_r, "%s: cannot read: %s", path, strerror(errno)) < 0)
			*error_r = NULL;
		goto out;
	}
	ret = conf_load_buffer(path, buf, len, conf_r, error_r);
out:
	free(buf);
	fclose(f);
	return ret;
}

static void
free_list(char **list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

void
conf_free(struct conf **confp)
{
	struct conf *conf = *confp;
	size_t i;

	if (conf == NULL)
		return;
	*confp = NULL;
	free(conf->path);
	free(conf->store_backend);
	free(conf->store_path);
	free(conf->calendar.timezone);
	free(conf->calendar.holidays);
	free(conf->calendar.workdays);
	free(conf->policy.pack);
	for (i = 0; i < conf->policy.preliminary_marker_count; i++)
		free(conf->policy.preliminary_markers[i]);
	for (i = 0; i < conf->policy.resolved_marker_count; i++)
		free(conf->policy.resolved_markers[i]);
	free(conf->policy.assignment_header);
	free(conf->policy.priority_header);
	for (i = 0; i < conf->policy.pause_status_count; i++)
		free(conf->policy.pause_statuses[i]);
	for (i = 0; i < conf->policy.solved_status_count; i++)
		free(conf->policy.solved_statuses[i]);
	free(conf->policy.s1_parts_marker);
	for (i = 0; i < conf->calendar_count; i++) {
		free(conf->calendars[i].name);
		free(conf->calendars[i].cal.timezone);
		free(conf->calendars[i].cal.holidays);
		free(conf->calendars[i].cal.workdays);
	}
	free(conf->calendars);
	for (i = 0; i < conf->team_count; i++) {
		free(conf->teams[i].name);
		free(conf->teams[i].lead);
		free(conf->teams[i].default_agent);
		free_list(conf->teams[i].agents, conf->teams[i].agent_count);
		free_list(conf->teams[i].domains, conf->teams[i].domain_count);
	}
	free(conf->teams);
	for (i = 0; i < conf->section_count; i++) {
		struct conf_section *sec = &conf->sections[i];
		size_t k;

		for (k = 0; k < sec->kv_count; k++) {
			free(sec->kvs[k].key);
			free(sec->kvs[k].value);
		}
		free(sec->kvs);
		free(sec->type);
		free(sec->name);
	}
	free(conf->sections);
	free(conf);
}

/* ---- printing ---- */

static void
print_duration(FILE *out, const char *key, int64_t secs)
{
	/* hours up to a week, as the policy writes its targets (24 h, 72 h) */
	if (secs % 86400 == 0 && secs >= 7 * 86400)
		fprintf(out, "%s = %lldd\n", key, (long long)(secs / 86400));
	else if (secs % 3600 == 0)
		fprintf(out, "%s = %lldh\n", key, (long long)(secs / 3600));
	else if (secs % 60 == 0)
		fprintf(out, "%s = %lldm\n", key, (long long)(secs / 60));
	else
		fprintf(out, "%s = %llds\n", key, (long long)secs);
}

static void
print_list(FILE *out, const char *key, char *const *items, size_t count)
{
	size_t i;

	if (count == 0)
		return;
	fprintf(out, "%s = ", key);
	for (i = 0; i < count; i++)
		fprintf(out, "%s%s", i > 0 ? ", " : "", items[i]);
	fputc('\n', out);
}

static void
print_hours(FILE *out, const struct conf_calendar *cal)
{
	/* Monday first, as people write it; Sunday (0) last */
	static const int order[7] = { 1, 2, 3, 4, 5, 6, 0 };
	const struct conf_hours *h = &cal->hours;
	bool first = true;
	int i = 0, j;

	if (cal->always_open) {
		fputs("hours = 24x7\n", out);
		return;
	}
	fputs("hours = ", out);
	while (i < 7) {
		int d = order[i];

		if (h->open[d] < 0) {
			i++;
			continue;
		}
		for (j = i + 1; j < 7; j++) {
			if (h->open[order[j]] != h->open[d] || h->close[order[j]] != h->close[d])
				break;
		}
		fprintf(out, "%s%s", first ? "" : ", ", weekday_names[d]);
		if (j - 1 > i)
			fprintf(out, "-%s", weekday_names[order[j - 1]]);
		fprintf(out, " %02d:%02d-%02d:%02d",
			h->open[d] / 3600, h->open[d] % 3600 / 60,
			h->close[d] / 3600, h->close[d] % 3600 / 60);
		first = false;
		i = j;
	}
	fputc('\n', out);
}

static void
print_calendar(FILE *out, const struct conf_calendar *cal)
{
	char date[11];
	bool first;
	size_t i;
	int d;

	fprintf(out, "timezone = %s\n", cal->timezone);
	print_hours(out, cal);
	/* a derived workweek is derived again when read back */
	for (i = 0, first = true; cal->workweek_explicit && i < 7; i++) {
		d = (int)(i + 1) % 7;	/* Monday first */
		if ((cal->workweek & (1u << d)) == 0)
			continue;
		fprintf(out, "%s%s", first ? "workweek = " : ", ", weekday_names[d]);
		first = false;
	}
	if (!first)
		fputc('\n', out);
	for (i = 0; i < cal->holiday_count; i++) {
		format_date(cal->holidays[i], date);
		fprintf(out, "holiday = %s\n", date);
	}
	for (i = 0; i < cal->workday_count; i++) {
		format_date(cal->workdays[i], date);
		fprintf(out, "workday = %s\n", date);
	}
}

static void
print_tiers(FILE *out, const char *key, const int *v, bool pct)
{
	fprintf(out, "%s = %d%s, %d%s, %d%s\n", key, v[0], pct ? "%" : "", v[1],
		pct ? "%" : "", v[2], pct ? "%" : "");
}

static void
print_permille(FILE *out, int v)
{
	if (v % 10 == 0)
		fprintf(out, "%d%%", v / 10);
	else
		fprintf(out, "%d.%d%%", v / 10, v % 10);
}

static void
print_packs(FILE *out, const struct conf *conf)
{
	const struct conf_policy *pol = &conf->policy;
	int i;

	if (conf_pack_enabled(conf, CONF_PACK_S4))
		fprintf(out, "\n[pack S4]\nrepeat = %d\n", pol->s4_repeat);
	if (conf_pack_enabled(conf, CONF_PACK_S9)) {
		fputs("\n[pack S9]\n", out);
		print_tiers(out, "complaint_ladder", pol->s9_complaint_pct, true);
		print_tiers(out, "error_ladder", pol->s9_error_pct, true);
		fputs("satisfaction_tiers = ", out);
		for (i = 0; i < CONF_TIERS; i++) {
			fputs(i > 0 ? ", " : "", out);
			print_permille(out, pol->s9_satisfaction_permille[i]);
		}
		fputc('\n', out);
		print_tiers(out, "satisfaction_reward", pol->s9_satisfaction_reward_pct, true);
		print_tiers(out, "speed_tiers", pol->s9_speed_pct, true);
		print_tiers(out, "speed_reward", pol->s9_speed_reward_pct, true);
		fprintf(out, "cumulative = %s\nrun_by_tickets = %s\n",
			pol->s9_cumulative ? "yes" : "no", pol->s9_run_by_tickets ? "yes" : "no");
	}
	if (conf_pack_enabled(conf, CONF_PACK_S1)) {
		fputs("\n[pack S1]\n", out);
		print_duration(out, "response", pol->s1_response_secs);
		print_duration(out, "ship", pol->s1_ship_secs);
		fprintf(out, "penalty = %d..%d\nreward = %d..%d\nmarker = %s\n",
			pol->s1_penalty_range[0], pol->s1_penalty_range[1],
			pol->s1_reward_range[0], pol->s1_reward_range[1], pol->s1_parts_marker);
	}
	if (conf_pack_enabled(conf, CONF_PACK_G16)) {
		fputs("\n[pack G16]\n", out);
		print_duration(out, "reply_general", pol->g16_reply_secs[0]);
		print_duration(out, "reply_major", pol->g16_reply_secs[1]);
		print_duration(out, "reply_critical", pol->g16_reply_secs[2]);
	}
	if (conf_pack_enabled(conf, CONF_PACK_G20)) {
		static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

		fprintf(out, "\n[pack G20]\nthreshold = %d\nmonths = %d\nbonus_threshold = %d\n"
			"weekly_report = %s %02d:%02d\n",
			pol->g20_threshold, pol->g20_months, pol->g20_bonus_threshold,
			days[pol->g20_weekly[0] % 7], pol->g20_weekly[1] / 3600,
			pol->g20_weekly[1] / 60 % 60);
	}
	if (conf_pack_enabled(conf, CONF_PACK_T17)) {
		fprintf(out, "\n[pack T17]\npoints = %d\n", pol->t17_points);
		print_tiers(out, "bands", pol->t17_band, false);
		print_tiers(out, "band_deduction", pol->t17_band_pct, true);
		print_tiers(out, "top", pol->t17_top, false);
	}
	if (conf_pack_enabled(conf, CONF_PACK_W1))
		fprintf(out, "\n[pack W1]\nanswer = %d\nsolution = %d\ntimely = %d%%\n"
			"satisfaction = %d%%\ncomplaint_rate = %d%%\n", pol->w1_answer_days,
			pol->w1_solution_days, pol->w1_timely_pct, pol->w1_satisfaction_pct,
			pol->w1_complaint_rate_pct);
	if (conf_pack_enabled(conf, CONF_PACK_S15))
		fprintf(out, "\n[pack S15]\npraises = %d\n", pol->s15_praises);
}

void
conf_print(const struct conf *conf, FILE *out)
{
	const struct conf_calendar *cal = &conf->calendar;
	const struct conf_policy *pol = &conf->policy;
	size_t i;
	int s;

	fprintf(out, "# effective configuration%s%s\n",
		conf->path != NULL ? " of " : "", conf->path != NULL ? conf->path : "");
	fprintf(out, "\n[store]\nbackend = %s\npath = %s\n",
		conf->store_backend, conf->store_path);

	fputs("\n[calendar]\n", out);
	print_calendar(out, cal);
	for (i = 0; i < conf->calendar_count; i++) {
		fprintf(out, "\n[calendar %s]\n", conf->calendars[i].name);
		print_calendar(out, &conf->calendars[i].cal);
	}
	fprintf(out, "\n[policy]\npack = %s\n", pol->pack);
	print_duration(out, "first_response", pol->first_response_secs);
	print_duration(out, "preliminary", pol->preliminary_secs);
	print_duration(out, "resolution", pol->resolution_secs);
	fprintf(out, "warn_at = %d%%\n", pol->warn_at_pct);
	for (i = 0; i < pol->preliminary_marker_count; i++)
		fprintf(out, "preliminary_marker = %s\n", pol->preliminary_markers[i]);
	for (i = 0; i < pol->resolved_marker_count; i++)
		fprintf(out, "resolved_marker = %s\n", pol->resolved_markers[i]);
	fprintf(out, "assignment_header = %s\n", pol->assignment_header);
	fprintf(out, "priority_header = %s\n", pol->priority_header);
	fprintf(out, "streak_length = %d\n", pol->streak_length);
	fprintf(out, "streak_deduction = %d%%\n", pol->streak_deduction_pct);
	fprintf(out, "streak_reset_month_end = %s\n", pol->streak_reset_month_end ? "yes" : "no");
	fprintf(out, "streak_reset_after_fire = %s\n", pol->streak_reset_after_fire ? "yes" : "no");
	for (s = 0; s < SEVERITY_COUNT; s++)
		fprintf(out, "severity_%s = %d%%\n", severity_names[s], pol->severity_pct[s]);
	fprintf(out, "stack_24h_72h = %s\n", pol->stack_24h_72h ? "yes" : "no");
	fprintf(out, "ticket_cap = %d%%\n", pol->ticket_cap_pct);
	fprintf(out, "charge = %s\n", pol->charge == CONF_CHARGE_OWNER_AT_START ?
		"owner_at_start" : "owner_at_deadline");
	print_list(out, "pause_statuses", pol->pause_statuses, pol->pause_status_count);
	print_list(out, "solved_statuses", pol->solved_statuses, pol->solved_status_count);
	fprintf(out, "reopen_restarts = %s\n", pol->reopen_restarts ? "yes" : "no");
	fprintf(out, "first_reply_preliminary = %s\n",
		pol->first_reply_preliminary ? "yes" : "no");
	fputs("satisfaction_target = ", out);
	print_permille(out, pol->satisfaction_target_permille);
	fprintf(out, "\nsatisfaction_deduction = %d%%\n", pol->satisfaction_deduction_pct);
	fprintf(out, "attitude_deduction = %d%%\n", pol->attitude_deduction_pct);
	print_duration(out, "feedback_within", pol->feedback_within_secs);
	fprintf(out, "feedback_streak_length = %d\n", pol->feedback_streak_length);
	fprintf(out, "feedback_deduction = %d%%\n", pol->feedback_deduction_pct);
	fprintf(out, "feedback_reset_after_fire = %s\n",
		pol->feedback_reset_after_fire ? "yes" : "no");
	fprintf(out, "training_deduction = %d%%\n", pol->training_deduction_pct);
	fprintf(out, "appeal_window = %d working days\n", pol->appeal_window_days);
	fprintf(out, "appeal_reply = %d working days\n", pol->appeal_reply_days);
	print_packs(out, conf);

	for (i = 0; i < conf->team_count; i++) {
		const struct conf_team *team = &conf->teams[i];

		fprintf(out, "\n[team %s]\n", team->name);
		if (team->lead != NULL)
			fprintf(out, "lead = %s\n", team->lead);
		print_list(out, "agents", team->agents, team->agent_count);
		print_list(out, "domain", team->domains, team->domain_count);
		if (team->default_agent != NULL)
			fprintf(out, "default_agent = %s\n", team->default_agent);
		if (team->calendar >= 0)
			fprintf(out, "calendar = %s\n", conf->calendars[team->calendar].name);
	}
	/* Module sections as written; their modules print what they derive. */
	for (i = 0; i < conf->section_count; i++) {
		const struct conf_section *sec = &conf->sections[i];
		size_t k;

		fprintf(out, "\n[%s%s%s]\n", sec->type, sec->name != NULL ? " " : "",
			sec->name != NULL ? sec->name : "");
		for (k = 0; k < sec->kv_count; k++)
			fprintf(out, "%s = %s\n", sec->kvs[k].key, sec->kvs[k].value);
	}
}

const struct conf_calendar *
conf_team_calendar(const struct conf *conf, const struct conf_team *team)
{
	if (team == NULL || team->calendar < 0 ||
	    (size_t)team->calendar >= conf->calendar_count)
		return &conf->calendar;
	return &conf->calendars[team->calendar].cal;
}

const struct conf_team *
conf_agent_team(const struct conf *conf, const char *address)
{
	const char *at = strrchr(address, '@');
	size_t i, j;

	for (i = 0; i < conf->team_count; i++) {
		for (j = 0; j < conf->teams[i].agent_count; j++) {
			if (strcasecmp(conf->teams[i].agents[j], address) == 0)
				return &conf->teams[i];
		}
	}
	if (at == NULL || at == address)
		return NULL;
	for (i = 0; i < conf->team_count; i++) {
		for (j = 0; j < conf->teams[i].domain_count; j++) {
			if (strcasecmp(conf->teams[i].domains[j], at + 1) == 0)
				return &conf->teams[i];
		}
	}
	return NULL;
}

const char *
severity_name(enum severity s)
{
	if ((int)s < 0 || s >= SEVERITY_COUNT)
		return "unknown";
	return severity_names[s];
}

int
severity_from_name(const char *name, enum severity *s_r)
{
	int i;

	for (i = 0; i < SEVERITY_COUNT; i++) {
		if (strcasecmp(name, severity_names[i]) == 0) {
			*s_r = (enum severity)i;
			return 0;
		}
	}
	/* common helpdesk spellings */
	if (strcasecmp(name, "medium") == 0) {
		*s_r = SEVERITY_NORMAL;
		return 0;
	}
	if (strcasecmp(name, "urgent") == 0) {
		*s_r = SEVERITY_CRITICAL;
		return 0;
	}
	return -1;
}
