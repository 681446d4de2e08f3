/*
 * The kernel lock: the first, deliberately simple SMP design (docs/smp.md).
 * A CPU holds it whenever it runs kernel code on shared state, except on
 * the paths converted to per-object locks (docs/smp.md, "Without the
 * kernel lock": faults on anonymous memory, PPC, yield and block on one
 * CPU). Its holder
 * also holds every CPU's local lock (klock.c: a big-reader lock). It is taken on every other
 * entry from user mode (arch_user_trap), by an interrupt taken in the idle
 * loop, and by a CPU coming online; it is released on the one way back to
 * user mode (user_return) and while a CPU waits in the idle loop. The
 * kernel never waits with it held, so per-object spin locks nest inside it
 * (klock.c says why it is not a ticket lock).
 *
 * Lock order (the one list is docs/smp.md, "Lock order"): the kernel lock,
 * the CPUs' local locks in CPU order, a process lock, FCM locks, then the
 * leaf locks (PM, kmem, clustered-object roots, call records, xics src_lock).
 */
#ifndef KERN_KLOCK_H
#define KERN_KLOCK_H

#include <stdint.h>
#include <kern/spinlock.h>

void klock_acquire(void);
void klock_release(void);
/* Does the calling CPU hold it? */
int klock_held(void);

/* The CPU that holds or is gathering the kernel lock, -1 if none. */
extern int32_t klock_holder;
void klock_wait_free(void);

/*
 * A fast path takes its own CPU's local lock with this (kern/ppc_fast.c,
 * kern/ppc.c, kern/sched_fast.c): while another CPU holds or gathers the
 * kernel lock, it waits before taking it. The gatherer takes every CPU's
 * local lock; without the wait, a CPU whose fast paths retake their lock
 * straight after each call and reply kept it from the gatherer for
 * millions of spins (a tick's kernel lock at 2 CPUs during a PPC storm:
 * 3.6 million H_CONFERs in 80,000 round trips; docs/smp.md). The check is
 * one load of a line written only when the kernel lock changes hands.
 */
static inline void klock_local_lock(struct spinlock *l)
{
	if (__builtin_expect(__atomic_load_n(&klock_holder, __ATOMIC_RELAXED) != -1, 0))
		klock_wait_free();
	spin_lock(l);
}

#endif
