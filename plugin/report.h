/* report - the monthly per-agent tally, rendered as text, CSV or JSON.
 *
 * CSV columns (the contract the end-to-end test checks, one row per agent
 * with anything booked in the month, sorted by agent address):
 *
 *   agent,team,tickets,first_response_met,first_response_missed,
 *   preliminary_met,preliminary_missed,resolution_met,resolution_missed,
 *   warnings,streak_deductions,severity_deduction_pct,total_deduction_pct,
 *   other_deduction_pct,quarter_deduction_pct,wage_deduction_pct,
 *   wage_reward_pct,yuan_deduction,points_deduction,bonus_deduction_pct,
 *   complaints_verified,satisfied,satisfaction_responses,flags
 *
 * "tickets" counts the first-response clocks the agent was responsible
 * for whose deadline falls in the month (met or missed). Preliminary and
 * resolution columns count the clocks, met or missed, for which the agent
 * was responsible. streak_deductions is the number of S14.1s proposals;
 * severity_deduction_pct the sum of S14.2d proposals; total_deduction_pct
 * = streak_deductions * streak_deduction_pct + severity_deduction_pct +
 * other_deduction_pct: the sum of the % of the MONTH's score only.
 *
 * Added at the end (issue 7), each in its own unit, never summed together:
 * other_deduction_pct (S14.4, S14.5s, S14.6: % of the month's score),
 * quarter_deduction_pct (S14.3: % of the quarter's score), wage_deduction_pct
 * and wage_reward_pct (S9: % of the month's wage), yuan_deduction (S1),
 * points_deduction (T17), bonus_deduction_pct (T17 bands: % of the month's
 * bonus); complaints_verified, satisfied and satisfaction_responses (the
 * agent's ratings in the period), flags (training, review, escalation,
 * downgrade, KPI). Reminders (warn_at%; not warnings) are counted in
 * report_row and shown in text and JSON, not in the CSV. "warnings" counts every warning rule (S14.1w, S14.5w, S1.r,
 * S1.s, T17).
 *
 * The period is a month "YYYY-MM", a quarter "YYYY-Qn" or a year "YYYY".
 */
#ifndef SLACLOCK_REPORT_H
#define SLACLOCK_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "sla.h"

enum report_format {
	REPORT_TEXT = 0,
	REPORT_CSV,
	REPORT_JSON,
};

/* 0, or -1 when NAME is no format. */
int report_format_from_name(const char *name, enum report_format *format_r);

/* Render the tally of MONTH ("YYYY-MM") from RESULT to OUT.
   0 or -1 with *error_r. */
int report_render(const struct conf *conf, const struct calendar *cal,
		  const struct sla_result *result, const char *month,
		  enum report_format format, FILE *out, const char **error_r);

/* One agent's tally of a month: the numbers of a CSV row. */
struct report_row {
	const char *agent;     /* points into the sla_result, or "(unassigned)" */
	const char *team;      /* points into the conf, or "-" */
	int tickets;
	int met[SLA_MILESTONE_COUNT];
	int missed[SLA_MILESTONE_COUNT];
	int streak_deductions;
	int severity_pct;
	/* added (issue 7) */
	int warnings;
	int other_pct;                 /* S14.4, S14.5s, S14.6: % of the month */
	int deducted[SLA_UNIT_COUNT];  /* every deduction, by unit */
	int rewarded[SLA_UNIT_COUNT];  /* every reward, by unit */
	int complaints_verified;
	int satisfied;
	int responses;
	int flags;
	int reminders;
};

/* What report_render_opts() shows. */
struct report_opts {
	const char *period;            /* "YYYY-MM", "YYYY-Qn" or "YYYY" */
	const char *agent;             /* only this agent, or NULL */
	const char *team;              /* only this team, or NULL */
	enum report_format format;
	int64_t now;                   /* for "pending" and reminders; 0 = none */
};

/* report_render() with filters. 0 or -1 with *error_r. */
int report_render_opts(const struct conf *conf, const struct calendar *cal,
		       const struct sla_result *result, const struct report_opts *opts,
		       FILE *out, const char **error_r);

/* Does PERIOD ("YYYY-MM", "YYYY-Qn", "YYYY") contain MONTH ("YYYY-MM")? */
bool report_period_has_month(const char *period, const char *month);

/* The rows report_render() shows for MONTH, sorted by agent, for callers
   that render the tally themselves (the digest mail). *rows_r is malloc'ed
   (free()), its strings point into CONF and RESULT. 0, or -1 with
   *error_r. */
int report_rows(const struct conf *conf, const struct calendar *cal,
		const struct sla_result *result, const char *month,
		struct report_row **rows_r, size_t *count_r, const char **error_r);

/* total_deduction_pct of ROW. */
int report_row_total(const struct conf *conf, const struct report_row *row);

/* COUNT rows as the CSV of report_render() (header line included). */
void report_rows_csv(const struct conf *conf, const struct report_row *rows,
		     size_t count, FILE *out);

/* Materialised tallies: every month's rows, kept in the store with a
   stamp (the configuration and the last event id) and the first moment
   a clock comes due (the months before that moment's month stay valid). report_cache_stamp()
   makes the stamp of STORE now (0, or -1); call it before evaluating.
   report_cache_update() keeps RESULT's rows (evaluated at NOW) under
   STAMP; a failure only means no cache. report_cache_render() renders
   OPTS from them when they are there under STAMP and still hold at
   OPTS->now (no reminder point or pending deadline passed since), and
   only the CSV: 1 when it did, 0 when the caller must evaluate. */
struct store;
int report_cache_stamp(const struct conf *conf, struct store *store, char *buf, size_t size);
void report_cache_update(const struct conf *conf, const struct calendar *cal,
			 struct store *store, const struct sla_result *result,
			 const char *stamp, int64_t now);
int report_cache_render(const struct conf *conf, const struct calendar *cal,
			struct store *store, const char *stamp,
			const struct report_opts *opts, FILE *out);

#endif
