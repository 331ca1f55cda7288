/* weekly - the G20 weekly report (seed 001 G20: 「每周六」 a weekly summary),
 * mailed by slaclockd to each team's lead when pack G20 is on.
 *
 * The numbers are those of `slaclock report --week YYYY-Www --team T`
 * (report_rows() of the ISO week): per agent of the team, tickets, first
 * response, 24 h preliminary and 72 h resolution met/missed, warnings.
 * Proposals are booked by month and stay in the monthly digest.
 *
 * Schedule: [pack G20] weekly_report (default Sat 09:00, in [calendar]'s
 * zone); the week reported is the ISO week (Monday to Sunday) the
 * scheduled time falls in. Once only, as the monthly digest: weekly_tick()
 * writes a mark "weekly:<week>" and every mail of that week in one
 * transaction, outbox keys "weekly:<week>:team:<team>"; a daemon down at
 * the scheduled time sends the missed week's mails once on its next look.
 *
 * Each mail is multipart/alternative, text/plain and text/html (inline
 * CSS, no script, no image), in the lead's language (gettext). Agents and
 * counts only, no ticket id, no customer.
 */
#ifndef SLACLOCK_WEEKLY_H
#define SLACLOCK_WEEKLY_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "mailer.h"
#include "sla.h"

struct calendar;
struct store;

/* The week whose report is due by NOW: that of the latest scheduled time
   at or before NOW. "YYYY-Www" into WEEK, the scheduled time into *at_r. */
void weekly_due_week(const struct conf *conf, const struct calendar *cal, int64_t now,
		     char week[9], int64_t *at_r);

/* Render TEAM's report of WEEK: *subject_r, *text_r, *html_r malloc'ed
   (free()). 0, or -1 with *error_r (static). */
int weekly_render(const struct conf *conf, const struct mailer_conf *mconf,
		  const struct calendar *cal, const struct sla_result *result,
		  const char *week, const char *team, char **subject_r, char **text_r,
		  char **html_r, const char **error_r);

/* The weekly job, for the daemon's timer: nothing unless pack G20 is on;
   when the mark of the due week is new, evaluate and queue a mail per
   team with a lead, all in one transaction. *queued_r rows put. 0, or -1
   with *error_r. */
int weekly_tick(const struct conf *conf, const struct mailer_conf *mconf,
		const struct calendar *cal, struct store *store, int64_t now,
		size_t *queued_r, const char **error_r);

#endif
