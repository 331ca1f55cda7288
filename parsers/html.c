#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/mmapstring.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "html.h"

/* libxml2's tree builder stops the whole parse when an element would
   open below this many others (xmlParserMaxDepth, 256 without
   XML_PARSE_HUGE); the text must end where it did when we walked its
   tree. */
#define HTML_TREE_DEPTH 256

/* What an open element undoes when it closes. */
#define HTML_F_QUOTE 0x01
#define HTML_F_BLOCK 0x02
#define HTML_F_PARA 0x04
#define HTML_F_WAS_PRE 0x08
#define HTML_F_CELL 0x10 /* td, th: a space after */
#define HTML_F_NONE 0x20 /* skipped whole: nothing to undo */

/* The text comes from libxml2's SAX events, not from a tree: no node,
   attribute or text copy is built and freed for every element. The
   handlers do what walking the tree did, in document order; the fields
   below stand in for the shape of the tree the builder would have made. */
struct html_ctx {
	xmlParserCtxtPtr parser;
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
	bool stopped;
	/* Elements open, as the tree builder counts them. */
	unsigned int open;
	/* While nonzero, the open count at which an element began whose
	   contents are not shown (skipped, or deeper than HTML_DEPTH_MAX). */
	unsigned int hide;
	/* Something (a DOCTYPE, a comment) is the document's first child:
	   top-level elements after the root are its siblings. Otherwise the
	   builder makes them children of the root, which then stays open in
	   the walk's eyes ("virtual") until the end. */
	bool root_seen;
	bool doc_child;
	bool root_virtual;
	bool root_hidden;
	unsigned char root_frame;
	unsigned char frame[HTML_TREE_DEPTH + 1];
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
html_text(struct html_ctx *ctx, const char *s, size_t len)
{
	const char *run, *end = s + len;

	/* libxml2 hands text over in whole characters, so a U+00A0 is never
	   split between two calls. */
	while (s < end && *s != '\0' && !ctx->full) {
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
		if (end - s >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0) {
			ctx->space = true;
			s += 2;
			continue;
		}
		html_begin_text(ctx);
		run = s;
		while (s < end && *s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' &&
		       *s != '\n' &&
		       !(end - s >= 2 && (unsigned char)s[0] == 0xc2 &&
			 (unsigned char)s[1] == 0xa0))
			s++;
		html_put(ctx, run, s - run);
	}
}

/* The element name the tree builder keeps: the part after a namespace
   prefix ("o:p" of Outlook is a "p"), as xmlSplitQName() cuts it. */
static const xmlChar *
html_local_name(const xmlChar *name)
{
	const xmlChar *colon;

	if (name[0] == ':' || (colon = (const xmlChar *)strchr((const char *)name, ':')) == NULL ||
	    colon[1] == '\0')
		return name;
	return colon + 1;
}

static const xmlChar *
html_attr(const xmlChar **atts, const char *name)
{
	size_t i;

	/* The parser drops repeated attributes: the first is the only one. */
	for (i = 0; atts != NULL && atts[i] != NULL; i += 2) {
		if (strcmp((const char *)atts[i], name) == 0)
			return atts[i + 1];
	}
	return NULL;
}

static void
html_stop(struct html_ctx *ctx)
{
	ctx->stopped = true;
	xmlStopParser(ctx->parser);
}

/* What an element's close does to the text that follows. */
static void
html_close_frame(struct html_ctx *ctx, unsigned char f)
{
	if (f & HTML_F_NONE)
		return;
	ctx->pre = (f & HTML_F_WAS_PRE) != 0;
	if (f & HTML_F_QUOTE)
		ctx->quote_depth--;
	if (f & HTML_F_BLOCK)
		html_break(ctx, (f & HTML_F_PARA) ? 2 : 1);
	else if (f & HTML_F_CELL)
		ctx->space = true;
}

/* Open an element whose contents are not shown; F is undone at its
   close. */
static void
html_push_hidden(struct html_ctx *ctx, unsigned char f)
{
	ctx->frame[ctx->open++] = f;
	ctx->hide = ctx->open;
}

static void
html_sax_start(void *data, const xmlChar *fullname, const xmlChar **atts)
{
	struct html_ctx *ctx = data;
	const xmlChar *name, *id = NULL, *cls = NULL;
	unsigned int depth;
	unsigned char f = 0;
	bool quote, para, block;

	if (ctx->stopped)
		return;
	if (ctx->full || ctx->nomem || ctx->open > HTML_TREE_DEPTH ||
	    ctx->open > xmlParserMaxDepth) {
		html_stop(ctx);
		return;
	}
	if (ctx->hide != 0) {
		ctx->frame[ctx->open++] = HTML_F_NONE;
		return;
	}
	if (ctx->open == 0) {
		if (ctx->root_virtual && ctx->doc_child) {
			/* A DOCTYPE came since: from here on the top level
			   is the root's siblings, after the root closed. */
			ctx->root_virtual = false;
			if (!ctx->root_hidden)
				html_close_frame(ctx, ctx->root_frame);
		}
		if (ctx->root_virtual && ctx->root_hidden) {
			html_push_hidden(ctx, HTML_F_NONE);
			return;
		}
	}
	depth = ctx->open + (ctx->root_virtual ? 1 : 0);
	name = html_local_name(fullname);
	if (html_name_in(name, html_skip, HTML_N(html_skip))) {
		html_push_hidden(ctx, HTML_F_NONE);
		goto root;
	}
	if (strcasecmp((const char *)name, "br") == 0) {
		if (ctx->line_start && ctx->newlines == 0)
			ctx->newlines = 1;
		else
			ctx->newlines++;
		if (ctx->newlines > 2)
			ctx->newlines = 2;
		ctx->space = false;
		html_push_hidden(ctx, HTML_F_NONE);
		goto root;
	}
	if (atts != NULL) {
		id = html_attr(atts, "id");
		cls = html_attr(atts, "class");
	}
	if (html_value_has(id, html_quote_rest_id, HTML_N(html_quote_rest_id), true)) {
		ctx->quoted = true;
		if (ctx->flags & HTML_TEXT_CUT_QUOTES) {
			ctx->full = true;
			html_stop(ctx);
			return;
		}
		html_break(ctx, 1);
		ctx->quote_rest = true;
	}
	quote = strcasecmp((const char *)name, "blockquote") == 0 ||
		html_value_has(cls, html_quote_class, HTML_N(html_quote_class), false) ||
		html_value_has(id, html_quote_id, HTML_N(html_quote_id), false);
	if (quote) {
		ctx->quoted = true;
		if (ctx->flags & HTML_TEXT_CUT_QUOTES) {
			html_push_hidden(ctx, HTML_F_NONE);
			goto root;
		}
	}
	para = html_name_in(name, html_para, HTML_N(html_para));
	block = para || quote || html_name_in(name, html_block, HTML_N(html_block));
	if (block)
		html_break(ctx, 1);
	if (quote) {
		ctx->quote_depth++;
		f |= HTML_F_QUOTE;
	}
	if (block)
		f |= HTML_F_BLOCK | (para ? HTML_F_PARA : 0);
	else if (strcasecmp((const char *)name, "td") == 0 ||
		 strcasecmp((const char *)name, "th") == 0)
		f |= HTML_F_CELL;
	if (ctx->pre)
		f |= HTML_F_WAS_PRE;
	if (strcasecmp((const char *)name, "pre") == 0)
		ctx->pre = true;
	if (depth >= HTML_DEPTH_MAX)
		html_push_hidden(ctx, f);
	else
		ctx->frame[ctx->open++] = f;
root:
	if (!ctx->root_seen) {
		ctx->root_seen = true;
		ctx->root_hidden = ctx->hide == 1;
	}
}

static void
html_sax_end(void *data, const xmlChar *name)
{
	struct html_ctx *ctx = data;
	unsigned char f;

	(void)name;
	if (ctx->stopped || ctx->open == 0)
		return;
	f = ctx->frame[--ctx->open];
	if (ctx->hide != 0 && ctx->open >= ctx->hide)
		return; /* inside a hidden element */
	ctx->hide = 0;
	if (ctx->open == 0 && !ctx->root_virtual && !ctx->doc_child &&
	    ctx->root_frame == 0xff) {
		/* The root closes, but what follows at the top level goes
		   into it. */
		ctx->root_frame = f;
		ctx->root_virtual = true;
		return;
	}
	html_close_frame(ctx, f);
}

static void
html_sax_text(void *data, const xmlChar *ch, int len)
{
	struct html_ctx *ctx = data;

	/* Text at the top level has no node to go into. */
	if (ctx->stopped || ctx->open == 0 || ctx->hide != 0 || len <= 0)
		return;
	html_text(ctx, (const char *)ch, (size_t)len);
	if (ctx->full || ctx->nomem)
		html_stop(ctx);
}

static void
html_sax_doctype(void *data, const xmlChar *name, const xmlChar *external_id,
		 const xmlChar *system_id)
{
	struct html_ctx *ctx = data;

	(void)name;
	(void)external_id;
	(void)system_id;
	/* The builder puts the DTD first among the document's children. */
	ctx->doc_child = true;
}

static void
html_sax_top_node(struct html_ctx *ctx)
{
	if (ctx->open == 0 && !ctx->root_seen)
		ctx->doc_child = true;
}

static void
html_sax_comment(void *data, const xmlChar *value)
{
	(void)value;
	html_sax_top_node(data);
}

static void
html_sax_pi(void *data, const xmlChar *target, const xmlChar *value)
{
	(void)target;
	(void)value;
	html_sax_top_node(data);
}

char *
html_to_text(const char *html, size_t len, unsigned int flags, bool *quoted_r)
{
	xmlSAXHandlerV1 sax;
	struct html_ctx ctx;
	xmlParserCtxtPtr parser = NULL;
	xmlCharEncodingHandlerPtr utf8;
	char *ret = NULL;

	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = flags;
	ctx.line_start = true;
	ctx.root_frame = 0xff;
	if (quoted_r != NULL)
		*quoted_r = false;
	ctx.out = mmap_string_sized_new(len / 2 + 16);
	if (ctx.out == NULL)
		return NULL;
	if (len > HTML_INPUT_MAX)
		len = HTML_INPUT_MAX;
	/* What htmlReadMemory(html, len, NULL, "UTF-8", options) does, with
	   these handlers in place of the tree builder's. */
	if (len > 0 && (parser = xmlCreateMemoryParserCtxt(html, (int)len)) != NULL &&
	    parser->sax != NULL) {
		memset(&sax, 0, sizeof(sax));
		sax.internalSubset = html_sax_doctype;
		sax.startElement = html_sax_start;
		sax.endElement = html_sax_end;
		sax.characters = html_sax_text;
		sax.cdataBlock = html_sax_text;
		sax.comment = html_sax_comment;
		sax.processingInstruction = html_sax_pi;
		sax.initialized = 1;
		memcpy(parser->sax, &sax, sizeof(sax));
		parser->userData = &ctx;
		ctx.parser = parser;
		htmlCtxtUseOptions(parser, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
				   HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
		parser->html = 1;
		if ((utf8 = xmlFindCharEncodingHandler("UTF-8")) != NULL) {
			xmlSwitchToEncoding(parser, utf8);
			if (parser->input->encoding != NULL)
				xmlFree((xmlChar *)parser->input->encoding);
			parser->input->encoding = xmlStrdup((const xmlChar *)"UTF-8");
		}
		htmlParseDocument(parser);
		if (parser->myDoc != NULL)
			xmlFreeDoc(parser->myDoc);
		parser->myDoc = NULL;
	}
	if (!ctx.nomem)
		ret = strndup(ctx.out->str, ctx.out->len);
	if (quoted_r != NULL)
		*quoted_r = ctx.quoted;
	if (parser != NULL)
		xmlFreeParserCtxt(parser);
	mmap_string_free(ctx.out);
	return ret;
}

void
html_init(void)
{
	xmlInitParser();
}
