/* fuzz_entry - what each fuzz target does with one input (fuzz_entry.h).
 *
 * Besides "does not crash", each checks what the header of its parser
 * promises: text said to be UTF-8 is valid UTF-8, JSON said to be JSON
 * loads, fixed buffers are NUL-terminated, a printed configuration reads
 * back. abort() turns a broken promise into a crash libFuzzer keeps.
 */
#include "config.h"

#include <jansson.h>
#include <libetpan/libetpan.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "conf.h"
#include "fuzz_entry.h"
#include "html.h"
#include "mail.h"
#include "mail_json.h"
#include "mime.h"
#include "../mime_ref.h"
#include "reply.h"
#include "thread.h"
#include "webhook.h"

/* Inputs past these are cut: larger ones only slow the fuzzer down and
   the parsers' own caps are tested by the unit tests. */
#define FUZZ_ENTRY_INPUT_MAX (1024 * 1024)

static void
fuzz_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_entry: broken promise: %s\n", what);
		abort();
	}
}

static void
fuzz_check_utf8(const char *s, const char *what)
{
	if (s != NULL)
		fuzz_check(charset_is_utf8(s, strlen(s)), what);
}

static size_t
fuzz_cap(size_t size)
{
	return size > FUZZ_ENTRY_INPUT_MAX ? FUZZ_ENTRY_INPUT_MAX : size;
}

int
fuzz_entry_mail(const uint8_t *data, size_t size)
{
	static const char *const extra[] = { "X-Assigned-To", "X-Ticket-Priority" };
	struct mail_parse_opts opts = { extra, 2 };
	struct mail_msg msg;
	json_error_t jerr;
	json_t *json;
	const char *error;
	char tag[64], *s;
	size_t i;

	size = fuzz_cap(size);
	if (mail_parse((const char *)data, size, &opts, &msg, &error) < 0)
		return 0;
	fuzz_check_utf8(msg.subject, "mail subject is UTF-8");
	fuzz_check_utf8(msg.from_name, "mail from_name is UTF-8");
	fuzz_check_utf8(msg.reply_text, "mail reply_text is UTF-8");
	if (msg.body != NULL)
		fuzz_check(charset_is_utf8(msg.body, msg.body_len), "mail body is UTF-8");
	for (i = 0; i < msg.extra_count; i++)
		fuzz_check_utf8(msg.extra_values[i], "mail extra header is UTF-8");
	s = mail_msg_to_json(&msg);
	fuzz_check(s != NULL, "mail_msg_to_json gives text");
	json = json_loads(s, JSON_ALLOW_NUL, &jerr);
	fuzz_check(json != NULL && json_is_object(json), "mail_msg_to_json gives a JSON object");
	json_decref(json);
	free(s);
	s = thread_normalize_subject(msg.subject);
	fuzz_check_utf8(s, "normalized subject is UTF-8");
	free(s);
	if (thread_subject_tag(msg.subject, tag, sizeof(tag)) > 0)
		fuzz_check(memchr(tag, '\0', sizeof(tag)) != NULL, "subject tag is terminated");
	mail_msg_clear(&msg);
	return 0;
}

/* "LABEL\nTEXT": the label picks the decoder, so the fuzzer explores
   them all (GB18030, UTF-7, ISO-2022-JP, HZ, ...) from the dictionary. */
/* Differential: the walk over the bytes against libetpan's tree. */
int
fuzz_entry_mime(const uint8_t *data, size_t size)
{
	struct mime_ref ref, got;
	struct mime_found f;
	char why[256];

	size = fuzz_cap(size);
	if (mime_ref_find((const char *)data, size, &ref) < 0)
		memset(&ref, 0, sizeof(ref));
	if (mime_find_text((const char *)data, size, &f) < 0)
		return 0;
	mime_ref_of(&f, &got);
	if (!mime_ref_same(&ref, &got, why, sizeof(why))) {
		fprintf(stderr, "fuzz_entry: mime.c and libetpan differ: %s\n", why);
		abort();
	}
	mime_found_clear(&f);
	if (!mime_ref_decode_same(MAILMIME_MECHANISM_BASE64, (const char *)data, size,
				  why, sizeof(why)) ||
	    !mime_ref_decode_same(MAILMIME_MECHANISM_QUOTED_PRINTABLE, (const char *)data,
				  size, why, sizeof(why))) {
		fprintf(stderr, "fuzz_entry: mime_decode and libetpan differ: %s\n", why);
		abort();
	}
	return 0;
}

int
fuzz_entry_charset(const uint8_t *data, size_t size)
{
	char label[FUZZ_ENTRY_LABEL_MAX + 1];
	const char *in = (const char *)data, *nl, *charset = NULL;
	size_t len, out_len = 0;
	char *out;

	size = fuzz_cap(size);
	nl = memchr(in, '\n', size < FUZZ_ENTRY_LABEL_MAX ? size : FUZZ_ENTRY_LABEL_MAX);
	if (nl != NULL) {
		len = (size_t)(nl - in);
		memcpy(label, in, len);
		label[len] = '\0';
		/* an empty label stands for "unknown" (NULL) */
		if (len > 0) {
			charset = label;
			fuzz_check(charset_canonical(label) != NULL, "charset_canonical never NULL");
		}
		in = nl + 1;
		size -= len + 1;
	}
	out = charset_to_utf8(charset, in, size, &out_len);
	fuzz_check(out != NULL, "charset_to_utf8 gives text");
	fuzz_check(out[out_len] == '\0', "charset_to_utf8 output is terminated");
	fuzz_check(charset_is_utf8(out, out_len), "charset_to_utf8 output is UTF-8");
	free(out);
	return 0;
}

int
fuzz_entry_html(const uint8_t *data, size_t size)
{
	unsigned int flags;
	bool quoted;
	char *s;

	size = fuzz_cap(size);
	/* both modes, chosen by the input so that a crasher replays */
	flags = (size & 1) != 0 ? HTML_TEXT_CUT_QUOTES : 0;
	s = html_to_text((const char *)data, size, flags, &quoted);
	fuzz_check(s != NULL, "html_to_text gives text");
	fuzz_check(strlen(s) <= HTML_TEXT_MAX, "html_to_text within HTML_TEXT_MAX");
	if (charset_is_utf8((const char *)data, size))
		fuzz_check_utf8(s, "html_to_text of UTF-8 is UTF-8");
	free(s);
	return 0;
}

int
fuzz_entry_reply(const uint8_t *data, size_t size)
{
	bool quoted;
	char *s;

	size = fuzz_cap(size);
	s = reply_extract((const char *)data, size, &quoted);
	fuzz_check(s != NULL, "reply_extract gives text");
	fuzz_check(strlen(s) <= size, "reply_extract adds nothing");
	if (charset_is_utf8((const char *)data, size))
		fuzz_check_utf8(s, "reply_extract of UTF-8 is UTF-8");
	free(s);
	return 0;
}

/* Agents are the logins without '@' and the addresses at agents.example,
   as a configured team would say. */
static bool
fuzz_is_agent(void *ctx, const char *user)
{
	const char *at;

	(void)ctx;
	if (user == NULL)
		return false;
	at = strchr(user, '@');
	return at == NULL || strcmp(at, "@agents.example") == 0;
}

static void
fuzz_check_terminated(const char *buf, size_t size, const char *what)
{
	fuzz_check(memchr(buf, '\0', size) != NULL, what);
}

static int
fuzz_webhook(enum webhook_kind kind, const uint8_t *data, size_t size)
{
	struct webhook_opts opts;
	struct webhook_result result;
	const char *error = NULL, *name;
	json_error_t jerr;
	json_t *attrs;
	size_t i;

	name = webhook_kind_name(kind);
	memset(&opts, 0, sizeof(opts));
	opts.name = name;
	opts.own_user = "slaclock";
	/* both ways of telling agents, chosen by the input */
	if ((size & 1) != 0)
		opts.is_agent = fuzz_is_agent;
	if (webhook_parse(kind, &opts, (const char *)data, size, &result, &error) < 0) {
		fuzz_check(error != NULL, "webhook_parse says why");
		return 0;
	}
	fuzz_check(result.count <= WEBHOOK_EVENTS_MAX, "at most WEBHOOK_EVENTS_MAX events");
	fuzz_check(!result.own || result.count == 0, "own_user's payload yields nothing");
	fuzz_check_terminated(result.txn_id, sizeof(result.txn_id), "txn_id terminated");
	fuzz_check_terminated(result.ticket, sizeof(result.ticket), "ticket terminated");
	/* the events' ticket is the result's (webhook_result_event) */
	if (result.count > 0)
		fuzz_check(strncmp(result.ticket, name, strlen(name)) == 0 &&
			   result.ticket[strlen(name)] == ':', "ticket key is NAME:id");
	for (i = 0; i < result.count; i++) {
		const struct webhook_item *it = &result.items[i];
		struct event ev;

		fuzz_check_terminated(it->external_id, sizeof(it->external_id),
				      "external_id terminated");
		fuzz_check_terminated(it->ticket, sizeof(it->ticket), "item ticket terminated");
		fuzz_check_terminated(it->actor, sizeof(it->actor), "actor terminated");
		fuzz_check_terminated(it->attrs, sizeof(it->attrs), "attrs terminated");
		fuzz_check(it->external_id[0] != '\0', "an event has an external id");
		fuzz_check(event_kind_name(it->kind) != NULL, "a known event kind");
		fuzz_check_utf8(it->actor, "actor is UTF-8");
		if (it->attrs[0] != '\0') {
			attrs = json_loads(it->attrs, 0, &jerr);
			fuzz_check(attrs != NULL && json_is_object(attrs), "attrs is a JSON object");
			json_decref(attrs);
		}
		webhook_result_event(&result, i, "webhook:fuzz", &ev);
	}
	return 0;
}

int
fuzz_entry_webhook_rt(const uint8_t *data, size_t size)
{
	return fuzz_webhook(WEBHOOK_RT, data, size);
}

int
fuzz_entry_webhook_zammad(const uint8_t *data, size_t size)
{
	return fuzz_webhook(WEBHOOK_ZAMMAD, data, size);
}

int
fuzz_entry_webhook_zendesk(const uint8_t *data, size_t size)
{
	return fuzz_webhook(WEBHOOK_ZENDESK, data, size);
}

int
fuzz_entry_webhook_freshdesk(const uint8_t *data, size_t size)
{
	return fuzz_webhook(WEBHOOK_FRESHDESK, data, size);
}

/* Every line of a conf error text is "fuzz.conf:LINE: message" (conf.h). */
static void
fuzz_conf_errors(const char *errors)
{
	const char *p = errors, *q;

	while (*p != '\0') {
		fuzz_check(strncmp(p, "fuzz.conf:", 10) == 0, "conf error starts with file:");
		q = p + 10;
		/* the one line that is not an error: the cut-off note */
		if (strncmp(q, " too many errors", 16) != 0) {
			fuzz_check(*q >= '0' && *q <= '9', "conf error has a line number");
			while (*q >= '0' && *q <= '9')
				q++;
			fuzz_check(*q == ':', "conf error is file:line:");
		}
		q = strchr(q, '\n');
		if (q == NULL)
			break;
		p = q + 1;
	}
}

/* A configuration that loads prints as one that loads again and prints
   the same (conf.h: "its output can be read back by conf_load()"). */
int
fuzz_entry_conf(const uint8_t *data, size_t size)
{
	struct conf *conf = NULL, *again = NULL;
	char *errors = NULL, *printed = NULL, *reprinted = NULL;
	size_t printed_len = 0, reprinted_len = 0;
	FILE *out;

	if (size > CONF_FILE_MAX)
		size = CONF_FILE_MAX;
	if (conf_load_buffer("fuzz.conf", (const char *)data, size, &conf, &errors) < 0) {
		fuzz_check(errors != NULL && *errors != '\0', "conf says why");
		fuzz_conf_errors(errors);
		free(errors);
		return 0;
	}
	out = open_memstream(&printed, &printed_len);
	fuzz_check(out != NULL, "open_memstream");
	conf_print(conf, out);
	fclose(out);
	if (conf_load_buffer("fuzz.conf", printed, printed_len, &again, &errors) < 0) {
		fprintf(stderr, "--- printed\n%s--- errors\n%s", printed, errors);
		fuzz_check(false, "conf_print output reads back");
	}
	out = open_memstream(&reprinted, &reprinted_len);
	fuzz_check(out != NULL, "open_memstream");
	conf_print(again, out);
	fclose(out);
	if (printed_len != reprinted_len || memcmp(printed, reprinted, printed_len) != 0) {
		fprintf(stderr, "--- printed\n%s--- reprinted\n%s", printed, reprinted);
		fuzz_check(false, "conf_print is a fixed point");
	}
	free(printed);
	free(reprinted);
	conf_free(&again);
	conf_free(&conf);
	return 0;
}

const struct fuzz_entry fuzz_entries[] = {
	{ "mail", fuzz_entry_mail },
	{ "mime", fuzz_entry_mime },
	{ "charset", fuzz_entry_charset },
	{ "html", fuzz_entry_html },
	{ "reply", fuzz_entry_reply },
	{ "webhook_rt", fuzz_entry_webhook_rt },
	{ "webhook_zammad", fuzz_entry_webhook_zammad },
	{ "webhook_zendesk", fuzz_entry_webhook_zendesk },
	{ "webhook_freshdesk", fuzz_entry_webhook_freshdesk },
	{ "conf", fuzz_entry_conf },
	{ NULL, NULL },
};
