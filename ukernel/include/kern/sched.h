/*
 * The kernel's dispatcher scheduler: per-CPU run queues, one per priority
 * class (system, real-time, general, background), round robin inside a
 * class with a time slice driven by the decrementer. Each CPU has its own
 * queues; for now the kernel lock guards them (docs/smp.md), since another
 * CPU queues a dispatcher it wakes on that dispatcher's CPU.
 */
#ifndef KERN_SCHED_H
#define KERN_SCHED_H

#include <stdint.h>
#include <kern/dispatcher.h>

struct percpu;

#define SCHED_SLICE_US 10000

void sched_enqueue(struct dispatcher *d);
void sched_remove(struct dispatcher *d);
/* The dispatcher whose context is in tf stops running (its state is set by
 * the caller); choose the next one and load it into tf. Never returns
 * without a runnable dispatcher: idles with interrupts on instead. */
void sched_switch(struct trap_frame *tf);
/* Make d the running dispatcher on this CPU (address space, state,
 * slice); returns whether its FP/VMX/VSX registers are the loaded ones. */
int sched_make_current(struct dispatcher *d);
/* Switch to `next` directly (PPC hand-off): no queue pass. */
void sched_handoff(struct trap_frame *tf, struct dispatcher *next);
/* After an interrupt from user mode (an IPI): leave a dispatcher another
 * CPU ended, or yield to a more urgent one queued here meanwhile. */
void sched_resched(struct trap_frame *tf);
/* May d be run (handed the processor) on this CPU now? Not while its
 * vector registers are live on another CPU. */
int sched_can_run_here(const struct dispatcher *d);
/* d ends: no CPU keeps its registers, and a CPU running it is kicked
 * (it leaves d on its next kernel entry, sched_resched). */
void sched_forget(struct dispatcher *d);
/* Called on every tick from user mode: preempt if the slice is over. */
void sched_tick(struct trap_frame *tf);
/* Timers: one per dispatcher, kept per CPU in deadline order. */
void sched_timer_set(struct dispatcher *d, uint64_t deadline);
void sched_timers_expire(uint64_t now);
uint64_t sched_next_deadline(void);
/* Start running user code for the first time on this CPU; never returns. */
__attribute__((noreturn)) void sched_start(void);
/* kern/sched_fast.c, under this CPU's local lock: the dispatcher
 * sched_switch would run next here if it can be resumed from its saved
 * context with nothing to deliver (else NULL: the locked path), and the
 * switch to it once the running one is parked (a new time slice). */
struct dispatcher *sched_fast_next(struct percpu *pc);
void sched_fast_run(struct trap_frame *tf, struct percpu *pc, struct dispatcher *next);
/* kern/sched_idle.c: going idle without the kernel lock. Under this CPU's
 * local lock, sched_idle_ok says whether a fast path that parked the
 * running dispatcher with nothing else ready may go idle itself (nothing
 * ripe to free, no test work), and sched_idle_park leaves the CPU (no
 * current dispatcher); then, with no lock held, sched_idle_fast waits and
 * returns to user mode with what is queued next (never returns). */
int sched_idle_ok(struct percpu *pc);
void sched_idle_park(struct percpu *pc);
__attribute__((noreturn)) void sched_idle_fast(struct trap_frame *tf);
/* Work for an idle CPU (kern/sched.c): something queued, test work, or
 * what it retired ripe for freeing. Takes its local lock. */
int sched_idle_has_work(struct percpu *pc);
/* Leave the CPU: save tf into the current dispatcher (if it keeps running later). */
void sched_save_current(struct trap_frame *tf);

/* Architecture: save the user SPRs outside the frame of whoever has them
 * loaded on pc unless it is `next` (NULL: always); stop using this CPU's
 * vector registers for anyone (their owner's state is saved). */
void arch_user_sprs_leave(struct percpu *pc, struct dispatcher *next);
/* Load d's user SPRs outside the frame on pc (on the way to user mode). */
void arch_user_sprs_enter(struct percpu *pc, struct dispatcher *d);
void arch_vector_units_leave(struct percpu *pc);
/* d is being made current on pc by a scheduling switch: load its vector
 * state now if it has used it on each recent switch (saving the trap it
 * would take); 1 if d's state is loaded on pc afterwards. */
int arch_vector_units_eager(struct percpu *pc, struct dispatcher *d);
/* Wait for an interrupt with the CPU ceded to the hypervisor; returns with
 * interrupts off after at least one interrupt was taken or is pending. */
void arch_idle_wait(void);

#endif
