/* fuzz_entry - the bodies of the libFuzzer targets, one per outside input.
 *
 * Each takes the bytes libFuzzer (or a regression file) gives and runs
 * them through one parser, checking what its header promises of the
 * result; a broken promise abort()s, so it shows as a crash. The fuzz
 * binaries (tests/fuzz/fuzz_main.c) and the regression test
 * (tests/test_fuzz_regress.c) call the same functions, so an input that
 * once crashed a target keeps being tried in every `make check`.
 */
#ifndef SLACLOCK_FUZZ_ENTRY_H
#define SLACLOCK_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

/* A charset input is "LABEL\n" and then the text; labels are cut here. */
#define FUZZ_ENTRY_LABEL_MAX 40

typedef int fuzz_entry_fn(const uint8_t *data, size_t size);

struct fuzz_entry {
	const char *name;          /* "mail": tests/fuzz/regress/mail/ */
	fuzz_entry_fn *fn;
};

int fuzz_entry_mail(const uint8_t *data, size_t size);
/* parsers/mime.c finds the part libetpan's tree gives (tests/mime_ref.c). */
int fuzz_entry_mime(const uint8_t *data, size_t size);
int fuzz_entry_charset(const uint8_t *data, size_t size);
int fuzz_entry_html(const uint8_t *data, size_t size);
int fuzz_entry_reply(const uint8_t *data, size_t size);
int fuzz_entry_webhook_rt(const uint8_t *data, size_t size);
int fuzz_entry_webhook_zammad(const uint8_t *data, size_t size);
int fuzz_entry_webhook_zendesk(const uint8_t *data, size_t size);
int fuzz_entry_webhook_freshdesk(const uint8_t *data, size_t size);
int fuzz_entry_conf(const uint8_t *data, size_t size);

/* Every target, ended by { NULL, NULL }. */
extern const struct fuzz_entry fuzz_entries[];

#endif
