/* loop - the daemon's one event loop: file descriptors, timers, signals.
 *
 * poll(2)-based. Signals are delivered through a self-pipe, so their
 * callbacks run in the loop like any other, never in signal context.
 * Times are CLOCK_MONOTONIC milliseconds (loop_now_ms()) for timers, so a
 * wall-clock jump cannot fire or starve them; callers that think in UTC
 * seconds convert with loop_wall_to_mono_ms().
 */
#ifndef SLACLOCK_LOOP_H
#define SLACLOCK_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_io;
struct loop_timer;

#define LOOP_READ  0x1
#define LOOP_WRITE 0x2
#define LOOP_ERROR 0x4   /* POLLERR/POLLHUP/POLLNVAL seen */

typedef void loop_io_cb(void *ctx, int fd, int revents);
typedef void loop_timer_cb(void *ctx);
typedef void loop_signal_cb(void *ctx, int signo);

/* 0 and *loop_r, or -1 and *error_r (static). */
int loop_new(struct loop **loop_r, const char **error_r);
void loop_free(struct loop **loop);

/* Watch FD for EVENTS (LOOP_READ|LOOP_WRITE). The watcher is owned by the
   loop until loop_io_remove(). NULL on allocation failure. */
struct loop_io *loop_io_add(struct loop *loop, int fd, int events,
			    loop_io_cb *cb, void *ctx);
void loop_io_set_events(struct loop_io *io, int events);
/* Safe to call from inside any callback, including the io's own. */
void loop_io_remove(struct loop_io **io);

/* Call CB once at monotonic time WHEN_MS (or at once if already past).
   NULL on allocation failure. */
struct loop_timer *loop_timer_add(struct loop *loop, int64_t when_ms,
				  loop_timer_cb *cb, void *ctx);
/* Safe from inside callbacks; a timer that fired is already gone and must
   not be removed again (its pointer is dead once its callback returns). */
void loop_timer_remove(struct loop_timer **timer);

/* Route SIGNO to CB through the loop. 0, or -1 with *error_r. */
int loop_signal(struct loop *loop, int signo, loop_signal_cb *cb, void *ctx,
		const char **error_r);

/* Whether a routed signal has come and its callback not yet run. A
   blocking call inside a callback that a signal cut short (libetpan's
   reads fail on EINTR) asks this to tell an interruption from an error. */
bool loop_signal_pending(struct loop *loop);

/* Run until loop_stop(). 0, or -1 with *error_r when poll() fails. */
int loop_run(struct loop *loop, const char **error_r);
void loop_stop(struct loop *loop);

int64_t loop_now_ms(void);
/* Monotonic milliseconds at which UTC second T happens (by the clocks now). */
int64_t loop_wall_to_mono_ms(int64_t t);

#endif
