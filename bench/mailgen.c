/* mailgen - a deterministic service mailbox for the benchmarks.
 *
 *   mailgen [-s SEED] [-n COUNT] [-m YYYY-MM] [-d MAILDIR] [-b MBOX]
 *           [-c CONF] [-D DBPATH] [-A]
 *
 * COUNT messages in threads of 1-20, spread over the month, written in
 * delivery order as a Maildir (file names carry the delivery time, so
 * ingest sees the times a real mailbox would) and/or an mbox, plus the
 * slaclock.conf whose agents they come from. The mix is the one a Chinese
 * after-sales mailbox sees: Chinese in GBK and UTF-8 and English, plain
 * text, HTML and both, quoted history in the Foxmail/QQ, NetEase, Outlook
 * and Gmail styles, auto-replies, and a few attachments of 10 KB-2 MB
 * (-A: none). Same seed, same bytes: the PRNG is seeded from SEED only and
 * nothing depends on the clock, the host or the PID.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAILGEN_COUNT_MAX 20000000u
#define MAILGEN_THREAD_MAX 20
#define MAILGEN_QUOTE_MAX 3            /* earlier messages quoted in a reply */
#define MAILGEN_ATTACH_MIN (10u * 1024)
#define MAILGEN_ATTACH_MAX (2u * 1024 * 1024)
#define MAILGEN_CUSTOMERS 5000
#define MAILGEN_PATH_MAX 4096
#define MAILGEN_TZ_OFFSET (8 * 3600)   /* the mailbox is in China */

/* Roles of a message in its thread. */
enum mg_role { MG_CUSTOMER, MG_AGENT, MG_AUTO_VACATION, MG_AUTO_ACK };
/* How the client writes it. */
enum mg_client { MG_FOXMAIL, MG_QQ, MG_NETEASE, MG_OUTLOOK, MG_GMAIL,
		 MG_IPHONE, MG_CLIENT_COUNT };
enum mg_mime { MG_PLAIN, MG_ALTERNATIVE, MG_HTML };

struct mg_rng {
	uint64_t s;
};

struct mg_msg_plan {
	enum mg_role role;
	int64_t time;
	enum mg_mime mime;
	bool gbk;
	bool attach;
	bool marker_pre, marker_res;
	uint32_t agent;
	uint64_t seed;                 /* of this message's own text */
};

struct mg_thread {
	uint64_t seed;
	int64_t start;
	uint8_t len;
};

struct mg_slot {
	int64_t time;
	uint32_t thread;
	uint8_t k;
};

struct mg_buf {
	char *p;
	size_t len, size;
};

struct mg {
	uint64_t seed;
	int64_t month_start, month_len;
	char month[8];
	iconv_t to_gbk;
	char *blob;                    /* random base64 lines for attachments */
	size_t blob_len;
	struct mg_buf text, quote, mime, out, tmp;
};

/* ---- PRNG (splitmix64: tiny, good enough, the same everywhere) ---- */

static uint64_t
mg_next(struct mg_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
mg_below(struct mg_rng *r, uint32_t n)
{
	return (uint32_t)(mg_next(r) % n);
}

/* true with probability PERMILLE/1000 */
static bool
mg_chance(struct mg_rng *r, uint32_t permille)
{
	return mg_below(r, 1000) < permille;
}

static uint64_t
mg_mix(uint64_t a, uint64_t b)
{
	struct mg_rng r = { a * 0x100000001b3ull ^ b };

	return mg_next(&r);
}

/* ---- buffers ---- */

static void
mg_die(const char *what)
{
	fprintf(stderr, "mailgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
mg_reserve(struct mg_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->size)
		return;
	while (b->len + more + 1 > b->size)
		b->size = b->size == 0 ? 4096 : b->size * 2;
	if ((b->p = realloc(b->p, b->size)) == NULL)
		mg_die("realloc");
}

static void
mg_add(struct mg_buf *b, const char *s, size_t n)
{
	mg_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
mg_adds(struct mg_buf *b, const char *s)
{
	mg_add(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
mg_addf(struct mg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	mg_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* ---- the words of the mailbox ---- */

static const char *const zh_customer[] = {
	"您好，我家的净水器从昨天开始漏水，请问怎么处理？",
	"滤芯指示灯一直闪红灯，已经按说明书复位过了，还是不行。",
	"机器型号是 HD-RO600，购买日期是去年十月，保修卡还在。",
	"出水量明显变小了，家里的水压是正常的。",
	"请尽快安排师傅上门检查，谢谢！",
	"发票和保修卡的照片见附件，请查收。",
	"我们公司有三台商用机，其中一台显示 E3 故障代码。",
	"安装师傅说需要更换增压泵，请确认是否在保修范围内。",
	"TDS 值从 15 升到了 80，是不是滤芯该换了？",
	"周末家里有人，上午九点以后都可以上门。",
	"上次换的滤芯才用了两个月，感觉不太正常。",
	"机器晚上有嗡嗡的响声，影响休息，能不能帮忙看一下？",
	"已经等了两天还没有人联系我，请问进度如何？",
	"师傅已经来过了，问题解决了，谢谢你们。",
};
static const char *const zh_agent[] = {
	"您好，感谢您联系华东净水售后服务中心。",
	"根据您描述的情况，初步判断是进水电磁阀故障。",
	"我们已为您登记工单，师傅会在 24 小时内与您电话联系。",
	"请先关闭进水阀并拔掉电源，避免继续漏水。",
	"该部件在保修期内，更换不收取任何费用。",
	"如有其他问题，请随时回复本邮件。",
	"滤芯建议每 6 个月更换一次，可以在官方商城购买原装滤芯。",
	"E3 代码表示低压开关异常，请检查进水压力是否低于 0.1 MPa。",
	"给您带来不便，非常抱歉。",
	"师傅预计明天下午两点到四点之间上门，请保持电话畅通。",
};
static const char *const en_customer[] = {
	"Hello, our purifier has been leaking since yesterday evening.",
	"The filter light keeps flashing red even after a reset.",
	"It is a model HD-RO600, bought last October; the serial number is on the label.",
	"Could you send a technician this week? Thank you.",
	"The water flow has dropped a lot although the pressure is fine.",
	"We have three commercial units and one of them shows error E3.",
	"I have been waiting for two days, is there any update?",
};
static const char *const en_agent[] = {
	"Thank you for contacting HDJS after-sales support.",
	"We have logged a ticket and a technician will call you within 24 hours.",
	"Please close the inlet valve and unplug the unit for now.",
	"The part is under warranty, so the replacement is free of charge.",
	"Error E3 means the low-pressure switch tripped; please check the inlet pressure.",
	"Sorry for the inconvenience.",
};
static const char *const zh_subjects[] = {
	"净水器漏水", "滤芯灯闪烁问题", "E3 故障代码求助", "出水量小",
	"保修咨询", "商用机维修申请", "滤芯更换", "机器有异响",
};
static const char *const en_subjects[] = {
	"Leaking purifier", "Filter light flashing", "Warranty question",
	"Error E3 on commercial unit", "Low water flow",
};
static const char *const zh_names[] = {
	"张伟", "李娜", "刘洋", "陈杰", "杨静", "赵磊", "黄敏", "周强", "吴婷", "徐明",
	"孙丽", "马超", "朱琳", "胡军", "郭芳", "何斌",
};
static const char *const en_names[] = {
	"John Smith", "Mary Johnson", "David Lee", "Emma Brown", "Lucas Martin",
};
static const char *const domains[] = {
	"qq.com", "163.com", "126.com", "foxmail.com", "sina.com", "outlook.com",
	"gmail.com", "aliyun.com", "client-corp.example.cn", "hotel-group.example.com",
};
static const char *const zh_weekdays[] = { "日", "一", "二", "三", "四", "五", "六" };
static const char *const en_weekdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const en_months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

struct mg_agent {
	const char *addr, *name;
	int team;
	enum mg_client client;
};

static const struct mg_agent agents[] = {
	{ "wang.fang@hdjs.example.cn", "王芳", 0, MG_FOXMAIL },
	{ "li.qiang@hdjs.example.cn", "李强", 0, MG_OUTLOOK },
	{ "chen.jing@hdjs.example.cn", "陈静", 0, MG_FOXMAIL },
	{ "liu.yang@hdjs.example.cn", "刘洋", 0, MG_OUTLOOK },
	{ "zhao.min@hdjs.example.cn", "赵敏", 1, MG_FOXMAIL },
	{ "sun.hao@hdjs.example.cn", "孙浩", 1, MG_OUTLOOK },
	{ "qian.wei@hdjs.example.cn", "钱伟", 1, MG_FOXMAIL },
	{ "zhou.lin@hdjs.example.cn", "周琳", 2, MG_OUTLOOK },
	{ "wu.tao@hdjs.example.cn", "吴涛", 2, MG_FOXMAIL },
	{ "zheng.li@hdjs.example.cn", "郑丽", 2, MG_OUTLOOK },
};
#define MG_AGENT_COUNT (sizeof(agents) / sizeof(agents[0]))
#define MG_SERVICE "service@hdjs.example.cn"
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct mg_customer {
	char addr[64];
	const char *name;
	enum mg_client client;
	bool zh;
};

static void
mg_customer(uint32_t id, struct mg_customer *c)
{
	struct mg_rng r = { mg_mix(0xc057, id) };
	const char *dom = domains[mg_below(&r, N(domains))];

	c->zh = mg_chance(&r, 800);
	c->name = c->zh ? zh_names[mg_below(&r, N(zh_names))] :
		en_names[mg_below(&r, N(en_names))];
	snprintf(c->addr, sizeof(c->addr), "user%u@%s", id, dom);
	if (strcmp(dom, "qq.com") == 0 || strcmp(dom, "foxmail.com") == 0)
		c->client = mg_chance(&r, 500) ? MG_QQ : MG_FOXMAIL;
	else if (strcmp(dom, "163.com") == 0 || strcmp(dom, "126.com") == 0)
		c->client = MG_NETEASE;
	else if (strcmp(dom, "gmail.com") == 0)
		c->client = MG_GMAIL;
	else if (strcmp(dom, "outlook.com") == 0)
		c->client = MG_OUTLOOK;
	else
		c->client = (enum mg_client)mg_below(&r, MG_CLIENT_COUNT);
}

/* ---- the plan of a thread: who writes when, in which form ---- */

static uint8_t
mg_thread_len(struct mg_rng *r)
{
	/* Most tickets are a question and an answer or two; a few drag on. */
	uint32_t x = mg_below(r, 1000);

	if (x < 250)
		return 1;
	if (x < 550)
		return 2;
	if (x < 900)
		return (uint8_t)(3 + mg_below(r, 4));
	return (uint8_t)(7 + mg_below(r, MAILGEN_THREAD_MAX - 6));
}

static size_t
mg_thread_plan(const struct mg_thread *t, struct mg_msg_plan *plan)
{
	struct mg_rng r = { t->seed };
	struct mg_customer c;
	uint32_t cust = mg_below(&r, MAILGEN_CUSTOMERS);
	uint32_t agent = mg_below(&r, MG_AGENT_COUNT);
	int64_t when = t->start;
	size_t k;
	bool resolved = false;

	mg_customer(cust, &c);
	for (k = 0; k < t->len; k++) {
		struct mg_msg_plan *p = &plan[k];

		memset(p, 0, sizeof(*p));
		p->seed = mg_next(&r);
		p->agent = agent;
		if (k == 0)
			p->role = MG_CUSTOMER;
		else if (k == 1 && mg_chance(&r, 150))
			p->role = MG_AUTO_ACK;
		else if (plan[k - 1].role == MG_AGENT && mg_chance(&r, 40))
			p->role = MG_AUTO_VACATION;
		else if (plan[k - 1].role == MG_CUSTOMER || plan[k - 1].role == MG_AUTO_ACK)
			p->role = mg_chance(&r, 850) ? MG_AGENT : MG_CUSTOMER;
		else
			p->role = mg_chance(&r, 750) ? MG_CUSTOMER : MG_AGENT;
		/* Gaps: robots answer at once, agents mostly within the half
		   hour, customers whenever. */
		if (k > 0) {
			switch (p->role) {
			case MG_AUTO_ACK:
			case MG_AUTO_VACATION:
				when += 5 + mg_below(&r, 60);
				break;
			case MG_AGENT:
				when += mg_chance(&r, 800) ? 60 + mg_below(&r, 1700) :
					1800 + mg_below(&r, 86400);
				break;
			default:
				when += 300 + mg_below(&r, 2 * 86400);
			}
		}
		p->time = when;
		if (p->role == MG_AGENT && mg_chance(&r, 100))
			agent = p->agent = mg_below(&r, MG_AGENT_COUNT); /* handover */
		if (p->role == MG_AGENT && !resolved && k + 2 >= t->len) {
			p->marker_res = mg_chance(&r, 500);
			p->marker_pre = !p->marker_res && mg_chance(&r, 500);
			resolved = p->marker_res;
		}
		p->gbk = c.zh && (c.client == MG_FOXMAIL || c.client == MG_QQ ||
				  c.client == MG_NETEASE) && mg_chance(&r, 600);
		if (p->role == MG_AGENT)
			p->gbk = c.zh && mg_chance(&r, 300);
		switch (mg_below(&r, 20)) {
		case 0: case 1:
			p->mime = MG_HTML;
			break;
		case 2: case 3: case 4: case 5: case 6: case 7: case 8:
			p->mime = MG_ALTERNATIVE;
			break;
		default:
			p->mime = MG_PLAIN;
		}
		p->attach = p->role == MG_CUSTOMER && mg_chance(&r, 3);
	}
	return k;
}

/* ---- dates ---- */

static void
mg_local(int64_t t, struct tm *tm)
{
	time_t lt = (time_t)(t + MAILGEN_TZ_OFFSET);

	gmtime_r(&lt, tm);
}

static void
mg_rfc5322_date(struct mg_buf *b, int64_t t)
{
	struct tm tm;

	mg_local(t, &tm);
	mg_addf(b, "%s, %02d %s %04d %02d:%02d:%02d +0800", en_weekdays[tm.tm_wday],
		tm.tm_mday, en_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		tm.tm_min, tm.tm_sec);
}

/* ---- encodings ---- */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 in 76-column lines, as MIME wants it. */
static void
mg_base64(struct mg_buf *b, const unsigned char *s, size_t n, bool wrap)
{
	size_t i, col = 0;
	char q[4];

	mg_reserve(b, n / 3 * 4 + n / 57 * 2 + 8);
	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		mg_add(b, q, 4);
		col += 4;
		if (wrap && col >= 76) {
			mg_add(b, "\n", 1);
			col = 0;
		}
	}
	if (wrap && col > 0)
		mg_add(b, "\n", 1);
}

static void
mg_qp(struct mg_buf *b, const char *s, size_t n)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\n') {
			mg_add(b, "\n", 1);
			col = 0;
			continue;
		}
		if (col >= 72) {
			mg_add(b, "=\n", 2);
			col = 0;
		}
		if ((ch >= 33 && ch <= 126 && ch != '=') ||
		    (ch == ' ' && i + 1 < n && s[i + 1] != '\n')) {
			mg_add(b, (const char *)&ch, 1);
			col++;
		} else {
			mg_addf(b, "=%02X", ch);
			col += 3;
		}
	}
	if (col > 0)
		mg_add(b, "\n", 1);
}

/* UTF-8 S to GBK in DST (replaced). */
static void
mg_gbk(struct mg *g, struct mg_buf *dst, const char *s, size_t n)
{
	char *in = (char *)s, *out;
	size_t inleft = n, outleft;

	dst->len = 0;
	mg_reserve(dst, n * 2 + 16);
	out = dst->p;
	outleft = dst->size - 1;
	iconv(g->to_gbk, NULL, NULL, NULL, NULL);
	if (iconv(g->to_gbk, &in, &inleft, &out, &outleft) == (size_t)-1) {
		fprintf(stderr, "mailgen: iconv to GBK: %s\n", strerror(errno));
		exit(1);
	}
	dst->len = (size_t)(out - dst->p);
	dst->p[dst->len] = '\0';
}

static bool
mg_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* A header value as one RFC 2047 encoded-word when it is not ASCII. */
static void
mg_header_word(struct mg *g, struct mg_buf *b, const char *s, bool gbk)
{
	if (mg_ascii(s)) {
		mg_adds(b, s);
		return;
	}
	if (gbk) {
		mg_gbk(g, &g->tmp, s, strlen(s));
		mg_adds(b, "=?GBK?B?");
		mg_base64(b, (const unsigned char *)g->tmp.p, g->tmp.len, false);
	} else {
		mg_adds(b, "=?UTF-8?B?");
		mg_base64(b, (const unsigned char *)s, strlen(s), false);
	}
	mg_adds(b, "?=");
}

/* ---- one message ---- */

static void
mg_msgid(struct mg_buf *b, const struct mg *g, uint32_t thread, size_t k,
	 const char *domain)
{
	mg_addf(b, "<%08x.%u.%zu.%llx@%s>", (unsigned int)mg_mix(thread, k),
		thread, k, (unsigned long long)g->seed, domain);
}

static const char *
mg_domain(const char *addr)
{
	return strchr(addr, '@') + 1;
}

/* The new text of message P: a few sentences, a marker, a signature. */
static void
mg_new_text(struct mg_buf *b, const struct mg_msg_plan *p,
	    const struct mg_customer *c, const char *orig_subject)
{
	struct mg_rng r = { p->seed };
	uint32_t i, n = 1 + mg_below(&r, 5);
	const char *const *pool;
	size_t pool_n;
	const struct mg_agent *a = &agents[p->agent];

	switch (p->role) {
	case MG_AUTO_VACATION:
		mg_adds(b, c->zh ? "您好，我正在休假，将于下周一回复您的邮件。紧急事项请致电 138-0000-0000。\n" :
			"I am out of the office until Monday and will reply when I am back.\n");
		return;
	case MG_AUTO_ACK:
		mg_addf(b, "%s\n", c->zh ? "您好，我们已收到您的邮件，客服人员将尽快处理。本邮件为系统自动回复，请勿直接回复。" :
			"We have received your message and will get back to you shortly. This is an automatic reply.");
		mg_addf(b, "%s: %s\n", c->zh ? "主题" : "Subject", orig_subject);
		return;
	case MG_AGENT:
		pool = c->zh ? zh_agent : en_agent;
		pool_n = c->zh ? N(zh_agent) : N(en_agent);
		break;
	default:
		pool = c->zh ? zh_customer : en_customer;
		pool_n = c->zh ? N(zh_customer) : N(en_customer);
	}
	if (p->role == MG_AGENT)
		mg_addf(b, "%s%s\n\n", c->name, c->zh ? "，您好：" : ",");
	for (i = 0; i < n; i++) {
		mg_adds(b, pool[mg_below(&r, (uint32_t)pool_n)]);
		mg_adds(b, mg_chance(&r, 400) ? "\n\n" : (c->zh ? "" : " "));
	}
	mg_adds(b, "\n");
	if (p->marker_pre)
		mg_adds(b, c->zh ? "【初步方案】请先按上述步骤操作，师傅会跟进。\n" :
			"#preliminary Please follow the steps above, a technician will follow up.\n");
	if (p->marker_res)
		mg_adds(b, c->zh ? "【已解决】本工单已处理完毕。\n" :
			"#resolved This ticket is closed.\n");
	if (p->role == MG_AGENT)
		mg_addf(b, "\n-- \n%s\n华东净水科技 售后服务中心\n电话 400-800-1234\n", a->name);
	else if (mg_chance(&r, 250))
		mg_adds(b, c->zh ? "\n发自我的iPhone\n" : "\nSent from my iPhone\n");
}

/* The attribution and quoted history in the style of CLIENT. */
static void
mg_quote(struct mg_buf *b, enum mg_client client, const char *who_name,
	 const char *who_addr, const char *to_addr, int64_t when,
	 const char *subject, const char *text)
{
	struct tm tm;
	const char *s, *e;

	mg_local(when, &tm);
	switch (client) {
	case MG_FOXMAIL:
	case MG_QQ:
		mg_addf(b, "\n\n------------------ 原始邮件 ------------------\n"
			"发件人: \"%s\"<%s>;\n发送时间: %d年%d月%d日(星期%s) %s%d:%02d\n"
			"收件人: \"%s\";\n主题: %s\n\n%s", who_name, who_addr,
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			zh_weekdays[tm.tm_wday], tm.tm_hour < 12 ? "上午" : "下午",
			tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12, tm.tm_min,
			to_addr, subject, text);
		return;
	case MG_OUTLOOK:
		mg_addf(b, "\n\n-----原始邮件-----\n发件人: %s [mailto:%s]\n"
			"发送时间: %d年%d月%d日 %d:%02d\n收件人: %s\n主题: %s\n\n%s",
			who_name, who_addr, tm.tm_year + 1900, tm.tm_mon + 1,
			tm.tm_mday, tm.tm_hour, tm.tm_min, to_addr, subject, text);
		return;
	case MG_NETEASE:
		mg_addf(b, "\n\n在 %04d-%02d-%02d %02d:%02d:%02d，\"%s\" <%s> 写道：\n",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			tm.tm_min, tm.tm_sec, who_name, who_addr);
		break;
	default:
		mg_addf(b, "\n\nOn %s, %s %d, %d at %d:%02d %s %s <%s> wrote:\n",
			en_weekdays[tm.tm_wday], en_months[tm.tm_mon], tm.tm_mday,
			tm.tm_year + 1900, tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12,
			tm.tm_min, tm.tm_hour < 12 ? "AM" : "PM", who_name, who_addr);
	}
	for (s = text; *s != '\0'; s = *e == '\0' ? e : e + 1) {
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		mg_adds(b, *s == '>' ? ">" : "> ");
		mg_add(b, s, (size_t)(e - s));
		mg_adds(b, "\n");
	}
}

static void
mg_html_escape(struct mg_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		switch (s[i]) {
		case '<': mg_adds(b, "&lt;"); break;
		case '>': mg_adds(b, "&gt;"); break;
		case '&': mg_adds(b, "&amp;"); break;
		default: mg_add(b, s + i, 1);
		}
}

/* TEXT as the HTML a mail client writes: a div per line, '>' quotes in
   blockquotes. */
static void
mg_html(struct mg_buf *b, const char *text, const char *charset)
{
	const char *s, *e;
	bool inq = false;

	mg_addf(b, "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
		"charset=%s\"><style>body{font-size:14px;font-family:'Microsoft YaHei'}"
		"</style></head><body>\n", charset);
	for (s = text; *s != '\0'; s = *e == '\0' ? e : e + 1) {
		bool q;

		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		q = *s == '>';
		if (q != inq) {
			mg_adds(b, q ? "<blockquote style=\"margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex\">\n" :
				"</blockquote>\n");
			inq = q;
		}
		if (q) {
			s++;
			if (*s == ' ')
				s++;
		}
		if (s == e) {
			mg_adds(b, "<div><br></div>\n");
			continue;
		}
		mg_adds(b, "<div><span style=\"line-height:1.5\">");
		mg_html_escape(b, s, (size_t)(e - s));
		mg_adds(b, "</span></div>\n");
	}
	if (inq)
		mg_adds(b, "</blockquote>\n");
	mg_adds(b, "</body></html>\n");
}

/* One text part: headers and encoded body of TEXT (UTF-8) as SUBTYPE. */
static void
mg_text_part(struct mg *g, struct mg_buf *b, const char *text, size_t len,
	     const char *subtype, bool gbk, enum mg_client client)
{
	const char *charset = gbk ? (client == MG_NETEASE ? "GBK" : "gb2312") :
		(mg_ascii(text) ? "us-ascii" : "utf-8");
	const char *data = text;
	size_t n = len;

	if (gbk) {
		mg_gbk(g, &g->tmp, text, len);
		data = g->tmp.p;
		n = g->tmp.len;
	}
	mg_addf(b, "Content-Type: text/%s; charset=\"%s\"\n", subtype, charset);
	if (client == MG_GMAIL || client == MG_OUTLOOK || mg_ascii(text)) {
		mg_adds(b, "Content-Transfer-Encoding: quoted-printable\n\n");
		mg_qp(b, data, n);
	} else if (client == MG_IPHONE) {
		mg_adds(b, "Content-Transfer-Encoding: 8bit\n\n");
		mg_add(b, data, n);
	} else {
		mg_adds(b, "Content-Transfer-Encoding: base64\n\n");
		mg_base64(b, (const unsigned char *)data, n, true);
	}
}

static void
mg_body(struct mg *g, const struct mg_msg_plan *p, enum mg_client client,
	const char *text, uint32_t thread, size_t k)
{
	struct mg_buf *b = &g->mime;
	char bnd[64], bnd2[64];
	const char *cs = p->gbk ? "gb2312" : "utf-8";

	b->len = 0;
	snprintf(bnd, sizeof(bnd), "----=_NextPart_%08X_%zu", (unsigned int)mg_mix(thread, k), k);
	snprintf(bnd2, sizeof(bnd2), "----=_Alt_%08X_%zu", (unsigned int)mg_mix(k, thread), k);
	if (p->attach)
		mg_addf(b, "MIME-Version: 1.0\nContent-Type: multipart/mixed;\n\tboundary=\"%s\"\n\n"
			"This is a multi-part message in MIME format.\n\n--%s\n", bnd, bnd);
	else
		mg_adds(b, "MIME-Version: 1.0\n");
	switch (p->mime) {
	case MG_PLAIN:
		mg_text_part(g, b, text, strlen(text), "plain", p->gbk, client);
		break;
	case MG_HTML:
		g->out.len = 0;
		mg_html(&g->out, text, cs);
		mg_text_part(g, b, g->out.p, g->out.len, "html", p->gbk, client);
		break;
	case MG_ALTERNATIVE:
		mg_addf(b, "Content-Type: multipart/alternative;\n\tboundary=\"%s\"\n\n--%s\n",
			bnd2, bnd2);
		mg_text_part(g, b, text, strlen(text), "plain", p->gbk, client);
		mg_addf(b, "\n--%s\n", bnd2);
		g->out.len = 0;
		mg_html(&g->out, text, cs);
		mg_text_part(g, b, g->out.p, g->out.len, "html", p->gbk, client);
		mg_addf(b, "\n--%s--\n", bnd2);
		break;
	}
	if (p->attach) {
		struct mg_rng r = { p->seed ^ 0xa77ac4 };
		/* Log-uniform 10 KB-2 MB: mostly photos of a label, now and
		   then a scanned invoice. */
		double f = (double)mg_below(&r, 10000) / 10000.0;
		size_t size = (size_t)((double)MAILGEN_ATTACH_MIN *
				       pow((double)MAILGEN_ATTACH_MAX / MAILGEN_ATTACH_MIN, f));
		size_t lines = (size + 56) / 57, total = g->blob_len / 77;
		size_t first = mg_below(&r, (uint32_t)(total - lines));
		bool jpg = mg_chance(&r, 700);

		mg_addf(b, "\n--%s\nContent-Type: %s;\n\tname=\"%s\"\n"
			"Content-Transfer-Encoding: base64\n"
			"Content-Disposition: attachment;\n\tfilename=\"%s\"\n\n", bnd,
			jpg ? "image/jpeg" : "application/pdf", jpg ? "IMG_0421.JPG" : "invoice.pdf",
			jpg ? "IMG_0421.JPG" : "invoice.pdf");
		mg_add(b, g->blob + first * 77, lines * 77);
		mg_addf(b, "\n--%s--\n", bnd);
	}
}

static void
mg_subject(const struct mg_thread *t, const struct mg_customer *c, struct mg_buf *b)
{
	struct mg_rng r = { t->seed ^ 0x5b1ec7 };

	if (c->zh)
		mg_addf(b, "%s - 订单 %u", zh_subjects[mg_below(&r, N(zh_subjects))],
			2026000000u + mg_below(&r, 999999));
	else
		mg_addf(b, "%s - order %u", en_subjects[mg_below(&r, N(en_subjects))],
			2026000000u + mg_below(&r, 999999));
}

/* Write message K of thread T (its plan PLAN) to g->out. */
static void
mg_message(struct mg *g, const struct mg_thread *t, uint32_t ti,
	   const struct mg_msg_plan *plan, size_t k)
{
	const struct mg_msg_plan *p = &plan[k];
	struct mg_customer c;
	struct mg_rng r0 = { t->seed };
	const struct mg_agent *a = &agents[p->agent];
	const char *from_addr, *from_name, *to_addr, *re;
	enum mg_client client;
	char subj[256];
	struct mg_buf s = { 0 }, h = { 0 };
	size_t j, q;

	mg_customer(mg_below(&r0, MAILGEN_CUSTOMERS), &c);
	mg_subject(t, &c, &s);
	snprintf(subj, sizeof(subj), "%s", s.p);

	switch (p->role) {
	case MG_AGENT:
		from_addr = a->addr, from_name = a->name, to_addr = c.addr;
		client = a->client;
		break;
	case MG_AUTO_ACK:
		from_addr = MG_SERVICE, from_name = "华东净水售后服务中心", to_addr = c.addr;
		client = MG_OUTLOOK;
		break;
	default:
		from_addr = c.addr, from_name = c.name, to_addr = MG_SERVICE;
		client = c.client;
	}

	/* The text: new text, then the history as the client quotes it. */
	g->text.len = 0;
	mg_new_text(&g->text, p, &c, subj);
	if (k > 0 && (p->role == MG_CUSTOMER || p->role == MG_AGENT)) {
		/* Quote the last few real messages, newest first, each
		   quoting the older one inside it. */
		g->quote.len = 0;
		q = 0;
		for (j = k; j-- > 0 && q < MAILGEN_QUOTE_MAX;) {
			const struct mg_msg_plan *o = &plan[j];
			struct mg_buf nt = { 0 };
			bool agent = o->role == MG_AGENT || o->role == MG_AUTO_ACK;

			if (o->role == MG_AUTO_VACATION)
				continue;
			mg_new_text(&nt, o, &c, subj);
			if (g->quote.len > 0)
				mg_quote(&nt, client, agent ? agents[o->agent].name : c.name,
					 agent ? agents[o->agent].addr : c.addr,
					 agent ? c.addr : MG_SERVICE, plan[j > 0 ? j - 1 : 0].time,
					 subj, g->quote.p);
			g->quote.len = 0;
			mg_add(&g->quote, nt.p, nt.len);
			free(nt.p);
			q++;
			if (j == 0 || q == MAILGEN_QUOTE_MAX) {
				const struct mg_msg_plan *last = &plan[k - 1];
				bool la = last->role == MG_AGENT || last->role == MG_AUTO_ACK;

				mg_quote(&g->text, client, la ? agents[last->agent].name : c.name,
					 la ? agents[last->agent].addr : c.addr,
					 la ? c.addr : MG_SERVICE, last->time, subj, g->quote.p);
				break;
			}
		}
	}

	/* Headers. */
	h.len = 0;
	mg_adds(&h, "Return-Path: <");
	mg_adds(&h, from_addr);
	mg_adds(&h, ">\nReceived: from mx.");
	mg_adds(&h, mg_domain(from_addr));
	mg_adds(&h, " (mx.");
	mg_adds(&h, mg_domain(from_addr));
	mg_adds(&h, " [203.0.113.7])\n\tby mail.hdjs.example.cn (Postfix) with ESMTPS;\n\t");
	mg_rfc5322_date(&h, p->time);
	mg_adds(&h, "\nDate: ");
	mg_rfc5322_date(&h, p->time - (int64_t)(p->seed % 90));
	/* An encoded-word may not sit inside a quoted string. */
	mg_adds(&h, mg_ascii(from_name) ? "\nFrom: \"" : "\nFrom: ");
	mg_header_word(g, &h, from_name, p->gbk);
	mg_addf(&h, "%s <%s>\nTo: %s\n", mg_ascii(from_name) ? "\"" : "",
		from_addr, to_addr);
	if (p->role == MG_AGENT && k > 0)
		mg_adds(&h, "Cc: " MG_SERVICE "\n");
	mg_adds(&h, "Subject: ");
	re = "";
	if (p->role == MG_AUTO_VACATION)
		re = c.zh ? "自动回复: " : "Out of Office: ";
	else if (p->role == MG_AUTO_ACK)
		re = c.zh ? "已收到: " : "Received: ";
	else if (k > 0)
		re = client == MG_OUTLOOK ? (c.zh ? "答复: " : "RE: ") :
			client == MG_FOXMAIL || client == MG_QQ ? "回复：" : "Re: ";
	s.len = 0;
	mg_addf(&s, "%s%s", re, subj);
	mg_header_word(g, &h, s.p, p->gbk);
	mg_adds(&h, "\nMessage-ID: ");
	mg_msgid(&h, g, ti, k, mg_domain(from_addr));
	mg_adds(&h, "\n");
	if (k > 0) {
		const struct mg_msg_plan *pp = &plan[k - 1];
		const char *pd = pp->role == MG_AGENT ? mg_domain(agents[pp->agent].addr) :
			pp->role == MG_AUTO_ACK ? mg_domain(MG_SERVICE) : mg_domain(c.addr);

		mg_adds(&h, "In-Reply-To: ");
		mg_msgid(&h, g, ti, k - 1, pd);
		mg_adds(&h, "\nReferences:");
		for (j = k > 10 ? k - 10 : 0; j < k; j++) {
			const struct mg_msg_plan *o = &plan[j];
			const char *od = o->role == MG_AGENT ? mg_domain(agents[o->agent].addr) :
				o->role == MG_AUTO_ACK ? mg_domain(MG_SERVICE) : mg_domain(c.addr);

			mg_adds(&h, j == 0 && j + 1 == k ? " " : "\n\t");
			mg_msgid(&h, g, ti, j, od);
		}
		mg_adds(&h, "\n");
	}
	switch (client) {
	case MG_FOXMAIL:
		mg_adds(&h, "X-Mailer: Foxmail 7.2.25.228[cn]\n");
		break;
	case MG_QQ:
		mg_adds(&h, "X-QQ-MIME: TCMime 1.0 by Tencent\nX-Mailer: QQMail 2.x\n");
		break;
	case MG_NETEASE:
		mg_adds(&h, "X-Mailer: Coremail Webmail Server Version XT5.0.13\n");
		break;
	case MG_OUTLOOK:
		mg_adds(&h, "X-Mailer: Microsoft Outlook 16.0\nThread-Index: AdlQx2Y4mK3b\n");
		break;
	case MG_GMAIL:
		mg_adds(&h, "X-Gm-Message-State: AOJu0Yw\n");
		break;
	default:
		mg_adds(&h, "X-Mailer: iPhone Mail (20A362)\n");
	}
	if (p->role == MG_AUTO_VACATION || p->role == MG_AUTO_ACK)
		mg_adds(&h, "Auto-Submitted: auto-replied\nX-Autoreply: yes\n");
	if (k == 0 && mg_chance(&r0, 300))
		mg_addf(&h, "X-Assigned-To: %s\n", a->addr);
	if (k == 0 && mg_chance(&r0, 200))
		mg_addf(&h, "X-Ticket-Priority: %s\n",
			mg_chance(&r0, 300) ? "critical" : "high");

	mg_body(g, p, client, g->text.p, ti, k);
	g->out.len = 0;
	mg_add(&g->out, h.p, h.len);
	mg_add(&g->out, g->mime.p, g->mime.len);
	free(h.p);
	free(s.p);
}

/* ---- output ---- */

static void
mg_mkdirs(const char *dir)
{
	char path[MAILGEN_PATH_MAX];
	const char *subs[] = { "", "/cur", "/new", "/tmp" };
	size_t i;

	for (i = 0; i < N(subs); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, subs[i]);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			mg_die(path);
	}
}

static void
mg_write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		mg_die(path);
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0)
			mg_die(path);
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		mg_die(path);
}

/* mbox ("From " line, mboxrd quoting of ">*From " lines). */
static void
mg_mbox_write(FILE *fp, const char *from, int64_t t, const char *msg, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	const char *s = msg, *e, *end = msg + len;

	gmtime_r(&tt, &tm);
	fprintf(fp, "From %s %s %s %2d %02d:%02d:%02d %04d\n", from,
		en_weekdays[tm.tm_wday], en_months[tm.tm_mon], tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
	for (; s < end; s = e + 1) {
		const char *p = s;

		e = memchr(s, '\n', (size_t)(end - s));
		if (e == NULL)
			e = end;
		while (p < e && *p == '>')
			p++;
		if ((size_t)(e - p) >= 5 && memcmp(p, "From ", 5) == 0)
			fputc('>', fp);
		fwrite(s, 1, (size_t)(e - s), fp);
		fputc('\n', fp);
		if (e == end)
			break;
	}
	fputc('\n', fp);
}

static void
mg_write_conf(const char *path, const char *db)
{
	FILE *fp = fopen(path, "w");
	int team;
	size_t i;
	bool first;

	if (fp == NULL)
		mg_die(path);
	fprintf(fp, "# Written by bench/mailgen for the benchmarks.\n"
		"[store]\nbackend = sqlite\npath = %s\n\n"
		"[calendar]\ntimezone = Asia/Shanghai\nhours = 24x7\n\n"
		"[policy]\npack = S14\nfirst_response = 30m\npreliminary = 24h\n"
		"resolution = 72h\npreliminary_marker = 【初步方案】\n"
		"preliminary_marker = #preliminary\nresolved_marker = 【已解决】\n"
		"resolved_marker = #resolved\nassignment_header = X-Assigned-To\n"
		"priority_header = X-Ticket-Priority\n", db);
	for (team = 0; team < 3; team++) {
		fprintf(fp, "\n[team aftersales-%d]\nagents = ", team + 1);
		first = true;
		for (i = 0; i < MG_AGENT_COUNT; i++)
			if (agents[i].team == team) {
				fprintf(fp, "%s%s", first ? "" : ", ", agents[i].addr);
				first = false;
			}
		for (i = 0; i < MG_AGENT_COUNT; i++)
			if (agents[i].team == team)
				break;
		fprintf(fp, "\ndefault_agent = %s\n", agents[i].addr);
	}
	if (fclose(fp) != 0)
		mg_die(path);
}

static int
mg_slot_cmp(const void *a, const void *b)
{
	const struct mg_slot *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return (int)x->k - (int)y->k;
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: mailgen [-s SEED] [-n COUNT] [-m YYYY-MM] [-d MAILDIR] "
		"[-b MBOX] [-c CONF] [-D DBPATH] [-A]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct mg g;
	struct mg_thread *threads = NULL;
	struct mg_slot *slots = NULL;
	struct mg_msg_plan plan[MAILGEN_THREAD_MAX];
	const char *maildir = NULL, *mbox = NULL, *conf = NULL, *db = "slaclock.db";
	const char *month = "2026-03";
	unsigned long long count = 1000;
	uint64_t bytes = 0;
	size_t nthreads = 0, nslots = 0, cap = 0, i;
	bool attachments = true;
	FILE *mbox_fp = NULL;
	struct tm tm;
	int c, y, mo;

	memset(&g, 0, sizeof(g));
	g.seed = 1;
	while ((c = getopt(argc, argv, "s:n:m:d:b:c:D:A")) != -1) {
		switch (c) {
		case 's': g.seed = strtoull(optarg, NULL, 10); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'm': month = optarg; break;
		case 'd': maildir = optarg; break;
		case 'b': mbox = optarg; break;
		case 'c': conf = optarg; break;
		case 'D': db = optarg; break;
		case 'A': attachments = false; break;
		default: usage();
		}
	}
	if (optind != argc || count == 0 || count > MAILGEN_COUNT_MAX ||
	    sscanf(month, "%4d-%2d", &y, &mo) != 2 || mo < 1 || mo > 12)
		usage();
	snprintf(g.month, sizeof(g.month), "%04d-%02d", y, mo);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = 1;
	g.month_start = (int64_t)timegm(&tm) - MAILGEN_TZ_OFFSET;
	tm.tm_mon++;
	g.month_len = (int64_t)timegm(&tm) - MAILGEN_TZ_OFFSET - g.month_start;
	if ((g.to_gbk = iconv_open("GBK", "UTF-8")) == (iconv_t)-1)
		mg_die("iconv_open GBK");

	/* Random attachment bytes, base64'd once: 2 MB + slack of lines. */
	{
		struct mg_rng r = { mg_mix(g.seed, 0xb10b) };
		size_t n = MAILGEN_ATTACH_MAX + 64 * 1024, k;
		unsigned char *raw = malloc(n);
		struct mg_buf b = { 0 };

		if (raw == NULL)
			mg_die("malloc");
		for (k = 0; k < n; k++)
			raw[k] = (unsigned char)(mg_next(&r) >> 56);
		mg_base64(&b, raw, n / 57 * 57, true);
		g.blob = b.p;
		g.blob_len = b.len;
		free(raw);
	}

	/* The threads, then every message's slot in delivery order. */
	{
		struct mg_rng r = { g.seed };
		unsigned long long total = 0;

		while (total < count) {
			struct mg_thread *t;

			if (nthreads == cap) {
				cap = cap == 0 ? 1024 : cap * 2;
				threads = realloc(threads, cap * sizeof(*threads));
				if (threads == NULL)
					mg_die("realloc");
			}
			t = &threads[nthreads];
			t->seed = mg_next(&r);
			t->start = g.month_start + (int64_t)(mg_next(&r) % (uint64_t)g.month_len);
			t->len = mg_thread_len(&r);
			if (total + t->len > count)
				t->len = (uint8_t)(count - total);
			total += t->len;
			nthreads++;
		}
		slots = malloc(count * sizeof(*slots));
		if (slots == NULL)
			mg_die("malloc");
		for (i = 0; i < nthreads; i++) {
			size_t k, n = mg_thread_plan(&threads[i], plan);

			for (k = 0; k < n; k++) {
				slots[nslots].time = plan[k].time;
				slots[nslots].thread = (uint32_t)i;
				slots[nslots].k = (uint8_t)k;
				nslots++;
			}
		}
		qsort(slots, nslots, sizeof(*slots), mg_slot_cmp);
	}

	if (maildir != NULL)
		mg_mkdirs(maildir);
	if (mbox != NULL && (mbox_fp = fopen(mbox, "w")) == NULL)
		mg_die(mbox);
	for (i = 0; i < nslots; i++) {
		const struct mg_slot *sl = &slots[i];
		char path[MAILGEN_PATH_MAX];

		mg_thread_plan(&threads[sl->thread], plan);
		if (!attachments)
			plan[sl->k].attach = false;
		mg_message(&g, &threads[sl->thread], sl->thread, plan, sl->k);
		bytes += g.out.len;
		if (maildir != NULL) {
			snprintf(path, sizeof(path), "%s/cur/%lld.M%zuP%llu.mailgen:2,S",
				 maildir, (long long)sl->time, i, (unsigned long long)g.seed);
			mg_write_file(path, g.out.p, g.out.len);
		}
		if (mbox_fp != NULL)
			mg_mbox_write(mbox_fp, "mailgen@bench.invalid", sl->time, g.out.p, g.out.len);
	}
	if (mbox_fp != NULL && fclose(mbox_fp) != 0)
		mg_die(mbox);
	if (conf != NULL)
		mg_write_conf(conf, db);
	printf("{\"messages\": %zu, \"threads\": %zu, \"bytes\": %llu, \"month\": \"%s\"}\n",
	       nslots, nthreads, (unsigned long long)bytes, g.month);
	iconv_close(g.to_gbk);
	free(g.blob);
	free(g.text.p);
	free(g.quote.p);
	free(g.mime.p);
	free(g.out.p);
	free(g.tmp.p);
	free(threads);
	free(slots);
	return 0;
}
