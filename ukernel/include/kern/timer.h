/*
 * Kernel time: a periodic tick at `hz` per second (boot option hz=) for
 * preemption, plus the dispatchers' one-shot timers (kern/sched.c). The
 * decrementer is programmed for whichever comes first.
 *
 * Each CPU ticks on the boot CPU's grid shifted by cpu_id / ncpus of a
 * period (ncpus: the CPUs of the device tree), and a late tick keeps its
 * CPU on that grid. Ticks of different CPUs thus never come together:
 * they do not all enter the kernel (and meet on its locks) at once, and
 * under -icount, where QEMU runs the vCPUs in turn, each up to the next
 * timer deadline of any of them, a deadline of another CPU is always
 * less than a period away. With the ticks together, the first CPU to
 * reprogram its decrementer after all had fired was sent out at the
 * write (it made the only deadline) and the next vCPU ran up to it, a
 * whole period, turn after turn (with timer_take_due, the kernel FCM swap
 * at 4 CPUs held its callers 883 ticks instead of 7.8 M; docs/hot-swap.md).
 */
#ifndef KERN_TIMER_H
#define KERN_TIMER_H

#include <stdint.h>

void timer_init(uint64_t timebase_hz, uint32_t hz, uint32_t ncpus);
/* Start the calling secondary CPU's tick at the boot CPU's rate. */
void timer_cpu_init(void);
/* The decrementer fired at `now`: count the tick, expire timers, and
 * return the timebase value of the next event. */
uint64_t timer_interrupt(uint64_t now);
/* Under the kernel lock: if this CPU's tick or a timer is due, take it
 * now (what the decrementer interrupt would do on the way back to user
 * mode, less the preemption, which waits for the next tick); 1 if so. */
int timer_take_due(void);
/* The same for the tick fast paths (kern/sched_fast.c), under this CPU's
 * local lock: count the tick, expire the due timers (their dispatchers are
 * woken where they live, this CPU's queue or other CPUs', whose local
 * locks are taken for it in CPU order: percpu_lock_other), expire the
 * bounded calls made here that are due (their callers made ready here;
 * each under its server's CPU's lock too, taken with the others: a queued
 * one withdrawn, a taken one left without its caller:
 * ipc_calls_expire_locks) and program the decrementer; 0 and nothing
 * done if a due bounded call's caller waits on another CPU, or one of
 * those CPUs' locks is busy and lower-numbered.
 * The caller then decides what runs (it may preempt). Wake-ups onto
 * another CPU's queue are counted
 * (K42_INFO_TIMER_WAKES_REMOTE), and the ticks that woke dispatchers on
 * two or more other CPUs (K42_INFO_TICKS_MULTI_UNLOCKED). */
int timer_interrupt_expire_local(uint64_t now);
/* A timer was added: make sure the decrementer fires in time for it. */
void timer_reprogram(void);
uint64_t timer_timebase_hz(void);
uint64_t timer_ticks(void);
/* Timebase ticks in `us` microseconds. */
uint64_t timer_us_to_tb(uint64_t us);

#endif
