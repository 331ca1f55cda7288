/* bench_webhook - webhook intake on loopback: the server as the daemon runs
 * it (libmicrohttpd on the loop, the SQLite store) and a C load generator.
 *
 *   bench_webhook serve DB PORTFILE SECRETFILE
 *       an RT webhook endpoint (HMAC-signed) until SIGTERM; writes its
 *       port to PORTFILE
 *   bench_webhook load PORT SECRETFILE COUNT SECONDS CONNECTIONS
 *       CONNECTIONS keep-alive connections, one thread each, each sending
 *       signed RT Correspond payloads one after the other (a closed loop:
 *       the next request leaves when the answer came), until COUNT
 *       requests in all or SECONDS passed. Every payload is a new
 *       transaction, so every request stores an event. Prints one JSON
 *       object: requests/s and latency percentiles.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "../tests/it/hook_serve.h"
#include "log.h"
#include "store.h"

#define LOAD_CONNECTIONS_MAX 64
#define LOAD_REQUESTS_MAX 10000000u
#define LOAD_RESPONSE_MAX 65536
#define LOAD_SECRET_MAX 4096

static void
die(const char *what, const char *error)
{
	fprintf(stderr, "bench_webhook: %s: %s\n", what, error);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- server ---- */

static int
serve(const char *db, const char *portfile, const char *secretfile)
{
	struct store *store;
	const char *error;
	char err[512];

	if (store_open("sqlite", db, &store, &error) < 0)
		die(db, error);
	if (hook_serve(store, portfile, secretfile, "slaclock", err, sizeof(err)) < 0)
		die("serve", err);
	store_close(&store);
	return 0;
}

/* ---- load generator ---- */

struct load {
	uint16_t port;
	unsigned char secret[LOAD_SECRET_MAX];
	size_t secret_len;
	unsigned long count;
	double deadline;
	atomic_ulong next;           /* requests handed out */
	double *lat;                 /* seconds, by request number */
	atomic_ulong errors;
};

static int
load_connect(uint16_t port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
load_send(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one response (headers, Content-Length body); its status or -1. */
static int
load_response(int fd, char *buf)
{
	size_t len = 0;
	char *end, *cl;
	long body = 0;
	int status;

	for (;;) {
		ssize_t r = read(fd, buf + len, LOAD_RESPONSE_MAX - 1 - len);

		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (len == LOAD_RESPONSE_MAX - 1)
			return -1;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL && cl < end)
		body = strtol(cl + 17, NULL, 10);
	body -= (long)(len - (size_t)(end + 4 - buf));
	while (body > 0) {
		ssize_t r = read(fd, buf, body < LOAD_RESPONSE_MAX ? (size_t)body :
				 LOAD_RESPONSE_MAX);

		if (r <= 0)
			return -1;
		body -= r;
	}
	return status;
}

static void *
load_thread(void *arg)
{
	struct load *l = arg;
	char body[1024], req[2048], hex[65], *resp = malloc(LOAD_RESPONSE_MAX);
	unsigned char mac[32];
	int fd = load_connect(l->port);

	if (fd < 0 || resp == NULL) {
		atomic_fetch_add(&l->errors, 1);
		free(resp);
		return NULL;
	}
	for (;;) {
		unsigned long i = atomic_fetch_add(&l->next, 1);
		int n, b, k, status;
		double t0;

		if (i >= l->count || now_s() >= l->deadline)
			break;
		/* What RT's scrip sends for a customer's reply; a new
		   transaction id every time. */
		b = snprintf(body, sizeof(body),
			     "{\"event\":\"transaction\",\"ticket_id\":%lu,\"queue\":\"General\","
			     "\"subject\":\"净水器漏水 / leaking purifier\",\"txn_id\":%lu,"
			     "\"txn_type\":\"Correspond\",\"field\":null,\"old_value\":null,"
			     "\"new_value\":null,\"created\":\"2026-03-02T02:00:00Z\","
			     "\"creator\":\"user%lu@qq.com\",\"creator_email\":\"user%lu@qq.com\","
			     "\"creator_privileged\":0,\"status\":\"open\"}",
			     1000 + i / 4, 1000000 + i, i % 5000, i % 5000);
		/* Signing is the helpdesk's work, done before the clock starts. */
		if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, l->secret, l->secret_len,
				     body, (size_t)b, mac) != 0)
			break;
		for (k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", mac[k]);
		n = snprintf(req, sizeof(req),
			     "POST /webhook/rt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "Content-Type: application/json\r\n"
			     "X-Slaclock-Signature: sha256=%s\r\nContent-Length: %d\r\n\r\n%s",
			     hex, b, body);
		t0 = now_s();
		if (load_send(fd, req, (size_t)n) < 0 ||
		    (status = load_response(fd, resp)) < 0) {
			/* The server may drop an idle connection: reconnect. */
			close(fd);
			atomic_fetch_add(&l->errors, 1);
			if ((fd = load_connect(l->port)) < 0)
				break;
			continue;
		}
		l->lat[i] = now_s() - t0;
		if (status != 200)
			atomic_fetch_add(&l->errors, 1);
	}
	if (fd >= 0)
		close(fd);
	free(resp);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
load(int argc, char **argv)
{
	struct load *l = calloc(1, sizeof(*l));
	pthread_t th[LOAD_CONNECTIONS_MAX];
	unsigned long conns, i, done = 0;
	double t0, wall, *v;
	FILE *fp;

	if (l == NULL)
		die("calloc", "out of memory");
	l->port = (uint16_t)strtoul(argv[2], NULL, 10);
	if ((fp = fopen(argv[3], "r")) == NULL)
		die(argv[3], strerror(errno));
	l->secret_len = fread(l->secret, 1, sizeof(l->secret), fp);
	fclose(fp);
	while (l->secret_len > 0 && (l->secret[l->secret_len - 1] == '\n' ||
				     l->secret[l->secret_len - 1] == '\r'))
		l->secret_len--;
	l->count = strtoul(argv[4], NULL, 10);
	conns = strtoul(argv[6], NULL, 10);
	if (l->count == 0 || l->count > LOAD_REQUESTS_MAX || conns == 0 ||
	    conns > LOAD_CONNECTIONS_MAX)
		die("arguments", "COUNT or CONNECTIONS out of range");
	if ((l->lat = calloc(l->count, sizeof(double))) == NULL)
		die("calloc", "out of memory");
	for (i = 0; i < l->count; i++)
		l->lat[i] = -1;
	t0 = now_s();
	l->deadline = t0 + strtod(argv[5], NULL);
	for (i = 0; i < conns; i++)
		if (pthread_create(&th[i], NULL, load_thread, l) != 0)
			die("pthread_create", "failed");
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	wall = now_s() - t0;
	v = l->lat;
	for (i = 0; i < l->count; i++)
		if (l->lat[i] >= 0)
			v[done++] = l->lat[i];
	qsort(v, done, sizeof(double), cmp_double);
	printf("{\"requests\": %lu, \"errors\": %lu, \"connections\": %lu, "
	       "\"seconds\": %.3f, \"requests_per_s\": %.1f, \"p50_ms\": %.3f, "
	       "\"p99_ms\": %.3f, \"max_ms\": %.3f}\n", done,
	       (unsigned long)atomic_load(&l->errors), conns, wall, (double)done / wall,
	       done ? v[done / 2] * 1e3 : 0, done ? v[done * 99 / 100] * 1e3 : 0,
	       done ? v[done - 1] * 1e3 : 0);
	free(l->lat);
	free(l);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("bench_webhook", false, LOG_LEVEL_WARN);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], argv[3], argv[4]);
	if (argc == 7 && strcmp(argv[1], "load") == 0)
		return load(argc, argv);
	fprintf(stderr, "usage: bench_webhook serve DB PORTFILE SECRETFILE\n"
		"       bench_webhook load PORT SECRETFILE COUNT SECONDS CONNECTIONS\n");
	return 2;
}
