/*
 * The decrementer (see arch/timer.h): programmed for the next kernel time
 * event, which kern/timer.c computes (the periodic tick or an earlier
 * dispatcher timer). DEC is 32 bits; far events are reached in steps.
 */
#include <arch/spr.h>
#include <arch/timer.h>
#include <kern/percpu.h>
#include <kern/timer.h>
#include <kern/trace.h>

uint64_t arch_timebase(void)
{
	return mftb();
}

void arch_timer_program(uint64_t when)
{
	uint64_t now = mftb();
	int64_t delta = (int64_t)(when - now);

	if (delta < 1)
		delta = 1;
	if (delta >= DEC_MAX)
		delta = DEC_MAX - 1;
	mtspr(SPR_DEC, (uint64_t)delta);
}

void arch_timer_start(uint64_t period, uint64_t first)
{
	struct percpu *pc = this_cpu();

	if (period == 0 || period >= DEC_MAX)
		period = DEC_MAX - 1;
	pc->tick_period = period;
	pc->next_tick_tb = first;
	arch_timer_program(first);
}

void arch_timer_stop(void)
{
	this_cpu()->tick_period = 0;
	mtspr(SPR_DEC, DEC_MAX);
}

void decrementer_interrupt(struct trap_frame *tf)
{
	(void)tf;
	trace_tick();
	arch_timer_program(timer_interrupt(mftb()));
}
