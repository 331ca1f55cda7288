#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <pthread.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"
#include "store.h"
#include "thread.h"

/* Messages per SQLite transaction. A commit writes every page the
   transaction touched to the WAL, and inserts with random keys (Message-
   IDs, tickets) touch most pages of the indexes they go to: the more
   commits, the more times the same index pages are written (and then
   checkpointed). 100,000 generated messages took 14.5 s with 500, 8.8 s
   with 5,000, 7.3 s with 25,000; 1,000,000 took 115 s with 20,000 and
   56 s with 100,000 (with STORE_BULK_LOAD's larger page cache holding
   the batch). A crash redoes at most one batch, a few seconds, and
   ingest is idempotent. */
#define INGEST_BATCH 100000
/* Parse threads (the machine this runs on has two cores; the calling
   thread writes SQLite), messages parsed ahead of the writer, and files
   the kernel is asked to read ahead of the parsers. */
#define INGEST_WORKERS 2
#define INGEST_RING 256
#define INGEST_PREFETCH 64
#define INGEST_FILES_MAX (16u * 1024 * 1024)
#define INGEST_DIRS_MAX 256
/* The header slaclock puts on its own mail, so it is never ingested
   (plugin/mailmsg.c writes it). */
#define INGEST_OWN_HEADER "X-Slaclock-Id"

enum { EXTRA_ASSIGN = 0, EXTRA_PRIORITY, EXTRA_OWN, EXTRA_COUNT };
_Static_assert(EXTRA_COUNT == INGEST_EXTRA_COUNT, "ingest.h names every extra header");

void
ingest_parse_opts(const struct conf *conf, const char *extra[INGEST_EXTRA_COUNT],
		  struct mail_parse_opts *opts)
{
	extra[EXTRA_ASSIGN] = conf->policy.assignment_header;
	extra[EXTRA_PRIORITY] = conf->policy.priority_header;
	extra[EXTRA_OWN] = INGEST_OWN_HEADER;
	opts->extra_headers = extra;
	opts->extra_header_count = EXTRA_COUNT;
}

int64_t
ingest_maildir_time(const char *filename)
{
	int64_t t = 0;
	const char *p = filename;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (t > (INT64_MAX - 9) / 10)
			return -1;
		t = t * 10 + (*p - '0');
	}
	return *p == '.' || *p == '\0' ? t : -1;
}

static void
ingest_sha256_id(const char *raw, size_t len, char out[8 + 64 + 1])
{
	unsigned char digest[32];
	size_t i;

	memcpy(out, "sha256:", 7);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, raw, len, digest) != 0)
		memset(digest, 0, sizeof(digest));
	for (i = 0; i < sizeof(digest); i++)
		snprintf(out + 7 + i * 2, 3, "%02x", digest[i]);
}

/* The addr-spec in "Name <addr>" or a bare address, lower-cased. */
static void
ingest_address(const char *value, char *buf, size_t size)
{
	const char *lt = strchr(value, '<'), *start = value, *end;
	size_t i, n;

	if (lt != NULL && (end = strchr(lt, '>')) != NULL)
		start = lt + 1;
	else
		end = value + strlen(value);
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	n = (size_t)(end - start);
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)start[i]);
	buf[n] = '\0';
}

static bool
ingest_has_marker(char *const *markers, size_t count, const char *text)
{
	size_t i;

	if (text == NULL)
		return false;
	for (i = 0; i < count; i++)
		if (markers[i][0] != '\0' && strcasestr(text, markers[i]) != NULL)
			return true;
	return false;
}

/* How long a sender's subject keeps pointing at its ticket for mail that
   names no earlier message (webmail that drops In-Reply-To, a customer
   writing again "Re: ..." from a new message). A week covers a 72-hour
   resolution with room; an older subject starts a new ticket. */
#define INGEST_SUBJECT_WINDOW (7 * 86400)

/* The subject key of MSG: the customer's address (the sender, or for an
   agent's mail the first recipient) and the normalised subject; false when
   either is missing. */
static bool
ingest_subject_key(const struct mail_msg *msg, bool agent, char *buf, size_t size)
{
	const char *who = agent ? (msg->to_count > 0 ? msg->to_addrs[0] : NULL) :
		msg->from_addr;
	char *subject;
	bool ok = false;
	int n;

	if (who == NULL || msg->subject == NULL)
		return false;
	if ((subject = thread_normalize_subject(msg->subject)) == NULL)
		return false;
	if (subject[0] != '\0') {
		n = snprintf(buf, size, "%s\x1f%s", who, subject);
		ok = n > 0 && (size_t)n < size;
	}
	free(subject);
	return ok;
}

/* The ticket of a known message this one refers to, newest reference
   first; else the subject's helpdesk tag; else the ticket the same
   customer's same subject had within INGEST_SUBJECT_WINDOW; else a new
   ticket. The subject key is then pointed at the ticket found. */
static int
ingest_ticket(struct store *store, const struct mail_msg *msg,
	      const struct ingest_prep *prep, int64_t delivered, char **ticket_r,
	      const char **error_r)
{
	size_t i;

	*ticket_r = NULL;
	if (msg->in_reply_to != NULL &&
	    store_message_ticket_get(store, msg->in_reply_to, ticket_r, error_r) < 0)
		return -1;
	for (i = msg->reference_count; *ticket_r == NULL && i > 0; i--)
		if (store_message_ticket_get(store, msg->references[i - 1], ticket_r,
					     error_r) < 0)
			return -1;
	if (*ticket_r == NULL && prep->have_tag) {
		if (asprintf(ticket_r, "#%s", prep->tag) < 0)
			*ticket_r = NULL;
	} else if (*ticket_r == NULL && prep->have_key &&
		   store_subject_ticket_get(store, prep->subject_key,
					    delivered - INGEST_SUBJECT_WINDOW,
					    ticket_r, error_r) < 0) {
		return -1;
	}
	if (*ticket_r == NULL)
		*ticket_r = strdup(prep->own_id);
	if (*ticket_r == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	if (prep->have_key && store_subject_ticket_put(store, prep->subject_key, *ticket_r,
						       delivered, error_r) < 0) {
		free(*ticket_r);
		*ticket_r = NULL;
		return -1;
	}
	return 0;
}

static int
ingest_put(struct store *store, struct event *ev, const char *base, const char *suffix,
	   enum event_kind kind, struct ingest_stats *stats, const char **error_r)
{
	char id[EVENT_ID_MAX + 32];
	bool inserted = false;

	snprintf(id, sizeof(id), "%s%s", base, suffix);
	ev->external_id = id;
	ev->kind = kind;
	if (store_event_insert(store, ev, &inserted, error_r) < 0)
		return -1;
	if (inserted)
		stats->events++;
	else
		stats->duplicates++;
	return 0;
}

void
ingest_prepare(const struct conf *conf, const char *raw, size_t raw_len,
	       const struct mail_msg *msg, struct ingest_prep *prep)
{
	const struct conf_policy *pol = &conf->policy;
	const char *text;

	memset(prep, 0, sizeof(*prep));
	if (msg->extra_values != NULL && msg->extra_values[EXTRA_OWN] != NULL) {
		prep->own = true;
		return;
	}
	if (msg->message_id != NULL && strlen(msg->message_id) < sizeof(prep->own_id) - 1)
		snprintf(prep->own_id, sizeof(prep->own_id), "%s", msg->message_id);
	else
		ingest_sha256_id(raw, raw_len, prep->own_id);
	prep->agent = msg->from_addr != NULL && conf_agent_team(conf, msg->from_addr) != NULL;
	prep->have_key = ingest_subject_key(msg, prep->agent, prep->subject_key,
					    sizeof(prep->subject_key));
	prep->have_tag = msg->subject != NULL &&
		thread_subject_tag(msg->subject, prep->tag, sizeof(prep->tag)) == 1;
	if (prep->agent) {
		text = msg->reply_text != NULL ? msg->reply_text : msg->body;
		prep->preliminary = ingest_has_marker(pol->preliminary_markers,
						      pol->preliminary_marker_count, text);
		prep->resolved = ingest_has_marker(pol->resolved_markers,
						   pol->resolved_marker_count, text);
	}
}

int
ingest_message(const struct conf *conf, struct store *store,
	       const char *source, const char *raw, size_t raw_len,
	       const struct mail_msg *msg, int64_t delivered,
	       struct ingest_stats *stats, const char **error_r)
{
	struct ingest_prep prep;

	ingest_prepare(conf, raw, raw_len, msg, &prep);
	return ingest_message_prepared(conf, store, source, msg, &prep, delivered, stats,
				       error_r);
}

int
ingest_message_prepared(const struct conf *conf, struct store *store,
			const char *source, const struct mail_msg *msg,
			const struct ingest_prep *prep, int64_t delivered,
			struct ingest_stats *stats, const char **error_r)
{
	const struct conf_policy *pol = &conf->policy;
	const char *own_id = prep->own_id;
	char actor[EVENT_ACTOR_MAX], attrs[128];
	char *ticket = NULL;
	struct event ev;
	bool agent = prep->agent;
	int ret = -1;

	if (prep->own)
		return 0;	/* our own alert or digest */
	if (ingest_ticket(store, msg, prep, delivered, &ticket, error_r) < 0)
		goto out;
	if (msg->message_id != NULL &&
	    store_message_ticket_put(store, msg->message_id, ticket, error_r) < 0)
		goto out;

	snprintf(actor, sizeof(actor), "%s",
		 agent ? msg->from_addr : "customer");
	memset(&ev, 0, sizeof(ev));
	ev.source = source;
	ev.ticket = ticket;
	ev.time = delivered;
	ev.actor = actor;

	if (msg->auto_kind != MAIL_AUTO_NONE) {
		ret = ingest_put(store, &ev, own_id, "",
				 msg->auto_kind == MAIL_AUTO_BOUNCE ? EVENT_BOUNCE : EVENT_AUTO_REPLY,
				 stats, error_r);
		goto out;
	}
	if (ingest_put(store, &ev, own_id, "",
		       agent ? EVENT_AGENT_REPLY : EVENT_CUSTOMER_MESSAGE,
		       stats, error_r) < 0)
		goto out;

	if (prep->preliminary &&
	    ingest_put(store, &ev, own_id, "#preliminary", EVENT_PRELIMINARY,
		       stats, error_r) < 0)
		goto out;
	if (prep->resolved &&
	    ingest_put(store, &ev, own_id, "#resolved", EVENT_RESOLVED,
		       stats, error_r) < 0)
		goto out;

	if (msg->extra_values != NULL && msg->extra_values[EXTRA_ASSIGN] != NULL) {
		char owner[EVENT_ACTOR_MAX];

		ingest_address(msg->extra_values[EXTRA_ASSIGN], owner, sizeof(owner));
		if (conf_agent_team(conf, owner) != NULL) {
			json_t *o = json_pack("{s:s}", "owner", owner);
			char *owner_json = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

			json_decref(o);
			if (owner_json == NULL) {
				*error_r = "out of memory";
				goto out;
			}
			/* event.h: attrs name the owner; actor too, for readers
			   that look there */
			ev.actor = owner;
			ev.attrs = owner_json;
			ret = ingest_put(store, &ev, own_id, "#assign", EVENT_ASSIGN, stats,
					 error_r);
			free(owner_json);
			ev.actor = actor;
			ev.attrs = NULL;
			if (ret < 0)
				goto out;
			ret = -1;
		} else {
			log_warn("message %.200s: %s names no configured agent; ignored",
				 own_id, pol->assignment_header);
		}
	}
	if (msg->extra_values != NULL && msg->extra_values[EXTRA_PRIORITY] != NULL) {
		enum severity sev;
		char name[32];

		ingest_address(msg->extra_values[EXTRA_PRIORITY], name, sizeof(name));
		if (severity_from_name(name, &sev) == 0) {
			snprintf(attrs, sizeof(attrs), "{\"priority\":\"%s\"}",
				 severity_name(sev));
			ev.attrs = attrs;
			if (ingest_put(store, &ev, own_id, "#priority", EVENT_PRIORITY,
				       stats, error_r) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	free(ticket);
	return ret;
}

struct ingest_file {
	char *path;
	const char *name;	/* within path */
	int64_t time;
	int dir;		/* index into ingest_list.dirfds, or -1 */
	int fd;			/* opened ahead by the prefetcher, or -1 */
};

static int
ingest_file_cmp(const void *a, const void *b)
{
	const struct ingest_file *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Files are opened relative to their directory: a path walk per open
   from / was 4% of an ingest. Past INGEST_DIRS_MAX folders, by path. */
struct ingest_list {
	struct ingest_file *files;
	size_t count, cap;
	int dirfds[INGEST_DIRS_MAX];
	size_t dir_count;
};

static int
ingest_scan(struct ingest_list *list, const char *dir, const char **error_r)
{
	DIR *d;
	struct dirent *de;
	int ret = 0, dir_index = -1;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;	/* a Maildir may lack new/ or cur/ */
		*error_r = strerror(errno);
		return -1;
	}
	if (list->dir_count < INGEST_DIRS_MAX &&
	    (list->dirfds[list->dir_count] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		dir_index = (int)list->dir_count++;
	while ((de = readdir(d)) != NULL) {
		struct ingest_file *f;
		struct stat st;
		int64_t time;
		char *path;

		if (de->d_name[0] == '.')
			continue;
		time = ingest_maildir_time(de->d_name);
		/* the directory entry says what it is, except on file systems
		   that leave it unknown; a link is followed, as open() would */
		if (de->d_type != DT_REG || time < 0) {
			if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (time < 0)
				time = (int64_t)st.st_mtime;
		}
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			goto nomem;
		if (list->count >= INGEST_FILES_MAX) {
			free(path);
			*error_r = "too many files in the Maildir";
			ret = -1;
			break;
		}
		if (list->count == list->cap) {
			size_t ncap = list->cap == 0 ? 256 : list->cap * 2;
			struct ingest_file *nf = realloc(list->files, ncap * sizeof(*nf));

			if (nf == NULL) {
				free(path);
				goto nomem;
			}
			list->files = nf;
			list->cap = ncap;
		}
		f = &list->files[list->count++];
		f->path = path;
		f->name = path + strlen(dir) + 1;
		f->time = time;
		f->dir = dir_index;
		f->fd = -1;
	}
	closedir(d);
	return ret;
nomem:
	closedir(d);
	*error_r = "out of memory";
	return -1;
}

/* cur/ and new/ of the Maildir and of every Maildir++ subfolder (".Sent"). */
static int
ingest_scan_maildir(struct ingest_list *list, const char *dir, const char **error_r)
{
	static const char *const subs[] = { "cur", "new" };
	DIR *d;
	struct dirent *de;
	char *path;
	size_t i;
	int ret = 0;

	struct stat st;
	int found = 0;

	for (i = 0; i < 2; i++) {
		if (asprintf(&path, "%s/%s", dir, subs[i]) < 0)
			return -1;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			found++;
		ret = ingest_scan(list, path, error_r);
		free(path);
		if (ret < 0)
			return -1;
	}
	/* Reading some other directory as an empty mailbox would hide a
	   wrong path behind a report with nothing in it. */
	if (found == 0) {
		*error_r = "not a Maildir (it has neither cur/ nor new/)";
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		*error_r = strerror(errno);
		return -1;
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		for (i = 0; ret == 0 && i < 2; i++) {
			if (asprintf(&path, "%s/%s/%s", dir, de->d_name, subs[i]) < 0) {
				ret = -1;
				break;
			}
			ret = ingest_scan(list, path, error_r);
			free(path);
		}
	}
	closedir(d);
	return ret;
}

/* The file open on FD, which is closed. */
static char *
ingest_read_fd(int fd, size_t *len_r, const char **error_r)
{
	struct stat st;
	char *buf = NULL;
	size_t want, got = 0;
	ssize_t n;

	if (fstat(fd, &st) < 0) {
		*error_r = strerror(errno);
		goto out;
	}
	/* One byte over the cap is enough for the parser to see it is over. */
	want = (size_t)st.st_size > MAIL_SIZE_MAX ? MAIL_SIZE_MAX + 1 : (size_t)st.st_size;
	if ((buf = malloc(want + 1)) == NULL) {
		*error_r = "out of memory";
		goto out;
	}
	while (got < want) {
		n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = "read error";
			free(buf);
			buf = NULL;
			goto out;
		}
		if (n == 0)
			break;	/* the file shrank since fstat() */
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len_r = got;
out:
	close(fd);
	return buf;
}

char *
ingest_read_file(const char *path, size_t *len_r, const char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*error_r = strerror(errno);
		return NULL;
	}
	return ingest_read_fd(fd, len_r, error_r);
}

/* A whole file, for an mbox: no size cap but the address space, since one
   mbox holds many messages (each is capped when it is parsed). */
static char *
ingest_read_whole(const char *path, size_t *len_r, const char **error_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL, *n;
	size_t len = 0, cap = 0, got;

	if (fp == NULL) {
		*error_r = strerror(errno);
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap == 0 ? 1 << 20 : cap * 2;
			if ((n = realloc(buf, cap + 1)) == NULL) {
				*error_r = "out of memory";
				goto fail;
			}
			buf = n;
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		*error_r = "read error";
		goto fail;
	}
	fclose(fp);
	buf[len] = '\0';
	*len_r = len;
	return buf;
fail:
	fclose(fp);
	free(buf);
	return NULL;
}

/* Reads item I of a list: malloc'ed bytes and their length, or NULL.
   Called from the parse threads, for different I at once. */
typedef char *ingest_reader(void *ctx, size_t i, size_t *len_r, const char **error_r);
/* Tells the kernel item I will be read soon; may be NULL. */
typedef void ingest_prefetcher(void *ctx, size_t i);

/* One message between a parse thread and the store writer. */
struct ingest_slot {
	char *raw;
	size_t len;
	struct mail_msg msg;
	const char *read_err;    /* set: could not be read */
	const char *parse_err;   /* set: not a message */
	struct ingest_prep prep;
	bool ready;              /* filled, not yet taken by the writer */
	bool used;               /* taken: the worker frees it when it refills */
};

/* The parse pipeline: INGEST_WORKERS threads read and parse messages into
   a ring of INGEST_RING slots; the calling thread, the only one that
   touches the store, takes them out in list order, so events are stored
   in delivery order exactly as without the threads.
   Worker K parses items K, K + INGEST_WORKERS, ..., so a slot is always
   refilled by the thread that filled it, and that thread frees what the
   writer left there: glibc's malloc pays dearly for memory freed by
   another thread than the one that allocated it (-25% on a 200k ingest
   when this was done by the writer). Each side wakes the other only when
   it is waiting: a futex call per message was 6% of an ingest. */
struct ingest_pipe {
	pthread_mutex_t lock;
	pthread_cond_t ready;    /* a slot was filled */
	pthread_cond_t space;    /* the writer took slots, or stop */
	struct ingest_slot ring[INGEST_RING];
	size_t count;
	size_t taken;            /* items the writer has taken out */
	size_t workers_waiting;
	bool writer_waiting;
	bool stop;
	const struct conf *conf;
	const struct mail_parse_opts *opts;
	ingest_reader *read_item;
	ingest_prefetcher *prefetch;
	void *ctx;
};

struct ingest_worker_arg {
	struct ingest_pipe *pipe;
	size_t first;
};

_Static_assert(INGEST_RING % INGEST_WORKERS == 0,
	       "a slot is always refilled by the same worker");

static void
ingest_slot_clear(struct ingest_slot *s)
{
	mail_msg_clear(&s->msg);
	free(s->raw);
	memset(s, 0, sizeof(*s));
}

static void *
ingest_worker(void *arg)
{
	const struct ingest_worker_arg *wa = arg;
	struct ingest_pipe *p = wa->pipe;
	struct ingest_slot s, *slot;
	size_t i;

	for (i = wa->first; i < p->count; i += INGEST_WORKERS) {
		pthread_mutex_lock(&p->lock);
		while (!p->stop && i >= p->taken + INGEST_RING) {
			p->workers_waiting++;
			pthread_cond_wait(&p->space, &p->lock);
			p->workers_waiting--;
		}
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		pthread_mutex_unlock(&p->lock);

		/* the writer is done with the slot's old message: nobody else
		   touches a slot that is used and not ready */
		slot = &p->ring[i % INGEST_RING];
		if (slot->used)
			ingest_slot_clear(slot);
		/* The disk works on the next files while this one is parsed. */
		if (p->prefetch != NULL && i + INGEST_PREFETCH < p->count)
			p->prefetch(p->ctx, i + INGEST_PREFETCH);
		memset(&s, 0, sizeof(s));
		s.raw = p->read_item(p->ctx, i, &s.len, &s.read_err);
		if (s.raw != NULL && mail_parse(s.raw, s.len, p->opts, &s.msg, &s.parse_err) < 0)
			memset(&s.msg, 0, sizeof(s.msg));
		else if (s.raw != NULL)
			ingest_prepare(p->conf, s.raw, s.len, &s.msg, &s.prep);
		s.ready = true;

		pthread_mutex_lock(&p->lock);
		*slot = s;
		if (p->writer_waiting)
			pthread_cond_signal(&p->ready);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* Parse and store COUNT messages, in the order given, in batched
   transactions. A message that cannot be read or parsed is counted and
   logged (by NAME(i)), never fatal; only a store error stops the run. */
static int
ingest_run(const struct conf *conf, struct store *store, size_t count,
	   const int64_t *times, const char *const *names, ingest_reader *read_item,
	   ingest_prefetcher *prefetch, void *ctx, struct ingest_stats *stats,
	   const char **error_r)
{
	const char *extra[INGEST_EXTRA_COUNT];
	struct mail_parse_opts opts;
	struct ingest_pipe *p;
	pthread_t tid[INGEST_WORKERS];
	struct ingest_worker_arg args[INGEST_WORKERS];
	size_t i, k, nthreads = 0, in_batch = 0;
	bool in_tx = false, bulk = false;
	int ret = -1;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	ingest_parse_opts(conf, extra, &opts);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->ready, NULL);
	pthread_cond_init(&p->space, NULL);
	p->count = count;
	p->conf = conf;
	p->opts = &opts;
	p->read_item = read_item;
	p->prefetch = prefetch;
	p->ctx = ctx;
	mail_init();
	if (store_bulk(store, STORE_BULK_LOAD, error_r) < 0)
		goto out;
	bulk = true;
	if (prefetch != NULL) {
		for (i = 0; i < count && i < INGEST_PREFETCH; i++)
			prefetch(ctx, i);
	}
	/* every worker, or none: each one owns every INGEST_WORKERS-th item */
	for (k = 0; k < INGEST_WORKERS; k++) {
		args[k].pipe = p;
		args[k].first = k;
		if (pthread_create(&tid[k], NULL, ingest_worker, &args[k]) != 0)
			break;
		nthreads++;
	}
	if (nthreads < INGEST_WORKERS) {
		*error_r = "cannot start a parse thread";
		goto out;
	}
	for (i = 0; i < count; i++) {
		struct ingest_slot *s = &p->ring[i % INGEST_RING];

		pthread_mutex_lock(&p->lock);
		if (i > 0) {
			/* the last message is stored: its worker may refill
			   (and free) the slot */
			p->ring[(i - 1) % INGEST_RING].ready = false;
			p->ring[(i - 1) % INGEST_RING].used = true;
		}
		p->taken = i;
		/* a worker may wait for the room this writer made since the
		   last wake-up: wake them in steps, and before waiting itself */
		if (p->workers_waiting > 0 && (!s->ready || i % (INGEST_RING / 8) == 0))
			pthread_cond_broadcast(&p->space);
		while (!s->ready) {
			p->writer_waiting = true;
			pthread_cond_wait(&p->ready, &p->lock);
			p->writer_waiting = false;
		}
		pthread_mutex_unlock(&p->lock);

		if (!in_tx) {
			if (store_begin(store, error_r) < 0)
				goto out;
			in_tx = true;
		}
		stats->files++;
		if (s->raw == NULL) {
			log_warn("%s: cannot read: %s", names[i], s->read_err);
			stats->failed++;
			continue;
		}
		stats->bytes += s->len;
		if (s->parse_err != NULL) {
			log_warn("%s: not a message: %s", names[i], s->parse_err);
			stats->failed++;
		} else if (ingest_message_prepared(conf, store, "mail", &s->msg, &s->prep,
						   times[i], stats, error_r) < 0) {
			goto out;
		}
		if (++in_batch == INGEST_BATCH) {
			if (store_commit(store, error_r) < 0)
				goto out;
			in_tx = false;
			in_batch = 0;
		}
	}
	if (in_tx) {
		if (store_commit(store, error_r) < 0)
			goto out;
		in_tx = false;
	}
	ret = 0;
out:
	if (in_tx) {
		const char *ignored;

		(void)store_rollback(store, &ignored);
	}
	if (bulk) {
		const char *bulk_err;

		if (store_bulk(store, STORE_BULK_OFF, &bulk_err) < 0 && ret == 0) {
			*error_r = bulk_err;
			ret = -1;
		}
	}
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->space);
	pthread_mutex_unlock(&p->lock);
	for (k = 0; k < nthreads; k++)
		pthread_join(tid[k], NULL);
	/* What the writer stored last and what the workers parsed past it
	   (all of it after a store error). */
	for (k = 0; k < INGEST_RING; k++) {
		if (p->ring[k].ready || p->ring[k].used)
			ingest_slot_clear(&p->ring[k]);
	}
	pthread_cond_destroy(&p->space);
	pthread_cond_destroy(&p->ready);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return ret;
}

static int
ingest_maildir_open(const struct ingest_list *list, const struct ingest_file *f)
{
	if (f->dir >= 0)
		return openat(list->dirfds[f->dir], f->name, O_RDONLY | O_CLOEXEC);
	return open(f->path, O_RDONLY | O_CLOEXEC);
}

static char *
ingest_maildir_read(void *ctx, size_t i, size_t *len_r, const char **error_r)
{
	struct ingest_list *list = ctx;
	struct ingest_file *f = &list->files[i];
	int fd = f->fd;

	f->fd = -1;
	if (fd < 0 && (fd = ingest_maildir_open(list, f)) < 0) {
		*error_r = strerror(errno);
		return NULL;
	}
	return ingest_read_fd(fd, len_r, error_r);
}

/* Item I is read by the same worker that prefetches it (ingest_pipe), so
   the descriptor it keeps open here needs no lock. */
_Static_assert(INGEST_PREFETCH % INGEST_WORKERS == 0,
	       "a file is prefetched by the worker that reads it");

static void
ingest_maildir_prefetch(void *ctx, size_t i)
{
	struct ingest_list *list = ctx;
	struct ingest_file *f = &list->files[i];
	int fd = ingest_maildir_open(list, f);

	if (fd < 0)
		return;	/* the read will say why */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	f->fd = fd;
}

/* The parallel arrays ingest_run() takes, from a sorted list. */
static int
ingest_columns(size_t count, int64_t **times_r, const char ***names_r)
{
	*times_r = calloc(count + 1, sizeof(**times_r));
	*names_r = calloc(count + 1, sizeof(**names_r));
	if (*times_r == NULL || *names_r == NULL) {
		free(*times_r);
		free(*names_r);
		return -1;
	}
	return 0;
}

int
ingest_maildir(const struct conf *conf, struct store *store,
	       const char *dir, struct ingest_stats *stats,
	       const char **error_r)
{
	struct ingest_list list = { 0 };
	const char **names = NULL;
	int64_t *times = NULL;
	size_t i;
	int ret = -1;

	if (ingest_scan_maildir(&list, dir, error_r) < 0)
		goto out;
	if (list.count > 1)	/* an empty Maildir has no array: qsort(NULL) is undefined */
		qsort(list.files, list.count, sizeof(*list.files), ingest_file_cmp);
	if (ingest_columns(list.count, &times, &names) < 0) {
		*error_r = "out of memory";
		goto out;
	}
	for (i = 0; i < list.count; i++) {
		times[i] = list.files[i].time;
		names[i] = list.files[i].path;
	}
	ret = ingest_run(conf, store, list.count, times, names, ingest_maildir_read,
			 ingest_maildir_prefetch, &list,
			 stats, error_r);
out:
	for (i = 0; i < list.count; i++) {
		if (list.files[i].fd >= 0)
			close(list.files[i].fd);	/* prefetched past a store error */
		free(list.files[i].path);
	}
	free(list.files);
	for (i = 0; i < list.dir_count; i++)
		close(list.dirfds[i]);
	free(times);
	free(names);
	return ret;
}

/* ---- mbox ------------------------------------------------------------ */

struct ingest_mbox_msg {
	size_t off, len;       /* the message after its "From " line */
	int64_t time;          /* from the "From " line */
	size_t seq;
	char name[64];
};

struct ingest_mbox {
	const char *buf;
	size_t len;
	struct ingest_mbox_msg *msgs;
	size_t count;
};

/* The time in "From sender Tue Dec  1 17:03:00 2026" (asctime, taken as
   UTC as mail servers write it), or -1. */
static int64_t
ingest_mbox_time(const char *line, size_t len)
{
	char copy[256], *p;
	struct tm tm;
	size_t n = len < sizeof(copy) - 1 ? len : sizeof(copy) - 1;

	memcpy(copy, line, n);
	copy[n] = '\0';
	/* skip "From " and the envelope sender */
	if ((p = strchr(copy + 5, ' ')) == NULL)
		return -1;
	while (*p == ' ')
		p++;
	memset(&tm, 0, sizeof(tm));
	if (strptime(p, "%a %b %e %H:%M:%S %Y", &tm) == NULL)
		return -1;
	return (int64_t)timegm(&tm);
}

static int
ingest_mbox_cmp(const void *a, const void *b)
{
	const struct ingest_mbox_msg *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The message with mboxrd quoting undone: ">From " -> "From ", and one
   '>' less before any ">>From ". */
static char *
ingest_mbox_read(void *ctx, size_t i, size_t *len_r, const char **error_r)
{
	const struct ingest_mbox *mb = ctx;
	const struct ingest_mbox_msg *m = &mb->msgs[i];
	const char *p = mb->buf + m->off, *end = p + m->len;
	char *out, *o;

	if (m->len > MAIL_SIZE_MAX + 1) {
		/* enough for the parser to see it is over its cap */
		end = p + MAIL_SIZE_MAX + 1;
	}
	if ((out = malloc((size_t)(end - p) + 1)) == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	for (o = out; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		size_t q = 0;

		while (q < l && p[q] == '>')
			q++;
		if (q > 0 && l - q >= 5 && memcmp(p + q, "From ", 5) == 0) {
			p++;
			l--;
		}
		memcpy(o, p, l);
		o += l;
		p += l;
	}
	*o = '\0';
	*len_r = (size_t)(o - out);
	return out;
}

int
ingest_mbox(const struct conf *conf, struct store *store, const char *path,
	    struct ingest_stats *stats, const char **error_r)
{
	struct ingest_mbox mb = { 0 };
	const char **names = NULL;
	int64_t *times = NULL, last = 0;
	size_t cap = 0, pos = 0, i;
	char *buf = NULL;
	int ret = -1;

	/* the whole file: an mbox is read once, front to back */
	if ((buf = ingest_read_whole(path, &mb.len, error_r)) == NULL)
		return -1;
	mb.buf = buf;
	if (mb.len < 5 || memcmp(buf, "From ", 5) != 0) {
		*error_r = "not an mbox (it does not start with a \"From \" line)";
		goto out;
	}
	while (pos < mb.len) {
		const char *nl = memchr(buf + pos, '\n', mb.len - pos);
		size_t line_end = nl != NULL ? (size_t)(nl - buf) + 1 : mb.len;

		/* a "From " line at the start or after an empty line opens a message */
		if (mb.len - pos >= 5 && memcmp(buf + pos, "From ", 5) == 0 &&
		    (pos == 0 || (pos >= 2 && buf[pos - 1] == '\n' &&
				  (buf[pos - 2] == '\n' ||
				   (pos >= 3 && buf[pos - 2] == '\r' && buf[pos - 3] == '\n'))))) {
			struct ingest_mbox_msg *m;

			if (mb.count > 0)
				mb.msgs[mb.count - 1].len = pos - mb.msgs[mb.count - 1].off;
			if (mb.count == cap) {
				size_t ncap = cap == 0 ? 256 : cap * 2;
				struct ingest_mbox_msg *n;

				if (ncap > INGEST_FILES_MAX) {
					*error_r = "too many messages in the mbox";
					goto out;
				}
				if ((n = realloc(mb.msgs, ncap * sizeof(*n))) == NULL) {
					*error_r = "out of memory";
					goto out;
				}
				mb.msgs = n;
				cap = ncap;
			}
			m = &mb.msgs[mb.count];
			m->off = line_end;
			m->len = 0;
			m->seq = mb.count;
			m->time = ingest_mbox_time(buf + pos, line_end - pos);
			if (m->time < 0)
				m->time = last;	/* keep the file's order */
			last = m->time;
			snprintf(m->name, sizeof(m->name), "message %zu", mb.count + 1);
			mb.count++;
		}
		pos = line_end;
	}
	if (mb.count > 0)
		mb.msgs[mb.count - 1].len = mb.len - mb.msgs[mb.count - 1].off;
	if (mb.count > 1)
		qsort(mb.msgs, mb.count, sizeof(*mb.msgs), ingest_mbox_cmp);
	if (ingest_columns(mb.count, &times, &names) < 0) {
		*error_r = "out of memory";
		goto out;
	}
	for (i = 0; i < mb.count; i++) {
		times[i] = mb.msgs[i].time;
		names[i] = mb.msgs[i].name;
	}
	ret = ingest_run(conf, store, mb.count, times, names, ingest_mbox_read, NULL, &mb, stats,
			 error_r);
out:
	free(mb.msgs);
	free(times);
	free(names);
	free(buf);
	return ret;
}
