/* libFuzzer target for the parsers: a message through mail_parse() and the
 * JSON printer, and the same bytes through the text paths (reply
 * extraction, HTML to text, subject keys) that also take outside input.
 * Built with --enable-fuzzing (clang); seed it with the shared corpora:
 *   ./tests/fuzz_mail -max_len=65536 $SLACLOCK_CORPORA/...
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "mail.h"
#include "mail_json.h"
#include "reply.h"
#include "thread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const extra[] = { "X-Assigned-To" };
	struct mail_parse_opts opts = { extra, 1 };
	struct mail_msg msg;
	const char *error;
	char tag[64], *s;
	bool q;

	if (mail_parse((const char *)data, size, &opts, &msg, &error) == 0) {
		free(mail_msg_to_json(&msg));
		free(thread_normalize_subject(msg.subject));
		(void)thread_subject_tag(msg.subject, tag, sizeof(tag));
		mail_msg_clear(&msg);
	}
	free(reply_extract((const char *)data, size, &q));
	s = html_to_text((const char *)data, size, 0, &q);
	free(s);
	return 0;
}
