#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "testutil.h"

#define ORDER_MAX 16

struct order {
	struct loop *loop;
	int seen[ORDER_MAX];
	size_t count;
	int stop_after;
};

struct tctx {
	struct order *order;
	int id;
	struct loop_timer **victim;   /* removed when this one fires */
};

static void
order_timer_cb(void *ctx)
{
	struct tctx *t = ctx;

	if (t->order->count < ORDER_MAX)
		t->order->seen[t->order->count++] = t->id;
	if (t->victim != NULL)
		loop_timer_remove(t->victim);
	if ((int)t->order->count == t->order->stop_after)
		loop_stop(t->order->loop);
}

START_TEST(test_timers_order)
{
	struct loop *loop;
	const char *error;
	struct order o = { .stop_after = 4 };
	struct tctx t[4];
	int64_t now = loop_now_ms();
	/* Added out of order; two share a deadline and keep insertion order. */
	int64_t when[4] = { now + 30, now + 10, now + 20, now + 20 };
	int i;

	ck_assert_int_eq(loop_new(&loop, &error), 0);
	o.loop = loop;
	for (i = 0; i < 4; i++) {
		t[i] = (struct tctx){ .order = &o, .id = i };
		ck_assert_ptr_nonnull(loop_timer_add(loop, when[i], order_timer_cb, &t[i]));
	}
	ck_assert_int_eq(loop_run(loop, &error), 0);
	ck_assert_int_eq((int)o.count, 4);
	ck_assert_int_eq(o.seen[0], 1);
	ck_assert_int_eq(o.seen[1], 2);
	ck_assert_int_eq(o.seen[2], 3);
	ck_assert_int_eq(o.seen[3], 0);
	loop_free(&loop);
	ck_assert_ptr_null(loop);
}
END_TEST

START_TEST(test_timer_remove_inside_callback)
{
	struct loop *loop;
	const char *error;
	struct order o = { .stop_after = 2 };
	struct tctx a, b, c;
	struct loop_timer *tb;
	int64_t now = loop_now_ms();

	ck_assert_int_eq(loop_new(&loop, &error), 0);
	o.loop = loop;
	a = (struct tctx){ .order = &o, .id = 1, .victim = &tb };
	b = (struct tctx){ .order = &o, .id = 2 };
	c = (struct tctx){ .order = &o, .id = 3 };
	/* a and b are both due in the same round; a removes b. */
	ck_assert_ptr_nonnull(loop_timer_add(loop, now, order_timer_cb, &a));
	tb = loop_timer_add(loop, now, order_timer_cb, &b);
	ck_assert_ptr_nonnull(tb);
	ck_assert_ptr_nonnull(loop_timer_add(loop, now + 20, order_timer_cb, &c));
	ck_assert_int_eq(loop_run(loop, &error), 0);
	ck_assert_ptr_null(tb);
	ck_assert_int_eq((int)o.count, 2);
	ck_assert_int_eq(o.seen[0], 1);
	ck_assert_int_eq(o.seen[1], 3);
	loop_free(&loop);
}
END_TEST

struct pipe_ctx {
	struct loop *loop;
	struct loop_io *io;
	struct loop_io *other;
	int reads;
	char got[8];
};

static void
pipe_read_cb(void *ctx, int fd, int revents)
{
	struct pipe_ctx *p = ctx;
	ssize_t n;

	ck_assert(revents & LOOP_READ);
	n = read(fd, p->got, sizeof(p->got) - 1);
	ck_assert_int_gt((int)n, 0);
	p->got[n] = '\0';
	p->reads++;
	/* Remove itself and a watcher that is also ready this round. */
	loop_io_remove(&p->io);
	loop_io_remove(&p->other);
	loop_stop(p->loop);
}

static void
never_cb(void *ctx, int fd, int revents)
{
	ck_abort_msg("a removed watcher was called");
}

static void
write_later_cb(void *ctx)
{
	int *fds = ctx;

	ck_assert_int_eq((int)write(fds[1], "ping", 4), 4);
	ck_assert_int_eq((int)write(fds[3], "pong", 4), 4);
}

START_TEST(test_io_pipe)
{
	struct loop *loop;
	const char *error;
	int fds[4];
	struct pipe_ctx p = { 0 };

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(pipe(fds + 2), 0);
	ck_assert_int_eq(loop_new(&loop, &error), 0);
	p.loop = loop;
	/* Added second, so it is first in the dispatch order. */
	p.other = loop_io_add(loop, fds[2], LOOP_READ, never_cb, NULL);
	p.io = loop_io_add(loop, fds[0], LOOP_READ, pipe_read_cb, &p);
	ck_assert_ptr_nonnull(p.io);
	ck_assert_ptr_nonnull(loop_timer_add(loop, loop_now_ms() + 10,
					     write_later_cb, fds));
	ck_assert_int_eq(loop_run(loop, &error), 0);
	ck_assert_int_eq(p.reads, 1);
	ck_assert_str_eq(p.got, "ping");
	ck_assert_ptr_null(p.io);
	ck_assert_ptr_null(p.other);
	loop_free(&loop);
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
	close(fds[3]);
}
END_TEST

static void
hup_cb(void *ctx, int fd, int revents)
{
	int *seen = ctx;

	*seen = revents;
}

static void
stop_cb(void *ctx)
{
	loop_stop(ctx);
}

START_TEST(test_io_hangup)
{
	struct loop *loop;
	const char *error;
	int fds[2], seen = 0;
	struct loop_io *io;

	ck_assert_int_eq(pipe(fds), 0);
	close(fds[1]);
	ck_assert_int_eq(loop_new(&loop, &error), 0);
	io = loop_io_add(loop, fds[0], LOOP_READ, hup_cb, &seen);
	ck_assert_ptr_nonnull(io);
	ck_assert_ptr_nonnull(loop_timer_add(loop, loop_now_ms(), stop_cb, loop));
	ck_assert_int_eq(loop_run(loop, &error), 0);
	ck_assert(seen & LOOP_READ);
	ck_assert(seen & LOOP_ERROR);
	loop_io_remove(&io);
	loop_free(&loop);
	close(fds[0]);
}
END_TEST

struct sig_ctx {
	struct loop *loop;
	int signo;
	int count;
};

static void
sig_cb(void *ctx, int signo)
{
	struct sig_ctx *s = ctx;

	s->signo = signo;
	s->count++;
	loop_stop(s->loop);
}

static void
raise_cb(void *ctx)
{
	raise(SIGUSR1);
}

START_TEST(test_signal)
{
	struct loop *loop, *other;
	const char *error;
	struct sig_ctx s = { 0 };

	ck_assert_int_eq(loop_new(&loop, &error), 0);
	s.loop = loop;
	ck_assert_int_eq(loop_signal(loop, SIGUSR1, sig_cb, &s, &error), 0);
	ck_assert_ptr_nonnull(loop_timer_add(loop, loop_now_ms() + 5, raise_cb, NULL));
	ck_assert_int_eq(loop_run(loop, &error), 0);
	ck_assert_int_eq(s.signo, SIGUSR1);
	ck_assert_int_eq(s.count, 1);

	/* A second loop cannot take signals while the first has them. */
	ck_assert_int_eq(loop_new(&other, &error), 0);
	ck_assert_int_eq(loop_signal(other, SIGUSR2, sig_cb, &s, &error), -1);
	loop_free(&other);
	ck_assert_int_eq(loop_signal(loop, 0, sig_cb, &s, &error), -1);
	loop_free(&loop);

	/* Once freed, the signal can go to a new loop. */
	ck_assert_int_eq(loop_new(&loop, &error), 0);
	ck_assert_int_eq(loop_signal(loop, SIGUSR1, sig_cb, &s, &error), 0);
	loop_free(&loop);
}
END_TEST

struct pending_ctx {
	struct loop *loop;
	bool before, after_raise;
};

static void
pending_cb(void *ctx)
{
	struct pending_ctx *c = ctx;

	/* As a libetpan read inside a callback would see it: the signal
	   came during the callback, its own callback has not run yet. */
	c->before = loop_signal_pending(c->loop);
	raise(SIGUSR1);
	c->after_raise = loop_signal_pending(c->loop);
}

START_TEST(test_signal_pending)
{
	struct loop *loop;
	const char *error;
	struct sig_ctx s = { 0 };
	struct pending_ctx c = { 0 };

	ck_assert_int_eq(loop_new(&loop, &error), 0);
	ck_assert(!loop_signal_pending(loop));      /* no signal routed yet */
	s.loop = c.loop = loop;
	ck_assert_int_eq(loop_signal(loop, SIGUSR1, sig_cb, &s, &error), 0);
	ck_assert_ptr_nonnull(loop_timer_add(loop, loop_now_ms() + 5, pending_cb, &c));
	ck_assert_int_eq(loop_run(loop, &error), 0);
	ck_assert(!c.before);
	ck_assert(c.after_raise);
	ck_assert_int_eq(s.count, 1);
	/* Its callback ran: nothing is pending any more. */
	ck_assert(!loop_signal_pending(loop));
	loop_free(&loop);
}
END_TEST

START_TEST(test_wall_to_mono)
{
	int64_t now = time(NULL);
	int64_t a = loop_wall_to_mono_ms(now);
	int64_t b = loop_wall_to_mono_ms(now + 10);

	/* Ten wall seconds later are ten monotonic seconds later. */
	ck_assert(b - a >= 9990 && b - a <= 10010);
}
END_TEST

static Suite *
loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_timers_order);
	tcase_add_test(tc, test_timer_remove_inside_callback);
	tcase_add_test(tc, test_io_pipe);
	tcase_add_test(tc, test_io_hangup);
	tcase_add_test(tc, test_signal);
	tcase_add_test(tc, test_signal_pending);
	tcase_add_test(tc, test_wall_to_mono);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(loop_suite());
}
