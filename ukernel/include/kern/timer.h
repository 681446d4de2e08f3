/*
 * The kernel's periodic tick: started at boot at `hz` per second (boot
 * option hz=), counted per CPU. Later the dispatcher scheduler hangs
 * preemption off timer_tick().
 */
#ifndef KERN_TIMER_H
#define KERN_TIMER_H

#include <stdint.h>

void timer_init(uint64_t timebase_hz, uint32_t hz);
/* Called by the architecture on every tick, interrupts disabled. */
void timer_tick(void);
uint64_t timer_timebase_hz(void);
uint64_t timer_ticks(void);
/* Timebase ticks in `us` microseconds. */
uint64_t timer_us_to_tb(uint64_t us);

#endif
