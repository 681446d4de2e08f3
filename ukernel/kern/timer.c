/*
 * Generic side of the periodic tick (see kern/timer.h).
 */
#include <arch/timer.h>
#include <kern/percpu.h>
#include <kern/timer.h>

static uint64_t tb_hz;

void timer_init(uint64_t timebase_hz, uint32_t hz)
{
	tb_hz = timebase_hz;
	arch_timer_start(timebase_hz / hz);
}

void timer_tick(void)
{
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
