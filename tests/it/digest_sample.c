/* digest_sample - render one digest from a real store, to look at it.
 *
 *   digest_sample CONF DB MONTH en|zh team NAME|hr|agent ADDR OUT
 *
 * writes OUT.html, OUT.txt and OUT.csv. doc/digest-sample.* are made with
 * it from the demo (`slaclock demo --dir DIR`), see doc/digest-sample.txt.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "conf.h"
#include "digest.h"
#include "mailer.h"
#include "sla.h"
#include "store.h"

static int
sample_write(const char *prefix, const char *ext, const char *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%s", prefix, ext);
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len ||
	    fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct conf *conf = NULL;
	struct calendar *cal = NULL;
	struct store *store = NULL;
	struct mailer_conf mconf;
	struct sla_result res;
	struct digest_doc doc;
	enum digest_kind kind;
	const char *error = NULL, *who = NULL, *out;
	char *cerror = NULL;
	int64_t from, to;
	int ret = 1;

	memset(&res, 0, sizeof(res));
	memset(&doc, 0, sizeof(doc));
	if (argc < 7 || mailer_conf_init(&mconf) < 0) {
		fprintf(stderr, "usage: digest_sample CONF DB MONTH en|zh team NAME|hr|agent ADDR OUT\n");
		return 2;
	}
	if (strcmp(argv[5], "hr") == 0 && argc == 7) {
		kind = DIGEST_HR;
		out = argv[6];
	} else if (argc == 8 && (strcmp(argv[5], "team") == 0 || strcmp(argv[5], "agent") == 0)) {
		kind = argv[5][0] == 't' ? DIGEST_TEAM : DIGEST_AGENT;
		who = argv[6];
		out = argv[7];
	} else {
		fprintf(stderr, "digest_sample: bad arguments\n");
		goto done;
	}
	if (conf_load(argv[1], &conf, &cerror) < 0) {
		fprintf(stderr, "%s\n", cerror);
		free(cerror);
		goto done;
	}
	if (calendar_new(&conf->calendar, &cal, &error) < 0 ||
	    mailer_conf_key(&mconf, "language", argv[4], &error) < 0 ||
	    store_open("sqlite", argv[2], &store, &error) < 0 ||
	    calendar_month_range(cal, argv[3], &from, &to) < 0 ||
	    /* As the monthly job sees it: the 1st of the next month, 09:00. */
	    sla_evaluate(conf, cal, store, to + 9 * 3600, &res, &error) < 0 ||
	    digest_render(conf, &mconf, cal, &res, argv[3], kind, who, &doc, &error) < 0) {
		fprintf(stderr, "digest_sample: %s\n", error != NULL ? error : "bad month");
		goto done;
	}
	if (sample_write(out, "html", doc.html, strlen(doc.html)) < 0 ||
	    sample_write(out, "txt", doc.text, strlen(doc.text)) < 0 ||
	    sample_write(out, "csv", doc.csv, doc.csv_len) < 0)
		goto done;
	printf("%s\n", doc.subject);
	ret = 0;
done:
	digest_doc_clear(&doc);
	sla_result_clear(&res);
	store_close(&store);
	calendar_free(&cal);
	conf_free(&conf);
	mailer_conf_clear(&mconf);
	return ret;
}
