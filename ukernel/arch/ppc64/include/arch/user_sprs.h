/*
 * The user SPRs outside the trap frame (ppc64: VRSAVE, and SPRG3, which
 * user code reads as its dispatcher page's address): handed from whoever
 * has them loaded on a CPU to the dispatcher about to run there. Inline
 * for the PPC fast path (kern/ppc_fast.c); arch_user_sprs_enter
 * (user_return.c) is the same.
 */
#ifndef ARCH_USER_SPRS_H
#define ARCH_USER_SPRS_H

#include <arch/spr.h>
#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/percpu.h>

static inline __attribute__((always_inline)) void arch_user_sprs_switch(struct percpu *pc, struct dispatcher *d)
{
	struct dispatcher *owner = pc->spr_owner;

	if (owner == d)
		return;
	if (owner)
		owner->user_spr[0] = mfspr(SPR_VRSAVE);
	mtspr(SPR_VRSAVE, d->user_spr[0]);
	mtspr(SPR_SPRG3, d->shared_va);
	pc->spr_owner = d;
}

#endif
