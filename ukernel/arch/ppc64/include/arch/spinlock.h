/*
 * ppc64 spin lock: lwarx/stwcx. acquire with an isync barrier, lwsync
 * release. The word holds 0 (free) or 1 (held).
 */
#ifndef ARCH_SPINLOCK_H
#define ARCH_SPINLOCK_H

#include <stdint.h>

struct spinlock {
	volatile uint32_t word;
};

static inline void arch_spin_lock(struct spinlock *l)
{
	uint32_t tmp;

	__asm__ volatile(
		"1:	lwarx	%0, 0, %1\n"
		"	cmpwi	%0, 0\n"
		"	bne-	2f\n"
		"	stwcx.	%2, 0, %1\n"
		"	bne-	1b\n"
		"	isync\n"
		"	b	3f\n"
		"2:	lwz	%0, 0(%1)\n"
		"	cmpwi	%0, 0\n"
		"	bne+	2b\n"
		"	b	1b\n"
		"3:\n"
		: "=&r"(tmp)
		: "r"(&l->word), "r"(1)
		: "cr0", "memory");
}

static inline void arch_spin_unlock(struct spinlock *l)
{
	__asm__ volatile("lwsync" : : : "memory");
	l->word = 0;
}

#endif
