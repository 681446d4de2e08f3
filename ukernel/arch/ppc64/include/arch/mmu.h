/*
 * Turning translation on, once hat_init_kernel() has built the kernel's
 * tree: execution continues at the caller's return address in the
 * kernel's 0xc000... addresses with MSR[IR,DR] set.
 */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

void arch_mmu_on(void);

#endif
