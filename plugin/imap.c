#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "conf.h"
#include "imap.h"
#include "secret.h"
#include "ingest.h"
#include "log.h"
#include "loop.h"
#include "mail.h"
#include "store.h"
#include "tls.h"

/* ---- configuration ---------------------------------------------------- */

static int
imap_strset(char **dst, const char *value, const char **error_r)
{
	char *s = strdup(value);

	if (s == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

int
imap_account_init(struct imap_account *acct, const char *name,
		  const char **error_r)
{
	memset(acct, 0, sizeof(*acct));
	acct->tls = IMAP_TLS_IMAPS;
	acct->poll_interval_secs = 60;
	acct->idle = true;
	return imap_strset(&acct->name, name, error_r);
}

void
imap_account_clear(struct imap_account *acct)
{
	size_t i;

	free(acct->name);
	free(acct->host);
	free(acct->username);
	free(acct->password_file);
	free(acct->ca_file);
	free(acct->fingerprint);
	for (i = 0; i < acct->folder_count; i++)
		free(acct->folders[i]);
	memset(acct, 0, sizeof(*acct));
}

static int
imap_parse_folders(struct imap_account *acct, const char *value,
		   const char **error_r)
{
	const char *p = value;
	size_t i;

	for (i = 0; i < acct->folder_count; i++)
		free(acct->folders[i]);
	acct->folder_count = 0;
	while (*p != '\0') {
		const char *end;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (acct->folder_count == IMAP_FOLDERS_MAX) {
			*error_r = "too many folders";
			return -1;
		}
		if (len >= IMAP_NAME_MAX) {
			*error_r = "folder name too long";
			return -1;
		}
		acct->folders[acct->folder_count] = strndup(p, len);
		if (acct->folders[acct->folder_count] == NULL) {
			*error_r = "out of memory";
			return -1;
		}
		acct->folder_count++;
		p = end;
	}
	if (acct->folder_count == 0) {
		*error_r = "folders: no folder named";
		return -1;
	}
	return 0;
}

int
imap_conf_key(struct imap_account *acct, const char *key, const char *value,
	      const char **error_r)
{
	if (strcmp(key, "host") == 0)
		return imap_strset(&acct->host, value, error_r);
	if (strcmp(key, "port") == 0) {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || *end != '\0' || v < 1 || v > 65535) {
			*error_r = "port: expected a number from 1 to 65535";
			return -1;
		}
		acct->port = (uint16_t)v;
		return 0;
	}
	if (strcmp(key, "tls") == 0) {
		if (strcmp(value, "imaps") == 0)
			acct->tls = IMAP_TLS_IMAPS;
		else if (strcmp(value, "starttls") == 0)
			acct->tls = IMAP_TLS_STARTTLS;
		else if (strcmp(value, "none") == 0)
			acct->tls = IMAP_TLS_NONE;
		else {
			*error_r = "tls: expected imaps, starttls or none";
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "username") == 0)
		return imap_strset(&acct->username, value, error_r);
	if (strcmp(key, "password_file") == 0)
		return imap_strset(&acct->password_file, value, error_r);
	if (strcmp(key, "folders") == 0)
		return imap_parse_folders(acct, value, error_r);
	if (strcmp(key, "ca_file") == 0)
		return imap_strset(&acct->ca_file, value, error_r);
	if (strcmp(key, "fingerprint") == 0) {
		unsigned char d[TLS_SHA256_LEN];

		if (tls_fingerprint_parse(value, d, error_r) < 0)
			return -1;
		return imap_strset(&acct->fingerprint, value, error_r);
	}
	if (strcmp(key, "poll_interval") == 0) {
		int64_t secs;

		if (conf_parse_duration(value, &secs) < 0 || secs < 1 ||
		    secs > 24 * 3600) {
			*error_r = "poll_interval: expected a duration from 1s to 24h";
			return -1;
		}
		acct->poll_interval_secs = secs;
		return 0;
	}
	if (strcmp(key, "idle") == 0) {
		if (conf_parse_bool(value, &acct->idle) < 0) {
			*error_r = "idle: expected yes or no";
			return -1;
		}
		return 0;
	}
	*error_r = "unknown key (expected host, port, tls, username, "
		"password_file, folders, ca_file, fingerprint, poll_interval, idle)";
	return -1;
}

static bool
imap_host_is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
		strcmp(host, "localhost") == 0;
}

int
imap_account_check(const struct imap_account *acct, const char **error_r)
{
	if (acct->host == NULL) {
		*error_r = "host is required";
		return -1;
	}
	if (acct->username == NULL) {
		*error_r = "username is required";
		return -1;
	}
	if (acct->password_file == NULL) {
		*error_r = "password_file is required";
		return -1;
	}
	if (acct->tls == IMAP_TLS_NONE && !imap_host_is_loopback(acct->host)) {
		*error_r = "tls = none is allowed only to 127.0.0.1 or ::1";
		return -1;
	}
	return 0;
}

int
imap_password_read(const char *path, char **password_r, char *error,
		   size_t error_size)
{
	size_t len;

	return secret_read(NULL, path, IMAP_PASSWORD_MAX, true, password_r, &len,
			   error, error_size);
}

/* ---- the source ------------------------------------------------------- */

#define IMAP_ERROR_MAX (TLS_ERROR_MAX + 256)

enum imap_fstate {
	IMAP_F_DOWN = 0,      /* waiting for the backoff timer */
	IMAP_F_SYNC,          /* fetching batches */
	IMAP_F_IDLE,
	IMAP_F_POLL,          /* waiting for the poll timer */
};

struct imap_uidsize {
	uint32_t uid;
	uint32_t size;
};

struct imap_folder {
	struct imap_source *src;
	char *name;
	char label[IMAP_NAME_MAX * 2 + 8];   /* "account/folder" for the log */
	char sync_key[IMAP_NAME_MAX * 2 + 8]; /* "imap:account/folder" */
	mailimap *imap;
	enum imap_fstate state;
	struct loop_timer *timer;
	struct loop_io *io;
	unsigned int attempts;
	char last_error[IMAP_ERROR_MAX];
	bool connected_logged;
	bool has_idle;
	bool caught_up;                   /* has waited for new mail at least once */
	uint32_t uidvalidity;
	uint32_t last_uid;
	struct imap_uidsize *pending;     /* UIDs still to fetch, ascending */
	size_t pending_count, pending_pos;
	bool bulk;                        /* holds the store in bulk mode */
	int64_t sync_start_ms;
	uint64_t sync_done;
	int64_t last_progress_ms;
	struct imap_pipe *pipe;           /* the fetch thread of a bulk sync */
};

struct imap_source {
	struct loop *loop;
	struct store *store;
	const struct conf *conf;
	struct imap_account acct;
	imap_batch_cb *batch_cb;
	void *batch_ctx;
	struct imap_folder folders[IMAP_FOLDERS_MAX];
	size_t folder_count;
};

bool
imap_source_caught_up(const struct imap_source *src)
{
	size_t i;

	for (i = 0; i < src->folder_count; i++)
		if (!src->folders[i].caught_up)
			return false;
	return true;
}

int64_t
imap_backoff_ms(unsigned int attempt, double r)
{
	int64_t d = IMAP_BACKOFF_MIN_MS;
	unsigned int i;

	for (i = 0; i < attempt && d < IMAP_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > IMAP_BACKOFF_MAX_MS)
		d = IMAP_BACKOFF_MAX_MS;
	/* Jitter in the upper half keeps the growth while spreading the
	   retries of many folders that failed together. */
	return d / 2 + (int64_t)((double)(d / 2) * r);
}

static void imap_folder_step(void *ctx);
static void imap_pipe_stop(struct imap_folder *f);

/* The end of a backlog (caught up, or the connection gone). */
static void
imap_folder_bulk_end(struct imap_folder *f)
{
	const char *err;

	if (!f->bulk)
		return;
	f->bulk = false;
	if (store_bulk(f->src->store, STORE_BULK_OFF, &err) < 0)
		log_warn("imap %s: store: %s", f->label, err);
}

static void
imap_folder_disconnect(struct imap_folder *f)
{
	/* the thread first: it may be using the session */
	imap_pipe_stop(f);
	imap_folder_bulk_end(f);
	loop_io_remove(&f->io);
	if (f->imap != NULL) {
		if (f->state == IMAP_F_IDLE)
			(void)mailimap_idle_done(f->imap);
		mailimap_free(f->imap);
		f->imap = NULL;
	}
	free(f->pending);
	f->pending = NULL;
	f->pending_count = f->pending_pos = 0;
}

static void
imap_folder_arm(struct imap_folder *f, int64_t delay_ms)
{
	loop_timer_remove(&f->timer);
	f->timer = loop_timer_add(f->src->loop, loop_now_ms() + delay_ms,
				  imap_folder_step, f);
	if (f->timer == NULL)
		log_error("imap %s: out of memory arming a timer", f->label);
}

/* Drop the session and connect again in DELAY_MS. */
static void
imap_folder_reconnect(struct imap_folder *f, int64_t delay_ms)
{
	imap_folder_disconnect(f);
	f->state = IMAP_F_DOWN;
	imap_folder_arm(f, delay_ms);
}

/* Drop the connection and come back after a backoff; log only when the
   error is not the one already reported. */
static void
imap_folder_fail(struct imap_folder *f, const char *error)
{
	int64_t delay;

	/* libetpan's reads and writes fail when a signal comes while they
	   wait (a SIGTERM right after a sync, a SIGHUP during a FETCH): the
	   session is cut mid-response either way and cannot go on, but the
	   server is not at fault. Reconnect at once, quietly; if the signal
	   stops the daemon, the reconnect never runs, and its "stopping"
	   is the line to read. */
	if (loop_signal_pending(f->src->loop)) {
		log_debug("imap %s: %s: cut short by a signal; reconnecting",
			  f->label, error);
		f->connected_logged = false;
		imap_folder_reconnect(f, 0);
		return;
	}
	delay = imap_backoff_ms(f->attempts, (double)random() / 2147483648.0);
	if (strcmp(error, f->last_error) != 0 || f->connected_logged) {
		log_error("imap %s: %s; retrying with backoff (next in %.1f s)",
			  f->label, error, (double)delay / 1000.0);
		snprintf(f->last_error, sizeof(f->last_error), "%s", error);
	} else
		log_debug("imap %s: %s; retry in %.1f s", f->label, error,
			  (double)delay / 1000.0);
	f->connected_logged = false;
	if (f->attempts < 32)
		f->attempts++;
	imap_folder_reconnect(f, delay);
}

static const char *
imap_errstr(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		return "connection lost or timed out";
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		return "connection refused";
	case MAILIMAP_ERROR_LOGIN:
		return "login failed (wrong username or password?)";
	case MAILIMAP_ERROR_PARSE:
		return "cannot parse the server's response";
	case MAILIMAP_ERROR_SSL:
		return "TLS handshake failed";
	case MAILIMAP_ERROR_STARTTLS:
		return "STARTTLS failed";
	case MAILIMAP_ERROR_EXAMINE:
	case MAILIMAP_ERROR_SELECT:
		return "cannot open the folder";
	case MAILIMAP_ERROR_UID_FETCH:
	case MAILIMAP_ERROR_FETCH:
		return "FETCH failed";
	case MAILIMAP_ERROR_MEMORY:
		return "out of memory";
	default:
		return "IMAP error";
	}
}

static void
imap_ssl_cb(struct mailstream_ssl_context *ssl, void *ctx)
{
	struct imap_folder *f = ctx;

	/* SNI, so a server with several names shows the right certificate. */
	if (!imap_host_is_loopback(f->src->acct.host))
		mailstream_ssl_set_server_name(ssl, f->src->acct.host);
}

static int
imap_folder_connect(struct imap_folder *f, char *error, size_t error_size)
{
	const struct imap_account *a = &f->src->acct;
	struct tls_policy policy = { a->host, a->ca_file, a->fingerprint };
	char terr[TLS_ERROR_MAX], *password = NULL;
	uint16_t port = a->port != 0 ? a->port : a->tls == IMAP_TLS_IMAPS ? 993 : 143;
	struct mailimap_capability_data *caps = NULL;
	int r, ret = -1;

	if (imap_password_read(a->password_file, &password, error, error_size) < 0)
		return -1;
	f->imap = mailimap_new(0, NULL);
	if (f->imap == NULL) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	if (a->tls == IMAP_TLS_IMAPS)
		r = mailimap_ssl_connect_with_callback(f->imap, a->host, port,
						       imap_ssl_cb, f);
	else
		r = mailimap_socket_connect(f->imap, a->host, port);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		snprintf(error, error_size, "connect to %s port %u: %s", a->host,
			 port, imap_errstr(r));
		goto out;
	}
	if (a->tls == IMAP_TLS_STARTTLS) {
		r = mailimap_socket_starttls_with_callback(f->imap, imap_ssl_cb, f);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(error, error_size, "%s: STARTTLS: %s", a->host,
				 imap_errstr(r));
			goto out;
		}
	}
	if (a->tls != IMAP_TLS_NONE &&
	    tls_verify_stream(&policy, f->imap->imap_stream, terr) < 0) {
		snprintf(error, error_size, "%s", terr);
		goto out;
	}
	r = mailimap_login(f->imap, a->username, password);
	if (r != MAILIMAP_NO_ERROR) {
		char resp[256] = "";

		if (r == MAILIMAP_ERROR_LOGIN && f->imap->imap_response != NULL)
			log_sanitize(f->imap->imap_response,
				     strlen(f->imap->imap_response), resp, sizeof(resp));
		snprintf(error, error_size, "login as %s at %s failed: %s%s%s%s",
			 a->username, a->host, imap_errstr(r),
			 resp[0] != '\0' ? ": \"" : "",
			 resp, resp[0] != '\0' ? "\"" : "");
		goto out;
	}
	r = mailimap_capability(f->imap, &caps);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(error, error_size, "CAPABILITY: %s", imap_errstr(r));
		goto out;
	}
	mailimap_capability_data_free(caps);
	f->has_idle = a->idle && mailimap_has_idle(f->imap);
	r = mailimap_examine(f->imap, f->name);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(error, error_size, "EXAMINE %s: %s", f->name, imap_errstr(r));
		goto out;
	}
	ret = 0;
out:
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return ret;
}

/* Load the folder's sync state and compare UIDVALIDITY. */
static int
imap_folder_state(struct imap_folder *f, char *error, size_t error_size)
{
	struct mailimap_selection_info *sel = f->imap->imap_selection_info;
	uint32_t uidvalidity = sel != NULL ? sel->sel_uidvalidity : 0;
	uint32_t stored_v = 0, stored_uid = 0;
	const char *err;

	if (store_sync_state_get(f->src->store, f->sync_key, &stored_v,
				 &stored_uid, &err) < 0) {
		snprintf(error, error_size, "store: %s", err);
		return -1;
	}
	if (stored_v != 0 && stored_v != uidvalidity) {
		log_warn("imap %s: UIDVALIDITY changed from %u to %u; "
			 "resyncing the folder from UID 1 (known mail adds nothing)",
			 f->label, stored_v, uidvalidity);
		stored_uid = 0;
	}
	f->uidvalidity = uidvalidity;
	f->last_uid = stored_uid;
	return 0;
}

static int
imap_uidsize_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct imap_uidsize *)a)->uid;
	uint32_t y = ((const struct imap_uidsize *)b)->uid;

	return x < y ? -1 : x > y;
}

/* Which UIDs after last_uid are there, and how big. */
static int
imap_folder_list(struct imap_folder *f, char *error, size_t error_size)
{
	struct mailimap_set *set = NULL;
	struct mailimap_fetch_type *ft = NULL;
	clist *result = NULL;
	clistiter *it;
	size_t n = 0;
	int r, ret = -1;

	free(f->pending);
	f->pending = NULL;
	f->pending_count = f->pending_pos = 0;
	set = mailimap_set_new_interval(f->last_uid + 1, 0);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (set == NULL || ft == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_rfc822_size()) != MAILIMAP_NO_ERROR) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	r = mailimap_uid_fetch(f->imap, set, ft, &result);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(error, error_size, "UID FETCH (list): %s", imap_errstr(r));
		goto out;
	}
	f->pending = calloc(clist_count(result) + 1, sizeof(*f->pending));
	if (f->pending == NULL) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		struct imap_uidsize us = { 0, 0 };
		clistiter *ai;

		for (ai = clist_begin(ma->att_list); ai != NULL; ai = clist_next(ai)) {
			struct mailimap_msg_att_item *item = clist_content(ai);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				us.uid = item->att_data.att_static->att_data.att_uid;
			else if (item->att_data.att_static->att_type ==
				 MAILIMAP_MSG_ATT_RFC822_SIZE)
				us.size = item->att_data.att_static->att_data.att_rfc822_size;
		}
		/* "n:*" also names the highest message when none is newer. */
		if (us.uid > f->last_uid && n < IMAP_UIDS_MAX)
			f->pending[n++] = us;
	}
	qsort(f->pending, n, sizeof(*f->pending), imap_uidsize_cmp);
	f->pending_count = n;
	ret = 0;
out:
	if (result != NULL)
		mailimap_fetch_list_free(result);
	if (set != NULL)
		mailimap_set_free(set);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	return ret;
}

static int64_t
imap_date_to_utc(const struct mailimap_date_time *dt)
{
	struct tm tm;
	int64_t t;
	int zone = dt->dt_zone, sign = zone < 0 ? -1 : 1;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = dt->dt_year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec;
	t = (int64_t)timegm(&tm);
	zone *= sign;
	return t - sign * ((zone / 100) * 3600 + (zone % 100) * 60);
}

/* One fetched message of a batch. BODY points into the batch's fetch
   result; MSG is parsed when PARSED (the parse thread parses ahead), and
   PARSE_ERR says why a body is not a message. */
struct imap_item {
	uint32_t uid;
	int64_t delivered;
	const char *body;
	size_t body_len;
	bool parsed;
	bool prepared;                /* prep holds ingest_prepare()'s */
	const char *parse_err;
	struct mail_msg msg;
	struct ingest_prep prep;
};

/* A run of pending UIDs fetched with one UID FETCH: stored in one
   transaction with the folder's sync state. */
struct imap_batch {
	struct imap_batch *next;      /* in the pipeline's queue */
	clist *result;                /* libetpan's, owns the bodies */
	struct imap_item *items;
	size_t item_count;
	size_t first, end;            /* pending[first..end) */
	uint32_t max_uid;
	size_t bytes;                 /* of the bodies */
};

static void
imap_batch_free(struct imap_batch **bp)
{
	struct imap_batch *b = *bp;
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->item_count; i++)
		if (b->items[i].parsed)
			mail_msg_clear(&b->items[i].msg);
	free(b->items);
	if (b->result != NULL)
		mailimap_fetch_list_free(b->result);
	free(b);
	*bp = NULL;
}

/* Pick the message's UID, INTERNALDATE and body out of a FETCH response;
   false for an unsolicited one (flags) that carries no body. */
static bool
imap_item_get(struct mailimap_msg_att *ma, struct imap_item *it)
{
	clistiter *ai;

	memset(it, 0, sizeof(*it));
	for (ai = clist_begin(ma->att_list); ai != NULL; ai = clist_next(ai)) {
		struct mailimap_msg_att_item *item = clist_content(ai);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			it->uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			it->delivered = imap_date_to_utc(st->att_data.att_internal_date);
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			it->body = st->att_data.att_body_section->sec_body_part;
			it->body_len = st->att_data.att_body_section->sec_length;
			break;
		default:
			break;
		}
	}
	return it->uid != 0 && it->body != NULL;
}

/* Parse the item and, given CONF, work out what its events need but the
   store (ingest_prepare()), so the fetch thread does that too. */
static void
imap_item_parse(struct imap_item *it, const struct mail_parse_opts *opts,
		const struct conf *conf)
{
	it->parsed = mail_parse(it->body, it->body_len, opts, &it->msg,
				&it->parse_err) == 0;
	if (!it->parsed) {
		memset(&it->msg, 0, sizeof(it->msg));
		return;
	}
	if (conf != NULL) {
		ingest_prepare(conf, it->body, it->body_len, &it->msg, &it->prep);
		it->prepared = true;
	}
}

/* Fetch the batch that starts at PENDING[FIRST] (count- and size-capped)
   with BODY.PEEK[] on IMAP. Touches nothing but IMAP and its arguments,
   so the fetch thread can run it. 0 and *batch_r, or -1 with ERROR. */
static int
imap_batch_fetch(mailimap *imap, const struct imap_uidsize *pending,
		 size_t pending_count, size_t first, size_t max_messages,
		 struct imap_batch **batch_r, char *error, size_t error_size)
{
	struct mailimap_set *set = NULL;
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_section *section;
	struct imap_batch *b;
	clistiter *it;
	size_t end = first, bytes = 0;
	int r, ret = -1;

	*batch_r = NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	/* A batch is a run of pending UIDs: count- and size-capped. */
	while (end < pending_count && end - first < max_messages &&
	       (end == first || bytes + pending[end].size <= IMAP_BATCH_BYTES)) {
		bytes += pending[end].size;
		end++;
	}
	b->first = first;
	b->end = end;
	b->max_uid = pending[end - 1].uid;
	set = mailimap_set_new_interval(pending[first].uid, b->max_uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	section = mailimap_section_new(NULL);
	if (set == NULL || ft == NULL || section == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_internaldate()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		mailimap_fetch_att_new_body_peek_section(section)) != MAILIMAP_NO_ERROR) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	r = mailimap_uid_fetch(imap, set, ft, &b->result);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(error, error_size, "UID FETCH %u:%u: %s",
			 pending[first].uid, b->max_uid, imap_errstr(r));
		goto out;
	}
	b->items = calloc(clist_count(b->result) + 1, sizeof(*b->items));
	if (b->items == NULL) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	for (it = clist_begin(b->result); it != NULL; it = clist_next(it)) {
		struct imap_item *item = &b->items[b->item_count];

		if (!imap_item_get(clist_content(it), item))
			continue;
		b->bytes += item->body_len;
		b->item_count++;
	}
	*batch_r = b;
	b = NULL;
	ret = 0;
out:
	imap_batch_free(&b);
	if (set != NULL)
		mailimap_set_free(set);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	return ret;
}

/* Store batch B (from the loop thread only) in one transaction with the
   folder's sync state. 1 when more remain, 0 when done, -1 on error. */
static int
imap_batch_store(struct imap_folder *f, struct imap_batch *b,
		 struct ingest_stats *stats, char *error, size_t error_size)
{
	struct imap_source *src = f->src;
	const char *extra[INGEST_EXTRA_COUNT], *err;
	struct mail_parse_opts opts;
	bool in_tx = false;
	size_t i;
	int ret = -1;

	/* The pipeline hands the batches over in order; anything else would
	   move the stored last UID past mail not stored. */
	if (b->first != f->pending_pos) {
		snprintf(error, error_size, "internal error: batch at %zu, expected %zu",
			 b->first, f->pending_pos);
		return -1;
	}
	/* A backlog of more than one batch is a bulk load (the initial
	   sync); one batch of new mail is not worth the memory. */
	if (!f->bulk && f->pending_count - b->first > IMAP_BATCH_MESSAGES) {
		if (store_bulk(src->store, STORE_BULK_CACHE, &err) < 0) {
			snprintf(error, error_size, "store: %s", err);
			goto out;
		}
		f->bulk = true;
	}
	ingest_parse_opts(src->conf, extra, &opts);
	if (store_begin(src->store, &err) < 0) {
		snprintf(error, error_size, "store: %s", err);
		goto out;
	}
	in_tx = true;
	for (i = 0; i < b->item_count; i++) {
		struct imap_item *it = &b->items[i];

		stats->files++;
		stats->bytes += it->body_len;
		if (!it->parsed && it->parse_err == NULL)
			imap_item_parse(it, &opts, NULL);
		if (!it->parsed) {
			log_warn("imap %s: UID %u is not a message: %s", f->label,
				 it->uid, it->parse_err);
			stats->failed++;
			continue;
		}
		if ((it->prepared ?
		     ingest_message_prepared(src->conf, src->store, "mail", &it->msg,
					     &it->prep, it->delivered, stats, &err) :
		     ingest_message(src->conf, src->store, "mail", it->body,
				    it->body_len, &it->msg, it->delivered, stats,
				    &err)) < 0) {
			snprintf(error, error_size, "store: %s", err);
			goto out;
		}
	}
	if (store_sync_state_put(src->store, f->sync_key, f->uidvalidity,
				 b->max_uid, &err) < 0 ||
	    store_commit(src->store, &err) < 0) {
		snprintf(error, error_size, "store: %s", err);
		goto out;
	}
	in_tx = false;
	log_debug("imap %s: stored UIDs %u:%u (%zu messages)", f->label,
		  f->pending[b->first].uid, b->max_uid, b->item_count);
	f->last_uid = b->max_uid;
	f->pending_pos = b->end;
	f->sync_done += b->end - b->first;
	ret = f->pending_pos < f->pending_count ? 1 : 0;
	if (ret == 0)
		imap_folder_bulk_end(f);
out:
	if (in_tx)
		(void)store_rollback(src->store, &err);
	return ret;
}

/* The simple path (one batch of new mail, or no pipeline): fetch and
   store the next batch from the loop. 1 when more remain, 0 when done,
   -1 on error. */
static int
imap_folder_batch(struct imap_folder *f, struct ingest_stats *stats,
		  char *error, size_t error_size)
{
	struct imap_batch *b = NULL;
	int ret;

	if (f->pending_pos >= f->pending_count)
		return 0;
	if (imap_batch_fetch(f->imap, f->pending, f->pending_count,
			     f->pending_pos, IMAP_BATCH_MESSAGES, &b,
			     error, error_size) < 0)
		return -1;
	ret = imap_batch_store(f, b, stats, error, error_size);
	imap_batch_free(&b);
	return ret;
}

static void imap_idle_ready(void *ctx, int fd, int revents);

/* Start waiting for new mail: IDLE when we can, a poll timer otherwise. */
static int
imap_folder_wait(struct imap_folder *f, char *error, size_t error_size)
{
	int r;

	/* waiting for new mail means everything there was is stored */
	f->caught_up = true;
	if (!f->has_idle) {
		f->state = IMAP_F_POLL;
		imap_folder_arm(f, f->src->acct.poll_interval_secs * 1000);
		return 0;
	}
	r = mailimap_idle(f->imap);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(error, error_size, "IDLE: %s", imap_errstr(r));
		return -1;
	}
	f->state = IMAP_F_IDLE;
	f->io = loop_io_add(f->src->loop, mailimap_idle_get_fd(f->imap), LOOP_READ,
			    imap_idle_ready, f);
	if (f->io == NULL) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	imap_folder_arm(f, (int64_t)IMAP_IDLE_RENEW_SECS * 1000);
	return 0;
}

static void
imap_progress(struct imap_folder *f, bool final)
{
	int64_t now = loop_now_ms();
	double secs = (double)(now - f->sync_start_ms) / 1000.0;

	if (!final && now - f->last_progress_ms < 2000)
		return;
	f->last_progress_ms = now;
	log_info("imap %s: %s %llu of %zu messages (%.0f/s)", f->label,
		 final ? "synced" : "syncing", (unsigned long long)f->sync_done,
		 f->pending_count,
		 secs > 0.001 ? (double)f->sync_done / secs : (double)f->sync_done);
}

/* ---- the bulk-sync pipeline ------------------------------------------ */

/* For the rest of a backlog, three threads each do one stage: a fetch
   thread owns the folder's session and only fetches, so the server keeps
   streaming instead of waiting while we parse; a parse thread parses
   batch N+1 (mail_parse(), ingest_prepare()) while the loop thread stores
   batch N. Fetch then parse on one thread left the server idle for the
   parse of every batch, and the two of them one after the other were the
   slowest stage. Batches move in order through two short queues under one
   lock; the loop is woken through a pipe, one byte per parsed batch and
   one at the end, and stores one batch per wake-up so signals, timers and
   webhooks keep their turn. Only the loop thread touches the store. */
#define IMAP_PIPE_DEPTH 2   /* batches waiting in each queue */

struct imap_batch_queue {
	struct imap_batch *head, *tail;
	size_t count;
};

struct imap_pipe {
	pthread_t fetch_tid, parse_tid;
	pthread_mutex_t lock;
	pthread_cond_t changed;     /* a queue or a flag changed */
	mailimap *imap;             /* the fetch thread's while it runs */
	const struct imap_uidsize *pending;
	size_t pending_count, pos;
	char *extra_copy[INGEST_EXTRA_COUNT];
	const char *extra[INGEST_EXTRA_COUNT];
	struct mail_parse_opts opts;
	/* read by the parse thread (ingest_prepare()); a reload stops the
	   pipe before it frees the configuration */
	const struct conf *conf;
	int wake[2];                /* pipe: parse thread -> loop */
	struct loop_io *io;
	/* under lock; STORED holds what the loop stored, for the fetch
	   thread to free: most of a batch is libetpan's, allocated there,
	   and glibc frees memory of another thread's arena slowly, on the
	   loop thread that is the pipeline's slowest stage */
	struct imap_batch_queue fetched, parsed, stored;
	/* batches fetched and not yet freed, and their bytes: what the
	   memory cap counts */
	size_t held, held_bytes;
	bool stop;                  /* loop -> threads: give up */
	bool fetch_done;            /* fetch -> parse: no batch follows */
	int result;                 /* the fetch thread's: 0, or -1 with error */
	char error[IMAP_ERROR_MAX];
};

static void
imap_queue_push(struct imap_batch_queue *q, struct imap_batch *b)
{
	b->next = NULL;
	if (q->tail != NULL)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->count++;
}

static struct imap_batch *
imap_queue_pop(struct imap_batch_queue *q)
{
	struct imap_batch *b = q->head;

	if (b == NULL)
		return NULL;
	q->head = b->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	b->next = NULL;
	return b;
}

static void
imap_queue_free(struct imap_batch_queue *q)
{
	struct imap_batch *b;

	while ((b = imap_queue_pop(q)) != NULL)
		imap_batch_free(&b);
}

static void
imap_pipe_wake(struct imap_pipe *p, char c)
{
	/* Never more than IMAP_PIPE_DEPTH + 2 bytes are in the pipe. */
	while (write(p->wake[1], &c, 1) < 0 && errno == EINTR)
		;
}

/* Free what the loop has stored; with the lock held, which it drops
   while freeing. Whether it freed any. */
static bool
imap_pipe_free_stored(struct imap_pipe *p)
{
	struct imap_batch_queue q = p->stored;
	struct imap_batch *b;
	size_t n = 0, bytes = 0;

	if (q.head == NULL)
		return false;
	memset(&p->stored, 0, sizeof(p->stored));
	pthread_mutex_unlock(&p->lock);
	while ((b = imap_queue_pop(&q)) != NULL) {
		n++;
		bytes += b->bytes;
		imap_batch_free(&b);
	}
	pthread_mutex_lock(&p->lock);
	p->held -= n;
	p->held_bytes -= bytes;
	return true;
}

static void *
imap_pipe_fetch_run(void *arg)
{
	struct imap_pipe *p = arg;
	char error[IMAP_ERROR_MAX] = "";
	size_t pos = p->pos;
	int result = 0;

	while (pos < p->pending_count) {
		struct imap_batch *b;
		bool stop;

		pthread_mutex_lock(&p->lock);
		imap_pipe_free_stored(p);
		stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		if (imap_batch_fetch(p->imap, p->pending, p->pending_count, pos,
				     IMAP_BULK_BATCH_MESSAGES, &b,
				     error, sizeof(error)) < 0) {
			result = -1;
			break;
		}
		pos = b->end;
		pthread_mutex_lock(&p->lock);
		/* One batch always fits, however big, or nothing would move. */
		while (!p->stop && p->held > 0 &&
		       (p->fetched.count >= IMAP_PIPE_DEPTH ||
			p->held_bytes + b->bytes > IMAP_BATCH_BYTES))
			if (!imap_pipe_free_stored(p))
				pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			imap_batch_free(&b);
			break;
		}
		imap_queue_push(&p->fetched, b);
		p->held++;
		p->held_bytes += b->bytes;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_lock(&p->lock);
	p->fetch_done = true;
	p->result = result;
	snprintf(p->error, sizeof(p->error), "%s", error);
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Parse what the fetch thread fetched, in order; at its end (or when it
   failed, once the batches it did fetch are through), tell the loop. */
static void *
imap_pipe_parse_run(void *arg)
{
	struct imap_pipe *p = arg;
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct imap_batch *b;

		while (!p->stop && p->fetched.head == NULL && !p->fetch_done)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop || (b = imap_queue_pop(&p->fetched)) == NULL)
			break;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		for (i = 0; i < b->item_count; i++)
			imap_item_parse(&b->items[i], &p->opts, p->conf);
		pthread_mutex_lock(&p->lock);
		while (!p->stop && p->parsed.count >= IMAP_PIPE_DEPTH)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop) {
			imap_batch_free(&b);
			break;
		}
		imap_queue_push(&p->parsed, b);
		pthread_mutex_unlock(&p->lock);
		imap_pipe_wake(p, 'b');
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	imap_pipe_wake(p, 'e');
	return NULL;
}

static void
imap_pipe_destroy(struct imap_pipe **pp)
{
	struct imap_pipe *p = *pp;
	size_t i;

	if (p == NULL)
		return;
	imap_queue_free(&p->fetched);
	imap_queue_free(&p->parsed);
	imap_queue_free(&p->stored);
	loop_io_remove(&p->io);
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	for (i = 0; i < INGEST_EXTRA_COUNT; i++)
		free(p->extra_copy[i]);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pp = NULL;
}

/* Stop the pipeline at once (shutdown, an error): the stream is cancelled
   so a FETCH in progress returns, and the session is not to be used
   again. */
static void
imap_pipe_stop(struct imap_folder *f)
{
	struct imap_pipe *p = f->pipe;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	/* libetpan's own cancel: its reads and writes wait on this too,
	   and fail once it is notified, whether or not one is waiting. */
	if (!p->fetch_done && p->imap->imap_stream != NULL)
		mailstream_cancel(p->imap->imap_stream);
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->fetch_tid, NULL);
	pthread_join(p->parse_tid, NULL);
	imap_pipe_destroy(&f->pipe);
}

static void imap_pipe_ready(void *ctx, int fd, int revents);

/* Hand the rest of the backlog to a fetch and a parse thread. 0, or -1
   (nothing started: the caller goes on batch by batch). */
static int
imap_pipe_start(struct imap_folder *f)
{
	const char *extra[INGEST_EXTRA_COUNT];
	struct imap_pipe *p;
	sigset_t all, old;
	size_t i;
	int r;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	p->wake[0] = p->wake[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	p->imap = f->imap;
	p->pending = f->pending;
	p->pending_count = f->pending_count;
	p->pos = f->pending_pos;
	/* The parse thread parses with copies: a reload may swap the
	   configuration under it. */
	ingest_parse_opts(f->src->conf, extra, &p->opts);
	p->conf = f->src->conf;
	for (i = 0; i < p->opts.extra_header_count && i < INGEST_EXTRA_COUNT; i++) {
		if (extra[i] != NULL && (p->extra_copy[i] = strdup(extra[i])) == NULL)
			goto fail;
		p->extra[i] = p->extra_copy[i];
	}
	p->opts.extra_headers = p->extra;
	if (pipe2(p->wake, O_CLOEXEC) < 0 ||
	    fcntl(p->wake[0], F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	p->io = loop_io_add(f->src->loop, p->wake[0], LOOP_READ, imap_pipe_ready, f);
	if (p->io == NULL)
		goto fail;
	mail_init();
	/* Signals belong to the loop thread; one taken by another thread
	   would cut a read short. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* The parse thread first: if the fetch thread cannot start, it
	   alone has to go, and the session is still the caller's. */
	r = pthread_create(&p->parse_tid, NULL, imap_pipe_parse_run, p);
	if (r == 0 && (r = pthread_create(&p->fetch_tid, NULL,
					  imap_pipe_fetch_run, p)) != 0) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->parse_tid, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		goto fail;
	f->pipe = p;
	return 0;
fail:
	imap_pipe_destroy(&p);
	return -1;
}

/* The loop side: store one parsed batch, or, at the end, take the
   session back and go on as after the last batch. */
static void
imap_pipe_ready(void *ctx, int fd, int revents)
{
	struct imap_folder *f = ctx;
	struct imap_pipe *p = f->pipe;
	struct ingest_stats stats = { 0 };
	struct imap_batch *b = NULL;
	char c, error[IMAP_ERROR_MAX];
	int r;

	(void)revents;
	if (read(fd, &c, 1) != 1)
		return;
	pthread_mutex_lock(&p->lock);
	if (c == 'b' && (b = imap_queue_pop(&p->parsed)) != NULL)
		pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	if (b != NULL) {
		r = imap_batch_store(f, b, &stats, error, sizeof(error));
		pthread_mutex_lock(&p->lock);
		if (p->fetch_done) {
			/* no fetch thread to hand it to */
			p->held--;
			p->held_bytes -= b->bytes;
			pthread_mutex_unlock(&p->lock);
			imap_batch_free(&b);
		} else {
			imap_queue_push(&p->stored, b);
			pthread_cond_broadcast(&p->changed);
			pthread_mutex_unlock(&p->lock);
		}
		if (r < 0)
			goto fail;
		if (stats.events > 0 && f->src->batch_cb != NULL)
			f->src->batch_cb(f->src->batch_ctx, stats.events);
		imap_progress(f, r == 0);
		return;
	}
	if (c != 'e')
		return;
	pthread_join(p->fetch_tid, NULL);
	pthread_join(p->parse_tid, NULL);
	r = p->result;
	snprintf(error, sizeof(error), "%s", p->error);
	imap_pipe_destroy(&f->pipe);
	if (r < 0)
		goto fail;
	if (f->pending_pos < f->pending_count) {
		snprintf(error, sizeof(error), "internal error: sync stopped at %zu of %zu",
			 f->pending_pos, f->pending_count);
		goto fail;
	}
	/* libetpan keeps a session's buffers at the size of its largest
	   response (a batch's FETCH, tens of MB, in the fetch thread's
	   arena): a new session starts small, and what the sync's threads,
	   batches and page cache freed goes back to the system, which
	   glibc does not do unasked (a 100,000-message sync left the daemon
	   at 250 MB, 36 MB after a restart). The new session lists what
	   came meanwhile and waits; "connected" is not logged again. */
	f->attempts = 0;
	imap_folder_reconnect(f, 0);
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
	return;
fail:
	imap_folder_fail(f, error);
}

/* The folder's one timer callback: connect, sync a batch, or renew. */
static void
imap_folder_step(void *ctx)
{
	struct imap_folder *f = ctx;
	struct ingest_stats stats = { 0 };
	char error[IMAP_ERROR_MAX];
	int r;

	f->timer = NULL;      /* it fired */
	switch (f->state) {
	case IMAP_F_DOWN:
		if (imap_folder_connect(f, error, sizeof(error)) < 0 ||
		    imap_folder_state(f, error, sizeof(error)) < 0)
			goto fail;
		if (!f->connected_logged) {
			log_info("imap %s: connected to %s, folder open (UIDVALIDITY %u, "
				 "last UID %u, %s)", f->label, f->src->acct.host,
				 f->uidvalidity, f->last_uid,
				 f->has_idle ? "IDLE" : "polling");
			f->connected_logged = true;
		}
		f->last_error[0] = '\0';
		goto resync;
	case IMAP_F_IDLE:
		/* Renewal, or new mail seen on the fd. */
		loop_io_remove(&f->io);
		r = mailimap_idle_done(f->imap);
		f->state = IMAP_F_SYNC;
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(error, sizeof(error), "IDLE DONE: %s", imap_errstr(r));
			goto fail;
		}
		goto resync;
	case IMAP_F_POLL:
		r = mailimap_noop(f->imap);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(error, sizeof(error), "NOOP: %s", imap_errstr(r));
			goto fail;
		}
		goto resync;
	case IMAP_F_SYNC:
		break;
	}

	r = imap_folder_batch(f, &stats, error, sizeof(error));
	if (r < 0)
		goto fail;
	if (stats.events > 0 && f->src->batch_cb != NULL)
		f->src->batch_cb(f->src->batch_ctx, stats.events);
	if (f->pending_count > IMAP_BATCH_MESSAGES)
		imap_progress(f, r == 0);
	else if (stats.files > 0)
		log_debug("imap %s: %llu messages, %llu new events", f->label,
			  (unsigned long long)stats.files,
			  (unsigned long long)stats.events);
	if (r > 0) {
		/* Next batch from the loop, so signals and other sources
		   get their turn between batches. */
		imap_folder_arm(f, 0);
		return;
	}
	f->attempts = 0;
	if (imap_folder_wait(f, error, sizeof(error)) < 0)
		goto fail;
	return;

resync:
	f->state = IMAP_F_SYNC;
	if (imap_folder_list(f, error, sizeof(error)) < 0)
		goto fail;
	f->sync_start_ms = f->last_progress_ms = loop_now_ms();
	f->sync_done = 0;
	if (f->pending_count > IMAP_BATCH_MESSAGES) {
		log_info("imap %s: %zu messages to fetch", f->label, f->pending_count);
		if (imap_pipe_start(f) == 0)
			return;
		log_warn("imap %s: cannot start the fetch thread; "
			 "fetching batch by batch", f->label);
	}
	imap_folder_arm(f, 0);
	return;
fail:
	imap_folder_fail(f, error);
}

static void
imap_idle_ready(void *ctx, int fd, int revents)
{
	struct imap_folder *f = ctx;

	/* Whatever the server said (EXISTS, EXPUNGE, BYE), leaving IDLE and
	   listing UIDs sorts it out; errors surface there. */
	loop_io_remove(&f->io);
	loop_timer_remove(&f->timer);
	imap_folder_step(f);
}

int
imap_source_new(struct loop *loop, struct store *store, const struct conf *conf,
		const struct imap_account *acct, imap_batch_cb *batch_cb,
		void *batch_ctx, struct imap_source **src_r, const char **error_r)
{
	static const char *const default_folders[] = { "INBOX", "Sent" };
	struct imap_source *src;
	size_t i, n;

	if (imap_account_check(acct, error_r) < 0)
		return -1;
	src = calloc(1, sizeof(*src));
	if (src == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	src->loop = loop;
	src->store = store;
	src->conf = conf;
	src->batch_cb = batch_cb;
	src->batch_ctx = batch_ctx;
	if (imap_account_init(&src->acct, acct->name, error_r) < 0)
		goto fail;
#define COPY(field) \
	if (acct->field != NULL && imap_strset(&src->acct.field, acct->field, error_r) < 0) \
		goto fail
	COPY(host);
	COPY(username);
	COPY(password_file);
	COPY(ca_file);
	COPY(fingerprint);
#undef COPY
	src->acct.port = acct->port;
	src->acct.tls = acct->tls;
	src->acct.poll_interval_secs = acct->poll_interval_secs;
	src->acct.idle = acct->idle;
	n = acct->folder_count != 0 ? acct->folder_count : 2;
	for (i = 0; i < n; i++) {
		const char *name = acct->folder_count != 0 ? acct->folders[i] :
			default_folders[i];
		struct imap_folder *f = &src->folders[i];

		src->acct.folders[i] = strdup(name);
		if (src->acct.folders[i] == NULL) {
			*error_r = "out of memory";
			goto fail;
		}
		src->acct.folder_count++;
		f->src = src;
		f->name = src->acct.folders[i];
		snprintf(f->label, sizeof(f->label), "%s/%s", acct->name, name);
		snprintf(f->sync_key, sizeof(f->sync_key), "imap:%s/%s", acct->name, name);
		f->state = IMAP_F_DOWN;
		src->folder_count++;
	}
	/* Every blocking read or write gives up after this long. */
	mailstream_network_delay.tv_sec = IMAP_NETWORK_TIMEOUT_SECS;
	mailstream_network_delay.tv_usec = 0;
	for (i = 0; i < src->folder_count; i++) {
		imap_folder_arm(&src->folders[i], 0);
		if (src->folders[i].timer == NULL) {
			*error_r = "out of memory";
			goto fail;
		}
	}
	*src_r = src;
	return 0;
fail:
	imap_source_free(&src);
	return -1;
}

void
imap_source_set_conf(struct imap_source *src, const struct conf *conf)
{
	src->conf = conf;
}

void
imap_source_free(struct imap_source **srcp)
{
	struct imap_source *src = *srcp;
	size_t i;

	if (src == NULL)
		return;
	for (i = 0; i < src->folder_count; i++) {
		struct imap_folder *f = &src->folders[i];

		loop_timer_remove(&f->timer);
		/* A stopped pipeline leaves the stream cancelled: no
		   LOGOUT on it. */
		if (f->pipe != NULL)
			imap_pipe_stop(f);
		else if (f->imap != NULL && f->state != IMAP_F_DOWN) {
			if (f->state == IMAP_F_IDLE) {
				loop_io_remove(&f->io);
				(void)mailimap_idle_done(f->imap);
				f->state = IMAP_F_SYNC;
			}
			(void)mailimap_logout(f->imap);
		}
		imap_folder_disconnect(f);
	}
	imap_account_clear(&src->acct);
	free(src);
	*srcp = NULL;
}
