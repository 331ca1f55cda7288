/* conf - slaclock.conf: loading, validation, defaults, printing.
 *
 * The file is INI-style:
 *
 *   [store]            backend = sqlite, path = /var/lib/slaclock/slaclock.db
 *   [calendar]         timezone = Asia/Shanghai, hours = 24x7 | Mon-Fri 08:30-17:30,
 *                      holiday = 2026-10-01, workday = 2026-09-27 (调休)
 *   [policy]           pack = S14, first_response = 30m, preliminary = 24h,
 *                      resolution = 72h, warn_at = 80%, preliminary_marker = ...,
 *                      resolved_marker = ..., assignment_header = X-Assigned-To,
 *                      streak_length = 3, streak_deduction = 10%,
 *                      streak_reset_month_end = no, streak_reset_after_fire = yes,
 *                      severity_low/normal/high/critical = 5/10/15/20,
 *                      stack_24h_72h = yes, ticket_cap = 20, charge = owner_at_deadline
 *                      pause_statuses = pending, solved_statuses = solved, closed,
 *                      reopen_restarts = yes, first_reply_preliminary = no,
 *                      satisfaction_target = 90%, satisfaction_deduction = 5%,
 *                      attitude_deduction = 5%, feedback_within = 24h,
 *                      feedback_streak_length = 3, feedback_deduction = 10%,
 *                      feedback_reset_after_fire = yes, training_deduction = 5%,
 *                      appeal_window = 5, appeal_reply = 5 (working days)
 *   [pack NAME]        the settings of an optional pack named in pack =
 *                      (S4, S9, S1, G16, G20, T17, W1, S15; see slaclock.conf(5))
 *   [calendar NAME]    a team calendar, same keys as [calendar]
 *   [team NAME]        lead = addr, agents = a@x, b@x, domain = example.com,
 *                      default_agent = addr, calendar = NAME
 *
 * Every error is reported as "file:line: message"; all errors of a file are
 * collected before conf_load() fails, so an administrator sees them at once.
 * Values not given take the POLICY.md default pack S14 on a 24x7 calendar.
 */
#ifndef SLACLOCK_CONF_H
#define SLACLOCK_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Caps on the config file, an input from outside like any other. */
#define CONF_LINE_MAX 4096
#define CONF_FILE_MAX (4 * 1024 * 1024)
#define CONF_TEAMS_MAX 256
#define CONF_AGENTS_MAX 4096
#define CONF_MARKERS_MAX 16
#define CONF_HOLIDAYS_MAX 1024
#define CONF_STATUSES_MAX 16
#define CONF_CALENDARS_MAX 64

enum conf_charge {
	CONF_CHARGE_OWNER_AT_DEADLINE = 0,
	CONF_CHARGE_OWNER_AT_START,
};

enum severity {
	SEVERITY_LOW = 0,
	SEVERITY_NORMAL,
	SEVERITY_HIGH,
	SEVERITY_CRITICAL,
	SEVERITY_COUNT
};

struct conf_team {
	char *name;
	char *lead;            /* team lead's address, may be NULL */
	char *default_agent;   /* owner when nobody replied and no header, may be NULL */
	char **agents;         /* lower-cased addresses */
	size_t agent_count;
	char **domains;        /* lower-cased domains whose senders are agents */
	size_t domain_count;
	int calendar;          /* index into conf->calendars, -1 = [calendar] */
};

/* One working interval inside a day, seconds after local midnight. */
struct conf_hours {
	bool all_day;          /* 24x7 when true for every weekday */
	int32_t open[7];       /* index 0 = Sunday (struct tm wday); -1 = closed */
	int32_t close[7];
};

struct conf_calendar {
	char *timezone;        /* tz database name, default Asia/Shanghai */
	bool always_open;      /* 24x7 */
	struct conf_hours hours;
	int32_t *holidays;     /* days since 1970-01-01 (local), sorted */
	size_t holiday_count;
	int32_t *workdays;     /* make-up working days (调休), sorted */
	size_t workday_count;
	/* Working-day units (appeals, W1): the weekdays that are working days
	   (bit 0 = Sunday). Default: the days with hours, Mon-Fri on 24x7. */
	unsigned int workweek;
	bool workweek_explicit;
};

/* A named calendar for teams: [calendar NAME], chosen by a team's
   "calendar = NAME". */
struct conf_named_calendar {
	char *name;
	unsigned int line;
	struct conf_calendar cal;
};

/* Rule packs (POLICY.md "Optional packs"); S14 is always on. */
enum conf_pack {
	CONF_PACK_S14 = 0,
	CONF_PACK_S4,
	CONF_PACK_S9,
	CONF_PACK_S1,
	CONF_PACK_G16,
	CONF_PACK_G20,
	CONF_PACK_T17,
	CONF_PACK_W1,
	CONF_PACK_S15,         /* seed 000 S15: yearly customer praise */
	CONF_PACK_COUNT
};

/* Three-step ladders and tiers (S9), lowest first. */
#define CONF_TIERS 3

struct conf_policy {
	char *pack;                        /* "S14" */
	int64_t first_response_secs;       /* S14.1: 1800 */
	int64_t preliminary_secs;          /* S14.2p: 86400 */
	int64_t resolution_secs;           /* S14.2r: 259200 */
	int warn_at_pct;                   /* reminder at % of target: 80 */
	char *preliminary_markers[CONF_MARKERS_MAX];
	size_t preliminary_marker_count;
	char *resolved_markers[CONF_MARKERS_MAX];
	size_t resolved_marker_count;
	char *assignment_header;           /* "X-Assigned-To" */
	char *priority_header;             /* "X-Ticket-Priority": low|normal|high|critical */
	int streak_length;                 /* S14.1s: 3 */
	int streak_deduction_pct;          /* S14.1s: 10 */
	bool streak_reset_month_end;       /* default no */
	bool streak_reset_after_fire;      /* default yes */
	int severity_pct[SEVERITY_COUNT];  /* S14.2d: 5 10 15 20, each in [5,20] */
	bool stack_24h_72h;                /* default yes */
	int ticket_cap_pct;                /* default 20 */
	enum conf_charge charge;

	/* Added for the whole policy (issue 7). */
	unsigned int packs;                /* 1u << enum conf_pack; S14 always */
	char *pause_statuses[CONF_STATUSES_MAX];  /* none by default */
	size_t pause_status_count;
	char *solved_statuses[CONF_STATUSES_MAX]; /* "solved", "closed" */
	size_t solved_status_count;
	bool reopen_restarts;              /* default yes */
	bool first_reply_preliminary;      /* default no */
	int satisfaction_target_permille;  /* S14.3: 900 = 90.0% */
	int satisfaction_deduction_pct;    /* S14.3: 5 (% of the quarter's score) */
	int attitude_deduction_pct;        /* S14.4: 5 */
	int64_t feedback_within_secs;      /* S14.5: 24h */
	int feedback_streak_length;        /* S14.5: 3 */
	int feedback_deduction_pct;        /* S14.5: 10 */
	bool feedback_reset_after_fire;    /* default yes */
	int training_deduction_pct;        /* S14.6: 5 */
	int appeal_window_days;            /* working days: 5 */
	int appeal_reply_days;             /* working days: 5 */

	/* [pack S4] */
	int s4_repeat;                     /* 3 same-cause verified a quarter */
	/* [pack S9] */
	int s9_complaint_pct[CONF_TIERS];  /* 5 10 15 (% of wage) */
	int s9_error_pct[CONF_TIERS];      /* 5 10 15 */
	int s9_satisfaction_permille[CONF_TIERS]; /* 900 950 1000 */
	int s9_satisfaction_reward_pct[CONF_TIERS]; /* 5 10 15 */
	int s9_speed_pct[CONF_TIERS];      /* 10 20 30 (% faster than target) */
	int s9_speed_reward_pct[CONF_TIERS]; /* 5 10 15 */
	/* [pack S1] */
	int64_t s1_response_secs;          /* 24h */
	int64_t s1_ship_secs;              /* 48h */
	int s1_penalty_yuan;               /* = s1_penalty_range[0], for old readers */
	char *s1_parts_marker;             /* ticket type "parts" */
	/* [pack G16] */
	int64_t g16_reply_secs[3];         /* 一般 24h, 较大 48h, 重大 24h */
	/* [pack G20] */
	int g20_threshold;                 /* 90 points */
	int g20_months;                    /* 2 months in a row below */
	/* [pack T17] */
	int t17_points;                    /* 30 a month */
	int t17_band[CONF_TIERS];          /* below 25 / 20 / 15 */
	int t17_band_pct[CONF_TIERS];      /* 10 / 30 / 100 % of the bonus */
	/* [pack W1] */
	int w1_answer_days;                /* 1 working day */
	int w1_solution_days;              /* 3 working days */
	int w1_timely_pct;                 /* >= 90 */
	int w1_satisfaction_pct;           /* >= 85 */
	int w1_complaint_rate_pct;         /* < 3 */

	/* Added (issue 7, the rest of the packs). */
	bool s9_cumulative;                /* S9: no = a run of n costs the n-th step in all */
	bool s9_run_by_tickets;            /* S9: a met resolution in between ends a run */
	int s1_penalty_range[2];           /* S1: 50..500 yuan, fixed by the approver */
	int s1_reward_range[2];            /* S1: 100..1000 yuan */
	int g20_bonus_threshold;           /* G20.y: every month >= 90 (90 counts) */
	int t17_top[CONF_TIERS];           /* T17.r: +5 +3 +1 points for the top 3 */
	int s15_praises;                   /* S15: 3 praises in a calendar year */
	/* G20.w: when slaclockd mails the weekly report: day (0 Sunday .. 6
	   Saturday) and seconds after local midnight; Saturday 09:00 */
	int g20_weekly[2];
};

/* Sections that belong to modules outside config/ ([imap NAME],
   [helpdesk NAME], [smtp], [webhook]) are kept as written, each key with
   its line, and validated by their module (see plugin/settings.h), which
   reports its errors as "file:line: message" too. */
#define CONF_SECTIONS_MAX 256
#define CONF_SECTION_KEYS_MAX 256

struct conf_kv {
	char *key;
	char *value;
	unsigned int line;
};

struct conf_section {
	char *type;                        /* "imap" */
	char *name;                        /* "support" in [imap support], or NULL */
	unsigned int line;                 /* of the section header */
	struct conf_kv *kvs;
	size_t kv_count;
};

struct conf {
	char *path;                        /* the file it came from */
	char *store_backend;               /* "sqlite" */
	char *store_path;                  /* database file; relative = to the config file's dir */
	struct conf_calendar calendar;
	struct conf_policy policy;
	struct conf_team *teams;
	size_t team_count;
	struct conf_named_calendar *calendars; /* [calendar NAME] */
	size_t calendar_count;
	struct conf_section *sections;     /* module sections, in file order */
	size_t section_count;
};

/* Fill *conf_r with the built-in defaults (S14, 24x7, Asia/Shanghai).
   Returns 0, or -1 on allocation failure with *error_r set (static string). */
int conf_defaults(struct conf **conf_r, const char **error_r);

/* Load and validate PATH on top of the defaults.
   Returns 0 and sets *conf_r (owned by the caller, free with conf_free()),
   or -1 and sets *error_r to a malloc'ed text of one or more
   "file:line: message" lines (owned by the caller, free()). */
int conf_load(const char *path, struct conf **conf_r, char **error_r);

/* Same, from a buffer; NAME is used in error messages. */
int conf_load_buffer(const char *name, const char *buf, size_t len,
		     struct conf **conf_r, char **error_r);

void conf_free(struct conf **conf);

/* Print the effective configuration and policy, in the file's own syntax,
   so that its output can be read back by conf_load(). */
void conf_print(const struct conf *conf, FILE *out);

/* The team an address belongs to as an agent, or NULL when it is not an
   agent's. ADDRESS is compared case-insensitively. */
const struct conf_team *conf_agent_team(const struct conf *conf, const char *address);

/* The next module section of TYPE after PREV (NULL: the first), or NULL. */
const struct conf_section *conf_section_next(const struct conf *conf, const char *type,
					     const struct conf_section *prev);

/* yes/no, true/false, on/off, 1/0 (any case): 0, or -1 for anything else. */
int conf_parse_bool(const char *text, bool *value_r);

/* Parse "30m", "24h", "72h", "1800s", "1d", "90" (seconds). 0 or -1. */
int conf_parse_duration(const char *text, int64_t *secs_r);

/* "S14", "S4", ...; NULL when out of range. */
const char *conf_pack_name(enum conf_pack pack);
/* 0, or -1 when NAME is no pack. */
int conf_pack_from_name(const char *name, enum conf_pack *pack_r);
bool conf_pack_enabled(const struct conf *conf, enum conf_pack pack);

/* The calendar of TEAM (its [calendar NAME], else [calendar]). */
const struct conf_calendar *conf_team_calendar(const struct conf *conf,
					       const struct conf_team *team);

/* Is STATUS (our vocabulary, see parsers/webhook.h) in the list? */
bool conf_status_in(char *const *list, size_t count, const char *status);

const char *severity_name(enum severity s);
int severity_from_name(const char *name, enum severity *s_r);

#endif
