#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "autoreply.h"
#include "charset.h"
#include "html.h"
#include "mail.h"
#include "mime.h"
#include "reply.h"

/* Longest charset name in an encoded word or parameter we look at. */
#define MAIL_CHARSET_NAME_MAX 64
/* Longest encoded word (RFC 2047 says 75; mailers write longer ones). */
#define MAIL_ENCODED_WORD_MAX 4096
/* How far into an HTML part a <meta charset> is looked for. */
#define MAIL_HTML_META_SCAN 4096

struct mail_header {
	const char *name;
	size_t name_len;
	char *value; /* unfolded, NUL-terminated */
	size_t value_len;
};

/* Header values live in the inline arena, or in malloc'ed chunks once it
   is full: no allocation per header for a usual message. */
#define MAIL_ARENA_INLINE 4096
#define MAIL_ARENA_CHUNK 16384
#define MAIL_HEADERS_INLINE 48

struct mail_chunk {
	struct mail_chunk *next;
	size_t used, cap;
	char data[];
};

struct mail_headers {
	struct mail_header *h;   /* inline_h, or malloc'ed past it */
	size_t count;
	bool over;
	struct mail_chunk *chunks;
	size_t arena_used;
	struct mail_header inline_h[MAIL_HEADERS_INLINE];
	char arena[MAIL_ARENA_INLINE];
};

static char *mail_decode_header_hint(const char *value, size_t len,
				     const char *hint);

static void
mail_headers_init(struct mail_headers *hdrs)
{
	hdrs->h = hdrs->inline_h;
	hdrs->count = 0;
	hdrs->over = false;
	hdrs->chunks = NULL;
	hdrs->arena_used = 0;
}

static void
mail_headers_free(struct mail_headers *hdrs)
{
	struct mail_chunk *c, *next;

	for (c = hdrs->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	if (hdrs->h != hdrs->inline_h)
		free(hdrs->h);
	mail_headers_init(hdrs);
}

/* N bytes for a header value, from the arena or a chunk. */
static char *
mail_headers_alloc(struct mail_headers *hdrs, size_t n)
{
	struct mail_chunk *c = hdrs->chunks;
	size_t cap;
	char *p;

	if (MAIL_ARENA_INLINE - hdrs->arena_used >= n) {
		p = hdrs->arena + hdrs->arena_used;
		hdrs->arena_used += n;
		return p;
	}
	if (c == NULL || c->cap - c->used < n) {
		cap = n > MAIL_ARENA_CHUNK ? n : MAIL_ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = hdrs->chunks;
		hdrs->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static bool
mail_is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* Where the headers start: after white space some exporters put in front
   and after an mbox "From " line. */
static size_t
mail_headers_start(const char *buf, size_t len)
{
	size_t i = 0;
	const char *nl;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
			   buf[i] == '\n'))
		i++;
	if (len - i >= 5 && memcmp(buf + i, "From ", 5) == 0) {
		nl = memchr(buf + i, '\n', len - i);
		i = nl == NULL ? len : (size_t)(nl - buf) + 1;
	}
	return i;
}

/* Whether BUF starts with "name:" at all. */
static bool
mail_looks_like_header(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && mail_is_ftext((unsigned char)buf[i]))
		i++;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	return i > 0 && i < len && buf[i] == ':';
}

static int
mail_header_add(struct mail_headers *hdrs, size_t *cap, const char *name,
		size_t name_len, const char *v, size_t vlen)
{
	struct mail_header *h;
	size_t i, o = 0;
	char *value;

	if (hdrs->count == MAIL_HEADERS_MAX) {
		hdrs->over = true;
		return 0;
	}
	if (*cap == 0)
		*cap = MAIL_HEADERS_INLINE;
	if (hdrs->count == *cap) {
		size_t ncap = *cap * 2;

		if (hdrs->h == hdrs->inline_h) {
			if ((h = malloc(ncap * sizeof(*h))) == NULL)
				return -1;
			memcpy(h, hdrs->inline_h, sizeof(hdrs->inline_h));
		} else if ((h = realloc(hdrs->h, ncap * sizeof(*h))) == NULL) {
			return -1;
		}
		hdrs->h = h;
		*cap = ncap;
	}
	/* Leading white space goes, line breaks between it included. */
	while (vlen > 0 && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
		v++, vlen--;
	value = mail_headers_alloc(hdrs, vlen + 1);
	if (value == NULL)
		return -1;
	/* Unfold: drop the line breaks, keep the white space after them.
	   Long values (Received, DKIM) are copied a line at a time. */
	for (i = 0; i < vlen;) {
		const char *nl = memchr(v + i, '\n', vlen - i);
		const char *seg = v + i, *segend = nl == NULL ? v + vlen : nl, *cr;
		size_t n;

		while (seg < segend) {
			cr = memchr(seg, '\r', (size_t)(segend - seg));
			n = (size_t)((cr == NULL ? segend : cr) - seg);
			memcpy(value + o, seg, n);
			o += n;
			seg += n + (cr != NULL ? 1 : 0);
		}
		i = (size_t)(segend - v) + (nl != NULL ? 1 : 0);
	}
	while (o > 0 && (value[o - 1] == ' ' || value[o - 1] == '\t'))
		o--;
	value[o] = '\0';
	h = &hdrs->h[hdrs->count++];
	h->name = name;
	h->name_len = name_len;
	h->value = value;
	h->value_len = o;
	return 0;
}

/* Split the header block at BUF into headers. Returns the offset of the
   body (LEN when there is none), or (size_t)-1 when memory runs out. */
static size_t
mail_headers_read(const char *buf, size_t len, struct mail_headers *hdrs)
{
	size_t pos = 0, cap = 0, name_len = 0, vstart = 0, end, nlen;
	const char *name = NULL, *nl;

	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl == NULL ? len : (size_t)(nl - buf);
		if (end == pos || (end == pos + 1 && buf[pos] == '\r')) {
			pos = nl == NULL ? len : end + 1;
			break;
		}
		if (buf[pos] == ' ' || buf[pos] == '\t') {
			/* A folded line continues the current header. */
		} else {
			if (name != NULL &&
			    mail_header_add(hdrs, &cap, name, name_len,
					    buf + vstart, pos - vstart) < 0)
				return (size_t)-1;
			name = NULL;
			nlen = 0;
			while (pos + nlen < end && mail_is_ftext((unsigned char)buf[pos + nlen]))
				nlen++;
			vstart = pos + nlen;
			while (vstart < end && (buf[vstart] == ' ' || buf[vstart] == '\t'))
				vstart++;
			if (nlen > 0 && vstart < end && buf[vstart] == ':') {
				name = buf + pos;
				name_len = nlen;
				vstart++;
			}
			/* Anything else is a broken line; skip it. */
		}
		pos = nl == NULL ? len : end + 1;
	}
	if (name != NULL &&
	    mail_header_add(hdrs, &cap, name, name_len, buf + vstart,
			    (pos > len ? len : pos) - vstart) < 0)
		return (size_t)-1;
	return pos;
}

static const struct mail_header *
mail_header_find(const struct mail_headers *hdrs, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < hdrs->count; i++) {
		if (hdrs->h[i].name_len == n &&
		    strncasecmp(hdrs->h[i].name, name, n) == 0)
			return &hdrs->h[i];
	}
	return NULL;
}

/* Append LEN bytes of IN in CHARSET (NULL: guess) to OUT as UTF-8. */
static int
mail_append_converted(MMAPString *out, const char *charset, const char *in,
		      size_t len)
{
	size_t ulen;
	char *u;
	int ret = 0;

	if (len == 0)
		return 0;
	u = charset_to_utf8(charset, in, len, &ulen);
	if (u == NULL)
		return -1;
	if (mmap_string_append_len(out, u, ulen) == NULL)
		ret = -1;
	free(u);
	return ret;
}

char *
mail_decode_header(const char *value, size_t len)
{
	return mail_decode_header_hint(value, len, NULL);
}

/* Parse an encoded word "=?charset?X?text?=" at S (LEN bytes left).
   Returns its length and the charset and decoded bytes, or 0. */
static size_t
mail_encoded_word(const char *s, size_t len, char *charset, size_t cs_size,
		  char **decoded_r, size_t *decoded_len_r)
{
	size_t i, cs_end, text_start, text_end, idx = 0, n;
	char enc, *q;
	int r;

	if (len > MAIL_ENCODED_WORD_MAX)
		len = MAIL_ENCODED_WORD_MAX;
	if (len < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	for (i = 2; i < len && s[i] != '?'; i++) {
		if (s[i] == ' ' || s[i] == '\t' || (unsigned char)s[i] >= 0x80)
			return 0;
	}
	if (i >= len || i == 2)
		return 0;
	cs_end = i;
	if (i + 3 >= len || s[i + 2] != '?')
		return 0;
	enc = s[i + 1];
	if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
		return 0;
	text_start = i + 3;
	for (i = text_start; i + 1 < len; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			return 0;
		if (s[i] == '?' && s[i + 1] == '=')
			break;
	}
	if (i + 1 >= len)
		return 0;
	text_end = i;
	/* RFC 2231 adds "*language" to the charset. */
	n = cs_end - 2;
	for (i = 0; i < n && s[2 + i] != '*'; i++)
		;
	n = i;
	if (n + 1 > cs_size)
		return 0;
	memcpy(charset, s + 2, n);
	charset[n] = '\0';
	/* The decoded text is malloc'ed either way (free() it). */
	if (enc == 'B' || enc == 'b') {
		*decoded_r = mime_decode(MAILMIME_MECHANISM_BASE64, s + text_start,
					 text_end - text_start, decoded_len_r);
		return *decoded_r == NULL ? 0 : text_end + 2;
	}
	r = mailmime_quoted_printable_body_parse(s + text_start, text_end - text_start,
						 &idx, &q, decoded_len_r, 1);
	if (r != MAILIMF_NO_ERROR)
		return 0;
	*decoded_r = malloc(*decoded_len_r + 1);
	if (*decoded_r != NULL) {
		memcpy(*decoded_r, q, *decoded_len_r);
		(*decoded_r)[*decoded_len_r] = '\0';
	}
	mailmime_decoded_part_free(q);
	return *decoded_r == NULL ? 0 : text_end + 2;
}

static bool
mail_all_space(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	}
	return true;
}

/* Raw 8-bit header text: UTF-8 when valid, else the charset the message
   labels its body with (mailers write headers in the same one), else the
   charset_to_utf8() guess. */
static int
mail_append_raw(MMAPString *out, const char *hint, const char *in, size_t len)
{
	if (hint != NULL && charset_is_utf8(in, len))
		hint = NULL;
	if (hint != NULL && (strcmp(charset_canonical(hint), "UTF-8") == 0 ||
			     strcasecmp(hint, "us-ascii") == 0 ||
			     strcasecmp(charset_canonical(hint), "UTF-7") == 0))
		hint = NULL;
	return mail_append_converted(out, hint, in, len);
}

static char *
mail_decode_header_hint(const char *value, size_t len, const char *hint)
{
	char charset[MAIL_CHARSET_NAME_MAX], pending_cs[MAIL_CHARSET_NAME_MAX];
	MMAPString *out = NULL, *pending = NULL;
	size_t pos = 0, seg = 0, wlen, dlen, i, start, end;
	bool prev_word = false;
	const char *q;
	char *decoded, *ret = NULL;

	out = mmap_string_sized_new(len + 1);
	pending = mmap_string_new("");
	if (out == NULL || pending == NULL)
		goto out;
	pending_cs[0] = '\0';
	while (pos < len) {
		q = memchr(value + pos, '=', len - pos);
		if (q == NULL)
			break;
		wlen = mail_encoded_word(q, len - (q - value), charset,
					 sizeof(charset), &decoded, &dlen);
		if (wlen == 0) {
			pos = q - value + 1;
			continue;
		}
		/* White space between two encoded words is not text. */
		if (!(prev_word && mail_all_space(value + seg, q - value - seg))) {
			if (mail_append_converted(out, pending_cs, pending->str,
						  pending->len) < 0 ||
			    mail_append_raw(out, hint, value + seg,
					    q - value - seg) < 0) {
				free(decoded);
				goto out;
			}
			mmap_string_truncate(pending, 0);
		}
		/* Words of one charset are joined before conversion: mailers
		   split multibyte characters across them. */
		if (strcasecmp(charset, pending_cs) != 0) {
			if (mail_append_converted(out, pending_cs, pending->str,
						  pending->len) < 0) {
				free(decoded);
				goto out;
			}
			mmap_string_truncate(pending, 0);
			memcpy(pending_cs, charset, sizeof(charset));
		}
		if (mmap_string_append_len(pending, decoded, dlen) == NULL) {
			free(decoded);
			goto out;
		}
		free(decoded);
		pos = seg = q - value + wlen;
		prev_word = true;
	}
	if (mail_append_converted(out, pending_cs, pending->str, pending->len) < 0 ||
	    mail_append_raw(out, hint, value + seg, len - seg) < 0)
		goto out;
	/* Control characters and folding white space become spaces. */
	for (i = 0; i < out->len; i++) {
		if ((unsigned char)out->str[i] < 0x20 || out->str[i] == 0x7f)
			out->str[i] = ' ';
	}
	start = 0;
	end = out->len;
	while (start < end && out->str[start] == ' ')
		start++;
	while (end > start && out->str[end - 1] == ' ')
		end--;
	ret = strndup(out->str + start, end - start);
out:
	if (out != NULL)
		mmap_string_free(out);
	if (pending != NULL)
		mmap_string_free(pending);
	return ret;
}

static void
mail_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = tolower((unsigned char)*s);
}

/* Message ids ("<a@b>") out of a header value, tolerant of the comments
   and prose that mailers put around them. Appends to *ids. */
static int
mail_ids(const char *v, char ***ids, size_t *count, size_t *cap)
{
	const char *p = v, *lt, *gt;
	char **n, *id;
	size_t len;

	while ((lt = strchr(p, '<')) != NULL) {
		gt = strchr(lt + 1, '>');
		if (gt == NULL)
			break;
		len = gt - lt - 1;
		p = gt + 1;
		if (len == 0 || memchr(lt + 1, ' ', len) != NULL ||
		    memchr(lt + 1, '<', len) != NULL)
			continue;
		if (*count == *cap) {
			size_t ncap = *cap == 0 ? 4 : *cap * 2;

			n = realloc(*ids, ncap * sizeof(*n));
			if (n == NULL)
				return -1;
			*ids = n;
			*cap = ncap;
		}
		id = strndup(lt + 1, len);
		if (id == NULL)
			return -1;
		(*ids)[(*count)++] = id;
	}
	return 0;
}

static int
mail_parse_message_id(const struct mail_header *h, char **out)
{
	char **ids = NULL;
	size_t count = 0, cap = 0, i, idx = 0;
	char *id = NULL;

	if (mailimf_msg_id_parse(h->value, h->value_len, &idx, &id) == MAILIMF_NO_ERROR) {
		*out = strdup(id);
		mailimf_msg_id_free(id);
		return *out == NULL ? -1 : 0;
	}
	if (mail_ids(h->value, &ids, &count, &cap) < 0)
		goto fail;
	if (count > 0) {
		*out = ids[0];
		ids[0] = NULL;
	} else if (h->value_len > 0 && strchr(h->value, ' ') == NULL) {
		/* An id without angle brackets. */
		*out = strdup(h->value);
		if (*out == NULL)
			goto fail;
	}
	for (i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
	return 0;
fail:
	for (i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
	return -1;
}

static int
mail_parse_references(const struct mail_header *h, struct mail_msg *msg)
{
	size_t count = 0, cap = 0, i, drop;
	char **ids = NULL;

	if (mail_ids(h->value, &ids, &count, &cap) < 0)
		goto fail;
	if (count > MAIL_REFERENCES_MAX) {
		/* Keep the thread root and the newest parents. */
		drop = count - MAIL_REFERENCES_MAX;
		for (i = 1; i <= drop; i++)
			free(ids[i]);
		memmove(ids + 1, ids + 1 + drop,
			(count - 1 - drop) * sizeof(*ids));
		count = MAIL_REFERENCES_MAX;
	}
	msg->references = ids;
	msg->reference_count = count;
	return 0;
fail:
	for (i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
	return -1;
}

static int64_t
mail_date(const char *value, size_t len)
{
	struct mailimf_date_time *dt = NULL;
	struct tm tm;
	size_t idx = 0;
	int64_t t = 0;
	int zone, off, year;

	if (mailimf_date_time_parse(value, len, &idx, &dt) != MAILIMF_NO_ERROR)
		return 0;
	year = dt->dt_year;
	/* RFC 5322 4.3 obsolete two- and three-digit years. */
	if (year < 50)
		year += 2000;
	else if (year < 1000)
		year += 1900;
	if (year < 1970 || year > 9999 || dt->dt_month < 1 || dt->dt_month > 12 ||
	    dt->dt_day < 1 || dt->dt_day > 31 || dt->dt_hour < 0 ||
	    dt->dt_hour > 23 || dt->dt_min < 0 || dt->dt_min > 59 ||
	    dt->dt_sec < 0 || dt->dt_sec > 60)
		goto out;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec;
	zone = dt->dt_zone;
	/* libetpan takes any digits as the zone; past +-9959 it is none
	   (RFC 5322 4.3: an unknown zone is UTC), and abs() and the
	   multiplication below stay in range. */
	if (zone < -9959 || zone > 9959)
		zone = 0;
	off = (abs(zone) / 100) * 3600 + (abs(zone) % 100) * 60;
	if (zone < 0)
		off = -off;
	t = (int64_t)timegm(&tm) - off;
	if (t < 0)
		t = 0;
out:
	mailimf_date_time_free(dt);
	return t;
}

/* The common header forms whose addr-spec we can read without libetpan's
   grammar (and its allocation per token): "local@domain" with nothing
   else, and for To/Cc "phrase <local@domain>". The character sets are
   narrow on purpose: for them libetpan's phrase takes every token and
   stops at the '<', and its addr-spec is the bytes as they are. Anything
   else goes to libetpan as before. */
#define MAIL_FAST_ADDR_MAX 254

static bool
mail_fast_addr_char(unsigned char c, bool domain)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' ||
	       (!domain && (c == '_' || c == '+'));
}

static bool
mail_fast_addr(const char *s, size_t len)
{
	size_t i, at = len;

	if (len == 0 || len > MAIL_FAST_ADDR_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '@' && at == len)
			at = i;
		else if (!mail_fast_addr_char((unsigned char)s[i], at != len))
			return false;
	}
	return at > 0 && at + 1 < len;
}

/* A complete RFC 2047 word: libetpan's decoder takes exactly it. */
static bool
mail_fast_encoded_word(const char *s, size_t len)
{
	size_t i = 2, q;

	if (len < 8 || memcmp(s, "=?", 2) != 0 || memcmp(s + len - 2, "?=", 2) != 0)
		return false;
	for (q = i; q < len && (isalnum((unsigned char)s[q]) || s[q] == '-' || s[q] == '_'); q++)
		;
	if (q == i || q + 3 > len - 2 || s[q] != '?' || strchr("BbQq", s[q + 1]) == NULL ||
	    s[q + 2] != '?')
		return false;
	for (i = q + 3; i < len - 2; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr("+/=_.-", s[i]) == NULL)
			return false;
	}
	return true;
}

/* Tokens of a display name, separated by spaces: atoms of a few
   characters, quoted strings without escapes, encoded words. */
static bool
mail_fast_phrase(const char *s, size_t len)
{
	size_t i = 0, t;

	while (i < len) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		t = i;
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] == '\\' || (unsigned char)s[i] < 0x20 ||
				    (unsigned char)s[i] >= 0x7f)
					return false;
			}
			if (i == len)
				return false;
			i++;
			if (i < len && s[i] != ' ')
				return false;
			continue;
		}
		while (i < len && s[i] != ' ') {
			if (!isalnum((unsigned char)s[i]) && strchr("._+-=?/", s[i]) == NULL)
				return false;
			i++;
		}
		if (memmem(s + t, i - t, "=?", 2) != NULL &&
		    !mail_fast_encoded_word(s + t, i - t))
			return false;
	}
	return true;
}

/* The addr-spec of a header in one of the simple forms (WITH_NAME: the
   "phrase <addr>" one too) into BUF; false: ask libetpan. */
static bool
mail_fast_mailbox(const struct mail_header *h, bool with_name, char *buf)
{
	const char *v = h->value, *lt;
	size_t len = h->value_len, n;

	if (mail_fast_addr(v, len)) {
		memcpy(buf, v, len);
		buf[len] = '\0';
		return true;
	}
	if (!with_name || len < 2 || v[len - 1] != '>' ||
	    (lt = memchr(v, '<', len)) == NULL)
		return false;
	n = (size_t)(v + len - 1 - (lt + 1));
	if (!mail_fast_addr(lt + 1, n) || !mail_fast_phrase(v, (size_t)(lt - v)))
		return false;
	memcpy(buf, lt + 1, n);
	buf[n] = '\0';
	return true;
}

/* Fallback for From headers libetpan will not take (raw 8-bit names,
   unbalanced quotes): "name <addr>" or a bare addr. */
static int
mail_from_loose(const char *v, const char *hint, struct mail_msg *msg)
{
	const char *lt = strrchr(v, '<'), *gt, *s, *e;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL && memchr(lt, '@', gt - lt)) {
		msg->from_addr = strndup(lt + 1, gt - lt - 1);
		s = v;
		e = lt;
		while (s < e && (*s == ' ' || *s == '"'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '"'))
			e--;
		if (e > s)
			msg->from_name = mail_decode_header_hint(s, e - s, hint);
	} else if (strchr(v, '@') != NULL && strchr(v, ' ') == NULL) {
		msg->from_addr = strdup(v);
	}
	if (msg->from_addr != NULL)
		mail_lower(msg->from_addr);
	return 0;
}

static int
mail_parse_from(const struct mail_header *h, const char *hint,
		struct mail_msg *msg)
{
	struct mailimf_mailbox_list *list = NULL;
	struct mailimf_mailbox *mb;
	char addr[MAIL_FAST_ADDR_MAX + 1];
	size_t idx = 0;

	/* A bare address has no display name to decode. */
	if (mail_fast_mailbox(h, false, addr)) {
		if ((msg->from_addr = strdup(addr)) == NULL)
			return -1;
		mail_lower(msg->from_addr);
		return 0;
	}
	if (mailimf_mailbox_list_parse(h->value, h->value_len, &idx, &list) !=
	    MAILIMF_NO_ERROR || clist_begin(list->mb_list) == NULL) {
		if (list != NULL)
			mailimf_mailbox_list_free(list);
		return mail_from_loose(h->value, hint, msg);
	}
	mb = clist_content(clist_begin(list->mb_list));
	if (mb->mb_addr_spec != NULL) {
		msg->from_addr = strdup(mb->mb_addr_spec);
		if (msg->from_addr != NULL)
			mail_lower(msg->from_addr);
	}
	if (mb->mb_display_name != NULL && *mb->mb_display_name != '\0')
		msg->from_name = mail_decode_header_hint(mb->mb_display_name,
							 strlen(mb->mb_display_name),
							 hint);
	mailimf_mailbox_list_free(list);
	return 0;
}

static int
mail_add_addr(struct mail_msg *msg, size_t *cap, const char *addr)
{
	char **n;

	if (addr == NULL || msg->to_count == MAIL_ADDRS_MAX)
		return 0;
	if (msg->to_count == *cap) {
		size_t ncap = *cap == 0 ? 4 : *cap * 2;

		n = realloc(msg->to_addrs, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		msg->to_addrs = n;
		*cap = ncap;
	}
	msg->to_addrs[msg->to_count] = strdup(addr);
	if (msg->to_addrs[msg->to_count] == NULL)
		return -1;
	mail_lower(msg->to_addrs[msg->to_count++]);
	return 0;
}

static int
mail_parse_to(const struct mail_header *h, struct mail_msg *msg, size_t *cap)
{
	struct mailimf_address_list *list = NULL;
	struct mailimf_address *ad;
	struct mailimf_mailbox *mb;
	clistiter *it, *jt;
	char addr[MAIL_FAST_ADDR_MAX + 1];
	size_t idx = 0;
	int ret = 0;

	if (mail_fast_mailbox(h, true, addr))
		return mail_add_addr(msg, cap, addr);
	if (mailimf_address_list_parse(h->value, h->value_len, &idx, &list) !=
	    MAILIMF_NO_ERROR)
		return 0;
	for (it = clist_begin(list->ad_list); it != NULL && ret == 0; it = clist_next(it)) {
		ad = clist_content(it);
		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			ret = mail_add_addr(msg, cap, ad->ad_data.ad_mailbox->mb_addr_spec);
			continue;
		}
		if (ad->ad_type != MAILIMF_ADDRESS_GROUP ||
		    ad->ad_data.ad_group->grp_mb_list == NULL)
			continue;
		for (jt = clist_begin(ad->ad_data.ad_group->grp_mb_list->mb_list);
		     jt != NULL && ret == 0; jt = clist_next(jt)) {
			mb = clist_content(jt);
			ret = mail_add_addr(msg, cap, mb->mb_addr_spec);
		}
	}
	mailimf_address_list_free(list);
	return ret;
}

/* The charset parameter, plain or RFC 2231 ("charset*=utf-8''"). Copied
   into BUF; NULL when there is none. */
static const char *
mail_part_charset(const struct mailmime_content *ct, char *buf, size_t size)
{
	const char *v = mime_content_param(ct, "charset");
	size_t n;

	if (v == NULL)
		v = mime_content_param(ct, "charset*");
	if (v == NULL)
		return NULL;
	for (n = 0; v[n] != '\0' && v[n] != '\'' && v[n] != ' ' && v[n] != ';'; n++)
		;
	if (n == 0 || n + 1 > size)
		return NULL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

/* Sniff <meta charset="x"> or content="text/html; charset=x". */
static const char *
mail_html_meta_charset(const char *html, size_t len, char *buf, size_t size)
{
	char scan[MAIL_HTML_META_SCAN + 1];
	const char *p;
	size_t n;

	if (len > MAIL_HTML_META_SCAN)
		len = MAIL_HTML_META_SCAN;
	memcpy(scan, html, len);
	scan[len] = '\0';
	for (n = 0; n < len; n++) {
		if (scan[n] == '\0')
			scan[n] = ' ';
	}
	p = strcasestr(scan, "charset=");
	if (p == NULL)
		return NULL;
	p += 8;
	while (*p == '"' || *p == '\'' || *p == ' ')
		p++;
	for (n = 0; p[n] != '\0' && (isalnum((unsigned char)p[n]) || p[n] == '-' ||
				      p[n] == '_' || p[n] == ':' || p[n] == '.'); n++)
		;
	if (n == 0 || n + 1 > size)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* Cut S (LEN bytes of UTF-8) to at most MAX bytes at a character
   boundary. */
static size_t
mail_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static int
mail_body(const struct mime_text *part, bool html, struct mail_msg *msg)
{
	char csbuf[MAIL_CHARSET_NAME_MAX];
	const char *cs, *raw = part->data;
	char *decoded = NULL, *text = NULL, *htext;
	size_t rawlen = part->len, tlen, cut;
	bool hquoted = false;
	int ret = -1;

	/* libetpan's quoted-printable decoder reads the two bytes after an
	   '=' without looking at the length: an escape cut off at the end of
	   the part would make it read past the end of the message. */
	if (part->encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		for (;;) {
			if (rawlen >= 1 && raw[rawlen - 1] == '=')
				rawlen--;
			else if (rawlen >= 2 && raw[rawlen - 2] == '=')
				rawlen -= 2;
			else
				break;
		}
	}
	/* 7bit, 8bit and binary are the bytes as they are; no copy. */
	if (part->encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE ||
	    part->encoding == MAILMIME_MECHANISM_BASE64) {
		if ((decoded = mime_decode(part->encoding, raw, rawlen, &rawlen)) == NULL)
			goto out;
		raw = decoded;
	}
	cs = mail_part_charset(part->ct, csbuf, sizeof(csbuf));
	if (cs == NULL && html)
		cs = mail_html_meta_charset(raw, rawlen, csbuf, sizeof(csbuf));
	if (cs != NULL && (msg->charset = strdup(cs)) == NULL)
		goto out;
	if (!html && rawlen > MAIL_BODY_TEXT_MAX) {
		/* Leave room for a multibyte character cut at the end. */
		rawlen = MAIL_BODY_TEXT_MAX + 4;
		msg->oversize = true;
	}
	text = charset_to_utf8(cs, raw, rawlen, &tlen);
	if (text == NULL)
		goto out;
	if (html) {
		htext = html_to_text(text, tlen, 0, &hquoted);
		if (htext == NULL)
			goto out;
		free(text);
		text = htext;
		tlen = strlen(text);
	}
	cut = mail_utf8_cut(text, tlen, MAIL_BODY_TEXT_MAX);
	if (cut < tlen) {
		msg->oversize = true;
		text[cut] = '\0';
		tlen = cut;
	}
	msg->body = text;
	msg->body_len = tlen;
	text = NULL;
	msg->reply_text = reply_extract(msg->body, msg->body_len, &msg->quoted);
	if (msg->reply_text == NULL)
		goto out;
	msg->quoted = msg->quoted || hquoted;
	ret = 0;
out:
	free(text);
	free(decoded);
	return ret;
}

/* The body and the report flags from what mime_find_text() found. */
static int
mail_use_mime(const struct mime_found *f, struct mail_msg *msg)
{
	if (f->report)
		msg->auto_kind = MAIL_AUTO_BOUNCE;
	else if (f->receipt && msg->auto_kind < MAIL_AUTO_REPLY)
		msg->auto_kind = MAIL_AUTO_REPLY;
	if (f->over) {
		msg->oversize = true;
		return 0;
	}
	if (f->plain.data != NULL)
		return mail_body(&f->plain, false, msg);
	if (f->html.data != NULL)
		return mail_body(&f->html, true, msg);
	return 0;
}

static bool
mail_is_daemon(const char *addr)
{
	static const char *const locals[] = {
		"mailer-daemon@", "mailer_daemon@", "postmaster@", "mail-daemon@",
	};
	size_t i;

	if (addr == NULL)
		return false;
	for (i = 0; i < sizeof(locals) / sizeof(locals[0]); i++) {
		if (strncmp(addr, locals[i], strlen(locals[i])) == 0)
			return true;
	}
	return false;
}

static int
mail_from_headers(const struct mail_headers *hdrs,
		  const struct mail_parse_opts *opts, const struct mime_found *mime,
		  struct mail_msg *msg, bool *had_hint_r)
{
	struct mailmime_content *ct = NULL;
	const struct mail_header *h;
	char csbuf[MAIL_CHARSET_NAME_MAX];
	const char *hint = NULL;
	size_t i, j, to_cap = 0, idx = 0;
	int ret = -1;

	if ((h = mail_header_find(hdrs, "Content-Type")) != NULL) {
		/* The MIME walk parsed the same text already, mostly. */
		if (mime != NULL && mime->top_type != NULL &&
		    strcmp(mime->top_type, h->value) == 0 &&
		    strlen(h->value) == h->value_len)
			hint = mail_part_charset(mime->top_ct, csbuf, sizeof(csbuf));
		else if (mailmime_content_parse(h->value, h->value_len, &idx, &ct) ==
			 MAILIMF_NO_ERROR)
			hint = mail_part_charset(ct, csbuf, sizeof(csbuf));
	}
	*had_hint_r = hint != NULL;

	if ((h = mail_header_find(hdrs, "Message-ID")) != NULL &&
	    mail_parse_message_id(h, &msg->message_id) < 0)
		goto out;
	if ((h = mail_header_find(hdrs, "In-Reply-To")) != NULL) {
		char **ids = NULL;
		size_t count = 0, cap = 0;

		if (mail_ids(h->value, &ids, &count, &cap) < 0)
			goto out;
		if (count > 0) {
			msg->in_reply_to = ids[0];
			for (i = 1; i < count; i++)
				free(ids[i]);
		}
		free(ids);
	}
	if ((h = mail_header_find(hdrs, "References")) != NULL &&
	    mail_parse_references(h, msg) < 0)
		goto out;
	if ((h = mail_header_find(hdrs, "From")) != NULL &&
	    mail_parse_from(h, hint, msg) < 0)
		goto out;
	if ((h = mail_header_find(hdrs, "Subject")) != NULL &&
	    (msg->subject = mail_decode_header_hint(h->value, h->value_len, hint)) == NULL)
		goto out;
	if ((h = mail_header_find(hdrs, "Date")) != NULL)
		msg->date = mail_date(h->value, h->value_len);
	for (i = 0; i < hdrs->count; i++) {
		h = &hdrs->h[i];
		if ((h->name_len == 2 && strncasecmp(h->name, "To", 2) == 0) ||
		    (h->name_len == 2 && strncasecmp(h->name, "Cc", 2) == 0)) {
			if (mail_parse_to(h, msg, &to_cap) < 0)
				goto out;
		}
	}
	for (i = 0; i < msg->extra_count; i++) {
		if ((h = mail_header_find(hdrs, opts->extra_headers[i])) != NULL &&
		    (msg->extra_values[i] = mail_decode_header_hint(h->value, h->value_len, hint)) == NULL)
			goto out;
	}

	for (i = 0; i < hdrs->count; i++) {
		char name[64];

		h = &hdrs->h[i];
		if (h->name_len >= sizeof(name))
			continue;
		memcpy(name, h->name, h->name_len);
		name[h->name_len] = '\0';
		autoreply_header(&msg->auto_kind, name, h->value);
		if (strcasecmp(name, "Content-Type") == 0 &&
		    strncasecmp(h->value, "multipart/report", 16) == 0) {
			j = strcasestr(h->value, "disposition-notification") != NULL;
			if (!j)
				msg->auto_kind = MAIL_AUTO_BOUNCE;
		}
	}
	autoreply_subject(&msg->auto_kind, msg->subject);
	if (mail_is_daemon(msg->from_addr))
		msg->auto_kind = MAIL_AUTO_BOUNCE;
	ret = 0;
out:
	if (ct != NULL)
		mailmime_content_free(ct);
	return ret;
}

/* A raw 8-bit Subject in a message whose top level names no charset:
   decode it again in the charset of the body part that was picked, which
   is what the mailer wrote the headers in too. */
static int
mail_redecode_subject(const struct mail_headers *hdrs, struct mail_msg *msg)
{
	const struct mail_header *h = mail_header_find(hdrs, "Subject");
	char *s;

	if (h == NULL || charset_is_utf8(h->value, h->value_len))
		return 0;
	s = mail_decode_header_hint(h->value, h->value_len, msg->charset);
	if (s == NULL)
		return -1;
	free(msg->subject);
	msg->subject = s;
	return 0;
}

int
mail_parse(const char *buf, size_t len, const struct mail_parse_opts *opts,
	   struct mail_msg *msg, const char **error_r)
{
	struct mail_headers hdrs;
	struct mime_found mime;
	size_t start, body;
	bool had_hint = false, walked = false;
	int ret = -1;

	memset(msg, 0, sizeof(*msg));
	mail_headers_init(&hdrs);
	memset(&mime, 0, sizeof(mime));
	start = mail_headers_start(buf, len);
	if (start >= len || !mail_looks_like_header(buf + start, len - start)) {
		*error_r = "not a mail message (no header at the start)";
		return -1;
	}
	if (opts != NULL && opts->extra_header_count > 0) {
		msg->extra_values = calloc(opts->extra_header_count,
					   sizeof(*msg->extra_values));
		if (msg->extra_values == NULL)
			goto nomem;
		msg->extra_count = opts->extra_header_count;
	}
	if (len > MAIL_SIZE_MAX) {
		/* Headers only: they are what threading and clocks need. */
		msg->oversize = true;
		len = MAIL_SIZE_MAX;
	}
	body = mail_headers_read(buf + start, len - start, &hdrs);
	if (body == (size_t)-1)
		goto nomem;
	if (hdrs.over)
		msg->oversize = true;
	/* The MIME walk first, so the headers can use its Content-Type; its
	   findings are applied after them, as they always were. */
	if (!msg->oversize) {
		if (mime_find_text(buf + start, len - start, &mime) < 0)
			goto nomem;
		walked = true;
	}
	if (mail_from_headers(&hdrs, opts, walked ? &mime : NULL, msg, &had_hint) < 0)
		goto nomem;
	if (walked && mail_use_mime(&mime, msg) < 0)
		goto nomem;
	if (!had_hint && msg->charset != NULL && mail_redecode_subject(&hdrs, msg) < 0)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	*error_r = "out of memory";
	mail_msg_clear(msg);
out:
	mime_found_clear(&mime);
	mail_headers_free(&hdrs);
	return ret;
}

void
mail_init(void)
{
	html_init();
}

void
mail_msg_clear(struct mail_msg *msg)
{
	size_t i;

	free(msg->message_id);
	free(msg->in_reply_to);
	for (i = 0; i < msg->reference_count; i++)
		free(msg->references[i]);
	free(msg->references);
	free(msg->from_addr);
	free(msg->from_name);
	free(msg->subject);
	free(msg->charset);
	free(msg->body);
	if (msg->extra_values != NULL) {
		for (i = 0; i < msg->extra_count; i++)
			free(msg->extra_values[i]);
		free(msg->extra_values);
	}
	free(msg->reply_text);
	for (i = 0; i < msg->to_count; i++)
		free(msg->to_addrs[i]);
	free(msg->to_addrs);
	memset(msg, 0, sizeof(*msg));
}
