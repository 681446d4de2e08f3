/*
 * The per-CPU area: everything the kernel keeps per processor. Only the
 * owning CPU writes its area, so no field needs a lock.
 */
#ifndef KERN_PERCPU_H
#define KERN_PERCPU_H

#include <stdint.h>
#include <arch/percpu.h>

struct percpu {
	uint64_t stack_guard;		/* must stay first: see arch/percpu.h */
	struct arch_percpu arch;
	uint32_t cpu_id;
	uint32_t hw_id;			/* interrupt server number */
	uint64_t ticks;			/* decrementer interrupts taken */
	uint64_t tick_period;		/* timebase ticks between them */
	uint64_t next_tick_tb;		/* timebase value of the next tick */
};

static inline struct percpu *this_cpu(void)
{
	return arch_this_cpu();
}

/* Set up the boot CPU's area and make it current. */
void percpu_init_boot(struct percpu *pc, uint32_t hw_id);

#endif
