/*
 * Decrementer tick (see arch/timer.h). Ticks are kept on an absolute
 * timebase schedule, so a late interrupt does not drift the rate; missed
 * ticks are counted as one, not replayed.
 */
#include <arch/spr.h>
#include <arch/timer.h>
#include <kern/percpu.h>
#include <kern/timer.h>

uint64_t arch_timebase(void)
{
	return mftb();
}

void arch_timer_start(uint64_t period)
{
	struct percpu *pc = this_cpu();

	if (period == 0 || period >= DEC_MAX)
		period = DEC_MAX - 1;
	pc->tick_period = period;
	pc->next_tick_tb = mftb() + period;
	mtspr(SPR_DEC, period);
}

void arch_timer_stop(void)
{
	this_cpu()->tick_period = 0;
	mtspr(SPR_DEC, DEC_MAX);
}

void decrementer_interrupt(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	uint64_t now = mftb();

	(void)tf;
	if (pc->tick_period == 0) {
		mtspr(SPR_DEC, DEC_MAX);	/* stopped: a leftover interrupt */
		return;
	}
	pc->next_tick_tb += pc->tick_period;
	if ((int64_t)(pc->next_tick_tb - now) <= 0)
		pc->next_tick_tb = now + pc->tick_period;
	mtspr(SPR_DEC, pc->next_tick_tb - now);
	pc->ticks++;
	timer_tick();
}
