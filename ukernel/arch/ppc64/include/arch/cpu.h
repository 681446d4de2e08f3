/*
 * Early per-CPU hardware set-up for ppc64 on pseries.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

/* Make interrupts little-endian; 0 or -1 if the hypervisor refused. */
int arch_cpu_early_init(void);

#endif
