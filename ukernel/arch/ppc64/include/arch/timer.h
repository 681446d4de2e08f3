/*
 * The ppc64 decrementer as the kernel's periodic tick source. DEC is a
 * 32-bit down-counter at the timebase frequency; it interrupts (vector
 * 0x900) when it goes negative and MSR[EE] is set.
 */
#ifndef ARCH_TIMER_H
#define ARCH_TIMER_H

#include <stdint.h>
#include <arch/trapframe.h>

#define DEC_MAX 0x7fffffffu

/* Start periodic interrupts every `period` timebase ticks (< DEC_MAX),
 * the first at timebase value `first` (within a period from now). */
void arch_timer_start(uint64_t period, uint64_t first);
/* Stop them: DEC is parked at its maximum. */
void arch_timer_stop(void);
uint64_t arch_timebase(void);
/* Interrupt at timebase value `when` (or as soon as possible if past). */
void arch_timer_program(uint64_t when);
void decrementer_interrupt(struct trap_frame *tf);

#endif
