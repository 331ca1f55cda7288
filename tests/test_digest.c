/* test_digest - the monthly digests and the breach alerts: the numbers are
 * the report's, the HTML is well-formed and self-contained, no customer
 * shows, and each mail is queued once and only once. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alert.h"
#include "calendar.h"
#include "cmd_policy.h"
#include "conf.h"
#include "digest.h"
#include "i18n.h"
#include "mail.h"
#include "mailer.h"
#include "mailmsg.h"
#include "report.h"
#include "sla.h"
#include "store.h"
#include "testutil.h"
#include "testutil_store.h"
#include "weekly.h"

#define H 3600
#define M 60
#define CN(y, mo, d, h, mi) (calendar_days_from_civil(y, mo, d) * 86400 + (h) * H + (mi) * M - 8 * H)

#define WANG "wang.fang@hdjs.example.cn"
#define LI "li.qiang@hdjs.example.cn"
#define ZHAO "zhao.min@hdjs.example.cn"
#define LEAD1 "zhou.lei@hdjs.example.cn"
#define LEAD2 "he.yun@hdjs.example.cn"
#define CUSTOMER_TICKET "CAxyz123@mail.customer-corp.example"
#define CUSTOMER_DOMAIN "customer-corp.example"

static const char conf_text[] =
	"[calendar]\ntimezone = Asia/Shanghai\n"
	"[team aftersales-1]\nlead = " LEAD1 "\nagents = " WANG ", " LI "\n"
	"[team aftersales-2]\nlead = " LEAD2 "\nagents = " ZHAO "\n";

struct fx {
	struct conf *conf;
	struct calendar *cal;
	struct mailer_conf mconf;
	struct event ev[64];
	char ext[64][32];
	size_t count;
	struct sla_result res;
	char *dir;
	struct store *store;
};

static struct fx f;

/* The build tree's catalogues (plugin/Makefile.mail.inc), not installed
   ones: top_builddir is set by make check. */
static void
bind_build_catalogues(void)
{
	const char *b = getenv("top_builddir");
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/tests/locale", b != NULL ? b : ".");
	i18n_bind(dir);
}

static void
add(const char *ticket, int64_t t, const char *actor, enum event_kind kind)
{
	struct event *e = &f.ev[f.count];

	ck_assert_uint_lt(f.count, sizeof(f.ev) / sizeof(f.ev[0]));
	snprintf(f.ext[f.count], sizeof(f.ext[0]), "e%zu", f.count);
	memset(e, 0, sizeof(*e));
	e->source = "test";
	e->external_id = f.ext[f.count];
	e->ticket = ticket;
	e->time = t;
	e->actor = actor;
	e->kind = kind;
	f.count++;
}

/* A month of tickets: met and missed clocks, a streak, a late
   preliminary, tickets still open at the end of the month, and a ticket
   whose id is a customer's Message-ID. Sorted by ticket, then time. */
static void
month_events(void)
{
	int i;
	static const char *const streak[] = { "#1010", "#1011", "#1012" };

	/* Every ticket is assigned a minute after it opens, as a helpdesk does;
	   the owner at the deadline is charged. */
	add("#1001", CN(2026, 11, 3, 10, 0), "customer", EVENT_CUSTOMER_MESSAGE);
	add("#1001", CN(2026, 11, 3, 10, 1), WANG, EVENT_ASSIGN);
	add("#1001", CN(2026, 11, 3, 10, 20), WANG, EVENT_AGENT_REPLY);
	add("#1001", CN(2026, 11, 3, 15, 0), WANG, EVENT_PRELIMINARY);
	add("#1001", CN(2026, 11, 4, 10, 0), WANG, EVENT_RESOLVED);
	for (i = 0; i < 3; i++) {
		int64_t t = CN(2026, 11, 10 + i, 9, 0);

		add(streak[i], t, "customer", EVENT_CUSTOMER_MESSAGE);
		add(streak[i], t + M, LI, EVENT_ASSIGN);
		add(streak[i], t + 90 * M, LI, EVENT_AGENT_REPLY);
		add(streak[i], t + 5 * H, LI, EVENT_PRELIMINARY);
		add(streak[i], t + 30 * H, LI, EVENT_RESOLVED);
	}
	add("#1020", CN(2026, 11, 18, 14, 0), "customer", EVENT_CUSTOMER_MESSAGE);
	add("#1020", CN(2026, 11, 18, 14, 1), ZHAO, EVENT_ASSIGN);
	add("#1020", CN(2026, 11, 18, 14, 10), ZHAO, EVENT_AGENT_REPLY);
	add("#1020", CN(2026, 11, 19, 9, 0), ZHAO, EVENT_PRELIMINARY);
	add("#1020", CN(2026, 11, 19, 18, 0), ZHAO, EVENT_RESOLVED);
	add("#1030", CN(2026, 11, 25, 9, 0), "customer", EVENT_CUSTOMER_MESSAGE);
	add("#1030", CN(2026, 11, 25, 9, 1), ZHAO, EVENT_ASSIGN);
	add("#1030", CN(2026, 11, 25, 9, 5), ZHAO, EVENT_AGENT_REPLY);
	add(CUSTOMER_TICKET, CN(2026, 11, 5, 9, 0), "customer", EVENT_CUSTOMER_MESSAGE);
	add(CUSTOMER_TICKET, CN(2026, 11, 5, 9, 1), WANG, EVENT_ASSIGN);
	add(CUSTOMER_TICKET, CN(2026, 11, 5, 9, 42), WANG, EVENT_AGENT_REPLY);
	add(CUSTOMER_TICKET, CN(2026, 11, 6, 12, 0), WANG, EVENT_PRELIMINARY);
	add(CUSTOMER_TICKET, CN(2026, 11, 7, 9, 0), WANG, EVENT_RESOLVED);
}

static void
setup(void)
{
	char *error = NULL;
	const char *cerror = NULL;

	memset(&f, 0, sizeof(f));
	if (conf_load_buffer("digest.conf", conf_text, strlen(conf_text), &f.conf, &error) < 0)
		ck_abort_msg("%s", error);
	if (calendar_new(&f.conf->calendar, &f.cal, &cerror) < 0)
		ck_abort_msg("calendar_new: %s", cerror);
	ck_assert_int_eq(mailer_conf_init(&f.mconf), 0);
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "from", "slaclock@hdjs.example.cn", &cerror), 0);
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "url", "smtp://127.0.0.1:25", &cerror), 0);
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "hr", "hr@hdjs.example.cn", &cerror), 0);
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "language", "en", &cerror), 0);
	bind_build_catalogues();
	month_events();
	if (sla_evaluate_events(f.conf, f.cal, f.ev, f.count, CN(2026, 12, 1, 9, 0),
				&f.res, &cerror) < 0)
		ck_abort_msg("sla_evaluate_events: %s", cerror);
	f.dir = testutil_tmpdir();
}

static void
teardown(void)
{
	store_close(&f.store);
	sla_result_clear(&f.res);
	mailer_conf_clear(&f.mconf);
	calendar_free(&f.cal);
	conf_free(&f.conf);
	testutil_rmtree(f.dir);
	free(f.dir);
}

/* the path the CLI's configurations below name */
static void
open_store(void)
{
	f.store = testutil_store_open(f.dir, "slaclock.db");
}

static void
render(enum digest_kind kind, const char *who, struct digest_doc *doc)
{
	const char *error = NULL;

	if (digest_render(f.conf, &f.mconf, f.cal, &f.res, "2026-11", kind, who, doc, &error) < 0)
		ck_abort_msg("digest_render: %s", error);
}

static char *
report_csv(void)
{
	const char *error = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_int_eq(report_render(f.conf, f.cal, &f.res, "2026-11", REPORT_CSV, out,
				       &error), 0);
	fclose(out);
	return buf;
}

/* The report's CSV lines whose team column is TEAM, header kept. */
static char *
report_csv_team(const char *team)
{
	char *all = report_csv(), *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	bool first = true;

	for (line = strtok_r(all, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		const char *comma = strchr(line, ',');

		if (first || (comma != NULL && strncmp(comma + 1, team, strlen(team)) == 0 &&
			      comma[1 + strlen(team)] == ',')) {
			fputs(line, out);
			fputc('\n', out);
		}
		first = false;
	}
	fclose(out);
	free(all);
	return buf;
}

/* The digest's CSV is the report's, line by line, and 9 columns more
   (rewards the report has no column for, the yuan ranges). */
static void
assert_csv_extends(const char *csv, const char *report)
{
	const char *a = csv, *b = report;

	while (*b != '\0') {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t commas = 0;
		const char *p;

		ck_assert_ptr_nonnull(ea);
		ck_assert_ptr_nonnull(eb);
		ck_assert_msg(strncmp(a, b, (size_t)(eb - b)) == 0 && a[eb - b] == ',',
			      "digest line \"%.*s\" does not extend \"%.*s\"", (int)(ea - a), a,
			      (int)(eb - b), b);
		for (p = a + (eb - b); p < ea; p++)
			commas += *p == ',';
		ck_assert_uint_eq(commas, 9);
		a = ea + 1;
		b = eb + 1;
	}
	ck_assert_str_eq(a, "");
}

/* With SLACLOCK_DIGEST_DUMP=DIR, the rendered digests are kept there to
   look at (doc/digest-sample.* are made this way, see doc/). */
static void
dump(const char *name, const struct digest_doc *doc)
{
	const char *dir = getenv("SLACLOCK_DIGEST_DUMP");
	char path[4096];

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s.html", dir, name);
	testutil_write_file(path, doc->html, strlen(doc->html));
	snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
	testutil_write_file(path, doc->text, strlen(doc->text));
	snprintf(path, sizeof(path), "%s/%s.csv", dir, name);
	testutil_write_file(path, doc->csv, doc->csv_len);
}

START_TEST(test_csv_equals_report)
{
	struct digest_doc doc;
	char *want;

	/* The month really has something in it. */
	ck_assert_uint_gt(f.res.proposal_count, 1);

	render(DIGEST_HR, NULL, &doc);
	dump("hr-en", &doc);
	want = report_csv();
	assert_csv_extends(doc.csv, want);
	ck_assert_uint_eq(doc.row_count, 3);
	free(want);
	digest_doc_clear(&doc);

	render(DIGEST_TEAM, "aftersales-1", &doc);
	want = report_csv_team("aftersales-1");
	assert_csv_extends(doc.csv, want);
	ck_assert_uint_eq(doc.row_count, 2);
	ck_assert_str_eq(doc.csv_name, "slaclock-2026-11-team-aftersales-1.csv");
	free(want);
	digest_doc_clear(&doc);
	ck_assert_ptr_null(doc.html);
}
END_TEST

static int xml_errors;

static void
xml_error(void *ctx, const char *msg, ...)
{
	xml_errors++;
}

static xmlDocPtr
parse_html(const char *html)
{
	xmlDocPtr d;

	xml_errors = 0;
	xmlSetGenericErrorFunc(NULL, xml_error);
	/* Strict XML: if it parses as XML it is well-formed HTML for every
	   client's parser. */
	d = xmlReadMemory(html, (int)strlen(html), "digest.html", "UTF-8", XML_PARSE_NONET);
	ck_assert_msg(d != NULL && xml_errors == 0, "HTML is not well-formed (%d errors)",
		      xml_errors);
	return d;
}

static char *
xpath_text(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	char *s = NULL;

	if (o != NULL && o->nodesetval != NULL && o->nodesetval->nodeNr > 0) {
		xmlChar *c = xmlNodeGetContent(o->nodesetval->nodeTab[0]);

		s = strdup((const char *)c);
		xmlFree(c);
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return s;
}

static void
assert_self_contained(const char *html)
{
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_ptr_null(strstr(html, "<img"));
	ck_assert_ptr_null(strstr(html, "<style"));
	ck_assert_ptr_null(strstr(html, "<link"));
	ck_assert_ptr_null(strstr(html, "url("));
	ck_assert_ptr_null(strstr(html, "src="));
}

/* The HTML table shows each agent's numbers as the report's rows. */
START_TEST(test_html_numbers)
{
	struct report_row *rows = NULL;
	const char *error = NULL;
	struct digest_doc doc;
	size_t count, i, seen = 0;
	xmlDocPtr d;

	render(DIGEST_TEAM, "aftersales-1", &doc);
	dump("team-en", &doc);
	assert_self_contained(doc.html);
	d = parse_html(doc.html);
	ck_assert_int_eq(report_rows(f.conf, f.cal, &f.res, "2026-11", &rows, &count, &error), 0);
	for (i = 0; i < count; i++) {
		char expr[512], want[64], *got;
		int col;

		if (strcmp(rows[i].team, "aftersales-1") != 0)
			continue;
		seen++;
		for (col = 0; col < 5; col++) {
			snprintf(expr, sizeof(expr),
				 "(//tr[th][th[1]='Agent']/following-sibling::tr[td[1]='%s'])[1]/td[%d]",
				 rows[i].agent, col + 2);
			switch (col) {
			case 0: snprintf(want, sizeof(want), "%d", rows[i].tickets); break;
			case 1: case 2: case 3:
				snprintf(want, sizeof(want), "%d / %d", rows[i].met[col - 1],
					 rows[i].missed[col - 1]);
				break;
			default: snprintf(want, sizeof(want), "%d", rows[i].warnings); break;
			}
			got = xpath_text(d, expr);
			ck_assert_msg(got != NULL, "no cell for %s", expr);
			ck_assert_str_eq(got, want);
			free(got);
		}
		/* the amounts on the line below, in their unit (S14: % of the
		   month's score), or no such line */
		snprintf(expr, sizeof(expr),
			 "(//tr[th][th[1]='Agent']/following-sibling::tr[td[1]='%s'])[1]"
			 "/following-sibling::tr[1]/td[@colspan]", rows[i].agent);
		got = xpath_text(d, expr);
		if (rows[i].deducted[SLA_UNIT_PCT_MONTH] > 0) {
			snprintf(want, sizeof(want), "Deductions / rewards: -%d%% of the month's score",
				 rows[i].deducted[SLA_UNIT_PCT_MONTH]);
			ck_assert_msg(got != NULL, "no amounts for %s", rows[i].agent);
			ck_assert_str_eq(got, want);
		} else {
			ck_assert_ptr_null(got);
		}
		free(got);
		/* The text part has the same numbers. */
		{
			char line[256];

			snprintf(line, sizeof(line), "Tickets %d · 1st response %d/%d", rows[i].tickets,
				 rows[i].met[0], rows[i].missed[0]);
			ck_assert_msg(strstr(doc.text, line) != NULL, "text lacks \"%s\"", line);
		}
	}
	ck_assert_uint_eq(seen, 2);
	/* Not another team's agent. */
	ck_assert_ptr_null(strstr(doc.html, ZHAO));
	free(rows);
	xmlFreeDoc(d);
	digest_doc_clear(&doc);
}
END_TEST

START_TEST(test_privacy)
{
	static const enum digest_kind kinds[] = { DIGEST_TEAM, DIGEST_HR, DIGEST_AGENT };
	static const char *const who[] = { "aftersales-1", NULL, WANG };
	const char *error = NULL;
	struct digest_doc doc;
	size_t i;

	for (i = 0; i < 3; i++) {
		render(kinds[i], who[i], &doc);
		ck_assert_ptr_null(strstr(doc.html, CUSTOMER_DOMAIN));
		ck_assert_ptr_null(strstr(doc.text, CUSTOMER_DOMAIN));
		ck_assert_ptr_null(strstr(doc.csv, CUSTOMER_DOMAIN));
		ck_assert_ptr_null(strstr(doc.subject, CUSTOMER_DOMAIN));
		/* The ticket is still there for the lead to look up. */
		ck_assert_ptr_nonnull(strstr(doc.text, "CAxyz123@\xe2\x80\xa6"));
		digest_doc_clear(&doc);
	}
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "privacy_show_customers", "yes", &error), 0);
	render(DIGEST_TEAM, "aftersales-1", &doc);
	ck_assert_ptr_nonnull(strstr(doc.text, CUSTOMER_TICKET));
	digest_doc_clear(&doc);
}
END_TEST

START_TEST(test_chinese)
{
	const char *error = NULL;
	struct digest_doc doc;
	xmlDocPtr d;

	ck_assert_int_eq(mailer_conf_key(&f.mconf, "language", "zh", &error), 0);
	render(DIGEST_TEAM, "aftersales-1", &doc);
	dump("team-zh", &doc);
	ck_assert_str_eq(doc.subject, "【slaclock】2026年11月 SLA 月度公示：aftersales-1");
	ck_assert_ptr_nonnull(strstr(doc.text, "超时明细"));
	ck_assert_ptr_nonnull(strstr(doc.html, "lang=\"zh-CN\""));
	ck_assert_ptr_nonnull(strstr(doc.html, "首次响应达标情况"));
	assert_self_contained(doc.html);
	d = parse_html(doc.html);
	xmlFreeDoc(d);
	digest_doc_clear(&doc);

	render(DIGEST_AGENT, LI, &doc);
	ck_assert_ptr_nonnull(strstr(doc.text, "S14.1s"));
	ck_assert_ptr_nonnull(strstr(doc.text, "待审批"));
	ck_assert_ptr_null(strstr(doc.text, WANG));
	digest_doc_clear(&doc);
}
END_TEST

START_TEST(test_due_month)
{
	char month[8];
	int64_t at;

	digest_due_month(&f.mconf, f.cal, CN(2026, 12, 1, 8, 59), month, &at);
	ck_assert_str_eq(month, "2026-10");
	ck_assert_int_eq(at, CN(2026, 11, 1, 9, 0));
	digest_due_month(&f.mconf, f.cal, CN(2026, 12, 1, 9, 0), month, &at);
	ck_assert_str_eq(month, "2026-11");
	ck_assert_int_eq(at, CN(2026, 12, 1, 9, 0));
	digest_due_month(&f.mconf, f.cal, CN(2027, 1, 20, 0, 0), month, &at);
	ck_assert_str_eq(month, "2026-12");
	digest_due_month(&f.mconf, f.cal, CN(2027, 1, 1, 8, 0), month, &at);
	ck_assert_str_eq(month, "2026-11");
}
END_TEST

struct outbox_row {
	char text[16384];
	char key[256];
	char subject[512];
	char id_header[256];
	char rcpt[256];
};

/* Every pending mail row of the outbox, read back with slaclock's parser,
   then marked done. */
static size_t
drain(struct outbox_row *rows, size_t max)
{
	static const char *const extra[] = { MAILMSG_HEADER_NAME };
	struct mail_parse_opts opts = { extra, 1 };
	struct store_outbox_item item;
	const char *error = NULL;
	size_t n = 0;
	bool found;

	memset(&item, 0, sizeof(item));
	for (;;) {
		json_t *j, *msg;
		struct mail_msg m;

		ck_assert_int_eq(store_outbox_next(f.store, INT64_MAX - 1, &item, &found, &error), 0);
		if (!found)
			break;
		ck_assert_str_eq(item.channel, MAILER_CHANNEL);
		ck_assert_uint_lt(n, max);
		j = json_loads(item.payload, 0, NULL);
		ck_assert_ptr_nonnull(j);
		msg = json_object_get(j, "message");
		memset(&m, 0, sizeof(m));
		ck_assert_int_eq(mail_parse(json_string_value(msg), json_string_length(msg),
					    &opts, &m, &error), 0);
		snprintf(rows[n].key, sizeof(rows[n].key), "%s", item.key);
		snprintf(rows[n].text, sizeof(rows[n].text), "%s", m.body != NULL ? m.body : "");
		snprintf(rows[n].subject, sizeof(rows[n].subject), "%s", m.subject);
		snprintf(rows[n].id_header, sizeof(rows[n].id_header), "%s", m.extra_values[0]);
		snprintf(rows[n].rcpt, sizeof(rows[n].rcpt), "%s",
			 json_string_value(json_array_get(json_object_get(j, "rcpt"), 0)));
		ck_assert_ptr_null(strstr(json_string_value(msg), CUSTOMER_DOMAIN));
		mail_msg_clear(&m);
		json_decref(j);
		ck_assert_int_eq(store_outbox_done(f.store, item.id, 1, &error), 0);
		store_outbox_item_clear(&item);
		n++;
	}
	return n;
}

START_TEST(test_queue_once)
{
	struct outbox_row rows[16];
	const char *error = NULL;
	size_t queued, n, i;

	ck_assert_int_eq(mailer_conf_key(&f.mconf, "language", "zh", &error), 0);
	open_store();
	ck_assert_int_eq(digest_queue(f.conf, &f.mconf, f.cal, f.store, &f.res, "2026-11",
				      CN(2026, 12, 1, 9, 0), &queued, &error), 0);
	/* Two team leads, the HR list, three agents. */
	ck_assert_uint_eq(queued, 6);
	ck_assert_int_eq(digest_queue(f.conf, &f.mconf, f.cal, f.store, &f.res, "2026-11",
				      CN(2026, 12, 1, 9, 5), &queued, &error), 0);
	ck_assert_uint_eq(queued, 0);
	n = drain(rows, 16);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(rows[0].key, "digest:2026-11:team:aftersales-1");
	ck_assert_str_eq(rows[0].rcpt, LEAD1);
	ck_assert_str_eq(rows[0].subject, "【slaclock】2026年11月 SLA 月度公示：aftersales-1");
	ck_assert_str_eq(rows[1].key, "digest:2026-11:team:aftersales-2");
	ck_assert_str_eq(rows[2].key, "digest:2026-11:hr");
	ck_assert_str_eq(rows[2].rcpt, "hr@hdjs.example.cn");
	ck_assert_str_eq(rows[3].key, "digest:2026-11:agent:" LI);
	ck_assert_str_eq(rows[3].rcpt, LI);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(rows[i].id_header, rows[i].key);
}
END_TEST

/* The daemon's monthly job: down over the scheduled time -> exactly one
   set after restart; restart again -> none. */
START_TEST(test_tick_once)
{
	struct outbox_row rows[16];
	const char *error = NULL;
	size_t queued;

	open_store();
	testutil_store_put(f.store, f.ev, f.count, NULL);
	/* Before the schedule: October is due, and nothing was booked then. */
	ck_assert_int_eq(digest_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 12, 1, 8, 0),
				     &queued, &error), 0);
	ck_assert_uint_eq(queued, 0);
	/* Down from before 09:00 until the 3rd. */
	ck_assert_int_eq(digest_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 12, 3, 11, 0),
				     &queued, &error), 0);
	ck_assert_uint_eq(queued, 6);
	ck_assert_int_eq(digest_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 12, 3, 11, 1),
				     &queued, &error), 0);
	ck_assert_uint_eq(queued, 0);
	ck_assert_uint_eq(drain(rows, 16), 6);
	ck_assert_int_eq(digest_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 12, 20, 0, 0),
				     &queued, &error), 0);
	ck_assert_uint_eq(queued, 0);
	ck_assert_uint_eq(drain(rows, 16), 0);
}
END_TEST

/* `slaclock report --week WEEK --team TEAM --format json` on the test
   store (CONF_PATH): each agent's numbers are on the mail's line for that
   agent ("ADDR tickets met/missed ×3 warnings"), and no other agent is. */
static void
weekly_check(const char *conf_path, const char *week, const char *team, const char *text)
{
	const char *b = getenv("top_builddir");
	char cmd[8192], *buf = NULL, chunk[4096];
	size_t len = 0, n, i, lines = 0;
	json_error_t jerr;
	json_t *root, *agents;
	FILE *p, *mem = open_memstream(&buf, &len);
	const char *line;

	snprintf(cmd, sizeof(cmd), "%s/slaclock report -c '%s' --week %s --team %s --format json",
		 b != NULL ? b : ".", conf_path, week, team);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, mem);
	ck_assert_int_eq(pclose(p), 0);
	fclose(mem);
	root = json_loads(buf, 0, &jerr);
	ck_assert_msg(root != NULL, "%s: %s", cmd, jerr.text);
	agents = json_object_get(root, "agents");
	for (i = 0; i < json_array_size(agents); i++) {
		json_t *a = json_array_get(agents, i);
		char want[512], head[300];
		const char *at;

		snprintf(head, sizeof(head), "\n%s ", json_string_value(json_object_get(a, "agent")));
		snprintf(want, sizeof(want), "%s%d %d/%d %d/%d %d/%d %d", head + 1,
			 (int)json_integer_value(json_object_get(a, "tickets")),
			 (int)json_integer_value(json_object_get(a, "first_response_met")),
			 (int)json_integer_value(json_object_get(a, "first_response_missed")),
			 (int)json_integer_value(json_object_get(a, "preliminary_met")),
			 (int)json_integer_value(json_object_get(a, "preliminary_missed")),
			 (int)json_integer_value(json_object_get(a, "resolution_met")),
			 (int)json_integer_value(json_object_get(a, "resolution_missed")),
			 (int)json_integer_value(json_object_get(a, "warnings")));
		at = strstr(text, head);
		ck_assert_msg(at != NULL, "%s: no line for %s in\n%s", week, head + 1, text);
		/* the line ends there (CRLF as mailed) */
		ck_assert_msg(strncmp(at + 1, want, strlen(want)) == 0 &&
			      strchr("\r\n", at[1 + strlen(want)]) != NULL,
			      "%s: want \"%s\" in\n%s", week, want, text);
	}
	/* as many agent lines as the report has agents */
	for (line = text; (line = strstr(line, "@hdjs.example.cn ")) != NULL; line++)
		lines++;
	ck_assert_uint_eq(lines, json_array_size(agents));
	json_decref(root);
	free(buf);
}

/* G20's weekly report from the daemon's job: Saturday 09:00 queues one
   mail per team with the week's numbers (the CLI's), once; a daemon down
   over the next Saturday sends that week's once on its next look; with
   G20 off nothing, and no mark that would hold the week back. */
START_TEST(test_weekly_once)
{
	struct outbox_row rows[8];
	char text[1024], conf_path[4096], week[9], *error = NULL;
	const char *cerror = NULL;
	size_t queued;
	int64_t at;

	open_store();
	testutil_store_put(f.store, f.ev, f.count, NULL);
	/* no G20: no weekly job */
	ck_assert_int_eq(weekly_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 11, 14, 9, 0),
				     &queued, &cerror), 0);
	ck_assert_uint_eq(queued, 0);

	calendar_free(&f.cal);
	conf_free(&f.conf);
	snprintf(text, sizeof(text),
		 "[store]\npath = %s/slaclock.db\n[calendar]\ntimezone = Asia/Shanghai\n"
		 "[policy]\npack = G20\n"
		 "[team aftersales-1]\nlead = " LEAD1 "\nagents = " WANG ", " LI "\n"
		 "[team aftersales-2]\nlead = " LEAD2 "\nagents = " ZHAO "\n", f.dir);
	snprintf(conf_path, sizeof(conf_path), "%s/slaclock.conf", f.dir);
	ck_assert_int_eq(testutil_write_file(conf_path, text, strlen(text)), 0);
	if (conf_load(conf_path, &f.conf, &error) < 0)
		ck_abort_msg("%s", error);
	ck_assert_int_eq(calendar_new(&f.conf->calendar, &f.cal, &cerror), 0);
	ck_assert_int_eq(f.conf->policy.g20_weekly[0], 6);
	ck_assert_int_eq(f.conf->policy.g20_weekly[1], 9 * H);

	/* 2026-11-14 is a Saturday, in 2026-W46 (9 to 15 November) */
	weekly_due_week(f.conf, f.cal, CN(2026, 11, 14, 8, 59), week, &at);
	ck_assert_str_eq(week, "2026-W45");
	ck_assert_int_eq(at, CN(2026, 11, 7, 9, 0));
	weekly_due_week(f.conf, f.cal, CN(2026, 11, 14, 9, 0), week, &at);
	ck_assert_str_eq(week, "2026-W46");
	ck_assert_int_eq(at, CN(2026, 11, 14, 9, 0));
	weekly_due_week(f.conf, f.cal, CN(2026, 11, 16, 0, 30), week, &at);
	ck_assert_str_eq(week, "2026-W46");

	ck_assert_int_eq(weekly_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 11, 14, 9, 0),
				     &queued, &cerror), 0);
	ck_assert_uint_eq(queued, 2);
	ck_assert_int_eq(weekly_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 11, 14, 9, 15),
				     &queued, &cerror), 0);
	ck_assert_uint_eq(queued, 0);
	ck_assert_uint_eq(drain(rows, 8), 2);
	ck_assert_str_eq(rows[0].key, "weekly:2026-W46:team:aftersales-1");
	ck_assert_str_eq(rows[0].rcpt, LEAD1);
	ck_assert_str_eq(rows[0].id_header, rows[0].key);
	ck_assert_str_eq(rows[0].subject, "[slaclock] SLA weekly report 2026-W46: aftersales-1");
	ck_assert_str_eq(rows[1].key, "weekly:2026-W46:team:aftersales-2");
	ck_assert_str_eq(rows[1].rcpt, LEAD2);
	/* li.qiang's streak week: three first responses missed */
	ck_assert_ptr_nonnull(strstr(rows[0].text, LI " 3 0/3 "));
	weekly_check(conf_path, "2026-W46", "aftersales-1", rows[0].text);
	weekly_check(conf_path, "2026-W46", "aftersales-2", rows[1].text);
	ck_assert_ptr_nonnull(strstr(rows[1].text, "Nothing this week."));

#ifdef ENABLE_NLS
	/* each lead's in the lead's language */
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "recipient_language", LEAD2 " zh", &cerror), 0);
#endif
	/* down from Friday 20 November until Monday 23: W47 once, late */
	ck_assert_int_eq(weekly_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 11, 20, 18, 0),
				     &queued, &cerror), 0);
	ck_assert_uint_eq(queued, 0);
	ck_assert_int_eq(weekly_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 11, 23, 10, 0),
				     &queued, &cerror), 0);
	ck_assert_uint_eq(queued, 2);
	ck_assert_int_eq(weekly_tick(f.conf, &f.mconf, f.cal, f.store, CN(2026, 11, 23, 10, 15),
				     &queued, &cerror), 0);
	ck_assert_uint_eq(queued, 0);
	ck_assert_uint_eq(drain(rows, 8), 2);
	ck_assert_str_eq(rows[1].key, "weekly:2026-W47:team:aftersales-2");
	weekly_check(conf_path, "2026-W47", "aftersales-2", rows[1].text);
	ck_assert_ptr_nonnull(strstr(rows[1].text, ZHAO " 1 1/0 "));
#ifdef ENABLE_NLS
	ck_assert_str_eq(rows[1].subject, "【slaclock】SLA 周报 2026-W47：aftersales-2");
	ck_assert_ptr_nonnull(strstr(rows[1].text, "按月记账"));
	ck_assert_str_eq(rows[0].subject, "[slaclock] SLA weekly report 2026-W47: aftersales-1");
#endif
}
END_TEST

/* One daemon, two languages: each lead's digest in the lead's language,
   read back with slaclock's own parser (RFC 2047 subject, decoded body);
   the English one after the Chinese is English again (gettext's cache). */
START_TEST(test_language_per_recipient)
{
	struct outbox_row rows[16];
	const char *error = NULL;
	size_t queued, n;

	ck_assert_int_eq(mailer_conf_key(&f.mconf, "recipient_language",
					 LEAD2 " zh, " WANG " zh", &error), 0);
	ck_assert_int_eq(mailer_language_for(&f.mconf, "HE.YUN@hdjs.example.cn"), MAILER_LANG_ZH);
	ck_assert_int_eq(mailer_language_for(&f.mconf, LEAD1), MAILER_LANG_EN);
	open_store();
	ck_assert_int_eq(digest_queue(f.conf, &f.mconf, f.cal, f.store, &f.res, "2026-11",
				      CN(2026, 12, 1, 9, 0), &queued, &error), 0);
	n = drain(rows, 16);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(rows[0].rcpt, LEAD1);
	ck_assert_str_eq(rows[0].subject, "[slaclock] SLA digest 2026-11: team aftersales-1");
	ck_assert_ptr_nonnull(strstr(rows[0].text, "Breaches"));
	ck_assert_ptr_null(strstr(rows[0].text, "超时明细"));
	ck_assert_str_eq(rows[1].rcpt, LEAD2);
	ck_assert_str_eq(rows[1].subject, "【slaclock】2026年11月 SLA 月度公示：aftersales-2");
	ck_assert_ptr_nonnull(strstr(rows[1].text, "SLA 月度公示 · aftersales-2"));
	ck_assert_ptr_nonnull(strstr(rows[1].text, "slaclock · 2026年11月"));
	ck_assert_ptr_nonnull(strstr(rows[1].text, "超时明细"));
	ck_assert_ptr_nonnull(strstr(rows[1].text, "本邮件由 slaclock 自动发送"));
	/* HR: no recipient_language, the default. */
	ck_assert_str_eq(rows[2].subject, "[slaclock] SLA digest 2026-11: all teams");
	ck_assert_str_eq(rows[3].rcpt, LI);
	ck_assert_str_eq(rows[3].subject, "[slaclock] Your SLA statement 2026-11");
	ck_assert_ptr_nonnull(strstr(rows[3].text, "Your SLA statement · " LI));
	ck_assert_str_eq(rows[4].rcpt, WANG);
	ck_assert_str_eq(rows[4].subject, "【slaclock】2026年11月 个人 SLA 月度结果");
	ck_assert_ptr_nonnull(strstr(rows[4].text, "个人 SLA 月度结果 · " WANG));
	ck_assert_str_eq(rows[5].rcpt, ZHAO);
	ck_assert_str_eq(rows[5].subject, "[slaclock] Your SLA statement 2026-11");
	ck_assert_ptr_null(strstr(rows[5].text, "超时"));
}
END_TEST

/* A .mo file of ENTRIES (msgid, msgstr pairs, sorted by msgid, the header
   "" first) written to DIR/zh_CN/LC_MESSAGES/slaclock.mo, the format of
   GNU gettext's "The Format of GNU MO Files", without the hash table. */
static void
write_catalogue(const char *dir, const char *const (*entries)[2], uint32_t n)
{
	char path[4096 + 64];
	uint32_t head[7], off, i, k;
	FILE *out;

	snprintf(path, sizeof(path), "%s/zh_CN", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/zh_CN/LC_MESSAGES", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/zh_CN/LC_MESSAGES/" PACKAGE ".mo", dir);
	ck_assert_ptr_nonnull(out = fopen(path, "wb"));
	head[0] = 0x950412de;
	head[1] = 0;
	head[2] = n;
	head[3] = sizeof(head);
	head[4] = sizeof(head) + n * 8;
	head[5] = 0;
	head[6] = sizeof(head) + 2 * n * 8;
	fwrite(head, sizeof(head), 1, out);
	off = head[6];
	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i++) {
			uint32_t le[2] = { (uint32_t)strlen(entries[i][k]), 0 };

			le[1] = off;
			off += le[0] + 1;
			fwrite(le, sizeof(le), 1, out);
		}
	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i++)
			fwrite(entries[i][k], strlen(entries[i][k]) + 1, 1, out);
	ck_assert_int_eq(fclose(out), 0);
}

/* A catalogue without a message gives the English of that message; no
   catalogue at all gives English throughout. */
START_TEST(test_language_fallback)
{
	static const char *const partial[][2] = {
		{ "", "Content-Type: text/plain; charset=UTF-8\n" },
		{ "Breaches", "超时明细" },
	};
	const char *error = NULL;
	struct digest_doc doc;
	char dir[4096];

	ck_assert_int_eq(mailer_conf_key(&f.mconf, "language", "zh", &error), 0);
	snprintf(dir, sizeof(dir), "%s/partial", f.dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	write_catalogue(dir, partial, 2);
	i18n_bind(dir);
	render(DIGEST_TEAM, "aftersales-1", &doc);
	ck_assert_ptr_nonnull(strstr(doc.text, "\n超时明细\n"));
	ck_assert_ptr_nonnull(strstr(doc.text, "Per agent (met / missed)"));
	ck_assert_str_eq(doc.subject, "[slaclock] SLA digest 2026-11: team aftersales-1");
	ck_assert_ptr_nonnull(strstr(doc.html, "lang=\"en\""));
	digest_doc_clear(&doc);

	snprintf(dir, sizeof(dir), "%s/empty", f.dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	i18n_bind(dir);
	render(DIGEST_TEAM, "aftersales-1", &doc);
	ck_assert_str_eq(doc.subject, "[slaclock] SLA digest 2026-11: team aftersales-1");
	ck_assert_ptr_nonnull(strstr(doc.text, "\nBreaches\n"));
	digest_doc_clear(&doc);

	/* And back to the real one. */
	bind_build_catalogues();
	render(DIGEST_TEAM, "aftersales-1", &doc);
	ck_assert_str_eq(doc.subject, "【slaclock】2026年11月 SLA 月度公示：aftersales-1");
	digest_doc_clear(&doc);
}
END_TEST

START_TEST(test_ticket_shown)
{
	char buf[256];

	digest_ticket_shown("#1024", false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "#1024");
	digest_ticket_shown("abc@mail.qq.com", false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "abc@\xe2\x80\xa6");
	digest_ticket_shown("a@x.cn, b@y.cn", false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a@\xe2\x80\xa6, b@\xe2\x80\xa6");
	digest_ticket_shown("abc@mail.qq.com", true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "abc@mail.qq.com");
}
END_TEST

/* ---- every unit (POLICY.md: units are never mixed) ----
 * September 2026 (the last month of Q3, so S14.3 falls in it) with packs
 * S9, S1 and T17: month score (S14.1s, S14.2d, S14.4), quarter score
 * (S14.3, an agent's and a team's), wage (S9.c deduction, S9.s/S9.t
 * rewards), yuan (S1.r ranges, one fixed at 200 by the approver; the S1.w
 * reward range), points (T17 -1, T17.r +5/+3/+1), bonus (T17.b, the band
 * at 30 so one point lost costs 10%), warnings, a rejected proposal and a
 * ticket nobody owned. */
#define SEPT(d, h, mi) CN(2026, 9, d, h, mi)
#define UNITS_NOW SEPT(30, 18, 0)        /* decisions taken then */
#define UNITS_EVAL CN(2026, 10, 1, 9, 0) /* the monthly job */

struct uev {
	const char *ticket;
	int day, hour, min;       /* in September 2026, Asia/Shanghai */
	const char *actor;
	enum event_kind kind;
	const char *attrs;
};

static const struct uev units_events[] = {
	/* WANG: three late first replies (S14.1s), a high ticket resolved
	   at 80 h (S14.2d), two verified attitude complaints (S14.4 twice,
	   S9.c two in a row, T17 a warning then -1 point, T17.b), an
	   unsatisfied rating (S14.3 for WANG and for team aftersales-1) */
	{ "#2001", 1, 9, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "#2001", 1, 9, 1, WANG, EVENT_ASSIGN, NULL },
	{ "#2001", 1, 9, 45, WANG, EVENT_AGENT_REPLY, NULL },
	{ "#2001", 1, 12, 0, WANG, EVENT_PRELIMINARY, NULL },
	{ "#2001", 1, 16, 0, WANG, EVENT_RESOLVED, NULL },
	{ "#2001", 1, 17, 0, "customer", EVENT_SATISFACTION, "{\"rating\":\"unsatisfied\"}" },
	{ "#2002", 2, 9, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "#2002", 2, 9, 1, WANG, EVENT_ASSIGN, NULL },
	{ "#2002", 2, 9, 50, WANG, EVENT_AGENT_REPLY, NULL },
	{ "#2002", 2, 12, 0, WANG, EVENT_PRELIMINARY, NULL },
	{ "#2002", 2, 16, 0, WANG, EVENT_RESOLVED, NULL },
	{ "#2003", 3, 9, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "#2003", 3, 9, 1, WANG, EVENT_ASSIGN, NULL },
	{ "#2003", 3, 9, 40, WANG, EVENT_AGENT_REPLY, NULL },
	{ "#2003", 3, 12, 0, WANG, EVENT_PRELIMINARY, NULL },
	{ "#2003", 3, 16, 0, WANG, EVENT_RESOLVED, NULL },
	{ "#2004", 8, 9, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "#2004", 8, 9, 0, "system", EVENT_PRIORITY, "{\"priority\":\"high\"}" },
	{ "#2004", 8, 9, 1, WANG, EVENT_ASSIGN, NULL },
	{ "#2004", 8, 9, 10, WANG, EVENT_AGENT_REPLY, NULL },
	{ "#2004", 8, 14, 0, WANG, EVENT_PRELIMINARY, NULL },
	{ "#2004", 9, 10, 0, "system", EVENT_COMPLAINT,
	  "{\"cause\":\"attitude\",\"verified\":true,\"id\":\"c1\"}" },
	{ "#2004", 9, 11, 0, "system", EVENT_COMPLAINT,
	  "{\"cause\":\"attitude\",\"verified\":true,\"id\":\"c2\"}" },
	{ "#2004", 11, 17, 0, WANG, EVENT_RESOLVED, NULL },
	/* LI: all met and fast (S9.t), satisfied (S9.s), a parts request
	   answered and shipped in time (S1.w: a range of yuan) */
	{ "#2010", 4, 10, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "#2010", 4, 10, 1, LI, EVENT_ASSIGN, NULL },
	{ "#2010", 4, 10, 10, LI, EVENT_AGENT_REPLY, NULL },
	{ "#2010", 4, 11, 0, LI, EVENT_PRELIMINARY, NULL },
	{ "#2010", 4, 12, 0, LI, EVENT_RESOLVED, NULL },
	{ "#2010", 4, 13, 0, "customer", EVENT_SATISFACTION, "{\"rating\":\"satisfied\"}" },
	{ "#2011", 5, 10, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "#2011", 5, 10, 1, LI, EVENT_ASSIGN, NULL },
	{ "#2011", 5, 10, 5, LI, EVENT_AGENT_REPLY, NULL },
	{ "#2011", 5, 11, 0, LI, EVENT_PRELIMINARY, NULL },
	{ "#2011", 5, 12, 0, LI, EVENT_RESOLVED, NULL },
	{ "P10", 10, 10, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "P10", 10, 10, 0, "system", EVENT_STATUS, "{\"status\":\"new\",\"type\":\"parts\"}" },
	{ "P10", 10, 10, 1, LI, EVENT_ASSIGN, NULL },
	{ "P10", 10, 10, 20, LI, EVENT_AGENT_REPLY, NULL },
	{ "P10", 10, 11, 0, LI, EVENT_PRELIMINARY, NULL },
	{ "P10", 10, 15, 0, LI, EVENT_STATUS, "{\"shipped\":true}" },
	{ "P10", 10, 16, 0, LI, EVENT_RESOLVED, NULL },
	/* ZHAO: two parts requests answered after 24 h (S1.r ranges and
	   warnings; P21's is fixed at 200), a normal ticket resolved late
	   (S14.2d, rejected by the approver) */
	{ "P20", 14, 9, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "P20", 14, 9, 0, "system", EVENT_STATUS, "{\"status\":\"new\",\"type\":\"parts\"}" },
	{ "P20", 14, 9, 1, ZHAO, EVENT_ASSIGN, NULL },
	{ "P20", 14, 10, 0, ZHAO, EVENT_PRELIMINARY, NULL },
	{ "P20", 15, 15, 0, ZHAO, EVENT_AGENT_REPLY, NULL },
	{ "P20", 15, 16, 0, ZHAO, EVENT_STATUS, "{\"shipped\":true}" },
	{ "P20", 15, 17, 0, ZHAO, EVENT_RESOLVED, NULL },
	{ "P21", 16, 9, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "P21", 16, 9, 0, "system", EVENT_STATUS, "{\"status\":\"new\",\"type\":\"parts\"}" },
	{ "P21", 16, 9, 1, ZHAO, EVENT_ASSIGN, NULL },
	{ "P21", 17, 12, 0, ZHAO, EVENT_AGENT_REPLY, NULL },
	{ "P21", 17, 13, 0, ZHAO, EVENT_STATUS, "{\"shipped\":true}" },
	{ "P21", 17, 14, 0, ZHAO, EVENT_RESOLVED, NULL },
	{ "#2020", 18, 9, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "#2020", 18, 9, 1, ZHAO, EVENT_ASSIGN, NULL },
	{ "#2020", 18, 9, 10, ZHAO, EVENT_AGENT_REPLY, NULL },
	{ "#2020", 18, 12, 0, ZHAO, EVENT_PRELIMINARY, NULL },
	{ "#2020", 22, 9, 0, ZHAO, EVENT_RESOLVED, NULL },
	/* nobody's: no default agent, nobody assigned or replied */
	{ "#2099", 20, 9, 0, "customer", EVENT_CUSTOMER_MESSAGE, NULL },
	{ "#2099", 20, 10, 0, "system", EVENT_PRELIMINARY, NULL },
	{ "#2099", 20, 11, 0, "system", EVENT_RESOLVED, NULL },
};
#define UNITS_EVENTS (sizeof(units_events) / sizeof(units_events[0]))

static char units_conf_path[4096];

/* The month in a real store, the approver's decisions through cmd_policy
   (as `slaclock approve/reject` would), evaluated as the monthly job does,
   and every digest of the month queued. */
static void
units_setup(const char *language)
{
	char text[2048], *error = NULL;
	struct event evs[UNITS_EVENTS];
	const char *cerror = NULL, *reject_key = NULL;
	struct sla_result first;
	FILE *out;
	char *log = NULL;
	size_t len = 0, i, queued;

	setup();
	sla_result_clear(&f.res);
	/* the calendar points into the conf it was made from */
	calendar_free(&f.cal);
	conf_free(&f.conf);
	snprintf(text, sizeof(text),
		 "[store]\npath = %s/slaclock.db\n[calendar]\ntimezone = Asia/Shanghai\n"
		 "[policy]\npack = S9, S1, T17\n[pack T17]\nbands = 30, 20, 15\n"
		 "[team aftersales-1]\nlead = " LEAD1 "\nagents = " WANG ", " LI "\n"
		 "[team aftersales-2]\nlead = " LEAD2 "\nagents = " ZHAO "\n", f.dir);
	snprintf(units_conf_path, sizeof(units_conf_path), "%s/slaclock.conf", f.dir);
	ck_assert_int_eq(testutil_write_file(units_conf_path, text, strlen(text)), 0);
	if (conf_load(units_conf_path, &f.conf, &error) < 0)
		ck_abort_msg("%s", error);
	if (calendar_new(&f.conf->calendar, &f.cal, &cerror) < 0)
		ck_abort_msg("calendar_new: %s", cerror);
	open_store();
	for (i = 0; i < UNITS_EVENTS; i++) {
		struct event *e = &evs[i];

		memset(e, 0, sizeof(*e));
		e->source = "test";
		e->ticket = units_events[i].ticket;
		e->time = SEPT(units_events[i].day, units_events[i].hour, units_events[i].min);
		e->actor = units_events[i].actor;
		e->kind = units_events[i].kind;
		e->attrs = units_events[i].attrs;
	}
	testutil_store_put(f.store, evs, UNITS_EVENTS, "u");
	ck_assert_int_eq(sla_evaluate(f.conf, f.cal, f.store, UNITS_NOW, &first, &cerror), 0);
	for (i = 0; i < first.proposal_count; i++)
		if (strcmp(first.proposals[i].rule, "S14.2d") == 0 &&
		    strcmp(first.proposals[i].tickets, "#2020") == 0)
			reject_key = first.proposals[i].key;
	ck_assert_ptr_nonnull(reject_key);
	out = open_memstream(&log, &len);
	ck_assert_msg(cmd_policy_decide_amount(f.conf, f.cal, f.store,
					       "S1.r:" ZHAO ":P21", "approved", LEAD2, NULL, 200,
					       UNITS_NOW, out, &cerror) == 0, "%s", cerror);
	ck_assert_msg(cmd_policy_decide(f.conf, f.cal, f.store, reject_key, "rejected", LEAD2,
					NULL, UNITS_NOW + 1, out, &cerror) == 0, "%s", cerror);
	fclose(out);
	free(log);
	sla_result_clear(&first);
	ck_assert_int_eq(sla_evaluate(f.conf, f.cal, f.store, UNITS_EVAL, &f.res, &cerror), 0);
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "language", language, &cerror), 0);
	ck_assert_int_eq(digest_queue(f.conf, &f.mconf, f.cal, f.store, &f.res, "2026-09",
				      UNITS_EVAL, &queued, &cerror), 0);
	ck_assert_uint_eq(queued, 6);
}

/* Amounts by unit and sign, as parsed back from a mail. */
struct usums {
	int amount[2][SLA_UNIT_COUNT];
	int range[2][2];          /* yuan: min, max */
	int warnings;
	int proposals;
};

/* How a language writes an amount: PREFIX, the signed number, SUFFIX. */
struct ulang {
	const char *code;                    /* mconf language */
	const char *prefix[SLA_UNIT_COUNT], *suffix[SLA_UNIT_COUNT], *points_one;
	const char *unfixed;                 /* after a range */
	const char *totals, *proposals, *warnings, *rejected, *unassigned;
	const char *th_rule, *th_agent, *th_deductions;
};

static const struct ulang units_en = {
	"en",
	{ "", "", "", "", "", "" },
	{ "% of the month's score", "% of the quarter's score", "% of the month's wage",
	  " yuan", " points", "% of the month's bonus" },
	" point",
	" (to be fixed on approval)",
	"Totals by unit (never added together; rejected ones left out)",
	"Proposed deductions and rewards", "Warnings", "rejected", "(unassigned)",
	"Rule", "Agent", "Deductions",
};

static const struct ulang units_zh = {
	"zh",
	{ "当月绩效分 ", "当季绩效分 ", "当月工资 ", "", "", "当月奖金 " },
	{ "%", "%", "%", " 元", " 积分", "%" },
	" 积分",
	"（审批时确定）",
	"按单位合计（不同单位不相加；已驳回的不计）",
	"奖罚建议", "警告", "已驳回", "（未分配）",
	"条款", "客服", "扣罚",
};

/* S (exactly one amount in L's words) into SUMS; false when it is none. */
static bool
units_parse(const struct ulang *l, const char *s, struct usums *sums)
{
	int u;

	for (u = 0; u < SLA_UNIT_COUNT; u++) {
		size_t pl = strlen(l->prefix[u]);
		const char *p = s + pl, *end;
		int a = 0, b = 0, n = 0, r;
		bool range;

		if (strncmp(s, l->prefix[u], pl) != 0 || (*p != '-' && *p != '+'))
			continue;
		r = *p == '+';
		range = p[1] == '(';
		if (range ? sscanf(p + 2, "%d\xe2\x80\x93%d)%n", &a, &b, &n) != 2 :
		    sscanf(p + 1, "%d%n", &a, &n) != 1)
			continue;
		end = p + (range ? 2 : 1) + n;
		if (strncmp(end, l->suffix[u], strlen(l->suffix[u])) == 0)
			end += strlen(l->suffix[u]);
		else if (u == SLA_UNIT_POINTS && strncmp(end, l->points_one,
							  strlen(l->points_one)) == 0)
			end += strlen(l->points_one);
		else
			continue;
		if (range) {
			if (strcmp(end, l->unfixed) != 0 || u != SLA_UNIT_YUAN)
				continue;
			sums->range[r][0] += a;
			sums->range[r][1] += b;
			return true;
		}
		if (*end != '\0')
			continue;
		sums->amount[r][u] += a;
		return true;
	}
	return false;
}

static int
json_int(json_t *o, const char *a, const char *b)
{
	return (int)json_integer_value(json_object_get(json_object_get(o, a), b));
}

/* `slaclock report --format json` of the month, filtered as the digest:
   the CLI itself on the same store. It evaluates at the real time, long
   after September, when every clock of the month is decided. */
static void
units_report(enum digest_kind kind, const char *who, struct usums *want)
{
	const char *b = getenv("top_builddir");
	char cmd[8192], *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	json_error_t jerr;
	json_t *root;
	FILE *p, *mem = open_memstream(&buf, &len);
	int u;

	snprintf(cmd, sizeof(cmd), "%s/slaclock report -c '%s' --month 2026-09 --format json%s%s",
		 b != NULL ? b : ".", units_conf_path,
		 kind == DIGEST_TEAM ? " --team " : kind == DIGEST_AGENT ? " --agent " : "",
		 kind == DIGEST_HR ? "" : who);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, mem);
	ck_assert_int_eq(pclose(p), 0);
	fclose(mem);
	root = json_loads(buf, 0, &jerr);
	ck_assert_msg(root != NULL, "%s: %s", cmd, jerr.text);
	memset(want, 0, sizeof(*want));
	for (u = 0; u < SLA_UNIT_COUNT; u++) {
		want->amount[0][u] = json_int(root, "deduction_totals", sla_unit_name(u));
		want->amount[1][u] = json_int(root, "reward_totals", sla_unit_name(u));
	}
	want->range[0][0] = json_int(json_object_get(root, "range_totals"), "deductions", "min");
	want->range[0][1] = json_int(json_object_get(root, "range_totals"), "deductions", "max");
	want->range[1][0] = json_int(json_object_get(root, "range_totals"), "rewards", "min");
	want->range[1][1] = json_int(json_object_get(root, "range_totals"), "rewards", "max");
	want->warnings = (int)json_array_size(json_object_get(root, "warnings"));
	want->proposals = (int)json_array_size(json_object_get(root, "proposals"));
	json_decref(root);
	free(buf);
}

static void
assert_usums(const char *what, const struct usums *got, const struct usums *want)
{
	int r, u;

	for (r = 0; r < 2; r++) {
		for (u = 0; u < SLA_UNIT_COUNT; u++)
			ck_assert_msg(got->amount[r][u] == want->amount[r][u],
				      "%s: %s %s %d, the report %d", what, r ? "rewards" : "deductions",
				      sla_unit_name(u), got->amount[r][u], want->amount[r][u]);
		ck_assert_msg(got->range[r][0] == want->range[r][0] &&
			      got->range[r][1] == want->range[r][1],
			      "%s: %s range %d..%d, the report %d..%d", what,
			      r ? "rewards" : "deductions", got->range[r][0], got->range[r][1],
			      want->range[r][0], want->range[r][1]);
	}
}

/* The lines of TEXT after the line TITLE, up to an empty line. */
static size_t
text_section(const char *text, const char *title, char lines[][512], size_t max)
{
	char head[512];
	const char *p;
	size_t n = 0;

	snprintf(head, sizeof(head), "\n%s\n", title);
	p = strstr(text, head);
	ck_assert_msg(p != NULL, "no section \"%s\"", title);
	for (p += strlen(head); *p != '\0' && *p != '\n' && n < max; n++) {
		const char *e = strchr(p, '\n');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);

		snprintf(lines[n], sizeof(lines[n]), "%.*s", (int)l, p);
		p += l + (e != NULL);
	}
	return n;
}

/* The text of every node EXPR selects. */
static size_t
xpath_texts(xmlDocPtr d, const char *expr, char out[][512], size_t max)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	size_t n = 0;
	int i;

	for (i = 0; o != NULL && o->nodesetval != NULL && i < o->nodesetval->nodeNr &&
		     n < max; i++) {
		xmlChar *c = xmlNodeGetContent(o->nodesetval->nodeTab[i]);

		snprintf(out[n++], 512, "%s", (const char *)c);
		xmlFree(c);
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

/* RFC 4180 fields of the CSV line at *P (moved past it); n fields. */
static size_t
csv_fields(const char **p, char fields[][256], size_t max)
{
	size_t n = 0, o = 0;
	bool quoted = false;
	const char *s = *p;

	for (; *s != '\0'; s++) {
		if (quoted) {
			if (*s == '"' && s[1] == '"')
				s++;
			else if (*s == '"') {
				quoted = false;
				continue;
			}
		} else if (*s == '"') {
			quoted = true;
			continue;
		} else if (*s == ',' || *s == '\n') {
			ck_assert_uint_lt(n, max);
			fields[n++][o] = '\0';
			o = 0;
			if (*s == '\n') {
				s++;
				break;
			}
			continue;
		}
		if (o + 1 < 256)
			fields[n][o++] = *s;
	}
	*p = s;
	return n;
}

/* The CSV's columns summed: each amount in the unit its column names. */
static void
units_csv(const char *csv, const char *header, struct usums *got)
{
	static const struct {
		const char *name;
		int reward, unit;    /* unit -1: a range, -2: warnings */
	} cols[] = {
		{ "total_deduction_pct", 0, SLA_UNIT_PCT_MONTH },
		{ "quarter_deduction_pct", 0, SLA_UNIT_PCT_QUARTER },
		{ "wage_deduction_pct", 0, SLA_UNIT_PCT_WAGE },
		{ "wage_reward_pct", 1, SLA_UNIT_PCT_WAGE },
		{ "yuan_deduction", 0, SLA_UNIT_YUAN },
		{ "points_deduction", 0, SLA_UNIT_POINTS },
		{ "bonus_deduction_pct", 0, SLA_UNIT_PCT_BONUS },
		{ "month_reward_pct", 1, SLA_UNIT_PCT_MONTH },
		{ "quarter_reward_pct", 1, SLA_UNIT_PCT_QUARTER },
		{ "yuan_reward", 1, SLA_UNIT_YUAN },
		{ "points_reward", 1, SLA_UNIT_POINTS },
		{ "bonus_reward_pct", 1, SLA_UNIT_PCT_BONUS },
		{ "yuan_range_deduction_min", 0, -1 },
		{ "yuan_range_deduction_max", 0, -1 },
		{ "yuan_range_reward_min", 1, -1 },
		{ "yuan_range_reward_max", 1, -1 },
		{ "warnings", 0, -2 },
	};
	static char names[40][256], fields[40][256];
	const char *p = csv, *en = "agent,team,tickets,first_response_met,first_response_missed,"
		"preliminary_met,preliminary_missed,resolution_met,resolution_missed,warnings,"
		"streak_deductions,severity_deduction_pct,total_deduction_pct,other_deduction_pct,"
		"quarter_deduction_pct,wage_deduction_pct,wage_reward_pct,yuan_deduction,"
		"points_deduction,bonus_deduction_pct,complaints_verified,satisfied,"
		"satisfaction_responses,flags,month_reward_pct,quarter_reward_pct,yuan_reward,"
		"points_reward,bonus_reward_pct,yuan_range_deduction_min,yuan_range_deduction_max,"
		"yuan_range_reward_min,yuan_range_reward_max\n";
	size_t nc, k, c;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	ck_assert_msg(strncmp(p, header, strlen(header)) == 0, "CSV header %.80s", p);
	/* the columns by the English names, at the same places in any language */
	nc = csv_fields(&en, names, 40);
	ck_assert_uint_eq(nc, 33);
	ck_assert_uint_eq(csv_fields(&p, fields, 40), nc);
	while (*p != '\0') {
		ck_assert_uint_eq(csv_fields(&p, fields, 40), nc);
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			for (c = 0; c < nc && strcmp(names[c], cols[k].name) != 0; c++)
				;
			ck_assert_uint_lt(c, nc);
			if (cols[k].unit == -2)
				got->warnings += atoi(fields[c]);
			else if (cols[k].unit == -1)
				got->range[cols[k].reward][strstr(cols[k].name, "max") != NULL] +=
					atoi(fields[c]);
			else
				got->amount[cols[k].reward][cols[k].unit] += atoi(fields[c]);
		}
	}
}

/* One digest of the month in language L, parsed back four ways (the
   mail's text part with slaclock's parser: its totals and its list of
   proposals; the HTML: its totals, proposals and per-agent cells; the CSV
   attachment's columns), each summed per unit equals the report. */
static void
units_check(const struct ulang *l, enum digest_kind kind, const char *who,
	    const struct outbox_row *mail, const char *csv_header)
{
	static char lines[128][512], cells[256][512], text[16384];
	struct usums want, got;
	struct digest_doc doc;
	const char *error = NULL;
	char expr[512], what[128];
	size_t n, k;
	xmlDocPtr d;

	units_report(kind, who, &want);
	snprintf(what, sizeof(what), "%s %s", l->code, who != NULL ? who : "hr");
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "language", l->code, &error), 0);
	ck_assert_int_eq(digest_render(f.conf, &f.mconf, f.cal, &f.res, "2026-09", kind, who,
				       &doc, &error), 0);
	/* the mail as queued, read back with slaclock's parser, is what
	   digest_render() gives (but the CRLF of the wire) */
	if (mail != NULL) {
		const char *p;
		size_t o = 0;

		for (p = mail->text; *p != '\0' && o + 1 < sizeof(text); p++)
			if (*p != '\r')
				text[o++] = *p;
		text[o] = '\0';
		ck_assert_msg(strcmp(text, doc.text) == 0, "%s: the mail's text is not the "
			      "rendered one", what);
	}

	/* text: the totals, one amount a line, then the warnings */
	memset(&got, 0, sizeof(got));
	n = text_section(doc.text, l->totals, lines, 128);
	ck_assert_uint_gt(n, 1);
	for (k = 0; k + 1 < n; k++)
		ck_assert_msg(units_parse(l, lines[k] + 2, &got), "%s: not an amount: \"%s\"",
			      what, lines[k]);
	snprintf(expr, sizeof(expr), "  %s: %d", l->warnings, want.warnings);
	ck_assert_str_eq(lines[n - 1], expr);
	assert_usums(what, &got, &want);

	/* text: each proposal, summed but the rejected ones */
	memset(&got, 0, sizeof(got));
	n = text_section(doc.text, l->proposals, lines, 128);
	ck_assert_uint_eq(n, (size_t)want.proposals + 1);	/* and the note */
	for (k = 0; k + 1 < n; k++) {
		/* "  RULE    AGENT  AMOUNT  TICKETS  (STATE)": the fields apart by
		   two spaces or more, the amount the third */
		char *a = lines[k], *e = NULL, state[64];
		int field;

		for (field = 0; field < 3; field++) {
			while (*a == ' ')
				a++;
			e = strstr(a, "  ");
			ck_assert_msg(e != NULL, "%s: no amount in \"%s\"", what, lines[k]);
			if (field < 2)
				a = e;
		}
		*e = '\0';
		snprintf(state, sizeof(state), "(%s)", l->rejected);
		if (strstr(e + 1, state) != NULL) {
			struct usums ignored;

			memset(&ignored, 0, sizeof(ignored));
			ck_assert(units_parse(l, a, &ignored));
			continue;
		}
		ck_assert_msg(units_parse(l, a, &got), "%s: not an amount: \"%s\"", what, a);
	}
	assert_usums(what, &got, &want);

	d = parse_html(doc.html);
	/* HTML: the totals table */
	memset(&got, 0, sizeof(got));
	snprintf(expr, sizeof(expr), "//tr[th[1]='%s']/following-sibling::tr/td/span",
		 l->th_deductions);
	n = xpath_texts(d, expr, cells, 256);
	ck_assert_uint_gt(n, 0);
	for (k = 0; k < n; k++)
		ck_assert_msg(units_parse(l, cells[k], &got), "%s: not an amount: \"%s\"", what,
			      cells[k]);
	assert_usums(what, &got, &want);
	/* HTML: the per-agent amounts, one span an amount */
	memset(&got, 0, sizeof(got));
	snprintf(expr, sizeof(expr), "//tr[th[1]='%s']/following-sibling::tr/td[@colspan]/span",
		 l->th_agent);
	n = xpath_texts(d, expr, cells, 256);
	for (k = 0; k < n; k++)
		ck_assert_msg(units_parse(l, cells[k], &got), "%s: not an amount: \"%s\"", what,
			      cells[k]);
	assert_usums(what, &got, &want);
	/* HTML: the proposals, amount and state */
	memset(&got, 0, sizeof(got));
	snprintf(expr, sizeof(expr), "//tr[th[1]='%s']/following-sibling::tr/td[%d]",
		 l->th_rule, kind == DIGEST_AGENT ? 2 : 3);
	n = xpath_texts(d, expr, cells, 128);
	ck_assert_uint_eq(n, (size_t)want.proposals);
	snprintf(expr, sizeof(expr), "//tr[th[1]='%s']/following-sibling::tr/td[last()]",
		 l->th_rule);
	ck_assert_uint_eq(xpath_texts(d, expr, lines, 128), n);
	for (k = 0; k < n; k++) {
		struct usums ignored;

		memset(&ignored, 0, sizeof(ignored));
		ck_assert_msg(units_parse(l, cells[k],
					  strcmp(lines[k], l->rejected) == 0 ? &ignored : &got),
			      "%s: not an amount: \"%s\"", what, cells[k]);
	}
	assert_usums(what, &got, &want);
	xmlFreeDoc(d);

	/* CSV: the columns */
	memset(&got, 0, sizeof(got));
	units_csv(doc.csv, csv_header, &got);
	assert_usums(what, &got, &want);
	ck_assert_int_eq(got.warnings, want.warnings);
	digest_doc_clear(&doc);
}

/* The month really has every unit, and every digest of it (lead, HR,
   statement), in English and in Chinese, shows each amount in its own
   unit with the report's sums. */
START_TEST(test_units)
{
	static struct outbox_row rows[8];
	static const char *const who[6] = { "aftersales-1", "aftersales-2", NULL, LI, WANG, ZHAO };
	static const enum digest_kind kinds[6] = {
		DIGEST_TEAM, DIGEST_TEAM, DIGEST_HR, DIGEST_AGENT, DIGEST_AGENT, DIGEST_AGENT,
	};
	const struct ulang *l = _i == 0 ? &units_en : &units_zh;
	const char *header = _i == 0 ? "agent,team,tickets," : "客服,小组,工单数,";
	const char *error = NULL;
	struct digest_doc doc;
	struct usums all;
	size_t i;
	int u;

	units_setup(l->code);
	units_report(DIGEST_HR, NULL, &all);
	for (u = 0; u < SLA_UNIT_COUNT; u++)
		ck_assert_msg(all.amount[0][u] > 0, "no deduction in %s", sla_unit_name(u));
	ck_assert_int_gt(all.amount[1][SLA_UNIT_PCT_WAGE], 0);
	ck_assert_int_gt(all.amount[1][SLA_UNIT_POINTS], 0);
	ck_assert_int_eq(all.amount[0][SLA_UNIT_YUAN], 200);
	ck_assert_int_eq(all.range[0][0], 50);
	ck_assert_int_eq(all.range[0][1], 500);
	ck_assert_int_eq(all.range[1][0], 100);
	ck_assert_int_eq(all.range[1][1], 1000);
	ck_assert_int_gt(all.warnings, 0);

	ck_assert_uint_eq(drain(rows, 8), 6);
	for (i = 0; i < 6; i++) {
		char key[256];

		snprintf(key, sizeof(key), "digest:2026-09:%s%s",
			 kinds[i] == DIGEST_TEAM ? "team:" : kinds[i] == DIGEST_HR ? "hr" : "agent:",
			 who[i] != NULL ? who[i] : "");
		ck_assert_str_eq(rows[i].key, key);
		units_check(l, kinds[i], who[i], &rows[i], header);
	}

	/* nobody's row in the mail's language, in every part */
	ck_assert_int_eq(digest_render(f.conf, &f.mconf, f.cal, &f.res, "2026-09", DIGEST_HR,
				       NULL, &doc, &error), 0);
	ck_assert_ptr_nonnull(strstr(doc.text, l->unassigned));
	ck_assert_ptr_nonnull(strstr(doc.html, l->unassigned));
	ck_assert_ptr_nonnull(strstr(doc.csv, l->unassigned));
	if (_i == 1) {
		ck_assert_ptr_null(strstr(doc.text, "(unassigned)"));
		ck_assert_ptr_null(strstr(doc.html, "(unassigned)"));
		ck_assert_ptr_null(strstr(doc.csv, "(unassigned)"));
		/* a BOM, so Excel reads the Chinese header as UTF-8 */
		ck_assert(strncmp(doc.csv, "\xef\xbb\xbf", 3) == 0);
		ck_assert_ptr_nonnull(strstr(doc.text, "-(50\xe2\x80\x93" "500) 元（审批时确定）"));
		ck_assert_ptr_nonnull(strstr(doc.text, "+(100\xe2\x80\x93" "1000) 元（审批时确定）"));
		ck_assert_ptr_nonnull(strstr(doc.text, "(已驳回)"));
	} else {
		ck_assert(strncmp(doc.csv, "agent,", 6) == 0);
		ck_assert_ptr_nonnull(strstr(doc.text,
			"-(50\xe2\x80\x93" "500) yuan (to be fixed on approval)"));
		ck_assert_ptr_nonnull(strstr(doc.text, "  -200 yuan\n"));
		ck_assert_ptr_nonnull(strstr(doc.text, "  -1 point\n"));
		ck_assert_ptr_nonnull(strstr(doc.text, "(rejected)"));
	}
	dump(_i == 0 ? "units-hr-en" : "units-hr-zh", &doc);
	digest_doc_clear(&doc);
}
END_TEST


#define HEAD "head@hdjs.example.cn"
/* Ten tickets opened 20 s apart: their first-response deadlines fall in
   one 5-minute interval, 10:30:00 to 10:33:00. */
#define BURST CN(2026, 11, 20, 10, 0)
#define BURST_WINDOW_END CN(2026, 11, 20, 10, 35)

static char burst_ids[12][16];

static void
burst_events(size_t count, bool resolve_first)
{
	size_t i;

	f.count = 0;
	for (i = 0; i < count; i++) {
		int64_t t = BURST + (int64_t)i * 20;

		snprintf(burst_ids[i], sizeof(burst_ids[i]), "#20%02zu", i + 1);
		add(burst_ids[i], t, "customer", EVENT_CUSTOMER_MESSAGE);
		add(burst_ids[i], t + M, i % 2 == 0 ? WANG : LI, EVENT_ASSIGN);
		if (i == 0 && resolve_first)
			add(burst_ids[i], t + 3 * H, WANG, EVENT_RESOLVED);
	}
	/* A ticket whose id is a customer's Message-ID, in the same burst. */
	add(CUSTOMER_TICKET, BURST + 15, "customer", EVENT_CUSTOMER_MESSAGE);
	add(CUSTOMER_TICKET, BURST + 75, WANG, EVENT_ASSIGN);
}

static void
evaluate(int64_t now)
{
	const char *error = NULL;

	sla_result_clear(&f.res);
	memset(&f.res, 0, sizeof(f.res));
	/* sla_evaluate_events wants the events sorted by ticket, then time. */
	{
		size_t i, j;

		for (i = 1; i < f.count; i++)
			for (j = i; j > 0; j--) {
				int c = strcmp(f.ev[j - 1].ticket, f.ev[j].ticket);
				struct event tmp;

				if (c < 0 || (c == 0 && f.ev[j - 1].time <= f.ev[j].time))
					break;
				tmp = f.ev[j - 1];
				f.ev[j - 1] = f.ev[j];
				f.ev[j] = tmp;
			}
	}
	if (sla_evaluate_events(f.conf, f.cal, f.ev, f.count, now, &f.res, &error) < 0)
		ck_abort_msg("sla_evaluate_events: %s", error);
}

static size_t
tick(int64_t now)
{
	const char *error = NULL;
	size_t mails = 0;

	if (alert_tick(f.conf, &f.mconf, f.cal, f.store, &f.res, now, &mails, &error) < 0)
		ck_abort_msg("alert_tick: %s", error);
	return mails;
}

static const char *ignored_error;
#define NULL_ERROR (&ignored_error)

/* 10 breaches within 5 minutes for one lead: one mail listing all 10. */
START_TEST(test_alert_grouped)
{
	struct outbox_row rows[4];
	char key[128];
	size_t i;

	ck_assert_int_eq(mailer_conf_key(&f.mconf, "ticket_url",
					 "https://rt.example/Ticket/Display.html?id=%s", NULL_ERROR), 0);
	open_store();
	burst_events(10, false);
	evaluate(BURST_WINDOW_END - 60);
	/* The interval is not over yet: nothing goes. */
	ck_assert_uint_eq(tick(BURST_WINDOW_END - 60), 0);
	evaluate(BURST_WINDOW_END + 10);
	ck_assert_uint_eq(tick(BURST_WINDOW_END + 10), 1);
	ck_assert_uint_eq(drain(rows, 4), 1);
	snprintf(key, sizeof(key), "alert:" LEAD1 ":%lld", (long long)BURST_WINDOW_END);
	ck_assert_str_eq(rows[0].key, key);
	ck_assert_str_eq(rows[0].rcpt, LEAD1);
	ck_assert_str_eq(rows[0].subject, "[slaclock] SLA breach alert: 11 tickets");
	for (i = 0; i < 10; i++)
		ck_assert_msg(strstr(rows[0].text, burst_ids[i]) != NULL, "%s not listed", burst_ids[i]);
	ck_assert_ptr_nonnull(strstr(rows[0].text, "S14.1"));
	ck_assert_ptr_nonnull(strstr(rows[0].text, "2026-11-20 10:30"));
	ck_assert_ptr_nonnull(strstr(rows[0].text, "https://rt.example/Ticket/Display.html?id=2003"));
	ck_assert_ptr_null(strstr(rows[0].text, CUSTOMER_DOMAIN));
	ck_assert_ptr_nonnull(strstr(rows[0].text, "CAxyz123@\xe2\x80\xa6"));
	/* Again, later, and after a "restart": nothing twice. */
	ck_assert_uint_eq(tick(BURST_WINDOW_END + 20), 0);
	evaluate(BURST_WINDOW_END + 400);
	ck_assert_uint_eq(tick(BURST_WINDOW_END + 400), 0);
	ck_assert_uint_eq(drain(rows, 4), 0);
}
END_TEST

/* A breach learnt of late (its mail arrived after the interval's alert was
   queued) is alerted once, in a mail of its own in the next slot. */
START_TEST(test_alert_late_breach)
{
	struct outbox_row rows[4];
	char key[128];

	open_store();
	burst_events(10, false);
	evaluate(BURST_WINDOW_END + 10);
	ck_assert_uint_eq(tick(BURST_WINDOW_END + 10), 1);
	burst_events(11, false);
	evaluate(BURST_WINDOW_END + 20);
	ck_assert_uint_eq(tick(BURST_WINDOW_END + 20), 1);
	ck_assert_uint_eq(tick(BURST_WINDOW_END + 30), 0);
	/* The second mail waits for the next interval. */
	ck_assert_uint_eq(drain(rows, 4), 2);
	snprintf(key, sizeof(key), "alert:" LEAD1 ":%lld", (long long)BURST_WINDOW_END + 300);
	ck_assert_str_eq(rows[1].key, key);
	ck_assert_ptr_nonnull(strstr(rows[1].text, "#2011"));
	ck_assert_str_eq(rows[1].subject, "[slaclock] SLA breach alert: 1 ticket");
	ck_assert_ptr_null(strstr(rows[1].text, "#2010"));
}
END_TEST

START_TEST(test_alert_escalation)
{
	struct outbox_row rows[4];
	const char *error = NULL;
	int64_t later = BURST_WINDOW_END + 24 * H + 10;

	ck_assert_int_eq(mailer_conf_key(&f.mconf, "escalate2", "24h " HEAD, &error), 0);
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "language", "zh", &error), 0);
	/* The head reads English, the lead the default, Chinese. */
	ck_assert_int_eq(mailer_conf_key(&f.mconf, "recipient_language", HEAD " en", &error), 0);
	open_store();
	burst_events(10, true);
	evaluate(BURST_WINDOW_END + 10);
	ck_assert_uint_eq(tick(BURST_WINDOW_END + 10), 1);
	ck_assert_uint_eq(drain(rows, 4), 1);
	ck_assert_str_eq(rows[0].subject, "【slaclock】SLA 超时提醒：11 张工单");
	evaluate(later);
	/* The escalation to the head, and to the lead the breaches of the
	   24 h clocks that have just come due. */
	ck_assert_uint_eq(tick(later), 2);
	ck_assert_uint_eq(drain(rows, 4), 2);
	if (strcmp(rows[0].rcpt, HEAD) != 0) {
		rows[2] = rows[0];
		rows[0] = rows[1];
		rows[1] = rows[2];
	}
	ck_assert_str_eq(rows[1].rcpt, LEAD1);
	ck_assert_ptr_nonnull(strstr(rows[1].text, "S14.2p"));
	ck_assert_str_eq(rows[0].rcpt, HEAD);
	/* #2001 was resolved within the day: not escalated. The others are
	   (each ticket's three clocks have missed by then: first response
	   and, from 24 h, the preliminary solution). */
	ck_assert_str_eq(rows[0].subject, "[slaclock] SLA escalation: 10 tickets still open");
	ck_assert_ptr_nonnull(strstr(rows[1].subject, "【slaclock】SLA 超时提醒："));
	ck_assert_ptr_null(strstr(rows[0].text, "#2001 "));
	ck_assert_ptr_nonnull(strstr(rows[0].text, "#2002"));
	ck_assert_ptr_nonnull(strstr(rows[0].text, "L2"));
	ck_assert_uint_eq(tick(later + 600), 0);
}
END_TEST

/* A first start on a store with old breaches mails none of them. */
START_TEST(test_alert_max_age)
{
	int64_t much_later = BURST_WINDOW_END + 30 * 86400;

	open_store();
	burst_events(10, false);
	evaluate(much_later);
	/* The 24 h and 72 h clocks missed too, but all over 7 days ago. */
	ck_assert_uint_eq(tick(much_later), 0);
	ck_assert_int_eq(alert_next_tick(&f.mconf, BURST_WINDOW_END + 10), BURST_WINDOW_END + 300);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");
#ifdef ENABLE_NLS
	const bool nls = true;
#else
	const bool nls = false;
#endif

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_csv_equals_report);
	tcase_add_test(tc, test_html_numbers);
	tcase_add_test(tc, test_privacy);
	/* Chinese needs the catalogues (configure --disable-nls: English). */
	if (nls) {
		tcase_add_test(tc, test_chinese);
		tcase_add_test(tc, test_language_per_recipient);
		tcase_add_test(tc, test_language_fallback);
		tcase_add_test(tc, test_queue_once);
	}
	tcase_add_test(tc, test_due_month);
	tcase_add_test(tc, test_tick_once);
	tcase_add_test(tc, test_weekly_once);
	tcase_add_test(tc, test_ticket_shown);
	suite_add_tcase(s, tc);
	/* a real store, the CLI's report: a case of its own, with time */
	tc = tcase_create("units");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_units, 0, nls ? 2 : 1);
	suite_add_tcase(s, tc);
	tc = tcase_create("alert");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alert_grouped);
	tcase_add_test(tc, test_alert_late_breach);
	if (nls)
		tcase_add_test(tc, test_alert_escalation);
	tcase_add_test(tc, test_alert_max_age);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
