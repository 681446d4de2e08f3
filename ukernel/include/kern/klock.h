/*
 * The kernel lock: the first, deliberately simple SMP design (docs/smp.md).
 * A CPU holds it whenever it runs kernel code on shared state, except on
 * the paths converted to per-object locks (docs/smp.md, "Without the
 * kernel lock": faults on anonymous memory, PPC on one CPU, ppc_accept
 * and replies to a caller on another CPU, softintr_raise and disp_kick,
 * yield and block on one CPU,
 * quiet ticks). Its holder
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
 * The scheduling fast paths, the ticks' and the idle wait's
 * (kern/sched_fast.c, kern/sched.c) take their own CPU's local lock with
 * this: while another CPU holds or gathers the kernel lock, they wait
 * before taking it, so they never hold up the gatherer, which takes
 * every CPU's local lock. The check is one load of a line written only
 * when the kernel lock changes hands. The PPC fast paths take theirs
 * with spin_lock (their cost is counted in instructions, and with the
 * ticks local the kernel lock is rare on a CPU that runs PPC pairs).
 */
static inline void klock_local_lock(struct spinlock *l)
{
	if (__builtin_expect(__atomic_load_n(&klock_holder, __ATOMIC_RELAXED) != -1, 0))
		klock_wait_free();
	spin_lock(l);
}

#endif
