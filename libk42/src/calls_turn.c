/*
 * Turns between a handler-mode server's queued calls and its own threads
 * (docs/libk42.md, "Calls and threads"). Calls queued for a dispatcher
 * are served one at a time: by k42_dispatch after its drain, or inline by
 * a drain that may not leave them, on the stack of the running thread
 * (as it re-enables, k42_enable_slow, or switches, k42_reschedule).
 * Clients that call without pause keep that queue from ever running dry,
 * and a dispatcher that served until it did never ran its ready threads,
 * nor went on with the thread it served them on. So while threads wait
 * (ready ones, or the one held: interrupted, or under an inline drain),
 * calls and threads take turns of at most one slice (K42_SCHED_SLICE_TB)
 * each: calls are served until their turn is over, then the threads run
 * for a turn while the calls left wait in the kernel's queue
 * (calls_waiting set), and a timer of this dispatcher ends the threads'
 * turn with an upcall, whose k42_dispatch serves the calls again. With
 * no thread waiting calls are served as they come, and the threads' turn
 * ends early once none waits. Everything here is the running
 * dispatcher's own state, touched disabled.
 */
#include <k42/sched.h>
#include "internal.h"

uint64_t k42_ipc_threads_turns;

/* Only its upcall matters: k42_resume_or_switch then serves the calls. */
static void threads_turn_over(struct k42_timer *t)
{
	(void)t;
}

/* Do threads wait for the processor: ready ones, or one the caller holds
 * (interrupted, or on whose stack an inline drain serves calls)? */
static int threads_wait(const struct k42_vp *v, int held)
{
	return held || __atomic_load_n(&v->nready, __ATOMIC_RELAXED) != 0;
}

int k42_calls_may_serve(struct k42_vp *v, int held)
{
	if (!v->threads_turn)
		return 1;
	if (threads_wait(v, held) && (int64_t)(k42_timebase() - v->turn_end) < 0)
		return 0;	/* the threads' turn */
	v->threads_turn = 0;	/* over, or nobody waits: the calls' again */
	v->turn_end = 0;
	k42_timer_cancel(&v->turn_timer);
	return 1;
}

int k42_calls_turn_over(struct k42_vp *v, int held)
{
	uint64_t now;

	if (!threads_wait(v, held)) {
		v->turn_end = 0;	/* nobody waits for the processor */
		return 0;
	}
	now = k42_timebase();
	if (!v->turn_end) {
		v->turn_end = now + K42_SCHED_SLICE_TB;	/* the calls' turn begins */
		return 0;
	}
	if ((int64_t)(now - v->turn_end) < 0)
		return 0;
	/* The ready threads' turn: the calls left wait for its end, which
	 * the timer marks with an upcall (re-armed: an earlier deadline of
	 * a turn that ended early must not stand for this one). */
	v->threads_turn = 1;
	v->turn_end = now + K42_SCHED_SLICE_TB;
	v->calls_waiting = 1;
	k42_timer_cancel(&v->turn_timer);
	v->turn_timer.deadline = v->turn_end;
	v->turn_timer.fn = threads_turn_over;
	v->turn_timer.arg = v;
	k42_timer_add(&v->turn_timer);
	__atomic_add_fetch(&k42_ipc_threads_turns, 1, __ATOMIC_RELAXED);
	return 1;
}
