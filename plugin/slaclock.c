/* slaclock - the command-line tool: check, ingest, report, recompute,
 * explain, demo. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "cmd_policy.h"
#include "conf.h"
#include "ingest.h"
#include "log.h"
#include "mail_json.h"
#include "report.h"
#include "settings.h"
#include "thread.h"
#include "sla.h"
#include "store.h"

#define SLACLOCK_DEFAULT_CONF SLACLOCK_SYSCONFDIR "/slaclock/slaclock.conf"
#define SLACLOCK_DEMO_MONTH "2026-11"

/* Exit codes: sysexits-style, so scripts can tell usage from data errors. */
#define EXIT_USAGE 64
#define EXIT_DATA 65
#define EXIT_CONFIG 78

struct ctx {
	struct conf *conf;
	struct calendar *cal;
	struct store *store;
	const char *agent, *team;  /* report filters */
};

static void
ctx_close(struct ctx *c)
{
	store_close(&c->store);
	calendar_free(&c->cal);
	conf_free(&c->conf);
}

/* Load the config, its calendar and (when OPEN_STORE) its store. */
static int
ctx_open(struct ctx *c, const char *path, bool open_store)
{
	const char *error;
	char *errors = NULL;

	memset(c, 0, sizeof(*c));
	if (conf_load(path, &c->conf, &errors) < 0) {
		fputs(errors != NULL ? errors : "cannot load config\n", stderr);
		if (errors != NULL && errors[0] != '\0' &&
		    errors[strlen(errors) - 1] != '\n')
			fputc('\n', stderr);
		free(errors);
		return EXIT_CONFIG;
	}
	if (calendar_new(&c->conf->calendar, &c->cal, &error) < 0) {
		fprintf(stderr, "%s: calendar: %s\n", path, error);
		ctx_close(c);
		return EXIT_CONFIG;
	}
	if (open_store && store_open(c->conf->store_backend, c->conf->store_path,
				     &c->store, &error) < 0) {
		fprintf(stderr, "slaclock: store %s: %s\n", c->conf->store_path, error);
		ctx_close(c);
		return EXIT_FAILURE;
	}
	return 0;
}

static int
cmd_recompute_and_report(struct ctx *c, const char *month, enum report_format format,
			 bool persist, bool print)
{
	struct sla_result result;
	const char *error;
	int64_t now = (int64_t)time(NULL);
	struct report_opts opts = { .period = month, .agent = c->agent, .team = c->team,
				    .format = format, .now = now };
	char stamp[128];
	bool stamped = report_cache_stamp(c->conf, c->store, stamp, sizeof(stamp)) == 0;
	int ret = EXIT_FAILURE;

	/* the month's tallies as the last evaluation left them, while they hold */
	if (print && !persist && stamped &&
	    report_cache_render(c->conf, c->cal, c->store, stamp, &opts, stdout) == 1)
		return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	if (sla_evaluate(c->conf, c->cal, c->store, now, &result, &error) < 0) {
		fprintf(stderr, "slaclock: evaluate: %s\n", error);
		return EXIT_FAILURE;
	}
	if (persist && sla_persist(c->store, c->cal, &result, &error) < 0) {
		fprintf(stderr, "slaclock: recompute: %s\n", error);
		goto out;
	}
	if (stamped)
		report_cache_update(c->conf, c->cal, c->store, &result, stamp, now);
	if (print && report_render_opts(c->conf, c->cal, &result, &opts, stdout, &error) < 0) {
		fprintf(stderr, "slaclock: report: %s\n", error);
		ret = EXIT_USAGE;
		goto out;
	}
	ret = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
out:
	sla_result_clear(&result);
	return ret;
}

/* Ingest a Maildir, or an mbox file when MBOX, then recompute. */
static int
do_ingest(struct ctx *c, const char *maildir, bool mbox, bool quiet)
{
	struct ingest_stats stats = { 0 };
	const char *error;
	int ret;

	if ((mbox ? ingest_mbox(c->conf, c->store, maildir, &stats, &error) :
	     ingest_maildir(c->conf, c->store, maildir, &stats, &error)) < 0) {
		fprintf(stderr, "slaclock: ingest %s: %s\n", maildir, error);
		return EXIT_FAILURE;
	}
	if (!quiet)
		fprintf(stderr, "slaclock: %s: %llu messages, %llu new events, "
			"%llu already stored, %llu unreadable\n", maildir,
			(unsigned long long)stats.files, (unsigned long long)stats.events,
			(unsigned long long)stats.duplicates,
			(unsigned long long)stats.failed);
	/* The recompute rewrites a breach and proposal row or more per
	   ticket: as much a bulk load as the ingest was. */
	if (store_bulk(c->store, STORE_BULK_LOAD, &error) < 0) {
		fprintf(stderr, "slaclock: recompute: %s\n", error);
		return EXIT_FAILURE;
	}
	ret = cmd_recompute_and_report(c, NULL, REPORT_TEXT, true, false);
	if (store_bulk(c->store, STORE_BULK_OFF, &error) < 0) {
		fprintf(stderr, "slaclock: recompute: %s\n", error);
		ret = EXIT_FAILURE;
	}
	if (ret == EXIT_SUCCESS && stats.failed > 0)
		ret = EXIT_DATA;
	return ret;
}

static void
usage(FILE *out)
{
	fputs("usage: slaclock check [-c FILE]\n"
	      "       slaclock ingest [-c FILE] --maildir DIR | --mbox FILE\n"
	      "       slaclock report [-c FILE] --month YYYY-MM [--format text|csv|json]\n"
	      "       slaclock report [-c FILE] --quarter YYYY-Qn | --year YYYY [--agent A] [--team T]\n"
	      "       slaclock report [-c FILE] --week YYYY-Www (G20 weekly report, due Saturday)\n"
	      "       slaclock recompute [-c FILE]\n"
	      "       slaclock explain [-c FILE] TICKET\n"
	      "       slaclock status [-c FILE]\n"
	      "       slaclock review|approve|execute|reject [-c FILE] ID --by NAME [--note TEXT]\n"
	      "       slaclock approve [-c FILE] ID --amount N --by NAME (a range proposal: S1 yuan)\n"
	      "       slaclock notify|appeal [-c FILE] ID --by NAME [--note TEXT]\n"
	      "       slaclock training-missed [-c FILE] AGENT --by NAME [--note TEXT]\n"
	      "       slaclock praise [-c FILE] AGENT --by NAME [--note TEXT] (S15)\n"
	      "       slaclock parse [-c FILE] MESSAGE-FILE...\n"
	      "       slaclock demo [--dir DIR] [--examples DIR] [--month YYYY-MM] [--format F]\n"
	      "       slaclock --version\n"
	      "The default FILE is " SLACLOCK_DEFAULT_CONF ".\n", out);
}

enum { OPT_MBOX = 300, OPT_MAILDIR = 256, OPT_MONTH, OPT_FORMAT, OPT_DIR, OPT_EXAMPLES,
       OPT_QUARTER, OPT_YEAR, OPT_AGENT, OPT_TEAM, OPT_BY, OPT_NOTE, OPT_WEEK, OPT_AMOUNT };

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "maildir", required_argument, NULL, OPT_MAILDIR },
	{ "mbox", required_argument, NULL, OPT_MBOX },
	{ "month", required_argument, NULL, OPT_MONTH },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "examples", required_argument, NULL, OPT_EXAMPLES },
	{ "quarter", required_argument, NULL, OPT_QUARTER },
	{ "year", required_argument, NULL, OPT_YEAR },
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ "team", required_argument, NULL, OPT_TEAM },
	{ "by", required_argument, NULL, OPT_BY },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "week", required_argument, NULL, OPT_WEEK },
	{ "amount", required_argument, NULL, OPT_AMOUNT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *config;
	const char *maildir;
	const char *mbox;
	const char *month;
	const char *dir;
	const char *examples;
	enum report_format format;
	bool quiet;
	const char *agent, *team, *by, *note;
	int amount;                /* --amount, -1 when not given */
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	int ch;

	memset(a, 0, sizeof(*a));
	a->config = SLACLOCK_DEFAULT_CONF;
	a->amount = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:qh", long_options, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case OPT_MAILDIR:
			a->maildir = optarg;
			break;
		case OPT_MBOX:
			a->mbox = optarg;
			break;
		case OPT_MONTH:
			a->month = optarg;
			break;
		case OPT_FORMAT:
			if (report_format_from_name(optarg, &a->format) < 0) {
				fprintf(stderr, "slaclock: unknown format '%s' (text, csv, json)\n",
					optarg);
				return -1;
			}
			break;
		case OPT_DIR:
			a->dir = optarg;
			break;
		case OPT_EXAMPLES:
			a->examples = optarg;
			break;
		case OPT_AMOUNT: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end != '\0' || v > 1000000) {
				fprintf(stderr, "slaclock: bad --amount '%s' (a whole number)\n",
					optarg);
				return -1;
			}
			a->amount = (int)v;
			break;
		}
		case OPT_QUARTER:
		case OPT_WEEK:
		case OPT_YEAR:
			a->month = optarg;	/* a period: report takes all three */
			break;
		case OPT_AGENT:
			a->agent = optarg;
			break;
		case OPT_TEAM:
			a->team = optarg;
			break;
		case OPT_BY:
			a->by = optarg;
			break;
		case OPT_NOTE:
			a->note = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

static int
cmd_check(struct args *a)
{
	struct settings *s = NULL;
	char *errors = NULL;

	if (settings_load(a->config, true, &s, &errors) < 0) {
		fprintf(stderr, "%s\n", errors != NULL ? errors : "cannot load config");
		free(errors);
		return EXIT_CONFIG;
	}
	settings_print(s, stdout);
	settings_free(&s);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
cmd_ingest(struct args *a)
{
	struct ctx c;
	int ret;

	if ((a->maildir == NULL) == (a->mbox == NULL)) {
		fputs("slaclock ingest: give --maildir DIR or --mbox FILE\n", stderr);
		return EXIT_USAGE;
	}
	if ((ret = ctx_open(&c, a->config, true)) != 0)
		return ret;
	ret = do_ingest(&c, a->mbox != NULL ? a->mbox : a->maildir, a->mbox != NULL,
			a->quiet);
	ctx_close(&c);
	return ret;
}

static int
cmd_report(struct args *a, bool persist)
{
	struct ctx c;
	int ret;

	if (!persist && a->month == NULL) {
		fputs("slaclock report: --month YYYY-MM, --quarter YYYY-Qn, --year YYYY or "
		      "--week YYYY-Www is required\n", stderr);
		return EXIT_USAGE;
	}
	if ((ret = ctx_open(&c, a->config, true)) != 0)
		return ret;
	c.agent = a->agent;
	c.team = a->team;
	ret = cmd_recompute_and_report(&c, a->month, a->format, persist, !persist);
	ctx_close(&c);
	return ret;
}

static int
cmd_explain(struct args *a, const char *ticket)
{
	const char *error;
	struct ctx c;
	int ret;

	if ((ret = ctx_open(&c, a->config, true)) != 0)
		return ret;
	ret = cmd_policy_explain(c.conf, c.cal, c.store, ticket, (int64_t)time(NULL),
				 stdout, &error);
	if (ret < 0)
		fprintf(stderr, "slaclock explain: %s\n", error);
	else if (ret > 0)
		fprintf(stderr, "slaclock: no events for ticket '%s'\n", ticket);
	ctx_close(&c);
	return ret < 0 ? EXIT_FAILURE : ret > 0 ? EXIT_DATA : EXIT_SUCCESS;
}

/* review, approve, execute, reject, notify, appeal, training-missed,
   recompute: the policy commands of cmd_policy.h. */
static int
cmd_policy(struct args *a, const char *cmd, const char *arg)
{
	static const struct {
		const char *cmd;
		const char *decision;
	} decisions[] = {
		{ "review", "reviewed" }, { "approve", "approved" },
		{ "execute", "executed" }, { "reject", "rejected" },
	};
	int64_t now = (int64_t)time(NULL);
	const char *error = NULL, *by = a->by;
	struct ctx c;
	size_t i;
	int ret;

	if (by == NULL)
		by = getenv("USER");
	if (arg == NULL && strcmp(cmd, "recompute") != 0) {
		fprintf(stderr, "slaclock %s: %s is required\n", cmd,
			strcmp(cmd, "training-missed") == 0 ||
			strcmp(cmd, "praise") == 0 ? "AGENT" : "ID");
		return EXIT_USAGE;
	}
	if ((ret = ctx_open(&c, a->config, true)) != 0)
		return ret;
	ret = -1;
	for (i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++)
		if (strcmp(cmd, decisions[i].cmd) == 0)
			ret = cmd_policy_decide_amount(c.conf, c.cal, c.store, arg,
						       decisions[i].decision, by, a->note,
						       a->amount, now, stdout, &error);
	if (strcmp(cmd, "notify") == 0 || strcmp(cmd, "appeal") == 0)
		ret = cmd_policy_mark(c.conf, c.cal, c.store, arg,
				      strcmp(cmd, "notify") == 0 ? "notified" : "appeal",
				      by, a->note, now, stdout, &error);
	else if (strcmp(cmd, "training-missed") == 0)
		ret = cmd_policy_training_missed(c.conf, c.cal, c.store, arg, by, a->note,
						 now, stdout, &error);
	else if (strcmp(cmd, "praise") == 0)
		ret = cmd_policy_praise(c.conf, c.cal, c.store, arg, by, a->note, now, stdout,
					&error);
	else if (strcmp(cmd, "recompute") == 0)
		ret = cmd_policy_recompute(c.conf, c.cal, c.store, now, stdout, &error);
	if (ret < 0)
		fprintf(stderr, "slaclock %s: %s\n", cmd, error != NULL ? error : "failed");
	ctx_close(&c);
	return ret < 0 ? EXIT_DATA : EXIT_SUCCESS;
}

/* The thread a message belongs to, from its headers alone: the root of
   References, else In-Reply-To, else a helpdesk tag in the subject, else
   the normalised subject, else its own Message-ID. The store refines this
   with the messages it has seen (see ingest.h). */
static char *
parse_thread_key(const struct mail_msg *msg)
{
	char tag[64], *key = NULL, *subject;

	if (msg->reference_count > 0)
		return strdup(msg->references[0]);
	if (msg->in_reply_to != NULL)
		return strdup(msg->in_reply_to);
	if (msg->subject != NULL && thread_subject_tag(msg->subject, tag, sizeof(tag)) == 1) {
		if (asprintf(&key, "#%s", tag) < 0)
			return NULL;
		return key;
	}
	subject = thread_normalize_subject(msg->subject);
	if (subject != NULL && subject[0] != '\0') {
		if (asprintf(&key, "subject:%s", subject) < 0)
			key = NULL;
		free(subject);
		return key;
	}
	free(subject);
	return msg->message_id != NULL ? strdup(msg->message_id) : NULL;
}

static int
parse_one(const struct conf *conf, const char *path)
{
	const char *extra[] = { conf->policy.assignment_header, "X-Slaclock-Id" };
	struct mail_parse_opts opts = { extra, 2 };
	const char *error = NULL, *role, *kind;
	struct mail_msg msg;
	json_t *obj = NULL;
	char *raw, *json = NULL, *key = NULL;
	size_t len = 0;
	int ret = -1;

	memset(&msg, 0, sizeof(msg));
	if ((raw = ingest_read_file(path, &len, &error)) == NULL) {
		fprintf(stderr, "slaclock parse: %s: %s\n", path, error);
		return -1;
	}
	if (mail_parse(raw, len, &opts, &msg, &error) < 0) {
		fprintf(stderr, "slaclock parse: %s: %s\n", path, error);
		goto out;
	}
	if ((json = mail_msg_to_json(&msg)) == NULL ||
	    (obj = json_loads(json, 0, NULL)) == NULL)
		goto out;
	if (msg.extra_values != NULL && msg.extra_values[1] != NULL)
		role = "system";
	else if (msg.from_addr != NULL && conf_agent_team(conf, msg.from_addr) != NULL)
		role = "agent";
	else
		role = "customer";
	if (msg.auto_kind == MAIL_AUTO_BOUNCE)
		kind = "bounce";
	else if (msg.auto_kind != MAIL_AUTO_NONE)
		kind = "auto_reply";
	else
		kind = strcmp(role, "agent") == 0 ? "agent_reply" :
			strcmp(role, "system") == 0 ? "system" : "customer_message";
	key = parse_thread_key(&msg);
	json_object_set_new(obj, "file", json_string(path));
	json_object_set_new(obj, "thread_key", key != NULL ? json_string(key) : json_null());
	json_object_set_new(obj, "role", json_string(role));
	json_object_set_new(obj, "kind", json_string(kind));
	if (json_dumpf(obj, stdout, JSON_COMPACT) < 0)
		goto out;
	putchar('\n');
	ret = 0;
out:
	json_decref(obj);
	free(json);
	free(key);
	mail_msg_clear(&msg);
	free(raw);
	return ret;
}

static int
cmd_parse(struct args *a, int argc, char **argv, int first)
{
	struct conf *conf = NULL;
	char *errors = NULL;
	const char *error;
	int i, ret = EXIT_SUCCESS;

	if (first >= argc) {
		fputs("slaclock parse: name at least one message file\n", stderr);
		return EXIT_USAGE;
	}
	/* Without a readable config every sender is a customer: parsing is
	   useful before anything is configured. */
	if (access(a->config, R_OK) == 0) {
		if (conf_load(a->config, &conf, &errors) < 0) {
			fputs(errors != NULL ? errors : "cannot load config\n", stderr);
			free(errors);
			return EXIT_CONFIG;
		}
	} else if (conf_defaults(&conf, &error) < 0) {
		fprintf(stderr, "slaclock parse: %s\n", error);
		return EXIT_FAILURE;
	}
	for (i = first; i < argc; i++)
		if (parse_one(conf, argv[i]) < 0)
			ret = EXIT_DATA;
	conf_free(&conf);
	return ret;
}

struct status_clock {
	const struct sla_ticket *ticket;
	enum sla_milestone m;
};

static int
status_cmp(const void *a, const void *b)
{
	const struct status_clock *x = a, *y = b;
	int64_t dx = x->ticket->clocks[x->m].deadline, dy = y->ticket->clocks[y->m].deadline;

	return dx < dy ? -1 : dx > dy ? 1 : strcmp(x->ticket->ticket, y->ticket->ticket);
}

/* What runs now: every open clock, the next deadline first, and whether
   its reminder is already due; then what waits in the outbox. */
static int
cmd_status(struct args *a)
{
	struct status_clock *open = NULL;
	struct sla_result result;
	const char *error;
	int64_t now = (int64_t)time(NULL), depth = 0, events = 0;
	size_t i, n = 0;
	struct ctx c;
	int ret, m;

	if ((ret = ctx_open(&c, a->config, true)) != 0)
		return ret;
	ret = EXIT_FAILURE;
	if (sla_evaluate(c.conf, c.cal, c.store, now, &result, &error) < 0) {
		fprintf(stderr, "slaclock: evaluate: %s\n", error);
		goto out;
	}
	if ((open = calloc(result.ticket_count * SLA_MILESTONE_COUNT + 1, sizeof(*open))) == NULL)
		goto out_result;
	for (i = 0; i < result.ticket_count; i++)
		for (m = 0; m < SLA_MILESTONE_COUNT; m++)
			if (result.tickets[i].clocks[m].state == SLA_PENDING) {
				open[n].ticket = &result.tickets[i];
				open[n].m = (enum sla_milestone)m;
				n++;
			}
	if (n > 1)
		qsort(open, n, sizeof(*open), status_cmp);
	(void)store_event_count(c.store, &events, &error);
	(void)store_outbox_depth(c.store, &depth, &error);
	printf("%lld events, %zu tickets, %zu open clocks, %lld outbox rows waiting\n",
	       (long long)events, result.ticket_count, n, (long long)depth);
	if (n > 0)
		printf("\n%-7s %-19s %-10s %-28s %s\n", "rule", "deadline", "in",
		       "owner", "ticket");
	for (i = 0; i < n; i++) {
		const struct sla_clock *cl = &open[i].ticket->clocks[open[i].m];
		char due[20], left[32];
		int64_t secs = cl->deadline - now;

		calendar_format(c.cal, cl->deadline, due);
		if (cl->paused)
			snprintf(left, sizeof(left), "paused");
		else
			snprintf(left, sizeof(left), "%lldh%02lldm%s", (long long)(secs / 3600),
				 (long long)(secs % 3600 / 60),
				 cl->remind_at > 0 && now >= cl->remind_at ? " !" : "");
		printf("%-7s %-19s %-10s %-28s %s\n", sla_milestone_rule(open[i].m), due,
		       left, cl->agent[0] != '\0' ? cl->agent : "(unassigned)",
		       open[i].ticket->ticket);
	}
	if (n > 0)
		puts("\n(! = past the reminder point: a reminder, not a warning)");
	ret = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	free(open);
out_result:
	sla_result_clear(&result);
out:
	ctx_close(&c);
	return ret;
}

static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = NULL;
	size_t n;
	int ret = -1;

	if (in == NULL || (out = fopen(to, "wb")) == NULL)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			goto out;
	ret = ferror(in) ? -1 : 0;
out:
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		ret = -1;
	return ret;
}

static const char *
demo_examples_dir(const char *given)
{
	static const char *const candidates[] = {
		SLACLOCK_SRCDIR "/examples", SLACLOCK_DATADIR "/examples",
	};
	const char *env = getenv("SLACLOCK_EXAMPLES");
	struct stat st;
	size_t i;

	if (given != NULL)
		return given;
	if (env != NULL && *env != '\0')
		return env;
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (stat(candidates[i], &st) == 0 && S_ISDIR(st.st_mode))
			return candidates[i];
	return candidates[0];
}

static int
cmd_demo(struct args *a)
{
	char *conf_src = NULL, *conf_dst = NULL, *maildir = NULL, *db = NULL;
	char tmpl[] = "/tmp/slaclock-demo.XXXXXX";
	const char *examples = demo_examples_dir(a->examples), *dir = a->dir;
	static const char *const db_suffixes[] = { "", "-wal", "-shm" };
	struct ctx c;
	size_t i;
	int ret = EXIT_FAILURE;

	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL) {
		fprintf(stderr, "slaclock demo: mkdtemp: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "slaclock demo: %s: %s\n", dir, strerror(errno));
		return EXIT_FAILURE;
	}
	if (asprintf(&conf_src, "%s/slaclock.conf", examples) < 0 ||
	    asprintf(&conf_dst, "%s/slaclock.conf", dir) < 0 ||
	    asprintf(&maildir, "%s/maildir", examples) < 0)
		goto out;
	if (copy_file(conf_src, conf_dst) < 0) {
		fprintf(stderr, "slaclock demo: cannot copy %s to %s: %s\n", conf_src,
			conf_dst, strerror(errno));
		goto out;
	}
	/* A fresh database every time: the demo shows the examples only. */
	for (i = 0; i < 3; i++) {
		free(db);
		if (asprintf(&db, "%s/slaclock.db%s", dir, db_suffixes[i]) < 0) {
			db = NULL;
			goto out;
		}
		if (unlink(db) < 0 && errno != ENOENT) {
			fprintf(stderr, "slaclock demo: %s: %s\n", db, strerror(errno));
			goto out;
		}
	}
	if ((ret = ctx_open(&c, conf_dst, true)) != 0)
		goto out;
	if (!a->quiet)
		fprintf(stderr, "slaclock demo: examples %s, database %s/slaclock.db\n",
			examples, dir);
	ret = do_ingest(&c, maildir, false, a->quiet);
	if (ret == EXIT_SUCCESS)
		ret = cmd_recompute_and_report(&c, a->month != NULL ? a->month :
					       SLACLOCK_DEMO_MONTH, a->format, false, true);
	ctx_close(&c);
out:
	free(conf_src);
	free(conf_dst);
	free(maildir);
	free(db);
	return ret;
}

int
main(int argc, char **argv)
{
	const char *cmd;
	struct args a;

	log_init("slaclock", false, LOG_LEVEL_WARN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("slaclock %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (parse_args(argc - 1, argv + 1, &a) < 0)
		return EXIT_USAGE;
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&a);
	if (strcmp(cmd, "ingest") == 0)
		return cmd_ingest(&a);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(&a, false);
	if (strcmp(cmd, "recompute") == 0)
		return cmd_policy(&a, cmd, NULL);
	if (strcmp(cmd, "review") == 0 || strcmp(cmd, "approve") == 0 ||
	    strcmp(cmd, "execute") == 0 || strcmp(cmd, "reject") == 0 ||
	    strcmp(cmd, "notify") == 0 || strcmp(cmd, "appeal") == 0 ||
	    strcmp(cmd, "training-missed") == 0 || strcmp(cmd, "praise") == 0)
		return cmd_policy(&a, cmd, optind + 1 < argc ? argv[optind + 1] : NULL);
	if (strcmp(cmd, "demo") == 0)
		return cmd_demo(&a);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&a);
	if (strcmp(cmd, "parse") == 0)
		return cmd_parse(&a, argc, argv, optind + 1);
	if (strcmp(cmd, "explain") == 0) {
		if (optind + 1 >= argc) {
			fputs("slaclock explain: TICKET is required\n", stderr);
			return EXIT_USAGE;
		}
		return cmd_explain(&a, argv[optind + 1]);
	}
	fprintf(stderr, "slaclock: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
