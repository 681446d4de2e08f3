/*
 * Decrementer tick test: with interrupts enabled, ticks arrive at the
 * configured rate (boot option hz=, default 100) on the timebase schedule.
 */
#include <arch/irq.h>
#include <arch/timer.h>
#include <kern/ktest.h>
#include <kern/percpu.h>
#include <kern/timer.h>

#define WANT_TICKS 10

KTEST(decrementer_tick)
{
	struct percpu *pc = this_cpu();
	uint64_t period = pc->tick_period, start_ticks, start_tb, elapsed, limit;

	KTEST_CHECK(t, period > 0, "tick not started");
	limit = period * WANT_TICKS * 20 + timer_timebase_hz();	/* generous under TCG */
	start_ticks = timer_ticks();
	start_tb = arch_timebase();
	arch_irq_enable();
	while (timer_ticks() - start_ticks < WANT_TICKS && arch_timebase() - start_tb < limit)
		;
	arch_irq_disable();
	elapsed = arch_timebase() - start_tb;
	KTEST_CHECK(t, timer_ticks() - start_ticks >= WANT_TICKS, "only %lu ticks in %lu tb",
		    timer_ticks() - start_ticks, elapsed);
	/* Ticks are scheduled on the timebase, so N ticks take at least N-1 periods. */
	KTEST_CHECK(t, elapsed >= (WANT_TICKS - 1) * period, "%d ticks in %lu tb, period %lu",
		    WANT_TICKS, elapsed, period);
}
