#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/mmapstring.h>

#include "reply.h"

/* How many lines below a "From:" line the rest of a header block may be,
   and below "On ..." the "wrote:" that ends it. */
#define REPLY_BLOCK_LOOKAHEAD 5
#define REPLY_ATTRIB_LOOKAHEAD 2
/* Longest mobile-client footer ("Sent from my iPhone"). */
#define REPLY_FOOTER_MAX 80

struct reply_line {
	const char *s; /* trimmed of white space at both ends */
	size_t len;
	const char *raw; /* the whole line without its line break */
	size_t raw_len;
	/* reply_key_classify(): a from key, another key; worked out once, as
	   the header-block test asks it of every line five times over. */
	bool from_key;
	bool other_key;
};

enum reply_kind {
	REPLY_TEXT,
	REPLY_BLANK,
	REPLY_QUOTED,
};

#define REPLY_N(a) (sizeof(a) / sizeof((a)[0]))

/* Endings of attribution lines, UTF-8, compared case-insensitively. */
static const char *const reply_wrote[] = {
	"wrote:", "wrote :", "writes:", "schrieb:", "a écrit :", "a écrit:",
	"a ecrit :", "escribió:", "escribio:", "ha scritto:", "schreef:",
	"escreveu:", "pisze:", "napisał:", "napisał(a):", "napisała:",
	"skrev:", "kirjoitti:",
	"написал:", "написала:", "написал(а):", "yazdı:",
	"写道：", "写道:", "寫道：", "寫道:", "書きました:", "のメッセージ:",
	"작성:", "írta:",
};

/* Starts of lines that open a split attribution ("On Mon, ...\n... wrote:"). */
static const char *const reply_attrib_start[] = {
	"On ", "在 ", "在", "于", "於", "Le ", "Am ", "El ", "Il ", "Op ",
	"Em ", "W dniu ", "Den ", "Dne ",
};

/* Separator lines between dashes that introduce the original message. */
static const char *const reply_separator_words[] = {
	"original message", "original", "原始邮件", "原始郵件", "原邮件",
	"forwarded message", "转发邮件", "轉寄郵件", "ursprüngliche nachricht",
	"message d'origine", "mensaje original", "messaggio originale",
	"oorspronkelijk bericht", "mensagem original", "oryginalna wiadomość",
	"исходное сообщение", "alkuperäinen viesti", "originalmeddelande",
	"oprindelig meddelelse", "oprindelig besked", "元のメッセージ",
};

static const char *const reply_unquoted_starts[] = {
	"Begin forwarded message:", "----- Forwarded", "-------- Forwarded",
	"---------- Forwarded", "-------- 转发邮件信息",
};

/* Signature and mobile-client footers: the rest is not the reply. */
static const char *const reply_signature_starts[] = {
	"Sent from my ", "Sent from Mail for Windows", "Sent from Outlook",
	"Sent from Yahoo Mail", "Get Outlook for ", "发自我的", "发自 我的",
	"从我的 iPhone 发送", "从我的iPhone发送", "发自网易邮箱", "发自 网易邮箱",
	"来自网易邮箱", "Envoyé de mon ", "Von meinem ", "Enviado desde mi ",
	"Enviado do meu ", "Inviato da ", "Verstuurd vanaf mijn ",
	"Skickat från min ", "Отправлено с ", "iPhoneから送信",
	"Envoyé à partir de ", "Enviado desde ",
};

/* Keys of header-block lines; the first must be one of the "from" keys. */
static const char *const reply_from_keys[] = {
	"From", "发件人", "寄件者", "寄件人", "Von", "De", "Da", "Van", "Od",
	"От", "Fra", "Från", "Lähettäjä", "差出人", "보낸 사람", "Feladó",
};

static const char *const reply_other_keys[] = {
	"Sent", "Date", "To", "Subject", "Cc", "发送时间", "时间", "日期", "收件人",
	"主题", "抄送", "发送日期", "寄件日期", "收件者", "主旨", "副本",
	"Gesendet", "An", "Betreff", "Datum", "Envoyé", "À", "A", "Objet",
	"Enviado", "Para", "Asunto", "Fecha", "Inviato", "Oggetto", "Data",
	"Verzonden", "Aan", "Onderwerp", "Wysłano", "Do", "Temat",
	"Отправлено", "Кому", "Тема", "Sendt", "Til", "Emne", "Skickat",
	"Till", "Ämne", "Lähetetty", "Vastaanottaja", "Aihe", "送信日時",
	"宛先", "件名", "보낸 날짜", "받는 사람", "제목",
};

/* tolower() for the first-byte tests: strncasecmp() folds only ASCII
   here too, and this is inline where the libc call is not. */
static inline unsigned char
reply_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool
reply_starts(const struct reply_line *l, const char *prefix)
{
	size_t n;

	/* The first byte decides for most lines, before strlen(). */
	if (l->len == 0 || reply_fold((unsigned char)l->s[0]) != reply_fold((unsigned char)prefix[0]))
		return prefix[0] == '\0';
	n = strlen(prefix);
	return l->len >= n && strncasecmp(l->s, prefix, n) == 0;
}

/* The (folded) first bytes of a prefix list: most lines start with none
   of them, and one test then stands for the whole list. */
struct reply_firsts {
	uint64_t bits[4];
};

static struct reply_firsts reply_firsts_unquoted, reply_firsts_signature,
	reply_firsts_attrib;
static pthread_once_t reply_firsts_once = PTHREAD_ONCE_INIT;

static void
reply_firsts_set(struct reply_firsts *f, const char *const *list, size_t n)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = reply_fold((unsigned char)list[i][0]);
		f->bits[c >> 6] |= UINT64_C(1) << (c & 63);
	}
}

static void
reply_firsts_init(void)
{
	reply_firsts_set(&reply_firsts_unquoted, reply_unquoted_starts,
			 REPLY_N(reply_unquoted_starts));
	reply_firsts_set(&reply_firsts_signature, reply_signature_starts,
			 REPLY_N(reply_signature_starts));
	reply_firsts_set(&reply_firsts_attrib, reply_attrib_start,
			 REPLY_N(reply_attrib_start));
}

/* No list holds an empty prefix, so an empty line starts with none. */
static bool
reply_starts_any(const struct reply_line *l, const char *const *list, size_t n,
		 const struct reply_firsts *f)
{
	unsigned char c;
	size_t i;

	if (l->len == 0)
		return false;
	c = reply_fold((unsigned char)l->s[0]);
	if ((f->bits[c >> 6] & (UINT64_C(1) << (c & 63))) == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (reply_starts(l, list[i]))
			return true;
	}
	return false;
}

static bool
reply_ends_wrote(const char *s, size_t len)
{
	size_t i, n;

	/* Every ending is a colon, ASCII or full-width. */
	if (len == 0 || (s[len - 1] != ':' &&
			 (len < 3 || memcmp(s + len - 3, "\xef\xbc\x9a", 3) != 0)))
		return false;
	for (i = 0; i < REPLY_N(reply_wrote); i++) {
		n = strlen(reply_wrote[i]);
		if (len >= n && strncasecmp(s + len - n, reply_wrote[i], n) == 0)
			return true;
	}
	return false;
}

static bool
reply_has_digit_or_at(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (isdigit((unsigned char)s[i]) || s[i] == '@')
			return true;
	}
	return false;
}

static enum reply_kind
reply_kind(const struct reply_line *l)
{
	if (l->len == 0)
		return REPLY_BLANK;
	if (l->s[0] == '>')
		return REPLY_QUOTED;
	return REPLY_TEXT;
}

static bool
reply_key_in(const char *s, const char *end, const char *const *list, size_t n)
{
	size_t i, k;
	unsigned char c0 = reply_fold((unsigned char)*s);

	for (i = 0; i < n; i++) {
		if (reply_fold((unsigned char)list[i][0]) != c0)
			continue;
		k = strlen(list[i]);
		if ((size_t)(end - s) < k || strncasecmp(s, list[i], k) != 0)
			continue;
		const char *p = s + k;

		while (p < end && (*p == ' ' || *p == '*'))
			p++;
		if (p < end && *p == ':')
			return true;
		if (end - p >= 3 && strncmp(p, "\xef\xbc\x9a", 3) == 0)
			return true;
	}
	return false;
}

/* Whether a full-width colon (U+FF1A) is in S..END. */
static bool
reply_has_wide_colon(const char *s, const char *end)
{
	const char *p;

	while ((p = memchr(s, 0xef, (size_t)(end - s))) != NULL) {
		if (end - p >= 3 && (unsigned char)p[1] == 0xbc && (unsigned char)p[2] == 0x9a)
			return true;
		s = p + 1;
	}
	return false;
}

/* Is the header key at the start of L (after '*' from HTML bold) one of
   the from keys, or one of the others, followed by ':' or '：'? */
static void
reply_key_classify(struct reply_line *l)
{
	const char *s = l->s, *end = l->s + l->len;

	l->from_key = l->other_key = false;
	while (s < end && (*s == '*' || *s == ' '))
		s++;
	/* Every key is followed by a colon: most lines have none. */
	if (s == end || (memchr(s, ':', (size_t)(end - s)) == NULL &&
			 !reply_has_wide_colon(s, end)))
		return;
	l->from_key = reply_key_in(s, end, reply_from_keys, REPLY_N(reply_from_keys));
	l->other_key = reply_key_in(s, end, reply_other_keys, REPLY_N(reply_other_keys));
}

/* A header block of quoted history: a "From:" line with another header
   line within the next few lines, or (Hotmail puts Date: and Subject:
   first) three header lines close together, one of them "From:". */
static bool
reply_header_block(const struct reply_line *lines, size_t count, size_t i)
{
	size_t j, seen = 0, keys = 1;
	bool from;

	if (lines[i].len > REPLY_HEADER_LINE_MAX)
		return false;
	from = lines[i].from_key;
	if (!from && !lines[i].other_key)
		return false;
	for (j = i + 1; j < count && seen < REPLY_BLOCK_LOOKAHEAD; j++) {
		if (lines[j].len == 0)
			continue;
		seen++;
		if (lines[j].from_key) {
			from = true;
			keys++;
		} else if (lines[j].other_key) {
			keys++;
		}
		if (from && (keys >= 3 || (keys >= 2 && lines[i].from_key)))
			return true;
	}
	return false;
}

static bool
reply_separator(const struct reply_line *l)
{
	char buf[REPLY_HEADER_LINE_MAX + 1];
	size_t i, n, dashes = 0;

	if (l->len > REPLY_HEADER_LINE_MAX)
		return false;
	if (reply_starts_any(l, reply_unquoted_starts, REPLY_N(reply_unquoted_starts),
			     &reply_firsts_unquoted))
		return true;
	for (i = 0; i < l->len && (l->s[i] == '-' || l->s[i] == '_' ||
				   l->s[i] == '=' || l->s[i] == ' '); i++)
		if (l->s[i] != ' ')
			dashes++;
	/* Outlook's rule of underscores. */
	if (i == l->len && dashes >= 10 && l->s[0] == '_')
		return true;
	if (dashes < 2)
		return false;
	for (n = 0; n < l->len; n++)
		buf[n] = tolower((unsigned char)l->s[n]);
	buf[n] = '\0';
	for (i = 0; i < REPLY_N(reply_separator_words); i++) {
		if (strstr(buf, reply_separator_words[i]) != NULL)
			return true;
	}
	return false;
}

static bool
reply_signature(const struct reply_line *l)
{
	if (l->raw_len == 3 && memcmp(l->raw, "-- ", 3) == 0)
		return true;
	if (l->len == 2 && memcmp(l->s, "--", 2) == 0)
		return true;
	/* A footer is a short line on its own: "Sent from my desk, is much
	   easier" is a sentence. */
	return l->len <= REPLY_FOOTER_MAX && memchr(l->s, ',', l->len) == NULL &&
		reply_starts_any(l, reply_signature_starts, REPLY_N(reply_signature_starts),
				 &reply_firsts_signature);
}

/* If an attribution starts at line I, the index of its last line, else
   (size_t)-1. */
static size_t
reply_attribution(const struct reply_line *lines, size_t count, size_t i)
{
	const struct reply_line *l = &lines[i];
	size_t j, total;

	if (l->len == 0 || l->len > REPLY_HEADER_LINE_MAX)
		return (size_t)-1;
	/* Gmail in locales without a "wrote" word ends with the address:
	   "ср, 30 апр. 2025 г. в 15:19, John Doe <doe@example.com>:". */
	if (l->len >= 2 && memcmp(l->s + l->len - 2, ">:", 2) == 0 &&
	    memchr(l->s, '@', l->len) != NULL && memchr(l->s, '<', l->len) != NULL &&
	    reply_has_digit_or_at(l->s, l->len))
		return i;
	if (reply_ends_wrote(l->s, l->len)) {
		/* "I wrote:" in running text is no attribution; real ones
		   carry a date or an address. */
		if (reply_has_digit_or_at(l->s, l->len) ||
		    memmem(l->s, l->len, "\xe5\x86\x99\xe9\x81\x93", 6) != NULL)
			return i;
		return (size_t)-1;
	}
	if (i + 1 < count && reply_has_digit_or_at(l->s, l->len)) {
		const struct reply_line *n = &lines[i + 1];

		/* "... Test user <test@example.com" then ">:" */
		if (n->len == 2 && memcmp(n->s, ">:", 2) == 0 &&
		    memchr(l->s, '@', l->len) != NULL)
			return i + 1;
		/* "pe 20. lokakuuta 2017 klo 17.50 John Coe" then
		   "<x@y> kirjoitti:", or the address split after '<'. */
		if (n->len > 0 && (n->s[0] == '<' || l->s[l->len - 1] == '<') &&
		    l->len + n->len <= REPLY_HEADER_LINE_MAX &&
		    reply_ends_wrote(n->s, n->len))
			return i + 1;
	}
	if (!reply_starts_any(l, reply_attrib_start, REPLY_N(reply_attrib_start),
			      &reply_firsts_attrib))
		return (size_t)-1;
	total = l->len;
	for (j = i + 1; j < count && j <= i + REPLY_ATTRIB_LOOKAHEAD; j++) {
		if (lines[j].len == 0 || lines[j].s[0] == '>')
			break;
		total += lines[j].len;
		if (total > REPLY_HEADER_LINE_MAX)
			break;
		if (reply_ends_wrote(lines[j].s, lines[j].len) ||
		    (lines[j].len >= 2 &&
		     memcmp(lines[j].s + lines[j].len - 2, ">:", 2) == 0 &&
		     memchr(lines[j].s, '@', lines[j].len) != NULL))
			return j;
	}
	return (size_t)-1;
}

/* Whether any text line before I survives (is not dropped or quoted). */
static bool
reply_kept_before(const struct reply_line *lines, size_t i)
{
	while (i-- > 0) {
		if (lines[i].s != NULL && reply_kind(&lines[i]) == REPLY_TEXT)
			return true;
	}
	return false;
}

/* A blank line or one made only of '-', '_', '=' or '*'. */
static bool
reply_is_rule(const struct reply_line *l)
{
	size_t i;

	for (i = 0; i < l->len; i++) {
		if (l->s[i] != '-' && l->s[i] != '_' && l->s[i] != '=' &&
		    l->s[i] != '*' && l->s[i] != ' ')
			return false;
	}
	return true;
}

static void
reply_trim(const char *s, size_t len, struct reply_line *l)
{
	const char *e = s + len;

	l->raw = s;
	l->raw_len = len;
	if (len > 0 && s[len - 1] == '\r')
		l->raw_len = --len, e--;
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	/* A no-break space (U+00A0) or ideographic space (U+3000) from HTML
	   counts as white space too. */
	for (;;) {
		if (e - s >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0)
			s += 2;
		else if (e - s >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else if (s < e && (*s == ' ' || *s == '\t'))
			s++;
		else
			break;
	}
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	l->s = s;
	l->len = e - s;
}

char *
reply_extract(const char *text, size_t len, bool *quoted_r)
{
	struct reply_line *lines = NULL;
	MMAPString *out = NULL;
	size_t count = 0, cap, i, j, end, blanks = 0;
	const char *p, *nl;
	bool quoted = false, block;
	char *ret = NULL;

	(void)pthread_once(&reply_firsts_once, reply_firsts_init);
	if (len > REPLY_TEXT_MAX)
		len = REPLY_TEXT_MAX;
	cap = 16;
	lines = malloc(cap * sizeof(*lines));
	if (lines == NULL)
		goto out;
	for (p = text; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', text + len - p);
		if (nl == NULL)
			nl = text + len;
		if (count == cap) {
			struct reply_line *n = realloc(lines, cap * 2 * sizeof(*lines));

			if (n == NULL)
				goto out;
			lines = n;
			cap *= 2;
		}
		reply_trim(p, nl - p, &lines[count]);
		reply_key_classify(&lines[count++]);
	}

	/* Find the hard cut: the first line after which only history or
	   signature follows. */
	end = count;
	for (i = 0; i < count && end == count; i++) {
		if (reply_kind(&lines[i]) != REPLY_TEXT)
			continue;
		block = reply_header_block(lines, count, i);
		if (block && !reply_kept_before(lines, i)) {
			/* Headers on top of everything are the message's own
			   (a forward or a pasted export), not history. */
			for (; i < count && lines[i].len > 0 &&
			       (lines[i].from_key || lines[i].other_key); i++)
				lines[i].s = NULL;
			quoted = true;
			i--;
			continue;
		}
		if (block || reply_separator(&lines[i]) || reply_signature(&lines[i])) {
			end = i;
			break;
		}
		j = reply_attribution(lines, count, i);
		if (j != (size_t)-1) {
			size_t k = j + 1;

			while (k < count && lines[k].len == 0)
				k++;
			/* An attribution above '>' lines goes with them;
			   above anything else it starts unquoted history. */
			if (k < count && reply_kind(&lines[k]) == REPLY_QUOTED) {
				quoted = true;
				for (; i <= j; i++)
					lines[i].len = 0, lines[i].s = NULL;
				i = j;
			} else {
				end = i;
			}
		}
	}
	if (end < count)
		quoted = true;
	/* Rules and blank lines just above the cut belong to the separator. */
	while (end > 0 && lines[end - 1].s != NULL && reply_is_rule(&lines[end - 1]))
		end--;

	out = mmap_string_sized_new(len + 1);
	if (out == NULL)
		goto out;
	for (i = 0; i < end; i++) {
		if (lines[i].s == NULL)
			continue; /* a dropped attribution */
		switch (reply_kind(&lines[i])) {
		case REPLY_QUOTED:
			quoted = true;
			continue;
		case REPLY_BLANK:
			blanks++;
			continue;
		case REPLY_TEXT:
			break;
		}
		if (out->len > 0) {
			if (mmap_string_append_len(out, "\n\n", blanks > 0 ? 2 : 1) == NULL)
				goto out;
		}
		blanks = 0;
		if (mmap_string_append_len(out, lines[i].raw, lines[i].raw_len) == NULL)
			goto out;
	}
	ret = strndup(out->str, out->len);
	if (quoted_r != NULL)
		*quoted_r = quoted;
out:
	if (out != NULL)
		mmap_string_free(out);
	free(lines);
	return ret;
}
