/* Request Tracker 5, REST 2.0 with token auth.
 *
 * Blocking libcurl easy calls, each bounded by the helpdesk's timeout
 * (CURLOPT_TIMEOUT): a delivery run holds the loop for at most a few
 * timeouts, which the outbox's backoff keeps rare. RT quirks handled here:
 * a comment needs "ContentType" or RT answers 400; a missing ticket answers
 * 400 "Message could not be recorded", not 404; history pages are 1-based.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "helpdesk.h"
#include "log.h"

#define RT_API "/REST/2.0"
#define RT_PER_PAGE 100

struct rt_buf {
	char *data;
	size_t len;
	bool overflow;
};

static size_t
rt_write_cb(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct rt_buf *b = ctx;
	size_t n = size * nmemb;
	char *p;

	if (b->len + n > HELPDESK_RESPONSE_MAX) {
		b->overflow = true;
		return 0;
	}
	p = realloc(b->data, b->len + n + 1);
	if (p == NULL)
		return 0;
	b->data = p;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* One request. Returns OK for 2xx (the body in *resp_r, malloc'ed or
   NULL), RETRY for transport errors, timeouts, 429 and 5xx, FAILED for the
   rest; *status_r is the HTTP status (0 without one). */
static enum helpdesk_result
rt_http(const struct helpdesk_conf *hc, const char *method, const char *path,
	const char *body, long *status_r, char **resp_r, char *err,
	size_t err_size)
{
	CURL *curl = NULL;
	struct curl_slist *headers = NULL, *h;
	struct rt_buf buf = { NULL, 0, false };
	char url[HELPDESK_URL_MAX], auth[HELPDESK_SECRET_MAX + 32];
	enum helpdesk_result res = HELPDESK_FAILED;
	CURLcode cc;
	long status = 0;

	*status_r = 0;
	*resp_r = NULL;
	if (hc->url == NULL || hc->token == NULL) {
		snprintf(err, err_size, "helpdesk %s has no url or token_file", hc->name);
		goto out;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s%s%s", hc->url, RT_API, path) >=
	    sizeof(url)) {
		snprintf(err, err_size, "URL too long");
		goto out;
	}
	curl = curl_easy_init();
	if (curl == NULL) {
		snprintf(err, err_size, "curl_easy_init failed");
		res = HELPDESK_RETRY;
		goto out;
	}
	snprintf(auth, sizeof(auth), "Authorization: token %s", hc->token);
	if ((h = curl_slist_append(headers, auth)) == NULL)
		goto nomem;
	headers = h;
	if ((h = curl_slist_append(headers, "Accept: application/json")) == NULL)
		goto nomem;
	headers = h;
	if (body != NULL) {
		if ((h = curl_slist_append(headers,
				"Content-Type: application/json; charset=utf-8")) == NULL)
			goto nomem;
		headers = h;
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)hc->timeout_secs);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)hc->timeout_secs);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, rt_write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buf);
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		snprintf(err, err_size, "%s %s: %s", method, path,
			 buf.overflow ? "response too large" : curl_easy_strerror(cc));
		res = buf.overflow ? HELPDESK_FAILED : HELPDESK_RETRY;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	*status_r = status;
	if (status >= 200 && status < 300) {
		*resp_r = buf.data;
		buf.data = NULL;
		res = HELPDESK_OK;
		goto out;
	}
	snprintf(err, err_size, "%s %s: HTTP %ld %.200s", method, path, status,
		 buf.data != NULL ? buf.data : "");
	res = status >= 500 || status == 429 || status == 408 ?
		HELPDESK_RETRY : HELPDESK_FAILED;
	goto out;
nomem:
	snprintf(err, err_size, "out of memory");
	res = HELPDESK_RETRY;
out:
	explicit_bzero(auth, sizeof(auth));
	curl_slist_free_all(headers);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	free(buf.data);
	return res;
}

static bool
rt_id_ok(const char *id)
{
	return id != NULL && *id != '\0' && strlen(id) < 20 &&
		strspn(id, "0123456789") == strlen(id);
}

/* Does TEXT contain the marker line for MARKER? */
static bool
rt_has_marker(const char *text, const char *marker)
{
	size_t plen = strlen(HELPDESK_MARKER_PREFIX), mlen = strlen(marker);
	const char *p = text;

	while ((p = strstr(p, HELPDESK_MARKER_PREFIX)) != NULL) {
		p += plen;
		if (strncmp(p, marker, mlen) == 0 &&
		    (p[mlen] == '\0' || p[mlen] == '\n' || p[mlen] == '\r'))
			return true;
	}
	return false;
}

/* Look through ticket ID's comments for MARKER: OK with *found_r, or the
   error of the request that failed. */
static enum helpdesk_result
rt_note_find(const struct helpdesk_conf *hc, const char *id, const char *marker,
	     bool *found_r, char *err, size_t err_size)
{
	char path[256], *resp = NULL;
	json_t *root = NULL, *items, *it, *att;
	enum helpdesk_result res = HELPDESK_OK;
	json_error_t jerr;
	size_t i, j, seen = 0;
	long status, page = 1, pages = 1;

	*found_r = false;
	while (page <= pages && seen < HELPDESK_HISTORY_MAX && !*found_r) {
		snprintf(path, sizeof(path),
			 "/ticket/%s/history?fields=Type&per_page=%d&page=%ld",
			 id, RT_PER_PAGE, page);
		res = rt_http(hc, "GET", path, NULL, &status, &resp, err, err_size);
		if (res != HELPDESK_OK)
			goto out;
		root = json_loads(resp != NULL ? resp : "", 0, &jerr);
		free(resp);
		resp = NULL;
		items = json_object_get(root, "items");
		if (!json_is_array(items)) {
			snprintf(err, err_size, "RT history: no items");
			res = HELPDESK_RETRY;
			goto out;
		}
		if (json_is_integer(json_object_get(root, "pages")))
			pages = (long)json_integer_value(json_object_get(root, "pages"));
		json_array_foreach(items, i, it) {
			const char *type = json_string_value(json_object_get(it, "Type"));
			const char *tid = json_string_value(json_object_get(it, "id"));
			char tbuf[32];
			json_t *troot, *titems;

			seen++;
			if (json_is_integer(json_object_get(it, "id"))) {
				snprintf(tbuf, sizeof(tbuf), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(json_object_get(it, "id")));
				tid = tbuf;
			}
			if (type == NULL || strcmp(type, "Comment") != 0 || !rt_id_ok(tid))
				continue;
			snprintf(path, sizeof(path),
				 "/transaction/%s/attachments?fields=Content", tid);
			res = rt_http(hc, "GET", path, NULL, &status, &resp, err, err_size);
			if (res != HELPDESK_OK)
				goto out;
			troot = json_loads(resp != NULL ? resp : "", 0, &jerr);
			free(resp);
			resp = NULL;
			titems = json_object_get(troot, "items");
			json_array_foreach(titems, j, att) {
				const char *content = json_string_value(
					json_object_get(att, "Content"));

				if (content != NULL && rt_has_marker(content, marker))
					*found_r = true;
			}
			json_decref(troot);
			if (*found_r)
				break;
		}
		json_decref(root);
		root = NULL;
		page++;
	}
out:
	json_decref(root);
	free(resp);
	return res;
}

static int
rt_note_request(const struct helpdesk_conf *hc, const struct helpdesk_note *note,
		struct helpdesk_request *req_r, const char **error_r)
{
	char *text = NULL;
	json_t *obj = NULL;
	int ret = -1;

	memset(req_r, 0, sizeof(*req_r));
	if (!rt_id_ok(note->ticket)) {
		*error_r = "RT ticket id is not a number";
		goto out;
	}
	text = helpdesk_note_text(note->text, note->marker);
	/* RT refuses a JSON comment without ContentType. */
	obj = text == NULL ? NULL : json_pack("{s:s, s:s}", "Content", text,
					      "ContentType", "text/plain");
	if (obj == NULL) {
		*error_r = "note too long or out of memory";
		goto out;
	}
	req_r->method = "POST";
	req_r->body = json_dumps(obj, JSON_COMPACT);
	if (asprintf(&req_r->url, "%s" RT_API "/ticket/%s/comment",
		     hc->url != NULL ? hc->url : "", note->ticket) < 0)
		req_r->url = NULL;
	if (req_r->body == NULL || req_r->url == NULL) {
		*error_r = "out of memory";
		helpdesk_request_clear(req_r);
		goto out;
	}
	ret = 0;
out:
	json_decref(obj);
	free(text);
	return ret;
}

static enum helpdesk_result
rt_note_post(const struct helpdesk_conf *hc, const struct helpdesk_note *note,
	     bool check_first, char *err, size_t err_size)
{
	struct helpdesk_request req;
	enum helpdesk_result res;
	const char *error;
	char path[64], *resp = NULL;
	bool found;
	long status;

	if (rt_note_request(hc, note, &req, &error) < 0) {
		snprintf(err, err_size, "%s", error);
		return HELPDESK_FAILED;
	}
	if (check_first) {
		res = rt_note_find(hc, note->ticket, note->marker, &found, err,
				   err_size);
		if (res != HELPDESK_OK)
			goto out;
		if (found) {
			log_info("RT ticket %s already has note %s: not posting it again",
				 note->ticket, note->marker);
			goto out;
		}
	}
	snprintf(path, sizeof(path), "/ticket/%s/comment", note->ticket);
	res = rt_http(hc, "POST", path, req.body, &status, &resp, err, err_size);
	if (res == HELPDESK_FAILED && status == 400 && err_size > 0)
		/* RT's way of saying the ticket does not exist. */
		snprintf(err + strlen(err), err_size - strlen(err),
			 " (no such ticket?)");
out:
	free(resp);
	helpdesk_request_clear(&req);
	return res;
}

static enum helpdesk_result
rt_ticket_create(const struct helpdesk_conf *hc, const struct helpdesk_new_ticket *t,
		 bool check_first, char *err, size_t err_size)
{
	char subject[1024], query[1400], path[2048], *esc = NULL, *resp = NULL;
	char *text = NULL, *body = NULL;
	json_t *obj = NULL, *root = NULL;
	json_error_t jerr;
	enum helpdesk_result res = HELPDESK_FAILED;
	CURL *curl = NULL;
	long status;

	/* The marker goes into the subject: TicketSQL can search subjects
	   on every database, contents only with full-text indexing. */
	if (strpbrk(t->marker, "'\\\r\n") != NULL || strpbrk(t->queue, "'\\\r\n") != NULL ||
	    (size_t)snprintf(subject, sizeof(subject), "%s [%s%s]", t->subject,
			     HELPDESK_MARKER_PREFIX, t->marker) >= sizeof(subject)) {
		snprintf(err, err_size, "tally subject, queue or key unusable");
		goto out;
	}
	if (check_first) {
		snprintf(query, sizeof(query), "Queue = '%s' AND Subject LIKE '%s%s'",
			 t->queue, HELPDESK_MARKER_PREFIX, t->marker);
		curl = curl_easy_init();
		esc = curl != NULL ? curl_easy_escape(curl, query, 0) : NULL;
		if (esc == NULL) {
			res = HELPDESK_RETRY;
			snprintf(err, err_size, "out of memory");
			goto out;
		}
		snprintf(path, sizeof(path), "/tickets?query=%s&fields=Subject", esc);
		res = rt_http(hc, "GET", path, NULL, &status, &resp, err, err_size);
		if (res != HELPDESK_OK)
			goto out;
		root = json_loads(resp != NULL ? resp : "", 0, &jerr);
		if (json_integer_value(json_object_get(root, "count")) > 0) {
			log_info("RT already has tally ticket %s: not creating it again",
				 t->marker);
			goto out;   /* OK: made before we crashed */
		}
	}
	text = helpdesk_note_text(t->text, t->marker);
	obj = text == NULL ? NULL : json_pack("{s:s, s:s, s:s, s:s}",
		"Queue", t->queue, "Subject", subject, "Content", text,
		"ContentType", "text/plain");
	body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	if (body == NULL) {
		snprintf(err, err_size, "tally too long or out of memory");
		res = HELPDESK_FAILED;
		goto out;
	}
	free(resp);
	resp = NULL;
	res = rt_http(hc, "POST", "/ticket", body, &status, &resp, err, err_size);
out:
	if (esc != NULL)
		curl_free(esc);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	json_decref(root);
	json_decref(obj);
	free(body);
	free(text);
	free(resp);
	return res;
}

const struct helpdesk_connector helpdesk_rt_connector = {
	.name = "rt",
	.note_request = rt_note_request,
	.note_post = rt_note_post,
	.ticket_create = rt_ticket_create,
};
