/*
 * Spin locks for per-object kernel locks. The kernel holds them with
 * interrupts disabled and never across a call out of its own object.
 */
#ifndef KERN_SPINLOCK_H
#define KERN_SPINLOCK_H

#include <arch/spinlock.h>

static inline void spin_init(struct spinlock *l)
{
	l->word = 0;
}

static inline void spin_lock(struct spinlock *l)
{
	arch_spin_lock(l);
}

static inline void spin_unlock(struct spinlock *l)
{
	arch_spin_unlock(l);
}

#endif
