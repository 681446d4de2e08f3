/*
 * Timers on the dispatcher's one kernel timer: each dispatcher (vp.c) has
 * its own heap (k42_timers) and kernel timer, used only there. The kernel
 * timer is set (timer_set) only when the earliest deadline moves earlier
 * than what is armed, and again after it fires; cancelling only edits the
 * heap (a stale kernel expiry is harmless: nothing is due, and the next
 * deadline is armed), except that cancelling the last one disarms the
 * kernel timer, so an idle dispatcher is not woken for nothing.
 */
#include <k42/ktrace.h>
#include "internal.h"

uint64_t k42_timer_kernel_calls;
#define armed (k42_vp_self()->timer_armed)	/* deadline the kernel holds, 0 if none */

static void arm(uint64_t deadline)
{
	uint64_t prev[1];

	armed = deadline;
	__atomic_add_fetch(&k42_timer_kernel_calls, 1, __ATOMIC_RELAXED);
	k42_sc_timer_set(deadline, prev);
}

int k42_timer_add(struct k42_timer *t)
{
	int s = k42_disable_save(), rc;

	rc = k42_theap_push(&k42_timers, t);
	if (rc == 0 && k42_theap_min(&k42_timers) == t &&
	    (!armed || (int64_t)(t->deadline - armed) < 0))
		arm(t->deadline ? t->deadline : 1);
	k42_restore(s);
	return rc;
}

int k42_timer_cancel(struct k42_timer *t)
{
	int s = k42_disable_save(), was = t->slot != 0;

	k42_theap_remove(&k42_timers, t);
	/* The last one gone: disarm, or the stale expiry would wake this
	 * dispatcher from idle for nothing (an upcall, and for a server
	 * its next call on the full path). With timers left, a stale
	 * expiry stays harmless: it arms the next one. */
	if (was && armed && !k42_theap_min(&k42_timers))
		arm(0);
	k42_restore(s);
	return was;
}

/* A forked child (a copy of this memory) has a new dispatcher whose
 * kernel timer is not set: forget what the parent had armed. */
void k42_timers_forked(void)
{
	struct k42_timer *t = k42_theap_min(&k42_timers);

	armed = 0;
	if (t)
		arm(t->deadline);
}

uint64_t k42_timer_next(void)
{
	struct k42_timer *t = k42_theap_min(&k42_timers);

	return t ? t->deadline : UINT64_MAX;
}

void k42_timers_run(uint64_t now, int kernel_fired)
{
	struct k42_timer *t;

	if (kernel_fired || (armed && (int64_t)(now - armed) >= 0))
		armed = 0;	/* the kernel timer has gone off (or will at once) */
	while ((t = k42_theap_min(&k42_timers)) != NULL && (int64_t)(now - t->deadline) >= 0) {
		k42_theap_pop(&k42_timers);
		trace_utimer_fire((uint64_t)t, t->deadline);
		t->fn(t);
	}
	t = k42_theap_min(&k42_timers);
	if (t && (!armed || (int64_t)(t->deadline - armed) < 0))
		arm(t->deadline);
}
