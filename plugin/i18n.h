/* i18n - the language of one mail (alerts, digests, statements).
 *
 * The text is English in the code, marked _() / N_() / ngettext(), and
 * translated by gettext from the catalogues of po/ (installed under
 * $(localedir)/LANG/LC_MESSAGES/slaclock.mo). SLACLOCK_LOCALEDIR in the
 * environment, or i18n_bind(), points elsewhere (the tests use the build
 * tree's copy).
 *
 * A daemon mails one lead in Chinese and another in English, so the
 * language is chosen per mail, not per process. glibc picks a catalogue
 * from LANGUAGE only when the thread's LC_MESSAGES locale is not "C" or
 * "POSIX", and zh_CN.UTF-8 is often not generated (Debian's C.UTF-8
 * always is). So i18n_begin() puts the calling thread on C.UTF-8 with
 * uselocale(), sets LANGUAGE and tells gettext its cache is stale; it
 * holds a mutex until i18n_end(), which puts both back. No nesting.
 * LANGUAGE is process-wide, but nothing else here reads it: the process's
 * own locale stays what it was ("C" in slaclockd), where glibc ignores it.
 *
 * A message missing from a catalogue, or a catalogue missing, gives the
 * English text.
 */
#ifndef SLACLOCK_I18N_H
#define SLACLOCK_I18N_H

#include <locale.h>
#include <stdbool.h>

#include "mailer.h"

#ifdef ENABLE_NLS
# include <libintl.h>
/* dgettext, not gettext: the library must not depend on textdomain(). */
# define _(s) dgettext(PACKAGE, s)
# define i18n_ngettext(s, p, n) dngettext(PACKAGE, s, p, n)
#else
# define _(s) ((const char *)(s))
# define i18n_ngettext(s, p, n) ((n) == 1 ? (const char *)(s) : (const char *)(p))
#endif
/* A string to translate later (in a table). */
#define N_(s) s

struct i18n_scope {
	locale_t saved;
	bool active;
};

/* Translate from the catalogues in DIR from now on (NULL: the default,
   SLACLOCK_LOCALEDIR from the environment or else the installed one). */
void i18n_bind(const char *dir);

/* Until i18n_end(SCOPE), _() on this thread gives LANG. */
void i18n_begin(enum mailer_language lang, struct i18n_scope *scope);
void i18n_end(struct i18n_scope *scope);

/* The gettext name of LANG: "en", "zh_CN". */
const char *i18n_code(enum mailer_language lang);

#endif
