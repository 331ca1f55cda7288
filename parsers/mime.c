#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "mail.h"
#include "mime.h"

/* Content-Type, -Transfer-Encoding and -Disposition fields kept without
   an allocation; mailers write one of each, a damaged message may repeat
   them (libetpan takes the first that parses, however many there are). */
#define MIME_FIELDS_INLINE 8
/* Longest Content-* value copied to the stack; longer ones are malloc'ed. */
#define MIME_VALUE_STACK 512

/* A field value: [off, off + len) of the part it is in. */
enum mime_kind { MIME_TYPE, MIME_ENC, MIME_DISP };

struct mime_span {
	size_t off;
	size_t len;
	const char *str;         /* or the value as a C string (libetpan's) */
	enum mime_kind kind;
};

/* The MIME fields of one header block, as positions. */
struct mime_fields {
	struct mime_span *v;     /* inl, or malloc'ed once it is full */
	size_t n, cap;
	struct mime_span inl[MIME_FIELDS_INLINE];
	struct mailimf_fields *imf; /* owns the str values, when set */
};

struct mime_walk {
	struct mime_found *f;
	size_t parts;
	bool nomem;
};

/* One multipart body being split, as libetpan's mailmime_content.c does. */
struct mime_mp {
	const char *m;
	size_t len;
	char *needle;            /* "\n--" boundary */
	size_t blen;             /* boundary length, without "\n--" */
};

struct mime_part {
	size_t off;
	size_t len;
};

static void mime_node(struct mime_walk *w, const char *m, size_t len,
		      size_t body, const struct mime_fields *fl,
		      bool default_message, unsigned int depth, bool nested);

static bool
mime_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* mailimf_crlf_parse(): an optional CR, then LF. */
static int
mime_crlf(const char *m, size_t len, size_t *cur)
{
	size_t t = *cur;

	if (t < len && m[t] == '\r')
		t++;
	if (t >= len || m[t] != '\n')
		return -1;
	*cur = t + 1;
	return 0;
}

/* mailmime_lwsp_parse(): one or more SP/TAB. */
static int
mime_lwsp(const char *m, size_t len, size_t *cur)
{
	size_t t = *cur;

	if (t >= len)
		return -1;
	while (t < len && mime_is_wsp(m[t]))
		t++;
	if (t == *cur)
		return -1;
	*cur = t;
	return 0;
}

/* The end of an unstructured value's text, as mailimf_unstructured_parse()
   sets its "terminal": the last byte it read outside a line break. Only
   for the few fields whose value is used. */
static size_t
mime_terminal(const char *m, size_t v, size_t end)
{
	enum { ST_START, ST_CR, ST_LF, ST_WSP } st = ST_START;
	size_t t, terminal = v;

	for (t = v; t < end; t++) {
		switch (st) {
		case ST_START:
			terminal = t;
			st = m[t] == '\r' ? ST_CR : m[t] == '\n' ? ST_LF : ST_START;
			break;
		case ST_CR:
			st = m[t] == '\n' ? ST_LF : ST_START;
			break;
		case ST_LF:
			/* Only folding white space follows an LF inside the value. */
			st = ST_WSP;
			break;
		case ST_WSP:
			st = m[t] == '\r' ? ST_CR : m[t] == '\n' ? ST_LF : ST_START;
			break;
		}
	}
	return terminal;
}

static void
mime_fields_init(struct mime_fields *fl)
{
	fl->v = fl->inl;
	fl->n = 0;
	fl->cap = MIME_FIELDS_INLINE;
	fl->imf = NULL;
}

static void
mime_fields_clear(struct mime_fields *fl)
{
	if (fl->imf != NULL)
		mailimf_fields_free(fl->imf);
	if (fl->v != fl->inl)
		free(fl->v);
	mime_fields_init(fl);
}

/* A slot for one more field, or NULL (*nomem) when memory ran out. */
static struct mime_span *
mime_fields_push(struct mime_fields *fl, enum mime_kind kind, bool *nomem)
{
	struct mime_span *nv;

	if (fl->n == fl->cap) {
		if (fl->v == fl->inl) {
			if ((nv = malloc(2 * fl->cap * sizeof(*nv))) != NULL)
				memcpy(nv, fl->inl, sizeof(fl->inl));
		} else {
			nv = realloc(fl->v, 2 * fl->cap * sizeof(*nv));
		}
		if (nv == NULL) {
			*nomem = true;
			return NULL;
		}
		fl->v = nv;
		fl->cap *= 2;
	}
	memset(&fl->v[fl->n], 0, sizeof(fl->v[fl->n]));
	fl->v[fl->n].kind = kind;
	return &fl->v[fl->n++];
}

static void
mime_field_keep(struct mime_fields *fl, enum mime_kind kind, const char *m,
		size_t v, size_t end, bool *nomem)
{
	struct mime_span *s = mime_fields_push(fl, kind, nomem);

	if (s == NULL)
		return;
	s->off = v;
	s->len = mime_terminal(m, v, end) - v;
}

/* Whether the field at M (name N bytes) is one libetpan parses with its
   RFC 5322 grammar in a message's header block. Its parser takes the name
   as a prefix, so this does too. */
static bool
mime_is_envelope_name(const char *m, size_t n)
{
	static const char *const names[] = {
		"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
		"Message-ID", "In-Reply-To", "References",
	};
	size_t i, k;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		k = strlen(names[i]);
		if (n >= k && strncasecmp(m, names[i], k) == 0)
			return true;
	}
	return false;
}

/* Where libetpan's grammar for the folded field at CUR (up to END) ends:
   an address list may parse up to a comment or a line of white space and
   leave the rest of the field, which then ends the header block. */
static size_t
mime_envelope_end(const char *m, size_t cur, size_t end, bool *nomem)
{
	struct mailimf_fields *fields = NULL;
	size_t idx = cur;
	int r;

	r = mailimf_envelope_and_optional_fields_parse(m, end, &idx, &fields);
	if (r == MAILIMF_ERROR_MEMORY)
		*nomem = true;
	if (fields != NULL)
		mailimf_fields_free(fields);
	return r == MAILIMF_NO_ERROR ? idx : end;
}

/* Whether the envelope field value [V, END) may make libetpan's grammar
   read past its end: an encoded word in a phrase runs to the next "?="
   anywhere in the message, so one whose "?=" is not in the field can take
   the lines after it (blank ones included) into the field. Each "=?" is
   taken as an opener and needs a "?=" after its charset and encoding
   marks; the search for the next opener goes on after that "?=" (so the
   "=?=" of base64 padding is not one). Errs towards true. */
static bool
mime_open_encoded_word(const char *m, size_t v, size_t end)
{
	size_t i = v, q;
	unsigned int marks;
	const char *p;

	while (i + 1 < end && (p = memmem(m + i, end - i, "=?", 2)) != NULL) {
		q = (size_t)(p - m) + 2;
		for (marks = 0; q < end && marks < 2; q++)
			marks += m[q] == '?';
		if (marks < 2)
			return true;
		for (; q + 1 < end; q++) {
			if (m[q] == '?' && m[q + 1] == '=')
				break;
		}
		if (q + 1 >= end)
			return true;
		i = q + 2;
	}
	return false;
}

/* The header block at CUR read by libetpan itself, for the rare block in
   which mime_fields_read() cannot tell where its grammar ends: the MIME
   fields' values come from its list (kept in FL->imf). */
static size_t
mime_fields_by_libetpan(const char *m, size_t len, size_t cur,
			struct mime_fields *fl, bool *nomem)
{
	struct mailimf_optional_field *of;
	struct mailimf_field *f;
	struct mime_span *sp;
	enum mime_kind kind;
	clistiter *it;
	size_t idx = cur;
	int r;

	mime_fields_clear(fl);
	r = mailimf_envelope_and_optional_fields_parse(m, len, &idx, &fl->imf);
	if (r != MAILIMF_NO_ERROR) {
		/* mailmime_parse() fails: no parts at all. */
		if (r == MAILIMF_ERROR_MEMORY)
			*nomem = true;
		fl->imf = NULL;
		return len;
	}
	for (it = clist_begin(fl->imf->fld_list); it != NULL; it = clist_next(it)) {
		f = clist_content(it);
		if (f->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD)
			continue;
		of = f->fld_data.fld_optional_field;
		if (strcasecmp(of->fld_name, "Content-Type") == 0)
			kind = MIME_TYPE;
		else if (strcasecmp(of->fld_name, "Content-Transfer-Encoding") == 0)
			kind = MIME_ENC;
		else if (strcasecmp(of->fld_name, "Content-Disposition") == 0)
			kind = MIME_DISP;
		else
			continue;
		if ((sp = mime_fields_push(fl, kind, nomem)) == NULL)
			break;
		sp->str = of->fld_value;
	}
	mime_crlf(m, len, &idx);
	return idx;
}


/* Where the unstructured grammar ends the field whose value is [V, END)
   early, or 0: at its end, mailimf_unstructured_parse() ends the text at
   the last line break it read outside its fold state, and continuation
   lines of one SP/TAB never leave that state, so after them the CRLF it
   reads (CFWS first) takes the first of them as FWS and stops. With two
   or more of them the field ends after the first; the next line starts
   with white space, so the header block ends there too. The value's text
   is the same either way. */
static size_t
mime_one_space_lines(const char *m, size_t v, size_t end)
{
	size_t p = end, q, first = 0;
	unsigned int k = 0;

	/* From the end back, each line "SP\n" or "SP\r\n" after an LF of
	   the value; M[END - 1] is an LF. */
	for (;;) {
		q = p - 1;
		if (q > v && m[q - 1] == '\r')
			q--;
		if (q < v + 2 || !mime_is_wsp(m[q - 1]) || m[q - 2] != '\n')
			break;
		k++;
		first = p;
		p = q - 1;
	}
	return k >= 2 ? first : 0;
}

/* Read a header block at CUR as mailimf_optional_fields_parse() (a part's)
   or, with ENVELOPE, mailimf_envelope_and_optional_fields_parse() (a
   message's) does, then the empty line: "name: value" fields up to the
   first line that is not one, whatever follows. Keeps the positions of
   the MIME fields in *FL and returns where the body starts. */
static size_t
mime_fields_read(const char *m, size_t len, size_t cur, struct mime_fields *fl,
		 bool envelope, bool *nomem)
{
	const char *nl;
	size_t n, colon, v, end, e, line, w, start = cur;
	bool folded, env, ones;

	mime_fields_init(fl);
	for (;;) {
		/* field-name = 1*ftext, libetpan's ftext: any byte > 32 but ':' */
		for (n = cur; n < len && (unsigned char)m[n] > 32 && m[n] != ':'; n++)
			;
		if (n == cur)
			break;
		colon = n;
		if (colon < len && m[colon] != ':')
			mailimf_cfws_parse(m, len, &colon);
		if (colon >= len || m[colon] != ':')
			break;
		v = colon + 1;
		while (v < len && mime_is_wsp(m[v]))
			v++;
		/* The value runs to the first LF not followed by SP/TAB; without
		   one the line is not a field. */
		env = envelope && mime_is_envelope_name(m + cur, n - cur);
		end = v;
		line = cur;
		folded = ones = false;
		for (;;) {
			nl = memchr(m + end, '\n', len - end);
			if (nl == NULL)
				break;
			end = (size_t)(nl - m) + 1;
			if (end == len || !mime_is_wsp(m[end]))
				break;
			/* Every envelope field ends in libetpan's CFWS, then
			   CRLF; that can only stop at a fold right after a
			   comment (CFWS took "(...)" and not the line break), or
			   at the end of a continuation line of only white space
			   (CFWS took one fold as FWS, the line's CRLF is the
			   next). Whether the field's grammar gets there is for
			   libetpan to say. */
			e = (size_t)(nl - m);
			if (e > v && m[e - 1] == '\r')
				e--;
			if (e > v && m[e - 1] == ')')
				folded = true;
			/* A line of one SP/TAB, folded: see mime_one_space_lines(). */
			if (line > cur && e == line + 1)
				ones = true;
			if (env && !folded && line > cur) {
				for (w = line; w < e && mime_is_wsp(m[w]); w++)
					;
				if (w == e)
					folded = true;
			}
			line = end;
		}
		if (nl == NULL) {
			/* A value the message ends in, without a line break:
			   not a field to the unstructured grammar, but an
			   envelope field's grammar may end at one of its folds
			   (its CRLF after a comment) and take the lines before
			   it as the field; only libetpan knows where, and there
			   is nothing past LEN for it to read. A value without a
			   fold has no line break for it to end at. */
			if (env && end > v) {
				e = mime_envelope_end(m, cur, len, nomem);
				if (e != len)
					cur = e;
			}
			break;
		}
		if (env && mime_open_encoded_word(m, v, end))
			return mime_fields_by_libetpan(m, len, start, fl, nomem);
		if (env && folded) {
			e = mime_envelope_end(m, cur, end, nomem);
			if (e != end) {
				cur = e;
				break;
			}
		}
		if (n - cur >= 12 && strncasecmp(m + cur, "Content-", 8) == 0) {
			if (n - cur == 12 && strncasecmp(m + cur + 8, "Type", 4) == 0)
				mime_field_keep(fl, MIME_TYPE, m, v, end, nomem);
			else if (n - cur == 25 &&
				 strncasecmp(m + cur + 8, "Transfer-Encoding", 17) == 0)
				mime_field_keep(fl, MIME_ENC, m, v, end, nomem);
			else if (n - cur == 19 &&
				 strncasecmp(m + cur + 8, "Disposition", 11) == 0)
				mime_field_keep(fl, MIME_DISP, m, v, end, nomem);
		}
		/* For an envelope field libetpan has said where it ends. */
		if (ones && !(env && folded) &&
		    (e = mime_one_space_lines(m, v, end)) != 0) {
			cur = e;
			break;
		}
		cur = end;
	}
	mime_crlf(m, len, &cur);
	return cur;
}

/* A field value as libetpan hands it to the MIME field parsers: a C
   string, so cut at a NUL. BUF has MIME_VALUE_STACK bytes; *heap is set
   when a longer value needed malloc(). */
static char *
mime_value(const char *m, const struct mime_span *s, char *buf, char **heap)
{
	const char *src = s->str != NULL ? s->str : m + s->off, *z;
	size_t n = s->str != NULL ? strlen(s->str) : s->len;
	char *v = buf;

	*heap = NULL;
	if ((z = memchr(src, '\0', n)) != NULL)
		n = (size_t)(z - src);
	if (n >= MIME_VALUE_STACK) {
		v = *heap = malloc(n + 1);
		if (v == NULL)
			return NULL;
	}
	memcpy(v, src, n);
	v[n] = '\0';
	return v;
}

/* What mailmime_encoded_phrase_parse("us-ascii", V, "utf-8") makes of a
   value without encoded words: its words (printable ASCII) joined by one
   space, a trailing run of white space kept as one space, folds taken as
   white space. Rewrites V in place; false, leaving V and the call to
   libetpan, for anything else (encoded words, 8-bit or control bytes, a
   line break that is not a fold), which saves its iconv_open() per
   word. */
static bool
mime_phrase_plain(char *v)
{
	size_t i, o = 0;
	unsigned int folds = 0;
	bool ws = false, words = false;

	/* First only look: V stays as it is for libetpan when this fails.
	   A run of white space may hold one fold (libetpan's FWS); two are
	   two runs to it, each giving a space. */
	for (i = 0; v[i] != '\0'; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' || c == '\n') {
			if (c == '\r' && v[++i] != '\n')
				return false;
			if (folds++ > 0 || (v[i + 1] != ' ' && v[i + 1] != '\t'))
				return false;
		} else if (c != ' ' && c != '\t') {
			if (c < 0x21 || c > 0x7e || (c == '=' && v[i + 1] == '?'))
				return false;
			words = true;
			folds = 0;
		}
	}
	if (!words)
		return false;
	/* In place: every byte written stands for one read before it. */
	for (i = 0; v[i] != '\0'; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			ws = true;
			continue;
		}
		if (ws && o > 0)
			v[o++] = ' ';
		ws = false;
		v[o++] = (char)c;
	}
	if (ws)
		v[o++] = ' ';
	v[o] = '\0';
	return true;
}

/* The first Content-Type field that parses, as mailmime_field_parse()
   does it (encoded words decoded first), or NULL. */
static struct mailmime_content *
mime_content_type(struct mime_walk *w, const char *m, const struct mime_fields *fl,
		  char **parsed_r)
{
	char buf[MIME_VALUE_STACK], *heap, *v, *decoded, *text;
	struct mailmime_content *ct;
	unsigned int i;
	size_t idx;
	int r;

	for (i = 0; i < fl->n; i++) {
		if (fl->v[i].kind != MIME_TYPE)
			continue;
		v = mime_value(m, &fl->v[i], buf, &heap);
		if (v == NULL) {
			w->nomem = true;
			return NULL;
		}
		ct = NULL;
		idx = 0;
		decoded = NULL;
		text = v;
		if (!mime_phrase_plain(v) &&
		    mailmime_encoded_phrase_parse("us-ascii", v, strlen(v), &idx,
						  "utf-8", &decoded) == MAILIMF_NO_ERROR)
			text = decoded;
		idx = 0;
		r = mailmime_content_parse(text, strlen(text), &idx, &ct);
		if (r == MAILIMF_NO_ERROR && parsed_r != NULL &&
		    (*parsed_r = strdup(text)) == NULL) {
			mailmime_content_free(ct);
			r = MAILIMF_ERROR_MEMORY;
		}
		free(decoded);
		free(heap);
		if (r == MAILIMF_NO_ERROR)
			return ct;
		if (r == MAILIMF_ERROR_MEMORY) {
			w->nomem = true;
			return NULL;
		}
	}
	return NULL;
}

/* mailmime_transfer_encoding_get(): the first Content-Transfer-Encoding
   that parses, else 8bit. */
static int
mime_encoding(struct mime_walk *w, const char *m, const struct mime_fields *fl)
{
	static const struct {
		const char *name;
		int mech;
	} known[] = {
		{ "base64", MAILMIME_MECHANISM_BASE64 },
		{ "quoted-printable", MAILMIME_MECHANISM_QUOTED_PRINTABLE },
		{ "7bit", MAILMIME_MECHANISM_7BIT },
		{ "8bit", MAILMIME_MECHANISM_8BIT },
		{ "binary", MAILMIME_MECHANISM_BINARY },
	};
	char buf[MIME_VALUE_STACK], *heap, *v;
	struct mailmime_mechanism *mech;
	unsigned int i, k;
	size_t idx;
	int r, ret;

	for (i = 0; i < fl->n; i++) {
		if (fl->v[i].kind != MIME_ENC)
			continue;
		v = mime_value(m, &fl->v[i], buf, &heap);
		if (v == NULL) {
			w->nomem = true;
			return MAILMIME_MECHANISM_8BIT;
		}
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			if (strcasecmp(v, known[k].name) == 0) {
				free(heap);
				return known[k].mech;
			}
		}
		mech = NULL;
		idx = 0;
		r = mailmime_encoding_parse(v, strlen(v), &idx, &mech);
		free(heap);
		if (r == MAILIMF_NO_ERROR) {
			ret = mech->enc_type;
			mailmime_mechanism_free(mech);
			return ret;
		}
		if (r == MAILIMF_ERROR_MEMORY) {
			w->nomem = true;
			return MAILMIME_MECHANISM_8BIT;
		}
	}
	return MAILMIME_MECHANISM_8BIT;
}

/* Whether a Content-Disposition that parses says attachment. */
static bool
mime_is_attachment(struct mime_walk *w, const char *m, const struct mime_fields *fl)
{
	char buf[MIME_VALUE_STACK], *heap, *v;
	struct mailmime_disposition *d;
	bool att;
	unsigned int i;
	size_t idx;
	int r;

	for (i = 0; i < fl->n; i++) {
		if (fl->v[i].kind != MIME_DISP)
			continue;
		v = mime_value(m, &fl->v[i], buf, &heap);
		if (v == NULL) {
			w->nomem = true;
			return false;
		}
		d = NULL;
		idx = 0;
		r = mailmime_disposition_parse(v, strlen(v), &idx, &d);
		free(heap);
		if (r == MAILIMF_ERROR_MEMORY) {
			w->nomem = true;
			return false;
		}
		if (r != MAILIMF_NO_ERROR)
			continue;
		att = d->dsp_type != NULL &&
			d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
		mailmime_disposition_free(d);
		if (att)
			return true;
	}
	return false;
}

const char *
mime_content_param(const struct mailmime_content *ct, const char *name)
{
	struct mailmime_parameter *pa;
	clistiter *it;

	if (ct == NULL || ct->ct_parameters == NULL)
		return NULL;
	for (it = clist_begin(ct->ct_parameters); it != NULL; it = clist_next(it)) {
		pa = clist_content(it);
		if (pa->pa_name != NULL && strcasecmp(pa->pa_name, name) == 0)
			return pa->pa_value;
	}
	return NULL;
}

/* ---- multipart bodies, as mailmime_multipart_body_parse() ---- */

/* mailmime_preamble_parse(): past the next "--" that starts a line (by
   its own idea of a line start: also one byte after a line break). */
static int
mime_preamble(const char *m, size_t len, size_t *cur, bool beol)
{
	enum { PA0, PA, PA1, PB, PC, PD, PE } st = beol ? PA0 : PA;
	size_t t = *cur;
	char c;

	while (st != PE) {
		if (st == PA) {
			while (t < len && m[t] != '\r' && m[t] != '\n')
				t++;
		}
		if (t >= len)
			return -1;
		c = m[t];
		switch (st) {
		case PA0:
			st = c == '-' ? PA1 : c == '\r' ? PB : c == '\n' ? PC : PA;
			break;
		case PA:
			st = c == '\r' ? PB : PC;
			break;
		case PA1:
			st = c == '-' ? PE : c == '\r' ? PB : c == '\n' ? PC : PA;
			break;
		case PB:
			st = c == '\r' ? PB : c == '\n' ? PC : c == '-' ? PD : PA0;
			break;
		case PC:
			st = c == '-' ? PD : c == '\r' ? PB : c == '\n' ? PC : PA0;
			break;
		case PD:
			st = c == '-' ? PE : PA;
			break;
		case PE:
			break;
		}
		t++;
	}
	*cur = t;
	return 0;
}

/* mailmime_boundary_parse(): the boundary at CUR, with a byte after it. */
static bool
mime_boundary_at(const struct mime_mp *mp, size_t cur)
{
	return cur + mp->blen < mp->len &&
		memcmp(mp->m + cur, mp->needle + 3, mp->blen) == 0;
}

/* mailmime_body_part_dash2_parse(): the text up to the next "--boundary"
   after an LF, without the line break before it. Without one it runs to
   the end, but ends at the last line that starts with '-' (libetpan's
   state machine remembers that position and never resets it). */
static int
mime_dash2(const struct mime_mp *mp, size_t *cur, size_t *ds, size_t *dl)
{
	const char *m = mp->m, *p = NULL;
	size_t len = mp->len, begin = *cur, end_text, next, q;

	if (begin > len)
		begin = len;
	if (len - begin >= mp->blen + 3)
		p = memmem(m + begin, len - begin, mp->needle, mp->blen + 3);
	if (p != NULL && (size_t)(p - m) + 3 + mp->blen < len) {
		end_text = (size_t)(p - m) + 1;
		next = (size_t)(p - m) + 3 + mp->blen;
	} else {
		next = len;
		end_text = len;
		for (q = len; q > begin + 1; q--) {
			if (m[q - 1] == '-' && m[q - 2] == '\n') {
				end_text = q - 1;
				break;
			}
		}
	}
	if (end_text > begin) {
		if (m[end_text - 1] == '\r') {
			end_text--;
		} else if (m[end_text - 1] == '\n') {
			end_text--;
			if (end_text > begin && m[end_text - 1] == '\r')
				end_text--;
		}
	}
	if (end_text == begin)
		return -1;
	*ds = begin;
	*dl = end_text - begin;
	*cur = next;
	return 0;
}

/* mailmime_body_part_dash2_transport_crlf_parse(): a part ended by a
   boundary line (the boundary, SP/TAB, a line break). */
static int
mime_part_to_delim(const struct mime_mp *mp, size_t *cur, size_t *ds, size_t *dl)
{
	size_t c = *cur, begin = c, end_text, s, l;

	for (;;) {
		if (mime_dash2(mp, &c, &s, &l) < 0)
			return -1;
		end_text = s + l;
		while (mime_lwsp(mp->m, mp->len, &c) == 0)
			;
		if (mime_crlf(mp->m, mp->len, &c) == 0)
			break;
	}
	*cur = c;
	*ds = begin;
	*dl = end_text - begin;
	return 0;
}

/* mailmime_multipart_close_parse(): "--" after the boundary, SP/TAB, and
   one more byte (two after a CR), or the end. */
static int
mime_close_delim(const struct mime_mp *mp, size_t *cur)
{
	const char *m = mp->m;
	size_t len = mp->len, t = *cur;

	if (t >= len || m[t] != '-' || t + 1 >= len || m[t + 1] != '-')
		return -1;
	t += 2;
	while (t < len && mime_is_wsp(m[t]))
		t++;
	/* Its state machine steps once more at the end, to LEN + 1. */
	if (t >= len)
		*cur = len + 1;
	else
		*cur = m[t] == '\r' ? t + 2 : t + 1;
	return 0;
}

/* mailmime_body_part_dash2_close_parse(): the last part, ended by the
   close boundary or the end of the message. */
static int
mime_part_to_close(const struct mime_mp *mp, size_t *cur, size_t *ds, size_t *dl)
{
	size_t c = *cur, begin = c, end_text, s, l;

	for (;;) {
		if (mime_dash2(mp, &c, &s, &l) < 0)
			return -1;
		end_text = s + l;
		if (c >= mp->len || mime_close_delim(mp, &c) == 0)
			break;
	}
	*cur = c;
	*ds = begin;
	*dl = end_text - begin;
	return 0;
}

/* mailmime_multipart_next_parse(): SP/TAB and a line break. */
static void
mime_next(const struct mime_mp *mp, size_t *cur)
{
	size_t t = *cur;

	while (t < mp->len && mime_is_wsp(mp->m[t]))
		t++;
	if (t < mp->len && mp->m[t] == '\r')
		t++;
	if (t < mp->len && mp->m[t] == '\n')
		*cur = t + 1;
}

/* Split the multipart body at BODY into parts. Returns their count (0:
   libetpan gives the multipart no parts), with the first MAIL_PARTS_MAX
   + 1 in PARTS, or -1 when memory ran out. */
static long
mime_split(const struct mime_mp *mp, size_t body, struct mime_part **parts)
{
	struct mime_part *arr = NULL, *na;
	size_t cur = body, part_begin, ds, dl, n = 0, cap = 0;
	bool final = false;

	*parts = NULL;
	if (mime_preamble(mp->m, mp->len, &cur, true) == 0) {
		for (;;) {
			if (mime_boundary_at(mp, cur)) {
				cur += mp->blen;
				break;
			}
			if (mime_preamble(mp->m, mp->len, &cur, false) < 0)
				break;
		}
	}
	part_begin = cur;
	for (;;) {
		mime_lwsp(mp->m, mp->len, &cur);
		if (mime_crlf(mp->m, mp->len, &cur) < 0)
			break;
		part_begin = cur;
	}
	cur = part_begin;
	while (!final) {
		if (mime_part_to_delim(mp, &cur, &ds, &dl) < 0) {
			if (mime_part_to_close(mp, &cur, &ds, &dl) < 0) {
				free(arr);
				return 0;
			}
			final = true;
		}
		if (n <= MAIL_PARTS_MAX) {
			if (n == cap) {
				cap = cap == 0 ? 8 : cap * 2;
				na = realloc(arr, cap * sizeof(*arr));
				if (na == NULL) {
					free(arr);
					return -1;
				}
				arr = na;
			}
			arr[n].off = ds;
			arr[n].len = dl;
		}
		n++;
		mime_next(mp, &cur);
	}
	*parts = arr;
	return (long)(n > MAIL_PARTS_MAX + 1 ? MAIL_PARTS_MAX + 1 : n);
}

/* mailmime_extract_boundary(): the parameter, one quote off each end. */
static char *
mime_needle(const struct mailmime_content *ct, size_t *blen)
{
	const char *b = mime_content_param(ct, "boundary");
	size_t n;
	char *needle;

	if (b == NULL)
		return NULL;
	n = strlen(b);
	if (b[0] == '"') {
		b++;
		n = n >= 2 ? n - 2 : 0;
	}
	needle = malloc(n + 4);
	if (needle == NULL)
		return NULL;
	memcpy(needle, "\n--", 3);
	memcpy(needle + 3, b, n);
	needle[n + 3] = '\0';
	*blen = n;
	return needle;
}

static void
mime_multipart(struct mime_walk *w, const char *m, size_t len, size_t body,
	       const struct mailmime_content *ct, const char *subtype, bool nested,
	       unsigned int depth)
{
	struct mime_part *parts;
	struct mime_fields fl;
	struct mime_mp mp;
	bool digest = strcasecmp(subtype, "digest") == 0;
	long n, i;
	size_t pb;

	mp.m = m;
	mp.len = len;
	mp.needle = mime_needle(ct, &mp.blen);
	if (mp.needle == NULL) {
		w->nomem = true;
		return;
	}
	n = mime_split(&mp, body, &parts);
	free(mp.needle);
	if (n < 0) {
		w->nomem = true;
		return;
	}
	for (i = 0; i < n && !w->f->over && !w->nomem; i++) {
		pb = mime_fields_read(m + parts[i].off, parts[i].len, 0, &fl, false,
				      &w->nomem);
		mime_node(w, m + parts[i].off, parts[i].len, pb, &fl, digest,
			  depth + 1, nested);
		mime_fields_clear(&fl);
	}
	free(parts);
}

static void
mime_keep(struct mime_text *t, const char *m, size_t len, size_t body,
	  int encoding, struct mailmime_content **ct)
{
	t->data = m + body;
	t->len = len - body;
	t->encoding = encoding;
	t->ct = *ct;
	*ct = NULL;
}

/* One entity: M[0..LEN) with the MIME fields FL, its body at BODY. Visits
   it as mail.c's walk over libetpan's tree did, counting parts the same. */
static void
mime_node(struct mime_walk *w, const char *m, size_t len, size_t body,
	  const struct mime_fields *fl, bool default_message, unsigned int depth,
	  bool nested)
{
	enum { K_TEXT, K_MULTIPART, K_MESSAGE, K_OTHER } kind;
	struct mailmime_content *ct;
	struct mime_fields sub;
	const char *subtype, *rt;
	bool single, top;
	size_t pos;
	int enc;

	if (++w->parts > MAIL_PARTS_MAX || depth > MAIL_MIME_DEPTH_MAX) {
		w->f->over = true;
		return;
	}
	/* The top entity's type is kept for mail.c, which reads the charset
	   of the same header (mime_found.top_type). */
	top = depth == 1 && w->f->top_type == NULL && w->parts == 2;
	ct = mime_content_type(w, m, fl, top ? &w->f->top_type : NULL);
	if (w->nomem)
		return;
	if (top)
		w->f->top_ct = ct;
	if (ct == NULL) {
		kind = default_message ? K_MESSAGE : K_TEXT;
		subtype = default_message ? "rfc822" : "plain";
	} else {
		subtype = ct->ct_subtype != NULL ? ct->ct_subtype : "";
		if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE)
			kind = ct->ct_type->tp_data.tp_composite_type->ct_type ==
				MAILMIME_COMPOSITE_TYPE_MULTIPART ? K_MULTIPART : K_MESSAGE;
		else
			kind = ct->ct_type->tp_data.tp_discrete_type->dt_type ==
				MAILMIME_DISCRETE_TYPE_TEXT ? K_TEXT : K_OTHER;
	}

	if (kind == K_MULTIPART && mime_content_param(ct, "boundary") != NULL) {
		if (strcasecmp(subtype, "report") == 0 && !nested) {
			rt = mime_content_param(ct, "report-type");
			if (rt != NULL && strcasecmp(rt, "disposition-notification") == 0)
				w->f->receipt = true;
			else
				w->f->report = true;
		}
		mime_multipart(w, m, len, body, ct, subtype, nested, depth);
		goto out;
	}
	single = true;
	enc = MAILMIME_MECHANISM_8BIT;
	if (kind == K_MESSAGE && strcasecmp(subtype, "rfc822") == 0) {
		enc = mime_encoding(w, m, fl);
		single = enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE ||
			enc == MAILMIME_MECHANISM_BASE64;
	}
	if (!single) {
		pos = mime_fields_read(m, len, body, &sub, true, &w->nomem);
		mime_node(w, m, len, pos, &sub, false, depth + 1, depth > 0 || nested);
		mime_fields_clear(&sub);
		goto out;
	}
	if (strcasecmp(subtype, "delivery-status") == 0)
		w->f->report = true;
	else if (strcasecmp(subtype, "disposition-notification") == 0)
		w->f->receipt = true;
	if (kind != K_TEXT || nested)
		goto out;
	if (strcasecmp(subtype, "plain") == 0) {
		if (w->f->plain.data == NULL && !mime_is_attachment(w, m, fl))
			mime_keep(&w->f->plain, m, len, body, mime_encoding(w, m, fl), &ct);
	} else if (strcasecmp(subtype, "html") == 0) {
		if (w->f->html.data == NULL && !mime_is_attachment(w, m, fl))
			mime_keep(&w->f->html, m, len, body, mime_encoding(w, m, fl), &ct);
	}
out:
	if (ct != NULL && ct != w->f->top_ct)
		mailmime_content_free(ct);
}

int
mime_find_text(const char *buf, size_t len, struct mime_found *found)
{
	struct mime_fields fl;
	struct mime_walk w;
	size_t body;

	memset(found, 0, sizeof(*found));
	memset(&w, 0, sizeof(w));
	w.f = found;
	/* The message itself is the root, a message/rfc822 entity; its
	   content is what its header block says. */
	w.parts = 1;
	body = mime_fields_read(buf, len, 0, &fl, true, &w.nomem);
	mime_node(&w, buf, len, body, &fl, false, 1, false);
	mime_fields_clear(&fl);
	if (w.nomem) {
		mime_found_clear(found);
		return -1;
	}
	return 0;
}

void
mime_found_clear(struct mime_found *found)
{
	if (found->top_ct != NULL && found->top_ct != found->plain.ct &&
	    found->top_ct != found->html.ct)
		mailmime_content_free(found->top_ct);
	free(found->top_type);
	if (found->plain.ct != NULL)
		mailmime_content_free(found->plain.ct);
	if (found->html.ct != NULL)
		mailmime_content_free(found->html.ct);
	memset(found, 0, sizeof(*found));
}

/* ---- transfer encodings ---- */

static const signed char mime_b64[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
	['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
	['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
	['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
	['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};	/* value + 1; 0: not base64 */

static char *
mime_base64(const unsigned char *in, size_t len, size_t *out_len_r)
{
	unsigned char c[4];
	size_t i, o = 0;
	unsigned int k = 0;
	char *out = malloc(len / 4 * 3 + 4);

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		/* Whole groups of four digits, the common case, at once. */
		while (k == 0 && len - i >= 4 && mime_b64[in[i]] != 0 &&
		       mime_b64[in[i + 1]] != 0 && mime_b64[in[i + 2]] != 0 &&
		       mime_b64[in[i + 3]] != 0) {
			unsigned int v = ((unsigned int)(mime_b64[in[i]] - 1) << 18) |
				((unsigned int)(mime_b64[in[i + 1]] - 1) << 12) |
				((unsigned int)(mime_b64[in[i + 2]] - 1) << 6) |
				(unsigned int)(mime_b64[in[i + 3]] - 1);

			out[o++] = (char)(v >> 16);
			out[o++] = (char)(v >> 8);
			out[o++] = (char)v;
			i += 4;
		}
		if (i >= len)
			break;
		if (mime_b64[in[i]] == 0)
			continue;
		c[k++] = (unsigned char)(mime_b64[in[i]] - 1);
		if (k == 4) {
			out[o++] = (char)((c[0] << 2) | (c[1] >> 4));
			out[o++] = (char)((c[1] << 4) | (c[2] >> 2));
			out[o++] = (char)((c[2] << 6) | c[3]);
			k = 0;
		}
	}
	/* A cut-off group: one byte for two or fewer digits, two for three. */
	if (k > 0) {
		if (k == 1)
			c[1] = 0;
		out[o++] = (char)((c[0] << 2) | (c[1] >> 4));
		if (k == 3)
			out[o++] = (char)((c[1] << 4) | (c[2] >> 2));
	}
	out[o] = '\0';
	*out_len_r = o;
	return out;
}

static const unsigned char mime_qp_special[256] = {
	['='] = 1, ['\r'] = 1, ['\n'] = 1,
};

static const unsigned char mime_hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};	/* value + 1; 0: not a hex digit */

static unsigned int
mime_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 0;
}

static char *
mime_qp(const unsigned char *in, size_t len, size_t *out_len_r)
{
	size_t i = 0, o = 0;
	const unsigned char *q;
	char *out;

	/* Every LF may become CRLF. */
	if (len > (SIZE_MAX - 1) / 2)
		return NULL;
	out = malloc(len * 2 + 1);
	if (out == NULL)
		return NULL;
	while (i < len) {
		/* Plain text up to the next '=', CR or LF. */
		for (q = in + i; q < in + len && !mime_qp_special[*q]; q++)
			out[o++] = (char)*q;
		i = (size_t)(q - in);
		if (i >= len)
			break;
		if (in[i] == '=' && i + 2 < len && mime_hexval[in[i + 1]] != 0 &&
		    mime_hexval[in[i + 2]] != 0) {
			/* The usual "=XY". */
			out[o++] = (char)(((mime_hexval[in[i + 1]] - 1) << 4) |
					  (mime_hexval[in[i + 2]] - 1));
			i += 3;
			continue;
		}
		if (in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			i++;
		} else if (in[i] == '\r') {
			/* A CR ends a line whatever follows; at the very end it
			   is dropped. */
			if (i + 1 >= len)
				break;
			out[o++] = '\r';
			out[o++] = '\n';
			i += in[i + 1] == '\n' ? 2 : 1;
		} else if (i + 1 >= len) {
			out[o++] = '=';
			i++;
		} else if (in[i + 1] == '\n') {
			i += 2;
		} else if (in[i + 1] == '\r') {
			if (i + 2 >= len)
				break;
			i += in[i + 2] == '\n' ? 3 : 2;
		} else if (i + 2 >= len) {
			/* "=X" at the end: libetpan writes X and the byte after
			   the input; here only X. */
			out[o++] = (char)in[i + 1];
			i += 2;
		} else {
			out[o++] = (char)((mime_hex(in[i + 1]) << 4) | mime_hex(in[i + 2]));
			i += 3;
		}
	}
	out[o] = '\0';
	*out_len_r = o;
	return out;
}

char *
mime_decode(int encoding, const char *in, size_t len, size_t *out_len_r)
{
	if (encoding == MAILMIME_MECHANISM_BASE64)
		return mime_base64((const unsigned char *)in, len, out_len_r);
	return mime_qp((const unsigned char *)in, len, out_len_r);
}
