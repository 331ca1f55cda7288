/* mime_ref - the text part of a message as slaclock found it before
 * parsers/mime.c: libetpan's mailmime_parse() tree and a walk over it. The
 * reference tests/test_mime.c and the "mime" fuzz target hold mime.c to. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "mail.h"
#include "mime_ref.h"

struct mime_ref_walk {
	struct mailmime *plain;
	struct mailmime *html;
	size_t parts;
	bool over;
	bool report;
	bool receipt;
};

/* Its own lookup, not parsers/mime.c's mime_content_param(): the
   reference must not share the code it checks. */
static const char *
mime_ref_param(const struct mailmime_content *ct, const char *name)
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

static bool
mime_ref_is_attachment(const struct mailmime *mime)
{
	struct mailmime_field *f;
	clistiter *it;

	if (mime->mm_mime_fields == NULL)
		return false;
	for (it = clist_begin(mime->mm_mime_fields->fld_list); it != NULL;
	     it = clist_next(it)) {
		f = clist_content(it);
		if (f->fld_type == MAILMIME_FIELD_DISPOSITION &&
		    f->fld_data.fld_disposition != NULL &&
		    f->fld_data.fld_disposition->dsp_type != NULL &&
		    f->fld_data.fld_disposition->dsp_type->dsp_type ==
		    MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
			return true;
	}
	return false;
}

static void
mime_ref_walk(struct mailmime *mime, unsigned int depth, bool nested,
	      struct mime_ref_walk *w)
{
	struct mailmime_content *ct = mime->mm_content_type;
	struct mailmime_type *type = ct != NULL ? ct->ct_type : NULL;
	const char *sub = ct != NULL && ct->ct_subtype != NULL ? ct->ct_subtype : "";
	bool text = type == NULL ||
		(type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
		 type->tp_data.tp_discrete_type->dt_type == MAILMIME_DISCRETE_TYPE_TEXT);
	const char *rt;
	clistiter *it;

	if (++w->parts > MAIL_PARTS_MAX || depth > MAIL_MIME_DEPTH_MAX) {
		w->over = true;
		return;
	}
	switch (mime->mm_type) {
	case MAILMIME_SINGLE:
		if (strcasecmp(sub, "delivery-status") == 0)
			w->report = true;
		else if (strcasecmp(sub, "disposition-notification") == 0)
			w->receipt = true;
		if (!text || nested || mime_ref_is_attachment(mime))
			break;
		if (type == NULL || strcasecmp(sub, "plain") == 0) {
			if (w->plain == NULL)
				w->plain = mime;
		} else if (strcasecmp(sub, "html") == 0) {
			if (w->html == NULL)
				w->html = mime;
		}
		break;
	case MAILMIME_MULTIPLE:
		if (strcasecmp(sub, "report") == 0 && !nested) {
			rt = mime_ref_param(ct, "report-type");
			if (rt != NULL && strcasecmp(rt, "disposition-notification") == 0)
				w->receipt = true;
			else
				w->report = true;
		}
		for (it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list);
		     it != NULL && !w->over; it = clist_next(it))
			mime_ref_walk(clist_content(it), depth + 1, nested, w);
		break;
	case MAILMIME_MESSAGE:
		if (mime->mm_data.mm_message.mm_msg_mime != NULL)
			mime_ref_walk(mime->mm_data.mm_message.mm_msg_mime, depth + 1,
				      depth > 0 || nested, w);
		break;
	}
}

/* CT's charset parameters, plain and RFC 2231, into R as written. */
static void
mime_ref_charsets(const struct mailmime_content *ct, struct mime_ref_text *r)
{
	const char *cs;

	if ((cs = mime_ref_param(ct, "charset")) != NULL)
		snprintf(r->charset, sizeof(r->charset), "%s", cs);
	if ((cs = mime_ref_param(ct, "charset*")) != NULL)
		snprintf(r->charset_star, sizeof(r->charset_star), "%s", cs);
}

static void
mime_ref_text(const struct mailmime *part, struct mime_ref_text *t)
{
	const struct mailmime_data *d = part->mm_data.mm_single;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return;
	t->found = true;
	t->data = d->dt_data.dt_text.dt_data;
	t->len = d->dt_data.dt_text.dt_length;
	t->encoding = d->dt_encoding;
	mime_ref_charsets(part->mm_content_type, t);
}

int
mime_ref_find(const char *buf, size_t len, struct mime_ref *ref)
{
	struct mailmime *mime = NULL;
	struct mime_ref_walk w;
	size_t idx = 0;

	memset(ref, 0, sizeof(*ref));
	if (mailmime_parse(buf, len, &idx, &mime) != MAILIMF_NO_ERROR)
		return -1;
	memset(&w, 0, sizeof(w));
	mime_ref_walk(mime, 0, false, &w);
	ref->over = w.over;
	ref->report = w.report;
	ref->receipt = w.receipt;
	if (w.plain != NULL)
		mime_ref_text(w.plain, &ref->plain);
	if (w.html != NULL)
		mime_ref_text(w.html, &ref->html);
	mailmime_free(mime);
	return 0;
}

static void
mime_ref_of_text(const struct mime_text *t, struct mime_ref_text *r)
{
	if (t->data == NULL)
		return;
	r->found = true;
	r->data = t->data;
	r->len = t->len;
	r->encoding = t->encoding;
	mime_ref_charsets(t->ct, r);
}

void
mime_ref_of(const struct mime_found *f, struct mime_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->over = f->over;
	ref->report = f->report;
	ref->receipt = f->receipt;
	mime_ref_of_text(&f->plain, &ref->plain);
	mime_ref_of_text(&f->html, &ref->html);
}

static bool
mime_ref_text_same(const struct mime_ref_text *a, const struct mime_ref_text *b,
		   const char *which, char *why, size_t whylen)
{
	if (a->found != b->found) {
		snprintf(why, whylen, "%s part found: %d vs %d", which, a->found, b->found);
		return false;
	}
	if (!a->found)
		return true;
	if (a->data != b->data || a->len != b->len) {
		snprintf(why, whylen, "%s part at %p+%zu vs %p+%zu", which,
			 (const void *)a->data, a->len, (const void *)b->data, b->len);
		return false;
	}
	if (a->encoding != b->encoding || strcmp(a->charset, b->charset) != 0 ||
	    strcmp(a->charset_star, b->charset_star) != 0) {
		snprintf(why, whylen, "%s part encoding %d/%d charset '%s'/'%s'",
			 which, a->encoding, b->encoding, a->charset, b->charset);
		return false;
	}
	return true;
}

bool
mime_ref_same(const struct mime_ref *a, const struct mime_ref *b, char *why,
	      size_t whylen)
{
	if (a->over != b->over || a->report != b->report || a->receipt != b->receipt) {
		snprintf(why, whylen, "over/report/receipt %d%d%d vs %d%d%d",
			 a->over, a->report, a->receipt, b->over, b->report, b->receipt);
		return false;
	}
	/* Past the caps the parts are not used. */
	if (a->over)
		return true;
	return mime_ref_text_same(&a->plain, &b->plain, "plain", why, whylen) &&
		mime_ref_text_same(&a->html, &b->html, "html", why, whylen);
}

bool
mime_ref_decode_same(int encoding, const char *in, size_t len, char *why,
		     size_t whylen)
{
	char *ref = NULL, *got;
	size_t idx = 0, rlen = 0, glen = 0;
	bool same;

	if (encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		for (;;) {
			if (len >= 1 && in[len - 1] == '=')
				len--;
			else if (len >= 2 && in[len - 2] == '=')
				len -= 2;
			else
				break;
		}
	}
	if (mailmime_part_parse(in, len, &idx, encoding, &ref, &rlen) != MAILIMF_NO_ERROR) {
		snprintf(why, whylen, "libetpan cannot decode");
		return false;
	}
	got = mime_decode(encoding, in, len, &glen);
	same = got != NULL && glen == rlen && memcmp(got, ref, rlen) == 0;
	if (!same)
		snprintf(why, whylen, "encoding %d: %zu bytes decoded, libetpan %zu",
			 encoding, glen, rlen);
	free(got);
	mailmime_decoded_part_free(ref);
	return same;
}