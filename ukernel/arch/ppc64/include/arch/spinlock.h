/*
 * ppc64 spin lock: lwarx/stwcx. acquire with an isync barrier, lwsync
 * release. The word holds 0 (free) or 1 (held). A waiter spins briefly,
 * then gives its virtual CPU away while the lock stays held
 * (arch_spin_yield): the holder may be a vCPU that is not running.
 */
#ifndef ARCH_SPINLOCK_H
#define ARCH_SPINLOCK_H

#include <stdint.h>

struct spinlock {
	volatile uint32_t word;
};

/* One lwarx/stwcx. try of the word, with `fence` after a success: the
 * old value, 0 if the lock is now ours. */
#define ARCH_SPIN_TRY(l, fence)						\
	({								\
		uint32_t old_;						\
		__asm__ volatile(					\
			"1:	lwarx	%0, 0, %1\n"			\
			"	cmpwi	%0, 0\n"			\
			"	bne-	2f\n"				\
			"	stwcx.	%2, 0, %1\n"			\
			"	bne-	1b\n"				\
			fence						\
			"2:\n"						\
			: "=&r"(old_)					\
			: "r"(&(l)->word), "r"(1)			\
			: "cr0", "memory");				\
		old_;							\
	})

/* One attempt: 1 if the lock was free and is now ours (acquire). */
static inline int arch_spin_trylock(struct spinlock *l)
{
	return ARCH_SPIN_TRY(l, "	isync\n") == 0;
}

/* For taking (and later releasing) many locks as one (the kernel lock's
 * local locks, kern/klock.c): tries without the acquire barrier, then one
 * arch_acquire_fence after the last; one arch_release_fence, then
 * arch_spin_unlock_nofence of each. */
static inline int arch_spin_trylock_nofence(struct spinlock *l)
{
	return ARCH_SPIN_TRY(l, "") == 0;
}

static inline void arch_acquire_fence(void)
{
	__asm__ volatile("isync" : : : "memory");
}

void arch_spin_lock_wait(struct spinlock *l);

static inline void arch_release_fence(void)
{
	__asm__ volatile("lwsync" : : : "memory");
}

static inline void arch_spin_unlock_nofence(struct spinlock *l)
{
	__atomic_store_n(&l->word, 0, __ATOMIC_RELAXED);
}

static inline void arch_spin_lock(struct spinlock *l)
{
	if (__builtin_expect(!arch_spin_trylock(l), 0))
		arch_spin_lock_wait(l);
}

/* A waiter gives its virtual CPU away for a moment, so that a lock holder
 * the hypervisor is not running gets to run (kern/klock.c). */
void arch_spin_yield(void);

static inline void arch_spin_unlock(struct spinlock *l)
{
	arch_release_fence();
	arch_spin_unlock_nofence(l);
}

#endif
