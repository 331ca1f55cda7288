/* bench_parse - parse throughput of the full parser path on one core.
 *
 *   bench_parse [-t SECONDS] [-l LIMIT] LISTFILE
 *
 * LISTFILE names one message file per line. They are all read into memory
 * first, so only parsing is timed: mail_parse() (MIME, transfer encodings,
 * charsets, HTML to text, auto-reply detection, reply extraction) with the
 * extra headers ingest asks for, then the thread keys (normalised subject,
 * helpdesk tag). The set is parsed over and over until SECONDS (default 2)
 * have passed, whole passes only. Prints one JSON object.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail.h"
#include "thread.h"

#define BENCH_LINE_MAX 4096
#define BENCH_FILES_MAX 20000000u

struct bench_file {
	char *data;
	size_t len;
};

static double
bench_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
bench_read(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		*len_r = fread(buf, 1, (size_t)n, fp);
		buf[*len_r] = '\0';
	}
	fclose(fp);
	return buf;
}

/* One message through everything ingest runs on it; returns 0 when it
   parsed. SINK keeps the work from being optimised away. */
static int
bench_one(const struct bench_file *f, size_t *sink)
{
	static const char *const extra[] = { "X-Assigned-To", "X-Ticket-Priority",
					     "X-Slaclock-Id" };
	struct mail_parse_opts opts = { extra, 3 };
	struct mail_msg msg;
	const char *err;
	char tag[64], *norm;

	if (mail_parse(f->data, f->len, &opts, &msg, &err) < 0)
		return -1;
	norm = thread_normalize_subject(msg.subject);
	if (norm != NULL)
		*sink += strlen(norm);
	free(norm);
	if (msg.subject != NULL && thread_subject_tag(msg.subject, tag, sizeof(tag)) > 0)
		*sink += 1;
	*sink += msg.body_len + (msg.reply_text != NULL ? strlen(msg.reply_text) : 0);
	mail_msg_clear(&msg);
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_file *files = NULL;
	size_t count = 0, cap = 0, i, sink = 0, failed = 0, limit = 0;
	unsigned long long bytes = 0, passes = 0;
	double budget = 2.0, t0, c0, wall, cpu;
	char line[BENCH_LINE_MAX];
	FILE *list;
	int c;

	while ((c = getopt(argc, argv, "t:l:")) != -1) {
		switch (c) {
		case 't':
			budget = strtod(optarg, NULL);
			break;
		case 'l':
			limit = strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if ((list = fopen(argv[optind], "r")) == NULL) {
		fprintf(stderr, "bench_parse: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), list) != NULL &&
	       (limit == 0 || count < limit) && count < BENCH_FILES_MAX) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (count == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			if ((files = realloc(files, cap * sizeof(*files))) == NULL) {
				fprintf(stderr, "bench_parse: out of memory\n");
				return 1;
			}
		}
		if ((files[count].data = bench_read(line, &files[count].len)) == NULL) {
			fprintf(stderr, "bench_parse: %s: %s\n", line, strerror(errno));
			return 1;
		}
		bytes += files[count].len;
		count++;
	}
	fclose(list);
	if (count == 0) {
		fprintf(stderr, "bench_parse: no files\n");
		return 1;
	}

	/* One untimed pass warms the caches and counts the failures. */
	for (i = 0; i < count; i++)
		if (bench_one(&files[i], &sink) < 0)
			failed++;
	t0 = bench_now(CLOCK_MONOTONIC);
	c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (i = 0; i < count; i++)
			(void)bench_one(&files[i], &sink);
		passes++;
	} while (bench_now(CLOCK_MONOTONIC) - t0 < budget);
	wall = bench_now(CLOCK_MONOTONIC) - t0;
	cpu = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;

	printf("{\"files\": %zu, \"bytes\": %llu, \"failed\": %zu, \"passes\": %llu, "
	       "\"seconds\": %.4f, \"cpu_seconds\": %.4f, \"mb_per_s\": %.2f, "
	       "\"msgs_per_s\": %.1f, \"cpu_mb_per_s\": %.2f, \"cpu_msgs_per_s\": %.1f, "
	       "\"sink\": %zu}\n", count, bytes, failed, passes,
	       wall, cpu, (double)bytes * (double)passes / 1e6 / wall,
	       (double)count * (double)passes / wall,
	       (double)bytes * (double)passes / 1e6 / cpu,
	       (double)count * (double)passes / cpu, sink);
	for (i = 0; i < count; i++)
		free(files[i].data);
	free(files);
	return 0;
usage:
	fprintf(stderr, "usage: bench_parse [-t SECONDS] [-l LIMIT] LISTFILE\n");
	return 2;
}
