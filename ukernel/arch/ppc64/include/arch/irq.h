/*
 * Enabling and disabling external and decrementer interrupts (MSR[EE]).
 * The kernel runs with them off except where it waits.
 */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <arch/spr.h>

/* mtmsrd with L=1 changes only MSR[EE] and MSR[RI]: cheap, no context sync. */
static inline void msr_set_ee(uint64_t ee)
{
	__asm__ volatile("mtmsrd %0, 1" : : "r"((mfmsr() & ~MSR_EE) | ee) : "memory");
}

static inline uint64_t arch_irq_save_disable(void)
{
	uint64_t was = mfmsr() & MSR_EE;

	msr_set_ee(0);
	return was;
}

static inline void arch_irq_restore(uint64_t was)
{
	msr_set_ee(was & MSR_EE);
}

static inline void arch_irq_enable(void)
{
	msr_set_ee(MSR_EE);
}

static inline void arch_irq_disable(void)
{
	msr_set_ee(0);
}

#endif
