/*
 * The radix HAT's address-space record (arch/ppc64/mm/hat_radix.c owns
 * it), here so that the PPC fast path (kern/ppc_fast.c) can switch
 * address spaces inline: hat_activate_here is hat_activate for a caller
 * that has its per-CPU area at hand.
 */
#ifndef ARCH_HAT_RADIX_H
#define ARCH_HAT_RADIX_H

#include <stdint.h>
#include <arch/radix.h>
#include <arch/spr.h>
#include <kern/percpu.h>

struct hat {
	uint32_t asid;
	uint64_t cpus;		/* CPUs it was ever made current on (bit per cpu_id) */
	uint64_t root_pa;
	uint64_t table_pages;
};

static inline __attribute__((always_inline)) void hat_activate_here(const struct percpu *pc,
								     struct hat *h)
{
	uint64_t bit = 1ull << pc->cpu_id;

	/* A full barrier when the bit is set (see only_here); once set, it
	 * stays until the space is destroyed, so there is nothing to order. */
	if (h && !(__atomic_load_n(&h->cpus, __ATOMIC_RELAXED) & bit))
		__atomic_fetch_or(&h->cpus, bit, __ATOMIC_SEQ_CST);
	mtspr(SPR_PIDR, h ? h->asid : 0);
	__asm__ volatile("isync" ::: "memory");
}

#endif
