#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

/* Watchers are removed lazily: a callback may remove any watcher (its own
   included) while the loop walks the lists, so removal only marks it dead
   and the loop frees it between dispatch rounds. */
struct loop_io {
	struct loop *loop;
	struct loop_io *next;
	int fd;
	int events;
	bool dead;
	loop_io_cb *cb;
	void *ctx;
};

struct loop_timer {
	struct loop *loop;
	struct loop_timer *next;
	int64_t when_ms;
	uint64_t seq;             /* keeps equal deadlines in FIFO order */
	bool dead;
	loop_timer_cb *cb;
	void *ctx;
};

struct loop_sig {
	loop_signal_cb *cb;
	void *ctx;
	struct sigaction old;
	bool set;
};

#define LOOP_NSIG 65

struct loop {
	struct loop_io *ios;
	struct loop_timer *timers;    /* sorted by (when_ms, seq) */
	uint64_t timer_seq;
	struct pollfd *pfds;
	struct loop_io **pfd_io;
	size_t pfd_alloc;
	int sig_pipe[2];
	struct loop_io *sig_io;
	struct loop_sig sigs[LOOP_NSIG];
	bool stop;
};

/* The signal handler can only reach a global: one loop owns signals. */
static volatile sig_atomic_t loop_sig_wfd = -1;

int64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
loop_wall_to_mono_ms(int64_t t)
{
	struct timespec ts;
	int64_t wall_ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return loop_now_ms() + (t * 1000 - wall_ms);
}

int
loop_new(struct loop **loop_r, const char **error_r)
{
	struct loop *loop;

	loop = calloc(1, sizeof(*loop));
	if (loop == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	loop->sig_pipe[0] = loop->sig_pipe[1] = -1;
	*loop_r = loop;
	return 0;
}

static void
loop_sweep(struct loop *loop)
{
	struct loop_io **iop = &loop->ios;
	struct loop_timer **tp = &loop->timers;

	while (*iop != NULL) {
		struct loop_io *io = *iop;

		if (io->dead) {
			*iop = io->next;
			free(io);
		} else
			iop = &io->next;
	}
	while (*tp != NULL) {
		struct loop_timer *t = *tp;

		if (t->dead) {
			*tp = t->next;
			free(t);
		} else
			tp = &t->next;
	}
}

void
loop_free(struct loop **loopp)
{
	struct loop *loop = *loopp;
	struct loop_io *io;
	struct loop_timer *t;
	int i;

	if (loop == NULL)
		return;
	for (i = 1; i < LOOP_NSIG; i++)
		if (loop->sigs[i].set)
			sigaction(i, &loop->sigs[i].old, NULL);
	if (loop->sig_pipe[1] != -1) {
		loop_sig_wfd = -1;
		close(loop->sig_pipe[0]);
		close(loop->sig_pipe[1]);
	}
	for (io = loop->ios; io != NULL; io = io->next)
		io->dead = true;
	for (t = loop->timers; t != NULL; t = t->next)
		t->dead = true;
	loop_sweep(loop);
	free(loop->pfds);
	free(loop->pfd_io);
	free(loop);
	*loopp = NULL;
}

struct loop_io *
loop_io_add(struct loop *loop, int fd, int events, loop_io_cb *cb, void *ctx)
{
	struct loop_io *io;

	io = calloc(1, sizeof(*io));
	if (io == NULL)
		return NULL;
	io->loop = loop;
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->ctx = ctx;
	io->next = loop->ios;
	loop->ios = io;
	return io;
}

void
loop_io_set_events(struct loop_io *io, int events)
{
	io->events = events;
}

void
loop_io_remove(struct loop_io **iop)
{
	if (*iop == NULL)
		return;
	(*iop)->dead = true;
	*iop = NULL;
}

struct loop_timer *
loop_timer_add(struct loop *loop, int64_t when_ms, loop_timer_cb *cb, void *ctx)
{
	struct loop_timer *t, **tp;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->loop = loop;
	t->when_ms = when_ms;
	t->seq = loop->timer_seq++;
	t->cb = cb;
	t->ctx = ctx;
	for (tp = &loop->timers; *tp != NULL && (*tp)->when_ms <= when_ms;
	     tp = &(*tp)->next)
		;
	t->next = *tp;
	*tp = t;
	return t;
}

void
loop_timer_remove(struct loop_timer **tp)
{
	if (*tp == NULL)
		return;
	(*tp)->dead = true;
	*tp = NULL;
}

static void
loop_sig_handler(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;

	if (loop_sig_wfd != -1) {
		/* A full pipe already holds a wakeup; losing this byte
		   only merges two deliveries of a signal into one. */
		ssize_t r = write(loop_sig_wfd, &b, 1);

		(void)r;
	}
	errno = saved;
}

static void
loop_sig_read(void *ctx, int fd, int revents)
{
	struct loop *loop = ctx;
	unsigned char buf[64];
	ssize_t n, i;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			struct loop_sig *s;

			if (buf[i] == 0 || buf[i] >= LOOP_NSIG)
				continue;
			s = &loop->sigs[buf[i]];
			if (s->cb != NULL)
				s->cb(s->ctx, buf[i]);
		}
	}
}

bool
loop_signal_pending(struct loop *loop)
{
	struct pollfd pfd;

	if (loop->sig_pipe[0] == -1)
		return false;
	pfd.fd = loop->sig_pipe[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) != 0;
}

static int
loop_set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int
loop_signal(struct loop *loop, int signo, loop_signal_cb *cb, void *ctx,
	    const char **error_r)
{
	struct sigaction sa;

	if (signo <= 0 || signo >= LOOP_NSIG) {
		*error_r = "signal number out of range";
		return -1;
	}
	if (loop->sig_pipe[1] == -1) {
		if (loop_sig_wfd != -1) {
			*error_r = "another loop already handles signals";
			return -1;
		}
		if (pipe(loop->sig_pipe) < 0) {
			*error_r = "pipe() failed for the signal pipe";
			return -1;
		}
		if (loop_set_flags(loop->sig_pipe[0]) < 0 ||
		    loop_set_flags(loop->sig_pipe[1]) < 0) {
			*error_r = "fcntl() failed on the signal pipe";
			goto fail;
		}
		loop->sig_io = loop_io_add(loop, loop->sig_pipe[0], LOOP_READ,
					   loop_sig_read, loop);
		if (loop->sig_io == NULL) {
			*error_r = "out of memory";
			goto fail;
		}
		loop_sig_wfd = loop->sig_pipe[1];
	}
	loop->sigs[signo].cb = cb;
	loop->sigs[signo].ctx = ctx;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop_sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(signo, &sa, loop->sigs[signo].set ? NULL :
		      &loop->sigs[signo].old) < 0) {
		*error_r = "sigaction() failed";
		return -1;
	}
	loop->sigs[signo].set = true;
	return 0;
fail:
	close(loop->sig_pipe[0]);
	close(loop->sig_pipe[1]);
	loop->sig_pipe[0] = loop->sig_pipe[1] = -1;
	return -1;
}

static void
loop_run_timers(struct loop *loop)
{
	int64_t now = loop_now_ms();
	/* Timers added by a callback wait for the next round, so a callback
	   that re-arms itself "at once" cannot starve the fds. */
	uint64_t seq_end = loop->timer_seq;
	struct loop_timer *t;

	for (;;) {
		for (t = loop->timers; t != NULL; t = t->next)
			if (!t->dead && t->seq < seq_end)
				break;
		if (t == NULL || t->when_ms > now || loop->stop)
			break;
		t->dead = true;
		t->cb(t->ctx);
	}
}

static int
loop_poll_timeout(struct loop *loop)
{
	struct loop_timer *t;
	int64_t d;

	for (t = loop->timers; t != NULL && t->dead; t = t->next)
		;
	if (t == NULL)
		return -1;
	d = t->when_ms - loop_now_ms();
	if (d < 0)
		return 0;
	return d > 60 * 60 * 1000 ? 60 * 60 * 1000 : (int)d;
}

static int
loop_build_pfds(struct loop *loop, size_t *count_r)
{
	struct loop_io *io;
	size_t n = 0;

	for (io = loop->ios; io != NULL; io = io->next)
		n++;
	if (n > loop->pfd_alloc) {
		struct pollfd *p = realloc(loop->pfds, n * sizeof(*p));
		struct loop_io **q;

		if (p == NULL)
			return -1;
		loop->pfds = p;
		q = realloc(loop->pfd_io, n * sizeof(*q));
		if (q == NULL)
			return -1;
		loop->pfd_io = q;
		loop->pfd_alloc = n;
	}
	n = 0;
	for (io = loop->ios; io != NULL; io = io->next) {
		loop->pfds[n].fd = io->fd;
		loop->pfds[n].events = ((io->events & LOOP_READ) ? POLLIN : 0) |
			((io->events & LOOP_WRITE) ? POLLOUT : 0);
		loop->pfds[n].revents = 0;
		loop->pfd_io[n] = io;
		n++;
	}
	*count_r = n;
	return 0;
}

int
loop_run(struct loop *loop, const char **error_r)
{
	size_t n, i;
	int ret;

	loop->stop = false;
	while (!loop->stop) {
		loop_sweep(loop);
		if (loop_build_pfds(loop, &n) < 0) {
			*error_r = "out of memory";
			return -1;
		}
		ret = poll(loop->pfds, (nfds_t)n, loop_poll_timeout(loop));
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			*error_r = "poll() failed";
			return -1;
		}
		for (i = 0; i < n && ret > 0 && !loop->stop; i++) {
			struct loop_io *io = loop->pfd_io[i];
			short re = loop->pfds[i].revents;
			int ev = 0;

			if (re == 0 || io->dead)
				continue;
			if (re & POLLIN)
				ev |= LOOP_READ;
			if (re & POLLOUT)
				ev |= LOOP_WRITE;
			if (re & (POLLERR | POLLHUP | POLLNVAL))
				ev |= LOOP_ERROR;
			/* A hangup is also readable: the reader sees EOF. */
			if ((re & POLLHUP) && (io->events & LOOP_READ))
				ev |= LOOP_READ;
			io->cb(io->ctx, io->fd, ev);
		}
		if (!loop->stop)
			loop_run_timers(loop);
	}
	loop_sweep(loop);
	return 0;
}

void
loop_stop(struct loop *loop)
{
	loop->stop = true;
}
