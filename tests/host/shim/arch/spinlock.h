/*
 * Host-test stand-in for the kernel's arch spin lock: a plain flag with
 * GCC atomics, so kernel units that take locks build and run natively.
 */
#ifndef ARCH_SPINLOCK_H
#define ARCH_SPINLOCK_H

#include <stdint.h>

struct spinlock {
	volatile uint32_t word;
};

static inline void arch_spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE))
		;
}

static inline void arch_spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
}

#endif
