/* bench_imapfetch - the raw fetch rate of an IMAP server: what the
 * fastest client could get, for comparison with slaclockd's sync.
 *
 *   bench_imapfetch HOST PORT USER PASSWORD_FILE [FOLDER]
 *
 * Plain TCP on loopback, LOGIN, SELECT, then one UID FETCH 1:*
 * (BODY.PEEK[]) whose literals are read and thrown away: no parsing, no
 * storing, no TLS. Prints one JSON object.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FETCH_BUF (1u << 20)
#define FETCH_LINE_MAX 8192
#define FETCH_PASSWORD_MAX 1024

struct conn {
	int fd;
	char buf[FETCH_BUF];
	size_t pos, len;
	unsigned long long bytes;
};

static void
die(const char *what)
{
	fprintf(stderr, "bench_imapfetch: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

static int
conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->pos == c->len)
		c->pos = c->len = 0;
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	c->bytes += (unsigned long long)n;
	return 0;
}

/* One CRLF-terminated line into LINE (cut at FETCH_LINE_MAX). */
static void
conn_line(struct conn *c, char *line)
{
	size_t n = 0;

	for (;;) {
		while (c->pos < c->len) {
			char ch = c->buf[c->pos++];

			if (ch == '\n') {
				if (n > 0 && line[n - 1] == '\r')
					n--;
				line[n] = '\0';
				return;
			}
			if (n < FETCH_LINE_MAX - 1)
				line[n++] = ch;
		}
		if (conn_fill(c) < 0)
			die("read");
	}
}

static void
conn_skip(struct conn *c, unsigned long long n)
{
	while (n > 0) {
		size_t have = c->len - c->pos;

		if (have == 0) {
			if (conn_fill(c) < 0)
				die("read literal");
			continue;
		}
		if (have > n)
			have = (size_t)n;
		c->pos += have;
		n -= have;
	}
}

static void
conn_send(struct conn *c, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(c->fd, s, len);

		if (n < 0)
			die("write");
		s += n;
		len -= (size_t)n;
	}
}

/* Read responses up to the tagged one for TAG; count FETCH responses and
   skip literals. Returns the count. */
static unsigned long
conn_until(struct conn *c, const char *tag)
{
	char line[FETCH_LINE_MAX];
	size_t tl = strlen(tag);
	unsigned long fetches = 0;

	for (;;) {
		char *brace;
		size_t n;

		conn_line(c, line);
		if (strncmp(line, tag, tl) == 0 && line[tl] == ' ') {
			if (strncmp(line + tl + 1, "OK", 2) != 0) {
				fprintf(stderr, "bench_imapfetch: %s\n", line);
				exit(1);
			}
			return fetches;
		}
		if (line[0] == '*' && strstr(line, " FETCH ") != NULL)
			fetches++;
		/* A line may end in a literal, and after it the line goes on. */
		while ((n = strlen(line)) > 0 && line[n - 1] == '}' &&
		       (brace = strrchr(line, '{')) != NULL) {
			conn_skip(c, strtoull(brace + 1, NULL, 10));
			conn_line(c, line);
		}
	}
}

int
main(int argc, char **argv)
{
	struct addrinfo hints, *ai;
	struct conn *c;
	struct timespec t0, t1;
	char cmd[FETCH_PASSWORD_MAX + 512], pw[FETCH_PASSWORD_MAX], line[FETCH_LINE_MAX];
	const char *folder = argc > 5 ? argv[5] : "INBOX";
	unsigned long n;
	unsigned long long before;
	double secs;
	FILE *fp;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: bench_imapfetch HOST PORT USER PASSWORD_FILE [FOLDER]\n");
		return 2;
	}
	if ((fp = fopen(argv[4], "r")) == NULL || fgets(pw, sizeof(pw), fp) == NULL)
		die(argv[4]);
	fclose(fp);
	pw[strcspn(pw, "\r\n")] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL)
		die("calloc");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
		die("getaddrinfo");
	c->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("connect");
	freeaddrinfo(ai);
	conn_line(c, line);
	snprintf(cmd, sizeof(cmd), "a1 LOGIN \"%s\" \"%s\"\r\n", argv[3], pw);
	conn_send(c, cmd);
	conn_until(c, "a1");
	snprintf(cmd, sizeof(cmd), "a2 SELECT \"%s\"\r\n", folder);
	conn_send(c, cmd);
	conn_until(c, "a2");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	before = c->bytes;
	conn_send(c, "a3 UID FETCH 1:* (BODY.PEEK[])\r\n");
	n = conn_until(c, "a3");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	conn_send(c, "a4 LOGOUT\r\n");
	close(c->fd);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"messages\": %lu, \"bytes\": %llu, \"seconds\": %.3f, "
	       "\"msgs_per_s\": %.1f, \"mb_per_s\": %.2f}\n", n, c->bytes - before,
	       secs, (double)n / secs, (double)(c->bytes - before) / 1e6 / secs);
	explicit_bzero(pw, sizeof(pw));
	free(c);
	return 0;
}
