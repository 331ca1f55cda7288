#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "thread.h"

/* Longest bracketed marker that can hold a ticket number. */
#define THREAD_TAG_MAX 128

static const char *const thread_prefixes[] = {
	/* Longest first where one is a prefix of another. */
	"fwd", "fw", "re", "aw", "wg", "sv", "vs", "tr", "rif", "antw",
	"回复", "答复", "转发", "回覆", "轉寄", "轉發", "答覆", "回應",
};

static const char *const thread_markers[] = {
	"[external]", "[ext]", "[外部邮件]", "[外部]", "(external)",
};

static bool
thread_is_space(const char *p, size_t *len_r)
{
	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
		*len_r = 1;
		return true;
	}
	/* U+3000 IDEOGRAPHIC SPACE */
	if (strncmp(p, "\xe3\x80\x80", 3) == 0) {
		*len_r = 3;
		return true;
	}
	return false;
}

static const char *
thread_skip_space(const char *p)
{
	size_t n;

	while (thread_is_space(p, &n))
		p += n;
	return p;
}

/* If P starts with a colon (ASCII or full-width), the position after it. */
static const char *
thread_colon(const char *p)
{
	if (*p == ':')
		return p + 1;
	if (strncmp(p, "\xef\xbc\x9a", 3) == 0)
		return p + 3;
	return NULL;
}

/* One reply prefix at P: "Re:", "RE :", "Re[2]:", "回复：". Returns the
   position after it, or NULL. */
static const char *
thread_prefix(const char *p)
{
	size_t i, n;
	const char *q, *c;

	for (i = 0; i < sizeof(thread_prefixes) / sizeof(thread_prefixes[0]); i++) {
		n = strlen(thread_prefixes[i]);
		if (strncasecmp(p, thread_prefixes[i], n) != 0)
			continue;
		q = p + n;
		if (*q == '[' || *q == '(') {
			char close = *q == '[' ? ']' : ')';

			q++;
			while (isdigit((unsigned char)*q))
				q++;
			if (*q != close)
				continue;
			q++;
		}
		while (*q == ' ')
			q++;
		if ((c = thread_colon(q)) != NULL)
			return c;
	}
	return NULL;
}

static const char *
thread_marker(const char *p)
{
	size_t i, n;

	for (i = 0; i < sizeof(thread_markers) / sizeof(thread_markers[0]); i++) {
		n = strlen(thread_markers[i]);
		if (strncasecmp(p, thread_markers[i], n) == 0)
			return p + n;
	}
	return NULL;
}

char *
thread_normalize_subject(const char *subject)
{
	const char *p, *q;
	char *out, *o;
	size_t n, len;
	bool space = false;

	if (subject == NULL)
		return strdup("");
	len = strnlen(subject, THREAD_SUBJECT_MAX);
	/* Cut at a character boundary: half a UTF-8 sequence is no key. */
	while (len > 0 && ((unsigned char)subject[len] & 0xc0) == 0x80)
		len--;
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, subject, len);
	out[len] = '\0';

	/* Prefixes and markers come in any order: "RE: [External] 回复：". */
	p = thread_skip_space(out);
	for (;;) {
		if ((q = thread_prefix(p)) == NULL && (q = thread_marker(p)) == NULL)
			break;
		p = thread_skip_space(q);
	}

	o = out;
	while (*p != '\0') {
		if (thread_is_space(p, &n)) {
			space = true;
			p += n;
			continue;
		}
		if (space && o != out)
			*o++ = ' ';
		space = false;
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

/* Check one bracketed tag body (between '[' and ']') for "#number". */
static int
thread_tag_body(const char *s, size_t len, char *buf, size_t size)
{
	const char *hash = memchr(s, '#', len);
	size_t i, n;

	if (hash == NULL)
		return 0;
	/* Before '#': empty, or a queue or helpdesk name and/or "Ticket". */
	for (i = 0; s + i < hash; i++) {
		unsigned char c = s[i];

		if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != ' ' &&
		    c != ':')
			return 0;
	}
	hash++;
	while (*hash == ' ')
		hash++;
	n = s + len - hash;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)hash[i]) && hash[i] != '-')
			return 0;
	}
	if (!isdigit((unsigned char)hash[0]) || n + 1 > size)
		return 0;
	memcpy(buf, hash, n);
	buf[n] = '\0';
	return 1;
}

int
thread_subject_tag(const char *subject, char *buf, size_t size)
{
	const char *p, *end;
	size_t len;

	if (subject == NULL)
		return 0;
	len = strnlen(subject, THREAD_SUBJECT_MAX);
	for (p = subject; (p = memchr(p, '[', len - (p - subject))) != NULL; p++) {
		size_t rest = len - (p + 1 - subject);

		end = memchr(p + 1, ']', rest < THREAD_TAG_MAX ? rest : THREAD_TAG_MAX);
		if (end == NULL)
			continue;
		if (thread_tag_body(p + 1, end - p - 1, buf, size))
			return 1;
	}
	return 0;
}
