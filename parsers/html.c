#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/mmapstring.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html.h"

struct html_ctx {
	MMAPString *out;
	unsigned int flags;
	unsigned int quote_depth;
	/* Outlook puts the quoted message after a marker element rather
	   than inside it: everything from there on is quoted. */
	bool quote_rest;
	bool quoted;
	bool pre;
	bool line_start;
	bool space;
	unsigned int newlines; /* line breaks owed before the next text */
	bool full;
	bool nomem;
};

/* Elements whose text is never shown. */
static const char *const html_skip[] = {
	"script", "style", "head", "title", "noscript", "template", "xml",
	"object", "svg", "iframe",
};

/* Elements that stand on lines of their own. */
static const char *const html_block[] = {
	"div", "tr", "li", "ul", "ol", "dl", "dt", "dd", "table", "center",
	"address", "article", "aside", "section", "header", "footer", "nav",
	"form", "fieldset", "hr", "pre", "caption", "tbody", "thead", "tfoot",
	"main", "figure",
};

/* Blocks followed by an empty line. */
static const char *const html_para[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
};

/* class or id values (case-insensitive substrings) of quote containers. */
static const char *const html_quote_class[] = {
	"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote",
	"ms-outlook-mobile-reference-message", "zmail_extra", "quote",
};

static const char *const html_quote_id[] = {
	"isreplycontent", "isforwardcontent", "qqmailoriginal",
	"reference-message-container", "mail-editor-reference-message-container",
	"origbody", "oldmail", "replycontent", "quote",
};

/* ids after which the rest of the document is the quoted message. */
static const char *const html_quote_rest_id[] = {
	"divrplyfwdmsg", "appendonsend", "x_divrplyfwdmsg",
};

static bool
html_name_in(const xmlChar *name, const char *const *list, size_t n)
{
	size_t i;

	/* The first letter rules out most names before strcasecmp(). */
	for (i = 0; i < n; i++) {
		if (tolower(name[0]) == list[i][0] &&
		    strcasecmp((const char *)name, list[i]) == 0)
			return true;
	}
	return false;
}

/* Whether the attribute value V (NULL: absent) is, or with !EXACT
   contains, one of LIST. */
static bool
html_value_has(const xmlChar *v, const char *const *list, size_t n, bool exact)
{
	bool found = false;
	size_t i;

	if (v == NULL)
		return false;
	for (i = 0; i < n && !found; i++) {
		if (exact)
			found = strcasecmp((const char *)v, list[i]) == 0;
		else
			found = strcasestr((const char *)v, list[i]) != NULL;
	}
	return found;
}

#define HTML_N(a) (sizeof(a) / sizeof((a)[0]))

static void
html_put(struct html_ctx *ctx, const char *s, size_t n)
{
	if (ctx->full || ctx->nomem)
		return;
	if (ctx->out->len + n > HTML_TEXT_MAX) {
		ctx->full = true;
		return;
	}
	if (mmap_string_append_len(ctx->out, s, n) == NULL)
		ctx->nomem = true;
}

static void
html_break(struct html_ctx *ctx, unsigned int n)
{
	if (ctx->newlines < n)
		ctx->newlines = n;
}

/* Start text output: owed line breaks, then the quote prefix. */
static void
html_begin_text(struct html_ctx *ctx)
{
	unsigned int i, depth;

	if (ctx->out->len > 0) {
		for (i = 0; i < ctx->newlines; i++)
			html_put(ctx, "\n", 1);
		if (ctx->newlines > 0)
			ctx->line_start = true;
	}
	ctx->newlines = 0;
	if (ctx->line_start) {
		depth = ctx->quote_depth + (ctx->quote_rest ? 1 : 0);
		for (i = 0; i < depth; i++)
			html_put(ctx, ">", 1);
		if (depth > 0)
			html_put(ctx, " ", 1);
		ctx->line_start = false;
		ctx->space = false;
	} else if (ctx->space) {
		html_put(ctx, " ", 1);
		ctx->space = false;
	}
}

static void
html_text(struct html_ctx *ctx, const char *s)
{
	const char *run;

	while (*s != '\0' && !ctx->full) {
		if (ctx->pre && *s == '\n') {
			html_break(ctx, 1);
			ctx->line_start = ctx->out->len == 0;
			s++;
			continue;
		}
		if (ctx->pre && (*s == ' ' || *s == '\t')) {
			html_begin_text(ctx);
			html_put(ctx, s, 1);
			s++;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			if (!ctx->line_start || ctx->newlines == 0)
				ctx->space = true;
			s++;
			continue;
		}
		/* U+00A0 NO-BREAK SPACE is only a space to a reader. */
		if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0) {
			ctx->space = true;
			s += 2;
			continue;
		}
		html_begin_text(ctx);
		run = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' &&
		       *s != '\n' &&
		       !((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0))
			s++;
		html_put(ctx, run, s - run);
	}
}

static void
html_walk(struct html_ctx *ctx, xmlNode *node, unsigned int depth)
{
	xmlNode *child;
	xmlChar *id, *cls;
	bool quote, para, block, was_pre;

	for (; node != NULL && !ctx->full && !ctx->nomem; node = node->next) {
		if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
			if (node->content != NULL)
				html_text(ctx, (const char *)node->content);
			continue;
		}
		if (node->type != XML_ELEMENT_NODE || node->name == NULL)
			continue;
		if (html_name_in(node->name, html_skip, HTML_N(html_skip)))
			continue;
		if (strcasecmp((const char *)node->name, "br") == 0) {
			if (ctx->line_start && ctx->newlines == 0)
				ctx->newlines = 1;
			else
				ctx->newlines++;
			if (ctx->newlines > 2)
				ctx->newlines = 2;
			ctx->space = false;
			continue;
		}
		/* An element without attributes has neither id nor class. */
		id = cls = NULL;
		if (node->properties != NULL) {
			id = xmlGetProp(node, (const xmlChar *)"id");
			cls = xmlGetProp(node, (const xmlChar *)"class");
		}
		if (html_value_has(id, html_quote_rest_id, HTML_N(html_quote_rest_id), true)) {
			ctx->quoted = true;
			if (ctx->flags & HTML_TEXT_CUT_QUOTES) {
				xmlFree(id);
				xmlFree(cls);
				ctx->full = true;
				return;
			}
			html_break(ctx, 1);
			ctx->quote_rest = true;
		}
		quote = strcasecmp((const char *)node->name, "blockquote") == 0 ||
			html_value_has(cls, html_quote_class, HTML_N(html_quote_class), false) ||
			html_value_has(id, html_quote_id, HTML_N(html_quote_id), false);
		xmlFree(id);
		xmlFree(cls);
		if (quote) {
			ctx->quoted = true;
			if (ctx->flags & HTML_TEXT_CUT_QUOTES)
				continue;
		}
		para = html_name_in(node->name, html_para, HTML_N(html_para));
		block = para || quote ||
			html_name_in(node->name, html_block, HTML_N(html_block));
		if (block)
			html_break(ctx, 1);
		if (quote)
			ctx->quote_depth++;
		was_pre = ctx->pre;
		if (strcasecmp((const char *)node->name, "pre") == 0)
			ctx->pre = true;
		child = node->children;
		if (depth < HTML_DEPTH_MAX)
			html_walk(ctx, child, depth + 1);
		ctx->pre = was_pre;
		if (quote)
			ctx->quote_depth--;
		if (block)
			html_break(ctx, para ? 2 : 1);
		else if (strcasecmp((const char *)node->name, "td") == 0 ||
			 strcasecmp((const char *)node->name, "th") == 0)
			ctx->space = true;
	}
}

char *
html_to_text(const char *html, size_t len, unsigned int flags, bool *quoted_r)
{
	struct html_ctx ctx;
	htmlDocPtr doc = NULL;
	char *ret = NULL;

	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = flags;
	ctx.line_start = true;
	if (quoted_r != NULL)
		*quoted_r = false;
	ctx.out = mmap_string_sized_new(len / 2 + 16);
	if (ctx.out == NULL)
		return NULL;
	if (len > HTML_INPUT_MAX)
		len = HTML_INPUT_MAX;
	if (len > 0) {
		doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
				     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				     HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	}
	if (doc != NULL)
		html_walk(&ctx, xmlDocGetRootElement(doc), 0);
	if (!ctx.nomem)
		ret = strndup(ctx.out->str, ctx.out->len);
	if (quoted_r != NULL)
		*quoted_r = ctx.quoted;
	if (doc != NULL)
		xmlFreeDoc(doc);
	mmap_string_free(ctx.out);
	return ret;
}

void
html_init(void)
{
	xmlInitParser();
}
