/*
 * Multiprocessor bring-up and the table of online CPUs (docs/smp.md).
 * CPU numbers (cpu_id) are dense, 0 being the boot CPU; each CPU also has
 * its interrupt server number (hw_id) from the device tree.
 */
#ifndef KERN_SMP_H
#define KERN_SMP_H

#include <stdint.h>
#include <kern/bootinfo.h>
#include <kern/percpu.h>

#define SMP_MAX_CPUS BOOTINFO_MAX_CPUS

/* Every online CPU's area, by cpu_id; written only during bring-up. */
extern struct percpu *smp_cpus[SMP_MAX_CPUS];
/* How many CPUs are online (they are 0 .. smp_ncpus - 1). */
extern int smp_ncpus;

static inline struct percpu *percpu_of(uint32_t cpu)
{
	return smp_cpus[cpu];
}

/* Start every CPU of the device tree besides the boot CPU; each runs its
 * own idle loop once the boot CPU lets go of the kernel lock. Returns the
 * number of CPUs online. */
int smp_start_cpus(const struct bootinfo *bi);
/* The generic half of a secondary CPU's start (arch code calls it with the
 * MMU on, on the CPU's own stack and per-CPU area). Never returns. */
__attribute__((noreturn)) void smp_secondary_main(struct percpu *pc);
/* Interrupt `cpu` so it looks at its run queue and its current dispatcher
 * (a no-op for the calling CPU itself). */
void smp_kick(uint32_t cpu);
/* The CPU a new dispatcher starts on. */
uint32_t smp_place(void);
/* A string like "0-3" naming the online CPUs (for the banner and ps). */
void smp_online_string(char *buf, unsigned size);

/* Architecture: start CPU pc (pc->hw_id) at the secondary entry; 0 or -1. */
int arch_cpu_start(struct percpu *pc);
/* Architecture: take the calling CPU out of the machine for good. */
__attribute__((noreturn)) void arch_cpu_stop_self(void);

#endif
