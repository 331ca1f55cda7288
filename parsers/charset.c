#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define CHARSET_REPLACEMENT "\xef\xbf\xbd"
#define CHARSET_REPLACEMENT_LEN 3

struct charset_alias {
	const char *label;
	const char *iconv_name;
};

/* Labels seen in real mail mapped to the iconv decoder that actually reads
   what such mailers send: the GB family is written by GBK/GB18030 encoders
   whatever the label says, Big5 mail carries HKSCS characters, and the
   Korean "ks_c_5601-1987" of Outlook is Microsoft's CP949. */
static const struct charset_alias charset_aliases[] = {
	{ "gb2312", "GB18030" },
	{ "gbk", "GB18030" },
	{ "x-gbk", "GB18030" },
	{ "cp936", "GB18030" },
	{ "ms936", "GB18030" },
	{ "windows-936", "GB18030" },
	{ "gb18030", "GB18030" },
	{ "euc-cn", "GB18030" },
	{ "x-euc-cn", "GB18030" },
	{ "csgb2312", "GB18030" },
	{ "gb_2312-80", "GB18030" },
	{ "chinese", "GB18030" },
	{ "big5", "BIG5-HKSCS" },
	{ "x-big5", "BIG5-HKSCS" },
	{ "cn-big5", "BIG5-HKSCS" },
	{ "big5-hkscs", "BIG5-HKSCS" },
	{ "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601-1989", "CP949" },
	{ "ks_c_5601", "CP949" },
	{ "euc-kr", "CP949" },
	{ "cp949", "CP949" },
	{ "windows-949", "CP949" },
	{ "utf-7", "UTF-7" },
	{ "unicode-1-1-utf-7", "UTF-7" },
	{ "utf8", "UTF-8" },
	{ "utf-8", "UTF-8" },
	/* ISO-2022-JP-2 reads plain ISO-2022-JP and the extensions some
	   Japanese mailers slip in. */
	{ "iso-2022-jp", "ISO-2022-JP-2" },
	{ "shift_jis", "CP932" },
	{ "shift-jis", "CP932" },
	{ "x-sjis", "CP932" },
	{ "sjis", "CP932" },
	{ "windows-31j", "CP932" },
	/* Mail labelled Latin-1 is written by Windows mailers in CP1252. */
	{ "iso-8859-1", "CP1252" },
	{ "latin1", "CP1252" },
	{ "windows-1250", "CP1250" },
	{ "windows-1251", "CP1251" },
	{ "windows-1252", "CP1252" },
	{ "windows-1253", "CP1253" },
	{ "windows-1254", "CP1254" },
	{ "windows-1255", "CP1255" },
	{ "windows-1256", "CP1256" },
	{ "windows-1257", "CP1257" },
	{ "windows-1258", "CP1258" },
};

const char *
charset_canonical(const char *label)
{
	size_t i;

	for (i = 0; i < sizeof(charset_aliases) / sizeof(charset_aliases[0]); i++) {
		if (tolower((unsigned char)label[0]) ==
		    tolower((unsigned char)charset_aliases[i].label[0]) &&
		    strcasecmp(label, charset_aliases[i].label) == 0)
			return charset_aliases[i].iconv_name;
	}
	return label;
}

/* The length of the valid UTF-8 sequence at P (LEFT bytes on), or 0. */
static size_t
charset_utf8_seq(const unsigned char *p, size_t left)
{
	size_t n, k;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 1;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 2;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 3;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (left <= n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n + 1;
}

bool
charset_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint64_t w;

	while (i < len) {
		/* Runs of ASCII, eight bytes at a time. */
		if (len - i >= 8) {
			memcpy(&w, p + i, 8);
			if ((w & UINT64_C(0x8080808080808080)) == 0) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		/* Two- and three-byte sequences (Latin, CJK) inline; the rules
		   are charset_utf8_seq()'s. */
		if (p[i] >= 0xc2 && p[i] <= 0xdf && len - i >= 2 && (p[i + 1] & 0xc0) == 0x80) {
			i += 2;
			continue;
		}
		if (p[i] >= 0xe0 && p[i] <= 0xef && len - i >= 3 &&
		    (p[i + 1] & 0xc0) == 0x80 && (p[i + 2] & 0xc0) == 0x80) {
			unsigned int cp = ((p[i] & 0x0fu) << 12) | ((p[i + 1] & 0x3fu) << 6) |
					  (p[i + 2] & 0x3fu);

			if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
				return false;
			i += 3;
			continue;
		}
		if ((n = charset_utf8_seq(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

/* glibc's UTF-8 decoder lets through what RFC 3629 forbids (F5-F7 lead
   bytes, code points past U+10FFFF), so "utf-8"-labelled text comes out
   of iconv as it went in: replace each invalid byte with U+FFFD here.
   Frees IN; returns the new string or NULL when memory runs out. */
static char *
charset_utf8_repair(char *in, size_t len, size_t *out_len_r)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, used = 0, n;
	char *out;

	if (len > (SIZE_MAX - 1) / CHARSET_REPLACEMENT_LEN) {
		free(in);
		return NULL;
	}
	out = malloc(len * CHARSET_REPLACEMENT_LEN + 1);
	if (out == NULL) {
		free(in);
		return NULL;
	}
	while (i < len) {
		if ((n = charset_utf8_seq(p + i, len - i)) == 0) {
			memcpy(out + used, CHARSET_REPLACEMENT, CHARSET_REPLACEMENT_LEN);
			used += CHARSET_REPLACEMENT_LEN;
			i++;
			continue;
		}
		memcpy(out + used, p + i, n);
		used += n;
		i += n;
	}
	out[used] = '\0';
	free(in);
	if (out_len_r != NULL)
		*out_len_r = used;
	return out;
}

/* Grow *buf so that at least NEED more bytes fit after *used. */
static int
charset_reserve(char **buf, size_t *size, size_t used, size_t need)
{
	size_t nsize;
	char *n;

	if (*size - used >= need)
		return 0;
	nsize = *size * 2;
	while (nsize - used < need)
		nsize *= 2;
	n = realloc(*buf, nsize);
	if (n == NULL)
		return -1;
	*buf = n;
	*size = nsize;
	return 0;
}

/* Run IN through CD into a fresh UTF-8 string. With STRICT, the first
   invalid byte sequence makes the conversion fail (returns NULL with
   *failed_r set); otherwise each one becomes U+FFFD. */
static char *
charset_iconv(iconv_t cd, const char *in, size_t len, bool strict,
	      size_t *out_len_r, bool *failed_r)
{
	size_t size = len * 2 + 16, used = 0, inleft = len, outleft, r;
	char *inp = (char *)in, *outp, *buf;

	*failed_r = false;
	buf = malloc(size);
	if (buf == NULL)
		return NULL;
	while (inleft > 0) {
		outp = buf + used;
		outleft = size - used - 1;
		r = iconv(cd, &inp, &inleft, &outp, &outleft);
		used = outp - buf;
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			if (charset_reserve(&buf, &size, used, 64) < 0)
				goto fail;
			continue;
		}
		/* EILSEQ, or EINVAL for a sequence cut off at the end. */
		if (strict) {
			*failed_r = true;
			goto fail;
		}
		if (charset_reserve(&buf, &size, used, CHARSET_REPLACEMENT_LEN + 1) < 0)
			goto fail;
		memcpy(buf + used, CHARSET_REPLACEMENT, CHARSET_REPLACEMENT_LEN);
		used += CHARSET_REPLACEMENT_LEN;
		if (errno == EINVAL) {
			inleft = 0;
		} else {
			inp++;
			inleft--;
		}
		/* Reset the shift state: a stateful decoder (UTF-7, ISO-2022)
		   must not carry the broken state over. */
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush a stateful decoder. */
	for (;;) {
		outp = buf + used;
		outleft = size - used - 1;
		r = iconv(cd, NULL, NULL, &outp, &outleft);
		used = outp - buf;
		if (r != (size_t)-1 || errno != E2BIG)
			break;
		if (charset_reserve(&buf, &size, used, 64) < 0)
			goto fail;
	}
	buf[used] = '\0';
	if (out_len_r != NULL)
		*out_len_r = used;
	return buf;
fail:
	free(buf);
	return NULL;
}

static char *
charset_copy(const char *in, size_t len, size_t *out_len_r)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, in, len);
	s[len] = '\0';
	if (out_len_r != NULL)
		*out_len_r = len;
	return s;
}

/* iconv_open() costs as much as converting a short body, and a mailbox
   uses a handful of charsets: each thread keeps its last few decoders. */
#define CHARSET_CD_CACHE 4
#define CHARSET_CD_NAME_MAX 32

struct charset_cd_cache {
	struct {
		char name[CHARSET_CD_NAME_MAX];
		iconv_t cd;
	} e[CHARSET_CD_CACHE];
	unsigned int used, next;
};

static pthread_key_t charset_cd_key;
static pthread_once_t charset_cd_once = PTHREAD_ONCE_INIT;
static bool charset_cd_key_ok;

static void
charset_cd_cache_free(void *p)
{
	struct charset_cd_cache *c = p;
	unsigned int i;

	for (i = 0; i < c->used; i++)
		iconv_close(c->e[i].cd);
	free(c);
}

static void
charset_cd_key_init(void)
{
	charset_cd_key_ok = pthread_key_create(&charset_cd_key, charset_cd_cache_free) == 0;
}

/* Whether a decoder for NAME may be reused: single- and double-byte
   charsets without state. Not UTF-16/32 (the byte order a BOM set
   outlives iconv's reset), UTF-7, ISO-2022 or HZ. */
static bool
charset_cd_cacheable(const char *name)
{
	static const char *const prefixes[] = {
		"GB18030", "GBK", "GB2312", "BIG5", "CP9", "CP125", "WINDOWS-",
		"ISO-8859-", "KOI8-", "EUC-", "SHIFT_JIS", "TIS-620",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncasecmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	}
	return false;
}

/* A decoder from NAME to UTF-8 in its initial state, from this thread's
   cache (*cached_r: do not close it) or freshly opened. */
static iconv_t
charset_cd_get(const char *name, bool *cached_r)
{
	struct charset_cd_cache *c = NULL;
	unsigned int i;
	iconv_t cd;

	*cached_r = false;
	pthread_once(&charset_cd_once, charset_cd_key_init);
	if (charset_cd_key_ok && strlen(name) < CHARSET_CD_NAME_MAX &&
	    charset_cd_cacheable(name)) {
		c = pthread_getspecific(charset_cd_key);
		if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL &&
		    pthread_setspecific(charset_cd_key, c) != 0) {
			free(c);
			c = NULL;
		}
	}
	if (c != NULL) {
		for (i = 0; i < c->used; i++) {
			if (strcmp(c->e[i].name, name) == 0) {
				iconv(c->e[i].cd, NULL, NULL, NULL, NULL);
				*cached_r = true;
				return c->e[i].cd;
			}
		}
	}
	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1 || c == NULL)
		return cd;
	if (c->used < CHARSET_CD_CACHE) {
		i = c->used++;
	} else {
		i = c->next;
		c->next = (c->next + 1) % CHARSET_CD_CACHE;
		iconv_close(c->e[i].cd);
	}
	memcpy(c->e[i].name, name, strlen(name) + 1);
	c->e[i].cd = cd;
	*cached_r = true;
	return cd;
}

/* Convert with iconv from NAME; NULL with *failed_r set when iconv does
   not know NAME (or, with STRICT, on the first invalid sequence). */
static char *
charset_convert_named(const char *name, const char *in, size_t len,
		      bool strict, size_t *out_len_r, bool *failed_r)
{
	bool cached;
	iconv_t cd;
	char *out;

	*failed_r = false;
	cd = charset_cd_get(name, &cached);
	if (cd == (iconv_t)-1) {
		*failed_r = true;
		return NULL;
	}
	out = charset_iconv(cd, in, len, strict, out_len_r, failed_r);
	if (!cached)
		iconv_close(cd);
	return out;
}

static char *
charset_guess(const char *in, size_t len, size_t *out_len_r)
{
	bool failed;
	char *out;

	if (charset_is_utf8(in, len))
		return charset_copy(in, len, out_len_r);
	out = charset_convert_named("GB18030", in, len, true, out_len_r, &failed);
	if (out != NULL || !failed)
		return out;
	/* Latin-1 maps every byte, so this cannot fail. */
	out = charset_convert_named("ISO-8859-1", in, len, false, out_len_r, &failed);
	return out;
}

char *
charset_to_utf8(const char *charset, const char *in, size_t len,
		size_t *out_len_r)
{
	const char *name;
	size_t out_len = 0;
	bool failed;
	char *out;

	/* "us-ascii" on 8-bit text is a mailer default, not a statement. */
	if (charset == NULL || *charset == '\0' ||
	    strcasecmp(charset, "us-ascii") == 0 ||
	    strcasecmp(charset, "ascii") == 0 ||
	    strcasecmp(charset, "unknown-8bit") == 0 ||
	    strcasecmp(charset, "x-unknown") == 0)
		return charset_guess(in, len, out_len_r);
	name = charset_canonical(charset);
	/* 7-bit encodings (UTF-7, ISO-2022, HZ) hide text in plain ASCII.
	   Under any other label ASCII is ASCII, and text that is valid UTF-8
	   is UTF-8: webmailers re-encode bodies and keep the old label, and
	   GBK or Big5 text is practically never valid UTF-8 by accident. */
	if (strcasecmp(name, "UTF-7") != 0 && strncasecmp(name, "ISO-2022", 8) != 0 &&
	    strncasecmp(name, "HZ", 2) != 0 && charset_is_utf8(in, len))
		return charset_copy(in, len, out_len_r);
	out = charset_convert_named(name, in, len, false, &out_len, &failed);
	if (out == NULL && failed)
		return charset_guess(in, len, out_len_r);
	if (out != NULL && !charset_is_utf8(out, out_len))
		return charset_utf8_repair(out, out_len, out_len_r);
	if (out != NULL && out_len_r != NULL)
		*out_len_r = out_len;
	return out;
}
