/*
 * Starting secondary CPUs on pseries (see kern/smp.h): RTAS start-cpu
 * enters head.S's secondary_vector big-endian in real mode with r3 =
 * cpu_id; it reaches arch_secondary_start with its per-CPU area and stack.
 * Interrupts are already taken little-endian and with AIL=3 (H_SET_MODE is
 * partition-wide), and start-cpu gives a new CPU the radix mode of the
 * others, so what is left is this CPU's PID register and its MMU.
 */
#include <stdint.h>
#include <arch/mmu.h>
#include <arch/rtas.h>
#include <arch/spr.h>
#include <kern/smp.h>
#include <mm/hat.h>

void secondary_vector(void);
__attribute__((noreturn)) void arch_secondary_start(struct percpu *pc);

static uint64_t real_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p & 0x0fffffffffffffffull;
}

int arch_cpu_start(struct percpu *pc)
{
	/* The first stack: just below the user frame at the top of the
	 * CPU's kernel stack, which sched_start fills in (so it must stay
	 * above every frame of this first call chain). */
	pc->arch.boot_sp = ((uint64_t)(uintptr_t)pc->user_tf - 512) & ~15ull;
	__asm__ volatile("sync" ::: "memory");
	return rtas_call(rtas_tokens()->start_cpu, 3, 1, NULL, pc->hw_id,
			 (uint32_t)real_addr((const void *)secondary_vector), pc->cpu_id) == 0 ? 0 : -1;
}

void arch_secondary_start(struct percpu *pc)
{
	hat_cpu_init();
	arch_mmu_on();
	smp_secondary_main(pc);
}

void arch_cpu_stop_self(void)
{
	rtas_call(rtas_tokens()->stop_self, 0, 1, NULL);
	for (;;)
		__asm__ volatile("or 1,1,1" ::: "memory");
}
