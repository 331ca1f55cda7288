#include "config.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailmsg.h"

/* "=?UTF-8?B?" + "?=": what an encoded-word costs besides its payload. */
#define MAILMSG_EW_OVERHEAD 12
/* RFC 2047 2: an encoded-word is at most 75 characters. */
#define MAILMSG_EW_MAX 75
/* RFC 2045 6.7 and 6.8: encoded body lines at most 76 characters. */
#define MAILMSG_BODY_LINE 76
/* Non-ASCII share above which base64 is shorter than quoted-printable. */
#define MAILMSG_QP_MAX_PCT 15

static bool
mailmsg_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x7f || ((unsigned char)*s < 0x20 && *s != '\t'))
			return false;
	return true;
}

/* Length of the UTF-8 sequence starting at S (1 for a stray byte, so that
   broken input still moves forward). */
static size_t
mailmsg_utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	size_t i;

	for (i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

static void
mailmsg_base64(FILE *out, const void *data, size_t len)
{
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)data, (unsigned int)len };
	gnutls_datum_t enc = { NULL, 0 };

	if (len == 0)
		return;
	if (gnutls_base64_encode2(&in, &enc) < 0) {
		/* Only on allocation failure; make the stream fail too. */
		fputc('\0', out);
		return;
	}
	fwrite(enc.data, 1, enc.size, out);
	gnutls_free(enc.data);
}

/* Encoded-words for TEXT starting at column *COL: whole UTF-8 characters
   per word, each word as long as the line allows. Adjacent encoded-words
   are joined by the decoder without the folding white space between them,
   so the text comes back exactly. */
static void
mailmsg_encoded_words(FILE *out, const char *text, size_t *col)
{
	const char *p = text;

	while (*p != '\0') {
		size_t room = MAILMSG_FOLD > *col + MAILMSG_EW_OVERHEAD ?
			MAILMSG_FOLD - *col - MAILMSG_EW_OVERHEAD : 0;
		size_t bytes, n = 0;

		if (room > MAILMSG_EW_MAX - MAILMSG_EW_OVERHEAD)
			room = MAILMSG_EW_MAX - MAILMSG_EW_OVERHEAD;
		bytes = room / 4 * 3;
		if (bytes < 4 && *col > 1) {
			fputs("\r\n ", out);
			*col = 1;
			continue;
		}
		while (p[n] != '\0' && n + mailmsg_utf8_len(p + n) <= bytes)
			n += mailmsg_utf8_len(p + n);
		if (n == 0)
			n = mailmsg_utf8_len(p);
		fputs("=?UTF-8?B?", out);
		mailmsg_base64(out, p, n);
		fputs("?=", out);
		*col += MAILMSG_EW_OVERHEAD + (n + 2) / 3 * 4;
		p += n;
		if (*p != '\0') {
			fputs("\r\n ", out);
			*col = 1;
		}
	}
}

/* Longest unbroken ASCII word written as is; a longer one is encoded, so
   that no header line grows past MAILMSG_FOLD. */
#define MAILMSG_WORD_MAX (MAILMSG_FOLD - 20)

static bool
mailmsg_ascii_fits(const char *text)
{
	size_t word = 0;

	for (; *text != '\0'; text++) {
		if (*text == ' ' || *text == '\t')
			word = 0;
		else if (++word > MAILMSG_WORD_MAX)
			return false;
	}
	return true;
}

static void
mailmsg_ascii_words(FILE *out, const char *text, size_t *col)
{
	const char *p = text;

	while (*p != '\0') {
		const char *sp = p;
		size_t n;

		while (*sp == ' ' || *sp == '\t')
			sp++;
		n = strcspn(sp, " \t");
		if (p != text && *col + (size_t)(sp - p) + n > MAILMSG_FOLD) {
			fputs("\r\n ", out);
			*col = 1;
		} else {
			fwrite(p, 1, (size_t)(sp - p), out);
			*col += (size_t)(sp - p);
		}
		fwrite(sp, 1, n, out);
		*col += n;
		p = sp + n;
	}
}

void
mailmsg_write_header(FILE *out, const char *name, const char *text)
{
	size_t col = strlen(name) + 2;

	fprintf(out, "%s: ", name);
	if (mailmsg_is_ascii(text) && mailmsg_ascii_fits(text) &&
	    strstr(text, "=?") == NULL)
		mailmsg_ascii_words(out, text, &col);
	else
		mailmsg_encoded_words(out, text, &col);
	fputs("\r\n", out);
}

void
mailmsg_message_id(const char *key, const char *from, char buf[MAILMSG_ID_MAX])
{
	unsigned char digest[32];
	const char *at = strrchr(from, '@');
	char hex[33];
	size_t i;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key, strlen(key), digest) != 0)
		memset(digest, 0, sizeof(digest));
	for (i = 0; i < 16; i++)
		snprintf(hex + i * 2, 3, "%02x", digest[i]);
	snprintf(buf, MAILMSG_ID_MAX, "slaclock.%s@%s", hex,
		 at != NULL && at[1] != '\0' ? at + 1 : "localhost");
}

/* RFC 5322 3.3, with fixed English names whatever the locale. */
static void
mailmsg_date(FILE *out, int64_t date)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)date;
	struct tm tm;

	gmtime_r(&t, &tm);
	fprintf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool
mailmsg_addr_ok(const char *addr)
{
	const char *at = strchr(addr, '@');

	if (at == NULL || at == addr || at[1] == '\0' || strlen(addr) > 254)
		return false;
	for (; *addr != '\0'; addr++)
		if ((unsigned char)*addr <= ' ' || (unsigned char)*addr >= 0x7f ||
		    strchr("<>()[],;:\\\"", *addr) != NULL)
			return false;
	return true;
}

static void
mailmsg_from(FILE *out, const struct mailmsg *msg)
{
	size_t col = 6;

	fputs("From: ", out);
	if (msg->from_name != NULL && msg->from_name[0] != '\0') {
		if (mailmsg_is_ascii(msg->from_name)) {
			const char *p;

			fputc('"', out);
			for (p = msg->from_name; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					fputc('\\', out);
				fputc(*p, out);
			}
			fputc('"', out);
			col += strlen(msg->from_name) + 2;
		} else {
			mailmsg_encoded_words(out, msg->from_name, &col);
		}
		if (col + strlen(msg->from) + 3 > MAILMSG_FOLD)
			fputs("\r\n", out);
		fputs(" <", out);
		fputs(msg->from, out);
		fputc('>', out);
	} else {
		fputs(msg->from, out);
	}
	fputs("\r\n", out);
}

static void
mailmsg_to(FILE *out, const struct mailmsg *msg)
{
	size_t i, col = 4;

	fputs("To: ", out);
	for (i = 0; i < msg->to_count; i++) {
		size_t n = strlen(msg->to[i]);

		if (i > 0) {
			fputc(',', out);
			col++;
			if (col + 1 + n > MAILMSG_FOLD) {
				fputs("\r\n", out);
				col = 0;
			}
			fputc(' ', out);
			col++;
		}
		fputs(msg->to[i], out);
		col += n;
	}
	fputs("\r\n", out);
}

/* Quoted-printable (RFC 2045 6.7) of TEXT with its line breaks, LF or CRLF,
   written as CRLF hard breaks. */
static void
mailmsg_qp(FILE *out, const char *text, size_t len)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		bool eol_next = i + 1 == len || text[i + 1] == '\n' ||
			(text[i + 1] == '\r' && i + 2 < len && text[i + 2] == '\n');
		char enc[4];
		size_t n;

		if (c == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		if (c == '\n') {
			fputs("\r\n", out);
			col = 0;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !eol_next)) {
			enc[0] = (char)c;
			n = 1;
		} else {
			snprintf(enc, sizeof(enc), "=%02X", c);
			n = 3;
		}
		/* Keep room for the soft break's "=" within 76 columns. */
		if (col + n > MAILMSG_BODY_LINE - 1 && !(eol_next && col + n <= MAILMSG_BODY_LINE)) {
			fputs("=\r\n", out);
			col = 0;
		}
		fwrite(enc, 1, n, out);
		col += n;
	}
	if (col > 0)
		fputs("\r\n", out);
}

/* base64 in lines of 76, of TEXT with its line breaks made CRLF when
   CANONICAL (text parts), as is otherwise. */
static int
mailmsg_base64_body(FILE *out, const char *data, size_t len, bool canonical)
{
	char *crlf = NULL, *b64 = NULL;
	size_t crlf_len = 0, b64_len = 0, i;
	FILE *mem;
	int ret = -1;

	if (canonical) {
		if ((mem = open_memstream(&crlf, &crlf_len)) == NULL)
			return -1;
		for (i = 0; i < len; i++) {
			if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
				fputc('\r', mem);
			fputc(data[i], mem);
		}
		if (fclose(mem) != 0)
			goto out;
		data = crlf;
		len = crlf_len;
	}
	if ((mem = open_memstream(&b64, &b64_len)) == NULL)
		goto out;
	mailmsg_base64(mem, data, len);
	if (fclose(mem) != 0)
		goto out;
	for (i = 0; i < b64_len; i += MAILMSG_BODY_LINE) {
		fwrite(b64 + i, 1, b64_len - i < MAILMSG_BODY_LINE ? b64_len - i :
		       MAILMSG_BODY_LINE, out);
		fputs("\r\n", out);
	}
	ret = 0;
out:
	free(crlf);
	free(b64);
	return ret;
}

static int
mailmsg_text_part(FILE *out, const char *subtype, const char *text)
{
	size_t len = strlen(text), high = 0, i;

	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] >= 0x80)
			high++;
	fprintf(out, "Content-Type: text/%s; charset=utf-8\r\n", subtype);
	if (high * 100 <= len * MAILMSG_QP_MAX_PCT) {
		fputs("Content-Transfer-Encoding: quoted-printable\r\n\r\n", out);
		mailmsg_qp(out, text, len);
		return 0;
	}
	fputs("Content-Transfer-Encoding: base64\r\n\r\n", out);
	return mailmsg_base64_body(out, text, len, true);
}

static int
mailmsg_body(FILE *out, const struct mailmsg *msg, const char *boundary)
{
	if (msg->html == NULL)
		return mailmsg_text_part(out, "plain", msg->text);
	fprintf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s_alt\"\r\n\r\n",
		boundary);
	fputs("This is a multi-part message in MIME format.\r\n", out);
	fprintf(out, "\r\n--%s_alt\r\n", boundary);
	if (mailmsg_text_part(out, "plain", msg->text) < 0)
		return -1;
	fprintf(out, "\r\n--%s_alt\r\n", boundary);
	if (mailmsg_text_part(out, "html", msg->html) < 0)
		return -1;
	fprintf(out, "\r\n--%s_alt--\r\n", boundary);
	return 0;
}

/* RFC 2231 for a filename that is not plain ASCII. */
static void
mailmsg_filename(FILE *out, const char *name)
{
	const unsigned char *p;

	if (mailmsg_is_ascii(name) && strpbrk(name, "\"\\") == NULL &&
	    strlen(name) < 60) {
		fprintf(out, " filename=\"%s\"", name);
		return;
	}
	fputs(" filename*=UTF-8''", out);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._", *p) != NULL)
			fputc(*p, out);
		else
			fprintf(out, "%%%02X", *p);
	}
}

int
mailmsg_build(const struct mailmsg *msg, char **out_r, size_t *len_r,
	      const char **error_r)
{
	char id[MAILMSG_ID_MAX], boundary[64];
	char *buf = NULL;
	size_t len = 0, i;
	FILE *out = NULL;
	int ret = -1;

	*out_r = NULL;
	if (msg->from == NULL || !mailmsg_addr_ok(msg->from)) {
		*error_r = "mail: no valid sender address";
		return -1;
	}
	if (msg->to_count == 0 || msg->to_count > MAILMSG_RCPTS_MAX) {
		*error_r = "mail: no recipient, or too many";
		return -1;
	}
	for (i = 0; i < msg->to_count; i++) {
		if (!mailmsg_addr_ok(msg->to[i])) {
			*error_r = "mail: invalid recipient address";
			return -1;
		}
	}
	if (msg->key == NULL || msg->key[0] == '\0' || msg->subject == NULL ||
	    msg->text == NULL) {
		*error_r = "mail: key, subject and text are required";
		return -1;
	}
	if (strlen(msg->subject) > MAILMSG_SUBJECT_MAX || strlen(msg->key) > MAILMSG_SUBJECT_MAX ||
	    strlen(msg->text) > MAILMSG_BODY_MAX ||
	    (msg->html != NULL && strlen(msg->html) > MAILMSG_BODY_MAX) ||
	    (msg->attachment != NULL && msg->attachment->len > MAILMSG_BODY_MAX)) {
		*error_r = "mail: subject, body or attachment over its cap";
		return -1;
	}

	mailmsg_message_id(msg->key, msg->from, id);
	/* "=_" cannot occur in quoted-printable or base64 text, so the
	   boundary never collides with a part's content. */
	snprintf(boundary, sizeof(boundary), "=_slaclock_%.24s", id + 9);

	if ((out = open_memstream(&buf, &len)) == NULL) {
		*error_r = "mail: out of memory";
		return -1;
	}
	mailmsg_from(out, msg);
	mailmsg_to(out, msg);
	mailmsg_write_header(out, "Subject", msg->subject);
	mailmsg_date(out, msg->date);
	fprintf(out, "Message-ID: <%s>\r\n", id);
	fputs("MIME-Version: 1.0\r\n", out);
	fputs("Auto-Submitted: auto-generated\r\n", out);
	fputs("Precedence: bulk\r\n", out);
	fputs("X-Auto-Response-Suppress: All\r\n", out);
	mailmsg_write_header(out, MAILMSG_HEADER_NAME, msg->key);

	if (msg->attachment == NULL) {
		if (mailmsg_body(out, msg, boundary) < 0)
			goto fail;
	} else {
		const struct mailmsg_attachment *a = msg->attachment;

		fprintf(out, "Content-Type: multipart/mixed;\r\n boundary=\"%s_mix\"\r\n\r\n",
			boundary);
		fputs("This is a multi-part message in MIME format.\r\n", out);
		fprintf(out, "\r\n--%s_mix\r\n", boundary);
		if (mailmsg_body(out, msg, boundary) < 0)
			goto fail;
		fprintf(out, "\r\n--%s_mix\r\n", boundary);
		fprintf(out, "Content-Type: %s\r\n", a->content_type != NULL ?
			a->content_type : "application/octet-stream");
		fputs("Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n", out);
		mailmsg_filename(out, a->filename != NULL ? a->filename : "attachment");
		fputs("\r\n\r\n", out);
		if (mailmsg_base64_body(out, a->data, a->len, false) < 0)
			goto fail;
		fprintf(out, "\r\n--%s_mix--\r\n", boundary);
	}
	if (fclose(out) != 0) {
		out = NULL;
		goto fail;
	}
	out = NULL;
	if (memchr(buf, '\0', len) != NULL)
		goto fail;
	*out_r = buf;
	*len_r = len;
	buf = NULL;
	ret = 0;
	goto out;
fail:
	*error_r = "mail: out of memory writing the message";
out:
	if (out != NULL)
		fclose(out);
	free(buf);
	return ret;
}
