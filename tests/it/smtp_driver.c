/* smtp_driver - drives the mailer for tests/it/smtp.sh.
 *
 *   smtp_driver [-o KEY=VALUE]... DB URL NOW send KEY RCPT [RCPT...]
 *        build a message (Chinese subject) for KEY, put it in the outbox,
 *        then deliver what is due at NOW
 *   smtp_driver DB URL NOW run
 *        deliver what is due at NOW
 *   smtp_driver parse FILE
 *        read FILE back with slaclock's own parser (parsers/mail.h) and
 *        print Message-ID, X-Slaclock-Id and the subject, one a line
 *
 * send and run print "put=P sent=S tempfail=T permfail=F depth=D".
 * -o sets an [smtp] key after the defaults (starttls = no, timeout = 10s,
 * from = slaclock@example.com), as slaclock.conf would.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mail.h"
#include "mailer.h"
#include "mailmsg.h"
#include "store.h"

#define DRIVER_FILE_MAX (8u * 1024 * 1024)

#define DRIVER_SUBJECT "【slaclock 测试】售后一组 SLA 违约提醒：首次响应超时 — 请尽快处理"

static int
driver_parse(const char *path)
{
	static const char *const extra[] = { MAILMSG_HEADER_NAME };
	struct mail_parse_opts opts = { extra, 1 };
	struct mail_msg msg;
	const char *error = NULL;
	char *buf = malloc(DRIVER_FILE_MAX);
	size_t len;
	FILE *f;

	if (buf == NULL || (f = fopen(path, "rb")) == NULL) {
		perror(path);
		return 1;
	}
	len = fread(buf, 1, DRIVER_FILE_MAX, f);
	fclose(f);
	memset(&msg, 0, sizeof(msg));
	if (mail_parse(buf, len, &opts, &msg, &error) < 0) {
		fprintf(stderr, "mail_parse: %s\n", error);
		return 1;
	}
	printf("%s\n%s\n%s\n", msg.message_id != NULL ? msg.message_id : "(none)",
	       msg.extra_values != NULL && msg.extra_values[0] != NULL ?
	       msg.extra_values[0] : "(none)",
	       msg.subject != NULL ? msg.subject : "(none)");
	printf("auto=%d\n", (int)msg.auto_kind);
	mail_msg_clear(&msg);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct mailer_conf conf;
	struct mailer_stats stats = { 0, 0, 0 };
	struct store *store = NULL;
	const char *error = NULL;
	bool inserted = false;
	int64_t now, depth = 0;
	char **optv;
	int ret = 1, nopt = 0, i;

	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return driver_parse(argv[2]);
	while (1 + 2 * nopt + 1 < argc && strcmp(argv[1 + 2 * nopt], "-o") == 0)
		nopt++;
	/* The rest as without options (argv[0] is not used). */
	optv = argv + 1;
	argv += 2 * nopt;
	argc -= 2 * nopt;
	if (argc < 5) {
		fprintf(stderr, "usage: smtp_driver DB URL NOW send KEY RCPT... | run\n");
		return 2;
	}
	log_init("smtp_driver", false, LOG_LEVEL_INFO);
	now = strtoll(argv[3], NULL, 10);
	if (mailer_conf_init(&conf) < 0 ||
	    mailer_conf_key(&conf, "url", argv[2], &error) < 0 ||
	    mailer_conf_key(&conf, "starttls", "no", &error) < 0 ||
	    mailer_conf_key(&conf, "timeout", "10s", &error) < 0 ||
	    mailer_conf_key(&conf, "from", "slaclock@example.com", &error) < 0) {
		fprintf(stderr, "conf: %s\n", error);
		goto out;
	}
	for (i = 0; i < nopt; i++) {
		char kv[MAILER_VALUE_MAX + 64], *eq;

		snprintf(kv, sizeof(kv), "%s", optv[2 * i + 1]);
		if ((eq = strchr(kv, '=')) == NULL) {
			fprintf(stderr, "-o wants KEY=VALUE\n");
			goto out;
		}
		*eq = '\0';
		if (mailer_conf_key(&conf, kv, eq + 1, &error) < 0) {
			fprintf(stderr, "conf: %s: %s\n", kv, error);
			goto out;
		}
	}
	if (mailer_conf_check(&conf, &error) < 0) {
		fprintf(stderr, "conf: %s\n", error);
		goto out;
	}
	if (store_open("sqlite", argv[1], &store, &error) < 0) {
		fprintf(stderr, "store: %s\n", error);
		goto out;
	}
	if (strcmp(argv[4], "send") == 0 && argc >= 7) {
		struct mailmsg m = {
			.from = conf.from, .from_name = conf.from_name,
			.to = (const char *const *)&argv[6], .to_count = (size_t)(argc - 6),
			.subject = DRIVER_SUBJECT, .key = argv[5], .date = now,
			.text = "测试邮件：工单 #1024 首次响应超时 12 分钟。\n",
			.html = "<html><body><p>测试邮件：工单 #1024 首次响应超时 12 分钟。</p></body></html>",
		};
		char *raw = NULL;
		size_t len;

		if (mailmsg_build(&m, &raw, &len, &error) < 0 ||
		    mailer_outbox_put(store, argv[5], m.to, m.to_count, raw, len, now,
				      &inserted, &error) < 0) {
			fprintf(stderr, "put: %s\n", error);
			free(raw);
			goto out;
		}
		free(raw);
	} else if (strcmp(argv[4], "run") != 0) {
		fprintf(stderr, "unknown command %s\n", argv[4]);
		goto out;
	}
	if (mailer_outbox_run(&conf, store, now, &stats, &error) < 0 ||
	    store_outbox_depth(store, &depth, &error) < 0) {
		fprintf(stderr, "run: %s\n", error);
		goto out;
	}
	printf("put=%d sent=%zu tempfail=%zu permfail=%zu depth=%lld\n", inserted ? 1 : 0,
	       stats.sent, stats.tempfail, stats.permfail, (long long)depth);
	ret = 0;
out:
	store_close(&store);
	mailer_conf_clear(&conf);
	return ret;
}
