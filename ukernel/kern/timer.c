/*
 * Generic side of kernel time (see kern/timer.h).
 */
#include <arch/timer.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/timer.h>
#include <kern/trace.h>

static uint64_t tb_hz, tick_period;

void timer_init(uint64_t timebase_hz, uint32_t hz)
{
	tb_hz = timebase_hz;
	tick_period = timebase_hz / hz;
	timer_cpu_init();
}

void timer_cpu_init(void)
{
	this_cpu()->slice_tb = timer_us_to_tb(SCHED_SLICE_US);
	arch_timer_start(tick_period);
}

static uint64_t next_event(struct percpu *pc)
{
	uint64_t d = sched_next_deadline();	/* UINT64_MAX: no timer */

	if (pc->tick_period == 0)
		return d;
	if (d == UINT64_MAX)
		return pc->next_tick_tb;
	return (int64_t)(d - pc->next_tick_tb) < 0 ? d : pc->next_tick_tb;
}

static void count_tick(struct percpu *pc, uint64_t now)
{
	if (pc->tick_period && (int64_t)(now - pc->next_tick_tb) >= 0) {
		pc->ticks++;
		trace_timer_tick(pc->ticks);
		pc->next_tick_tb += pc->tick_period;
		if ((int64_t)(pc->next_tick_tb - now) <= 0)
			pc->next_tick_tb = now + pc->tick_period;	/* missed ticks count as one */
	}
}

uint64_t timer_interrupt(uint64_t now)
{
	struct percpu *pc = this_cpu();

	count_tick(pc, now);
	sched_timers_expire(now);
	ipc_calls_expire(now);
	return next_event(pc);
}

int timer_interrupt_local(uint64_t now)
{
	struct percpu *pc = this_cpu();

	if ((pc->timers && (int64_t)(now - pc->timers->timer_deadline) >= 0) || ipc_calls_timed())
		return 0;
	count_tick(pc, now);
	arch_timer_program(next_event(pc));
	return 1;
}

void timer_reprogram(void)
{
	arch_timer_program(next_event(this_cpu()));
}

uint64_t timer_timebase_hz(void)
{
	return tb_hz;
}

uint64_t timer_ticks(void)
{
	return this_cpu()->ticks;
}

uint64_t timer_us_to_tb(uint64_t us)
{
	return us * (tb_hz / 1000000);
}
