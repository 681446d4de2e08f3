/*
 * The kernel lock (see kern/klock.h): a test-and-set lock on `klock_holder`
 * (-1 when free, else the owning cpu_id). Not a ticket lock on purpose:
 * under MTTCG on a loaded host a vCPU may be descheduled at any time, and
 * a FIFO lock then makes every CPU wait for the one whose turn it is;
 * here whichever CPU is running takes it.
 *
 * It is a big-reader lock: its holder also takes every CPU's local lock
 * (struct percpu), in CPU order, so a fast path that holds only its own
 * CPU's local lock (the PPC fast path, kern/ppc_local.c) runs at the same time
 * as the fast paths of other CPUs but never beside the kernel lock's
 * holder. What a fast path touches is its CPU's own (run queue, the
 * dispatchers that live there) or has its own lock (call records). A waiter confers its virtual
 * CPU to the others while the lock is held (arch_spin_yield): under
 * -icount the CPUs run round-robin, and a waiter that spins burns the rest
 * of its turn while the holder cannot run (docs/scalability.md).
 */
#include <arch/spinlock.h>
#include <kern/klock.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/smp.h>
#include <kern/spinlock.h>

int32_t klock_holder = -1;
static int nlocal;	/* CPUs whose local locks the holder took (smp_ncpus may grow meanwhile) */

/* The local locks of CPUs c .. nlocal - 1, waiting for each as spin_lock
 * does (a fast path may hold one); the ones before c are held without
 * their acquire barrier, which spin_lock's makes for all. */
static __attribute__((noinline)) void take_locals_from(int c)
{
	for (; c < nlocal; c++)
		spin_lock(&percpu_of((uint32_t)c)->local_lock);
	arch_acquire_fence();
}

/* The kernel lock was not free: wait for it, take it and the local locks.
 * The holder may be a vCPU the hypervisor is not running: after a few
 * loads, give ours away rather than spin (arch_spin_yield). */
static __attribute__((noinline)) void klock_wait_take(int32_t me)
{
	for (;;) {
		int32_t free = -1;

		for (int i = 0; i < 8 && __atomic_load_n(&klock_holder, __ATOMIC_RELAXED) != -1; i++)
			__asm__ volatile("or 1,1,1" ::: "memory");	/* low SMT priority */
		__asm__ volatile("or 2,2,2" ::: "memory");
		while (__atomic_load_n(&klock_holder, __ATOMIC_RELAXED) != -1)
			arch_spin_yield();
		if (__atomic_compare_exchange_n(&klock_holder, &free, me, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
	}
	nlocal = smp_ncpus;
	take_locals_from(0);
}

/* The uncontended case (one compare-and-swap and a try per CPU) makes no
 * call and needs no stack frame: every wait is out of line. */
void klock_acquire(void)
{
	int32_t me = (int32_t)this_cpu()->cpu_id, free = -1;
	int n;

	if (__atomic_load_n(&klock_holder, __ATOMIC_RELAXED) == me)
		panic("kernel lock taken twice by CPU %d", me);
	if (!__atomic_compare_exchange_n(&klock_holder, &free, me, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		klock_wait_take(me);
		return;
	}
	nlocal = n = smp_ncpus;
	/* One acquire barrier for all of them, after the last. */
	for (int c = 0; c < n; c++)
		if (__builtin_expect(!arch_spin_trylock_nofence(&percpu_of((uint32_t)c)->local_lock), 0)) {
			take_locals_from(c);
			return;
		}
	arch_acquire_fence();
}

void klock_release(void)
{
	if (klock_holder != (int32_t)this_cpu()->cpu_id)
		panic("kernel lock released by CPU %u, held by %d", this_cpu()->cpu_id, klock_holder);
	/* One release barrier for every local lock and the kernel lock. */
	arch_release_fence();
	for (int c = nlocal - 1; c >= 0; c--)
		arch_spin_unlock_nofence(&percpu_of((uint32_t)c)->local_lock);
	__atomic_store_n(&klock_holder, -1, __ATOMIC_RELAXED);
}

/* A fast path's wait before its local lock (klock_local_lock): the same
 * few loads and then H_CONFER as klock_acquire's. It holds nothing. */
void klock_wait_free(void)
{
	for (int i = 0; i < 8 && __atomic_load_n(&klock_holder, __ATOMIC_RELAXED) != -1; i++)
		__asm__ volatile("or 1,1,1" ::: "memory");	/* low SMT priority */
	__asm__ volatile("or 2,2,2" ::: "memory");
	while (__atomic_load_n(&klock_holder, __ATOMIC_RELAXED) != -1)
		arch_spin_yield();
}

int klock_held(void)
{
	return __atomic_load_n(&klock_holder, __ATOMIC_RELAXED) == (int32_t)this_cpu()->cpu_id;
}
