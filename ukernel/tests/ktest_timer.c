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
	/*
	 * Ticks are scheduled on a grid of the timebase (timer.c: next += period,
	 * and a missed one moves on whole periods), so they never come faster
	 * than the grid: each counted tick uses up at least one grid point. A
	 * tick can be delivered late (a loaded host runs the guest late:
	 * without icount the timebase is host time), the first one counted
	 * even for a grid point before the start, so from any start N ticks
	 * take more than N-2 periods. (N-1 failed once under load: 10 ticks in 45.7M tb, period
	 * 5.12M, the first one delivered late.)
	 */
	KTEST_CHECK(t, elapsed > (WANT_TICKS - 2) * period, "%d ticks in %lu tb, period %lu",
		    WANT_TICKS, elapsed, period);
}
