/*
 * The kernel's dispatcher scheduler: per-CPU run queues, one per priority
 * class (system, real-time, general, background), round robin inside a
 * class with a time slice driven by the decrementer. No global lock: each
 * CPU owns its queues.
 */
#ifndef KERN_SCHED_H
#define KERN_SCHED_H

#include <stdint.h>
#include <kern/dispatcher.h>

#define SCHED_SLICE_US 10000

void sched_enqueue(struct dispatcher *d);
void sched_remove(struct dispatcher *d);
/* The dispatcher whose context is in tf stops running (its state is set by
 * the caller); choose the next one and load it into tf. Never returns
 * without a runnable dispatcher: idles with interrupts on instead. */
void sched_switch(struct trap_frame *tf);
/* Switch to `next` directly (PPC hand-off): no queue pass. */
void sched_handoff(struct trap_frame *tf, struct dispatcher *next);
/* Called on every tick from user mode: preempt if the slice is over. */
void sched_tick(struct trap_frame *tf);
/* Timers: one per dispatcher, kept per CPU in deadline order. */
void sched_timer_set(struct dispatcher *d, uint64_t deadline);
void sched_timers_expire(uint64_t now);
uint64_t sched_next_deadline(void);
/* Start running user code for the first time on this CPU; never returns. */
__attribute__((noreturn)) void sched_start(void);
/* Leave the CPU: save tf into the current dispatcher (if it keeps running later). */
void sched_save_current(struct trap_frame *tf);

#endif
