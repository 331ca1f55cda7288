#include "config.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"

#ifdef ENABLE_NLS
/* glibc's count of catalogue changes: its lookup cache is keyed on the
   locale name (C.UTF-8 for every language here), not on LANGUAGE, and
   an entry is trusted while this count is unchanged. gettext's manual
   ("Being able to switch the language at runtime") bumps it. */
extern int _nl_msg_cat_cntr;

static pthread_mutex_t i18n_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t i18n_once = PTHREAD_ONCE_INIT;
static locale_t i18n_utf8 = (locale_t)0;
/* LANGUAGE as the process had it, put back by i18n_end(); "" = unset
   (gettext reads an empty LANGUAGE as unset, and setenv() on an existing
   name swaps one pointer, where unsetenv() would move the others). */
static char *i18n_language_saved;
static bool i18n_bound;

static void
i18n_init(void)
{
	const char *l = getenv("LANGUAGE");

	i18n_language_saved = strdup(l != NULL ? l : "");
	i18n_utf8 = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (i18n_utf8 == (locale_t)0)
		log_warn("i18n: no C.UTF-8 locale, mails are in English");
}

static void
i18n_bind_locked(const char *dir)
{
	if (dir == NULL)
		dir = secure_getenv("SLACLOCK_LOCALEDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = SLACLOCK_LOCALEDIR;
	bindtextdomain(PACKAGE, dir);
	bind_textdomain_codeset(PACKAGE, "UTF-8");
	i18n_bound = true;
}

void
i18n_bind(const char *dir)
{
	pthread_once(&i18n_once, i18n_init);
	pthread_mutex_lock(&i18n_lock);
	i18n_bind_locked(dir);
	++_nl_msg_cat_cntr;
	pthread_mutex_unlock(&i18n_lock);
}

void
i18n_begin(enum mailer_language lang, struct i18n_scope *scope)
{
	pthread_once(&i18n_once, i18n_init);
	pthread_mutex_lock(&i18n_lock);
	if (!i18n_bound)
		i18n_bind_locked(NULL);
	scope->active = true;
	scope->saved = (locale_t)0;
	if (i18n_utf8 != (locale_t)0)
		scope->saved = uselocale(i18n_utf8);
	setenv("LANGUAGE", i18n_code(lang), 1);
	++_nl_msg_cat_cntr;
}

void
i18n_end(struct i18n_scope *scope)
{
	if (!scope->active)
		return;
	if (scope->saved != (locale_t)0)
		uselocale(scope->saved);
	setenv("LANGUAGE", i18n_language_saved != NULL ? i18n_language_saved : "", 1);
	++_nl_msg_cat_cntr;
	scope->active = false;
	pthread_mutex_unlock(&i18n_lock);
}
#else
void
i18n_bind(const char *dir)
{
	(void)dir;
}

void
i18n_begin(enum mailer_language lang, struct i18n_scope *scope)
{
	(void)lang;
	scope->active = false;
}

void
i18n_end(struct i18n_scope *scope)
{
	(void)scope;
}
#endif

const char *
i18n_code(enum mailer_language lang)
{
	switch (lang) {
	case MAILER_LANG_ZH:
		return "zh_CN";
	case MAILER_LANG_EN:
		break;
	}
	return "en";
}
