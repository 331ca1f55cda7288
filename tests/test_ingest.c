/* ingest: from a Maildir to events, the rules of plugin/ingest.h. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "ingest.h"
#include "store.h"
#include "testutil.h"

static char *dir;
static struct conf *conf;
static struct store *store;

static void
setup(void)
{
	static const char text[] =
		"[team one]\nagents = agent@hd.example\ndefault_agent = agent@hd.example\n";
	const char *error;
	char *errors = NULL, *path;

	dir = testutil_tmpdir();
	ck_assert_msg(conf_load_buffer("t.conf", text, sizeof(text) - 1, &conf, &errors) == 0,
		      "%s", errors);
	ck_assert(asprintf(&path, "%s/db", dir) > 0);
	ck_assert_msg(store_open("sqlite", path, &store, &error) == 0, "%s", error);
	free(path);
	ck_assert(asprintf(&path, "%s/md", dir) > 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	ck_assert(asprintf(&path, "%s/md/cur", dir) > 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	ck_assert(asprintf(&path, "%s/md/.Sent", dir) > 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	ck_assert(asprintf(&path, "%s/md/.Sent/cur", dir) > 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
}

static void
teardown(void)
{
	store_close(&store);
	conf_free(&conf);
	testutil_rmtree(dir);
	free(dir);
}

static void
put(const char *sub, const char *name, const char *text)
{
	char *path;

	ck_assert(asprintf(&path, "%s/md/%s/%s", dir, sub, name) > 0);
	ck_assert_int_eq(testutil_write_file(path, text, strlen(text)), 0);
	free(path);
}

struct tally {
	int kinds[EVENT_KIND_COUNT];
	int64_t first_time;
	char ticket[256];
	bool one_ticket;
	char assigned[64];
	char priority[64];
};

static int
tally_cb(void *ctx, const struct event *ev)
{
	struct tally *t = ctx;

	t->kinds[ev->kind]++;
	if (t->first_time == 0 || ev->time < t->first_time)
		t->first_time = ev->time;
	if (t->ticket[0] == '\0')
		snprintf(t->ticket, sizeof(t->ticket), "%s", ev->ticket);
	else if (strcmp(t->ticket, ev->ticket) != 0)
		t->one_ticket = false;
	if (ev->kind == EVENT_ASSIGN)
		snprintf(t->assigned, sizeof(t->assigned), "%s", ev->actor);
	if (ev->kind == EVENT_PRIORITY && ev->attrs != NULL)
		snprintf(t->priority, sizeof(t->priority), "%s", ev->attrs);
	return 0;
}

static struct tally
tally(void)
{
	struct tally t;
	const char *error;

	memset(&t, 0, sizeof(t));
	t.one_ticket = true;
	ck_assert_int_eq(store_events_foreach(store, tally_cb, &t, &error), 0);
	return t;
}

START_TEST(maildir_time)
{
	ck_assert_int_eq(ingest_maildir_time("1793581925.M1P4001.demo:2,S"), 1793581925);
	ck_assert_int_eq(ingest_maildir_time("1793581925"), 1793581925);
	ck_assert_int_eq(ingest_maildir_time("msg.1793581925"), -1);
	ck_assert_int_eq(ingest_maildir_time("17935x.M1"), -1);
	ck_assert_int_eq(ingest_maildir_time("99999999999999999999999.M1"), -1);
	ck_assert_int_eq(ingest_maildir_time(""), -1);
}
END_TEST

/* A GBK complaint, an auto-reply, an agent reply that quotes a marker, a
   reply with a real marker, and slaclock's own alert. */
START_TEST(thread_to_events)
{
	struct ingest_stats stats = { 0 };
	const char *error;
	struct tally t;

	put("cur", "1793584800.M1P1.h:2,S",
	    "From: =?GBK?B?1cXI/Q==?= <zhang@customer.example>\r\n"
	    "To: service@hd.example\r\n"
	    "Subject: =?GBK?B?vrvLrsb3wqnLrg==?=\r\n"
	    "Message-ID: <c1@customer.example>\r\n"
	    "Date: Sun, 01 Nov 2026 00:00:00 +0000\r\n"
	    "X-Assigned-To: Agent <Agent@HD.example>\r\n"
	    "X-Ticket-Priority: high\r\n"
	    "Content-Type: text/plain; charset=GBK\r\n\r\n"
	    "\xc4\xfa\xba\xc3\r\n");
	put("cur", "1793584860.M2P1.h:2,S",
	    "From: zhang@customer.example\r\n"
	    "To: service@hd.example\r\n"
	    "Subject: =?UTF-8?B?6Ieq5Yqo5Zue5aSN?=\r\n"
	    "Message-ID: <auto1@customer.example>\r\n"
	    "In-Reply-To: <c1@customer.example>\r\n"
	    "Auto-Submitted: auto-replied\r\n\r\n"
	    "\xe6\x82\xa8\xe5\xa5\xbd,\xe6\x82\xa8\xe7\x9a\x84\xe9\x82\xae\xe4\xbb\xb6\xe5\xb7\xb2\xe6\x94\xb6\xe5\x88\xb0\r\n");
	put(".Sent/cur", "1793586000.M3P1.h:2,S",
	    "From: agent@hd.example\r\n"
	    "To: zhang@customer.example\r\n"
	    "Subject: Re: x\r\n"
	    "Message-ID: <a1@hd.example>\r\n"
	    "In-Reply-To: <c1@customer.example>\r\n"
	    "References: <c1@customer.example>\r\n\r\n"
	    "We are looking into it.\r\n\r\n"
	    "On Mon, 2 Nov 2026, zhang <zhang@customer.example> wrote:\r\n"
	    "> #preliminary please\r\n");
	put(".Sent/cur", "1793590000.M4P1.h:2,S",
	    "From: agent@hd.example\r\n"
	    "To: zhang@customer.example\r\n"
	    "Subject: Re: x\r\n"
	    "Message-ID: <a2@hd.example>\r\n"
	    "References: <c1@customer.example> <a1@hd.example>\r\n\r\n"
	    "#preliminary: replace the filter.\r\n");
	put("cur", "1793590100.M5P1.h:2,S",
	    "From: slaclock@hd.example\r\n"
	    "To: lead@hd.example\r\n"
	    "Subject: breach\r\n"
	    "Message-ID: <own@hd.example>\r\n"
	    "X-Slaclock-Id: alert:lead:1\r\n\r\n"
	    "S14.1 missed\r\n");

	/* The parent is no Maildir: a clear error, not an empty mailbox. */
	ck_assert_int_eq(ingest_maildir(conf, store, dir, &stats, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "not a Maildir"));
	memset(&stats, 0, sizeof(stats));
	{
		char *md;

		ck_assert(asprintf(&md, "%s/md", dir) > 0);
		ck_assert_msg(ingest_maildir(conf, store, md, &stats, &error) == 0, "%s", error);
		ck_assert_uint_eq(stats.files, 5);
		ck_assert_uint_eq(stats.failed, 0);
		t = tally();
		ck_assert_int_eq(t.kinds[EVENT_CUSTOMER_MESSAGE], 1);
		ck_assert_int_eq(t.kinds[EVENT_AUTO_REPLY], 1);
		ck_assert_int_eq(t.kinds[EVENT_AGENT_REPLY], 2);
		ck_assert_int_eq(t.kinds[EVENT_PRELIMINARY], 1);   /* the quoted one does not count */
		ck_assert_int_eq(t.kinds[EVENT_ASSIGN], 1);
		ck_assert_int_eq(t.kinds[EVENT_PRIORITY], 1);
		ck_assert_int_eq(t.kinds[EVENT_RESOLVED], 0);
		ck_assert_msg(t.one_ticket, "all on one ticket");
		ck_assert_str_eq(t.ticket, "c1@customer.example");
		ck_assert_str_eq(t.assigned, "agent@hd.example");
		ck_assert_str_eq(t.priority, "{\"priority\":\"high\"}");
		/* delivery time from the file name, not the Date header */
		ck_assert_int_eq(t.first_time, 1793584800);

		/* the second time adds nothing */
		memset(&stats, 0, sizeof(stats));
		ck_assert_int_eq(ingest_maildir(conf, store, md, &stats, &error), 0);
		ck_assert_uint_eq(stats.events, 0);
		ck_assert_uint_gt(stats.duplicates, 0);
		free(md);
	}
}
END_TEST

/* A message without a Message-ID is keyed by the digest of its bytes, so
   it too is stored once however often it is ingested. */
START_TEST(no_message_id)
{
	struct ingest_stats stats = { 0 };
	const char *error;
	int64_t count = 0;
	char *md;

	put("cur", "1793584800.M1P1.h:2,S",
	    "From: someone@customer.example\r\nSubject: help\r\n\r\nbody\r\n");
	put("cur", "1793584900.M2P1.h:2,S",
	    "From: someone@customer.example\r\nSubject: help\r\n\r\nanother body\r\n");
	ck_assert(asprintf(&md, "%s/md", dir) > 0);
	ck_assert_int_eq(ingest_maildir(conf, store, md, &stats, &error), 0);
	ck_assert_int_eq(ingest_maildir(conf, store, md, &stats, &error), 0);
	ck_assert_int_eq(store_event_count(store, &count, &error), 0);
	ck_assert_int_eq(count, 2);
	ck_assert_uint_eq(stats.events, 2);
	ck_assert_uint_eq(stats.duplicates, 2);
	free(md);
}
END_TEST

struct tickets_cb {
	char tickets[8][128];
	int n;
};

static int
tickets_cb(void *ctx, const struct event *ev)
{
	struct tickets_cb *t = ctx;
	int i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->tickets[i], ev->ticket) == 0)
			return 0;
	if (t->n < 8)
		snprintf(t->tickets[t->n++], sizeof(t->tickets[0]), "%s", ev->ticket);
	return 0;
}

/* Mail that names no earlier message joins the ticket of the same
   customer's same subject (Re:/回复： stripped) within a week: the
   customer writing again, and an agent answering from webmail. Another
   customer, or the same subject weeks later, is a new ticket. */
START_TEST(subject_threading)
{
	struct ingest_stats stats = { 0 };
	struct tickets_cb t = { .n = 0 };
	const char *error;
	char *md;

	put("cur", "1793584800.M1P1.h:2,S",
	    "From: zhang@customer.example\r\nTo: service@hd.example\r\n"
	    "Subject: =?UTF-8?B?5YeA5rC05Zmo5ryP5rC0?=\r\nMessage-ID: <s1@c>\r\n\r\nleaks\r\n");
	put("cur", "1793588400.M2P1.h:2,S",
	    "From: zhang@customer.example\r\nTo: service@hd.example\r\n"
	    "Subject: =?UTF-8?B?5Zue5aSN77ya5YeA5rC05Zmo5ryP5rC0?=\r\nMessage-ID: <s2@c>\r\n\r\nstill\r\n");
	put(".Sent/cur", "1793590000.M3P1.h:2,S",
	    "From: agent@hd.example\r\nTo: zhang@customer.example\r\n"
	    "Subject: Re: =?UTF-8?B?5YeA5rC05Zmo5ryP5rC0?=\r\nMessage-ID: <s3@hd>\r\n\r\non it\r\n");
	put("cur", "1793591000.M4P1.h:2,S",
	    "From: li@other.example\r\nTo: service@hd.example\r\n"
	    "Subject: =?UTF-8?B?5YeA5rC05Zmo5ryP5rC0?=\r\nMessage-ID: <s4@c>\r\n\r\nmine too\r\n");
	/* 20 days later: the same words start a new ticket */
	put("cur", "1795312800.M5P1.h:2,S",
	    "From: zhang@customer.example\r\nTo: service@hd.example\r\n"
	    "Subject: =?UTF-8?B?5YeA5rC05Zmo5ryP5rC0?=\r\nMessage-ID: <s5@c>\r\n\r\nagain\r\n");
	ck_assert(asprintf(&md, "%s/md", dir) > 0);
	ck_assert_msg(ingest_maildir(conf, store, md, &stats, &error) == 0, "%s", error);
	ck_assert_int_eq(store_events_foreach(store, tickets_cb, &t, &error), 0);
	ck_assert_int_eq(t.n, 3);	/* s1+s2+s3, s4, s5 */
	ck_assert_str_eq(t.tickets[0], "s1@c");
	ck_assert_str_eq(t.tickets[1], "s4@c");
	ck_assert_str_eq(t.tickets[2], "s5@c");
	free(md);
}
END_TEST

struct body_cb {
	int events;
	int64_t times[8];
};

static int
body_cb(void *ctx, const struct event *ev)
{
	struct body_cb *b = ctx;

	if (b->events < 8)
		b->times[b->events] = ev->time;
	b->events++;
	return 0;
}

/* mbox: a "From " line opens a message only at the top or after an empty
   line; ">From " in a body is unquoted; the envelope time orders them. */
START_TEST(mbox_messages)
{
	static const char mbox[] =
		"From a@customer.example Mon Nov  2 02:05:00 2026\n"
		"From: a@customer.example\nMessage-ID: <m2@c>\nSubject: second\n\n"
		"body\nFrom here on it is not a separator\n>From quoted\n\n"
		"From a@customer.example Mon Nov  2 02:00:00 2026\n"
		"From: a@customer.example\nMessage-ID: <m1@c>\nSubject: first\n\nhi\n";
	struct ingest_stats stats = { 0 };
	struct body_cb b = { 0 };
	const char *error;
	char *path;

	ck_assert(asprintf(&path, "%s/box", dir) > 0);
	ck_assert_int_eq(testutil_write_file(path, mbox, sizeof(mbox) - 1), 0);
	ck_assert_msg(ingest_mbox(conf, store, path, &stats, &error) == 0, "%s", error);
	ck_assert_uint_eq(stats.files, 2);
	ck_assert_uint_eq(stats.events, 2);
	ck_assert_int_eq(store_events_foreach(store, body_cb, &b, &error), 0);
	ck_assert_int_eq(b.events, 2);
	/* two tickets: ordered by ticket key, each at its envelope time */
	ck_assert_int_eq(b.times[0], 1793584800);   /* m1: 2026-11-02 02:00:00Z */
	ck_assert_int_eq(b.times[1], 1793585100);   /* m2: 02:05:00Z */
	/* again: nothing new */
	memset(&stats, 0, sizeof(stats));
	ck_assert_int_eq(ingest_mbox(conf, store, path, &stats, &error), 0);
	ck_assert_uint_eq(stats.events, 0);
	ck_assert_uint_eq(stats.duplicates, 2);
	free(path);
}
END_TEST

START_TEST(mbox_refused)
{
	struct ingest_stats stats = { 0 };
	const char *error = NULL;
	char *path;

	ck_assert(asprintf(&path, "%s/notmbox", dir) > 0);
	ck_assert_int_eq(testutil_write_file(path, "Subject: x\n\nbody\n", 17), 0);
	ck_assert_int_eq(ingest_mbox(conf, store, path, &stats, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "not an mbox"));
	free(path);
	ck_assert(asprintf(&path, "%s/missing", dir) > 0);
	ck_assert_int_eq(ingest_mbox(conf, store, path, &stats, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "No such file"));
	free(path);
}
END_TEST

/* Events in store order (ids) must be in delivery order, whatever order
   the parse threads finish in. */
struct order {
	int64_t last_time;
	int64_t last_id;
	bool ordered;
	int count;
};

static int
order_cb(void *ctx, const struct event *ev)
{
	struct order *o = ctx;

	if (ev->id <= o->last_id || ev->time < o->last_time)
		o->ordered = false;
	o->last_id = ev->id;
	o->last_time = ev->time;
	o->count++;
	return 0;
}

/* A chain of replies, each naming only the one before it, through many
   more messages than the parse threads run ahead: every message finds its
   parent's ticket only when they are stored in delivery order. */
START_TEST(long_chain_in_order)
{
	enum { N = 1200 };
	struct ingest_stats stats = { 0 };
	struct order o = { 0, 0, true, 0 };
	const char *error;
	char name[64], text[512], *md;
	struct tally t;
	int i;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%d.M%dP1.h:2,S", 1793584800 + i * 60, i);
		if (i == 0)
			snprintf(text, sizeof(text),
				 "From: c@customer.example\r\nSubject: chain\r\n"
				 "Message-ID: <m0@x>\r\n\r\nhelp\r\n");
		else
			snprintf(text, sizeof(text),
				 "From: %s\r\nSubject: Re: chain %d\r\n"
				 "Message-ID: <m%d@x>\r\nIn-Reply-To: <m%d@x>\r\n\r\nmore %d\r\n",
				 i % 2 ? "agent@hd.example" : "c@customer.example", i, i, i - 1, i);
		put("cur", name, text);
	}
	ck_assert(asprintf(&md, "%s/md", dir) > 0);
	ck_assert_msg(ingest_maildir(conf, store, md, &stats, &error) == 0, "%s", error);
	ck_assert_uint_eq(stats.files, N);
	ck_assert_uint_eq(stats.failed, 0);
	t = tally();
	ck_assert(t.one_ticket);
	ck_assert_int_eq(t.kinds[EVENT_CUSTOMER_MESSAGE] + t.kinds[EVENT_AGENT_REPLY], N);
	ck_assert_int_eq(store_events_foreach(store, order_cb, &o, &error), 0);
	ck_assert_int_eq(o.count, N);
	ck_assert(o.ordered);
	/* Again: nothing new. */
	memset(&stats, 0, sizeof(stats));
	ck_assert_msg(ingest_maildir(conf, store, md, &stats, &error) == 0, "%s", error);
	ck_assert_uint_eq(stats.events, 0);
	ck_assert_uint_eq(stats.duplicates, N);
	free(md);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("maildir");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, maildir_time);
	tcase_add_test(tc, thread_to_events);
	tcase_add_test(tc, no_message_id);
	tcase_add_test(tc, mbox_messages);
	tcase_add_test(tc, mbox_refused);
	tcase_add_test(tc, subject_threading);
	tcase_add_test(tc, long_chain_in_order);
	suite_add_tcase(s, tc);
	return testutil_run(s);
}
