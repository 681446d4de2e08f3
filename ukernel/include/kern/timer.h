/*
 * Kernel time: a periodic tick at `hz` per second (boot option hz=) for
 * preemption, plus the dispatchers' one-shot timers (kern/sched.c). The
 * decrementer is programmed for whichever comes first.
 */
#ifndef KERN_TIMER_H
#define KERN_TIMER_H

#include <stdint.h>

void timer_init(uint64_t timebase_hz, uint32_t hz);
/* Start the calling secondary CPU's tick at the boot CPU's rate. */
void timer_cpu_init(void);
/* The decrementer fired at `now`: count the tick, expire timers, and
 * return the timebase value of the next event. */
uint64_t timer_interrupt(uint64_t now);
/* The same for the tick fast path (kern/sched_fast.c), under this CPU's
 * local lock alone: count the tick and program the decrementer, or do
 * nothing and answer 0 when a timer of this CPU or a bounded call is due
 * (expiring them wakes dispatchers anywhere: the locked path's job). */
int timer_interrupt_local(uint64_t now);
/* A timer was added: make sure the decrementer fires in time for it. */
void timer_reprogram(void);
uint64_t timer_timebase_hz(void);
uint64_t timer_ticks(void);
/* Timebase ticks in `us` microseconds. */
uint64_t timer_us_to_tb(uint64_t us);

#endif
